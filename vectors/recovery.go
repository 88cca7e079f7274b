package vectors

import "slices"

// --- recovery.json ---

// Error names of recovery.json besides the common ones (ErrNameTruncated,
// ErrNameMalformed, ErrNameUnknownVersion). The file's "errors" object
// explains each.
const (
	// ErrNameMissingTimestamp: a DecryptionErrorMessage without its
	// timestamp.
	ErrNameMissingTimestamp = "missing_timestamp"
	// ErrNameBadRatchetKey: a ratchet key that is not a 33-byte public key
	// (acceptable when it is longer: libsignal reads the first 33 bytes).
	ErrNameBadRatchetKey = "bad_ratchet_key"
	// ErrNameMissingPaddingBoundary: a PlaintextContent body that does not
	// end with 0x80.
	ErrNameMissingPaddingBoundary = "missing_padding_boundary"
	// ErrNameMissingDecryptionError: a PlaintextContent whose Content has
	// no decryption_error_message (field 8).
	ErrNameMissingDecryptionError = "missing_decryption_error"
	// ErrNameNotEncrypted: a decryption-error message asked for a
	// PlaintextContent original (type 8).
	ErrNameNotEncrypted = "not_encrypted"
	// ErrNameUnknownContentType: a decryption-error message asked for an
	// original of a type that is none of 2, 3, 7, 8.
	ErrNameUnknownContentType = "unknown_content_type"
	// ErrNameBadOriginal: a SignalMessage or PreKeySignalMessage original
	// that does not parse.
	ErrNameBadOriginal = "bad_original"
	// ErrNameTooLarge: (acceptable) an input longer than an
	// implementation's bound; libsignal has none.
	ErrNameTooLarge = "too_large"
)

// RecoveryFile is data/recovery.json: decryption-error messages made for
// failed originals, DecryptionErrorMessage encodings to parse and
// PlaintextContents to read, valid, invalid and acceptable. The file's
// conventions define every field.
type RecoveryFile struct {
	SuiteHeader
	// Errors explains each error name used by the file.
	Errors map[string]string `json:"errors"`

	ForOriginal       []RecoveryOriginal  `json:"for_original"`
	Messages          []RecoveryMessage   `json:"decryption_error_messages"`
	PlaintextContents []RecoveryPlaintext `json:"plaintext_contents"`
}

// RecoveryVerdict ends every recovery vector.
type RecoveryVerdict struct {
	Result  string   `json:"result"` // Valid, Invalid or Acceptable
	Flags   []string `json:"flags"`
	Error   string   `json:"error"` // for Invalid and Acceptable: one of the file's error names
	Comment string   `json:"comment"`
}

// HasFlag reports whether the vector carries flag.
func (v RecoveryVerdict) HasFlag(flag string) bool { return slices.Contains(v.Flags, flag) }

// RecoveryFields are the fields of a DecryptionErrorMessage, as a valid
// vector gives them.
type RecoveryFields struct {
	// Timestamp is in Unix milliseconds (a decimal string in the file).
	Timestamp uint64 `json:"timestamp,string"`
	DeviceID  uint32 `json:"device_id"`
	// RatchetKey is the 33-byte ratchet key, or empty when the message
	// has none.
	RatchetKey Hex `json:"ratchet_key"`
}

// RecoveryOriginal is the decryption-error message for a failed original
// message (libsignal's DecryptionErrorMessage::for_original): valid
// vectors reproduce RatchetKey, DecryptionErrorMessage, PlaintextContent
// and Body from Original, OriginalType, Timestamp and
// OriginalSenderDeviceID.
type RecoveryOriginal struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	// OriginalType is 2 (SignalMessage), 3 (PreKeySignalMessage), 7
	// (SenderKeyMessage) or 8 (PlaintextContent), or another number to
	// refuse.
	OriginalType           int    `json:"original_type"`
	Original               Hex    `json:"original"`
	Timestamp              uint64 `json:"timestamp,string"`
	OriginalSenderDeviceID uint32 `json:"original_sender_device_id"`
	RatchetKey             Hex    `json:"ratchet_key"`
	DecryptionErrorMessage Hex    `json:"decryption_error_message"`
	PlaintextContent       Hex    `json:"plaintext_content"`
	Body                   Hex    `json:"body"`
	RecoveryVerdict
}

// RecoveryMessage is an encoded DecryptionErrorMessage to parse: valid
// vectors give its fields and Canonical, the writer's encoding of them.
type RecoveryMessage struct {
	ID      int    `json:"id"`
	Name    string `json:"name"`
	Encoded Hex    `json:"encoded"`
	RecoveryFields
	Canonical Hex `json:"canonical"`
	RecoveryVerdict
}

// RecoveryPlaintext is a serialized PlaintextContent to read, and the
// DecryptionErrorMessage in it to extract: valid vectors give the body
// (the bytes after 0xC0) and the message's fields.
type RecoveryPlaintext struct {
	ID         int    `json:"id"`
	Name       string `json:"name"`
	Serialized Hex    `json:"serialized"`
	Body       Hex    `json:"body"`
	RecoveryFields
	RecoveryVerdict
}

// Recovery loads data/recovery.json.
func Recovery() (*RecoveryFile, error) {
	f := new(RecoveryFile)
	count := func() int { return len(f.ForOriginal) + len(f.Messages) + len(f.PlaintextContents) }
	if err := loadSuite("recovery.json", "recovery", f, &f.SuiteHeader, count); err != nil {
		return nil, err
	}
	return f, nil
}
