package x3dh_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/x3dh"
	"github.com/forwardsecret/signal/x3dh/x3dhtest"
)

// fixedKey derives a deterministic 32-byte value from a label, so that the
// fuzz corpus keeps its meaning from run to run.
func fixedKey(label string) []byte {
	h := sha256.Sum256([]byte("x3dh fuzz " + label))
	return h[:]
}

// fuzzBob is a responder with fixed keys and one KEM prekey of each type.
type fuzzBob struct {
	identity *curve.IdentityKeyPair
	signed   curve.KeyPair
	oneTime  curve.KeyPair
	kyber    x3dh.KEMKeyPair
	mlkem    x3dh.KEMKeyPair
}

func newFuzzBob(t testing.TB) *fuzzBob {
	priv := func(l string) *curve.PrivateKey {
		k, err := curve.NewPrivateKey(fixedKey(l))
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	id, err := curve.NewIdentityKeyPair(priv("bob identity"))
	if err != nil {
		t.Fatal(err)
	}
	seed := append(fixedKey("kem d"), fixedKey("kem z")...)
	ky, err := x3dh.NewKEMKeyPairFromSeed(x3dh.Kyber1024, seed)
	if err != nil {
		t.Fatal(err)
	}
	ml, err := x3dh.NewKEMKeyPairFromSeed(x3dh.MLKEM1024, seed)
	if err != nil {
		t.Fatal(err)
	}
	return &fuzzBob{identity: id, signed: curve.NewKeyPair(priv("bob signed")), oneTime: curve.NewKeyPair(priv("bob one-time")), kyber: ky, mlkem: ml}
}

func (b *fuzzBob) bundle(t testing.TB, kem *x3dh.KEMKeyPair) *x3dh.Bundle {
	sig, _ := b.identity.Sign(b.signed.Public.Bytes())
	ksig, _ := b.identity.Sign(kem.Public.Bytes())
	bu, err := x3dh.NewBundle(1, 1, b.identity.PublicKey(), x3dh.SignedPreKeyPublic{ID: 1, PublicKey: b.signed.Public, Signature: sig},
		&x3dh.OneTimePreKeyPublic{ID: 2, PublicKey: b.oneTime.Public}, &x3dh.KEMPreKeyPublic{ID: 3, PublicKey: kem.Public, Signature: ksig})
	if err != nil {
		t.Fatal(err)
	}
	return bu
}

// respondSeed is one input of FuzzRespond.
type respondSeed struct {
	version  byte
	useMLKEM bool
	identity []byte
	base     []byte
	ct       []byte
	keys     x3dh.SessionKeys
}

// respondSeeds makes real handshakes (fixed randomness) for every profile.
func respondSeeds(t testing.TB, b *fuzzBob) []respondSeed {
	alice, err := curve.NewPrivateKey(fixedKey("alice identity"))
	if err != nil {
		t.Fatal(err)
	}
	aliceID, err := curve.NewIdentityKeyPair(alice)
	if err != nil {
		t.Fatal(err)
	}
	base, err := curve.NewPrivateKey(fixedKey("alice base"))
	if err != nil {
		t.Fatal(err)
	}
	var seeds []respondSeed
	for _, tc := range []struct {
		v     x3dh.Version
		mlkem bool
	}{{x3dh.V3, false}, {x3dh.V4, false}, {x3dh.V4, true}} {
		kem := &b.kyber
		if tc.mlkem {
			kem = &b.mlkem
		}
		in, err := x3dhtest.Initiate(tc.v, aliceID, b.bundle(t, kem), base, fixedKey("kem random"))
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, respondSeed{byte(tc.v), tc.mlkem, in.Message.IdentityKey.Bytes(), in.Message.BaseKey.Bytes(), in.Message.KEMCiphertext, in.Keys})
	}
	return seeds
}

func (b *fuzzBob) respond(version byte, useMLKEM bool, identity, base, ct []byte) (x3dh.SessionKeys, bool, error) {
	ik, err := curve.ParsePublicKey(identity)
	if err != nil {
		return x3dh.SessionKeys{}, false, nil
	}
	ek, err := curve.ParsePublicKey(base)
	if err != nil {
		return x3dh.SessionKeys{}, false, nil
	}
	kem := &b.kyber
	if useMLKEM {
		kem = &b.mlkem
	}
	keys := &x3dh.ResponderKeys{Identity: b.identity, SignedPreKey: b.signed, OneTimePreKey: &b.oneTime, KEMPreKey: kem}
	msg := &x3dh.Message{IdentityKey: ik, BaseKey: ek, SignedPreKeyID: 1, HasOneTimePreKey: true, OneTimePreKeyID: 2, KEMPreKeyID: 3, KEMCiphertext: ct}
	sk, err := x3dh.Respond(x3dh.Version(version), keys, msg)
	return sk, true, err
}

func TestRespondSeeds(t *testing.T) {
	b := newFuzzBob(t)
	for _, s := range respondSeeds(t, b) {
		got, _, err := b.respond(s.version, s.useMLKEM, s.identity, s.base, s.ct)
		if err != nil || got != s.keys {
			t.Fatalf("v%d mlkem=%v: %v, equal %v", s.version, s.useMLKEM, err, got == s.keys)
		}
	}
}

// FuzzRespond feeds the responder fuzzed identity keys, base keys, KEM
// ciphertexts and versions. It checks that Respond never panics, that every
// failure wraps one of the documented sentinels, and that success is
// deterministic.
func FuzzRespond(f *testing.F) {
	b := newFuzzBob(f)
	for _, s := range respondSeeds(f, b) {
		f.Add(s.version, s.useMLKEM, s.identity, s.base, s.ct)
	}
	f.Fuzz(func(t *testing.T, version byte, useMLKEM bool, identity, base, ct []byte) {
		keys, ok, err := b.respond(version, useMLKEM, identity, base, ct)
		if !ok {
			return
		}
		if err != nil {
			for _, want := range []error{
				x3dh.ErrUnsupportedVersion, x3dh.ErrInvalidBaseKey, curve.ErrZeroSharedSecret,
				x3dh.ErrMissingKEMPreKey, x3dh.ErrUnexpectedKEM, x3dh.ErrKEMCiphertextLength,
				x3dh.ErrKEMCiphertextType, x3dh.ErrUnknownKEMType,
			} {
				if errors.Is(err, want) {
					return
				}
			}
			t.Fatalf("unexpected error %v", err)
		}
		if keys.RootKey == ([32]byte{}) {
			t.Fatal("zero root key")
		}
		again, _, err := b.respond(version, useMLKEM, bytes.Clone(identity), bytes.Clone(base), bytes.Clone(ct))
		if err != nil || again != keys {
			t.Fatal("Respond is not deterministic")
		}
	})
}
