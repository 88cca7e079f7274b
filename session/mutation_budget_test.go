package session_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/forwardsecret/signal/internal/wire"
	"github.com/forwardsecret/signal/ratchet"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/spqr"
)

// Tests of the decrypt budget (MaxDecryptWork, ArchivedStateWork,
// NewChainWork, MaxDecryptSPQRSteps) at its exact boundaries, added for
// mutants that survived the suite (docs/mutation.md).

// newChainCounter is the counter of a message on a chain new to a state
// whose attempt costs exactly work: the chain steps and message-key seeds
// of ratchet.Cost.Work (counter+1 steps, counter+1 seeds but at most
// MaxSkippedKeysPerChain+1) plus NewChainWork.
func newChainCounter(t *testing.T, work int) int {
	t.Helper()
	c := work - session.NewChainWork - ratchet.MaxSkippedKeysPerChain - 2
	if c < ratchet.MaxSkippedKeysPerChain || c > ratchet.MaxForwardJump {
		t.Fatalf("no new-chain counter costs %d", work)
	}
	return c
}

// skipSending makes the next message from to peer carry counter n more
// than it would (from's current state must be v3).
func skipSending(t *testing.T, from, peer *device, n int) {
	t.Helper()
	ctx := context.Background()
	rec, err := from.store.LoadSession(ctx, peer.addr())
	if err != nil {
		t.Fatal(err)
	}
	if err := session.SkipSending(rec, n); err != nil {
		t.Fatal(err)
	}
	if err := from.store.StoreSession(ctx, peer.addr(), rec, session.Consumed{}); err != nil {
		t.Fatal(err)
	}
}

// v3Session starts a v3 session from alice to bob (no one-time or KEM
// prekey) with one message each way, so that alice's next message is on a
// chain new to bob.
func v3Session(t *testing.T, alice, bob *device, tag string) {
	t.Helper()
	if err := alice.m.ProcessBundle(context.Background(), bob.addr(), bob.bundle(t, false, false)); err != nil {
		t.Fatal(err)
	}
	recv(t, bob, alice, send(t, alice, bob, "hello "+tag), "hello "+tag)
	recv(t, alice, bob, send(t, bob, alice, "reply "+tag), "reply "+tag)
}

// workLimit returns the *ratchet.LimitError of the decrypt budget in err.
func workLimit(t *testing.T, err error) *ratchet.LimitError {
	t.Helper()
	var le *ratchet.LimitError
	if !errors.Is(err, session.ErrInvalidMessage) || !errors.Is(err, ratchet.ErrForwardJumpTooLarge) ||
		!errors.As(err, &le) || le.Limit != "MaxDecryptWork" || le.Max != session.MaxDecryptWork {
		t.Fatalf("got %v, want ErrInvalidMessage with a MaxDecryptWork *ratchet.LimitError", err)
	}
	return le
}

// TestDecryptWorkBudgetExact: a record whose only state is archived pays
// ArchivedStateWork to read it, and a message on a chain new to it costs
// its chain work plus NewChainWork. A message that costs exactly what is
// left of MaxDecryptWork decrypts; one that costs one more is refused with
// a *ratchet.LimitError whose Got is the whole decrypt's work
// (MaxDecryptWork+1), and changes nothing.
func TestDecryptWorkBudgetExact(t *testing.T) {
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	v3Session(t, alice, bob, "1")
	if err := bob.m.ArchiveSession(ctx, alice.addr()); err != nil {
		t.Fatal(err)
	}
	c := newChainCounter(t, session.MaxDecryptWork-session.ArchivedStateWork)
	skipSending(t, alice, bob, c)
	atBudget, over := send(t, alice, bob, "at budget"), send(t, alice, bob, "over budget")

	before := bob.store.SessionBytes(alice.addr())
	_, err := bob.m.Decrypt(ctx, alice.addr(), over)
	if le := workLimit(t, err); le.Got != session.MaxDecryptWork+1 {
		t.Fatalf("counter %d: LimitError.Got = %d, want MaxDecryptWork+1 = %d", c+1, le.Got, session.MaxDecryptWork+1)
	}
	if !bytes.Equal(before, bob.store.SessionBytes(alice.addr())) {
		t.Fatal("a message over the budget changed the record")
	}
	recv(t, bob, alice, atBudget, "at budget")
}

// TestDecryptWorkBudgetCurrentState pins the budget of one state's attempt
// (through the current state, with a chosen budget): a message on a new
// chain with counter 0 costs work(0) = 2 plus NewChainWork; on a budget of
// exactly that it decrypts and leaves 0, on one less it is refused with
// Got = MaxDecryptWork - budget + cost, and a budget of MaxDecryptWork
// takes a jump of MaxForwardJump messages on a new chain.
func TestDecryptWorkBudgetCurrentState(t *testing.T) {
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	v3Session(t, alice, bob, "1")
	msg := send(t, alice, bob, "first on a new chain")
	rec, err := bob.store.LoadSession(ctx, alice.addr())
	if err != nil {
		t.Fatal(err)
	}
	const cost = 2 + session.NewChainWork
	pt, left, _, err := session.DecryptCurrentWithin(rec, msg.Body, cost, session.MaxDecryptSPQRSteps)
	if err != nil || string(pt) != "first on a new chain" || left != 0 {
		t.Fatalf("on a budget of exactly its cost: %q, %d left, %v", pt, left, err)
	}
	_, left, _, err = session.DecryptCurrentWithin(rec, msg.Body, cost-1, session.MaxDecryptSPQRSteps)
	if le := workLimit(t, err); le.Got != session.MaxDecryptWork+1 || left != cost-1 {
		t.Fatalf("on a budget one short: Got %d (want %d), %d left (want %d)", le.Got, session.MaxDecryptWork+1, left, cost-1)
	}
	_, _, _, err = session.DecryptCurrentWithin(rec, msg.Body, 100, session.MaxDecryptSPQRSteps)
	if le := workLimit(t, err); le.Got != session.MaxDecryptWork-100+cost {
		t.Fatalf("on a budget of 100: Got %d, want %d", le.Got, session.MaxDecryptWork-100+cost)
	}

	// The largest jump: MaxForwardJump messages skipped on a new chain is
	// the whole of MaxDecryptWork.
	alice2, bob2 := newDevice(t, "alice"), newDevice(t, "bob")
	v3Session(t, alice2, bob2, "2")
	skipSending(t, alice2, bob2, ratchet.MaxForwardJump)
	recv(t, bob2, alice2, send(t, alice2, bob2, "the longest jump"), "the longest jump")
}

// TestDecryptBudgetReadsArchiveAtBoundary: a replayed message of an
// archived state that a failed attempt on the current state left exactly
// ArchivedStateWork for is recognised as a duplicate (the archived state
// is read); one that left one less is not read, and the verdict is the
// current state's (ErrInvalidMessage, not a budget error).
func TestDecryptBudgetReadsArchiveAtBoundary(t *testing.T) {
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	v3Session(t, alice, bob, "1")
	// The current state's attempt at a message on a chain new to it with
	// counter c costs MaxDecryptWork-ArchivedStateWork.
	c := newChainCounter(t, session.MaxDecryptWork-session.ArchivedStateWork)
	skipSending(t, alice, bob, c)
	exact, short := send(t, alice, bob, "exact"), send(t, alice, bob, "short")
	recv(t, bob, alice, exact, "exact")
	recv(t, bob, alice, short, "short")
	v3Session(t, alice, bob, "2") // archives session 1 in bob's record

	before := bob.store.SessionBytes(alice.addr())
	if _, err := bob.m.Decrypt(ctx, alice.addr(), exact); !errors.Is(err, session.ErrDuplicateMessage) {
		t.Fatalf("replay with ArchivedStateWork left after the current state: %v, want ErrDuplicateMessage", err)
	}
	_, err := bob.m.Decrypt(ctx, alice.addr(), short)
	var le *ratchet.LimitError
	if !errors.Is(err, session.ErrInvalidMessage) || errors.Is(err, session.ErrDuplicateMessage) || errors.As(err, &le) {
		t.Fatalf("replay with ArchivedStateWork-1 left: %v, want the current state's ErrInvalidMessage", err)
	}
	if !bytes.Equal(before, bob.store.SessionBytes(alice.addr())) {
		t.Fatal("a refused replay changed the record")
	}
}

// TestDecryptArchivedKnownChainFirst: among archived states, those whose
// receiving chains know the message's ratchet key are tried first. Here a
// message of the oldest archived state's chain fits the budget after the
// current state's attempt, but would not after a failed attempt on the
// newer archived state (a chain new to it, as costly as the current
// state's attempt).
func TestDecryptArchivedKnownChainFirst(t *testing.T) {
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	v3Session(t, alice, bob, "1")
	const known, counter = 10000, 11000
	skipSending(t, alice, bob, known)
	recv(t, bob, alice, send(t, alice, bob, "known"), "known")
	skipSending(t, alice, bob, counter-known-1)
	held := send(t, alice, bob, "held")
	v3Session(t, alice, bob, "2")
	v3Session(t, alice, bob, "3")
	if info, err := bob.m.Info(ctx, alice.addr()); err != nil || info.ArchivedStates != 2 {
		t.Fatalf("bob's record: %+v, %v; want 2 archived states", info, err)
	}

	newChain := counter + ratchet.MaxSkippedKeysPerChain + 2 + session.NewChainWork
	jump := counter - known - 1
	ownChain := jump + 1 + jump + 1
	left := session.MaxDecryptWork - newChain - 2*session.ArchivedStateWork
	if ownChain > left || ownChain <= left-newChain {
		t.Fatalf("test constants: own chain %d, left %d, new chain %d", ownChain, left, newChain)
	}
	recv(t, bob, alice, held, "held")
}

// TestDecryptSPQRStepBudget pins MaxDecryptSPQRSteps' accounting through
// the current state of a v4 session: a decrypt takes the SPQR chain steps
// it needs from the budget, a budget of exactly those steps suffices and
// one step fewer is refused with spqr.ErrKeyJump, saying how much of
// MaxDecryptSPQRSteps was left; with the whole budget, a jump beyond the
// SPQR chain's own bound is refused without that note.
func TestDecryptSPQRStepBudget(t *testing.T) {
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true)); err != nil {
		t.Fatal(err)
	}
	recv(t, bob, alice, send(t, alice, bob, "hello"), "hello")
	recv(t, alice, bob, send(t, bob, alice, "reply"), "reply")
	for range 5 {
		send(t, alice, bob, "skipped")
	}
	msg := send(t, alice, bob, "sixth")
	rec, err := bob.store.LoadSession(ctx, alice.addr())
	if err != nil {
		t.Fatal(err)
	}
	const budget = 1000
	pt, _, left, err := session.DecryptCurrentWithin(rec, msg.Body, session.MaxDecryptWork, budget)
	if err != nil || string(pt) != "sixth" {
		t.Fatalf("decrypt: %q, %v", pt, err)
	}
	used := budget - left
	if used == 0 || used >= budget/2 {
		t.Fatalf("the decrypt took %d SPQR steps of %d", used, budget)
	}
	if pt, _, left, err := session.DecryptCurrentWithin(rec, msg.Body, session.MaxDecryptWork, used); err != nil || string(pt) != "sixth" || left != 0 {
		t.Fatalf("on exactly the %d steps it needs: %q, %d left, %v", used, pt, left, err)
	}
	_, _, left, err = session.DecryptCurrentWithin(rec, msg.Body, session.MaxDecryptWork, used-1)
	if !errors.Is(err, session.ErrInvalidMessage) || !errors.Is(err, spqr.ErrKeyJump) || left != used-1 {
		t.Fatalf("on one step fewer: %v (%d left), want ErrKeyJump", err, left)
	}
	if !strings.Contains(err.Error(), "MaxDecryptSPQRSteps") {
		t.Fatalf("a refusal on a partly spent budget does not name MaxDecryptSPQRSteps: %v", err)
	}

	// A jump beyond the chain's own bound, on the whole budget.
	far := forgeSPQRIndex(t, msg, spqr.DefaultMaxJump+100)
	_, _, left, err = session.DecryptCurrentWithin(rec, far.Body, session.MaxDecryptWork, session.MaxDecryptSPQRSteps)
	if !errors.Is(err, session.ErrInvalidMessage) || !errors.Is(err, spqr.ErrKeyJump) || left != session.MaxDecryptSPQRSteps {
		t.Fatalf("SPQR jump beyond DefaultMaxJump: %v (%d left), want ErrKeyJump", err, left)
	}
	if strings.Contains(err.Error(), "MaxDecryptSPQRSteps") {
		t.Fatalf("a refusal on the whole budget blames MaxDecryptSPQRSteps: %v", err)
	}
	// The same message through Decrypt: refused the same way.
	if _, err := bob.m.Decrypt(ctx, alice.addr(), far); !errors.Is(err, spqr.ErrKeyJump) || strings.Contains(err.Error(), "MaxDecryptSPQRSteps") {
		t.Fatalf("Decrypt of an SPQR jump beyond DefaultMaxJump: %v", err)
	}
}

// forgeSPQRIndex returns msg (a v4 SignalMessage) with its SPQR index moved
// ahead by jump, under msg's MAC (so it would never authenticate).
func forgeSPQRIndex(t *testing.T, msg session.Message, jump uint32) session.Message {
	t.Helper()
	rm, err := wire.ParseSignalMessage(msg.Body)
	if err != nil {
		t.Fatal(err)
	}
	sm := rm.SignalMessage
	pm, err := spqr.ParseMessage(sm.PQRatchet)
	if err != nil {
		t.Fatal(err)
	}
	pm.Index += jump
	if sm.PQRatchet, err = pm.MarshalBinary(); err != nil {
		t.Fatal(err)
	}
	b, err := sm.AppendUnsigned(nil)
	if err != nil {
		t.Fatal(err)
	}
	return session.Message{Type: session.TypeSignal, Body: append(b, rm.MAC[:]...)}
}
