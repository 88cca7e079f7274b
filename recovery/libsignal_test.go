package recovery_test

// Known answers from @signalapp/libsignal-client 0.103.0 (its
// DecryptionErrorMessage.forOriginal, serialize and deserialize,
// PlaintextContent.from and extractFromSerializedBody), computed once in
// this workspace with fixed keys: ratchet key = the public key of the
// private key 32 x 0x01, sender identity 32 x 0x02, receiver identity 32 x
// 0x03, base key 32 x 0x04. Messages were made with libsignal's
// SignalMessage._new (counter 7, previous counter 6, 16 x 0xab ciphertext,
// MAC key 32 x 0x09), PreKeySignalMessage._new (registration id 1234,
// prekey 55, signed prekey 66) and SenderKeyMessage._new.

const (
	lsRatchetKey = "05a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a209"

	// A v3 and a v4 SignalMessage, timestamp 0x2_0000_0001, device
	// 0x8086_2021 (libsignal's own test values).
	lsSignalV3  = "340a2105a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a209100718062210abababababababababababababababab18da80c4a8f65f62"
	lsSignalV4  = "440a2105a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a209100718062210ababababababababababababababababf8026ddbcc92978c"
	lsSignalDEM = "0a2105a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a20910818080802018a1c0988408"
	lsSignalPC  = "c0422f0a2105a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a20910818080802018a1c098840880"

	// A v3 PreKeySignalMessage around lsSignalV3, timestamp
	// 1700000000123, device 2.
	lsPreKeyV3  = "340837122105ac01b2209e86354fb853237b5de0f4fab13c7fcbf433a61c019369617fecf10b1a2105ce8d3ad1ccb633ec7b70c17814a5c76ecd029685050d344745ba05870e587d592242340a2105a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a209100718062210abababababababababababababababab18da80c4a8f65f6228d2093042"
	lsPreKeyDEM = "0a2105a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a20910fbd095ffbc311802"
	lsPreKeyPC  = "c0422c0a2105a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a20910fbd095ffbc31180280"

	// A SenderKeyMessage (not read by forOriginal), timestamp 42, device 3.
	lsSenderKeyDEM = "102a1803"
	lsSenderKeyPC  = "c04204102a180380"
)

// lsParse is what libsignal's DecryptionErrorMessage.deserialize says
// about edge cases: ok false for a refusal, else the fields it read.
var lsParse = []struct {
	name, in string
	ok       bool
	ts       uint64
	dev      uint32
	key      string
}{
	{"timestamp only", "1005", true, 5, 0, ""},
	{"timestamp zero", "1000", true, 0, 0, ""},
	{"duplicate fields, last wins", "1005180110091802", true, 9, 2, ""},
	{"device id over 32 bits keeps the low 32", "100518ffffffffff0f", true, 5, 0xffffffff, ""},
	{"device id of 10 bytes", "100518ffffffffffffffffff01", true, 5, 0xffffffff, ""},
	{"unknown fields", "100520012a0161", true, 5, 0, ""},
	{"an empty group", "10052b2c", true, 5, 0, ""},
	{"fields out of order", "180510070a21" + lsRatchetKey, true, 7, 5, lsRatchetKey},
	{"no timestamp", "0a21" + lsRatchetKey + "1801", false, 0, 0, ""},
	{"short key", "0a20" + lsRatchetKey[:64] + "1005", false, 0, 0, ""},
	{"empty key", "0a001005", false, 0, 0, ""},
	{"key type 0x06", "0a2106" + lsRatchetKey[2:] + "1005", false, 0, 0, ""},
	{"timestamp as bytes", "12050102030405", false, 0, 0, ""},
	{"timestamp as fixed64", "110102030405060708", false, 0, 0, ""},
	{"device id as bytes", "10051a0101", false, 0, 0, ""},
	{"truncated", "0a21" + lsRatchetKey[:20], false, 0, 0, ""},
	{"empty", "", false, 0, 0, ""},
	{"field number 0", "00011005", false, 0, 0, ""},
}

// lsExtract is what libsignal's extractFromSerializedBody says about
// PlaintextContent bodies (the bytes after 0xC0). The DEM inside is
// 1005 1801 (timestamp 5, device 1).
var lsExtract = []struct {
	name, body string
	ok         bool
}{
	{"canonical", "42041005180180", true},
	{"unknown field 9 as a varint", "480142041005180180", true},
	{"field 8 twice, last wins", "4202100042041005180180", true},
	{"no 0x80 at the end", "420410051801", false},
	{"no field 8", "0a0080", false},
	{"only 0x80", "80", false},
	{"empty", "", false},
	{"field 1 as a varint", "080142041005180180", false},
	{"field 7 as a varint", "380142041005180180", false},
	{"field 8 as a varint", "400580", false},
	{"a DEM without timestamp", "4202180180", false},
}
