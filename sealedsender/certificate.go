package sealedsender

import (
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/wire"
)

// RevokedServerKeyIDs are the server certificate key ids that no longer
// validate, as in libsignal: 0xDEADC357 is the id libsignal keeps revoked
// to test the rule (no production certificate has been revoked).
var RevokedServerKeyIDs = []uint32{0xDEADC357}

// KnownServerCertificate is a server certificate that sender certificates
// may name by key id instead of embedding it.
type KnownServerCertificate struct {
	// TrustRoot is the trust root that signed it.
	TrustRoot curve.PublicKey
	// Certificate is the certificate.
	Certificate *ServerCertificate
}

// knownServerCertificates are libsignal's: the staging (2) and production
// (3) certificates of the Signal service, and a test certificate
// (0x7357C357) whose trust root's private key is 32 zero bytes and whose
// server key's private key is 32 0xFF bytes.
var knownServerCertificates = func() map[uint32]KnownServerCertificate {
	m := make(map[uint32]KnownServerCertificate)
	for _, k := range []struct {
		id         uint32
		root, cert string
	}{
		{2, "058854ead3e3a8fe3a286644cd1b3538be14dfd5797653c9fd7d3d85ae2b12b926",
			"0a25080212210539450d63ebd0752c0fd4038b9d07a916f5e174b756d409b5ca79f4c97400631e124064c5a38b1e927497d3d4786b101a623ab34a7da3954fae126b04dba9d7a3604ed88cdc8550950f0d4a9134ceb7e19b94139151d2c3d6e1c81e9d1128aafca806"},
		{3, "054918d08fbdfa83e00c29f8f8073a22ef35df2bea903aff81af03ccbc45c6e93a",
			"0a250803122105bc9d1d290be964810dfa7e94856480a3f7060d004c9762c24c575a1522353a5a1240c11ec3c401eb0107ab38f8600e8720a63169e0e2eb8a3fae24f63099f85ea319c3c1c46d3454706ae2a679d1fee690a488adda98a2290b66c906bb60295ed781"},
		{0x7357C357, "052fe57da347cd62431528daac5fbb290730fff684afc4cfc2ed90995f58cb3b74",
			"0a2908d786df9a07122105847c0d2c375234f365e660955187a3735a0f7613d1609d3a6a4d8c53aeaa5a221240e0b9ebacdfc3aa2827f7924b697784d1c25e44ca05dd433e1a38dc6382eb2730d419ca9a250b1be9d5a9463e61efd6781777a91b83c97b844d014206e2829785"},
	} {
		root, err := curve.ParsePublicKey(mustHex(k.root))
		if err != nil {
			panic(err)
		}
		cert, err := ParseServerCertificate(mustHex(k.cert))
		if err != nil || cert.keyID != k.id {
			panic(fmt.Sprintf("sealedsender: known server certificate %#x: %v", k.id, err))
		}
		m[k.id] = KnownServerCertificate{TrustRoot: root, Certificate: cert}
	}
	return m
}()

// KnownServerCertificates returns the server certificates that sender
// certificates may name by key id, by id.
func KnownServerCertificates() map[uint32]KnownServerCertificate {
	m := make(map[uint32]KnownServerCertificate, len(knownServerCertificates))
	for id, k := range knownServerCertificates {
		m[id] = k
	}
	return m
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// Protobuf field numbers of the certificates.
const (
	fieldCertificate = 1 // ServerCertificate / SenderCertificate
	fieldSignature   = 2

	fieldServerID  = 1 // ServerCertificate.Certificate
	fieldServerKey = 2

	fieldSenderE164       = 1 // SenderCertificate.Certificate
	fieldSenderDevice     = 2
	fieldSenderExpires    = 3
	fieldSenderIdentity   = 4
	fieldSenderSignerCert = 5
	fieldSenderUUIDString = 6
	fieldSenderUUIDBytes  = 7
	fieldSenderSignerID   = 8
)

// ServerCertificate is the Signal service's key for signing sender
// certificates, signed by a trust root (whose public key apps ship with).
type ServerCertificate struct {
	raw         []byte // the whole serialized certificate
	certificate []byte // the signed part
	signature   []byte
	keyID       uint32
	key         curve.PublicKey
}

// NewServerCertificate makes a server certificate for key, under id keyID,
// signed (XEdDSA) by trustRoot: what a Signal-compatible server or a test
// needs.
func NewServerCertificate(keyID uint32, key curve.PublicKey, trustRoot *curve.IdentityKeyPair) (*ServerCertificate, error) {
	if key.IsZero() || trustRoot == nil {
		return nil, fmt.Errorf("%w: missing server key or trust root", ErrInvalidArgument)
	}
	var cert []byte
	cert = protowire.AppendTag(cert, fieldServerID, protowire.VarintType)
	cert = protowire.AppendVarint(cert, uint64(keyID))
	cert = protowire.AppendTag(cert, fieldServerKey, protowire.BytesType)
	cert = protowire.AppendBytes(cert, key.Bytes())
	sig, err := trustRoot.Sign(cert)
	if err != nil {
		return nil, err
	}
	return &ServerCertificate{raw: signedEnvelope(cert, sig), certificate: cert, signature: sig, keyID: keyID, key: key}, nil
}

// signedEnvelope encodes {certificate = 1, signature = 2}.
func signedEnvelope(cert, sig []byte) []byte {
	b := make([]byte, 0, len(cert)+len(sig)+8)
	b = protowire.AppendTag(b, fieldCertificate, protowire.BytesType)
	b = protowire.AppendBytes(b, cert)
	b = protowire.AppendTag(b, fieldSignature, protowire.BytesType)
	return protowire.AppendBytes(b, sig)
}

// parseSigned reads {certificate = 1, signature = 2}; both must be present.
func parseSigned(b []byte, msg string) (cert, sig []byte, err error) {
	r := wire.NewReader(b, msg)
	var haveCert, haveSig bool
	for r.More() {
		num, typ, err := r.Tag()
		if err != nil {
			return nil, nil, err
		}
		switch num {
		case fieldCertificate:
			if cert, err = r.Raw("certificate", typ); err != nil {
				return nil, nil, err
			}
			haveCert = true
		case fieldSignature:
			if sig, err = r.Raw("signature", typ); err != nil {
				return nil, nil, err
			}
			haveSig = true
		default:
			if err := r.Skip(num, typ); err != nil {
				return nil, nil, err
			}
		}
	}
	if !haveCert || !haveSig {
		return nil, nil, fmt.Errorf("%s lacks its certificate or signature", msg)
	}
	return cert, sig, nil
}

// ParseServerCertificate decodes a server certificate. It does not verify
// it (see Verify).
func ParseServerCertificate(b []byte) (*ServerCertificate, error) {
	cert, sig, err := parseSigned(b, "ServerCertificate")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCertificate, err)
	}
	c := &ServerCertificate{raw: clone(b), certificate: clone(cert), signature: clone(sig)}
	r := wire.NewReader(cert, "ServerCertificate.Certificate")
	var haveID, haveKey bool
	for r.More() {
		num, typ, err := r.Tag()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidCertificate, err)
		}
		switch num {
		case fieldServerID:
			if c.keyID, err = r.Uint32("id", typ); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrInvalidCertificate, err)
			}
			haveID = true
		case fieldServerKey:
			v, err := r.Raw("key", typ)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrInvalidCertificate, err)
			}
			if c.key, err = curve.ParsePublicKey(v); err != nil {
				return nil, fmt.Errorf("%w: server key: %w", ErrInvalidCertificate, err)
			}
			haveKey = true
		default:
			if err := r.Skip(num, typ); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrInvalidCertificate, err)
			}
		}
	}
	if !haveID || !haveKey {
		return nil, fmt.Errorf("%w: server certificate lacks its id or key", ErrInvalidCertificate)
	}
	return c, nil
}

// KeyID returns the server key's id.
func (c *ServerCertificate) KeyID() uint32 { return c.keyID }

// Key returns the server key.
func (c *ServerCertificate) Key() curve.PublicKey { return c.key }

// Bytes returns the serialized certificate in a new slice.
func (c *ServerCertificate) Bytes() []byte { return clone(c.raw) }

// Verify checks that one of trustRoots signed c, and that c's key id is
// not revoked. It checks every root, so that its time does not tell which
// one signed. Errors: ErrRevoked, ErrUntrustedRoot.
func (c *ServerCertificate) Verify(trustRoots ...curve.PublicKey) error {
	for _, id := range RevokedServerKeyIDs {
		if c.keyID == id {
			return fmt.Errorf("%w: %#x", ErrRevoked, c.keyID)
		}
	}
	ok := 0
	for _, root := range trustRoots {
		v := 0
		if root.VerifySignature(c.certificate, c.signature) {
			v = 1
		}
		ok |= v
	}
	if subtle.ConstantTimeEq(int32(ok), 1) != 1 {
		return ErrUntrustedRoot
	}
	return nil
}

// Sender is what a sender certificate says about its sender.
type Sender struct {
	// UUID is the sender's ACI, as a string.
	UUID string
	// E164 is the sender's phone number, or "" when the certificate has
	// none.
	E164 string
	// DeviceID is the sender's device, 1 to 127.
	DeviceID uint32
	// IdentityKey is the sender's identity key. The envelope's key
	// agreement proves the sender holds it.
	IdentityKey curve.PublicKey
	// Expires is when the certificate expires (with millisecond
	// precision); it validates until then, inclusive.
	Expires time.Time
}

// MaxDeviceID is the largest device id the Signal service gives out; sender
// certificates and sent messages hold 1 to MaxDeviceID.
const MaxDeviceID = 127

// SenderCertificate is the Signal service's statement that an identity
// key belongs to an account's device until a time, signed by a server key
// that a trust root certified.
type SenderCertificate struct {
	raw         []byte
	certificate []byte
	signature   []byte
	sender      Sender
	expiresMS   uint64
	signer      *ServerCertificate // nil when named by id
	signerID    uint32
}

// NewSenderCertificate makes a sender certificate for s, signed (XEdDSA) by
// signerKey, the private key of signer. The certificate embeds signer.
func NewSenderCertificate(s Sender, signer *ServerCertificate, signerKey *curve.IdentityKeyPair) (*SenderCertificate, error) {
	if signer == nil || signerKey == nil {
		return nil, fmt.Errorf("%w: missing signer", ErrInvalidArgument)
	}
	if s.DeviceID < 1 || s.DeviceID > MaxDeviceID {
		return nil, fmt.Errorf("%w: device id %d", ErrInvalidArgument, s.DeviceID)
	}
	if s.IdentityKey.IsZero() || s.UUID == "" {
		return nil, fmt.Errorf("%w: missing sender uuid or identity key", ErrInvalidArgument)
	}
	ms := s.Expires.UnixMilli()
	if ms < 0 {
		return nil, fmt.Errorf("%w: expiration before 1970", ErrInvalidArgument)
	}
	var cert []byte
	if s.E164 != "" {
		cert = protowire.AppendTag(cert, fieldSenderE164, protowire.BytesType)
		cert = protowire.AppendString(cert, s.E164)
	}
	cert = protowire.AppendTag(cert, fieldSenderDevice, protowire.VarintType)
	cert = protowire.AppendVarint(cert, uint64(s.DeviceID))
	cert = protowire.AppendTag(cert, fieldSenderExpires, protowire.Fixed64Type)
	cert = protowire.AppendFixed64(cert, uint64(ms))
	cert = protowire.AppendTag(cert, fieldSenderIdentity, protowire.BytesType)
	cert = protowire.AppendBytes(cert, s.IdentityKey.Bytes())
	cert = protowire.AppendTag(cert, fieldSenderSignerCert, protowire.BytesType)
	cert = protowire.AppendBytes(cert, signer.raw)
	cert = protowire.AppendTag(cert, fieldSenderUUIDString, protowire.BytesType)
	cert = protowire.AppendString(cert, s.UUID)
	sig, err := signerKey.Sign(cert)
	if err != nil {
		return nil, err
	}
	s.Expires = time.UnixMilli(ms)
	return &SenderCertificate{raw: signedEnvelope(cert, sig), certificate: cert, signature: sig, sender: s, expiresMS: uint64(ms), signer: signer, signerID: signer.keyID}, nil
}

// ParseSenderCertificate decodes a sender certificate and the server
// certificate it embeds. It does not validate them (see Validate).
func ParseSenderCertificate(b []byte) (*SenderCertificate, error) {
	cert, sig, err := parseSigned(b, "SenderCertificate")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCertificate, err)
	}
	c := &SenderCertificate{raw: clone(b), certificate: clone(cert), signature: clone(sig)}
	bad := func(err error) (*SenderCertificate, error) {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCertificate, err)
	}
	r := wire.NewReader(cert, "SenderCertificate.Certificate")
	var (
		haveDevice, haveExpires, haveKey, haveSigner, haveUUID bool
		device                                                 uint32
		signerCert                                             []byte
		uuidBytes                                              []byte
		uuidIsBytes                                            bool
	)
	for r.More() {
		num, typ, err := r.Tag()
		if err != nil {
			return bad(err)
		}
		switch num {
		case fieldSenderE164:
			v, err := r.Raw("senderE164", typ)
			if err != nil {
				return bad(err)
			}
			c.sender.E164 = string(v)
		case fieldSenderDevice:
			if device, err = r.Uint32("senderDevice", typ); err != nil {
				return bad(err)
			}
			haveDevice = true
		case fieldSenderExpires:
			if c.expiresMS, err = r.Fixed64("expires", typ); err != nil {
				return bad(err)
			}
			haveExpires = true
		case fieldSenderIdentity:
			v, err := r.Raw("identityKey", typ)
			if err != nil {
				return bad(err)
			}
			if c.sender.IdentityKey, err = curve.ParsePublicKey(v); err != nil {
				return bad(fmt.Errorf("identity key: %w", err))
			}
			haveKey = true
		case fieldSenderSignerCert:
			if signerCert, err = r.Raw("certificate", typ); err != nil {
				return bad(err)
			}
			haveSigner, c.signerID = true, 0
		case fieldSenderSignerID:
			if c.signerID, err = r.Uint32("id", typ); err != nil {
				return bad(err)
			}
			haveSigner, signerCert = true, nil
		case fieldSenderUUIDString:
			if uuidBytes, err = r.Raw("uuidString", typ); err != nil {
				return bad(err)
			}
			haveUUID, uuidIsBytes = true, false
		case fieldSenderUUIDBytes:
			if uuidBytes, err = r.Raw("uuidBytes", typ); err != nil {
				return bad(err)
			}
			haveUUID, uuidIsBytes = true, true
		default:
			if err := r.Skip(num, typ); err != nil {
				return bad(err)
			}
		}
	}
	if !haveDevice || !haveExpires || !haveKey || !haveSigner || !haveUUID {
		return bad(fmt.Errorf("sender certificate lacks a required field"))
	}
	if device < 1 || device > MaxDeviceID {
		return bad(fmt.Errorf("device id %d", device))
	}
	c.sender.DeviceID = device
	if uuidIsBytes {
		if len(uuidBytes) != 16 {
			return bad(fmt.Errorf("uuidBytes of %d bytes", len(uuidBytes)))
		}
		c.sender.UUID = formatUUID([16]byte(uuidBytes))
	} else {
		c.sender.UUID = string(uuidBytes)
	}
	if signerCert != nil {
		if c.signer, err = ParseServerCertificate(signerCert); err != nil {
			return nil, err
		}
		c.signerID = c.signer.keyID
	}
	c.sender.Expires = time.UnixMilli(int64(min(c.expiresMS, 1<<62)))
	return c, nil
}

// Sender returns what the certificate says about its sender.
func (c *SenderCertificate) Sender() Sender { return c.sender }

// Bytes returns the serialized certificate in a new slice.
func (c *SenderCertificate) Bytes() []byte { return clone(c.raw) }

// Signer returns the server certificate that signed c: the embedded one,
// or the known one it names by id (ErrUnknownServerCertificate if none).
func (c *SenderCertificate) Signer() (*ServerCertificate, error) {
	if c.signer != nil {
		return c.signer, nil
	}
	k, ok := knownServerCertificates[c.signerID]
	if !ok {
		return nil, fmt.Errorf("%w: %#x", ErrUnknownServerCertificate, c.signerID)
	}
	return k.Certificate, nil
}

// Validate checks c as libsignal does: its server certificate is not
// revoked and one of trustRoots signed it (every root is tried), the
// server key signed c, and now is not after c's expiration. Errors:
// ErrRevoked, ErrUntrustedRoot, ErrUnknownServerCertificate,
// ErrInvalidCertificate (bad signature), ErrExpired.
func (c *SenderCertificate) Validate(now time.Time, trustRoots ...curve.PublicKey) error {
	signer, err := c.Signer()
	if err != nil {
		return err
	}
	if err := signer.Verify(trustRoots...); err != nil {
		return err
	}
	if !signer.key.VerifySignature(c.certificate, c.signature) {
		return fmt.Errorf("%w: sender certificate not signed by its server key", ErrInvalidCertificate)
	}
	ms := now.UnixMilli()
	if ms > 0 && uint64(ms) > c.expiresMS {
		return fmt.Errorf("%w: at %d ms, expired at %d ms", ErrExpired, ms, c.expiresMS)
	}
	return nil
}
