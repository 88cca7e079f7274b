package he

import (
	"encoding/binary"
	"fmt"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/ratchet"
)

// Encoding of a State (MarshalBinary), version 1, big-endian:
//
//	"HE" 0x01 || flags (1: bit 0 sending chain, 1 receiving chain,
//	    2 sending header key, 3 receiving header key)
//	|| root (32) || our ratchet private key (32) || peer ratchet key u (32, zero if none)
//	|| sending chain key (32) || Ns (4) || PN (4) || receiving chain key (32) || Nr (4)
//	|| HKs (32) || NHKs (32) || HKr (32) || NHKr (32)
//	|| stored chains (1) × {header key (32) || keys (2) × {index (4) || message key (32)}}
const (
	heFlagCKs = 1 << iota
	heFlagCKr
	heFlagHKs
	heFlagHKr
	heFlagsAll = heFlagCKs | heFlagCKr | heFlagHKs | heFlagHKr
)

const encodingVersion = 1

var heMagic = [2]byte{'H', 'E'}

// MarshalBinary returns the versioned binary encoding of the state, which
// holds all its secrets.
func (s *State) MarshalBinary() ([]byte, error) {
	b := []byte{heMagic[0], heMagic[1], encodingVersion, 0}
	for _, f := range []struct {
		set  bool
		flag byte
	}{{s.hasCKs, heFlagCKs}, {s.hasCKr, heFlagCKr}, {s.hasHKs, heFlagHKs}, {s.hasHKr, heFlagHKr}} {
		if f.set {
			b[3] |= f.flag
		}
	}
	b = append(b, s.root[:]...)
	priv := s.dhs.Private.Bytes()
	b = append(b, priv...)
	clear(priv)
	u := s.dhr.U()
	b = append(b, u[:]...)
	b = append(b, s.cks[:]...)
	b = be32(b, s.ns)
	b = be32(b, s.pn)
	b = append(b, s.ckr[:]...)
	b = be32(b, s.nr)
	for _, k := range []*[keySize]byte{&s.hks, &s.nhks, &s.hkr, &s.nhkr} {
		b = append(b, k[:]...)
	}
	b = append(b, byte(len(s.skipped)))
	for _, c := range s.skipped {
		b = append(b, c.hk[:]...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(c.keys)))
		for _, sk := range c.keys {
			b = be32(b, sk.n)
			b = append(b, sk.seed[:]...)
		}
	}
	return b, nil
}

// UnmarshalBinary replaces s by the state encoded in data, or returns an
// error wrapping ratchet.ErrInvalidState and leaves s unchanged.
func (s *State) UnmarshalBinary(data []byte) error {
	r := &reader{b: data}
	m := r.take(4)
	if r.bad || m[0] != heMagic[0] || m[1] != heMagic[1] {
		return invalid("not a header-encryption state encoding")
	}
	if m[2] != encodingVersion {
		return invalid("unknown encoding version %d", m[2])
	}
	flags := m[3]
	if flags&^heFlagsAll != 0 {
		return invalid("unknown flags 0x%02x", flags)
	}
	ns := &State{k: newKDF()}
	ns.hasCKs, ns.hasCKr = flags&heFlagCKs != 0, flags&heFlagCKr != 0
	ns.hasHKs, ns.hasHKr = flags&heFlagHKs != 0, flags&heFlagHKr != 0
	r.key(ns.root[:])
	priv, err := curve.NewPrivateKey(r.take(curve.PrivateKeySize))
	if err != nil {
		return invalid("ratchet key: %v", err)
	}
	ns.dhs = curve.NewKeyPair(priv)
	ns.dhr = r.pub()
	r.key(ns.cks[:])
	ns.ns, ns.pn = r.u32(), r.u32()
	r.key(ns.ckr[:])
	ns.nr = r.u32()
	for _, k := range []*[keySize]byte{&ns.hks, &ns.nhks, &ns.hkr, &ns.nhkr} {
		r.key(k[:])
	}
	nc := int(r.u8())
	if nc > ratchet.MaxReceiverChains {
		return invalid("%d stored chains, more than MaxReceiverChains (%d)", nc, ratchet.MaxReceiverChains)
	}
	for i := 0; i < nc && !r.bad; i++ {
		var c heChain
		r.key(c.hk[:])
		for _, o := range ns.skipped {
			if o.hk == c.hk {
				return invalid("stored chain %d repeats a header key", i)
			}
		}
		nk := int(r.u16())
		if nk > ratchet.MaxSkippedKeysPerChain {
			return invalid("stored chain %d holds %d keys, more than MaxSkippedKeysPerChain (%d)", i, nk, ratchet.MaxSkippedKeysPerChain)
		}
		if nk == 0 {
			return invalid("stored chain %d is empty", i)
		}
		if len(r.b) < nk*(4+keySize) {
			return invalid("truncated encoding")
		}
		c.keys = make([]skippedKey, nk)
		for j := range c.keys {
			c.keys[j].n = r.u32()
			r.key(c.keys[j].seed[:])
			if j > 0 && c.keys[j].n <= c.keys[j-1].n {
				return invalid("stored chain %d: keys out of order", i)
			}
		}
		ns.skipped = append(ns.skipped, c)
	}
	if r.bad {
		return invalid("truncated encoding")
	}
	if len(r.b) != 0 {
		return invalid("%d trailing bytes", len(r.b))
	}
	*s = *ns
	return nil
}

// reader, invalid and be32 are package ratchet's decoding helpers of the
// same names.

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

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ratchet.ErrInvalidState}, args...)...)
}

// be32 appends v big-endian.
func be32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }
