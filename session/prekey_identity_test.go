package session_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/wire"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/x3dh"
)

// TestRepeatedPreKeyOtherIdentityRefused is security review finding 10: a
// PreKey message that matches an existing session by base key but names
// another identity key must be refused as an untrusted identity (as
// libsignal-protocol-c, python-axolotl, both npm libsignal packages,
// go.mau.fi/libsignal and the official libsignal do), change nothing, and
// leave the genuine message decryptable. Bob has decrypted Alice's PreKey
// message 1 and not answered, so her message 2 is a PreKey message with
// the same base key; the copy differs from it only in the identity key.
// interop's TestPreKeyFieldDifferential checks the same against the peers.
func TestRepeatedPreKeyOtherIdentityRefused(t *testing.T) {
	for _, tc := range []struct {
		name          string
		oneTime, kem  bool
		wantVersion   byte
		otherIdentity func(t *testing.T, alice, bob *curve.IdentityKeyPair) []byte
	}{
		{"v3/fresh-identity", true, false, 0x33, pkiFreshIdentity},
		{"v4/fresh-identity", true, true, 0x44, pkiFreshIdentity},
		{"v4/no-one-time-prekey", false, true, 0x44, pkiFreshIdentity},
		// The receiver's own identity key, which its store trusts in no
		// role for Alice's address either.
		{"v4/receiver-identity", true, true, 0x44, func(t *testing.T, _, bob *curve.IdentityKeyPair) []byte {
			return bob.PublicKey().Bytes()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			aliceAddr := session.Address{Name: "alice", DeviceID: 1}
			bobAddr := session.Address{Name: "bob", DeviceID: 1}
			aliceID, err := curve.GenerateIdentityKeyPair()
			if err != nil {
				t.Fatal(err)
			}
			bobID, err := curve.GenerateIdentityKeyPair()
			if err != nil {
				t.Fatal(err)
			}
			aliceStore, bobStore := memstore.New(aliceID, 11), memstore.New(bobID, 22)
			alice := session.NewManager(session.StoresOf(aliceStore))
			bob := session.NewManager(session.StoresOf(bobStore))

			spk, err := x3dh.GenerateSignedPreKey(bobID, 7)
			if err != nil {
				t.Fatal(err)
			}
			bobStore.AddSignedPreKey(ctx, spk)
			var otp *x3dh.OneTimePreKeyPublic
			if tc.oneTime {
				k, err := x3dh.GenerateOneTimePreKey(31)
				if err != nil {
					t.Fatal(err)
				}
				bobStore.AddPreKey(ctx, k)
				p := k.Public()
				otp = &p
			}
			var kp *x3dh.KEMPreKeyPublic
			if tc.kem {
				k, err := x3dh.GenerateKEMPreKey(bobID, 9, x3dh.Kyber1024)
				if err != nil {
					t.Fatal(err)
				}
				bobStore.AddLastResortKEMPreKey(ctx, k)
				p := k.Public()
				kp = &p
			}
			bundle, err := x3dh.NewBundle(22, 1, bobID.PublicKey(), spk.Public(), otp, kp)
			if err != nil {
				t.Fatal(err)
			}
			if err := alice.ProcessBundle(ctx, bobAddr, bundle); err != nil {
				t.Fatal(err)
			}
			m1, err := alice.Encrypt(ctx, bobAddr, []byte("one"))
			if err != nil {
				t.Fatal(err)
			}
			m2, err := alice.Encrypt(ctx, bobAddr, []byte("two"))
			if err != nil {
				t.Fatal(err)
			}
			if m1.Type != session.TypePreKey || m2.Type != session.TypePreKey || m2.Body[0] != tc.wantVersion {
				t.Fatalf("messages: %v, %v %#x; want two PreKey messages of version byte %#x", m1.Type, m2.Type, m2.Body[0], tc.wantVersion)
			}
			if pt, err := bob.Decrypt(ctx, aliceAddr, m1); err != nil || string(pt) != "one" {
				t.Fatalf("message 1: %q, %v", pt, err)
			}

			// The copy of message 2 naming another identity.
			parsed, err := wire.ParsePreKeySignalMessage(m2.Body)
			if err != nil {
				t.Fatal(err)
			}
			pm := parsed.PreKeySignalMessage
			if !bytes.Equal(pm.IdentityKey, aliceID.PublicKey().Bytes()) {
				t.Fatalf("message 2 names identity %x, want Alice's", pm.IdentityKey)
			}
			other := tc.otherIdentity(t, aliceID, bobID)
			pm.IdentityKey = other
			forged, err := pm.Append(nil)
			if err != nil {
				t.Fatal(err)
			}

			sessionBefore := bobStore.SessionBytes(aliceAddr)
			oneTimeBefore, kemBefore, err := bobStore.PreKeyCount(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pt, err := bob.Decrypt(ctx, aliceAddr, session.Message{Type: session.TypePreKey, Body: forged})
			var ue *session.UntrustedIdentityError
			if !errors.As(err, &ue) {
				t.Fatalf("copy of message 2 naming another identity: plaintext %q, error %v; want *session.UntrustedIdentityError", pt, err)
			}
			if !errors.Is(err, session.ErrUntrustedIdentity) || pt != nil {
				t.Fatalf("refusal: errors.Is(ErrUntrustedIdentity)=%v, plaintext %q", errors.Is(err, session.ErrUntrustedIdentity), pt)
			}
			if ue.Address != aliceAddr || !bytes.Equal(ue.Identity.Bytes(), other) {
				t.Fatalf("UntrustedIdentityError names %v %x, want %v %x", ue.Address, ue.Identity.Bytes(), aliceAddr, other)
			}
			if !bytes.Equal(bobStore.SessionBytes(aliceAddr), sessionBefore) {
				t.Fatal("the refused copy changed Bob's stored session")
			}
			if o, k, err := bobStore.PreKeyCount(ctx); err != nil || o != oneTimeBefore || k != kemBefore {
				t.Fatalf("the refused copy changed Bob's prekeys: %d, %d one-time/KEM, were %d, %d", o, k, oneTimeBefore, kemBefore)
			}
			if id, ok, err := bobStore.Identity(ctx, aliceAddr); err != nil || !ok || !id.Equal(aliceID.PublicKey()) {
				t.Fatalf("Bob's stored identity for Alice is %v (%v, %v), want Alice's", id, ok, err)
			}

			// The genuine message 2 still decrypts, and the session goes on.
			if pt, err := bob.Decrypt(ctx, aliceAddr, m2); err != nil || string(pt) != "two" {
				t.Fatalf("genuine message 2 after the refused copy: %q, %v", pt, err)
			}
			if _, err := bob.Decrypt(ctx, aliceAddr, session.Message{Type: session.TypePreKey, Body: forged}); !errors.As(err, &ue) {
				t.Fatalf("the copy again, after the genuine message: %v; want *session.UntrustedIdentityError", err)
			}
			reply, err := bob.Encrypt(ctx, aliceAddr, []byte("three"))
			if err != nil {
				t.Fatal(err)
			}
			if pt, err := alice.Decrypt(ctx, bobAddr, reply); err != nil || string(pt) != "three" {
				t.Fatalf("Bob's reply: %q, %v", pt, err)
			}
			m3, err := alice.Encrypt(ctx, bobAddr, []byte("four"))
			if err != nil {
				t.Fatal(err)
			}
			if m3.Type != session.TypeSignal {
				t.Fatalf("Alice's message after the reply is a %v", m3.Type)
			}
			if pt, err := bob.Decrypt(ctx, aliceAddr, m3); err != nil || string(pt) != "four" {
				t.Fatalf("Alice's next message: %q, %v", pt, err)
			}
		})
	}
}

func pkiFreshIdentity(t *testing.T, _, _ *curve.IdentityKeyPair) []byte {
	id, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return id.PublicKey().Bytes()
}
