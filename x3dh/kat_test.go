package x3dh_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/vectors"
	"github.com/forwardsecret/signal/x3dh"
	"github.com/forwardsecret/signal/x3dh/x3dhtest"
)

// ratchetingSessionV3 is the "ratcheting_session_v3" group of
// ../shared/vectors/signal_ratchet.json: libsignal-protocol-c's
// test_ratcheting_session_as_bob/as_alice (the same numbers are in
// libsignal-protocol-java and Rust libsignal's rust/protocol/tests/ratchet.rs).
type ratchetingSessionV3 struct {
	BobIdentityPrivate     string `json:"bob_identity_private"`
	BobIdentityPublic      string `json:"bob_identity_public_33"`
	BobSignedPreKeyPrivate string `json:"bob_signed_prekey_private"`
	BobSignedPreKeyPublic  string `json:"bob_signed_prekey_public_33"`
	AliceIdentityPrivate   string `json:"alice_identity_private"`
	AliceIdentityPublic    string `json:"alice_identity_public_33"`
	AliceBasePrivate       string `json:"alice_base_private"`
	AliceBasePublic        string `json:"alice_base_public_33"`
	BobSenderChain         string `json:"expected_bob_sender_chain_key"`
	AliceReceiverClamped   string `json:"expected_alice_receiver_chain_key_rfc7748_x25519"`
	RootKey                string `json:"root_key_computed_here"`
}

func loadRatchetingSessionV3(t *testing.T) *ratchetingSessionV3 {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(vectors.SharedDir(t), "signal_ratchet.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		V *ratchetingSessionV3 `json:"ratcheting_session_v3"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if f.V == nil || f.V.BobSenderChain == "" {
		t.Fatal("ratcheting_session_v3 missing from signal_ratchet.json")
	}
	return f.V
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func privKey(t testing.TB, s string) *curve.PrivateKey {
	t.Helper()
	k, err := curve.NewPrivateKey(unhex(t, s))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pubKey(t testing.TB, s string) curve.PublicKey {
	t.Helper()
	k, err := curve.ParsePublicKey(unhex(t, s))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func identityKey(t testing.TB, s string) *curve.IdentityKeyPair {
	t.Helper()
	k, err := curve.NewIdentityKeyPair(privKey(t, s))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestRatchetingSessionV3Bob is libsignal's "ratcheting session as Bob":
// Bob's first sending chain key from Alice's identity and base key.
func TestRatchetingSessionV3Bob(t *testing.T) {
	v := loadRatchetingSessionV3(t)
	bobID := identityKey(t, v.BobIdentityPrivate)
	if got := hex.EncodeToString(bobID.PublicKey().Bytes()); got != v.BobIdentityPublic {
		t.Fatalf("Bob identity public = %s, want %s", got, v.BobIdentityPublic)
	}
	spk := curve.NewKeyPair(privKey(t, v.BobSignedPreKeyPrivate))
	if got := hex.EncodeToString(spk.Public.Bytes()); got != v.BobSignedPreKeyPublic {
		t.Fatalf("Bob signed prekey public = %s, want %s", got, v.BobSignedPreKeyPublic)
	}
	keys, err := x3dh.Respond(x3dh.V3, &x3dh.ResponderKeys{Identity: bobID, SignedPreKey: spk}, &x3dh.Message{
		IdentityKey: pubKey(t, v.AliceIdentityPublic),
		BaseKey:     pubKey(t, v.AliceBasePublic),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(keys.ChainKey[:]); got != v.BobSenderChain {
		t.Errorf("Bob sender chain key = %s, want %s", got, v.BobSenderChain)
	}
	if got := hex.EncodeToString(keys.RootKey[:]); got != v.RootKey {
		t.Errorf("root key = %s, want %s", got, v.RootKey)
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
	aliceID := identityKey(t, v.AliceIdentityPrivate)
	if got := hex.EncodeToString(aliceID.PublicKey().Bytes()); got != v.AliceIdentityPublic {
		t.Fatalf("Alice identity public = %s, want %s", got, v.AliceIdentityPublic)
	}
	bobID := identityKey(t, v.BobIdentityPrivate)
	spkPub := pubKey(t, v.BobSignedPreKeyPublic)
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
	if got := hex.EncodeToString(in.Keys.ChainKey[:]); got != v.AliceReceiverClamped {
		t.Errorf("Alice receiver chain key = %s, want %s", got, v.AliceReceiverClamped)
	}
	if bytes.Equal(in.Message.BaseKey.Bytes(), unhex(t, v.AliceBasePublic)) {
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
