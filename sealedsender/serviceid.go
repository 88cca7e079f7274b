package sealedsender

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// ServiceIDKind is the kind of a service id.
type ServiceIDKind uint8

// The service id kinds, as in their fixed-width binary form.
const (
	// ACI is an account identity: the account's own UUID.
	ACI ServiceIDKind = 0
	// PNI is a phone-number identity.
	PNI ServiceIDKind = 1
)

// ServiceIDSize is the size of a service id's fixed-width binary form: the
// kind byte and the UUID.
const ServiceIDSize = 17

// ServiceID names an account on the Signal service: an ACI or a PNI.
// Session addresses of Signal apps use its string form as their name.
type ServiceID struct {
	Kind ServiceIDKind
	UUID [16]byte
}

// ParseServiceID parses the string form of a service id: a hyphenated UUID
// for an ACI (any case), "PNI:" and a hyphenated UUID for a PNI.
func ParseServiceID(s string) (ServiceID, error) {
	id := ServiceID{Kind: ACI}
	if rest, ok := strings.CutPrefix(s, "PNI:"); ok {
		id.Kind, s = PNI, rest
	}
	u, ok := parseUUID(s)
	if !ok {
		return ServiceID{}, fmt.Errorf("%w: %q is not a service id", ErrInvalidArgument, s)
	}
	id.UUID = u
	return id, nil
}

// parseUUID parses the hyphenated 36-character form of a UUID.
func parseUUID(s string) ([16]byte, bool) {
	var u [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		return u, false
	}
	return u, true
}

// formatUUID writes the lowercase hyphenated form of u.
func formatUUID(u [16]byte) string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], u[10:16])
	return string(b[:])
}

// String returns the service id's string form: the lowercase UUID for an
// ACI, "PNI:" and the UUID for a PNI.
func (id ServiceID) String() string {
	switch id.Kind {
	case ACI:
		return formatUUID(id.UUID)
	case PNI:
		return "PNI:" + formatUUID(id.UUID)
	}
	return fmt.Sprintf("ServiceIDKind(%d):%s", id.Kind, formatUUID(id.UUID))
}

// appendBinary appends the fixed-width binary form: the kind byte and the
// UUID.
func (id ServiceID) appendBinary(b []byte) []byte {
	b = append(b, byte(id.Kind))
	return append(b, id.UUID[:]...)
}

// parseServiceIDBinary reads the fixed-width binary form.
func parseServiceIDBinary(b []byte) (ServiceID, bool) {
	if len(b) != ServiceIDSize || b[0] > byte(PNI) {
		return ServiceID{}, false
	}
	id := ServiceID{Kind: ServiceIDKind(b[0])}
	copy(id.UUID[:], b[1:])
	return id, true
}
