package libsignal_test

import (
	"bytes"
	"errors"
	"math"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/forwardsecret/signal/compat"
	"github.com/forwardsecret/signal/compat/libsignal"
	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/kem"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/x3dh"
)

func TestConstantSizes(t *testing.T) {
	if libsignal.KyberSecretKeySize != kem.LibsignalPrivateKeySize {
		t.Errorf("KyberSecretKeySize = %d, internal/kem has %d", libsignal.KyberSecretKeySize, kem.LibsignalPrivateKeySize)
	}
}

// TestRoundTrip exports keys made here and imports them back: the same
// values (timestamps to the millisecond), and the same bytes again.
func TestRoundTrip(t *testing.T) {
	id, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	b, err := libsignal.ExportIdentityKeyPair(id)
	if err != nil {
		t.Fatal(err)
	}
	id2, err := libsignal.ImportIdentityKeyPair(b)
	if err != nil || !id2.PublicKey().Equal(id.PublicKey()) || !bytes.Equal(id2.PrivateKey().Bytes(), id.PrivateKey().Bytes()) {
		t.Fatalf("identity key pair: %v", err)
	}
	pb, _ := libsignal.ExportIdentityKey(id.PublicKey())
	if pub, err := libsignal.ImportIdentityKey(pb); err != nil || !pub.Equal(id.PublicKey()) {
		t.Fatalf("identity key: %v", err)
	}

	for _, otkID := range []uint32{0, 1, 0xFFFFFE, math.MaxUint32} {
		otk, err := x3dh.GenerateOneTimePreKey(otkID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := libsignal.ExportPreKeyRecord(otk)
		if err != nil {
			t.Fatal(err)
		}
		got, err := libsignal.ImportPreKeyRecord(b)
		if err != nil || got.ID != otk.ID || !got.KeyPair.Public.Equal(otk.KeyPair.Public) ||
			!bytes.Equal(got.KeyPair.Private.Bytes(), otk.KeyPair.Private.Bytes()) {
			t.Fatalf("prekey %d: %v", otkID, err)
		}
		again(t, b, func() ([]byte, error) { return libsignal.ExportPreKeyRecord(got) })
	}

	spk, err := x3dh.GenerateSignedPreKey(id, 42)
	if err != nil {
		t.Fatal(err)
	}
	for _, ts := range []time.Time{spk.Timestamp, {}, time.UnixMilli(1).UTC(), time.UnixMilli(math.MaxInt64).UTC()} {
		spk.Timestamp = ts
		b, err := libsignal.ExportSignedPreKeyRecord(spk)
		if err != nil {
			t.Fatal(err)
		}
		got, err := libsignal.ImportSignedPreKeyRecord(b)
		if err != nil || got.ID != 42 || !got.KeyPair.Public.Equal(spk.KeyPair.Public) || !bytes.Equal(got.Signature, spk.Signature) ||
			!got.Timestamp.Equal(ts.Truncate(time.Millisecond)) || (ts.IsZero() != got.Timestamp.IsZero()) {
			t.Fatalf("signed prekey at %v: %v, %v", ts, got, err)
		}
		again(t, b, func() ([]byte, error) { return libsignal.ExportSignedPreKeyRecord(got) })
	}

	for _, kt := range []x3dh.KEMType{x3dh.Kyber1024, x3dh.MLKEM1024} {
		kk, err := x3dh.GenerateKEMPreKey(id, 9, kt)
		if err != nil {
			t.Fatal(err)
		}
		b, err := libsignal.ExportKyberPreKeyRecord(kk)
		if err != nil {
			t.Fatal(err)
		}
		got, err := libsignal.ImportKyberPreKeyRecord(b)
		if err != nil || got.ID != 9 || !got.KeyPair.Public.Equal(kk.KeyPair.Public) || got.KeyPair.Private.Type() != kt ||
			!bytes.Equal(got.Signature, kk.Signature) || !got.Timestamp.Equal(kk.Timestamp.Truncate(time.Millisecond)) {
			t.Fatalf("%v prekey: %v", kt, err)
		}
		if !bytes.Equal(got.KeyPair.Private.LibsignalBytes(), kk.KeyPair.Private.LibsignalBytes()) {
			t.Fatalf("%v secret key changed", kt)
		}
		again(t, b, func() ([]byte, error) { return libsignal.ExportKyberPreKeyRecord(got) })
	}

	var rec senderkey.Record
	b, err = libsignal.ExportSenderKeyRecord(&rec)
	if err != nil || len(b) != 0 {
		t.Fatalf("empty sender-key record: %x, %v", b, err)
	}
	if r, err := libsignal.ImportSenderKeyRecord(b); err != nil || r.Len() != 0 {
		t.Fatalf("empty sender-key record imports as %v, %v", r, err)
	}
}

// again checks that export writes want.
func again(t *testing.T, want []byte, export func() ([]byte, error)) {
	t.Helper()
	got, err := export()
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("re-export differs (%v):\n%x\n%x", err, got, want)
	}
}

// TestExportErrors checks the values that no record can hold.
func TestExportErrors(t *testing.T) {
	id, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	spk, err := x3dh.GenerateSignedPreKey(id, 1)
	if err != nil {
		t.Fatal(err)
	}
	kk, err := x3dh.GenerateKEMPreKey(id, 1, x3dh.Kyber1024)
	if err != nil {
		t.Fatal(err)
	}
	shortSig := *spk
	shortSig.Signature = shortSig.Signature[:63]
	early := *spk
	early.Timestamp = time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)
	noPriv := *spk
	noPriv.KeyPair.Private = nil
	kkShort := *kk
	kkShort.Signature = nil
	kkNoPriv := *kk
	kkNoPriv.KeyPair.Private = nil
	for name, export := range map[string]func() ([]byte, error){
		"nil prekey":                   func() ([]byte, error) { return libsignal.ExportPreKeyRecord(nil) },
		"prekey without private key":   func() ([]byte, error) { return libsignal.ExportPreKeyRecord(&x3dh.OneTimePreKey{}) },
		"nil signed prekey":            func() ([]byte, error) { return libsignal.ExportSignedPreKeyRecord(nil) },
		"signed prekey, short sig":     func() ([]byte, error) { return libsignal.ExportSignedPreKeyRecord(&shortSig) },
		"signed prekey before 1970":    func() ([]byte, error) { return libsignal.ExportSignedPreKeyRecord(&early) },
		"signed prekey without key":    func() ([]byte, error) { return libsignal.ExportSignedPreKeyRecord(&noPriv) },
		"nil Kyber prekey":             func() ([]byte, error) { return libsignal.ExportKyberPreKeyRecord(nil) },
		"Kyber prekey without sig":     func() ([]byte, error) { return libsignal.ExportKyberPreKeyRecord(&kkShort) },
		"Kyber prekey without private": func() ([]byte, error) { return libsignal.ExportKyberPreKeyRecord(&kkNoPriv) },
		"nil identity key pair":        func() ([]byte, error) { return libsignal.ExportIdentityKeyPair(nil) },
		"zero identity key":            func() ([]byte, error) { return libsignal.ExportIdentityKey(curve.PublicKey{}) },
		"nil sender-key record":        func() ([]byte, error) { return libsignal.ExportSenderKeyRecord(nil) },
		"nil session record":           func() ([]byte, error) { return libsignal.ExportSessionRecord(nil) },
	} {
		if b, err := export(); !errors.Is(err, compat.ErrInvalidKey) || b != nil {
			t.Errorf("%s: %x, %v", name, b, err)
		}
	}
}

// keyRecord encodes a (signed) prekey record from its fields, as a
// libsignal-like writer would; nil fields are left out.
func keyRecord(id uint64, pub, priv, sig []byte, ts uint64) []byte {
	var b []byte
	if id != 0 {
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, id)
	}
	for i, v := range [][]byte{pub, priv, sig} {
		if v != nil {
			b = protowire.AppendTag(b, protowire.Number(i+2), protowire.BytesType)
			b = protowire.AppendBytes(b, v)
		}
	}
	if ts != 0 {
		b = protowire.AppendTag(b, 5, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, ts)
	}
	return b
}

// TestImportErrors feeds the importers records that are broken one way
// each; every one must fail with compat.ErrInvalidRecord.
func TestImportErrors(t *testing.T) {
	id, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	other, err := curve.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	kp, err := curve.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	pub, priv := kp.Public.Bytes(), kp.Private.Bytes()
	sig := make([]byte, 64)
	kyber, err := x3dh.GenerateKEMKeyPair(x3dh.Kyber1024)
	if err != nil {
		t.Fatal(err)
	}
	mlkem, err := x3dh.GenerateKEMKeyPair(x3dh.MLKEM1024)
	if err != nil {
		t.Fatal(err)
	}
	kpub, kpriv := kyber.Public.Bytes(), kyber.Private.LibsignalBytes()
	// The same ML-KEM key under the other type byte.
	retyped := append([]byte{byte(x3dh.MLKEM1024)}, kpriv[1:]...)
	corrupt := bytes.Clone(kpriv)
	corrupt[100] ^= 1 // ŝ no longer belongs to the public key
	idPair, _ := libsignal.ExportIdentityKeyPair(id)
	// The identity record below with the right public key imports.
	if _, err := libsignal.ImportIdentityKeyPair(append(protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), id.PublicKey().Bytes()), idPair[35:]...)); err != nil {
		t.Fatal(err)
	}

	type importer func([]byte) error
	prekey := func(b []byte) error { _, err := libsignal.ImportPreKeyRecord(b); return err }
	signed := func(b []byte) error { _, err := libsignal.ImportSignedPreKeyRecord(b); return err }
	kyberRec := func(b []byte) error { _, err := libsignal.ImportKyberPreKeyRecord(b); return err }
	identity := func(b []byte) error { _, err := libsignal.ImportIdentityKeyPair(b); return err }
	identityKey := func(b []byte) error { _, err := libsignal.ImportIdentityKey(b); return err }
	sessionRec := func(b []byte) error { _, err := libsignal.ImportSessionRecord(b); return err }
	legacy := func(b []byte) error { _, err := libsignal.ImportLegacySessionRecord(b, time.Now()); return err }
	senderRec := func(b []byte) error { _, err := libsignal.ImportSenderKeyRecord(b); return err }
	for _, c := range []struct {
		name string
		f    importer
		b    []byte
	}{
		{"prekey: empty", prekey, nil},
		{"prekey: truncated", prekey, keyRecord(1, pub, priv, nil, 0)[:10]},
		{"prekey: no private key", prekey, keyRecord(1, pub, nil, nil, 0)},
		{"prekey: other public key", prekey, keyRecord(1, other.Public.Bytes(), priv, nil, 0)},
		{"prekey: public key without type byte", prekey, keyRecord(1, pub[1:], priv, nil, 0)},
		{"prekey: private key of 33 bytes", prekey, keyRecord(1, pub, append(bytes.Clone(priv), 0), nil, 0)},
		{"prekey: id as bytes", prekey, append(protowire.AppendTag(nil, 1, protowire.BytesType), 0)},
		{"signed: no signature", signed, keyRecord(1, pub, priv, nil, 0)},
		{"signed: signature of 65 bytes", signed, keyRecord(1, pub, priv, make([]byte, 65), 0)},
		{"signed: timestamp beyond int64", signed, keyRecord(1, pub, priv, sig, 1<<63)},
		{"signed: timestamp as varint", signed, append(keyRecord(1, pub, priv, sig, 0), 5<<3, 1)},
		{"kyber: Curve25519 keys", kyberRec, keyRecord(1, pub, priv, sig, 1)},
		{"kyber: seed form", kyberRec, keyRecord(1, kpub, kyber.Private.Bytes(), sig, 1)},
		{"kyber: other public key", kyberRec, keyRecord(1, mlkem.Public.Bytes(), kpriv, sig, 1)},
		{"kyber: type bytes differ", kyberRec, keyRecord(1, kpub, retyped, sig, 1)},
		{"kyber: corrupt secret key", kyberRec, keyRecord(1, kpub, corrupt, sig, 1)},
		{"kyber: unknown type", kyberRec, keyRecord(1, append([]byte{7}, kpub[1:]...), append([]byte{7}, kpriv[1:]...), sig, 1)},
		{"kyber: no signature", kyberRec, keyRecord(1, kpub, kpriv, nil, 1)},
		{"identity: empty", identity, nil},
		{"identity: other public key", identity, append(protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), other.Public.Bytes()), idPair[35:]...)},
		{"identity: trailing garbage", identity, append(bytes.Clone(idPair), 0xFF)},
		{"identity key: 34 bytes", identityKey, append(id.PublicKey().Bytes(), 0)},
		{"identity key: type 0x06", identityKey, append([]byte{6}, id.PublicKey().Bytes()[1:]...)},
		{"session: garbage", sessionRec, []byte{0xFF, 0xFF}},
		{"session: empty current state", sessionRec, []byte{0x0A, 0x00}},
		{"session: empty archived state", sessionRec, []byte{0x12, 0x00}},
		{"legacy: garbage", legacy, []byte{0x0A, 0x05, 0x01}},
		{"sender key: state without keys", senderRec, []byte{0x0A, 0x02, 0x08, 0x01}},
	} {
		err := c.f(c.b)
		if !errors.Is(err, compat.ErrInvalidRecord) && !errors.Is(err, compat.ErrUnsupportedVersion) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
