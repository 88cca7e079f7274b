package x3dh_test

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/vectors"
	"github.com/forwardsecret/signal/x3dh"
	"github.com/forwardsecret/signal/x3dh/x3dhtest"
)

// loadRatchetingSessionV3 returns the "ratcheting_session_v3" group of
// signal_ratchet.json (embedded in package vectors): libsignal-protocol-c's
// test_ratcheting_session_as_bob/as_alice (the same numbers are in
// libsignal-protocol-java and Rust libsignal's rust/protocol/tests/ratchet.rs).
func loadRatchetingSessionV3(t *testing.T) *vectors.SignalRatchetingSession {
	t.Helper()
	f, err := vectors.SignalRatchet()
	if err != nil {
		t.Fatal(err)
	}
	return &f.RatchetingSession
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func privKey(t testing.TB, b []byte) *curve.PrivateKey {
	t.Helper()
	k, err := curve.NewPrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pubKey(t testing.TB, b []byte) curve.PublicKey {
	t.Helper()
	k, err := curve.ParsePublicKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func identityKey(t testing.TB, b []byte) *curve.IdentityKeyPair {
	t.Helper()
	k, err := curve.NewIdentityKeyPair(privKey(t, b))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestRatchetingSessionV3Bob is libsignal's "ratcheting session as Bob":
// Bob's first sending chain key from Alice's identity and base key.
func TestRatchetingSessionV3Bob(t *testing.T) {
	v := loadRatchetingSessionV3(t)
	if !strings.HasPrefix(v.ExpectedBobSenderChainKey.String(), "9797caca") {
		t.Fatalf("unexpected vector file: Bob chain %s", v.ExpectedBobSenderChainKey)
	}
	bobID := identityKey(t, v.BobIdentityPrivate)
	if got := hex.EncodeToString(bobID.PublicKey().Bytes()); got != v.BobIdentityPublic33.String() {
		t.Fatalf("Bob identity public = %s, want %s", got, v.BobIdentityPublic33)
	}
	spk := curve.NewKeyPair(privKey(t, v.BobSignedPreKeyPrivate))
	if got := hex.EncodeToString(spk.Public.Bytes()); got != v.BobSignedPreKeyPublic33.String() {
		t.Fatalf("Bob signed prekey public = %s, want %s", got, v.BobSignedPreKeyPublic33)
	}
	keys, err := x3dh.Respond(x3dh.V3, &x3dh.ResponderKeys{Identity: bobID, SignedPreKey: spk}, &x3dh.Message{
		IdentityKey: pubKey(t, v.AliceIdentityPublic33),
		BaseKey:     pubKey(t, v.AliceBasePublic33),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(keys.ChainKey[:]); got != v.ExpectedBobSenderChainKey.String() {
		t.Errorf("Bob sender chain key = %s, want %s", got, v.ExpectedBobSenderChainKey)
	}
	if got := hex.EncodeToString(keys.RootKey[:]); got != v.RootKeyComputedHere.String() {
		t.Errorf("root key = %s, want %s", got, v.RootKeyComputedHere)
	}
	if keys.AuthKey != [32]byte{} {
		t.Error("V3 produced an auth key")
	}
}

// TestRatchetingSessionV3Alice is libsignal's "ratcheting session as Alice"
// with RFC 7748 (clamping) X25519, as Rust libsignal runs it: Alice's base
// private key is clamped on load, so her base public key differs from the
// one in the vector and her receiving chain key is ab9be50e…, not the
// unclamped 9797caca….
func TestRatchetingSessionV3Alice(t *testing.T) {
	v := loadRatchetingSessionV3(t)
	if !strings.HasPrefix(v.ExpectedAliceReceiverChainRFC7748.String(), "ab9be50e") {
		t.Fatalf("unexpected vector file: Alice chain %s", v.ExpectedAliceReceiverChainRFC7748)
	}
	aliceID := identityKey(t, v.AliceIdentityPrivate)
	if got := hex.EncodeToString(aliceID.PublicKey().Bytes()); got != v.AliceIdentityPublic33.String() {
		t.Fatalf("Alice identity public = %s, want %s", got, v.AliceIdentityPublic33)
	}
	bobID := identityKey(t, v.BobIdentityPrivate)
	spkPub := pubKey(t, v.BobSignedPreKeyPublic33)
	sig, err := bobID.Sign(spkPub.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := x3dh.NewBundle(1, 1, bobID.PublicKey(), x3dh.SignedPreKeyPublic{ID: 1, PublicKey: spkPub, Signature: sig}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	base := privKey(t, v.AliceBasePrivate)
	in, err := x3dhtest.Initiate(x3dh.V3, aliceID, bundle, base, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(in.Keys.ChainKey[:]); got != v.ExpectedAliceReceiverChainRFC7748.String() {
		t.Errorf("Alice receiver chain key = %s, want %s", got, v.ExpectedAliceReceiverChainRFC7748)
	}
	if bytes.Equal(in.Message.BaseKey.Bytes(), v.AliceBasePublic33) {
		t.Error("base key equals the unclamped vector's public key; clamping was skipped")
	}
	if !in.Message.BaseKey.Equal(base.PublicKey()) || !in.Message.IdentityKey.Equal(aliceID.PublicKey()) {
		t.Error("message does not carry Alice's base and identity keys")
	}
	if in.Message.HasOneTimePreKey || in.Message.KEMCiphertext != nil || in.Message.SignedPreKeyID != 1 {
		t.Errorf("unexpected message fields: %+v", in.Message)
	}

	// Bob, given the clamped base key, agrees.
	keys, err := x3dh.Respond(x3dh.V3, &x3dh.ResponderKeys{
		Identity:     bobID,
		SignedPreKey: curve.NewKeyPair(privKey(t, v.BobSignedPreKeyPrivate)),
	}, &in.Message)
	if err != nil {
		t.Fatal(err)
	}
	if keys != in.Keys {
		t.Error("Bob and Alice disagree")
	}
}
