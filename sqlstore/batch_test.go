package sqlstore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/x3dh"
)

func init() { helperModes["batch-crash"] = batchCrashHelper }

// batchCrashHelper decrypts the messages of helperIn with one DecryptBatch
// whose handlers append each plaintext to helperOut (fsync), and dies
// (os.Exit(3)) inside the transaction, after the handlers and the record
// write, before the commit.
func batchCrashHelper(ctx context.Context, st *Store, m *session.Manager) error {
	var msgs []wireMsg
	if err := readJSON(os.Getenv(helperIn), &msgs); err != nil {
		return err
	}
	log, err := os.OpenFile(os.Getenv(helperOut), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	in := make([]session.Message, len(msgs))
	for i, w := range msgs {
		in[i] = session.Message{Type: w.Type, Body: w.Body}
	}
	st.afterRecordWrite = func() error { os.Exit(3); return nil }
	n, err := m.DecryptBatch(ctx, msgs[0].Peer, in, func(i int, pt []byte) error {
		if _, err := fmt.Fprintf(log, "%d %s\n", i, pt); err != nil {
			return err
		}
		return log.Sync()
	})
	return fmt.Errorf("DecryptBatch returned (%d, %v) instead of crashing", n, err)
}

// TestBatchCommitFailure: a batch whose transaction fails after its
// handlers ran (an error injected after the record write, and a process
// that dies there) commits nothing: the record and the one-time prekeys
// are as they were, and the same messages delivered again decrypt, their
// handlers running again (at-least-once).
func TestBatchCommitFailure(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		for _, crash := range []bool{false, true} {
			alice, bob := newDevice(t, be, "alice"), newDevice(t, be, "bob")
			if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true, true)); err != nil {
				t.Fatal(err)
			}
			otk, kem := bob.next-1, bob.next
			var msgs []session.Message
			for i := range 5 {
				msgs = append(msgs, send(t, alice, bob, fmt.Sprint("m ", i)))
			}
			seen := map[int]int{}
			handle := func(i int, pt []byte) error {
				if string(pt) != fmt.Sprint("m ", i) {
					t.Errorf("handler %d saw %q", i, pt)
				}
				seen[i]++
				return nil
			}
			if crash {
				dir := t.TempDir()
				in, out := filepath.Join(dir, "msgs.json"), filepath.Join(dir, "log")
				w := make([]wireMsg, len(msgs))
				for i, m := range msgs {
					w[i] = wireMsg{Peer: alice.addr(), Type: m.Type, Body: m.Body}
				}
				if err := writeJSON(in, w); err != nil {
					t.Fatal(err)
				}
				res, err := helper("batch-crash", bob.driver, bob.dsn, in, out, 0).CombinedOutput()
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != 3 {
					t.Fatalf("helper did not crash where expected: %v: %s", err, res)
				}
				f, err := os.Open(out)
				if err != nil {
					t.Fatal(err)
				}
				lines := 0
				for sc := bufio.NewScanner(f); sc.Scan(); lines++ {
					if want := fmt.Sprintf("%d m %d", lines, lines); sc.Text() != want {
						t.Fatalf("log line %q, want %q", sc.Text(), want)
					}
				}
				f.Close()
				if lines != len(msgs) {
					t.Fatalf("the crashed process's handlers logged %d messages, want %d", lines, len(msgs))
				}
				bob = bob.reopen(t)
			} else {
				calls := 0
				bob.store.afterRecordWrite = func() error { calls++; return errInjected }
				n, err := bob.m.DecryptBatch(ctx, alice.addr(), msgs, handle)
				if n != 0 || !errors.Is(err, errInjected) || calls != 1 {
					t.Fatalf("DecryptBatch with a failing transaction: %d, %v (hook ran %d times)", n, err, calls)
				}
				if len(seen) != len(msgs) {
					t.Fatalf("handlers ran for %d messages before the failure, want %d", len(seen), len(msgs))
				}
				bob.store.afterRecordWrite = nil
			}
			checkUntouched(t, bob, alice.addr(), otk, kem)
			n, err := bob.m.DecryptBatch(ctx, alice.addr(), msgs, handle)
			if n != len(msgs) || err != nil {
				t.Fatalf("delivered again: %d, %v", n, err)
			}
			want := 1
			if !crash {
				want = 2
			}
			for i := range msgs {
				if seen[i] != want {
					t.Fatalf("handler of message %d ran %d times, want %d", i, seen[i], want)
				}
			}
			if bob.hasPreKey(t, otk) {
				t.Fatal("one-time prekey not consumed")
			}
			recv(t, alice, bob, send(t, bob, alice, "answer"), "answer")
		}
	})
}

// TestBatchStatements: a batch of many messages costs the statements of
// one decrypt.
func TestBatchStatements(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		p := newCountedPeer(t, be, x3dh.V4, true)
		msgs := make([]session.Message, 300)
		for i := range msgs {
			msgs[i] = p.send(t)
		}
		before := p.cnt.Counts()
		n, err := p.m.DecryptBatch(ctx, p.addr, msgs, func(_ int, pt []byte) error {
			if !strings.HasPrefix(string(pt), "message") {
				return fmt.Errorf("plaintext %q", pt)
			}
			return nil
		})
		if n != len(msgs) || err != nil {
			t.Fatalf("DecryptBatch: %d, %v", n, err)
		}
		want := int64(5) // SQLite: the snapshot read, then BEGIN IMMEDIATE, read, write, COMMIT
		if be.name == "postgres" {
			want = 4 // BEGIN with the lock, read, write, COMMIT
		}
		if got := p.cnt.Counts().Sub(before).Statements; got != want {
			t.Fatalf("a batch of %d messages sent %d statements, want %d", len(msgs), got, want)
		}
	})
}
