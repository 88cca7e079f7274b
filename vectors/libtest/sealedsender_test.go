package libtest

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"testing/cryptotest"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/sealedsender"
	"github.com/forwardsecret/signal/vectors"
)

// sealed_sender.json against package sealedsender: certificates signed and
// validated, USMCs encoded and parsed, v1 envelopes and v2 messages sealed
// byte for byte (cryptotest.SetGlobalRandom with each draw seed before the
// call that draws) and opened, sent messages parsed and split.

func loadSealedSender(t *testing.T) *vectors.SealedSenderFile {
	t.Helper()
	f, err := vectors.SealedSender()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// ssErrorMatches reports whether err is the library's error for the
// vector's error name.
func ssErrorMatches(name string, err error) bool {
	ss := sealedsender.ErrInvalidCertificate
	specific := errors.Is(err, sealedsender.ErrExpired) || errors.Is(err, sealedsender.ErrUntrustedRoot) ||
		errors.Is(err, sealedsender.ErrRevoked) || errors.Is(err, sealedsender.ErrUnknownServerCertificate)
	switch name {
	case vectors.ErrNameMalformed:
		return (errors.Is(err, sealedsender.ErrInvalidMessage) || errors.Is(err, ss)) && !specific
	case vectors.ErrNameTruncated, vectors.ErrNameBadMAC, vectors.ErrNameSenderKeyMismatch:
		return errors.Is(err, sealedsender.ErrInvalidMessage)
	case vectors.ErrNameUnknownVersion:
		return errors.Is(err, sealedsender.ErrUnknownVersion)
	case vectors.ErrNameBadSignature:
		return errors.Is(err, ss) && !specific
	case vectors.ErrNameUntrustedRoot:
		return errors.Is(err, sealedsender.ErrUntrustedRoot)
	case vectors.ErrNameExpired:
		return errors.Is(err, sealedsender.ErrExpired)
	case vectors.ErrNameRevoked:
		return errors.Is(err, sealedsender.ErrRevoked)
	case vectors.ErrNameUnknownSigner:
		return errors.Is(err, sealedsender.ErrUnknownServerCertificate)
	}
	return false
}

// ssVerdict checks a vector's outcome: err must be nil for a valid vector,
// and the library's error for the vector's error name for an invalid one
// (an acceptable one may be either).
func ssVerdict(t *testing.T, name string, v vectors.SealedSenderVerdict, err error) bool {
	t.Helper()
	switch {
	case v.Result == vectors.Acceptable && err != nil && !ssErrorMatches(v.Error, err):
		t.Errorf("%s: acceptable vector refused with %v, want the error for %q", name, err, v.Error)
		return false
	case v.Result == vectors.Acceptable:
		verdict := "accepted"
		if err != nil {
			verdict = "refused: " + err.Error()
		}
		t.Logf("%s (acceptable, %v): %s", name, v.Flags, verdict)
		return true
	case v.Result == vectors.Valid && err != nil:
		t.Errorf("%s: valid vector refused: %v", name, err)
		return false
	case v.Result == vectors.Invalid && err == nil:
		t.Errorf("%s: invalid vector (%s) accepted", name, v.Error)
		return false
	case v.Result == vectors.Invalid && !ssErrorMatches(v.Error, err):
		t.Errorf("%s: refused with %v, want the error for %q", name, err, v.Error)
		return false
	}
	return true
}

func ssRoots(t *testing.T, roots []vectors.Hex) []curve.PublicKey {
	var out []curve.PublicKey
	for _, r := range roots {
		out = append(out, pubKey(t, r))
	}
	return out
}

// TestSealedSenderKnownCertificates: the library knows libsignal's server
// certificates, with their trust roots.
func TestSealedSenderKnownCertificates(t *testing.T) {
	f := loadSealedSender(t)
	known := sealedsender.KnownServerCertificates()
	for _, k := range f.KnownServerCertificates {
		c, ok := known[k.ID]
		if !ok {
			t.Errorf("known certificate %#x missing", k.ID)
			continue
		}
		if !bytes.Equal(c.Certificate.Bytes(), k.ServerCertificate) || !bytes.Equal(c.TrustRoot.Bytes(), k.TrustRoot.Public) {
			t.Errorf("known certificate %#x differs", k.ID)
		}
	}
	for _, id := range f.RevokedServerKeyIDs {
		found := false
		for _, r := range sealedsender.RevokedServerKeyIDs {
			found = found || r == id
		}
		if !found {
			t.Errorf("revoked id %#x not revoked", id)
		}
	}
}

// TestSealedSenderCertificates signs the "sign" certificates byte for byte
// and parses and validates every certificate.
func TestSealedSenderCertificates(t *testing.T) {
	f := loadSealedSender(t)
	signed, checked := 0, 0
	for _, c := range f.Certificates {
		roots := ssRoots(t, c.TrustRoots)
		if c.Kind == vectors.KindServerCertificate {
			if c.Operation == "sign" {
				cryptotest.SetGlobalRandom(t, *c.ServerSignDrawSeed)
				got, err := sealedsender.NewServerCertificate(*c.ServerKeyID, pubKey(t, c.ServerKey.Public), identityKey(t, c.TrustRoot.Private))
				if err != nil {
					t.Errorf("%s: NewServerCertificate: %v", c.Name, err)
				} else if !bytes.Equal(got.Bytes(), c.ServerCertificate) {
					t.Errorf("%s: server certificate\n got %x\nwant %x", c.Name, got.Bytes(), c.ServerCertificate)
				} else {
					signed++
				}
			}
			sc, err := sealedsender.ParseServerCertificate(c.ServerCertificate)
			if err == nil {
				err = sc.Verify(roots...)
				if err == nil && c.ServerKeyID != nil && (sc.KeyID() != *c.ServerKeyID || !bytes.Equal(sc.Key().Bytes(), c.ServerKey.Public)) {
					t.Errorf("%s: key id %#x / key differ", c.Name, sc.KeyID())
				}
			}
			if ssVerdict(t, c.Name, c.SealedSenderVerdict, err) {
				checked++
			}
			continue
		}
		if c.Operation == "sign" {
			signer, err := sealedsender.ParseServerCertificate(c.ServerCertificate)
			if err != nil {
				t.Fatalf("%s: server certificate: %v", c.Name, err)
			}
			s := sealedsender.Sender{UUID: c.SenderUUID, DeviceID: *c.SenderDevice, IdentityKey: pubKey(t, c.IdentityKey), Expires: c.ExpiresTime()}
			if c.SenderE164 != nil {
				s.E164 = *c.SenderE164
			}
			cryptotest.SetGlobalRandom(t, *c.SignDrawSeed)
			got, err := sealedsender.NewSenderCertificate(s, signer, identityKey(t, c.ServerKey.Private))
			if err != nil {
				t.Errorf("%s: NewSenderCertificate: %v", c.Name, err)
			} else if !bytes.Equal(got.Bytes(), c.SenderCertificate) {
				t.Errorf("%s: sender certificate\n got %x\nwant %x", c.Name, got.Bytes(), c.SenderCertificate)
			} else {
				signed++
			}
		}
		sc, err := sealedsender.ParseSenderCertificate(c.SenderCertificate)
		if err == nil {
			if c.Result == vectors.Valid {
				s := sc.Sender()
				e164 := ""
				if c.SenderE164 != nil {
					e164 = *c.SenderE164
				}
				if s.UUID != c.SenderUUID || s.E164 != e164 || s.DeviceID != *c.SenderDevice ||
					!bytes.Equal(s.IdentityKey.Bytes(), c.IdentityKey) || !s.Expires.Equal(c.ExpiresTime()) {
					t.Errorf("%s: sender %+v differs", c.Name, s)
				}
				if signer, err := sc.Signer(); err != nil || signer.KeyID() != *c.ServerKeyID || !bytes.Equal(signer.Bytes(), c.ServerCertificate) {
					t.Errorf("%s: signer: %v", c.Name, err)
				}
				if !bytes.Equal(sc.Bytes(), c.SenderCertificate) {
					t.Errorf("%s: Bytes differ from the parsed bytes", c.Name)
				}
			}
			err = sc.Validate(c.ValidationTime(), roots...)
		}
		if ssVerdict(t, c.Name, c.SealedSenderVerdict, err) {
			checked++
		}
	}
	t.Logf("certificates: %d signed byte for byte, %d of %d verdicts right", signed, checked, len(f.Certificates))
}

func ssContent(t *testing.T, usmc []byte) *sealedsender.Content {
	t.Helper()
	c, err := sealedsender.ParseContent(usmc)
	if err != nil {
		t.Fatalf("USMC does not parse: %v", err)
	}
	return c
}

// ssSameUSMC checks that c encodes to usmc.
func ssSameUSMC(t *testing.T, name string, c *sealedsender.Content, usmc []byte) bool {
	t.Helper()
	b, err := c.MarshalBinary()
	if err != nil || !bytes.Equal(b, usmc) {
		t.Errorf("%s: content\n got %x (%v)\nwant %x", name, b, err, usmc)
		return false
	}
	return true
}

// TestSealedSenderContents encodes and parses every USMC.
func TestSealedSenderContents(t *testing.T) {
	f := loadSealedSender(t)
	encoded, checked := 0, 0
	for _, v := range f.Contents {
		if v.Operation == "encode" {
			cert, err := sealedsender.ParseSenderCertificate(v.SenderCertificate)
			if err != nil {
				t.Fatalf("%s: certificate: %v", v.Name, err)
			}
			c := &sealedsender.Content{Type: sealedsender.ContentType(v.Type), Certificate: cert, Body: v.Content,
				Hint: sealedsender.ContentHint(v.ContentHint), GroupID: v.GroupID}
			if ssSameUSMC(t, v.Name, c, v.USMC) {
				encoded++
			}
		}
		c, err := sealedsender.ParseContent(v.USMC)
		if err == nil && v.Result == vectors.Valid {
			if int(c.Type) != v.Type || uint64(c.Hint) != v.ContentHint || !bytes.Equal(c.Body, v.Content) ||
				!bytes.Equal(c.GroupID, v.GroupID) || !bytes.Equal(c.Certificate.Bytes(), v.SenderCertificate) {
				t.Errorf("%s: parsed type %d hint %d body %x group %x", v.Name, c.Type, c.Hint, c.Body, c.GroupID)
			}
			if !v.HasFlag("noncanonical") {
				ssSameUSMC(t, v.Name+" (re-encoded)", c, v.USMC)
			}
		}
		if ssVerdict(t, v.Name, v.SealedSenderVerdict, err) {
			checked++
		}
	}
	t.Logf("contents: %d encoded byte for byte, %d of %d verdicts right", encoded, checked, len(f.Contents))
}

// TestSealedSenderV1 seals the v1 "seal" vectors byte for byte and opens
// every envelope.
func TestSealedSenderV1(t *testing.T) {
	f := loadSealedSender(t)
	sealed, checked := 0, 0
	for _, v := range f.V1 {
		if v.Operation == "seal" {
			c := ssContent(t, v.USMC)
			cryptotest.SetGlobalRandom(t, v.DrawSeed)
			got, err := sealedsender.SealV1(c, identityKey(t, v.SenderIdentity.Private), pubKey(t, v.RecipientIdentity.Public))
			if err != nil || !bytes.Equal(got, v.Envelope) {
				t.Errorf("%s: SealV1\n got %x (%v)\nwant %x", v.Name, got, err, v.Envelope)
			} else {
				sealed++
			}
		}
		c, err := sealedsender.Open(v.Envelope, identityKey(t, v.RecipientIdentity.Private))
		if err == nil && v.Result == vectors.Valid {
			ssSameUSMC(t, v.Name, c, v.USMC)
		}
		if ssVerdict(t, v.Name, v.SealedSenderVerdict, err) {
			checked++
		}
	}
	t.Logf("v1: %d sealed byte for byte, %d of %d verdicts right", sealed, checked, len(f.V1))
}

func ssDevices(ds []vectors.SealedSenderDevice) []sealedsender.Device {
	var out []sealedsender.Device
	for _, d := range ds {
		out = append(out, sealedsender.Device{ID: d.ID, RegistrationID: d.RegistrationID})
	}
	return out
}

func ssServiceID(t *testing.T, s string) sealedsender.ServiceID {
	t.Helper()
	id, err := sealedsender.ParseServiceID(s)
	if err != nil {
		t.Fatalf("service id %q: %v", s, err)
	}
	return id
}

// ssSplit parses a sent message and returns its received message for the
// first recipient.
func ssSplit(t *testing.T, sent []byte) []byte {
	t.Helper()
	m, err := sealedsender.ParseSentMessage(sent)
	if err != nil || len(m.Recipients) == 0 {
		t.Errorf("sent message does not parse: %v", err)
		return nil
	}
	return m.MessageFor(&m.Recipients[0])
}

// TestSealedSenderV2 seals the v2 "seal" vectors byte for byte (the sent
// message and its split) and opens every received message.
func TestSealedSenderV2(t *testing.T) {
	f := loadSealedSender(t)
	sealed, checked := 0, 0
	for _, v := range f.V2 {
		if v.Operation == "seal" {
			c := ssContent(t, v.USMC)
			r := []sealedsender.Recipient{{ServiceID: ssServiceID(t, v.RecipientServiceID), IdentityKey: pubKey(t, v.RecipientIdentity.Public),
				Devices: ssDevices(v.RecipientDevices)}}
			cryptotest.SetGlobalRandom(t, v.DrawSeed)
			got, err := sealedsender.SealV2(c, identityKey(t, v.SenderIdentity.Private), r, nil)
			if err != nil || !bytes.Equal(got, v.SentMessage) {
				t.Errorf("%s: SealV2\n got %x (%v)\nwant %x", v.Name, got, err, v.SentMessage)
			} else {
				sealed++
			}
		}
		if v.SentMessage != nil {
			if got := ssSplit(t, v.SentMessage); !bytes.Equal(got, v.Received) {
				t.Errorf("%s: split\n got %x\nwant %x", v.Name, got, v.Received)
			}
		}
		c, err := sealedsender.Open(v.Received, identityKey(t, v.RecipientIdentity.Private))
		if err == nil && v.Result == vectors.Valid {
			ssSameUSMC(t, v.Name, c, v.USMC)
		}
		if ssVerdict(t, v.Name, v.SealedSenderVerdict, err) {
			checked++
		}
	}
	t.Logf("v2: %d sealed byte for byte, %d of %d verdicts right", sealed, checked, len(f.V2))
}

// TestSealedSenderMultiRecipient seals the "seal" sent messages byte for
// byte, parses every sent message, and checks the split and that each
// recipient opens its part.
func TestSealedSenderMultiRecipient(t *testing.T) {
	f := loadSealedSender(t)
	sealed, checked := 0, 0
	for _, v := range f.MultiRecipient {
		if v.Operation == "seal" {
			c := ssContent(t, v.USMC)
			var rs []sealedsender.Recipient
			for _, r := range v.Recipients {
				rs = append(rs, sealedsender.Recipient{ServiceID: ssServiceID(t, r.ServiceID), IdentityKey: pubKey(t, r.Identity.Public), Devices: ssDevices(r.Devices)})
			}
			var ex []sealedsender.ServiceID
			for _, e := range v.Excluded {
				ex = append(ex, ssServiceID(t, e))
			}
			cryptotest.SetGlobalRandom(t, v.DrawSeed)
			got, err := sealedsender.SealV2(c, identityKey(t, v.SenderIdentity.Private), rs, ex)
			if err != nil || !bytes.Equal(got, v.SentMessage) {
				t.Errorf("%s: SealV2\n got %x (%v)\nwant %x", v.Name, got, err, v.SentMessage)
			} else {
				sealed++
			}
		}
		m, err := sealedsender.ParseSentMessage(v.SentMessage)
		if err == nil && v.Result == vectors.Valid {
			if err := ssCheckSplit(t, m, &v); err != nil {
				t.Errorf("%s: %v", v.Name, err)
			}
		}
		if ssVerdict(t, v.Name, v.SealedSenderVerdict, err) {
			checked++
		}
	}
	t.Logf("multi_recipient: %d sealed byte for byte, %d of %d verdicts right", sealed, checked, len(f.MultiRecipient))
}

func ssCheckSplit(t *testing.T, m *sealedsender.SentMessage, v *vectors.SealedSenderSent) error {
	if int(m.Version) != v.Version {
		return fmt.Errorf("version %#x, want %#x", m.Version, v.Version)
	}
	if len(m.Recipients) != len(v.Recipients) || len(m.Excluded) != len(v.Excluded) {
		return fmt.Errorf("%d recipients and %d excluded, want %d and %d", len(m.Recipients), len(m.Excluded), len(v.Recipients), len(v.Excluded))
	}
	for i, e := range m.Excluded {
		if e.String() != v.Excluded[i] {
			return fmt.Errorf("excluded %d is %s, want %s", i, e, v.Excluded[i])
		}
	}
	for i := range m.Recipients {
		r, w := &m.Recipients[i], v.Recipients[i]
		if r.ServiceID.String() != w.ServiceID {
			return fmt.Errorf("recipient %d is %s, want %s", i, r.ServiceID, w.ServiceID)
		}
		if fmt.Sprint(r.Devices) != fmt.Sprint(ssDevices(w.Devices)) {
			return fmt.Errorf("%s: devices %v, want %v", w.ServiceID, r.Devices, w.Devices)
		}
		got := m.MessageFor(r)
		if !bytes.Equal(got, w.Received) {
			return fmt.Errorf("%s: received\n got %x\nwant %x", w.ServiceID, got, w.Received)
		}
		if w.Identity != nil {
			c, err := sealedsender.Open(got, identityKey(t, w.Identity.Private))
			if err != nil {
				return fmt.Errorf("%s: does not open: %v", w.ServiceID, err)
			}
			ssSameUSMC(t, v.Name+" "+w.ServiceID, c, v.USMC)
		}
	}
	return nil
}
