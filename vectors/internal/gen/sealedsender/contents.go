package main

import (
	"bytes"
	"fmt"
	"log"
)

// Family 2: UnidentifiedSenderMessageContent (USMC).

var groupID = fixed("group id", 32)

// body returns a stand-in inner message of an API type (its bytes are not
// parsed at this layer).
func body(typ int, label string) []byte {
	switch typ {
	case 8:
		return cat([]byte{0xC0}, fixed("plaintext "+label, 20), []byte{0x80})
	default:
		return cat([]byte{0x44}, fixed(fmt.Sprintf("type %d %s", typ, label), 40))
	}
}

// contentFields returns the encoding inputs of a valid USMC.
func contentFields(typ int, cert []byte, label string, hint uint64, gid []byte) usmcFields {
	return usmcFields{protoType: ptr(protoType[typ]), cert: cert, content: body(typ, label), hint: hint, groupID: gid}
}

func contentVec(name string, typ int, f usmcFields) ContentVector {
	v := ContentVector{Name: name, Operation: "encode", Type: typ, ProtoType: f.protoType, ContentHint: f.hint, USMC: x(f.encode())}
	if f.cert != nil {
		v.SenderCertificate = x(f.cert)
	}
	if f.content != nil {
		v.Content = x(f.content)
	}
	if len(f.groupID) > 0 {
		v.GroupID = x(f.groupID)
	}
	return v
}

func (g *gen) contents() {
	add := func(v ContentVector, result, errName string, flags []string, comment string) {
		v.ID = g.nextID()
		v.Verdict = g.verdict(result, errName, flags, comment)
		u, e := parseUSMC(mustHex(v.USMC))
		if e != errName {
			log.Fatalf("content %s: receiver says %q, want %q", v.Name, e, errName)
		}
		if e == "" && (u.typ != v.Type || u.hint != v.ContentHint || x(u.content) != v.Content || x(u.groupID) != v.GroupID || x(u.cert.raw) != v.SenderCertificate) {
			log.Fatalf("content %s: parsed fields differ", v.Name)
		}
		g.f.Contents = append(g.f.Contents, v)
	}
	cert := g.mainCert
	for _, c := range []struct {
		name  string
		typ   int
		hint  uint64
		gid   []byte
		flags []string
	}{
		{"usmc_signal", 2, 0, nil, []string{"type_signal", "hint_default"}},
		{"usmc_prekey", 3, 0, nil, []string{"type_prekey", "hint_default"}},
		{"usmc_senderkey_resendable_group", 7, 1, groupID, []string{"type_senderkey", "hint_resendable", "group_id"}},
		{"usmc_plaintext_implicit", 8, 2, nil, []string{"type_plaintext", "hint_implicit"}},
		{"usmc_signal_unknown_hint", 2, 5, nil, []string{"type_signal", "hint_unknown"}},
		{"usmc_senderkey_default_no_group", 7, 0, nil, []string{"type_senderkey", "hint_default"}},
		{"usmc_prekey_resendable_group", 3, 1, groupID, []string{"type_prekey", "hint_resendable", "group_id"}},
		{"usmc_plaintext_default_group", 8, 0, groupID[:16], []string{"type_plaintext", "hint_default", "group_id"}},
	} {
		v := contentVec(c.name, c.typ, contentFields(c.typ, cert, c.name, c.hint, c.gid))
		comment := ""
		if c.typ == 3 {
			comment = "API type 3 (PreKey) is written as protobuf enum value 1."
		}
		if c.hint == 5 {
			comment = "Content hint 5 is not a known value; it is kept as is (and written back)."
		}
		add(v, "valid", "", c.flags, comment)
	}
	f := contentFields(2, cert, "explicit default hint", 0, nil)
	f.writeHint = true
	v := contentVec("usmc_explicit_default_hint", 2, f)
	v.Operation = "parse"
	add(v, "valid", "", []string{"type_signal", "hint_default", "noncanonical"}, "contentHint written explicitly as 0 (Default); a re-encoding omits it.")
	f = contentFields(2, cert, "unknown field", 0, nil)
	f.extra = pbBytes(nil, 9, []byte("unknown"))
	v = contentVec("usmc_unknown_field", 2, f)
	v.Operation = "parse"
	add(v, "valid", "", []string{"type_signal", "unknown_fields", "noncanonical"}, "An unknown field 9; ignored.")
	f = contentFields(7, cert, "empty group id", 0, nil)
	f.extra = pbBytes(nil, 5, nil)
	v = contentVec("usmc_empty_group_id", 7, f)
	v.Operation = "parse"
	add(v, "valid", "", []string{"type_senderkey", "group_id", "noncanonical"}, "groupId written with length 0: no group id; a re-encoding omits it.")
	var tampered []byte
	for _, c := range g.f.Certificates {
		if c.Name == "sender_tampered_signature" {
			tampered = mustHex(c.SenderCertificate)
		}
	}
	v = contentVec("usmc_unvalidated_certificate", 2, contentFields(2, tampered, "unvalidated certificate", 0, nil))
	add(v, "valid", "", []string{"type_signal", "certificate_not_validated"}, "The sender certificate's signature does not verify: parsing a USMC (and opening an envelope) does not validate the certificate.")

	for _, m := range []struct {
		name, flag, comment string
		mod                 func(*usmcFields)
		typ                 int
	}{
		{"usmc_missing_type", "missing_field", "No type (field 1).", func(f *usmcFields) { f.protoType = nil }, 0},
		{"usmc_missing_certificate", "missing_field", "No senderCertificate (field 2).", func(f *usmcFields) { f.cert = nil }, 2},
		{"usmc_missing_content", "missing_field", "No content (field 3).", func(f *usmcFields) { f.content = nil }, 2},
		{"usmc_type_0", "unknown_type", "Enum value 0 is not a type.", func(f *usmcFields) { f.protoType = ptr(uint64(0)) }, 0},
		{"usmc_type_3", "unknown_type", "Enum value 3 is reserved (the API number of PreKey is 3, its enum value 1).", func(f *usmcFields) { f.protoType = ptr(uint64(3)) }, 0},
		{"usmc_type_4", "unknown_type", "Enum value 4 is reserved.", func(f *usmcFields) { f.protoType = ptr(uint64(4)) }, 0},
		{"usmc_bad_certificate", "bad_certificate", "senderCertificate is not a SenderCertificate (a byte string that does not parse).", func(f *usmcFields) { f.cert = bytes.Repeat([]byte{0xff}, 8) }, 2},
		{"usmc_certificate_without_signature", "bad_certificate", "senderCertificate without its signature field.", func(f *usmcFields) {
			c, _ := parsePB(cert)
			f.cert = signedMessage(c[1].b, nil, nil)
		}, 2},
	} {
		f := contentFields(2, cert, m.name, 0, nil)
		m.mod(&f)
		v := contentVec(m.name, m.typ, f)
		v.Operation = "parse"
		add(v, "invalid", errMalformed, []string{m.flag}, m.comment)
	}
}
