package gcmsiv

import (
	"fmt"
	"strings"
	"testing"

	"github.com/forwardsecret/signal/internal/fmtcheck"
)

// TestNoSecretsInFmt formats the AEAD, as the pointer New returns and as
// a value, under every verb, flag set and width of fmtcheck and checks
// that each prints exactly String, which names the algorithm only, and
// that no window of the key appears in any encoding fmtcheck knows.
//
// fmtcheck.NoSecrets itself does not apply: the AEAD keeps no key bytes,
// only crypto/aes's key schedule (uint32 round keys, which determine the
// key), which fmtcheck.Holds cannot find as bytes. Checking that
// every format prints String alone covers the schedule too.
func TestNoSecretsInFmt(t *testing.T) {
	for _, keySize := range []int{16, 32} {
		key := fmtcheck.Secret("gcmsiv key", keySize)
		c, err := New(key)
		if err != nil {
			t.Fatal(err)
		}
		p := c.(*aead)
		want := fmt.Sprintf("gcmsiv.AEAD(AES-%d-GCM-SIV, REDACTED)", 8*keySize)
		if p.String() != want {
			t.Errorf("String = %q, want %q", p.String(), want)
		}
		for _, v := range []any{c, p, *p} {
			for _, format := range fmtcheck.Formats() {
				switch format[len(format)-1] {
				case 'T', 'p': // fmt handles these without Format
					continue
				}
				if got := fmt.Sprintf(format, v); got != want {
					t.Fatalf("%T under %q prints %q, want %q", v, format, got, want)
				}
			}
			if leaks := fmtcheck.Leaks(v, key); len(leaks) > 0 {
				t.Errorf("%T leaks the key: %s", v, fmtcheck.Summary(leaks))
			}
			inField := fmt.Sprintf("%+v", struct{ A any }{v})
			if !strings.Contains(inField, "REDACTED") {
				t.Errorf("%T in a struct field prints %q", v, inField)
			}
		}
	}
}
