package ratchet_test

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/ratchet"
)

// message is what a session layer would put on the wire; here a simple
// stand-in for the SignalMessage protobuf.
type message struct {
	header ratchet.Header
	body   []byte
	tag    [ratchet.MACSize]byte
}

func (m *message) authenticated() []byte {
	b := m.header.RatchetKey.AppendBytes([]byte{0x33})
	b = binary.BigEndian.AppendUint32(b, m.header.Counter)
	b = binary.BigEndian.AppendUint32(b, m.header.PreviousCounter)
	return append(b, m.body...)
}

// Alice and Bob start from the secrets of a finished X3DH handshake and
// exchange messages. The session layer's part (serializing, computing the
// MAC over what it serialized) is played by the message type above.
func Example() {
	// The handshake's outputs, and the keys it involved.
	root := sha256.Sum256([]byte("X3DH root key"))
	chain := sha256.Sum256([]byte("X3DH chain key"))
	aliceID, _ := curve.GenerateKeyPair()
	bobID, _ := curve.GenerateKeyPair()
	bobSignedPreKey, _ := curve.GenerateKeyPair()
	aliceRatchetKey, _ := curve.GenerateKeyPair()

	alice, _ := ratchet.NewAlice(root[:], chain[:], bobSignedPreKey.Public, aliceRatchetKey)
	bob, _ := ratchet.NewBob(root[:], chain[:], bobSignedPreKey)

	send := func(from *ratchet.State, fromID, toID curve.PublicKey, text string) *message {
		h, body, macKey, err := from.Encrypt(nil, []byte(text), nil) // nil salt: v3
		if err != nil {
			panic(err)
		}
		m := &message{header: h, body: body}
		m.tag = from.SignalMAC(&macKey, fromID, toID, m.authenticated())
		return m
	}
	receive := func(to *ratchet.State, fromID, toID curve.PublicKey, m *message) {
		pt, err := to.Decrypt(nil, m.header, m.body, nil, func(k *ratchet.MACKey) error {
			return to.VerifySignalMAC(k, fromID, toID, m.authenticated(), m.tag[:])
		})
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Printf("%s (counter %d, previous %d)\n", pt, m.header.Counter, m.header.PreviousCounter)
	}

	m1 := send(alice, aliceID.Public, bobID.Public, "hello Bob")
	m2 := send(alice, aliceID.Public, bobID.Public, "are you there?")
	receive(bob, aliceID.Public, bobID.Public, m2) // out of order
	receive(bob, aliceID.Public, bobID.Public, m1)
	receive(bob, aliceID.Public, bobID.Public, m1) // replayed
	m3 := send(bob, bobID.Public, aliceID.Public, "hi Alice")
	receive(alice, bobID.Public, aliceID.Public, m3)
	m4 := send(alice, aliceID.Public, bobID.Public, "new chain")
	receive(bob, aliceID.Public, bobID.Public, m4)
	// Output:
	// are you there? (counter 1, previous 0)
	// hello Bob (counter 0, previous 0)
	// error: ratchet: duplicate message (message key already used)
	// hi Alice (counter 0, previous 0)
	// new chain (counter 0, previous 1)
}
