package libsignal

import (
	"fmt"
	"math"
	"time"

	"github.com/forwardsecret/signal/compat"
	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/x3dh"
)

// Names of the records, as they appear in errors.
const (
	preKeyRecord       = "PreKeyRecord"
	signedPreKeyRecord = "SignedPreKeyRecord"
	kyberPreKeyRecord  = "KyberPreKeyRecord"
)

// KyberSecretKeySize is the size of the secret key in a KyberPreKeyRecord:
// the KEM type byte (x3dh.Kyber1024, 0x08) followed by the 3,168-byte
// expanded decapsulation key ŝ || ek || H(ek) || z, the layout round-3
// Kyber and FIPS 203 ML-KEM share. x3dh.KEMPrivateKey.LibsignalBytes
// writes it.
const KyberSecretKeySize = 1 + 3168

// ImportPreKeyRecord reads a libsignal PreKeyRecord (storage.proto
// PreKeyRecordStructure {1 id, 2 public_key, 3 private_key}), the one-time
// prekey record of every libsignal generation: libsignal-protocol-c and
// -java write the same fields. The public key must be the private key's.
// Errors wrap compat.ErrInvalidRecord.
func ImportPreKeyRecord(b []byte) (*x3dh.OneTimePreKey, error) {
	k, err := parseKeyRecord(b, preKeyRecord, false)
	if err != nil {
		return nil, err
	}
	kp, err := curveKeyPair(preKeyRecord, k.public, k.private)
	if err != nil {
		return nil, err
	}
	return &x3dh.OneTimePreKey{ID: k.id, KeyPair: kp}, nil
}

// ExportPreKeyRecord writes k as libsignal's PreKeyRecord, byte for byte as
// libsignal serializes it. It fails with compat.ErrInvalidKey for a nil key
// or one without a private key.
func ExportPreKeyRecord(k *x3dh.OneTimePreKey) ([]byte, error) {
	if k == nil {
		return nil, fmt.Errorf("%w: nil one-time prekey", compat.ErrInvalidKey)
	}
	pub, priv, err := curveExport(k.KeyPair)
	if err != nil {
		return nil, err
	}
	defer clear(priv)
	r := keyRecord{id: k.ID, public: pub, private: priv}
	return r.append(nil, false), nil
}

// ImportSignedPreKeyRecord reads a libsignal SignedPreKeyRecord
// (storage.proto SignedPreKeyRecordStructure {1 id, 2 public_key,
// 3 private_key, 4 signature, 5 timestamp}), as every libsignal generation
// writes it. The public key must be the private key's and the signature 64
// bytes; the signature is not verified (that needs the identity key:
// identity.PublicKey().VerifySignature(k.KeyPair.Public.Bytes(),
// k.Signature)). The timestamp, milliseconds since the Unix epoch, becomes
// Timestamp in UTC; 0 becomes the zero time.Time. Errors wrap
// compat.ErrInvalidRecord.
func ImportSignedPreKeyRecord(b []byte) (*x3dh.SignedPreKey, error) {
	k, err := parseKeyRecord(b, signedPreKeyRecord, true)
	if err != nil {
		return nil, err
	}
	kp, err := curveKeyPair(signedPreKeyRecord, k.public, k.private)
	if err != nil {
		return nil, err
	}
	ts, sig, err := importSigned(signedPreKeyRecord, &k)
	if err != nil {
		return nil, err
	}
	return &x3dh.SignedPreKey{ID: k.id, KeyPair: kp, Timestamp: ts, Signature: sig}, nil
}

// ExportSignedPreKeyRecord writes k as libsignal's SignedPreKeyRecord, byte
// for byte as libsignal serializes it. Timestamp is kept in milliseconds;
// the zero time.Time is written as 0. It fails with compat.ErrInvalidKey
// for a nil key, one without a private key, a signature that is not 64
// bytes or a timestamp before 1970.
func ExportSignedPreKeyRecord(k *x3dh.SignedPreKey) ([]byte, error) {
	if k == nil {
		return nil, fmt.Errorf("%w: nil signed prekey", compat.ErrInvalidKey)
	}
	pub, priv, err := curveExport(k.KeyPair)
	if err != nil {
		return nil, err
	}
	defer clear(priv)
	r := keyRecord{id: k.ID, public: pub, private: priv}
	if err := exportSigned(&r, k.Timestamp, k.Signature); err != nil {
		return nil, err
	}
	return r.append(nil, true), nil
}

// ImportKyberPreKeyRecord reads a libsignal KyberPreKeyRecord: the layout
// of SignedPreKeyRecordStructure with a KEM public key (type byte || 1,568
// bytes) and a KEM secret key of KyberSecretKeySize bytes. Both must be of
// one KEM type (x3dh.Kyber1024, or x3dh.MLKEM1024, which libsignal's
// released builds do not enable), and the secret key must pass
// x3dh.ParseKEMPrivateKey's checks and belong to the public key. The
// signature and timestamp are read as ImportSignedPreKeyRecord reads them.
// The result decapsulates what libsignal's key would. Errors wrap
// compat.ErrInvalidRecord (and x3dh.ErrInvalidKEMKey or
// x3dh.ErrUnknownKEMType for a bad key).
func ImportKyberPreKeyRecord(b []byte) (*x3dh.KEMPreKey, error) {
	k, err := parseKeyRecord(b, kyberPreKeyRecord, true)
	if err != nil {
		return nil, err
	}
	pub, err := x3dh.ParseKEMPublicKey(k.public)
	if err != nil {
		return nil, invalid(kyberPreKeyRecord, fmt.Errorf("public key: %w", err))
	}
	if len(k.private) != KyberSecretKeySize {
		return nil, invalidf(kyberPreKeyRecord, "secret key of %d bytes, want %d", len(k.private), KyberSecretKeySize)
	}
	priv, err := x3dh.ParseKEMPrivateKey(k.private)
	if err != nil {
		return nil, invalid(kyberPreKeyRecord, fmt.Errorf("secret key: %w", err))
	}
	if priv.Type() != pub.Type() {
		return nil, invalidf(kyberPreKeyRecord, "secret key of type %v, public key of type %v", priv.Type(), pub.Type())
	}
	if !priv.PublicKey().Equal(pub) {
		return nil, invalidf(kyberPreKeyRecord, "public key is not the secret key's")
	}
	ts, sig, err := importSigned(kyberPreKeyRecord, &k)
	if err != nil {
		return nil, err
	}
	return &x3dh.KEMPreKey{ID: k.id, KeyPair: x3dh.KEMKeyPair{Private: priv, Public: pub}, Timestamp: ts, Signature: sig}, nil
}

// ExportKyberPreKeyRecord writes k as libsignal's KyberPreKeyRecord, with
// the secret key in libsignal's expanded form
// (x3dh.KEMPrivateKey.LibsignalBytes), so that libsignal decapsulates with
// it; a key generated here (ML-KEM-1024 key generation, see x3dh) is a
// valid round-3 Kyber key. The record holds no seed: a key exported and
// imported again has no seed either, and x3dh.KEMPrivateKey.Bytes then
// stores the expanded form. The timestamp and signature are written as
// ExportSignedPreKeyRecord writes them. It fails with compat.ErrInvalidKey
// for a nil key, one without a private key, a signature that is not 64
// bytes or a timestamp before 1970.
func ExportKyberPreKeyRecord(k *x3dh.KEMPreKey) ([]byte, error) {
	if k == nil || k.KeyPair.Private == nil {
		return nil, fmt.Errorf("%w: KEM prekey without a private key", compat.ErrInvalidKey)
	}
	pub := k.KeyPair.Public
	if pub.IsZero() {
		pub = k.KeyPair.Private.PublicKey()
	}
	r := keyRecord{id: k.ID, public: pub.Bytes(), private: k.KeyPair.Private.LibsignalBytes()}
	defer clear(r.private)
	if err := exportSigned(&r, k.Timestamp, k.Signature); err != nil {
		return nil, err
	}
	return r.append(nil, true), nil
}

// curveKeyPair parses a Curve25519 key pair of a record and checks that
// the public key is the private key's.
func curveKeyPair(record string, public, private []byte) (curve.KeyPair, error) {
	pub, err := curve.ParsePublicKey(public)
	if err != nil {
		return curve.KeyPair{}, invalid(record, fmt.Errorf("public key: %w", err))
	}
	priv, err := curve.NewPrivateKey(private)
	if err != nil {
		return curve.KeyPair{}, invalid(record, fmt.Errorf("private key: %w", err))
	}
	if !priv.PublicKey().Equal(pub) {
		return curve.KeyPair{}, invalidf(record, "public key is not the private key's")
	}
	return curve.KeyPair{Private: priv, Public: pub}, nil
}

// curveExport returns the encodings of a key pair to export: the public key
// as stored, or derived from the private key when it is the zero value. The
// private key's encoding is a fresh copy, for the caller to clear.
func curveExport(kp curve.KeyPair) (public, private []byte, err error) {
	if kp.Private == nil {
		return nil, nil, fmt.Errorf("%w: key pair without a private key", compat.ErrInvalidKey)
	}
	pub := kp.Public
	if pub.IsZero() {
		pub = kp.Private.PublicKey()
	}
	return pub.Bytes(), kp.Private.Bytes(), nil
}

// importSigned reads the timestamp and signature of a signed key record.
func importSigned(record string, k *keyRecord) (time.Time, []byte, error) {
	if len(k.signature) != curve.SignatureSize {
		return time.Time{}, nil, invalidf(record, "signature of %d bytes, want %d", len(k.signature), curve.SignatureSize)
	}
	if k.timestamp > math.MaxInt64 {
		return time.Time{}, nil, invalidf(record, "timestamp %d out of range", k.timestamp)
	}
	var ts time.Time
	if k.timestamp != 0 {
		ts = time.UnixMilli(int64(k.timestamp)).UTC()
	}
	return ts, append([]byte(nil), k.signature...), nil
}

// exportSigned sets the timestamp and signature of a signed key record.
func exportSigned(r *keyRecord, ts time.Time, sig []byte) error {
	if len(sig) != curve.SignatureSize {
		return fmt.Errorf("%w: signature of %d bytes, want %d", compat.ErrInvalidKey, len(sig), curve.SignatureSize)
	}
	r.signature = sig
	if !ts.IsZero() {
		ms := ts.UnixMilli()
		if ms < 0 {
			return fmt.Errorf("%w: timestamp before 1970", compat.ErrInvalidKey)
		}
		r.timestamp = uint64(ms)
	}
	return nil
}
