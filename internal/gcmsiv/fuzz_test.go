package gcmsiv

import (
	"bytes"
	"errors"
	"testing"
)

// addRFCSeeds adds a few RFC 8452 Appendix C vectors (of C.1, C.2 and
// C.3) as key, nonce, additional data, ciphertext, plus one with a
// modified tag and one with a short nonce.
func addRFCSeeds(f *testing.F) {
	for _, i := range []int{1, 18, 23, 24 + 14, 24 + 23, 48, 49} {
		v := rfc8452Vectors[i]
		key, nonce, aad, ct := unhex(f, v.key), unhex(f, v.nonce), unhex(f, v.aad), unhex(f, v.result)
		f.Add(key, nonce, aad, ct)
		if i == 18 {
			bad := bytes.Clone(ct)
			bad[len(bad)-1] ^= 1
			f.Add(key, nonce, aad, bad)
			f.Add(key, nonce[:11], aad, ct)
		}
	}
	f.Add(make([]byte, 24), make([]byte, NonceSize), []byte{}, make([]byte, TagSize))
}

// FuzzOpen opens arbitrary inputs: Open must never panic, must refuse
// bad key and nonce sizes with ErrKeySize and ErrNonceSize and anything
// else that fails with ErrOpen, and whatever it opens must seal back to
// the same ciphertext (AES-GCM-SIV is deterministic).
func FuzzOpen(f *testing.F) {
	addRFCSeeds(f)
	f.Fuzz(func(t *testing.T, key, nonce, aad, ct []byte) {
		c, err := New(key)
		if err != nil {
			if !errors.Is(err, ErrKeySize) || len(key) == 16 || len(key) == 32 {
				t.Fatalf("New(%d-byte key): %v", len(key), err)
			}
			return
		}
		pt, err := c.Open(nil, nonce, ct, aad)
		switch {
		case len(nonce) != NonceSize:
			if err != ErrNonceSize || pt != nil {
				t.Fatalf("Open with a %d-byte nonce: %x, %v", len(nonce), pt, err)
			}
			return
		case err != nil:
			if err != ErrOpen || pt != nil {
				t.Fatalf("Open: %x, %v; want nil, ErrOpen", pt, err)
			}
			return
		}
		if len(pt) != len(ct)-TagSize {
			t.Fatalf("Open returned %d bytes of %d", len(pt), len(ct))
		}
		if again := c.Seal(nil, nonce, pt, aad); !bytes.Equal(again, ct) {
			t.Fatalf("opened %x, which seals to %x, not %x", pt, again, ct)
		}
	})
}

// FuzzRoundTrip seals arbitrary messages under a key made from keySeed
// (16 or 32 bytes, by the seed's length) and checks that Open returns
// them, in place and out of place, and that a flipped bit (chosen by
// flip) anywhere in the ciphertext or tag makes Open fail and zero its
// output.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("sixteen byte key"), []byte("twelve bytes"), []byte("aad"), []byte("hello, sealed sender"), uint32(0))
	f.Add(bytes.Repeat([]byte{7}, 32), make([]byte, NonceSize), []byte{}, []byte{}, uint32(5))
	f.Add(bytes.Repeat([]byte{1}, 40), bytes.Repeat([]byte{2}, 12), bytes.Repeat([]byte{3}, 100), bytes.Repeat([]byte{4}, 600), uint32(4000))
	f.Fuzz(func(t *testing.T, keySeed, nonceSeed, aad, pt []byte, flip uint32) {
		key := make([]byte, 16)
		if len(keySeed) >= 32 {
			key = make([]byte, 32)
		}
		copy(key, keySeed)
		nonce := make([]byte, NonceSize)
		copy(nonce, nonceSeed)
		c, err := New(key)
		if err != nil {
			t.Fatal(err)
		}
		ct := c.Seal(nil, nonce, pt, aad)
		if len(ct) != len(pt)+TagSize {
			t.Fatalf("Seal returned %d bytes for %d", len(ct), len(pt))
		}
		got, err := c.Open(nil, nonce, ct, aad)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("Open: %x, %v; want %x", got, err, pt)
		}

		buf := make([]byte, len(pt), len(pt)+TagSize)
		copy(buf, pt)
		inPlace := c.Seal(buf[:0], nonce, buf, aad)
		if !bytes.Equal(inPlace, ct) {
			t.Fatalf("in-place Seal = %x, want %x", inPlace, ct)
		}
		if got, err := c.Open(inPlace[:0], nonce, inPlace, aad); err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("in-place Open: %x, %v; want %x", got, err, pt)
		}

		bit := int(flip % uint32(8*len(ct)))
		bad := bytes.Clone(ct)
		bad[bit/8] ^= 1 << (bit % 8)
		out := bytes.Repeat([]byte{0xff}, len(pt))
		if got, err := c.Open(out[:0], nonce, bad, aad); err != ErrOpen || got != nil {
			t.Fatalf("Open with bit %d flipped: %x, %v; want nil, ErrOpen", bit, got, err)
		}
		if !bytes.Equal(out, make([]byte, len(pt))) {
			t.Fatalf("Open with bit %d flipped left %x in dst", bit, out)
		}
	})
}
