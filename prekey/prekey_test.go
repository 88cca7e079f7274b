package prekey_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/prekey"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/x3dh"
)

func TestNewRegistrationID(t *testing.T) {
	seen := make(map[uint32]bool)
	for range 20000 {
		id := prekey.NewRegistrationID()
		if id < 1 || id > prekey.MaxRegistrationID {
			t.Fatalf("NewRegistrationID() = %d, want 1..%d", id, prekey.MaxRegistrationID)
		}
		seen[id] = true
	}
	// 20,000 uniform draws from 16,380 values hit about 11,000 of them.
	if len(seen) < 9000 {
		t.Fatalf("20000 draws gave only %d distinct ids", len(seen))
	}
}

func TestNextID(t *testing.T) {
	for _, tc := range []struct{ id, want uint32 }{
		{0, 1}, {1, 2}, {41, 42}, {prekey.MaxID - 1, prekey.MaxID}, {prekey.MaxID, 1}, {0xFFFFFF, 2},
	} {
		if got := prekey.NextID(tc.id); got != tc.want {
			t.Errorf("NextID(%#x) = %#x, want %#x", tc.id, got, tc.want)
		}
	}
}

func ids[K any](keys []K, id func(K) uint32) []uint32 {
	var out []uint32
	for _, k := range keys {
		out = append(out, id(k))
	}
	return out
}

// TestGenerateIDs: ids count up from the start ids and wrap from MaxID to
// 1, as libsignal's generatePreKeys ((start-1+i) mod MaxID + 1); the
// last-resort KEM prekey follows the one-time KEM prekeys.
func TestGenerateIDs(t *testing.T) {
	identity, _ := curve.GenerateIdentityKeyPair()
	set, err := prekey.Generate(identity, prekey.IDs{PreKey: prekey.MaxID - 1, KEMPreKey: prekey.MaxID, SignedPreKey: 0},
		prekey.Request{SignedPreKey: true, LastResortKEMPreKey: true, OneTimePreKeys: 3, OneTimeKEMPreKeys: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(set.OneTimePreKeys, func(k *x3dh.OneTimePreKey) uint32 { return k.ID }); !slices.Equal(got, []uint32{prekey.MaxID - 1, prekey.MaxID, 1}) {
		t.Errorf("one-time ids %#x", got)
	}
	if got := ids(set.OneTimeKEMPreKeys, func(k *x3dh.KEMPreKey) uint32 { return k.ID }); !slices.Equal(got, []uint32{prekey.MaxID, 1}) {
		t.Errorf("one-time KEM ids %#x", got)
	}
	if set.LastResortKEMPreKey.ID != 2 || set.SignedPreKey.ID != 1 {
		t.Errorf("last-resort id %d, signed id %d", set.LastResortKEMPreKey.ID, set.SignedPreKey.ID)
	}
	if want := (prekey.IDs{PreKey: 2, KEMPreKey: 3, SignedPreKey: 2}); set.Next != want {
		t.Errorf("Next = %+v, want %+v", set.Next, want)
	}
	for _, start := range []uint32{1, 77, prekey.MaxID - 5} {
		set, err := prekey.Generate(identity, prekey.IDs{PreKey: start}, prekey.Request{OneTimePreKeys: 10})
		if err != nil {
			t.Fatal(err)
		}
		for i, k := range set.OneTimePreKeys {
			if want := uint32((uint64(start)-1+uint64(i))%prekey.MaxID + 1); k.ID != want {
				t.Fatalf("start %d: key %d has id %d, libsignal's formula gives %d", start, i, k.ID, want)
			}
		}
	}
	// A Request for nothing changes nothing but normalizes the ids.
	set, err = prekey.Generate(identity, prekey.IDs{PreKey: 5, KEMPreKey: 6, SignedPreKey: 7}, prekey.Request{})
	if err != nil || set.Next != (prekey.IDs{PreKey: 5, KEMPreKey: 6, SignedPreKey: 7}) || set.SignedPreKey != nil || len(set.OneTimePreKeys) != 0 {
		t.Fatalf("empty request: %+v, %v", set, err)
	}
}

func TestGenerateRefuses(t *testing.T) {
	identity, _ := curve.GenerateIdentityKeyPair()
	for _, r := range []prekey.Request{{OneTimePreKeys: -1}, {OneTimeKEMPreKeys: prekey.MaxCount + 1}} {
		if _, err := prekey.Generate(identity, prekey.IDs{}, r); !errors.Is(err, prekey.ErrInvalidRequest) {
			t.Errorf("Generate(%+v) = %v, want ErrInvalidRequest", r, err)
		}
	}
	if _, err := prekey.Generate(nil, prekey.IDs{}, prekey.Initial); !errors.Is(err, prekey.ErrInvalidRequest) {
		t.Errorf("Generate(nil identity) = %v", err)
	}
}

func TestGenerateKEMType(t *testing.T) {
	identity, _ := curve.GenerateIdentityKeyPair()
	for _, tc := range []struct{ in, want x3dh.KEMType }{{0, x3dh.Kyber1024}, {x3dh.MLKEM1024, x3dh.MLKEM1024}} {
		set, err := prekey.Generate(identity, prekey.IDs{}, prekey.Request{LastResortKEMPreKey: true, OneTimeKEMPreKeys: 1, KEMType: tc.in})
		if err != nil {
			t.Fatal(err)
		}
		if a, b := set.LastResortKEMPreKey.KeyPair.Public.Type(), set.OneTimeKEMPreKeys[0].KeyPair.Public.Type(); a != tc.want || b != tc.want {
			t.Errorf("KEMType %v: keys of %v and %v", tc.in, a, b)
		}
	}
}

// TestUploadBundle: the bundles of an upload verify under its identity key
// and hold the keys asked for; Take hands out each one-time key once and
// then the last-resort KEM prekey.
func TestUploadBundle(t *testing.T) {
	identity, _ := curve.GenerateIdentityKeyPair()
	set, err := prekey.Generate(identity, prekey.IDs{PreKey: 10, KEMPreKey: 20, SignedPreKey: 30},
		prekey.Request{SignedPreKey: true, LastResortKEMPreKey: true, OneTimePreKeys: 2, OneTimeKEMPreKeys: 1})
	if err != nil {
		t.Fatal(err)
	}
	up := set.Public()
	b, err := up.Bundle(1234, 3, 11, 20)
	if err != nil {
		t.Fatal(err)
	}
	if b.RegistrationID != 1234 || b.DeviceID != 3 || b.OneTimePreKey.ID != 11 || b.KEMPreKey.ID != 20 || b.SignedPreKey.ID != 30 || !b.IdentityKey.Equal(identity.PublicKey()) {
		t.Fatalf("bundle %+v", b)
	}
	if err := b.Verify(); err != nil {
		t.Fatal(err)
	}
	b, err = up.Bundle(1, 1, 0, 0)
	if err != nil || b.OneTimePreKey != nil || b.KEMPreKey.ID != set.LastResortKEMPreKey.ID {
		t.Fatalf("Bundle(no one-time keys) = %+v, %v", b, err)
	}
	if _, err := up.Bundle(1, 1, 99, 0); !errors.Is(err, prekey.ErrUnknownID) {
		t.Fatalf("Bundle(unknown one-time id) = %v", err)
	}
	if _, err := up.Bundle(1, 1, 0, 99); !errors.Is(err, prekey.ErrUnknownID) {
		t.Fatalf("Bundle(unknown KEM id) = %v", err)
	}

	var got []string
	for range 3 {
		b, err := up.Take(1, 1)
		if err != nil {
			t.Fatal(err)
		}
		s := "-"
		if b.OneTimePreKey != nil {
			s = fmt.Sprint(b.OneTimePreKey.ID)
		}
		got = append(got, fmt.Sprintf("%s/%d", s, b.KEMPreKey.ID))
	}
	if want := "10/20 11/21 -/21"; strings.Join(got, " ") != want {
		t.Fatalf("Take: %s, want %s", strings.Join(got, " "), want)
	}

	// An upload of one-time keys only builds no bundle by itself, and
	// adds to the last full one.
	refill, err := prekey.Generate(identity, set.Next, prekey.Request{OneTimePreKeys: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := refill.Public().Take(1, 1); !errors.Is(err, prekey.ErrNoSignedPreKey) {
		t.Fatalf("Take(refill only) = %v", err)
	}
	if !up.Add(refill.Public()) {
		t.Fatal("Add refused the same identity")
	}
	if b, err := up.Take(1, 1); err != nil || b.OneTimePreKey == nil || b.OneTimePreKey.ID != 12 {
		t.Fatalf("Take after Add: %+v, %v", b, err)
	}
	other, _ := curve.GenerateIdentityKeyPair()
	foreign, _ := prekey.Generate(other, prekey.IDs{}, prekey.Request{OneTimePreKeys: 1})
	if up.Add(foreign.Public()) {
		t.Fatal("Add merged another identity's keys")
	}
	// A KEM prekey is a v4 bundle; without one, a v3 bundle.
	v3, _ := prekey.Generate(identity, prekey.IDs{}, prekey.Request{SignedPreKey: true})
	if b, err := v3.Public().Take(1, 1); err != nil || b.KEMPreKey != nil {
		t.Fatalf("v3 bundle: %+v, %v", b, err)
	}
}

type recorder struct {
	calls []string
	fail  string
}

func (r *recorder) add(kind string, id uint32) error {
	r.calls = append(r.calls, fmt.Sprintf("%s %d", kind, id))
	if kind == r.fail {
		return errors.New("disk full")
	}
	return nil
}

func (r *recorder) AddPreKey(_ context.Context, k *x3dh.OneTimePreKey) error {
	return r.add("one-time", k.ID)
}

func (r *recorder) AddSignedPreKey(_ context.Context, k *x3dh.SignedPreKey) error {
	return r.add("signed", k.ID)
}

func (r *recorder) AddKEMPreKey(_ context.Context, k *x3dh.KEMPreKey) error {
	return r.add("kem", k.ID)
}

func (r *recorder) AddLastResortKEMPreKey(_ context.Context, k *x3dh.KEMPreKey) error {
	return r.add("last-resort", k.ID)
}

func TestStore(t *testing.T) {
	ctx := context.Background()
	identity, _ := curve.GenerateIdentityKeyPair()
	set, err := prekey.Generate(identity, prekey.IDs{PreKey: 5, KEMPreKey: 8, SignedPreKey: 3},
		prekey.Request{SignedPreKey: true, LastResortKEMPreKey: true, OneTimePreKeys: 2, OneTimeKEMPreKeys: 1})
	if err != nil {
		t.Fatal(err)
	}
	var r recorder
	if err := prekey.Store(ctx, &r, set); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(r.calls, ", "), "one-time 5, one-time 6, kem 8, last-resort 9, signed 3"; got != want {
		t.Fatalf("Store wrote %s, want %s", got, want)
	}
	r = recorder{fail: "last-resort"}
	err = prekey.Store(ctx, &r, set)
	if err == nil || err.Error() != "prekey: last-resort KEM prekey 9: disk full" {
		t.Fatalf("Store with a failing writer = %v", err)
	}
}

// TestSession: a session starts from a bundle the server built from an
// upload, whose keys Store wrote into the responder's store; the one-time
// keys are consumed, and a later bundle from the same upload gets new ones.
func TestSession(t *testing.T) {
	ctx := context.Background()
	aliceID, _ := curve.GenerateIdentityKeyPair()
	bobID, _ := curve.GenerateIdentityKeyPair()
	bobReg := prekey.NewRegistrationID()
	bobStore := memstore.New(bobID, bobReg)
	set, err := prekey.Generate(bobID, prekey.IDs{}, prekey.Request{SignedPreKey: true, LastResortKEMPreKey: true, OneTimePreKeys: 2, OneTimeKEMPreKeys: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := prekey.Store(ctx, bobStore, set); err != nil {
		t.Fatal(err)
	}
	server := set.Public()
	bobAddr := session.Address{Name: "bob", DeviceID: 2}
	for i, name := range []string{"alice", "alice-laptop", "alice-tablet"} {
		aliceAddr := session.Address{Name: name, DeviceID: 1}
		alice := session.NewManager(session.StoresOf(memstore.New(aliceID, 7)))
		bob := session.NewManager(session.StoresOf(bobStore))
		bundle, err := server.Take(bobReg, bobAddr.DeviceID)
		if err != nil {
			t.Fatal(err)
		}
		if err := alice.ProcessBundle(ctx, bobAddr, bundle); err != nil {
			t.Fatal(err)
		}
		msg, err := alice.Encrypt(ctx, bobAddr, []byte("hi"))
		if err != nil {
			t.Fatal(err)
		}
		if pt, err := bob.Decrypt(ctx, aliceAddr, msg); err != nil || string(pt) != "hi" {
			t.Fatalf("session %d: Decrypt = %q, %v", i, pt, err)
		}
		info, err := alice.Info(ctx, bobAddr)
		if err != nil || info.Version != 4 {
			t.Fatalf("session %d: Info = %+v, %v", i, info, err)
		}
	}
	for _, k := range set.OneTimePreKeys {
		if _, err := bobStore.LoadPreKey(ctx, k.ID); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("one-time prekey %d still stored after its session: %v", k.ID, err)
		}
	}
	if _, err := bobStore.LoadKEMPreKey(ctx, set.LastResortKEMPreKey.ID); err != nil {
		t.Errorf("last-resort KEM prekey gone after use: %v", err)
	}
}

func TestPlan(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	p := prekey.DefaultPolicy
	for _, tc := range []struct {
		name string
		s    prekey.Status
		want prekey.Request
	}{
		{"new device", prekey.Status{Now: now}, prekey.Initial},
		{"all fresh", prekey.Status{Now: now, SignedPreKey: now.Add(-time.Hour), LastResortKEMPreKey: now.Add(-time.Hour), OneTimePreKeys: 10, OneTimeKEMPreKeys: 50}, prekey.Request{}},
		{"signed old", prekey.Status{Now: now, SignedPreKey: now.Add(-49 * time.Hour), LastResortKEMPreKey: now, OneTimePreKeys: 10, OneTimeKEMPreKeys: 10}, prekey.Request{SignedPreKey: true}},
		{"both old", prekey.Status{Now: now, SignedPreKey: now.Add(-48 * time.Hour), LastResortKEMPreKey: now.Add(-72 * time.Hour), OneTimePreKeys: 10, OneTimeKEMPreKeys: 10}, prekey.Request{SignedPreKey: true, LastResortKEMPreKey: true}},
		{"EC low", prekey.Status{Now: now, SignedPreKey: now, LastResortKEMPreKey: now, OneTimePreKeys: 9, OneTimeKEMPreKeys: 10}, prekey.Request{OneTimePreKeys: 100}},
		{"KEM out", prekey.Status{Now: now, SignedPreKey: now, LastResortKEMPreKey: now, OneTimePreKeys: 40}, prekey.Request{OneTimeKEMPreKeys: 100}},
	} {
		if got := p.Plan(tc.s); got != tc.want {
			t.Errorf("%s: Plan = %+v, want %+v", tc.name, got, tc.want)
		}
		if got := p.Plan(tc.s); got.IsZero() != (tc.want == prekey.Request{}) {
			t.Errorf("%s: IsZero = %v", tc.name, got.IsZero())
		}
	}
}

func TestExpired(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	keys := []prekey.Dated{
		{ID: 4, Created: now.Add(-10 * day)},      // current until now: stays
		{ID: 1, Created: now.Add(-70 * day)},      // replaced 40 days ago by 2
		{ID: 2, Created: now.Add(-40 * day)},      // replaced 31 days ago by 3
		{ID: 3, Created: now.Add(-31 * day)},      // replaced 21 days ago by 4
		{ID: 5, Created: now.Add(-1 * time.Hour)}, // the current key
	}
	got := prekey.DefaultPolicy.Expired(now, keys)
	if !slices.Equal(got, []uint32{1, 2}) {
		t.Fatalf("Expired = %v, want [1 2]", got)
	}
	if got := prekey.DefaultPolicy.Expired(now, keys[:1]); len(got) != 0 {
		t.Fatalf("the only key expired: %v", got)
	}
}
