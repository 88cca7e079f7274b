package session_test

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/cputime"
	"github.com/forwardsecret/signal/internal/wire"
	"github.com/forwardsecret/signal/ratchet"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/spqr"
)

// forgedTarget is Bob with a record of alice holding states states (the
// current one and states-1 archived), and a legitimate SignalMessage from
// alice's current session to forge from.
type forgedTarget struct {
	alice, bob *device
	tmpl       *wire.ReceivedSignalMessage
	pq         bool
}

func newForgedTarget(t testing.TB, states int, pq bool) *forgedTarget {
	t.Helper()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	ctx := context.Background()
	for range states {
		if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, false, pq)); err != nil {
			t.Fatal(err)
		}
		recv(t, bob, alice, send(t, alice, bob, "hi"), "hi")
		recv(t, alice, bob, send(t, bob, alice, "hello"), "hello")
	}
	info, err := bob.m.Info(ctx, alice.addr())
	if err != nil || info.ArchivedStates != states-1 {
		t.Fatalf("bob's record: %+v, %v; want %d archived states", info, err, states-1)
	}
	tmpl, err := wire.ParseSignalMessage(send(t, alice, bob, "template").Body)
	if err != nil {
		t.Fatal(err)
	}
	return &forgedTarget{alice: alice, bob: bob, tmpl: tmpl, pq: pq}
}

// forge returns a message with a fresh ratchet key (a new chain for every
// state), the given counter and, in v4, the given SPQR index, under the
// template's MAC (so it never authenticates).
func (f *forgedTarget) forge(t testing.TB, counter, spqrIndex uint32) session.Message {
	t.Helper()
	sm := f.tmpl.SignalMessage
	kp, err := curve.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	sm.RatchetKey = kp.Public.Bytes()
	sm.Counter = counter
	if f.pq {
		m, err := spqr.ParseMessage(sm.PQRatchet)
		if err != nil {
			t.Fatal(err)
		}
		m.Index = spqrIndex
		if sm.PQRatchet, err = m.MarshalBinary(); err != nil {
			t.Fatal(err)
		}
	}
	b, err := sm.AppendUnsigned(nil)
	if err != nil {
		t.Fatal(err)
	}
	return session.Message{Type: session.TypeSignal, Body: append(b, f.tmpl.MAC[:]...)}
}

// forgeries are the shapes of forged message that cost the most: one whose
// counter and SPQR index use the whole forward-jump bound, and ones that
// spread a smaller jump over every state.
var forgeries = []struct {
	name           string
	counter, index uint32
}{
	{"max", ratchet.MaxForwardJump - 1, spqr.DefaultMaxJump},
	{"spread600", 600, 600},
	{"spread5000", 5000, 5000},
}

// BenchmarkForgedMessage measures the worst forged SignalMessages against a
// record with one state and with MaxArchivedStates archived states, beside
// a legitimate jump of MaxForwardJump messages (the most one real message
// can cost). Finding 5 of the hardening review: before the decrypt budget, a
// forged message cost each of the 41 states a full jump.
func BenchmarkForgedMessage(b *testing.B) {
	ctx := context.Background()
	for _, pq := range []bool{false, true} {
		v := "v3"
		if pq {
			v = "v4"
		}
		for _, states := range []int{1, session.MaxArchivedStates + 1} {
			f := newForgedTarget(b, states, pq)
			before := f.bob.store.SessionBytes(f.alice.addr())
			for _, fg := range forgeries {
				msg := f.forge(b, fg.counter, fg.index)
				b.Run(v+"/states="+itoa(states)+"/"+fg.name, func(b *testing.B) {
					b.ReportAllocs()
					cputime.ThreadLoop(b, func() {
						if _, err := f.bob.m.Decrypt(ctx, f.alice.addr(), msg); err == nil {
							b.Fatal("forged message accepted")
						}
					})
				})
			}
			if !bytes.Equal(before, f.bob.store.SessionBytes(f.alice.addr())) {
				b.Fatal("forged messages changed the record")
			}
		}
		b.Run(v+"/legitimate-jump", func(b *testing.B) {
			f := newForgedTarget(b, 1, pq)
			// SPQR's index runs two ahead of the ratchet counter here, and
			// its own bound is spqr.DefaultMaxJump.
			for range ratchet.MaxForwardJump - 3 {
				send(b, f.alice, f.bob, "x")
			}
			msg := send(b, f.alice, f.bob, "far")
			rec, err := f.bob.store.LoadSession(ctx, f.alice.addr())
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				if err := f.bob.store.StoreSession(ctx, f.alice.addr(), rec, session.Consumed{}); err != nil {
					b.Fatal(err)
				}
				t0, _ := cputime.Thread()
				b.StartTimer()
				if _, err := f.bob.m.Decrypt(ctx, f.alice.addr(), msg); err != nil {
					b.Fatal(err)
				}
				t1, _ := cputime.Thread()
				cpu += t1 - t0
			}
			cputime.ReportPerOp(b, cpu)
		})
	}
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		if n /= 10; n == 0 {
			return string(b[i:])
		}
	}
}

// TestForgedMessageWorkBounded is the regression test of finding 5: the work
// one forged message causes does not grow with the number of archived
// states. Work is counted, not timed: v4 SPQR chain steps allocate, so the
// allocations of a forged decrypt against MaxArchivedStates+1 states must
// stay within twice those against one state.
func TestForgedMessageWorkBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 41 v4 sessions; skipped with -short")
	}
	ctx := context.Background()
	one := newForgedTarget(t, 1, true)
	many := newForgedTarget(t, session.MaxArchivedStates+1, true)
	var worst [2]float64
	for _, fg := range forgeries {
		var allocs [2]float64
		for i, f := range []*forgedTarget{one, many} {
			msg := f.forge(t, fg.counter, fg.index)
			var err error
			allocs[i] = testing.AllocsPerRun(2, func() {
				_, err = f.bob.m.Decrypt(ctx, f.alice.addr(), msg)
			})
			if err == nil || errors.Is(err, session.ErrDuplicateMessage) {
				t.Fatalf("%s: forged message: %v", fg.name, err)
			}
		}
		t.Logf("%s: %.0f allocations against 1 state, %.0f against %d", fg.name, allocs[0], allocs[1], session.MaxArchivedStates+1)
		worst[0], worst[1] = max(worst[0], allocs[0]), max(worst[1], allocs[1])
	}
	if worst[1] > 2*worst[0] {
		t.Errorf("the worst forged message costs %.0f allocations against %d states, %.0f against one: work grows with the archive",
			worst[1], session.MaxArchivedStates+1, worst[0])
	}
}

// BenchmarkBudgetUnits measures what the decrypt budget charges for, in one
// run: reading the MaxArchivedStates archived states of a record (v3 and
// v4; ArchivedStateWork each) and a DH ratchet step (a key generation and
// two X25519; NewChainWork), to compare with one chain HMAC (the budget's
// unit: the v3 legitimate jump's CPU time over its ratchet.Cost.Work).
func BenchmarkBudgetUnits(b *testing.B) {
	ctx := context.Background()
	for _, pq := range []bool{false, true} {
		f := newForgedTarget(b, session.MaxArchivedStates+1, pq)
		rec, err := f.bob.store.LoadSession(ctx, f.alice.addr())
		if err != nil {
			b.Fatal(err)
		}
		name := "read-40-archived-v3"
		if pq {
			name = "read-40-archived-v4"
		}
		b.Run(name, func(b *testing.B) {
			cputime.ThreadLoop(b, func() {
				if err := session.ReadArchived(rec); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
	b.Run("dh-step", func(b *testing.B) {
		ours, _ := curve.GenerateKeyPair()
		theirs, _ := curve.GenerateKeyPair()
		cputime.ThreadLoop(b, func() {
			kp, _ := curve.GenerateKeyPair()
			ours.Private.ECDH(theirs.Public)
			kp.Private.ECDH(theirs.Public)
		})
	})
}
