package sealedsender

import (
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/forwardsecret/signal/curve"
)

// libsignal's sender-certificate fixtures (rust/protocol/src/sealed_sender.rs
// tests): trust root = the private key of 32 zero bytes; valid at 31336,
// expiring at 31337; uuid aaaaaaaa-7000-11eb-b32a-33b8a8a487a6, device 1.
var libsignalFixtures = []struct{ name, cert, sig string }{
	{"embedded signer and an unknown field 999",
		"100119697a0000000000002221056c9d1f8deb82b9a898f9c277a1b74989ec009afb5c0acb5e8e69e3d5ca29d6322a690a2508011221053b03ca070e6f6b2f271d32f27321689cdf4e59b106c10b58fbe15063ed868a5a124024bc92954e52ad1a105b5bda85c9db410dcfeb42a671b45a523b3a46e9594a8bde0efc671d8e8e046b32c67f59b80a46ffdf24071850779bc21325107902af89322461616161616161612d373030302d313165622d623332612d333362386138613438376136ba3e136372617368696e6720726967687420646f776e",
		"a22d8f86f5d00794f319add821e342c6ffffb6b34f741e569f8b321ab0255f2d1757ecf648e53a3602cae8f09b3fc80dcf27534d67efd272b6739afc31f75c8c"},
	{"uuidBytes",
		"100119697a000000000000222105e083a8ce423d1c1955174107a85a6a7f3bcbf566723624077f75eafe8e0a07752a690a25080112210507a24397ae27d06fa76d2f02cfb5546e0b23a7e0c3670c1eb1e73b135a8e1e4d12407d127509ae1f5e9dcaa511793d3e94350dcb269e4ca54500da6e1f4dc13d95940c15badef019edfe8666315500c54e4489d4b83f6ce79c7f65c9772a1a83d88c3a10aaaaaaaa700011ebb32a33b8a8a487a6",
		"755c428e9bf6ba367152f1e545834649b4e8f70df8383a352a953fdb774862af5d42fab573fc52b90ad47c331c36f93b1a4fa7a2504917d895452ffe7f44bd0e"},
	{"signer by reference 0x7357C357",
		"100119697a000000000000222105d75b13e15c7700079dd226f51e5a790ba395e819e88a74d0cf5cedfad8b4334840d786df9a07322461616161616161612d373030302d313165622d623332612d333362386138613438376136",
		"e62667bce627caed56ca2ab309b6ae7bc890a30a7482c0e1fd77ec9c3b7528abfd45c8c42b240509a71d973ef5e0f1dbd2685fe01410f0fdbaa8fb247a67e08f"},
}

func zeroRoot(t *testing.T) curve.PublicKey {
	k, err := curve.NewPrivateKey(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k.PublicKey()
}

func TestLibsignalFixtures(t *testing.T) {
	root := zeroRoot(t)
	for _, f := range libsignalFixtures {
		t.Run(f.name, func(t *testing.T) {
			raw := signedEnvelope(unhex(t, f.cert), unhex(t, f.sig))
			c, err := ParseSenderCertificate(raw)
			if err != nil {
				t.Fatal(err)
			}
			s := c.Sender()
			if s.UUID != "aaaaaaaa-7000-11eb-b32a-33b8a8a487a6" || s.DeviceID != 1 || s.E164 != "" || s.Expires.UnixMilli() != 31337 {
				t.Fatalf("fields: %+v", s)
			}
			if err := c.Validate(time.UnixMilli(31336), root); err != nil {
				t.Fatalf("at 31336: %v", err)
			}
			if err := c.Validate(time.UnixMilli(31337), root); err != nil {
				t.Fatalf("at the expiration itself: %v", err)
			}
			if err := c.Validate(time.UnixMilli(31338), root); !errors.Is(err, ErrExpired) {
				t.Fatalf("at 31338: %v, want ErrExpired", err)
			}
			other, _ := curve.GenerateIdentityKeyPair()
			if err := c.Validate(time.UnixMilli(31336), other.PublicKey()); !errors.Is(err, ErrUntrustedRoot) {
				t.Fatalf("other root: %v, want ErrUntrustedRoot", err)
			}
			if err := c.Validate(time.UnixMilli(31336), other.PublicKey(), root); err != nil {
				t.Fatalf("root second in the set: %v", err)
			}
			if got := c.Bytes(); string(got) != string(raw) {
				t.Fatal("Bytes is not the parsed encoding")
			}
		})
	}
}

func TestKnownServerCertificates(t *testing.T) {
	known := KnownServerCertificates()
	if len(known) != 3 {
		t.Fatalf("%d known certificates", len(known))
	}
	for id, k := range known {
		if k.Certificate.KeyID() != id {
			t.Errorf("%#x: key id %#x", id, k.Certificate.KeyID())
		}
		if err := k.Certificate.Verify(k.TrustRoot); err != nil {
			t.Errorf("%#x: %v", id, err)
		}
	}
	// The test certificate's server key is the private key of 32 0xFF bytes.
	ff := make([]byte, 32)
	for i := range ff {
		ff[i] = 0xFF
	}
	k, _ := curve.NewPrivateKey(ff)
	if !known[0x7357C357].Certificate.Key().Equal(k.PublicKey()) {
		t.Fatal("test certificate's key is not the 0xFF key")
	}
}

func TestServerCertificate(t *testing.T) {
	w := newWorld(t)
	c, err := ParseServerCertificate(w.server.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if c.KeyID() != 7 || !c.Key().Equal(w.serverKey.PublicKey()) {
		t.Fatal("fields")
	}
	if err := c.Verify(w.root.PublicKey()); err != nil {
		t.Fatal(err)
	}
	if err := c.Verify(); !errors.Is(err, ErrUntrustedRoot) {
		t.Fatalf("no roots: %v", err)
	}
	revoked, err := NewServerCertificate(0xDEADC357, w.serverKey.PublicKey(), w.root)
	if err != nil {
		t.Fatal(err)
	}
	if err := revoked.Verify(w.root.PublicKey()); !errors.Is(err, ErrRevoked) || !errors.Is(err, ErrInvalidCertificate) {
		t.Fatalf("revoked: %v", err)
	}
}

func TestSenderCertificate(t *testing.T) {
	w := newWorld(t)
	id, _ := curve.GenerateIdentityKeyPair()
	s := Sender{UUID: newUUID(), E164: "+14155550100", DeviceID: 3, IdentityKey: id.PublicKey(), Expires: testNow.Add(time.Hour)}
	c := w.certify(t, s)
	p, err := ParseSenderCertificate(c.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	got := p.Sender()
	if got.UUID != s.UUID || got.E164 != s.E164 || got.DeviceID != 3 || !got.IdentityKey.Equal(s.IdentityKey) || !got.Expires.Equal(s.Expires) {
		t.Fatalf("round trip: %+v", got)
	}
	if err := p.Validate(testNow, w.root.PublicKey()); err != nil {
		t.Fatal(err)
	}
	if err := p.Validate(testNow.Add(2*time.Hour), w.root.PublicKey()); !errors.Is(err, ErrExpired) {
		t.Fatalf("expired: %v", err)
	}
	// A certificate signed by a revoked server certificate.
	revoked, _ := NewServerCertificate(0xDEADC357, w.serverKey.PublicKey(), w.root)
	rc, err := NewSenderCertificate(s, revoked, w.serverKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Validate(testNow, w.root.PublicKey()); !errors.Is(err, ErrRevoked) {
		t.Fatalf("revoked: %v", err)
	}
	// Signed by a key other than the server certificate's.
	other, _ := curve.GenerateIdentityKeyPair()
	bad, err := NewSenderCertificate(s, w.server, other)
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.Validate(testNow, w.root.PublicKey()); !errors.Is(err, ErrInvalidCertificate) || errors.Is(err, ErrUntrustedRoot) {
		t.Fatalf("wrong signer: %v", err)
	}
	// Every byte flipped: a parse error or a validation error, never a
	// valid certificate.
	raw := c.Bytes()
	for i := range raw {
		for _, x := range []byte{0x01, 0x80} {
			m := append([]byte(nil), raw...)
			m[i] ^= x
			p, err := ParseSenderCertificate(m)
			if err != nil {
				if !errors.Is(err, ErrInvalidCertificate) {
					t.Fatalf("byte %d: %v does not match ErrInvalidCertificate", i, err)
				}
				continue
			}
			if err := p.Validate(testNow, w.root.PublicKey()); err == nil {
				t.Fatalf("byte %d ^ %#x: tampered certificate validates", i, x)
			}
		}
	}
	// A reference to an unknown server certificate parses but does not
	// validate.
	var cert []byte
	cert = protowire.AppendTag(cert, fieldSenderDevice, protowire.VarintType)
	cert = protowire.AppendVarint(cert, 1)
	cert = protowire.AppendTag(cert, fieldSenderExpires, protowire.Fixed64Type)
	cert = protowire.AppendFixed64(cert, 1)
	cert = protowire.AppendTag(cert, fieldSenderIdentity, protowire.BytesType)
	cert = protowire.AppendBytes(cert, id.PublicKey().Bytes())
	cert = protowire.AppendTag(cert, fieldSenderSignerID, protowire.VarintType)
	cert = protowire.AppendVarint(cert, 12345)
	cert = protowire.AppendTag(cert, fieldSenderUUIDString, protowire.BytesType)
	cert = protowire.AppendString(cert, "x")
	sig, _ := w.serverKey.Sign(cert)
	u, err := ParseSenderCertificate(signedEnvelope(cert, sig))
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Validate(time.UnixMilli(0), w.root.PublicKey()); !errors.Is(err, ErrUnknownServerCertificate) {
		t.Fatalf("unknown signer id: %v", err)
	}
}

func TestSenderCertificateArguments(t *testing.T) {
	w := newWorld(t)
	id, _ := curve.GenerateIdentityKeyPair()
	for _, s := range []Sender{
		{UUID: "u", DeviceID: 0, IdentityKey: id.PublicKey()},
		{UUID: "u", DeviceID: 128, IdentityKey: id.PublicKey()},
		{UUID: "", DeviceID: 1, IdentityKey: id.PublicKey()},
		{UUID: "u", DeviceID: 1},
		{UUID: "u", DeviceID: 1, IdentityKey: id.PublicKey(), Expires: time.UnixMilli(-1)},
	} {
		if _, err := NewSenderCertificate(s, w.server, w.serverKey); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%+v: %v", s, err)
		}
	}
}

func TestServiceID(t *testing.T) {
	for _, s := range []string{"aaaaaaaa-7000-11eb-b32a-33b8a8a487a6", "PNI:aaaaaaaa-7000-11eb-b32a-33b8a8a487a6"} {
		id, err := ParseServiceID(s)
		if err != nil || id.String() != s {
			t.Fatalf("%q: %v %v", s, id, err)
		}
		b := id.appendBinary(nil)
		back, ok := parseServiceIDBinary(b)
		if !ok || back != id {
			t.Fatal("binary round trip")
		}
	}
	if id, err := ParseServiceID("AAAAAAAA-7000-11EB-B32A-33B8A8A487A6"); err != nil || id.String() != "aaaaaaaa-7000-11eb-b32a-33b8a8a487a6" {
		t.Fatal("upper case")
	}
	for _, s := range []string{"", "aci:aaaaaaaa-7000-11eb-b32a-33b8a8a487a6", "aaaaaaaa700011ebb32a33b8a8a487a6", "PNI:", "aaaaaaaa-7000-11eb-b32a-33b8a8a487ag"} {
		if _, err := ParseServiceID(s); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%q accepted", s)
		}
	}
}
