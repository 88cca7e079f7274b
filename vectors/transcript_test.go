package vectors_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/cryptotest"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/ratchet"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/spqr"
	"github.com/forwardsecret/signal/vectors"
	"github.com/forwardsecret/signal/x3dh"
)

// errorMatches says whether err is what an invalid vector's error name
// means for this library.
func errorMatches(name string, err error) bool {
	if err == nil {
		return false
	}
	switch name {
	case vectors.ErrNameBadMAC:
		return errors.Is(err, session.ErrInvalidMessage) && errors.Is(err, ratchet.ErrInvalidMAC)
	case vectors.ErrNameTruncated:
		return errors.Is(err, session.ErrInvalidMessage)
	case vectors.ErrNameLegacyVersion, vectors.ErrNameUnknownVersion:
		return errors.Is(err, session.ErrVersion)
	case vectors.ErrNameWrongVersion:
		// A SignalMessage of the other supported version: the session layer
		// finds no state of that version to authenticate it, as libsignal
		// ("session version mismatch"), and reports an invalid message.
		return errors.Is(err, session.ErrVersion) || errors.Is(err, session.ErrInvalidMessage)
	case vectors.ErrNameCounterTooFar:
		return errors.Is(err, ratchet.ErrForwardJumpTooLarge)
	case vectors.ErrNameDuplicateMessage:
		return errors.Is(err, session.ErrDuplicateMessage)
	case vectors.ErrNameBadBaseKey:
		return errors.Is(err, x3dh.ErrInvalidBaseKey) || errors.Is(err, curve.ErrInvalidPublicKey)
	case vectors.ErrNameBadKEMCiphertext:
		return errors.Is(err, x3dh.ErrKEMCiphertextLength) || errors.Is(err, x3dh.ErrKEMCiphertextType) ||
			errors.Is(err, x3dh.ErrUnknownKEMType) // a ciphertext without its type byte
	case vectors.ErrNameMissingKEM:
		return errors.Is(err, x3dh.ErrMissingKEMPreKey) || errors.Is(err, session.ErrInvalidMessage)
	case vectors.ErrNameReceiverChainDropped:
		// The record layout (libsignal's) keeps no list of dropped chains:
		// the message reads as an unauthenticated DH ratchet step.
		return errors.Is(err, session.ErrInvalidMessage) && (errors.Is(err, ratchet.ErrInvalidMAC) || errors.Is(err, ratchet.ErrReceiverChainDropped))
	case vectors.ErrNameSPQRMissing:
		return errors.Is(err, session.ErrInvalidMessage) && (errors.Is(err, spqr.ErrMinimumVersion) || errors.Is(err, spqr.ErrVersionMismatch))
	case vectors.ErrNameSPQREpoch:
		return errors.Is(err, session.ErrInvalidMessage) && errors.Is(err, spqr.ErrEpochOutOfRange)
	case vectors.ErrNameSPQRMalformed:
		return errors.Is(err, session.ErrInvalidMessage) && errors.Is(err, spqr.ErrMessageDecode)
	}
	return false
}

// suiteTranscripts replays data/transcript_v3.json and transcript_v4.json
// through the session layer: Alice's and Bob's session.Managers, given the
// listed keys and the listed random draws (v4: SPQR's too), must produce
// every message byte for byte and decrypt every message; every invalid
// message must fail with its error and leave the receiver's record
// unchanged; every invalid bundle must be refused. A v4 PreKey message
// without its SPQR field (spqr_missing) is refused with no session kept.
func suiteTranscripts(t *testing.T) {
	for _, v := range []int{3, 4} {
		f, err := vectors.Transcripts(v)
		if err != nil {
			t.Fatal(err)
		}
		for i := range f.Transcripts {
			tr := &f.Transcripts[i]
			if v == 4 && tr.SPQR != "v1" {
				t.Fatalf("%s: spqr %q", tr.Name, tr.SPQR)
			}
			t.Run(tr.Name, func(t *testing.T) { replayTranscript(t, tr) })
		}
	}
}

type side struct {
	store *memstore.Store
	mgr   *session.Manager
	id    *curve.IdentityKeyPair
	peer  session.Address
	keys  []vectors.KeyPair
}

func identity(t *testing.T, k vectors.KeyPair) *curve.IdentityKeyPair {
	t.Helper()
	priv, err := curve.NewPrivateKey(k.Private)
	if err != nil {
		t.Fatal(err)
	}
	id, err := curve.NewIdentityKeyPair(priv)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(id.PublicKey().Bytes(), k.Public) {
		t.Fatalf("identity public key %x, want %x", id.PublicKey().Bytes(), k.Public)
	}
	return id
}

func keyPair(t *testing.T, k vectors.KeyPair) curve.KeyPair {
	t.Helper()
	priv, err := curve.NewPrivateKey(k.Private)
	if err != nil {
		t.Fatal(err)
	}
	kp := curve.NewKeyPair(priv)
	if !bytes.Equal(kp.Public.Bytes(), k.Public) {
		t.Fatalf("public key %x, want %x", kp.Public.Bytes(), k.Public)
	}
	return kp
}

func kemType(name string) x3dh.KEMType {
	if name == "ML-KEM-1024" {
		return x3dh.MLKEM1024
	}
	return x3dh.Kyber1024
}

// withDraws runs f with crypto/rand yielding the ChaCha8 stream of seed
// (the transcripts' draw seeds), then restores an arbitrary stream so that
// later draws cannot silently reuse the listed keys.
func withDraws(t *testing.T, seed uint64, f func()) {
	cryptotest.SetGlobalRandom(t, seed)
	f()
	cryptotest.SetGlobalRandom(t, 0xdead_beef_0000_0001)
}

// replayTranscript replays one transcript (see suiteTranscripts, run as TestSuite/transcripts). Key
// draws inside the library (base key, KEM m, ratchet keys) come from
// crypto/rand; the transcript's keys are the ChaCha8 streams that
// cryptotest.SetGlobalRandom yields for the listed seeds, so the session
// layer needs no randomness hook. A library that drew in another order, or
// drew more, would produce other keys and fail the byte comparison.
func replayTranscript(t *testing.T, tr *vectors.Transcript) {
	ctx := context.Background()
	family := fmt.Sprintf("transcript_v%d", tr.Version)
	aliceID, bobID := identity(t, tr.Alice.Identity), identity(t, tr.Bob.Identity)
	aliceAddr := session.Address{Name: tr.Alice.Name, DeviceID: tr.Alice.DeviceID}
	bobAddr := session.Address{Name: tr.Bob.Name, DeviceID: tr.Bob.DeviceID}

	bobStore := memstore.New(bobID, tr.Bob.RegistrationID)
	spk := keyPair(t, tr.Bob.SignedPreKey)
	bobStore.AddSignedPreKey(ctx, &x3dh.SignedPreKey{ID: tr.Bob.SignedPreKeyID, KeyPair: spk, Signature: tr.Bob.SignedPreKeySignature})
	var opkPub *x3dh.OneTimePreKeyPublic
	if tr.Bob.OneTimePreKey != nil {
		k := &x3dh.OneTimePreKey{ID: *tr.Bob.OneTimePreKeyID, KeyPair: keyPair(t, *tr.Bob.OneTimePreKey)}
		bobStore.AddPreKey(ctx, k)
		p := k.Public()
		opkPub = &p
	}
	var kemPub *x3dh.KEMPreKeyPublic
	if tr.Version == 4 {
		kp, err := x3dh.NewKEMKeyPairFromSeed(kemType(tr.KEM), tr.Bob.KEMPreKeySeed)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(kp.Public.Bytes(), tr.Bob.KEMPreKeyPublic) {
			t.Fatal("KEM public key differs")
		}
		k := &x3dh.KEMPreKey{ID: *tr.Bob.KEMPreKeyID, KeyPair: kp, Signature: tr.Bob.KEMPreKeySignature}
		bobStore.AddKEMPreKey(ctx, k)
		p := k.Public()
		kemPub = &p
	}
	aliceStore := memstore.New(aliceID, tr.Alice.RegistrationID)
	sides := map[string]*side{
		"alice": {store: aliceStore, mgr: session.NewManager(session.StoresOf(aliceStore)), id: aliceID, peer: bobAddr, keys: tr.Alice.RatchetKeys},
		"bob":   {store: bobStore, mgr: session.NewManager(session.StoresOf(bobStore)), id: bobID, peer: aliceAddr, keys: tr.Bob.RatchetKeys},
	}

	// Invalid bundles first: each must be refused, leaving no session.
	for _, ib := range tr.InvalidBundles {
		ok := func() bool {
			spkPub, err := curve.ParsePublicKey(ib.SignedPreKey)
			if err != nil {
				t.Errorf("bundle %s: %v", ib.Name, err)
				return false
			}
			var kp *x3dh.KEMPreKeyPublic
			if tr.Version == 4 {
				pub, err := x3dh.ParseKEMPublicKey(ib.KEMPreKeyPublic)
				if err != nil {
					t.Errorf("bundle %s: %v", ib.Name, err)
					return false
				}
				kp = &x3dh.KEMPreKeyPublic{ID: kemPub.ID, PublicKey: pub, Signature: ib.KEMPreKeySignature}
			}
			b, err := x3dh.NewBundle(tr.Bob.RegistrationID, tr.Bob.DeviceID, bobID.PublicKey(),
				x3dh.SignedPreKeyPublic{ID: tr.Bob.SignedPreKeyID, PublicKey: spkPub, Signature: ib.SignedPreKeySignature}, opkPub, kp)
			if err == nil {
				st := memstore.New(aliceID, tr.Alice.RegistrationID)
				err = session.NewManager(session.StoresOf(st)).ProcessBundle(ctx, bobAddr, b)
				if has, _ := session.NewManager(session.StoresOf(st)).HasSession(ctx, bobAddr); has {
					t.Errorf("bundle %s: session built", ib.Name)
					return false
				}
			}
			if !(errors.Is(err, x3dh.ErrBadSignedPreKeySignature) || errors.Is(err, x3dh.ErrBadKEMSignature) || errors.Is(err, session.ErrSignature)) {
				t.Errorf("bundle %s: error %v, want %s", ib.Name, err, ib.Error)
				return false
			}
			return true
		}()
		count(family+"/invalid_bundle", ok, ib.Result)
	}

	bundle, err := x3dh.NewBundle(tr.Bob.RegistrationID, tr.Bob.DeviceID, bobID.PublicKey(),
		x3dh.SignedPreKeyPublic{ID: tr.Bob.SignedPreKeyID, PublicKey: spk.Public, Signature: tr.Bob.SignedPreKeySignature}, opkPub, kemPub)
	if err != nil {
		t.Fatalf("bundle: %v", err)
	}
	var perr error
	withDraws(t, tr.Alice.HandshakeDrawSeed, func() { perr = sides["alice"].mgr.ProcessBundle(ctx, bobAddr, bundle) })
	if perr != nil {
		t.Fatalf("ProcessBundle: %v", perr)
	}

	sentOK := make([]bool, len(tr.Messages))
	recvOK := make([]bool, len(tr.Messages))
	invalidAt := map[int][]vectors.TranscriptInvalid{}
	for _, inv := range tr.Invalid {
		invalidAt[inv.BeforeEvent] = append(invalidAt[inv.BeforeEvent], inv)
	}
	tryInvalid := func(k int) {
		for _, inv := range invalidAt[k] {
			sd := sides[inv.Party]
			before := sd.store.SessionBytes(sd.peer)
			_, derr := sd.mgr.Decrypt(ctx, sd.peer, session.Message{Type: session.MessageType(inv.Type), Body: inv.Body})
			ok := errorMatches(inv.Error, derr)
			if !ok {
				t.Errorf("invalid %d %s (%v): error %v, want %s", inv.ID, inv.Name, inv.Flags, derr, inv.Error)
			}
			if !bytes.Equal(before, sd.store.SessionBytes(sd.peer)) {
				t.Errorf("invalid %d %s: the session record changed", inv.ID, inv.Name)
				ok = false
			}
			count(family+"/invalid", ok, inv.Result)
		}
	}
	for k, e := range tr.Events {
		tryInvalid(k)
		m := &tr.Messages[e.Message]
		sd := sides[e.Party]
		switch e.Op {
		case "send":
			var msg session.Message
			var eerr error
			encrypt := func() { msg, eerr = sd.mgr.Encrypt(ctx, sd.peer, m.Plaintext) }
			if e.DrawSeed != nil {
				withDraws(t, *e.DrawSeed, encrypt) // SPQR's key generation or encapsulation
			} else {
				encrypt()
			}
			if eerr != nil || int(msg.Type) != m.Type || !bytes.Equal(msg.Body, m.Body) {
				t.Errorf("event %d: %s sends message %d: type %d, %v; body\n got %x\nwant %x", k, e.Party, m.ID, msg.Type, eerr, msg.Body, []byte(m.Body))
				continue
			}
			sentOK[m.ID] = true
		case "receive":
			var pt []byte
			var derr error
			decrypt := func() {
				pt, derr = sd.mgr.Decrypt(ctx, sd.peer, session.Message{Type: session.MessageType(m.Type), Body: m.Body})
			}
			if e.DrawsRatchetKey != nil {
				withDraws(t, *sd.keys[*e.DrawsRatchetKey].DrawSeed, decrypt)
			} else {
				decrypt()
			}
			if derr != nil || !bytes.Equal(pt, m.Plaintext) {
				t.Errorf("event %d: %s receives message %d: %v", k, e.Party, m.ID, derr)
				continue
			}
			recvOK[m.ID] = true
		}
	}
	tryInvalid(len(tr.Events))
	for i := range tr.Messages {
		count(family+"/message", sentOK[i] && (recvOK[i] || tr.Messages[i].Undelivered), tr.Messages[i].Result)
	}
}
