package sqlstore

// Two-process test of the nested address lock: a Manager's operation inside
// an outer transaction (Store.InTx, or the lock of another address). The
// helper mode runs in the processes that process_test.go's runHelper starts.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/forwardsecret/signal/internal/wire"
	"github.com/forwardsecret/signal/session"
)

// nestedJob is the input of the nested-encrypt helper: Count messages to
// Peer, each encrypted inside an outer transaction: Store.InTx for even
// indexes, the LockAddress of Other for odd ones.
type nestedJob struct {
	Peer, Other session.Address
	Count       int
	Prefix      string
}

func init() { helperModes["nested-encrypt"] = nestedEncryptHelper }

// nestedEncryptHelper runs a nestedJob.
func nestedEncryptHelper(ctx context.Context, st *Store, m *session.Manager) error {
	var job nestedJob
	if err := readJSON(os.Getenv(helperIn), &job); err != nil {
		return err
	}
	out := make([]wireMsg, job.Count)
	err := inWorkers(job.Count, func(i int) error {
		text := fmt.Sprintf("%s-%d", job.Prefix, i)
		var msg session.Message
		encrypt := func(ctx context.Context) error {
			var err error
			msg, err = m.Encrypt(ctx, job.Peer, []byte(text))
			return err
		}
		var err error
		if i%2 == 0 {
			err = st.InTx(ctx, encrypt)
		} else {
			lctx, unlock, lerr := st.LockAddress(ctx, job.Other)
			if lerr != nil {
				return lerr
			}
			err = encrypt(lctx)
			if uerr := unlock(err == nil); err == nil {
				err = uerr
			}
		}
		if err != nil {
			return fmt.Errorf("encrypt %s: %w", text, err)
		}
		out[i] = wireMsg{Peer: job.Peer, Type: msg.Type, Body: msg.Body, Plaintext: text}
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(os.Getenv(helperOut), out)
}

// inWorkers runs f(0), ..., f(n-1) on helperWorkers goroutines.
func inWorkers(n int, f func(i int) error) error {
	errs := make([]error, helperWorkers)
	var wg sync.WaitGroup
	for w := range helperWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += helperWorkers {
				if err := f(i); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func lockTestMessages(t *testing.T) int {
	if testing.Short() {
		return 200
	}
	return 800
}

// TestNestedLockSerializesProcesses: two processes of one device encrypt
// to the same peer, each message inside an outer transaction of the store
// (Store.InTx, or LockAddress of another address), so the Manager's
// LockAddress is nested. No two messages of the two processes may use the
// same (ratchet key, counter): the nested LockAddress must still take the
// address's lock (on PostgreSQL a row lock in the outer transaction; on
// SQLite the outer transaction already holds the database's write lock).
func TestNestedLockSerializesProcesses(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		hub := newDevice(t, be, "hub")
		p := newMemPeer(t, "peer")
		if err := p.m.ProcessBundle(ctx, hub.addr(), hub.bundle(t, true, true)); err != nil {
			t.Fatal(err)
		}
		first, err := p.m.Encrypt(ctx, hub.addr(), []byte("hello"))
		if err != nil {
			t.Fatal(err)
		}
		if pt, err := hub.m.Decrypt(ctx, p.addr, first); err != nil || string(pt) != "hello" {
			t.Fatalf("hub decrypt: %q, %v", pt, err)
		}
		total := lockTestMessages(t)
		dir := t.TempDir()
		for k := range 2 {
			job := nestedJob{Peer: p.addr, Other: session.Address{Name: "other", DeviceID: 1}, Count: total, Prefix: fmt.Sprintf("p%d", k)}
			if err := writeJSON(filepath.Join(dir, fmt.Sprintf("nested%d.json", k)), job); err != nil {
				t.Fatal(err)
			}
		}
		outs := runHelpers(t, "nested-encrypt", hub, filepath.Join(dir, "nested%d.json"), dir)
		type key struct {
			ratchet string
			counter uint32
		}
		seen := map[key]string{}
		dups := 0
		for _, path := range outs {
			var sent []wireMsg
			if err := readJSON(path, &sent); err != nil {
				t.Fatal(err)
			}
			for _, m := range sent {
				sm := signalMessageOf(t, m)
				k := key{string(sm.RatchetKey), sm.Counter}
				if prev, ok := seen[k]; ok {
					if dups++; dups <= 5 {
						t.Errorf("%q and %q were both encrypted with counter %d of ratchet key %x", prev, m.Plaintext, sm.Counter, sm.RatchetKey[:8])
					}
				}
				seen[k] = m.Plaintext
			}
		}
		if dups > 0 {
			t.Fatalf("%d of %d messages reused a (ratchet key, counter) of another message", dups, 2*total)
		}
		// And the peer reads them all.
		for _, path := range outs {
			var sent []wireMsg
			if err := readJSON(path, &sent); err != nil {
				t.Fatal(err)
			}
			for _, m := range sent {
				pt, err := p.m.Decrypt(ctx, hub.addr(), session.Message{Type: m.Type, Body: m.Body})
				if err != nil || string(pt) != m.Plaintext {
					t.Fatalf("peer decrypting %q: %q, %v", m.Plaintext, pt, err)
				}
			}
		}
	})
}

// signalMessageOf parses the SignalMessage of m (the inner one of a
// PreKeySignalMessage).
func signalMessageOf(t *testing.T, m wireMsg) *wire.ReceivedSignalMessage {
	t.Helper()
	if m.Type == session.TypePreKey {
		pm, err := wire.ParsePreKeySignalMessage(m.Body)
		if err != nil {
			t.Fatal(err)
		}
		return &pm.Inner
	}
	sm, err := wire.ParseSignalMessage(m.Body)
	if err != nil {
		t.Fatal(err)
	}
	return sm
}

// TestNestedLockAddressBlocksOtherHandle: LockAddress inside InTx holds the
// address's lock until InTx ends: another handle's LockAddress waits.
func TestNestedLockAddressBlocksOtherHandle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		d := newDevice(t, be, "hub")
		other := d.reopen(t)
		addr := session.Address{Name: "peer", DeviceID: 1}
		lockOn := func(s *Store) lockFunc {
			return func(ctx context.Context) (context.Context, func(bool) error, error) {
				return s.LockAddress(ctx, addr)
			}
		}
		checkBlocks(t, d.store, true, lockOn(d.store), lockOn(other.store))
	})
}
