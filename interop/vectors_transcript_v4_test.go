package interop_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/interop/libparty"
	"github.com/forwardsecret/signal/interop/peer"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/vectors"
	"github.com/forwardsecret/signal/x3dh"
)

// bobKeys are the private halves of a published bundle, as a transcript
// lists them, for loading into the official libsignal.
type bobKeys struct {
	regID, deviceID       uint32
	identityPrivate       []byte
	signedID              uint32
	signedPrivate         []byte
	signedSignature       []byte
	kemID                 uint32
	kemType               x3dh.KEMType
	kemSeed               []byte // 64 bytes d || z
	kemSignature          []byte
	oneTimeID             *uint32
	oneTimePrivate        []byte
	wantIdentity, wantKEM []byte // the listed public keys, checked after loading
}

// kyberPreKeyRecord encodes a KyberPreKeyRecord as libsignal stores it
// (storage.proto SignedPreKeyRecordStructure: 1 id, 2 public key, 3 private
// key, 4 signature, 5 timestamp), the private key in libsignal's expanded
// form. The official API makes KEM key pairs only by generating them, so a
// listed key is loaded through this record.
func kyberPreKeyRecord(k bobKeys) (record, public []byte, err error) {
	priv, err := x3dh.ParseKEMPrivateKey(append([]byte{byte(k.kemType)}, k.kemSeed...))
	if err != nil {
		return nil, nil, err
	}
	public = priv.PublicKey().Bytes()
	b := protowire.AppendTag(nil, 1, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(k.kemID))
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendBytes(b, public)
	b = protowire.AppendTag(b, 3, protowire.BytesType)
	b = protowire.AppendBytes(b, priv.LibsignalBytes())
	b = protowire.AppendTag(b, 4, protowire.BytesType)
	b = protowire.AppendBytes(b, k.kemSignature)
	b = protowire.AppendTag(b, 5, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, uint64(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()))
	return b, public, nil
}

// loadOfficialBob starts the official libsignal (node-v4 peer) as Bob with
// exactly the keys k: identity and registration id, signed prekey, KEM
// prekey and one-time prekey. It checks that the peer derives the listed
// public keys.
func loadOfficialBob(ctx context.Context, t *testing.T, k bobKeys, label string) *peer.Process {
	t.Helper()
	p := needPeer(t, peer.KindNodeV4)
	p.SetLabel(label)
	pub, err := p.Init(ctx, peer.InitRequest{RegistrationID: k.regID, DeviceID: k.deviceID, IdentityPrivate: peer.Hex(k.identityPrivate)})
	if err != nil {
		t.Fatalf("%s: init: %v", label, err)
	}
	if k.wantIdentity != nil && !bytes.Equal(pub, k.wantIdentity) {
		t.Fatalf("%s: identity %x, listed %x", label, []byte(pub), k.wantIdentity)
	}
	record, kemPublic, err := kyberPreKeyRecord(k)
	if err != nil {
		t.Fatalf("%s: KEM prekey: %v", label, err)
	}
	if k.wantKEM != nil && !bytes.Equal(kemPublic, k.wantKEM) {
		t.Fatalf("%s: KEM public key from the listed seed differs from the listed one", label)
	}
	req := struct {
		SignedPreKeyID        uint32   `json:"signed_prekey_id"`
		SignedPreKeyPrivate   peer.Hex `json:"signed_prekey_private"`
		SignedPreKeySignature peer.Hex `json:"signed_prekey_signature"`
		KyberPreKeyRecord     peer.Hex `json:"kyber_prekey_record"`
		PreKeyID              *uint32  `json:"prekey_id,omitempty"`
		PreKeyPrivate         peer.Hex `json:"prekey_private,omitempty"`
	}{k.signedID, k.signedPrivate, k.signedSignature, record, k.oneTimeID, k.oneTimePrivate}
	var resp struct {
		KyberPreKey peer.Hex `json:"kyber_prekey"`
	}
	if err := p.Call(ctx, "import_prekeys", req, &resp); err != nil {
		t.Fatalf("%s: import_prekeys: %v", label, err)
	}
	if !bytes.Equal(resp.KyberPreKey, kemPublic) {
		t.Fatalf("%s: the peer read back KEM public key %x..., want %x...", label, []byte(resp.KyberPreKey)[:8], kemPublic[:8])
	}
	return p
}

// TestOfficialBobLoadsListedKeys checks the loading path itself, without
// vectors: keys made here are loaded into the official libsignal, this
// library initiates to the matching bundle, and the official side
// decrypts. Kyber1024, with and without a one-time prekey (for ML-KEM-1024
// see TestOfficialRefusesMLKEM1024).
func TestOfficialBobLoadsListedKeys(t *testing.T) {
	for _, kt := range []x3dh.KEMType{x3dh.Kyber1024} {
		for _, oneTime := range []bool{true, false} {
			t.Run(fmt.Sprintf("%v/onetime=%v", kt, oneTime), func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				rnd := func(n int) []byte { b := make([]byte, n); rand.Read(b); return b }
				idPriv, err := curve.NewPrivateKey(rnd(32))
				if err != nil {
					t.Fatal(err)
				}
				id, err := curve.NewIdentityKeyPair(idPriv)
				if err != nil {
					t.Fatal(err)
				}
				spk, _ := curve.NewPrivateKey(rnd(32))
				spkSig, err := id.Sign(spk.PublicKey().Bytes())
				if err != nil {
					t.Fatal(err)
				}
				k := bobKeys{regID: 4321, deviceID: 3, identityPrivate: idPriv.Bytes(), signedID: 9, signedPrivate: spk.Bytes(),
					signedSignature: spkSig, kemID: 12, kemType: kt, kemSeed: rnd(64), wantIdentity: id.PublicKey().Bytes()}
				_, kemPublic, err := kyberPreKeyRecord(k)
				if err != nil {
					t.Fatal(err)
				}
				if k.kemSignature, err = id.Sign(kemPublic); err != nil {
					t.Fatal(err)
				}
				bundle := peer.Bundle{RegistrationID: k.regID, DeviceID: k.deviceID, IdentityKey: id.PublicKey().Bytes(),
					SignedPreKeyID: k.signedID, SignedPreKey: spk.PublicKey().Bytes(), SignedPreKeySignature: spkSig,
					KyberPreKeyID: &k.kemID, KyberPreKey: kemPublic, KyberPreKeySignature: k.kemSignature}
				if oneTime {
					ot, _ := curve.NewPrivateKey(rnd(32))
					otID := uint32(31)
					k.oneTimeID, k.oneTimePrivate = &otID, ot.Bytes()
					bundle.PreKeyID, bundle.PreKey = &otID, ot.PublicKey().Bytes()
				}
				bob := loadOfficialBob(ctx, t, k, "node-v4 as Bob (loaded keys)")
				alice, err := libparty.New("alice", 1234, 1)
				if err != nil {
					t.Fatal(err)
				}
				bobAddr, aliceAddr := peer.Address{Name: "bob", DeviceID: k.deviceID}, peer.Address{Name: "alice", DeviceID: 1}
				if err := alice.ProcessBundle(ctx, bobAddr, bundle); err != nil {
					t.Fatal(err)
				}
				for i := range 5 {
					pt := []byte(fmt.Sprintf("message %d", i))
					m, err := alice.Encrypt(ctx, bobAddr, pt)
					if err != nil {
						t.Fatal(err)
					}
					got, err := bob.Decrypt(ctx, aliceAddr, m)
					if err != nil || !bytes.Equal(got, pt) {
						t.Fatalf("message %d: official Bob: %q, %v", i, got, err)
					}
				}
			})
		}
	}
}

// TestOfficialRefusesMLKEM1024 pins a fact the transcript replay relies
// on: @signalapp/libsignal-client 0.103.0 has no ML-KEM-1024 (type 0x0A)
// KEM keys ("bad KEM key type <0x0a>"); it speaks Kyber1024 (0x08) only.
// The ML-KEM-1024 transcripts are therefore not offered to it. When a
// release accepts the type, this test fails and the replay should include
// them.
func TestOfficialRefusesMLKEM1024(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	seed := make([]byte, 64)
	rand.Read(seed)
	k := bobKeys{kemID: 1, kemType: x3dh.MLKEM1024, kemSeed: seed, kemSignature: make([]byte, 64)}
	record, _, err := kyberPreKeyRecord(k)
	if err != nil {
		t.Fatal(err)
	}
	p := needPeer(t, peer.KindNodeV4)
	if _, err := p.Init(ctx, peer.InitRequest{RegistrationID: 1, DeviceID: 1}); err != nil {
		t.Fatal(err)
	}
	spk, _ := curve.NewPrivateKey(seed[:32])
	req := map[string]any{"signed_prekey_id": 1, "signed_prekey_private": peer.Hex(spk.Bytes()),
		"signed_prekey_signature": peer.Hex(make([]byte, 64)), "kyber_prekey_record": peer.Hex(record)}
	err = p.Call(ctx, "import_prekeys", req, &struct{}{})
	if err == nil {
		t.Fatal("the official libsignal loaded an ML-KEM-1024 prekey: include the ML-KEM-1024 transcripts in TestVectorsTranscriptsV4Official")
	}
	t.Logf("official libsignal refuses ML-KEM-1024 prekeys: %v", err)
}

// officialKEMType maps a transcript's KEM name to its type.
func officialKEMType(name string) (x3dh.KEMType, bool) {
	switch name {
	case "Kyber1024":
		return x3dh.Kyber1024, true
	}
	return 0, false
}

// TestVectorsTranscriptsV4Official has Signal's official libsignal
// (@signalapp/libsignal-client 0.103.0) play Bob in every v4 transcript
// with SPQR, given Bob's listed keys: it must decrypt every message Alice
// sends before Bob's first send (its own sends draw its own randomness,
// which cannot be injected, so the replay stops there), in the
// transcript's delivery order, and refuse every invalid message offered
// to Bob in that stretch while still decrypting what follows.
func TestVectorsTranscriptsV4Official(t *testing.T) {
	f, err := vectors.Transcripts(4)
	if err != nil {
		t.Fatal(err)
	}
	var transcripts, msgs, invalid, longest int
	var skipped []string
	for i := range f.Transcripts {
		tr := &f.Transcripts[i]
		if tr.SPQR != "v1" {
			skipped = append(skipped, tr.Name+" (no SPQR)")
			continue
		}
		if tr.KEM != "Kyber1024" {
			skipped = append(skipped, tr.Name+" (ML-KEM-1024, see TestOfficialRefusesMLKEM1024)")
			continue
		}
		transcripts++
		t.Run(tr.Name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			kt, ok := officialKEMType(tr.KEM)
			if !ok || tr.Bob.KEMPreKeyID == nil {
				t.Fatalf("v4 transcript without a Kyber1024 prekey (kem %q)", tr.KEM)
			}
			k := bobKeys{regID: tr.Bob.RegistrationID, deviceID: tr.Bob.DeviceID, identityPrivate: tr.Bob.Identity.Private,
				signedID: tr.Bob.SignedPreKeyID, signedPrivate: tr.Bob.SignedPreKey.Private, signedSignature: tr.Bob.SignedPreKeySignature,
				kemID: *tr.Bob.KEMPreKeyID, kemType: kt, kemSeed: tr.Bob.KEMPreKeySeed, kemSignature: tr.Bob.KEMPreKeySignature,
				wantIdentity: tr.Bob.Identity.Public, wantKEM: tr.Bob.KEMPreKeyPublic}
			if tr.Bob.OneTimePreKey != nil {
				k.oneTimeID, k.oneTimePrivate = tr.Bob.OneTimePreKeyID, tr.Bob.OneTimePreKey.Private
			}
			bob := loadOfficialBob(ctx, t, k, "node-v4 as Bob in "+tr.Name)
			alice := peer.Address{Name: tr.Alice.Name, DeviceID: tr.Alice.DeviceID}
			invalidAt := map[int][]vectors.TranscriptInvalid{}
			for _, inv := range tr.Invalid {
				if inv.Party == "bob" {
					invalidAt[inv.BeforeEvent] = append(invalidAt[inv.BeforeEvent], inv)
				}
			}
			n := 0
			for ev, e := range tr.Events {
				if e.Party == "bob" && e.Op == "send" {
					break
				}
				for _, inv := range invalidAt[ev] {
					if _, err := bob.Decrypt(ctx, alice, peer.Message{Type: inv.Type, Body: peer.Hex(inv.Body)}); err == nil {
						t.Errorf("event %d: invalid %d %s (%v) decrypted", ev, inv.ID, inv.Name, inv.Flags)
						continue
					}
					invalid++
				}
				if e.Party != "bob" || e.Op != "receive" {
					continue
				}
				m := &tr.Messages[e.Message]
				pt, err := bob.Decrypt(ctx, alice, peer.Message{Type: m.Type, Body: peer.Hex(m.Body)})
				if err != nil || !bytes.Equal(pt, m.Plaintext) {
					t.Fatalf("event %d: message %d (%s, counter %d): %v", ev, m.ID, m.Sender, m.Counter, err)
				}
				n++
				msgs++
			}
			if n == 0 {
				t.Fatal("no message from Alice before Bob's first send")
			}
			longest = max(longest, n)
		})
	}
	if transcripts == 0 {
		t.Fatalf("no v4 Kyber1024 transcript with SPQR v1 (not offered: %v)", skipped)
	}
	const wantLongest = 45 // enough chunks for the whole SPQR header and key
	if longest < wantLongest {
		t.Errorf("longest one-way stretch decrypted: %d messages, want >= %d", longest, wantLongest)
	}
	t.Logf("official libsignal as Bob: %d v4 transcripts with SPQR, %d messages decrypted (longest one-way stretch %d), %d invalid messages refused; not offered: %v",
		transcripts, msgs, longest, invalid, skipped)
}

// TestEvictedKeyIsDuplicateBothWays checks live what the v4 skipped-keys
// transcript expects: after a jump that skips 2,001 message keys the oldest
// is evicted (libsignal keeps 2,000), and the evicted message is reported as
// a duplicate, by the official libsignal ("old counter") and by this
// library (session.ErrDuplicateMessage, although SPQR, which this library
// asks first, reports the index as trimmed); the other skipped messages
// still decrypt. Both directions.
func TestEvictedKeyIsDuplicateBothWays(t *testing.T) {
	const jump = 2001 // skipped keys; one more than the 2,000 kept
	for _, officialSends := range []bool{true, false} {
		t.Run(fmt.Sprintf("official-sends=%v", officialSends), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			lp, err := libparty.New("lib", nextRegID(), 1)
			if err != nil {
				t.Fatal(err)
			}
			off := needPeer(t, peer.KindNodeV4)
			off.SetLabel("node-v4")
			if _, err := off.Init(ctx, peer.InitRequest{RegistrationID: nextRegID(), DeviceID: 2, Name: "official"}); err != nil {
				t.Fatal(err)
			}
			libSide := peer.Side{Party: lp, Addr: peer.Address{Name: "lib", DeviceID: 1}}
			offSide := peer.Side{Party: off, Addr: peer.Address{Name: "official", DeviceID: 2}}
			sender, receiver := libSide, offSide
			if officialSends {
				sender, receiver = offSide, libSide
			}
			if _, err := peer.Establish(ctx, sender, receiver, peer.BundleRequest{SignedPreKeyID: 5, Kyber: true}); err != nil {
				t.Fatal(err)
			}
			msgs := make([]peer.Message, jump+2)
			for i := range msgs {
				if msgs[i], err = sender.Party.Encrypt(ctx, receiver.Addr, []byte(fmt.Sprint(i))); err != nil {
					t.Fatal(err)
				}
			}
			deliver := func(i int) error {
				pt, err := receiver.Party.Decrypt(ctx, sender.Addr, msgs[i])
				if err == nil && string(pt) != fmt.Sprint(i) {
					t.Fatalf("message %d decrypted to %q", i, pt)
				}
				return err
			}
			if err := deliver(0); err != nil {
				t.Fatalf("message 0: %v", err)
			}
			if err := deliver(jump + 1); err != nil { // skips 1..jump
				t.Fatalf("message %d: %v", jump+1, err)
			}
			err = deliver(1) // the evicted one
			switch {
			case err == nil:
				t.Fatal("the evicted message 1 decrypted")
			case officialSends && !errors.Is(err, session.ErrDuplicateMessage):
				t.Fatalf("library: evicted message: %v, want session.ErrDuplicateMessage", err)
			case !officialSends && !strings.Contains(err.Error(), "old counter"):
				t.Fatalf("official: evicted message: %v, want its duplicate (old counter) error", err)
			}
			t.Logf("evicted message refused: %v", err)
			for _, i := range []int{2, jump / 2, jump} {
				if err := deliver(i); err != nil {
					t.Fatalf("skipped message %d: %v", i, err)
				}
			}
		})
	}
}
