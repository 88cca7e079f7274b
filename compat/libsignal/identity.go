package libsignal

import (
	"fmt"

	"github.com/forwardsecret/signal/compat"
	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/wire"
)

const (
	identityKeyPairRecord = "IdentityKeyPair"
	identityKeyRecord     = "IdentityKey"
)

// ImportIdentityKeyPair reads an identity key pair as libsignal serializes
// it (IdentityKeyPair.serialize: storage.proto IdentityKeyPairStructure
// {1 public_key, 2 private_key}, a 33-byte public key and a 32-byte
// private key; libsignal-protocol-c and -java write the same). The public
// key must be the private key's. Errors wrap compat.ErrInvalidRecord.
func ImportIdentityKeyPair(b []byte) (*curve.IdentityKeyPair, error) {
	var public, private []byte
	r := wire.NewReader(b, identityKeyPairRecord)
	for r.More() {
		num, typ, err := r.Tag()
		if err != nil {
			return nil, invalid(identityKeyPairRecord, err)
		}
		switch num {
		case 1:
			public, err = r.Bytes("public_key", typ)
		case 2:
			private, err = r.Bytes("private_key", typ)
		default:
			err = r.Skip(num, typ)
		}
		if err != nil {
			return nil, invalid(identityKeyPairRecord, err)
		}
	}
	kp, err := curveKeyPair(identityKeyPairRecord, public, private)
	if err != nil {
		return nil, err
	}
	id, err := curve.NewIdentityKeyPair(kp.Private)
	if err != nil {
		return nil, invalid(identityKeyPairRecord, err)
	}
	return id, nil
}

// ExportIdentityKeyPair writes k as libsignal's IdentityKeyPair.serialize
// does. It fails with compat.ErrInvalidKey for a nil key.
func ExportIdentityKeyPair(k *curve.IdentityKeyPair) ([]byte, error) {
	if k == nil || k.PrivateKey() == nil {
		return nil, fmt.Errorf("%w: nil identity key pair", compat.ErrInvalidKey)
	}
	priv := k.PrivateKey().Bytes()
	defer clear(priv)
	b := appendBytes(nil, 1, k.PublicKey().Bytes())
	return appendBytes(b, 2, priv), nil
}

// ImportIdentityKey reads a public identity key as libsignal serializes it
// (IdentityKey.serialize: 0x05 || 32-byte u-coordinate, 33 bytes). Unlike
// libsignal, which ignores bytes after the 33rd, it refuses a longer input,
// as curve.ParsePublicKey does. Errors wrap compat.ErrInvalidRecord and
// curve.ErrInvalidPublicKey.
func ImportIdentityKey(b []byte) (curve.PublicKey, error) {
	k, err := curve.ParsePublicKey(b)
	if err != nil {
		return curve.PublicKey{}, invalid(identityKeyRecord, err)
	}
	return k, nil
}

// ExportIdentityKey writes k as libsignal's IdentityKey.serialize does: its
// 33-byte encoding. It fails with compat.ErrInvalidKey for the zero value.
func ExportIdentityKey(k curve.PublicKey) ([]byte, error) {
	if k.IsZero() {
		return nil, fmt.Errorf("%w: zero identity key", compat.ErrInvalidKey)
	}
	return k.Bytes(), nil
}
