package memstore

import (
	"context"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/fmtcheck"
	"github.com/forwardsecret/signal/internal/wire"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/x3dh"
)

// TestNoSecretsInFmt formats a Store holding an identity key, prekeys and
// a session, and the transaction of a LockAddress with a staged session,
// under every fmt verb and checks that no key byte is printed.
func TestNoSecretsInFmt(t *testing.T) {
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	priv := func(label string) *curve.PrivateKey {
		k, err := curve.NewPrivateKey(fmtcheck.Secret(label, curve.PrivateKeySize))
		must(err)
		return k
	}
	idPriv := priv("memstore identity")
	id, err := curve.NewIdentityKeyPair(idPriv)
	must(err)
	otpPriv, spkPriv, ratchetPriv := priv("memstore one-time prekey"), priv("memstore signed prekey"), priv("memstore ratchet key")
	otp := &x3dh.OneTimePreKey{ID: 1, KeyPair: curve.KeyPair{Private: otpPriv, Public: otpPriv.PublicKey()}}
	spk := &x3dh.SignedPreKey{ID: 2, KeyPair: curve.KeyPair{Private: spkPriv, Public: spkPriv.PublicKey()}, Signature: make([]byte, 64)}
	kemKP, err := x3dh.NewKEMKeyPairFromSeed(x3dh.MLKEM1024, fmtcheck.Secret("memstore kem seed", 64))
	must(err)
	kpk := &x3dh.KEMPreKey{ID: 3, KeyPair: kemKP, Signature: make([]byte, 64)}
	kemSeed := kemKP.Private.Bytes()[1:]

	root, ck := fmtcheck.Secret("memstore root key", 32), fmtcheck.Secret("memstore chain key", 32)
	enc := (&wire.Record{Current: &wire.SessionStructure{
		Version:              3,
		LocalIdentityPublic:  id.PublicKey().Bytes(),
		RemoteIdentityPublic: otpPriv.PublicKey().Bytes(),
		RootKey:              root,
		SenderChain: &wire.Chain{
			RatchetKey:        ratchetPriv.PublicKey().Bytes(),
			RatchetKeyPrivate: ratchetPriv.Bytes(),
			ChainKey:          &wire.ChainKey{Index: 1, Key: ck},
		},
	}}).Append(nil)
	rec, err := session.ParseRecord(enc)
	must(err)
	sessionSecrets := [][]byte{root, ck, ratchetPriv.Bytes()}

	s := New(id, 5)
	s.AddPreKey(ctx, otp)
	s.AddSignedPreKey(ctx, spk)
	s.AddLastResortKEMPreKey(ctx, kpk)
	addr := session.Address{Name: "bob", DeviceID: 1}
	must(s.StoreSession(ctx, addr, rec, session.Consumed{}))

	other := session.Address{Name: "carol", DeviceID: 1}
	tctx, unlock, err := s.LockAddress(ctx, other)
	must(err)
	defer unlock(false)
	must(s.StoreSession(tctx, other, rec, session.Consumed{}))
	s.mu.Lock()
	tx := s.txOf(tctx)
	s.mu.Unlock()
	if tx == nil || len(tx.w.sessions) != 1 {
		t.Fatal("no staged session in the transaction")
	}
	staged := tx.w.sessions[other]

	storeSecrets := append([][]byte{idPriv.Bytes(), otpPriv.Bytes(), spkPriv.Bytes(), kemSeed[:32]}, sessionSecrets...)
	cases := []struct {
		name    string
		v       any
		secrets [][]byte
	}{
		{"*Store", s, storeSecrets},
		{"*kemEntry", s.kemPreKeys[3], [][]byte{kemSeed[:32], kemSeed[32:]}},
		{"kemEntry", *s.kemPreKeys[3], [][]byte{kemSeed[:32], kemSeed[32:]}},
		{"*txn", tx, sessionSecrets},
		{"writes", tx.w, sessionSecrets},
		{"stagedRecord", staged, sessionSecrets},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { fmtcheck.NoSecrets(t, c.v, c.secrets...) })
	}
}
