package sealedsender

import (
	"bytes"
	"errors"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// sentBuilder writes sent messages by hand, for the parser's rules.
type sentBuilder struct{ b []byte }

func newSent(version byte, count uint64) *sentBuilder {
	return &sentBuilder{b: protowire.AppendVarint([]byte{version}, count)}
}

func (s *sentBuilder) id(kind byte, n byte) *sentBuilder {
	s.b = append(s.b, kind)
	s.b = append(s.b, bytes.Repeat([]byte{n}, 16)...)
	return s
}

func (s *sentBuilder) raw(b ...byte) *sentBuilder { s.b = append(s.b, b...); return s }

func (s *sentBuilder) km(n byte) *sentBuilder {
	s.b = append(s.b, bytes.Repeat([]byte{n}, keyMaterialSize)...)
	return s
}

func (s *sentBuilder) shared() []byte { return append(s.b, bytes.Repeat([]byte{0xEE}, 48)...) }

func TestParseSentMessageRules(t *testing.T) {
	// Recipient 1 twice with devices: joined, first key material kept.
	m, err := ParseSentMessage(newSent(0x23, 3).
		id(0, 1).raw(1, 0x80, 5, 2, 0, 6).km(0xA1).
		id(1, 2).raw(0).
		id(0, 1).raw(3, 0x3F, 0xFF).km(0xA2).shared())
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Recipients) != 1 || len(m.Excluded) != 1 || m.Excluded[0].Kind != PNI {
		t.Fatalf("%+v", m)
	}
	r := m.Recipients[0]
	if len(r.Devices) != 3 || r.Devices[0] != (Device{1, 5}) || r.Devices[1] != (Device{2, 6}) || r.Devices[2] != (Device{3, MaxRegistrationID}) {
		t.Fatalf("devices %+v", r.Devices)
	}
	msg := m.MessageFor(&r)
	if msg[0] != 0x22 || msg[1] != 0xA1 || len(msg) != 1+keyMaterialSize+48 {
		t.Fatal("received message")
	}
	// Legacy 0x22: bare ACI UUIDs.
	m, err = ParseSentMessage(newSent(0x22, 1).raw(bytes.Repeat([]byte{9}, 16)...).raw(1, 0, 7).km(1).shared())
	if err != nil || len(m.Recipients) != 1 || m.Recipients[0].ServiceID.Kind != ACI || m.Recipients[0].ServiceID.UUID[0] != 9 {
		t.Fatalf("legacy: %v", err)
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrInvalidMessage},
		{"version 0x24", newSent(0x24, 0).shared(), ErrUnknownVersion},
		{"version 0x11", newSent(0x11, 0).shared(), ErrUnknownVersion},
		{"device 0 after a device", newSent(0x23, 1).id(0, 1).raw(1, 0x80, 5, 0).km(1).shared(), ErrInvalidMessage},
		{"device 128", newSent(0x23, 1).id(0, 1).raw(128, 0, 5).km(1).shared(), ErrInvalidMessage},
		{"excluded twice", newSent(0x23, 2).id(0, 1).raw(0).id(0, 1).raw(0).shared(), ErrInvalidMessage},
		{"excluded then included", newSent(0x23, 2).id(0, 1).raw(0).id(0, 1).raw(1, 0, 1).km(1).shared(), ErrInvalidMessage},
		{"included then excluded", newSent(0x23, 2).id(0, 1).raw(1, 0, 1).km(1).id(0, 1).raw(0).shared(), ErrInvalidMessage},
		{"service id kind 2", newSent(0x23, 1).id(2, 1).raw(0).shared(), ErrInvalidMessage},
		{"no ephemeral key", newSent(0x23, 1).id(0, 1).raw(0).raw(make([]byte, 31)...).b, ErrInvalidMessage},
		{"count beyond the data", newSent(0x23, 1000).id(0, 1).raw(0).shared(), ErrInvalidMessage},
		{"count overflows", append([]byte{0x23}, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01), ErrInvalidMessage},
		{"truncated key material", newSent(0x23, 1).id(0, 1).raw(1, 0, 1).raw(1, 2, 3).b, ErrInvalidMessage},
	} {
		if _, err := ParseSentMessage(tc.b); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// Every truncation of a valid message fails.
	valid := newSent(0x23, 2).id(0, 1).raw(1, 0x80, 5, 2, 0, 6).km(0xA1).id(1, 2).raw(0).shared()
	for n := range len(valid) - 32 {
		if _, err := ParseSentMessage(valid[:n]); err == nil {
			t.Fatalf("truncated to %d bytes: accepted", n)
		}
	}
}

func TestSealV2Arguments(t *testing.T) {
	w := newWorld(t)
	alice := newDevice(t, w, newUUID(), 1, nil)
	c := &Content{Type: TypeSenderKey, Certificate: alice.cert, Body: []byte("x")}
	sid, _ := ParseServiceID(newUUID())
	key := alice.id.PublicKey()
	for _, r := range []Recipient{
		{ServiceID: sid, IdentityKey: key},
		{ServiceID: sid, IdentityKey: key, Devices: []Device{{ID: 0}}},
		{ServiceID: sid, IdentityKey: key, Devices: []Device{{ID: 128}}},
		{ServiceID: sid, IdentityKey: key, Devices: []Device{{ID: 1, RegistrationID: MaxRegistrationID + 1}}},
		{ServiceID: sid, Devices: []Device{{ID: 1}}},
	} {
		if _, err := SealV2(c, alice.id, []Recipient{r}, nil); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%+v: %v", r, err)
		}
	}
	// Excluded and included at once, or excluded twice: the message would
	// not parse anywhere.
	ok := Recipient{ServiceID: sid, IdentityKey: key, Devices: []Device{{ID: 1}}}
	other, _ := ParseServiceID("PNI:" + newUUID())
	for _, tc := range []struct {
		recipients []Recipient
		excluded   []ServiceID
	}{
		{[]Recipient{ok}, []ServiceID{sid}},
		{nil, []ServiceID{other, other}},
	} {
		if _, err := SealV2(c, alice.id, tc.recipients, tc.excluded); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%v excluded: %v", tc.excluded, err)
		}
	}
	// A recipient listed twice with devices is legal (libsignal joins the
	// devices), and so is an empty exclusion list.
	if _, err := SealV2(c, alice.id, []Recipient{ok, ok}, []ServiceID{other}); err != nil {
		t.Fatal(err)
	}
}
