package wire

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// Size limits and minimum lengths, each at the exact boundary: an input of
// exactly the limit is parsed, one byte more is refused with the size
// error (errMessageTooLarge, errRecordTooLarge), and a minimum length is
// the first length that gets past the length check.

// fieldOfTotal returns b with a bytes field num appended whose value pads
// b to exactly total bytes.
func fieldOfTotal(t testing.TB, b []byte, num protowire.Number, total int) []byte {
	t.Helper()
	room := total - len(b) - protowire.SizeTag(num)
	for n := room - 10; n <= room; n++ {
		if n >= 0 && protowire.SizeBytes(n) == room {
			b = protowire.AppendTag(b, num, protowire.BytesType)
			b = protowire.AppendVarint(b, uint64(n))
			b = append(b, make([]byte, n)...)
			if len(b) != total {
				t.Fatalf("padded to %d bytes, want %d", len(b), total)
			}
			return b
		}
	}
	t.Fatalf("no field pads %d bytes to %d", len(b), total)
	return nil
}

// limitCase runs parse on a valid input of exactly limit bytes (no error)
// and of limit+1 bytes (exactly tooLarge). build returns a valid input of
// the given length.
func limitCase(t *testing.T, name string, limit int, tooLarge error, build func(n int) []byte, parse func([]byte) error) {
	t.Helper()
	at := build(limit)
	if len(at) != limit {
		t.Fatalf("%s: built %d bytes, want %d", name, len(at), limit)
	}
	if err := parse(at); err != nil {
		t.Errorf("%s: input of exactly the limit (%d bytes): %v", name, limit, err)
	}
	over := build(limit + 1)
	if len(over) != limit+1 {
		t.Fatalf("%s: built %d bytes, want %d", name, len(over), limit+1)
	}
	if err := parse(over); err != tooLarge || !errors.Is(err, ErrMalformed) {
		t.Errorf("%s: input of limit+1 bytes: %v, want %v", name, err, tooLarge)
	}
}

// sizedCiphertext returns the ciphertext length that makes encodedLen
// return n.
func sizedCiphertext(t testing.TB, n int, encodedLen func(ct int) int) int {
	t.Helper()
	for ct := n - 200; ct <= n; ct++ {
		if encodedLen(ct) == n {
			return ct
		}
	}
	t.Fatalf("no ciphertext length gives %d bytes", n)
	return 0
}

func TestMutationMessageSizeLimit(t *testing.T) {
	if raceEnabled {
		t.Skip("inputs of MaxRecordSize and MaxMessageSize are slow under the race detector, and one goroutine gives it nothing to find")
	}
	zeros := make([]byte, MaxMessageSize+1) // ciphertexts are slices of it
	signal := func(n int) []byte {
		m := SignalMessage{Version: VersionV4, CurrentVersion: VersionV4, RatchetKey: testRatchetKey, Counter: 1}
		ct := sizedCiphertext(t, n, func(ct int) int { m.Ciphertext = zeros[:ct]; return m.EncodedLen() })
		m.Ciphertext = zeros[:ct]
		return append(must(m.AppendUnsigned(nil)), testMAC[:]...)
	}
	limitCase(t, "SignalMessage", MaxMessageSize, errMessageTooLarge, signal, func(b []byte) error {
		_, err := ParseSignalMessage(b)
		return err
	})

	limitCase(t, "PreKeySignalMessage", MaxMessageSize, errMessageTooLarge, func(n int) []byte {
		m := PreKeySignalMessage{Version: VersionV3, CurrentVersion: VersionV3, SignedPreKeyID: 1,
			BaseKey: testBaseKey, IdentityKey: testIdentity}
		inner := sizedCiphertext(t, n, func(in int) int { m.Message = zeros[:in]; return m.EncodedLen() })
		m.Message = signal(inner)
		return must(m.Append(nil))
	}, func(b []byte) error {
		_, err := ParsePreKeySignalMessage(b)
		return err
	})

	limitCase(t, "SenderKeyMessage", MaxMessageSize, errMessageTooLarge, func(n int) []byte {
		m := testSenderKeyMessage()
		ct := sizedCiphertext(t, n, func(ct int) int { m.Ciphertext = zeros[:ct]; return m.EncodedLen() })
		m.Ciphertext = zeros[:ct]
		return append(m.AppendUnsigned(nil), make([]byte, SignatureSize)...)
	}, func(b []byte) error {
		_, err := ParseSenderKeyMessage(b)
		return err
	})

	limitCase(t, "SenderKeyDistributionMessage", MaxMessageSize, errMessageTooLarge, func(n int) []byte {
		return fieldOfTotal(t, must(testSKDM().Append(nil)), 6, n) // field 6: unknown, skipped
	}, func(b []byte) error {
		_, err := ParseSenderKeyDistributionMessage(b)
		return err
	})
}

// recordOfSize returns a builder of valid records of n bytes, for
// limitCase: one field 3 of bytes, which is remote_identity_public in a
// SessionStructure and unknown (skipped) in a RecordStructure and a
// SenderKeyRecordStructure. The results share one buffer.
func recordOfSize(t *testing.T) func(n int) []byte {
	buf := make([]byte, MaxRecordSize+1)
	return func(n int) []byte {
		room := n - 1 - 4 // a one-byte tag, a four-byte length
		if protowire.SizeVarint(uint64(room)) != 4 {
			t.Fatalf("length %d does not take 4 bytes", room)
		}
		copy(buf, protowire.AppendVarint(protowire.AppendTag(nil, 3, protowire.BytesType), uint64(room)))
		return buf[:n]
	}
}

func TestMutationRecordSizeLimit(t *testing.T) {
	if raceEnabled {
		t.Skip("inputs of MaxRecordSize and MaxMessageSize are slow under the race detector, and one goroutine gives it nothing to find")
	}
	build := recordOfSize(t)
	limitCase(t, "ParseRecord", MaxRecordSize, errRecordTooLarge, build, func(b []byte) error {
		_, err := ParseRecord(b)
		return err
	})
	limitCase(t, "ParseRecordDeferred", MaxRecordSize, errRecordTooLarge, build, func(b []byte) error {
		_, err := ParseRecordDeferred(b)
		return err
	})
}

func TestMutationSessionStructureSizeLimit(t *testing.T) {
	if raceEnabled {
		t.Skip("inputs of MaxRecordSize and MaxMessageSize are slow under the race detector, and one goroutine gives it nothing to find")
	}
	build := recordOfSize(t)
	limitCase(t, "ParseSessionStructure", MaxRecordSize, errRecordTooLarge, build, func(b []byte) error {
		s, err := ParseSessionStructure(b)
		if err == nil && len(s.RemoteIdentityPublic) != len(b)-5 {
			t.Errorf("remote identity of %d bytes", len(s.RemoteIdentityPublic))
		}
		return err
	})
	limitCase(t, "ParseSessionStructureDeferred", MaxRecordSize, errRecordTooLarge, build, func(b []byte) error {
		_, err := ParseSessionStructureDeferred(b)
		return err
	})
}

func TestMutationSenderKeyRecordSizeLimit(t *testing.T) {
	if raceEnabled {
		t.Skip("inputs of MaxRecordSize and MaxMessageSize are slow under the race detector, and one goroutine gives it nothing to find")
	}
	limitCase(t, "ParseSenderKeyRecord", MaxRecordSize, errRecordTooLarge, recordOfSize(t), func(b []byte) error {
		r, err := ParseSenderKeyRecord(b)
		if err == nil && len(r.States) != 0 {
			t.Errorf("%d states", len(r.States))
		}
		return err
	})
}

// TestMutationMinimumLengths pins the minimum lengths of the sender-key
// messages: at exactly the minimum the parser looks at the fields (an
// empty body misses them: ErrMissingField), one byte less is ErrTruncated.
func TestMutationMinimumLengths(t *testing.T) {
	for n := 0; n <= 1+SignatureSize; n++ {
		b := append(h(0x33), make([]byte, max(n-1, 0))...)[:n]
		_, err := ParseSenderKeyMessage(b)
		want := ErrTruncated
		if n == 1+SignatureSize {
			want = ErrMissingField // 0x33, no field, a signature
		}
		if !errors.Is(err, want) {
			t.Errorf("SenderKeyMessage of %d bytes: %v, want %v", n, err, want)
		}
	}
	for n := 3; n <= minSKDMSize; n++ {
		// 0x33 and one unknown bytes field (field 6) filling the rest.
		b := fieldOfTotal(t, h(0x33), 6, n)
		_, err := ParseSenderKeyDistributionMessage(b)
		want := ErrTruncated
		if n == minSKDMSize {
			want = ErrMissingField
		}
		if !errors.Is(err, want) {
			t.Errorf("SenderKeyDistributionMessage of %d bytes: %v, want %v", n, err, want)
		}
	}
	if minSKDMSize != 65 {
		t.Fatalf("minSKDMSize = %d, libsignal's bound is 65", minSKDMSize)
	}
}
