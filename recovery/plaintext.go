package recovery

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/forwardsecret/signal/internal/wire"
	"github.com/forwardsecret/signal/sealedsender"
)

// The bytes that frame a PlaintextContent (libsignal's protocol.rs).
const (
	// plaintextVersion opens every serialized PlaintextContent: it marks
	// the bytes as content that may travel unencrypted, so that no other
	// Content can be passed off as one.
	plaintextVersion = 0xC0
	// paddingBoundary ends the body: Signal pads message contents after
	// a 0x80 byte, and a PlaintextContent has no padding after it.
	paddingBoundary = 0x80
	// contentDecryptionError is the field of signalservice.Content that
	// holds a DecryptionErrorMessage.
	contentDecryptionError = 8
	// contentLastBytesField is the last field of libsignal's copy of
	// signalservice.Content (fields 1 to 8 are all bytes: data, sync,
	// call, null, receipt, typing, sender-key distribution and
	// decryption-error messages); a parser refuses another wire type for
	// them, as prost does.
	contentLastBytesField = 8
)

// PlaintextContent is the one inner message that travels without
// encryption (sealed-sender content type sealedsender.TypePlaintext, or
// a Signal envelope of type PLAINTEXT_CONTENT): 0xC0, a signalservice
// Content protobuf and a 0x80 byte. The only content it carries is a
// DecryptionErrorMessage, which must reach a peer with whom the session is
// broken.
type PlaintextContent struct {
	b []byte // serialized, starting with plaintextVersion
}

// NewPlaintextContent wraps m as libsignal does: 0xC0, a Content whose only
// field is m (field 8), and 0x80.
func NewPlaintextContent(m *DecryptionErrorMessage) (*PlaintextContent, error) {
	dem, err := m.MarshalBinary()
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 1+protowire.SizeTag(contentDecryptionError)+protowire.SizeBytes(len(dem))+1)
	b = append(b, plaintextVersion)
	b = protowire.AppendTag(b, contentDecryptionError, protowire.BytesType)
	b = protowire.AppendBytes(b, dem)
	b = append(b, paddingBoundary)
	return &PlaintextContent{b: b}, nil
}

// ParsePlaintextContent reads a serialized PlaintextContent, as
// sealedsender.Result.Plaintext holds it for TypePlaintext. Like libsignal,
// it checks only the first byte (0xC0; anything else, or no byte at all,
// is ErrInvalidMessage); DecryptionErrorMessage reads the rest. It does not
// keep b.
func ParsePlaintextContent(b []byte) (*PlaintextContent, error) {
	switch {
	case len(b) == 0:
		return nil, fmt.Errorf("%w: empty PlaintextContent", ErrInvalidMessage)
	case len(b) > MaxMessageSize:
		return nil, fmt.Errorf("%w: PlaintextContent of %d bytes, more than MaxMessageSize (%d)", ErrInvalidMessage, len(b), MaxMessageSize)
	case b[0] != plaintextVersion:
		return nil, fmt.Errorf("%w: PlaintextContent version byte 0x%02x, want 0x%02x", ErrInvalidMessage, b[0], plaintextVersion)
	}
	return &PlaintextContent{b: append([]byte(nil), b...)}, nil
}

// Bytes returns the serialized PlaintextContent in a new slice: what to
// seal as sealedsender.TypePlaintext content (or to send as an envelope of
// type PLAINTEXT_CONTENT).
func (p *PlaintextContent) Bytes() []byte { return append([]byte(nil), p.b...) }

// Body returns the bytes after the 0xC0 byte in a new slice (libsignal's
// PlaintextContent.body: the Content and the 0x80 byte).
func (p *PlaintextContent) Body() []byte { return append([]byte(nil), p.b[1:]...) }

// DecryptionErrorMessage returns the decryption-error message p carries.
// As in libsignal, the body must end with 0x80, what precedes it must be
// a Content protobuf whose fields 1 to 8 are byte strings, and field 8 (the
// last one, if it repeats) must be present and a valid
// DecryptionErrorMessage (see ParseDecryptionErrorMessage). Errors wrap
// ErrInvalidMessage.
func (p *PlaintextContent) DecryptionErrorMessage() (*DecryptionErrorMessage, error) {
	body := p.b[1:]
	if len(body) == 0 || body[len(body)-1] != paddingBoundary {
		return nil, fmt.Errorf("%w: PlaintextContent does not end with 0x%02x", ErrInvalidMessage, paddingBoundary)
	}
	var (
		dem     []byte
		haveDEM bool
	)
	r := wire.NewReader(body[:len(body)-1], "Content")
	for r.More() {
		num, typ, err := r.Tag()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
		}
		switch {
		case num == contentDecryptionError:
			dem, err = r.Raw("decryption_error_message", typ)
			haveDEM = true
		case num >= 1 && num <= contentLastBytesField:
			_, err = r.Raw(fmt.Sprint("field ", num), typ)
		default:
			err = r.Skip(num, typ)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
		}
	}
	if !haveDEM {
		return nil, fmt.Errorf("%w: PlaintextContent holds no DecryptionErrorMessage", ErrInvalidMessage)
	}
	return ParseDecryptionErrorMessage(dem)
}

// Received returns the decryption-error message of a received
// content: typ and content are a sealed-sender Result's Type and Plaintext
// (sealedsender.Cipher.Decrypt), or sealedsender.TypePlaintext and the
// content of an unsealed Signal envelope of type PLAINTEXT_CONTENT. A type
// other than TypePlaintext is ErrInvalidArgument (the content is not a
// PlaintextContent); bytes that do not hold a decryption-error message are
// ErrInvalidMessage.
//
// The sender the transport names (the Result's Sender, or the envelope's
// source) is who asks for the resend: pass its address to Handle.
func Received(typ sealedsender.ContentType, content []byte) (*DecryptionErrorMessage, error) {
	if typ != sealedsender.TypePlaintext {
		return nil, fmt.Errorf("%w: content type %v is not %v", ErrInvalidArgument, typ, sealedsender.TypePlaintext)
	}
	p, err := ParsePlaintextContent(content)
	if err != nil {
		return nil, err
	}
	return p.DecryptionErrorMessage()
}
