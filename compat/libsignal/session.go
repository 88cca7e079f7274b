package libsignal

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/forwardsecret/signal/compat"
	"github.com/forwardsecret/signal/internal/wire"
	"github.com/forwardsecret/signal/ratchet"
	"github.com/forwardsecret/signal/session"
)

const (
	sessionRecord       = "SessionRecord"
	legacySessionRecord = "legacy SessionRecord"
)

// ImportSessionRecord reads a libsignal SessionRecord (storage.proto
// RecordStructure): the current session state and the archived ones,
// each with its sparse post-quantum ratchet state. Every state is checked
// in full, the archived ones included (session.ParseRecord checks those
// only when a message needs them), so a record that imports is one the
// library can use. A current state of a version other than 3 and 4 is
// compat.ErrUnsupportedVersion; anything else that does not hold together
// is compat.ErrInvalidRecord, wrapping session.ErrInvalidRecord.
//
// A record that libsignal wrote exports back to the same bytes
// (ExportSessionRecord) until the library changes it.
func ImportSessionRecord(b []byte) (*session.Record, error) {
	wr, err := wire.ParseRecordDeferred(b)
	if err != nil {
		return nil, invalid(sessionRecord, err)
	}
	if wr.Current != nil {
		if v := wr.Current.Version; v != 3 && v != 4 {
			return nil, fmt.Errorf("%w: %s: current state of version %d", compat.ErrUnsupportedVersion, sessionRecord, v)
		}
	}
	rec, err := session.ParseRecord(b)
	if err != nil {
		return nil, invalid(sessionRecord, err)
	}
	// The record keeps the first MaxArchivedStates archived states, as
	// libsignal does: check those.
	var one []byte
	for i, p := range wr.Previous[:min(len(wr.Previous), session.MaxArchivedStates)] {
		one = protowire.AppendTag(one[:0], 1, protowire.BytesType)
		one = protowire.AppendBytes(one, p)
		if _, err := session.ParseRecord(one); err != nil {
			return nil, invalid(sessionRecord, fmt.Errorf("archived state %d: %w", i, err))
		}
	}
	clear(one)
	return rec, nil
}

// ExportSessionRecord writes r as libsignal's SessionRecord, which
// libsignal (and this package's importers) read back. Archived states are
// written as they were read; the current state is written as libsignal
// writes it, so that a record imported from libsignal and not changed since
// exports to the bytes it was imported from. It fails with
// compat.ErrInvalidKey for a nil record.
func ExportSessionRecord(r *session.Record) ([]byte, error) {
	if r == nil {
		return nil, fmt.Errorf("%w: nil session record", compat.ErrInvalidKey)
	}
	return r.MarshalBinary()
}

// ImportLegacySessionRecord reads a session record in the layout that
// preceded libsignal's current one: LocalStorageProtocol.proto's
// RecordStructure, as libsignal-protocol-c and -java and python-axolotl
// write it (proto2, archived states embedded as messages). Field numbers
// are those of the current layout, which the legacy one lacks fields of
// (the pending prekey's timestamp, the Kyber prekey, the post-quantum
// ratchet state) and has two more (8, a pending key exchange of protocol
// version 2, and 12, needs_refresh), both dropped. A record already in the
// current layout reads the same way.
//
// The states are made what libsignal would have made them:
//
//   - A current state without a root key or any chain (what these
//     libraries keep as the current state of a record whose session was
//     archived, or never started) means no current state. Archived states
//     of that kind, and archived states of any version but 3 and 4, are
//     dropped: no peer speaks them. A current state of version 2 (or none:
//     libsignal-protocol-java reads a missing version as 2) is
//     compat.ErrUnsupportedVersion.
//   - A state waiting for its peer's first answer (a pending prekey) whose
//     creation time is unknown is dated importedAt: it then stops
//     encrypting session.MaxUnacknowledgedSessionAge after importedAt, as
//     sessions do here, where libsignal-protocol-c lets it send forever.
//     Pass the time of the migration.
//   - Beyond ratchet.MaxReceiverChains receiving chains, the oldest are
//     dropped; beyond ratchet.MaxSkippedKeysPerChain stored message keys of
//     a chain (python-axolotl does not bound them), the oldest are dropped;
//     beyond session.MaxArchivedStates archived states, the oldest are
//     dropped.
//
// The result is then checked as ImportSessionRecord checks a record, and
// ExportSessionRecord writes it in the current layout. Errors wrap
// compat.ErrInvalidRecord or compat.ErrUnsupportedVersion.
func ImportLegacySessionRecord(b []byte, importedAt time.Time) (*session.Record, error) {
	wr, err := wire.ParseRecord(b)
	if err != nil {
		return nil, invalid(legacySessionRecord, err)
	}
	var out wire.Record
	if s := wr.Current; s != nil && !emptyState(s) {
		if v := legacyVersion(s); v != 3 && v != 4 {
			return nil, fmt.Errorf("%w: %s: current state of version %d", compat.ErrUnsupportedVersion, legacySessionRecord, v)
		}
		normalizeState(s, importedAt)
		out.Current = s
	}
	for i, p := range wr.Previous {
		if len(out.Previous) == session.MaxArchivedStates {
			break
		}
		s, err := wire.ParseSessionStructure(p)
		if err != nil {
			return nil, invalid(legacySessionRecord, fmt.Errorf("archived state %d: %w", i, err))
		}
		if v := legacyVersion(s); emptyState(s) || (v != 3 && v != 4) {
			continue
		}
		normalizeState(s, importedAt)
		out.Previous = append(out.Previous, s.Append(nil))
	}
	enc := out.Append(nil)
	rec, err := ImportSessionRecord(enc)
	clear(enc)
	for _, p := range out.Previous {
		clear(p)
	}
	return rec, err
}

// emptyState reports whether s is a state that never started: no root
// key and no chain.
func emptyState(s *wire.SessionStructure) bool {
	return len(s.RootKey) == 0 && s.SenderChain == nil && len(s.ReceiverChains) == 0
}

// legacyVersion is s's session version as libsignal-protocol-java reads
// it: a missing version is 2.
func legacyVersion(s *wire.SessionStructure) uint32 {
	if s.Version == 0 {
		return 2
	}
	return s.Version
}

// normalizeState dates an undated pending prekey and trims what is beyond
// libsignal's bounds, oldest first (the legacy libraries append new chains
// and keys at the end).
func normalizeState(s *wire.SessionStructure, importedAt time.Time) {
	if p := s.PendingPreKey; p != nil && p.Timestamp == 0 && importedAt.Unix() > 0 {
		p.Timestamp = uint64(importedAt.Unix())
	}
	if n := len(s.ReceiverChains); n > ratchet.MaxReceiverChains {
		s.ReceiverChains = s.ReceiverChains[n-ratchet.MaxReceiverChains:]
	}
	for i := range s.ReceiverChains {
		c := &s.ReceiverChains[i]
		if n := len(c.MessageKeys); n > ratchet.MaxSkippedKeysPerChain {
			c.MessageKeys = c.MessageKeys[n-ratchet.MaxSkippedKeysPerChain:]
		}
	}
}
