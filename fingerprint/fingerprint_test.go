package fingerprint

import (
	"bytes"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/forwardsecret/signal/curve"
)

func genKey(t testing.TB) curve.PublicKey {
	t.Helper()
	kp, err := curve.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return kp.Public
}

func pair(t testing.TB, version uint32, iters int, aID []byte, a curve.PublicKey, bID []byte, b curve.PublicKey) (*Fingerprint, *Fingerprint) {
	t.Helper()
	fa, err := New(version, iters, Party{ID: aID, IdentityKey: a}, Party{ID: bID, IdentityKey: b})
	if err != nil {
		t.Fatal(err)
	}
	fb, err := New(version, iters, Party{ID: bID, IdentityKey: b}, Party{ID: aID, IdentityKey: a})
	if err != nil {
		t.Fatal(err)
	}
	return fa, fb
}

// referenceHash is the iterated hash written out with a fresh hash per step
// and an explicit buffer, to cross-check hashSide's buffer reuse.
func referenceHash(iters int, id []byte, key curve.PublicKey) []byte {
	kb := key.Bytes()
	msg := append(append(append([]byte{0, 0}, kb...), id...), kb...)
	h := sha512.Sum512(msg)
	for i := 1; i < iters; i++ {
		h = sha512.Sum512(append(h[:], kb...))
	}
	return h[:]
}

// referenceDigits formats 30 hash bytes the way the specification reads.
func referenceDigits(h []byte) string {
	var sb strings.Builder
	for c := 0; c < 6; c++ {
		var buf [8]byte
		copy(buf[3:], h[c*5:c*5+5])
		fmt.Fprintf(&sb, "%05d", binary.BigEndian.Uint64(buf[:])%100000)
	}
	return sb.String()
}

func TestMatchesReference(t *testing.T) {
	for i := 0; i < 20; i++ {
		a, b := genKey(t), genKey(t)
		aID, bID := []byte(fmt.Sprintf("alice-%d", i)), []byte(fmt.Sprintf("bob-%d", i*7))
		iters := 2 + i*13
		fa, err := New(Version2, iters, Party{ID: aID, IdentityKey: a}, Party{ID: bID, IdentityKey: b})
		if err != nil {
			t.Fatal(err)
		}
		la, lb := referenceHash(iters, aID, a), referenceHash(iters, bID, b)
		da, db := referenceDigits(la), referenceDigits(lb)
		want := db + da
		if da < db {
			want = da + db
		}
		if fa.DisplayString() != want {
			t.Fatalf("display %s, want %s", fa.DisplayString(), want)
		}
		want2 := (&Scannable{Version: Version2, Local: la[:32], Remote: lb[:32]}).Append(nil)
		if !bytes.Equal(fa.Scannable(), want2) {
			t.Fatalf("scannable %x, want %x", fa.Scannable(), want2)
		}
	}
}

func TestMatchingFingerprints(t *testing.T) {
	a, b := genKey(t), genKey(t)
	fa, fb := pair(t, Version1, 1024, []byte(libsignalAliceStableID), a, []byte(libsignalBobStableID), b)
	if fa.DisplayString() != fb.DisplayString() || len(fa.DisplayString()) != DisplayLength {
		t.Fatalf("displays %q and %q", fa.DisplayString(), fb.DisplayString())
	}
	if fa.String() != fa.DisplayString() {
		t.Error("String differs from DisplayString")
	}
	for _, c := range []struct {
		f    *Fingerprint
		scan []byte
		want bool
	}{{fa, fb.Scannable(), true}, {fb, fa.Scannable(), true}, {fa, fa.Scannable(), false}, {fb, fb.Scannable(), false}} {
		ok, err := c.f.Compare(c.scan)
		if err != nil || ok != c.want {
			t.Errorf("Compare = %v, %v; want %v", ok, err, c.want)
		}
	}
}

func TestMismatchingKeys(t *testing.T) {
	a, b, mitm := genKey(t), genKey(t), genKey(t)
	fa, err := New(Version1, 1024, Party{ID: []byte(libsignalAliceStableID), IdentityKey: a}, Party{ID: []byte(libsignalBobStableID), IdentityKey: mitm})
	if err != nil {
		t.Fatal(err)
	}
	fb, err := New(Version1, 1024, Party{ID: []byte(libsignalBobStableID), IdentityKey: b}, Party{ID: []byte(libsignalAliceStableID), IdentityKey: a})
	if err != nil {
		t.Fatal(err)
	}
	if fa.DisplayString() == fb.DisplayString() {
		t.Error("equal displays despite a substituted key")
	}
	for _, c := range [][2]*Fingerprint{{fa, fb}, {fb, fa}} {
		if ok, err := c[0].Compare(c[1].Scannable()); ok || err != nil {
			t.Errorf("Compare = %v, %v; want false, nil", ok, err)
		}
	}
}

// TestMismatchingIdentifiers: the scannable form carries no identifiers, so
// a wrong identifier shows up as a plain mismatch (false, nil), as in
// libsignal's fingerprint_mismatching_identifiers.
func TestMismatchingIdentifiers(t *testing.T) {
	a, b := genKey(t), genKey(t)
	fa, err := New(Version1, 1024, Party{ID: []byte("+141512222222"), IdentityKey: a}, Party{ID: []byte(libsignalBobStableID), IdentityKey: b})
	if err != nil {
		t.Fatal(err)
	}
	fb, err := New(Version1, 1024, Party{ID: []byte(libsignalBobStableID), IdentityKey: b}, Party{ID: []byte(libsignalAliceStableID), IdentityKey: a})
	if err != nil {
		t.Fatal(err)
	}
	if fa.DisplayString() == fb.DisplayString() {
		t.Error("equal displays despite different identifiers")
	}
	for _, c := range [][2]*Fingerprint{{fa, fb}, {fb, fa}} {
		if ok, err := c[0].Compare(c[1].Scannable()); ok || err != nil {
			t.Errorf("Compare = %v, %v; want false, nil", ok, err)
		}
	}
}

// TestMismatchingVersions follows libsignal's fingerprint_mismatching_versions
// and checks the error Compare returns.
func TestMismatchingVersions(t *testing.T) {
	alice, bob := mustKey(t, libsignalAliceIdentity), mustKey(t, libsignalBobIdentity)
	v1, err := New(Version1, libsignalIterations, Party{ID: []byte(libsignalAliceStableID), IdentityKey: alice}, Party{ID: []byte(libsignalBobStableID), IdentityKey: bob})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := New(Version2, libsignalIterations, Party{ID: []byte(libsignalBobStableID), IdentityKey: bob}, Party{ID: []byte(libsignalAliceStableID), IdentityKey: alice})
	if err != nil {
		t.Fatal(err)
	}
	if v1.DisplayString() != v2.DisplayString() {
		t.Error("display changed with the version")
	}
	if bytes.Equal(v1.Scannable(), v2.Scannable()) {
		t.Error("scannable did not change with the version")
	}
	ok, err := v1.Compare(v2.Scannable())
	var vm *VersionMismatchError
	if ok || !errors.Is(err, ErrVersionMismatch) || !errors.As(err, &vm) || vm.Theirs != 2 || vm.Ours != 1 {
		t.Fatalf("Compare = %v, %v; want version mismatch theirs 2 ours 1", ok, err)
	}
	// A missing version counts as 0.
	noVersion := mustHex(t, libsignalBobScanV1)[2:]
	if _, err := v1.Compare(noVersion); !errors.As(err, &vm) || vm.Theirs != 0 {
		t.Errorf("missing version: err = %v", err)
	}
}

func TestInvalidIterations(t *testing.T) {
	k := genKey(t)
	for _, n := range []int{-1, 0, 1, MaxIterations + 1} {
		if _, err := New(1, n, Party{ID: nil, IdentityKey: k}, Party{ID: nil, IdentityKey: k}); !errors.Is(err, ErrInvalidIterations) {
			t.Errorf("iterations %d: err = %v", n, err)
		}
	}
	for _, n := range []int{MinIterations, 3} {
		if _, err := New(1, n, Party{ID: nil, IdentityKey: k}, Party{ID: nil, IdentityKey: k}); err != nil {
			t.Errorf("iterations %d: %v", n, err)
		}
	}
}

func TestCompareMalformed(t *testing.T) {
	alice, bob := mustKey(t, libsignalAliceIdentity), mustKey(t, libsignalBobIdentity)
	f, err := New(Version1, libsignalIterations, Party{ID: []byte(libsignalAliceStableID), IdentityKey: alice}, Party{ID: []byte(libsignalBobStableID), IdentityKey: bob})
	if err != nil {
		t.Fatal(err)
	}
	good := mustHex(t, libsignalBobScanV1)
	cases := map[string][]byte{
		"truncated":          good[:len(good)-1],
		"bad tag":            {0x08, 0x01, 0x00},
		"missing remote":     good[:2+36],
		"missing local":      append(append([]byte{}, good[:2]...), good[2+36:]...),
		"version as bytes":   {0x0a, 0x01, 0x01},
		"local as varint":    {0x08, 0x01, 0x10, 0x01},
		"content as varint":  {0x08, 0x01, 0x12, 0x02, 0x08, 0x01},
		"overlong varint":    {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		"end group":          {0x0c},
		"local without body": {0x08, 0x01, 0x12, 0x00, 0x1a, 0x00},
	}
	for name, b := range cases {
		ok, err := f.Compare(b)
		if ok || !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: Compare = %v, %v; want ErrMalformed", name, ok, err)
		}
	}
	// Wrong-length hashes decode but compare unequal.
	short := (&Scannable{Version: 1, Local: []byte{1}, Remote: []byte{}}).Append(nil)
	if ok, err := f.Compare(short); ok || err != nil {
		t.Errorf("short hashes: %v, %v", ok, err)
	}
}

// TestParseFlexible: fields in any order, unknown fields skipped, repeated
// sub-messages merged, as protobuf decoders (prost) do.
func TestParseFlexible(t *testing.T) {
	alice, bob := mustKey(t, libsignalAliceIdentity), mustKey(t, libsignalBobIdentity)
	f, err := New(Version1, libsignalIterations, Party{ID: []byte(libsignalAliceStableID), IdentityKey: alice}, Party{ID: []byte(libsignalBobStableID), IdentityKey: bob})
	if err != nil {
		t.Fatal(err)
	}
	good := mustHex(t, libsignalBobScanV1)
	version, local, remote := good[:2], good[2:38], good[38:]
	var reordered []byte
	reordered = append(reordered, remote...)
	reordered = append(reordered, 0x22, 0x01, 0x00)       // unknown field 4
	reordered = append(reordered, 0x12, 0x02, 0x10, 0x05) // local without content (field 2 varint inside)
	reordered = append(reordered, local...)
	reordered = append(reordered, 0x12, 0x03, 0x18, 0x80, 0x01) // another empty merge
	reordered = append(reordered, 0x08, 0x07)                   // version 7, overwritten next
	reordered = append(reordered, version...)
	if ok, err := f.Compare(reordered); !ok || err != nil {
		t.Fatalf("reordered: %v, %v", ok, err)
	}
	s, err := ParseScannable(reordered)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s.Append(nil), good) {
		t.Errorf("re-encoding %x, want %x", s.Append(nil), good)
	}
	if _, err := ParseScannable(good[2:]); !errors.Is(err, ErrMalformed) {
		t.Errorf("ParseScannable without version: %v", err)
	}
	// The result does not alias the input.
	in := bytes.Clone(good)
	s, err = ParseScannable(in)
	if err != nil {
		t.Fatal(err)
	}
	clear(in)
	if !bytes.Equal(s.Append(nil), good) {
		t.Error("parse result aliases its input")
	}
	m, _ := s.MarshalBinary()
	a, _ := s.AppendBinary([]byte{9})
	if !bytes.Equal(m, good) || !bytes.Equal(a[1:], good) || a[0] != 9 {
		t.Error("MarshalBinary/AppendBinary disagree with Append")
	}
}

func TestScannableFresh(t *testing.T) {
	a, b := genKey(t), genKey(t)
	fa, fb := pair(t, Version2, 16, []byte("a"), a, []byte("b"), b)
	s := fa.Scannable()
	clear(s)
	if ok, err := fb.Compare(fa.Scannable()); !ok || err != nil {
		t.Fatal("Scannable returned shared storage")
	}
}
