package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/forwardsecret/signal/session"
)

var errInjected = errors.New("injected failure after the record write")

// checkUntouched checks that bob holds no session with from and still holds
// the one-time prekey otk and the one-time KEM prekey kem.
func checkUntouched(t *testing.T, bob *device, from session.Address, otk, kem uint32) {
	t.Helper()
	ctx := context.Background()
	if b := bob.sessionBytes(t, from); b != nil {
		t.Fatal("the record write survived the rollback")
	}
	if !bob.hasPreKey(t, otk) {
		t.Fatal("the one-time prekey is gone")
	}
	if _, err := bob.store.LoadKEMPreKey(ctx, kem); err != nil {
		t.Fatalf("the one-time KEM prekey is gone: %v", err)
	}
	if _, ok, _ := bob.store.Identity(ctx, from); ok {
		t.Fatal("the peer identity was saved")
	}
}

// TestRollbackAfterRecordWrite fails the decrypt's transaction after the
// new record is written and before the prekeys are consumed: nothing of it
// may remain, and the same message then decrypts once.
func TestRollbackAfterRecordWrite(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		alice, bob := newDevice(t, be, "alice"), newDevice(t, be, "bob")
		if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true, true)); err != nil {
			t.Fatal(err)
		}
		otk, kem := bob.next-1, bob.next
		msg := send(t, alice, bob, "survives")

		calls := 0
		bob.store.afterRecordWrite = func() error { calls++; return errInjected }
		if _, err := bob.m.Decrypt(ctx, alice.addr(), msg); !errors.Is(err, errInjected) {
			t.Fatalf("Decrypt: %v, want the injected error", err)
		}
		if calls != 1 {
			t.Fatalf("hook ran %d times", calls)
		}
		checkUntouched(t, bob, alice.addr(), otk, kem)

		// A handler that succeeded does not make the commit happen either.
		delivered := 0
		err := bob.m.DecryptWith(ctx, alice.addr(), msg, func([]byte) error { delivered++; return nil })
		if !errors.Is(err, errInjected) || delivered != 1 {
			t.Fatalf("DecryptWith: %v, delivered %d", err, delivered)
		}
		checkUntouched(t, bob, alice.addr(), otk, kem)

		bob.store.afterRecordWrite = nil
		recv(t, bob, alice, msg, "survives")
		if bob.hasPreKey(t, otk) {
			t.Fatal("one-time prekey not consumed by the committed decrypt")
		}
		if _, err := bob.store.LoadKEMPreKey(ctx, kem); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("one-time KEM prekey after the committed decrypt: %v", err)
		}
		if _, err := bob.m.Decrypt(ctx, alice.addr(), msg); !errors.Is(err, session.ErrDuplicateMessage) {
			t.Fatalf("again: %v, want ErrDuplicateMessage", err)
		}
	})
}

// TestStoreSessionOwnTransaction: StoreSession called without a Manager's
// lock runs its own transaction, which the same failure rolls back.
func TestStoreSessionOwnTransaction(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		alice, bob := newDevice(t, be, "alice"), newDevice(t, be, "bob")
		if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true, true)); err != nil {
			t.Fatal(err)
		}
		otk, kem := bob.next-1, bob.next
		// Any valid record will do: store one by hand with Consumed set.
		rec, err := alice.store.LoadSession(ctx, bob.addr())
		if err != nil || rec == nil {
			t.Fatal(rec, err)
		}
		c := session.Consumed{HasPreKey: true, PreKeyID: otk, HasKEMPreKey: true, KEMPreKeyID: kem, SignedPreKeyID: 7}
		bob.store.afterRecordWrite = func() error { return errInjected }
		if err := bob.store.StoreSession(ctx, alice.addr(), rec, c); !errors.Is(err, errInjected) {
			t.Fatalf("StoreSession: %v", err)
		}
		checkUntouched(t, bob, alice.addr(), otk, kem)
		bob.store.afterRecordWrite = nil
		if err := bob.store.StoreSession(ctx, alice.addr(), rec, c); err != nil {
			t.Fatal(err)
		}
		if bob.sessionBytes(t, alice.addr()) == nil || bob.hasPreKey(t, otk) {
			t.Fatal("StoreSession did not commit")
		}
		// Consuming the same one-time prekeys again fails, and writes nothing.
		if err := bob.store.DeleteSession(ctx, alice.addr()); err != nil {
			t.Fatal(err)
		}
		if err := bob.store.StoreSession(ctx, alice.addr(), rec, c); !errors.Is(err, ErrPreKeyConsumed) {
			t.Fatalf("second consumption: %v, want ErrPreKeyConsumed", err)
		}
		if bob.sessionBytes(t, alice.addr()) != nil {
			t.Fatal("a refused StoreSession wrote the record")
		}
	})
}

// TestLastResortKEMReplay: a PreKey message that reuses the last-resort KEM
// prekey with a base key already used is refused once its session is gone.
func TestLastResortKEMReplay(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		alice, bob := newDevice(t, be, "alice"), newDevice(t, be, "bob")
		if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, false, true)); err != nil {
			t.Fatal(err)
		}
		msg := send(t, alice, bob, "once")
		recv(t, bob, alice, msg, "once")
		if err := bob.m.DeleteSession(ctx, alice.addr()); err != nil {
			t.Fatal(err)
		}
		_, err := bob.m.Decrypt(ctx, alice.addr(), msg)
		if !errors.Is(err, ErrKEMPreKeyReplay) {
			t.Fatalf("replay: %v, want ErrKEMPreKeyReplay", err)
		}
		if bob.sessionBytes(t, alice.addr()) != nil {
			t.Fatal("the replay stored a session")
		}
		// A fresh handshake with the same last-resort key still works.
		if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, false, true)); err != nil {
			t.Fatal(err)
		}
		recv(t, bob, alice, send(t, alice, bob, "new base key"), "new base key")
	})
}

// TestOneTimePreKeyRace: many initiators use the same one-time prekey, and
// their PreKey messages are decrypted at once through two database handles
// of the receiver. Exactly one handshake may use the key.
func TestOneTimePreKeyRace(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		for _, kemOneTime := range []bool{false, true} {
			t.Run(fmt.Sprintf("kemOneTime=%v", kemOneTime), func(t *testing.T) { oneTimePreKeyRace(t, be, kemOneTime) })
		}
	})
}

func oneTimePreKeyRace(t *testing.T, be backend, kemOneTime bool) {
	{
		ctx := context.Background()
		const initiators = 8
		bob := newDevice(t, be, "bob")
		handles := []*device{bob, bob.reopen(t)}
		b := bob.bundle(t, true, kemOneTime, true)
		otk := bob.next
		if kemOneTime {
			otk--
		}
		type sent struct {
			from *device
			msg  session.Message
		}
		var msgs []sent
		for i := range initiators {
			a := newDevice(t, sqliteBackend(), fmt.Sprintf("alice%d", i))
			if err := a.m.ProcessBundle(ctx, bob.addr(), b); err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, sent{a, send(t, a, bob, a.name)})
		}
		var wg sync.WaitGroup
		results := make([]error, len(msgs))
		for i, s := range msgs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, results[i] = handles[i%2].m.Decrypt(ctx, s.from.addr(), s.msg)
			}()
		}
		wg.Wait()
		ok := 0
		for i, err := range results {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, session.ErrInvalidPreKeyID) || errors.Is(err, ErrPreKeyConsumed):
				if bob.sessionBytes(t, msgs[i].from.addr()) != nil {
					t.Fatalf("refused handshake %d stored a session", i)
				}
			default:
				t.Fatalf("handshake %d: %v", i, err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d handshakes used one-time prekey %d, want 1", ok, otk)
		}
		if bob.hasPreKey(t, otk) {
			t.Fatal("one-time prekey still stored")
		}
	}
}
