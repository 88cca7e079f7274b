package interop_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/forwardsecret/signal/compat/gomau"
	"github.com/forwardsecret/signal/compat/libsignal"
	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/interop/libparty"
	"github.com/forwardsecret/signal/interop/peer"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
)

// Live continuation (issue #19): a device M talks to a peer P, its state is
// moved mid-conversation to another library, which carries on as M while P
// (one process, never restarted) notices nothing.
//
//   - TestContinuationFromPeers: M is a peer process (node-v4: the official
//     libsignal, v4 with SPQR; c: libsignal-protocol-c, v3; gomau:
//     go.mau.fi/libsignal, v3), P another process of the same library. M's
//     state is exported in its library's own record formats (export_state),
//     imported with package compat into a memstore, and a session.Manager
//     (and a senderkey.Cipher) continue as M.
//   - TestContinuationToLibsignal: M is this library, P the official
//     libsignal; M's state is exported with compat/libsignal's Export
//     functions, a fresh node-v4 process imports it (import_state) and
//     continues as M.
//
// Scenarios (where M stands when its state moves):
//
//   - initiator-mid: M started the session; after a conversation, with
//     messages of both directions still in flight (held back, some of them
//     skipped by the receiver already), and, for peers with group ops,
//     sender keys of both M and P.
//   - initiator-pending: M started the session and P answered, but no answer
//     reached M yet: M's record is unacknowledged (M keeps sending PreKey
//     messages after the move until P's answers, sent before it, arrive).
//   - responder-mid: P started the session from M's bundle; mid-conversation.
//   - responder-fresh: M published a bundle (one-time prekey, and for v4 a
//     Kyber prekey) and moved before any message: P's PreKey messages, sent
//     before the move and after it, are decrypted with the imported prekeys.
//
// After the move, at least contMinEach messages go each way (bursts,
// shuffled within a burst, some held back across ratchet turns), the
// messages held back before the move are delivered after it, every message
// must decrypt to what was sent, and the message types must follow the
// protocol (the initiator sends PreKey messages until it has decrypted a
// reply, across the move). Group messages: contGroupMessages each way after
// the move, shuffled, with P's held-back pre-move messages delivered late.

const (
	contMinEach       = 100 // messages each way after the move
	contGroupMessages = 30  // group messages each way after the move
)

var contScenarios = []string{"initiator-mid", "initiator-pending", "responder-mid", "responder-fresh"}

// contFlight is a message on its way.
type contFlight struct {
	from int // 0: M, 1: P
	idx  int // sequence number within its direction
	era  int // 0 before the move, 1 after
	due  int // held back: delivered once this many bursts have been sent
	msg  peer.Message
	pt   []byte
}

// contStats counts what a continuation did; [era][from] and [from].
type contStats struct {
	Sent, Delivered [2][2]int
	PreKey          [2][2]int
	OutOfOrder      [2]int // by era of delivery: delivered after a later message of the same direction
	AcrossMove      [2]int // by sender: sent before the move, delivered after
	Turns           int
}

func (s contStats) String() string {
	return fmt.Sprintf("before the move: M->P %d (prekey %d), P->M %d (prekey %d); after: M->P %d (prekey %d), P->M %d (prekey %d); "+
		"out-of-order before/after %d/%d; held across the move M->P %d, P->M %d; turns %d",
		s.Sent[0][0], s.PreKey[0][0], s.Sent[0][1], s.PreKey[0][1], s.Sent[1][0], s.PreKey[1][0], s.Sent[1][1], s.PreKey[1][1],
		s.OutOfOrder[0], s.OutOfOrder[1], s.AcrossMove[0], s.AcrossMove[1], s.Turns)
}

// continuation drives a 1:1 conversation between M (side 0, replaceable) and
// P (side 1) with a pool of held-back messages that survives the move.
type continuation struct {
	t            *testing.T
	ctx          context.Context
	party        [2]peer.Party
	addr         [2]peer.Address // addr[i]: how the other side names side i
	version      byte            // first byte of every message: 0x33 or 0x44
	initiator    int
	received     [2]bool // side i has decrypted a message
	rng          *rand.Rand
	era          int
	bursts       int
	next         [2]int // next sequence number by sender
	maxDelivered [2]int // by sender
	held         []contFlight
	st           contStats
}

func newContinuation(t *testing.T, m, p peer.Party, mAddr, pAddr peer.Address, version byte, initiator int) *continuation {
	return &continuation{
		t: t, ctx: context.Background(), party: [2]peer.Party{m, p}, addr: [2]peer.Address{mAddr, pAddr},
		version: version, initiator: initiator, rng: rand.New(rand.NewPCG(seedOf(t.Name()), 0xc0)),
		maxDelivered: [2]int{-1, -1},
	}
}

func (c *continuation) label(from int) string {
	return fmt.Sprintf("%s -> %s", c.party[from].Label(), c.party[1-from].Label())
}

// burst has side from send n messages, delivers them shuffled except hold
// of them (chosen at random, or the first sent if earliest), which are
// delivered once dueAfter more bursts have been sent; then it delivers the
// held messages that are due.
func (c *continuation) burst(from, n, hold, dueAfter int, earliest bool) {
	c.t.Helper()
	fl := make([]contFlight, n)
	for i := range fl {
		pt := make([]byte, 1+c.rng.IntN(120))
		for j := range pt {
			pt[j] = byte(c.rng.Uint32())
		}
		copy(pt, fmt.Sprintf("%d/%d/%d:", from, c.era, c.next[from]))
		m, err := c.party[from].Encrypt(c.ctx, c.addr[1-from], pt)
		if err != nil {
			c.t.Fatalf("era %d, message %d (%s): encrypt: %v\n%v", c.era, c.next[from], c.label(from), err, c.st)
		}
		want := peer.TypeSignal
		if from == c.initiator && !c.received[from] {
			want = peer.TypePreKey
		}
		if m.Type != want {
			c.t.Fatalf("era %d, message %d (%s): type %d, want %d", c.era, c.next[from], c.label(from), m.Type, want)
		}
		// A PreKey message's first byte is its version too.
		if len(m.Body) == 0 || m.Body[0] != c.version {
			c.t.Fatalf("era %d, message %d (%s): first byte %x, want %#x", c.era, c.next[from], c.label(from), m.Body[:min(1, len(m.Body))], c.version)
		}
		if m.Type == peer.TypePreKey {
			c.st.PreKey[c.era][from]++
		}
		fl[i] = contFlight{from: from, idx: c.next[from], era: c.era, msg: m, pt: pt}
		c.next[from]++
		c.st.Sent[c.era][from]++
	}
	if earliest {
		c.rng.Shuffle(n-hold, func(i, j int) { fl[hold+i], fl[hold+j] = fl[hold+j], fl[hold+i] })
	} else {
		c.rng.Shuffle(n, func(i, j int) { fl[i], fl[j] = fl[j], fl[i] })
	}
	c.bursts++
	for i, f := range fl {
		if i < hold {
			f.due = c.bursts + dueAfter
			c.held = append(c.held, f)
			continue
		}
		c.deliver(f)
	}
	var keep []contFlight
	for _, f := range c.held {
		if f.due <= c.bursts {
			c.deliver(f)
		} else {
			keep = append(keep, f)
		}
	}
	c.held = keep
}

func (c *continuation) deliver(f contFlight) {
	c.t.Helper()
	to := 1 - f.from
	pt, err := c.party[to].Decrypt(c.ctx, c.addr[f.from], f.msg)
	if err != nil {
		c.t.Fatalf("message %d of era %d (%s, type %d) in era %d: decrypt: %v\n%v", f.idx, f.era, c.label(f.from), f.msg.Type, c.era, err, c.st)
	}
	if !bytes.Equal(pt, f.pt) {
		c.t.Fatalf("message %d of era %d (%s): plaintext %x, want %x", f.idx, f.era, c.label(f.from), pt, f.pt)
	}
	c.received[to] = true
	if f.idx < c.maxDelivered[f.from] {
		c.st.OutOfOrder[c.era]++
	}
	c.maxDelivered[f.from] = max(c.maxDelivered[f.from], f.idx)
	if f.era == 0 && c.era == 1 {
		c.st.AcrossMove[f.from]++
	}
	c.st.Delivered[c.era][f.from]++
}

// run has the sides talk, starting with side first, until each has sent
// minEach messages in this era: bursts of 1..maxBurst, the other side
// answering three times in four, one or two messages of a third of the
// bursts held back for one or two bursts.
func (c *continuation) run(first, minEach, maxBurst int) {
	c.t.Helper()
	from := first
	for c.st.Sent[c.era][0] < minEach || c.st.Sent[c.era][1] < minEach {
		if from != c.initiator && !c.received[from] {
			from = c.initiator // the responder has no session yet
		}
		n := 1 + c.rng.IntN(maxBurst)
		hold := 0
		if n >= 2 && c.rng.IntN(3) == 0 {
			hold = 1 + c.rng.IntN(min(2, n-1))
		}
		c.burst(from, n, hold, 1+c.rng.IntN(2), false)
		if c.rng.IntN(4) != 0 {
			from = 1 - from
			c.st.Turns++
		}
	}
}

// flush delivers every held message.
func (c *continuation) flush() {
	c.t.Helper()
	for _, f := range c.held {
		c.deliver(f)
	}
	c.held = nil
	if sent, got := c.st.Sent[0][0]+c.st.Sent[0][1]+c.st.Sent[1][0]+c.st.Sent[1][1],
		c.st.Delivered[0][0]+c.st.Delivered[0][1]+c.st.Delivered[1][0]+c.st.Delivered[1][1]; sent != got {
		c.t.Fatalf("delivered %d of %d messages", got, sent)
	}
}

// move replaces M by next.
func (c *continuation) move(next peer.Party) {
	c.party[0] = next
	c.era = 1
}

// group is a sender-key group of M and P with messages held back across the
// move.
type contGroup struct {
	t    *testing.T
	ctx  context.Context
	mem  [2]groupMember
	rng  *rand.Rand
	held []groupFlight
	sent [2][2]int // [era][from]
	late int       // P's messages sent before the move, decrypted after
	ooo  int       // delivered after a later message of the same sender
	max  [2]int
}

type groupFlight struct {
	from, seq, era int
	body, pt       []byte
}

func (g *contGroup) setup() {
	g.t.Helper()
	g.max = [2]int{-1, -1}
	for i := range 2 {
		skdm, err := g.mem[i].distribution(g.ctx)
		if err != nil {
			g.t.Fatalf("%s: distribution: %v", g.mem[i].label(), err)
		}
		if err := g.mem[1-i].process(g.ctx, g.mem[i].address(), skdm); err != nil {
			g.t.Fatalf("%s: process: %v", g.mem[1-i].label(), err)
		}
	}
}

// send has member from send n group messages and delivers them shuffled,
// holding back hold of them (delivered by flush).
func (g *contGroup) send(era, from, n, hold int) {
	g.t.Helper()
	fl := make([]groupFlight, n)
	for i := range fl {
		seq := g.sent[0][from] + g.sent[1][from]
		pt := []byte(fmt.Sprintf("group %d/%d/%d", from, era, seq))
		body, err := g.mem[from].encrypt(g.ctx, pt)
		if err != nil {
			g.t.Fatalf("era %d: %s: group encrypt: %v", era, g.mem[from].label(), err)
		}
		g.sent[era][from]++
		fl[i] = groupFlight{from, seq, era, body, pt}
	}
	g.rng.Shuffle(n, func(i, j int) { fl[i], fl[j] = fl[j], fl[i] })
	g.held = append(g.held, fl[:hold]...)
	for _, f := range fl[hold:] {
		g.deliver(f)
	}
}

func (g *contGroup) deliver(f groupFlight) {
	g.t.Helper()
	pt, err := g.mem[1-f.from].decrypt(g.ctx, g.mem[f.from].address(), f.body)
	if err != nil {
		g.t.Fatalf("group message %d of %s: %s: decrypt: %v", f.seq, g.mem[f.from].label(), g.mem[1-f.from].label(), err)
	}
	if !bytes.Equal(pt, f.pt) {
		g.t.Fatalf("group message %d of %s: got %q", f.seq, g.mem[f.from].label(), pt)
	}
	if f.seq < g.max[f.from] {
		g.ooo++
	}
	g.max[f.from] = max(g.max[f.from], f.seq)
}

// flush delivers the held messages (after the move: era 1).
func (g *contGroup) flush(era int) {
	g.t.Helper()
	for _, f := range g.held {
		g.deliver(f)
		if f.era < era {
			g.late++
		}
	}
	g.held = nil
}

func (g *contGroup) String() string {
	return fmt.Sprintf("group: before the move M %d, P %d; after M %d, P %d; P's held across the move %d; out-of-order %d",
		g.sent[0][0], g.sent[0][1], g.sent[1][0], g.sent[1][1], g.late, g.ooo)
}

// storeParty is this library continuing as an imported device: a
// session.Manager over the imported memstore.
type storeParty struct {
	label string
	store *memstore.Store
	m     *session.Manager
}

func (p *storeParty) Label() string { return p.label }
func (p *storeParty) Bundle(context.Context, peer.BundleRequest) (peer.Bundle, error) {
	return peer.Bundle{}, fmt.Errorf("storeParty: no bundles")
}
func (p *storeParty) ProcessBundle(context.Context, peer.Address, peer.Bundle) error {
	return fmt.Errorf("storeParty: no bundles")
}
func (p *storeParty) Encrypt(ctx context.Context, r peer.Address, pt []byte) (peer.Message, error) {
	m, err := p.m.Encrypt(ctx, contAddr(r), pt)
	return peer.Message{Type: int(m.Type), Body: m.Body}, err
}
func (p *storeParty) Decrypt(ctx context.Context, r peer.Address, m peer.Message) ([]byte, error) {
	return p.m.Decrypt(ctx, contAddr(r), session.Message{Type: session.MessageType(m.Type), Body: m.Body})
}
func (p *storeParty) HasSession(ctx context.Context, r peer.Address) (bool, error) {
	return p.m.HasSession(ctx, contAddr(r))
}

func contAddr(a peer.Address) session.Address {
	return session.Address{Name: a.Name, DeviceID: a.DeviceID}
}

// importState reads a peer's exported state with package compat into a new
// memstore and sender-key store. groups maps the peer's group names to
// their distribution ids.
func importState(t *testing.T, kind string, s peer.DeviceState, groups map[string]senderkey.DistributionID) (*memstore.Store, *senderkey.MemoryStore) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	var id *curve.IdentityKeyPair
	var err error
	if kind == peer.KindGomau {
		priv, err := curve.NewPrivateKey(s.IdentityPrivate)
		if err != nil {
			t.Fatalf("identity private key: %v", err)
		}
		if id, err = curve.NewIdentityKeyPair(priv); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(id.PublicKey().Bytes(), s.IdentityPublic) {
			t.Fatalf("identity public key %x is not the private key's (%x)", s.IdentityPublic, id.PublicKey().Bytes())
		}
	} else if id, err = libsignal.ImportIdentityKeyPair(s.IdentityKeyPair); err != nil {
		t.Fatalf("identity key pair: %v", err)
	} else {
		reexport(t, "identity key pair", s.IdentityKeyPair, true)(libsignal.ExportIdentityKeyPair(id))
	}
	// libsignal writes every record canonically, and libsignal-protocol-c
	// its key records as libsignal does: compat exports them back to the
	// same bytes (not the legacy session layout, nor go.mau.fi's JSON).
	canonical := kind == peer.KindNodeV4
	keysCanonical := kind != peer.KindGomau
	st := memstore.New(id, s.RegistrationID)
	for _, e := range s.Sessions {
		var rec *session.Record
		switch kind {
		case peer.KindNodeV4:
			rec, err = libsignal.ImportSessionRecord(e.Record)
		case peer.KindC:
			rec, err = libsignal.ImportLegacySessionRecord(e.Record, now)
		case peer.KindGomau:
			rec, err = gomau.ImportSessionRecord(e.Record, now)
		}
		if err != nil {
			t.Fatalf("session record of %v: %v", e.Address(), err)
		}
		reexport(t, "session record", e.Record, canonical)(libsignal.ExportSessionRecord(rec))
		if err := st.StoreSession(ctx, contAddr(e.Address()), rec, session.Consumed{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range s.Identities {
		k, err := libsignal.ImportIdentityKey(e.Record)
		if err != nil {
			t.Fatalf("identity of %v: %v", e.Address(), err)
		}
		if err := st.SaveIdentity(ctx, contAddr(e.Address()), k); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range s.PreKeys {
		imp := libsignal.ImportPreKeyRecord
		if kind == peer.KindGomau {
			imp = gomau.ImportPreKeyRecord
		}
		k, err := imp(e.Record)
		if err != nil || k.ID != e.ID {
			t.Fatalf("prekey record %d: %v (%v)", e.ID, k, err)
		}
		reexport(t, "prekey record", e.Record, keysCanonical)(libsignal.ExportPreKeyRecord(k))
		if err := st.AddPreKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range s.SignedPreKeys {
		imp := libsignal.ImportSignedPreKeyRecord
		if kind == peer.KindGomau {
			imp = gomau.ImportSignedPreKeyRecord
		}
		k, err := imp(e.Record)
		if err != nil || k.ID != e.ID {
			t.Fatalf("signed prekey record %d: %v (%v)", e.ID, k, err)
		}
		reexport(t, "signed prekey record", e.Record, keysCanonical)(libsignal.ExportSignedPreKeyRecord(k))
		if !id.PublicKey().VerifySignature(k.KeyPair.Public.Bytes(), k.Signature) {
			t.Fatalf("signed prekey %d: signature does not verify under the imported identity", e.ID)
		}
		if err := st.AddSignedPreKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range s.KyberPreKeys {
		k, err := libsignal.ImportKyberPreKeyRecord(e.Record)
		if err != nil || k.ID != e.ID {
			t.Fatalf("Kyber prekey record %d: %v (%v)", e.ID, k, err)
		}
		reexport(t, "Kyber prekey record", e.Record, canonical)(libsignal.ExportKyberPreKeyRecord(k))
		// libsignal's records do not say whether a Kyber prekey is one-time
		// or last-resort; the peer keeps every one after use, as a
		// last-resort key is kept.
		if err := st.AddLastResortKEMPreKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	sks := new(senderkey.MemoryStore)
	for _, e := range s.SenderKeys {
		gid, ok := groups[e.Group]
		if !ok {
			t.Fatalf("sender key of unknown group %q", e.Group)
		}
		var r *senderkey.Record
		if kind == peer.KindGomau {
			r, err = gomau.ImportSenderKeyRecord(e.Record)
		} else {
			r, err = libsignal.ImportSenderKeyRecord(e.Record)
		}
		if err != nil {
			t.Fatalf("sender-key record of %s.%d: %v", e.Name, e.DeviceID, err)
		}
		reexport(t, "sender-key record", e.Record, canonical)(libsignal.ExportSenderKeyRecord(r))
		if err := sks.StoreSenderKey(ctx, senderkey.Sender{Name: e.Name, DeviceID: e.DeviceID}, gid, r); err != nil {
			t.Fatal(err)
		}
	}
	return st, sks
}

// reexport returns a check that an imported record exports (with
// compat/libsignal) back to the bytes it came from, when want; otherwise
// only that it exports.
func reexport(t *testing.T, what string, from []byte, want bool) func([]byte, error) {
	t.Helper()
	return func(got []byte, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: export: %v", what, err)
		}
		if want && !bytes.Equal(got, from) {
			t.Fatalf("%s re-exports to other bytes:\n got %x\nwant %x", what, got, from)
		}
	}
}

// contProfile is one library's side of the tests.
type contProfile struct {
	kind    string
	version byte
	kyber   bool // bundles carry a Kyber prekey (v4)
	groups  bool // the peer has group ops
	legacy  bool // its sender-key messages have the legacy layout
}

var contProfiles = []contProfile{
	{kind: peer.KindNodeV4, version: 0x44, kyber: true, groups: true},
	{kind: peer.KindC, version: 0x33, groups: true, legacy: true},
	{kind: peer.KindGomau, version: 0x33},
}

// contSetup starts M and P per scenario and runs the conversation up to the
// move. It returns the continuation and, if the scenario has one, the group.
func contSetup(t *testing.T, scenario string, pr contProfile, m, p peer.Party, mAddr, pAddr peer.Address,
	group func() *contGroup) (*continuation, *contGroup) {
	t.Helper()
	ctx := context.Background()
	initiator := 0
	if scenario == "responder-mid" || scenario == "responder-fresh" {
		initiator = 1
	}
	c := newContinuation(t, m, p, mAddr, pAddr, pr.version, initiator)
	req := peer.BundleRequest{SignedPreKeyID: 5, OneTime: true, Kyber: pr.kyber}
	pk := uint32(77)
	req.PreKeyID = &pk
	ini, resp := peer.Side{Party: m, Addr: mAddr}, peer.Side{Party: p, Addr: pAddr}
	if initiator == 1 {
		ini, resp = resp, ini
	}
	if _, err := peer.Establish(ctx, ini, resp, req); err != nil {
		t.Fatal(err)
	}
	var g *contGroup
	switch scenario {
	case "initiator-mid", "responder-mid":
		c.run(initiator, 25, 6)
		// In flight at the move: the first two of a burst of P's (M
		// reads the other two, so its record keeps their message keys),
		// and two of M's.
		c.burst(1, 4, 2, 2, true)
		c.burst(0, 4, 2, 1, true)
		if scenario == "initiator-mid" {
			if g = group(); g == nil {
				break
			}
			g.setup()
			g.send(0, 0, 6, 0)
			g.send(0, 1, 6, 3) // three of P's held back across the move
		}
	case "initiator-pending":
		c.burst(0, 3, 1, 2, false) // P reads two of M's PreKey messages, the third after the move
		c.burst(1, 3, 3, 1, false) // P's answers are all still in flight
		if c.received[0] {
			t.Fatal("M received an answer before the move")
		}
	case "responder-fresh":
		c.burst(1, 3, 3, 1, false) // P's first PreKey messages, all in flight
	}
	return c, g
}

// contFinish runs the conversation after the move and checks the counts.
func contFinish(t *testing.T, scenario string, c *continuation, g *contGroup) {
	t.Helper()
	first := 0
	if scenario == "responder-fresh" {
		first = 1
	}
	c.run(first, contMinEach, 8)
	c.flush()
	if g != nil {
		for i := 0; i < contGroupMessages; i += 5 {
			g.send(1, 0, 5, 0)
			g.send(1, 1, 5, 1)
			g.flush(1)
		}
	}
	st := c.st
	if st.Sent[1][0] < contMinEach || st.Sent[1][1] < contMinEach {
		t.Fatalf("too few messages after the move: %v", st)
	}
	if st.OutOfOrder[1] == 0 {
		t.Fatalf("no message delivered out of order after the move: %v", st)
	}
	// Messages sent before the move and delivered after it.
	wantAcross := [2]bool{scenario != "responder-fresh", true} // there M sent nothing before
	for i, w := range wantAcross {
		if w && st.AcrossMove[i] == 0 {
			t.Fatalf("no message of side %d held across the move: %v", i, st)
		}
	}
	if scenario == "initiator-pending" && st.PreKey[1][0] == 0 {
		t.Fatalf("M sent no PreKey message after the move of its pending session: %v", st)
	}
	t.Logf("%s: %v", scenario, st)
	if g != nil {
		if g.late == 0 {
			t.Fatalf("no group message held across the move: %v", g)
		}
		t.Logf("%v", g)
	}
}

// TestContinuationFromPeers moves a device from libsignal (node-v4),
// libsignal-protocol-c and go.mau.fi/libsignal to this library
// mid-conversation.
func TestContinuationFromPeers(t *testing.T) {
	for _, pr := range contProfiles {
		for _, scenario := range contScenarios {
			t.Run(pr.kind+"/"+scenario, func(t *testing.T) {
				ctx := context.Background()
				mAddr := peer.Address{Name: "m-device", DeviceID: 3}
				pAddr := peer.Address{Name: "p-device", DeviceID: 4}
				mp := needPeer(t, pr.kind)
				mp.SetLabel(pr.kind + ":M")
				mReg := nextRegID()
				if _, err := mp.Init(ctx, peer.InitRequest{RegistrationID: mReg, DeviceID: mAddr.DeviceID, Name: mAddr.Name}); err != nil {
					t.Fatal(err)
				}
				pp := needPeer(t, pr.kind)
				pp.SetLabel(pr.kind + ":P")
				if _, err := pp.Init(ctx, peer.InitRequest{RegistrationID: nextRegID(), DeviceID: pAddr.DeviceID, Name: pAddr.Name}); err != nil {
					t.Fatal(err)
				}
				gid := newDistributionID(t)
				var pMember *peerMember
				c, g := contSetup(t, scenario, pr, mp, pp, mAddr, pAddr, func() *contGroup {
					if !pr.groups {
						return nil
					}
					pMember = &peerMember{addr: pAddr, p: pp, group: gid.String()}
					return &contGroup{t: t, ctx: ctx, mem: [2]groupMember{&peerMember{addr: mAddr, p: mp, group: gid.String()}, pMember},
						rng: rand.New(rand.NewPCG(seedOf(t.Name()), 0x9)), max: [2]int{-1, -1}}
				})

				// The move: M's state out of its library, into ours.
				s, err := mp.ExportState(ctx)
				if err != nil {
					t.Fatal(err)
				}
				checkExport(t, scenario, pr, s, pAddr, g != nil)
				store, sks := importState(t, pr.kind, s, map[string]senderkey.DistributionID{gid.String(): gid})
				// From here on M's old process is never called again.
				if reg, _ := store.LocalRegistrationID(ctx); reg != mReg {
					t.Fatalf("imported registration id %d, want %d", reg, mReg)
				}
				lib := &storeParty{label: "lib:M", store: store, m: session.NewManager(session.StoresOf(store))}
				epoch0 := uint64(1)
				if scenario != "responder-fresh" {
					info, err := lib.m.Info(ctx, contAddr(pAddr))
					if err != nil {
						t.Fatal(err)
					}
					epoch0 = info.SPQREpoch
				}
				c.move(lib)
				if g != nil {
					g.mem[0] = &libMember{addr: mAddr, store: sks, c: senderkey.NewCipher(sks), gid: gid, legacy: pr.legacy}
				}
				contFinish(t, scenario, c, g)

				info, err := lib.m.Info(ctx, contAddr(pAddr))
				if err != nil {
					t.Fatal(err)
				}
				wantVersion := 3
				if pr.kyber {
					wantVersion = 4
				}
				if info.Version != wantVersion || !info.Acknowledged {
					t.Fatalf("our session after the move: %+v", info)
				}
				if pr.kyber && info.SPQREpoch <= epoch0 {
					t.Fatalf("the post-quantum ratchet did not advance after the move: epoch %d, %d at the move", info.SPQREpoch, epoch0)
				}
				if scenario == "responder-fresh" {
					// The one-time prekey came from the peer and was used here.
					if n, _, err := store.PreKeyCount(ctx); err != nil || n != 0 {
						t.Fatalf("one-time prekeys left: %d (%v)", n, err)
					}
				}
				if scenario == "responder-fresh" {
					t.Logf("our session: version %d, SPQR epoch %d, archived states %d", info.Version, info.SPQREpoch, info.ArchivedStates)
				} else {
					t.Logf("our session: version %d, SPQR epoch %d at the move, %d after, archived states %d", info.Version, epoch0, info.SPQREpoch, info.ArchivedStates)
				}
			})
		}
	}
}

// checkExport checks that an export holds what the scenario left on M.
func checkExport(t *testing.T, scenario string, pr contProfile, s peer.DeviceState, pAddr peer.Address, groups bool) {
	t.Helper()
	sessions := 1
	if scenario == "responder-fresh" {
		sessions = 0
	}
	if len(s.Sessions) != sessions || (sessions == 1 && s.Sessions[0].Address() != pAddr) {
		t.Fatalf("exported sessions: %+v", s.Sessions)
	}
	if len(s.SignedPreKeys) == 0 && scenario != "initiator-mid" && scenario != "initiator-pending" {
		t.Fatal("no signed prekey exported")
	}
	if scenario == "responder-fresh" {
		if len(s.PreKeys) != 1 || (pr.kyber && len(s.KyberPreKeys) != 1) {
			t.Fatalf("exported prekeys: %d one-time, %d Kyber", len(s.PreKeys), len(s.KyberPreKeys))
		}
	}
	if groups && len(s.SenderKeys) != 2 {
		t.Fatalf("exported %d sender-key records, want 2", len(s.SenderKeys))
	}
	t.Logf("export: %d sessions (%d bytes), %d identities, %d/%d/%d prekeys (one-time/signed/Kyber), %d sender keys",
		len(s.Sessions), recBytes(s.Sessions), len(s.Identities), len(s.PreKeys), len(s.SignedPreKeys), len(s.KyberPreKeys), len(s.SenderKeys))
}

func recBytes(rs []peer.AddressRecord) int {
	n := 0
	for _, r := range rs {
		n += len(r.Record)
	}
	return n
}

// exportOurs writes this library's device state with compat/libsignal, as
// an app that moves to libsignal would: everything under the addresses and
// ids it keeps.
func exportOurs(t *testing.T, lp *libparty.Party, name string, deviceID uint32, remote peer.Address, b peer.Bundle,
	sks *senderkey.MemoryStore, gid senderkey.DistributionID, senders []peer.Address) peer.DeviceState {
	t.Helper()
	ctx := context.Background()
	id, err := lp.Store.IdentityKeyPair(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := lp.Store.LocalRegistrationID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := peer.DeviceState{RegistrationID: reg, DeviceID: deviceID, Name: name}
	if s.IdentityKeyPair, err = libsignal.ExportIdentityKeyPair(id); err != nil {
		t.Fatal(err)
	}
	ra := contAddr(remote)
	if rec, err := lp.Store.LoadSession(ctx, ra); err != nil {
		t.Fatal(err)
	} else if rec != nil {
		b, err := libsignal.ExportSessionRecord(rec)
		if err != nil {
			t.Fatal(err)
		}
		s.Sessions = append(s.Sessions, peer.AddressRecord{Name: remote.Name, DeviceID: remote.DeviceID, Record: b})
	}
	if k, ok, err := lp.Store.Identity(ctx, ra); err != nil {
		t.Fatal(err)
	} else if ok {
		b, err := libsignal.ExportIdentityKey(k)
		if err != nil {
			t.Fatal(err)
		}
		s.Identities = append(s.Identities, peer.AddressRecord{Name: remote.Name, DeviceID: remote.DeviceID, Record: b})
	}
	if b.SignedPreKey != nil {
		if k, err := lp.Store.LoadSignedPreKey(ctx, b.SignedPreKeyID); err == nil {
			rb, err := libsignal.ExportSignedPreKeyRecord(k)
			if err != nil {
				t.Fatal(err)
			}
			s.SignedPreKeys = append(s.SignedPreKeys, peer.IDRecord{ID: k.ID, Record: rb})
		}
	}
	if b.PreKeyID != nil {
		if k, err := lp.Store.LoadPreKey(ctx, *b.PreKeyID); err == nil { // gone once used
			rb, err := libsignal.ExportPreKeyRecord(k)
			if err != nil {
				t.Fatal(err)
			}
			s.PreKeys = append(s.PreKeys, peer.IDRecord{ID: k.ID, Record: rb})
		}
	}
	if b.KyberPreKeyID != nil {
		k, err := lp.Store.LoadKEMPreKey(ctx, *b.KyberPreKeyID)
		if err != nil {
			t.Fatal(err)
		}
		rb, err := libsignal.ExportKyberPreKeyRecord(k)
		if err != nil {
			t.Fatal(err)
		}
		s.KyberPreKeys = append(s.KyberPreKeys, peer.IDRecord{ID: k.ID, Record: rb})
	}
	for _, a := range senders {
		r, err := sks.LoadSenderKey(ctx, sender(a), gid)
		if err != nil || r == nil {
			t.Fatalf("sender key of %v: %v (%v)", a, r, err)
		}
		rb, err := libsignal.ExportSenderKeyRecord(r)
		if err != nil {
			t.Fatal(err)
		}
		s.SenderKeys = append(s.SenderKeys, peer.SenderKeyEntry{Group: gid.String(), Name: a.Name, DeviceID: a.DeviceID, Record: rb})
	}
	return s
}

// TestContinuationToLibsignal moves a device from this library to the
// official libsignal mid-conversation (v4 with SPQR).
func TestContinuationToLibsignal(t *testing.T) {
	pr := contProfiles[0]
	for _, scenario := range contScenarios {
		t.Run(scenario, func(t *testing.T) {
			ctx := context.Background()
			mAddr := peer.Address{Name: "m-device", DeviceID: 3}
			pAddr := peer.Address{Name: "p-device", DeviceID: 4}
			lp, err := libparty.New("lib:M", nextRegID(), mAddr.DeviceID)
			if err != nil {
				t.Fatal(err)
			}
			pp := needPeer(t, pr.kind)
			pp.SetLabel(pr.kind + ":P")
			if _, err := pp.Init(ctx, peer.InitRequest{RegistrationID: nextRegID(), DeviceID: pAddr.DeviceID, Name: pAddr.Name}); err != nil {
				t.Fatal(err)
			}
			// The new home of M, started before the move.
			next := needPeer(t, pr.kind)
			next.SetLabel(pr.kind + ":M")

			gid := newDistributionID(t)
			var mLib *libMember
			// M's bundle, when M is the responder, is the one Establish
			// asked for; capture it for the export.
			capt := &bundleCapture{Party: lp}
			c, g := contSetup(t, scenario, pr, capt, pp, mAddr, pAddr, func() *contGroup {
				mLib = newLibMember(mAddr, gid, false)
				return &contGroup{t: t, ctx: ctx, mem: [2]groupMember{mLib, &peerMember{addr: pAddr, p: pp, group: gid.String()}},
					rng: rand.New(rand.NewPCG(seedOf(t.Name()), 0x9)), max: [2]int{-1, -1}}
			})
			var senders []peer.Address
			sks := new(senderkey.MemoryStore)
			if g != nil {
				senders = []peer.Address{mAddr, pAddr}
				sks = mLib.store
			}
			s := exportOurs(t, lp, mAddr.Name, mAddr.DeviceID, pAddr, capt.bundle, sks, gid, senders)
			checkExport(t, scenario, pr, s, pAddr, g != nil)
			if err := next.ImportState(ctx, s); err != nil {
				t.Fatal(err)
			}
			// libsignal keeps what it parsed re-serialized: every record
			// comes back as compat wrote it.
			back, err := next.ExportState(ctx)
			if err != nil {
				t.Fatal(err)
			}
			sameState(t, s, back)
			c.move(next)
			if g != nil {
				g.mem[0] = &peerMember{addr: mAddr, p: next, group: gid.String()}
			}
			contFinish(t, scenario, c, g)
			if scenario == "responder-fresh" {
				// libsignal decapsulated with the Kyber prekey made here.
				if !c.received[0] {
					t.Fatal("M never decrypted")
				}
			}
		})
	}
}

// sameState checks that two exports hold the same records, byte for byte.
func sameState(t *testing.T, want, got peer.DeviceState) {
	t.Helper()
	flat := func(s peer.DeviceState) map[string]string {
		m := map[string]string{"identity key pair": string(s.IdentityKeyPair), "registration id": fmt.Sprint(s.RegistrationID)}
		for _, e := range s.Sessions {
			m["session "+e.Address().String()] = string(e.Record)
		}
		for _, e := range s.Identities {
			m["identity "+e.Address().String()] = string(e.Record)
		}
		for _, l := range []struct {
			what string
			rs   []peer.IDRecord
		}{{"prekey", s.PreKeys}, {"signed prekey", s.SignedPreKeys}, {"Kyber prekey", s.KyberPreKeys}} {
			for _, e := range l.rs {
				m[fmt.Sprintf("%s %d", l.what, e.ID)] = string(e.Record)
			}
		}
		for _, e := range s.SenderKeys {
			m[fmt.Sprintf("sender key %s %s.%d", e.Group, e.Name, e.DeviceID)] = string(e.Record)
		}
		return m
	}
	w, g := flat(want), flat(got)
	for k, v := range w {
		if g[k] != v {
			t.Errorf("%s: libsignal holds %x, we exported %x", k, g[k], v)
		}
	}
	for k := range g {
		if _, ok := w[k]; !ok {
			t.Errorf("%s: libsignal holds a record we did not export", k)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// bundleCapture keeps the bundle a party published.
type bundleCapture struct {
	*libparty.Party
	bundle peer.Bundle
}

func (b *bundleCapture) Bundle(ctx context.Context, req peer.BundleRequest) (peer.Bundle, error) {
	pb, err := b.Party.Bundle(ctx, req)
	b.bundle = pb
	return pb, err
}
