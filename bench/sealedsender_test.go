package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/sealedsender"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/x3dh"
)

// The sealed-sender scenarios (issue 15). Like the others, each runs its
// implementations back to back:
//
//	SealedSenderV1/full       100 B in an acknowledged session, alternating
//	                          direction (as PingPong100: every decrypt is a
//	                          DH ratchet step), every message sealed and
//	                          opened: session encrypt + seal v1 at the
//	                          sender (Cipher.Encrypt; libsignal's
//	                          sealedSenderEncryptMessage), open + certificate
//	                          validation + self-send check + session decrypt
//	                          at the recipient (Cipher.Decrypt; libsignal's
//	                          sealedSenderDecryptMessage)
//	SealedSenderV1/envelope   the envelope alone: SealV1 + Open of a fixed
//	                          Content (a 100 B session message and the
//	                          sender certificate), no validation, no session
//	                          (libsignal's sealedSenderEncrypt of a fixed
//	                          UnidentifiedSenderMessageContent +
//	                          sealedSenderDecryptToUsmc)
//	SealedSenderV2/full       as V1/full with single-recipient v2 envelopes
//	                          (0x22): Cipher.Encrypt with Version V2 +
//	                          Cipher.Decrypt (libsignal: signalEncrypt,
//	                          sealedSenderMultiRecipientEncrypt to the one
//	                          recipient, sealedSenderMultiRecipientMessage-
//	                          ForSingleRecipient, sealedSenderDecryptMessage)
//	SealedSenderV2/envelope   SealV2 to one recipient + ParseSentMessage +
//	                          MessageFor + Open (libsignal: the same three
//	                          steps + sealedSenderDecryptToUsmc)
//	MultiRecipient1000/encrypt  one group message of 100 B to 1,000
//	                          recipients of one device each (1,000 devices,
//	                          1,000 key materials): sender-key encrypt + seal
//	                          v2 (Cipher.EncryptGroup, which also reads the
//	                          1,000 sessions for identity keys and
//	                          registration ids; libsignal: groupEncrypt +
//	                          sealedSenderMultiRecipientEncrypt, which reads
//	                          them too)
//	MultiRecipient1000/split  the server's side of that message: parse it
//	                          and make the received message of every
//	                          recipient (ParseSentMessage + MessageFor;
//	                          libsignal: SealedSenderMultiRecipientMessage +
//	                          messageForRecipient)
//
// The envelope, multi-recipient and split scenarios do not depend on the
// session version; they are reported in the v4 columns (libsignal's
// sessions are v4). The sessions that MultiRecipient1000/encrypt reads are
// v4 sessions.

// ssImpl is one implementation of the sealed-sender scenarios. Nil
// functions are skipped.
type ssImpl struct {
	name   string
	stores []string
	// full returns two parties with an acknowledged session whose send
	// seals and opens (version v).
	full func(b *testing.B, v sealedsender.Version, store string) sender
	// envelope returns one seal + open of a fixed content.
	envelope func(b *testing.B, v sealedsender.Version) func()
	// multi returns one multi-recipient group send to n recipients.
	multi func(b *testing.B, store string, n int) func()
	// multiStores are the store modes of multi, if not stores.
	multiStores []string
	// split returns one server split of a message to n recipients.
	split func(b *testing.B, n int) func()
}

// sender is two parties that send 100 B messages to each other.
type sender interface {
	send(b *testing.B, from int, pt []byte)
}

var ssImpls []*ssImpl

func registerSS(im *ssImpl) { ssImpls = append(ssImpls, im) }

func init() {
	for _, v := range []x3dh.Version{x3dh.V3, x3dh.V4} {
		im := &ssImpl{
			name:   map[x3dh.Version]string{x3dh.V3: "ours-v3", x3dh.V4: "ours-v4"}[v],
			stores: []string{"objects", "serialized"},
			full: func(b *testing.B, sv sealedsender.Version, st string) sender {
				return oursSSPair(b, newSSWorld(b), v, sv, st)
			},
		}
		if v == x3dh.V4 {
			im.envelope = oursEnvelope
			im.multi = oursMulti
			im.split = oursSplit
		}
		registerSS(im)
	}
}

// MultiRecipients is the number of recipients (one device each) of
// MultiRecipient1000.
const MultiRecipients = 1000

func BenchmarkSealedSenderV1(b *testing.B) { benchSealedSender(b, sealedsender.V1) }
func BenchmarkSealedSenderV2(b *testing.B) { benchSealedSender(b, sealedsender.V2) }

func benchSealedSender(b *testing.B, v sealedsender.Version) {
	pt := message(100)
	b.Run("full", func(b *testing.B) {
		for _, im := range ssImpls {
			if im.full == nil {
				continue
			}
			for _, st := range im.stores {
				b.Run("impl="+im.name+"/store="+st, func(b *testing.B) {
					p := im.full(b, v, st)
					runtime.GC() // the setup's garbage is not the operation's
					i := 0
					b.SetBytes(100)
					loop(b, func() {
						p.send(b, i&1, pt)
						i++
					})
				})
			}
		}
	})
	b.Run("envelope", func(b *testing.B) {
		for _, im := range ssImpls {
			if im.envelope != nil {
				b.Run("impl="+im.name+"/store=none", func(b *testing.B) { loop(b, settled(im.envelope(b, v))) })
			}
		}
	})
}

func BenchmarkMultiRecipient1000(b *testing.B) {
	b.Run("encrypt", func(b *testing.B) {
		for _, im := range ssImpls {
			if im.multi == nil {
				continue
			}
			stores := im.stores
			if im.multiStores != nil {
				stores = im.multiStores
			}
			for _, st := range stores {
				b.Run("impl="+im.name+"/store="+st, func(b *testing.B) { loop(b, settled(im.multi(b, st, MultiRecipients))) })
			}
		}
	})
	b.Run("split", func(b *testing.B) {
		for _, im := range ssImpls {
			if im.split != nil {
				b.Run("impl="+im.name+"/store=none", func(b *testing.B) { loop(b, settled(im.split(b, MultiRecipients))) })
			}
		}
	})
}

// settled collects the garbage of the setup that made op, so that the
// timed operations do not pay for it (MultiRecipient1000's setup leaves
// 1,000 devices behind), and returns op.
func settled(op func()) func() {
	runtime.GC()
	return op
}

// ssNow is the time certificates are validated at; they expire a day
// later.
var ssNow = time.UnixMilli(1_800_000_000_000)

// ssWorld is a trust root and a server certificate signed by it.
type ssWorld struct {
	root, serverKey *curve.IdentityKeyPair
	server          *sealedsender.ServerCertificate
}

func newSSWorld(b *testing.B) *ssWorld {
	root, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		b.Fatal(err)
	}
	serverKey, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		b.Fatal(err)
	}
	server, err := sealedsender.NewServerCertificate(7, serverKey.PublicKey(), root)
	if err != nil {
		b.Fatal(err)
	}
	return &ssWorld{root: root, serverKey: serverKey, server: server}
}

func (w *ssWorld) certify(b *testing.B, uuid string, id curve.PublicKey) *sealedsender.SenderCertificate {
	c, err := sealedsender.NewSenderCertificate(sealedsender.Sender{UUID: uuid, DeviceID: 1, IdentityKey: id,
		Expires: ssNow.Add(24 * time.Hour)}, w.server, w.serverKey)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// newACI returns a random ACI service id and its string form, the name of
// its session address.
func newACI() (sealedsender.ServiceID, string) {
	id := sealedsender.ServiceID{Kind: sealedsender.ACI}
	rand.Read(id.UUID[:])
	id.UUID[6] = id.UUID[6]&0x0f | 0x40
	id.UUID[8] = id.UUID[8]&0x3f | 0x80
	return id, id.String()
}

// ssDevice is an oursDevice (Manager over a store of the given mode) with
// an ACI address, a sender certificate, a sender-key cipher and a
// sealed-sender Cipher.
type ssDevice struct {
	*oursDevice
	sid    sealedsender.ServiceID
	addr   session.Address
	cert   *sealedsender.SenderCertificate
	groups *senderkey.Cipher
	c      *sealedsender.Cipher
}

func newSSDevice(b *testing.B, w *ssWorld, store string) *ssDevice {
	sid, name := newACI()
	d := &ssDevice{oursDevice: newOursDevice(b, 1, store), sid: sid, addr: session.Address{Name: name, DeviceID: 1}}
	d.cert = w.certify(b, name, d.id.PublicKey())
	var sk senderkey.Store = &skObjects{m: map[skKey]*senderkey.Record{}}
	if store == "serialized" {
		sk = &skSerialized{m: map[skKey][]byte{}}
	}
	d.groups = senderkey.NewCipher(sk)
	c, err := sealedsender.NewCipher(sealedsender.Config{
		Sessions:   d.m,
		Identity:   d.mem,
		Groups:     d.groups,
		TrustRoots: []curve.PublicKey{w.root.PublicKey()},
		Local:      sealedsender.LocalAddress{UUID: name, DeviceID: 1},
		Now:        func() time.Time { return ssNow },
	})
	if err != nil {
		b.Fatal(err)
	}
	d.c = c
	return d
}

type skKey struct {
	sender senderkey.Sender
	id     senderkey.DistributionID
}

// skObjects is the "objects" sender-key store: it hands out its own
// record (as oursStore does with sessions; the benchmarked paths never
// fail).
type skObjects struct {
	mu sync.Mutex
	m  map[skKey]*senderkey.Record
}

func (s *skObjects) LoadSenderKey(_ context.Context, sender senderkey.Sender, id senderkey.DistributionID) (*senderkey.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[skKey{sender, id}], nil
}

func (s *skObjects) StoreSenderKey(_ context.Context, sender senderkey.Sender, id senderkey.DistributionID, r *senderkey.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[skKey{sender, id}] = r
	return nil
}

// skSerialized is the "serialized" sender-key store: records are encoded
// on every save and parsed on every load.
type skSerialized struct {
	mu sync.Mutex
	m  map[skKey][]byte
}

func (s *skSerialized) LoadSenderKey(_ context.Context, sender senderkey.Sender, id senderkey.DistributionID) (*senderkey.Record, error) {
	s.mu.Lock()
	enc := s.m[skKey{sender, id}]
	s.mu.Unlock()
	if enc == nil {
		return nil, nil
	}
	return senderkey.ParseRecord(enc)
}

func (s *skSerialized) StoreSenderKey(_ context.Context, sender senderkey.Sender, id senderkey.DistributionID, r *senderkey.Record) error {
	enc, err := r.MarshalBinary()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[skKey{sender, id}] = enc
	return nil
}

// ssPair is Alice (0) and Bob (1) with an acknowledged session whose
// messages travel sealed.
type ssPair struct {
	d    [2]*ssDevice
	opts *sealedsender.Options
}

func oursSSPair(b *testing.B, w *ssWorld, v x3dh.Version, sv sealedsender.Version, store string) *ssPair {
	p := &ssPair{d: [2]*ssDevice{newSSDevice(b, w, store), newSSDevice(b, w, store)}, opts: &sealedsender.Options{Version: sv}}
	connectSS(b, p.d[0], p.d[1], v)
	return p
}

// connectSS gives a a session with b, acknowledged by b, over plain
// session messages.
func connectSS(b *testing.B, a, to *ssDevice, v x3dh.Version) {
	ctx := context.Background()
	bundle, _ := oursBundle(b, to.oursDevice, v)
	if err := a.m.ProcessBundle(ctx, to.addr, bundle); err != nil {
		b.Fatal(err)
	}
	pt := message(100)
	for _, dir := range [2][2]*ssDevice{{a, to}, {to, a}} {
		msg, err := dir[0].m.Encrypt(ctx, dir[1].addr, pt)
		if err != nil {
			b.Fatal(err)
		}
		got, err := dir[1].m.Decrypt(ctx, dir[0].addr, msg)
		if err != nil {
			b.Fatal(err)
		}
		checkPlaintext(b, got, pt)
	}
}

func (p *ssPair) send(b *testing.B, from int, pt []byte) {
	ctx := context.Background()
	s, r := p.d[from], p.d[1-from]
	env, err := s.c.Encrypt(ctx, r.addr, s.cert, pt, p.opts)
	if err != nil {
		b.Fatal(err)
	}
	res, err := r.c.Decrypt(ctx, env)
	if err != nil {
		b.Fatal(err)
	}
	checkPlaintext(b, res.Plaintext, pt)
}

// ssContent returns the fixed content of the envelope scenarios: a 100 B
// v4 session message from a to b under a's certificate.
func ssContent(b *testing.B, p *ssPair) *sealedsender.Content {
	msg, err := p.d[0].m.Encrypt(context.Background(), p.d[1].addr, message(100))
	if err != nil {
		b.Fatal(err)
	}
	return &sealedsender.Content{Type: sealedsender.ContentType(msg.Type), Certificate: p.d[0].cert, Body: msg.Body}
}

func oursEnvelope(b *testing.B, v sealedsender.Version) func() {
	p := oursSSPair(b, newSSWorld(b), x3dh.V4, v, "objects")
	content := ssContent(b, p)
	alice, bob := p.d[0].id, p.d[1].id
	check := func(c *sealedsender.Content, err error) {
		if err != nil {
			b.Fatal(err)
		}
		if !bytes.Equal(c.Body, content.Body) {
			b.Fatal("opened a different body")
		}
	}
	if v == sealedsender.V1 {
		return func() {
			env, err := sealedsender.SealV1(content, alice, bob.PublicKey())
			if err != nil {
				b.Fatal(err)
			}
			check(sealedsender.Open(env, bob))
		}
	}
	to := []sealedsender.Recipient{{ServiceID: p.d[1].sid, IdentityKey: bob.PublicKey(),
		Devices: []sealedsender.Device{{ID: 1, RegistrationID: 2}}}}
	return func() {
		sent, err := sealedsender.SealV2(content, alice, to, nil)
		if err != nil {
			b.Fatal(err)
		}
		m, err := sealedsender.ParseSentMessage(sent)
		if err != nil || len(m.Recipients) != 1 {
			b.Fatal("split:", err)
		}
		check(sealedsender.Open(m.MessageFor(&m.Recipients[0]), bob))
	}
}

// ssGroupID is the 32-byte group id of the multi-recipient messages.
var ssGroupID = message(32)

// oursMulti: Alice has acknowledged v4 sessions with n recipients, each a
// device of its own account (its own identity key), and a sender key for
// the group. One operation is Cipher.EncryptGroup of 100 B to all of them.
// The setup checks that the first recipient decrypts its part.
func oursMulti(b *testing.B, store string, n int) func() {
	ctx := context.Background()
	w := newSSWorld(b)
	alice := newSSDevice(b, w, store)
	to := make([]session.Address, n)
	var first *ssDevice
	for i := range to {
		r := newSSDevice(b, w, store)
		connectSS(b, alice, r, x3dh.V4)
		to[i] = r.addr
		if i == 0 {
			first = r
		}
	}
	self := senderkey.Sender{Name: alice.addr.Name, DeviceID: 1}
	dist := senderkey.NewDistributionID()
	dm, err := alice.groups.CreateDistributionMessage(ctx, self, dist)
	if err != nil {
		b.Fatal(err)
	}
	if err := first.groups.ProcessDistributionMessage(ctx, self, dm); err != nil {
		b.Fatal(err)
	}
	pt := message(100)
	opts := &sealedsender.Options{GroupID: ssGroupID}
	encrypt := func() []byte {
		sent, err := alice.c.EncryptGroup(ctx, self, dist, to, nil, alice.cert, pt, opts)
		if err != nil {
			b.Fatal(err)
		}
		return sent
	}
	m, err := sealedsender.ParseSentMessage(encrypt())
	if err != nil || len(m.Recipients) != n {
		b.Fatal("split:", err)
	}
	res, err := first.c.Decrypt(ctx, m.MessageFor(m.Recipient(first.sid)))
	if err != nil {
		b.Fatal(err)
	}
	checkPlaintext(b, res.Plaintext, pt)
	return func() { encrypt() }
}

// ssSentMessage returns a multi-recipient message like
// MultiRecipient1000/encrypt's (a 100 B sender-key message, a 32-byte group
// id, n recipients of one device each), made without sessions, and the
// service ids of its recipients.
func ssSentMessage(b *testing.B, n int) ([]byte, []sealedsender.ServiceID) {
	ctx := context.Background()
	w := newSSWorld(b)
	alice := newSSDevice(b, w, "objects")
	self := senderkey.Sender{Name: alice.addr.Name, DeviceID: 1}
	dist := senderkey.NewDistributionID()
	if _, err := alice.groups.CreateDistributionMessage(ctx, self, dist); err != nil {
		b.Fatal(err)
	}
	body, err := alice.groups.Encrypt(ctx, self, dist, message(100))
	if err != nil {
		b.Fatal(err)
	}
	to := make([]sealedsender.Recipient, n)
	ids := make([]sealedsender.ServiceID, n)
	for i := range to {
		kp, err := curve.GenerateKeyPair()
		if err != nil {
			b.Fatal(err)
		}
		ids[i], _ = newACI()
		to[i] = sealedsender.Recipient{ServiceID: ids[i], IdentityKey: kp.Public,
			Devices: []sealedsender.Device{{ID: 1, RegistrationID: uint32(i%sealedsender.MaxRegistrationID + 1)}}}
	}
	content := &sealedsender.Content{Type: sealedsender.TypeSenderKey, Certificate: alice.cert, Body: body, GroupID: ssGroupID}
	sent, err := sealedsender.SealV2(content, alice.id, to, nil)
	if err != nil {
		b.Fatal(err)
	}
	return sent, ids
}

var sinkMessages [][]byte

// oursSplit parses the sent message and makes every recipient's received
// message.
func oursSplit(b *testing.B, n int) func() {
	sent, _ := ssSentMessage(b, n)
	return func() {
		m, err := sealedsender.ParseSentMessage(sent)
		if err != nil || len(m.Recipients) != n {
			b.Fatal("split:", err)
		}
		out := sinkMessages[:0]
		for i := range m.Recipients {
			out = append(out, m.MessageFor(&m.Recipients[i]))
		}
		sinkMessages = out
	}
}
