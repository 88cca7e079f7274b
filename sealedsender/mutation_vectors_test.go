package sealedsender

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/forwardsecret/signal/curve"
)

// The conformance suite vectors/data/sealed_sender.json (cross-checked
// against the official libsignal by interop/vectors_sealedsender_test.go),
// run by the package's own tests: certificates signed byte for byte and
// validated, contents encoded and parsed, v1 envelopes and v2 messages
// sealed byte for byte (cryptotest.SetGlobalRandom with each draw seed),
// with their key-derivation intermediates, and opened; sent messages parsed
// and split. Every refusal must be the exact error kind of the vector's
// error name. The vectors module runs the same file through the exported
// API (vectors/libtest); this copy is here so that the package's tests,
// and so its mutation score, see it. The types below are the few fields
// used, read with encoding/json (the root module does not require the
// vectors module).

const ssVectorsFile = "../vectors/data/sealed_sender.json"

type ssHex []byte

func (h *ssHex) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	d, err := hex.DecodeString(s)
	*h = d
	return err
}

type ssKeyPair struct {
	Private ssHex `json:"private"`
	Public  ssHex `json:"public"`
}

type ssVerdict struct {
	certificate bool     // a vector of the certificates section
	Result      string   `json:"result"`
	Error       string   `json:"error"`
	Flags       []string `json:"flags"`
}

func (v ssVerdict) hasFlag(f string) bool {
	for _, g := range v.Flags {
		if g == f {
			return true
		}
	}
	return false
}

type ssDevice struct {
	ID             uint32 `json:"id"`
	RegistrationID uint32 `json:"registration_id"`
}

type ssFile struct {
	RevokedServerKeyIDs     []uint32 `json:"revoked_server_key_ids"`
	KnownServerCertificates []struct {
		ID                uint32    `json:"id"`
		TrustRoot         ssKeyPair `json:"trust_root"`
		ServerCertificate ssHex     `json:"server_certificate"`
	} `json:"known_server_certificates"`
	Certificates []struct {
		Name               string     `json:"name"`
		Kind               string     `json:"kind"`
		Operation          string     `json:"operation"`
		TrustRoot          *ssKeyPair `json:"trust_root"`
		ServerKeyID        *uint32    `json:"server_key_id"`
		ServerKey          *ssKeyPair `json:"server_key"`
		ServerSignDrawSeed *uint64    `json:"server_sign_draw_seed"`
		ServerCertificate  ssHex      `json:"server_certificate"`
		SenderUUID         string     `json:"sender_uuid"`
		SenderE164         *string    `json:"sender_e164"`
		SenderDevice       *uint32    `json:"sender_device"`
		Expires            *uint64    `json:"expires"`
		IdentityKey        ssHex      `json:"identity_key"`
		SignDrawSeed       *uint64    `json:"sign_draw_seed"`
		SenderCertificate  ssHex      `json:"sender_certificate"`
		TrustRoots         []ssHex    `json:"trust_roots"`
		Time               *uint64    `json:"time"`
		ssVerdict
	} `json:"certificates"`
	Contents []struct {
		Name              string `json:"name"`
		Operation         string `json:"operation"`
		Type              int    `json:"type"`
		SenderCertificate ssHex  `json:"sender_certificate"`
		Content           ssHex  `json:"content"`
		ContentHint       uint64 `json:"content_hint"`
		GroupID           ssHex  `json:"group_id"`
		USMC              ssHex  `json:"usmc"`
		ssVerdict
	} `json:"contents"`
	V1 []struct {
		Name              string     `json:"name"`
		Operation         string     `json:"operation"`
		SenderIdentity    *ssKeyPair `json:"sender_identity"`
		RecipientIdentity *ssKeyPair `json:"recipient_identity"`
		DrawSeed          uint64     `json:"draw_seed"`
		Ephemeral         *ssKeyPair `json:"ephemeral"`
		USMC              ssHex      `json:"usmc"`
		ChainKey          ssHex      `json:"chain_key"`
		CipherKey         ssHex      `json:"cipher_key"`
		MACKey            ssHex      `json:"mac_key"`
		EncryptedStatic   ssHex      `json:"encrypted_static"`
		StaticCipherKey   ssHex      `json:"static_cipher_key"`
		StaticMACKey      ssHex      `json:"static_mac_key"`
		EncryptedMessage  ssHex      `json:"encrypted_message"`
		Envelope          ssHex      `json:"envelope"`
		ssVerdict
	} `json:"v1"`
	V2 []struct {
		Name               string     `json:"name"`
		Operation          string     `json:"operation"`
		SenderIdentity     *ssKeyPair `json:"sender_identity"`
		RecipientIdentity  *ssKeyPair `json:"recipient_identity"`
		RecipientServiceID string     `json:"recipient_service_id"`
		RecipientDevices   []ssDevice `json:"recipient_devices"`
		DrawSeed           uint64     `json:"draw_seed"`
		USMC               ssHex      `json:"usmc"`
		M                  ssHex      `json:"M"`
		E                  ssHex      `json:"E"`
		K                  ssHex      `json:"K"`
		C                  ssHex      `json:"C"`
		AT                 ssHex      `json:"AT"`
		SentMessage        ssHex      `json:"sent_message"`
		Received           ssHex      `json:"received"`
		ssVerdict
	} `json:"v2"`
	MultiRecipient []struct {
		Name           string     `json:"name"`
		Operation      string     `json:"operation"`
		Version        int        `json:"version"`
		SenderIdentity *ssKeyPair `json:"sender_identity"`
		DrawSeed       uint64     `json:"draw_seed"`
		USMC           ssHex      `json:"usmc"`
		Recipients     []struct {
			ServiceID string     `json:"service_id"`
			Identity  *ssKeyPair `json:"identity"`
			Devices   []ssDevice `json:"devices"`
			C         ssHex      `json:"C"`
			AT        ssHex      `json:"AT"`
			Received  ssHex      `json:"received"`
		} `json:"recipients"`
		Excluded    []string `json:"excluded"`
		SentMessage ssHex    `json:"sent_message"`
		ssVerdict
	} `json:"multi_recipient"`
}

func loadSSVectors(t *testing.T) *ssFile {
	t.Helper()
	b, err := os.ReadFile(ssVectorsFile)
	if err != nil {
		t.Fatal(err)
	}
	f := new(ssFile)
	if err := json.Unmarshal(b, f); err != nil {
		t.Fatal(err)
	}
	if len(f.Certificates) < 60 || len(f.Contents) < 20 || len(f.V1) < 22 || len(f.V2) < 17 || len(f.MultiRecipient) < 72 {
		t.Fatalf("%s: too few vectors", ssVectorsFile)
	}
	return f
}

// ssCheckErr checks err against a vector's verdict, by exact error kind:
// malformed and bad_signature are ErrInvalidCertificate or
// ErrInvalidMessage and none of the specific kinds; the certificate kinds
// are their own sentinel; truncated, bad_mac and sender_key_mismatch are
// ErrInvalidMessage.
func ssCheckErr(t *testing.T, name string, v ssVerdict, err error) {
	t.Helper()
	if v.Result == "acceptable" {
		return
	}
	if v.Result == "valid" {
		if err != nil {
			t.Errorf("%s: valid vector refused: %v", name, err)
		}
		return
	}
	if err == nil {
		t.Errorf("%s: invalid vector (%s) accepted", name, v.Error)
		return
	}
	kinds := []error{ErrInvalidMessage, ErrUnknownVersion, ErrInvalidCertificate, ErrExpired, ErrUntrustedRoot, ErrRevoked, ErrUnknownServerCertificate, ErrSelfSend, ErrInvalidArgument}
	var want []error
	switch v.Error {
	case "malformed":
		// A certificate that does not parse (in the certificates, and
		// a content's bad certificate) is ErrInvalidCertificate; a
		// message that does not parse, ErrInvalidMessage.
		want = []error{ErrInvalidMessage}
		if v.certificate || v.hasFlag("bad_certificate") {
			want = []error{ErrInvalidCertificate}
		}
	case "bad_signature":
		want = []error{ErrInvalidCertificate}
	case "truncated", "bad_mac", "sender_key_mismatch":
		want = []error{ErrInvalidMessage}
	case "unknown_version":
		want = []error{ErrUnknownVersion}
	case "expired":
		want = []error{ErrInvalidCertificate, ErrExpired}
	case "untrusted_root":
		want = []error{ErrInvalidCertificate, ErrUntrustedRoot}
	case "revoked":
		want = []error{ErrInvalidCertificate, ErrRevoked}
	case "unknown_signer":
		want = []error{ErrInvalidCertificate, ErrUnknownServerCertificate}
	default:
		t.Fatalf("%s: unknown error name %q", name, v.Error)
	}
	for _, k := range kinds {
		is, wanted := errors.Is(err, k), false
		for _, w := range want {
			wanted = wanted || w == k
		}
		if is != wanted {
			t.Errorf("%s: %v: errors.Is(%v) = %v, want %v (error name %s)", name, err, k, is, wanted, v.Error)
		}
	}
}

// ssParseStage checks that a certificate fails to parse exactly when its
// vector's error is "malformed": the other errors are found by validation.
func ssParseStage(t *testing.T, name string, v ssVerdict, err error) {
	t.Helper()
	if v.Result == "acceptable" {
		return
	}
	if malformed := v.Result == "invalid" && v.Error == "malformed"; malformed != (err != nil) {
		t.Errorf("%s: parse error %v, error name %q", name, err, v.Error)
	}
}

func ssPub(t *testing.T, b []byte) curve.PublicKey {
	t.Helper()
	k, err := curve.ParsePublicKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ssIdentity(t *testing.T, b []byte) *curve.IdentityKeyPair {
	t.Helper()
	p, err := curve.NewPrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	k, err := curve.NewIdentityKeyPair(p)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ssDevices(ds []ssDevice) []Device {
	var out []Device
	for _, d := range ds {
		out = append(out, Device(d))
	}
	return out
}

func ssSameUSMC(t *testing.T, name string, c *Content, usmc []byte) {
	t.Helper()
	b, err := c.MarshalBinary()
	if err != nil || !bytes.Equal(b, usmc) {
		t.Errorf("%s: content\n got %x (%v)\nwant %x", name, b, err, usmc)
	}
}

func TestVectorsKnownAndRevoked(t *testing.T) {
	f := loadSSVectors(t)
	known := KnownServerCertificates()
	if len(known) != len(f.KnownServerCertificates) {
		t.Fatalf("%d known certificates, the file has %d", len(known), len(f.KnownServerCertificates))
	}
	for _, k := range f.KnownServerCertificates {
		c, ok := known[k.ID]
		if !ok || !bytes.Equal(c.Certificate.Bytes(), k.ServerCertificate) || !bytes.Equal(c.TrustRoot.Bytes(), k.TrustRoot.Public) {
			t.Errorf("known certificate %#x missing or different", k.ID)
		}
	}
	if fmt.Sprint(RevokedServerKeyIDs) != fmt.Sprint(f.RevokedServerKeyIDs) {
		t.Errorf("revoked %v, the file has %v", RevokedServerKeyIDs, f.RevokedServerKeyIDs)
	}
}

func TestVectorsCertificates(t *testing.T) {
	f := loadSSVectors(t)
	for _, c := range f.Certificates {
		c.certificate = true
		var roots []curve.PublicKey
		for _, r := range c.TrustRoots {
			roots = append(roots, ssPub(t, r))
		}
		if c.Kind == "server_certificate" {
			if c.Operation == "sign" {
				cryptotest.SetGlobalRandom(t, *c.ServerSignDrawSeed)
				got, err := NewServerCertificate(*c.ServerKeyID, ssPub(t, c.ServerKey.Public), ssIdentity(t, c.TrustRoot.Private))
				if err != nil || !bytes.Equal(got.Bytes(), c.ServerCertificate) {
					t.Errorf("%s: NewServerCertificate: %v", c.Name, err)
				}
			}
			sc, err := ParseServerCertificate(c.ServerCertificate)
			ssParseStage(t, c.Name, c.ssVerdict, err)
			if err == nil {
				if c.Result == "valid" && (c.ServerKeyID != nil && sc.KeyID() != *c.ServerKeyID || c.ServerKey != nil && !bytes.Equal(sc.Key().Bytes(), c.ServerKey.Public)) {
					t.Errorf("%s: key id %#x or key differ", c.Name, sc.KeyID())
				}
				if !bytes.Equal(sc.Bytes(), c.ServerCertificate) {
					t.Errorf("%s: Bytes differ", c.Name)
				}
				err = sc.Verify(roots...)
			}
			ssCheckErr(t, c.Name, c.ssVerdict, err)
			continue
		}
		if c.Operation == "sign" {
			signer, err := ParseServerCertificate(c.ServerCertificate)
			if err != nil {
				t.Fatalf("%s: server certificate: %v", c.Name, err)
			}
			s := Sender{UUID: c.SenderUUID, DeviceID: *c.SenderDevice, IdentityKey: ssPub(t, c.IdentityKey), Expires: time.UnixMilli(int64(*c.Expires))}
			if c.SenderE164 != nil {
				s.E164 = *c.SenderE164
			}
			cryptotest.SetGlobalRandom(t, *c.SignDrawSeed)
			got, err := NewSenderCertificate(s, signer, ssIdentity(t, c.ServerKey.Private))
			if err != nil || !bytes.Equal(got.Bytes(), c.SenderCertificate) {
				t.Errorf("%s: NewSenderCertificate: %v", c.Name, err)
			} else if err := got.Validate(time.UnixMilli(int64(*c.Time)), roots...); (err == nil) != (c.Result == "valid") {
				t.Errorf("%s: the certificate as made: %v", c.Name, err)
			}
		}
		sc, err := ParseSenderCertificate(c.SenderCertificate)
		ssParseStage(t, c.Name, c.ssVerdict, err)
		if err == nil {
			if c.Result == "valid" {
				s := sc.Sender()
				e164 := ""
				if c.SenderE164 != nil {
					e164 = *c.SenderE164
				}
				if s.UUID != c.SenderUUID || s.E164 != e164 || s.DeviceID != *c.SenderDevice ||
					!bytes.Equal(s.IdentityKey.Bytes(), c.IdentityKey) || s.Expires.UnixMilli() != int64(*c.Expires) {
					t.Errorf("%s: sender %+v differs", c.Name, s)
				}
				if signer, err := sc.Signer(); err != nil || signer.KeyID() != *c.ServerKeyID || !bytes.Equal(signer.Bytes(), c.ServerCertificate) {
					t.Errorf("%s: signer: %v", c.Name, err)
				}
				if !bytes.Equal(sc.Bytes(), c.SenderCertificate) {
					t.Errorf("%s: Bytes differ", c.Name)
				}
			}
			err = sc.Validate(time.UnixMilli(int64(*c.Time)), roots...)
		}
		ssCheckErr(t, c.Name, c.ssVerdict, err)
	}
}

func TestVectorsContents(t *testing.T) {
	f := loadSSVectors(t)
	for _, v := range f.Contents {
		if v.Operation == "encode" {
			cert, err := ParseSenderCertificate(v.SenderCertificate)
			if err != nil {
				t.Fatalf("%s: certificate: %v", v.Name, err)
			}
			c := &Content{Type: ContentType(v.Type), Certificate: cert, Body: v.Content, Hint: ContentHint(v.ContentHint), GroupID: v.GroupID}
			ssSameUSMC(t, v.Name, c, v.USMC)
		}
		c, err := ParseContent(v.USMC)
		if err == nil && v.Result == "valid" {
			if int(c.Type) != v.Type || uint64(c.Hint) != v.ContentHint || !bytes.Equal(c.Body, v.Content) ||
				!bytes.Equal(c.GroupID, v.GroupID) || !bytes.Equal(c.Certificate.Bytes(), v.SenderCertificate) {
				t.Errorf("%s: parsed type %d hint %d body %x group %x", v.Name, c.Type, c.Hint, c.Body, c.GroupID)
			}
			if !v.hasFlag("noncanonical") {
				ssSameUSMC(t, v.Name+" (re-encoded)", c, v.USMC)
			}
		}
		ssCheckErr(t, v.Name, v.ssVerdict, err)
	}
}

func TestVectorsV1(t *testing.T) {
	f := loadSSVectors(t)
	for _, v := range f.V1 {
		ours := ssIdentity(t, v.RecipientIdentity.Private)
		if v.Operation == "seal" {
			c, err := ParseContent(v.USMC)
			if err != nil {
				t.Fatal(err)
			}
			sender := ssIdentity(t, v.SenderIdentity.Private)
			cryptotest.SetGlobalRandom(t, v.DrawSeed)
			got, err := SealV1(c, sender, ours.PublicKey())
			if err != nil || !bytes.Equal(got, v.Envelope) {
				t.Errorf("%s: SealV1\n got %x (%v)\nwant %x", v.Name, got, err, v.Envelope)
			}
			// The intermediates, both ways.
			eph, err := curve.NewPrivateKey(v.Ephemeral.Private)
			if err != nil {
				t.Fatal(err)
			}
			chain, ck, mk, err := v1EphemeralKeys(eph, ours.PublicKey(), ours.PublicKey(), eph.PublicKey())
			if err != nil || !bytes.Equal(chain, v.ChainKey) || !bytes.Equal(ck, v.CipherKey) || !bytes.Equal(mk, v.MACKey) {
				t.Errorf("%s: ephemeral keys (%v)", v.Name, err)
			}
			chain2, ck2, mk2, err := v1EphemeralKeys(ours.PrivateKey(), eph.PublicKey(), ours.PublicKey(), eph.PublicKey())
			if err != nil || !bytes.Equal(chain2, chain) || !bytes.Equal(ck2, ck) || !bytes.Equal(mk2, mk) {
				t.Errorf("%s: the recipient's ephemeral keys differ (%v)", v.Name, err)
			}
			if got := v1Encrypt(sender.PublicKey().Bytes(), ck, mk); !bytes.Equal(got, v.EncryptedStatic) {
				t.Errorf("%s: encrypted static\n got %x\nwant %x", v.Name, got, v.EncryptedStatic)
			}
			sck, smk, err := v1StaticKeys(sender.PrivateKey(), ours.PublicKey(), chain, v.EncryptedStatic)
			if err != nil || !bytes.Equal(sck, v.StaticCipherKey) || !bytes.Equal(smk, v.StaticMACKey) {
				t.Errorf("%s: static keys (%v)", v.Name, err)
			}
			if got := v1Encrypt(v.USMC, sck, smk); !bytes.Equal(got, v.EncryptedMessage) {
				t.Errorf("%s: encrypted message differs", v.Name)
			}
			if pt, ok := v1Decrypt(v.EncryptedMessage, sck, smk); !ok || !bytes.Equal(pt, v.USMC) {
				t.Errorf("%s: v1Decrypt", v.Name)
			}
		}
		c, err := Open(v.Envelope, ours)
		if err == nil && v.Result == "valid" {
			ssSameUSMC(t, v.Name, c, v.USMC)
		}
		ssCheckErr(t, v.Name, v.ssVerdict, err)
	}
}

func TestVectorsV2(t *testing.T) {
	f := loadSSVectors(t)
	for _, v := range f.V2 {
		ours := ssIdentity(t, v.RecipientIdentity.Private)
		if v.Operation == "seal" {
			c, err := ParseContent(v.USMC)
			if err != nil {
				t.Fatal(err)
			}
			sender := ssIdentity(t, v.SenderIdentity.Private)
			sid, err := ParseServiceID(v.RecipientServiceID)
			if err != nil {
				t.Fatal(err)
			}
			r := []Recipient{{ServiceID: sid, IdentityKey: ours.PublicKey(), Devices: ssDevices(v.RecipientDevices)}}
			cryptotest.SetGlobalRandom(t, v.DrawSeed)
			got, err := SealV2(c, sender, r, nil)
			if err != nil || !bytes.Equal(got, v.SentMessage) {
				t.Errorf("%s: SealV2\n got %x (%v)\nwant %x", v.Name, got, err, v.SentMessage)
			}
			// The single-recipient form is the split, from the same draw.
			cryptotest.SetGlobalRandom(t, v.DrawSeed)
			got, err = sealV2Single(c, sender, ours.PublicKey())
			if err != nil || !bytes.Equal(got, v.Received) {
				t.Errorf("%s: sealV2Single\n got %x (%v)\nwant %x", v.Name, got, err, v.Received)
			}
			// The intermediates.
			keys, err := deriveV2(v.M)
			if err != nil {
				t.Fatal(err)
			}
			if u := keys.pub.U(); !bytes.Equal(u[:], v.E) || !bytes.Equal(keys.k, v.K) {
				t.Errorf("%s: E or K differ", v.Name)
			}
			cc, err := v2XorKey(keys.e, ours.PublicKey(), keys.pub, ours.PublicKey(), v.M)
			if err != nil || !bytes.Equal(cc, v.C) {
				t.Errorf("%s: C differs (%v)", v.Name, err)
			}
			m, err := v2XorKey(ours.PrivateKey(), keys.pub, keys.pub, ours.PublicKey(), v.C)
			if err != nil || !bytes.Equal(m, v.M) {
				t.Errorf("%s: M from C differs (%v)", v.Name, err)
			}
			at, err := v2AuthTag(sender.PrivateKey(), ours.PublicKey(), keys.pub, v.C, sender.PublicKey(), ours.PublicKey())
			if err != nil || !bytes.Equal(at, v.AT) {
				t.Errorf("%s: AT differs (%v)", v.Name, err)
			}
			at, err = v2AuthTag(ours.PrivateKey(), sender.PublicKey(), keys.pub, v.C, sender.PublicKey(), ours.PublicKey())
			if err != nil || !bytes.Equal(at, v.AT) {
				t.Errorf("%s: the recipient's AT differs (%v)", v.Name, err)
			}
		}
		if v.SentMessage != nil {
			m, err := ParseSentMessage(v.SentMessage)
			if err != nil || len(m.Recipients) != 1 {
				t.Errorf("%s: sent message: %v", v.Name, err)
			} else if got := m.MessageFor(&m.Recipients[0]); !bytes.Equal(got, v.Received) {
				t.Errorf("%s: split\n got %x\nwant %x", v.Name, got, v.Received)
			}
		}
		c, err := Open(v.Received, ours)
		if err == nil && v.Result == "valid" {
			ssSameUSMC(t, v.Name, c, v.USMC)
		}
		ssCheckErr(t, v.Name, v.ssVerdict, err)
	}
}

func TestVectorsMultiRecipient(t *testing.T) {
	f := loadSSVectors(t)
	for _, v := range f.MultiRecipient {
		if v.Operation == "seal" {
			c, err := ParseContent(v.USMC)
			if err != nil {
				t.Fatal(err)
			}
			var rs []Recipient
			for _, r := range v.Recipients {
				sid, err := ParseServiceID(r.ServiceID)
				if err != nil {
					t.Fatal(err)
				}
				rs = append(rs, Recipient{ServiceID: sid, IdentityKey: ssPub(t, r.Identity.Public), Devices: ssDevices(r.Devices)})
			}
			var ex []ServiceID
			for _, e := range v.Excluded {
				sid, err := ParseServiceID(e)
				if err != nil {
					t.Fatal(err)
				}
				ex = append(ex, sid)
			}
			cryptotest.SetGlobalRandom(t, v.DrawSeed)
			got, err := SealV2(c, ssIdentity(t, v.SenderIdentity.Private), rs, ex)
			if err != nil || !bytes.Equal(got, v.SentMessage) {
				t.Errorf("%s: SealV2\n got %x (%v)\nwant %x", v.Name, got, err, v.SentMessage)
			}
		}
		m, err := ParseSentMessage(v.SentMessage)
		if err == nil && v.Result == "valid" {
			if int(m.Version) != v.Version || len(m.Recipients) != len(v.Recipients) || len(m.Excluded) != len(v.Excluded) {
				t.Fatalf("%s: version %#x, %d recipients, %d excluded", v.Name, m.Version, len(m.Recipients), len(m.Excluded))
			}
			for i, e := range m.Excluded {
				if e.String() != v.Excluded[i] {
					t.Errorf("%s: excluded %d is %s, want %s", v.Name, i, e, v.Excluded[i])
				}
			}
			for i := range m.Recipients {
				r, w := &m.Recipients[i], v.Recipients[i]
				if r.ServiceID.String() != w.ServiceID || fmt.Sprint(r.Devices) != fmt.Sprint(ssDevices(w.Devices)) {
					t.Errorf("%s: recipient %d is %s %v, want %s %v", v.Name, i, r.ServiceID, r.Devices, w.ServiceID, w.Devices)
				}
				if m.Recipient(r.ServiceID) != r {
					t.Errorf("%s: Recipient(%s) is not recipient %d", v.Name, r.ServiceID, i)
				}
				got := m.MessageFor(r)
				if !bytes.Equal(got, w.Received) {
					t.Errorf("%s: received\n got %x\nwant %x", v.Name, got, w.Received)
				}
				if w.Identity != nil {
					c, err := Open(got, ssIdentity(t, w.Identity.Private))
					if err != nil {
						t.Errorf("%s: %s: %v", v.Name, w.ServiceID, err)
					} else {
						ssSameUSMC(t, v.Name, c, v.USMC)
					}
				}
			}
		}
		ssCheckErr(t, v.Name, v.ssVerdict, err)
	}
}
