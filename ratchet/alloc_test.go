package ratchet

import (
	"testing"

	"github.com/forwardsecret/signal/curve"
)

// encDec is one 100-byte message in the same direction, as the session layer
// would run it: Encrypt, tag the serialized bytes, Decrypt with the tag
// checked in verify. ser is a reusable buffer standing in for the session's
// serialization.
func encDec(tb testing.TB, a, b *State, ida, idb curve.PublicKey, pt, ser []byte) []byte {
	h, body, mk, err := a.Encrypt(nil, pt, nil)
	if err != nil {
		tb.Fatal(err)
	}
	ser = append(ser[:0], body...)
	tag := a.SignalMAC(&mk, ida, idb, ser)
	out, err := b.Decrypt(nil, h, body, nil, func(k *MACKey) error {
		return b.VerifySignalMAC(k, ida, idb, ser, tag[:])
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	alice, bob := newPair(t)
	pt := make([]byte, 100)
	ser := make([]byte, 0, 512)
	encDec(t, alice.s, bob.s, alice.id, bob.id, pt, ser) // Bob's first DH step
	n := testing.AllocsPerRun(200, func() {
		encDec(t, alice.s, bob.s, alice.id, bob.id, pt, ser)
	})
	t.Logf("100-byte encrypt+decrypt: %v allocations", n)
	if n > 8 {
		t.Errorf("100-byte encrypt+decrypt made %v allocations, want at most 8", n)
	}
}
