package vectors_test

import (
	"testing"

	"github.com/forwardsecret/signal/vectors"
)

// sealedSenderErrors are the error names sealed_sender.json may use.
var sealedSenderErrors = map[string]bool{
	vectors.ErrNameMalformed: true, vectors.ErrNameTruncated: true, vectors.ErrNameUnknownVersion: true,
	vectors.ErrNameBadMAC: true, vectors.ErrNameSenderKeyMismatch: true, vectors.ErrNameBadSignature: true,
	vectors.ErrNameUntrustedRoot: true, vectors.ErrNameExpired: true, vectors.ErrNameRevoked: true,
	vectors.ErrNameUnknownSigner: true,
}

// TestSealedSenderFile loads data/sealed_sender.json and checks that it
// describes itself: unique ids, results, documented flags and errors,
// the header's counts, and the sizes of keys and intermediates.
func TestSealedSenderFile(t *testing.T) {
	f, err := vectors.SealedSender()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int]bool{}
	invalid, acceptable := 0, 0
	check := func(id int, name, op string, v vectors.SealedSenderVerdict, ops ...string) {
		t.Helper()
		if ids[id] || id == 0 {
			t.Errorf("%s: id %d repeated or zero", name, id)
		}
		ids[id] = true
		if name == "" {
			t.Errorf("vector %d has no name", id)
		}
		okOp := false
		for _, o := range ops {
			okOp = okOp || o == op
		}
		if !okOp {
			t.Errorf("%s: operation %q", name, op)
		}
		switch v.Result {
		case vectors.Valid:
			if v.Error != "" {
				t.Errorf("%s: valid with error %q", name, v.Error)
			}
		case vectors.Invalid, vectors.Acceptable:
			if v.Result == vectors.Invalid {
				invalid++
			} else {
				acceptable++
			}
			if !sealedSenderErrors[v.Error] || f.Errors[v.Error] == "" {
				t.Errorf("%s: error %q not known or not explained", name, v.Error)
			}
		default:
			t.Errorf("%s: result %q", name, v.Result)
		}
		if len(v.Flags) == 0 {
			t.Errorf("%s: no flags", name)
		}
		for _, fl := range v.Flags {
			if f.Flags[fl] == "" {
				t.Errorf("%s: flag %q not explained", name, fl)
			}
		}
	}
	key := func(name string, k *vectors.KeyPair, private bool) {
		t.Helper()
		if k == nil || len(k.Public) != 33 || k.Public[0] != 0x05 || (private && len(k.Private) != 32) {
			t.Errorf("%s: bad key %+v", name, k)
		}
	}
	counts := map[string][2]int{}
	count := func(family string, v vectors.SealedSenderVerdict) {
		c := counts[family]
		switch v.Result {
		case vectors.Valid:
			c[0]++
		case vectors.Invalid:
			c[1]++
		}
		counts[family] = c
	}
	for _, c := range f.Certificates {
		check(c.ID, c.Name, c.Operation, c.SealedSenderVerdict, "sign", "validate")
		count("certificates", c.SealedSenderVerdict)
		if len(c.TrustRoots) == 0 {
			t.Errorf("%s: no trust roots", c.Name)
		}
		switch c.Kind {
		case vectors.KindServerCertificate:
			if c.ServerCertificate == nil {
				t.Errorf("%s: no server certificate", c.Name)
			}
			if c.Operation == "sign" {
				key(c.Name, c.TrustRoot, true)
				key(c.Name, c.ServerKey, false)
				if c.ServerKeyID == nil || c.ServerSignDrawSeed == nil || len(c.ServerZ) != 64 {
					t.Errorf("%s: signing inputs missing", c.Name)
				}
			}
		case vectors.KindSenderCertificate:
			if c.SenderCertificate == nil || c.Time == nil {
				t.Errorf("%s: no sender certificate or time", c.Name)
			}
			if c.Operation == "sign" {
				key(c.Name, c.ServerKey, true)
				if c.ServerCertificate == nil || c.SenderDevice == nil || c.Expires == nil || c.SignDrawSeed == nil || len(c.Z) != 64 ||
					c.SenderUUIDForm != "string" || c.Signer != "embedded" || len(c.IdentityKey) != 33 {
					t.Errorf("%s: signing inputs missing", c.Name)
				}
			}
		default:
			t.Errorf("%s: kind %q", c.Name, c.Kind)
		}
	}
	for _, c := range f.Contents {
		check(c.ID, c.Name, c.Operation, c.SealedSenderVerdict, "encode", "parse")
		count("contents", c.SealedSenderVerdict)
		if c.Operation == "encode" && (c.ProtoType == nil || c.SenderCertificate == nil || c.Content == nil) {
			t.Errorf("%s: encoding inputs missing", c.Name)
		}
	}
	for _, v := range f.V1 {
		check(v.ID, v.Name, v.Operation, v.SealedSenderVerdict, "seal", "open")
		count("v1", v.SealedSenderVerdict)
		key(v.Name, v.RecipientIdentity, true)
		if v.Operation == "seal" {
			key(v.Name, v.SenderIdentity, true)
			key(v.Name, v.Ephemeral, true)
			for _, b := range [][]byte{v.EphemeralDH, v.ChainKey, v.CipherKey, v.MACKey, v.StaticDH, v.StaticCipherKey, v.StaticMACKey} {
				if len(b) != 32 {
					t.Errorf("%s: an intermediate is %d bytes", v.Name, len(b))
				}
			}
			if len(v.EncryptedStatic) != 43 || len(v.EncryptedMessage) != len(v.USMC)+10 {
				t.Errorf("%s: ciphertext sizes", v.Name)
			}
		}
	}
	for _, v := range f.V2 {
		check(v.ID, v.Name, v.Operation, v.SealedSenderVerdict, "seal", "open")
		count("v2", v.SealedSenderVerdict)
		key(v.Name, v.RecipientIdentity, true)
		if v.Operation == "seal" {
			key(v.Name, v.SenderIdentity, true)
			if len(v.M) != 32 || len(v.R) != 32 || len(v.E) != 32 || len(v.K) != 32 || len(v.C) != 32 || len(v.AT) != 16 ||
				v.SentMessage == nil || v.RecipientServiceID == "" || len(v.RecipientDevices) == 0 {
				t.Errorf("%s: sealing inputs or intermediates missing", v.Name)
			}
			if len(v.Received) != 1+32+16+32+len(v.USMC)+16 {
				t.Errorf("%s: received is %d bytes", v.Name, len(v.Received))
			}
		}
	}
	for _, v := range f.MultiRecipient {
		check(v.ID, v.Name, v.Operation, v.SealedSenderVerdict, "seal", "parse")
		count("multi_recipient", v.SealedSenderVerdict)
		if v.Result == vectors.Valid && (v.Version != 0x22 && v.Version != 0x23 || len(v.Recipients) == 0) {
			t.Errorf("%s: version %#x, %d recipients", v.Name, v.Version, len(v.Recipients))
		}
		if v.Operation == "seal" {
			key(v.Name, v.SenderIdentity, true)
			for _, r := range v.Recipients {
				key(v.Name, r.Identity, true)
				if len(r.C) != 32 || len(r.AT) != 16 || len(r.Devices) == 0 {
					t.Errorf("%s: recipient %s incomplete", v.Name, r.ServiceID)
				}
			}
		}
	}
	if invalid != f.NumberInvalid || acceptable != f.NumberAcceptable {
		t.Errorf("%d invalid and %d acceptable vectors, header says %d and %d", invalid, acceptable, f.NumberInvalid, f.NumberAcceptable)
	}
	if len(f.KnownServerCertificates) != 3 || len(f.RevokedServerKeyIDs) != 1 || f.RevokedServerKeyIDs[0] != 0xDEADC357 {
		t.Errorf("known certificates %d, revoked %v", len(f.KnownServerCertificates), f.RevokedServerKeyIDs)
	}
	for _, fam := range []string{"certificates", "contents", "v1", "v2", "multi_recipient"} {
		c := counts[fam]
		t.Logf("%s: %d valid, %d invalid", fam, c[0], c[1])
		if c[0] == 0 || c[1] == 0 {
			t.Errorf("%s: %d valid, %d invalid", fam, c[0], c[1])
		}
	}
}
