package curve_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/vectors"
)

// FuzzParsePublicKey checks that ParsePublicKey never panics, that every
// failure wraps ErrInvalidPublicKey, and that a parsed key re-encodes to the
// input byte for byte.
func FuzzParsePublicKey(f *testing.F) {
	seeds := 0
	add := func(b []byte) {
		f.Add(bytes.Clone(b))
		seeds++
	}
	x, err := vectors.XEdDSA()
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range x.XEdDSA {
		if v.Public33 != nil {
			add(v.Public33)
		}
		add(append([]byte{curve.KeyTypeDJB}, v.PublicU()...))
	}
	for _, v := range x.VXEdDSA {
		add(append([]byte{curve.KeyTypeDJB}, v.PublicU()...))
	}
	r, err := vectors.SignalRatchet()
	if err != nil {
		f.Fatal(err)
	}
	s := r.RatchetingSession
	for _, p := range [][]byte{r.X25519Agreement.AlicePublic33, r.X25519Agreement.BobPublic33,
		s.BobIdentityPublic33, s.BobSignedPreKeyPublic33, s.AliceBasePublic33} {
		add(p)
	}
	add(nil)
	add([]byte{curve.KeyTypeDJB})
	add(make([]byte, 33))
	add(bytes.Repeat([]byte{0xff}, 33))
	if seeds < 10 {
		f.Fatalf("only %d seeds", seeds)
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
