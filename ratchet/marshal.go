package ratchet

import (
	"encoding/binary"

	"github.com/forwardsecret/signal/curve"
)

// Encoding of a State (MarshalBinary), version 1. All integers big-endian.
//
//	"DR" 0x01
//	root key (32) || previous counter (4) || flags (1: bit 0 = sending chain)
//	[sending chain: private key (32) || chain key (32) || index (4)]
//	receiving chains (1) × {ratchet key u (32) || chain key (32) || index (4)
//	    || floor (4) || skipped keys (2) × {index (4) || kind (1)
//	    || kind 0: seed (32) | kind 1: cipher key (32) || MAC key (32) || IV (16)}}
//	dropped ratchet keys (1) × u (32)
//
// Skipped keys are in ascending index order. The encoding is canonical: a
// state always encodes to the same bytes, so equal encodings mean equal
// states.
const (
	encodingVersion = 1
	flagSending     = 1
)

var encodingMagic = [2]byte{'D', 'R'}

// MarshalBinary returns the versioned binary encoding of the state. The
// encoding holds every secret of the state; store it as such.
func (s *State) MarshalBinary() ([]byte, error) {
	return s.AppendBinary(nil)
}

// AppendBinary appends the encoding of MarshalBinary to b.
func (s *State) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, encodingMagic[0], encodingMagic[1], encodingVersion)
	b = append(b, s.root[:]...)
	b = be32(b, s.prev)
	if !s.hasSend {
		b = append(b, 0)
	} else {
		b = append(b, flagSending)
		priv := s.send.Private.Bytes()
		b = append(b, priv...)
		clear(priv)
		b = append(b, s.sendCK[:]...)
		b = be32(b, s.sendN)
	}
	b = append(b, byte(len(s.recv)))
	for i := range s.recv {
		c := &s.recv[i]
		u := c.pub.U()
		b = append(b, u[:]...)
		b = append(b, c.ck[:]...)
		b = be32(b, c.n)
		b = be32(b, c.floor)
		b = binary.BigEndian.AppendUint16(b, uint16(len(c.skipped)))
		for _, sk := range c.skipped {
			b = be32(b, sk.n)
			if lk := c.legacyKeys(sk.n); lk == nil {
				b = append(b, 0)
				b = append(b, sk.seed[:]...)
			} else {
				b = append(b, 1)
				b = append(b, lk.Cipher[:]...)
				b = append(b, lk.MAC[:]...)
				b = append(b, lk.IV[:]...)
			}
		}
	}
	b = append(b, byte(len(s.dropped)))
	for _, pub := range s.dropped {
		u := pub.U()
		b = append(b, u[:]...)
	}
	return b, nil
}

// UnmarshalBinary replaces s by the state encoded in data. It returns an
// error wrapping ErrInvalidState, and leaves s unchanged, if data is not
// exactly one valid encoding (unknown version, truncation, trailing bytes,
// or content that FromSnapshot rejects). The settings of a usable s
// (SetMaxForwardJump, SetSuite), which are not encoded, are kept.
func (s *State) UnmarshalBinary(data []byte) error {
	sn, err := parseSnapshot(data)
	if err != nil {
		return err
	}
	ns, err := FromSnapshot(sn)
	if err != nil {
		return err
	}
	if s.k != nil && s.maxJump != 0 {
		ns.maxJump = s.maxJump // the setting is not encoded; keep it
	}
	ns.SetSuite(s.suite) // nor is this one (the zero Suite on a zero State)
	*s = *ns
	return nil
}

type reader struct {
	b   []byte
	bad bool
}

func (r *reader) take(n int) []byte {
	if r.bad || len(r.b) < n {
		r.bad = true
		return make([]byte, n)
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u8() byte       { return r.take(1)[0] }
func (r *reader) u16() uint16    { return binary.BigEndian.Uint16(r.take(2)) }
func (r *reader) u32() uint32    { return binary.BigEndian.Uint32(r.take(4)) }
func (r *reader) key(dst []byte) { copy(dst, r.take(len(dst))) }

func (r *reader) pub() curve.PublicKey {
	p, _ := curve.NewPublicKey(r.take(32)) // 32 bytes: cannot fail
	return p
}

func parseSnapshot(data []byte) (*Snapshot, error) {
	r := &reader{b: data}
	if m := r.take(3); r.bad || m[0] != encodingMagic[0] || m[1] != encodingMagic[1] {
		return nil, invalid("not a ratchet state encoding")
	} else if m[2] != encodingVersion {
		return nil, invalid("unknown encoding version %d", m[2])
	}
	sn := &Snapshot{}
	r.key(sn.RootKey[:])
	sn.PreviousCounter = r.u32()
	switch flags := r.u8(); flags {
	case 0:
	case flagSending:
		priv, err := curve.NewPrivateKey(r.take(curve.PrivateKeySize))
		if err != nil {
			return nil, invalid("sending chain: %v", err)
		}
		sc := &SenderChain{RatchetKey: curve.NewKeyPair(priv)}
		r.key(sc.ChainKey.Key[:])
		sc.ChainKey.Index = r.u32()
		sn.Sender = sc
	default:
		return nil, invalid("unknown flags 0x%02x", flags)
	}
	nr := int(r.u8())
	if nr > MaxReceiverChains {
		return nil, invalid("%d receiving chains, more than MaxReceiverChains (%d)", nr, MaxReceiverChains)
	}
	for i := 0; i < nr && !r.bad; i++ {
		rc := ReceiverChain{RatchetKey: r.pub()}
		r.key(rc.ChainKey.Key[:])
		rc.ChainKey.Index = r.u32()
		rc.SkippedFloor = r.u32()
		ns := int(r.u16())
		if ns > MaxSkippedKeysPerChain {
			return nil, invalid("receiving chain %d stores %d skipped keys, more than MaxSkippedKeysPerChain (%d)", i, ns, MaxSkippedKeysPerChain)
		}
		if len(r.b) < ns*(4+1+KeySize) {
			return nil, invalid("truncated encoding")
		}
		if ns > 0 {
			rc.Skipped = make([]SkippedKey, ns)
		}
		for j := 0; j < ns && !r.bad; j++ {
			var sk SkippedKey
			sk.Index = r.u32()
			switch kind := r.u8(); kind {
			case 0:
				r.key(sk.Seed[:])
			case 1:
				keys := &MessageKeys{}
				r.key(keys.Cipher[:])
				r.key(keys.MAC[:])
				r.key(keys.IV[:])
				sk.Keys = keys
			default:
				return nil, invalid("unknown skipped-key kind %d", kind)
			}
			if j > 0 && sk.Index <= rc.Skipped[j-1].Index {
				return nil, invalid("receiving chain %d: skipped keys out of order", i)
			}
			if !r.bad {
				rc.Skipped[j] = sk
			}
		}
		sn.Receivers = append(sn.Receivers, rc)
	}
	nd := int(r.u8())
	if nd > MaxReceiverChains {
		return nil, invalid("%d dropped ratchet keys, more than MaxReceiverChains (%d)", nd, MaxReceiverChains)
	}
	for i := 0; i < nd && !r.bad; i++ {
		sn.DroppedRatchetKeys = append(sn.DroppedRatchetKeys, r.pub())
	}
	if r.bad {
		return nil, invalid("truncated encoding")
	}
	if len(r.b) != 0 {
		return nil, invalid("%d trailing bytes", len(r.b))
	}
	return sn, nil
}
