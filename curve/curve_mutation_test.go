package curve

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

// Tests added for mutants that survived the suite (docs/mutation.md).

// TestFormatNamesPublicKey pins what the redacting formatters print: the
// public key for a full key pair, a marker for an empty identity key pair
// or a key pair without its private half, and never "(empty)" for a full one.
func TestFormatNamesPublicKey(t *testing.T) {
	priv, err := NewPrivateKey(bytes.Repeat([]byte{7}, PrivateKeySize))
	if err != nil {
		t.Fatal(err)
	}
	pub := priv.PublicKey().String()
	id, err := NewIdentityKeyPair(priv)
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%s", "%+v", "%#v", "%q", "%x"} {
		if got, want := fmt.Sprintf(verb, *id), "curve.IdentityKeyPair(REDACTED, public "+pub+")"; got != want {
			t.Errorf("IdentityKeyPair under %s = %q, want %q", verb, got, want)
		}
		if got, want := fmt.Sprintf(verb, IdentityKeyPair{}), "curve.IdentityKeyPair(empty)"; got != want {
			t.Errorf("empty IdentityKeyPair under %s = %q, want %q", verb, got, want)
		}
		kp := NewKeyPair(priv)
		if got, want := fmt.Sprintf(verb, kp), "curve.KeyPair(REDACTED, public "+pub+")"; got != want {
			t.Errorf("KeyPair under %s = %q, want %q", verb, got, want)
		}
		kp.Private = nil
		if got, want := fmt.Sprintf(verb, kp), "curve.KeyPair(no private key, public "+pub+")"; got != want {
			t.Errorf("KeyPair without private key under %s = %q, want %q", verb, got, want)
		}
	}
}

// TestLoadKeyPairRejects checks both of LoadKeyPair's errors and that a
// loaded pair keeps the public key it was given.
func TestLoadKeyPairRejects(t *testing.T) {
	kp, err := GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, PrivateKeySize - 1, PrivateKeySize + 1} {
		if _, err := LoadKeyPair(make([]byte, n), kp.Public); !errors.Is(err, ErrInvalidPrivateKey) {
			t.Errorf("LoadKeyPair(%d-byte private key) error = %v, want ErrInvalidPrivateKey", n, err)
		}
	}
	if _, err := LoadKeyPair(kp.Private.Bytes(), PublicKey{}); !errors.Is(err, ErrInvalidPublicKey) {
		t.Errorf("LoadKeyPair(zero public key) error = %v, want ErrInvalidPublicKey", err)
	}
	got, err := LoadKeyPair(kp.Private.Bytes(), kp.Public)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Public.Equal(kp.Public) || !got.Private.PublicKey().Equal(kp.Public) {
		t.Error("LoadKeyPair changed the public key")
	}
}

// TestAlternateIdentityMessage pins the signed message (32 0xFF bytes, the
// label, the other key's 33-byte encoding) and that its buffer is made at
// the exact size (so the appends never reallocate).
func TestAlternateIdentityMessage(t *testing.T) {
	other, err := NewPublicKey(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	m := alternateIdentityMessage(other)
	want := append(append(bytes.Repeat([]byte{0xFF}, 32), "Signal_PNI_Signature"...), other.Bytes()...)
	if !bytes.Equal(m, want) {
		t.Fatalf("message = %x, want %x", m, want)
	}
	if cap(m) != len(m) {
		t.Errorf("cap = %d, len = %d: the buffer was not sized exactly", cap(m), len(m))
	}
}
