package spqr

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
)

// Labels (the "info" strings of SPQR's HKDF and HMAC calls).
const (
	labelChainStart    = "Signal PQ Ratchet V1 Chain  Start" // two spaces, as in SPQR
	labelChainNext     = "Signal PQ Ratchet V1 Chain Next"
	labelChainAddEpoch = "Signal PQ Ratchet V1 Chain Add Epoch"
	labelAuthUpdate    = "Signal_PQCKA_V1_MLKEM768:Authenticator Update"
	labelMACCiphertext = "Signal_PQCKA_V1_MLKEM768:ciphertext"
	labelMACHeader     = "Signal_PQCKA_V1_MLKEM768:ekheader"
	labelSCKAKey       = "Signal_PQCKA_V1_MLKEM768:SCKA Key"
)

var zeroSalt [32]byte

// kdf is HKDF-SHA256 (RFC 5869). Lengths here are at most 96 bytes, far
// below HKDF's limit, so it cannot fail.
func kdf(salt, ikm []byte, info string, n int) []byte {
	out, err := hkdf.Key(sha256.New, ikm, salt, info, n)
	if err != nil {
		panic("spqr: hkdf: " + err.Error()) // unreachable: n <= 255·32
	}
	return out
}

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// authenticator is the Braid's MAC state: a root key that absorbs every
// epoch secret and the MAC key derived with it.
type authenticator struct {
	rootKey []byte // 32 bytes
	macKey  []byte // 32 bytes
}

// macSize is the size of the header and ciphertext MACs.
const macSize = 32

// newAuthenticator starts from all-zero keys and absorbs the initial key
// (the PQXDH "SPQR auth key") for epoch ep.
func newAuthenticator(key []byte, ep uint64) authenticator {
	a := authenticator{rootKey: make([]byte, 32), macKey: make([]byte, 32)}
	a.update(ep, key)
	return a
}

// update mixes k into the root key for epoch ep:
// root || mac = HKDF(salt 0^32, root || k, label || be64(ep), 64).
func (a *authenticator) update(ep uint64, k []byte) {
	ikm := append(append([]byte{}, a.rootKey...), k...)
	out := kdf(zeroSalt[:], ikm, labelAuthUpdate+string(be64(ep)), 64)
	a.rootKey, a.macKey = out[:32], out[32:]
}

func (a *authenticator) mac(label string, ep uint64, data []byte) []byte {
	h := hmac.New(sha256.New, a.macKey)
	h.Write([]byte(label))
	h.Write(be64(ep))
	h.Write(data)
	return h.Sum(nil)
}

func (a *authenticator) macHeader(ep uint64, hdr []byte) []byte {
	return a.mac(labelMACHeader, ep, hdr)
}
func (a *authenticator) macCiphertext(ep uint64, ct []byte) []byte {
	return a.mac(labelMACCiphertext, ep, ct)
}

func (a *authenticator) verify(label string, ep uint64, data, tag []byte) error {
	if subtle.ConstantTimeCompare(a.mac(label, ep, data), tag) != 1 {
		return ErrMAC
	}
	return nil
}

// scKAKey derives the epoch secret from an ML-KEM shared key:
// HKDF(salt 0^32, ss, "…SCKA Key" || be64(epoch), 32).
func sckaKey(ss []byte, epoch uint64) []byte {
	return kdf(zeroSalt[:], ss, labelSCKAKey+string(be64(epoch)), 32)
}
