package sealedsender

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
)

// Tests that pin the package's argument checks, limits and error kinds one
// rule at a time, each at its exact boundary (issue 21: every surviving
// mutant killed or shown equivalent).

// TestArgumentChecks: each missing or out-of-range argument is refused
// with ErrInvalidArgument on its own, every other argument being valid;
// the values at the edge of each range are accepted.
func TestArgumentChecks(t *testing.T) {
	w := newWorld(t)
	id, _ := curve.GenerateIdentityKeyPair()
	if _, err := NewServerCertificate(1, curve.PublicKey{}, w.root); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("server certificate without a key: %v", err)
	}
	if _, err := NewServerCertificate(1, id.PublicKey(), nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("server certificate without a trust root: %v", err)
	}

	valid := Sender{UUID: "u", DeviceID: 1, IdentityKey: id.PublicKey(), Expires: testNow}
	for _, tc := range []struct {
		name string
		edit func(*Sender)
		ok   bool
	}{
		{"valid", func(*Sender) {}, true},
		{"device 0", func(s *Sender) { s.DeviceID = 0 }, false},
		{"device 1", func(s *Sender) { s.DeviceID = 1 }, true},
		{"device MaxDeviceID", func(s *Sender) { s.DeviceID = MaxDeviceID }, true},
		{"device MaxDeviceID+1", func(s *Sender) { s.DeviceID = MaxDeviceID + 1 }, false},
		{"no uuid", func(s *Sender) { s.UUID = "" }, false},
		{"no identity key", func(s *Sender) { s.IdentityKey = curve.PublicKey{} }, false},
		{"expires at 0 ms", func(s *Sender) { s.Expires = time.UnixMilli(0) }, true},
		{"expires at -1 ms", func(s *Sender) { s.Expires = time.UnixMilli(-1) }, false},
	} {
		s := valid
		tc.edit(&s)
		c, err := NewSenderCertificate(s, w.server, w.serverKey)
		if tc.ok != (err == nil) || err != nil && !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if err == nil && (c.Sender().DeviceID != s.DeviceID || c.Sender().Expires.UnixMilli() != s.Expires.UnixMilli()) {
			t.Errorf("%s: %+v", tc.name, c.Sender())
		}
	}
	if _, err := NewSenderCertificate(valid, nil, w.serverKey); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("no signer: %v", err)
	}
	if _, err := NewSenderCertificate(valid, w.server, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("no signer key: %v", err)
	}

	cert := w.certify(t, valid)
	content := &Content{Type: TypeSignal, Certificate: cert, Body: []byte("x")}
	if _, err := SealV1(content, nil, id.PublicKey()); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("SealV1 without our key: %v", err)
	}
	if _, err := SealV1(content, id, curve.PublicKey{}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("SealV1 without their key: %v", err)
	}
	sid, _ := ParseServiceID(newUUID())
	r := []Recipient{{ServiceID: sid, IdentityKey: id.PublicKey(), Devices: []Device{{ID: 1}}}}
	if _, err := SealV2(content, nil, r, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("SealV2 without our key: %v", err)
	}
	if _, err := Open([]byte{0x11}, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Open without our key: %v", err)
	}
	for _, c := range []*Content{
		{Type: 0, Certificate: cert, Body: []byte("x")},
		{Type: 4, Certificate: cert, Body: []byte("x")},
		{Type: TypeSignal, Body: []byte("x")},
	} {
		if _, err := c.MarshalBinary(); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("content %+v: %v", c, err)
		}
		if _, err := SealV1(c, id, id.PublicKey()); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("SealV1 of content %+v: %v", c, err)
		}
		if _, err := SealV2(c, id, r, nil); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("SealV2 of content %+v: %v", c, err)
		}
	}

	// Device ids of a sent message: 1 and MaxDeviceID are fine.
	r[0].Devices = []Device{{ID: 1, RegistrationID: 0}, {ID: MaxDeviceID, RegistrationID: MaxRegistrationID}}
	sent, err := SealV2(content, id, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseSentMessage(sent)
	if err != nil || len(m.Recipients) != 1 || len(m.Recipients[0].Devices) != 2 || m.Recipients[0].Devices[1] != (Device{MaxDeviceID, MaxRegistrationID}) {
		t.Fatalf("devices 1 and %d: %v", MaxDeviceID, err)
	}
}

// TestCipherArguments: NewCipher, Encrypt, EncryptGroup and Decrypt
// refuse what they cannot work without, with ErrInvalidArgument.
func TestCipherArguments(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	alice := newDevice(t, w, newUUID(), 1, nil)
	bob := newDevice(t, w, newUUID(), 2, nil)
	connect(t, alice, bob)
	if _, err := NewCipher(Config{Identity: alice.store}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("no Manager: %v", err)
	}
	if _, err := NewCipher(Config{Sessions: alice.m}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("no identity store: %v", err)
	}
	if _, err := alice.c.Encrypt(ctx, bob.addr, nil, []byte("x"), nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Encrypt without a certificate: %v", err)
	}
	for _, v := range []Version{-1, 3} {
		if _, err := alice.c.Encrypt(ctx, bob.addr, alice.cert, []byte("x"), &Options{Version: v}); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("version %d: %v", v, err)
		}
	}
	for v, first := range map[Version]byte{0: 0x11, V1: 0x11, V2: 0x22} {
		env, err := alice.c.Encrypt(ctx, bob.addr, alice.cert, []byte("x"), &Options{Version: v})
		if err != nil || env[0] != first {
			t.Fatalf("version %d: %v", v, err)
		}
		mustDecrypt(t, bob, env, "x")
	}
	dist := senderkey.NewDistributionID()
	self := senderkey.Sender{Name: alice.addr.Name, DeviceID: 1}
	if _, err := alice.c.EncryptGroup(ctx, self, dist, []session.Address{bob.addr}, nil, nil, []byte("x"), nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("EncryptGroup without a certificate: %v", err)
	}
	noGroups, err := NewCipher(Config{Sessions: alice.m, Identity: alice.store, TrustRoots: []curve.PublicKey{w.root.PublicKey()}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := noGroups.EncryptGroup(ctx, self, dist, []session.Address{bob.addr}, nil, alice.cert, []byte("x"), nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("EncryptGroup without a sender-key cipher: %v", err)
	}
	noRoots, err := NewCipher(Config{Sessions: bob.m, Identity: bob.store, Local: LocalAddress{UUID: bob.addr.Name, DeviceID: 2}})
	if err != nil {
		t.Fatal(err)
	}
	env, _ := alice.c.Encrypt(ctx, bob.addr, alice.cert, []byte("x"), nil)
	before := bob.state(t)
	if _, err := noRoots.Decrypt(ctx, env); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Decrypt without trust roots: %v", err)
	}
	sameBytes(t, "bob's store", bob.state(t), before)
	// A Cipher without a clock validates at the current time: a
	// certificate that expired a minute ago is refused, one valid for an
	// hour more is not.
	clock, err := NewCipher(Config{Sessions: bob.m, Identity: bob.store, TrustRoots: []curve.PublicKey{w.root.PublicKey()}, Local: LocalAddress{UUID: bob.addr.Name, DeviceID: 2}})
	if err != nil {
		t.Fatal(err)
	}
	s := alice.cert.Sender()
	s.Expires = time.Now().Add(-time.Minute)
	old := w.certify(t, s)
	env, _ = alice.c.Encrypt(ctx, bob.addr, old, []byte("x"), nil)
	if _, err := clock.Decrypt(ctx, env); !errors.Is(err, ErrExpired) {
		t.Errorf("expired a minute ago: %v", err)
	}
	s.Expires = time.Now().Add(time.Hour)
	env, _ = alice.c.Encrypt(ctx, bob.addr, w.certify(t, s), []byte("fresh"), nil)
	if r, err := clock.Decrypt(ctx, env); err != nil || string(r.Plaintext) != "fresh" {
		t.Errorf("valid for an hour: %v", err)
	}
}

// TestCipherSeal seals already-encrypted contents with Cipher.Seal, v1 by
// default and v2 when asked, for the session's identity key.
func TestCipherSeal(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	alice := newDevice(t, w, newUUID(), 1, nil)
	bob := newDevice(t, w, newUUID(), 2, nil)
	connect(t, alice, bob)
	c := &Content{Type: TypePlaintext, Certificate: alice.cert, Body: []byte("plain"), Hint: HintImplicit}
	for _, tc := range []struct {
		opts  *Options
		first byte
	}{{nil, 0x11}, {&Options{}, 0x11}, {&Options{Version: V1}, 0x11}, {&Options{Version: V2}, 0x22}} {
		env, err := alice.c.Seal(ctx, bob.addr, c, tc.opts)
		if err != nil || env[0] != tc.first {
			t.Fatalf("%+v: %v", tc.opts, err)
		}
		r := mustDecrypt(t, bob, env, "plain")
		if r.Type != TypePlaintext || r.Hint != HintImplicit || r.Sender.UUID != alice.addr.Name {
			t.Fatalf("%+v", r)
		}
	}
	// No session with the address: the Manager's error.
	nobody := session.Address{Name: newUUID(), DeviceID: 1}
	if _, err := alice.c.Seal(ctx, nobody, c, nil); !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("no session: %v", err)
	}
	if _, err := alice.c.Encrypt(ctx, nobody, alice.cert, []byte("x"), nil); !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("no session: %v", err)
	}
}

// TestRegistrationIDLimit: EncryptGroup takes a session whose registration
// id is MaxRegistrationID, and carries it in the sent message.
func TestRegistrationIDLimit(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	alice := newDevice(t, w, newUUID(), 1, nil)
	bob := newDevice(t, w, newUUID(), 1, nil)
	bob.regID = MaxRegistrationID
	connect(t, alice, bob)
	dist, self := newDistribution(t, alice)
	sent, err := alice.c.EncryptGroup(ctx, self, dist, []session.Address{bob.addr}, nil, alice.cert, []byte("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseSentMessage(sent)
	if err != nil || m.Recipients[0].Devices[0] != (Device{1, MaxRegistrationID}) {
		t.Fatalf("%v %+v", err, m)
	}
}

// TestSentMessageGrouping: EncryptGroup joins adjacent addresses of one
// name into one recipient, and refuses a name that is not a service id.
func TestSentMessageGrouping(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	alice := newDevice(t, w, newUUID(), 1, nil)
	id, _ := curve.GenerateIdentityKeyPair()
	uuid := newUUID()
	b1, b2 := newDevice(t, w, uuid, 1, id), newDevice(t, w, uuid, 2, id)
	carol := newDevice(t, w, newUUID(), 1, nil)
	for _, d := range []*device{b1, b2, carol} {
		connect(t, alice, d)
	}
	dist, self := newDistribution(t, alice)
	sent, err := alice.c.EncryptGroup(ctx, self, dist, []session.Address{carol.addr, b1.addr, b2.addr}, nil, alice.cert, []byte("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseSentMessage(sent)
	if err != nil || len(m.Recipients) != 2 || len(m.Recipients[0].Devices) != 1 || len(m.Recipients[1].Devices) != 2 ||
		m.Recipients[0].ServiceID.String() != carol.addr.Name || m.Recipients[1].ServiceID.String() != uuid {
		t.Fatalf("%v %+v", err, m)
	}
	// Two devices of one name whose sessions have different identity keys.
	b3 := newDevice(t, w, uuid, 3, nil)
	connect(t, alice, b3)
	if _, err := alice.c.EncryptGroup(ctx, self, dist, []session.Address{b1.addr, b3.addr}, nil, alice.cert, []byte("x"), nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("different identity keys: %v", err)
	}
	// A name that is not a service id.
	d := newDevice(t, w, "not a uuid", 1, nil)
	connect(t, alice, d)
	if _, err := alice.c.EncryptGroup(ctx, self, dist, []session.Address{d.addr}, nil, alice.cert, []byte("x"), nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("not a service id: %v", err)
	}
	// No session.
	if _, err := alice.c.EncryptGroup(ctx, self, dist, []session.Address{{Name: newUUID(), DeviceID: 1}}, nil, alice.cert, []byte("x"), nil); !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("no session: %v", err)
	}
}

// TestSenderKeyWithoutGroups: a sender-key envelope reaching a Cipher
// without a sender-key cipher is an InnerError of ErrInvalidArgument.
func TestSenderKeyWithoutGroups(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	alice := newDevice(t, w, newUUID(), 1, nil)
	bob := newDevice(t, w, newUUID(), 2, nil)
	c := &Content{Type: TypeSenderKey, Certificate: alice.cert, Body: []byte("skdm"), GroupID: []byte("g")}
	env, err := SealV1(c, alice.id, bob.id.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	noGroups, err := NewCipher(Config{Sessions: bob.m, Identity: bob.store, TrustRoots: []curve.PublicKey{w.root.PublicKey()}, Local: LocalAddress{UUID: bob.addr.Name, DeviceID: 2}, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = noGroups.Decrypt(ctx, env)
	var inner *InnerError
	if !errors.As(err, &inner) || !errors.Is(err, ErrInvalidArgument) || inner.Type != TypeSenderKey || string(inner.GroupID) != "g" {
		t.Fatalf("%v", err)
	}
}

// TestSizeLimits: an envelope or a sent message of exactly MaxEnvelopeSize
// bytes is read (here, to its unknown version byte); one byte more is
// refused for its size, before the version byte is looked at.
func TestSizeLimits(t *testing.T) {
	id, _ := curve.GenerateIdentityKeyPair()
	b := make([]byte, MaxEnvelopeSize+1)
	b[0] = 0x31
	if _, err := Open(b[:MaxEnvelopeSize], id); !errors.Is(err, ErrUnknownVersion) {
		t.Errorf("envelope of MaxEnvelopeSize bytes: %v", err)
	}
	if _, err := Open(b, id); !errors.Is(err, ErrInvalidMessage) || errors.Is(err, ErrUnknownVersion) {
		t.Errorf("envelope of MaxEnvelopeSize+1 bytes: %v", err)
	}
	if _, err := Open(nil, id); !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("empty envelope: %v", err)
	}
	b[0] = 0x24
	if _, err := ParseSentMessage(b[:MaxEnvelopeSize]); !errors.Is(err, ErrUnknownVersion) {
		t.Errorf("sent message of MaxEnvelopeSize bytes: %v", err)
	}
	if _, err := ParseSentMessage(b); !errors.Is(err, ErrInvalidMessage) || errors.Is(err, ErrUnknownVersion) {
		t.Errorf("sent message of MaxEnvelopeSize+1 bytes: %v", err)
	}
}

// TestSentMessageCountBound: a recipient count that cannot fit in the
// message is refused before anything is allocated for it.
func TestSentMessageCountBound(t *testing.T) {
	rest := make([]byte, 4096)
	// The most recipients 4096 bytes could hold is 4096/18 (an excluded
	// ACI each); ask for far more, but fewer than 4096*18.
	count := uint64(4096*18 - 1)
	b := append(protowire.AppendVarint([]byte{0x23}, count), rest...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ParseSentMessage(b)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrInvalidMessage) || !strings.Contains(err.Error(), "cannot fit") {
		t.Fatalf("%v", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<10 {
		t.Fatalf("refusing a count of %d allocated %d bytes", count, n)
	}
	// One more than the bound (len/18, for the 17-byte service id and a
	// device byte, the least a recipient takes; len/17 in the legacy form
	// of 16-byte ACIs) cannot fit.
	for _, v := range []byte{0x23, 0x22} {
		per := 18
		if v == 0x22 {
			per = 17
		}
		b := append(protowire.AppendVarint([]byte{v}, uint64(len(rest)/per+1)), rest...)
		if _, err := ParseSentMessage(b); !errors.Is(err, ErrInvalidMessage) || !strings.Contains(err.Error(), "cannot fit") {
			t.Errorf("version %#x, count %d in %d bytes: %v", v, len(rest)/per+1, len(rest), err)
		}
	}
	// At the bound: 227 excluded ACIs (18 bytes each) and 9 bytes more, a
	// count of exactly len/18, pass the count check and are read, and the
	// 9 bytes left are too few for the ephemeral key.
	b = protowire.AppendVarint([]byte{0x23}, 4096/18)
	for i := range 4096 / 18 {
		b = append(b, 0, byte(i), byte(i>>8))
		b = append(b, make([]byte, 14)...)
		b = append(b, 0)
	}
	b = append(b, make([]byte, 4096-len(b)+2)...)
	if _, err := ParseSentMessage(b); !errors.Is(err, ErrInvalidMessage) || !strings.Contains(err.Error(), "ephemeral key") {
		t.Fatalf("at the bound: %v", err)
	}
}

// TestValidateBefore1970: a validation time before the epoch is before
// every expiration (expirations are unsigned milliseconds).
func TestValidateBefore1970(t *testing.T) {
	w := newWorld(t)
	id, _ := curve.GenerateIdentityKeyPair()
	c := w.certify(t, Sender{UUID: "u", DeviceID: 1, IdentityKey: id.PublicKey(), Expires: time.UnixMilli(0)})
	for _, ms := range []int64{-1, -1 << 40, 0} {
		if err := c.Validate(time.UnixMilli(ms), w.root.PublicKey()); err != nil {
			t.Errorf("at %d ms: %v", ms, err)
		}
	}
	if err := c.Validate(time.UnixMilli(1), w.root.PublicKey()); !errors.Is(err, ErrExpired) {
		t.Errorf("at 1 ms: %v", err)
	}
}

// TestV1EmptyBody: v1's cipher takes an empty plaintext (a ciphertext of
// the 10-byte MAC alone) and refuses anything shorter than the MAC.
func TestV1EmptyBody(t *testing.T) {
	ck, mk := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	ct := v1Encrypt(nil, ck, mk)
	if len(ct) != v1MACSize {
		t.Fatalf("%d bytes", len(ct))
	}
	if pt, ok := v1Decrypt(ct, ck, mk); !ok || len(pt) != 0 {
		t.Fatal("the empty plaintext does not decrypt")
	}
	if _, ok := v1Decrypt(ct[:v1MACSize-1], ck, mk); ok {
		t.Fatal("9 bytes decrypt")
	}
	ct = v1Encrypt([]byte("body"), ck, mk)
	if pt, ok := v1Decrypt(ct, ck, mk); !ok || string(pt) != "body" {
		t.Fatal("body")
	}
	for i := range ct {
		m := append([]byte(nil), ct...)
		m[i] ^= 1
		if _, ok := v1Decrypt(m, ck, mk); ok {
			t.Fatalf("byte %d flipped: accepted", i)
		}
	}
}

// newDistribution makes d's sender key for a new distribution id.
func newDistribution(t *testing.T, d *device) (senderkey.DistributionID, senderkey.Sender) {
	t.Helper()
	dist := senderkey.NewDistributionID()
	self := senderkey.Sender{Name: d.addr.Name, DeviceID: d.addr.DeviceID}
	if _, err := d.groups.CreateDistributionMessage(context.Background(), self, dist); err != nil {
		t.Fatal(err)
	}
	return dist, self
}

// TestErrorsNameTheCause: where several checks refuse an input with the
// same error kind, the error names the check that applies first, so that a
// refused input says what is wrong with it.
func TestErrorsNameTheCause(t *testing.T) {
	w := newWorld(t)
	alice := newDevice(t, w, newUUID(), 1, nil)
	bob := newDevice(t, w, newUUID(), 2, nil)
	c := &Content{Type: TypeSignal, Certificate: alice.cert, Body: []byte("body")}
	env, err := SealV1(c, alice.id, bob.id.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	// The v1 envelope without each of its three fields.
	fields := map[protowire.Number][]byte{}
	for b := env[1:]; len(b) > 0; {
		num, _, n := protowire.ConsumeTag(b)
		v, m := protowire.ConsumeBytes(b[n:])
		fields[num] = v
		b = b[n+m:]
	}
	for _, missing := range []protowire.Number{fieldV1Ephemeral, fieldV1Static, fieldV1Message} {
		b := []byte{0x11}
		for _, num := range []protowire.Number{fieldV1Ephemeral, fieldV1Static, fieldV1Message} {
			if num != missing {
				b = protowire.AppendTag(b, num, protowire.BytesType)
				b = protowire.AppendBytes(b, fields[num])
			}
		}
		if _, err := Open(b, bob.id); !errors.Is(err, ErrInvalidMessage) || !strings.Contains(err.Error(), "v1 envelope lacks a field") {
			t.Errorf("v1 without field %d: %v", missing, err)
		}
	}
	// v2: a message of fewer than 80 bytes after the version byte is
	// refused for its length (the whole envelope's); one of 80 bytes is
	// long enough to be tried, and fails to authenticate.
	v2 := make([]byte, 1+v2MessageKeySize+v2TagSize+v2PublicKeySize)
	v2[0] = 0x22
	if _, err := Open(v2[:len(v2)-1], bob.id); !errors.Is(err, ErrInvalidMessage) || !strings.Contains(err.Error(), "v2 message of 80 bytes") {
		t.Errorf("v2 of 80 bytes in all: %v", err)
	}
	if _, err := Open(v2, bob.id); !errors.Is(err, ErrInvalidMessage) || strings.Contains(err.Error(), "v2 message of") {
		t.Errorf("v2 of 81 bytes in all: %v", err)
	}

	id := func(kind byte) []byte { return append([]byte{kind}, bytes.Repeat([]byte{7}, 16)...) }
	km := bytes.Repeat([]byte{0xA1}, keyMaterialSize)
	for _, tc := range []struct {
		name, want string
		b          []byte
	}{
		// The largest count the varint check takes is refused because it
		// cannot fit; one more is not a count at all.
		{"count 2^32-1", "cannot fit", append(protowire.AppendVarint([]byte{0x23}, 0xFFFFFFFF), make([]byte, 100)...)},
		{"count 2^32", "bad recipient count", append(protowire.AppendVarint([]byte{0x23}, 0x100000000), make([]byte, 100)...)},
		// The last recipient read whole, then too few bytes for E.
		{"excluded, then nothing", "ephemeral key", append(append([]byte{0x23, 1}, id(0)...), 0)},
		{"one device and its key material, then nothing", "ephemeral key", append(append(append([]byte{0x23, 1}, id(0)...), 1, 0, 1), km...)},
		// A second service id, of an unknown kind, with nothing after it.
		{"service id kind 2 and nothing more", "bad service id kind 2", append(append(append(append([]byte{0x23, 2}, id(0)...), 1, 0, 1), km...), id(2)...)},
	} {
		if _, err := ParseSentMessage(tc.b); !errors.Is(err, ErrInvalidMessage) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestServiceIDHyphens: each of the four hyphens of a UUID string is
// required; a hex digit in its place is refused.
func TestServiceIDHyphens(t *testing.T) {
	const u = "aaaaaaaa-7000-11eb-b32a-33b8a8a487a6"
	for _, i := range []int{8, 13, 18, 23} {
		s := u[:i] + "a" + u[i+1:]
		if _, err := ParseServiceID(s); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%q: %v", s, err)
		}
		if _, err := ParseServiceID("PNI:" + s); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("PNI:%q: %v", s, err)
		}
	}
	if _, err := ParseServiceID(u + "a"); !errors.Is(err, ErrInvalidArgument) {
		t.Error("37 characters accepted")
	}
}

// TestSentMessageDuplicateThenOther: a recipient listed again has its
// devices joined, and the recipients after it are still read.
func TestSentMessageDuplicateThenOther(t *testing.T) {
	m, err := ParseSentMessage(newSent(0x23, 3).
		id(0, 1).raw(1, 0, 5).km(0xA1).
		id(0, 1).raw(2, 0, 6).km(0xA2).
		id(1, 2).raw(3, 0, 7).km(0xA3).shared())
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Recipients) != 2 || len(m.Recipients[0].Devices) != 2 || m.Recipients[0].Devices[1] != (Device{2, 6}) ||
		m.Recipients[1].ServiceID.Kind != PNI || m.Recipients[1].Devices[0] != (Device{3, 7}) {
		t.Fatalf("%+v", m.Recipients)
	}
	if got := m.MessageFor(&m.Recipients[1]); got[1] != 0xA3 || !bytes.Equal(got[1+keyMaterialSize:], bytes.Repeat([]byte{0xEE}, 48)) {
		t.Fatal("second recipient's received message")
	}
	if got := m.MessageFor(&m.Recipients[0]); got[1] != 0xA1 {
		t.Fatal("the first key material is not kept")
	}
}

// TestSealV2AllDevices: recipients with every device id, 1 to
// MaxDeviceID, seal and parse back, device for device.
func TestSealV2AllDevices(t *testing.T) {
	w := newWorld(t)
	alice := newDevice(t, w, newUUID(), 1, nil)
	c := &Content{Type: TypeSenderKey, Certificate: alice.cert, Body: []byte("x")}
	var devices []Device
	for id := uint32(1); id <= MaxDeviceID; id++ {
		devices = append(devices, Device{ID: id, RegistrationID: id * 100})
	}
	keys := map[ServiceID]*curve.IdentityKeyPair{}
	var rs []Recipient
	for range 3 {
		k, _ := curve.GenerateIdentityKeyPair()
		sid, _ := ParseServiceID(newUUID())
		keys[sid] = k
		rs = append(rs, Recipient{ServiceID: sid, IdentityKey: k.PublicKey(), Devices: devices})
	}
	sent, err := SealV2(c, alice.id, rs, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseSentMessage(sent)
	if err != nil || len(m.Recipients) != 3 {
		t.Fatalf("%v", err)
	}
	for i := range m.Recipients {
		r := &m.Recipients[i]
		if r.ServiceID != rs[i].ServiceID || len(r.Devices) != MaxDeviceID || r.Devices[MaxDeviceID-1] != (Device{MaxDeviceID, MaxDeviceID * 100}) {
			t.Fatalf("recipient %d: %d devices", i, len(r.Devices))
		}
		if got, err := Open(m.MessageFor(r), keys[r.ServiceID]); err != nil || string(got.Body) != "x" {
			t.Fatalf("recipient %d: %v", i, err)
		}
	}
}
