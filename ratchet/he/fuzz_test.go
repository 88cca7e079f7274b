package he

import (
	"bytes"
	"crypto/sha256"
	"testing"

	"github.com/forwardsecret/signal/curve"
)

// FuzzHEOpen feeds random messages to a live header-encryption state: no
// panics, only real messages open, and failures change nothing.
func FuzzHEOpen(f *testing.F) {
	alice, bob := fixedHEPair(f)
	ad := []byte("ad")
	var msgs [][]byte
	for i := range 4 {
		m, err := alice.Seal(nil, []byte{byte(i)}, ad)
		if err != nil {
			f.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	for _, i := range []int{0, 2} {
		if _, err := bob.Open(nil, msgs[i], ad); err != nil {
			f.Fatal(err)
		}
	}
	enc, err := bob.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	for _, m := range msgs {
		f.Add(m, ad)
	}
	f.Add(make([]byte, Overhead), []byte{})
	f.Fuzz(func(t *testing.T, m, ad []byte) {
		var s State
		if err := s.UnmarshalBinary(enc); err != nil {
			t.Fatal(err)
		}
		pt, err := s.Open(nil, m, ad)
		if err == nil {
			// Only Alice's messages 1 and 3 are still unread. (Their
			// bytes differ between fuzzing processes, which draw their
			// own header nonces, so compare what they carry.)
			if len(pt) == 1 && (pt[0] == 1 || pt[0] == 3) && len(m) == Overhead+1 {
				return
			}
			t.Fatalf("forged message opened: %x", m)
		}
		if after := encodedHE(t, &s); !bytes.Equal(after, enc) {
			t.Fatalf("failed Open (%v) changed the state", err)
		}
	})
}

func fixedHEPair(t testing.TB) (alice, bob *State) {
	t.Helper()
	key := func(label string) curve.KeyPair {
		d := sha256.Sum256([]byte(label))
		k, err := curve.NewPrivateKey(d[:])
		if err != nil {
			t.Fatal(err)
		}
		return curve.NewKeyPair(k)
	}
	sk := sha256.Sum256([]byte("he sk"))
	hka := sha256.Sum256([]byte("he hka"))
	nhkb := sha256.Sum256([]byte("he nhkb"))
	bobKey := key("he bob")
	a, err := NewAlice(sk[:], bobKey.Public, hka[:], nhkb[:], key("he alice"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBob(sk[:], bobKey, hka[:], nhkb[:])
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}
