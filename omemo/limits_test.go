package omemo

import (
	"errors"
	"runtime"
	"strings"
	"testing"
)

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestParseEncryptedFloodBounded: an <encrypted/> just under
// MaxEncryptedXMLSize made of many tiny elements (1.18 million empty
// <key/>), or of one element with a million attributes, is refused with a
// *LimitError before encoding/xml allocates for each of them (the
// review's finding 1: 673 MiB allocated, 335 MiB peak heap, before the key
// count was checked).
func TestParseEncryptedFloodBounded(t *testing.T) {
	const bound = 16 << 20
	head := "<encrypted xmlns='urn:xmpp:omemo:2'><header sid='1'><keys jid='a@b'>"
	tail := "</keys></header></encrypted>"
	fill := func(unit string) string {
		return strings.Repeat(unit, (MaxEncryptedXMLSize-len(head)-len(tail)-64)/len(unit))
	}
	for name, doc := range map[string]string{
		"keys":       head + fill("<key/>") + tail,
		"keys-group": head + "</keys>" + fill("<keys jid='a'/>") + "<keys jid='a@b'>" + tail,
		"attributes": head + "<key rid='1' " + fill("a='' ") + "/>" + tail,
		"comments":   head + fill("<!---->") + tail,
	} {
		if len(doc) > MaxEncryptedXMLSize {
			t.Fatalf("%s: input of %d bytes is over the size limit", name, len(doc))
		}
		var err error
		n := allocated(func() { _, err = ParseEncrypted([]byte(doc)) })
		var le *LimitError
		if !errors.As(err, &le) || !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: err = %v, want a *LimitError", name, err)
		}
		if n > bound {
			t.Errorf("%s: ParseEncrypted of %d bytes allocated %d MiB (bound %d MiB)", name, len(doc), n>>20, bound>>20)
		}
	}
}

// TestParseEncryptedManyKeysAccepted: the markup limits leave room for
// MaxMessageKeys devices, each in its own <keys/> with kex and padded
// base64, and refuse one more.
func TestParseEncryptedManyKeysAccepted(t *testing.T) {
	build := func(n int) string {
		var b strings.Builder
		b.WriteString("<?xml version='1.0'?><encrypted xmlns='urn:xmpp:omemo:2'><header sid='1'>")
		for i := range n {
			b.WriteString("<keys jid='u" + strings.Repeat("x", i%7) + "@example.org'><key rid='" + strings.Repeat("1", 1+i%9) + "' kex='true'>" + b64(make([]byte, 200)) + "</key></keys>")
		}
		b.WriteString("</header><payload>" + b64(make([]byte, 1000)) + "</payload></encrypted>")
		return b.String()
	}
	e, err := ParseEncrypted([]byte(build(MaxMessageKeys)))
	if err != nil || len(e.Keys) != MaxMessageKeys {
		t.Fatalf("%d keys: %v", MaxMessageKeys, err)
	}
	if _, err := ParseEncrypted([]byte(build(MaxMessageKeys + 1))); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("%d keys: err = %v, want ErrTooLarge", MaxMessageKeys+1, err)
	}
}

// TestEncryptedXMLEqualsEscaped: XML writes '=' in attribute values as a
// character reference, so that an element ParseEncrypted accepted (a JID
// written with &#61;) still parses after Encrypted.XML: the markup count
// before parsing (MaxEncryptedEquals) sees only the '=' of attributes and
// padding.
func TestEncryptedXMLEqualsEscaped(t *testing.T) {
	in := "<encrypted xmlns='urn:xmpp:omemo:2'><header sid='1'><keys jid='" +
		strings.Repeat("&#61;", MaxEncryptedEquals) + "'><key rid='1'>AQ==</key></keys></header></encrypted>"
	e, err := ParseEncrypted([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	x, err := e.XML()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseEncrypted(x); err != nil {
		t.Fatalf("re-encoded element: %v", err)
	}
}
