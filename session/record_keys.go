package session

import (
	"sort"

	"github.com/forwardsecret/signal/internal/wire"
	"github.com/forwardsecret/signal/ratchet"
)

// skippedWriter writes a receiving chain's stored skipped keys as
// storage.proto message_keys fields straight from the ratchet state, newest
// first as libsignal stores them, without building []wire.MessageKey. Its
// output is byte for byte what wire.Chain.MessageKeys would give.
type skippedWriter struct {
	v ratchet.SkippedView
	n int // encoded length
}

func newSkippedWriter(v ratchet.SkippedView) *skippedWriter {
	w := &skippedWriter{v: v}
	if !v.HasLegacy() {
		w.n = seedKeysLen(v)
		return w
	}
	for j := range v.Len() {
		if keys, ok := v.Keys(j); ok {
			mk := legacyMessageKey(v.Index(j), &keys)
			w.n += wire.MessageKeyFieldLen(&mk)
			keys = ratchet.MessageKeys{}
			continue
		}
		w.n += wire.SeedMessageKeyLen(v.Index(j))
	}
	return w
}

// varintBounds are the values at which a protobuf varint grows by a byte
// (0 has a size of its own: proto3 does not write a zero index).
var varintBounds = [...]uint64{1, 1 << 7, 1 << 14, 1 << 21, 1 << 28, 1 << 32}

// seedKeysLen is the encoded length of v's keys when all are seeds. The
// length of a key depends only on the varint size of its index, and the
// indices ascend, so it counts the keys of each size by binary search.
func seedKeysLen(v ratchet.SkippedView) int {
	n, lo, total := v.Len(), 0, 0
	for _, bound := range varintBounds {
		hi := lo + sort.Search(n-lo, func(j int) bool { return uint64(v.Index(lo+j)) >= bound })
		if hi > lo {
			total += (hi - lo) * wire.SeedMessageKeyLen(v.Index(lo))
		}
		lo = hi
	}
	return total
}

// legacyMessageKey is the message key of stored whole keys; it aliases keys.
func legacyMessageKey(index uint32, keys *ratchet.MessageKeys) wire.MessageKey {
	return wire.MessageKey{Index: index, CipherKey: keys.Cipher[:], MACKey: keys.MAC[:], IV: keys.IV[:]}
}

func (w *skippedWriter) EncodedLen() int { return w.n }

func (w *skippedWriter) AppendTo(b []byte) []byte {
	v := w.v
	legacy := v.HasLegacy()
	for j := v.Len() - 1; j >= 0; j-- {
		if legacy {
			if keys, ok := v.Keys(j); ok {
				mk := legacyMessageKey(v.Index(j), &keys)
				b = wire.AppendMessageKeyField(b, &mk)
				keys = ratchet.MessageKeys{}
				continue
			}
		}
		seed := v.Seed(j)
		b = wire.AppendSeedMessageKey(b, v.Index(j), &seed)
	}
	return b
}
