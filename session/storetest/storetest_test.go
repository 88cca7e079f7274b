package storetest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/session/storetest"
	"github.com/forwardsecret/signal/x3dh"
)

// faultEnv names the fault that TestBrokenStoreChild puts into the store.
const faultEnv = "STORETEST_FAULT"

// brokenStore is a memstore with one deliberate fault, to show that the
// suite catches it.
type brokenStore struct {
	*memstore.Store
	fault string

	mu         sync.Mutex
	first      map[session.Address][]byte          // stale-record: the first record stored
	kept       map[session.Address]*session.Record // shares-record, keeps-caller-record
	gone       map[uint32]bool                     // removes-last-resort: KEM prekeys dropped
	lastResort map[uint32]bool                     // ids of the last-resort KEM prekeys
}

// faults maps each fault to the subtests of the suite that must fail with
// it; the suite must pass with "none" and "locker", which are not broken.
var faults = map[string][]string{
	"none": nil,
	// StoreSession does nothing.
	"drops-writes": {"Sessions/Contract", "Conversation/v3", "ArchiveAndDelete", "DeviceStore/PreKeys"},
	// LoadSession returns the first record ever stored for the address.
	"stale-record": {"Sessions/Contract", "Conversation/v3", "Conversation/v4-last-resort"},
	// StoreSession ignores the consumed prekeys.
	"keeps-prekeys": {"Sessions/Consumed", "Conversation/v3-one-time", "Conversation/v4-one-time-kem",
		"PreKeyUsedOnce/one-time", "PreKeyUsedOnce/one-time-kem", "FailedHandlerChangesNothing", "DeviceStore/PreKeys"},
	// StoreSession removes a last-resort KEM prekey too.
	"removes-last-resort": {"Sessions/Consumed", "Conversation/v4-last-resort", "PreKeyUsedOnce/last-resort-kem"},
	// A missing prekey is an error that does not wrap session.ErrNotFound.
	"untyped-not-found": {"PreKeys/NotFound", "Sessions/Consumed", "Conversation/v3-one-time", "DeviceStore/PreKeys"},
	// LoadSession hands out the record the store keeps.
	"shares-record": {"Sessions/Contract"},
	// StoreSession keeps the caller's record.
	"keeps-caller-record": {"Sessions/Contract"},
	// Addresses are told apart by name only.
	"ignores-device-id": {"Identity", "Sessions/Addresses", "DeviceStore/Identity"},
	// DeleteSession does nothing.
	"deletes-nothing": {"Sessions/Contract", "ArchiveAndDelete"},
	// IsTrustedIdentity trusts every key.
	"trusts-everyone": {"Identity", "UntrustedIdentity", "DeviceStore/Identity"},
	// PreKeyCount counts last-resort KEM prekeys too (memstore before it
	// did).
	"counts-last-resort": {"DeviceStore/PreKeys"},
	// RemovePreKey, RemoveSignedPreKey and RemoveKEMPreKey do nothing.
	"removes-nothing": {"DeviceStore/PreKeys"},
	// Trust does nothing.
	"trust-does-nothing": {"DeviceStore/Identity"},
	// StoreSession neither records nor checks the uses of a last-resort
	// KEM prekey (memstore before it did).
	"forgets-kem-uses": {"Sessions/ConsumedTwice", "PreKeyReplay",
		"PreKeyTwoAddresses/last-resort-kem/sequential", "PreKeyTwoAddresses/last-resort-kem/concurrent"},
	// StoreSession ignores a consumed one-time key that is already gone
	// (memstore before it did).
	"consumes-gone-keys": {"Sessions/ConsumedTwice",
		"PreKeyTwoAddresses/one-time/concurrent", "PreKeyTwoAddresses/one-time-kem/concurrent"},
	// A session.Locker shared by two handles of the device, as a database
	// is by two processes: memstore's own ("locker" must pass), one whose
	// LockAddress locks nothing, and one that locks each address but whose
	// unlock(false) undoes nothing (each write applies at once).
	"locker":                     nil,
	"locker-locks-nothing":       {"ConcurrentUse", "ManyManagers"},
	"locker-keeps-failed-writes": {"PreKeyReplay", "PreKeyTwoAddresses/last-resort-kem/sequential"},
}

func newBroken(t *testing.T, fault string) storetest.NewDevice {
	if _, ok := faults[fault]; !ok {
		t.Fatalf("unknown fault %q", fault)
	}
	return func(t *testing.T, id *curve.IdentityKeyPair, regID uint32) storetest.Device {
		b := &brokenStore{Store: memstore.New(id, regID), fault: fault,
			first: map[session.Address][]byte{}, kept: map[session.Address]*session.Record{},
			gone: map[uint32]bool{}, lastResort: map[uint32]bool{}}
		// Only the locker faults are a session.Locker: the others hide
		// memstore's.
		var all session.AllStores = struct{ session.AllStores }{b}
		switch fault {
		case "locker":
			all = b
		case "locker-locks-nothing", "locker-keeps-failed-writes":
			all = lockerStore{b, new(sync.Map)}
		}
		dev := storetest.Device{Stores: session.StoresOf(all), Writer: b}
		if _, ok := all.(session.Locker); ok {
			// Another handle on the same data and locks.
			dev.Reopen = func(*testing.T) storetest.Device { return dev }
		}
		return dev
	}
}

// lockerStore is a brokenStore with a broken session.Locker of its own
// (instead of memstore's): one that locks nothing, or one that only locks.
type lockerStore struct {
	*brokenStore
	locks *sync.Map // session.Address → *sync.Mutex, shared by the handles
}

// LockAddress implements session.Locker.
func (l lockerStore) LockAddress(ctx context.Context, a session.Address) (context.Context, func(bool) error, error) {
	if l.fault == "locker-locks-nothing" {
		return ctx, func(bool) error { return nil }, nil
	}
	v, _ := l.locks.LoadOrStore(a, new(sync.Mutex))
	mu := v.(*sync.Mutex)
	mu.Lock()
	return ctx, func(bool) error { mu.Unlock(); return nil }, nil
}

func (b *brokenStore) addr(a session.Address) session.Address {
	if b.fault == "ignores-device-id" {
		a.DeviceID = 0
	}
	return a
}

func (b *brokenStore) notFound(err error) error {
	if err != nil && b.fault == "untyped-not-found" {
		return errors.New("no such key")
	}
	return err
}

// AddKEMPreKey implements session.DeviceStore, noting that id is a
// one-time key.
func (b *brokenStore) AddKEMPreKey(ctx context.Context, k *x3dh.KEMPreKey) error {
	b.mu.Lock()
	b.lastResort[k.ID] = false
	b.mu.Unlock()
	return b.Store.AddKEMPreKey(ctx, k)
}

// AddLastResortKEMPreKey implements session.DeviceStore, noting that id is
// a last-resort key.
func (b *brokenStore) AddLastResortKEMPreKey(ctx context.Context, k *x3dh.KEMPreKey) error {
	b.mu.Lock()
	b.lastResort[k.ID] = true
	b.mu.Unlock()
	return b.Store.AddLastResortKEMPreKey(ctx, k)
}

// Identity implements session.DeviceStore, with the store's addresses.
func (b *brokenStore) Identity(ctx context.Context, a session.Address) (curve.PublicKey, bool, error) {
	return b.Store.Identity(ctx, b.addr(a))
}

// Trust implements session.DeviceStore, with the store's addresses.
func (b *brokenStore) Trust(ctx context.Context, a session.Address, id curve.PublicKey) error {
	if b.fault == "trust-does-nothing" {
		return nil
	}
	return b.Store.Trust(ctx, b.addr(a), id)
}

// PreKeyCount implements session.DeviceStore.
func (b *brokenStore) PreKeyCount(ctx context.Context) (int, int, error) {
	o, k, err := b.Store.PreKeyCount(ctx)
	if err != nil || b.fault != "counts-last-resort" {
		return o, k, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for id, lastResort := range b.lastResort {
		if _, err := b.Store.LoadKEMPreKey(ctx, id); lastResort && err == nil {
			k++
		}
	}
	return o, k, nil
}

// RemovePreKey implements session.DeviceStore.
func (b *brokenStore) RemovePreKey(ctx context.Context, id uint32) error {
	if b.fault == "removes-nothing" {
		return nil
	}
	return b.Store.RemovePreKey(ctx, id)
}

// RemoveSignedPreKey implements session.DeviceStore.
func (b *brokenStore) RemoveSignedPreKey(ctx context.Context, id uint32) error {
	if b.fault == "removes-nothing" {
		return nil
	}
	return b.Store.RemoveSignedPreKey(ctx, id)
}

// RemoveKEMPreKey implements session.DeviceStore.
func (b *brokenStore) RemoveKEMPreKey(ctx context.Context, id uint32) error {
	if b.fault == "removes-nothing" {
		return nil
	}
	return b.Store.RemoveKEMPreKey(ctx, id)
}

func (b *brokenStore) IsTrustedIdentity(ctx context.Context, a session.Address, id curve.PublicKey, dir session.Direction) (bool, error) {
	if b.fault == "trusts-everyone" {
		return true, nil
	}
	return b.Store.IsTrustedIdentity(ctx, b.addr(a), id, dir)
}

func (b *brokenStore) SaveIdentity(ctx context.Context, a session.Address, id curve.PublicKey) error {
	return b.Store.SaveIdentity(ctx, b.addr(a), id)
}

func (b *brokenStore) LoadPreKey(ctx context.Context, id uint32) (*x3dh.OneTimePreKey, error) {
	k, err := b.Store.LoadPreKey(ctx, id)
	return k, b.notFound(err)
}

func (b *brokenStore) LoadSignedPreKey(ctx context.Context, id uint32) (*x3dh.SignedPreKey, error) {
	k, err := b.Store.LoadSignedPreKey(ctx, id)
	return k, b.notFound(err)
}

func (b *brokenStore) LoadKEMPreKey(ctx context.Context, id uint32) (*x3dh.KEMPreKey, error) {
	b.mu.Lock()
	gone := b.gone[id]
	b.mu.Unlock()
	if gone {
		return nil, fmt.Errorf("KEM prekey %d: %w", id, session.ErrNotFound)
	}
	k, err := b.Store.LoadKEMPreKey(ctx, id)
	return k, b.notFound(err)
}

func (b *brokenStore) LoadSession(ctx context.Context, a session.Address) (*session.Record, error) {
	if strings.HasPrefix(b.fault, "locker") {
		// Let another handle's operation run between this load and the
		// store that follows, as a database client waiting on I/O does.
		defer runtime.Gosched()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.fault {
	case "stale-record":
		if enc, ok := b.first[a]; ok {
			return session.ParseRecord(enc)
		}
	case "shares-record":
		return b.kept[a], nil
	case "keeps-caller-record":
		if r := b.kept[a]; r != nil {
			return r.Clone()
		}
		return nil, nil
	}
	return b.Store.LoadSession(ctx, b.addr(a))
}

func (b *brokenStore) StoreSession(ctx context.Context, a session.Address, rec *session.Record, c session.Consumed) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.fault {
	case "drops-writes":
		return nil
	case "stale-record":
		if _, ok := b.first[a]; !ok {
			enc, err := rec.MarshalBinary()
			if err != nil {
				return err
			}
			b.first[a] = enc
		}
	case "keeps-prekeys":
		c = session.Consumed{}
	case "forgets-kem-uses":
		if c.HasKEMPreKey && b.lastResort[c.KEMPreKeyID] {
			c.HasKEMPreKey = false
		}
	case "consumes-gone-keys":
		if c.HasPreKey && !b.Store.HasPreKey(c.PreKeyID) {
			c.HasPreKey = false
		}
		if c.HasKEMPreKey && !b.lastResort[c.KEMPreKeyID] {
			if _, err := b.Store.LoadKEMPreKey(ctx, c.KEMPreKeyID); err != nil {
				c.HasKEMPreKey = false
			}
		}
	case "removes-last-resort":
		if c.HasKEMPreKey {
			b.gone[c.KEMPreKeyID] = true
		}
	case "shares-record":
		r, err := rec.Clone()
		if err != nil {
			return err
		}
		b.kept[a] = r
	case "keeps-caller-record":
		b.kept[a] = rec
	}
	return b.Store.StoreSession(ctx, b.addr(a), rec, c)
}

func (b *brokenStore) DeleteSession(ctx context.Context, a session.Address) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fault == "deletes-nothing" {
		return nil
	}
	delete(b.kept, a)
	delete(b.first, a)
	return b.Store.DeleteSession(ctx, b.addr(a))
}

// TestBrokenStoreChild runs the suite against a broken store, in the
// process that TestSuiteCatchesBrokenStores starts.
func TestBrokenStoreChild(t *testing.T) {
	fault := os.Getenv(faultEnv)
	if fault == "" {
		t.Skip("run by TestSuiteCatchesBrokenStores")
	}
	storetest.Run(t, newBroken(t, fault))
}

var failLine = regexp.MustCompile(`(?m)^\s*--- FAIL: TestBrokenStoreChild/(\S+)`)

// TestSuiteCatchesBrokenStores runs the suite against a store with each
// fault in turn (in a child process, as a failing suite fails its test) and
// checks that the subtests meant to catch the fault fail, and that the
// wrapper without a fault passes.
func TestSuiteCatchesBrokenStores(t *testing.T) {
	if os.Getenv(faultEnv) != "" {
		t.Skip("in the child")
	}
	names := make([]string, 0, len(faults))
	for f := range faults {
		names = append(names, f)
	}
	slices.Sort(names)
	for _, fault := range names {
		t.Run(fault, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestBrokenStoreChild$", "-test.v", "-test.short", "-test.count=1")
			cmd.Env = append(os.Environ(), faultEnv+"="+fault)
			out, err := cmd.CombinedOutput()
			if strings.Contains(string(out), "panic:") {
				t.Fatalf("the suite panicked on a store that %s:\n%s", fault, out)
			}
			failed := map[string]bool{}
			for _, m := range failLine.FindAllStringSubmatch(string(out), -1) {
				failed[m[1]] = true
			}
			if faults[fault] == nil {
				if err != nil || len(failed) > 0 {
					t.Fatalf("the suite fails on a store without a fault (%v):\n%s", err, out)
				}
				if !strings.Contains(string(out), "--- PASS: TestBrokenStoreChild/ConcurrentUse") {
					t.Fatalf("the suite did not run in the child:\n%s", out)
				}
				return
			}
			if err == nil {
				t.Fatalf("the suite passes on a store that %s", fault)
			}
			for _, want := range faults[fault] {
				if !failed[want] {
					t.Errorf("subtest %s does not catch a store that %s", want, fault)
				}
			}
			if t.Failed() {
				t.Logf("failed subtests: %v\n%s", failed, out)
			} else {
				t.Logf("caught by %d subtests", len(failed))
			}
		})
	}
}
