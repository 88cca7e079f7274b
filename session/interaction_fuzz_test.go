package session_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/x3dh"
)

// Limits of the interaction targets.
const (
	// interactionMaxActions is the number of action bytes FuzzInteraction
	// plays; the rest of a longer input is ignored. A conversation's cost
	// grows with its length (each change of direction is a Diffie-Hellman
	// ratchet step, each restart decodes a store), and CI runs the target
	// for 60,000 executions.
	interactionMaxActions = 32
	// interactionLongMaxActions is FuzzInteractionLong's.
	interactionLongMaxActions = 256
	// interactionClasses is the number of setups the targets build, each
	// once per process: a seed plays on setup seed % interactionClasses. It
	// is a multiple of 6, so that the setup's one-time prekey (class % 2 ==
	// 0) and Kyber prekey (class % 3 == 0) are the seed's, as they were
	// when every execution built its own.
	interactionClasses = 12
)

// interactionSeeds are the seed corpus of both interaction targets.
var interactionSeeds = []struct {
	seed    uint64
	actions []byte
}{
	{1, []byte{0, 2, 1, 2, 0, 0, 5, 2, 2}},
	{2, []byte{0, 0, 0, 4, 2, 2, 2, 1, 6, 2, 7, 1, 2}},
	{3, []byte{0, 3, 0, 2, 8, 1, 1, 5, 2, 2, 0, 7, 2}},
	{4, bytes.Repeat([]byte{0, 1, 2, 2, 5, 4, 6, 7, 8}, 8)},
	// Eight round trips (a v4 setup): more receiving chains than a
	// ratchet keeps (ratchet.MaxReceiverChains), within FuzzInteraction's
	// interactionMaxActions.
	{6, bytes.Repeat([]byte{0, 2, 1, 2}, 8)},
}

// FuzzInteraction is the stateful two-party target: a seed picks the setup
// (interactionSetup: the keys, and Alice's session from Bob's bundle) and
// fixes all randomness after it, and each action byte drives Alice and Bob:
// send either way, deliver, drop, duplicate, reorder, tamper, or restart a
// side from its encoded store. After every step it checks the invariants of
// ARCHITECTURE.md: no panic; a decrypt either yields exactly the plaintext
// that was sent, once, or fails and leaves the stored record byte-identical.
//
// It plays the first interactionMaxActions actions of an input, and a
// restart of a side that has done nothing since its last restart (its store
// is then one that a decode returned, untouched) is skipped; that is what
// lets CI afford 60,000 executions. FuzzInteractionLong has neither limit.
func FuzzInteraction(f *testing.F) {
	for _, s := range interactionSeeds {
		f.Add(s.seed, s.actions)
	}
	f.Fuzz(func(t *testing.T, seed uint64, actions []byte) {
		playInteraction(t, seed, actions, false)
	})
}

// FuzzInteractionLong is FuzzInteraction with conversations of up to
// interactionLongMaxActions actions in which every restart encodes and
// decodes the store, as FuzzInteraction played them before it had to fit
// CI. CI does not fuzz it (its seeds run as tests); run it locally, for
// example with FUZZTIME=10m FUZZ_ONLY=FuzzInteractionLong .ci/fuzz.
func FuzzInteractionLong(f *testing.F) {
	for _, s := range interactionSeeds {
		f.Add(s.seed, s.actions)
	}
	f.Fuzz(func(t *testing.T, seed uint64, actions []byte) {
		playInteraction(t, seed, actions, true)
	})
}

// interactionSetup is what a conversation starts from: Alice and Bob, each
// with an identity key and a signed prekey, Bob with a one-time prekey if
// oneTime and a last-resort Kyber prekey if pq, and Alice with a session made
// from Bob's bundle with those prekeys. It holds keys and Alice's encoded
// record, never a live store, so one setup starts any number of
// conversations; nothing in a conversation changes a key (a used prekey is
// removed from its store, not cleared). Kyber prekeys that no message can
// use (Alice's, and Bob's when his bundle has none) are left out: each
// would cost an ML-KEM key derivation at every restart of its side, and a
// pq setup's restarts encode and decode Bob's.
type interactionSetup struct {
	oneTime, pq bool
	alice, bob  interactionKeys
	// record is Alice's session with Bob (Record.MarshalBinary).
	record []byte
}

// interactionKeys are one side's keys.
type interactionKeys struct {
	id      *curve.IdentityKeyPair
	regID   uint32
	spk     *x3dh.SignedPreKey
	oneTime *x3dh.OneTimePreKey // nil unless a one-time prekey is published
	kem     *x3dh.KEMPreKey     // nil unless a Kyber prekey is published
}

// keysOf returns d's keys; oneTime is the id of its one-time prekey, or 0.
func keysOf(t *testing.T, d *device, oneTime uint32, kem bool) interactionKeys {
	ctx := context.Background()
	k := interactionKeys{id: d.id, spk: d.spk}
	var err error
	if k.regID, err = d.store.LocalRegistrationID(ctx); err != nil {
		t.Fatal(err)
	}
	if oneTime != 0 {
		if k.oneTime, err = d.store.LoadPreKey(ctx, oneTime); err != nil {
			t.Fatal(err)
		}
	}
	if kem {
		k.kem = d.kem
	}
	return k
}

// store returns a new store with the keys.
func (k interactionKeys) store(t *testing.T) *memstore.Store {
	ctx := context.Background()
	st := memstore.New(k.id, k.regID)
	err := st.AddSignedPreKey(ctx, k.spk)
	if k.oneTime != nil {
		err = errors.Join(err, st.AddPreKey(ctx, k.oneTime))
	}
	if k.kem != nil {
		err = errors.Join(err, st.AddLastResortKEMPreKey(ctx, k.kem))
	}
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// interactionClock is the clock of every Manager of the interaction
// targets: a fixed time, so that a setup's session (which records when it
// was made) is the same whenever it is built.
var interactionClock = session.WithClock(func() time.Time { return time.Unix(1_800_000_000, 0) })

// interactionSetups caches the setups, each built on first use: building
// one (five key pairs, two of them Kyber, signatures and a PQXDH handshake)
// costs more than most conversations.
var (
	interactionMu     sync.Mutex
	interactionSetups [interactionClasses]*interactionSetup
)

// interactionSetupFor returns setup class, from the cache or built.
func interactionSetupFor(t *testing.T, class uint64) *interactionSetup {
	interactionMu.Lock()
	defer interactionMu.Unlock()
	if s := interactionSetups[class]; s != nil {
		return s
	}
	s := newInteractionSetup(t, class)
	interactionSetups[class] = s
	return s
}

// newInteractionSetup builds setup class with the global random source
// seeded by the class alone, so that a setup is the same in every process
// and an execution depends on its seed and actions only, whichever setups
// its process built before.
func newInteractionSetup(t *testing.T, class uint64) *interactionSetup {
	cryptotest.SetGlobalRandom(t, 1<<32|class)
	ctx := context.Background()
	s := &interactionSetup{oneTime: class%2 == 0, pq: class%3 == 0}
	alice, bob := newDevice(t, "alice", interactionClock), newDevice(t, "bob", interactionClock)
	if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, s.oneTime, s.pq)); err != nil {
		t.Fatal(err)
	}
	rec, err := alice.store.LoadSession(ctx, bob.addr())
	if err != nil {
		t.Fatal(err)
	}
	if s.record, err = rec.MarshalBinary(); err != nil {
		t.Fatal(err)
	}
	var otp uint32
	if s.oneTime {
		otp = bob.next
	}
	s.alice, s.bob = keysOf(t, alice, 0, false), keysOf(t, bob, otp, s.pq)
	return s
}

// start returns a new Alice and Bob in the setup's state.
func (s *interactionSetup) start(t *testing.T) (alice, bob *device) {
	ctx := context.Background()
	ast, bst := s.alice.store(t), s.bob.store(t)
	rec, err := session.ParseRecord(s.record)
	if err != nil {
		t.Fatal(err)
	}
	bobAddr := session.Address{Name: "bob", DeviceID: 1}
	if err := errors.Join(ast.SaveIdentity(ctx, bobAddr, s.bob.id.PublicKey()), ast.StoreSession(ctx, bobAddr, rec, session.Consumed{})); err != nil {
		t.Fatal(err)
	}
	alice = &device{name: "alice", store: ast, m: session.NewManager(session.StoresOf(ast), interactionClock)}
	bob = &device{name: "bob", store: bst, m: session.NewManager(session.StoresOf(bst), interactionClock)}
	return alice, bob
}

// playInteraction plays a conversation on setup seed % interactionClasses,
// with the global random source seeded by seed, and returns the number of
// messages delivered. long selects FuzzInteractionLong's limits.
func playInteraction(t *testing.T, seed uint64, actions []byte, long bool) (delivered int) {
	maxActions := interactionMaxActions
	if long {
		maxActions = interactionLongMaxActions
	}
	if len(actions) > maxActions {
		actions = actions[:maxActions]
	}
	alice, bob := interactionSetupFor(t, seed%interactionClasses).start(t)
	cryptotest.SetGlobalRandom(t, seed)
	ctx := context.Background()
	type inflight struct {
		from, to *device
		msg      session.Message
		text     string
	}
	var queue []inflight
	// decoded[d] is whether d's store is what a decode returned, with no
	// operation on it since.
	decoded := map[*device]bool{}
	seen := map[string]bool{}
	n := 0
	deliver := func(m inflight, tampered bool) {
		before := m.to.store.SessionBytes(m.from.addr())
		decoded[m.to] = false
		pt, err := m.to.m.Decrypt(ctx, m.from.addr(), m.msg)
		if err != nil {
			if !bytes.Equal(before, m.to.store.SessionBytes(m.from.addr())) {
				t.Fatalf("failed decrypt (%v) changed the record", err)
			}
			if seen[m.text] && !tampered && !errors.Is(err, session.ErrDuplicateMessage) {
				t.Fatalf("replay of %q: %v, want ErrDuplicateMessage", m.text, err)
			}
			return
		}
		if tampered && string(pt) != m.text {
			t.Fatalf("tampered message decrypted to %q", pt)
		}
		if string(pt) != m.text {
			t.Fatalf("got %q, want %q", pt, m.text)
		}
		if seen[m.text] {
			t.Fatalf("%q decrypted twice", m.text)
		}
		seen[m.text] = true
		delivered++
	}
	for _, a := range actions {
		switch a % 9 {
		case 0, 1: // send
			from, to := alice, bob
			if a%9 == 1 {
				from, to = bob, alice
			}
			text := fmt.Sprint("m", n)
			n++
			decoded[from] = false
			msg, err := from.m.Encrypt(ctx, to.addr(), []byte(text))
			if err != nil {
				if errors.Is(err, session.ErrNoSession) {
					continue // Bob has not heard from Alice yet
				}
				t.Fatalf("encrypt: %v", err)
			}
			queue = append(queue, inflight{from, to, msg, text})
		case 2: // deliver the oldest
			if len(queue) > 0 {
				deliver(queue[0], false)
				queue = queue[1:]
			}
		case 3: // drop the oldest
			if len(queue) > 0 {
				queue = queue[1:]
			}
		case 4: // duplicate the oldest
			if len(queue) > 0 {
				queue = append(queue, queue[0])
			}
		case 5: // reorder: newest first
			if len(queue) > 1 {
				queue[0], queue[len(queue)-1] = queue[len(queue)-1], queue[0]
			}
		case 6: // tamper with the oldest and deliver the copy
			if len(queue) > 0 {
				m := queue[0]
				m.msg.Body = bytes.Clone(m.msg.Body)
				m.msg.Body[int(a)%len(m.msg.Body)] ^= 1 << (a % 8)
				deliver(m, true)
			}
		case 7, 8: // restart a side from its encoded store
			d := alice
			if a%9 == 8 {
				d = bob
			}
			if decoded[d] && !long {
				continue
			}
			decoded[d] = true
			b, err := d.store.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			st, err := memstore.Unmarshal(b)
			if err != nil {
				t.Fatalf("restart: %v", err)
			}
			d.store, d.m = st, session.NewManager(session.StoresOf(st), interactionClock)
		}
	}
	return delivered
}
