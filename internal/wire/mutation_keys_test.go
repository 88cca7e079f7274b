package wire

import (
	"errors"
	"fmt"
	"testing"
)

// Message keys: the deferred parse's fast paths (one-byte lengths, the
// seed-only form) against the full parse, on the forms where a fast path
// that misjudges its input would give another result; and
// DecodeMessageKeys over MessageKeys.

// mutationChainForms are receiving chains (encoded by hand) whose message
// keys sit at the edges of the fast paths of ParseRecordDeferred and
// DecodeMessageKeys.
func mutationChainForms() map[string][]byte {
	seed := rep(0x5e, 32)
	key := func(fields ...[]byte) []byte {
		body := cat(fields...)
		return cat(h(0x22), uvarint(len(body)), body)
	}
	sd := cat(h(0x2a, 0x20), seed)
	ratchetKey := cat(h(0x0a, 33, 0x05), rep(9, 32))
	// A key of exactly 128 bytes, its length the two bytes 0x80 0x01,
	// ending in a zero byte: read as a one-byte length 0x80, the next
	// field would start at that zero (field number 0, malformed).
	long := key(h(0x08, 0x01), h(0x12, 124), rep(0x11, 123), h(0x00))
	return map[string][]byte{
		"empty key":             cat(ratchetKey, h(0x22, 0x00), key(sd)),
		"empty key last":        cat(ratchetKey, key(sd), h(0x22, 0x00)),
		"unknown varint first":  cat(ratchetKey, key(h(0x30, 0x05), sd)),                       // field 6 = 5, then the seed: index 0
		"unknown bytes first":   cat(ratchetKey, key(h(0x32, 0x01, 0x07), sd)),                 // field 6, one byte, then the seed
		"index 0x80 then 0x2a":  cat(ratchetKey, key(h(0x08, 0x80), sd)),                       // index varint 0x80 0x2a, then field 4 as a varint: malformed
		"index 0x80 0x01":       cat(ratchetKey, key(h(0x08, 0x80, 0x01), sd)),                 // index 128
		"index 0x80 0x00":       cat(ratchetKey, key(h(0x08, 0x80, 0x00), sd)),                 // index 0, non-minimal
		"cipher key only":       cat(ratchetKey, key(h(0x12, 0x20), seed)),                     // 34 bytes, not a seed
		"mac key only":          cat(ratchetKey, key(h(0x1a, 0x20), seed)),                     // 34 bytes, not a seed
		"short seed and index":  cat(ratchetKey, key(h(0x2a, 0x1e), seed[:30], h(0x08, 0x05))), // 34 bytes: a 30-byte seed, index 5
		"seed of 33 bytes":      cat(ratchetKey, key(h(0x2a, 0x21), seed, h(0x01))),
		"key of 128 bytes":      cat(ratchetKey, long, key(sd)),
		"key of 128 bytes last": cat(ratchetKey, key(sd), long),
		"key of 127 bytes":      cat(ratchetKey, key(h(0x08, 0x01), h(0x12, 123), rep(0x11, 122), h(0x00))),
		"lone tag":              cat(ratchetKey, key(sd), h(0x22)),
		"lone tag only":         h(0x22),
		"tag and zero length":   h(0x22, 0x00),
	}
}

// recordOfChain is a record whose current state has the one receiving
// chain c.
func recordOfChain(c []byte) []byte {
	ss := cat(h(0x08, 0x03, 0x3a), uvarint(len(c)), c)
	return cat(h(0x0a), uvarint(len(ss)), ss)
}

// TestMutationDeferredKeyForms checks that the deferred parse agrees with
// the full one (same keys, same callbacks, or both an error) on every form
// of mutationChainForms, and that the forms have the expected outcome.
func TestMutationDeferredKeyForms(t *testing.T) {
	refused := map[string]error{"index 0x80 then 0x2a": ErrMalformed, "lone tag": ErrTruncated, "lone tag only": ErrTruncated}
	for name, c := range mutationChainForms() {
		rec := recordOfChain(c)
		checkDeferred(t, rec)
		_, err := ParseRecord(rec)
		if want := refused[name]; !errors.Is(err, want) || (want == nil) != (err == nil) {
			t.Errorf("%s: ParseRecord: %v, want %v", name, err, want)
		}
	}
}

// TestMutationDeferredKeyCallbacks pins which callback each form reaches,
// with what: the seed-only form goes to seed, with its index; every other
// form goes to other.
func TestMutationDeferredKeyCallbacks(t *testing.T) {
	forms := mutationChainForms()
	for _, tc := range []struct {
		form  string
		calls string
	}{
		{"empty key", "other(0,c0,m0,iv0,s0) seed(0)"},
		{"empty key last", "seed(0) other(0,c0,m0,iv0,s0)"},
		{"unknown varint first", "seed(0)"},
		{"unknown bytes first", "seed(0)"},
		{"index 0x80 0x01", "seed(128)"},
		{"index 0x80 0x00", "seed(0)"},
		{"cipher key only", "other(0,c32,m0,iv0,s0)"},
		{"mac key only", "other(0,c0,m32,iv0,s0)"},
		{"short seed and index", "other(5,c0,m0,iv0,s30)"},
		{"seed of 33 bytes", "other(0,c0,m0,iv0,s33)"},
		{"key of 128 bytes", "other(1,c124,m0,iv0,s0) seed(0)"},
		{"key of 128 bytes last", "seed(0) other(1,c124,m0,iv0,s0)"},
		{"key of 127 bytes", "other(1,c123,m0,iv0,s0)"},
		{"tag and zero length", "other(0,c0,m0,iv0,s0)"},
	} {
		c := forms[tc.form]
		rec := recordOfChain(c)
		for _, parse := range []func([]byte) (*Record, error){ParseRecord, ParseRecordDeferred} {
			r, err := parse(rec)
			if err != nil {
				t.Fatalf("%s: %v", tc.form, err)
			}
			var calls string
			err = r.Current.ReceiverChains[0].DecodeMessageKeys(func(index uint32, seed *[SeedKeySize]byte) error {
				if seed[0] != 0x5e || seed[31] != 0x5e {
					t.Errorf("%s: seed %x", tc.form, seed[:])
				}
				calls += " " + fmt.Sprintf("seed(%d)", index)
				return nil
			}, func(k *MessageKey) error {
				calls += " " + fmt.Sprintf("other(%d,c%d,m%d,iv%d,s%d)", k.Index, len(k.CipherKey), len(k.MACKey), len(k.IV), len(k.Seed))
				return nil
			})
			if err != nil || calls != " "+tc.calls {
				t.Errorf("%s: %q, %v; want %q", tc.form, calls, err, tc.calls)
			}
		}
	}
}

// TestMutationDecodeMessageKeys walks a chain's MessageKeys (as
// ParseRecord fills them, or as built): every key in order, and a
// callback's error stops the walk at once and is returned as it is.
func TestMutationDecodeMessageKeys(t *testing.T) {
	c := Chain{MessageKeys: []MessageKey{
		{Index: 1, Seed: rep(1, 32)},
		{Index: 2, CipherKey: rep(2, 32), MACKey: rep(2, 32), IV: rep(2, 16)},
		{Index: 3, Seed: rep(3, 32)},
		{Index: 4, Seed: rep(4, 31)},
	}}
	var got []uint32
	stopAt := uint32(0)
	stop := errors.New("stop")
	seed := func(index uint32, s *[SeedKeySize]byte) error {
		if s[0] != byte(index) {
			t.Errorf("seed of key %d: %x", index, s[:])
		}
		got = append(got, index)
		if index == stopAt {
			return stop
		}
		return nil
	}
	other := func(k *MessageKey) error {
		got = append(got, 100+k.Index)
		if k.Index == stopAt {
			return stop
		}
		return nil
	}
	if err := c.DecodeMessageKeys(seed, other); err != nil || fmt.Sprintf("%v", got) != "[1 102 3 104]" {
		t.Fatalf("walk: %v, %v", got, err)
	}
	for at, want := range map[uint32]string{1: "[1]", 2: "[1 102]", 3: "[1 102 3]", 4: "[1 102 3 104]"} {
		got, stopAt = nil, at
		if err := c.DecodeMessageKeys(seed, other); err != stop || fmt.Sprintf("%v", got) != want {
			t.Errorf("stop at %d: %v, %v; want %s", at, got, err, want)
		}
	}
}

// TestMutationDecodeSeedKeysNoAlloc checks that DecodeMessageKeys decodes
// libsignal's seed-only keys left encoded by ParseRecordDeferred without
// allocating: the point of deferring them.
func TestMutationDecodeSeedKeysNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	s := testSession(1, 300)                                                                                // indexes 100 to 399: one- and two-byte varints
	s.ReceiverChains[0].MessageKeys = append(s.ReceiverChains[0].MessageKeys, MessageKey{Seed: rep(7, 32)}) // index 0
	r, err := ParseRecordDeferred((&Record{Current: s}).Append(nil))
	if err != nil {
		t.Fatal(err)
	}
	c := &r.Current.ReceiverChains[0]
	var n, sum int
	seed := func(index uint32, _ *[SeedKeySize]byte) error { n++; sum += int(index); return nil }
	other := func(*MessageKey) error { t.Error("other called"); return nil }
	allocs := testing.AllocsPerRun(20, func() {
		n, sum = 0, 0
		if err := c.DecodeMessageKeys(seed, other); err != nil {
			t.Fatal(err)
		}
	})
	if n != 301 || sum != (100+399)*300/2 {
		t.Fatalf("%d keys, index sum %d", n, sum)
	}
	if allocs != 0 {
		t.Errorf("DecodeMessageKeys of seed-only keys: %v allocations, want 0", allocs)
	}
}
