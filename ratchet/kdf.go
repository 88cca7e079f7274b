package ratchet

import (
	"encoding/binary"

	"github.com/forwardsecret/signal/internal/sha256kdf"
)

// Labels of Signal's key schedule (PROTOCOL.md, "Double Ratchet"). They are
// byte slices, never modified, so that writing them to the hash does not
// allocate.
var (
	infoRatchet     = []byte("WhisperRatchet")
	infoMessageKeys = []byte("WhisperMessageKeys")
)

// kdf is the package's key-derivation scratch: the shared allocation-free
// HMAC/HKDF (sha256kdf.KDF) plus the per-message buffers. Every buffer
// lives inside the (heap-allocated) kdf, because slices written to a
// hash.Hash escape.
type kdf struct {
	sha256kdf.KDF

	dh  [32]byte
	ids [66]byte // two 33-byte identity keys for the message MAC
	tag [32]byte // the message MAC before truncation

	seed [32]byte // message-key seed
	rck  [32]byte // candidate receiving chain key
	sck  [32]byte // candidate sending chain key
	root [32]byte // candidate root key
	mac  [32]byte // key copy for SignalMAC

	// mk holds the message keys of the message being processed; Decrypt
	// hands out &mk.MAC to its verify callback.
	mk MessageKeys

	// rootInfo and mkInfo are the state's Suite labels (infoRatchet and
	// infoMessageKeys unless SetSuite changed them).
	rootInfo, mkInfo []byte
}

func newKDF() *kdf {
	k := new(kdf)
	k.Init()
	k.rootInfo, k.mkInfo = infoRatchet, infoMessageKeys
	return k
}

// messageKeys derives the AES key, MAC key and IV of one message from its
// seed: HKDF-SHA256(salt, seed, "WhisperMessageKeys", 80), or the Suite's
// label.
func (k *kdf) messageKeys(mk *MessageKeys, seed *[32]byte, salt []byte) {
	var buf [MessageKeysSize]byte
	k.HKDF(buf[:], salt, seed[:], k.mkInfo)
	copy(mk.Cipher[:], buf[0:32])
	copy(mk.MAC[:], buf[32:64])
	copy(mk.IV[:], buf[64:80])
	clear(buf[:])
}

// rootStep runs create_chain: HKDF-SHA256(salt = root, ikm = dh,
// "WhisperRatchet" or the Suite's label, 64) -> new root key, new chain
// key. root is updated in place.
func (k *kdf) rootStep(root *[32]byte, dh []byte, chain *[32]byte) {
	var buf [64]byte
	k.HKDF(buf[:], root[:], dh, k.rootInfo)
	copy(root[:], buf[:32])
	copy(chain[:], buf[32:])
	clear(buf[:])
}

// be32 appends v big-endian.
func be32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }
