package pqr

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"
	"testing/cryptotest"

	"github.com/forwardsecret/signal/spqr"
)

// TestAgreesWithLibrary runs this package and the library's spqr side by
// side (the library's randomness fixed with cryptotest.SetGlobalRandom, this
// package's from the same ChaCha8 stream): every message and key must be
// equal, and each side must accept the other's messages. Deliveries are
// bursts in reverse order, so that every message type and several epochs
// occur.
func TestAgreesWithLibrary(t *testing.T) {
	auth := bytes.Repeat([]byte{0x5a}, 32)
	ours := [2]*State{New(auth, true), New(auth, false)}
	var lib [2]*spqr.State
	for i := range lib {
		s, err := spqr.NewInitialState(auth, i == 0)
		if err != nil {
			t.Fatal(err)
		}
		lib[i] = s
	}
	seed := uint64(1)
	for round := 0; round < 150; round++ {
		for from := 0; from < 2; from++ {
			to := 1 - from
			var msgs, keys [][]byte
			for i := 0; i < 1+(round*7+from)%5; i++ {
				seed++
				var k [32]byte
				binary.LittleEndian.PutUint64(k[:8], seed)
				rng := rand.NewChaCha8(k)
				msg, key, _, err := ours[from].Send(drawer(rng))
				if err != nil {
					t.Fatal(err)
				}
				cryptotest.SetGlobalRandom(t, seed)
				next, lmsg, lkey, err := lib[from].Send()
				if err != nil {
					t.Fatal(err)
				}
				lib[from] = next
				if !bytes.Equal(msg, lmsg) || !bytes.Equal(key, lkey) {
					t.Fatalf("round %d side %d: message/key differ\n pqr %x\n lib %x", round, from, msg, lmsg)
				}
				msgs, keys = append(msgs, msg), append(keys, key)
			}
			for i := len(msgs) - 1; i >= 0; i-- {
				key, _, err := ours[to].Recv(msgs[i])
				if err != nil || !bytes.Equal(key, keys[i]) {
					t.Fatalf("round %d: pqr recv: %v", round, err)
				}
				next, lkey, err := lib[to].Recv(msgs[i])
				if err != nil || !bytes.Equal(lkey, keys[i]) {
					t.Fatalf("round %d: library recv: %v", round, err)
				}
				lib[to] = next
			}
		}
	}
	if ours[0].Epoch() < 3 || lib[0].Epoch() != ours[0].Epoch() {
		t.Fatalf("epochs: pqr %d, library %d", ours[0].Epoch(), lib[0].Epoch())
	}
	t.Logf("epoch %d", ours[0].Epoch())
}
