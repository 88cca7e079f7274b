package main

import (
	"bytes"
	"fmt"
	"log"
	"slices"
	"strings"
)

// Families 3 to 5: v1 envelopes, v2 received messages, multi-recipient
// sent messages.

var (
	recipient1 = newKey("recipient 1")
	recipient2 = newKey("recipient 2")
	recipient3 = newKey("recipient 3")
	aci1       = serviceID{0, fixedUUID("recipient 1")}
	pni2       = serviceID{1, fixedUUID("recipient 2 pni")}
	aci3       = serviceID{0, fixedUUID("recipient 3")}
	excludedA  = serviceID{0, fixedUUID("excluded 1")}
	excludedP  = serviceID{1, fixedUUID("excluded 2 pni")}
)

func (s serviceID) fixedWidth() []byte { return cat([]byte{s.kind}, s.uuid) }

// usmcOf encodes a valid USMC of an API type with the main certificate.
func (g *gen) usmcOf(typ int, label string, hint uint64, gid []byte) []byte {
	return contentFields(typ, g.mainCert, label, hint, gid).encode()
}

// second is the certificate of "sender_second" (another identity key).
func (g *gen) second() []byte {
	for _, c := range g.f.Certificates {
		if c.Name == "sender_second" {
			return mustHex(c.SenderCertificate)
		}
	}
	log.Fatal("no sender_second certificate")
	return nil
}

func (g *gen) v1() {
	add := func(v V1Vector, result, errName string, flags []string, comment string) {
		v.ID = g.nextID()
		v.Verdict = g.verdict(result, errName, flags, comment)
		r := keyFromRaw(mustHex(v.RecipientIdentity.Private))
		pt, e := openEnvelope(mustHex(v.Envelope), r)
		if e != errName || (e == "" && x(pt) != v.USMC) {
			log.Fatalf("v1 %s: receiver says %q, want %q", v.Name, e, errName)
		}
		g.f.V1 = append(g.f.V1, v)
	}
	seal := func(name string, msg []byte, R keyPair) V1Vector {
		seed := drawSeed("v1 " + name)
		eph := keyFromRaw(chacha8Stream(seed, 32))
		s := sealV1(msg, senderKey, R.pub, eph)
		return V1Vector{Name: name, Operation: "seal", SenderIdentity: keyJSON(senderKey), RecipientIdentity: keyJSON(R),
			DrawSeed: seed, Ephemeral: keyJSON(eph), USMC: x(msg),
			EphemeralDH: x(s.k1.dh), ChainKey: x(s.k1.chainKey), CipherKey: x(s.k1.cipherKey), MACKey: x(s.k1.macKey),
			EncryptedStatic: x(s.encStatic), StaticDH: x(s.k2.dh), StaticCipherKey: x(s.k2.cipherKey), StaticMACKey: x(s.k2.macKey),
			EncryptedMessage: x(s.encMsg), Envelope: x(s.envelope)}
	}
	base := seal("v1_signal", g.usmcOf(2, "v1 signal", 0, nil), recipient1)
	add(base, "valid", "", []string{"type_signal"}, "")
	add(seal("v1_prekey", g.usmcOf(3, "v1 prekey", 0, nil), recipient1), "valid", "", []string{"type_prekey"}, "")
	add(seal("v1_senderkey_group", g.usmcOf(7, "v1 senderkey", 1, groupID), recipient1), "valid", "", []string{"type_senderkey", "hint_resendable", "group_id"}, "")
	add(seal("v1_plaintext", g.usmcOf(8, "v1 plaintext", 2, nil), recipient1), "valid", "", []string{"type_plaintext", "hint_implicit"}, "")
	add(seal("v1_second_recipient", g.usmcOf(2, "v1 second recipient", 0, nil), recipient2), "valid", "", []string{"type_signal"}, "")

	env := mustHex(base.Envelope)
	static, msg := mustHex(base.EncryptedStatic), mustHex(base.EncryptedMessage)
	eph := mustHex(base.Ephemeral.Public)
	open := func(name string, envelope []byte, R keyPair) V1Vector {
		return V1Vector{Name: name, Operation: "open", RecipientIdentity: keyJSON(R), Envelope: x(envelope)}
	}
	add(open("v1_version_0x31", cat([]byte{0x31}, env[1:]), recipient1), "invalid", errUnknownVersion, []string{"unknown_version"}, "Version byte 0x31 (required version 3).")
	add(open("v1_empty", nil, recipient1), "invalid", errTruncated, []string{"truncated"}, "An empty envelope.")
	add(open("v1_version_only", []byte{0x11}, recipient1), "invalid", errMalformed, []string{"outer_protobuf"}, "Only the version byte: no fields.")
	add(open("v1_outer_truncated", env[:len(env)-1], recipient1), "invalid", errMalformed, []string{"outer_protobuf", "truncated"}, "The last byte cut: field 3's length runs past the end.")
	add(open("v1_missing_ephemeral", v1Outer(0x11, nil, static, msg), recipient1), "invalid", errMalformed, []string{"outer_protobuf", "missing_field"}, "No ephemeralPublic (field 1).")
	add(open("v1_missing_static", v1Outer(0x11, eph, nil, msg), recipient1), "invalid", errMalformed, []string{"outer_protobuf", "missing_field"}, "No encryptedStatic (field 2).")
	add(open("v1_missing_message", v1Outer(0x11, eph, static, nil), recipient1), "invalid", errMalformed, []string{"outer_protobuf", "missing_field"}, "No encryptedMessage (field 3).")
	add(open("v1_ephemeral_bad_type", v1Outer(0x11, flip(eph, 0, 0x03), static, msg), recipient1), "invalid", errMalformed, []string{"bad_key"}, "ephemeralPublic with type byte 0x06.")
	add(open("v1_ephemeral_modified", v1Outer(0x11, flip(eph, 1, 0x02), static, msg), recipient1), "invalid", errBadMAC, []string{"modified_ephemeral"}, "A bit of the ephemeral key flipped: other keys, the static MAC fails.")
	add(open("v1_static_ciphertext_modified", v1Outer(0x11, eph, flip(static, 4, 0x01), msg), recipient1), "invalid", errBadMAC, []string{"modified_static"}, "A bit of encryptedStatic's ciphertext flipped.")
	add(open("v1_static_mac_modified", v1Outer(0x11, eph, flip(static, -1, 0x80), msg), recipient1), "invalid", errBadMAC, []string{"modified_static_mac"}, "A bit of encryptedStatic's 10-byte MAC flipped.")
	add(open("v1_static_mac_truncated", v1Outer(0x11, eph, static[:len(static)-1], msg), recipient1), "invalid", errBadMAC, []string{"modified_static_mac"}, "encryptedStatic one byte short.")
	add(open("v1_message_ciphertext_modified", v1Outer(0x11, eph, static, flip(msg, 0, 0x01)), recipient1), "invalid", errBadMAC, []string{"modified_message"}, "A bit of encryptedMessage's ciphertext flipped.")
	add(open("v1_message_mac_modified", v1Outer(0x11, eph, static, flip(msg, -1, 0x01)), recipient1), "invalid", errBadMAC, []string{"modified_message_mac"}, "A bit of encryptedMessage's MAC flipped.")
	add(open("v1_wrong_recipient", env, recipient2), "invalid", errBadMAC, []string{"wrong_recipient"}, "v1_signal opened by another identity.")
	v := seal("v1_certificate_key_mismatch", contentFields(2, g.second(), "v1 mismatch", 0, nil).encode(), recipient1)
	v.Operation = "open"
	add(v, "invalid", errSenderKeyMismatch, []string{"sender_key_mismatch"},
		"Sealed by sender_identity, but the USMC's certificate (sender_second) carries another identity key: the decrypted static key differs from the certificate's key.")
	v = seal("v1_inner_malformed", usmcFields{cert: g.mainCert, content: body(2, "v1 malformed")}.encode(), recipient1)
	v.Operation = "open"
	add(v, "invalid", errMalformed, []string{"inner_malformed"}, "Properly sealed, but the USMC has no type.")
}

// v2Seal seals msg from senderKey to one recipient with the draw seed of
// label; it returns the vector with the 0x23 sent message.
func (g *gen) v2Seal(name string, msg []byte, R keyPair, sid serviceID, devices []Device) V2Vector {
	seed := drawSeed("v2 " + name)
	M := chacha8Stream(seed, 32)
	s := sealV2(msg, senderKey, M, [][]byte{R.pub})
	sent := encodeSent(0x23, []sentEntry{{sid: sid.fixedWidth(), devices: devices, c: s.C[0], at: s.AT[0]}}, cat(s.E, s.ct))
	p, e := parseSent(sent)
	if e != "" || !bytes.Equal(p.received(p.recipients[0]), s.received(0)) {
		log.Fatalf("v2 %s: split: %s", name, e)
	}
	return V2Vector{Name: name, Operation: "seal", SenderIdentity: keyJSON(senderKey), RecipientIdentity: keyJSON(R),
		RecipientServiceID: sid.String(), RecipientDevices: devices, DrawSeed: seed, USMC: x(msg),
		M: x(M), R: x(s.r), E: x(s.E), K: x(s.K), C: x(s.C[0]), AT: x(s.AT[0]), Ciphertext: x(s.ct),
		SentMessage: x(sent), Received: x(s.received(0))}
}

func (g *gen) v2() {
	add := func(v V2Vector, result, errName string, flags []string, comment string) {
		v.ID = g.nextID()
		v.Verdict = g.verdict(result, errName, flags, comment)
		r := keyFromRaw(mustHex(v.RecipientIdentity.Private))
		pt, e := openEnvelope(mustHex(v.Received), r)
		if e != errName || (e == "" && x(pt) != v.USMC) {
			log.Fatalf("v2 %s: receiver says %q, want %q", v.Name, e, errName)
		}
		if v.Ciphertext != "" && !strings.HasSuffix(v.Received, v.Ciphertext) {
			log.Fatalf("v2 %s: ciphertext", v.Name)
		}
		g.f.V2 = append(g.f.V2, v)
	}
	dev1 := []Device{{ID: 1, RegistrationID: 0x1234}}
	base := g.v2Seal("v2_signal", g.usmcOf(2, "v2 signal", 0, nil), recipient1, aci1, dev1)
	add(base, "valid", "", []string{"type_signal"}, "")
	add(g.v2Seal("v2_prekey", g.usmcOf(3, "v2 prekey", 0, nil), recipient1, aci1, dev1), "valid", "", []string{"type_prekey"}, "")
	add(g.v2Seal("v2_senderkey_group", g.usmcOf(7, "v2 senderkey", 1, groupID), recipient1, aci1, dev1), "valid", "", []string{"type_senderkey", "hint_resendable", "group_id"}, "")
	add(g.v2Seal("v2_plaintext", g.usmcOf(8, "v2 plaintext", 2, nil), recipient1, aci1, dev1), "valid", "", []string{"type_plaintext", "hint_implicit"}, "")
	add(g.v2Seal("v2_pni_recipient", g.usmcOf(2, "v2 pni", 0, nil), recipient2, pni2, []Device{{ID: 2, RegistrationID: 77}}), "valid", "", []string{"type_signal", "pni"},
		"The recipient is addressed by its PNI; recipient_identity is the PNI identity key.")
	// The legacy path: the received message split from a 0x22 sent message.
	leg := g.v2Seal("v2_legacy_sent", g.usmcOf(2, "v2 legacy", 0, nil), recipient1, aci1, dev1)
	shared := mustHex(leg.E + leg.Ciphertext)
	sent := encodeSent(0x22, []sentEntry{{sid: aci1.uuid, devices: dev1, c: mustHex(leg.C), at: mustHex(leg.AT)}}, shared)
	p, e := parseSent(sent)
	if e != "" || x(p.received(p.recipients[0])) != leg.Received {
		log.Fatal("v2_legacy_sent: split")
	}
	leg.Operation, leg.SentMessage = "open", x(sent)
	add(leg, "valid", "", []string{"type_signal", "legacy_sent"}, "Split from a legacy 0x22 sent message (16-byte ACI); the received message has the same form.")

	rec := mustHex(base.Received)
	open := func(name string, received []byte, R keyPair) V2Vector {
		return V2Vector{Name: name, Operation: "open", RecipientIdentity: keyJSON(R), Received: x(received)}
	}
	add(open("v2_C_modified", flip(rec, 1, 0x01), recipient1), "invalid", errBadMAC, []string{"modified_C"}, "A bit of C flipped: M is wrong, the re-derived E differs.")
	add(open("v2_AT_modified", flip(rec, 33, 0x01), recipient1), "invalid", errBadMAC, []string{"modified_AT"}, "A bit of AT flipped.")
	add(open("v2_E_modified", flip(rec, 49, 0x02), recipient1), "invalid", errBadMAC, []string{"modified_E"}, "A bit of E flipped.")
	add(open("v2_ciphertext_modified", flip(rec, 81, 0x01), recipient1), "invalid", errBadMAC, []string{"modified_ciphertext"}, "A bit of the AES-GCM-SIV ciphertext flipped.")
	add(open("v2_tag_modified", flip(rec, -1, 0x01), recipient1), "invalid", errBadMAC, []string{"modified_tag"}, "A bit of the AES-GCM-SIV tag flipped.")
	add(open("v2_wrong_recipient", rec, recipient2), "invalid", errBadMAC, []string{"wrong_recipient"}, "v2_signal opened by another identity.")
	add(open("v2_truncated", rec[:1+32+16+32+15], recipient1), "invalid", errTruncated, []string{"truncated"}, "Only 15 bytes after E (the tag alone is 16).")
	add(open("v2_version_only", []byte{0x22}, recipient1), "invalid", errTruncated, []string{"truncated"}, "")
	add(open("v2_version_0x32", cat([]byte{0x32}, rec[1:]), recipient1), "invalid", errUnknownVersion, []string{"unknown_version"}, "Version byte 0x32 (required version 3).")
	v := g.v2Seal("v2_certificate_key_mismatch", contentFields(2, g.second(), "v2 mismatch", 0, nil).encode(), recipient1, aci1, dev1)
	v.Operation = "open"
	add(v, "invalid", errBadMAC, []string{"sender_key_mismatch"},
		"Sealed by sender_identity, but the USMC's certificate (sender_second) carries another identity key: AT recomputed with the certificate's key differs.")
	v = g.v2Seal("v2_inner_malformed", usmcFields{cert: g.mainCert, content: body(2, "v2 malformed")}.encode(), recipient1, aci1, dev1)
	v.Operation = "open"
	add(v, "invalid", errMalformed, []string{"inner_malformed"}, "Properly sealed, but the USMC has no type.")
}

// mrRecipient is a recipient of a multi-recipient message.
type mrRecipient struct {
	sid     serviceID
	key     keyPair
	devices []Device
}

func (g *gen) multiRecipient() {
	add := func(v SentVector, result, errName string, flags []string, comment string) {
		v.ID = g.nextID()
		v.Verdict = g.verdict(result, errName, flags, comment)
		p, e := parseSent(mustHex(v.SentMessage))
		if e != errName {
			log.Fatalf("sent %s: receiver says %q, want %q", v.Name, e, errName)
		}
		if e == "" {
			if len(p.recipients) != len(v.Recipients) || !slices.Equal(p.excluded, v.Excluded) {
				log.Fatalf("sent %s: split differs", v.Name)
			}
			for i, r := range p.recipients {
				w := v.Recipients[i]
				if r.serviceID != w.ServiceID || !slices.Equal(r.devices, w.Devices) || x(p.received(r)) != w.Received {
					log.Fatalf("sent %s: recipient %d differs", v.Name, i)
				}
				if w.Identity != nil {
					pt, e := openEnvelope(p.received(r), keyFromRaw(mustHex(w.Identity.Private)))
					if e != "" || x(pt) != v.USMC {
						log.Fatalf("sent %s: recipient %d does not open: %s", v.Name, i, e)
					}
				}
			}
		}
		if v.Ciphertext != "" && !strings.HasSuffix(v.SentMessage, v.E+v.Ciphertext) {
			log.Fatalf("sent %s: ciphertext", v.Name)
		}
		g.f.MultiRecipient = append(g.f.MultiRecipient, v)
	}
	A := mrRecipient{aci1, recipient1, []Device{{1, 0x1234}, {2, 0x3FFF}, {7, 0}}}
	B := mrRecipient{aci3, recipient3, []Device{{1, 1}}}
	C := mrRecipient{pni2, recipient2, []Device{{3, 12345}}}

	// seal builds a sent message of version from the recipients (each
	// entry: a recipient, or nil with an excluded service id) and lists
	// the split.
	type entry struct {
		r        *mrRecipient
		excluded serviceID
		devices  []Device // devices of this entry if not r.devices
		badCAT   bool     // C and AT replaced (a later duplicate)
	}
	seal := func(name string, version byte, msg []byte, entries []entry) SentVector {
		seed := drawSeed("multi-recipient " + name)
		M := chacha8Stream(seed, 32)
		var keys [][]byte
		for _, e := range entries {
			if e.r != nil {
				keys = append(keys, e.r.key.pub)
			}
		}
		s := sealV2(msg, senderKey, M, keys)
		v := SentVector{Name: name, Operation: "seal", Version: int(version), SenderIdentity: keyJSON(senderKey), DrawSeed: seed, USMC: x(msg),
			M: x(M), R: x(s.r), E: x(s.E), K: x(s.K), Ciphertext: x(s.ct)}
		if version == 0x22 {
			v.Operation = "parse"
		}
		var wire []sentEntry
		seen := map[string]int{}
		i := 0
		for _, e := range entries {
			if e.r == nil {
				sid := e.excluded.fixedWidth()
				if version == 0x22 {
					sid = e.excluded.uuid
				}
				wire = append(wire, sentEntry{sid: sid, excluded: true})
				v.Excluded = append(v.Excluded, e.excluded.String())
				continue
			}
			sid := e.r.sid.fixedWidth()
			if version == 0x22 {
				sid = e.r.sid.uuid
			}
			devices := e.r.devices
			if e.devices != nil {
				devices = e.devices
			}
			c, at := s.C[i], s.AT[i]
			if e.badCAT {
				c, at = flip(c, 0, 0xff), flip(at, 0, 0xff)
			}
			wire = append(wire, sentEntry{sid: sid, devices: devices, c: c, at: at})
			if j, dup := seen[e.r.sid.String()]; dup {
				v.Recipients[j].Devices = append(v.Recipients[j].Devices, devices...)
				v.Operation = "parse"
			} else {
				seen[e.r.sid.String()] = len(v.Recipients)
				v.Recipients = append(v.Recipients, SentRecipient{ServiceID: e.r.sid.String(), Identity: keyJSON(e.r.key),
					Devices: slices.Clone(devices), C: x(c), AT: x(at), Received: x(s.received(i))})
			}
			i++
		}
		v.SentMessage = x(encodeSent(version, wire, cat(s.E, s.ct)))
		return v
	}
	add(seal("mr_three_recipients_two_excluded", 0x23, g.usmcOf(7, "mr main", 1, groupID), []entry{{r: &A}, {r: &B}, {r: &C}, {excluded: excludedA}, {excluded: excludedP}}),
		"valid", "", []string{"aci", "pni", "excluded", "multiple_devices"},
		"A (ACI, devices 1, 2, 7 with registration ids 0x1234, 0x3fff, 0), B (ACI, one device), C (PNI), then two excluded recipients (an ACI and a PNI).")
	five := mrRecipient{aci1, recipient1, []Device{{1, 100}, {2, 200}, {3, 300}, {4, 400}, {127, 0x3FFE}}}
	add(seal("mr_one_recipient_five_devices", 0x23, g.usmcOf(2, "mr five", 0, nil), []entry{{r: &five}}), "valid", "", []string{"aci", "multiple_devices"},
		"One recipient with five devices, the last device id 127.")
	add(seal("mr_pni_and_excluded", 0x23, g.usmcOf(3, "mr pni", 0, nil), []entry{{r: &C}, {excluded: excludedA}}), "valid", "", []string{"pni", "excluded"}, "")
	var many []entry
	many = append(many, entry{r: &A}, entry{r: &C})
	for i := 0; i < 126; i++ {
		many = append(many, entry{excluded: serviceID{byte(i % 2), fixedUUID(fmt.Sprintf("many excluded %d", i))}})
	}
	add(seal("mr_128_entries", 0x23, g.usmcOf(8, "mr many", 2, nil), many), "valid", "", []string{"aci", "pni", "excluded", "two_byte_count"},
		"128 entries (2 recipients, 126 excluded): the count is the two-byte varint 80 01.")
	add(seal("mr_legacy_0x22", 0x22, g.usmcOf(2, "mr legacy", 0, nil), []entry{{r: &A}, {r: &B}}), "valid", "", []string{"legacy_sent", "aci", "multiple_devices"},
		"Legacy version 0x22: recipients are bare 16-byte ACI UUIDs. Parse only.")
	add(seal("mr_duplicate_recipient_merged", 0x23, g.usmcOf(2, "mr duplicate", 0, nil),
		[]entry{{r: &A, devices: A.devices[:1]}, {r: &B}, {r: &A, devices: A.devices[1:], badCAT: true}}), "valid", "", []string{"duplicate_recipient_merged"},
		"A appears twice, both times with devices: the split lists A once (at its first position) with the devices of both entries, and the first entry's C and AT (the second entry's are garbage). Parse only.")
	v := seal("mr_minimum_remainder", 0x23, g.usmcOf(2, "mr minimum", 0, nil), []entry{{r: &B}})
	sm := mustHex(v.SentMessage)
	sm = sm[:len(sm)-len(mustHex(v.Ciphertext))]
	v.Operation, v.SentMessage, v.USMC, v.Ciphertext = "parse", x(sm), "", ""
	v.Recipients[0].Identity = nil
	v.Recipients[0].Received = x(cat([]byte{0x22}, mustHex(v.Recipients[0].C), mustHex(v.Recipients[0].AT), mustHex(v.E)))
	add(v, "valid", "", []string{"minimum_remainder"}, "Exactly 32 bytes (E) after the recipients, no ciphertext: the parse accepts it (the split message cannot be opened).")

	// Invalid parses.
	bad := func(name string, sent []byte, errName string, flags []string, comment string) {
		add(SentVector{Name: name, Operation: "parse", SentMessage: x(sent)}, "invalid", errName, flags, comment)
	}
	two := mrRecipient{aci1, recipient1, []Device{{1, 0x1234}, {2, 0x3FFF}}}
	tv := seal("mr_truncation_base", 0x23, g.usmcOf(2, "mr truncation", 0, nil), []entry{{r: &two}, {excluded: excludedA}})
	full := mustHex(tv.SentMessage)
	header := len(full) - len(mustHex(tv.E)) - len(mustHex(tv.Ciphertext))
	add(tv, "valid", "", []string{"aci", "excluded", "multiple_devices"}, fmt.Sprintf("The base of the mr_truncated_N vectors (cut to N bytes; the entries end at byte %d).", header))
	// Cut points: every byte of the entries except inside C and AT (the
	// first, second and last bytes of each, and the boundary between
	// them), and 0, 1, 16 and 31 bytes into E.
	cabStart := 1 + 1 + 17 + 6
	for n := 0; n < header+32; n++ {
		if n > cabStart+1 && n < cabStart+47 && n != cabStart+31 && n != cabStart+32 ||
			n > header+1 && n != header+16 && n != header+31 {
			continue
		}
		flags := []string{"truncated"}
		if n >= header {
			flags = append(flags, "short_remainder")
		}
		bad(fmt.Sprintf("mr_truncated_%d", n), full[:n], errTruncated, flags, "")
	}
	shared := mustHex(tv.E + tv.Ciphertext)
	sidA, ex := aci1.fixedWidth(), excludedA.fixedWidth()
	ct, at := mustHex(tv.Recipients[0].C), mustHex(tv.Recipients[0].AT)
	raw := func(version byte, count []byte, parts ...[]byte) []byte {
		return cat([]byte{version}, count, cat(parts...), shared)
	}
	bad("mr_device_0_after_device", raw(0x23, []byte{1}, sidA, []byte{1, 0x80 | 0x12, 0x34, 0}, ct, at), errMalformed, []string{"device_id_0"},
		"Device 1 says another device follows, and the next device id is 0.")
	bad("mr_duplicate_excluded", raw(0x23, []byte{2}, ex, []byte{0}, ex, []byte{0}), errMalformed, []string{"duplicate_excluded"}, "The same excluded recipient twice.")
	bad("mr_duplicate_devices_then_excluded", raw(0x23, []byte{2}, sidA, []byte{1, 0x12, 0x34}, ct, at, sidA, []byte{0}), errMalformed, []string{"duplicate_mixed"},
		"A with a device, then A excluded.")
	bad("mr_duplicate_excluded_then_devices", raw(0x23, []byte{2}, sidA, []byte{0}, sidA, []byte{1, 0x12, 0x34}, ct, at), errMalformed, []string{"duplicate_mixed"},
		"A excluded, then A with a device.")
	for _, ver := range []byte{0x24, 0x11, 0x33} {
		bad(fmt.Sprintf("mr_version_%#02x", ver), cat([]byte{ver}, full[1:]), errUnknownVersion, []string{"unknown_version"}, "A sent message must be version 0x22 or 0x23.")
	}
	bad("mr_varint_overflow_10_bytes", raw(0x23, cat(bytes.Repeat([]byte{0xff}, 9), []byte{0x02})), errMalformed, []string{"varint_overflow"},
		"The count is a 10-byte varint of more than 64 bits.")
	bad("mr_varint_overflow_11_bytes", raw(0x23, cat(bytes.Repeat([]byte{0x80}, 10), []byte{0x01})), errMalformed, []string{"varint_overflow"},
		"The count is an 11-byte varint.")
	filler := bytes.Repeat([]byte{0x01}, 40)
	bad("mr_count_too_large", cat([]byte{0x23, 3}, sidA, []byte{1, 0x12, 0x34}, ct, at, ex, []byte{0}, filler), errTruncated, []string{"count_too_large"},
		"The count says 3 entries, 2 follow, then 40 bytes of 0x01: read as a third recipient (PNI 0101..., device 1, registration id 0x101), its C and AT run past the end.")
	bad("mr_count_huge", cat([]byte{0x23}, appendUvarint(nil, 1<<40), sidA, []byte{1, 0x12, 0x34}, ct, at, ex, []byte{0}, filler), errTruncated, []string{"count_too_large"},
		"The count is 2^40, far more than the data holds; as mr_count_too_large after the third entry.")
	bad("mr_unknown_service_id_kind", raw(0x23, []byte{1}, cat([]byte{2}, aci1.uuid), []byte{1, 0x12, 0x34}, ct, at), errMalformed, []string{"unknown_service_id_kind"},
		"Service id kind byte 0x02 (only 0x00 ACI and 0x01 PNI exist).")
}
