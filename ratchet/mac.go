package ratchet

import (
	"crypto/subtle"

	"github.com/forwardsecret/signal/curve"
)

// SignalMAC returns a SignalMessage's tag: HMAC-SHA256(key, sender || receiver
// || message)[:8], where sender and receiver are the 33-byte identity keys
// of the message's sender and receiver and message is the serialized
// message up to the tag (version byte || protobuf). It uses the state's
// scratch hash and allocates nothing; it may be called from Decrypt's verify
// function.
func (s *State) SignalMAC(key *MACKey, sender, receiver curve.PublicKey, message []byte) [MACSize]byte {
	k := s.k
	copy(k.mac[:], key[:])
	sender.AppendBytes(k.ids[:0])
	receiver.AppendBytes(k.ids[curve.PublicKeySize:curve.PublicKeySize])
	k.HMACStart(k.mac[:])
	k.Write(k.ids[:])
	k.Write(message)
	k.HMACEnd(k.mac[:], k.tag[:])
	var tag [MACSize]byte
	copy(tag[:], k.tag[:])
	clear(k.mac[:])
	return tag
}

// VerifySignalMAC checks tag against SignalMAC(key, sender, receiver,
// message) in constant time and returns ErrInvalidMAC if they differ. It is
// the usual body of Decrypt's verify function.
func (s *State) VerifySignalMAC(key *MACKey, sender, receiver curve.PublicKey, message, tag []byte) error {
	want := s.SignalMAC(key, sender, receiver, message)
	if subtle.ConstantTimeCompare(want[:], tag) != 1 {
		return ErrInvalidMAC
	}
	return nil
}
