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
	if b.pristine {
		return len(b.stored.raw)
	}
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
		es = encoderSize(b)
	}
	if l.decField != 0 {
		ds = decoderSize(b)
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
	if b.pristine {
		return append(dst, b.stored.raw...)
	}
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
			dst = appendEncoder(appendLen(dst, num, es), b)
		case l.decField:
			dst = appendDecoder(appendLen(dst, num, ds), b)
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

// encoderSize is the size of b's encoder, decoded or as stored.
func encoderSize(b *braid) int {
	e := b.enc
	if e == nil {
		return len(b.stored.enc)
	}
	n := sizeVarintField(1, uint64(e.NextIndex()))
	num := encoderNum(e)
	for j := range erasure.NumPolys {
		n += sizeMessage(num, e.StateEntryLen(j))
	}
	return n
}

func appendEncoder(dst []byte, b *braid) []byte {
	e := b.enc
	if e == nil {
		return append(dst, b.stored.enc...)
	}
	dst = appendVarintField(dst, 1, uint64(e.NextIndex()))
	num := encoderNum(e)
	for j := range erasure.NumPolys {
		dst = e.AppendStateEntry(appendLen(dst, num, e.StateEntryLen(j)), j)
	}
	return dst
}

// decoderSize is the size of b's decoder, decoded or as stored.
func decoderSize(b *braid) int {
	d := b.dec
	if d == nil {
		return len(b.stored.dec)
	}
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

func appendDecoder(dst []byte, b *braid) []byte {
	d := b.dec
	if d == nil {
		return append(dst, b.stored.dec...)
	}
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

// parseBraid parses a V1State message into b, with its stored form in st
// (room the caller allocated with b). Its encoder and decoder are checked
// but kept as stored.
func parseBraid(buf []byte, b *braid, st *storedBraid) error {
	*st = storedBraid{raw: buf[:len(buf):len(buf)]}
	*b = braid{}
	var inner []byte
	r := fields{b: buf}
	var f pfield
	for r.next(&f) {
		if f.num >= 1 && f.num <= 11 {
			if f.typ != protowire.BytesType {
				return ErrStateDecode
			}
			b.kind, inner = stateKind(f.num), f.b // last oneof case wins, as in protobuf
		}
	}
	if r.bad || b.kind == 0 {
		return ErrStateDecode
	}
	l := &layouts[b.kind]
	var uc, encB, decB []byte
	var haveUC, haveEnc, haveDec bool
	r = fields{b: inner}
	for r.next(&f) {
		switch {
		case f.num == 1:
			uc, haveUC = f.b, true
		case f.num == l.encField && l.encField != 0:
			encB, haveEnc = f.b, true
		case f.num == l.decField && l.decField != 0:
			decB, haveDec = f.b, true
		default:
			continue
		}
		if f.typ != protowire.BytesType {
			return ErrStateDecode
		}
	}
	if r.bad || !haveUC {
		return ErrStateDecode
	}
	var haveAuth bool
	r = fields{b: uc}
	for r.next(&f) {
		var err error
		switch {
		case f.num == 1:
			b.epoch, err = f.uint()
		case f.num == 2:
			if f.typ != protowire.BytesType {
				return ErrStateDecode
			}
			haveAuth = true
			err = parseAuth(f.b, &b.auth)
		case int(f.num) >= 3 && int(f.num) < 3+len(l.uc):
			*b.field(l.uc[f.num-3]), err = f.bytes()
		}
		if err != nil {
			return ErrStateDecode
		}
	}
	if r.bad || !haveAuth || len(b.auth.rootKey) != 32 || len(b.auth.macKey) != 32 || b.epoch == 0 {
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
		if err := parseEncoder(encB, l.encMsg, nil); err != nil {
			return err
		}
		st.enc = encB[:len(encB):len(encB)]
	}
	if l.decField != 0 {
		if !haveDec {
			return ErrStateDecode
		}
		if err := parseDecoder(decB, l.decMsg, nil); err != nil {
			return err
		}
		st.dec = decB[:len(decB):len(decB)]
	}
	b.stored, b.pristine = st, true
	return nil
}

// parseAuth parses a stored authenticator into a.
func parseAuth(buf []byte, a *authenticator) error {
	r := fields{b: buf}
	var f pfield
	for r.next(&f) {
		var err error
		switch f.num {
		case 1:
			a.rootKey, err = f.bytes()
		case 2:
			a.macKey, err = f.bytes()
		}
		if err != nil {
			return err
		}
	}
	return r.err()
}

// parseEncoder parses a stored PolynomialEncoder into e, or only checks it
// if e is nil.
func parseEncoder(buf []byte, msgLen int, e *erasure.Encoder) error {
	var points, polys [erasure.NumPolys][]byte
	s := erasure.EncoderState{Points: points[:0], Polys: polys[:0]}
	r := fields{b: buf}
	var f pfield
	for {
		// The fast path of case 2 and 3: a stored encoder has 16 entries
		// of one of the two fields.
		if v, ok := r.entry(0x12); ok { // field 2, bytes
			if len(s.Points) == erasure.NumPolys || len(s.Polys) == erasure.NumPolys {
				return ErrStateDecode
			}
			s.Points = append(s.Points, v)
			continue
		}
		if v, ok := r.entry(0x1a); ok { // field 3, bytes
			if len(s.Points) == erasure.NumPolys || len(s.Polys) == erasure.NumPolys {
				return ErrStateDecode
			}
			s.Polys = append(s.Polys, v)
			continue
		}
		if !r.next(&f) {
			break
		}
		var err error
		switch f.num {
		case 1:
			s.Index, err = f.uint32()
		case 2, 3:
			if f.typ != protowire.BytesType || len(s.Points) == erasure.NumPolys || len(s.Polys) == erasure.NumPolys {
				return ErrStateDecode
			}
			if f.num == 2 {
				s.Points = append(s.Points, f.b)
			} else {
				s.Polys = append(s.Polys, f.b)
			}
		}
		if err != nil {
			return err
		}
	}
	if r.bad {
		return ErrStateDecode
	}
	maxValues := (msgLen + erasure.ChunkSize - 1) / erasure.ChunkSize
	var err error
	if e == nil {
		err = s.Check(maxValues)
	} else {
		err = e.SetState(s, maxValues)
	}
	if err != nil {
		return ErrStateDecode
	}
	return nil
}

// parseDecoder parses a stored PolynomialDecoder into d, or only checks it
// if d is nil.
func parseDecoder(buf []byte, msgLen int, d *erasure.Decoder) error {
	var points [erasure.NumPolys][]byte
	s := erasure.DecoderState{Points: points[:0]}
	r := fields{b: buf}
	var f pfield
	for {
		if v, ok := r.entry(0x1a); ok { // field 3, bytes: the fast path of case 3
			if len(s.Points) == erasure.NumPolys {
				return ErrStateDecode
			}
			s.Points = append(s.Points, v)
			continue
		}
		if !r.next(&f) {
			break
		}
		var err error
		var v uint64
		switch f.num {
		case 1:
			s.PtsNeeded, err = f.uint32()
		case 2:
			s.Polys, err = f.uint32()
		case 3:
			if f.typ != protowire.BytesType || len(s.Points) == erasure.NumPolys {
				return ErrStateDecode
			}
			s.Points = append(s.Points, f.b)
		case 4:
			v, err = f.uint()
			s.IsComplete = v != 0
		}
		if err != nil {
			return err
		}
	}
	if r.bad {
		return ErrStateDecode
	}
	var err error
	if d == nil {
		err = s.Check(msgLen)
	} else {
		err = d.SetState(s, msgLen)
	}
	if err != nil {
		return ErrStateDecode
	}
	return nil
}
