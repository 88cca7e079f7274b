package spqr

import (
	"github.com/forwardsecret/signal/internal/erasure"
	"github.com/forwardsecret/signal/internal/mlkem768"
)

// The ML-KEM Braid (SPQR V1) state machine. Each side is either the
// encapsulation-key sender ("send_ek": KeysUnsampled … EkSentCt1Received) or
// the ciphertext sender ("send_ct": NoHeaderReceived … Ct2Sampled) for the
// current epoch; the roles swap at each epoch. Alice starts as send_ek,
// Bob as send_ct, both in epoch 1.
//
//	send_ek                                send_ct
//	KeysUnsampled ──send: Hdr──►           NoHeaderReceived ──all Hdr chunks──►
//	KeysSampled   ──recv Ct1──►            HeaderReceived   ──send: Ct1 (epoch secret)──►
//	HeaderSent    ──all Ct1 chunks──►      Ct1Sampled ──Ek+ack / Ek / ack──►
//	Ct1Received   ──recv Ct2──►              EkReceivedCt1Sampled / Ct1Acknowledged ──►
//	EkSentCt1Received ──all Ct2 chunks       Ct2Sampled ──recv epoch+1──► KeysUnsampled
//	  (epoch secret)──► NoHeaderReceived(epoch+1)
//
// The kinds are numbered as the fields of SPQR's V1State oneof.
type stateKind int

const (
	kindKeysUnsampled        stateKind = 1
	kindKeysSampled          stateKind = 2
	kindHeaderSent           stateKind = 3
	kindCt1Received          stateKind = 4
	kindEkSentCt1Received    stateKind = 5
	kindNoHeaderReceived     stateKind = 6
	kindHeaderReceived       stateKind = 7
	kindCt1Sampled           stateKind = 8
	kindEkReceivedCt1Sampled stateKind = 9
	kindCt1Acknowledged      stateKind = 10
	kindCt2Sampled           stateKind = 11
)

var kindNames = [...]string{"", "KeysUnsampled", "KeysSampled", "HeaderSent", "Ct1Received",
	"EkSentCt1Received", "NoHeaderReceived", "HeaderReceived", "Ct1Sampled",
	"EkReceivedCt1Sampled", "Ct1Acknowledged", "Ct2Sampled"}

// String names the state as SPQR does.
func (k stateKind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "invalid"
}

// Sizes of the values the Braid sends in chunks.
const (
	hdrMsgSize = mlkem768.HeaderSize + macSize      // header || MAC
	ekMsgSize  = mlkem768.EncapsulationKeySize      // encapsulation vector
	ct1MsgSize = mlkem768.Ciphertext1Size           // ct1
	ct2MsgSize = mlkem768.Ciphertext2Size + macSize // ct2 || MAC
)

// braid is one side's Braid state. Which fields are set depends on kind.
type braid struct {
	kind  stateKind
	epoch uint64
	auth  authenticator
	ek    []byte           // KeysSampled (our ek); EkReceivedCt1Sampled (peer's ek)
	dk    []byte           // send_ek states from KeysSampled on
	hdr   []byte           // HeaderReceived, Ct1Sampled, Ct1Acknowledged
	es    []byte           // Ct1Sampled, EkReceivedCt1Sampled, Ct1Acknowledged
	ct1   []byte           // Ct1Received, EkSentCt1Received; Ct1Sampled… (ours)
	enc   *erasure.Encoder // nil with a stored encoder (see stored)
	dec   *erasure.Decoder // nil with a stored decoder (see stored)
	// stored is what a parsed braid was parsed from (nil in a braid that
	// steps made from scratch): while pristine, b re-encodes as it (as it
	// is after most messages of a one-way run). Its encoder and decoder
	// stay as stored (checked, not decoded) until a step advances them,
	// decoding them into its own copy; a braid uses the stored one where
	// its layout has an encoder or decoder and enc or dec is nil (the
	// state machine never sets them to nil in a state that has them).
	stored   *storedBraid
	pristine bool
}

// storedBraid is a parsed braid's stored form: the V1State message, and
// within it the PolynomialEncoder and PolynomialDecoder messages (nil where
// the layout has none).
type storedBraid struct {
	raw, enc, dec []byte
}

// encoderInto sets e to a copy of b's encoder (decoding the stored one),
// which advances independently of b's.
func (b *braid) encoderInto(e *erasure.Encoder) {
	if b.enc != nil {
		*e = *b.enc
		return
	}
	if parseEncoder(b.stored.enc, layouts[b.kind].encMsg, e) != nil {
		panic("spqr: internal error: stored encoder no longer parses") // checked by parseBraid
	}
}

// decoderCopy returns a copy of b's decoder (decoding the stored one) with
// room for one more point per polynomial.
func (b *braid) decoderCopy() *erasure.Decoder {
	if b.dec != nil {
		return b.dec.Clone()
	}
	d := new(erasure.Decoder)
	if parseDecoder(b.stored.dec, layouts[b.kind].decMsg, d) != nil {
		panic("spqr: internal error: stored decoder no longer parses") // checked by parseBraid
	}
	return d
}

func newDecoder(n int) *erasure.Decoder {
	d, err := erasure.NewDecoder(n)
	if err != nil {
		panic("spqr: " + err.Error()) // unreachable: constant even sizes
	}
	return d
}

func newEncoder(msg []byte) *erasure.Encoder {
	e, err := erasure.NewEncoder(msg)
	if err != nil {
		panic("spqr: " + err.Error()) // unreachable: constant even sizes
	}
	return e
}

func initBraid(authKey []byte, dir Direction) *braid {
	b := &braid{epoch: 1, auth: newAuthenticator(authKey, 1)}
	if dir == A2B {
		b.kind = kindKeysUnsampled
	} else {
		b.kind = kindNoHeaderReceived
		b.dec = newDecoder(hdrMsgSize)
	}
	return b
}

// epochSecret is a new epoch's shared secret.
type epochSecret struct {
	epoch  uint64
	secret []byte
}

// with returns a shallow copy of b for a step to change. The copy shares
// b's byte slices, encoder and decoder: a step replaces them (or clones the
// encoder or decoder before advancing it) and never writes into them, so
// the States that hold b keep it as it was.
func (b *braid) with() *braid {
	n := *b
	n.pristine = false
	return &n
}

// send returns the state after one outgoing message (b itself when the
// message changes nothing), the message (without its chain index) and, when
// this message creates an epoch, the epoch secret. b is not changed.
func (b *braid) send() (*braid, Message, *epochSecret, error) {
	m := Message{Epoch: b.epoch, Type: TypeNone}
	var es *epochSecret
	switch b.kind {
	case kindKeysUnsampled:
		dk, err := mlkem768.GenerateKey()
		if err != nil {
			return nil, m, nil, err
		}
		hdr := dk.Header()
		b = b.with()
		b.ek, b.dk = dk.EncapsulationKey(), dk.Bytes()
		b.enc = newEncoder(append(hdr, b.auth.macHeader(b.epoch, hdr)...))
		b.kind = kindKeysSampled
		m.Type, m.Chunk = TypeHdr, b.enc.Next()
	case kindKeysSampled:
		b = b.withNextChunk(&m, TypeHdr)
	case kindHeaderSent:
		b = b.withNextChunk(&m, TypeEk)
	case kindCt1Received:
		b = b.withNextChunk(&m, TypeEkCt1Ack)
	case kindEkSentCt1Received:
		m.Type = TypeCt1Ack
	case kindNoHeaderReceived, kindCt1Acknowledged:
		m.Type = TypeNone
	case kindHeaderReceived:
		// Encapsulate to the header: this creates the epoch secret.
		ct1, st, ss, err := mlkem768.Encapsulate1(b.hdr)
		if err != nil {
			return nil, m, nil, err
		}
		secret := sckaKey(ss, b.epoch)
		b = b.with()
		b.auth.update(b.epoch, secret)
		b.es, b.ct1 = st.Bytes(), ct1
		b.enc = newEncoder(ct1)
		b.kind = kindCt1Sampled // keeps the ek decoder
		m.Type, m.Chunk = TypeCt1, b.enc.Next()
		es = &epochSecret{epoch: b.epoch, secret: secret}
	case kindCt1Sampled, kindEkReceivedCt1Sampled:
		b = b.withNextChunk(&m, TypeCt1)
	case kindCt2Sampled:
		b = b.withNextChunk(&m, TypeCt2)
	default:
		return nil, m, nil, ErrStateDecode
	}
	return b, m, es, nil
}

// withNextChunk returns a copy of b whose encoder (a copy too, in the same
// allocation) has given the next chunk, which it puts in m with type t.
func (b *braid) withNextChunk(m *Message, t MessageType) *braid {
	n := &struct {
		b   braid
		enc erasure.Encoder
	}{b: *b}
	b.encoderInto(&n.enc) // a copy of an Encoder value advances independently
	n.b.enc, n.b.pristine = &n.enc, false
	m.Type, m.Chunk = t, n.enc.Next()
	return &n.b
}

// withChunk returns a copy of b whose decoder holds chunk c too.
func (b *braid) withChunk(c erasure.Chunk) *braid {
	dec := b.decoderCopy()
	b = b.with()
	b.dec = dec
	b.dec.Add(c)
	return b
}

// recv returns the state after one incoming message (b itself when the
// message changes nothing) and the epoch secret when this message completes
// an epoch. b is not changed.
func (b *braid) recv(m *Message) (*braid, *epochSecret, error) {
	if m.Epoch > b.epoch {
		if b.kind == kindCt2Sampled && m.Epoch == b.epoch+1 {
			// The peer decapsulated: next epoch, roles swap.
			return &braid{kind: kindKeysUnsampled, epoch: b.epoch + 1, auth: b.auth}, nil, nil
		}
		return nil, nil, epochError(m.Epoch)
	}
	if m.Epoch < b.epoch {
		return b, nil, nil // late message from an earlier epoch: nothing to do
	}
	switch b.kind {
	case kindKeysSampled:
		if m.Type == TypeCt1 {
			// The peer has our header: start sending ek, collect ct1.
			b = b.with()
			b.dec = newDecoder(ct1MsgSize)
			b.dec.Add(m.Chunk)
			b.enc = newEncoder(b.ek)
			b.ek = nil
			b.kind = kindHeaderSent
		}
	case kindHeaderSent:
		if m.Type == TypeCt1 {
			b = b.withChunk(m.Chunk)
			if ct1, ok := b.dec.Message(); ok {
				b.ct1, b.dec = ct1, nil
				b.kind = kindCt1Received
			}
		}
	case kindCt1Received:
		if m.Type == TypeCt2 {
			b = b.with()
			b.dec = newDecoder(ct2MsgSize)
			b.dec.Add(m.Chunk)
			b.enc = nil
			b.kind = kindEkSentCt1Received
		}
	case kindEkSentCt1Received:
		if m.Type == TypeCt2 {
			b = b.withChunk(m.Chunk)
			if msg, ok := b.dec.Message(); ok {
				return b.finishEpoch(msg)
			}
		}
	case kindNoHeaderReceived:
		if m.Type == TypeHdr {
			b = b.withChunk(m.Chunk)
			if msg, ok := b.dec.Message(); ok {
				hdr, tag := msg[:mlkem768.HeaderSize], msg[mlkem768.HeaderSize:]
				if err := b.auth.verify(labelMACHeader, b.epoch, hdr, tag); err != nil {
					return nil, nil, err
				}
				b.hdr = hdr
				b.dec = newDecoder(ekMsgSize)
				b.kind = kindHeaderReceived
			}
		}
	case kindCt1Sampled, kindCt1Acknowledged:
		var ack bool
		switch m.Type {
		case TypeEkCt1Ack:
			ack = true
		case TypeEk:
		default:
			return b, nil, nil
		}
		b = b.withChunk(m.Chunk)
		if ek, ok := b.dec.Message(); ok {
			if err := mlkem768.CheckEncapsulationKey(b.hdr, ek); err != nil {
				return nil, nil, ErrErroneousData
			}
			if ack || b.kind == kindCt1Acknowledged {
				if err := b.sendCt2(ek); err != nil {
					return nil, nil, err
				}
				return b, nil, nil
			}
			b.ek, b.hdr, b.dec = ek, nil, nil
			b.kind = kindEkReceivedCt1Sampled // keeps the ct1 encoder
		} else if ack {
			b.enc = nil
			b.kind = kindCt1Acknowledged
		}
	case kindEkReceivedCt1Sampled:
		if m.Type == TypeCt1Ack || m.Type == TypeEkCt1Ack {
			b = b.with()
			if err := b.sendCt2(b.ek); err != nil {
				return nil, nil, err
			}
		}
	case kindKeysUnsampled, kindHeaderReceived, kindCt2Sampled:
	default:
		return nil, nil, ErrStateDecode
	}
	return b, nil, nil
}

// sendCt2 finishes the encapsulation with the peer's ek and starts sending
// ct2 || MAC. b must be a step's own copy (see with).
func (b *braid) sendCt2(ek []byte) error {
	st, err := mlkem768.ParseEncapsulationState(b.es)
	if err != nil {
		return ErrStateDecode
	}
	ct2, err := st.Encapsulate2(ek)
	if err != nil {
		return ErrErroneousData
	}
	tag := b.auth.macCiphertext(b.epoch, append(append([]byte{}, b.ct1...), ct2...))
	*b = braid{kind: kindCt2Sampled, epoch: b.epoch, auth: b.auth, enc: newEncoder(append(ct2, tag...))}
	return nil
}

// finishEpoch decapsulates ct1 || ct2, checks the MAC and moves to the next
// epoch as the ciphertext sender. b must be a step's own copy (see with).
func (b *braid) finishEpoch(msg []byte) (*braid, *epochSecret, error) {
	ct2, tag := msg[:mlkem768.Ciphertext2Size], msg[mlkem768.Ciphertext2Size:]
	dk, err := mlkem768.ParseDecapsulationKey(b.dk)
	if err != nil {
		return nil, nil, ErrStateDecode
	}
	ss, err := dk.Decapsulate(b.ct1, ct2)
	if err != nil {
		return nil, nil, ErrStateDecode
	}
	secret := sckaKey(ss, b.epoch)
	b.auth.update(b.epoch, secret)
	if err := b.auth.verify(labelMACCiphertext, b.epoch, append(append([]byte{}, b.ct1...), ct2...), tag); err != nil {
		return nil, nil, err
	}
	es := &epochSecret{epoch: b.epoch, secret: secret}
	*b = braid{kind: kindNoHeaderReceived, epoch: b.epoch + 1, auth: b.auth, dec: newDecoder(hdrMsgSize)}
	return b, es, nil
}
