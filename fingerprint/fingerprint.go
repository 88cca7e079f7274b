// Package fingerprint computes Signal's safety numbers: the 60-digit numeric
// fingerprint that two users read to each other, and the scannable form that
// one phone shows as a QR code and the other scans and compares.
//
// The computation matches libsignal's (and therefore every Signal client's):
// for each side, SHA-512 is iterated over that side's identity key and
// stable identifier; the first 30 bytes of each result become 30 digits, and
// the two halves are printed in sorted order, so both users see the same
// number. The scannable form carries the first 32 bytes of each side's hash
// in a small protobuf and a version number.
//
// # Versions and identifiers
//
// Version 1 fingerprints use phone numbers (E.164 strings such as
// "+14152222222") as stable identifiers; version 2 uses service ids (ACI
// UUID bytes). The version changes only the scannable encoding: the hashing
// and the displayed digits are the same for both, so two users who disagree
// on the version still see equal numbers but Compare reports
// ErrVersionMismatch.
//
// The scannable encoding does not carry the identifiers (libsignal dropped
// them), so a fingerprint built with a wrong identifier cannot be told apart
// from one built with a wrong key: Compare returns false, without an error,
// in both cases.
//
// # Cost
//
// With DefaultIterations each side costs 5200 SHA-512 compressions; a whole
// fingerprint takes a few milliseconds. Cache it rather than recomputing it
// per frame.
package fingerprint

import (
	"crypto/sha512"
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/forwardsecret/signal/curve"
)

// Parameters of the computation.
const (
	// Version1 is the scannable version for phone-number identifiers.
	Version1 = 1
	// Version2 is the scannable version for service-id identifiers.
	Version2 = 2
	// DefaultIterations is the iteration count Signal clients use.
	DefaultIterations = 5200
	// MinIterations is the smallest iteration count accepted.
	MinIterations = 2
	// MaxIterations is the largest iteration count accepted.
	MaxIterations = 1_000_000
	// DisplayLength is the number of digits in DisplayString: 30 per side.
	DisplayLength = 60
	// HashSize is the number of hash bytes per side in the scannable form.
	HashSize = 32
)

// displayBytes is how much of each side's hash the digits use: six 5-byte
// chunks, each printed as five digits.
const displayBytes = 30

// Errors returned by this package. Match with errors.Is.
var (
	// ErrInvalidIterations is returned by New for an iteration
	// count outside [MinIterations, MaxIterations].
	ErrInvalidIterations = errors.New("fingerprint: invalid iteration count")
	// ErrVersionMismatch is matched by every *VersionMismatchError: the
	// scanned fingerprint has another version than ours.
	ErrVersionMismatch = errors.New("fingerprint: version mismatch")
	// ErrMalformed is returned for scannable bytes that are not a valid
	// encoding, or that lack a required field.
	ErrMalformed = errors.New("fingerprint: malformed scannable fingerprint")
)

// VersionMismatchError reports a scanned fingerprint whose version differs
// from ours. A missing version counts as 0, as in libsignal.
type VersionMismatchError struct {
	Theirs, Ours uint32
}

// Error names both versions.
func (e *VersionMismatchError) Error() string {
	return fmt.Sprintf("fingerprint: version mismatch: theirs %d, ours %d", e.Theirs, e.Ours)
}

// Is makes errors.Is(err, ErrVersionMismatch) true.
func (e *VersionMismatchError) Is(target error) bool { return target == ErrVersionMismatch }

// Fingerprint is the safety number of one conversation, seen from the local
// side. It holds only public values.
type Fingerprint struct {
	version uint32
	display string
	local   [HashSize]byte
	remote  [HashSize]byte
}

// Party is one side of a conversation: a stable identifier and an identity
// key.
type Party struct {
	// ID is the stable identifier: an E.164 phone number string for
	// Version1, the service id's bytes (an ACI UUID's 16 bytes) for
	// Version2, or any stable account name of another app.
	ID []byte
	// IdentityKey is the party's identity key.
	IdentityKey curve.PublicKey
}

// New computes the fingerprint of a conversation between the local party and
// the remote one. Both users compute it with their own side as local and get
// the same DisplayString; each one's Scannable is what the other's Compare
// accepts. iterations is normally DefaultIterations; version is normally
// Version1 or Version2 (any value is accepted and only written to the
// scannable form). It fails with ErrInvalidIterations for an iteration count
// outside [MinIterations, MaxIterations].
func New(version uint32, iterations int, local, remote Party) (*Fingerprint, error) {
	if iterations < MinIterations || iterations > MaxIterations {
		return nil, fmt.Errorf("%w: %d (want %d..%d)", ErrInvalidIterations, iterations, MinIterations, MaxIterations)
	}
	var lh, rh [sha512.Size]byte
	hashSide(&lh, iterations, local.ID, local.IdentityKey)
	hashSide(&rh, iterations, remote.ID, remote.IdentityKey)

	f := &Fingerprint{version: version}
	copy(f.local[:], lh[:])
	copy(f.remote[:], rh[:])

	var ld, rd [displayBytes]byte
	digits(&ld, lh[:displayBytes])
	digits(&rd, rh[:displayBytes])
	if string(ld[:]) < string(rd[:]) {
		f.display = string(ld[:]) + string(rd[:])
	} else {
		f.display = string(rd[:]) + string(ld[:])
	}
	return f, nil
}

// hashSide computes one side's iterated hash:
//
//	H_0 = SHA-512(0x0000 || key || id || key)
//	H_i = SHA-512(H_{i-1} || key), i = 1 .. iterations-1
//
// where key is the 33-byte wire encoding. The leading two zero bytes are a
// fixed hash-format version, independent of the scannable version.
func hashSide(out *[sha512.Size]byte, iterations int, id []byte, key curve.PublicKey) {
	var kb [curve.PublicKeySize]byte
	key.AppendBytes(kb[:0])
	h := sha512.New()
	h.Write([]byte{0, 0})
	h.Write(kb[:])
	h.Write(id)
	h.Write(kb[:])
	h.Sum(out[:0])
	for i := 1; i < iterations; i++ {
		h.Reset()
		h.Write(out[:])
		h.Write(kb[:])
		h.Sum(out[:0])
	}
}

// digits writes 30 decimal digits for 30 hash bytes: each 5-byte chunk, read
// as a big-endian integer, reduced modulo 100000 and zero-padded to five
// digits.
func digits(dst *[displayBytes]byte, h []byte) {
	for c := 0; c < displayBytes/5; c++ {
		var x uint64
		for _, b := range h[c*5 : c*5+5] {
			x = x<<8 | uint64(b)
		}
		x %= 100000
		for d := 4; d >= 0; d-- {
			dst[c*5+d] = '0' + byte(x%10)
			x /= 10
		}
	}
}

// Version returns the scannable version the fingerprint was built with.
func (f *Fingerprint) Version() uint32 { return f.version }

// DisplayString returns the 60-digit safety number. Apps usually show it in
// twelve groups of five digits.
func (f *Fingerprint) DisplayString() string { return f.display }

// String returns DisplayString.
func (f *Fingerprint) String() string { return f.display }

// Scannable returns the scannable encoding (the QR code payload) in a new
// slice: protobuf {1 version, 2 {1 local hash}, 3 {1 remote hash}}.
func (f *Fingerprint) Scannable() []byte {
	s := Scannable{Version: f.version, Local: f.local[:], Remote: f.remote[:]}
	return s.Append(nil)
}

// Compare checks a scanned fingerprint (the other user's Scannable) against
// f. It returns true when the other side's local hash equals our remote hash
// and its remote hash equals our local hash, compared in constant time.
//
// As in libsignal, the version is checked first: a different version (a
// missing one counts as 0) is a *VersionMismatchError matching
// ErrVersionMismatch. Undecodable bytes and missing hashes are ErrMalformed.
// Hashes of another length than HashSize compare unequal.
func (f *Fingerprint) Compare(scannable []byte) (bool, error) {
	s, err := parse(scannable)
	if err != nil {
		return false, err
	}
	if s.Version != f.version {
		return false, &VersionMismatchError{Theirs: s.Version, Ours: f.version}
	}
	if err := s.check(); err != nil {
		return false, err
	}
	a := subtle.ConstantTimeCompare(s.Local, f.remote[:])
	b := subtle.ConstantTimeCompare(s.Remote, f.local[:])
	return a&b == 1, nil
}
