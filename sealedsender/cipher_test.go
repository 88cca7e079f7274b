package sealedsender

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
)

func TestConversation(t *testing.T) {
	for _, v := range []Version{V1, V2} {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) {
			ctx := context.Background()
			w := newWorld(t)
			alice := newDevice(t, w, newUUID(), 1, nil)
			bob := newDevice(t, w, newUUID(), 2, nil)
			connect(t, alice, bob)
			opts := &Options{Version: v, Hint: HintResendable, GroupID: []byte("g")}
			// Alice's first messages are PreKey messages; some arrive
			// late.
			var held [][]byte
			for i := range 20 {
				env, err := alice.c.Encrypt(ctx, bob.addr, alice.cert, []byte(fmt.Sprint("a", i)), opts)
				if err != nil {
					t.Fatal(err)
				}
				if want := byte(0x11); v == V2 {
					want = 0x22
					if env[0] != want {
						t.Fatalf("version byte %#x", env[0])
					}
				} else if env[0] != want {
					t.Fatalf("version byte %#x", env[0])
				}
				if i%3 == 1 {
					held = append(held, env)
					continue
				}
				r := mustDecrypt(t, bob, env, fmt.Sprint("a", i))
				if r.Sender.UUID != alice.addr.Name || r.Sender.DeviceID != 1 || r.Hint != HintResendable || string(r.GroupID) != "g" {
					t.Fatalf("result %+v", r)
				}
				if i == 0 && r.Type != TypePreKey {
					t.Fatalf("first message type %v", r.Type)
				}
			}
			for i := range 20 {
				env, err := bob.c.Encrypt(ctx, alice.addr, bob.cert, []byte(fmt.Sprint("b", i)), &Options{Version: v})
				if err != nil {
					t.Fatal(err)
				}
				r := mustDecrypt(t, alice, env, fmt.Sprint("b", i))
				if r.Type != TypeSignal || r.Hint != HintDefault || r.GroupID != nil {
					t.Fatalf("result %+v", r)
				}
			}
			for i, env := range held {
				mustDecrypt(t, bob, env, fmt.Sprint("a", 3*i+1))
			}
			// A second delivery is a duplicate, reported with its sender.
			var inner *InnerError
			_, err := bob.c.Decrypt(ctx, held[0])
			if !errors.As(err, &inner) || !errors.Is(err, session.ErrDuplicateMessage) || inner.Sender.UUID != alice.addr.Name || inner.Hint != HintResendable {
				t.Fatalf("duplicate: %v", err)
			}
		})
	}
}

func TestSelfSend(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	uuid := newUUID()
	id, _ := curve.GenerateIdentityKeyPair()
	a1 := newDevice(t, w, uuid, 1, id)
	a2 := newDevice(t, w, uuid, 2, id)
	connect(t, a1, a2)
	env, err := a1.c.Encrypt(ctx, a2.addr, a1.cert, []byte("to my other device"), nil)
	if err != nil {
		t.Fatal(err)
	}
	mustDecrypt(t, a2, env, "to my other device")
	// An envelope certified as a2 itself, sealed to a2: refused before
	// any session is touched.
	self := &Content{Type: TypeSignal, Certificate: a2.cert, Body: []byte("x")}
	env, err = SealV1(self, a2.id, a2.id.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a2.c.Decrypt(ctx, env); !errors.Is(err, ErrSelfSend) {
		t.Fatalf("self send: %v", err)
	}
	// The same by phone number.
	a2.c.cfg.Local = LocalAddress{UUID: "other", E164: "+1555", DeviceID: 2}
	cert := w.certify(t, Sender{UUID: "someone", E164: "+1555", DeviceID: 2, IdentityKey: a2.id.PublicKey(), Expires: testNow})
	env, _ = SealV1(&Content{Type: TypeSignal, Certificate: cert, Body: []byte("x")}, a2.id, a2.id.PublicKey())
	if _, err := a2.c.Decrypt(ctx, env); !errors.Is(err, ErrSelfSend) {
		t.Fatalf("self send by e164: %v", err)
	}
}

func TestCertificateChecks(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	alice := newDevice(t, w, newUUID(), 1, nil)
	bob := newDevice(t, w, newUUID(), 1, nil)
	connect(t, alice, bob)
	other := newWorld(t)
	s := alice.cert.Sender()
	expired := w.certify(t, Sender{UUID: s.UUID, DeviceID: 1, IdentityKey: s.IdentityKey, Expires: testNow.Add(-time.Millisecond)})
	wrongRoot := other.certify(t, s)
	revokedServer, _ := NewServerCertificate(0xDEADC357, w.serverKey.PublicKey(), w.root)
	revoked, _ := NewSenderCertificate(s, revokedServer, w.serverKey)
	// A certificate for another identity key: the envelope's key agreement
	// does not match it.
	mallory, _ := curve.GenerateIdentityKeyPair()
	stolen := w.certify(t, Sender{UUID: s.UUID, DeviceID: 1, IdentityKey: mallory.PublicKey(), Expires: s.Expires})
	for _, tc := range []struct {
		name string
		cert *SenderCertificate
		want error
	}{
		{"expired", expired, ErrExpired},
		{"wrong root", wrongRoot, ErrUntrustedRoot},
		{"revoked", revoked, ErrRevoked},
		{"other identity key", stolen, ErrInvalidMessage},
	} {
		for _, v := range []Version{V1, V2} {
			before := bob.state(t)
			env, err := alice.c.Encrypt(ctx, bob.addr, tc.cert, []byte("hi"), &Options{Version: v})
			if err != nil {
				t.Fatal(err)
			}
			_, err = bob.c.Decrypt(ctx, env)
			if !errors.Is(err, tc.want) {
				t.Fatalf("%s v%d: %v, want %v", tc.name, v, err, tc.want)
			}
			sameBytes(t, tc.name+": bob's store", bob.state(t), before)
		}
	}
	env, _ := alice.c.Encrypt(ctx, bob.addr, alice.cert, []byte("still fine"), nil)
	mustDecrypt(t, bob, env, "still fine")
}

// TestEveryByteFlipped flips each bit pattern of every byte of one envelope
// of each kind: each is refused, nothing is stored, and the conversation
// goes on.
func TestEveryByteFlipped(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	alice := newDevice(t, w, newUUID(), 1, nil)
	bob := newDevice(t, w, newUUID(), 1, nil)
	connect(t, alice, bob)
	// Establish, so later envelopes hold SignalMessages.
	first, _ := alice.c.Encrypt(ctx, bob.addr, alice.cert, []byte("hello"), nil)
	mustDecrypt(t, bob, first, "hello")
	reply, _ := bob.c.Encrypt(ctx, alice.addr, bob.cert, []byte("hi"), nil)
	mustDecrypt(t, alice, reply, "hi")

	dist := senderkey.NewDistributionID()
	aliceSender := senderkey.Sender{Name: alice.addr.Name, DeviceID: 1}
	dm, err := alice.groups.CreateDistributionMessage(ctx, aliceSender, dist)
	if err != nil {
		t.Fatal(err)
	}
	if err := bob.groups.ProcessDistributionMessage(ctx, aliceSender, dm); err != nil {
		t.Fatal(err)
	}
	kinds := []struct {
		name string
		make func() []byte
		open func(env []byte) ([]byte, error) // nil: Decrypt
	}{
		{"v1", func() []byte {
			env, err := alice.c.Encrypt(ctx, bob.addr, alice.cert, []byte("v1 message"), nil)
			if err != nil {
				t.Fatal(err)
			}
			return env
		}, nil},
		{"v2 received", func() []byte {
			env, err := alice.c.Encrypt(ctx, bob.addr, alice.cert, []byte("v2 message"), &Options{Version: V2})
			if err != nil {
				t.Fatal(err)
			}
			return env
		}, nil},
		{"v2 sent", func() []byte {
			sent, err := alice.c.EncryptGroup(ctx, aliceSender, dist, []session.Address{bob.addr}, nil, alice.cert, []byte("group message"), &Options{GroupID: []byte("group")})
			if err != nil {
				t.Fatal(err)
			}
			return sent
		}, func(sent []byte) ([]byte, error) {
			m, err := ParseSentMessage(sent)
			if err != nil {
				return nil, err
			}
			// What the service checks: Bob is listed, with his one
			// device and its registration id. The service-side fields
			// are not authenticated to the recipient; the service
			// refuses a message whose devices do not match.
			id, _ := ParseServiceID(bob.addr.Name)
			r := m.Recipient(id)
			if r == nil || len(m.Recipients) != 1 || len(m.Excluded) != 0 || len(r.Devices) != 1 || r.Devices[0] != (Device{ID: bob.addr.DeviceID, RegistrationID: bob.regID}) {
				return nil, errors.New("the service refuses it")
			}
			return m.MessageFor(r), nil
		}},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			env := k.make()
			n, refused := len(env), 0
			for i := range env {
				for _, x := range []byte{0x01, 0x80, 0xFF} {
					m := append([]byte(nil), env...)
					m[i] ^= x
					if i == 0 && m[0]>>4 == env[0]>>4 {
						// The version byte's low nibble is the
						// sender's current version, which readers
						// ignore (TestVersionNibble).
						continue
					}
					before, gbefore := bob.state(t), bob.groupState(t, aliceSender, dist)
					if k.open != nil {
						var err error
						if m, err = k.open(m); err != nil {
							refused++
							continue
						}
					}
					if _, err := bob.c.Decrypt(ctx, m); err == nil {
						t.Fatalf("byte %d ^ %#x accepted", i, x)
					}
					refused++
					sameBytes(t, "bob's session store", bob.state(t), before)
					sameBytes(t, "bob's sender-key record", bob.groupState(t, aliceSender, dist), gbefore)
				}
			}
			want := "v1 message"
			switch k.name {
			case "v2 received":
				want = "v2 message"
			case "v2 sent":
				want = "group message"
			}
			if k.open != nil {
				var err error
				if env, err = k.open(env); err != nil {
					t.Fatal(err)
				}
			}
			mustDecrypt(t, bob, env, want)
			t.Logf("%d flips of %d bytes refused", refused, n)
		})
	}
	// The conversation goes on both ways.
	env, _ := alice.c.Encrypt(ctx, bob.addr, alice.cert, []byte("after"), nil)
	mustDecrypt(t, bob, env, "after")
	env, _ = bob.c.Encrypt(ctx, alice.addr, bob.cert, []byte("after too"), &Options{Version: V2})
	mustDecrypt(t, alice, env, "after too")
}

func TestGroup(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	alice := newDevice(t, w, newUUID(), 1, nil)
	// Five recipients with two devices each (sharing an identity key).
	var members []*device
	var to []session.Address
	for range 5 {
		uuid := newUUID()
		id, _ := curve.GenerateIdentityKeyPair()
		for dev := uint32(1); dev <= 2; dev++ {
			d := newDevice(t, w, uuid, dev, id)
			connect(t, alice, d)
			members = append(members, d)
			to = append(to, d.addr)
		}
	}
	dist := senderkey.NewDistributionID()
	self := senderkey.Sender{Name: alice.addr.Name, DeviceID: 1}
	dm, err := alice.groups.CreateDistributionMessage(ctx, self, dist)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range members {
		if err := d.groups.ProcessDistributionMessage(ctx, self, dm); err != nil {
			t.Fatal(err)
		}
	}
	excluded, _ := ParseServiceID("PNI:" + newUUID())
	for i := range 10 {
		sent, err := alice.c.EncryptGroup(ctx, self, dist, to, []ServiceID{excluded}, alice.cert, []byte(fmt.Sprint("group ", i)), &Options{Hint: HintResendable, GroupID: []byte("the group")})
		if err != nil {
			t.Fatal(err)
		}
		m, err := ParseSentMessage(sent)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Recipients) != 5 || len(m.Excluded) != 1 || m.Excluded[0] != excluded {
			t.Fatalf("%d recipients, excluded %v", len(m.Recipients), m.Excluded)
		}
		for _, d := range members {
			sid, _ := ParseServiceID(d.addr.Name)
			r := m.Recipient(sid)
			if r == nil || len(r.Devices) != 2 || r.Devices[d.addr.DeviceID-1].ID != d.addr.DeviceID || r.Devices[d.addr.DeviceID-1].RegistrationID != d.regID {
				t.Fatalf("recipient %s: %+v", d.addr, r)
			}
			res := mustDecrypt(t, d, m.MessageFor(r), fmt.Sprint("group ", i))
			if res.Type != TypeSenderKey || string(res.GroupID) != "the group" || res.Hint != HintResendable {
				t.Fatalf("result %+v", res)
			}
		}
		// Another recipient's received message does not open for d.
		wrong := m.MessageFor(&m.Recipients[1])
		if _, err := members[0].c.Decrypt(ctx, wrong); !errors.Is(err, ErrInvalidMessage) {
			t.Fatalf("another recipient's message: %v", err)
		}
	}
}

func TestInnerErrorReportsSender(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	alice := newDevice(t, w, newUUID(), 1, nil)
	bob := newDevice(t, w, newUUID(), 1, nil)
	connect(t, alice, bob)
	env, _ := alice.c.Encrypt(ctx, bob.addr, alice.cert, []byte("hello"), nil)
	mustDecrypt(t, bob, env, "hello")
	env, _ = bob.c.Encrypt(ctx, alice.addr, bob.cert, []byte("hi"), nil)
	mustDecrypt(t, alice, env, "hi")
	// Bob loses the session; Alice's next message cannot be decrypted.
	if err := bob.m.DeleteSession(ctx, alice.addr); err != nil {
		t.Fatal(err)
	}
	env, _ = alice.c.Encrypt(ctx, bob.addr, alice.cert, []byte("lost"), &Options{Hint: HintResendable})
	_, err := bob.c.Decrypt(ctx, env)
	var inner *InnerError
	if !errors.As(err, &inner) {
		t.Fatalf("%v is not an InnerError", err)
	}
	if inner.Sender.UUID != alice.addr.Name || inner.Sender.DeviceID != 1 || inner.Hint != HintResendable || inner.Type != TypePreKey && inner.Type != TypeSignal || len(inner.Body) == 0 {
		t.Fatalf("inner error %+v", inner)
	}
	if !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("%v does not match session.ErrNoSession", err)
	}
}

func TestDecryptWithHandlerFailure(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	alice := newDevice(t, w, newUUID(), 1, nil)
	bob := newDevice(t, w, newUUID(), 1, nil)
	connect(t, alice, bob)
	dist := senderkey.NewDistributionID()
	self := senderkey.Sender{Name: alice.addr.Name, DeviceID: 1}
	dm, _ := alice.groups.CreateDistributionMessage(ctx, self, dist)
	if err := bob.groups.ProcessDistributionMessage(ctx, self, dm); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("app could not save")
	one, _ := alice.c.Encrypt(ctx, bob.addr, alice.cert, []byte("one"), nil)
	sent, _ := alice.c.EncryptGroup(ctx, self, dist, []session.Address{bob.addr}, nil, alice.cert, []byte("two"), nil)
	m, err := ParseSentMessage(sent)
	if err != nil {
		t.Fatal(err)
	}
	two := m.MessageFor(&m.Recipients[0])
	// The handler's error comes back as it is, also when its type is not
	// comparable (listError: a review finding, errors.Is never matches
	// such an error against itself, and DecryptWith wrapped it).
	handlerErrors := []struct {
		err  error
		same func(error) bool
	}{
		{boom, func(err error) bool { return errors.Is(err, boom) }},
		{listError{[]int{1, 2}}, func(err error) bool {
			var le listError
			return errors.As(err, &le) && len(le.ids) == 2
		}},
	}
	for _, h := range handlerErrors {
		for _, env := range [][]byte{one, two} {
			before, gbefore := bob.state(t), bob.groupState(t, self, dist)
			err := bob.c.DecryptWith(ctx, env, func(*Result) error { return h.err })
			var inner *InnerError
			if errors.As(err, &inner) {
				t.Fatalf("the handler's error is wrapped in an InnerError: %v", err)
			}
			if !h.same(err) {
				t.Fatalf("not the handler's error: %v", err)
			}
			sameBytes(t, "bob's store", bob.state(t), before)
			sameBytes(t, "bob's sender key", bob.groupState(t, self, dist), gbefore)
		}
	}
	mustDecrypt(t, bob, one, "one")
	mustDecrypt(t, bob, two, "two")
}

// TestVersionNibble: readers look only at the version byte's high nibble
// (the version required to read the message), as libsignal does, so that a
// sender of a later minor version stays readable.
func TestVersionNibble(t *testing.T) {
	w := newWorld(t)
	alice := newDevice(t, w, newUUID(), 1, nil)
	bob := newDevice(t, w, newUUID(), 1, nil)
	c := &Content{Type: TypeSignal, Certificate: alice.cert, Body: []byte("body")}
	v1, err := SealV1(c, alice.id, bob.id.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	v2, err := sealV2Single(c, alice.id, bob.id.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		env   []byte
		first byte
		ok    bool
	}{
		{v1, 0x11, true}, {v1, 0x10, true}, {v1, 0x1F, true}, {v1, 0x01, true}, {v1, 0x21, false}, {v1, 0x31, false},
		{v2, 0x22, true}, {v2, 0x23, true}, {v2, 0x2F, true}, {v2, 0x12, false}, {v2, 0x32, false},
	} {
		m := append([]byte{tc.first}, tc.env[1:]...)
		got, err := Open(m, bob.id)
		if tc.ok != (err == nil) {
			t.Fatalf("%#x: %v", tc.first, err)
		}
		if err == nil && string(got.Body) != "body" {
			t.Fatal("body")
		}
		if !tc.ok && !errors.Is(err, ErrUnknownVersion) && !errors.Is(err, ErrInvalidMessage) {
			t.Fatalf("%#x: %v", tc.first, err)
		}
	}
}

// TestSealV2Many seals for enough recipients that the key agreements run
// in parallel, and opens every recipient's part (run with -race).
func TestSealV2Many(t *testing.T) {
	w := newWorld(t)
	alice := newDevice(t, w, newUUID(), 1, nil)
	c := &Content{Type: TypeSenderKey, Certificate: alice.cert, Body: []byte("many"), GroupID: []byte("g")}
	var recipients []Recipient
	keys := map[ServiceID]*curve.IdentityKeyPair{}
	for i := range 3 * parallelRecipients {
		id, _ := curve.GenerateIdentityKeyPair()
		sid, _ := ParseServiceID(newUUID())
		keys[sid] = id
		recipients = append(recipients, Recipient{ServiceID: sid, IdentityKey: id.PublicKey(), Devices: []Device{{ID: 1, RegistrationID: uint32(i)}, {ID: 2, RegistrationID: MaxRegistrationID}}})
	}
	sent, err := SealV2(c, alice.id, recipients, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseSentMessage(sent)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Recipients) != len(recipients) {
		t.Fatalf("%d recipients", len(m.Recipients))
	}
	for i := range m.Recipients {
		r := &m.Recipients[i]
		if r.ServiceID != recipients[i].ServiceID || len(r.Devices) != 2 || r.Devices[0].RegistrationID != uint32(i) {
			t.Fatalf("recipient %d: %+v", i, r)
		}
		got, err := Open(m.MessageFor(r), keys[r.ServiceID])
		if err != nil || string(got.Body) != "many" {
			t.Fatalf("recipient %d: %v", i, err)
		}
	}
}

// listError is an error type that == cannot compare (it holds a slice).
type listError struct{ ids []int }

func (e listError) Error() string { return fmt.Sprintf("app could not save %d messages", len(e.ids)) }
