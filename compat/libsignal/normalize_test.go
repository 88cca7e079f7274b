package libsignal_test

import (
	"crypto/rand"
	"errors"
	"testing"

	"github.com/forwardsecret/signal/compat"
	"github.com/forwardsecret/signal/compat/libsignal"
	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/wire"
	"github.com/forwardsecret/signal/ratchet"
	"github.com/forwardsecret/signal/session"
)

// legacyState returns the current state of libsignal-protocol-c's record
// of Bob, parsed.
func legacyState(t *testing.T) *wire.SessionStructure {
	t.Helper()
	v := knownAnswers(t, lpcFile)
	r, err := wire.ParseRecord(v["session_record_bob"])
	if err != nil {
		t.Fatal(err)
	}
	return r.Current
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// receiverChain is a receiving chain with a fresh ratchet key, at chain
// index, with the given stored legacy message keys.
func receiverChain(t *testing.T, index uint32, keys []uint32) wire.Chain {
	t.Helper()
	kp, err := curve.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	c := wire.Chain{RatchetKey: kp.Public.Bytes(), ChainKey: &wire.ChainKey{Index: index, Key: randomBytes(32)}}
	for _, i := range keys {
		c.MessageKeys = append(c.MessageKeys, wire.MessageKey{Index: i, CipherKey: randomBytes(32), MACKey: randomBytes(32), IV: randomBytes(16)})
	}
	return c
}

// exported imports the legacy record r and returns its export, parsed.
func exported(t *testing.T, r *wire.Record) *wire.Record {
	t.Helper()
	rec, err := libsignal.ImportLegacySessionRecord(r.Append(nil), migrated)
	if err != nil {
		t.Fatal(err)
	}
	b, err := libsignal.ExportSessionRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	out, err := wire.ParseRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestLegacyTrimsChains: beyond ratchet.MaxReceiverChains receiving chains
// the oldest (first) are dropped, as libsignal drops them.
func TestLegacyTrimsChains(t *testing.T) {
	s := legacyState(t)
	for len(s.ReceiverChains) < ratchet.MaxReceiverChains+2 {
		s.ReceiverChains = append([]wire.Chain{receiverChain(t, 1, nil)}, s.ReceiverChains...)
	}
	want := s.ReceiverChains[2:]
	got := exported(t, &wire.Record{Current: s}).Current.ReceiverChains
	if len(got) != ratchet.MaxReceiverChains {
		t.Fatalf("%d receiving chains", len(got))
	}
	for i := range got {
		if string(got[i].RatchetKey) != string(want[i].RatchetKey) {
			t.Errorf("chain %d is not the input's chain %d", i, i+2)
		}
	}
}

// TestLegacyTrimsKeys: beyond ratchet.MaxSkippedKeysPerChain stored keys
// the oldest (first) are dropped.
func TestLegacyTrimsKeys(t *testing.T) {
	s := legacyState(t)
	const extra = 5
	var idx []uint32
	for i := uint32(1); i <= ratchet.MaxSkippedKeysPerChain+extra; i++ {
		idx = append(idx, i)
	}
	c := receiverChain(t, ratchet.MaxSkippedKeysPerChain+extra+1, idx)
	s.ReceiverChains = append(s.ReceiverChains[len(s.ReceiverChains)-1:], c)
	got := exported(t, &wire.Record{Current: s}).Current.ReceiverChains
	keys := got[len(got)-1].MessageKeys
	if len(keys) != ratchet.MaxSkippedKeysPerChain {
		t.Fatalf("%d keys kept", len(keys))
	}
	seen := map[uint32]bool{}
	for _, k := range keys {
		seen[k.Index] = true
	}
	for i := uint32(1); i <= ratchet.MaxSkippedKeysPerChain+extra; i++ {
		if seen[i] != (i > extra) {
			t.Errorf("key %d kept: %v", i, seen[i])
		}
	}
}

// TestLegacyArchived: archived states that cannot be used (empty, version
// 2) are dropped, and beyond session.MaxArchivedStates the oldest.
func TestLegacyArchived(t *testing.T) {
	s := legacyState(t)
	enc := s.Append(nil)
	v2 := *s
	v2.Version = 2
	empty := &wire.SessionStructure{Version: 2, LocalRegistrationID: 7}
	r := &wire.Record{Current: empty}
	for i := range session.MaxArchivedStates + 5 {
		if i%3 == 0 {
			r.Previous = append(r.Previous, v2.Append(nil), empty.Append(nil))
		}
		r.Previous = append(r.Previous, enc)
	}
	out := exported(t, r)
	if out.Current != nil || len(out.Previous) != session.MaxArchivedStates {
		t.Fatalf("current %v, %d archived states", out.Current, len(out.Previous))
	}
	for i, p := range out.Previous {
		if string(p) != string(enc) {
			t.Errorf("archived state %d is not the usable one", i)
		}
	}

	for name, cur := range map[string]*wire.SessionStructure{"version 2": &v2, "no version": {RootKey: s.RootKey, SenderChain: s.SenderChain}} {
		_, err := libsignal.ImportLegacySessionRecord((&wire.Record{Current: cur}).Append(nil), migrated)
		if !errors.Is(err, compat.ErrUnsupportedVersion) {
			t.Errorf("current state of %s: %v", name, err)
		}
	}
}
