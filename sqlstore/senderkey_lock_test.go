package sqlstore

// Two-process test of the sender-key lock (senderkey.Locker).

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/forwardsecret/signal/internal/wire"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
)

// groupJob is the input of the group-encrypt helper: Count group messages
// as Sender in distribution Dist.
type groupJob struct {
	Sender senderkey.Sender
	Dist   senderkey.DistributionID
	Count  int
}

func init() { helperModes["group-encrypt"] = groupEncryptHelper }

// groupEncryptHelper runs a groupJob.
func groupEncryptHelper(ctx context.Context, st *Store, _ *session.Manager) error {
	var job groupJob
	if err := readJSON(os.Getenv(helperIn), &job); err != nil {
		return err
	}
	c := senderkey.NewCipher(st)
	out := make([][]byte, job.Count)
	err := inWorkers(job.Count, func(i int) error {
		ct, err := c.Encrypt(ctx, job.Sender, job.Dist, []byte(fmt.Sprint(i)))
		out[i] = ct
		return err
	})
	if err != nil {
		return err
	}
	return writeJSON(os.Getenv(helperOut), out)
}

// TestSenderKeyLockSerializesProcesses: two processes of one device encrypt
// group messages as the same sender in the same distribution. No iteration
// of the chain may be used twice.
func TestSenderKeyLockSerializesProcesses(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		hub := newDevice(t, be, "hub")
		self := senderkey.Sender{Name: "hub", DeviceID: 1}
		dist := senderkey.DistributionID{0x9a, 0x11, 0x0c, 0x4e}
		if _, err := senderkey.NewCipher(hub.store).CreateDistributionMessage(ctx, self, dist); err != nil {
			t.Fatal(err)
		}
		total := lockTestMessages(t)
		dir := t.TempDir()
		in := filepath.Join(dir, "group.json")
		if err := writeJSON(in, groupJob{Sender: self, Dist: dist, Count: total}); err != nil {
			t.Fatal(err)
		}
		outs := runHelpers(t, "group-encrypt", hub, in, dir)
		type key struct{ chain, iteration uint32 }
		seen := map[key]bool{}
		dups := 0
		for k, path := range outs {
			var sent [][]byte
			if err := readJSON(path, &sent); err != nil {
				t.Fatal(err)
			}
			for i, ct := range sent {
				m, err := wire.ParseSenderKeyMessage(ct)
				if err != nil {
					t.Fatalf("process %d message %d: %v", k, i, err)
				}
				key := key{m.ChainID, m.Iteration}
				if seen[key] {
					if dups++; dups <= 5 {
						t.Errorf("process %d message %d reuses iteration %d of chain %d", k, i, m.Iteration, m.ChainID)
					}
				}
				seen[key] = true
			}
		}
		if dups > 0 {
			t.Fatalf("%d of %d group messages reused an iteration", dups, 2*total)
		}
	})
}

// lockFunc is LockAddress or LockSender of some key, on some handle.
type lockFunc func(ctx context.Context) (context.Context, func(bool) error, error)

// checkBlocks: while first (run inside InTx if nested) holds its lock,
// second, on another handle, must wait until first's transaction ends.
func checkBlocks(t *testing.T, holder *Store, nested bool, first, second lockFunc) {
	t.Helper()
	ctx := context.Background()
	acquired := make(chan time.Time, 1)
	hold := func(ctx context.Context) error {
		_, unlock, err := first(ctx)
		if err != nil {
			return err
		}
		go func() {
			_, ounlock, err := second(context.Background())
			if err != nil {
				t.Error(err)
				acquired <- time.Time{}
				return
			}
			ounlock(true)
			acquired <- time.Now()
		}()
		time.Sleep(300 * time.Millisecond)
		return unlock(true)
	}
	var released time.Time
	var err error
	if nested {
		err = holder.InTx(ctx, func(ctx context.Context) error {
			err := hold(ctx)
			released = time.Now()
			return err
		})
	} else {
		err = hold(ctx)
		released = time.Now()
	}
	if err != nil {
		t.Fatal(err)
	}
	if at := <-acquired; at.Before(released) {
		t.Fatal("the second handle got the lock while the first held it")
	}
}

// TestLockSenderBlocksOtherHandle: while one handle holds the lock of a
// sender-key record (directly, or nested in InTx), another handle's
// LockSender of it waits; LockSender of another record does not.
func TestLockSenderBlocksOtherHandle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		d := newDevice(t, be, "hub")
		other := d.reopen(t)
		alice := senderkey.Sender{Name: "alice", DeviceID: 1}
		dist := senderkey.DistributionID{7}
		lockOn := func(s *Store) lockFunc {
			return func(ctx context.Context) (context.Context, func(bool) error, error) {
				return s.LockSender(ctx, alice, dist)
			}
		}
		for _, nested := range []bool{false, true} {
			checkBlocks(t, d.store, nested, lockOn(d.store), lockOn(other.store))
		}
		if be.name == "postgres" {
			// Row locks: another distribution id is not blocked.
			_, unlock, err := d.store.LockSender(context.Background(), alice, dist)
			if err != nil {
				t.Fatal(err)
			}
			defer unlock(false)
			done := make(chan error, 1)
			go func() {
				_, u, err := other.store.LockSender(context.Background(), alice, senderkey.DistributionID{8})
				if err == nil {
					err = u(true)
				}
				done <- err
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("LockSender of another distribution id waited for the first")
			}
		}
	})
}
