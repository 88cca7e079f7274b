package x3dh_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/x3dh"
)

func TestVersionString(t *testing.T) {
	for v, want := range map[x3dh.Version]string{x3dh.V3: "v3 (X3DH)", x3dh.V4: "v4 (PQXDH)", 9: "Version(9)"} {
		if got := v.String(); got != want {
			t.Errorf("%d: %q, want %q", uint8(v), got, want)
		}
	}
}

func TestZeroKEMPublicKey(t *testing.T) {
	var z x3dh.KEMPublicKey
	if !z.IsZero() || z.Type() != 0 || z.Bytes() != nil || len(z.AppendBytes([]byte{1})) != 1 || !z.Equal(x3dh.KEMPublicKey{}) {
		t.Error("zero KEMPublicKey misbehaves")
	}
	kp, err := x3dh.GenerateKEMKeyPair(x3dh.MLKEM1024)
	if err != nil {
		t.Fatal(err)
	}
	if z.Equal(kp.Public) || kp.Public.Equal(z) || kp.Public.IsZero() {
		t.Error("zero key equals a real one")
	}
	if s := kp.Public.String(); !strings.HasPrefix(s, "x3dh.KEMPublicKey(ML-KEM-1024, ") || z.String() != "x3dh.KEMPublicKey(none)" {
		t.Errorf("String: %q / %q", s, z.String())
	}
	other, err := x3dh.NewKEMKeyPairFromSeed(x3dh.Kyber1024, make([]byte, x3dh.KEMSeedSize))
	if err != nil {
		t.Fatal(err)
	}
	same, err := x3dh.NewKEMKeyPairFromSeed(x3dh.MLKEM1024, make([]byte, x3dh.KEMSeedSize))
	if err != nil {
		t.Fatal(err)
	}
	if other.Public.Equal(same.Public) {
		t.Error("keys of different types compare equal")
	}
	if _, err := x3dh.NewKEMKeyPairFromSeed(x3dh.Kyber1024, make([]byte, 63)); !errors.Is(err, x3dh.ErrInvalidKEMKey) {
		t.Errorf("short seed: %v", err)
	}
	if _, err := x3dh.NewKEMKeyPairFromSeed(0x09, make([]byte, 64)); !errors.Is(err, x3dh.ErrUnknownKEMType) {
		t.Errorf("unknown type: %v", err)
	}
}

func TestGenerateNilIdentity(t *testing.T) {
	if _, err := x3dh.GenerateSignedPreKey(nil, 1); !errors.Is(err, x3dh.ErrMissingKey) {
		t.Errorf("GenerateSignedPreKey: %v", err)
	}
	if _, err := x3dh.GenerateKEMPreKey(nil, 1, x3dh.Kyber1024); !errors.Is(err, x3dh.ErrMissingKey) {
		t.Errorf("GenerateKEMPreKey: %v", err)
	}
	id, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x3dh.GenerateKEMPreKey(id, 1, 0x07); !errors.Is(err, x3dh.ErrUnknownKEMType) {
		t.Errorf("GenerateKEMPreKey unknown type: %v", err)
	}
}

func TestRespondIncompleteKeys(t *testing.T) {
	b := newBob(t, x3dh.Kyber1024)
	in, err := x3dh.Initiate(x3dh.V4, newIdentity(t), b.bundle(t, true, true))
	if err != nil {
		t.Fatal(err)
	}
	k := b.keys(&in.Message)
	k.OneTimePreKey = &curve.KeyPair{Public: b.oneTime.KeyPair.Public}
	if _, err := x3dh.Respond(x3dh.V4, k, &in.Message); !errors.Is(err, x3dh.ErrMissingKey) {
		t.Errorf("one-time prekey without private key: %v", err)
	}
	k = b.keys(&in.Message)
	k.KEMPreKey = &x3dh.KEMKeyPair{Public: b.kemKey.KeyPair.Public}
	if _, err := x3dh.Respond(x3dh.V4, k, &in.Message); !errors.Is(err, x3dh.ErrMissingKEMPreKey) {
		t.Errorf("KEM prekey without private key: %v", err)
	}
}
