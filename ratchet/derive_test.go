package ratchet

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/sha256"
	"testing"
)

// stdCreateChain is create_chain written with crypto/ecdh and crypto/hkdf.
func stdCreateChain(t *testing.T, root, ourPriv, theirU []byte) (newRoot, chain []byte) {
	t.Helper()
	priv, err := ecdh.X25519().NewPrivateKey(ourPriv)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ecdh.X25519().NewPublicKey(theirU)
	if err != nil {
		t.Fatal(err)
	}
	dh, err := priv.ECDH(pub)
	if err != nil {
		t.Fatal(err)
	}
	okm, err := hkdf.Key(sha256.New, dh, root, "WhisperRatchet", 64)
	if err != nil {
		t.Fatal(err)
	}
	return okm[:32], okm[32:]
}

// TestInitAndDHStepMatchStdlib recomputes the state after NewAlice, NewBob
// and Bob's first DH step with standard-library calls, following
// PROTOCOL.md ("Initial state", create_chain), through the exported
// Snapshot.
func TestInitAndDHStepMatchStdlib(t *testing.T) {
	alice, bob := fixedPair(t)
	root := sha256.Sum256([]byte("fuzz root"))
	chain := sha256.Sum256([]byte("fuzz chain"))

	a := alice.s.Snapshot()
	spk := bob.s.Snapshot().Sender.RatchetKey
	aPriv := a.Sender.RatchetKey.Private.Bytes()
	spkU := spk.Public.U()
	wantRoot, wantSend := stdCreateChain(t, root[:], aPriv, spkU[:])
	mustEqual(t, "Alice's root key", a.RootKey[:], wantRoot)
	mustEqual(t, "Alice's sending chain key", a.Sender.ChainKey.Key[:], wantSend)
	if a.Sender.ChainKey.Index != 0 || len(a.Receivers) != 1 || a.Receivers[0].RatchetKey != spk.Public ||
		!bytes.Equal(a.Receivers[0].ChainKey.Key[:], chain[:]) || a.Receivers[0].ChainKey.Index != 0 {
		t.Errorf("Alice's chains: %+v", a)
	}
	b := bob.s.Snapshot()
	if !bytes.Equal(b.RootKey[:], root[:]) || !bytes.Equal(b.Sender.ChainKey.Key[:], chain[:]) || len(b.Receivers) != 0 {
		t.Errorf("Bob's initial state: %+v", b)
	}

	// Bob receives Alice's first message: receiving chain from
	// create_chain(root, DH(SPK, R_A)), then a new key R_B and a sending
	// chain from create_chain(root', DH(R_B, R_A)).
	if _, err := bob.recv(alice.send(t, []byte("hi"))); err != nil {
		t.Fatal(err)
	}
	b = bob.s.Snapshot()
	aU := a.Sender.RatchetKey.Public.U()
	root1, recv := stdCreateChain(t, root[:], spk.Private.Bytes(), aU[:])
	root2, send := stdCreateChain(t, root1, b.Sender.RatchetKey.Private.Bytes(), aU[:])
	mustEqual(t, "Bob's receiving chain key (before the step to index 1)", stdChainStep(recv), b.Receivers[0].ChainKey.Key[:])
	mustEqual(t, "Bob's root key", b.RootKey[:], root2)
	mustEqual(t, "Bob's sending chain key", b.Sender.ChainKey.Key[:], send)
	if b.Receivers[0].ChainKey.Index != 1 || b.PreviousCounter != 0 {
		t.Errorf("Bob after one message: index %d, previous counter %d", b.Receivers[0].ChainKey.Index, b.PreviousCounter)
	}
}

func stdChainStep(ck []byte) []byte {
	seed, next := floorChainStep(ck)
	_ = seed
	return next
}
