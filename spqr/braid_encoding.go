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

var layouts = map[stateKind]layout{
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

// appendProto appends the V1State message body.
func (b *braid) appendProto(dst []byte) []byte {
	l := layouts[b.kind]
	return appendMessage(dst, protowire.Number(b.kind), func(c []byte) []byte {
		c = appendMessage(c, 1, func(u []byte) []byte {
			u = appendVarintField(u, 1, b.epoch)
			u = appendMessage(u, 2, func(a []byte) []byte {
				a = appendBytesField(a, 1, b.auth.rootKey)
				return appendBytesField(a, 2, b.auth.macKey)
			})
			for i, f := range l.uc {
				u = appendBytesField(u, protowire.Number(3+i), *b.field(f))
			}
			return u
		})
		// Fields in number order: 2 before 3.
		for num := protowire.Number(2); num <= 3; num++ {
			switch num {
			case l.encField:
				c = appendMessage(c, num, func(e []byte) []byte { return appendEncoder(e, b.enc) })
			case l.decField:
				c = appendMessage(c, num, func(d []byte) []byte { return appendDecoder(d, b.dec) })
			}
		}
		return c
	})
}

func appendEncoder(dst []byte, e *erasure.Encoder) []byte {
	s := e.State()
	dst = appendVarintField(dst, 1, uint64(s.Index))
	for _, p := range s.Points {
		dst = appendRepeatedBytes(dst, 2, p)
	}
	for _, p := range s.Polys {
		dst = appendRepeatedBytes(dst, 3, p)
	}
	return dst
}

func appendDecoder(dst []byte, d *erasure.Decoder) []byte {
	s := d.State()
	dst = appendVarintField(dst, 1, uint64(s.PtsNeeded))
	dst = appendVarintField(dst, 2, uint64(s.Polys))
	for _, p := range s.Points {
		dst = appendRepeatedBytes(dst, 3, p)
	}
	if s.IsComplete {
		dst = appendVarintField(dst, 4, 1)
	}
	return dst
}

// parseBraid parses a V1State message.
func parseBraid(buf []byte) (*braid, error) {
	b := new(braid)
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
		return nil, ErrStateDecode
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
		return nil, ErrStateDecode
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
		return nil, ErrStateDecode
	}
	for i, f := range l.uc {
		if len(*b.field(f)) != l.sizes[i] {
			return nil, ErrStateDecode
		}
	}
	if l.encField != 0 {
		if !haveEnc {
			return nil, ErrStateDecode
		}
		if b.enc, err = parseEncoder(encB, l.encMsg); err != nil {
			return nil, err
		}
	}
	if l.decField != 0 {
		if !haveDec {
			return nil, ErrStateDecode
		}
		if b.dec, err = parseDecoder(decB, l.decMsg); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func parseEncoder(buf []byte, msgLen int) (*erasure.Encoder, error) {
	var s erasure.EncoderState
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
	if err != nil {
		return nil, ErrStateDecode
	}
	e, err := erasure.NewEncoderFromState(s, (msgLen+erasure.ChunkSize-1)/erasure.ChunkSize)
	if err != nil {
		return nil, ErrStateDecode
	}
	return e, nil
}

func parseDecoder(buf []byte, msgLen int) (*erasure.Decoder, error) {
	var s erasure.DecoderState
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
	if err != nil {
		return nil, ErrStateDecode
	}
	d, err := erasure.NewDecoderFromState(s, msgLen)
	if err != nil {
		return nil, ErrStateDecode
	}
	return d, nil
}
