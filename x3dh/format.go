package x3dh

import (
	"fmt"
	"io"
	"strconv"
)

// The types below hold private keys or derived secrets. Each implements
// fmt.Formatter with a value receiver, so that no verb or flag prints a
// secret byte whether the value is formatted itself, through a pointer, or
// as a field, slice element or map value of something else. (String and
// GoString alone do not cover %d, %o, %b, %c, %U, %e, %f, %g or %t, and fmt
// prints what an unexported pointer field points to under verbs such as %s
// or %t without calling its methods.)

// Format prints String for every verb and flag. It has a value receiver,
// so a GenericResult value does not print SK either.
func (r GenericResult) Format(f fmt.State, _ rune) { io.WriteString(f, r.String()) }

// String describes the handshake and its public message; the keys are
// redacted.
func (in Initiation) String() string {
	return "x3dh.Initiation{version: " + in.Version.String() + ", keys: REDACTED, message: " + in.Message.summary() + "}"
}

// GoString is String.
func (in Initiation) GoString() string { return in.String() }

// Format prints String for every verb and flag.
func (in Initiation) Format(f fmt.State, _ rune) { io.WriteString(f, in.String()) }

// summary describes m's public content, with the KEM ciphertext as its
// length.
func (m *Message) summary() string {
	s := "{identity " + m.IdentityKey.String() + ", base key " + m.BaseKey.String() +
		", signed prekey " + strconv.FormatUint(uint64(m.SignedPreKeyID), 10)
	if m.HasOneTimePreKey {
		s += ", one-time prekey " + strconv.FormatUint(uint64(m.OneTimePreKeyID), 10)
	}
	if len(m.KEMCiphertext) > 0 {
		s += ", KEM prekey " + strconv.FormatUint(uint64(m.KEMPreKeyID), 10) +
			", KEM ciphertext " + strconv.Itoa(len(m.KEMCiphertext)) + " bytes"
	}
	return s + "}"
}

// String names the public keys only; every private key is redacted.
func (k ResponderKeys) String() string {
	s := "x3dh.ResponderKeys(REDACTED"
	if k.Identity != nil {
		s += ", identity " + k.Identity.PublicKey().String()
	}
	s += ", signed prekey " + k.SignedPreKey.Public.String()
	if k.OneTimePreKey != nil {
		s += ", one-time prekey " + k.OneTimePreKey.Public.String()
	}
	if k.KEMPreKey != nil {
		s += ", KEM prekey " + k.KEMPreKey.Public.Type().String()
	}
	return s + ")"
}

// GoString is String.
func (k ResponderKeys) GoString() string { return k.String() }

// Format prints String for every verb and flag.
func (k ResponderKeys) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// String gives the id and public key; the private key is redacted.
func (k SignedPreKey) String() string {
	return "x3dh.SignedPreKey{id: " + strconv.FormatUint(uint64(k.ID), 10) +
		", public: " + k.KeyPair.Public.String() + ", private: REDACTED}"
}

// GoString is String.
func (k SignedPreKey) GoString() string { return k.String() }

// Format prints String for every verb and flag.
func (k SignedPreKey) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// String gives the id and public key; the private key is redacted.
func (k OneTimePreKey) String() string {
	return "x3dh.OneTimePreKey{id: " + strconv.FormatUint(uint64(k.ID), 10) +
		", public: " + k.KeyPair.Public.String() + ", private: REDACTED}"
}

// GoString is String.
func (k OneTimePreKey) GoString() string { return k.String() }

// Format prints String for every verb and flag.
func (k OneTimePreKey) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// String gives the id and KEM type; the private key is redacted.
func (k KEMPreKey) String() string {
	return "x3dh.KEMPreKey{id: " + strconv.FormatUint(uint64(k.ID), 10) +
		", type: " + k.KeyPair.Public.Type().String() + ", private: REDACTED}"
}

// GoString is String.
func (k KEMPreKey) GoString() string { return k.String() }

// Format prints String for every verb and flag.
func (k KEMPreKey) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// String describes the public key; the private key is redacted.
func (kp KEMKeyPair) String() string {
	return "x3dh.KEMKeyPair(REDACTED, public " + kp.Public.String() + ")"
}

// GoString is String.
func (kp KEMKeyPair) GoString() string { return kp.String() }

// Format prints String for every verb and flag.
func (kp KEMKeyPair) Format(f fmt.State, _ rune) { io.WriteString(f, kp.String()) }
