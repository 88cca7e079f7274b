package recovery

import (
	"fmt"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/sealedsender"
)

// SealReply seals reply (from ReplyForInner) for the sender of the
// envelope that failed, described by failed: a sealed sender v1 envelope
// of content type sealedsender.TypePlaintext, for failed.Sender's identity
// key (the one its certificate vouches for, so no session is needed: the
// session is what broke), under cert (this device's sender certificate)
// and ours (this device's identity key pair), with failed.GroupID and
// content hint sealedsender.HintImplicit. Send it to failed.Sender's UUID
// and device.
//
// The hint is Signal-Android's (Signal-Desktop uses HintDefault); a
// PlaintextContent cannot fail to decrypt, so no receiver acts on it.
func SealReply(reply *PlaintextContent, failed *sealedsender.InnerError, cert *sealedsender.SenderCertificate, ours *curve.IdentityKeyPair) ([]byte, error) {
	if reply == nil || failed == nil || cert == nil || ours == nil {
		return nil, fmt.Errorf("%w: SealReply needs a reply, the failure, a certificate and an identity", ErrInvalidArgument)
	}
	c := &sealedsender.Content{
		Type:        sealedsender.TypePlaintext,
		Certificate: cert,
		Body:        reply.Bytes(),
		Hint:        sealedsender.HintImplicit,
		GroupID:     failed.GroupID,
	}
	return sealedsender.SealV1(c, ours, failed.Sender.IdentityKey)
}
