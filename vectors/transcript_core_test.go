package vectors_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/wire"
	"github.com/forwardsecret/signal/ratchet"
	"github.com/forwardsecret/signal/spqr"
	"github.com/forwardsecret/signal/vectors"
	"github.com/forwardsecret/signal/x3dh"
)

// suiteTranscriptsCore replays every transcript below the session layer:
// x3dh (Initiate with the listed draws, Respond), ratchet (NewAlice, NewBob,
// Encrypt, Decrypt with the listed draws) and the wire layouts of
// internal/wire, with this harness doing the session's bookkeeping (PreKey
// wrapping until Alice hears from Bob, MACs over the identity keys).
//
// In v4 the harness also runs package spqr (libsignal's settings, minimum
// version V1) beside the ratchet, with the listed SPQR draws, and checks
// every SPQR message key against the transcript's.
func suiteTranscriptsCore(t *testing.T) {
	for _, v := range []int{3, 4} {
		f, err := vectors.Transcripts(v)
		if err != nil {
			t.Fatal(err)
		}
		for i := range f.Transcripts {
			tr := &f.Transcripts[i]
			t.Run(tr.Name, func(t *testing.T) { replayCore(t, tr) })
		}
	}
}

// coreParty is one side of a core replay.
type coreParty struct {
	name      string
	id        *curve.IdentityKeyPair
	peerID    curve.PublicKey
	st        *ratchet.State
	pending   *wire.PreKeySignalMessage // Alice's PreKey fields, until she receives
	keys      []vectors.KeyPair
	baseKey   curve.PublicKey // Bob: the base key of his session
	responder *x3dh.ResponderKeys
	version   uint8
	pq        *spqr.State // v4
}

var errWrongVersion = errors.New("harness: message version is not the session's")

// decrypt is the receiving side of a session, below the session layer. It
// works on the party's state only if everything succeeds.
func (p *coreParty) decrypt(t *testing.T, typ int, body []byte, drawSeed *uint64) ([]byte, error) {
	pt, _, err := p.decryptSalt(t, typ, body, drawSeed)
	return pt, err
}

// decryptSalt is decrypt, also returning the SPQR message key used (v4).
func (p *coreParty) decryptSalt(t *testing.T, typ int, body []byte, drawSeed *uint64) ([]byte, []byte, error) {
	st, pq := p.st, p.pq
	var sm *wire.ReceivedSignalMessage
	newBase := curve.PublicKey{}
	switch typ {
	case 3:
		pm, err := wire.ParsePreKeySignalMessage(body)
		if err != nil {
			return nil, nil, err
		}
		if pm.Version != p.version || pm.Inner.Version != p.version {
			return nil, nil, errWrongVersion
		}
		base, err := curve.ParsePublicKey(pm.BaseKey)
		if err != nil {
			return nil, nil, err
		}
		if st == nil || !base.Equal(p.baseKey) {
			ik, err := curve.ParsePublicKey(pm.IdentityKey)
			if err != nil {
				return nil, nil, err
			}
			msg := &x3dh.Message{IdentityKey: ik, BaseKey: base, SignedPreKeyID: pm.SignedPreKeyID,
				HasOneTimePreKey: pm.HasPreKeyID, OneTimePreKeyID: pm.PreKeyID, KEMPreKeyID: pm.KyberPreKeyID, KEMCiphertext: pm.KyberCiphertext}
			keys, err := x3dh.Respond(x3dh.Version(p.version), p.responder, msg)
			if err != nil {
				return nil, nil, err
			}
			if st, err = ratchet.NewBob(keys.RootKey[:], keys.ChainKey[:], p.responder.SignedPreKey); err != nil {
				return nil, nil, err
			}
			if p.version == 4 {
				if pq, err = spqr.NewInitialState(keys.AuthKey[:], false); err != nil {
					return nil, nil, err
				}
			}
			newBase = base
		}
		sm = &pm.Inner
	case 2:
		m, err := wire.ParseSignalMessage(body)
		if err != nil {
			return nil, nil, err
		}
		sm = m
	default:
		return nil, nil, fmt.Errorf("type %d", typ)
	}
	if st == nil {
		return nil, nil, errors.New("harness: no session")
	}
	if sm.Version != p.version {
		return nil, nil, errWrongVersion
	}
	rk, err := curve.ParsePublicKey(sm.RatchetKey)
	if err != nil {
		return nil, nil, err
	}
	var salt []byte
	if pq != nil {
		if pq, salt, err = pq.Recv(sm.PQRatchet); err != nil {
			return nil, nil, err
		}
	}
	// Decrypt on a copy: a new state from the handshake is kept only on
	// success, and an existing one must not change on failure (checked).
	enc, err := st.MarshalBinary()
	if err != nil {
		return nil, nil, err
	}
	work := new(ratchet.State)
	if err := work.UnmarshalBinary(enc); err != nil {
		return nil, nil, err
	}
	var pt []byte
	decrypt := func() {
		pt, err = work.Decrypt(nil, ratchet.Header{RatchetKey: rk, Counter: sm.Counter, PreviousCounter: sm.PreviousCounter}, sm.Ciphertext, salt,
			func(k *ratchet.MACKey) error {
				return work.VerifySignalMAC(k, p.peerID, p.id.PublicKey(), sm.MACInput, sm.MAC[:])
			})
	}
	if drawSeed != nil {
		withDraws(t, *drawSeed, decrypt)
	} else {
		decrypt()
	}
	if after, _ := st.MarshalBinary(); !bytes.Equal(after, enc) {
		t.Errorf("%s: Decrypt changed the state it was not called on", p.name)
	}
	if err != nil {
		return nil, nil, err
	}
	p.st, p.pq = work, pq
	if newBase != (curve.PublicKey{}) {
		p.baseKey = newBase
	}
	p.pending = nil
	return pt, salt, nil
}

// encrypt returns the message type and body; in v4 it runs SPQR first,
// with crypto/rand set to the send's listed draw seed if it has one, and
// returns the SPQR message key.
func (p *coreParty) encrypt(t *testing.T, pt []byte, drawSeed *uint64) (int, []byte, []byte, error) {
	var salt, pqMsg []byte
	if p.pq != nil {
		var next *spqr.State
		var err error
		send := func() { next, pqMsg, salt, err = p.pq.Send() }
		if drawSeed != nil {
			withDraws(t, *drawSeed, send)
		} else {
			send()
		}
		if err != nil {
			return 0, nil, nil, err
		}
		p.pq = next
	}
	h, body, mk, err := p.st.Encrypt(nil, pt, salt)
	if err != nil {
		return 0, nil, nil, err
	}
	sm := wire.SignalMessage{Version: p.version, CurrentVersion: p.version, RatchetKey: h.RatchetKey.Bytes(),
		Counter: h.Counter, PreviousCounter: h.PreviousCounter, Ciphertext: body, PQRatchet: pqMsg}
	b, err := sm.AppendUnsigned(nil)
	if err != nil {
		return 0, nil, nil, err
	}
	tag := p.st.SignalMAC(&mk, p.id.PublicKey(), p.peerID, b)
	b = append(b, tag[:]...)
	if p.pending == nil {
		return 2, b, salt, nil
	}
	pm := *p.pending
	pm.Message = b
	out, err := pm.Append(nil)
	return 3, out, salt, err
}

// coreErrorMatches maps error names to the errors of the core packages.
func coreErrorMatches(name string, err error) bool {
	if err == nil {
		return false
	}
	switch name {
	case vectors.ErrNameBadMAC:
		return errors.Is(err, ratchet.ErrInvalidMAC)
	case vectors.ErrNameTruncated:
		return errors.Is(err, wire.ErrTruncated) || errors.Is(err, wire.ErrMalformed) || errors.Is(err, wire.ErrMissingField) ||
			errors.Is(err, ratchet.ErrInvalidMAC) || errors.Is(err, ratchet.ErrInvalidCiphertext)
	case vectors.ErrNameLegacyVersion:
		return errors.Is(err, wire.ErrLegacyVersion)
	case vectors.ErrNameUnknownVersion:
		return errors.Is(err, wire.ErrUnknownVersion)
	case vectors.ErrNameWrongVersion:
		return errors.Is(err, errWrongVersion) // the harness's check, as the session makes it
	case vectors.ErrNameCounterTooFar:
		return errors.Is(err, ratchet.ErrForwardJumpTooLarge)
	case vectors.ErrNameDuplicateMessage:
		// v4: below the session layer SPQR, asked first, refuses a key it
		// already gave out, or (an evicted key, a replay far behind) one it
		// has trimmed; the session layer then asks the Double Ratchet and
		// reports a duplicate, as libsignal does (checked strictly in
		// transcript_test.go).
		return errors.Is(err, ratchet.ErrDuplicateMessage) || errors.Is(err, spqr.ErrKeyAlreadyRequested) ||
			errors.Is(err, spqr.ErrKeyTrimmed)
	case vectors.ErrNameBadBaseKey:
		return errors.Is(err, x3dh.ErrInvalidBaseKey) || errors.Is(err, curve.ErrInvalidPublicKey)
	case vectors.ErrNameBadKEMCiphertext:
		return errors.Is(err, x3dh.ErrKEMCiphertextLength) || errors.Is(err, x3dh.ErrKEMCiphertextType) || errors.Is(err, x3dh.ErrUnknownKEMType)
	case vectors.ErrNameMissingKEM:
		return errors.Is(err, wire.ErrMissingField) || errors.Is(err, x3dh.ErrMissingKEMPreKey)
	case vectors.ErrNameReceiverChainDropped:
		return errors.Is(err, ratchet.ErrReceiverChainDropped)
	case vectors.ErrNameSPQRMissing:
		return errors.Is(err, spqr.ErrMinimumVersion) || errors.Is(err, spqr.ErrVersionMismatch)
	case vectors.ErrNameSPQREpoch:
		return errors.Is(err, spqr.ErrEpochOutOfRange)
	case vectors.ErrNameSPQRMalformed:
		return errors.Is(err, spqr.ErrMessageDecode)
	}
	return false
}

func replayCore(t *testing.T, tr *vectors.Transcript) {
	family := fmt.Sprintf("transcript_v%d_core", tr.Version)
	v := uint8(tr.Version)
	aliceID, bobID := identity(t, tr.Alice.Identity), identity(t, tr.Bob.Identity)
	spk := keyPair(t, tr.Bob.SignedPreKey)
	resp := &x3dh.ResponderKeys{Identity: bobID, SignedPreKey: spk}
	var opkPub *x3dh.OneTimePreKeyPublic
	if tr.Bob.OneTimePreKey != nil {
		k := keyPair(t, *tr.Bob.OneTimePreKey)
		resp.OneTimePreKey = &k
		opkPub = &x3dh.OneTimePreKeyPublic{ID: *tr.Bob.OneTimePreKeyID, PublicKey: k.Public}
	}
	var kemPub *x3dh.KEMPreKeyPublic
	if tr.Version == 4 {
		kp, err := x3dh.NewKEMKeyPairFromSeed(kemType(tr.KEM), tr.Bob.KEMPreKeySeed)
		if err != nil {
			t.Fatal(err)
		}
		resp.KEMPreKey = &kp
		kemPub = &x3dh.KEMPreKeyPublic{ID: *tr.Bob.KEMPreKeyID, PublicKey: kp.Public, Signature: tr.Bob.KEMPreKeySignature}
	}
	bundle, err := x3dh.NewBundle(tr.Bob.RegistrationID, tr.Bob.DeviceID, bobID.PublicKey(),
		x3dh.SignedPreKeyPublic{ID: tr.Bob.SignedPreKeyID, PublicKey: spk.Public, Signature: tr.Bob.SignedPreKeySignature}, opkPub, kemPub)
	if err != nil {
		t.Fatal(err)
	}
	// Invalid bundles: x3dh must refuse each (NewBundle verifies; Initiate
	// verifies again).
	for _, ib := range tr.InvalidBundles {
		ok := func() bool {
			spkPub, err := curve.ParsePublicKey(ib.SignedPreKey)
			if err != nil {
				return false
			}
			var kp *x3dh.KEMPreKeyPublic
			if tr.Version == 4 {
				pub, err := x3dh.ParseKEMPublicKey(ib.KEMPreKeyPublic)
				if err != nil {
					return false
				}
				kp = &x3dh.KEMPreKeyPublic{ID: kemPub.ID, PublicKey: pub, Signature: ib.KEMPreKeySignature}
			}
			b, err := x3dh.NewBundle(tr.Bob.RegistrationID, tr.Bob.DeviceID, bobID.PublicKey(),
				x3dh.SignedPreKeyPublic{ID: tr.Bob.SignedPreKeyID, PublicKey: spkPub, Signature: ib.SignedPreKeySignature}, opkPub, kp)
			if err == nil {
				_, err = x3dh.Initiate(x3dh.Version(tr.Version), aliceID, b)
			}
			return errors.Is(err, x3dh.ErrBadSignedPreKeySignature) || errors.Is(err, x3dh.ErrBadKEMSignature)
		}()
		if !ok {
			t.Errorf("invalid bundle %d %s accepted or refused for another reason", ib.ID, ib.Name)
		}
		count(family+"/invalid_bundle", ok, ib.Result)
	}

	// Alice's handshake draws base key and KEM m from the handshake stream;
	// her first ratchet key (the stream's next block) is injected.
	var in *x3dh.Initiation
	withDraws(t, tr.Alice.HandshakeDrawSeed, func() { in, err = x3dh.Initiate(x3dh.Version(v), aliceID, bundle) })
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(in.Keys.RootKey[:], tr.Handshake.RootKey) || !bytes.Equal(in.Keys.ChainKey[:], tr.Handshake.ChainKey) ||
		!bytes.Equal(in.Message.KEMCiphertext, tr.Handshake.KEMCiphertext) || !bytes.Equal(in.Message.BaseKey.Bytes(), tr.Alice.BaseKey.Public) {
		t.Fatal("handshake differs from the transcript")
	}
	ast, err := ratchet.NewAlice(in.Keys.RootKey[:], in.Keys.ChainKey[:], spk.Public, keyPair(t, tr.Alice.RatchetKeys[0]))
	if err != nil {
		t.Fatal(err)
	}
	var alicePQ *spqr.State
	if v == 4 {
		if alicePQ, err = spqr.NewInitialState(in.Keys.AuthKey[:], true); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(in.Keys.AuthKey[:], tr.Handshake.AuthKey) {
			t.Fatal("SPQR auth key differs from the transcript")
		}
	}
	m := &in.Message
	parties := map[string]*coreParty{
		"alice": {name: "alice", id: aliceID, peerID: bobID.PublicKey(), st: ast, keys: tr.Alice.RatchetKeys, version: v, pq: alicePQ,
			pending: &wire.PreKeySignalMessage{Version: v, CurrentVersion: v, RegistrationID: tr.Alice.RegistrationID,
				PreKeyID: m.OneTimePreKeyID, HasPreKeyID: m.HasOneTimePreKey, SignedPreKeyID: m.SignedPreKeyID,
				KyberPreKeyID: m.KEMPreKeyID, KyberCiphertext: m.KEMCiphertext, BaseKey: m.BaseKey.Bytes(), IdentityKey: m.IdentityKey.Bytes()}},
		"bob": {name: "bob", id: bobID, peerID: aliceID.PublicKey(), keys: tr.Bob.RatchetKeys, responder: resp, version: v},
	}
	sentOK := make([]bool, len(tr.Messages))
	recvOK := make([]bool, len(tr.Messages))
	invalidAt := map[int][]vectors.TranscriptInvalid{}
	for _, inv := range tr.Invalid {
		invalidAt[inv.BeforeEvent] = append(invalidAt[inv.BeforeEvent], inv)
	}
	tryInvalid := func(k int) {
		for _, inv := range invalidAt[k] {
			p := parties[inv.Party]
			before, beforePQ := p.st, p.pq
			_, err := p.decrypt(t, inv.Type, inv.Body, nil)
			ok := coreErrorMatches(inv.Error, err) && p.st == before && p.pq == beforePQ
			if !ok {
				t.Errorf("invalid %d %s (%v): error %v, want %s", inv.ID, inv.Name, inv.Flags, err, inv.Error)
			}
			count(family+"/invalid", ok, inv.Result)
		}
	}
	for k, e := range tr.Events {
		tryInvalid(k)
		msg := &tr.Messages[e.Message]
		p := parties[e.Party]
		switch e.Op {
		case "send":
			typ, body, salt, err := p.encrypt(t, msg.Plaintext, e.DrawSeed)
			if err != nil || typ != msg.Type || !bytes.Equal(body, msg.Body) {
				t.Errorf("event %d: %s sends message %d: type %d, %v; bodies differ: %v", k, e.Party, msg.ID, typ, err, !bytes.Equal(body, msg.Body))
				continue
			}
			if !spqrKeyMatches(msg, salt) {
				t.Errorf("event %d: message %d: SPQR key %x, listed %v", k, msg.ID, salt, msg.SPQR)
				continue
			}
			sentOK[msg.ID] = true
		case "receive":
			var seed *uint64
			if e.DrawsRatchetKey != nil {
				seed = p.keys[*e.DrawsRatchetKey].DrawSeed
			}
			pt, salt, err := p.decryptSalt(t, msg.Type, msg.Body, seed)
			if err != nil || !bytes.Equal(pt, msg.Plaintext) || !spqrKeyMatches(msg, salt) {
				t.Errorf("event %d: %s receives message %d: %v (SPQR key %x, listed %v)", k, e.Party, msg.ID, err, salt, msg.SPQR)
				continue
			}
			recvOK[msg.ID] = true
		}
	}
	tryInvalid(len(tr.Events))
	for i := range tr.Messages {
		count(family+"/message", sentOK[i] && (recvOK[i] || tr.Messages[i].Undelivered), tr.Messages[i].Result)
	}
}

// spqrKeyMatches says whether salt is the message's listed SPQR key (v4), or
// absent in v3.
func spqrKeyMatches(m *vectors.TranscriptMessage, salt []byte) bool {
	if m.SPQR == nil {
		return salt == nil
	}
	return bytes.Equal(salt, m.SPQR.Key)
}
