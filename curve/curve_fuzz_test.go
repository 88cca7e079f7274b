package curve_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/forwardsecret/signal/curve"
)

// FuzzParsePublicKey checks that ParsePublicKey never panics, that every
// failure wraps ErrInvalidPublicKey, and that a parsed key re-encodes to the
// input byte for byte.
func FuzzParsePublicKey(f *testing.F) {
	// Besides these, the seed corpus in testdata/fuzz/FuzzParsePublicKey
	// holds the public keys of the vectors module's xeddsa.json and
	// signal_ratchet.json (files vectors-*).
	for _, b := range [][]byte{
		nil,
		{curve.KeyTypeDJB},
		make([]byte, 33),
		bytes.Repeat([]byte{0xff}, 33),
	} {
		f.Add(b)
	}

	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := curve.ParsePublicKey(b)
		if err != nil {
			if !errors.Is(err, curve.ErrInvalidPublicKey) {
				t.Fatalf("error %v does not wrap ErrInvalidPublicKey", err)
			}
			if !p.IsZero() {
				t.Fatal("failed parse returned a non-zero key")
			}
			return
		}
		if !bytes.Equal(p.Bytes(), b) {
			t.Fatalf("Bytes() = %x, input %x", p.Bytes(), b)
		}
		if !bytes.Equal(p.AppendBytes(nil), b) {
			t.Fatalf("AppendBytes = %x", p.AppendBytes(nil))
		}
		u := p.U()
		q, err := curve.NewPublicKey(u[:])
		if err != nil || !q.Equal(p) || q != p {
			t.Fatalf("NewPublicKey(U()) = %v, %v", q, err)
		}
		// Must not panic either.
		_ = p.CheckCanonicalTorsionFree()
		_ = p.VerifySignature(b, make([]byte, 64))
	})
}
