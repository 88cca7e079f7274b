package wire

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// decodeAll decodes every chain's deferred message keys into MessageKeys,
// as ParseRecord would have filled them, checking NumMessageKeys and that
// seed gets exactly the seed-only keys.
func decodeAll(t testing.TB, s *SessionStructure) error {
	for i := range s.ReceiverChains {
		c := &s.ReceiverChains[i]
		n := c.NumMessageKeys()
		var keys []MessageKey
		err := c.DecodeMessageKeys(func(index uint32, seed *[SeedKeySize]byte) error {
			keys = append(keys, MessageKey{Index: index, Seed: bytes.Clone(seed[:])})
			return nil
		}, func(k *MessageKey) error {
			if len(k.Seed) == SeedKeySize && k.CipherKey == nil && k.MACKey == nil && k.IV == nil {
				t.Fatalf("seed-only key %d passed to other", k.Index)
			}
			keys = append(keys, MessageKey{Index: k.Index, CipherKey: bytes.Clone(k.CipherKey), MACKey: bytes.Clone(k.MACKey),
				IV: bytes.Clone(k.IV), Seed: bytes.Clone(k.Seed)})
			return nil
		})
		if err != nil {
			return err
		}
		if len(keys) != n {
			t.Fatalf("chain %d: NumMessageKeys %d, decoded %d", i, n, len(keys))
		}
		if c.MessageKeys != nil {
			t.Fatalf("chain %d: deferred parse filled MessageKeys", i)
		}
		c.MessageKeys, c.deferred, c.nDeferred = keys, nil, 0
	}
	return nil
}

// checkDeferred checks that the deferred parsers accept exactly what
// ParseRecord and ParseSessionStructure accept, with the same content once
// the keys are decoded, and never change their input.
func checkDeferred(t testing.TB, b []byte) {
	in := bytes.Clone(b)
	full, errFull := ParseRecord(b)
	d, err := ParseRecordDeferred(b)
	if err == nil && d.Current != nil {
		err = decodeAll(t, d.Current)
	}
	if !bytes.Equal(b, in) {
		t.Fatal("ParseRecordDeferred changed its input")
	}
	if (err == nil) != (errFull == nil) {
		t.Fatalf("ParseRecord: %v; deferred: %v", errFull, err)
	}
	if err != nil {
		if !ourError(err) {
			t.Fatalf("foreign error %v", err)
		}
	} else if !reflect.DeepEqual(d, full) {
		t.Fatalf("deferred parse differs:\n%+v\n%+v", d, full)
	}

	fullS, errFull := ParseSessionStructure(b)
	s, err := ParseSessionStructureDeferred(b)
	if err == nil {
		err = decodeAll(t, s)
	}
	if (err == nil) != (errFull == nil) {
		t.Fatalf("ParseSessionStructure: %v; deferred: %v", errFull, err)
	}
	if err == nil && !reflect.DeepEqual(s, fullS) {
		t.Fatalf("deferred session parse differs:\n%+v\n%+v", s, fullS)
	}
	if full != nil {
		for _, p := range full.Previous {
			checkDeferred(t, p)
		}
	}
}

// chainForms are receiving chains (encoded by hand) whose message keys
// take every path of DecodeMessageKeys: libsignal's form, index 0, an
// explicit zero index, fields in another order, repeated fields, unknown
// fields, keys of 128 bytes and more, whole keys, and other chain fields
// between and after the keys.
func chainForms() [][]byte {
	seed := rep(0x5e, 32)
	key := func(fields ...[]byte) []byte {
		body := cat(fields...)
		return cat(h(0x22), uvarint(len(body)), body)
	}
	idx := func(v ...byte) []byte { return cat(h(0x08), v) }
	sd := cat(h(0x2a, 0x20), seed)
	whole := cat(h(0x12, 0x20), rep(1, 32), h(0x1a, 0x20), rep(2, 32), h(0x22, 0x10), rep(3, 16))
	ratchetKey := cat(h(0x0a, 33, 0x05), rep(9, 32))
	chainKey := cat(h(0x1a, 36, 0x08, 0x64, 0x12, 0x20), rep(7, 32))
	unknown := h(0x78, 0x01) // field 15, varint
	return [][]byte{
		cat(ratchetKey, chainKey, key(idx(0x63), sd), key(idx(0x80, 0x01), sd), key(idx(0xff, 0xff, 0x03), sd), key(sd)),
		cat(ratchetKey, key(idx(0x00), sd), key(sd, idx(5)), key(idx(5), sd, sd), key(idx(6), unknown, sd), chainKey),
		cat(key(idx(7), whole), unknown, key(idx(8), whole, sd), ratchetKey, key(idx(9), sd, cat(h(0x32, 0x60), rep(4, 0x60))), chainKey),
		cat(ratchetKey, chainKey, key(idx(1), cat(h(0x2a, 0x1f), rep(1, 31)))),                              // short seed
		cat(ratchetKey, chainKey, key(idx(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), sd)), // overlong index
		cat(ratchetKey, chainKey, key(idx(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), sd)),
		cat(ratchetKey, chainKey, key(h(0x08)), key(sd)),        // truncated index
		cat(ratchetKey, chainKey, key(h(0x2d, 1, 2, 3, 4), sd)), // fixed32 field
		cat(ratchetKey, chainKey, key(h(0x0d, 1, 2, 3, 4), sd)), // index with the wrong wire type
		cat(ratchetKey, chainKey, key(sd), h(0x22, 0x05, 0x08)), // truncated key
		cat(ratchetKey, chainKey, key(sd), h(0x20, 0x01)),       // message_keys as a varint
		cat(ratchetKey, chainKey, key(sd), h(0x22, 0x80, 0x01)), // truncated long key
		cat(ratchetKey, chainKey, key(sd), h(0x22, 0x80, 0x80)), // truncated length
	}
}

// deferredSeeds are records built around chainForms, plus FuzzParseRecord's
// seeds.
func deferredSeeds(tb testing.TB) [][]byte {
	seeds := append([][]byte(nil), fuzzSeeds(tb)["FuzzParseRecord"]...)
	for _, c := range chainForms() {
		ss := cat(h(0x08, 0x03, 0x3a), uvarint(len(c)), c)
		seeds = append(seeds, cat(h(0x0a), uvarint(len(ss)), ss))
	}
	return seeds
}

func TestParseDeferred(t *testing.T) {
	for _, b := range deferredSeeds(t) {
		checkDeferred(t, b)
	}
	for _, b := range deferredSeeds(t)[:3] {
		for n := range len(b) {
			checkDeferred(t, b[:n])
		}
	}
	// Some of the forms are accepted, some refused, by both parsers.
	var ok, refused int
	for _, c := range chainForms() {
		if _, err := ParseRecord(cat(h(0x0a), uvarint(len(c)+3), h(0x3a), uvarint(len(c)), c)); err == nil {
			ok++
		} else {
			refused++
		}
	}
	if ok < 3 || refused < 5 {
		t.Fatalf("chain forms: %d accepted, %d refused", ok, refused)
	}
}

// TestDecodeMessageKeysStops checks that a callback's error stops the walk
// and is returned unchanged.
func TestDecodeMessageKeysStops(t *testing.T) {
	r, err := ParseRecordDeferred(deferredSeeds(t)[len(fuzzSeeds(t)["FuzzParseRecord"])+1])
	if err != nil {
		t.Fatal(err)
	}
	c := &r.Current.ReceiverChains[0]
	stop := ErrInvalidField
	calls := 0
	f := func() error { calls++; return stop }
	err = c.DecodeMessageKeys(func(uint32, *[SeedKeySize]byte) error { return f() }, func(*MessageKey) error { return f() })
	if err != stop || calls != 1 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
}

func TestAppendSeedMessageKey(t *testing.T) {
	var seed [SeedKeySize]byte
	copy(seed[:], seq(1, SeedKeySize))
	for _, index := range []uint32{0, 1, 2, 127, 128, 255, 16383, 16384, 1<<21 - 1, 1 << 21, 1<<28 - 1, 1 << 28, 1<<32 - 1} {
		mk := MessageKey{Index: index, Seed: seed[:]}
		want := AppendMessageKeyField([]byte{0xee}, &mk)
		got := AppendSeedMessageKey([]byte{0xee}, index, &seed)
		if !bytes.Equal(got, want) {
			t.Errorf("index %d: %x, want %x", index, got, want)
		}
		if n := SeedMessageKeyLen(index); n != len(want)-1 || n != MessageKeyFieldLen(&mk) {
			t.Errorf("index %d: SeedMessageKeyLen %d, MessageKeyFieldLen %d, encoded %d", index, n, MessageKeyFieldLen(&mk), len(want)-1)
		}
		// Hand-written: tag 4, length, [tag 1, varint], tag 5, 32, seed.
		body := cat(h(0x2a, 0x20), seed[:])
		if index != 0 {
			body = cat(h(0x08), uvarint(index), body)
		}
		if hand := cat(h(0xee, 0x22), uvarint(len(body)), body); !bytes.Equal(got, hand) {
			t.Errorf("index %d: %x, want %x", index, got, hand)
		}
	}
}

// keysWriter is a MessageKeyWriter over MessageKeys.
type keysWriter []MessageKey

func (w keysWriter) EncodedLen() int {
	n := 0
	for i := range w {
		n += MessageKeyFieldLen(&w[i])
	}
	return n
}

func (w keysWriter) AppendTo(b []byte) []byte {
	for i := range w {
		b = AppendMessageKeyField(b, &w[i])
	}
	return b
}

func TestKeyWriter(t *testing.T) {
	keys := []MessageKey{{Index: 3, Seed: rep(1, 32)}, {Index: 0, Seed: rep(2, 32)}, {Index: 300, CipherKey: rep(3, 32), MACKey: rep(4, 32), IV: rep(5, 16)}}
	plain := &SessionStructure{Version: 3, RootKey: rep(9, 32), ReceiverChains: []Chain{
		{RatchetKey: rep(6, 33), ChainKey: &ChainKey{Index: 400, Key: rep(7, 32)}, MessageKeys: keys}}}
	split := &SessionStructure{Version: 3, RootKey: rep(9, 32), ReceiverChains: []Chain{
		{RatchetKey: rep(6, 33), ChainKey: &ChainKey{Index: 400, Key: rep(7, 32)}, MessageKeys: keys[:1], KeyWriter: keysWriter(keys[1:])}}}
	want := (&Record{Current: plain}).Append(nil)
	r := &Record{Current: split}
	if got := r.Append(nil); !bytes.Equal(got, want) || r.EncodedLen() != len(want) {
		t.Fatalf("KeyWriter encoding differs:\n%x\n%x", got, want)
	}
}

func FuzzParseRecordDeferred(f *testing.F) {
	for _, s := range deferredSeeds(f) {
		f.Add(s)
	}
	if files, _ := filepath.Glob(filepath.Join("testdata", "fuzz", f.Name(), "*")); len(files) == 0 {
		f.Fatalf("no committed corpus in testdata/fuzz/%s", f.Name())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > maxDeferredFuzzInput {
			return
		}
		checkDeferred(t, b)
	})
}

// maxDeferredFuzzInput bounds what FuzzParseRecordDeferred checks: its
// check parses every input four times and compares the results with
// reflect.DeepEqual, so a mutation of the 11 KB and 22 KB seeds costs
// milliseconds with coverage on. The big seeds are checked in full by
// TestParseDeferred (which replays every seed) and fuzzed as records by
// FuzzParseRecord.
const maxDeferredFuzzInput = 4096

// TestDeferredFuzzSeeds checks FuzzParseRecordDeferred's committed seeds
// (rewritten with -update-seeds).
func TestDeferredFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzParseRecordDeferred")
	for i, s := range deferredSeeds(t) {
		path := filepath.Join(dir, "seed-"+string(rune('a'+i)))
		want := []byte("go test fuzz v1\n[]byte(" + quote(s) + ")\n")
		if *updateSeeds {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s missing or stale (%v): run go test -run TestDeferredFuzzSeeds -update-seeds", path, err)
		}
	}
}

// TestDeferredRedacted checks that a deferred parse prints no key and
// counts its encoded keys.
func TestDeferredRedacted(t *testing.T) {
	r, err := ParseRecordDeferred(deferredSeeds(t)[len(fuzzSeeds(t)["FuzzParseRecord"])])
	if err != nil {
		t.Fatal(err)
	}
	c := r.Current.ReceiverChains[0]
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb+" "+verb+" "+verb, r, *r.Current, c)
		if strings.Contains(out, "^^^^") || strings.Contains(out, "5e5e5e5e") || strings.Contains(out, "94 94 94 94") || strings.Contains(out, "0x5e, 0x5e") {
			t.Fatalf("%s prints a seed: %s", verb, out)
		}
		if !strings.Contains(out, "MessageKeys: 4") {
			t.Fatalf("%s does not count the deferred keys: %s", verb, out)
		}
	}
}
