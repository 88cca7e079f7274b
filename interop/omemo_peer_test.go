package interop_test

// Helpers of the OMEMO interop tests (omemo_test.go): the python-omemo peer
// (interop/omemo/peer.py), devices of this library's package omemo, and a
// conversation driver over both.

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/interop/peer"
	"github.com/forwardsecret/signal/omemo"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/x3dh"
)

// omemoModules are what the peer imports: python-omemo with both backends
// and their XML helpers (which need python3-xmlschema).
const omemoModules = "import omemo, twomemo, oldmemo, x3dh, doubleratchet, xeddsa, twomemo.etree, oldmemo.etree"

// pyOMEMO is one python-omemo peer process: a fake XMPP world with any
// number of python devices.
type pyOMEMO struct {
	t testing.TB
	p *peer.Process
}

var omemoAvailable = sync.OnceValue(func() error {
	if out, err := exec.Command(peer.Python, "-c", omemoModules).CombinedOutput(); err != nil {
		return fmt.Errorf("python-omemo not available to %s (interop/run.sh installs python3-omemo python3-twomemo python3-oldmemo python3-xmlschema): %v: %s",
			peer.Python, err, strings.TrimSpace(string(out)))
	}
	return nil
})

// needOMEMOPeer starts the python-omemo peer, or skips (fails under
// CI=true) when Debian's python3-omemo packages are missing. Subtests share
// it through in (with JIDs of their own: the peer's world is shared).
func needOMEMOPeer(t testing.TB) *pyOMEMO {
	t.Helper()
	if err := omemoAvailable(); err != nil {
		if os.Getenv("CI") != "true" {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	p, err := peer.StartCommand("omemo", peer.Python, filepath.Join(peer.Dir(), "omemo", "peer.py"))
	if err != nil {
		t.Fatalf("start the python-omemo peer: %v", err)
	}
	p.SetTimeout(time.Minute)
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("close the python-omemo peer: %v", err)
		}
		if t.Failed() {
			if s := p.Stderr(); s != "" {
				t.Logf("python-omemo stderr (tail):\n%s", tail(s, 6000))
			}
		}
	})
	return &pyOMEMO{t: t, p: p}
}

// in returns the peer for use in (sub)test t.
func (py *pyOMEMO) in(t testing.TB) *pyOMEMO {
	c := *py
	c.t = t
	return &c
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

func (py *pyOMEMO) call(op string, req, resp any) {
	py.t.Helper()
	if err := py.p.Call(context.Background(), op, req, resp); err != nil {
		py.t.Fatalf("python-omemo %s: %v", op, err)
	}
}

type pyRecipient struct {
	JID      string `json:"jid"`
	DeviceID uint32 `json:"device_id"`
}

// pySent is a message python-omemo sent on its own (an empty message
// completing a key exchange, or preventing staleness).
type pySent struct {
	Namespace string        `json:"namespace"`
	To        string        `json:"to"`
	XML       string        `json:"xml"`
	Keys      []pyKeyDevice `json:"keys"`
}

type pyKeyDevice struct {
	JID      string `json:"jid"`
	DeviceID uint32 `json:"device_id"`
	KEX      bool   `json:"kex"`
}

// omemoParty is one device in a conversation: of this library or of python-omemo.
type omemoParty interface {
	Label() string
	JID() string
	Device() uint32
	// Encrypt encrypts plaintext to the devices and returns the <encrypted/> XML.
	Encrypt(t testing.TB, plaintext []byte, to []session.Address) string
	// Decrypt decrypts an <encrypted/> element sent by fromJID; nil plaintext
	// for an empty message. Messages the party sent on its own meanwhile go to
	// its outbox.
	Decrypt(t testing.TB, fromJID, xml string) ([]byte, error)
	// Outbox returns and clears the messages the party sent on its own.
	Outbox() []pySent
	// Rekey replaces the party's session with peer by a new key exchange
	// (python-omemo's replace_sessions, which announces it at once with an
	// empty message, left in the outbox; this library's ProcessBundle with the
	// peer's current bundle, announced by the next message).
	Rekey(t testing.TB, peer omemoParty)
}

// pyDevice is a python-omemo device in the peer's world.
type pyDevice struct {
	py          *pyOMEMO
	v           omemo.Version
	name, jid   string
	id          uint32
	identityKey []byte // Ed25519
	outbox      []pySent
}

// newPyDevice creates a python-omemo device for the given namespaces; v is
// the version the conversation helpers use.
func (py *pyOMEMO) newDevice(v omemo.Version, jid string, id uint32, namespaces ...string) *pyDevice {
	py.t.Helper()
	if len(namespaces) == 0 {
		namespaces = []string{v.Namespace()}
	}
	name := fmt.Sprintf("%s/%d", jid, id)
	var r struct {
		IdentityKey peer.Hex `json:"identity_key"`
	}
	py.call("create", map[string]any{"name": name, "jid": jid, "device_id": id, "namespaces": namespaces}, &r)
	return &pyDevice{py: py, v: v, name: name, jid: jid, id: id, identityKey: r.IdentityKey}
}

func (d *pyDevice) Label() string  { return "python:" + d.name }
func (d *pyDevice) JID() string    { return d.jid }
func (d *pyDevice) Device() uint32 { return d.id }

func (d *pyDevice) Outbox() []pySent {
	out := d.outbox
	d.outbox = nil
	return out
}

func (d *pyDevice) Rekey(t testing.TB, peer omemoParty) {
	t.Helper()
	var r struct {
		Sent []pySent `json:"sent"`
	}
	d.py.call("replace_session", map[string]any{"name": d.name, "jid": peer.JID(), "device_id": peer.Device()}, &r)
	if len(r.Sent) == 0 {
		t.Fatalf("%s: replace_sessions sent nothing", d.Label())
	}
	d.outbox = append(d.outbox, r.Sent...)
}

func (d *pyDevice) Encrypt(t testing.TB, plaintext []byte, to []session.Address) string {
	t.Helper()
	var recips []pyRecipient
	for _, a := range to {
		recips = append(recips, pyRecipient{a.Name, a.DeviceID})
	}
	var r struct {
		XML    string        `json:"xml"`
		Keys   []pyKeyDevice `json:"keys"`
		Errors []string      `json:"errors"`
		Sent   []pySent      `json:"sent"`
	}
	d.py.call("encrypt", map[string]any{"name": d.name, "namespace": d.v.Namespace(), "recipients": recips, "plaintext": hex.EncodeToString(plaintext)}, &r)
	if len(r.Errors) > 0 || len(r.Keys) != len(to) {
		t.Fatalf("%s: encrypt to %v: keys %v, errors %v", d.Label(), to, r.Keys, r.Errors)
	}
	d.outbox = append(d.outbox, r.Sent...)
	return r.XML
}

func (d *pyDevice) Decrypt(t testing.TB, fromJID, xml string) ([]byte, error) {
	t.Helper()
	var r struct {
		Plaintext *peer.Hex `json:"plaintext"`
		Sent      []pySent  `json:"sent"`
	}
	err := d.py.p.Call(context.Background(), "decrypt", map[string]any{"name": d.name, "namespace": d.v.Namespace(), "from_jid": fromJID, "xml": xml}, &r)
	if err != nil {
		var pe *peer.PeerError
		if !errors.As(err, &pe) || pe.Stderr != "" { // the process died or timed out
			t.Fatalf("%s: %v", d.Label(), err)
		}
		// The peer reports a refusal; messages sent meanwhile are lost with
		// the failed op, which python-omemo does not send on failure anyway.
		return nil, err
	}
	d.outbox = append(d.outbox, r.Sent...)
	if r.Plaintext == nil {
		return nil, nil
	}
	return []byte(*r.Plaintext), nil
}

// bundle fetches a device's published bundle from the peer's world.
func (py *pyOMEMO) bundle(v omemo.Version, jid string, id uint32) string {
	var r struct {
		XML string `json:"xml"`
	}
	py.call("get_bundle", map[string]any{"namespace": v.Namespace(), "jid": jid, "device_id": id}, &r)
	return r.XML
}

// deviceList fetches a JID's device list from the peer's world.
func (py *pyOMEMO) deviceList(v omemo.Version, jid string) string {
	var r struct {
		XML string `json:"xml"`
	}
	py.call("get_device_list", map[string]any{"namespace": v.Namespace(), "jid": jid}, &r)
	return r.XML
}

// goDevice is a device of this library.
type goDevice struct {
	py     *pyOMEMO
	v      omemo.Version
	jid    string
	id     uint32
	ik     *curve.IdentityKeyPair
	st     *omemo.MemStore
	m      *omemo.Manager
	spk    *x3dh.SignedPreKey
	pks    []*x3dh.OneTimePreKey
	outbox []pySent
}

// newGoDevice makes a device of this library with a signed prekey and 10
// one-time prekeys and publishes its bundle into the python world (not its
// device list: see publishDevices).
func (py *pyOMEMO) newGoDevice(v omemo.Version, jid string, id uint32) *goDevice {
	t := py.t
	t.Helper()
	ik, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	d := &goDevice{py: py, v: v, jid: jid, id: id, ik: ik, st: omemo.NewMemStore(ik)}
	ctx := context.Background()
	if d.spk, err = omemo.GenerateSignedPreKey(v, ik, 1); err != nil {
		t.Fatal(err)
	}
	if err := d.st.AddSignedPreKey(ctx, d.spk); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		pk, err := x3dh.GenerateOneTimePreKey(uint32(100 + i))
		if err != nil {
			t.Fatal(err)
		}
		if err := d.st.AddPreKey(ctx, pk); err != nil {
			t.Fatal(err)
		}
		d.pks = append(d.pks, pk)
	}
	if d.m, err = omemo.NewManager(v, d.st, jid, id); err != nil {
		t.Fatal(err)
	}
	py.call("publish_bundle", map[string]any{"namespace": v.Namespace(), "jid": jid, "device_id": id, "xml": string(d.bundleXML(t))}, nil)
	return d
}

func (d *goDevice) bundleXML(t testing.TB) []byte {
	t.Helper()
	b, err := omemo.NewBundle(d.v, d.id, d.ik, d.spk, d.pks)
	if err != nil {
		t.Fatal(err)
	}
	x, err := b.XML()
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// publishDevices publishes a JID's device list (made by package omemo) into
// the python world; python devices hear of it as of a PEP notification.
func (py *pyOMEMO) publishDevices(v omemo.Version, jid string, ids ...uint32) {
	py.t.Helper()
	l := &omemo.DeviceList{Version: v}
	for _, id := range ids {
		l.Devices = append(l.Devices, omemo.Device{ID: id})
	}
	x, err := l.XML()
	if err != nil {
		py.t.Fatal(err)
	}
	py.call("publish_device_list", map[string]any{"namespace": v.Namespace(), "jid": jid, "xml": string(x)}, nil)
}

func (d *goDevice) Label() string  { return fmt.Sprintf("go:%s/%d", d.jid, d.id) }
func (d *goDevice) JID() string    { return d.jid }
func (d *goDevice) Device() uint32 { return d.id }

func (d *goDevice) Outbox() []pySent {
	out := d.outbox
	d.outbox = nil
	return out
}

// startSession fetches a device's bundle from the python world, parses it
// with package omemo and starts a session.
func (d *goDevice) startSession(t testing.TB, jid string, id uint32) {
	t.Helper()
	b, err := omemo.ParseBundle([]byte(d.py.bundle(d.v, jid, id)), id)
	if err != nil {
		t.Fatalf("%s: parse the bundle of %s/%d: %v", d.Label(), jid, id, err)
	}
	if err := d.m.ProcessBundle(context.Background(), jid, b); err != nil {
		t.Fatalf("%s: process the bundle of %s/%d: %v", d.Label(), jid, id, err)
	}
}

func (d *goDevice) Rekey(t testing.TB, peer omemoParty) {
	t.Helper()
	d.startSession(t, peer.JID(), peer.Device())
}

func (d *goDevice) Encrypt(t testing.TB, plaintext []byte, to []session.Address) string {
	t.Helper()
	ctx := context.Background()
	for _, a := range to {
		if ok, err := d.m.HasSession(ctx, a); err != nil {
			t.Fatal(err)
		} else if !ok {
			d.startSession(t, a.Name, a.DeviceID)
		}
	}
	e, err := d.m.Encrypt(ctx, plaintext, to)
	if err != nil {
		t.Fatalf("%s: encrypt to %v: %v", d.Label(), to, err)
	}
	x, err := e.XML()
	if err != nil {
		t.Fatal(err)
	}
	return string(x)
}

func (d *goDevice) Decrypt(t testing.TB, fromJID, xml string) ([]byte, error) {
	t.Helper()
	e, err := omemo.ParseEncrypted([]byte(xml))
	if err != nil {
		return nil, err
	}
	pt, err := d.m.Decrypt(context.Background(), fromJID, e)
	if err == nil {
		d.republish(t)
	}
	return pt, err
}

// republish publishes the bundle again without the one-time prekeys a key
// exchange consumed, as a client does (else two initiators may pick the
// same prekey from the old bundle, and the second key exchange fails).
func (d *goDevice) republish(t testing.TB) {
	t.Helper()
	var left []*x3dh.OneTimePreKey
	for _, pk := range d.pks {
		if d.st.HasPreKey(pk.ID) {
			left = append(left, pk)
		}
	}
	if len(left) == len(d.pks) {
		return
	}
	d.pks = left
	d.py.call("publish_bundle", map[string]any{"namespace": d.v.Namespace(), "jid": d.jid, "device_id": d.id, "xml": string(d.bundleXML(t))}, nil)
}

// convStats counts what a conversation delivered.
type convStats struct {
	sent      map[string]int // by sender label
	delivered map[string]int
	empties   int // automatic empty messages delivered
	kex       int // messages carrying a key exchange
	heldBack  int
	rekeys    int // sessions replaced mid-conversation
}

// heldMsg is a message held back for later delivery.
type heldMsg struct {
	from, to omemoParty
	xml      string
	want     []byte
}

// conversation runs turns between a and b (a first): each turn one party
// sends a burst, delivered to the other in a shuffled order, except one
// message that may be held back until after the sender's next burst (so
// that it arrives after messages of the sender's next sending chain).
// holdLast says whether the held-back message may be the last of its burst
// (a chain's last message): see TestOMEMO03PreviousCounterQuirk.
// Automatic messages (python-omemo's empty messages) are delivered right
// away. Every plaintext is checked.
func conversation(t *testing.T, rng *rand.Rand, a, b omemoParty, turns []int, holdLast func(sender omemoParty) bool, stats *convStats) {
	t.Helper()
	var pending []heldMsg // held back, delivered after the sender's next burst
	seq := 0
	deliver := func(h heldMsg) {
		t.Helper()
		got, err := h.to.Decrypt(t, h.from.JID(), h.xml)
		if err != nil {
			t.Fatalf("%s -> %s: %s: %v", h.from.Label(), h.to.Label(), h.want, err)
		}
		if string(got) != string(h.want) {
			t.Fatalf("%s -> %s: got %q, want %q", h.from.Label(), h.to.Label(), got, h.want)
		}
		stats.delivered[h.from.Label()]++
		if isKeyExchange(t, h.xml, h.to.Device()) {
			stats.kex++
		}
		// The receiver's automatic messages go back to the sender now.
		for _, m := range h.to.Outbox() {
			if m.To != h.from.JID() {
				t.Fatalf("%s sent an automatic message to %s", h.to.Label(), m.To)
			}
			got, err := h.from.Decrypt(t, h.to.JID(), m.XML)
			if err != nil || got != nil {
				t.Fatalf("%s -> %s: automatic empty message: %q, %v", h.to.Label(), h.from.Label(), got, err)
			}
			stats.empties++
		}
	}
	for i, n := range turns {
		from, to := a, b
		if i%2 == 1 {
			from, to = b, a
		}
		// At a third and at two thirds of the way, the sender replaces its
		// session with a new key exchange (messages held back from the old
		// session are delivered first: neither side keeps a replaced OMEMO 2
		// session).
		if i > 2 && (i == len(turns)/3 || i == 2*len(turns)/3) {
			for _, p := range pending {
				deliver(p)
			}
			pending = nil
			from.Rekey(t, to)
			for _, m := range from.Outbox() {
				got, err := to.Decrypt(t, from.JID(), m.XML)
				if err != nil || got != nil {
					t.Fatalf("%s -> %s: session replacement message: %q, %v", from.Label(), to.Label(), got, err)
				}
				stats.kex++
				for _, a := range to.Outbox() { // an answer to the key exchange
					if got, err := from.Decrypt(t, to.JID(), a.XML); err != nil || got != nil {
						t.Fatalf("%s -> %s: answer: %q, %v", to.Label(), from.Label(), got, err)
					}
					stats.empties++
				}
			}
			stats.rekeys++
		}
		burst := make([]heldMsg, n)
		for j := range burst {
			seq++
			pt := fmt.Appendf(nil, "%s message %d (turn %d, %d of %d)", from.Label(), seq, i, j+1, n)
			burst[j] = heldMsg{from, to, from.Encrypt(t, pt, []session.Address{{Name: to.JID(), DeviceID: to.Device()}}), pt}
			stats.sent[from.Label()]++
		}
		// Hold back one message (not in the first two turns, which carry the
		// key exchange and its answer).
		hold := -1
		if i >= 2 && n >= 2 && rng.IntN(3) == 0 {
			hold = rng.IntN(n)
			if hold == n-1 && !holdLast(from) {
				hold = rng.IntN(n - 1)
			}
		}
		var late, rest []heldMsg
		for _, p := range pending {
			if p.from == from {
				late = append(late, p)
			} else {
				rest = append(rest, p)
			}
		}
		pending = rest
		for _, j := range rng.Perm(n) {
			if j == hold {
				pending = append(pending, burst[j])
				stats.heldBack++
				continue
			}
			deliver(burst[j])
		}
		// Messages this sender held back in its previous burst arrive now,
		// after messages of its new sending chain.
		for _, p := range late {
			deliver(p)
		}
	}
	for _, p := range pending {
		deliver(p)
	}
}

// isKeyExchange reports whether the key for device rid is a key exchange.
func isKeyExchange(t testing.TB, xml string, rid uint32) bool {
	_, kex := keyOf(t, xml, rid)
	return kex
}

// keyOf returns the decoded <key> content for device rid in an <encrypted/> element.
func keyOf(t testing.TB, xml string, rid uint32) (data []byte, kex bool) {
	t.Helper()
	e, err := omemo.ParseEncrypted([]byte(xml))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range e.Keys {
		if k.DeviceID == rid {
			return k.Data, k.KeyExchange
		}
	}
	t.Fatalf("no key for device %d in %s", rid, xml)
	return nil, false
}
