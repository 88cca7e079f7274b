package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log"
	"slices"
)

// Family 1: server and sender certificates.

var (
	trustRoot   = newKey("trust root")
	otherRoot   = newKey("other trust root")
	serverKey   = newKey("server")
	otherServer = newKey("other server")
	senderKey   = newKey("sender identity")
	sender2Key  = newKey("second sender identity")
	// The 0x7357C357 test certificate's keys (libsignal's test fixtures).
	testRoot   = keyFromRaw(make([]byte, 32))
	testServer = keyFromRaw(bytes.Repeat([]byte{0xff}, 32))
)

const (
	serverKeyID  uint32 = 0x11
	testServerID uint32 = 0x7357C357
	revokedID    uint32 = 0xDEADC357
	expires      uint64 = 1_800_000_000_000 // 2027-01-15, Unix ms
	validAt      uint64 = expires - 86_400_000
	senderE164          = "+14155550123"
)

var (
	senderUUID  = fixedUUID("sender uuid")
	sender2UUID = fixedUUID("second sender uuid")
)

// fixedUUID is a version 4 UUID from a label.
func fixedUUID(label string) []byte {
	u := fixed("uuid "+label, 16)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

// knownCertificates are libsignal's built-in server certificates (id,
// trust root, serialized ServerCertificate), transcribed from the facts.
var knownCertificates = []struct {
	id        uint32
	root, crt string
	comment   string
}{
	{2, "BYhU6tPjqP46KGZEzRs1OL4U39V5dlPJ/X09ha4rErkm", "0a25080212210539450d63ebd0752c0fd4038b9d07a916f5e174b756d409b5ca79f4c97400631e124064c5a38b1e927497d3d4786b101a623ab34a7da3954fae126b04dba9d7a3604ed88cdc8550950f0d4a9134ceb7e19b94139151d2c3d6e1c81e9d1128aafca806", "production certificate 2"},
	{3, "BUkY0I+9+oPgDCn4+Ac6Iu813yvqkDr/ga8DzLxFxuk6", "0a250803122105bc9d1d290be964810dfa7e94856480a3f7060d004c9762c24c575a1522353a5a1240c11ec3c401eb0107ab38f8600e8720a63169e0e2eb8a3fae24f63099f85ea319c3c1c46d3454706ae2a679d1fee690a488adda98a2290b66c906bb60295ed781", "production certificate 3"},
	{testServerID, "BS/lfaNHzWJDFSjarF+7KQcw//aEr8TPwu2QmV9Yyzt0", "0a2908d786df9a07122105847c0d2c375234f365e660955187a3735a0f7613d1609d3a6a4d8c53aeaa5a221240e0b9ebacdfc3aa2827f7924b697784d1c25e44ca05dd433e1a38dc6382eb2730d419ca9a250b1be9d5a9463e61efd6781777a91b83c97b844d014206e2829785", "test certificate: trust root private key 32 zero bytes, server private key 32 0xff bytes"},
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		log.Fatal(err)
	}
	return b
}

func mustB64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		log.Fatal(err)
	}
	return b
}

// setupKnown parses the known certificates into knownServer and returns
// them for the file.
func setupKnown() []KnownServerCertificate {
	var out []KnownServerCertificate
	for _, k := range knownCertificates {
		raw := mustHex(k.crt)
		c, e := parseServerCert(raw)
		if e != "" || c.id != k.id {
			log.Fatalf("known certificate %#x: %s", k.id, e)
		}
		root := mustB64(k.root)
		if !c.verify([][]byte{root}) {
			log.Fatalf("known certificate %#x does not verify", k.id)
		}
		knownServer[k.id] = c
		kc := KnownServerCertificate{ID: k.id, TrustRoot: Key{Public: x(root)}, ServerKey: Key{Public: x(c.key)}, ServerCertificate: k.crt, Comment: k.comment}
		if k.id == testServerID {
			if !bytes.Equal(root, testRoot.pub) || !bytes.Equal(c.key, testServer.pub) {
				log.Fatal("test certificate keys are not the zero and 0xff keys")
			}
			kc.TrustRoot.Private, kc.ServerKey.Private = x(testRoot.raw), x(testServer.raw)
		}
		out = append(out, kc)
	}
	return out
}

// server is a server certificate made here.
type server struct {
	root, key       keyPair
	id              uint32
	seed            uint64
	Z, body, sig    []byte
	bytes           []byte
	canSign, signed bool
}

func makeServer(label string, root keyPair, id uint32, key keyPair) *server {
	return makeServerFields(label, root, serverCertFields{id: &id, key: key.pub}, key, true)
}

func makeServerFields(label string, root keyPair, f serverCertFields, key keyPair, canSign bool) *server {
	s := &server{root: root, key: key, seed: drawSeed("server certificate " + label), canSign: canSign, signed: true}
	if f.id != nil {
		s.id = *f.id
	}
	s.body = f.encode()
	s.Z = chacha8Stream(s.seed, 64)
	s.sig = sign(root, s.body, s.Z)
	s.bytes = signedMessage(s.body, s.sig, nil)
	return s
}

// json fills a vector's server certificate fields.
func (s *server) json(v *CertVector) {
	v.TrustRoot = keyJSON(s.root)
	v.ServerKeyID = ptr(s.id)
	v.ServerKey = keyJSON(s.key)
	if s.signed {
		v.ServerSignDrawSeed, v.ServerZ = ptr(s.seed), x(s.Z)
	}
	v.ServerCertificateBody, v.ServerSignature, v.ServerCertificate = x(s.body), x(s.sig), x(s.bytes)
}

func defaultSender() senderCertFields {
	return senderCertFields{e164: ptr(senderE164), device: ptr(uint32(1)), expires: ptr(expires),
		identityKey: senderKey.pub, uuidString: ptr(uuidString(senderUUID))}
}

// senderVec builds a sender certificate vector: f (its signer filled in
// from srv when embedded, or refID) signed by signer with the draw seed of
// label.
func senderVec(label string, f senderCertFields, srv *server, signer keyPair) CertVector {
	v := CertVector{Name: label, Kind: "sender_certificate", Operation: "validate"}
	if srv != nil {
		if f.signerCert == nil && f.signerID == nil {
			f.signerCert = srv.bytes
		}
		srv.json(&v)
		v.Signer = "embedded"
	} else {
		if f.signerID == nil {
			f.signerID = ptr(testServerID)
		}
		v.Signer = "reference"
		v.ServerKeyID = f.signerID
		if *f.signerID == testServerID {
			v.TrustRoot, v.ServerKey = keyJSON(testRoot), keyJSON(testServer)
			v.ServerCertificate = knownCertificates[2].crt
		}
	}
	body := f.encode()
	seed := drawSeed("sender certificate " + label)
	Z := chacha8Stream(seed, 64)
	sig := sign(signer, body, Z)
	v.SignDrawSeed, v.Z, v.CertificateBody, v.Signature = ptr(seed), x(Z), x(body), x(sig)
	v.SenderCertificate = x(signedMessage(body, sig, nil))
	if f.uuidString != nil {
		v.SenderUUID, v.SenderUUIDForm = *f.uuidString, "string"
	} else if f.uuidBytes != nil {
		v.SenderUUIDForm = "bytes"
		if len(f.uuidBytes) == 16 {
			v.SenderUUID = uuidString(f.uuidBytes)
		}
	}
	v.SenderE164, v.SenderDevice, v.Expires = f.e164, f.device, f.expires
	if f.identityKey != nil {
		v.IdentityKey = x(f.identityKey)
	}
	if srv != nil && srv.canSign && bytes.Equal(signer.raw, srv.key.raw) && f.uuidString != nil && f.signerID == nil &&
		f.extra == nil && f.device != nil && *f.device >= 1 && *f.device <= 127 && f.expires != nil && validPublicKey(f.identityKey) {
		v.Operation = "sign"
	}
	// The server certificate is an input here (its signing is in the
	// server_certificate vectors): only public keys, and the server key's
	// private key where it signs.
	v.ServerSignDrawSeed, v.ServerZ, v.ServerCertificateBody, v.ServerSignature = nil, "", "", ""
	if v.TrustRoot != nil {
		v.TrustRoot = &Key{Public: v.TrustRoot.Public}
	}
	if v.ServerKey != nil && v.Operation != "sign" {
		v.ServerKey = &Key{Public: v.ServerKey.Public}
	}
	v.TrustRoots = []string{x(trustRoot.pub)}
	if srv == nil {
		v.TrustRoots = []string{x(testRoot.pub)}
	}
	v.Time = ptr(validAt)
	return v
}

// checkCert runs the generator's receiver on a certificate vector.
func checkCert(v *CertVector) string {
	var roots [][]byte
	for _, r := range v.TrustRoots {
		roots = append(roots, mustHex(r))
	}
	if v.Kind == "server_certificate" {
		c, e := parseServerCert(mustHex(v.ServerCertificate))
		if e != "" {
			return e
		}
		if !c.verify(roots) {
			return errUntrustedRoot
		}
		return ""
	}
	c, e := parseSenderCert(mustHex(v.SenderCertificate))
	if e != "" {
		return e
	}
	if v.SenderUUID != "" && c.uuid != v.SenderUUID {
		log.Fatalf("%s: uuid %s, want %s", v.Name, c.uuid, v.SenderUUID)
	}
	return c.validate(roots, *v.Time)
}

func (g *gen) certificates() {
	add := func(v CertVector, result, errName string, flags []string, comment string) {
		v.ID = g.nextID()
		v.Verdict = g.verdict(result, errName, flags, comment)
		if got := checkCert(&v); got != errName {
			log.Fatalf("certificate %s: receiver says %q, want %q", v.Name, got, errName)
		}
		g.f.Certificates = append(g.f.Certificates, v)
	}
	srv := makeServer("main", trustRoot, serverKeyID, serverKey)

	// Server certificates.
	serverVec := func(s *server) CertVector {
		v := CertVector{Name: "", Kind: "server_certificate", Operation: "validate", TrustRoots: []string{x(trustRoot.pub)}}
		s.json(&v)
		if s.canSign {
			v.Operation = "sign"
		}
		return v
	}
	v := serverVec(srv)
	v.Name = "server_valid"
	add(v, "valid", "", []string{"valid"}, "The server certificate embedded in the sender certificates below.")
	v = serverVec(makeServer("id 0", trustRoot, 0, otherServer))
	v.Name = "server_key_id_0"
	add(v, "valid", "", []string{"valid"}, "Key id 0.")
	v = serverVec(makeServer("id max", trustRoot, 0xFFFFFFFF, otherServer))
	v.Name = "server_key_id_max"
	add(v, "valid", "", []string{"valid"}, "Key id 2^32 - 1 (a 5-byte varint).")
	v = serverVec(srv)
	v.Name, v.TrustRoots = "server_second_root", []string{x(otherRoot.pub), x(trustRoot.pub)}
	add(v, "valid", "", []string{"trust_root_set"}, "Two trust roots; the second one signed the certificate.")
	v = serverVec(makeServerFields("unknown field", trustRoot, serverCertFields{id: ptr(serverKeyID), key: serverKey.pub, extra: pbBytes(nil, 15, []byte("extra"))}, serverKey, false))
	v.Name = "server_unknown_field"
	add(v, "valid", "", []string{"unknown_fields"}, "An unknown field 15 after the key, signed; it must be kept in the signed bytes and ignored.")
	for _, k := range knownCertificates {
		v := CertVector{Name: fmt.Sprintf("server_known_%#x", k.id), Kind: "server_certificate", Operation: "validate",
			TrustRoot: &Key{Public: x(mustB64(k.root))}, ServerKeyID: ptr(k.id), ServerKey: &Key{Public: x(knownServer[k.id].key)},
			ServerCertificateBody: x(knownServer[k.id].body), ServerSignature: x(knownServer[k.id].sig), ServerCertificate: k.crt,
			TrustRoots: []string{x(mustB64(k.root))}}
		if k.id == testServerID {
			v.TrustRoot, v.ServerKey = keyJSON(testRoot), keyJSON(testServer)
		}
		add(v, "valid", "", []string{"libsignal_fixture", "known_certificate"}, "One of libsignal's known server certificates, verbatim, under its trust root.")
	}
	v = CertVector{Name: "server_known_2_under_root_3", Kind: "server_certificate", Operation: "validate",
		ServerKeyID: ptr(uint32(2)), ServerCertificate: knownCertificates[0].crt, TrustRoots: []string{x(mustB64(knownCertificates[1].root))}}
	add(v, "invalid", errUntrustedRoot, []string{"libsignal_fixture", "wrong_root"}, "Known certificate 2 under certificate 3's trust root.")
	v = serverVec(srv)
	v.Name, v.TrustRoots = "server_wrong_root", []string{x(otherRoot.pub)}
	add(v, "invalid", errUntrustedRoot, []string{"wrong_root"}, "")
	v = serverVec(srv)
	v.Name, v.Operation = "server_tampered_body", "validate"
	v.ServerCertificateBody = x(flip(srv.body, 1, 0x01))
	v.ServerCertificate = x(signedMessage(flip(srv.body, 1, 0x01), srv.sig, nil))
	add(v, "invalid", errUntrustedRoot, []string{"tampered_certificate"}, "The key id changed after signing.")
	v = serverVec(srv)
	v.Name, v.Operation = "server_tampered_signature", "validate"
	v.ServerSignature = x(flip(srv.sig, 0, 0x01))
	v.ServerCertificate = x(signedMessage(srv.body, flip(srv.sig, 0, 0x01), nil))
	add(v, "invalid", errUntrustedRoot, []string{"tampered_signature"}, "")
	for _, m := range []struct {
		name, flag string
		f          serverCertFields
		sigOmit    bool
		comment    string
	}{
		{"server_missing_id", "missing_field", serverCertFields{key: serverKey.pub}, false, "Certificate without id (field 1), signed."},
		{"server_missing_key", "missing_field", serverCertFields{id: ptr(serverKeyID)}, false, "Certificate without key (field 2), signed."},
		{"server_missing_signature", "missing_field", serverCertFields{id: ptr(serverKeyID), key: serverKey.pub}, true, "ServerCertificate without signature (field 2)."},
		{"server_bad_key_type", "bad_key", serverCertFields{id: ptr(serverKeyID), key: append([]byte{0x06}, serverKey.pub[1:]...)}, false, "Key type byte 0x06, signed."},
		{"server_bad_key_length", "bad_key", serverCertFields{id: ptr(serverKeyID), key: serverKey.pub[1:]}, false, "A 32-byte key without type byte, signed."},
	} {
		s := makeServerFields(m.name, trustRoot, m.f, serverKey, false)
		if m.sigOmit {
			s.bytes, s.sig, s.signed = signedMessage(s.body, nil, nil), nil, false
		}
		v := serverVec(s)
		v.Name = m.name
		add(v, "invalid", errMalformed, []string{m.flag}, m.comment)
	}

	// Sender certificates.
	main := senderVec("sender_valid", defaultSender(), srv, serverKey)
	add(main, "valid", "", []string{"valid", "e164"}, "Embedded signer, uuidString, e164 present. Used by the contents and envelopes below.")
	f := defaultSender()
	f.e164 = nil
	add(senderVec("sender_no_e164", f, srv, serverKey), "valid", "", []string{"valid", "no_e164"}, "")
	f = defaultSender()
	f.uuidString, f.uuidBytes = nil, senderUUID
	add(senderVec("sender_uuid_bytes", f, srv, serverKey), "valid", "", []string{"uuid_bytes"}, "The sender UUID as uuidBytes (field 7); sender_uuid gives its string form.")
	f = defaultSender()
	f.device = ptr(uint32(127))
	add(senderVec("sender_device_127", f, srv, serverKey), "valid", "", []string{"device_id_range"}, "Device id 127, the largest.")
	f = defaultSender()
	f.identityKey, f.uuidString, f.e164, f.device = sender2Key.pub, ptr(uuidString(sender2UUID)), nil, ptr(uint32(2))
	add(senderVec("sender_second", f, srv, serverKey), "valid", "", []string{"valid", "no_e164"}, "Another sender (device 2): its identity key is the one the envelopes' sender_key_mismatch vectors seal with a mismatching certificate.")
	v = senderVec("sender_time_equals_expires", defaultSender(), srv, serverKey)
	v.Time = ptr(expires)
	add(v, "valid", "", []string{"expiry_boundary"}, "time == expires is still valid.")
	v = senderVec("sender_expired", defaultSender(), srv, serverKey)
	v.Time = ptr(expires + 1)
	add(v, "invalid", errExpired, []string{"expired", "expiry_boundary"}, "time = expires + 1.")
	v = senderVec("sender_wrong_root", defaultSender(), srv, serverKey)
	v.TrustRoots = []string{x(otherRoot.pub)}
	add(v, "invalid", errUntrustedRoot, []string{"wrong_root"}, "")
	v = senderVec("sender_second_root", defaultSender(), srv, serverKey)
	v.TrustRoots = []string{x(otherRoot.pub), x(trustRoot.pub)}
	add(v, "valid", "", []string{"trust_root_set"}, "Two trust roots; the second one signed the server certificate.")
	v = senderVec("sender_first_root", defaultSender(), srv, serverKey)
	v.TrustRoots = []string{x(trustRoot.pub), x(otherRoot.pub)}
	add(v, "valid", "", []string{"trust_root_set"}, "Two trust roots; the first one signed the server certificate.")
	revoked := makeServer("revoked", trustRoot, revokedID, serverKey)
	add(senderVec("sender_revoked_server_key", defaultSender(), revoked, serverKey), "invalid", errRevoked, []string{"revoked"},
		"The server certificate has the revoked key id 0xDEADC357 and is properly signed by the trust root; the sender certificate is properly signed by its key.")
	otherSrv := makeServer("other", trustRoot, serverKeyID, otherServer)
	add(senderVec("sender_signed_by_other_key", defaultSender(), srv, otherServer), "invalid", errBadSignature, []string{"wrong_signer_key"},
		"Signed by a key other than the server certificate's.")
	_ = otherSrv
	v = senderVec("sender_tampered_certificate", defaultSender(), srv, serverKey)
	body := mustHex(v.CertificateBody)
	i := bytes.Index(body, []byte{0x19}) + 1 // the first byte of expires
	body = flip(body, i, 0x01)
	v.Operation, v.CertificateBody, v.SenderCertificate = "validate", x(body), x(signedMessage(body, mustHex(v.Signature), nil))
	v.Expires = ptr(*v.Expires ^ 1)
	add(v, "invalid", errBadSignature, []string{"tampered_certificate"}, "The low bit of expires flipped after signing.")
	v = senderVec("sender_tampered_signature", defaultSender(), srv, serverKey)
	sig := flip(mustHex(v.Signature), 5, 0x10)
	v.Operation, v.Signature, v.SenderCertificate = "validate", x(sig), x(signedMessage(mustHex(v.CertificateBody), sig, nil))
	add(v, "invalid", errBadSignature, []string{"tampered_signature"}, "")
	tampered := *srv
	tampered.sig = flip(srv.sig, 3, 0x04)
	tampered.bytes = signedMessage(srv.body, tampered.sig, nil)
	tampered.canSign, tampered.signed = false, false
	add(senderVec("sender_tampered_server_signature", defaultSender(), &tampered, serverKey), "invalid", errUntrustedRoot, []string{"tampered_signature"},
		"The embedded server certificate's signature altered; the sender certificate is signed over it.")
	for _, m := range []struct {
		name    string
		key     []byte
		comment string
	}{
		{"sender_bad_identity_key_type", append([]byte{0x06}, senderKey.pub[1:]...), "identityKey with type byte 0x06."},
		{"sender_bad_identity_key_short", senderKey.pub[1:], "identityKey of 32 bytes, no type byte."},
	} {
		f := defaultSender()
		f.identityKey = m.key
		add(senderVec(m.name, f, srv, serverKey), "invalid", errMalformed, []string{"bad_key"}, m.comment+" Properly signed.")
	}
	f = defaultSender()
	f.identityKey = append(append([]byte(nil), senderKey.pub...), 0)
	add(senderVec("sender_identity_key_trailing_byte", f, srv, serverKey), "acceptable", errMalformed, []string{"trailing_key_bytes"},
		"identityKey of 34 bytes: the sender's key and a trailing 0x00; properly signed.")
	badSrv := makeServerFields("bad key", trustRoot, serverCertFields{id: ptr(serverKeyID), key: append([]byte{0x06}, serverKey.pub[1:]...)}, serverKey, false)
	add(senderVec("sender_server_bad_key", defaultSender(), badSrv, serverKey), "invalid", errMalformed, []string{"bad_key"},
		"The embedded server certificate's key has type byte 0x06 (properly signed by the root).")
	for _, m := range []struct {
		name string
		mod  func(*senderCertFields)
	}{
		{"sender_missing_uuid", func(f *senderCertFields) { f.uuidString = nil }},
		{"sender_missing_device", func(f *senderCertFields) { f.device = nil }},
		{"sender_missing_expires", func(f *senderCertFields) { f.expires = nil }},
		{"sender_missing_identity_key", func(f *senderCertFields) { f.identityKey = nil }},
	} {
		f := defaultSender()
		m.mod(&f)
		add(senderVec(m.name, f, srv, serverKey), "invalid", errMalformed, []string{"missing_field"}, "Properly signed.")
	}
	f = defaultSender()
	f.signerCert = []byte{} // replaced below
	v = senderVec("sender_missing_signer", f, srv, serverKey)
	{
		f := defaultSender()
		body := f.encode()
		seed := drawSeed("sender certificate sender_missing_signer")
		Z := chacha8Stream(seed, 64)
		sig := sign(serverKey, body, Z)
		v.SignDrawSeed, v.Z, v.CertificateBody, v.Signature = ptr(seed), x(Z), x(body), x(sig)
		v.SenderCertificate, v.Signer, v.Operation = x(signedMessage(body, sig, nil)), "", "validate"
	}
	add(v, "invalid", errMalformed, []string{"missing_field"}, "No signer (neither field 5 nor field 8); signed by the server key.")
	v = senderVec("sender_missing_outer_signature", defaultSender(), srv, serverKey)
	v.Operation, v.SenderCertificate = "validate", x(signedMessage(mustHex(v.CertificateBody), nil, nil))
	add(v, "invalid", errMalformed, []string{"missing_field"}, "SenderCertificate without signature (field 2).")
	v = senderVec("sender_missing_outer_certificate", defaultSender(), srv, serverKey)
	v.Operation, v.SenderCertificate = "validate", x(signedMessage(nil, mustHex(v.Signature), nil))
	add(v, "invalid", errMalformed, []string{"missing_field"}, "SenderCertificate without certificate (field 1).")
	for _, d := range []uint32{0, 128} {
		f := defaultSender()
		f.device = ptr(d)
		add(senderVec(fmt.Sprintf("sender_device_%d", d), f, srv, serverKey), "invalid", errMalformed, []string{"device_id_range"}, "Device ids are 1..127; properly signed.")
	}
	f = defaultSender()
	f.uuidString, f.uuidBytes = nil, senderUUID[:15]
	add(senderVec("sender_uuid_bytes_short", f, srv, serverKey), "invalid", errMalformed, []string{"uuid_bytes"}, "uuidBytes of 15 bytes; properly signed.")
	f = defaultSender()
	f.extra = pbBytes(nil, 999, []byte("unknown field"))
	add(senderVec("sender_unknown_field", f, srv, serverKey), "valid", "", []string{"unknown_fields"}, "An unknown field 999 after the UUID, as in libsignal's fixture; signed, so it stays in the signed bytes.")
	v = senderVec("sender_unknown_outer_field", defaultSender(), srv, serverKey)
	v.Operation, v.SenderCertificate = "validate", x(signedMessage(mustHex(v.CertificateBody), mustHex(v.Signature), pbVarint(nil, 9, 1)))
	add(v, "valid", "", []string{"unknown_fields"}, "An unknown field 9 in SenderCertificate itself (outside the signed bytes).")
	extraSrv := makeServerFields("unknown field", trustRoot, serverCertFields{id: ptr(serverKeyID), key: serverKey.pub, extra: pbBytes(nil, 15, []byte("extra"))}, serverKey, false)
	add(senderVec("sender_server_unknown_field", defaultSender(), extraSrv, serverKey), "valid", "", []string{"unknown_fields"}, "The embedded server certificate has an unknown field 15 (signed by the root).")

	// By reference to the known test certificate 0x7357C357.
	f = defaultSender()
	add(senderVec("sender_reference_test_certificate", f, nil, testServer), "valid", "", []string{"signer_reference"},
		"signer.id = 0x7357C357 (field 8), signed with that certificate's server key (private key 32 0xff bytes); trust root: the public key of the private key 32 zero bytes.")
	f = defaultSender()
	f.e164, f.uuidString, f.uuidBytes = nil, nil, senderUUID
	add(senderVec("sender_reference_uuid_bytes", f, nil, testServer), "valid", "", []string{"signer_reference", "uuid_bytes"}, "")
	v = senderVec("sender_reference_wrong_root", defaultSender(), nil, testServer)
	v.TrustRoots = []string{x(trustRoot.pub)}
	add(v, "invalid", errUntrustedRoot, []string{"signer_reference", "wrong_root"}, "")
	add(senderVec("sender_reference_wrong_key", defaultSender(), nil, serverKey), "invalid", errBadSignature, []string{"signer_reference", "wrong_signer_key"},
		"signer.id = 0x7357C357, but signed by another key.")
	f = defaultSender()
	f.signerID = ptr(uint32(0x12345678))
	v = senderVec("sender_reference_unknown_id", f, nil, testServer)
	v.TrustRoot, v.ServerKey = nil, nil
	add(v, "invalid", errUnknownSigner, []string{"signer_reference"}, "signer.id = 0x12345678: no known server certificate.")

	// libsignal's fixtures, verbatim.
	for _, fx := range libsignalFixtures {
		v := CertVector{Name: fx.name, Kind: "sender_certificate", Operation: "validate", TrustRoot: &Key{Public: x(testRoot.pub)},
			CertificateBody: fx.cert, Signature: fx.sig, SenderCertificate: x(signedMessage(mustHex(fx.cert), mustHex(fx.sig), nil)),
			TrustRoots: []string{x(testRoot.pub)}, Time: ptr(uint64(31336))}
		c, e := parseSenderCert(mustHex(v.SenderCertificate))
		if e != "" {
			log.Fatalf("%s: %s", fx.name, e)
		}
		v.SenderUUID, v.SenderUUIDForm, v.SenderDevice, v.Expires, v.IdentityKey = c.uuid, fx.form, ptr(c.device), ptr(c.expires), x(c.identityKey)
		v.ServerKeyID, v.ServerKey = ptr(c.signer.id), &Key{Public: x(c.signer.key)}
		v.Signer = "embedded"
		if fx.reference {
			v.Signer = "reference"
		}
		v.ServerCertificate = x(signedMessage(c.signer.body, c.signer.sig, nil))
		flags := slices.Concat([]string{"libsignal_fixture"}, fx.flags)
		add(v, "valid", "", flags, fx.comment+" Valid at time 31336 (expires 31337).")
		if fx.name == "libsignal_fixture_embedded_unknown_field" {
			v.Name, v.Time = fx.name+"_at_expires", ptr(uint64(31337))
			add(v, "valid", "", []string{"libsignal_fixture", "expiry_boundary"}, "The same fixture at time == expires.")
			v.Name, v.Time = fx.name+"_expired", ptr(uint64(31338))
			add(v, "invalid", errExpired, []string{"libsignal_fixture", "expired", "expiry_boundary"}, "The same fixture one millisecond after it expires.")
			v.Name, v.Time, v.TrustRoots = fx.name+"_wrong_root", ptr(uint64(31336)), []string{x(trustRoot.pub)}
			add(v, "invalid", errUntrustedRoot, []string{"libsignal_fixture", "wrong_root"}, "The same fixture under another trust root.")
		}
	}
	g.mainCert = mustHex(main.SenderCertificate)
	g.mainCertValidation = main
}

var libsignalFixtures = []struct {
	name, cert, sig, form string
	reference             bool
	flags                 []string
	comment               string
}{
	{"libsignal_fixture_embedded_unknown_field",
		"100119697a0000000000002221056c9d1f8deb82b9a898f9c277a1b74989ec009afb5c0acb5e8e69e3d5ca29d6322a690a2508011221053b03ca070e6f6b2f271d32f27321689cdf4e59b106c10b58fbe15063ed868a5a124024bc92954e52ad1a105b5bda85c9db410dcfeb42a671b45a523b3a46e9594a8bde0efc671d8e8e046b32c67f59b80a46ffdf24071850779bc21325107902af89322461616161616161612d373030302d313165622d623332612d333362386138613438376136ba3e136372617368696e6720726967687420646f776e",
		"a22d8f86f5d00794f319add821e342c6ffffb6b34f741e569f8b321ab0255f2d1757ecf648e53a3602cae8f09b3fc80dcf27534d67efd272b6739afc31f75c8c",
		"string", false, []string{"unknown_fields"}, "libsignal's fixture: embedded server certificate (key id 1), uuidString, no e164, and an unknown field 999."},
	{"libsignal_fixture_uuid_bytes",
		"100119697a000000000000222105e083a8ce423d1c1955174107a85a6a7f3bcbf566723624077f75eafe8e0a07752a690a25080112210507a24397ae27d06fa76d2f02cfb5546e0b23a7e0c3670c1eb1e73b135a8e1e4d12407d127509ae1f5e9dcaa511793d3e94350dcb269e4ca54500da6e1f4dc13d95940c15badef019edfe8666315500c54e4489d4b83f6ce79c7f65c9772a1a83d88c3a10aaaaaaaa700011ebb32a33b8a8a487a6",
		"755c428e9bf6ba367152f1e545834649b4e8f70df8383a352a953fdb774862af5d42fab573fc52b90ad47c331c36f93b1a4fa7a2504917d895452ffe7f44bd0e",
		"bytes", false, []string{"uuid_bytes"}, "libsignal's fixture: embedded server certificate, uuidBytes."},
	{"libsignal_fixture_reference",
		"100119697a000000000000222105d75b13e15c7700079dd226f51e5a790ba395e819e88a74d0cf5cedfad8b4334840d786df9a07322461616161616161612d373030302d313165622d623332612d333362386138613438376136",
		"e62667bce627caed56ca2ab309b6ae7bc890a30a7482c0e1fd77ec9c3b7528abfd45c8c42b240509a71d973ef5e0f1dbd2685fe01410f0fdbaa8fb247a67e08f",
		"string", true, []string{"signer_reference"}, "libsignal's fixture: signer by reference to 0x7357C357."},
}
