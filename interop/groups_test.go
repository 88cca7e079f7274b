package interop_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"testing"

	"github.com/forwardsecret/signal/interop/peer"
	"github.com/forwardsecret/signal/senderkey"
)

// Sender keys live against the real libraries. libsignal-protocol-c (kind
// c) speaks the legacy sender-key layout, without distribution ids: our
// side uses senderkey's Legacy functions with the group's DistributionID,
// and the C peer names the group by the id's UUID string. The node-v4 peer
// (@signalapp/libsignal-client) speaks the current layout.

// groupMember is one device of a sender-key group.
type groupMember interface {
	label() string
	address() peer.Address
	// distribution returns the member's own SenderKeyDistributionMessage.
	distribution(ctx context.Context) ([]byte, error)
	process(ctx context.Context, from peer.Address, skdm []byte) error
	encrypt(ctx context.Context, plaintext []byte) ([]byte, error)
	decrypt(ctx context.Context, from peer.Address, body []byte) ([]byte, error)
}

// libMember is a device running this library's senderkey package, with its
// own store.
type libMember struct {
	addr   peer.Address
	store  *senderkey.MemoryStore
	c      *senderkey.Cipher
	gid    senderkey.DistributionID
	legacy bool
}

func newLibMember(addr peer.Address, gid senderkey.DistributionID, legacy bool) *libMember {
	st := new(senderkey.MemoryStore)
	return &libMember{addr: addr, store: st, c: senderkey.NewCipher(st), gid: gid, legacy: legacy}
}

func (m *libMember) label() string         { return "lib:" + m.addr.String() }
func (m *libMember) address() peer.Address { return m.addr }
func sender(a peer.Address) senderkey.Sender {
	return senderkey.Sender{Name: a.Name, DeviceID: a.DeviceID}
}

func (m *libMember) distribution(ctx context.Context) ([]byte, error) {
	dm, err := m.c.CreateDistributionMessage(ctx, sender(m.addr), m.gid)
	if err != nil {
		return nil, err
	}
	if m.legacy {
		return dm.LegacyBytes(), nil
	}
	return dm.Bytes(), nil
}

func (m *libMember) process(ctx context.Context, from peer.Address, skdm []byte) error {
	var dm *senderkey.DistributionMessage
	var err error
	if m.legacy {
		dm, err = senderkey.ParseLegacyDistributionMessage(skdm, m.gid)
	} else {
		dm, err = senderkey.ParseDistributionMessage(skdm)
	}
	if err != nil {
		return err
	}
	if !m.legacy && dm.DistributionID() != m.gid {
		return fmt.Errorf("distribution message for %v, want %v", dm.DistributionID(), m.gid)
	}
	return m.c.ProcessDistributionMessage(ctx, sender(from), dm)
}

func (m *libMember) encrypt(ctx context.Context, pt []byte) ([]byte, error) {
	if m.legacy {
		return m.c.EncryptLegacy(ctx, sender(m.addr), m.gid, pt)
	}
	return m.c.Encrypt(ctx, sender(m.addr), m.gid, pt)
}

func (m *libMember) decrypt(ctx context.Context, from peer.Address, body []byte) ([]byte, error) {
	if m.legacy {
		return m.c.DecryptLegacy(ctx, sender(from), m.gid, body)
	}
	return m.c.Decrypt(ctx, sender(from), body)
}

// peerMember is a device running a peer process.
type peerMember struct {
	addr  peer.Address
	p     *peer.Process
	group string
}

func (m *peerMember) label() string         { return m.p.Kind() + ":" + m.addr.String() }
func (m *peerMember) address() peer.Address { return m.addr }
func (m *peerMember) distribution(ctx context.Context) ([]byte, error) {
	return m.p.GroupCreate(ctx, m.group, m.addr)
}
func (m *peerMember) process(ctx context.Context, from peer.Address, skdm []byte) error {
	return m.p.GroupProcess(ctx, m.group, from, skdm)
}
func (m *peerMember) encrypt(ctx context.Context, pt []byte) ([]byte, error) {
	return m.p.GroupEncrypt(ctx, m.group, m.addr, pt)
}
func (m *peerMember) decrypt(ctx context.Context, from peer.Address, body []byte) ([]byte, error) {
	return m.p.GroupDecrypt(ctx, m.group, from, body)
}

func newDistributionID(t testing.TB) senderkey.DistributionID {
	var id senderkey.DistributionID
	if _, err := rand.Read(id[:]); err != nil {
		t.Fatal(err)
	}
	id[6] = id[6]&0x0f | 0x40 // a version 4 UUID, as apps make them
	id[8] = id[8]&0x3f | 0x80
	return id
}

type groupMsg struct {
	from   int
	seq    int
	pt, ct []byte
}

// groupStats counts decrypted messages by direction ("lib->c", ...).
type groupStats map[string]int

// runGroup makes a group of nLib library devices and nPeer peer processes
// of kind, all of them senders, distributes every sender key to every
// other member, and sends messages group messages round-robin in two
// halves. Each member receives the other senders' messages shuffled, with
// about a tenth of the first half held back until after the second half
// was sent. Every message must decrypt to its plaintext at every member.
// Then each side must reject a message with a corrupted signature and a
// replayed message, and still decrypt the genuine one.
func runGroup(t *testing.T, kind string, legacy bool, nLib, nPeer, messages int) groupStats {
	ctx := context.Background()
	gid := newDistributionID(t)
	var members []groupMember
	for i := range nLib {
		members = append(members, newLibMember(peer.Address{Name: fmt.Sprintf("lib%d", i), DeviceID: uint32(1 + i)}, gid, legacy))
	}
	for j := range nPeer {
		p := needPeer(t, kind)
		members = append(members, &peerMember{addr: peer.Address{Name: fmt.Sprintf("%s%d", kind, j), DeviceID: uint32(11 + j)}, p: p, group: gid.String()})
	}
	kindOf := func(m groupMember) string {
		if _, ok := m.(*libMember); ok {
			return "lib"
		}
		return kind
	}

	// Distribution: every member's sender key to every other member.
	for _, s := range members {
		skdm, err := s.distribution(ctx)
		if err != nil {
			t.Fatalf("%s: distribution message: %v", s.label(), err)
		}
		for _, r := range members {
			if r == s {
				continue
			}
			if err := r.process(ctx, s.address(), skdm); err != nil {
				t.Fatalf("%s processes %s's distribution message: %v", r.label(), s.label(), err)
			}
		}
	}

	rng := mrand.New(mrand.NewPCG(seedOf(t.Name()), uint64(messages)))
	stats := groupStats{}
	pending := make([][]groupMsg, len(members))
	deliver := func(r int, m groupMsg) {
		t.Helper()
		got, err := members[r].decrypt(ctx, members[m.from].address(), m.ct)
		if err != nil {
			t.Fatalf("%s decrypts message %d from %s: %v", members[r].label(), m.seq, members[m.from].label(), err)
		}
		if !bytes.Equal(got, m.pt) {
			t.Fatalf("%s decrypts message %d from %s to %q, want %q", members[r].label(), m.seq, members[m.from].label(), got, m.pt)
		}
		stats[kindOf(members[m.from])+"->"+kindOf(members[r])]++
	}
	seq := 0
	for half := range 2 {
		for range messages / 2 {
			from := seq % len(members)
			// Lengths vary across the AES block boundary and up to a few blocks.
			pt := fmt.Appendf(nil, "message %d from %s ", seq, members[from].label())
			pt = append(pt, bytes.Repeat([]byte{'x'}, rng.IntN(100))...)
			ct, err := members[from].encrypt(ctx, pt)
			if err != nil {
				t.Fatalf("%s encrypts message %d: %v", members[from].label(), seq, err)
			}
			for r := range members {
				if r != from {
					pending[r] = append(pending[r], groupMsg{from: from, seq: seq, pt: pt, ct: ct})
				}
			}
			seq++
		}
		for r := range members {
			rng.Shuffle(len(pending[r]), func(i, j int) { pending[r][i], pending[r][j] = pending[r][j], pending[r][i] })
			var held []groupMsg
			for _, m := range pending[r] {
				if half == 0 && rng.IntN(10) == 0 {
					held = append(held, m)
					continue
				}
				deliver(r, m)
			}
			pending[r] = held
		}
	}
	total := 0
	for _, n := range stats {
		total += n
	}
	if want := messages / 2 * 2 * (len(members) - 1); total != want {
		t.Fatalf("%d decrypts, want %d", total, want)
	}

	// Rejections, in both directions: a flipped signature byte, then the
	// genuine message (must still decrypt), then the same message again.
	for from := range members {
		pt := fmt.Appendf(nil, "last word from %s", members[from].label())
		ct, err := members[from].encrypt(ctx, pt)
		if err != nil {
			t.Fatal(err)
		}
		bad := bytes.Clone(ct)
		bad[len(bad)-1] ^= 0x01
		for r := range members {
			if r == from {
				continue
			}
			if got, err := members[r].decrypt(ctx, members[from].address(), bad); err == nil {
				t.Fatalf("%s accepted a message from %s with a corrupted signature: %q", members[r].label(), members[from].label(), got)
			} else if _, ok := members[r].(*libMember); ok && !errors.Is(err, senderkey.ErrInvalidSignature) {
				t.Fatalf("%s: corrupted signature: %v, want ErrInvalidSignature", members[r].label(), err)
			}
			deliver(r, groupMsg{from: from, seq: -1, pt: pt, ct: ct})
			if _, err := members[r].decrypt(ctx, members[from].address(), ct); err == nil {
				t.Fatalf("%s decrypted a replayed message from %s", members[r].label(), members[from].label())
			} else if _, ok := members[r].(*libMember); ok && !errors.Is(err, senderkey.ErrDuplicateMessage) {
				t.Fatalf("%s: replay: %v, want ErrDuplicateMessage", members[r].label(), err)
			}
		}
	}
	return stats
}

// groupConfigs are the member mixes: three senders each, ours and the
// peer's in both proportions.
var groupConfigs = []struct{ lib, peers int }{{2, 1}, {1, 2}}

func testSenderKeys(t *testing.T, kind string, legacy bool) {
	const messages = 500
	for _, cfg := range groupConfigs {
		t.Run(fmt.Sprintf("%d-lib+%d-%s", cfg.lib, cfg.peers, kind), func(t *testing.T) {
			stats := runGroup(t, kind, legacy, cfg.lib, cfg.peers, messages)
			t.Logf("%d group messages from 3 senders, shuffled delivery with held-back messages; decrypted: %v", messages, map[string]int(stats))
		})
	}
}

// TestSenderKeysC: groups of this library and libsignal-protocol-c 2.3.3
// (legacy layout).
func TestSenderKeysC(t *testing.T) { testSenderKeys(t, peer.KindC, true) }

// TestSenderKeysGomau: groups of this library and go.mau.fi/libsignal v0.2.1
// (legacy layout, as whatsmeow sends them).
func TestSenderKeysGomau(t *testing.T) { testSenderKeys(t, peer.KindGomau, true) }

// TestSenderKeysNodeV4: groups of this library and
// @signalapp/libsignal-client 0.103.0 (current layout).
func TestSenderKeysNodeV4(t *testing.T) { testSenderKeys(t, peer.KindNodeV4, false) }

// TestSenderKeyRecordsMatchNodeV4: after the same out-of-order decrypts,
// our receiving record and libsignal's are byte-identical, and libsignal's
// record parses here and re-encodes to the same bytes.
func TestSenderKeyRecordsMatchNodeV4(t *testing.T) {
	ctx := context.Background()
	p := needPeer(t, peer.KindNodeV4)
	gid := newDistributionID(t)
	alice := peer.Address{Name: "alice", DeviceID: 3}
	sendSide := newLibMember(alice, gid, false)
	recv := newLibMember(peer.Address{Name: "bob", DeviceID: 1}, gid, false)
	skdm, err := sendSide.distribution(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.GroupProcess(ctx, gid.String(), alice, skdm); err != nil {
		t.Fatal(err)
	}
	if err := recv.process(ctx, alice, skdm); err != nil {
		t.Fatal(err)
	}
	var cts [][]byte
	for i := range 60 {
		ct, err := sendSide.encrypt(ctx, []byte{byte(i)})
		if err != nil {
			t.Fatal(err)
		}
		cts = append(cts, ct)
	}
	order := []int{5, 2, 30, 7, 29, 59, 0, 31, 58, 1}
	for step, i := range order {
		if _, err := p.GroupDecrypt(ctx, gid.String(), alice, cts[i]); err != nil {
			t.Fatalf("step %d: libsignal: %v", step, err)
		}
		if _, err := recv.decrypt(ctx, alice, cts[i]); err != nil {
			t.Fatalf("step %d: ours: %v", step, err)
		}
		theirs, err := p.SenderKeyRecord(ctx, gid.String(), alice)
		if err != nil {
			t.Fatal(err)
		}
		r, err := recv.store.LoadSenderKey(ctx, sender(alice), gid)
		if err != nil || r == nil {
			t.Fatalf("our record: %v, %v", r, err)
		}
		ours, err := r.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ours, theirs) {
			t.Fatalf("step %d (message %d): records differ\nours   %x\ntheirs %x", step, i, ours, theirs)
		}
		pr, err := senderkey.ParseRecord(theirs)
		if err != nil {
			t.Fatalf("step %d: libsignal's record: %v", step, err)
		}
		if again, _ := pr.MarshalBinary(); !bytes.Equal(again, theirs) {
			t.Fatalf("step %d: libsignal's record re-encodes differently", step)
		}
	}
	t.Logf("receiving records byte-identical after each of %d out-of-order decrypts", len(order))
}

// TestSenderKeyImportNodeV4: libsignal's own sending record (with the
// private signing key) moves into our store; we continue its chain and
// libsignal decrypts what we send.
func TestSenderKeyImportNodeV4(t *testing.T) {
	ctx := context.Background()
	p := needPeer(t, peer.KindNodeV4)
	gid := newDistributionID(t)
	n := peer.Address{Name: "n", DeviceID: 2}
	if _, err := p.GroupCreate(ctx, gid.String(), n); err != nil {
		t.Fatal(err)
	}
	if _, err := p.GroupEncrypt(ctx, gid.String(), n, []byte("first")); err != nil {
		t.Fatal(err)
	}
	rec, err := p.SenderKeyRecord(ctx, gid.String(), n)
	if err != nil {
		t.Fatal(err)
	}
	r, err := senderkey.ParseRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := r.MarshalBinary(); !bytes.Equal(again, rec) {
		t.Fatal("libsignal's sending record re-encodes differently")
	}
	m := newLibMember(n, gid, false)
	if err := m.store.StoreSenderKey(ctx, sender(n), gid, r); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		pt := []byte{byte(i)}
		ct, err := m.encrypt(ctx, pt)
		if err != nil {
			t.Fatal(err)
		}
		// libsignal holds the same chain as its own sending record, with the
		// public key, and decrypts our continuation of it.
		got, err := p.GroupDecrypt(ctx, gid.String(), n, ct)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("message %d: libsignal decrypted %x, %v", i, got, err)
		}
	}
}
