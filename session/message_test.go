package session_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/forwardsecret/signal/session"
)

// TestMessageBinary: a Message survives MarshalBinary and UnmarshalBinary
// (and still decrypts), the encoding is the type byte and the body, and bad
// encodings are ErrInvalidMessage.
func TestMessageBinary(t *testing.T) {
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true)); err != nil {
		t.Fatal(err)
	}
	msg := send(t, alice, bob, "over the wire")
	enc, err := msg.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if enc[0] != byte(session.TypePreKey) || !bytes.Equal(enc[1:], msg.Body) {
		t.Fatalf("encoding starts %#x, want the type byte %#x and the body", enc[:2], byte(session.TypePreKey))
	}
	var got session.Message
	if err := got.UnmarshalBinary(enc); err != nil {
		t.Fatal(err)
	}
	enc[1] ^= 0xff // the decoded body is a copy
	if got.Type != msg.Type || !bytes.Equal(got.Body, msg.Body) {
		t.Fatalf("round trip: %v %x, want %v %x", got.Type, got.Body, msg.Type, msg.Body)
	}
	recv(t, bob, alice, got, "over the wire")

	reply := send(t, bob, alice, "back")
	enc, _ = reply.AppendBinary([]byte("prefix"))
	if err := got.UnmarshalBinary(enc[len("prefix"):]); err != nil || got.Type != session.TypeSignal {
		t.Fatalf("SignalMessage round trip: %v, %v", got.Type, err)
	}
	recv(t, alice, bob, got, "back")

	for _, bad := range [][]byte{nil, {}, {0}, {1, 2, 3}, {4}, {0x33, 1}} {
		if err := got.UnmarshalBinary(bad); !errors.Is(err, session.ErrInvalidMessage) {
			t.Errorf("UnmarshalBinary(%x) = %v, want ErrInvalidMessage", bad, err)
		}
	}
	if _, err := (session.Message{Type: 7, Body: []byte{1}}).MarshalBinary(); !errors.Is(err, session.ErrInvalidMessage) {
		t.Errorf("MarshalBinary(type 7) = %v", err)
	}
}

// FuzzMessageUnmarshal: UnmarshalBinary never panics, and what it accepts
// MarshalBinary writes back unchanged.
func FuzzMessageUnmarshal(f *testing.F) {
	f.Add([]byte{2, 0x33, 0x0a, 0x21})
	f.Add([]byte{3})
	f.Add([]byte{})
	f.Add([]byte{9, 9})
	f.Fuzz(func(t *testing.T, data []byte) {
		var m session.Message
		if err := m.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, session.ErrInvalidMessage) {
				t.Fatalf("error %v does not wrap ErrInvalidMessage", err)
			}
			return
		}
		out, err := m.MarshalBinary()
		if err != nil || !bytes.Equal(out, data) {
			t.Fatalf("MarshalBinary(UnmarshalBinary(%x)) = %x, %v", data, out, err)
		}
	})
}
