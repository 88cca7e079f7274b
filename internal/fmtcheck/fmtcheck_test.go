package fmtcheck

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

var secret = []byte{0x9c, 0x41, 0xe3, 0x07, 0x5a, 0xb8, 0x12, 0xfd, 0x66, 0x20, 0xc9, 0x7e}

type rawArray struct {
	ID  uint32
	key [12]byte
}

type rawSlice struct {
	Key []byte
}

type redacted struct{ key [12]byte }

func (redacted) Format(f fmt.State, _ rune) { fmt.Fprint(f, "redacted") }

type redactedPtr struct{ key *[12]byte }

func (redactedPtr) Format(f fmt.State, _ rune) { fmt.Fprint(f, "redactedPtr") }

type stringerOnly struct{ key [12]byte }

func (stringerOnly) String() string { return "hidden" }

// TestDetectsEncodings checks that every encoding fmt can produce for a
// secret window is recognized, and that none is reported where the secret
// is absent.
func TestDetectsEncodings(t *testing.T) {
	w := newWindows([][]byte{secret})
	win := secret[3:7] // 07 5a b8 12
	dec := func(sep, f string) string {
		var parts []string
		for _, b := range win {
			parts = append(parts, fmt.Sprintf(f, b))
		}
		return "x[" + strings.Join(parts, sep) + "]y"
	}
	cases := []struct{ out, enc string }{
		{"k=" + string(win), "raw bytes"},
		{"k=" + hex.EncodeToString(win), "hex"},
		{"K=" + strings.ToUpper(hex.EncodeToString(secret)), "hex"},
		{"k=a" + hex.EncodeToString(win), "hex"}, // odd alignment
		{dec(" ", "%x"), "hex numbers"},
		{dec(", ", "%#x"), "hex numbers"},
		{dec(" ", "%U"), "hex numbers"},
		{dec(" ", "%#U"), "hex numbers"},
		{dec(" ", "%d"), "decimal"},
		{dec(",", "%d"), "decimal"},
		{dec(" ", "%08d"), "decimal"},
		{dec(" ", "%+d"), "decimal"},
		{dec(" ", "%!e(uint8=%d)"), "decimal"},
		{dec(" ", "%o"), "octal"},
		{dec(" ", "%O"), "octal"},
		{dec(" ", "%b"), "binary"},
		{dec(" ", "%c"), "characters"},
		{dec(" ", "%q"), "quoted"},
		{dec(" ", "%+q"), "quoted"},
		{fmt.Sprintf("%q", win), "quoted"},
		{fmt.Sprintf("%+q", secret), "quoted"},
		{"b64 " + base64.StdEncoding.EncodeToString(secret[1:]), "base64"},
		{"b64 " + base64.RawURLEncoding.EncodeToString(secret[2:]), "base64"},
	}
	for _, c := range cases {
		enc, _, _, ok := w.find(c.out)
		if !ok {
			t.Errorf("no leak found in %q, want %s", c.out, c.enc)
			continue
		}
		if enc != c.enc && !(c.enc == "characters" && enc == "raw bytes") {
			t.Logf("%q found as %s, listed as %s", c.out, enc, c.enc)
		}
	}
	clean := []string{
		"session.Record{current: v4, archived: 3}",
		dec(" ", "%d")[:9] + " 99 " + dec(" ", "%d")[9:], // window broken by another number
		hex.EncodeToString(secret[:3]) + "zz" + hex.EncodeToString(secret[3:6]),
		"0xc000123456 <nil> &{7 [1 2 3 4]}",
	}
	for _, out := range clean {
		if enc, sec, off, ok := w.find(out); ok {
			t.Errorf("false positive in %q: %s, secret %d offset %d", out, enc, sec, off)
		}
	}
}

// TestLeaks checks which verbs Leaks reports for types that print their
// keys, and that it reports nothing for redacting types.
func TestLeaks(t *testing.T) {
	var a [12]byte
	copy(a[:], secret)
	verbsOf := func(leaks []Leak, form string) string {
		var vs []string
		for _, l := range leaks {
			if l.Form == form {
				vs = append(vs, l.Format[len(l.Format)-1:])
			}
		}
		return strings.Join(vs, "")
	}
	arr := Leaks(rawArray{ID: 1, key: a}, secret)
	// Every verb but %T (and %p on a struct, which Leaks skips) prints
	// the array's elements in some encoding.
	if got, want := verbsOf(arr, "value"), "vsqxXdoObcUeEfFGgt"; !sameSet(got, want) {
		t.Errorf("rawArray value leaks under %q, want %q", got, want)
	}
	if got := verbsOf(arr, "pointer"); !strings.Contains(got, "d") || strings.Contains(got, "p") {
		t.Errorf("rawArray pointer leaks under %q", got)
	}
	sl := Leaks(rawSlice{Key: secret}, secret)
	if got := verbsOf(sl, "map value"); !strings.Contains(got, "s") || !strings.Contains(got, "x") {
		t.Errorf("rawSlice in a map leaks under %q", got)
	}
	if got := Leaks(redacted{key: a}, secret); len(got) != 0 {
		t.Errorf("redacted leaks: %v", got)
	}
	if got := Leaks(&redacted{key: a}, secret); len(got) != 0 {
		t.Errorf("*redacted leaks: %v", got)
	}
	// A Stringer is not enough: %d and %#v ignore String.
	if got, want := verbsOf(Leaks(stringerOnly{key: a}, secret), "value"), "vdoObcUeEfFgGt"; !sameSet(got, want) {
		t.Errorf("stringerOnly leaks under %q, want %q (not %%s %%q %%x %%X)", got, want)
	}
	// %p on a struct value bypasses Format.
	if got := PBypassLeaks(redacted{key: a}, secret); len(got) == 0 {
		t.Error("PBypassLeaks found nothing for an inline array")
	}
	if got := PBypassLeaks(redactedPtr{key: &a}, secret); len(got) != 0 {
		t.Errorf("PBypassLeaks for a key behind a pointer: %v", got)
	}
}

func sameSet(a, b string) bool {
	for _, c := range a {
		if !strings.ContainsRune(b, c) {
			return false
		}
	}
	for _, c := range b {
		if !strings.ContainsRune(a, c) {
			return false
		}
	}
	return true
}

// TestHolds checks that Holds finds secrets through unexported fields,
// pointers, maps, interfaces and slices, and only there.
func TestHolds(t *testing.T) {
	var a [12]byte
	copy(a[:], secret)
	type inner struct{ k *[12]byte }
	type outer struct {
		m map[string]any
		s []inner
	}
	v := &outer{m: map[string]any{"x": []inner{{k: &a}}}}
	if !Holds(v, secret) || !Holds(v, secret[2:9]) {
		t.Error("Holds did not find the secret")
	}
	if w := (&outer{s: []inner{{k: &a}}}); !Holds(w, secret) {
		t.Error("Holds did not find the secret in a slice field")
	}
	if Holds(v, []byte{1, 2, 3, 4}) {
		t.Error("Holds found bytes that are not there")
	}
	cyc := &struct{ self any }{}
	cyc.self = cyc
	if Holds(cyc, secret) {
		t.Error("Holds found the secret in a cycle")
	}
}

// TestNoSecretsPasses runs NoSecrets on a redacting type.
func TestNoSecretsPasses(t *testing.T) {
	var a [12]byte
	copy(a[:], secret)
	NoSecrets(t, redacted{key: a}, secret)
	NoSecrets(t, &redactedPtr{key: &a}, secret[:6], secret[6:])
}
