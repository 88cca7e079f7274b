package omemo

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
)

// Limits of the XML parsers. Inputs beyond them are refused with a
// *LimitError before or while parsing.
const (
	// MaxBundleXMLSize bounds a <bundle/> element: 64 KiB holds a bundle
	// with MaxBundlePreKeys prekeys.
	MaxBundleXMLSize = 64 << 10
	// MaxBundlePreKeys bounds the prekeys of a bundle (XEP-0384 asks for
	// at least 25; python-omemo publishes 100).
	MaxBundlePreKeys = 1000
	// MaxDeviceListXMLSize bounds a device list element.
	MaxDeviceListXMLSize = 64 << 10
	// MaxDevices bounds the devices of a device list.
	MaxDevices = 1000
	// MaxDeviceLabelSize bounds a device label (bytes).
	MaxDeviceLabelSize = 256
	// MaxEncryptedXMLSize bounds an <encrypted/> element: the base64 of a
	// MaxPayloadSize payload and MaxMessageKeys keys.
	MaxEncryptedXMLSize = MaxPayloadSize/3*4 + 4 + MaxMessageKeys*(MaxMessageSize/3*4+256)
	// MaxMessageKeys bounds the <key/> elements of one message (recipient
	// devices, over all recipients).
	MaxMessageKeys = 1000
	// MaxEncryptedTags bounds the markup of an <encrypted/> element,
	// counted as its '<' characters (start, end and empty-element tags,
	// comments, declarations) before it is parsed: room for a <keys/> and
	// a <key/> per device of MaxMessageKeys devices (two tags each), the
	// header, IV and payload. encoding/xml allocates for every element, so
	// without this count a MaxEncryptedXMLSize input of tiny elements
	// (1.2 million <key/>) cost hundreds of MiB before any other limit
	// applied.
	MaxEncryptedTags = 4*MaxMessageKeys + 64
	// MaxEncryptedEquals bounds the '=' characters of an <encrypted/>
	// element, counted before it is parsed: one per attribute (the parser
	// is strict, so every attribute has one) and up to two of base64
	// padding per value. It bounds the attributes, for which encoding/xml
	// would otherwise allocate without limit.
	MaxEncryptedEquals = 8*MaxMessageKeys + 64
)

// checkMarkup counts the '<' and '=' of an <encrypted/> element without
// allocating, and refuses it beyond MaxEncryptedTags or
// MaxEncryptedEquals before encoding/xml sees it.
func checkMarkup(data []byte) error {
	if n := bytes.Count(data, []byte{'<'}); n > MaxEncryptedTags {
		return limit("MaxEncryptedTags", MaxEncryptedTags, n)
	}
	if n := bytes.Count(data, []byte{'='}); n > MaxEncryptedEquals {
		return limit("MaxEncryptedEquals", MaxEncryptedEquals, n)
	}
	return nil
}

// decodeB64 decodes standard base64, ignoring XML whitespace (senders
// wrap long values), and checks the decoded length when want >= 0.
func decodeB64(what, s string, want int) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r':
			return -1
		}
		return r
	}, s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: bad base64", ErrInvalidXML, what)
	}
	if want >= 0 && len(b) != want {
		return nil, fmt.Errorf("%w: %s of %d bytes, want %d", ErrInvalidXML, what, len(b), want)
	}
	return b, nil
}

func parseUint32(what, s string) (uint32, error) {
	v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%w: %s %q is not a uint32", ErrInvalidXML, what, s)
	}
	return uint32(v), nil
}

func parseBool(s string) (bool, error) {
	switch strings.TrimSpace(s) {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, fmt.Errorf("%w: %q is not an xs:boolean", ErrInvalidXML, s)
}

// unmarshalXML decodes data into v with encoding/xml, after the size
// check, and returns the root's name.
func unmarshalXML(data []byte, max int, name string, v any) error {
	if len(data) > max {
		return limit(name, max, len(data))
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidXML, err)
	}
	return nil
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// escape escapes s for an attribute value (quotes included), and '='
// too: ParseEncrypted counts the '=' of its input (MaxEncryptedEquals)
// before it parses, so that an element it accepted, once re-encoded,
// stays under the count.
func escape(s string) string {
	var sb strings.Builder
	xml.EscapeText(&sb, []byte(s)) // never fails on a strings.Builder
	return strings.ReplaceAll(sb.String(), "=", "&#61;")
}

// --- device lists ---

// DeviceList is a user's published device list: <devices/> in
// urn:xmpp:omemo:2 (node urn:xmpp:omemo:2:devices), <list/> in
// eu.siacs.conversations.axolotl (node ...axolotl.devicelist).
type DeviceList struct {
	// Version is the namespace of the list (V2 or V03).
	Version Version
	// Devices are the listed devices, without repeated ids.
	Devices []Device
}

// Device is one entry of a device list.
type Device struct {
	// ID is the device id (1 to 2^31-1 for devices that follow the XEP).
	ID uint32
	// Label is OMEMO 2's optional human-readable label ("" for none;
	// OMEMO 0.3 has none).
	Label string
}

type xmlDeviceList struct {
	XMLName xml.Name
	Devices []struct {
		ID    *string `xml:"id,attr"`
		Label *string `xml:"label,attr"`
	} `xml:"device"`
}

// ParseDeviceList parses a <devices/> (OMEMO 2) or <list/> (OMEMO 0.3)
// element, its namespace telling the Version. Errors wrap ErrInvalidXML or
// ErrTooLarge.
func ParseDeviceList(data []byte) (*DeviceList, error) {
	var x xmlDeviceList
	if err := unmarshalXML(data, MaxDeviceListXMLSize, "MaxDeviceListXMLSize", &x); err != nil {
		return nil, err
	}
	v, ok := versionOf(x.XMLName.Space)
	if !ok || (v == V2 && x.XMLName.Local != "devices") || (v == V03 && x.XMLName.Local != "list") {
		return nil, fmt.Errorf("%w: root element {%s}%s is not a device list", ErrInvalidXML, x.XMLName.Space, x.XMLName.Local)
	}
	if len(x.Devices) > MaxDevices {
		return nil, limit("MaxDevices", MaxDevices, len(x.Devices))
	}
	l := &DeviceList{Version: v, Devices: make([]Device, 0, len(x.Devices))}
	seen := make(map[uint32]bool, len(x.Devices))
	for _, d := range x.Devices {
		if d.ID == nil {
			return nil, fmt.Errorf("%w: device without id", ErrInvalidXML)
		}
		id, err := parseUint32("device id", *d.ID)
		if err != nil {
			return nil, err
		}
		if seen[id] {
			continue // a repeated id adds nothing
		}
		seen[id] = true
		dev := Device{ID: id}
		if d.Label != nil && v == V2 {
			if len(*d.Label) > MaxDeviceLabelSize {
				return nil, limit("MaxDeviceLabelSize", MaxDeviceLabelSize, len(*d.Label))
			}
			dev.Label = *d.Label
		}
		l.Devices = append(l.Devices, dev)
	}
	return l, nil
}

// XML returns the device list element.
func (l *DeviceList) XML() ([]byte, error) {
	if err := l.Version.check(); err != nil {
		return nil, err
	}
	root := "devices"
	if l.Version == V03 {
		root = "list"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<%s xmlns='%s'>", root, l.Version.Namespace())
	for _, d := range l.Devices {
		fmt.Fprintf(&b, "<device id='%d'", d.ID)
		if d.Label != "" && l.Version == V2 {
			fmt.Fprintf(&b, " label='%s'", escape(d.Label))
		}
		b.WriteString("/>")
	}
	fmt.Fprintf(&b, "</%s>", root)
	return []byte(b.String()), nil
}

// --- encrypted messages ---

// Encrypted is an <encrypted/> element: the sender's device id, one key
// per recipient device, and the payload (nil for an empty OMEMO message).
type Encrypted struct {
	// Version is the namespace of the element (V2 or V03).
	Version Version
	// SenderDevice is the sender's device id (the header's sid).
	SenderDevice uint32
	// Keys are the encrypted key material, one per recipient device.
	Keys []Key
	// IV is OMEMO 0.3's payload IV (nil in OMEMO 2).
	IV []byte
	// Payload is the encrypted content, nil when there is none.
	Payload []byte
}

// Key is the key material for one recipient device: in OMEMO 2 a
// serialized OMEMOKeyExchange (KeyExchange set) or
// OMEMOAuthenticatedMessage; in OMEMO 0.3 a serialized PreKeySignalMessage
// (KeyExchange set, the prekey attribute) or SignalMessage.
type Key struct {
	// JID is the recipient's bare JID (OMEMO 2 groups keys by JID; OMEMO
	// 0.3 has no JID: "").
	JID string
	// DeviceID is the recipient device (rid).
	DeviceID uint32
	// KeyExchange marks a message that starts a session (kex / prekey).
	KeyExchange bool
	// Data is the serialized message.
	Data []byte
}

type xmlKey struct {
	RID     *string `xml:"rid,attr"`
	Kex     string  `xml:"kex,attr"`
	PreKey  string  `xml:"prekey,attr"`
	Content string  `xml:",chardata"`
}

type xmlEncrypted struct {
	XMLName xml.Name
	Header  *struct {
		SID  *string  `xml:"sid,attr"`
		Key  []xmlKey `xml:"key"`
		Keys []struct {
			JID *string  `xml:"jid,attr"`
			Key []xmlKey `xml:"key"`
		} `xml:"keys"`
		IV *string `xml:"iv"`
	} `xml:"header"`
	Payload *string `xml:"payload"`
}

// ParseEncrypted parses an <encrypted/> element of either namespace.
// Errors wrap ErrInvalidXML or ErrTooLarge. Its memory use is bounded by
// a small multiple of len(data): the size, the markup (MaxEncryptedTags,
// MaxEncryptedEquals) and the keys (MaxMessageKeys) are checked before the
// element is decoded.
func ParseEncrypted(data []byte) (*Encrypted, error) {
	if len(data) > MaxEncryptedXMLSize {
		return nil, limit("MaxEncryptedXMLSize", MaxEncryptedXMLSize, len(data))
	}
	if err := checkMarkup(data); err != nil {
		return nil, err
	}
	var x xmlEncrypted
	if err := unmarshalXML(data, MaxEncryptedXMLSize, "MaxEncryptedXMLSize", &x); err != nil {
		return nil, err
	}
	v, ok := versionOf(x.XMLName.Space)
	if !ok || x.XMLName.Local != "encrypted" {
		return nil, fmt.Errorf("%w: root element {%s}%s is not <encrypted/>", ErrInvalidXML, x.XMLName.Space, x.XMLName.Local)
	}
	h := x.Header
	if h == nil || h.SID == nil {
		return nil, fmt.Errorf("%w: no header or no sid", ErrInvalidXML)
	}
	e := &Encrypted{Version: v}
	var err error
	if e.SenderDevice, err = parseUint32("sid", *h.SID); err != nil {
		return nil, err
	}
	n := len(h.Key)
	for _, ks := range h.Keys {
		n += len(ks.Key)
	}
	if n > MaxMessageKeys {
		return nil, limit("MaxMessageKeys", MaxMessageKeys, n)
	}
	add := func(jid string, k xmlKey) error {
		if k.RID == nil {
			return fmt.Errorf("%w: key without rid", ErrInvalidXML)
		}
		rid, err := parseUint32("rid", *k.RID)
		if err != nil {
			return err
		}
		flag := k.Kex
		if v == V03 {
			flag = k.PreKey
		}
		kex, err := parseBool(flag)
		if err != nil {
			return err
		}
		if len(k.Content) > MaxMessageSize/3*4+64 {
			return limit("MaxMessageSize", MaxMessageSize, len(k.Content)/4*3)
		}
		d, err := decodeB64("key", k.Content, -1)
		if err != nil {
			return err
		}
		e.Keys = append(e.Keys, Key{JID: jid, DeviceID: rid, KeyExchange: kex, Data: d})
		return nil
	}
	if v == V2 {
		for _, ks := range h.Keys {
			if ks.JID == nil {
				return nil, fmt.Errorf("%w: <keys/> without jid", ErrInvalidXML)
			}
			for _, k := range ks.Key {
				if err := add(*ks.JID, k); err != nil {
					return nil, err
				}
			}
		}
	} else {
		for _, k := range h.Key {
			if err := add("", k); err != nil {
				return nil, err
			}
		}
		if h.IV == nil {
			return nil, fmt.Errorf("%w: OMEMO 0.3 header without <iv/>", ErrInvalidXML)
		}
		if e.IV, err = decodeB64("iv", *h.IV, -1); err != nil {
			return nil, err
		}
	}
	if x.Payload != nil {
		if e.Payload, err = decodeB64("payload", *x.Payload, -1); err != nil {
			return nil, err
		}
		if len(e.Payload) > MaxPayloadSize+16 {
			return nil, limit("MaxPayloadSize", MaxPayloadSize, len(e.Payload))
		}
	}
	return e, nil
}

// XML returns the <encrypted/> element. OMEMO 2 groups the keys by JID,
// in the order of first appearance.
func (e *Encrypted) XML() ([]byte, error) {
	if err := e.Version.check(); err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<encrypted xmlns='%s'><header sid='%d'>", e.Version.Namespace(), e.SenderDevice)
	key := func(k Key) {
		fmt.Fprintf(&b, "<key rid='%d'", k.DeviceID)
		if k.KeyExchange {
			if e.Version == V2 {
				b.WriteString(" kex='true'")
			} else {
				b.WriteString(" prekey='true'")
			}
		}
		fmt.Fprintf(&b, ">%s</key>", b64(k.Data))
	}
	if e.Version == V2 {
		var jids []string
		for _, k := range e.Keys {
			found := false
			for _, j := range jids {
				found = found || j == k.JID
			}
			if !found {
				jids = append(jids, k.JID)
			}
		}
		for _, j := range jids {
			fmt.Fprintf(&b, "<keys jid='%s'>", escape(j))
			for _, k := range e.Keys {
				if k.JID == j {
					key(k)
				}
			}
			b.WriteString("</keys>")
		}
	} else {
		for _, k := range e.Keys {
			key(k)
		}
		fmt.Fprintf(&b, "<iv>%s</iv>", b64(e.IV))
	}
	b.WriteString("</header>")
	if e.Payload != nil {
		fmt.Fprintf(&b, "<payload>%s</payload>", b64(e.Payload))
	}
	b.WriteString("</encrypted>")
	return []byte(b.String()), nil
}
