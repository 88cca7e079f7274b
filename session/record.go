package session

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/wire"
	"github.com/forwardsecret/signal/ratchet"
	"github.com/forwardsecret/signal/spqr"
)

// Bounds of a session record (libsignal's consts.rs values).
const (
	// MaxArchivedStates is the number of earlier session states a record
	// keeps besides the current one; archiving one more drops the oldest.
	MaxArchivedStates = 40
	// MaxUnacknowledgedSessionAge is how long a session we started may go
	// without hearing from the peer before it refuses to encrypt.
	MaxUnacknowledgedSessionAge = 30 * 24 * time.Hour
)

// ErrInvalidRecord is returned by ParseRecord for bytes that are not a valid
// session record.
var ErrInvalidRecord = errors.New("session: invalid record")

// state is one session state: a Double Ratchet plus what the session layer
// knows about the handshake that started it (storage.proto SessionStructure).
type state struct {
	version        uint8
	localIdentity  curve.PublicKey
	remoteIdentity curve.PublicKey
	ratchet        *ratchet.State
	pending        *pendingPreKey // set while we have not heard from the peer
	localRegID     uint32
	remoteRegID    uint32
	aliceBaseKey   []byte      // 33-byte base key of the handshake, either role
	pq             *spqr.State // SPQR (triple ratchet) state; V0 (empty) in v3 sessions
}

// pendingPreKey is what an initiator repeats in every PreKey message until
// the responder answers.
type pendingPreKey struct {
	hasPreKeyID    bool
	preKeyID       uint32
	signedPreKeyID uint32
	baseKey        curve.PublicKey
	created        uint64 // seconds since the Unix epoch
	hasKyber       bool
	kyberID        uint32
	kyberCT        []byte
}

// Record is the stored session state of one address: the current state and
// up to MaxArchivedStates earlier ones, newest first. It is encoded in
// libsignal's storage.proto layout (RecordStructure), so records can move
// between this library and libsignal.
//
// A Record is not safe for concurrent use; a Manager serializes access per
// address.
type Record struct {
	current  *state
	previous [][]byte // encoded SessionStructures, newest first
}

// NewRecord returns an empty record.
func NewRecord() *Record { return &Record{} }

// HasCurrentState reports whether the record has a current session state.
func (r *Record) HasCurrentState() bool { return r != nil && r.current != nil }

// ArchivedStates returns the number of archived states.
func (r *Record) ArchivedStates() int { return len(r.previous) }

// ArchiveCurrentState moves the current state to the archive, so the next
// message to the peer starts a new session.
func (r *Record) ArchiveCurrentState() error {
	if r.current == nil {
		return nil
	}
	enc, err := r.current.structure()
	if err != nil {
		return err
	}
	r.pushArchived(enc.Append(nil))
	r.current = nil
	return nil
}

func (r *Record) pushArchived(b []byte) {
	r.previous = append(r.previous, nil)
	copy(r.previous[1:], r.previous)
	r.previous[0] = b
	if len(r.previous) > MaxArchivedStates {
		clear(r.previous[MaxArchivedStates:])
		r.previous = r.previous[:MaxArchivedStates]
	}
}

// promote makes s (parsed from archive slot i) the current state, archiving
// the old current one in its place.
func (r *Record) promote(i int, s *state) error {
	old := r.current
	r.previous = append(r.previous[:i], r.previous[i+1:]...)
	r.current = s
	if old != nil {
		enc, err := old.structure()
		if err != nil {
			return err
		}
		r.pushArchived(enc.Append(nil))
	}
	return nil
}

// setNew makes s the current state, archiving the old one.
func (r *Record) setNew(s *state) error {
	if err := r.ArchiveCurrentState(); err != nil {
		return err
	}
	r.current = s
	return nil
}

// MarshalBinary encodes the record in libsignal's storage.proto layout.
func (r *Record) MarshalBinary() ([]byte, error) { return r.AppendBinary(nil) }

// AppendBinary appends the encoding of MarshalBinary to b.
func (r *Record) AppendBinary(b []byte) ([]byte, error) {
	wr := wire.Record{Previous: r.previous}
	if r.current != nil {
		ss, err := r.current.structure()
		if err != nil {
			return nil, err
		}
		wr.Current = ss
	}
	return wr.Append(b), nil
}

// UnmarshalBinary replaces r by the record encoded in b. On error r is
// unchanged.
func (r *Record) UnmarshalBinary(b []byte) error {
	p, err := ParseRecord(b)
	if err != nil {
		return err
	}
	*r = *p
	return nil
}

// ParseRecord decodes a record in libsignal's storage.proto layout. The
// current state is checked in full; archived states are kept encoded and
// checked when they are used. The record does not keep b: it copies what it
// keeps.
func ParseRecord(b []byte) (*Record, error) { return parseRecord(b, false) }

// ParseRecordOwned is ParseRecord for bytes that the caller hands over: the
// record may keep b and alias it instead of copying its largest parts (the
// SPQR state and the archived states). Neither the caller nor anyone else
// may modify b afterwards (the record never does). It suits a store whose
// bytes are its own: a buffer that a database driver has just allocated,
// or an in-memory store's encodings that the store replaces rather than
// changes. It saves a copy of a v4 state's SPQR state (about 4 KB while an
// ML-KEM exchange is under way) per load.
func ParseRecordOwned(b []byte) (*Record, error) { return parseRecord(b, true) }

func parseRecord(b []byte, owned bool) (*Record, error) {
	// The parse aliases b: unless owned, stateFromStructure copies what the
	// state keeps, and the archived states are copied here.
	wr, err := wire.ParseRecordDeferred(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRecord, err)
	}
	r := &Record{previous: keepArchived(wr.Previous, owned)}
	if wr.Current != nil {
		s, err := stateFromStructure(wr.Current, owned)
		if err != nil {
			return nil, err
		}
		r.current = s
	}
	return r, nil
}

// keepArchived returns the first MaxArchivedStates encodings of p: copied
// into one new buffer, or with their capacities capped if owned.
func keepArchived(p [][]byte, owned bool) [][]byte {
	if len(p) == 0 {
		return nil
	}
	p = p[:min(len(p), MaxArchivedStates)]
	if owned {
		out := make([][]byte, len(p))
		for i, b := range p {
			out[i] = b[:len(b):len(b)]
		}
		return out
	}
	n := 0
	for _, b := range p {
		n += len(b)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, len(p))
	for i, b := range p {
		start := len(buf)
		buf = append(buf, b...)
		out[i] = buf[start:len(buf):len(buf)]
	}
	return out
}

// Clone returns a deep copy of r. Stores that keep records as objects
// return clones from LoadSession, so that the caller's changes never reach
// the stored record until StoreSession.
func (r *Record) Clone() (*Record, error) {
	c := &Record{previous: append([][]byte(nil), r.previous...)} // archived encodings are never modified in place
	if r.current != nil {
		s, err := r.current.clone()
		if err != nil {
			return nil, err
		}
		c.current = s
	}
	return c, nil
}

func (s *state) clone() (*state, error) {
	c := *s
	c.ratchet = s.ratchet.Clone() // s.ratchet is valid: no checks needed
	// s.pq is never modified (an SPQR step returns a new State): shared.
	c.aliceBaseKey = bytes.Clone(s.aliceBaseKey)
	if s.pending != nil {
		p := *s.pending
		p.kyberCT = bytes.Clone(p.kyberCT)
		c.pending = &p
	}
	return &c, nil
}

// archived parses archived state i.
func (r *Record) archived(i int) (*state, error) {
	ss, err := wire.ParseSessionStructureDeferred(r.previous[i])
	if err != nil {
		return nil, fmt.Errorf("%w: archived state %d: %w", ErrInvalidRecord, i, err)
	}
	return stateFromStructure(ss, false)
}

// structure maps s to storage.proto's SessionStructure. The result reads
// the ratchet state's skipped keys in place (see skippedWriter): encode it
// before s changes.
func (s *state) structure() (*wire.SessionStructure, error) {
	v := s.ratchet.View()
	ss := &wire.SessionStructure{
		Version:              uint32(s.version),
		LocalIdentityPublic:  s.localIdentity.Bytes(),
		RemoteIdentityPublic: s.remoteIdentity.Bytes(),
		RootKey:              v.RootKey[:],
		PreviousCounter:      v.PreviousCounter,
		RemoteRegistrationID: s.remoteRegID,
		LocalRegistrationID:  s.localRegID,
		AliceBaseKey:         s.aliceBaseKey,
		PQWriter:             pqWriter{s.pq},
	}
	if v.Sender != nil {
		ck := &v.Sender.ChainKey
		ss.SenderChain = &wire.Chain{
			RatchetKey:        v.Sender.RatchetKey.Public.Bytes(),
			RatchetKeyPrivate: v.Sender.RatchetKey.Private.Bytes(),
			ChainKey:          &wire.ChainKey{Index: ck.Index, Key: ck.Key[:]},
		}
	}
	ss.ReceiverChains = make([]wire.Chain, len(v.Receivers))
	for i := range v.Receivers {
		rc := &v.Receivers[i]
		c := &ss.ReceiverChains[i]
		c.RatchetKey = rc.RatchetKey.Bytes()
		c.ChainKey = &wire.ChainKey{Index: rc.ChainKey.Index, Key: rc.ChainKey.Key[:]}
		if rc.Skipped.Len() > 0 {
			c.KeyWriter = newSkippedWriter(rc.Skipped)
		}
	}
	if p := s.pending; p != nil {
		ss.PendingPreKey = &wire.PendingPreKey{
			HasPreKeyID:    p.hasPreKeyID,
			PreKeyID:       p.preKeyID,
			SignedPreKeyID: p.signedPreKeyID,
			BaseKey:        p.baseKey.Bytes(),
			Timestamp:      p.created,
		}
		if p.hasKyber {
			ss.PendingKyberPreKey = &wire.PendingKyberPreKey{PreKeyID: p.kyberID, Ciphertext: p.kyberCT}
		}
	}
	return ss, nil
}

// pqWriter writes an SPQR state into an encoded record in place, so that
// encoding a record does not build the state's encoding first.
type pqWriter struct{ s *spqr.State }

func (w pqWriter) EncodedLen() int { return w.s.EncodedLen() }

func (w pqWriter) AppendTo(b []byte) []byte {
	b, _ = w.s.AppendBinary(b) // never fails: a State always encodes
	return b
}

func recordErr(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidRecord}, a...)...)
}

// stateFromStructure maps storage.proto's SessionStructure to a state,
// validating every key. Unless owned, ss may alias a buffer the caller
// reuses: the state copies every byte it keeps. If owned, the SPQR state
// aliases ss.
func stateFromStructure(ss *wire.SessionStructure, owned bool) (*state, error) {
	s := &state{
		version:      uint8(ss.Version),
		localRegID:   ss.LocalRegistrationID,
		remoteRegID:  ss.RemoteRegistrationID,
		aliceBaseKey: bytes.Clone(ss.AliceBaseKey),
	}
	parsePQ := spqr.ParseState // copies
	if owned {
		parsePQ = spqr.ParseStateOwned
	}
	pq, err := parsePQ(ss.PQRatchetState)
	if err != nil {
		return nil, recordErr("pq ratchet state: %w", err)
	}
	s.pq = pq
	if ss.Version != 3 && ss.Version != 4 {
		return nil, recordErr("session version %d", ss.Version)
	}
	if s.localIdentity, err = curve.ParsePublicKey(ss.LocalIdentityPublic); err != nil {
		return nil, recordErr("local identity: %w", err)
	}
	if s.remoteIdentity, err = curve.ParsePublicKey(ss.RemoteIdentityPublic); err != nil {
		return nil, recordErr("remote identity: %w", err)
	}
	if len(ss.RootKey) != ratchet.KeySize {
		return nil, recordErr("root key of %d bytes", len(ss.RootKey))
	}
	rb := ratchet.NewBuilder([ratchet.KeySize]byte(ss.RootKey), ss.PreviousCounter)
	if c := ss.SenderChain; c != nil {
		pub, err := curve.ParsePublicKey(c.RatchetKey)
		if err != nil {
			return nil, recordErr("sender ratchet key: %w", err)
		}
		kp, err := curve.LoadKeyPair(c.RatchetKeyPrivate, pub)
		if err != nil {
			return nil, recordErr("sender ratchet private key: %w", err)
		}
		ck, err := chainKeyFrom(c.ChainKey)
		if err != nil {
			return nil, err
		}
		if err := rb.SetSender(kp, ck); err != nil {
			return nil, recordErr("%w", err)
		}
	}
	if len(ss.ReceiverChains) > ratchet.MaxReceiverChains {
		return nil, recordErr("%d receiver chains exceed MaxReceiverChains (%d)", len(ss.ReceiverChains), ratchet.MaxReceiverChains)
	}
	for i := range ss.ReceiverChains {
		c := &ss.ReceiverChains[i]
		pub, err := curve.ParsePublicKey(c.RatchetKey)
		if err != nil {
			return nil, recordErr("receiver ratchet key: %w", err)
		}
		ck, err := chainKeyFrom(c.ChainKey)
		if err != nil {
			return nil, err
		}
		n := c.NumMessageKeys()
		if n > ratchet.MaxSkippedKeysPerChain {
			return nil, recordErr("%d skipped keys exceed MaxSkippedKeysPerChain (%d)", n, ratchet.MaxSkippedKeysPerChain)
		}
		if err := rb.AddReceiver(pub, ck, 0, n); err != nil {
			return nil, recordErr("%w", err)
		}
		// libsignal stores skipped keys newest first; the builder takes
		// any order (a descending run costs one reversal).
		if err := c.DecodeMessageKeys(rb.AddSkippedSeed, func(mk *wire.MessageKey) error { return addStoredKey(rb, mk) }); err != nil {
			if errors.Is(err, ErrInvalidRecord) {
				return nil, err
			}
			return nil, recordErr("%w", err)
		}
	}
	if s.ratchet, err = rb.Build(); err != nil {
		return nil, recordErr("%w", err)
	}
	if p := ss.PendingPreKey; p != nil {
		base, err := curve.ParsePublicKey(p.BaseKey)
		if err != nil {
			return nil, recordErr("pending base key: %w", err)
		}
		s.pending = &pendingPreKey{
			hasPreKeyID:    p.HasPreKeyID,
			preKeyID:       p.PreKeyID,
			signedPreKeyID: p.SignedPreKeyID,
			baseKey:        base,
			created:        p.Timestamp,
		}
		if k := ss.PendingKyberPreKey; k != nil {
			s.pending.hasKyber = true
			s.pending.kyberID = k.PreKeyID
			s.pending.kyberCT = bytes.Clone(k.Ciphertext)
		}
	}
	return s, nil
}

// addStoredKey adds one stored message key of a receiving chain to rb: a
// seed, or the whole keys older libsignal versions stored. A key with both
// is taken as its seed.
func addStoredKey(rb *ratchet.Builder, mk *wire.MessageKey) error {
	switch {
	case len(mk.Seed) == ratchet.KeySize:
		return rb.AddSkippedSeed(mk.Index, (*[ratchet.KeySize]byte)(mk.Seed))
	case len(mk.CipherKey) == 32 && len(mk.MACKey) == 32 && len(mk.IV) == 16:
		var keys ratchet.MessageKeys
		copy(keys.Cipher[:], mk.CipherKey)
		copy(keys.MAC[:], mk.MACKey)
		copy(keys.IV[:], mk.IV)
		err := rb.AddSkippedKeys(mk.Index, &keys)
		keys = ratchet.MessageKeys{}
		return err
	default:
		return recordErr("stored message key %d has neither a seed nor whole keys", mk.Index)
	}
}

func chainKeyFrom(c *wire.ChainKey) (ratchet.ChainKey, error) {
	var ck ratchet.ChainKey
	if c == nil || len(c.Key) != ratchet.KeySize {
		return ck, recordErr("missing or malformed chain key")
	}
	ck.Index = c.Index
	copy(ck.Key[:], c.Key)
	return ck, nil
}
