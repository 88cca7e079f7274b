package session_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	mrand "math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/cputime"
	"github.com/forwardsecret/signal/internal/wire"
	"github.com/forwardsecret/signal/ratchet"
	"github.com/forwardsecret/signal/session"
)

var hostileCount = flag.Int("hostile", 0, "number of forged messages with fresh ratchet keys in TestHostileCounters (default 5,000; 1,000 under -race)")

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestHostileCounters sends the receiver forged messages, each with a fresh
// ratchet key and random (often huge) counters and previous counters, then
// legitimate messages beyond the forward-jump limit. Every one is refused,
// the stored record never changes, the heap stays bounded and the time per
// message stays flat: the last fifth of the forged messages costs at most
// twice the first fifth plus 50 ms, in this thread's CPU time (a loaded
// machine stretches wall time by whatever factor its scheduler gives;
// where there is no thread clock, wall time with 3x plus a second).
func TestHostileCounters(t *testing.T) {
	n := *hostileCount
	if n == 0 {
		n = 5000
		if raceEnabled || testing.Short() {
			n = 1000
		}
	}
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, false, false)); err != nil {
		t.Fatal(err)
	}
	recv(t, bob, alice, send(t, alice, bob, "hi"), "hi")
	recv(t, alice, bob, send(t, bob, alice, "hello"), "hello")
	before := bob.store.SessionBytes(alice.addr())

	// A legitimate message as the template for forgeries.
	tmpl, err := wire.ParseSignalMessage(send(t, alice, bob, "template").Body)
	if err != nil {
		t.Fatal(err)
	}
	rng := mrand.New(mrand.NewPCG(11, 12))
	keys := make([]curve.PublicKey, 64)
	for i := range keys {
		kp, _ := curve.GenerateKeyPair()
		keys[i] = kp.Public
	}
	counters := []uint32{0, 1, 2000, 24999, 25000, 25001, 1 << 20, 1<<32 - 1}
	heap0 := heapInUse()
	var maxHeap uint64
	// The cost per message is measured as this thread's CPU time where the
	// platform has that clock (Linux), so that waiting for a CPU on a
	// loaded machine does not count; elsewhere as wall time, with a looser
	// bound.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	now, clockName := func() time.Duration { d, _ := cputime.Thread(); return d }, "CPU time"
	slack, factor := 50*time.Millisecond, 2.0
	if _, ok := cputime.Thread(); !ok {
		t0 := time.Now()
		now, clockName = func() time.Duration { return time.Since(t0) }, "wall time"
		slack, factor = time.Second, 3
	}
	// The first and the last fifth are compared: cost that grows with
	// the number of forged messages seen, even linearly, makes the last
	// fifth cost several times the first.
	fifth := n / 5
	var firstFifth, lastFifthStart time.Duration
	start := now()
	for i := range n {
		sm := tmpl.SignalMessage
		// A fresh ratchet key for every message: the key set is reused
		// round-robin with a varying last byte so no two are equal.
		u := keys[i%len(keys)].U()
		u[0] ^= byte(i >> 6)
		u[1] ^= byte(i >> 14)
		k, _ := curve.NewPublicKey(u[:])
		sm.RatchetKey = k.Bytes()
		// Mostly small counters; one message in 100 lies with a counter
		// or previous counter from the edge cases (up to 2^32-1), which
		// costs the receiver at most MaxForwardJump chain steps.
		sm.Counter, sm.PreviousCounter = uint32(rng.IntN(3)), uint32(rng.IntN(3))
		if rng.IntN(100) == 0 {
			sm.Counter = counters[rng.IntN(len(counters))]
			sm.PreviousCounter = counters[rng.IntN(len(counters))]
		}
		b, err := sm.AppendUnsigned(nil)
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, tmpl.MAC[:]...)
		if _, err := bob.m.Decrypt(ctx, alice.addr(), session.Message{Type: session.TypeSignal, Body: b}); err == nil {
			t.Fatalf("forged message %d accepted", i)
		}
		if i == fifth-1 {
			firstFifth = now() - start
		}
		if i == n-fifth-1 {
			lastFifthStart = now()
		}
		if i%(n/10+1) == 0 {
			if h := heapInUse(); h > maxHeap {
				maxHeap = h
			}
		}
	}
	end := now()
	total, lastFifth := end-start, end-lastFifthStart
	if !bytes.Equal(before, bob.store.SessionBytes(alice.addr())) {
		t.Fatal("forged messages changed the stored record")
	}
	growth := int64(maxHeap) - int64(heap0)
	if growth > 8<<20 {
		t.Fatalf("heap grew by %d bytes over %d forged messages", growth, n)
	}
	if float64(lastFifth) > factor*float64(firstFifth)+float64(slack) {
		t.Fatalf("time per message grew (%s): first fifth %v, last fifth %v", clockName, firstFifth, lastFifth)
	}
	t.Logf("%d forged messages with fresh ratchet keys refused: %v of %s per message (first fifth %v, last fifth %v), heap growth %d bytes (max in-use %d)",
		n, total/time.Duration(n), clockName, firstFifth, lastFifth, growth, maxHeap)

	// A real message 25,001 ahead is refused with the bound named, quickly.
	for range ratchet.MaxForwardJump + 1 {
		if _, err := alice.m.Encrypt(ctx, bob.addr(), []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	far := send(t, alice, bob, "too far")
	t0 := time.Now()
	_, err = bob.m.Decrypt(ctx, alice.addr(), far)
	var le *ratchet.LimitError
	if !errors.As(err, &le) || !errors.Is(err, ratchet.ErrForwardJumpTooLarge) || le.Limit != "MaxForwardJump" {
		t.Fatalf("jump past the limit: %v", err)
	}
	t.Logf("jump of %d refused in %v: %v", le.Got, time.Since(t0), err)
	if !bytes.Equal(before, bob.store.SessionBytes(alice.addr())) {
		t.Fatal("the refused jump changed the stored record")
	}
}
