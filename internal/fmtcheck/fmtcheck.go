// Package fmtcheck is a test helper: it proves that a value prints none of
// its secret bytes under any fmt verb, flag and width.
//
// NoSecrets formats the value, a pointer to it, and the value as an
// exported struct field, a slice element and a map value, under every verb
// in Verbs combined with every flag set in Flags and width in Widths. It
// then searches each output for every window of WindowSize consecutive
// bytes of every secret, in every form fmt (or a careless String method)
// can produce:
//
//   - raw bytes (%s on a []byte);
//   - hexadecimal digits, lower or upper case, contiguous (%x, %X, %#x) or
//     one number per byte with any separator and prefix (% x, %#v's
//     0x1, 0x2, %U's U+0001);
//   - one number per byte in decimal (%v, %d, [12 34 ...] or 12, 34),
//     octal (%o, %O, %#o) or binary (%b), with any padding, sign, prefix
//     or separator, including the %!verb(uint8=12) form of a bad verb;
//   - characters (%c) and Go quoted strings or rune literals (%q, %+q,
//     %#q), unquoted before the search;
//   - base64 in the standard or URL alphabet, at every alignment.
//
// A number that does not parse in the base being searched is skipped, so
// type names or %!verb( wrappers between the numbers do not hide a leak.
//
// Before formatting, NoSecrets checks that every secret is actually held
// by the value (it walks the value with reflect, through unexported
// fields, pointers, slices, maps and interfaces, and looks for the secret
// in every byte array and byte slice it finds): a test that passed secret
// bytes the value does not contain would prove nothing.
//
// Why every verb and form matters: fmt uses String only for %v, %s, %x,
// %X and %q, and GoString only for %#v; every other verb prints the
// fields. fmt calls no method on a value reached through an unexported
// field, and under a verb that does not suit a pointer (%s, %q, %t, %c,
// %e and others) it prints what an unexported pointer field points to,
// fields and all, again without calling its methods. So a type is safe
// only if it implements fmt.Formatter itself, with a value receiver where
// it can (a pointer receiver does not cover a value, nor a value held in a
// field, slice or map), even if all it holds is a pointer to a type that
// redacts itself.
//
// One combination is not checked: %p applied to a value whose kind is not
// a pointer, map, slice, channel or function (a struct or an array, also
// the struct wrapper). fmt then prints %!p(T=...) through an internal path
// that disables Format, String and GoString, so no method can redact it;
// only a type that keeps its secrets behind a pointer is safe there.
// PBypassLeaks reports what that path prints; NoSecrets logs it (t.Logf)
// without failing.
//
// The struct-field form uses an exported field: fmt never calls the
// methods of a value in an unexported field, so a type cannot protect
// itself there, and the type that holds it must.
package fmtcheck

import (
	"crypto/sha256"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// WindowSize is the length of the secret windows searched for: a leak of
// any WindowSize consecutive bytes of a secret is reported.
const WindowSize = 4

// Verbs are the fmt verbs every value is formatted with.
var Verbs = []rune{'v', 's', 'q', 'x', 'X', 'd', 'o', 'O', 'b', 'c', 'U', 'e', 'E', 'f', 'F', 'g', 'G', 't', 'p', 'T'}

// Flags are the flag sets combined with every verb.
var Flags = []string{"", "+", "-", "#", " ", "0", "+#", "# ", "#0", "-#", "+- #0"}

// Widths are the width and precision specifications combined with every
// verb and flag set.
var Widths = []string{"", "40", ".3"}

// Formats returns every format string NoSecrets uses: each verb with each
// flag set and width.
func Formats() []string {
	var out []string
	for _, v := range Verbs {
		for _, f := range Flags {
			for _, w := range Widths {
				out = append(out, "%"+f+w+string(v))
			}
		}
	}
	return out
}

// Secret returns n deterministic, random-looking bytes named by label, for
// tests to place in a value as its key material. Different labels give
// unrelated bytes.
func Secret(label string, n int) []byte {
	var out []byte
	for ctr := byte(0); len(out) < n; ctr++ {
		h := sha256.Sum256(append([]byte(label), 0, ctr))
		out = append(out, h[:]...)
	}
	return out[:n]
}

// A Leak is one format of one form of a value that printed a secret window.
type Leak struct {
	// Form is how the value was passed to fmt: "value", "pointer",
	// "struct field", "slice element" or "map value".
	Form string
	// Format is the format string, for example "%+08d".
	Format string
	// Encoding names how the secret appeared: "raw bytes", "hex",
	// "hex numbers", "decimal", "octal", "binary", "characters",
	// "quoted" or "base64".
	Encoding string
	// Secret is the index of the leaked secret among those passed.
	Secret int
	// Offset is where the leaked window starts in that secret.
	Offset int
	// Output is the start of what fmt printed.
	Output string
}

// String describes the leak on one line.
func (l Leak) String() string {
	return fmt.Sprintf("%s under %q: secret %d bytes [%d:%d] as %s: %q",
		l.Form, l.Format, l.Secret, l.Offset, l.Offset+WindowSize, l.Encoding, l.Output)
}

// NoSecrets fails t if any form of value prints WindowSize or more
// consecutive bytes of any secret under any verb, flag set and width (see
// the package documentation). It fails t at once if a secret is shorter
// than WindowSize, has no two distinct bytes, or is not held by value.
func NoSecrets(t testing.TB, value any, secrets ...[]byte) {
	t.Helper()
	if value == nil {
		t.Fatal("fmtcheck: nil value")
	}
	if len(secrets) == 0 {
		t.Fatal("fmtcheck: no secrets to look for")
	}
	for i, s := range secrets {
		if err := checkSecret(s); err != nil {
			t.Fatalf("fmtcheck: secret %d of %T: %v", i, value, err)
		}
		if !Holds(value, s) {
			t.Fatalf("fmtcheck: %T does not hold secret %d (%d bytes); the check would prove nothing", value, i, len(s))
		}
	}
	leaks := Leaks(value, secrets...)
	const maxReported = 25
	for i, l := range leaks {
		if i == maxReported {
			t.Errorf("fmtcheck: %T: %d more leaks not shown", value, len(leaks)-maxReported)
			break
		}
		t.Errorf("fmtcheck: %T leaks: %v", value, l)
	}
	if len(leaks) > 0 {
		t.Errorf("fmtcheck: %T leaks under %s", value, Summary(leaks))
	}
	if pl := PBypassLeaks(value, secrets...); len(pl) > 0 {
		t.Logf("fmtcheck: note: %T prints secrets under %s: fmt's bad-verb path for %%p on a struct or array calls no method (see the package documentation)",
			value, Summary(pl))
	}
}

// Summary lists the verbs and forms of leaks compactly, for example
// "%d %v (value, pointer) as decimal, hex".
func Summary(leaks []Leak) string {
	var verbs, forms, encs []string
	seen := map[string]bool{}
	add := func(list *[]string, s string) {
		if !seen[s] {
			seen[s] = true
			*list = append(*list, s)
		}
	}
	for _, l := range leaks {
		add(&verbs, "%"+l.Format[len(l.Format)-1:])
		add(&forms, l.Form)
		add(&encs, l.Encoding)
	}
	return strings.Join(verbs, " ") + " (" + strings.Join(forms, ", ") + ") as " + strings.Join(encs, ", ")
}

func checkSecret(s []byte) error {
	if len(s) < WindowSize {
		return fmt.Errorf("%d bytes, need at least %d", len(s), WindowSize)
	}
	for _, b := range s[1:] {
		if b != s[0] {
			return nil
		}
	}
	return fmt.Errorf("all %d bytes are 0x%02x; use distinct bytes so leaks are recognizable", len(s), s[0])
}

// form is one way of passing the value to fmt.
type form struct {
	name string
	v    any
}

func forms(value any) []form {
	rv := reflect.ValueOf(value)
	t := rv.Type()
	ptr := reflect.New(t)
	ptr.Elem().Set(rv)
	st := reflect.New(reflect.StructOf([]reflect.StructField{
		{Name: "N", Type: reflect.TypeFor[int]()},
		{Name: "V", Type: t},
	})).Elem()
	st.Field(0).SetInt(7)
	st.Field(1).Set(rv)
	sl := reflect.MakeSlice(reflect.SliceOf(t), 1, 1)
	sl.Index(0).Set(rv)
	m := reflect.MakeMap(reflect.MapOf(reflect.TypeFor[string](), t))
	m.SetMapIndex(reflect.ValueOf("k"), rv)
	return []form{
		{"value", value},
		{"pointer", ptr.Interface()},
		{"struct field", st.Interface()},
		{"slice element", sl.Interface()},
		{"map value", m.Interface()},
	}
}

// pBypass reports whether fmt prints v under %p through its bad-verb path,
// which ignores Format, String and GoString.
func pBypass(v any) bool {
	switch reflect.ValueOf(v).Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return false
	}
	return true
}

// Leaks returns every leak NoSecrets would report, at most one per form
// and verb (the first flag set and width that leaked). It does not check
// that value holds the secrets.
func Leaks(value any, secrets ...[]byte) []Leak {
	w := newWindows(secrets)
	var leaks []Leak
	formats := Formats()
	for _, f := range forms(value) {
		leaked := map[byte]bool{}
		seen := map[string]bool{}
		for _, format := range formats {
			verb := format[len(format)-1]
			if leaked[verb] || verb == 'p' && pBypass(f.v) {
				continue
			}
			out := fmt.Sprintf(format, f.v)
			if seen[out] {
				continue
			}
			seen[out] = true
			if enc, sec, off, ok := w.find(out); ok {
				leaked[verb] = true
				leaks = append(leaks, Leak{Form: f.name, Format: format, Encoding: enc, Secret: sec, Offset: off, Output: excerpt(out)})
			}
		}
	}
	return leaks
}

// PBypassLeaks returns what Leaks skips: the leaks of %p (with every flag
// set and width) on the forms of value that fmt prints through its
// bad-verb path, where no method of the value is called.
func PBypassLeaks(value any, secrets ...[]byte) []Leak {
	w := newWindows(secrets)
	var leaks []Leak
	for _, f := range forms(value) {
		if !pBypass(f.v) {
			continue
		}
		for _, fl := range Flags {
			format := "%" + fl + "p"
			out := fmt.Sprintf(format, f.v)
			if enc, sec, off, ok := w.find(out); ok {
				leaks = append(leaks, Leak{Form: f.name, Format: format, Encoding: enc, Secret: sec, Offset: off, Output: excerpt(out)})
				break
			}
		}
	}
	return leaks
}

func excerpt(s string) string {
	const n = 160
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Holds reports whether value holds secret: whether some byte array or
// byte slice reachable from value through any fields (exported or not),
// pointers, slices, arrays, maps and interfaces contains it.
func Holds(value any, secret []byte) bool {
	found := false
	visited := map[uintptr]bool{}
	walkBytes(reflect.ValueOf(value), visited, func(b []byte) bool {
		if strings.Contains(string(b), string(secret)) {
			found = true
		}
		return found
	})
	return found
}

var byteType = reflect.TypeFor[byte]()

// walkBytes calls fn with every byte array and byte slice reachable from v,
// until fn returns true. Pointers, maps and slices are visited once.
func walkBytes(v reflect.Value, visited map[uintptr]bool, fn func([]byte) bool) bool {
	if !v.IsValid() {
		return false
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || visited[v.Pointer()] {
			return false
		}
		visited[v.Pointer()] = true
		return walkBytes(v.Elem(), visited, fn)
	case reflect.Interface:
		return walkBytes(v.Elem(), visited, fn)
	case reflect.Struct:
		for i := range v.NumField() {
			if walkBytes(v.Field(i), visited, fn) {
				return true
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice {
			if v.IsNil() {
				return false
			}
			if v.Len() > 0 {
				p := v.Index(0).UnsafeAddr()
				if visited[p] {
					return false
				}
				visited[p] = true
			}
		}
		if v.Type().Elem() == byteType {
			b := make([]byte, v.Len())
			for i := range b {
				b[i] = byte(v.Index(i).Uint())
			}
			return fn(b)
		}
		switch v.Type().Elem().Kind() {
		case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
			reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128, reflect.String:
			return false // no bytes inside
		}
		for i := range v.Len() {
			if walkBytes(v.Index(i), visited, fn) {
				return true
			}
		}
	case reflect.Map:
		if v.IsNil() || visited[v.Pointer()] {
			return false
		}
		visited[v.Pointer()] = true
		it := v.MapRange()
		for it.Next() {
			if walkBytes(it.Key(), visited, fn) || walkBytes(it.Value(), visited, fn) {
				return true
			}
		}
	}
	return false
}

// windows indexes every WindowSize-byte window of the secrets. A bitset of
// hashed windows filters lookups before the map.
type windows struct {
	m    map[uint32]struct{ secret, offset int }
	bits []uint64
}

func bucket(k uint32) uint32 { return (k * 2654435761) >> 16 }

func newWindows(secrets [][]byte) *windows {
	w := &windows{m: map[uint32]struct{ secret, offset int }{}, bits: make([]uint64, 1<<16/64)}
	for i, s := range secrets {
		for off := 0; off+WindowSize <= len(s); off++ {
			k := uint32(s[off])<<24 | uint32(s[off+1])<<16 | uint32(s[off+2])<<8 | uint32(s[off+3])
			if _, ok := w.m[k]; !ok {
				w.m[k] = struct{ secret, offset int }{i, off}
				b := bucket(k)
				w.bits[b/64] |= 1 << (b % 64)
			}
		}
	}
	return w
}

func (w *windows) lookup(k uint32) (sec, off int, ok bool) {
	if b := bucket(k); w.bits[b/64]&(1<<(b%64)) == 0 {
		return 0, 0, false
	}
	p, ok := w.m[k]
	return p.secret, p.offset, ok
}

// inBytes finds a secret window in b.
func (w *windows) inBytes(b []byte) (sec, off int, ok bool) {
	for i := 0; i+WindowSize <= len(b); i++ {
		k := uint32(b[i])<<24 | uint32(b[i+1])<<16 | uint32(b[i+2])<<8 | uint32(b[i+3])
		if sec, off, ok = w.lookup(k); ok {
			return
		}
	}
	return 0, 0, false
}

// inInts finds a secret window among consecutive values in seq; a value
// outside 0-255 ends any window.
func (w *windows) inInts(seq []int) (sec, off int, ok bool) {
	run := 0
	for i, v := range seq {
		if v < 0 || v > 255 {
			run = 0
			continue
		}
		run++
		if run >= WindowSize {
			k := uint32(seq[i-3])<<24 | uint32(seq[i-2])<<16 | uint32(seq[i-1])<<8 | uint32(v)
			if sec, off, ok = w.lookup(k); ok {
				return
			}
		}
	}
	return 0, 0, false
}

// find searches out for a secret window in every encoding.
func (w *windows) find(out string) (enc string, sec, off int, ok bool) {
	if sec, off, ok = w.inBytes([]byte(out)); ok {
		return "raw bytes", sec, off, true
	}
	if sec, off, ok = w.hexRuns(out); ok {
		return "hex", sec, off, true
	}
	for _, b := range []struct {
		name string
		base int
	}{{"hex numbers", 16}, {"decimal", 10}, {"octal", 8}, {"binary", 2}} {
		if sec, off, ok = w.inInts(numbers(out, b.base)); ok {
			return b.name, sec, off, true
		}
	}
	if sec, off, ok = w.runes(out); ok {
		return "characters", sec, off, true
	}
	if sec, off, ok = w.quoted(out); ok {
		return "quoted", sec, off, true
	}
	if sec, off, ok = w.base64Runs(out); ok {
		return "base64", sec, off, true
	}
	return "", 0, 0, false
}

func hexVal(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// hexRuns decodes every run of hex digits, at both nibble alignments.
func (w *windows) hexRuns(s string) (sec, off int, ok bool) {
	for i := 0; i < len(s); {
		if hexVal(s[i]) < 0 {
			i++
			continue
		}
		j := i
		for j < len(s) && hexVal(s[j]) >= 0 {
			j++
		}
		if j-i >= 2*WindowSize {
			for par := 0; par < 2; par++ {
				run := s[i+par : j]
				b := make([]byte, len(run)/2)
				for k := range b {
					b[k] = byte(hexVal(run[2*k])<<4 | hexVal(run[2*k+1]))
				}
				if sec, off, ok = w.inBytes(b); ok {
					return sec, off, true
				}
			}
		}
		i = j
	}
	return 0, 0, false
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// numbers splits s into alphanumeric tokens, skipping Go rune literals, and
// returns the value of each token that parses in base (after a 0x, 0o or 0b
// prefix of that base); tokens that do not parse are dropped, values above
// 255 are kept as -1 (they end a window).
func numbers(s string, base int) []int {
	var out []int
	for i := 0; i < len(s); {
		if s[i] == '\'' {
			if n := runeLiteralLen(s[i:]); n > 0 {
				i += n
				continue
			}
		}
		if !isAlnum(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isAlnum(s[j]) {
			j++
		}
		tok := s[i:j]
		i = j
		if len(tok) > 2 && tok[0] == '0' {
			p := tok[1] | 0x20
			if base == 16 && p == 'x' || base == 8 && p == 'o' || base == 2 && p == 'b' {
				tok = tok[2:]
			}
		}
		v, valid := 0, len(tok) > 0
		for k := 0; k < len(tok) && valid; k++ {
			d := hexVal(tok[k])
			if d < 0 || d >= base {
				valid = false // not a number in this base: skip
				break
			}
			if v = v*base + d; v > 255 {
				v = 256
			}
		}
		switch {
		case !valid:
		case v > 255:
			out = append(out, -1) // too large: ends a window
		default:
			out = append(out, v)
		}
	}
	return out
}

// runeLiteralLen returns the length of the Go rune literal at the start of
// s, or 0.
func runeLiteralLen(s string) int {
	for n := 3; n <= 12 && n <= len(s); n++ {
		if s[n-1] == '\'' {
			if _, err := strconv.Unquote(s[:n]); err == nil {
				return n
			}
		}
	}
	return 0
}

// runes checks the runes of s as byte values, contiguous and with spaces
// removed (%c on a byte slice prints one rune per byte, space-separated).
func (w *windows) runes(s string) (sec, off int, ok bool) {
	var all, nospace []int
	for _, r := range s {
		v := int(r)
		if r == utf8.RuneError {
			v = -1
		}
		all = append(all, v)
		if r != ' ' {
			nospace = append(nospace, v)
		}
	}
	if sec, off, ok = w.inInts(all); ok {
		return
	}
	return w.inInts(nospace)
}

// quoted unquotes every Go string literal in s and checks its bytes, and
// checks runs of rune literals as byte values.
func (w *windows) quoted(s string) (sec, off int, ok bool) {
	var lits []int
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j < len(s) {
				if u, err := strconv.Unquote(s[i : j+1]); err == nil {
					if sec, off, ok = w.inBytes([]byte(u)); ok {
						return
					}
				}
				i = j
			}
		case '`':
			if j := strings.IndexByte(s[i+1:], '`'); j >= 0 {
				if sec, off, ok = w.inBytes([]byte(s[i+1 : i+1+j])); ok {
					return
				}
				i += j + 1
			}
		case '\'':
			if n := runeLiteralLen(s[i:]); n > 0 {
				u, _ := strconv.Unquote(s[i : i+n])
				r, _ := utf8.DecodeRuneInString(u)
				lits = append(lits, int(r))
				i += n - 1
			}
		}
	}
	return w.inInts(lits)
}

func isB64(c byte) bool { return isAlnum(c) || c == '+' || c == '/' || c == '-' || c == '_' }

// base64Runs decodes every run of base64 characters (standard and URL
// alphabets) at each of the four alignments.
func (w *windows) base64Runs(s string) (sec, off int, ok bool) {
	const std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	val := func(c byte) byte {
		switch c {
		case '-':
			return 62
		case '_':
			return 63
		}
		return byte(strings.IndexByte(std, c))
	}
	for i := 0; i < len(s); {
		if !isB64(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isB64(s[j]) {
			j++
		}
		if j-i >= 6 {
			for align := 0; align < 4; align++ {
				run := s[i+align : j]
				var b []byte
				var acc uint32
				for k := 0; k < len(run); k++ {
					acc = acc<<6 | uint32(val(run[k]))
					if k%4 == 3 {
						b = append(b, byte(acc>>16), byte(acc>>8), byte(acc))
						acc = 0
					}
				}
				if sec, off, ok = w.inBytes(b); ok {
					return
				}
			}
		}
		i = j
	}
	return 0, 0, false
}
