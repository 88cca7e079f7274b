package session_test

import (
	"context"
	"fmt"
	"github.com/forwardsecret/signal/session"
	mrand "math/rand/v2"
	"sync"
	"testing"
)

// TestConcurrentUse has 16 goroutines send 10,000 messages between one device
// and 64 peers, in both directions, through shared Managers. Every plaintext
// must be decrypted exactly once. Run it under -race.
func TestConcurrentUse(t *testing.T) {
	const (
		workers = 16
		peers   = 64
	)
	total := 10000
	if testing.Short() {
		total = 1000
	}
	ctx := context.Background()
	hub := newDevice(t, "hub")
	others := make([]*device, peers)
	for i := range others {
		others[i] = newDevice(t, fmt.Sprintf("peer%02d", i))
		if err := hub.m.ProcessBundle(ctx, others[i].addr(), others[i].bundle(t, true, i%2 == 0)); err != nil {
			t.Fatal(err)
		}
		recv(t, others[i], hub, send(t, hub, others[i], "hello"), "hello")
		recv(t, hub, others[i], send(t, others[i], hub, "welcome"), "welcome")
	}

	var (
		mu   sync.Mutex
		seen = make(map[string]int)
		wg   sync.WaitGroup
		errs = make(chan error, workers)
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := mrand.New(mrand.NewPCG(uint64(w), 99))
			for i := range total / workers {
				p := others[rng.IntN(peers)]
				from, to := hub, p
				if rng.IntN(3) == 0 {
					from, to = p, hub
				}
				text := fmt.Sprintf("w%d-%d", w, i)
				msg, err := from.m.Encrypt(ctx, to.addr(), []byte(text))
				if err != nil {
					errs <- fmt.Errorf("encrypt %s: %w", text, err)
					return
				}
				pt, err := to.m.Decrypt(ctx, from.addr(), msg)
				if err != nil {
					errs <- fmt.Errorf("decrypt %s: %w", text, err)
					return
				}
				mu.Lock()
				seen[string(pt)]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := total / workers * workers
	if len(seen) != want {
		t.Fatalf("%d distinct plaintexts, want %d", len(seen), want)
	}
	for text, n := range seen {
		if n != 1 {
			t.Fatalf("%q decrypted %d times", text, n)
		}
	}
}

// TestLockMapShrinks checks that the per-address locks are dropped once no
// call holds them, so a Manager does not grow with every address it saw.
func TestLockMapShrinks(t *testing.T) {
	ctx := context.Background()
	alice := newDevice(t, "alice")
	for i := range 100 {
		other := newDevice(t, fmt.Sprint("peer", i))
		if err := alice.m.ProcessBundle(ctx, other.addr(), other.bundle(t, false, false)); err != nil {
			t.Fatal(err)
		}
	}
	if n := session.LockedAddresses(alice.m); n != 0 {
		t.Fatalf("%d address locks kept after all calls returned", n)
	}
}
