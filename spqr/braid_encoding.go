package spqr

import (
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/forwardsecret/signal/internal/erasure"
	"github.com/forwardsecret/signal/internal/mlkem768"
)

// The Braid's stored form (SPQR's V1State): the layout of each state kind,
// the encoder and the parser. The state machine is in braid.go.
//
// Stored layout. Each V1State oneof case is a "Chunked" message with field
// 1 = the "Unchunked" state {1 epoch, 2 authenticator, 3… byte fields} and
// the encoder/decoder in the fields below.

type byteField int

const (
	fEK byteField = iota
	fDK
	fHdr
	fES
	fCt1
)

type layout struct {
	uc       []byteField // byte fields of the unchunked state, numbered from 3
	sizes    []int       // their required sizes
	encField protowire.Number
	encMsg   int // size of the message the encoder carries
	decField protowire.Number
	decMsg   int // size of the message the decoder collects
}

var layouts = [...]layout{
	kindKeysUnsampled:        {},
	kindKeysSampled:          {uc: []byteField{fEK, fDK}, sizes: []int{ekMsgSize, mlkem768.DecapsulationKeySize}, encField: 2, encMsg: hdrMsgSize},
	kindHeaderSent:           {uc: []byteField{fDK}, sizes: []int{mlkem768.DecapsulationKeySize}, encField: 2, encMsg: ekMsgSize, decField: 3, decMsg: ct1MsgSize},
	kindCt1Received:          {uc: []byteField{fDK, fCt1}, sizes: []int{mlkem768.DecapsulationKeySize, ct1MsgSize}, encField: 2, encMsg: ekMsgSize},
	kindEkSentCt1Received:    {uc: []byteField{fDK, fCt1}, sizes: []int{mlkem768.DecapsulationKeySize, ct1MsgSize}, decField: 3, decMsg: ct2MsgSize},
	kindNoHeaderReceived:     {decField: 2, decMsg: hdrMsgSize},
	kindHeaderReceived:       {uc: []byteField{fHdr}, sizes: []int{mlkem768.HeaderSize}, decField: 2, decMsg: ekMsgSize},
	kindCt1Sampled:           {uc: []byteField{fHdr, fES, fCt1}, sizes: []int{mlkem768.HeaderSize, mlkem768.EncapsulationStateSize, ct1MsgSize}, encField: 2, encMsg: ct1MsgSize, decField: 3, decMsg: ekMsgSize},
	kindEkReceivedCt1Sampled: {uc: []byteField{fES, fEK, fCt1}, sizes: []int{mlkem768.EncapsulationStateSize, ekMsgSize, ct1MsgSize}, encField: 2, encMsg: ct1MsgSize},
	kindCt1Acknowledged:      {uc: []byteField{fHdr, fES, fCt1}, sizes: []int{mlkem768.HeaderSize, mlkem768.EncapsulationStateSize, ct1MsgSize}, decField: 2, decMsg: ekMsgSize},
	kindCt2Sampled:           {encField: 2, encMsg: ct2MsgSize},
}

func (b *braid) field(f byteField) *[]byte {
	switch f {
	case fEK:
		return &b.ek
	case fDK:
		return &b.dk
	case fHdr:
		return &b.hdr
	case fES:
		return &b.es
	default:
		return &b.ct1
	}
}

// size returns the length of the V1State message body.
func (b *braid) size() int {
	uc, es, ds := b.partSizes()
	return sizeMessage(protowire.Number(b.kind), chunkedSize(&layouts[b.kind], uc, es, ds))
}

// partSizes returns the sizes of the unchunked state, the encoder and the
// decoder (0 for what the layout does not have).
func (b *braid) partSizes() (uc, es, ds int) {
	l := &layouts[b.kind]
	uc = sizeVarintField(1, b.epoch) + sizeMessage(2, b.auth.size())
	for i, f := range l.uc {
		uc += sizeBytesField(protowire.Number(3+i), len(*b.field(f)))
	}
	if l.encField != 0 {
		es = encoderSize(b.enc)
	}
	if l.decField != 0 {
		ds = decoderSize(b.dec)
	}
	return uc, es, ds
}

// chunkedSize is the size of the V1State case's message: the unchunked
// state and the encoder or decoder.
func chunkedSize(l *layout, uc, es, ds int) int {
	n := sizeMessage(1, uc)
	if l.encField != 0 {
		n += sizeMessage(l.encField, es)
	}
	if l.decField != 0 {
		n += sizeMessage(l.decField, ds)
	}
	return n
}

func (a *authenticator) size() int {
	return sizeBytesField(1, len(a.rootKey)) + sizeBytesField(2, len(a.macKey))
}

// appendProto appends the V1State message body.
func (b *braid) appendProto(dst []byte) []byte {
	l := &layouts[b.kind]
	uc, es, ds := b.partSizes()
	dst = appendLen(dst, protowire.Number(b.kind), chunkedSize(l, uc, es, ds))
	dst = appendLen(dst, 1, uc)
	dst = appendVarintField(dst, 1, b.epoch)
	dst = appendLen(dst, 2, b.auth.size())
	dst = appendBytesField(dst, 1, b.auth.rootKey)
	dst = appendBytesField(dst, 2, b.auth.macKey)
	for i, f := range l.uc {
		dst = appendBytesField(dst, protowire.Number(3+i), *b.field(f))
	}
	// Fields in number order: 2 before 3.
	for num := protowire.Number(2); num <= 3; num++ {
		switch num {
		case l.encField:
			dst = appendEncoder(appendLen(dst, num, es), b.enc)
		case l.decField:
			dst = appendDecoder(appendLen(dst, num, ds), b.dec)
		}
	}
	return dst
}

// encoderNum is the field of the encoder's entries: Points (2) or Polys (3).
func encoderNum(e *erasure.Encoder) protowire.Number {
	if e.StateIsPolys() {
		return 3
	}
	return 2
}

func encoderSize(e *erasure.Encoder) int {
	n := sizeVarintField(1, uint64(e.NextIndex()))
	num := encoderNum(e)
	for j := range erasure.NumPolys {
		n += sizeMessage(num, e.StateEntryLen(j))
	}
	return n
}

func appendEncoder(dst []byte, e *erasure.Encoder) []byte {
	dst = appendVarintField(dst, 1, uint64(e.NextIndex()))
	num := encoderNum(e)
	for j := range erasure.NumPolys {
		dst = e.AppendStateEntry(appendLen(dst, num, e.StateEntryLen(j)), j)
	}
	return dst
}

func decoderSize(d *erasure.Decoder) int {
	ptsNeeded, polys, isComplete := d.StateFields()
	n := sizeVarintField(1, uint64(ptsNeeded)) + sizeVarintField(2, uint64(polys))
	for j := range erasure.NumPolys {
		n += sizeMessage(3, d.StateEntryLen(j))
	}
	if isComplete {
		n += sizeVarintField(4, 1)
	}
	return n
}

func appendDecoder(dst []byte, d *erasure.Decoder) []byte {
	ptsNeeded, polys, isComplete := d.StateFields()
	dst = appendVarintField(dst, 1, uint64(ptsNeeded))
	dst = appendVarintField(dst, 2, uint64(polys))
	for j := range erasure.NumPolys {
		dst = d.AppendStateEntry(appendLen(dst, 3, d.StateEntryLen(j)), j)
	}
	if isComplete {
		dst = appendVarintField(dst, 4, 1)
	}
	return dst
}

// parseBraid parses a V1State message into b, with its encoder and decoder
// in enc and dec (room the caller allocated with b).
func parseBraid(buf []byte, b *braid, enc *erasure.Encoder, dec *erasure.Decoder) error {
	*b = braid{}
	var inner []byte
	err := walk(buf, func(f pfield) error {
		if f.num >= 1 && f.num <= 11 {
			v, err := f.sub()
			if err != nil {
				return err
			}
			b.kind, inner = stateKind(f.num), v // last oneof case wins, as in protobuf
		}
		return nil
	})
	if err != nil || b.kind == 0 {
		return ErrStateDecode
	}
	l := layouts[b.kind]
	var uc, encB, decB []byte
	var haveUC, haveEnc, haveDec bool
	err = walk(inner, func(f pfield) error {
		var err error
		switch {
		case f.num == 1:
			uc, err = f.sub()
			haveUC = true
		case f.num == l.encField && l.encField != 0:
			encB, err = f.sub()
			haveEnc = true
		case f.num == l.decField && l.decField != 0:
			decB, err = f.sub()
			haveDec = true
		}
		return err
	})
	if err != nil || !haveUC {
		return ErrStateDecode
	}
	var haveAuth bool
	err = walk(uc, func(f pfield) error {
		var err error
		switch {
		case f.num == 1:
			b.epoch, err = f.uint()
		case f.num == 2:
			haveAuth = true
			var ab []byte
			if ab, err = f.sub(); err != nil {
				return err
			}
			err = walk(ab, func(g pfield) error {
				var err error
				switch g.num {
				case 1:
					b.auth.rootKey, err = g.bytes()
				case 2:
					b.auth.macKey, err = g.bytes()
				}
				return err
			})
		case int(f.num) >= 3 && int(f.num) < 3+len(l.uc):
			*b.field(l.uc[f.num-3]), err = f.bytes()
		}
		return err
	})
	if err != nil || !haveAuth || len(b.auth.rootKey) != 32 || len(b.auth.macKey) != 32 || b.epoch == 0 {
		return ErrStateDecode
	}
	for i, f := range l.uc {
		if len(*b.field(f)) != l.sizes[i] {
			return ErrStateDecode
		}
	}
	if l.encField != 0 {
		if !haveEnc {
			return ErrStateDecode
		}
		if err := parseEncoder(encB, l.encMsg, enc); err != nil {
			return err
		}
		b.enc = enc
	}
	if l.decField != 0 {
		if !haveDec {
			return ErrStateDecode
		}
		if err := parseDecoder(decB, l.decMsg, dec); err != nil {
			return err
		}
		b.dec = dec
	}
	return nil
}

func parseEncoder(buf []byte, msgLen int, e *erasure.Encoder) error {
	var points, polys [erasure.NumPolys + 1][]byte
	s := erasure.EncoderState{Points: points[:0], Polys: polys[:0]}
	err := walk(buf, func(f pfield) error {
		var err error
		var v []byte
		switch f.num {
		case 1:
			s.Index, err = f.uint32()
		case 2:
			v, err = f.sub()
			s.Points = append(s.Points, v)
		case 3:
			v, err = f.sub()
			s.Polys = append(s.Polys, v)
		}
		if len(s.Points) > erasure.NumPolys || len(s.Polys) > erasure.NumPolys {
			return ErrStateDecode
		}
		return err
	})
	if err != nil || e.SetState(s, (msgLen+erasure.ChunkSize-1)/erasure.ChunkSize) != nil {
		return ErrStateDecode
	}
	return nil
}

func parseDecoder(buf []byte, msgLen int, d *erasure.Decoder) error {
	var points [erasure.NumPolys + 1][]byte
	s := erasure.DecoderState{Points: points[:0]}
	err := walk(buf, func(f pfield) error {
		var err error
		var v uint64
		var p []byte
		switch f.num {
		case 1:
			s.PtsNeeded, err = f.uint32()
		case 2:
			s.Polys, err = f.uint32()
		case 3:
			p, err = f.sub()
			s.Points = append(s.Points, p)
			if len(s.Points) > erasure.NumPolys {
				return ErrStateDecode
			}
		case 4:
			v, err = f.uint()
			s.IsComplete = v != 0
		}
		return err
	})
	if err != nil || d.SetState(s, msgLen) != nil {
		return ErrStateDecode
	}
	return nil
}
