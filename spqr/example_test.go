package spqr_test

import (
	"bytes"
	"fmt"

	"github.com/forwardsecret/signal/spqr"
)

// Alice and Bob start from the 32-byte SPQR auth key PQXDH gave them. Each
// Signal message carries Send's msg in field 5, and both sides salt the
// message-key HKDF with the same 32-byte key.
func Example() {
	authKey := bytes.Repeat([]byte{0x42}, spqr.AuthKeySize) // PQXDH okm[64:96]
	alice, _ := spqr.NewInitialState(authKey, true)
	bob, _ := spqr.NewInitialState(authKey, false)

	for i := range 200 {
		// Alice sends; she commits her new state once the message is out.
		nextAlice, msg, aliceKey, err := alice.Send()
		if err != nil {
			panic(err)
		}
		alice = nextAlice

		// Bob computes on a copy and commits only after the whole Signal
		// message has authenticated (here: trivially).
		nextBob, bobKey, err := bob.Recv(msg)
		if err != nil || !bytes.Equal(aliceKey, bobKey) {
			panic(fmt.Sprint("message ", i, ": ", err))
		}
		bob = nextBob

		// And the other way.
		nextBob, msg, bobKey, _ = bob.Send()
		bob = nextBob
		nextAlice, aliceKey, _ = alice.Recv(msg)
		alice = nextAlice
		if !bytes.Equal(aliceKey, bobKey) {
			panic("keys differ")
		}
	}
	fmt.Println("epoch advanced:", alice.Epoch() > 1 && bob.Epoch() > 1)

	// The state is stored as libsignal stores it (session record field 15).
	stored, _ := alice.MarshalBinary()
	restored, _ := spqr.ParseState(stored)
	fmt.Println("restored epoch equal:", restored.Epoch() == alice.Epoch())
	// Output:
	// epoch advanced: true
	// restored epoch equal: true
}
