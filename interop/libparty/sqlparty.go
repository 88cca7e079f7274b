package libparty

import (
	"context"
	"fmt"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/interop/peer"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/sqlstore"
	"github.com/forwardsecret/signal/sqlstore/postgres"
	"github.com/forwardsecret/signal/sqlstore/sqlite"
	"github.com/forwardsecret/signal/x3dh"
)

// SQLParty is the library as a conversation party, with its stores in a
// SQL database (package sqlstore) instead of memory.
type SQLParty struct {
	label    string
	deviceID uint32
	regID    uint32
	driver   string
	dsn      string
	Store    *sqlstore.Store
	M        *session.Manager
	kyberID  uint32
}

var _ peer.Party = (*SQLParty)(nil)

// NewSQL returns a party with a fresh identity in the empty database dsn
// of driver (sqlstore.DriverSQLite, a file name, or
// sqlstore.DriverPostgres, a URL).
func NewSQL(ctx context.Context, label string, regID, deviceID uint32, driver, dsn string) (*SQLParty, error) {
	id, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		return nil, err
	}
	p := &SQLParty{label: label, deviceID: deviceID, regID: regID, driver: driver, dsn: dsn}
	if err := p.open(ctx); err != nil {
		return nil, err
	}
	if err := p.Store.Init(ctx, id, regID); err != nil {
		p.Store.Close()
		return nil, err
	}
	return p, nil
}

func (p *SQLParty) open(ctx context.Context) error {
	var st *sqlstore.Store
	var err error
	switch p.driver {
	case sqlstore.DriverSQLite:
		st, err = sqlite.Open(ctx, p.dsn)
	case sqlstore.DriverPostgres:
		st, err = postgres.Open(ctx, p.dsn)
	default:
		err = fmt.Errorf("libparty: driver %q", p.driver)
	}
	if err != nil {
		return err
	}
	p.Store, p.M = st, session.NewManager(session.StoresOf(st))
	return nil
}

// Label implements peer.Party.
func (p *SQLParty) Label() string { return p.label }

// Restart closes the database and opens it again with a new Manager, as
// an app does across a process restart.
func (p *SQLParty) Restart(ctx context.Context) error {
	if err := p.Store.Close(); err != nil {
		return err
	}
	return p.open(ctx)
}

// Close closes the database.
func (p *SQLParty) Close() error { return p.Store.Close() }

// Bundle implements peer.Party.
func (p *SQLParty) Bundle(ctx context.Context, req peer.BundleRequest) (peer.Bundle, error) {
	id, err := p.Store.IdentityKeyPair(ctx)
	if err != nil {
		return peer.Bundle{}, err
	}
	var spk *x3dh.SignedPreKey
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
func (p *SQLParty) ProcessBundle(ctx context.Context, remote peer.Address, pb peer.Bundle) error {
	b, err := sessionBundle(pb)
	if err != nil {
		return err
	}
	return p.M.ProcessBundle(ctx, addr(remote), b)
}

// sessionBundle converts a peer bundle to an x3dh one.
func sessionBundle(pb peer.Bundle) (*x3dh.Bundle, error) {
	ik, err := curve.ParsePublicKey(pb.IdentityKey)
	if err != nil {
		return nil, err
	}
	spk, err := curve.ParsePublicKey(pb.SignedPreKey)
	if err != nil {
		return nil, err
	}
	var otp *x3dh.OneTimePreKeyPublic
	if pb.PreKeyID != nil {
		k, err := curve.ParsePublicKey(pb.PreKey)
		if err != nil {
			return nil, err
		}
		otp = &x3dh.OneTimePreKeyPublic{ID: *pb.PreKeyID, PublicKey: k}
	}
	var kp *x3dh.KEMPreKeyPublic
	if pb.KyberPreKeyID != nil {
		k, err := x3dh.ParseKEMPublicKey(pb.KyberPreKey)
		if err != nil {
			return nil, err
		}
		kp = &x3dh.KEMPreKeyPublic{ID: *pb.KyberPreKeyID, PublicKey: k, Signature: pb.KyberPreKeySignature}
	}
	return x3dh.NewBundle(pb.RegistrationID, pb.DeviceID, ik,
		x3dh.SignedPreKeyPublic{ID: pb.SignedPreKeyID, PublicKey: spk, Signature: pb.SignedPreKeySignature}, otp, kp)
}

// Encrypt implements peer.Party.
func (p *SQLParty) Encrypt(ctx context.Context, remote peer.Address, pt []byte) (peer.Message, error) {
	m, err := p.M.Encrypt(ctx, addr(remote), pt)
	if err != nil {
		return peer.Message{}, err
	}
	return peer.Message{Type: int(m.Type), Body: m.Body}, nil
}

// Decrypt implements peer.Party.
func (p *SQLParty) Decrypt(ctx context.Context, remote peer.Address, m peer.Message) ([]byte, error) {
	if m.Type != peer.TypeSignal && m.Type != peer.TypePreKey {
		return nil, fmt.Errorf("libparty: message type %d", m.Type)
	}
	return p.M.Decrypt(ctx, addr(remote), session.Message{Type: session.MessageType(m.Type), Body: m.Body})
}

// HasSession implements peer.Party.
func (p *SQLParty) HasSession(ctx context.Context, remote peer.Address) (bool, error) {
	return p.M.HasSession(ctx, addr(remote))
}

// CheckFlips tries m with each byte in turn XORed with 0xff against the
// party's own database, and checks that every variant is refused without a
// change to the stored session or prekeys (each refused decrypt rolls its
// transaction back). Like Party.CheckFlips, it accepts only flips inside a
// PreKey message's registration id.
func (p *SQLParty) CheckFlips(ctx context.Context, remote peer.Address, m peer.Message) (FlipResult, error) {
	var res FlipResult
	a := addr(remote)
	before, err := p.Store.SessionBytes(ctx, a)
	if err != nil {
		return res, err
	}
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
		bad := append([]byte(nil), m.Body...)
		bad[i] ^= 0xff
		res.Flipped++
		// DecryptWith with a failing handler: an accepted variant commits
		// nothing either, so the party's state stays as it was.
		accepted := false
		err := p.M.DecryptWith(ctx, a, session.Message{Type: session.MessageType(m.Type), Body: bad}, func([]byte) error {
			accepted = true
			return errFlipAccepted
		})
		if accepted {
			res.Accepted = append(res.Accepted, i)
			if i < regStart || i >= regEnd {
				return res, fmt.Errorf("libparty: flip of byte %d (outside the registration id) accepted", i)
			}
			continue
		}
		if err == nil {
			return res, fmt.Errorf("libparty: flip of byte %d: no error and no plaintext", i)
		}
		res.Rejected++
		got, err := p.Store.SessionBytes(ctx, a)
		if err != nil {
			return res, err
		}
		if string(got) != string(before) {
			return res, fmt.Errorf("libparty: rejected flip of byte %d changed the stored session", i)
		}
		if o, k, err := p.Store.PreKeyCount(ctx); err != nil || o != otk || k != kem {
			return res, fmt.Errorf("libparty: rejected flip of byte %d consumed a prekey (%v)", i, err)
		}
	}
	return res, nil
}

var errFlipAccepted = fmt.Errorf("libparty: flipped message accepted (not committed)")
