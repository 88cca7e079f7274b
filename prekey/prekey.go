// Package prekey provisions a device for package session: its registration
// id, the prekeys it generates, stores and uploads to a server, the bundle a
// server hands out for it, and when to replace which keys.
//
// # Setting up a device
//
// A new device makes an identity key pair (curve.GenerateIdentityKeyPair)
// and a registration id (NewRegistrationID), keeps both, and generates its
// first keys:
//
//	set, err := prekey.Generate(identity, prekey.IDs{}, prekey.Initial)
//	err = prekey.Store(ctx, store, set) // before uploading: a peer may use them at once
//	upload := set.Public()               // what goes to the server
//
// The server keeps the upload and hands out one bundle per request, with one
// one-time prekey and one one-time KEM prekey it then deletes (Take does
// what Signal-Server does; Bundle builds the bundle of given keys). The
// peer's session.Manager.ProcessBundle starts a session from it.
//
// # A server's JSON
//
// MarshalPreKeyResponse and ParsePreKeyResponse carry bundles in the JSON of
// Signal-Server's PreKeyResponse (identityKey, and per device deviceId,
// registrationId, signedPreKey, preKey and pqPreKey, keys in base64), so an
// app that runs its own server need not invent a format; the parser verifies
// every bundle.
//
// # Key ids
//
// Ids are those of libsignal's key helpers: each kind (one-time prekeys,
// signed prekeys, KEM prekeys) counts up from a start id, and the id after
// MaxID is 1, so ids stay in 1..MaxID (24 bits; libsignal's Medium.MAX_VALUE,
// 0xFFFFFF, is left out, as libsignal's generatePreKeys leaves it out). The
// last-resort KEM prekey takes its id from the KEM prekeys' counter. The app
// keeps the IDs that Generate returns in Set.Next and passes them to the
// next Generate, so that no id is reused while the server may still hand it
// out.
//
// # Rotation
//
// Policy.Plan says, from what the device knows (its keys' ages, how many
// one-time keys the server still holds), what to generate: a new signed
// prekey and last-resort KEM prekey every two days and a hundred one-time
// keys of a kind when fewer than ten remain, with DefaultPolicy (the
// numbers of Signal-Android's PreKeysSyncJob). Policy.Expired says which
// replaced signed prekeys and last-resort KEM prekeys may be deleted: a peer
// that fetched the bundle holding one may still send a PreKey message that
// names it.
package prekey

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/x3dh"
)

// Ranges of the ids, as in libsignal.
const (
	// MaxRegistrationID is the largest registration id NewRegistrationID
	// returns: libsignal's generateRegistrationId draws from 1..16380, a
	// 14-bit value.
	MaxRegistrationID = 16380
	// MaxID is the largest prekey id Generate assigns (0xFFFFFE): ids wrap
	// from MaxID to 1.
	MaxID = 0xFFFFFE
	// MaxCount is the most keys of one kind a Request may ask for.
	MaxCount = 10_000
)

// Errors returned by this package. Match with errors.Is.
var (
	// ErrInvalidRequest is returned by Generate for a negative count or one
	// above MaxCount, or a nil identity.
	ErrInvalidRequest = errors.New("prekey: invalid request")
	// ErrUnknownID is returned by Upload.Bundle for a key id that the
	// upload does not hold.
	ErrUnknownID = errors.New("prekey: no key with that id in the upload")
	// ErrNoSignedPreKey is returned by Upload.Bundle and Upload.Take for an
	// upload without a signed prekey (one that only refills one-time keys):
	// the server builds bundles from the last full upload.
	ErrNoSignedPreKey = errors.New("prekey: upload without a signed prekey")
)

// NewRegistrationID returns a random registration id in
// 1..MaxRegistrationID, drawn from crypto/rand. A device draws it once, at
// install, and keeps it: peers store it with their sessions and see a new
// one as a reinstalled device.
func NewRegistrationID() uint32 {
	var b [4]byte
	for {
		rand.Read(b[:])
		// Rejection sampling over the 14 low bits: uniform in 0..16379.
		if v := binary.LittleEndian.Uint32(b[:]) & 0x3FFF; v < MaxRegistrationID {
			return v + 1
		}
	}
}

// NextID returns the id after id: id+1, and 1 after MaxID. An id outside
// 1..MaxID (such as 0, an unset counter) is followed by the id it wraps to
// plus one, so the result is always in 1..MaxID.
func NextID(id uint32) uint32 { return id%MaxID + 1 }

// normalize maps a start id into 1..MaxID: 0 (an unset counter) is 1.
func normalize(id uint32) uint32 {
	if id == 0 {
		return 1
	}
	return (id-1)%MaxID + 1
}

// IDs are the next id of each kind of key: what a device keeps between two
// Generate calls. The zero IDs start every kind at 1.
type IDs struct {
	// PreKey is the id of the next one-time prekey.
	PreKey uint32
	// SignedPreKey is the id of the next signed prekey.
	SignedPreKey uint32
	// KEMPreKey is the id of the next KEM prekey, one-time or last-resort.
	KEMPreKey uint32
}

// Request says which keys Generate makes.
type Request struct {
	// SignedPreKey asks for a new signed prekey.
	SignedPreKey bool
	// LastResortKEMPreKey asks for a new last-resort KEM prekey: the
	// repeated-use KEM prekey a server hands out once the one-time KEM
	// prekeys are gone.
	LastResortKEMPreKey bool
	// OneTimePreKeys is how many one-time (EC) prekeys to make.
	OneTimePreKeys int
	// OneTimeKEMPreKeys is how many one-time KEM prekeys to make.
	OneTimeKEMPreKeys int
	// KEMType is the KEM of the KEM prekeys; the zero value means
	// x3dh.Kyber1024, what libsignal uses.
	KEMType x3dh.KEMType
}

// Initial is what a new device generates: a signed prekey, a last-resort
// KEM prekey and a hundred one-time keys of each kind (Signal-Android's
// batch).
var Initial = Request{SignedPreKey: true, LastResortKEMPreKey: true, OneTimePreKeys: 100, OneTimeKEMPreKeys: 100}

// IsZero reports whether r asks for nothing.
func (r Request) IsZero() bool {
	return !r.SignedPreKey && !r.LastResortKEMPreKey && r.OneTimePreKeys == 0 && r.OneTimeKEMPreKeys == 0
}

// Set is what Generate made: the key pairs, which the device stores (Store)
// and keeps private, and the ids to continue from.
type Set struct {
	// IdentityKey is the public identity key that signed the signed and
	// KEM prekeys.
	IdentityKey curve.PublicKey
	// SignedPreKey is the new signed prekey, or nil.
	SignedPreKey *x3dh.SignedPreKey
	// LastResortKEMPreKey is the new last-resort KEM prekey, or nil.
	LastResortKEMPreKey *x3dh.KEMPreKey
	// OneTimePreKeys are the new one-time prekeys, in id order.
	OneTimePreKeys []*x3dh.OneTimePreKey
	// OneTimeKEMPreKeys are the new one-time KEM prekeys, in id order.
	OneTimeKEMPreKeys []*x3dh.KEMPreKey
	// Next are the ids the next Generate starts from.
	Next IDs
}

// Generate makes the keys r asks for, with ids counted from next (see
// NextID), signing the signed prekey and the KEM prekeys with identity. The
// one-time KEM prekeys take their ids first, then the last-resort KEM
// prekey. It fails with ErrInvalidRequest for a nil identity or a count
// outside 0..MaxCount.
func Generate(identity *curve.IdentityKeyPair, next IDs, r Request) (*Set, error) {
	if identity == nil {
		return nil, fmt.Errorf("%w: nil identity", ErrInvalidRequest)
	}
	if r.OneTimePreKeys < 0 || r.OneTimePreKeys > MaxCount || r.OneTimeKEMPreKeys < 0 || r.OneTimeKEMPreKeys > MaxCount {
		return nil, fmt.Errorf("%w: %d one-time and %d one-time KEM prekeys (0..%d each)", ErrInvalidRequest, r.OneTimePreKeys, r.OneTimeKEMPreKeys, MaxCount)
	}
	kt := r.KEMType
	if kt == 0 {
		kt = x3dh.Kyber1024
	}
	s := &Set{IdentityKey: identity.PublicKey()}
	id := normalize(next.PreKey)
	for range r.OneTimePreKeys {
		k, err := x3dh.GenerateOneTimePreKey(id)
		if err != nil {
			return nil, err
		}
		s.OneTimePreKeys = append(s.OneTimePreKeys, k)
		id = NextID(id)
	}
	s.Next.PreKey = id
	id = normalize(next.KEMPreKey)
	for range r.OneTimeKEMPreKeys {
		k, err := x3dh.GenerateKEMPreKey(identity, id, kt)
		if err != nil {
			return nil, err
		}
		s.OneTimeKEMPreKeys = append(s.OneTimeKEMPreKeys, k)
		id = NextID(id)
	}
	if r.LastResortKEMPreKey {
		k, err := x3dh.GenerateKEMPreKey(identity, id, kt)
		if err != nil {
			return nil, err
		}
		s.LastResortKEMPreKey = k
		id = NextID(id)
	}
	s.Next.KEMPreKey = id
	id = normalize(next.SignedPreKey)
	if r.SignedPreKey {
		k, err := x3dh.GenerateSignedPreKey(identity, id)
		if err != nil {
			return nil, err
		}
		s.SignedPreKey = k
		id = NextID(id)
	}
	s.Next.SignedPreKey = id
	return s, nil
}

// Public returns the public halves of the set: what the device uploads.
func (s *Set) Public() *Upload {
	u := &Upload{IdentityKey: s.IdentityKey}
	if s.SignedPreKey != nil {
		p := s.SignedPreKey.Public()
		u.SignedPreKey = &p
	}
	if s.LastResortKEMPreKey != nil {
		p := s.LastResortKEMPreKey.Public()
		u.LastResortKEMPreKey = &p
	}
	for _, k := range s.OneTimePreKeys {
		u.OneTimePreKeys = append(u.OneTimePreKeys, k.Public())
	}
	for _, k := range s.OneTimeKEMPreKeys {
		u.OneTimeKEMPreKeys = append(u.OneTimeKEMPreKeys, k.Public())
	}
	return u
}

// Upload is the public part of a Set: what a device sends to its server
// (Signal-Server's PUT /v2/keys carries the same parts) and what the server
// builds bundles from.
type Upload struct {
	// IdentityKey is the device owner's identity key.
	IdentityKey curve.PublicKey
	// SignedPreKey is the signed prekey, or nil in an upload that only
	// adds one-time keys.
	SignedPreKey *x3dh.SignedPreKeyPublic
	// LastResortKEMPreKey is the last-resort KEM prekey, or nil.
	LastResortKEMPreKey *x3dh.KEMPreKeyPublic
	// OneTimePreKeys are the one-time prekeys.
	OneTimePreKeys []x3dh.OneTimePreKeyPublic
	// OneTimeKEMPreKeys are the one-time KEM prekeys.
	OneTimeKEMPreKeys []x3dh.KEMPreKeyPublic
}

// Bundle returns the bundle a server hands out for the device with the
// given registration and device ids, holding the one-time prekey oneTimeID
// and the KEM prekey kemID, as a server picks them. oneTimeID 0 means no
// one-time prekey (the server has run out); kemID 0 means the last-resort
// KEM prekey, or no KEM prekey (a v3 bundle) if the upload has none.
// Generate never assigns id 0. The bundle is verified (x3dh.NewBundle).
//
// It fails with ErrNoSignedPreKey if the upload has no signed prekey and
// with ErrUnknownID for an id the upload does not hold.
func (u *Upload) Bundle(registrationID, deviceID, oneTimeID, kemID uint32) (*x3dh.Bundle, error) {
	if u.SignedPreKey == nil {
		return nil, ErrNoSignedPreKey
	}
	var otp *x3dh.OneTimePreKeyPublic
	if oneTimeID != 0 {
		i := slices.IndexFunc(u.OneTimePreKeys, func(k x3dh.OneTimePreKeyPublic) bool { return k.ID == oneTimeID })
		if i < 0 {
			return nil, fmt.Errorf("%w: one-time prekey %d", ErrUnknownID, oneTimeID)
		}
		otp = &u.OneTimePreKeys[i]
	}
	kem := u.LastResortKEMPreKey
	if kemID != 0 {
		i := slices.IndexFunc(u.OneTimeKEMPreKeys, func(k x3dh.KEMPreKeyPublic) bool { return k.ID == kemID })
		switch {
		case i >= 0:
			kem = &u.OneTimeKEMPreKeys[i]
		case kem == nil || kem.ID != kemID:
			return nil, fmt.Errorf("%w: KEM prekey %d", ErrUnknownID, kemID)
		}
	}
	return x3dh.NewBundle(registrationID, deviceID, u.IdentityKey, *u.SignedPreKey, otp, kem)
}

// Take does what a server does for one bundle request: it returns the
// bundle with the first one-time prekey and the first one-time KEM prekey
// (or the last-resort KEM prekey once those are gone) and removes the
// one-time keys it handed out from u. It fails with ErrNoSignedPreKey if the
// upload has no signed prekey.
func (u *Upload) Take(registrationID, deviceID uint32) (*x3dh.Bundle, error) {
	var oneTimeID, kemID uint32
	if len(u.OneTimePreKeys) > 0 {
		oneTimeID = u.OneTimePreKeys[0].ID
	}
	if len(u.OneTimeKEMPreKeys) > 0 {
		kemID = u.OneTimeKEMPreKeys[0].ID
	}
	b, err := u.Bundle(registrationID, deviceID, oneTimeID, kemID)
	if err != nil {
		return nil, err
	}
	if oneTimeID != 0 {
		u.OneTimePreKeys = u.OneTimePreKeys[1:]
	}
	if kemID != 0 {
		u.OneTimeKEMPreKeys = u.OneTimeKEMPreKeys[1:]
	}
	return b, nil
}

// Add merges a later upload into u, as a server does: one-time keys are
// added, and a signed prekey or last-resort KEM prekey in later replaces
// u's. The identity key must be the same; Add returns false (and changes
// nothing) if it is not.
func (u *Upload) Add(later *Upload) bool {
	if !u.IdentityKey.Equal(later.IdentityKey) {
		return false
	}
	if later.SignedPreKey != nil {
		u.SignedPreKey = later.SignedPreKey
	}
	if later.LastResortKEMPreKey != nil {
		u.LastResortKEMPreKey = later.LastResortKEMPreKey
	}
	u.OneTimePreKeys = append(u.OneTimePreKeys, later.OneTimePreKeys...)
	u.OneTimeKEMPreKeys = append(u.OneTimeKEMPreKeys, later.OneTimeKEMPreKeys...)
	return true
}
