package senderkey

import (
	"fmt"
	"strconv"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/wire"
)

// DistributionMessage hands a sender key to a group member: the chain id,
// the chain's current iteration and chain key, and the public signing key.
// It must travel over an authenticated, encrypted channel (the pairwise
// sessions), since its chain key decrypts the sender's group messages.
//
// DistributionMessage holds a secret; String and fmt print only public
// fields.
type DistributionMessage struct {
	distributionID DistributionID
	chainID        uint32
	iteration      uint32
	chainKey       [ChainKeySize]byte
	signingKey     curve.PublicKey
}

// ParseDistributionMessage decodes a SenderKeyDistributionMessage (0x33 ||
// protobuf). Errors wrap ErrInvalidMessage and the cause (wire layout,
// message version, or curve.ErrInvalidPublicKey). The result does not alias
// b.
func ParseDistributionMessage(b []byte) (*DistributionMessage, error) {
	w, err := wire.ParseSenderKeyDistributionMessage(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	pub, err := curve.ParsePublicKey(w.SigningKey)
	if err != nil {
		return nil, fmt.Errorf("%w: signing key: %w", ErrInvalidMessage, err)
	}
	m := &DistributionMessage{
		distributionID: w.DistributionID,
		chainID:        w.ChainID,
		iteration:      w.Iteration,
		signingKey:     pub,
	}
	copy(m.chainKey[:], w.ChainKey)
	clear(w.ChainKey)
	return m, nil
}

// Bytes returns the encoding 0x33 || protobuf {1 distribution id, 2 chain
// id, 3 iteration, 4 chain key, 5 signing key} in a new slice.
func (m *DistributionMessage) Bytes() []byte {
	w := wire.SenderKeyDistributionMessage{
		DistributionID: m.distributionID,
		ChainID:        m.chainID,
		Iteration:      m.iteration,
		ChainKey:       m.chainKey[:],
		SigningKey:     m.signingKey.Bytes(),
	}
	b, err := w.Append(make([]byte, 0, w.EncodedLen()))
	if err != nil {
		panic(err) // unreachable: both keys have their fixed sizes
	}
	return b
}

// DistributionID returns the distribution the sender key belongs to.
func (m *DistributionMessage) DistributionID() DistributionID { return m.distributionID }

// ChainID returns the id of the sender's chain.
func (m *DistributionMessage) ChainID() uint32 { return m.chainID }

// Iteration returns the chain iteration the message starts the receiver at.
func (m *DistributionMessage) Iteration() uint32 { return m.iteration }

// SigningKey returns the public key that signs the chain's messages.
func (m *DistributionMessage) SigningKey() curve.PublicKey { return m.signingKey }

// String describes m without its chain key.
func (m DistributionMessage) String() string {
	return "senderkey.DistributionMessage{distribution: " + m.distributionID.String() +
		", chain: " + strconv.FormatUint(uint64(m.chainID), 10) +
		", iteration: " + strconv.FormatUint(uint64(m.iteration), 10) +
		", signing key: " + m.signingKey.String() + ", chain key: REDACTED}"
}

// GoString is String.
func (m DistributionMessage) GoString() string { return m.String() }

// Format prints String for every verb, so no verb reveals the chain key.
func (m DistributionMessage) Format(f fmt.State, _ rune) { fmt.Fprint(f, m.String()) }
