// Package storetest is a conformance suite for implementations of the
// stores of package session (session.IdentityStore, PreKeyStore,
// SignedPreKeyStore, KEMPreKeyStore and SessionStore). An app that keeps its
// Signal state in its own database, in Redis or anywhere else runs it from a
// test of its store package:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, id *curve.IdentityKeyPair, regID uint32) storetest.Device {
//			s := mystore.Open(t.TempDir(), id, regID) // empty, for this device only
//			return storetest.Device{Stores: session.StoresOf(s), Writer: s}
//		})
//	}
//
// Run checks the contracts documented in session/store.go and
// session/device_store.go directly, through the interfaces:
//
//   - the prekey loads return the stored key (id, key pair, signature and
//     timestamp to the millisecond), for ids from 0 to math.MaxUint32, with
//     a separate id space per kind of prekey (they are separate stores), and
//     an error wrapping session.ErrNotFound for a key they do not hold;
//   - LoadSession returns (nil, nil) without a record, and otherwise a record
//     that encodes to the bytes that were stored, that belongs to the caller
//     (changing it changes nothing stored), for the exact address (name and
//     device id; odd names included);
//   - StoreSession replaces the record, does not keep the caller's record,
//     and removes the consumed one-time prekey and one-time KEM prekey but
//     keeps a last-resort KEM prekey; DeleteSession removes the record (and
//     is no error without one);
//   - StoreSession fails, writing nothing (neither the record nor any other
//     prekey of its Consumed), when a one-time prekey or one-time KEM
//     prekey it consumes is gone, or when the use of a last-resort KEM
//     prekey (Consumed.KEMPreKeyID, SignedPreKeyID, BaseKey) was recorded
//     before, also across a restart;
//   - the identity store returns the device's own identity and registration
//     id, and trusts a peer's key on first use and then only the saved key,
//     per address, until SaveIdentity replaces it;
//   - the session.DeviceStore (Device.Writer) adds and removes each kind of
//     prekey as the stores load them, counts the one-time prekeys and
//     one-time KEM prekeys (not the last-resort ones, nor the ones a
//     StoreSession consumed), and returns and replaces (Trust) a peer's
//     identity as the identity store sees it;
//   - all of it survives a restart (Device.Reopen).
//
// It does not check what it cannot observe through the interfaces: that
// StoreSession's record write and prekey removals are atomic under a crash,
// that a cancelled context stops a call, or how a store records the uses
// of a last-resort KEM prekey (only that it refuses one twice). Its trust
// checks assume the reference policy (trust on first use, then only the
// saved key).
//
// It then runs the session layer over the stores, through session.Manager:
// conversations both ways in v3 and v4 with and without one-time prekeys
// (out of order, with replays, and across restarts), each one-time prekey
// and one-time KEM prekey usable exactly once while a last-resort KEM
// prekey stays, a replayed PreKey message to the last-resort KEM prekey
// refused once its session is deleted or under another sender address (and
// after a restart), the same PreKey message under two addresses, one after
// the other and at once, opening one session only, failed decrypts that
// leave the stored record byte for byte as it was, an unknown prekey id, an
// untrusted identity until it is saved, archive and delete, simultaneous
// initiation, and one device used from many goroutines at once (through two
// handles of the store at once when the session store is a session.Locker
// and Device.Reopen is set). Manager.DecryptBatch is held to what single
// decrypts give (the same plaintexts, in v3 and v4, PreKey messages and a
// new session inside a batch), commits the messages before one that fails
// or whose handler fails and leaves that one and those after it, refuses an
// untrusted identity, and runs alongside another Manager's decrypts and
// encrypts of the same address.
//
// A session store that is a session.Locker is held to its contract: several
// session.Managers over the same handle (and a second handle, with
// Device.Reopen) at once never encrypt two messages with the same message
// key nor decrypt one message twice, and a refused decrypt saves no
// identity either (unlock(false) undoes every write of the operation). A
// session store that is not a Locker supports one Manager at a time, and
// must document it: the suite skips its ManyManagers subtest, saying so.
//
// The suite assumes the reference trust policy of package memstore: trust
// on first use, then only the saved key. It uses testing.Short to run
// smaller loops.
package storetest

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/x3dh"
)

// Device is one device's stores as the suite uses them: the stores of
// package session, as a Manager uses them, and the device's store as the
// app uses it to provision prekeys (when it publishes them) and to trust a
// peer's new identity.
type Device struct {
	// Stores are the device's stores. Every one must be set.
	Stores session.Stores
	// Writer is the same device's session.DeviceStore (usually the value
	// behind Stores): the suite provisions prekeys through it and checks
	// its contract. It must be set.
	Writer session.DeviceStore
	// Reopen, if set, opens the device again, as a restarted app does: new
	// stores (and provisioning) over everything written so far. After a
	// restart the suite uses the new Device only. When Stores.Sessions is a
	// session.Locker, the suite also uses a reopened Device alongside the
	// first, as a second process of the device: the two must then see each
	// other's writes (as two connections to one database do). (A store
	// whose Reopen makes a copy, such as a memstore snapshot, must then not
	// show itself as a Locker.) The suite
	// never closes the earlier handle: Reopen must work while it is still
	// open (a store over an engine that locks its files exclusively opens
	// a second handle on a copy, or shares the open engine), and handles
	// are released with t.Cleanup. If Reopen is nil, a restart is a new
	// session.Manager over the same Stores.
	Reopen func(t *testing.T) Device
}

// NewDevice makes the stores of a new device: holding identity and regID
// as the device's own, and otherwise empty (no prekeys, peer identities or
// sessions). The suite calls it for every device of every test; devices
// must not share data. It should end the test with t.Fatal if it cannot
// make the stores, and release them with t.Cleanup.
type NewDevice func(t *testing.T, identity *curve.IdentityKeyPair, regID uint32) Device

// Run runs the conformance suite, as subtests of t, against the stores that
// newDevice makes.
func Run(t *testing.T, newDevice NewDevice) {
	if newDevice == nil {
		t.Fatal("storetest: Run needs a NewDevice")
	}
	s := &suite{newDevice: newDevice}
	for _, tc := range []struct {
		name string
		f    func(*testing.T)
	}{
		{"Identity", s.testIdentity},
		{"PreKeys/NotFound", s.testPreKeysNotFound},
		{"PreKeys/RoundTrip", s.testPreKeysRoundTrip},
		{"DeviceStore/PreKeys", s.testDeviceStorePreKeys},
		{"DeviceStore/Identity", s.testDeviceStoreIdentity},
		{"Sessions/Contract", s.testSessionsContract},
		{"Sessions/Addresses", s.testSessionsAddresses},
		{"Sessions/Consumed", s.testConsumed},
		{"Sessions/ConsumedTwice", s.testConsumedTwice},
		{"Conversation", s.testConversation},
		{"PreKeyUsedOnce", s.testPreKeyUsedOnce},
		{"PreKeyReplay", s.testPreKeyReplay},
		{"PreKeyTwoAddresses", s.testPreKeyTwoAddresses},
		{"FailedDecryptChangesNothing", s.testFailedDecrypt},
		{"FailedHandlerChangesNothing", s.testFailedHandler},
		{"InvalidPreKeyID", s.testInvalidPreKeyID},
		{"UntrustedIdentity", s.testUntrustedIdentity},
		{"ArchiveAndDelete", s.testArchiveAndDelete},
		{"SimultaneousInitiation", s.testSimultaneousInitiation},
		{"ConcurrentUse", s.testConcurrentUse},
		{"ManyManagers", s.testManyManagers},
		{"Batch", s.testBatch},
	} {
		t.Run(tc.name, tc.f)
	}
}

type suite struct {
	newDevice NewDevice
	regIDs    atomic.Uint32
}

// IDs of the keys every device starts with.
const (
	signedPreKeyID   = 7
	lastResortKEMID  = 9
	firstFreshPreKey = 100
)

// device is one device of a test: its stores (the current handle), a
// Manager over them, and the keys it publishes.
type device struct {
	name  string
	id    *curve.IdentityKeyPair
	regID uint32
	dev   Device
	st    session.Stores
	m     *session.Manager
	spk   *x3dh.SignedPreKey
	kem   *x3dh.KEMPreKey // last resort
	next  uint32          // last id given to a fresh prekey
}

// device makes a device with a signed prekey and a last-resort Kyber1024
// prekey.
func (s *suite) device(t *testing.T, name string) *device {
	t.Helper()
	ctx := context.Background()
	id, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	regID := 1 + s.regIDs.Add(1)%0x3fff // registration ids are 14 bits in Signal
	dev := s.newDevice(t, id, regID)
	checkDevice(t, "NewDevice", dev)
	d := &device{name: name, id: id, regID: regID, dev: dev, st: dev.Stores, next: firstFreshPreKey}
	d.m = session.NewManager(d.st)
	if d.spk, err = x3dh.GenerateSignedPreKey(id, signedPreKeyID); err != nil {
		t.Fatal(err)
	}
	if err := dev.Writer.AddSignedPreKey(ctx, d.spk); err != nil {
		t.Fatalf("AddSignedPreKey: %v", err)
	}
	if d.kem, err = x3dh.GenerateKEMPreKey(id, lastResortKEMID, x3dh.Kyber1024); err != nil {
		t.Fatal(err)
	}
	if err := dev.Writer.AddLastResortKEMPreKey(ctx, d.kem); err != nil {
		t.Fatalf("AddLastResortKEMPreKey: %v", err)
	}
	return d
}

// checkDevice ends the test if dev, made by what, lacks a store or its
// Writer.
func checkDevice(t *testing.T, what string, dev Device) {
	t.Helper()
	st := dev.Stores
	switch {
	case st.Identity == nil || st.PreKeys == nil || st.SignedPreKeys == nil || st.KEMPreKeys == nil || st.Sessions == nil:
		t.Fatalf("storetest: the Device from %s lacks a store: %+v", what, st)
	case dev.Writer == nil:
		t.Fatalf("storetest: the Device from %s lacks its Writer (session.DeviceStore)", what)
	}
}

func (d *device) addr() session.Address { return session.Address{Name: d.name, DeviceID: 1} }

// reopen opens d again (returns d's own Device if it has no Reopen).
func (d *device) reopen(t *testing.T) Device {
	t.Helper()
	if d.dev.Reopen == nil {
		return d.dev
	}
	dev := d.dev.Reopen(t)
	checkDevice(t, "Device.Reopen", dev)
	return dev
}

// restart replaces d's stores and Manager by new ones over the same data.
func (d *device) restart(t *testing.T) {
	t.Helper()
	d.dev = d.reopen(t)
	d.st = d.dev.Stores
	d.m = session.NewManager(d.st)
}

// kemKind says which KEM prekey a bundle carries.
type kemKind int

const (
	noKEM         kemKind = iota // a v3 bundle
	lastResortKEM                // the device's last-resort KEM prekey
	oneTimeKEM                   // a fresh one-time KEM prekey
)

// bundle publishes a bundle: with a fresh one-time prekey if oneTime, and
// the KEM prekey kem. It returns the ids of the fresh keys (0 if none).
func (d *device) bundle(t *testing.T, oneTime bool, kem kemKind) (b *x3dh.Bundle, otkID, kemID uint32) {
	t.Helper()
	ctx := context.Background()
	var otp *x3dh.OneTimePreKeyPublic
	if oneTime {
		d.next++
		k, err := x3dh.GenerateOneTimePreKey(d.next)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.dev.Writer.AddPreKey(ctx, k); err != nil {
			t.Fatalf("AddPreKey: %v", err)
		}
		p := k.Public()
		otp, otkID = &p, k.ID
	}
	var kp *x3dh.KEMPreKeyPublic
	switch kem {
	case lastResortKEM:
		p := d.kem.Public()
		kp = &p
	case oneTimeKEM:
		d.next++
		k, err := x3dh.GenerateKEMPreKey(d.id, d.next, x3dh.Kyber1024)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.dev.Writer.AddKEMPreKey(ctx, k); err != nil {
			t.Fatalf("AddKEMPreKey: %v", err)
		}
		p := k.Public()
		kp, kemID = &p, k.ID
	}
	b, err := x3dh.NewBundle(d.regID, 1, d.id.PublicKey(), d.spk.Public(), otp, kp)
	if err != nil {
		t.Fatal(err)
	}
	return b, otkID, kemID
}

// connect runs ProcessBundle at from with to's bundle.
func connect(t *testing.T, from, to *device, oneTime bool, kem kemKind) {
	t.Helper()
	b, _, _ := to.bundle(t, oneTime, kem)
	if err := from.m.ProcessBundle(context.Background(), to.addr(), b); err != nil {
		t.Fatalf("%s: ProcessBundle(%s): %v", from.name, to.name, err)
	}
}

func send(t *testing.T, from, to *device, text string) session.Message {
	t.Helper()
	msg, err := from.m.Encrypt(context.Background(), to.addr(), []byte(text))
	if err != nil {
		t.Fatalf("%s: Encrypt %q: %v", from.name, text, err)
	}
	return msg
}

func recv(t *testing.T, to, from *device, msg session.Message, want string) {
	t.Helper()
	pt, err := to.m.Decrypt(context.Background(), from.addr(), msg)
	if err != nil {
		t.Fatalf("%s: Decrypt %q (%v): %v", to.name, want, msg.Type, err)
	}
	if string(pt) != want {
		t.Fatalf("%s: got %q, want %q", to.name, pt, want)
	}
}

// exchange sends one message each way and checks both arrive.
func exchange(t *testing.T, a, b *device, tag string) {
	t.Helper()
	recv(t, b, a, send(t, a, b, tag+" a→b"), tag+" a→b")
	recv(t, a, b, send(t, b, a, tag+" b→a"), tag+" b→a")
}

// recordBytes returns the encoding of the record that st holds for addr,
// or nil if it holds none.
func recordBytes(t *testing.T, st session.Stores, addr session.Address) []byte {
	t.Helper()
	rec, err := st.Sessions.LoadSession(context.Background(), addr)
	if err != nil {
		t.Fatalf("LoadSession(%v): %v", addr, err)
	}
	if rec == nil {
		return nil
	}
	b, err := rec.MarshalBinary()
	if err != nil {
		t.Fatalf("LoadSession(%v) returned a record that does not encode: %v", addr, err)
	}
	return b
}

func encode(t *testing.T, rec *session.Record) []byte {
	t.Helper()
	b, err := rec.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// found reports whether err is nil (the key is there) or wraps
// session.ErrNotFound (it is not), and fails the test on any other error.
func found(t *testing.T, what string, id uint32, err error) bool {
	t.Helper()
	if err == nil {
		return true
	}
	if errors.Is(err, session.ErrNotFound) {
		return false
	}
	t.Fatalf("Load%s(%d): %v, want the key or an error wrapping session.ErrNotFound", what, id, err)
	return false
}

func hasPreKey(t *testing.T, st session.Stores, id uint32) bool {
	t.Helper()
	k, err := st.PreKeys.LoadPreKey(context.Background(), id)
	if ok := found(t, "PreKey", id, err); !ok {
		return false
	}
	if k == nil || k.ID != id {
		t.Fatalf("LoadPreKey(%d) returned %v without an error", id, k)
	}
	return true
}

func hasKEMPreKey(t *testing.T, st session.Stores, id uint32) bool {
	t.Helper()
	k, err := st.KEMPreKeys.LoadKEMPreKey(context.Background(), id)
	if ok := found(t, "KEMPreKey", id, err); !ok {
		return false
	}
	if k == nil || k.ID != id {
		t.Fatalf("LoadKEMPreKey(%d) returned %v without an error", id, k)
	}
	return true
}

// hasSavedIdentity reports whether st holds an identity key for addr: under
// trust on first use, whether a key never seen is refused.
func hasSavedIdentity(t *testing.T, st session.Stores, addr session.Address) bool {
	t.Helper()
	k, err := curve.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	ok, err := st.Identity.IsTrustedIdentity(context.Background(), addr, k.Public, session.Receiving)
	if err != nil {
		t.Fatalf("IsTrustedIdentity(%v): %v", addr, err)
	}
	return !ok
}
