package sealedsender

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
)

// fuzzWorld is one set of devices and envelopes, made once per fuzzing
// process: Alice's envelopes to Bob of every kind.
type fuzzFixture struct {
	w          *world
	alice, bob *device
	dist       senderkey.DistributionID
	envelopes  [][]byte // v1 PreKey, v1 Signal, v2 Signal, v2 group received, v1 plaintext
	sent       []byte   // a multi-recipient message to Bob and one other
}

var (
	fuzzOnce sync.Once
	fuzzFix  *fuzzFixture
)

func fixture(t testing.TB) *fuzzFixture {
	fuzzOnce.Do(func() {
		ctx := context.Background()
		f := &fuzzFixture{w: newWorld(t)}
		f.alice = newDevice(t, f.w, newUUID(), 1, nil)
		f.bob = newDevice(t, f.w, newUUID(), 1, nil)
		carol := newDevice(t, f.w, newUUID(), 3, nil)
		connect(t, f.alice, f.bob)
		connect(t, f.alice, carol)
		pre, err := f.alice.c.Encrypt(ctx, f.bob.addr, f.alice.cert, []byte("prekey"), &Options{Hint: HintResendable, GroupID: []byte{1, 2}})
		if err != nil {
			t.Fatal(err)
		}
		f.envelopes = append(f.envelopes, pre)
		mustDecrypt(t, f.bob, pre, "prekey")
		reply, _ := f.bob.c.Encrypt(ctx, f.alice.addr, f.bob.cert, []byte("reply"), nil)
		mustDecrypt(t, f.alice, reply, "reply")
		for _, v := range []Version{V1, V2} {
			env, err := f.alice.c.Encrypt(ctx, f.bob.addr, f.alice.cert, []byte("signal"), &Options{Version: v})
			if err != nil {
				t.Fatal(err)
			}
			f.envelopes = append(f.envelopes, env)
		}
		f.dist = senderkey.NewDistributionID()
		self := senderkey.Sender{Name: f.alice.addr.Name, DeviceID: 1}
		dm, _ := f.alice.groups.CreateDistributionMessage(ctx, self, f.dist)
		if err := f.bob.groups.ProcessDistributionMessage(ctx, self, dm); err != nil {
			t.Fatal(err)
		}
		excl, _ := ParseServiceID("PNI:" + newUUID())
		f.sent, err = f.alice.c.EncryptGroup(ctx, self, f.dist, []session.Address{f.bob.addr, carol.addr}, []ServiceID{excl}, f.alice.cert, []byte("group"), &Options{GroupID: []byte("g")})
		if err != nil {
			t.Fatal(err)
		}
		m, err := ParseSentMessage(f.sent)
		if err != nil {
			t.Fatal(err)
		}
		f.envelopes = append(f.envelopes, m.MessageFor(&m.Recipients[0]))
		pc, _ := SealV1(&Content{Type: TypePlaintext, Certificate: f.alice.cert, Body: []byte{0xC0, 0x80}}, f.alice.id, f.bob.id.PublicKey())
		f.envelopes = append(f.envelopes, pc)
		fuzzFix = f
	})
	if fuzzFix == nil {
		t.Fatal("fixture failed")
	}
	return fuzzFix
}

func addFixtureSeeds(f *testing.F) {
	for _, fx := range libsignalFixtures {
		f.Add(signedEnvelope(mustHex(fx.cert), mustHex(fx.sig)))
	}
	for _, k := range knownServerCertificates {
		f.Add(k.Certificate.Bytes())
	}
}

func FuzzParseServerCertificate(f *testing.F) {
	addFixtureSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseServerCertificate(b)
		if err != nil {
			if !errors.Is(err, ErrInvalidCertificate) {
				t.Fatalf("%v does not match ErrInvalidCertificate", err)
			}
			return
		}
		if !bytes.Equal(c.Bytes(), b) {
			t.Fatal("Bytes is not the input")
		}
		_ = c.Verify(c.Key())
	})
}

func FuzzParseSenderCertificate(f *testing.F) {
	addFixtureSeeds(f)
	root := knownServerCertificates[0x7357C357].TrustRoot
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseSenderCertificate(b)
		if err != nil {
			if !errors.Is(err, ErrInvalidCertificate) {
				t.Fatalf("%v does not match ErrInvalidCertificate", err)
			}
			return
		}
		if !bytes.Equal(c.Bytes(), b) {
			t.Fatal("Bytes is not the input")
		}
		c2, err := ParseSenderCertificate(c.Bytes())
		if err != nil || c2.Sender() != c.Sender() {
			t.Fatalf("second parse differs: %v", err)
		}
		if s := c.Sender(); s.DeviceID < 1 || s.DeviceID > MaxDeviceID {
			t.Fatalf("device id %d accepted", s.DeviceID)
		}
		_ = c.Validate(testNow, root)
	})
}

func FuzzParseContent(f *testing.F) {
	fx := fixture(f)
	for _, env := range fx.envelopes {
		if c, err := Open(env, fx.bob.id); err == nil {
			b, _ := c.MarshalBinary()
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseContent(b)
		if err != nil {
			if !errors.Is(err, ErrInvalidMessage) && !errors.Is(err, ErrInvalidCertificate) {
				t.Fatalf("%v matches no error of the package", err)
			}
			return
		}
		enc, err := c.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		c2, err := ParseContent(enc)
		if err != nil {
			t.Fatal(err)
		}
		if c2.Type != c.Type || c2.Hint != c.Hint || !bytes.Equal(c2.Body, c.Body) || !bytes.Equal(c2.GroupID, c.GroupID) || !bytes.Equal(c2.Certificate.raw, c.Certificate.raw) {
			t.Fatal("re-encoding changed the content")
		}
	})
}

func FuzzOpen(f *testing.F) {
	fx := fixture(f)
	for _, env := range fx.envelopes {
		f.Add(env)
	}
	f.Fuzz(func(t *testing.T, env []byte) {
		c, err := Open(env, fx.bob.id)
		if err != nil {
			if !errors.Is(err, ErrInvalidMessage) && !errors.Is(err, ErrInvalidCertificate) && !errors.Is(err, ErrUnknownVersion) {
				t.Fatalf("%v matches no error of the package", err)
			}
			return
		}
		if !c.Certificate.sender.IdentityKey.Equal(fx.alice.id.PublicKey()) {
			// Only Alice's key can make an envelope that opens with
			// her certificate; nobody else's certificate is around.
			t.Fatal("opened with a sender key that is not Alice's")
		}
	})
}

func FuzzParseSentMessage(f *testing.F) {
	fx := fixture(f)
	f.Add(fx.sent)
	legacy := append([]byte{versionV2UUID}, fx.sent[1:]...)
	f.Add(legacy)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseSentMessage(b)
		if err != nil {
			if !errors.Is(err, ErrInvalidMessage) && !errors.Is(err, ErrUnknownVersion) {
				t.Fatalf("%v matches no error of the package", err)
			}
			return
		}
		seen := map[ServiceID]bool{}
		for i := range m.Recipients {
			r := &m.Recipients[i]
			if len(r.Devices) == 0 || seen[r.ServiceID] {
				t.Fatalf("recipient %s: %d devices, repeated %v", r.ServiceID, len(r.Devices), seen[r.ServiceID])
			}
			seen[r.ServiceID] = true
			for _, d := range r.Devices {
				if d.ID < 1 || d.ID > MaxDeviceID || d.RegistrationID > MaxRegistrationID {
					t.Fatalf("device %+v", d)
				}
			}
			msg := m.MessageFor(r)
			if len(msg) < 1+v2MessageKeySize+v2TagSize+v2PublicKeySize || msg[0] != versionV2UUID {
				t.Fatal("received message too short")
			}
		}
		for _, id := range m.Excluded {
			if seen[id] {
				t.Fatalf("%s both excluded and included", id)
			}
			seen[id] = true
		}
	})
}

// FuzzDecrypt runs Bob's one-call decryption on mutated envelopes: a
// failure leaves his stores byte-identical.
func FuzzDecrypt(f *testing.F) {
	fx := fixture(f)
	for _, env := range fx.envelopes {
		f.Add(env)
	}
	self := senderkey.Sender{Name: fx.alice.addr.Name, DeviceID: 1}
	var mu sync.Mutex
	f.Fuzz(func(t *testing.T, env []byte) {
		mu.Lock()
		defer mu.Unlock()
		before, gbefore := fx.bob.state(t), fx.bob.groupState(t, self, fx.dist)
		_, err := fx.bob.c.Decrypt(context.Background(), env)
		if err == nil {
			return
		}
		sameBytes(t, "bob's store", fx.bob.state(t), before)
		sameBytes(t, "bob's sender key", fx.bob.groupState(t, self, fx.dist), gbefore)
	})
}

var _ = curve.PublicKeySize
