package x3dh_test

import (
	"bytes"
	"crypto"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"filippo.io/edwards25519"
	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/x3dh"
	"github.com/forwardsecret/signal/x3dh/x3dhtest"
)

// bob is a responder with every kind of prekey.
type bob struct {
	identity *curve.IdentityKeyPair
	signed   *x3dh.SignedPreKey
	oneTime  *x3dh.OneTimePreKey
	kemKey   *x3dh.KEMPreKey
}

func newBob(t testing.TB, kt x3dh.KEMType) *bob {
	t.Helper()
	id, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	spk, err := x3dh.GenerateSignedPreKey(id, 7)
	if err != nil {
		t.Fatal(err)
	}
	opk, err := x3dh.GenerateOneTimePreKey(11)
	if err != nil {
		t.Fatal(err)
	}
	kpk, err := x3dh.GenerateKEMPreKey(id, 13, kt)
	if err != nil {
		t.Fatal(err)
	}
	return &bob{identity: id, signed: spk, oneTime: opk, kemKey: kpk}
}

// bundle returns Bob's bundle, with or without the optional parts.
func (b *bob) bundle(t testing.TB, withOneTime, withKEM bool) *x3dh.Bundle {
	t.Helper()
	var opk *x3dh.OneTimePreKeyPublic
	if withOneTime {
		p := b.oneTime.Public()
		opk = &p
	}
	var kpk *x3dh.KEMPreKeyPublic
	if withKEM {
		p := b.kemKey.Public()
		kpk = &p
	}
	bu, err := x3dh.NewBundle(1234, 2, b.identity.PublicKey(), b.signed.Public(), opk, kpk)
	if err != nil {
		t.Fatal(err)
	}
	return bu
}

// keys returns the responder keys matching msg.
func (b *bob) keys(msg *x3dh.Message) *x3dh.ResponderKeys {
	k := &x3dh.ResponderKeys{Identity: b.identity, SignedPreKey: b.signed.KeyPair, KEMPreKey: &b.kemKey.KeyPair}
	if msg.HasOneTimePreKey {
		k.OneTimePreKey = &b.oneTime.KeyPair
	}
	return k
}

func newIdentity(t testing.TB) *curve.IdentityKeyPair {
	t.Helper()
	id, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

type profile struct {
	name string
	v    x3dh.Version
	kt   x3dh.KEMType
}

var profiles = []profile{
	{"v3", x3dh.V3, x3dh.Kyber1024},
	{"v4-kyber1024", x3dh.V4, x3dh.Kyber1024},
	{"v4-mlkem1024", x3dh.V4, x3dh.MLKEM1024},
}

func TestRoundTrip(t *testing.T) {
	for _, p := range profiles {
		for _, withOneTime := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/onetime=%v", p.name, withOneTime), func(t *testing.T) {
				b := newBob(t, p.kt)
				alice := newIdentity(t)
				in, err := x3dh.Initiate(p.v, alice, b.bundle(t, withOneTime, p.v == x3dh.V4))
				if err != nil {
					t.Fatal(err)
				}
				m := in.Message
				if in.Version != p.v || !m.IdentityKey.Equal(alice.PublicKey()) || m.SignedPreKeyID != 7 ||
					m.HasOneTimePreKey != withOneTime || (withOneTime && m.OneTimePreKeyID != 11) {
					t.Fatalf("message = %+v", m)
				}
				if p.v == x3dh.V4 {
					if m.KEMPreKeyID != 13 || len(m.KEMCiphertext) != x3dh.KEMCiphertextSize || x3dh.KEMType(m.KEMCiphertext[0]) != p.kt {
						t.Fatalf("KEM part: id %d, ciphertext %d bytes, type 0x%02x", m.KEMPreKeyID, len(m.KEMCiphertext), m.KEMCiphertext[0])
					}
				} else if m.KEMCiphertext != nil || m.KEMPreKeyID != 0 {
					t.Fatal("V3 message has a KEM part")
				}
				got, err := x3dh.Respond(p.v, b.keys(&m), &m)
				if err != nil {
					t.Fatal(err)
				}
				if got != in.Keys {
					t.Fatal("initiator and responder keys differ")
				}
				if (in.Keys.AuthKey != [32]byte{}) != (p.v == x3dh.V4) {
					t.Errorf("auth key presence wrong for %v", p.v)
				}
				if in.Keys.RootKey == in.Keys.ChainKey {
					t.Error("root key equals chain key")
				}
				// A second handshake with the same bundle gives other keys.
				in2, err := x3dh.Initiate(p.v, alice, b.bundle(t, withOneTime, p.v == x3dh.V4))
				if err != nil {
					t.Fatal(err)
				}
				if in2.Keys == in.Keys || in2.Message.BaseKey.Equal(m.BaseKey) {
					t.Error("two handshakes share keys")
				}
			})
		}
	}
}

// TestV3IgnoresKEMPreKey: a V3 initiator given a bundle with a KEM prekey
// still runs plain X3DH.
func TestV3IgnoresKEMPreKey(t *testing.T) {
	b := newBob(t, x3dh.Kyber1024)
	in, err := x3dh.Initiate(x3dh.V3, newIdentity(t), b.bundle(t, false, true))
	if err != nil {
		t.Fatal(err)
	}
	if in.Message.KEMCiphertext != nil {
		t.Fatal("V3 encapsulated")
	}
	k := b.keys(&in.Message)
	k.KEMPreKey = nil
	got, err := x3dh.Respond(x3dh.V3, k, &in.Message)
	if err != nil || got != in.Keys {
		t.Fatalf("Respond: %v, equal %v", err, got == in.Keys)
	}
}

func TestDeterministic(t *testing.T) {
	b := newBob(t, x3dh.Kyber1024)
	alice := newIdentity(t)
	base, err := curve.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	rnd := bytes.Repeat([]byte{0x42}, x3dhtest.KEMRandomSize)
	bu := b.bundle(t, true, true)
	in1, err := x3dhtest.Initiate(x3dh.V4, alice, bu, base, rnd)
	if err != nil {
		t.Fatal(err)
	}
	in2, err := x3dhtest.Initiate(x3dh.V4, alice, bu, base, rnd)
	if err != nil {
		t.Fatal(err)
	}
	if in1.Keys != in2.Keys || !bytes.Equal(in1.Message.KEMCiphertext, in2.Message.KEMCiphertext) {
		t.Fatal("derandomized initiation is not deterministic")
	}
	rnd[0] ^= 1
	in3, err := x3dhtest.Initiate(x3dh.V4, alice, bu, base, rnd)
	if err != nil {
		t.Fatal(err)
	}
	if in3.Keys == in1.Keys || bytes.Equal(in3.Message.KEMCiphertext, in1.Message.KEMCiphertext) {
		t.Fatal("KEM randomness ignored")
	}
	for _, n := range []int{0, 31, 33} {
		if _, err := x3dhtest.Initiate(x3dh.V4, alice, bu, base, make([]byte, n)); !errors.Is(err, x3dh.ErrRandomLength) {
			t.Errorf("KEM randomness of %d bytes: %v, want ErrRandomLength", n, err)
		}
	}
	if _, err := x3dhtest.Initiate(x3dh.V4, alice, bu, base, nil); !errors.Is(err, x3dh.ErrRandomLength) {
		t.Errorf("nil KEM randomness for V4: %v, want ErrRandomLength", err)
	}
	if _, err := x3dhtest.Initiate(x3dh.V4, alice, bu, nil, rnd); !errors.Is(err, x3dh.ErrMissingKey) {
		t.Errorf("nil base key: %v, want ErrMissingKey", err)
	}
}

// lowOrder is u = 1, a point of order 4 (X25519 with it is all zeros). The
// zero value of curve.PublicKey (u = 0, order 2) is refused earlier as "no key".
var lowOrder, _ = curve.NewPublicKey(append([]byte{1}, make([]byte, 31)...))

// mixedOrder returns a point of the full group: a prime-order point plus a
// point of order 8. Clamped X25519 with it succeeds (clamping clears the
// torsion), so only the explicit check catches it.
func mixedOrder(t testing.TB) curve.PublicKey {
	t.Helper()
	t8, err := new(edwards25519.Point).SetBytes(unhex(t, "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := edwards25519.NewScalar().SetCanonicalBytes(append([]byte{9}, make([]byte, 31)...))
	if err != nil {
		t.Fatal(err)
	}
	p := new(edwards25519.Point).ScalarBaseMult(s)
	p.Add(p, t8)
	k, err := curve.NewPublicKey(p.BytesMontgomery())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestResponderRejections(t *testing.T) {
	b := newBob(t, x3dh.Kyber1024)
	alice := newIdentity(t)
	in, err := x3dh.Initiate(x3dh.V4, alice, b.bundle(t, true, true))
	if err != nil {
		t.Fatal(err)
	}
	good := in.Message

	// u = p = 2^255 - 19: not canonical.
	pBytes := unhex(t, "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
	nonCanonical, _ := curve.NewPublicKey(pBytes)
	highBit, _ := curve.NewPublicKey(append(bytes.Clone(good.BaseKey.Bytes()[1:31]), good.BaseKey.Bytes()[31], good.BaseKey.Bytes()[32]|0x80))

	otherType := bytes.Clone(good.KEMCiphertext)
	otherType[0] = byte(x3dh.MLKEM1024)
	unknownType := bytes.Clone(good.KEMCiphertext)
	unknownType[0] = 0x07

	tests := []struct {
		name    string
		v       x3dh.Version
		edit    func(m *x3dh.Message, k *x3dh.ResponderKeys)
		want    error
		wantToo error
	}{
		{"base key not canonical", x3dh.V4, func(m *x3dh.Message, _ *x3dh.ResponderKeys) { m.BaseKey = nonCanonical }, x3dh.ErrInvalidBaseKey, curve.ErrNotCanonical},
		{"base key with high bit", x3dh.V4, func(m *x3dh.Message, _ *x3dh.ResponderKeys) { m.BaseKey = highBit }, x3dh.ErrInvalidBaseKey, curve.ErrNotCanonical},
		{"base key low order", x3dh.V4, func(m *x3dh.Message, _ *x3dh.ResponderKeys) { m.BaseKey = lowOrder }, x3dh.ErrInvalidBaseKey, curve.ErrTorsion},
		{"base key with torsion", x3dh.V4, func(m *x3dh.Message, _ *x3dh.ResponderKeys) { m.BaseKey = mixedOrder(t) }, x3dh.ErrInvalidBaseKey, curve.ErrTorsion},
		{"base key zero value v3", x3dh.V3, func(m *x3dh.Message, _ *x3dh.ResponderKeys) { m.BaseKey = curve.PublicKey{}; m.KEMCiphertext = nil }, x3dh.ErrInvalidBaseKey, curve.ErrTorsion},
		{"identity key low order", x3dh.V4, func(m *x3dh.Message, _ *x3dh.ResponderKeys) { m.IdentityKey = lowOrder }, curve.ErrZeroSharedSecret, nil},
		{"identity key low order v3", x3dh.V3, func(m *x3dh.Message, _ *x3dh.ResponderKeys) { m.IdentityKey = lowOrder; m.KEMCiphertext = nil }, curve.ErrZeroSharedSecret, nil},
		{"ciphertext truncated", x3dh.V4, func(m *x3dh.Message, _ *x3dh.ResponderKeys) { m.KEMCiphertext = m.KEMCiphertext[:100] }, x3dh.ErrKEMCiphertextLength, nil},
		{"ciphertext too long", x3dh.V4, func(m *x3dh.Message, _ *x3dh.ResponderKeys) {
			m.KEMCiphertext = append(bytes.Clone(m.KEMCiphertext), 0)
		}, x3dh.ErrKEMCiphertextLength, nil},
		{"ciphertext of the other KEM", x3dh.V4, func(m *x3dh.Message, _ *x3dh.ResponderKeys) { m.KEMCiphertext = otherType }, x3dh.ErrKEMCiphertextType, nil},
		{"ciphertext of unknown type", x3dh.V4, func(m *x3dh.Message, _ *x3dh.ResponderKeys) { m.KEMCiphertext = unknownType }, x3dh.ErrUnknownKEMType, nil},
		{"no ciphertext in v4", x3dh.V4, func(m *x3dh.Message, _ *x3dh.ResponderKeys) { m.KEMCiphertext = nil }, x3dh.ErrMissingKEMPreKey, nil},
		{"no KEM prekey in v4", x3dh.V4, func(_ *x3dh.Message, k *x3dh.ResponderKeys) { k.KEMPreKey = nil }, x3dh.ErrMissingKEMPreKey, nil},
		{"ciphertext in v3", x3dh.V3, func(*x3dh.Message, *x3dh.ResponderKeys) {}, x3dh.ErrUnexpectedKEM, nil},
		{"one-time prekey missing", x3dh.V4, func(_ *x3dh.Message, k *x3dh.ResponderKeys) { k.OneTimePreKey = nil }, x3dh.ErrOneTimePreKeyMismatch, nil},
		{"one-time prekey unexpected", x3dh.V4, func(m *x3dh.Message, _ *x3dh.ResponderKeys) { m.HasOneTimePreKey = false }, x3dh.ErrOneTimePreKeyMismatch, nil},
		{"no identity", x3dh.V4, func(_ *x3dh.Message, k *x3dh.ResponderKeys) { k.Identity = nil }, x3dh.ErrMissingKey, nil},
		{"no signed prekey", x3dh.V4, func(_ *x3dh.Message, k *x3dh.ResponderKeys) { k.SignedPreKey = curve.KeyPair{} }, x3dh.ErrMissingKey, nil},
		{"unknown version", 5, func(*x3dh.Message, *x3dh.ResponderKeys) {}, x3dh.ErrUnsupportedVersion, nil},
		{"version 2", 2, func(*x3dh.Message, *x3dh.ResponderKeys) {}, x3dh.ErrUnsupportedVersion, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := good
			m.KEMCiphertext = bytes.Clone(good.KEMCiphertext)
			k := b.keys(&m)
			tc.edit(&m, k)
			keys, err := x3dh.Respond(tc.v, k, &m)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.wantToo != nil && !errors.Is(err, tc.wantToo) {
				t.Fatalf("err = %v, want it to wrap %v too", err, tc.wantToo)
			}
			if keys != (x3dh.SessionKeys{}) {
				t.Fatal("keys returned with an error")
			}
			if !strings.HasPrefix(err.Error(), "x3dh: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
	if _, err := x3dh.Respond(x3dh.V4, nil, &good); !errors.Is(err, x3dh.ErrMissingKey) {
		t.Errorf("nil keys: %v", err)
	}
	if _, err := x3dh.Respond(x3dh.V4, b.keys(&good), nil); !errors.Is(err, x3dh.ErrMissingKey) {
		t.Errorf("nil message: %v", err)
	}
}

// TestForgedCiphertext: a well-formed ciphertext that was not made for the
// prekey passes the handshake (KEM implicit rejection) but gives other keys.
func TestForgedCiphertext(t *testing.T) {
	for _, kt := range []x3dh.KEMType{x3dh.Kyber1024, x3dh.MLKEM1024} {
		b := newBob(t, kt)
		in, err := x3dh.Initiate(x3dh.V4, newIdentity(t), b.bundle(t, false, true))
		if err != nil {
			t.Fatal(err)
		}
		m := in.Message
		m.KEMCiphertext = bytes.Clone(m.KEMCiphertext)
		m.KEMCiphertext[100] ^= 1
		got, err := x3dh.Respond(x3dh.V4, b.keys(&m), &m)
		if err != nil {
			t.Fatalf("%v: %v", kt, err)
		}
		if got == in.Keys {
			t.Fatalf("%v: forged ciphertext gave the initiator's keys", kt)
		}
	}
}

func TestInitiatorRejections(t *testing.T) {
	b := newBob(t, x3dh.Kyber1024)
	alice := newIdentity(t)
	signLowOrder := func() []byte {
		sig, err := b.identity.Sign(lowOrder.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	rawKEMSig, err := b.identity.Sign(b.kemKey.KeyPair.Public.Bytes()[1:])
	if err != nil {
		t.Fatal(err)
	}
	otherID := newIdentity(t)
	tests := []struct {
		name string
		v    x3dh.Version
		edit func(bu *x3dh.Bundle)
		want error
	}{
		{"signed prekey signature flipped", x3dh.V3, func(bu *x3dh.Bundle) { bu.SignedPreKey.Signature[5] ^= 1 }, x3dh.ErrBadSignedPreKeySignature},
		{"signed prekey signature truncated", x3dh.V3, func(bu *x3dh.Bundle) { bu.SignedPreKey.Signature = bu.SignedPreKey.Signature[:63] }, x3dh.ErrBadSignedPreKeySignature},
		{"signed prekey signature missing", x3dh.V3, func(bu *x3dh.Bundle) { bu.SignedPreKey.Signature = nil }, x3dh.ErrBadSignedPreKeySignature},
		{"signed prekey replaced", x3dh.V3, func(bu *x3dh.Bundle) { bu.SignedPreKey.PublicKey = b.oneTime.KeyPair.Public }, x3dh.ErrBadSignedPreKeySignature},
		{"identity replaced", x3dh.V3, func(bu *x3dh.Bundle) { bu.IdentityKey = otherID.PublicKey() }, x3dh.ErrBadSignedPreKeySignature},
		{"KEM signature flipped", x3dh.V4, func(bu *x3dh.Bundle) { bu.KEMPreKey.Signature[5] ^= 1 }, x3dh.ErrBadKEMSignature},
		{"KEM signature flipped, v3 too", x3dh.V3, func(bu *x3dh.Bundle) { bu.KEMPreKey.Signature[5] ^= 1 }, x3dh.ErrBadKEMSignature},
		{"KEM signature over the untyped key", x3dh.V4, func(bu *x3dh.Bundle) { bu.KEMPreKey.Signature = rawKEMSig }, x3dh.ErrBadKEMSignature},
		{"KEM signature by another identity", x3dh.V4, func(bu *x3dh.Bundle) {
			bu.KEMPreKey.Signature, _ = otherID.Sign(bu.KEMPreKey.PublicKey.Bytes())
		}, x3dh.ErrBadKEMSignature},
		{"no KEM prekey in v4", x3dh.V4, func(bu *x3dh.Bundle) { bu.KEMPreKey = nil }, x3dh.ErrMissingKEMPreKey},
		{"KEM prekey without key", x3dh.V4, func(bu *x3dh.Bundle) { bu.KEMPreKey.PublicKey = x3dh.KEMPublicKey{} }, x3dh.ErrInvalidBundle},
		{"no identity key", x3dh.V3, func(bu *x3dh.Bundle) { bu.IdentityKey = curve.PublicKey{} }, x3dh.ErrInvalidBundle},
		{"no signed prekey", x3dh.V3, func(bu *x3dh.Bundle) { bu.SignedPreKey.PublicKey = curve.PublicKey{} }, x3dh.ErrInvalidBundle},
		{"one-time prekey without key", x3dh.V3, func(bu *x3dh.Bundle) { bu.OneTimePreKey.PublicKey = curve.PublicKey{} }, x3dh.ErrInvalidBundle},
		{"signed prekey low order", x3dh.V3, func(bu *x3dh.Bundle) {
			bu.SignedPreKey.PublicKey = lowOrder
			bu.SignedPreKey.Signature = signLowOrder()
		}, curve.ErrZeroSharedSecret},
		{"one-time prekey low order", x3dh.V4, func(bu *x3dh.Bundle) { bu.OneTimePreKey.PublicKey = lowOrder }, curve.ErrZeroSharedSecret},
		{"unknown version", 0, func(*x3dh.Bundle) {}, x3dh.ErrUnsupportedVersion},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bu := b.bundle(t, true, true)
			tc.edit(bu)
			in, err := x3dh.Initiate(tc.v, alice, bu)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if in != nil {
				t.Fatal("result returned with an error")
			}
			if tc.want == x3dh.ErrUnsupportedVersion || tc.want == x3dh.ErrMissingKEMPreKey || tc.want == curve.ErrZeroSharedSecret {
				return
			}
			if err := bu.Verify(); !errors.Is(err, tc.want) {
				t.Errorf("Verify: %v, want %v", err, tc.want)
			}
			var opk *x3dh.OneTimePreKeyPublic
			if bu.OneTimePreKey != nil {
				opk = bu.OneTimePreKey
			}
			if _, err := x3dh.NewBundle(1, 1, bu.IdentityKey, bu.SignedPreKey, opk, bu.KEMPreKey); !errors.Is(err, tc.want) {
				t.Errorf("NewBundle: %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := x3dh.Initiate(x3dh.V3, nil, b.bundle(t, false, false)); !errors.Is(err, x3dh.ErrMissingKey) {
		t.Errorf("nil identity: %v", err)
	}
	if _, err := x3dh.Initiate(x3dh.V3, alice, nil); !errors.Is(err, x3dh.ErrInvalidBundle) {
		t.Errorf("nil bundle: %v", err)
	}
}

func TestKEMKeys(t *testing.T) {
	for _, kt := range []x3dh.KEMType{x3dh.Kyber1024, x3dh.MLKEM1024} {
		kp, err := x3dh.GenerateKEMKeyPair(kt)
		if err != nil {
			t.Fatal(err)
		}
		if kp.Public.Type() != kt || kp.Private.Type() != kt || !kp.Private.PublicKey().Equal(kp.Public) {
			t.Fatalf("%v: inconsistent key pair", kt)
		}
		pub, err := x3dh.ParseKEMPublicKey(kp.Public.Bytes())
		if err != nil || !pub.Equal(kp.Public) {
			t.Fatalf("%v: public round trip: %v", kt, err)
		}
		for _, enc := range [][]byte{kp.Private.Bytes(), kp.Private.LibsignalBytes()} {
			priv, err := x3dh.ParseKEMPrivateKey(enc)
			if err != nil {
				t.Fatalf("%v: private key of %d bytes: %v", kt, len(enc), err)
			}
			if !priv.PublicKey().Equal(kp.Public) {
				t.Fatalf("%v: private key of %d bytes has another public key", kt, len(enc))
			}
		}
		s := fmt.Sprintf("%v %+v %#v %s %x", kp.Private, kp.Private, kp.Private, kp.Private, kp.Private)
		seed := kp.Private.Bytes()[1:9]
		if strings.Contains(s, hex.EncodeToString(seed)) || !strings.Contains(s, "REDACTED") {
			t.Errorf("private key printed: %s", s)
		}
	}
	bad := make([]byte, x3dh.KEMPublicKeySize)
	bad[0] = 0x07
	if _, err := x3dh.ParseKEMPublicKey(bad); !errors.Is(err, x3dh.ErrUnknownKEMType) {
		t.Errorf("unknown type: %v", err)
	}
	bad[0] = byte(x3dh.Kyber1024)
	if _, err := x3dh.ParseKEMPublicKey(bad[:100]); !errors.Is(err, x3dh.ErrInvalidKEMKey) {
		t.Errorf("short key: %v", err)
	}
	for i := 1; i < len(bad); i++ {
		bad[i] = 0xFF // coefficients 4095 >= q
	}
	if _, err := x3dh.ParseKEMPublicKey(bad); !errors.Is(err, x3dh.ErrInvalidKEMKey) {
		t.Errorf("unreduced key: %v", err)
	}
	if _, err := x3dh.GenerateKEMKeyPair(0x07); !errors.Is(err, x3dh.ErrUnknownKEMType) {
		t.Errorf("generate unknown type: %v", err)
	}
	if _, err := x3dh.ParseKEMPrivateKey([]byte{0x08, 1, 2}); !errors.Is(err, x3dh.ErrInvalidKEMKey) {
		t.Errorf("short private key: %v", err)
	}
	if x3dh.Kyber1024.String() != "Kyber1024" || x3dh.MLKEM1024.String() != "ML-KEM-1024" || x3dh.KEMType(7).String() != "KEMType(0x07)" {
		t.Error("KEMType.String")
	}
}

// TestImportedKEMKey: a KEM prekey stored in libsignal's expanded form still
// completes the handshake.
func TestImportedKEMKey(t *testing.T) {
	b := newBob(t, x3dh.Kyber1024)
	in, err := x3dh.Initiate(x3dh.V4, newIdentity(t), b.bundle(t, false, true))
	if err != nil {
		t.Fatal(err)
	}
	priv, err := x3dh.ParseKEMPrivateKey(b.kemKey.KeyPair.Private.LibsignalBytes())
	if err != nil {
		t.Fatal(err)
	}
	k := b.keys(&in.Message)
	k.KEMPreKey = &x3dh.KEMKeyPair{Private: priv, Public: priv.PublicKey()}
	got, err := x3dh.Respond(x3dh.V4, k, &in.Message)
	if err != nil || got != in.Keys {
		t.Fatalf("Respond with imported key: %v, equal %v", err, got == in.Keys)
	}
}

func TestSecretsNotPrinted(t *testing.T) {
	b := newBob(t, x3dh.Kyber1024)
	in, err := x3dh.Initiate(x3dh.V4, newIdentity(t), b.bundle(t, false, true))
	if err != nil {
		t.Fatal(err)
	}
	g := &x3dh.Generic{Hash: crypto.SHA256, Info: "MyProtocol"}
	gr, _, err := g.Initiate(newIdentity(t), b.bundle(t, false, false))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []any{in.Keys, &in.Keys, in, gr} {
		s := fmt.Sprintf("%v|%+v|%#v|%s|%x", v, v, v, v, v)
		for _, secret := range [][]byte{in.Keys.RootKey[:], in.Keys.ChainKey[:], in.Keys.AuthKey[:], gr.SK[:]} {
			if strings.Contains(s, hex.EncodeToString(secret[:8])) || strings.Contains(s, fmt.Sprint(secret[:4])[1:10]) {
				t.Errorf("secret printed by %T: %s", v, s)
			}
		}
	}
}
