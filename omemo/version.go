package omemo

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
)

// Version is an OMEMO version: a namespace with its own key formats,
// Double Ratchet labels, messages and payload encryption.
type Version uint8

const (
	// V03 is OMEMO 0.3, namespace eu.siacs.conversations.axolotl (what
	// python-omemo calls oldmemo): Signal's v3 session (X3DH with info
	// "WhisperText", libsignal's Double Ratchet and message formats) and an
	// AES-128-GCM payload.
	V03 Version = 1
	// V2 is OMEMO 2, namespace urn:xmpp:omemo:2 (XEP-0384 0.8 and later;
	// python-omemo's twomemo): X3DH with Ed25519 identity keys and info
	// "OMEMO X3DH", the Double Ratchet with OMEMO's labels and its own
	// protobuf messages, and an AES-256-CBC + HMAC payload.
	V2 Version = 2
)

// Namespaces of the two versions.
const (
	NamespaceV03 = "eu.siacs.conversations.axolotl"
	NamespaceV2  = "urn:xmpp:omemo:2"
)

// Namespace returns v's XML namespace ("" for an unknown Version).
func (v Version) Namespace() string {
	switch v {
	case V03:
		return NamespaceV03
	case V2:
		return NamespaceV2
	}
	return ""
}

// String returns "OMEMO 0.3" or "OMEMO 2".
func (v Version) String() string {
	switch v {
	case V03:
		return "OMEMO 0.3"
	case V2:
		return "OMEMO 2"
	}
	return fmt.Sprintf("omemo.Version(%d)", uint8(v))
}

func (v Version) check() error {
	if v != V03 && v != V2 {
		return fmt.Errorf("%w: %d", ErrVersion, uint8(v))
	}
	return nil
}

func versionOf(ns string) (Version, bool) {
	switch ns {
	case NamespaceV03:
		return V03, true
	case NamespaceV2:
		return V2, true
	}
	return 0, false
}

// MaxDeviceID is the largest device id XEP-0384 allows (2^31 - 1; ids
// start at 1).
const MaxDeviceID = 1<<31 - 1

// NewDeviceID returns a random device id in 1..MaxDeviceID, as the XEP
// asks. The app checks that its account's device list does not hold it
// yet before publishing it.
func NewDeviceID() uint32 {
	var b [4]byte
	for {
		rand.Read(b[:]) // never fails
		if id := binary.BigEndian.Uint32(b[:]) & MaxDeviceID; id != 0 {
			return id
		}
	}
}
