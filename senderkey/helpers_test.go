package senderkey

import (
	"bytes"
	"context"
	"testing"
)

var testDist = DistributionID{0xd1, 0xd1, 0xd1, 0xd1, 0x70, 0x00, 0x11, 0xeb, 0xb3, 0x2a, 0x33, 0xb8, 0xa8, 0xa4, 0x87, 0xa6}

// member is one device with its own store and cipher.
type member struct {
	addr  Sender
	store *MemoryStore
	c     *Cipher
}

func newMember(name string, device uint32) *member {
	s := new(MemoryStore)
	return &member{addr: Sender{Name: name, DeviceID: device}, store: s, c: NewCipher(s)}
}

// distribute creates the sender key of from and has every member of to
// process it.
func distribute(t testing.TB, from *member, to ...*member) *DistributionMessage {
	t.Helper()
	ctx := context.Background()
	dm, err := from.c.CreateDistributionMessage(ctx, from.addr, testDist)
	if err != nil {
		t.Fatal(err)
	}
	wire := dm.Bytes()
	for _, m := range to {
		got, err := ParseDistributionMessage(wire)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.c.ProcessDistributionMessage(ctx, from.addr, got); err != nil {
			t.Fatal(err)
		}
	}
	return dm
}

func encrypt(t testing.TB, from *member, pt []byte) []byte {
	t.Helper()
	ct, err := from.c.Encrypt(context.Background(), from.addr, testDist, pt)
	if err != nil {
		t.Fatal(err)
	}
	return ct
}

// recordBytes returns the encoding of the record m holds for sender, or nil.
func recordBytes(t testing.TB, m *member, sender Sender) []byte {
	t.Helper()
	r, err := m.store.LoadSenderKey(context.Background(), sender, testDist)
	if err != nil {
		t.Fatal(err)
	}
	if r == nil {
		return nil
	}
	b, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mustUnchanged decrypts and expects an error matching want (nil: any
// error) with the stored record unchanged.
func decryptFails(t testing.TB, m *member, sender Sender, msg []byte) error {
	t.Helper()
	before := recordBytes(t, m, sender)
	pt, err := m.c.Decrypt(context.Background(), sender, msg)
	if err == nil {
		t.Fatalf("decrypt succeeded (%q), want an error", pt)
	}
	if pt != nil {
		t.Fatalf("plaintext returned with error %v", err)
	}
	if after := recordBytes(t, m, sender); !bytes.Equal(before, after) {
		t.Fatalf("record changed by a failed decrypt (%v)", err)
	}
	return err
}

// editOwnState loads from's own record, applies fn to its newest state and
// stores it back.
func editOwnState(t testing.TB, from *member, fn func(s *state)) {
	t.Helper()
	ctx := context.Background()
	r, err := from.store.LoadSenderKey(ctx, from.addr, testDist)
	if err != nil || r == nil {
		t.Fatal(r, err)
	}
	fn(r.states[0])
	if err := from.store.StoreSenderKey(ctx, from.addr, testDist, r); err != nil {
		t.Fatal(err)
	}
}
