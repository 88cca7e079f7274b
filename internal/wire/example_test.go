package wire_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"

	"github.com/forwardsecret/signal/internal/wire"
)

// The sender encodes the unsigned part, MACs it together with the two
// identity keys and appends the first 8 bytes of the MAC. The receiver
// parses and verifies the MAC over MACInput, the bytes as received.
func Example_signalMessage() {
	macKey := bytes.Repeat([]byte{0x42}, 32)
	aliceIdentity := append([]byte{0x05}, bytes.Repeat([]byte{0xa1}, 32)...)
	bobIdentity := append([]byte{0x05}, bytes.Repeat([]byte{0xb0}, 32)...)
	mac := func(sender, receiver, data []byte) []byte {
		h := hmac.New(sha256.New, macKey)
		h.Write(sender)
		h.Write(receiver)
		h.Write(data)
		return h.Sum(nil)[:wire.MACSize]
	}

	// Alice.
	m := wire.SignalMessage{
		Version:        wire.VersionV4,
		CurrentVersion: wire.VersionV4, // byte 0 = 0x44
		RatchetKey:     append([]byte{0x05}, bytes.Repeat([]byte{0x77}, 32)...),
		Counter:        0,
		Ciphertext:     bytes.Repeat([]byte{0xcc}, 16),
	}
	msg, err := m.AppendUnsigned(nil)
	if err != nil {
		panic(err)
	}
	msg = append(msg, mac(aliceIdentity, bobIdentity, msg)...)

	// Bob.
	got, err := wire.ParseSignalMessage(msg)
	if err != nil {
		panic(err)
	}
	ok := hmac.Equal(mac(aliceIdentity, bobIdentity, got.MACInput), got.MAC[:])
	fmt.Printf("version %d, counter %d, %d-byte body, MAC ok: %v\n", got.Version, got.Counter, len(got.Ciphertext), ok)
	// Output: version 4, counter 0, 16-byte body, MAC ok: true
}

// Archiving a session state, as a session store does when a new handshake
// replaces the current state: the old state is encoded and put first in
// Previous.
func Example_record() {
	rec := &wire.Record{Current: &wire.SessionStructure{Version: 4, RootKey: bytes.Repeat([]byte{1}, 32)}}

	stored := rec.Append(nil)
	rec, err := wire.ParseRecord(stored)
	if err != nil {
		panic(err)
	}
	const maxArchived = 40
	rec.Previous = append([][]byte{rec.Current.Append(nil)}, rec.Previous...)
	if len(rec.Previous) > maxArchived {
		rec.Previous = rec.Previous[:maxArchived]
	}
	rec.Current = &wire.SessionStructure{Version: 4, RootKey: bytes.Repeat([]byte{2}, 32)}
	stored = rec.Append(stored[:0])

	rec, _ = wire.ParseRecord(stored)
	old, _ := wire.ParseSessionStructure(rec.Previous[0])
	fmt.Printf("current root %x..., archived root %x..., %d archived\n", rec.Current.RootKey[:2], old.RootKey[:2], len(rec.Previous))
	// Output: current root 0202..., archived root 0101..., 1 archived
}
