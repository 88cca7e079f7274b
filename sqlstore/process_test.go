package sqlstore

// Tests with several OS processes on one database: the test binary runs
// itself as a helper (TestMain reads helperEnv).

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
)

// Environment of a helper process.
const (
	helperEnv    = "SQLSTORE_TEST_HELPER" // mode: decrypt, encrypt, crash, deliver, or a helperModes key
	helperDriver = "SQLSTORE_TEST_DRIVER"
	helperDSN    = "SQLSTORE_TEST_DSN"
	helperIn     = "SQLSTORE_TEST_IN"
	helperOut    = "SQLSTORE_TEST_OUT"
	helperSeed   = "SQLSTORE_TEST_SEED"

	helperWorkers = 8 // goroutines per helper process
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		if err := runHelper(mode); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// wireMsg is a message between the hub and a peer, as files carry it.
type wireMsg struct {
	Peer      session.Address // the hub's peer (sender or recipient)
	Type      session.MessageType
	Body      []byte
	Plaintext string `json:",omitempty"`
}

// outcome is what a helper did with message Index.
type outcome struct {
	Index     int
	Status    string // ok, dup, err
	Plaintext string `json:",omitempty"`
	Err       string `json:",omitempty"`
}

type encryptJob struct {
	Peers  []session.Address
	Count  int
	Prefix string
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

func runHelper(mode string) error {
	ctx := context.Background()
	st, err := Open(ctx, os.Getenv(helperDriver), os.Getenv(helperDSN))
	if err != nil {
		return err
	}
	defer st.Close()
	m := session.NewManager(session.StoresOf(st))
	seed, _ := strconv.ParseUint(os.Getenv(helperSeed), 10, 64)
	switch mode {
	case "decrypt":
		var msgs []wireMsg
		if err := readJSON(os.Getenv(helperIn), &msgs); err != nil {
			return err
		}
		order := mrand.New(mrand.NewPCG(seed, 1)).Perm(len(msgs))
		out := make([]outcome, len(msgs))
		work := make(chan int)
		var wg sync.WaitGroup
		for range helperWorkers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range work {
					pt, err := m.Decrypt(ctx, msgs[i].Peer, session.Message{Type: msgs[i].Type, Body: msgs[i].Body})
					switch {
					case err == nil:
						out[i] = outcome{Index: i, Status: "ok", Plaintext: string(pt)}
					case errors.Is(err, session.ErrDuplicateMessage):
						out[i] = outcome{Index: i, Status: "dup"}
					default:
						out[i] = outcome{Index: i, Status: "err", Err: err.Error()}
					}
				}
			}()
		}
		for _, i := range order {
			work <- i
		}
		close(work)
		wg.Wait()
		return writeJSON(os.Getenv(helperOut), out)
	case "encrypt":
		var job encryptJob
		if err := readJSON(os.Getenv(helperIn), &job); err != nil {
			return err
		}
		out := make([]wireMsg, job.Count)
		errs := make([]error, helperWorkers)
		var wg sync.WaitGroup
		for w := range helperWorkers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := mrand.New(mrand.NewPCG(seed, uint64(w)))
				for i := w; i < job.Count; i += helperWorkers {
					to := job.Peers[rng.IntN(len(job.Peers))]
					text := fmt.Sprintf("%s-%d", job.Prefix, i)
					msg, err := m.Encrypt(ctx, to, []byte(text))
					if err != nil {
						errs[w] = fmt.Errorf("encrypt %s: %w", text, err)
						return
					}
					out[i] = wireMsg{Peer: to, Type: msg.Type, Body: msg.Body, Plaintext: text}
				}
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
		return writeJSON(os.Getenv(helperOut), out)
	case "crash":
		var msg wireMsg
		if err := readJSON(os.Getenv(helperIn), &msg); err != nil {
			return err
		}
		// Die between the record write and the prekey deletes.
		st.afterRecordWrite = func() error { os.Exit(3); return nil }
		_, err := m.Decrypt(ctx, msg.Peer, session.Message{Type: msg.Type, Body: msg.Body})
		return fmt.Errorf("decrypt returned (%v) instead of crashing", err)
	case "deliver":
		var msgs []wireMsg
		if err := readJSON(os.Getenv(helperIn), &msgs); err != nil {
			return err
		}
		log, err := os.OpenFile(os.Getenv(helperOut), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return err
		}
		defer log.Close()
		for i, msg := range msgs {
			err := m.DecryptWith(ctx, msg.Peer, session.Message{Type: msg.Type, Body: msg.Body}, func(pt []byte) error {
				// The app's durable write: the plaintext reaches the log
				// (and the disk) before the session state commits.
				if _, err := fmt.Fprintf(log, "%d %s\n", i, pt); err != nil {
					return err
				}
				return log.Sync()
			})
			if err != nil && !errors.Is(err, session.ErrDuplicateMessage) {
				return fmt.Errorf("message %d: %w", i, err)
			}
		}
		fmt.Println("done")
		return nil
	}
	if f := helperModes[mode]; f != nil {
		return f(ctx, st, m)
	}
	return fmt.Errorf("unknown helper mode %q", mode)
}

// helperModes are the helper modes that other test files add (in init).
var helperModes = map[string]func(ctx context.Context, st *Store, m *session.Manager) error{}

// helper returns a command running the test binary as a helper.
func helper(mode, driver, dsn, in, out string, seed int) *exec.Cmd {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(),
		helperEnv+"="+mode, helperDriver+"="+driver, helperDSN+"="+dsn,
		helperIn+"="+in, helperOut+"="+out, helperSeed+"="+strconv.Itoa(seed))
	return cmd
}

// memPeer is the third party: an in-memory device in the test process.
type memPeer struct {
	addr  session.Address
	store *memstore.Store
	m     *session.Manager
}

func newMemPeer(t testing.TB, name string) *memPeer {
	t.Helper()
	id, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	st := memstore.New(id, 77)
	return &memPeer{addr: session.Address{Name: name, DeviceID: 1}, store: st, m: session.NewManager(session.StoresOf(st))}
}

func processMessages(t *testing.T) int {
	if v := os.Getenv("SQLSTORE_PROCESS_MESSAGES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if testing.Short() {
		return 600
	}
	return 5000
}

// TestTwoProcesses: two OS processes, each with 8 goroutines, run one
// device (the hub) on one shared database and exchange messages with peers.
// Both processes are given every message from the peers (5,000 by default):
// each must be decrypted by exactly one of them and refused as a duplicate
// by the other. Then both encrypt 2,500 messages each to the peers, which
// must decrypt every one (a session interleaved across processes would
// reuse a chain key and fail here).
func TestTwoProcesses(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		total := processMessages(t)
		const peers = 10
		hub := newDevice(t, be, "hub")
		var msgs []wireMsg
		var ps []*memPeer
		for i := range peers {
			p := newMemPeer(t, fmt.Sprintf("peer%d", i))
			ps = append(ps, p)
			if err := p.m.ProcessBundle(ctx, hub.addr(), hub.bundle(t, true, i%2 == 0, i%4 == 0)); err != nil {
				t.Fatal(err)
			}
		}
		for i := range total {
			p := ps[i%peers]
			text := fmt.Sprintf("to-hub-%d", i)
			m, err := p.m.Encrypt(ctx, hub.addr(), []byte(text))
			if err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, wireMsg{Peer: p.addr, Type: m.Type, Body: m.Body, Plaintext: text})
		}
		dir := t.TempDir()
		in := filepath.Join(dir, "in.json")
		if err := writeJSON(in, msgs); err != nil {
			t.Fatal(err)
		}

		// Phase 1: both processes decrypt every message.
		start := time.Now()
		results := runHelpers(t, "decrypt", hub, in, dir)
		t.Logf("%s: 2 processes x %d goroutines: %d messages each offered to both in %v", be.name, helperWorkers, total, time.Since(start))
		var a, b []outcome
		if err := readJSON(results[0], &a); err != nil {
			t.Fatal(err)
		}
		if err := readJSON(results[1], &b); err != nil {
			t.Fatal(err)
		}
		split := [2]int{}
		for i := range msgs {
			ok := 0
			for k, r := range []outcome{a[i], b[i]} {
				switch r.Status {
				case "ok":
					ok++
					split[k]++
					if r.Plaintext != msgs[i].Plaintext {
						t.Fatalf("message %d decrypted to %q, want %q", i, r.Plaintext, msgs[i].Plaintext)
					}
				case "dup":
				default:
					t.Fatalf("message %d in process %d: %s %s", i, k, r.Status, r.Err)
				}
			}
			if ok != 1 {
				t.Fatalf("message %d decrypted %d times across the processes, want 1", i, ok)
			}
		}
		t.Logf("%s: decrypted %d by process 1, %d by process 2; every other attempt refused as a duplicate", be.name, split[0], split[1])
		if o, k, _ := hub.store.PreKeyCount(ctx); o != 0 || k != 0 {
			t.Fatalf("%d one-time prekeys and %d one-time KEM prekeys left, want 0", o, k)
		}

		// Phase 2: both processes encrypt to the peers.
		var addrs []session.Address
		for _, p := range ps {
			addrs = append(addrs, p.addr)
		}
		for k := range 2 {
			if err := writeJSON(filepath.Join(dir, fmt.Sprintf("job%d.json", k)), encryptJob{Peers: addrs, Count: total / 2, Prefix: fmt.Sprintf("p%d", k)}); err != nil {
				t.Fatal(err)
			}
		}
		start = time.Now()
		outs := runHelpers(t, "encrypt", hub, filepath.Join(dir, "job%d.json"), dir)
		t.Logf("%s: 2 processes x %d goroutines encrypted %d messages in %v", be.name, helperWorkers, total/2*2, time.Since(start))
		byPeer := map[session.Address]*memPeer{}
		for _, p := range ps {
			byPeer[p.addr] = p
		}
		seen := map[string]bool{}
		for _, path := range outs {
			var sent []wireMsg
			if err := readJSON(path, &sent); err != nil {
				t.Fatal(err)
			}
			for _, m := range sent {
				pt, err := byPeer[m.Peer].m.Decrypt(ctx, hub.addr(), session.Message{Type: m.Type, Body: m.Body})
				if err != nil {
					t.Fatalf("%v decrypting %q: %v", m.Peer, m.Plaintext, err)
				}
				if string(pt) != m.Plaintext || seen[m.Plaintext] {
					t.Fatalf("got %q for %q (seen before: %v)", pt, m.Plaintext, seen[m.Plaintext])
				}
				seen[m.Plaintext] = true
			}
		}
		if len(seen) != total/2*2 {
			t.Fatalf("%d messages decrypted, want %d", len(seen), total/2*2)
		}
	})
}

// runHelpers runs two helper processes at once in mode on hub's database.
// in may hold %d (replaced by the process number). It returns their output
// files.
func runHelpers(t *testing.T, mode string, hub *device, in, dir string) []string {
	t.Helper()
	outs := make([]string, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for k := range 2 {
		outs[k] = filepath.Join(dir, fmt.Sprintf("%s-out%d.json", mode, k))
		inK := in
		if strings.Contains(in, "%d") {
			inK = fmt.Sprintf(in, k)
		}
		cmd := helper(mode, hub.driver, hub.dsn, inK, outs[k], k+1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[k] = fmt.Errorf("process %d: %v: %s", k, err, out)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return outs
}

// TestCrashBetweenRecordAndPreKeys: a process dies (os.Exit inside the
// transaction) after writing the new record and before deleting the
// one-time prekeys. The database must show neither, and the message must
// then decrypt once.
func TestCrashBetweenRecordAndPreKeys(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		hub := newDevice(t, be, "hub")
		p := newMemPeer(t, "peer")
		if err := p.m.ProcessBundle(ctx, hub.addr(), hub.bundle(t, true, true, true)); err != nil {
			t.Fatal(err)
		}
		otk, kem := hub.next-1, hub.next
		m, err := p.m.Encrypt(ctx, hub.addr(), []byte("after the crash"))
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		in := filepath.Join(dir, "msg.json")
		if err := writeJSON(in, wireMsg{Peer: p.addr, Type: m.Type, Body: m.Body}); err != nil {
			t.Fatal(err)
		}
		out, err := helper("crash", hub.driver, hub.dsn, in, "", 0).CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 3 {
			t.Fatalf("helper did not crash where expected: %v: %s", err, out)
		}
		fresh := hub.reopen(t)
		checkUntouched(t, fresh, p.addr, otk, kem)
		pt, err := fresh.m.Decrypt(ctx, p.addr, m)
		if err != nil || string(pt) != "after the crash" {
			t.Fatalf("after the crash: %q, %v", pt, err)
		}
		if fresh.hasPreKey(t, otk) {
			t.Fatal("one-time prekey not consumed")
		}
	})
}

// TestSIGKILLDuringDecrypts: a process decrypts messages with DecryptWith,
// its handler appending each plaintext to a log (fsync) before the state
// commits, and is killed with SIGKILL at random points and restarted until
// it gets through. Every message must be in the log at least once, and
// every message must then be refused as a duplicate.
func TestSIGKILLDuringDecrypts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		total := 1000
		if testing.Short() {
			total = 200
		}
		hub := newDevice(t, be, "hub")
		const peers = 4
		var ps []*memPeer
		for i := range peers {
			p := newMemPeer(t, fmt.Sprintf("peer%d", i))
			ps = append(ps, p)
			if err := p.m.ProcessBundle(ctx, hub.addr(), hub.bundle(t, true, i%2 == 0)); err != nil {
				t.Fatal(err)
			}
		}
		rng := mrand.New(mrand.NewPCG(7, 7))
		var msgs []wireMsg
		for i := range total {
			p := ps[rng.IntN(peers)]
			text := fmt.Sprintf("m%d", i)
			m, err := p.m.Encrypt(ctx, hub.addr(), []byte(text))
			if err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, wireMsg{Peer: p.addr, Type: m.Type, Body: m.Body, Plaintext: text})
		}
		dir := t.TempDir()
		in, logPath := filepath.Join(dir, "in.json"), filepath.Join(dir, "delivered.log")
		if err := writeJSON(in, msgs); err != nil {
			t.Fatal(err)
		}
		kills := 0
		for run := 0; ; run++ {
			if run > 200 {
				t.Fatal("the helper never got through")
			}
			cmd := helper("deliver", hub.driver, hub.dsn, in, logPath, run)
			var stdout strings.Builder
			cmd.Stdout = &stdout
			cmd.Stderr = &stdout
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			var err error
			if kills < 15 {
				select {
				case err = <-done:
				case <-time.After(time.Duration(50+rng.IntN(400)) * time.Millisecond):
					cmd.Process.Signal(syscall.SIGKILL)
					<-done
					kills++
					continue
				}
			} else {
				err = <-done
			}
			if err != nil {
				t.Fatalf("run %d: %v: %s", run, err, stdout.String())
			}
			if !strings.Contains(stdout.String(), "done") {
				t.Fatalf("run %d ended without finishing: %s", run, stdout.String())
			}
			break
		}
		f, err := os.Open(logPath)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		count := make([]int, total)
		sc := bufio.NewScanner(f)
		lines := 0
		for sc.Scan() {
			var i int
			var text string
			if _, err := fmt.Sscanf(sc.Text(), "%d %s", &i, &text); err != nil || i < 0 || i >= total || text != msgs[i].Plaintext {
				t.Fatalf("bad log line %q", sc.Text())
			}
			count[i]++
			lines++
		}
		for i, n := range count {
			if n == 0 {
				t.Fatalf("message %d never reached the handler", i)
			}
		}
		fresh := hub.reopen(t)
		for i, m := range msgs {
			if _, err := fresh.m.Decrypt(ctx, m.Peer, session.Message{Type: m.Type, Body: m.Body}); !errors.Is(err, session.ErrDuplicateMessage) {
				t.Fatalf("message %d after the runs: %v, want ErrDuplicateMessage", i, err)
			}
		}
		t.Logf("%s: %d messages, %d SIGKILLs: %d deliveries (%d repeated after a kill), none lost; all refused as duplicates afterwards",
			be.name, total, kills, lines, lines-total)
	})
}
