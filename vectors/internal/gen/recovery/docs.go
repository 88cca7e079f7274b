package main

// The conventions, error names and flags the file documents.

var conventions = map[string]string{
	"bytes":                     "Byte strings are lowercase hex. Public keys are 33 bytes, 0x05 || the X25519 u-coordinate. Keys are X25519 keys whose private key is SHA-256(\"recovery vectors: \" || label); only their public keys appear.",
	"timestamp":                 "Unix milliseconds as a decimal string (a uint64; some values exceed 2^53, which a JSON number cannot carry exactly).",
	"content types":             "original_type is libsignal's CiphertextMessageType, as sealed sender's API and the Signal service's envelopes number them: 2 SignalMessage, 3 PreKeySignalMessage, 7 SenderKeyMessage, 8 PlaintextContent.",
	"DecryptionErrorMessage":    "protobuf (signalservice, proto2) { bytes ratchet_key = 1 (optional); uint64 timestamp = 2 (required); uint32 device_id = 3 (absent reads as 0) }. Writers emit ratchet_key (when there is one), timestamp and device_id, in that order, each always.",
	"PlaintextContent":          "0xC0 || protobuf signalservice.Content || 0x80. A writer's Content holds only field 8, decryption_error_message (the DecryptionErrorMessage's bytes). Its body is everything after the 0xC0.",
	"for_original":              "The DecryptionErrorMessage a receiver makes for a message it could not decrypt (libsignal's DecryptionErrorMessage::for_original): from the original message's bytes and type, the envelope's timestamp and the original sender's device id. A SignalMessage's ratchet key, or that of the SignalMessage inside a PreKeySignalMessage, becomes ratchet_key; such originals must parse (version nibble 3 or 4, required fields present, keys that deserialize). A SenderKeyMessage is not read at all: the message has no ratchet key. A PlaintextContent (type 8) and other types are refused. valid: reproduce decryption_error_message (and ratchet_key), plaintext_content (the PlaintextContent that wraps it) and body.",
	"decryption_error_messages": "encoded is parsed. valid: the fields (timestamp, device_id, ratchet_key when present) are read, and canonical is the writer's encoding of them (equal to encoded when encoded is canonical). Parsers skip unknown fields (groups included), keep the last of a repeated field, keep the low 32 bits of a device_id varint, and refuse a known field of another wire type, a field number 0 and a varint of more than 10 bytes.",
	"plaintext_contents":        "serialized is read as a PlaintextContent and the DecryptionErrorMessage in it is extracted. Reading checks only that the first byte is 0xC0 (body is what follows); extraction requires that the body ends with 0x80, that what precedes it is a Content protobuf whose fields 1 to 8 are byte strings (libsignal's copy of Content has exactly these; others are skipped), that field 8 is present (the last one counts), and that it is a valid DecryptionErrorMessage. valid: body and the DecryptionErrorMessage's fields.",
	"result":                    "valid: accept and reproduce; invalid: refuse (error names why); acceptable: either, and error names the reason an implementation may refuse (the flags say where libsignal and stricter implementations differ).",
	"ids":                       "id is unique across the file.",
}

var errorDocs = map[string]string{
	"truncated":                "the input ends inside a field, or is empty where a byte is required",
	"malformed":                "not a valid protobuf encoding of the message: a known field of another wire type, field number 0, a varint of more than 10 bytes, an unterminated group",
	"missing_timestamp":        "a DecryptionErrorMessage without its timestamp",
	"bad_ratchet_key":          "a ratchet_key that is not a public key: empty, shorter than 33 bytes, a type byte other than 0x05, or (acceptable) longer than 33 bytes",
	"unknown_version":          "a PlaintextContent whose first byte is not 0xC0",
	"missing_padding_boundary": "a PlaintextContent body that does not end with 0x80",
	"missing_decryption_error": "a PlaintextContent whose Content has no field 8",
	"not_encrypted":            "for_original with a PlaintextContent (type 8): it is not encrypted, so it cannot fail to decrypt",
	"unknown_content_type":     "for_original with a type that is none of 2, 3, 7, 8",
	"bad_original":             "for_original with a SignalMessage or PreKeySignalMessage that does not parse",
	"too_large":                "(acceptable) an input longer than an implementation's size bound; libsignal has none, this library's is 1,024 bytes",
}

var flagDocs = map[string]string{
	"libsignal_fixture":    "the input and the expected output or verdict are @signalapp/libsignal-client 0.103.0's, transcribed verbatim (messages made with its SignalMessage._new, PreKeySignalMessage._new and SenderKeyMessage._new from the private keys 32 x 0x01 (ratchet), 0x02 (sender identity), 0x03 (receiver identity), 0x04 (base key); MAC key 32 x 0x09)",
	"original_not_read":    "a SenderKeyMessage original that is not a SenderKeyMessage at all: libsignal does not read sender-key originals, so any bytes give the same message",
	"timestamp_above_2_53": "a timestamp above 2^53 (JavaScript bindings cannot return it as a number)",
	"key_trailing_bytes":   "a ratchet key of more than 33 bytes: libsignal takes the first 33 (and logs a warning); stricter parsers refuse it",
	"oversized":            "longer than 1,024 bytes (libsignal accepts any length)",
	"unknown_fields":       "fields the message does not define, which parsers skip",
	"repeated_field":       "a field that appears twice: the last one counts",
	"out_of_order":         "fields not in field-number order",
	"device_id_over_32":    "a device_id varint above 2^32-1: its low 32 bits count",
	"prefix":               "a prefix of a valid input; some prefixes are themselves valid",
	"zero_key":             "a ratchet key of 32 zero bytes: a public key as far as the encoding goes",
	"wire_type":            "a known field with a wire type its declaration does not have",
	"extra_content":        "a Content with fields besides 8",
}
