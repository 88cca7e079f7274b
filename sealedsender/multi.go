package sealedsender

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/gcmsiv"
)

// MaxRegistrationID is the largest registration id a sent message can
// carry: registration ids are 14 bits.
const MaxRegistrationID = 0x3FFF

// hasMoreDevices marks, in a device entry's registration id field, that
// another device of the same recipient follows.
const hasMoreDevices = 0x8000

// Device is one device of a recipient of a sent message.
type Device struct {
	// ID is the device id, 1 to MaxDeviceID.
	ID uint32
	// RegistrationID is the device's registration id (at most
	// MaxRegistrationID): the service checks it against the device's
	// current one, so that a sender whose session is with an old install
	// learns that it must fetch a new bundle.
	RegistrationID uint32
}

// Recipient is one recipient account of a multi-recipient message: its
// service id, its identity key, and the devices the message is for.
type Recipient struct {
	ServiceID   ServiceID
	IdentityKey curve.PublicKey
	Devices     []Device
}

// v2Sealer is the part of a v2 message that does not depend on the
// recipient: the ephemeral key E, the encrypted content, and our identity.
type v2Sealer struct {
	m      []byte
	keys   v2Keys
	ct     []byte
	ours   *curve.IdentityKeyPair
	oursPK curve.PublicKey
}

func newV2Sealer(c *Content, ours *curve.IdentityKeyPair) (*v2Sealer, error) {
	if ours == nil {
		return nil, fmt.Errorf("%w: missing identity key", ErrInvalidArgument)
	}
	usmc, err := c.MarshalBinary()
	if err != nil {
		return nil, err
	}
	m := make([]byte, v2MessageKeySize)
	rand.Read(m)
	keys, err := deriveV2(m)
	if err != nil {
		return nil, err
	}
	aead, err := gcmsiv.New(keys.k)
	clear(keys.k)
	if err != nil {
		return nil, err
	}
	var nonce [12]byte
	ct := aead.Seal(usmc[:0], nonce[:], usmc, nil)
	return &v2Sealer{m: m, keys: keys, ct: ct, ours: ours, oursPK: ours.PublicKey()}, nil
}

func (s *v2Sealer) destroy() { clear(s.m) }

// appendKeyMaterial appends C || AT for a recipient with identity key r.
func (s *v2Sealer) appendKeyMaterial(b []byte, r curve.PublicKey) ([]byte, error) {
	if r.IsZero() {
		return nil, fmt.Errorf("%w: recipient without an identity key", ErrInvalidArgument)
	}
	c, err := v2XorKey(s.keys.e, r, s.keys.pub, r, s.m)
	if err != nil {
		return nil, err
	}
	at, err := v2AuthTag(s.ours.PrivateKey(), r, s.keys.pub, c, s.oursPK, r)
	if err != nil {
		return nil, err
	}
	return append(append(b, c...), at...), nil
}

// appendShared appends E || ciphertext.
func (s *v2Sealer) appendShared(b []byte) []byte {
	u := s.keys.pub.U()
	return append(append(b, u[:]...), s.ct...)
}

// keyMaterialSize is the size of one recipient's C || AT.
const keyMaterialSize = v2MessageKeySize + v2TagSize

// parallelRecipients is the number of recipients from which SealV2 spreads
// the key agreements (two per recipient) over GOMAXPROCS goroutines.
const parallelRecipients = 16

// keyMaterials computes C || AT for every recipient, in parallel for many.
func (s *v2Sealer) keyMaterials(recipients []Recipient) ([]byte, error) {
	out := make([]byte, len(recipients)*keyMaterialSize)
	one := func(i int) error {
		_, err := s.appendKeyMaterial(out[i*keyMaterialSize:i*keyMaterialSize], recipients[i].IdentityKey)
		return err
	}
	workers := min(runtime.GOMAXPROCS(0), len(recipients)/(parallelRecipients/2))
	if len(recipients) < parallelRecipients || workers < 2 {
		for i := range recipients {
			if err := one(i); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(recipients); i += workers {
				if err := one(i); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// sealV2Single returns the received message (0x22) for one recipient.
func sealV2Single(c *Content, ours *curve.IdentityKeyPair, theirs curve.PublicKey) ([]byte, error) {
	s, err := newV2Sealer(c, ours)
	if err != nil {
		return nil, err
	}
	defer s.destroy()
	out := make([]byte, 0, 1+v2MessageKeySize+v2TagSize+v2PublicKeySize+len(s.ct))
	out = append(out, versionV2UUID)
	if out, err = s.appendKeyMaterial(out, theirs); err != nil {
		return nil, err
	}
	return s.appendShared(out), nil
}

// SealV2 seals c for many recipients with sealed sender v2, in the
// multi-recipient form that a sender uploads (version 0x23): the content
// is encrypted once, and each recipient gets its own 48 bytes of key
// material, shared by its devices. Excluded recipients are listed without
// devices, so that the service can tell a deliberate omission from a
// stale member list. A recipient's devices must be listed together, in
// one Recipient.
func SealV2(c *Content, ours *curve.IdentityKeyPair, recipients []Recipient, excluded []ServiceID) ([]byte, error) {
	size := 1 + protowire.SizeVarint(uint64(len(recipients)+len(excluded)))
	for _, r := range recipients {
		if len(r.Devices) == 0 {
			return nil, fmt.Errorf("%w: recipient %s without devices (list it as excluded)", ErrInvalidArgument, r.ServiceID)
		}
		for _, d := range r.Devices {
			if d.ID < 1 || d.ID > MaxDeviceID {
				return nil, fmt.Errorf("%w: device id %d of %s", ErrInvalidArgument, d.ID, r.ServiceID)
			}
			if d.RegistrationID > MaxRegistrationID {
				return nil, fmt.Errorf("%w: registration id %d of %s.%d is more than 14 bits", ErrInvalidArgument, d.RegistrationID, r.ServiceID, d.ID)
			}
		}
		size += ServiceIDSize + 3*len(r.Devices) + v2MessageKeySize + v2TagSize
	}
	size += (ServiceIDSize + 1) * len(excluded)
	// A message that lists a recipient both with and without devices, or
	// twice without, does not parse (here, in libsignal and at the
	// service): refuse it before it is uploaded.
	listed := make(map[ServiceID]bool, len(recipients)+len(excluded))
	for _, r := range recipients {
		listed[r.ServiceID] = true
	}
	for _, id := range excluded {
		if listed[id] {
			return nil, fmt.Errorf("%w: %s is excluded and listed again", ErrInvalidArgument, id)
		}
		listed[id] = true
	}
	s, err := newV2Sealer(c, ours)
	if err != nil {
		return nil, err
	}
	defer s.destroy()
	km, err := s.keyMaterials(recipients)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, size+v2PublicKeySize+len(s.ct))
	out = append(out, versionV2ServiceID)
	out = protowire.AppendVarint(out, uint64(len(recipients)+len(excluded)))
	for i, r := range recipients {
		out = r.ServiceID.appendBinary(out)
		for j, d := range r.Devices {
			reg := uint16(d.RegistrationID)
			if j < len(r.Devices)-1 {
				reg |= hasMoreDevices
			}
			out = append(out, byte(d.ID))
			out = binary.BigEndian.AppendUint16(out, reg)
		}
		out = append(out, km[i*keyMaterialSize:(i+1)*keyMaterialSize]...)
	}
	for _, id := range excluded {
		out = id.appendBinary(out)
		out = append(out, 0)
	}
	return s.appendShared(out), nil
}

// SentMessage is a parsed multi-recipient message, as the service sees
// it: enough to hand each recipient its received message (MessageFor).
type SentMessage struct {
	// Version is the version byte: 0x23, or 0x22 for the legacy form
	// whose recipients are bare ACIs.
	Version byte
	// Recipients are the recipients with devices, in the order they first
	// appear; a recipient listed twice has its devices joined.
	Recipients []SentRecipient
	// Excluded are the recipients listed without devices.
	Excluded []ServiceID
	shared   []byte // E || ciphertext
}

// SentRecipient is one recipient of a SentMessage.
type SentRecipient struct {
	ServiceID ServiceID
	// Devices are the recipient's devices as listed (the service checks
	// them against the account's devices and registration ids).
	Devices     []Device
	keyMaterial []byte // C || AT
}

// ParseSentMessage parses a multi-recipient message (version 0x23 or the
// legacy 0x22). It does not decrypt anything: the service cannot.
func ParseSentMessage(b []byte) (*SentMessage, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty sent message", ErrInvalidMessage)
	}
	if len(b) > MaxEnvelopeSize {
		return nil, fmt.Errorf("%w: sent message of %d bytes, limit %d", ErrInvalidMessage, len(b), MaxEnvelopeSize)
	}
	m := &SentMessage{Version: b[0]}
	idSize := ServiceIDSize
	switch b[0] {
	case versionV2ServiceID:
	case versionV2UUID:
		idSize = 16
	default:
		return nil, fmt.Errorf("%w: sent message version byte 0x%02x", ErrUnknownVersion, b[0])
	}
	rest := b[1:]
	count, n := protowire.ConsumeVarint(rest)
	if n < 0 || count > 0xFFFFFFFF {
		return nil, fmt.Errorf("%w: bad recipient count", ErrInvalidMessage)
	}
	rest = rest[n:]
	if count > uint64(len(rest)/(idSize+1)) {
		return nil, fmt.Errorf("%w: %d recipients cannot fit in %d bytes", ErrInvalidMessage, count, len(rest))
	}
	truncated := fmt.Errorf("%w: sent message truncated", ErrInvalidMessage)
	// count fits in the message (checked above), so the sizes below are
	// bounded by its length.
	index := make(map[ServiceID]int, count)
	var excluded map[ServiceID]bool
	m.Recipients = make([]SentRecipient, 0, count)
	for range count {
		if len(rest) < idSize {
			return nil, truncated
		}
		var id ServiceID
		if idSize == 16 {
			id = ServiceID{Kind: ACI, UUID: [16]byte(rest[:16])}
		} else {
			var ok bool
			if id, ok = parseServiceIDBinary(rest[:ServiceIDSize]); !ok {
				return nil, fmt.Errorf("%w: bad service id kind %d", ErrInvalidMessage, rest[0])
			}
		}
		rest = rest[idSize:]
		var devices []Device
		for {
			if len(rest) < 1 {
				return nil, truncated
			}
			d := rest[0]
			rest = rest[1:]
			if d == 0 {
				if len(devices) > 0 {
					return nil, fmt.Errorf("%w: device id 0 after a device of %s", ErrInvalidMessage, id)
				}
				break
			}
			if d > MaxDeviceID {
				return nil, fmt.Errorf("%w: device id %d of %s", ErrInvalidMessage, d, id)
			}
			if len(rest) < 2 {
				return nil, truncated
			}
			reg := binary.BigEndian.Uint16(rest)
			rest = rest[2:]
			devices = append(devices, Device{ID: uint32(d), RegistrationID: uint32(reg & MaxRegistrationID)})
			if reg&hasMoreDevices == 0 {
				break
			}
		}
		if len(devices) == 0 {
			if _, dup := index[id]; dup || excluded[id] {
				return nil, fmt.Errorf("%w: recipient %s listed again without devices", ErrInvalidMessage, id)
			}
			if excluded == nil {
				excluded = make(map[ServiceID]bool)
			}
			excluded[id] = true
			m.Excluded = append(m.Excluded, id)
			continue
		}
		if len(rest) < v2MessageKeySize+v2TagSize {
			return nil, truncated
		}
		km := rest[: v2MessageKeySize+v2TagSize : v2MessageKeySize+v2TagSize]
		rest = rest[v2MessageKeySize+v2TagSize:]
		if excluded[id] {
			return nil, fmt.Errorf("%w: recipient %s listed again without devices", ErrInvalidMessage, id)
		}
		if i, dup := index[id]; dup {
			// As libsignal: the devices join, the first key material
			// stays (a mismatch only makes some devices fail to decrypt).
			m.Recipients[i].Devices = append(m.Recipients[i].Devices, devices...)
			continue
		}
		index[id] = len(m.Recipients)
		m.Recipients = append(m.Recipients, SentRecipient{ServiceID: id, Devices: devices, keyMaterial: km})
	}
	if len(rest) < v2PublicKeySize {
		return nil, fmt.Errorf("%w: sent message lacks its ephemeral key", ErrInvalidMessage)
	}
	m.shared = rest
	return m, nil
}

// MessageFor returns the received message (version 0x22) that the service
// hands to every device of r, one of m.Recipients.
func (m *SentMessage) MessageFor(r *SentRecipient) []byte {
	out := make([]byte, 0, 1+len(r.keyMaterial)+len(m.shared))
	out = append(out, versionV2UUID)
	out = append(out, r.keyMaterial...)
	return append(out, m.shared...)
}

// Recipient returns the recipient with service id id, or nil.
func (m *SentMessage) Recipient(id ServiceID) *SentRecipient {
	for i := range m.Recipients {
		if m.Recipients[i].ServiceID == id {
			return &m.Recipients[i]
		}
	}
	return nil
}
