package sealedsender

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
)

// LocalAddress is this device's account and device, for the self-send
// check.
type LocalAddress struct {
	// UUID is our ACI as a string.
	UUID string
	// E164 is our phone number, or "".
	E164 string
	// DeviceID is our device id.
	DeviceID uint32
}

// Config is what a Cipher needs.
type Config struct {
	// Sessions encrypts and decrypts the session messages inside
	// envelopes. Required.
	Sessions *session.Manager
	// Identity gives our identity key pair. Required; usually the store
	// the Manager uses.
	Identity session.IdentityStore
	// Groups decrypts sender-key messages inside envelopes and encrypts
	// them for EncryptGroup. Optional: without it those fail.
	Groups *senderkey.Cipher
	// TrustRoots are the public keys the app trusts to certify server
	// certificates (for the Signal service, the keys its apps ship with).
	// Required for Decrypt.
	TrustRoots []curve.PublicKey
	// Local is this device, for the self-send check. Required for Decrypt.
	Local LocalAddress
	// Now returns the time certificates are validated at (default
	// time.Now).
	Now func() time.Time
}

// Cipher seals and opens envelopes around session and sender-key
// messages. It is safe for concurrent use as far as its Manager and
// sender-key Cipher are.
type Cipher struct {
	cfg Config
}

// NewCipher returns a Cipher for cfg. It fails when cfg lacks the Manager
// or the identity store.
func NewCipher(cfg Config) (*Cipher, error) {
	if cfg.Sessions == nil || cfg.Identity == nil {
		return nil, fmt.Errorf("%w: a Cipher needs a session.Manager and an identity store", ErrInvalidArgument)
	}
	cfg.TrustRoots = append([]curve.PublicKey(nil), cfg.TrustRoots...)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Cipher{cfg: cfg}, nil
}

// String describes the Cipher without any key.
func (c *Cipher) String() string {
	return fmt.Sprintf("sealedsender.Cipher{local %s.%d, %d trust roots}", c.cfg.Local.UUID, c.cfg.Local.DeviceID, len(c.cfg.TrustRoots))
}

// GoString is String.
func (c *Cipher) GoString() string { return c.String() }

// Format prints String for every verb.
func (c *Cipher) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) }

// Version selects the sealed-sender version of a 1:1 envelope.
type Version int

// The versions.
const (
	// V1 is sealed sender v1 (0x11), what Signal clients send 1:1.
	V1 Version = 1
	// V2 is a single-recipient sealed sender v2 received message (0x22).
	V2 Version = 2
)

// Options are the optional parts of an envelope.
type Options struct {
	// Version is V1 (the default) or V2; EncryptGroup always uses v2.
	Version Version
	// Hint is the content hint.
	Hint ContentHint
	// GroupID names the group the message is for, if any.
	GroupID []byte
}

// Encrypt encrypts plaintext for to with the session Manager and seals it
// under cert (our sender certificate) for to's identity key, the one the
// session was made with. A v2 envelope needs to's name to be a service id
// string.
func (c *Cipher) Encrypt(ctx context.Context, to session.Address, cert *SenderCertificate, plaintext []byte, opts *Options) ([]byte, error) {
	if cert == nil {
		return nil, fmt.Errorf("%w: missing sender certificate", ErrInvalidArgument)
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Version != 0 && o.Version != V1 && o.Version != V2 {
		return nil, fmt.Errorf("%w: version %d", ErrInvalidArgument, o.Version)
	}
	ours, err := c.cfg.Identity.IdentityKeyPair(ctx)
	if err != nil {
		return nil, fmt.Errorf("sealedsender: identity store: %w", err)
	}
	msg, err := c.cfg.Sessions.Encrypt(ctx, to, plaintext)
	if err != nil {
		return nil, err
	}
	info, err := c.cfg.Sessions.Info(ctx, to)
	if err != nil {
		return nil, err
	}
	content := &Content{Type: ContentType(msg.Type), Certificate: cert, Body: msg.Body, Hint: o.Hint, GroupID: o.GroupID}
	if o.Version == V2 {
		return sealV2Single(content, ours, info.RemoteIdentity)
	}
	return SealV1(content, ours, info.RemoteIdentity)
}

// Seal seals an already-encrypted content (for example a PlaintextContent
// of package recovery, type TypePlaintext) for to, with v1 or v2 as
// opts.Version says, for the identity key of to's current session.
func (c *Cipher) Seal(ctx context.Context, to session.Address, content *Content, opts *Options) ([]byte, error) {
	ours, err := c.cfg.Identity.IdentityKeyPair(ctx)
	if err != nil {
		return nil, fmt.Errorf("sealedsender: identity store: %w", err)
	}
	info, err := c.cfg.Sessions.Info(ctx, to)
	if err != nil {
		return nil, err
	}
	if opts != nil && opts.Version == V2 {
		return sealV2Single(content, ours, info.RemoteIdentity)
	}
	return SealV1(content, ours, info.RemoteIdentity)
}

// EncryptGroup encrypts plaintext once with our sender key for
// distribution id and seals it with sealed sender v2 for every address in
// to, returning the multi-recipient message for the service to split.
// Every address needs a session (for the recipient's identity key and
// registration id) and a name that is a service id string; the devices of
// one recipient must be adjacent in to. excluded lists members deliberately
// left out. opts.GroupID should name the group.
func (c *Cipher) EncryptGroup(ctx context.Context, self senderkey.Sender, id senderkey.DistributionID, to []session.Address, excluded []ServiceID, cert *SenderCertificate, plaintext []byte, opts *Options) ([]byte, error) {
	if c.cfg.Groups == nil {
		return nil, fmt.Errorf("%w: the Cipher has no sender-key cipher", ErrInvalidArgument)
	}
	if cert == nil {
		return nil, fmt.Errorf("%w: missing sender certificate", ErrInvalidArgument)
	}
	recipients, err := c.recipients(ctx, to)
	if err != nil {
		return nil, err
	}
	ours, err := c.cfg.Identity.IdentityKeyPair(ctx)
	if err != nil {
		return nil, fmt.Errorf("sealedsender: identity store: %w", err)
	}
	body, err := c.cfg.Groups.Encrypt(ctx, self, id, plaintext)
	if err != nil {
		return nil, err
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	return SealV2(&Content{Type: TypeSenderKey, Certificate: cert, Body: body, Hint: o.Hint, GroupID: o.GroupID}, ours, recipients, excluded)
}

// recipients groups adjacent addresses of one name into Recipients, with
// the identity keys and registration ids of their sessions.
func (c *Cipher) recipients(ctx context.Context, to []session.Address) ([]Recipient, error) {
	var out []Recipient
	for i, addr := range to {
		info, err := c.cfg.Sessions.Info(ctx, addr)
		if err != nil {
			return nil, fmt.Errorf("sealedsender: session with %s: %w", addr, err)
		}
		if info.RemoteRegistrationID > MaxRegistrationID {
			return nil, fmt.Errorf("%w: registration id %d of %s is more than 14 bits", ErrInvalidArgument, info.RemoteRegistrationID, addr)
		}
		d := Device{ID: addr.DeviceID, RegistrationID: info.RemoteRegistrationID}
		if i > 0 && to[i-1].Name == addr.Name {
			r := &out[len(out)-1]
			if !r.IdentityKey.Equal(info.RemoteIdentity) {
				return nil, fmt.Errorf("%w: the sessions with %s's devices have different identity keys", ErrInvalidArgument, addr.Name)
			}
			r.Devices = append(r.Devices, d)
			continue
		}
		sid, err := ParseServiceID(addr.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, Recipient{ServiceID: sid, IdentityKey: info.RemoteIdentity, Devices: []Device{d}})
	}
	return out, nil
}

// Result is a decrypted envelope.
type Result struct {
	// Sender is the validated sender certificate's content.
	Sender Sender
	// Type is the inner message's type.
	Type ContentType
	// Hint is the content hint.
	Hint ContentHint
	// GroupID is the group id the sender named, or nil.
	GroupID []byte
	// Plaintext is the decrypted message; for TypePlaintext, the
	// PlaintextContent as sent (see package recovery).
	Plaintext []byte
}

// Address returns the sender's session address.
func (r *Result) Address() session.Address {
	return session.Address{Name: r.Sender.UUID, DeviceID: r.Sender.DeviceID}
}

// Decrypt opens an envelope (v1, or a v2 received message), validates its
// sender certificate against the trust roots at Now, refuses one from
// this very device (ErrSelfSend), and decrypts the inner message: a session
// message with the Manager (as from the certificate's UUID and device), a
// sender-key message with the sender-key cipher; a PlaintextContent is
// returned as it is. Nothing is stored unless everything succeeded. An
// error of the inner decryption is an *InnerError naming the sender.
func (c *Cipher) Decrypt(ctx context.Context, envelope []byte) (*Result, error) {
	var res *Result
	err := c.DecryptWith(ctx, envelope, func(r *Result) error {
		res = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// DecryptWith decrypts like Decrypt but hands the result to handle before
// any state is stored: if handle fails, nothing is stored and DecryptWith
// returns handle's error (not wrapped in an InnerError), so the envelope can
// be decrypted again later. handle runs under the sender's session or
// sender-key lock: it must not use this Cipher for the same sender. It may
// run more than once (see session.Manager.DecryptWith).
func (c *Cipher) DecryptWith(ctx context.Context, envelope []byte, handle func(*Result) error) error {
	if len(c.cfg.TrustRoots) == 0 {
		return fmt.Errorf("%w: the Cipher has no trust roots", ErrInvalidArgument)
	}
	ours, err := c.cfg.Identity.IdentityKeyPair(ctx)
	if err != nil {
		return fmt.Errorf("sealedsender: identity store: %w", err)
	}
	content, err := Open(envelope, ours)
	if err != nil {
		return err
	}
	if err := content.Certificate.Validate(c.cfg.Now(), c.cfg.TrustRoots...); err != nil {
		return err
	}
	s := content.Certificate.sender
	local := c.cfg.Local
	if (s.UUID == local.UUID || (s.E164 != "" && s.E164 == local.E164)) && s.DeviceID == local.DeviceID {
		return ErrSelfSend
	}
	res := &Result{Sender: s, Type: content.Type, Hint: content.Hint, GroupID: content.GroupID}
	// A failing handler's error travels through session and senderkey in a
	// handlerError, found again below with errors.As: errors.Is cannot
	// recognise an error whose type == cannot compare.
	call := func(pt []byte) error {
		res.Plaintext = pt
		if err := handle(res); err != nil {
			return &handlerError{err}
		}
		return nil
	}
	switch content.Type {
	case TypeSignal, TypePreKey:
		err = c.cfg.Sessions.DecryptWith(ctx, res.Address(), session.Message{Type: session.MessageType(content.Type), Body: content.Body}, call)
	case TypeSenderKey:
		if c.cfg.Groups == nil {
			err = fmt.Errorf("%w: a sender-key message, and the Cipher has no sender-key cipher", ErrInvalidArgument)
		} else {
			err = c.cfg.Groups.DecryptWith(ctx, senderkey.Sender{Name: s.UUID, DeviceID: s.DeviceID}, content.Body, call)
		}
	case TypePlaintext:
		err = call(content.Body)
	}
	if err == nil {
		return nil
	}
	if he, ok := errors.AsType[*handlerError](err); ok {
		return he.err
	}
	return &InnerError{Sender: s, Type: content.Type, Hint: content.Hint, GroupID: content.GroupID, Body: content.Body, Err: err}
}

// handlerError carries the error of DecryptWith's handler through the
// session or sender-key cipher, which return it unchanged.
type handlerError struct{ err error }

func (e *handlerError) Error() string { return e.err.Error() }
func (e *handlerError) Unwrap() error { return e.err }
