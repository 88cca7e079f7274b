package session_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/cputime"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/x3dh"
)

// fanOutGroup makes a hub with sessions to n devices: v3 and v4 sessions,
// with and without a one-time prekey, every third one still unacknowledged
// (the hub sends PreKey messages to it), the others answered.
func fanOutGroup(t testing.TB, n int) (*device, []*device) {
	t.Helper()
	ctx := context.Background()
	hub := newDevice(t, "hub")
	members := make([]*device, n)
	for i := range members {
		d := newDevice(t, fmt.Sprintf("member%04d", i))
		members[i] = d
		if err := hub.m.ProcessBundle(ctx, d.addr(), d.bundle(t, i%2 == 0, i%4 < 2)); err != nil {
			t.Fatal(err)
		}
		if i%3 != 0 {
			recv(t, d, hub, send(t, hub, d, "hello"), "hello")
			recv(t, hub, d, send(t, d, hub, "welcome"), "welcome")
		}
	}
	return hub, members
}

func addrsOf(ds []*device) []session.Address {
	out := make([]session.Address, len(ds))
	for i, d := range ds {
		out[i] = d.addr()
	}
	return out
}

func TestEncryptManyEveryRecipientDecrypts(t *testing.T) {
	const n = 40
	for _, workers := range []int{0, 1, 3, 2 * n} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			ctx := context.Background()
			hub, members := fanOutGroup(t, n)
			addrs := addrsOf(members)
			for round := range 3 {
				text := fmt.Sprintf("group message %d", round)
				res, err := hub.m.EncryptMany(ctx, addrs, []byte(text), session.FanOutWorkers(workers))
				if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				if len(res) != n {
					t.Fatalf("%d results for %d addresses", len(res), n)
				}
				for i, r := range res {
					if r.Address != addrs[i] || r.Err != nil {
						t.Fatalf("result %d: address %v, err %v; want %v", i, r.Address, r.Err, addrs[i])
					}
					wantType := session.TypeSignal
					if i%3 == 0 {
						wantType = session.TypePreKey // never answered
					}
					if r.Message.Type != wantType {
						t.Fatalf("result %d: %v, want %v", i, r.Message.Type, wantType)
					}
					recv(t, members[i], hub, r.Message, text)
				}
			}
		})
	}
}

// TestEncryptManyPerAddressErrors: addresses without a session, with an
// untrusted identity or listed twice get their own outcome; the others are
// encrypted for as usual.
func TestEncryptManyPerAddressErrors(t *testing.T) {
	ctx := context.Background()
	hub, members := fanOutGroup(t, 12)
	stranger := session.Address{Name: "stranger", DeviceID: 1}
	other, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	untrusted := members[5].addr()
	if err := hub.store.Trust(context.Background(), untrusted, other.PublicKey()); err != nil { // as if member 5 changed its key
		t.Fatal(err)
	}

	addrs := addrsOf(members)
	addrs = append(addrs[:3], append([]session.Address{stranger}, addrs[3:]...)...)
	addrs = append(addrs, members[7].addr()) // listed twice
	before := hub.store.SessionBytes(untrusted)

	res, err := hub.m.EncryptMany(ctx, addrs, []byte("hi all"), session.FanOutWorkers(4))
	var fe *session.FanOutError
	if !errors.As(err, &fe) || fe.Failed != 2 || fe.Total != len(addrs) {
		t.Fatalf("err = %v, want a FanOutError with 2 of %d failed", err, len(addrs))
	}
	if !errors.Is(err, session.ErrNoSession) || !errors.Is(err, session.ErrUntrustedIdentity) {
		t.Fatalf("err = %v does not match ErrNoSession and ErrUntrustedIdentity", err)
	}
	var second session.Message
	for i, r := range res {
		if r.Address != addrs[i] {
			t.Fatalf("result %d is for %v, want %v", i, r.Address, addrs[i])
		}
		switch {
		case r.Address == stranger:
			if !errors.Is(r.Err, session.ErrNoSession) || r.Message.Body != nil {
				t.Fatalf("stranger: %v, %d bytes", r.Err, len(r.Message.Body))
			}
		case r.Address == untrusted:
			var ue *session.UntrustedIdentityError
			if !errors.As(r.Err, &ue) || ue.Address != untrusted || r.Message.Body != nil {
				t.Fatalf("untrusted: %v", r.Err)
			}
		case i == len(addrs)-1:
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			second = r.Message
		default:
			if r.Err != nil {
				t.Fatalf("%v: %v", r.Address, r.Err)
			}
		}
	}
	if !bytes.Equal(hub.store.SessionBytes(untrusted), before) {
		t.Fatal("the refused address's session changed")
	}
	for _, d := range members {
		if d.addr() == untrusted {
			continue
		}
		for i, r := range res {
			if r.Address == d.addr() && i != len(addrs)-1 {
				recv(t, d, hub, r.Message, "hi all")
			}
		}
	}
	// The duplicate is the next message on member 7's chain.
	recv(t, members[7], hub, second, "hi all")
	if _, err := members[7].m.Decrypt(ctx, hub.addr(), second); !errors.Is(err, session.ErrDuplicateMessage) {
		t.Fatalf("second decrypt of the duplicate's message: %v", err)
	}
}

func TestEncryptManyCanceled(t *testing.T) {
	hub, members := fanOutGroup(t, 6)
	addrs := addrsOf(members)
	before := make([][]byte, len(addrs))
	for i, a := range addrs {
		before[i] = hub.store.SessionBytes(a)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := hub.m.EncryptMany(ctx, addrs, []byte("late"))
	var fe *session.FanOutError
	if !errors.As(err, &fe) || fe.Failed != len(addrs) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	for i, r := range res {
		if !errors.Is(r.Err, context.Canceled) {
			t.Fatalf("result %d: %v", i, r.Err)
		}
		if !bytes.Equal(hub.store.SessionBytes(addrs[i]), before[i]) {
			t.Fatalf("session %d changed although nothing was encrypted", i)
		}
	}
}

// cancelingSessions cancels a context on the n-th LoadSession.
type cancelingSessions struct {
	session.SessionStore
	n      int
	cancel context.CancelFunc
}

func (c *cancelingSessions) LoadSession(ctx context.Context, addr session.Address) (*session.Record, error) {
	if c.n--; c.n == 0 {
		c.cancel()
	}
	return c.SessionStore.LoadSession(ctx, addr)
}

// TestEncryptManyCanceledMidway: with one worker, the address being
// encrypted for when ctx is canceled completes, the later ones get the
// context's error and keep their sessions unchanged.
func TestEncryptManyCanceledMidway(t *testing.T) {
	const at = 5
	hub, members := fanOutGroup(t, 9)
	addrs := addrsOf(members)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stores := session.StoresOf(hub.store)
	stores.Sessions = &cancelingSessions{SessionStore: hub.store, n: at, cancel: cancel}
	m := session.NewManager(stores)
	before := make([][]byte, len(addrs))
	for i, a := range addrs {
		before[i] = hub.store.SessionBytes(a)
	}
	res, err := m.EncryptMany(ctx, addrs, []byte("partial"), session.FanOutWorkers(1))
	var fe *session.FanOutError
	if !errors.As(err, &fe) || fe.Failed != len(addrs)-at || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	for i, r := range res {
		if i < at {
			if r.Err != nil {
				t.Fatalf("result %d: %v", i, r.Err)
			}
			recv(t, members[i], hub, r.Message, "partial")
			continue
		}
		if !errors.Is(r.Err, context.Canceled) || !bytes.Equal(hub.store.SessionBytes(addrs[i]), before[i]) {
			t.Fatalf("result %d: %v (session changed: %v)", i, r.Err, !bytes.Equal(hub.store.SessionBytes(addrs[i]), before[i]))
		}
	}
}

// gateSessions holds every LoadSession until want of them are in flight at
// once, and records the most that ever were.
type gateSessions struct {
	session.SessionStore
	want    int
	reached chan struct{}
	mu      sync.Mutex
	open    bool
	now     int
	most    int
}

func (g *gateSessions) LoadSession(ctx context.Context, addr session.Address) (*session.Record, error) {
	g.mu.Lock()
	g.now++
	g.most = max(g.most, g.now)
	if g.now == g.want && !g.open {
		g.open = true
		close(g.reached)
	}
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.now--
		g.mu.Unlock()
	}()
	select {
	case <-g.reached:
	case <-time.After(10 * time.Second):
		return nil, errors.New("no parallel LoadSession within 10s")
	}
	return g.SessionStore.LoadSession(ctx, addr)
}

// TestEncryptManyRunsInParallel: with n workers, n addresses are being
// encrypted for at the same moment, and never more.
func TestEncryptManyRunsInParallel(t *testing.T) {
	hub, members := fanOutGroup(t, 12)
	addrs := addrsOf(members)
	for _, workers := range []int{2, 3} {
		g := &gateSessions{SessionStore: hub.store, want: workers, reached: make(chan struct{})}
		stores := session.StoresOf(hub.store)
		stores.Sessions = g
		res, err := session.NewManager(stores).EncryptMany(context.Background(), addrs, []byte("together"), session.FanOutWorkers(workers))
		if err != nil {
			t.Fatalf("workers=%d: %v", workers, err)
		}
		if g.most != workers {
			t.Fatalf("workers=%d: at most %d encryptions in flight", workers, g.most)
		}
		for i, r := range res {
			recv(t, members[i], hub, r.Message, "together")
		}
	}
}

func TestEncryptManyEmpty(t *testing.T) {
	hub := newDevice(t, "hub")
	res, err := hub.m.EncryptMany(context.Background(), nil, []byte("x"))
	if err != nil || len(res) != 0 {
		t.Fatalf("%v, %d results", err, len(res))
	}
}

// TestEncryptManyConcurrent runs fan-outs to the same addresses from several
// goroutines at once (under -race in CI); each recipient must decrypt every
// message exactly once, whatever order they were produced in.
func TestEncryptManyConcurrent(t *testing.T) {
	const (
		n       = 16
		senders = 4
	)
	ctx := context.Background()
	hub, members := fanOutGroup(t, n)
	addrs := addrsOf(members)
	results := make([][]session.FanOutResult, senders)
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			res, err := hub.m.EncryptMany(ctx, addrs, fmt.Appendf(nil, "from goroutine %d", s), session.FanOutWorkers(3))
			if err != nil {
				t.Error(err)
			}
			results[s] = res
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	// Deliver in reverse goroutine order: out of order within each chain.
	for s := senders - 1; s >= 0; s-- {
		for i, r := range results[s] {
			recv(t, members[i], hub, r.Message, fmt.Sprintf("from goroutine %d", s))
		}
	}
}

// ExampleManager_EncryptMany sends one message to every device of a group:
// two members with sessions and one without.
func ExampleManager_EncryptMany() {
	ctx := context.Background()
	hubID, _ := curve.GenerateIdentityKeyPair()
	hub := session.NewManager(session.StoresOf(memstore.New(hubID, 1)))

	members := map[session.Address]*session.Manager{}
	for i, name := range []string{"bob", "carol"} {
		addr := session.Address{Name: name, DeviceID: 1}
		id, _ := curve.GenerateIdentityKeyPair()
		st := memstore.New(id, uint32(2+i))
		spk, _ := x3dh.GenerateSignedPreKey(id, 1)
		st.AddSignedPreKey(ctx, spk)
		bundle, err := x3dh.NewBundle(uint32(2+i), 1, id.PublicKey(), spk.Public(), nil, nil)
		if err != nil {
			log.Fatal(err)
		}
		if err := hub.ProcessBundle(ctx, addr, bundle); err != nil {
			log.Fatal(err)
		}
		members[addr] = session.NewManager(session.StoresOf(st))
	}

	group := []session.Address{{Name: "bob", DeviceID: 1}, {Name: "carol", DeviceID: 1}, {Name: "dave", DeviceID: 1}}
	results, err := hub.EncryptMany(ctx, group, []byte("dinner at eight"))
	fmt.Println(err)
	for _, r := range results {
		if r.Err != nil {
			fmt.Println(r.Address, "failed:", r.Err) // an app would fetch dave's bundle and retry
			continue
		}
		pt, _ := members[r.Address].Decrypt(ctx, session.Address{Name: "hub", DeviceID: 1}, r.Message)
		fmt.Println(r.Address, r.Message.Type, string(pt))
	}
	// Output:
	// session: encrypt failed for 1 of 3 addresses (first: dave.1: session: no session)
	// bob.1 PreKeySignalMessage dinner at eight
	// carol.1 PreKeySignalMessage dinner at eight
	// dave.1 failed: session: no session
}

// BenchmarkFanOut1000 encrypts one 160-byte message for 1,000 recipients
// with established sessions (half v4 with SPQR, a third still
// unacknowledged, as in fanOutGroup): EncryptMany with the default
// GOMAXPROCS workers against a sequential loop over Encrypt. One op is the
// whole fan-out. Besides ns/op it reports the process's CPU time per op
// (cpu-ns/op) and cores, their ratio: on a shared machine ns/op of the
// parallel run depends on how many CPUs the scheduler actually gave the
// process, which cores shows.
//
// interleaved runs one parallel and one sequential fan-out per op,
// alternating which goes first, so both meet the same machine load; it
// reports the wall time of each (par-ns, seq-ns), speedup = seq-ns/par-ns
// over the whole run, the cores each got, and others-cores, the CPUs the
// rest of the machine kept busy meanwhile (Linux). The speedup can only
// approach GOMAXPROCS when others-cores is near 0: with the scheduler's
// autogroups, a process does not get more CPU under contention by running
// more threads.
func BenchmarkFanOut1000(b *testing.B) {
	const n = 1000
	hub, members := fanOutGroup(b, n)
	addrs := addrsOf(members)
	runtime.GC() // the members' state is garbage from here on
	plaintext := bytes.Repeat([]byte("m"), 160)
	ctx := context.Background()
	b.Logf("GOMAXPROCS=%d NumCPU=%d", runtime.GOMAXPROCS(0), runtime.NumCPU())
	parallel := func() {
		if _, err := hub.m.EncryptMany(ctx, addrs, plaintext); err != nil {
			b.Fatal(err)
		}
	}
	sequential := func() {
		for _, a := range addrs {
			if _, err := hub.m.Encrypt(ctx, a, plaintext); err != nil {
				b.Fatal(err)
			}
		}
	}

	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		defer reportProcessCPU(b)()
		for b.Loop() {
			parallel()
		}
	})
	b.Run("sequential", func(b *testing.B) {
		b.ReportAllocs()
		defer reportProcessCPU(b)()
		for b.Loop() {
			sequential()
		}
	})
	b.Run("interleaved", func(b *testing.B) {
		b.ReportAllocs()
		var wall, cpu [2]time.Duration // [0] parallel, [1] sequential
		measure := func(k int, f func()) {
			c0, _ := cputime.Process()
			w0 := time.Now()
			f()
			wall[k] += time.Since(w0)
			c1, _ := cputime.Process()
			cpu[k] += c1 - c0
		}
		m0, mok := cputime.Machine()
		p0, pok := cputime.Process()
		w0 := time.Now()
		i := 0
		for b.Loop() {
			if i%2 == 0 {
				measure(0, parallel)
				measure(1, sequential)
			} else {
				measure(1, sequential)
				measure(0, parallel)
			}
			i++
		}
		total := time.Since(w0)
		m1, mok1 := cputime.Machine()
		p1, pok1 := cputime.Process()
		if mok && mok1 && pok && pok1 && total > 0 {
			others := max(0, (m1-m0)-(p1-p0))
			b.ReportMetric(float64(others)/float64(total), "others-cores")
		}
		if wall[0] <= 0 || wall[1] <= 0 {
			return
		}
		b.ReportMetric(float64(wall[0].Nanoseconds())/float64(b.N), "par-ns")
		b.ReportMetric(float64(wall[1].Nanoseconds())/float64(b.N), "seq-ns")
		b.ReportMetric(float64(wall[1])/float64(wall[0]), "speedup")
		if cpu[0] > 0 && cpu[1] > 0 {
			b.ReportMetric(float64(cpu[0])/float64(wall[0]), "par-cores")
			b.ReportMetric(float64(cpu[1])/float64(wall[1]), "seq-cores")
		}
	})
}

// reportProcessCPU returns a function to call after the benchmark loop that
// reports the process's CPU time per op and its ratio to the wall time.
func reportProcessCPU(b *testing.B) func() {
	cpu0, ok := cputime.Process()
	wall0 := time.Now()
	return func() {
		cpu1, ok1 := cputime.Process()
		wall := time.Since(wall0)
		if !ok || !ok1 || b.N == 0 || wall <= 0 {
			return
		}
		cpu := cpu1 - cpu0
		cputime.ReportPerOp(b, cpu)
		b.ReportMetric(float64(cpu)/float64(wall), "cores")
	}
}
