// Package libparty implements the interop tests' peer.Party in-process with
// this library's session layer, so the library can be put into the same
// conversations as the real peers.
package libparty

import (
	"context"
	"fmt"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/interop/peer"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/x3dh"
)

// Party is the library as a conversation party.
type Party struct {
	label    string
	deviceID uint32
	regID    uint32
	Store    *memstore.Store
	M        *session.Manager
	kyberID  uint32
}

var _ peer.Party = (*Party)(nil)

// New returns a party with a fresh identity.
func New(label string, regID, deviceID uint32) (*Party, error) {
	id, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		return nil, err
	}
	st := memstore.New(id, regID)
	return &Party{label: label, deviceID: deviceID, regID: regID, Store: st, M: session.NewManager(session.StoresOf(st))}, nil
}

// Label implements peer.Party.
func (p *Party) Label() string { return p.label }

// Restart writes the whole store to bytes and builds a new store and
// Manager from them, as an app does across a process restart.
func (p *Party) Restart() error {
	b, err := p.Store.MarshalBinary()
	if err != nil {
		return err
	}
	st, err := memstore.Unmarshal(b)
	if err != nil {
		return err
	}
	p.Store, p.M = st, session.NewManager(session.StoresOf(st))
	return nil
}

func addr(a peer.Address) session.Address { return session.Address{Name: a.Name, DeviceID: a.DeviceID} }

// Bundle implements peer.Party.
func (p *Party) Bundle(ctx context.Context, req peer.BundleRequest) (peer.Bundle, error) {
	id, _ := p.Store.IdentityKeyPair(ctx)
	var spk *x3dh.SignedPreKey
	var err error
	if req.SignedPreKeyPrivate != nil {
		priv, err := curve.NewPrivateKey(req.SignedPreKeyPrivate)
		if err != nil {
			return peer.Bundle{}, err
		}
		kp := curve.NewKeyPair(priv)
		sig, err := id.Sign(kp.Public.Bytes())
		if err != nil {
			return peer.Bundle{}, err
		}
		spk = &x3dh.SignedPreKey{ID: req.SignedPreKeyID, KeyPair: kp, Signature: sig}
	} else if spk, err = x3dh.GenerateSignedPreKey(id, req.SignedPreKeyID); err != nil {
		return peer.Bundle{}, err
	}
	if err := p.Store.AddSignedPreKey(ctx, spk); err != nil {
		return peer.Bundle{}, err
	}
	b := peer.Bundle{
		RegistrationID:        p.regID,
		DeviceID:              p.deviceID,
		IdentityKey:           id.PublicKey().Bytes(),
		SignedPreKeyID:        spk.ID,
		SignedPreKey:          spk.KeyPair.Public.Bytes(),
		SignedPreKeySignature: spk.Signature,
	}
	if req.OneTime {
		pid := uint32(1)
		if req.PreKeyID != nil {
			pid = *req.PreKeyID
		}
		var k *x3dh.OneTimePreKey
		if req.PreKeyPrivate != nil {
			priv, err := curve.NewPrivateKey(req.PreKeyPrivate)
			if err != nil {
				return peer.Bundle{}, err
			}
			k = &x3dh.OneTimePreKey{ID: pid, KeyPair: curve.NewKeyPair(priv)}
		} else if k, err = x3dh.GenerateOneTimePreKey(pid); err != nil {
			return peer.Bundle{}, err
		}
		if err := p.Store.AddPreKey(ctx, k); err != nil {
			return peer.Bundle{}, err
		}
		b.PreKeyID, b.PreKey = &pid, k.KeyPair.Public.Bytes()
	}
	if req.Kyber {
		p.kyberID++
		kid := p.kyberID
		if req.KyberPreKeyID != nil {
			kid = *req.KyberPreKeyID
		}
		k, err := x3dh.GenerateKEMPreKey(id, kid, x3dh.Kyber1024)
		if err != nil {
			return peer.Bundle{}, err
		}
		if err := p.Store.AddLastResortKEMPreKey(ctx, k); err != nil {
			return peer.Bundle{}, err
		}
		b.KyberPreKeyID, b.KyberPreKey, b.KyberPreKeySignature = &kid, k.KeyPair.Public.Bytes(), k.Signature
	}
	return b, nil
}

// ProcessBundle implements peer.Party.
func (p *Party) ProcessBundle(ctx context.Context, remote peer.Address, pb peer.Bundle) error {
	ik, err := curve.ParsePublicKey(pb.IdentityKey)
	if err != nil {
		return err
	}
	spk, err := curve.ParsePublicKey(pb.SignedPreKey)
	if err != nil {
		return err
	}
	var otp *x3dh.OneTimePreKeyPublic
	if pb.PreKeyID != nil {
		k, err := curve.ParsePublicKey(pb.PreKey)
		if err != nil {
			return err
		}
		otp = &x3dh.OneTimePreKeyPublic{ID: *pb.PreKeyID, PublicKey: k}
	}
	var kp *x3dh.KEMPreKeyPublic
	if pb.KyberPreKeyID != nil {
		k, err := x3dh.ParseKEMPublicKey(pb.KyberPreKey)
		if err != nil {
			return err
		}
		kp = &x3dh.KEMPreKeyPublic{ID: *pb.KyberPreKeyID, PublicKey: k, Signature: pb.KyberPreKeySignature}
	}
	b, err := x3dh.NewBundle(pb.RegistrationID, pb.DeviceID, ik,
		x3dh.SignedPreKeyPublic{ID: pb.SignedPreKeyID, PublicKey: spk, Signature: pb.SignedPreKeySignature}, otp, kp)
	if err != nil {
		return err
	}
	return p.M.ProcessBundle(ctx, addr(remote), b)
}

// Encrypt implements peer.Party.
func (p *Party) Encrypt(ctx context.Context, remote peer.Address, pt []byte) (peer.Message, error) {
	m, err := p.M.Encrypt(ctx, addr(remote), pt)
	if err != nil {
		return peer.Message{}, err
	}
	return peer.Message{Type: int(m.Type), Body: m.Body}, nil
}

// Decrypt implements peer.Party.
func (p *Party) Decrypt(ctx context.Context, remote peer.Address, m peer.Message) ([]byte, error) {
	if m.Type != peer.TypeSignal && m.Type != peer.TypePreKey {
		return nil, fmt.Errorf("libparty: message type %d", m.Type)
	}
	return p.M.Decrypt(ctx, addr(remote), session.Message{Type: session.MessageType(m.Type), Body: m.Body})
}

// HasSession implements peer.Party.
func (p *Party) HasSession(ctx context.Context, remote peer.Address) (bool, error) {
	return p.M.HasSession(ctx, addr(remote))
}

// FlipResult counts what CheckFlips saw.
type FlipResult struct {
	Flipped  int // variants tried (one per byte)
	Rejected int // variants refused with an error
	// Accepted are variants that decrypted. Only a PreKey message's
	// registration id (and the tag byte in front of it) is not
	// authenticated by the Signal protocol; any other accepted byte fails
	// CheckFlips.
	Accepted []int
}

// CheckFlips tries m with each byte in turn XORed with 0xff against a copy of
// the party's store, and checks that every variant is rejected without a
// change to the stored session or prekeys. The party itself is untouched.
func (p *Party) CheckFlips(ctx context.Context, remote peer.Address, m peer.Message) (FlipResult, error) {
	var res FlipResult
	snap, err := p.Store.MarshalBinary()
	if err != nil {
		return res, err
	}
	a := addr(remote)
	before := p.Store.SessionBytes(a)
	otk, kem, err := p.Store.PreKeyCount(ctx)
	if err != nil {
		return res, err
	}
	regStart, regEnd := -1, -1
	if m.Type == peer.TypePreKey {
		regStart, regEnd = fieldRange(m.Body[1:], 5)
		regStart, regEnd = regStart+1, regEnd+1
	}
	for i := range m.Body {
		st, err := memstore.Unmarshal(snap)
		if err != nil {
			return res, err
		}
		mgr := session.NewManager(session.StoresOf(st))
		bad := append([]byte(nil), m.Body...)
		bad[i] ^= 0xff
		res.Flipped++
		_, err = mgr.Decrypt(ctx, a, session.Message{Type: session.MessageType(m.Type), Body: bad})
		if err == nil {
			res.Accepted = append(res.Accepted, i)
			if i < regStart || i >= regEnd {
				return res, fmt.Errorf("libparty: flip of byte %d (outside the registration id) accepted", i)
			}
			continue
		}
		res.Rejected++
		if got := st.SessionBytes(a); string(got) != string(before) {
			return res, fmt.Errorf("libparty: rejected flip of byte %d changed the stored session", i)
		}
		if o, k, err := st.PreKeyCount(ctx); err != nil || o != otk || k != kem {
			return res, fmt.Errorf("libparty: rejected flip of byte %d consumed a prekey (%v)", i, err)
		}
	}
	return res, nil
}

// fieldRange returns the byte range [start, end) of the first occurrence of
// protobuf field num (tag and value) in b, or (-1, -1).
func fieldRange(b []byte, num int) (int, int) {
	off := 0
	for off < len(b) {
		n, typ, tl := consumeTag(b[off:])
		if tl <= 0 {
			return -1, -1
		}
		vl := consumeValue(b[off+tl:], typ)
		if vl < 0 {
			return -1, -1
		}
		if n == num {
			return off, off + tl + vl
		}
		off += tl + vl
	}
	return -1, -1
}
