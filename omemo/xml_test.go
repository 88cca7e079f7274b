package omemo

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestParseForeignXML parses elements written the way other clients write
// them (double quotes, prefixes, whitespace inside base64, attributes in
// another order, kex="true", unknown children).
func TestParseForeignXML(t *testing.T) {
	l, err := ParseDeviceList([]byte(`<?xml version="1.0"?>
<ns0:devices xmlns:ns0="urn:xmpp:omemo:2">
  <ns0:device label="Gajim &amp; co" id="12345"/>
  <ns0:device id="4223"/>
  <ns0:device id="4223"/>
  <other xmlns="urn:example"/>
</ns0:devices>`))
	if err != nil {
		t.Fatal(err)
	}
	if l.Version != V2 || len(l.Devices) != 2 || l.Devices[0] != (Device{ID: 12345, Label: "Gajim & co"}) || l.Devices[1].ID != 4223 {
		t.Fatalf("%+v", l)
	}
	l, err = ParseDeviceList([]byte(`<list xmlns="eu.siacs.conversations.axolotl"><device id="1"/></list>`))
	if err != nil || l.Version != V03 || len(l.Devices) != 1 {
		t.Fatalf("%+v, %v", l, err)
	}

	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xab}, 40))
	wrapped := key[:20] + "\n    " + key[20:]
	e, err := ParseEncrypted([]byte(fmt.Sprintf(`<encrypted xmlns="urn:xmpp:omemo:2"><header sid="27183">
  <keys jid="juliet@capulet.lit"><key kex="true" rid="31415">%s</key><key rid="12321">%s</key></keys>
  <keys jid="romeo@montague.lit"><key rid="4223">%s</key></keys>
</header><payload>%s</payload></encrypted>`, wrapped, key, key, key)))
	if err != nil {
		t.Fatal(err)
	}
	if e.Version != V2 || e.SenderDevice != 27183 || len(e.Keys) != 3 || !e.Keys[0].KeyExchange || e.Keys[1].KeyExchange ||
		e.Keys[2].JID != "romeo@montague.lit" || len(e.Keys[0].Data) != 40 || len(e.Payload) != 40 {
		t.Fatalf("%+v", e)
	}
	e, err = ParseEncrypted([]byte(fmt.Sprintf(`<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'><key prekey='1' rid='2'>%s</key><key rid='3'>%s</key><iv>AAAAAAAAAAAAAAAA</iv></header></encrypted>`, key, key)))
	if err != nil {
		t.Fatal(err)
	}
	if e.Version != V03 || len(e.Keys) != 2 || !e.Keys[0].KeyExchange || e.Keys[0].JID != "" || len(e.IV) != 12 || e.Payload != nil {
		t.Fatalf("%+v", e)
	}
}

// TestXMLWrites checks what we write: no kex='false' or prekey='false'
// (python-omemo reads any value as true), escaped JIDs and labels, keys
// grouped by JID.
func TestXMLWrites(t *testing.T) {
	e := &Encrypted{Version: V2, SenderDevice: 5, Payload: []byte{1}, Keys: []Key{
		{JID: "a@x", DeviceID: 1, Data: []byte{1}},
		{JID: "b'<@x", DeviceID: 2, KeyExchange: true, Data: []byte{2}},
		{JID: "a@x", DeviceID: 3, Data: []byte{3}},
	}}
	x, err := e.XML()
	if err != nil {
		t.Fatal(err)
	}
	s := string(x)
	if strings.Contains(s, "false") || strings.Count(s, "<keys ") != 2 || !strings.Contains(s, "kex='true'") || !strings.Contains(s, "b&#39;&lt;@x") {
		t.Fatal(s)
	}
	back, err := ParseEncrypted(x)
	if err != nil || back.Keys[1].JID != "a@x" || back.Keys[1].DeviceID != 3 || back.Keys[2].JID != "b'<@x" {
		t.Fatalf("%+v, %v", back, err)
	}
	e.Version = V03
	e.IV = make([]byte, 12)
	x, _ = e.XML()
	if s := string(x); strings.Contains(s, "false") || strings.Contains(s, "jid") || !strings.Contains(s, "prekey='true'") || !strings.Contains(s, "<iv>") {
		t.Fatal(s)
	}
	l := &DeviceList{Version: V2, Devices: []Device{{ID: 1, Label: `"quoted" & <tag>`}}}
	x, _ = l.XML()
	back2, err := ParseDeviceList(x)
	if err != nil || back2.Devices[0].Label != l.Devices[0].Label {
		t.Fatalf("%s: %+v, %v", x, back2, err)
	}
}

func TestXMLRejects(t *testing.T) {
	good := newTestDevice(t, V2, "a@x", 1, 2)
	bx, _ := good.bundle.XML()
	for name, tc := range map[string]struct {
		data  string
		parse func([]byte) error
		want  error
	}{
		"bundle wrong ns":       {strings.Replace(string(bx), NamespaceV2, "urn:xmpp:omemo:1", 1), parseBundle, ErrInvalidXML},
		"bundle bad signature":  {strings.Replace(string(bx), "<spks>", "<spks>AAAA", 1), parseBundle, ErrInvalidXML},
		"bundle not xml":        {"<bundle", parseBundle, ErrInvalidXML},
		"bundle too large":      {string(bx) + strings.Repeat(" ", MaxBundleXMLSize), parseBundle, ErrTooLarge},
		"bundle no ik":          {strings.Replace(string(bx), "<ik>", "<ix>", 1), parseBundle, ErrInvalidXML},
		"device id not a uint":  {"<devices xmlns='urn:xmpp:omemo:2'><device id='-1'/></devices>", parseList, ErrInvalidXML},
		"device id 2^32":        {"<devices xmlns='urn:xmpp:omemo:2'><device id='4294967296'/></devices>", parseList, ErrInvalidXML},
		"device without id":     {"<devices xmlns='urn:xmpp:omemo:2'><device/></devices>", parseList, ErrInvalidXML},
		"list in wrong ns":      {"<list xmlns='urn:xmpp:omemo:2'><device id='1'/></list>", parseList, ErrInvalidXML},
		"too many devices":      {"<list xmlns='eu.siacs.conversations.axolotl'>" + strings.Repeat("<device id='1'/>", MaxDevices+1) + "</list>", parseList, ErrTooLarge},
		"encrypted no header":   {"<encrypted xmlns='urn:xmpp:omemo:2'/>", parseEnc, ErrInvalidXML},
		"encrypted no sid":      {"<encrypted xmlns='urn:xmpp:omemo:2'><header/></encrypted>", parseEnc, ErrInvalidXML},
		"encrypted bad kex":     {"<encrypted xmlns='urn:xmpp:omemo:2'><header sid='1'><keys jid='a'><key rid='1' kex='yes'>AA==</key></keys></header></encrypted>", parseEnc, ErrInvalidXML},
		"encrypted keys no jid": {"<encrypted xmlns='urn:xmpp:omemo:2'><header sid='1'><keys><key rid='1'>AA==</key></keys></header></encrypted>", parseEnc, ErrInvalidXML},
		"legacy without iv":     {"<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'><key rid='1'>AA==</key></header></encrypted>", parseEnc, ErrInvalidXML},
		"bad base64":            {"<encrypted xmlns='urn:xmpp:omemo:2'><header sid='1'/><payload>!!</payload></encrypted>", parseEnc, ErrInvalidXML},
		"too many keys":         {"<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'>" + strings.Repeat("<key rid='1'>AA==</key>", MaxMessageKeys+1) + "<iv>AA==</iv></header></encrypted>", parseEnc, ErrTooLarge},
	} {
		err := tc.parse([]byte(tc.data))
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	// A bundle whose signature is wrong (but well-formed) is refused as such.
	b := *good.bundle
	b.SignedPreKeySignature = bytes.Clone(b.SignedPreKeySignature)
	b.SignedPreKeySignature[5] ^= 1
	x, _ := b.XML()
	if _, err := ParseBundle(x, 1); !errors.Is(err, ErrBadSignature) {
		t.Errorf("bad signature: %v", err)
	}
}

func parseBundle(b []byte) error { _, err := ParseBundle(b, 1); return err }
func parseList(b []byte) error   { _, err := ParseDeviceList(b); return err }
func parseEnc(b []byte) error    { _, err := ParseEncrypted(b); return err }
