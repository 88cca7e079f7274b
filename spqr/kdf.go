package spqr

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"sync"

	"github.com/forwardsecret/signal/internal/sha256kdf"
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

// kdfScratch is a reusable HKDF and room for an info string, so that kdf
// allocates only its output.
type kdfScratch struct {
	k    sha256kdf.KDF
	info [96]byte
}

var kdfPool = sync.Pool{New: func() any {
	s := new(kdfScratch)
	s.k.Init()
	return s
}}

// kdf is HKDF-SHA256 (RFC 5869) of n <= 96 bytes (far below HKDF's limit,
// so it cannot fail) with info label. A nil salt is SPQR's salt of 32 zero
// bytes.
func kdf(salt, ikm []byte, label string, n int) []byte {
	return kdfWith(salt, ikm, nil, label, n)
}

// kdfWith is kdf with info prefix || label.
func kdfWith(salt, ikm, prefix []byte, label string, n int) []byte {
	out := make([]byte, n)
	s := kdfPool.Get().(*kdfScratch)
	info := append(append(s.info[:0], prefix...), label...)
	s.k.HKDF(out, salt, ikm, info)
	kdfPool.Put(s)
	return out
}

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
	out := kdf(nil, ikm, labelAuthUpdate+string(be64(ep)), 64)
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
	return kdf(nil, ss, labelSCKAKey+string(be64(epoch)), 32)
}
