package pqr

import (
	"crypto/hmac"
	"errors"
	"fmt"
)

// Phase is a state of the Braid. The first five belong to the party that
// sends an encapsulation key in the current epoch (send_ek), the others to
// the party that sends the ciphertext (send_ct). Alice starts in
// KeysUnsampled, Bob in NoHeaderReceived, both in epoch 1; the roles swap
// at each new epoch.
type Phase int

// Phases, named as in the ML-KEM Braid specification's chunked states.
const (
	KeysUnsampled Phase = iota
	KeysSampled
	HeaderSent
	Ct1Received
	EkSentCt1Received
	NoHeaderReceived
	HeaderReceived
	Ct1Sampled
	EkReceivedCt1Sampled
	Ct1Acknowledged
	Ct2Sampled
)

var phaseNames = [...]string{"KeysUnsampled", "KeysSampled", "HeaderSent", "Ct1Received", "EkSentCt1Received",
	"NoHeaderReceived", "HeaderReceived", "Ct1Sampled", "EkReceivedCt1Sampled", "Ct1Acknowledged", "Ct2Sampled"}

// String returns the phase's name as the transcripts spell it.
func (p Phase) String() string { return phaseNames[p] }

// Type is an SPQR message type (the byte after epoch and index).
type Type byte

// Message types.
const (
	TypeNone     Type = 0
	TypeHdr      Type = 1
	TypeEk       Type = 2
	TypeEkCt1Ack Type = 3
	TypeCt1Ack   Type = 4
	TypeCt1      Type = 5
	TypeCt2      Type = 6
)

var typeNames = [...]string{"None", "Hdr", "Ek", "EkCt1Ack", "Ct1Ack", "Ct1", "Ct2"}

// String returns the type's name as the transcripts spell it.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", byte(t))
}

func (t Type) hasChunk() bool { return t != TypeNone && t != TypeCt1Ack }

// Errors of the Braid.
var (
	ErrMAC       = errors.New("pqr: MAC verification failed")
	ErrErroneous = errors.New("pqr: encapsulation key does not match its header")
)

// braid is one party's Braid state.
type braid struct {
	phase Phase
	epoch uint64
	auth  auth

	// send_ek
	keys   keys
	hdrEnc *encoder
	ekEnc  *encoder
	ct1Dec *decoder
	ct1    []byte
	ct2Dec *decoder
	// send_ct
	hdrDec *decoder
	hdr    []byte
	ekDec  *decoder
	ek     []byte
	ct1Enc *encoder
	ct2    []byte // the rest of the ciphertext, known since encapsulate1
	ct2Enc *encoder
}

func (b *braid) clone() *braid {
	c := *b
	c.auth = auth{root: append([]byte(nil), b.auth.root...), mac: append([]byte(nil), b.auth.mac...)}
	c.hdrEnc, c.ekEnc, c.ct1Enc, c.ct2Enc = b.hdrEnc.clone(), b.ekEnc.clone(), b.ct1Enc.clone(), b.ct2Enc.clone()
	c.ct1Dec, c.ct2Dec, c.hdrDec, c.ekDec = b.ct1Dec.clone(), b.ct2Dec.clone(), b.hdrDec.clone(), b.ekDec.clone()
	return &c
}

// draw reads n bytes of randomness.
type drawFunc func(n int) ([]byte, error)

// EpochSecret is a new epoch's secret, mixed into the chain.
type EpochSecret struct {
	Epoch  uint64
	Secret []byte
}

func mustEncoder(msg []byte) *encoder {
	e, err := newEncoder(msg)
	if err != nil {
		panic(err) // fixed even lengths
	}
	return e
}

// send returns the message type and chunk to send, and an epoch secret when
// this send creates one (the encapsulation, HeaderReceived -> Ct1Sampled).
func (b *braid) send(draw drawFunc) (Type, Chunk, *EpochSecret, error) {
	switch b.phase {
	case KeysUnsampled:
		seed, err := draw(KeygenSeedSize)
		if err != nil {
			return 0, Chunk{}, nil, err
		}
		k, err := generate(seed)
		if err != nil {
			return 0, Chunk{}, nil, err
		}
		b.keys = k
		mac := b.auth.tag(hdrMACLabel, b.epoch, k.hdr)
		b.hdrEnc = mustEncoder(append(append([]byte(nil), k.hdr...), mac...))
		b.phase = KeysSampled
		return TypeHdr, b.hdrEnc.nextChunk(), nil, nil
	case KeysSampled:
		return TypeHdr, b.hdrEnc.nextChunk(), nil, nil
	case HeaderSent:
		return TypeEk, b.ekEnc.nextChunk(), nil, nil
	case Ct1Received:
		return TypeEkCt1Ack, b.ekEnc.nextChunk(), nil, nil
	case EkSentCt1Received:
		return TypeCt1Ack, Chunk{}, nil, nil
	case NoHeaderReceived, Ct1Acknowledged:
		return TypeNone, Chunk{}, nil, nil
	case HeaderReceived:
		m, err := draw(EncapsRandSize)
		if err != nil {
			return 0, Chunk{}, nil, err
		}
		ct1, ct2, k, err := encapsulate1(b.hdr, m)
		if err != nil {
			return 0, Chunk{}, nil, err
		}
		secret := sckaKey(k, b.epoch)
		b.auth.update(b.epoch, secret)
		b.ct1, b.ct2 = ct1, ct2
		b.ct1Enc = mustEncoder(ct1)
		b.ekDec = newDecoder(EKSize)
		b.phase = Ct1Sampled
		return TypeCt1, b.ct1Enc.nextChunk(), &EpochSecret{Epoch: b.epoch, Secret: secret}, nil
	case Ct1Sampled, EkReceivedCt1Sampled:
		return TypeCt1, b.ct1Enc.nextChunk(), nil, nil
	case Ct2Sampled:
		return TypeCt2, b.ct2Enc.nextChunk(), nil, nil
	}
	return 0, Chunk{}, nil, fmt.Errorf("pqr: bad phase %d", b.phase)
}

// startCt2 prepares ct2 || MAC(ct1 || ct2) for sending.
func (b *braid) startCt2() {
	mac := b.auth.tag(ctMACLabel, b.epoch, append(append([]byte(nil), b.ct1...), b.ct2...))
	b.ct2Enc = mustEncoder(append(append([]byte(nil), b.ct2...), mac...))
	b.phase = Ct2Sampled
}

// recv processes a message of the given epoch, type and chunk. It returns
// an epoch secret when the message completes an epoch (the ciphertext's
// last chunk on the send_ek side).
func (b *braid) recv(epoch uint64, t Type, c Chunk) (*EpochSecret, error) {
	if b.phase == Ct2Sampled && epoch == b.epoch+1 {
		// The peer has finished the epoch: we send the next key.
		b.epoch++
		b.phase = KeysUnsampled
		b.ct1, b.ct2, b.hdr, b.ek = nil, nil, nil, nil
		b.ct1Enc, b.ct2Enc, b.ekDec, b.hdrDec = nil, nil, nil, nil
		return nil, nil
	}
	if epoch > b.epoch {
		return nil, fmt.Errorf("%w: message epoch %d, state epoch %d", ErrEpochOutOfRange, epoch, b.epoch)
	}
	if epoch < b.epoch {
		return nil, nil
	}
	switch b.phase {
	case KeysSampled:
		if t == TypeCt1 {
			b.ct1Dec = newDecoder(CT1Size)
			b.ct1Dec.add(c)
			b.ekEnc = mustEncoder(b.keys.ek)
			b.phase = HeaderSent
		}
	case HeaderSent:
		if t == TypeCt1 {
			b.ct1Dec.add(c)
			if m := b.ct1Dec.message(); m != nil {
				b.ct1, b.ct1Dec = m, nil
				b.phase = Ct1Received
			}
		}
	case Ct1Received:
		if t == TypeCt2 {
			b.ct2Dec = newDecoder(CT2Size + MACSize)
			b.ct2Dec.add(c)
			b.phase = EkSentCt1Received
			// SPQR does not try to decode after this first chunk (a
			// ct2 needs five chunks).
		}
	case EkSentCt1Received:
		if t == TypeCt2 {
			b.ct2Dec.add(c)
			m := b.ct2Dec.message()
			if m == nil {
				return nil, nil
			}
			ct2, mac := m[:CT2Size], m[CT2Size:]
			k, err := b.keys.dk.Decapsulate(append(append([]byte(nil), b.ct1...), ct2...))
			if err != nil {
				return nil, err
			}
			secret := sckaKey(k, b.epoch)
			b.auth.update(b.epoch, secret)
			want := b.auth.tag(ctMACLabel, b.epoch, append(append([]byte(nil), b.ct1...), ct2...))
			if !hmac.Equal(want, mac) {
				return nil, ErrMAC
			}
			es := &EpochSecret{Epoch: b.epoch, Secret: secret}
			b.epoch++
			b.phase = NoHeaderReceived
			b.keys, b.hdrEnc, b.ekEnc, b.ct1, b.ct2Dec = keys{}, nil, nil, nil, nil
			b.hdrDec = newDecoder(HeaderSize + MACSize)
			return es, nil
		}
	case NoHeaderReceived:
		if t == TypeHdr {
			b.hdrDec.add(c)
			m := b.hdrDec.message()
			if m == nil {
				return nil, nil
			}
			hdr, mac := m[:HeaderSize], m[HeaderSize:]
			if !hmac.Equal(b.auth.tag(hdrMACLabel, b.epoch, hdr), mac) {
				return nil, ErrMAC
			}
			b.hdr, b.hdrDec = hdr, nil
			b.phase = HeaderReceived
		}
	case Ct1Sampled:
		ack := t == TypeEkCt1Ack
		if t != TypeEk && !ack {
			return nil, nil
		}
		b.ekDec.add(c)
		if m := b.ekDec.message(); m != nil {
			if !ekMatchesHeader(m, b.hdr) {
				return nil, ErrErroneous
			}
			b.ek, b.ekDec = m, nil
			if ack {
				b.startCt2()
			} else {
				b.phase = EkReceivedCt1Sampled
			}
		} else if ack {
			b.phase = Ct1Acknowledged
		}
	case EkReceivedCt1Sampled:
		if t == TypeCt1Ack || t == TypeEkCt1Ack {
			b.startCt2()
		}
	case Ct1Acknowledged:
		if t == TypeEk || t == TypeEkCt1Ack {
			b.ekDec.add(c)
			if m := b.ekDec.message(); m != nil {
				if !ekMatchesHeader(m, b.hdr) {
					return nil, ErrErroneous
				}
				b.ek, b.ekDec = m, nil
				b.startCt2()
			}
		}
	}
	return nil, nil
}
