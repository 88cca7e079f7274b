package omemo_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/omemo"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/x3dh"
)

// device is one OMEMO device of an example: its Manager and the bundle it
// publishes (as XML, what goes into its PEP node).
type device struct {
	jid    string
	id     uint32
	m      *omemo.Manager
	bundle []byte
}

// newDevice sets up a device: identity key pair, signed prekey, one-time
// prekeys, a store, a Manager, and the bundle to publish.
func newDevice(v omemo.Version, jid string, id uint32) *device {
	ctx := context.Background()
	ik, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		log.Fatal(err)
	}
	st := omemo.NewMemStore(ik)
	spk, err := omemo.GenerateSignedPreKey(v, ik, 1)
	if err != nil {
		log.Fatal(err)
	}
	if err := st.AddSignedPreKey(ctx, spk); err != nil {
		log.Fatal(err)
	}
	var pks []*x3dh.OneTimePreKey
	for i := range 25 { // XEP-0384: at least 25
		pk, err := x3dh.GenerateOneTimePreKey(uint32(i + 1))
		if err != nil {
			log.Fatal(err)
		}
		if err := st.AddPreKey(ctx, pk); err != nil {
			log.Fatal(err)
		}
		pks = append(pks, pk)
	}
	b, err := omemo.NewBundle(v, id, ik, spk, pks)
	if err != nil {
		log.Fatal(err)
	}
	x, err := b.XML()
	if err != nil {
		log.Fatal(err)
	}
	m, err := omemo.NewManager(v, st, jid, id)
	if err != nil {
		log.Fatal(err)
	}
	return &device{jid: jid, id: id, m: m, bundle: x}
}

func (d *device) addr() session.Address { return session.Address{Name: d.jid, DeviceID: d.id} }

// fetch is what a client does with a contact's bundle from PEP: parse it
// and start a session.
func (d *device) fetch(peer *device) {
	b, err := omemo.ParseBundle(peer.bundle, peer.id)
	if err != nil {
		log.Fatal(err)
	}
	if err := d.m.ProcessBundle(context.Background(), peer.jid, b); err != nil {
		log.Fatal(err)
	}
}

// An OMEMO 2 conversation: Alice fetches Bob's bundle and writes; her first
// message carries the key exchange; Bob answers; from then on both send
// authenticated messages only. The plaintext of an OMEMO 2 message is the
// XEP-0420 SCE envelope that the app builds.
func Example() {
	ctx := context.Background()
	alice := newDevice(omemo.V2, "alice@example.org", 1001)
	bob := newDevice(omemo.V2, "bob@example.net", 2002)

	alice.fetch(bob)
	for i, text := range []string{"Hello Bob", "Are you there?", "Good."} {
		from, to := alice, bob
		if i == 1 {
			from, to = bob, alice
		}
		envelope := fmt.Appendf(nil, "<envelope xmlns='urn:xmpp:sce:1'><content><body xmlns='jabber:client'>%s</body></content></envelope>", text)
		e, err := from.m.Encrypt(ctx, envelope, []session.Address{to.addr()})
		if err != nil {
			log.Fatal(err)
		}
		x, err := e.XML() // the <encrypted/> element of the message stanza
		if err != nil {
			log.Fatal(err)
		}

		// The recipient's client parses the element and decrypts it.
		got, err := omemo.ParseEncrypted(x)
		if err != nil {
			log.Fatal(err)
		}
		plain, err := to.m.Decrypt(ctx, from.jid, got)
		if err != nil {
			log.Fatal(err)
		}
		_, body, _ := strings.Cut(string(plain), "<body xmlns='jabber:client'>")
		body, _, _ = strings.Cut(body, "</body>")
		fmt.Printf("%s -> %s (key exchange: %v): %s\n", from.jid, to.jid, got.Keys[0].KeyExchange, body)
	}
	// Output:
	// alice@example.org -> bob@example.net (key exchange: true): Hello Bob
	// bob@example.net -> alice@example.org (key exchange: false): Are you there?
	// alice@example.org -> bob@example.net (key exchange: false): Good.
}

// One message to several devices of two users: Bob's phone and laptop,
// and Alice's own other device (so that her history stays in sync). The
// content is encrypted once; each device gets the key through its own
// session, in one <encrypted/> element with a <keys/> group per JID.
func Example_manyDevices() {
	ctx := context.Background()
	alicePhone := newDevice(omemo.V2, "alice@example.org", 1)
	aliceLaptop := newDevice(omemo.V2, "alice@example.org", 2)
	bobPhone := newDevice(omemo.V2, "bob@example.net", 3)
	bobLaptop := newDevice(omemo.V2, "bob@example.net", 4)

	to := []*device{bobPhone, bobLaptop, aliceLaptop}
	var addrs []session.Address
	for _, d := range to {
		alicePhone.fetch(d)
		addrs = append(addrs, d.addr())
	}
	e, err := alicePhone.m.Encrypt(ctx, []byte("<envelope xmlns='urn:xmpp:sce:1'>...</envelope>"), addrs)
	if err != nil {
		log.Fatal(err)
	}
	x, err := e.XML()
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range to {
		got, err := omemo.ParseEncrypted(x)
		if err != nil {
			log.Fatal(err)
		}
		plain, err := d.m.Decrypt(ctx, alicePhone.jid, got)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s/%d: %s\n", d.jid, d.id, plain)
	}
	// Output:
	// bob@example.net/3: <envelope xmlns='urn:xmpp:sce:1'>...</envelope>
	// bob@example.net/4: <envelope xmlns='urn:xmpp:sce:1'>...</envelope>
	// alice@example.org/2: <envelope xmlns='urn:xmpp:sce:1'>...</envelope>
}

// OMEMO 0.3 (eu.siacs.conversations.axolotl) has the same API: its
// sessions are Signal v3 sessions, its plaintext is the body text, and its
// payload is AES-128-GCM with the IV in the header.
func Example_legacy() {
	ctx := context.Background()
	alice := newDevice(omemo.V03, "alice@example.org", 11)
	bob := newDevice(omemo.V03, "bob@example.net", 22)
	alice.fetch(bob)
	e, err := alice.m.Encrypt(ctx, []byte("Hello from Conversations' namespace"), []session.Address{bob.addr()})
	if err != nil {
		log.Fatal(err)
	}
	x, _ := e.XML()
	got, err := omemo.ParseEncrypted(x)
	if err != nil {
		log.Fatal(err)
	}
	plain, err := bob.m.Decrypt(ctx, alice.jid, got)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s (prekey: %v, IV %d bytes)\n", plain, got.Keys[0].KeyExchange, len(got.IV))
	// Output:
	// Hello from Conversations' namespace (prekey: true, IV 12 bytes)
}
