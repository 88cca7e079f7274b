package omemo

import (
	"encoding/binary"
	"fmt"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/ratchet"
)

// recordV2 is an OMEMO 2 session: the Double Ratchet state, the associated
// data (initiator's then responder's Ed25519 identity key) and the key
// exchange that started it.
//
// Encoding (this package's own): format byte 1, flags byte (bit 0: we
// initiated; bit 1: key exchange still pending, i.e. the initiator has not
// yet received anything), AD (64), the peer's identity key in Montgomery
// form (32: the Ed25519 key's conversion, kept so that each message does
// not convert it again), pk_id (4, big-endian), spk_id (4), ek (32), then
// the ratchet state's MarshalBinary.
type recordV2 struct {
	initiator bool
	pending   bool
	ad        [2 * Ed25519KeySize]byte
	peer      curve.PublicKey // Montgomery form of the peer's Ed25519 identity key in ad
	kex       KeyExchange     // Message unused
	state     *ratchet.State

	heartbeat bool // set by decrypt: the message asks for a heartbeat (not stored)
}

const recordV2Format = 1

// recordV2Head is the size of a record before the ratchet state.
const recordV2Head = 2 + 64 + 32 + 8 + 32

// suiteV2 is OMEMO 2's Double Ratchet: Signal's chain with OMEMO's labels
// and the specification's previous counter.
var suiteV2 = ratchet.Suite{
	RootInfo:           "OMEMO Root Chain",
	MessageKeysInfo:    "OMEMO Message Key Material",
	CountPreviousChain: true,
}

// MaxSkipV2 is the number of message keys one OMEMO 2 message may skip
// (the forward-jump bound of its sessions): python-omemo's default, 1000,
// which follows the XEP's advice to bound skipped keys. Messages further
// ahead are refused with a *ratchet.LimitError (ErrForwardJumpTooLarge).
// Stored skipped keys are bounded by package ratchet's limits
// (MaxSkippedKeysPerChain per chain, MaxReceiverChains chains).
const MaxSkipV2 = 1000

func (r *recordV2) marshal() ([]byte, error) {
	st, err := r.state.MarshalBinary()
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, recordV2Head+len(st))
	var flags byte
	if r.initiator {
		flags |= 1
	}
	if r.pending {
		flags |= 2
	}
	b = append(b, recordV2Format, flags)
	b = append(b, r.ad[:]...)
	u := r.peer.U()
	b = append(b, u[:]...)
	b = binary.BigEndian.AppendUint32(b, r.kex.PreKeyID)
	b = binary.BigEndian.AppendUint32(b, r.kex.SignedPreKeyID)
	b = append(b, r.kex.EphemeralKey[:]...)
	return append(b, st...), nil
}

func unmarshalRecordV2(b []byte) (*recordV2, error) {
	if len(b) < recordV2Head || b[0] != recordV2Format || b[1]&^3 != 0 {
		return nil, fmt.Errorf("%w: malformed OMEMO 2 session record", ratchet.ErrInvalidState)
	}
	r := &recordV2{initiator: b[1]&1 != 0, pending: b[1]&2 != 0}
	copy(r.ad[:], b[2:66])
	peer, err := curve.NewPublicKey(b[66:98])
	if err != nil || peer.IsZero() {
		return nil, fmt.Errorf("%w: OMEMO 2 session record without peer identity", ratchet.ErrInvalidState)
	}
	r.peer = peer
	r.kex.PreKeyID = binary.BigEndian.Uint32(b[98:])
	r.kex.SignedPreKeyID = binary.BigEndian.Uint32(b[102:])
	copy(r.kex.EphemeralKey[:], b[106:138])
	copy(r.kex.IdentityKey[:], r.ad[:Ed25519KeySize])
	r.state = new(ratchet.State)
	if err := r.state.UnmarshalBinary(b[recordV2Head:]); err != nil {
		return nil, err
	}
	r.state.SetSuite(suiteV2)
	r.state.SetMaxForwardJump(MaxSkipV2)
	return r, nil
}
