package interop_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/interop/libparty"
	"github.com/forwardsecret/signal/interop/peer"
	"github.com/forwardsecret/signal/sealedsender"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
)

// Sealed sender live against the official libsignal (node-v4,
// @signalapp/libsignal-client): certificates made by each side validated
// by the other, v1 and v2 1:1 conversations, multi-recipient group sends
// split by each side's "server", and every byte of each kind of envelope
// flipped. The peer ops are in node/peer-libsignal-client.js (README: the
// ss_* ops).

// ssTrust is the test's Signal service: a trust root and a server key with
// its certificate (key id 7), made by this library.
type ssTrust struct {
	root, server *curve.IdentityKeyPair
	serverCert   *sealedsender.ServerCertificate
}

func newSSTrust(t testing.TB) *ssTrust {
	t.Helper()
	root, server := mustIdentity(t), mustIdentity(t)
	sc, err := sealedsender.NewServerCertificate(7, server.PublicKey(), root)
	if err != nil {
		t.Fatal(err)
	}
	return &ssTrust{root: root, server: server, serverCert: sc}
}

func (tr *ssTrust) roots() []curve.PublicKey { return []curve.PublicKey{tr.root.PublicKey()} }
func (tr *ssTrust) rootsHex() []peer.Hex     { return []peer.Hex{tr.root.PublicKey().Bytes()} }

// cert makes a sender certificate with this library.
func (tr *ssTrust) cert(t testing.TB, uuid string, device uint32, ik curve.PublicKey, expires time.Time) *sealedsender.SenderCertificate {
	t.Helper()
	c, err := sealedsender.NewSenderCertificate(sealedsender.Sender{UUID: uuid, DeviceID: device, IdentityKey: ik, Expires: expires},
		tr.serverCert, tr.server)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustIdentity(t testing.TB) *curve.IdentityKeyPair {
	t.Helper()
	k, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newUUID returns a random version 4 UUID string (an ACI).
func newUUID(t testing.TB) string {
	b := randBytes(t, 16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// protoField returns the bytes of length-delimited field num of a protobuf
// message (the signed part of a certificate is field 1).
func protoField(t testing.TB, b []byte, num protowire.Number) []byte {
	t.Helper()
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			t.Fatalf("protobuf: %v", protowire.ParseError(l))
		}
		b = b[l:]
		if n == num && typ == protowire.BytesType {
			v, l := protowire.ConsumeBytes(b)
			if l < 0 {
				t.Fatalf("protobuf: %v", protowire.ParseError(l))
			}
			return v
		}
		l = protowire.ConsumeFieldValue(n, typ, b)
		if l < 0 {
			t.Fatalf("protobuf: %v", protowire.ParseError(l))
		}
		b = b[l:]
	}
	return nil
}

// goCertVerdict parses and validates a sender certificate with this
// library and names the outcome as the peer's classes do.
func goCertVerdict(b []byte, now time.Time, roots ...curve.PublicKey) string {
	c, err := sealedsender.ParseSenderCertificate(b)
	if err == nil {
		err = c.Validate(now, roots...)
	}
	switch {
	case err == nil:
		return "valid"
	case errors.Is(err, sealedsender.ErrRevoked):
		return "revoked"
	case errors.Is(err, sealedsender.ErrUntrustedRoot):
		return "untrusted"
	case errors.Is(err, sealedsender.ErrExpired):
		return "expired"
	case errors.Is(err, sealedsender.ErrInvalidCertificate), errors.Is(err, sealedsender.ErrUnknownServerCertificate):
		return "invalid-cert"
	}
	return "other: " + err.Error()
}

func nodeCertVerdict(t testing.TB, p *peer.Process, b []byte, now time.Time, roots ...curve.PublicKey) string {
	t.Helper()
	var rs [][]byte
	for _, r := range roots {
		rs = append(rs, r.Bytes())
	}
	ok, reason, err := p.SSValidate(context.Background(), b, rs, now.UnixMilli())
	if err != nil {
		t.Fatalf("ss_validate: %v", err)
	}
	if ok {
		return "valid"
	}
	return peer.SSReasonClass(reason)
}

// TestSealedSenderCertificates checks sender certificates both ways: made
// by libsignal and validated here, made here and validated by libsignal,
// with equal fields and byte-identical signed parts; expiry at and after
// the expiration time; a wrong trust root, the revoked key id 0xDEADC357, a
// sender certificate not signed by its server key, and every byte of a
// certificate of each side flipped: refused by both. libsignal's own
// fixtures (from its tests) validate here as they do there.
func TestSealedSenderCertificates(t *testing.T) {
	ctx := context.Background()
	node := needPeer(t, peer.KindNodeV4)
	tr := newSSTrust(t)
	other := mustIdentity(t)
	ik := mustIdentity(t).PublicKey()
	uuid := newUUID(t)
	expires := time.UnixMilli(time.Now().Add(24 * time.Hour).UnixMilli())
	now := time.Now()

	// libsignal's server certificate for our server key, then its sender
	// certificate signed with it.
	nodeSC, err := node.SSServerCert(ctx, 7, tr.root.PrivateKey().Bytes(), tr.server.PublicKey().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	nodeCert, err := node.SSSenderCert(ctx, peer.SenderCertRequest{UUID: uuid, E164: "+14155550101", DeviceID: 3,
		IdentityPublic: ik.Bytes(), Expires: expires.UnixMilli(), ServerCert: nodeSC, ServerPrivate: tr.server.PrivateKey().Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	c, err := sealedsender.ParseSenderCertificate(nodeCert)
	if err != nil {
		t.Fatalf("libsignal's certificate does not parse: %v", err)
	}
	s := c.Sender()
	if s.UUID != uuid || s.E164 != "+14155550101" || s.DeviceID != 3 || !bytes.Equal(s.IdentityKey.Bytes(), ik.Bytes()) || !s.Expires.Equal(expires) {
		t.Fatalf("libsignal's certificate reads as %+v", s)
	}
	signer, err := c.Signer()
	if err != nil || signer.KeyID() != 7 || !bytes.Equal(signer.Key().Bytes(), tr.server.PublicKey().Bytes()) || !bytes.Equal(signer.Bytes(), nodeSC) {
		t.Fatalf("signer of libsignal's certificate: %v, %v", signer, err)
	}
	// The same fields signed by this library under libsignal's server
	// certificate: the signed part must be byte-identical.
	nodeSigner, err := sealedsender.ParseServerCertificate(nodeSC)
	if err != nil {
		t.Fatal(err)
	}
	ours, err := sealedsender.NewSenderCertificate(s, nodeSigner, tr.server)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := protoField(t, ours.Bytes(), 1), protoField(t, nodeCert, 1); !bytes.Equal(a, b) {
		t.Fatalf("signed part differs:\n ours      %x\n libsignal %x", a, b)
	}
	if a, b := protoField(t, tr.serverCert.Bytes(), 1), protoField(t, nodeSC, 1); !bytes.Equal(a, b) {
		t.Fatalf("server certificate's signed part differs:\n ours      %x\n libsignal %x", a, b)
	}

	goCert := tr.cert(t, uuid, 3, ik, expires).Bytes()
	info, err := node.SSCertInfo(ctx, goCert)
	if err != nil {
		t.Fatalf("libsignal does not parse our certificate: %v", err)
	}
	if info.UUID != uuid || info.E164 != "" || info.DeviceID != 3 || info.Expires != expires.UnixMilli() ||
		!bytes.Equal(info.IdentityKey, ik.Bytes()) || info.ServerKeyID != 7 || !bytes.Equal(info.ServerKey, tr.server.PublicKey().Bytes()) {
		t.Fatalf("libsignal reads our certificate as %+v", info)
	}

	// Verdicts of both sides on both certificates and on bad ones.
	revokedSC, err := sealedsender.NewServerCertificate(0xDEADC357, tr.server.PublicKey(), tr.root)
	if err != nil {
		t.Fatal(err)
	}
	goRevoked, err := sealedsender.NewSenderCertificate(sealedsender.Sender{UUID: uuid, DeviceID: 3, IdentityKey: ik, Expires: expires}, revokedSC, tr.server)
	if err != nil {
		t.Fatal(err)
	}
	nodeRevokedSC, err := node.SSServerCert(ctx, 0xDEADC357, tr.root.PrivateKey().Bytes(), tr.server.PublicKey().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	nodeRevoked, err := node.SSSenderCert(ctx, peer.SenderCertRequest{UUID: uuid, DeviceID: 3, IdentityPublic: ik.Bytes(),
		Expires: expires.UnixMilli(), ServerCert: nodeRevokedSC, ServerPrivate: tr.server.PrivateKey().Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	// Signed by another key than the server certificate's.
	goForged, err := sealedsender.NewSenderCertificate(sealedsender.Sender{UUID: uuid, DeviceID: 3, IdentityKey: ik, Expires: expires}, tr.serverCert, other)
	if err != nil {
		t.Fatal(err)
	}
	nodeForged, err := node.SSSenderCert(ctx, peer.SenderCertRequest{UUID: uuid, DeviceID: 3, IdentityPublic: ik.Bytes(),
		Expires: expires.UnixMilli(), ServerCert: nodeSC, ServerPrivate: other.PrivateKey().Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	after := expires.Add(time.Millisecond)
	cases := []struct {
		name  string
		cert  []byte
		at    time.Time
		roots []curve.PublicKey
		want  string
	}{
		{"libsignal's", nodeCert, now, tr.roots(), "valid"},
		{"ours", goCert, now, tr.roots(), "valid"},
		{"libsignal's, at its expiration", nodeCert, expires, tr.roots(), "valid"},
		{"ours, at its expiration", goCert, expires, tr.roots(), "valid"},
		{"libsignal's, 1 ms after its expiration", nodeCert, after, tr.roots(), "expired"},
		{"ours, 1 ms after its expiration", goCert, after, tr.roots(), "expired"},
		{"libsignal's, wrong root", nodeCert, now, []curve.PublicKey{other.PublicKey()}, "untrusted"},
		{"ours, wrong root", goCert, now, []curve.PublicKey{other.PublicKey()}, "untrusted"},
		{"libsignal's, wrong root and the right one", nodeCert, now, []curve.PublicKey{other.PublicKey(), tr.root.PublicKey()}, "valid"},
		{"ours, the right root and a wrong one", goCert, now, []curve.PublicKey{tr.root.PublicKey(), other.PublicKey()}, "valid"},
		{"libsignal's, revoked key id", nodeRevoked, now, tr.roots(), "revoked"},
		{"ours, revoked key id", goRevoked.Bytes(), now, tr.roots(), "revoked"},
		{"libsignal's, not signed by the server key", nodeForged, now, tr.roots(), "invalid-cert"},
		{"ours, not signed by the server key", goForged.Bytes(), now, tr.roots(), "invalid-cert"},
	}
	for _, k := range cases {
		g, n := goCertVerdict(k.cert, k.at, k.roots...), nodeCertVerdict(t, node, k.cert, k.at, k.roots...)
		if g != k.want || n != k.want {
			t.Errorf("%s: ours %s, libsignal %s; want %s", k.name, g, n, k.want)
		}
	}

	// Every byte flipped: both refuse every copy.
	for _, k := range []struct {
		name string
		cert []byte
	}{{"libsignal's", nodeCert}, {"ours", goCert}} {
		goClasses, nodeClasses := map[string]int{}, map[string]int{}
		differ := 0
		for i := range k.cert {
			bad := bytes.Clone(k.cert)
			bad[i] ^= 0xff
			g, n := goCertVerdict(bad, now, tr.roots()...), nodeCertVerdict(t, node, bad, now, tr.roots()...)
			if g == "valid" || n == "valid" {
				t.Errorf("%s certificate, byte %d of %d flipped: ours %s, libsignal %s", k.name, i, len(k.cert), g, n)
			}
			goClasses[g]++
			nodeClasses[n]++
			if g != n {
				differ++
			}
		}
		t.Logf("%s certificate (%d bytes) flipped byte by byte: ours %v; libsignal %v; reasons differ at %d bytes",
			k.name, len(k.cert), goClasses, nodeClasses, differ)
	}

	// libsignal's fixtures (rust/protocol/src/sealed_sender.rs tests): the
	// trust root's private key is 32 zero bytes; valid at 31336, expire at
	// 31337. (c) names its signer by the known id 0x7357C357.
	zero, err := curve.NewPrivateKey(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	fixtureRoot := curve.NewKeyPair(zero).Public
	for _, f := range []struct{ name, cert, sig string }{
		{"embedded signer and an unknown field",
			"100119697a0000000000002221056c9d1f8deb82b9a898f9c277a1b74989ec009afb5c0acb5e8e69e3d5ca29d6322a690a2508011221053b03ca070e6f6b2f271d32f27321689cdf4e59b106c10b58fbe15063ed868a5a124024bc92954e52ad1a105b5bda85c9db410dcfeb42a671b45a523b3a46e9594a8bde0efc671d8e8e046b32c67f59b80a46ffdf24071850779bc21325107902af89322461616161616161612d373030302d313165622d623332612d333362386138613438376136ba3e136372617368696e6720726967687420646f776e",
			"a22d8f86f5d00794f319add821e342c6ffffb6b34f741e569f8b321ab0255f2d1757ecf648e53a3602cae8f09b3fc80dcf27534d67efd272b6739afc31f75c8c"},
		{"uuid as bytes",
			"100119697a000000000000222105e083a8ce423d1c1955174107a85a6a7f3bcbf566723624077f75eafe8e0a07752a690a25080112210507a24397ae27d06fa76d2f02cfb5546e0b23a7e0c3670c1eb1e73b135a8e1e4d12407d127509ae1f5e9dcaa511793d3e94350dcb269e4ca54500da6e1f4dc13d95940c15badef019edfe8666315500c54e4489d4b83f6ce79c7f65c9772a1a83d88c3a10aaaaaaaa700011ebb32a33b8a8a487a6",
			"755c428e9bf6ba367152f1e545834649b4e8f70df8383a352a953fdb774862af5d42fab573fc52b90ad47c331c36f93b1a4fa7a2504917d895452ffe7f44bd0e"},
		{"signer by reference",
			"100119697a000000000000222105d75b13e15c7700079dd226f51e5a790ba395e819e88a74d0cf5cedfad8b4334840d786df9a07322461616161616161612d373030302d313165622d623332612d333362386138613438376136",
			"e62667bce627caed56ca2ab309b6ae7bc890a30a7482c0e1fd77ec9c3b7528abfd45c8c42b240509a71d973ef5e0f1dbd2685fe01410f0fdbaa8fb247a67e08f"},
	} {
		cert, _ := hex.DecodeString(f.cert)
		sig, _ := hex.DecodeString(f.sig)
		b := protowire.AppendTag(nil, 1, protowire.BytesType)
		b = protowire.AppendBytes(b, cert)
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendBytes(b, sig)
		for _, at := range []struct {
			ms   int64
			want string
		}{{31336, "valid"}, {31337, "valid"}, {31338, "expired"}} {
			g, n := goCertVerdict(b, time.UnixMilli(at.ms), fixtureRoot), nodeCertVerdict(t, node, b, time.UnixMilli(at.ms), fixtureRoot)
			if g != at.want || n != at.want {
				t.Errorf("libsignal fixture %q at %d: ours %s, libsignal %s; want %s", f.name, at.ms, g, n, at.want)
			}
		}
		c, err := sealedsender.ParseSenderCertificate(b)
		if err != nil {
			t.Fatal(err)
		}
		info, err := node.SSCertInfo(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		if s := c.Sender(); s.UUID != info.UUID || s.UUID != "aaaaaaaa-7000-11eb-b32a-33b8a8a487a6" || s.DeviceID != info.DeviceID ||
			s.Expires.UnixMilli() != info.Expires || !bytes.Equal(s.IdentityKey.Bytes(), info.IdentityKey) {
			t.Errorf("libsignal fixture %q: ours %+v, libsignal %+v", f.name, s, info)
		}
	}
}

// ---- Devices ----

// ssGoDevice is one device running this library: the session layer of
// libparty (its store replaced by one holding the account's identity, which
// all devices of an account share), sender keys in memory, and a
// sealed-sender Cipher over both.
type ssGoDevice struct {
	*libparty.Party
	uuid string
	dev  uint32
	id   *curve.IdentityKeyPair
	sk   *senderkey.MemoryStore
	skc  *senderkey.Cipher
	c    *sealedsender.Cipher
	cert *sealedsender.SenderCertificate
}

func newSSGoDevice(t testing.TB, tr *ssTrust, uuid string, dev uint32, id *curve.IdentityKeyPair) *ssGoDevice {
	t.Helper()
	regID := nextRegID()
	lp, err := libparty.New(fmt.Sprintf("lib:%s.%d", uuid[:8], dev), regID, dev)
	if err != nil {
		t.Fatal(err)
	}
	lp.Store = memstore.New(id, regID)
	lp.M = session.NewManager(session.StoresOf(lp.Store))
	d := &ssGoDevice{Party: lp, uuid: uuid, dev: dev, id: id, sk: new(senderkey.MemoryStore)}
	d.skc = senderkey.NewCipher(d.sk)
	d.c, err = sealedsender.NewCipher(sealedsender.Config{Sessions: lp.M, Groups: d.skc, Identity: lp.Store,
		TrustRoots: tr.roots(), Local: sealedsender.LocalAddress{UUID: uuid, DeviceID: dev}, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	d.cert = tr.cert(t, uuid, dev, id.PublicKey(), time.Now().Add(24*time.Hour))
	return d
}

func (d *ssGoDevice) addr() peer.Address { return peer.Address{Name: d.uuid, DeviceID: d.dev} }

// state is the device's whole stored state in a canonical form (the
// store's snapshot with its repeated entries sorted, since it is written
// from maps) and the sender-key records of the given senders.
func (d *ssGoDevice) state(t testing.TB, ctx context.Context, groups ...ssSenderKeyID) string {
	t.Helper()
	snap, err := d.Store.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var fields []string
	for len(snap) > 0 {
		n, typ, l := protowire.ConsumeTag(snap)
		if l < 0 {
			t.Fatal("store snapshot does not parse")
		}
		m := protowire.ConsumeFieldValue(n, typ, snap[l:])
		if m < 0 {
			t.Fatal("store snapshot does not parse")
		}
		fields = append(fields, string(snap[:l+m]))
		snap = snap[l+m:]
	}
	sort.Strings(fields)
	for _, g := range groups {
		r, err := d.sk.LoadSenderKey(ctx, g.sender, g.id)
		if err != nil {
			t.Fatal(err)
		}
		if r == nil {
			fields = append(fields, "no sender key")
			continue
		}
		b, err := r.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		fields = append(fields, string(b))
	}
	return strings.Join(fields, "|")
}

type ssSenderKeyID struct {
	sender senderkey.Sender
	id     senderkey.DistributionID
}

// ssNodeDevice is one device running libsignal (a node-v4 process), with
// a sender certificate that libsignal made.
type ssNodeDevice struct {
	*peer.Process
	uuid  string
	dev   uint32
	regID uint32
	id    *curve.IdentityKeyPair
	cert  []byte
	roots []peer.Hex
}

func newSSNodeDevice(t testing.TB, tr *ssTrust, uuid string, dev uint32, id *curve.IdentityKeyPair) *ssNodeDevice {
	t.Helper()
	ctx := context.Background()
	p := needPeer(t, peer.KindNodeV4)
	p.SetLabel(fmt.Sprintf("node-v4:%s.%d", uuid[:8], dev))
	regID := nextRegID()
	if _, err := p.Init(ctx, peer.InitRequest{RegistrationID: regID, DeviceID: dev, IdentityPrivate: id.PrivateKey().Bytes(), Name: uuid}); err != nil {
		t.Fatal(err)
	}
	sc, err := p.SSServerCert(ctx, 7, tr.root.PrivateKey().Bytes(), tr.server.PublicKey().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := p.SSSenderCert(ctx, peer.SenderCertRequest{UUID: uuid, DeviceID: dev, IdentityPublic: id.PublicKey().Bytes(),
		Expires: time.Now().Add(24 * time.Hour).UnixMilli(), ServerCert: sc, ServerPrivate: tr.server.PrivateKey().Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	return &ssNodeDevice{Process: p, uuid: uuid, dev: dev, regID: regID, id: id, cert: cert, roots: tr.rootsHex()}
}

func (d *ssNodeDevice) addr() peer.Address { return peer.Address{Name: d.uuid, DeviceID: d.dev} }

func (d *ssNodeDevice) decrypt(ctx context.Context, env []byte, oneCall bool) (peer.SSDecrypted, error) {
	return d.SSDecrypt(ctx, peer.SSDecryptRequest{Envelope: env, TrustRoots: d.roots, Time: time.Now().UnixMilli(),
		LocalUUID: d.uuid, LocalDeviceID: d.dev, OneCall: oneCall})
}

func sessAddr(a peer.Address) session.Address {
	return session.Address{Name: a.Name, DeviceID: a.DeviceID}
}

// goErrClass names an error of this library's Cipher.Decrypt as the
// peer's classes do.
func goErrClass(err error) string {
	var inner *sealedsender.InnerError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &inner):
		var ue *session.UntrustedIdentityError
		switch {
		case errors.Is(err, session.ErrDuplicateMessage):
			return "inner:duplicate"
		case errors.As(err, &ue):
			return "inner:identity"
		case errors.Is(err, session.ErrNoSession):
			return "inner:no-session"
		case errors.Is(err, senderkey.ErrNoSenderKey):
			return "inner:no-sender-key"
		}
		return "inner:invalid"
	case errors.Is(err, sealedsender.ErrSelfSend):
		return "self"
	case errors.Is(err, sealedsender.ErrUnknownVersion):
		return "version"
	case errors.Is(err, sealedsender.ErrRevoked):
		return "revoked"
	case errors.Is(err, sealedsender.ErrUntrustedRoot):
		return "untrusted"
	case errors.Is(err, sealedsender.ErrExpired):
		return "expired"
	case errors.Is(err, sealedsender.ErrInvalidCertificate):
		return "invalid-cert"
	case errors.Is(err, sealedsender.ErrInvalidMessage):
		return "invalid"
	}
	return "other: " + err.Error()
}

// ssFlips counts what flipping every byte of one envelope did.
type ssFlips struct {
	Bytes   int
	Classes map[string]int // errors by class
}

func (f ssFlips) String() string { return fmt.Sprintf("%d bytes: %v", f.Bytes, f.Classes) }

// flipCheck decrypts env with each byte in turn XORed with 0xff: every copy
// must be refused and leave the device's state (store and the given
// sender keys) as it was.
func (d *ssGoDevice) flipCheck(t testing.TB, ctx context.Context, env []byte, groups ...ssSenderKeyID) ssFlips {
	t.Helper()
	before := d.state(t, ctx, groups...)
	res := ssFlips{Bytes: len(env), Classes: map[string]int{}}
	for i := range env {
		bad := bytes.Clone(env)
		bad[i] ^= 0xff
		_, err := d.c.Decrypt(ctx, bad)
		if err == nil {
			t.Fatalf("%s: envelope with byte %d of %d flipped decrypted", d.Label(), i, len(env))
		}
		res.Classes[goErrClass(err)]++
		if d.state(t, ctx, groups...) != before {
			t.Fatalf("%s: envelope with byte %d of %d flipped was refused (%v) but changed the stored state", d.Label(), i, len(env), err)
		}
	}
	return res
}

// ---- 1:1 conversations ----

// ssGoParty is a Go device as a peer.Party whose messages are sealed:
// Message.Type is the inner message's type, Body the envelope.
type ssGoParty struct {
	*ssGoDevice
	t       *testing.T
	version sealedsender.Version // 0: v1 and v2 in turn
	peerIDs map[peer.Address]*curve.IdentityKeyPair
	sent    int
	recv    int
	flips   map[string]ssFlips // by envelope kind ("v1 PreKey", ...)
}

func (g *ssGoParty) Encrypt(ctx context.Context, remote peer.Address, pt []byte) (peer.Message, error) {
	v := g.version
	if v == 0 {
		v = sealedsender.Version(1 + g.sent%2)
	}
	env, err := g.c.Encrypt(ctx, sessAddr(remote), g.cert, pt, &sealedsender.Options{Version: v})
	if err != nil {
		return peer.Message{}, err
	}
	g.sent++
	// Encrypt returns only the envelope: the test, which holds the
	// recipient's key, opens it to learn the inner type for Converse.
	c, err := sealedsender.Open(env, g.peerIDs[remote])
	if err != nil {
		return peer.Message{}, fmt.Errorf("open our own envelope with the recipient's key: %w", err)
	}
	return peer.Message{Type: int(c.Type), Body: env}, nil
}

func (g *ssGoParty) Decrypt(ctx context.Context, remote peer.Address, m peer.Message) ([]byte, error) {
	kind := fmt.Sprintf("v%d %v", m.Body[0]>>4, sealedsender.ContentType(m.Type))
	if _, done := g.flips[kind]; !done {
		g.flips[kind] = g.flipCheck(g.t, ctx, m.Body)
	}
	r, err := g.c.Decrypt(ctx, m.Body)
	if err != nil {
		return nil, err
	}
	if r.Sender.UUID != remote.Name || r.Sender.DeviceID != remote.DeviceID || int(r.Type) != m.Type {
		return nil, fmt.Errorf("decrypted as from %s.%d, type %v; want %v, type %d", r.Sender.UUID, r.Sender.DeviceID, r.Type, remote, m.Type)
	}
	g.recv++
	return r.Plaintext, nil
}

// ssNodeParty is a libsignal device as a peer.Party with sealed messages.
type ssNodeParty struct {
	*ssNodeDevice
	version int // 0: v1 and v2 in turn
	sent    int
	recv    int
}

func (n *ssNodeParty) Encrypt(ctx context.Context, remote peer.Address, pt []byte) (peer.Message, error) {
	v := n.version
	if v == 0 {
		v = 1 + n.sent%2
	}
	env, typ, err := n.SSEncrypt(ctx, remote, v, peer.SSContent{SenderCert: n.cert, Plaintext: pt})
	if err != nil {
		return peer.Message{}, err
	}
	n.sent++
	return peer.Message{Type: typ, Body: env}, nil
}

func (n *ssNodeParty) Decrypt(ctx context.Context, remote peer.Address, m peer.Message) ([]byte, error) {
	// Every other message through libsignal's one-call
	// sealedSenderDecryptMessage, the others step by step.
	r, err := n.decrypt(ctx, m.Body, n.recv%2 == 0)
	if err != nil {
		return nil, err
	}
	if r.SenderUUID != remote.Name || r.DeviceID != remote.DeviceID || r.Type != m.Type {
		return nil, fmt.Errorf("libsignal decrypted as from %s.%d, type %d; want %v, type %d", r.SenderUUID, r.DeviceID, r.Type, remote, m.Type)
	}
	n.recv++
	return r.Plaintext, nil
}

// TestSealedSenderOneToOne runs sealed-sender 1:1 conversations between
// this library and libsignal: v1, v2 (the 0x22 single-recipient form) and
// both in turn, each side initiating, at least 200 messages each way
// (PreKey messages inside until the first answer; bursts delivered
// shuffled, some held back across a ratchet turn). The first envelope of
// each kind (version and inner type) that this library receives has every
// byte flipped: all copies refused with nothing stored. Then each side
// sends envelopes with bad certificates (expired, another trust root,
// the revoked key id, not signed by the server key, naming the recipient's
// own device, naming another identity key than the sender's): the other
// side refuses each, with nothing stored, and the conversation goes on.
// Content hints (also unknown values) and group ids are read as sent.
func TestSealedSenderOneToOne(t *testing.T) {
	const messages = 520
	for _, version := range []int{1, 2, 0} {
		for _, libFirst := range []bool{true, false} {
			vname := map[int]string{1: "v1", 2: "v2", 0: "v1+v2"}[version]
			name := fmt.Sprintf("%s/lib-initiates=%v", vname, libFirst)
			t.Run(name, func(t *testing.T) {
				ctx := context.Background()
				tr := newSSTrust(t)
				gid, nid := mustIdentity(t), mustIdentity(t)
				gd := newSSGoDevice(t, tr, newUUID(t), 1, gid)
				nd := newSSNodeDevice(t, tr, newUUID(t), 2, nid)
				g := &ssGoParty{ssGoDevice: gd, t: t, version: sealedsender.Version(version),
					peerIDs: map[peer.Address]*curve.IdentityKeyPair{nd.addr(): nid}, flips: map[string]ssFlips{}}
				n := &ssNodeParty{ssNodeDevice: nd, version: version}
				libSide := peer.Side{Party: g, Addr: gd.addr()}
				nodeSide := peer.Side{Party: n, Addr: nd.addr()}
				initiator, responder := libSide, nodeSide
				if !libFirst {
					initiator, responder = nodeSide, libSide
				}
				pk := uint32(77)
				if _, err := peer.Establish(ctx, initiator, responder, peer.BundleRequest{SignedPreKeyID: 5, OneTime: true, PreKeyID: &pk, Kyber: true}); err != nil {
					t.Fatal(err)
				}
				st, err := peer.Converse(ctx, initiator, responder, peer.Script{
					Messages: messages, MaxBurst: 8, Shuffle: true, HoldBack: true, Seed: seedOf(name),
				})
				if err != nil {
					t.Fatalf("%v (after %v)", err, st)
				}
				if g.sent < 200 || n.sent < 200 {
					t.Fatalf("lib sent %d, libsignal %d: want at least 200 each way", g.sent, n.sent)
				}
				if st.PreKeyMessages == 0 || st.OutOfOrder == 0 || st.DeliveredLate == 0 {
					t.Fatalf("conversation without PreKey messages, out-of-order or late delivery: %v", st)
				}
				// This library receives Signal messages inside every
				// version it is sent, and PreKey messages when libsignal
				// initiates.
				var kinds []string
				for _, v := range map[int][]int{1: {1}, 2: {2}, 0: {1, 2}}[version] {
					kinds = append(kinds, fmt.Sprintf("v%d signal", v))
					if !libFirst {
						kinds = append(kinds, fmt.Sprintf("v%d prekey", v))
					}
				}
				for _, k := range kinds {
					if _, ok := g.flips[k]; !ok {
						t.Fatalf("no %s envelope was flip-checked: %v", k, g.flips)
					}
				}
				bad := ssBadCertificates(t, tr, gd, nd, version)
				fields := ssContentFields(t, gd, nd, version)
				t.Logf("%s: %v; lib sent %d, libsignal sent %d; flips (lib receiving): %v; bad certificates: %s; %s",
					name, st, g.sent, n.sent, g.flips, bad, fields)
			})
		}
	}
}

// ssContentFields sends messages with every content hint (the three
// named ones and unknown values, which are kept as they are) and group ids
// of several lengths each way: the receiver must read them as sent.
func ssContentFields(t *testing.T, gd *ssGoDevice, nd *ssNodeDevice, version int) string {
	t.Helper()
	ctx := context.Background()
	n := 0
	for i, hint := range []uint32{0, 1, 2, 7, 0x7fffffff} {
		for j, gid := range [][]byte{nil, {0x01}, randBytes(t, 64)} {
			v := version
			if v == 0 {
				v = 1 + (i+j)%2
			}
			pt := fmt.Appendf(nil, "hint %d, group id %x", hint, gid)
			env, err := gd.c.Encrypt(ctx, sessAddr(nd.addr()), gd.cert, pt, &sealedsender.Options{Version: sealedsender.Version(v),
				Hint: sealedsender.ContentHint(hint), GroupID: gid})
			if err != nil {
				t.Fatal(err)
			}
			r, err := nd.decrypt(ctx, env, false)
			if err != nil || !bytes.Equal(r.Plaintext, pt) || r.ContentHint != hint || !bytes.Equal(r.GroupID, gid) {
				t.Fatalf("libsignal reads our hint %d, group id %x as hint %d, group id %x (%v)", hint, gid, r.ContentHint, []byte(r.GroupID), err)
			}
			env, _, err = nd.SSEncrypt(ctx, gd.addr(), v, peer.SSContent{SenderCert: nd.cert, Plaintext: pt, ContentHint: hint, GroupID: gid})
			if err != nil {
				t.Fatal(err)
			}
			gr, err := gd.c.Decrypt(ctx, env)
			if err != nil || !bytes.Equal(gr.Plaintext, pt) || uint32(gr.Hint) != hint || !bytes.Equal(gr.GroupID, gid) {
				t.Fatalf("this library reads libsignal's hint %d, group id %x as %+v (%v)", hint, gid, gr, err)
			}
			n += 2
		}
	}
	return fmt.Sprintf("%d messages with hints and group ids read as sent", n)
}

// ssBadCertificates has each side seal a message under bad certificates
// for the other (and under a valid certificate for another identity key
// than the sealing one): every one must be refused, by class, with nothing stored
// (this library: its whole state; libsignal: its session record), and a
// good message must decrypt afterwards.
func ssBadCertificates(t *testing.T, tr *ssTrust, gd *ssGoDevice, nd *ssNodeDevice, version int) string {
	t.Helper()
	ctx := context.Background()
	if version == 0 {
		version = 2
	}
	otherTrust := newSSTrust(t)
	other := mustIdentity(t)
	past := time.Now().Add(-time.Second)
	later := time.Now().Add(time.Hour)
	revokedSC, err := sealedsender.NewServerCertificate(0xDEADC357, tr.server.PublicKey(), tr.root)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(s sealedsender.Sender, sc *sealedsender.ServerCertificate, key *curve.IdentityKeyPair) *sealedsender.SenderCertificate {
		c, err := sealedsender.NewSenderCertificate(s, sc, key)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	me := sealedsender.Sender{UUID: gd.uuid, DeviceID: gd.dev, IdentityKey: gd.id.PublicKey(), Expires: later}
	expired := me
	expired.Expires = past
	self := me // names the recipient's device, with our key
	self.UUID, self.DeviceID = nd.uuid, nd.dev
	mismatch := me // a valid certificate for another identity key
	mismatch.IdentityKey = other.PublicKey()
	cases := []struct {
		want string
		cert *sealedsender.SenderCertificate
	}{
		{"expired", mk(expired, tr.serverCert, tr.server)},
		{"untrusted", mk(me, otherTrust.serverCert, otherTrust.server)},
		{"revoked", mk(me, revokedSC, tr.server)},
		{"invalid-cert", mk(me, tr.serverCert, other)},
		{"self", mk(self, tr.serverCert, tr.server)},
		{"invalid", mk(mismatch, tr.serverCert, tr.server)},
	}
	var out []string
	// This library sends, libsignal refuses.
	for _, k := range cases {
		before, err := nd.SessionRecord(ctx, gd.addr())
		if err != nil {
			t.Fatal(err)
		}
		env, err := gd.c.Encrypt(ctx, sessAddr(nd.addr()), k.cert, []byte("bad "+k.want), &sealedsender.Options{Version: sealedsender.Version(version)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = nd.decrypt(ctx, env, false)
		got := peer.SSErrorClass(err)
		if got != k.want {
			t.Errorf("libsignal on our envelope with a certificate that is %s: %v (class %q)", k.want, err, got)
		}
		after, err := nd.SessionRecord(ctx, gd.addr())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(before, after) {
			t.Errorf("libsignal refused an envelope (%s) but changed its session record", k.want)
		}
		out = append(out, "libsignal:"+got)
	}
	env, err := gd.c.Encrypt(ctx, sessAddr(nd.addr()), gd.cert, []byte("good"), &sealedsender.Options{Version: sealedsender.Version(version)})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := nd.decrypt(ctx, env, false); err != nil || string(r.Plaintext) != "good" {
		t.Fatalf("libsignal after the refused envelopes: %v %q", err, r.Plaintext)
	}

	// libsignal sends, this library refuses.
	sc, err := nd.SSServerCert(ctx, 7, tr.root.PrivateKey().Bytes(), tr.server.PublicKey().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	otherSC, err := nd.SSServerCert(ctx, 7, otherTrust.root.PrivateKey().Bytes(), otherTrust.server.PublicKey().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	nodeRevokedSC, err := nd.SSServerCert(ctx, 0xDEADC357, tr.root.PrivateKey().Bytes(), tr.server.PublicKey().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	req := func(uuid string, dev uint32, expires time.Time, sc []byte, key *curve.IdentityKeyPair, ik ...curve.PublicKey) []byte {
		pub := nd.id.PublicKey()
		if len(ik) > 0 {
			pub = ik[0]
		}
		c, err := nd.SSSenderCert(ctx, peer.SenderCertRequest{UUID: uuid, DeviceID: dev, IdentityPublic: pub.Bytes(),
			Expires: expires.UnixMilli(), ServerCert: sc, ServerPrivate: key.PrivateKey().Bytes()})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	nodeCases := []struct {
		want string
		cert []byte
	}{
		{"expired", req(nd.uuid, nd.dev, past, sc, tr.server)},
		{"untrusted", req(nd.uuid, nd.dev, later, otherSC, otherTrust.server)},
		{"revoked", req(nd.uuid, nd.dev, later, nodeRevokedSC, tr.server)},
		{"invalid-cert", req(nd.uuid, nd.dev, later, sc, other)},
		{"self", req(gd.uuid, gd.dev, later, sc, tr.server)},
		{"invalid", req(nd.uuid, nd.dev, later, sc, tr.server, other.PublicKey())},
	}
	for _, k := range nodeCases {
		before := gd.state(t, ctx)
		env, _, err := nd.SSEncrypt(ctx, gd.addr(), version, peer.SSContent{SenderCert: k.cert, Plaintext: []byte("bad " + k.want)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = gd.c.Decrypt(ctx, env)
		if got := goErrClass(err); got != k.want {
			t.Errorf("this library on libsignal's envelope with a certificate that is %s: %v (class %q)", k.want, err, got)
		}
		if gd.state(t, ctx) != before {
			t.Errorf("this library refused an envelope (%s) but changed its state", k.want)
		}
		out = append(out, "lib:"+goErrClass(err))
	}
	env, _, err = nd.SSEncrypt(ctx, gd.addr(), version, peer.SSContent{SenderCert: nd.cert, Plaintext: []byte("good")})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := gd.c.Decrypt(ctx, env); err != nil || string(r.Plaintext) != "good" {
		t.Fatalf("this library after the refused envelopes: %v", err)
	}
	return strings.Join(out, " ")
}

// ---- Groups: multi-recipient sealed sender v2 with sender keys ----

// ssSplitEntry is one recipient of a multi-recipient message as a server
// split it.
type ssSplitEntry struct {
	devices, regIDs []uint32
	message         []byte
}

// ssSplit splits a sent message with this library (ParseSentMessage,
// MessageFor) and with libsignal (ss_split at server, a libsignal process),
// requires both to agree, and returns the split.
func ssSplit(t *testing.T, ctx context.Context, server *peer.Process, sent []byte) (map[string]ssSplitEntry, []string) {
	t.Helper()
	sm, err := sealedsender.ParseSentMessage(sent)
	if err != nil {
		t.Fatalf("this library does not split the sent message: %v", err)
	}
	ours := map[string]ssSplitEntry{}
	for i := range sm.Recipients {
		r := &sm.Recipients[i]
		var e ssSplitEntry
		for _, d := range r.Devices {
			e.devices = append(e.devices, d.ID)
			e.regIDs = append(e.regIDs, d.RegistrationID)
		}
		e.message = sm.MessageFor(r)
		ours[r.ServiceID.String()] = e
	}
	var ourExcluded []string
	for _, x := range sm.Excluded {
		ourExcluded = append(ourExcluded, x.String())
	}
	theirs, err := server.SSSplit(ctx, sent)
	if err != nil {
		t.Fatalf("libsignal does not split the sent message: %v", err)
	}
	if len(theirs.Recipients) != len(ours) {
		t.Fatalf("libsignal splits %d recipients, this library %d", len(theirs.Recipients), len(ours))
	}
	for _, r := range theirs.Recipients {
		e, ok := ours[r.ServiceID]
		if !ok || !slices.Equal(e.devices, r.DeviceIDs) || !slices.Equal(e.regIDs, r.RegistrationIDs) || !bytes.Equal(e.message, r.Message) {
			t.Fatalf("recipient %s: libsignal's split (devices %v, registration ids %v, %d bytes) differs from ours (%v, %v, %d bytes)",
				r.ServiceID, r.DeviceIDs, r.RegistrationIDs, len(r.Message), e.devices, e.regIDs, len(e.message))
		}
	}
	if !slices.Equal(ourExcluded, theirs.Excluded) {
		t.Fatalf("excluded: libsignal %v, this library %v", theirs.Excluded, ourExcluded)
	}
	return ours, ourExcluded
}

// ssGroupPlan fixes a group conversation's shape: accounts × devices
// receiving, messages sent, excluded recipients.
type ssGroupPlan struct {
	accounts, devices, messages int
}

func (p ssGroupPlan) excluded(t *testing.T) ([]sealedsender.ServiceID, []string) {
	var ids []sealedsender.ServiceID
	var strs []string
	for _, s := range []string{newUUID(t), "PNI:" + newUUID(t)} {
		id, err := sealedsender.ParseServiceID(s)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		strs = append(strs, s)
	}
	return ids, strs
}

// ssDelivery hands each receiving device its messages: in batches, each
// batch shuffled, with one message per device and batch held back until
// the end.
type ssDelivery[D comparable] struct {
	rng     *mrand.Rand
	queue   map[D][]ssGroupMsg
	held    map[D][]ssGroupMsg
	shuffle int // messages delivered out of order
}

type ssGroupMsg struct {
	seq int
	pt  []byte
	env []byte
}

func (q *ssDelivery[D]) add(d D, m ssGroupMsg) { q.queue[d] = append(q.queue[d], m) }

func (q *ssDelivery[D]) flush(final bool, deliver func(D, ssGroupMsg)) {
	for d, ms := range q.queue {
		q.rng.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
		if !final && len(ms) > 1 {
			q.held[d] = append(q.held[d], ms[len(ms)-1])
			ms = ms[:len(ms)-1]
		}
		last := -1
		for _, m := range ms {
			if m.seq < last {
				q.shuffle++
			}
			last = max(last, m.seq)
			deliver(d, m)
		}
		delete(q.queue, d)
	}
	if final {
		for d, ms := range q.held {
			for _, m := range ms {
				deliver(d, m)
			}
		}
		clear(q.held)
	}
}

// TestSealedSenderGroups sends group messages with multi-recipient sealed
// sender v2 (a sender-key message inside) to 5 accounts of 2 devices each
// and 2 excluded recipients (an ACI and a PNI), in both directions: this
// library to libsignal devices and libsignal to this library's devices.
// Sender keys are distributed first over sealed 1:1 messages (v1 and v2,
// PreKey messages inside). Every sent message is split by this library
// (ParseSentMessage, MessageFor) and by libsignal (SealedSenderMultiRecipientMessage),
// which must agree byte for byte, list the same devices, registration
// ids and excluded recipients; every device decrypts every message
// (delivered shuffled, some held back). When this library receives, every
// byte of the first sent message is flipped before the split: each copy
// is refused by the server split or by every recipient whose message
// changed, with nothing stored, and the group goes on.
func TestSealedSenderGroups(t *testing.T) {
	plan := ssGroupPlan{accounts: 5, devices: 2, messages: 40}
	t.Run("lib-sends", func(t *testing.T) { ssGroupLibSends(t, plan) })
	t.Run("libsignal-sends", func(t *testing.T) { ssGroupLibsignalSends(t, plan) })
}

// ssUnsplittable checks, for lists that no server splits (an excluded
// recipient that is also a recipient, an excluded recipient listed twice),
// that neither this library's split nor libsignal's accepts what either
// side's encrypt makes of them (this library may also refuse to encrypt).
// libsignal encrypts both without complaint.
func ssUnsplittable(t *testing.T, gd *ssGoDevice, nd *ssNodeDevice, dist senderkey.DistributionID, goTo []session.Address, nodeTo []peer.Address, recipient string) string {
	t.Helper()
	ctx := context.Background()
	x := newUUID(t)
	var out []string
	for _, k := range []struct {
		name     string
		excluded []string
	}{{"an excluded recipient that is also a recipient", []string{recipient}}, {"an excluded recipient listed twice", []string{x, x}}} {
		var ids []sealedsender.ServiceID
		for _, s := range k.excluded {
			id, err := sealedsender.ParseServiceID(s)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		verdict := func(who string, sent []byte, err error) {
			if err != nil {
				out = append(out, who+" refuses to encrypt")
				return
			}
			_, gerr := sealedsender.ParseSentMessage(sent)
			_, nerr := nd.SSSplit(ctx, sent)
			if gerr == nil || nerr == nil {
				t.Errorf("%s, encrypted by %s: split by this library: %v; by libsignal: %v; want both to refuse", k.name, who, gerr, nerr)
			}
			out = append(out, who+" encrypts, both splits refuse")
		}
		if gd != nil {
			sent, err := gd.c.EncryptGroup(ctx, senderkey.Sender{Name: gd.uuid, DeviceID: gd.dev}, dist, goTo, ids, gd.cert, []byte("x"), nil)
			verdict("lib", sent, err)
		}
		if nodeTo != nil {
			sent, _, err := nd.SSMultiEncrypt(ctx, nodeTo, k.excluded, peer.SSContent{SenderCert: nd.cert, Group: dist.String(),
				SelfName: nd.uuid, SelfDeviceID: nd.dev, Plaintext: []byte("x")})
			verdict("libsignal", sent, err)
		}
	}
	return strings.Join(out, "; ")
}

func ssGroupLibSends(t *testing.T, plan ssGroupPlan) {
	ctx := context.Background()
	tr := newSSTrust(t)
	snd := newSSGoDevice(t, tr, newUUID(t), 1, mustIdentity(t))
	self := senderkey.Sender{Name: snd.uuid, DeviceID: snd.dev}
	var devs []*ssNodeDevice
	var to []session.Address
	for range plan.accounts {
		id, uuid := mustIdentity(t), newUUID(t)
		for d := range plan.devices {
			nd := newSSNodeDevice(t, tr, uuid, uint32(d+1), id)
			b, err := nd.Bundle(ctx, peer.BundleRequest{SignedPreKeyID: 1, OneTime: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := snd.ProcessBundle(ctx, nd.addr(), b); err != nil {
				t.Fatal(err)
			}
			devs = append(devs, nd)
			to = append(to, sessAddr(nd.addr()))
		}
	}
	// The sender key goes to every device in a sealed 1:1 message.
	dist := senderkey.NewDistributionID()
	dm, err := snd.skc.CreateDistributionMessage(ctx, self, dist)
	if err != nil {
		t.Fatal(err)
	}
	for i, nd := range devs {
		env, err := snd.c.Encrypt(ctx, sessAddr(nd.addr()), snd.cert, dm.Bytes(), &sealedsender.Options{Version: sealedsender.Version(1 + i%2)})
		if err != nil {
			t.Fatal(err)
		}
		r, err := nd.decrypt(ctx, env, i%4 == 0)
		if err != nil || r.Type != peer.TypePreKey || !bytes.Equal(r.Plaintext, dm.Bytes()) {
			t.Fatalf("%s: distribution message: type %d, %v", nd.Label(), r.Type, err)
		}
		if err := nd.GroupProcess(ctx, dist.String(), snd.addr(), r.Plaintext); err != nil {
			t.Fatal(err)
		}
	}
	excluded, excludedStr := plan.excluded(t)
	groupID := randBytes(t, 32)
	q := &ssDelivery[*ssNodeDevice]{rng: mrand.New(mrand.NewPCG(seedOf(t.Name()), 1)), queue: map[*ssNodeDevice][]ssGroupMsg{}, held: map[*ssNodeDevice][]ssGroupMsg{}}
	delivered := 0
	deliver := func(nd *ssNodeDevice, m ssGroupMsg) {
		r, err := nd.decrypt(ctx, m.env, false)
		if err != nil {
			t.Fatalf("%s: group message %d: %v", nd.Label(), m.seq, err)
		}
		if r.Type != peer.TypeSenderKey || !bytes.Equal(r.Plaintext, m.pt) || !bytes.Equal(r.GroupID, groupID) ||
			r.ContentHint != uint32(sealedsender.HintResendable) || r.SenderUUID != snd.uuid || r.DeviceID != snd.dev {
			t.Fatalf("%s: group message %d decrypted as %+v", nd.Label(), m.seq, r)
		}
		delivered++
	}
	var sentBytes int
	for i := range plan.messages {
		pt := fmt.Appendf(nil, "group message %d %x", i, randBytes(t, i%40))
		// The last message lists each account's devices apart
		// (device 1 of every account, then device 2 of every account):
		// each account then appears twice in the sent message, which the
		// server joins.
		order := to
		if i == plan.messages-1 {
			order = ssInterleave(to, plan.devices)
		}
		sent, err := snd.c.EncryptGroup(ctx, self, dist, order, excluded, snd.cert, pt,
			&sealedsender.Options{Hint: sealedsender.HintResendable, GroupID: groupID})
		if err != nil {
			t.Fatal(err)
		}
		if sent[0] != 0x23 {
			t.Fatalf("sent message version %#x", sent[0])
		}
		if i == 0 {
			sentBytes = len(sent)
		}
		split, excl := ssSplit(t, ctx, devs[0].Process, sent)
		if !slices.Equal(excl, excludedStr) || len(split) != plan.accounts {
			t.Fatalf("split: %d recipients, excluded %v", len(split), excl)
		}
		for _, nd := range devs {
			e := split[nd.uuid]
			if !slices.Contains(e.devices, nd.dev) || e.regIDs[slices.Index(e.devices, nd.dev)] != nd.regID {
				t.Fatalf("%s missing from the split (%v, %v)", nd.Label(), e.devices, e.regIDs)
			}
			q.add(nd, ssGroupMsg{seq: i, pt: pt, env: e.message})
		}
		if i%10 == 9 {
			q.flush(false, deliver)
		}
	}
	q.flush(true, deliver)
	if delivered != plan.messages*len(devs) {
		t.Fatalf("delivered %d of %d", delivered, plan.messages*len(devs))
	}
	unsplittable := ssUnsplittable(t, snd, devs[0], dist, to, nil, devs[0].uuid)
	t.Logf("this library sent %d group messages (the first %d bytes) to %d libsignal devices of %d accounts, %d excluded; %d decryptions, %d out of order; %s",
		plan.messages, sentBytes, len(devs), plan.accounts, len(excluded), delivered, q.shuffle, unsplittable)
}

func ssGroupLibsignalSends(t *testing.T, plan ssGroupPlan) {
	ctx := context.Background()
	tr := newSSTrust(t)
	ns := newSSNodeDevice(t, tr, newUUID(t), 1, mustIdentity(t))
	var devs []*ssGoDevice
	byUUID := map[string][]*ssGoDevice{}
	var to []peer.Address
	for range plan.accounts {
		id, uuid := mustIdentity(t), newUUID(t)
		for d := range plan.devices {
			gd := newSSGoDevice(t, tr, uuid, uint32(d+1), id)
			b, err := gd.Bundle(ctx, peer.BundleRequest{SignedPreKeyID: 1, OneTime: true, Kyber: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := ns.ProcessBundle(ctx, gd.addr(), b); err != nil {
				t.Fatal(err)
			}
			devs = append(devs, gd)
			byUUID[uuid] = append(byUUID[uuid], gd)
			to = append(to, gd.addr())
		}
	}
	dist := senderkey.NewDistributionID()
	skid := ssSenderKeyID{senderkey.Sender{Name: ns.uuid, DeviceID: ns.dev}, dist}
	skdm, err := ns.GroupCreate(ctx, dist.String(), ns.addr())
	if err != nil {
		t.Fatal(err)
	}
	for i, gd := range devs {
		env, typ, err := ns.SSEncrypt(ctx, gd.addr(), 1+i%2, peer.SSContent{SenderCert: ns.cert, Plaintext: skdm})
		if err != nil {
			t.Fatal(err)
		}
		r, err := gd.c.Decrypt(ctx, env)
		if err != nil || typ != peer.TypePreKey || r.Type != sealedsender.TypePreKey || !bytes.Equal(r.Plaintext, skdm) {
			t.Fatalf("%s: distribution message: %v", gd.Label(), err)
		}
		dm, err := senderkey.ParseDistributionMessage(r.Plaintext)
		if err != nil {
			t.Fatal(err)
		}
		if err := gd.skc.ProcessDistributionMessage(ctx, senderkey.Sender{Name: r.Sender.UUID, DeviceID: r.Sender.DeviceID}, dm); err != nil {
			t.Fatal(err)
		}
	}
	_, excludedStr := plan.excluded(t)
	groupID := randBytes(t, 32)
	q := &ssDelivery[*ssGoDevice]{rng: mrand.New(mrand.NewPCG(seedOf(t.Name()), 1)), queue: map[*ssGoDevice][]ssGroupMsg{}, held: map[*ssGoDevice][]ssGroupMsg{}}
	delivered := 0
	deliver := func(gd *ssGoDevice, m ssGroupMsg) {
		r, err := gd.c.Decrypt(ctx, m.env)
		if err != nil {
			t.Fatalf("%s: group message %d: %v", gd.Label(), m.seq, err)
		}
		if r.Type != sealedsender.TypeSenderKey || !bytes.Equal(r.Plaintext, m.pt) || !bytes.Equal(r.GroupID, groupID) ||
			r.Hint != sealedsender.HintResendable || r.Sender.UUID != ns.uuid || r.Sender.DeviceID != ns.dev {
			t.Fatalf("%s: group message %d decrypted as %+v", gd.Label(), m.seq, r)
		}
		delivered++
	}
	var flips map[string]int
	var sentBytes int
	for i := range plan.messages {
		pt := fmt.Appendf(nil, "group message %d %x", i, randBytes(t, i%40))
		order := to
		if i == plan.messages-1 {
			order = ssInterleave(to, plan.devices)
		}
		sent, typ, err := ns.SSMultiEncrypt(ctx, order, excludedStr, peer.SSContent{SenderCert: ns.cert, Group: dist.String(),
			SelfName: ns.uuid, SelfDeviceID: ns.dev, Plaintext: pt, ContentHint: uint32(sealedsender.HintResendable), GroupID: groupID})
		if err != nil {
			t.Fatal(err)
		}
		if typ != peer.TypeSenderKey || sent[0] != 0x23 {
			t.Fatalf("libsignal's sent message: version %#x, inner type %d", sent[0], typ)
		}
		if i == 0 {
			sentBytes = len(sent)
		}
		if i == 0 {
			flips = ssMultiFlips(t, ctx, sent, byUUID, skid)
		}
		split, excl := ssSplit(t, ctx, ns.Process, sent)
		if !slices.Equal(excl, excludedStr) || len(split) != plan.accounts {
			t.Fatalf("split: %d recipients, excluded %v", len(split), excl)
		}
		for _, gd := range devs {
			e := split[gd.uuid]
			if !slices.Contains(e.devices, gd.dev) {
				t.Fatalf("%s missing from the split (%v)", gd.Label(), e.devices)
			}
			q.add(gd, ssGroupMsg{seq: i, pt: pt, env: e.message})
		}
		if i%10 == 9 {
			q.flush(false, deliver)
		}
	}
	q.flush(true, deliver)
	if delivered != plan.messages*len(devs) {
		t.Fatalf("delivered %d of %d", delivered, plan.messages*len(devs))
	}
	unsplittable := ssUnsplittable(t, nil, ns, dist, nil, to, devs[0].uuid)
	t.Logf("libsignal sent %d group messages (the first %d bytes) to %d devices of this library (%d accounts), %d excluded; %d decryptions, %d out of order; first sent message flipped byte by byte: %v; %s",
		plan.messages, sentBytes, len(devs), plan.accounts, len(excludedStr), delivered, q.shuffle, flips, unsplittable)
}

// ssInterleave reorders a list of accounts' devices (devices adjacent)
// so that no two devices of an account are adjacent.
func ssInterleave[A any](to []A, devices int) []A {
	var out []A
	for d := range devices {
		for i := d; i < len(to); i += devices {
			out = append(out, to[i])
		}
	}
	return out
}

// ssMultiFlips flips every byte of a multi-recipient sent message in turn
// and splits the copy as the server would (this library's
// ParseSentMessage): a copy must be refused by the split, or every
// recipient whose received message changed must refuse it (tried on the
// recipient's first device) with nothing stored. Flips that change no
// recipient's message (device ids, registration ids, the excluded list,
// or a recipient's service id, which routes the message elsewhere) are
// counted. The devices' state is compared before and after.
func ssMultiFlips(t *testing.T, ctx context.Context, sent []byte, byUUID map[string][]*ssGoDevice, skid ssSenderKeyID) map[string]int {
	t.Helper()
	sm, err := sealedsender.ParseSentMessage(sent)
	if err != nil {
		t.Fatal(err)
	}
	genuine := map[string][]byte{}
	for i := range sm.Recipients {
		genuine[sm.Recipients[i].ServiceID.String()] = sm.MessageFor(&sm.Recipients[i])
	}
	before := map[*ssGoDevice]string{}
	for _, ds := range byUUID {
		before[ds[0]] = ds[0].state(t, ctx, skid)
	}
	counts := map[string]int{}
	for i := range sent {
		bad := bytes.Clone(sent)
		bad[i] ^= 0xff
		bm, err := sealedsender.ParseSentMessage(bad)
		if err != nil {
			counts["split refused"]++
			continue
		}
		changed, renamed := 0, 0
		for j := range bm.Recipients {
			r := &bm.Recipients[j]
			ds, ok := byUUID[r.ServiceID.String()]
			if !ok {
				renamed++
				continue
			}
			msg := bm.MessageFor(r)
			if bytes.Equal(msg, genuine[r.ServiceID.String()]) {
				continue
			}
			changed++
			d := ds[0]
			if _, err := d.c.Decrypt(ctx, msg); err == nil {
				t.Fatalf("sent message with byte %d of %d flipped: %s decrypted its message", i, len(sent), d.Label())
			} else {
				counts["recipient refused: "+goErrClass(err)]++
			}
			if d.state(t, ctx, skid) != before[d] {
				t.Fatalf("sent message with byte %d of %d flipped: %s refused its message but changed its state", i, len(sent), d.Label())
			}
		}
		switch {
		case changed > 0:
			counts["bytes refused by recipients"]++
		case renamed > 0:
			counts["bytes renaming a recipient"]++
		default:
			counts["bytes changing only routing (devices, registration ids, excluded)"]++
		}
	}
	return counts
}
