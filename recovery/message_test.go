package recovery_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/recovery"
	"github.com/forwardsecret/signal/sealedsender"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ms(v uint64) time.Time {
	return time.Unix(int64(v/1000), int64(v%1000)*int64(time.Millisecond))
}

// TestForOriginalLibsignal: the messages libsignal makes for the same
// originals, byte for byte, and their PlaintextContents.
func TestForOriginalLibsignal(t *testing.T) {
	for _, c := range []struct {
		name     string
		original string
		typ      sealedsender.ContentType
		ts       uint64
		dev      uint32
		dem, pc  string
		key      bool
	}{
		{"SignalMessage v3", lsSignalV3, sealedsender.TypeSignal, 0x2_0000_0001, 0x8086_2021, lsSignalDEM, lsSignalPC, true},
		{"SignalMessage v4", lsSignalV4, sealedsender.TypeSignal, 0x2_0000_0001, 0x8086_2021, lsSignalDEM, lsSignalPC, true},
		{"PreKeySignalMessage v3", lsPreKeyV3, sealedsender.TypePreKey, 1700000000123, 2, lsPreKeyDEM, lsPreKeyPC, true},
		{"SenderKeyMessage, not read", "ff", sealedsender.TypeSenderKey, 42, 3, lsSenderKeyDEM, lsSenderKeyPC, false},
		{"SenderKeyMessage, empty", "", sealedsender.TypeSenderKey, 42, 3, lsSenderKeyDEM, lsSenderKeyPC, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := recovery.NewDecryptionErrorMessage(unhex(t, c.original), c.typ, ms(c.ts), c.dev)
			if err != nil {
				t.Fatal(err)
			}
			if m.HasRatchetKey != c.key || (c.key && hex.EncodeToString(m.RatchetKey.Bytes()) != lsRatchetKey) {
				t.Fatalf("ratchet key %v (%v)", m.RatchetKey, m.HasRatchetKey)
			}
			if !m.Timestamp.Equal(ms(c.ts)) || m.DeviceID != c.dev {
				t.Fatalf("timestamp %v device %d", m.Timestamp, m.DeviceID)
			}
			b, err := m.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(b); got != c.dem {
				t.Fatalf("DEM %s\nlibsignal %s", got, c.dem)
			}
			pc, err := recovery.NewPlaintextContent(m)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(pc.Bytes()); got != c.pc {
				t.Fatalf("PlaintextContent %s\nlibsignal %s", got, c.pc)
			}
			if got := hex.EncodeToString(pc.Body()); got != c.pc[2:] {
				t.Fatalf("Body %s", got)
			}
			back, err := recovery.Received(sealedsender.TypePlaintext, unhex(t, c.pc))
			if err != nil {
				t.Fatal(err)
			}
			if *back != *m {
				t.Fatalf("read back %+v, want %+v", back, m)
			}
		})
	}
}

// TestForOriginalRefuses: what libsignal refuses (a plaintext original, an
// original that does not parse), what has no type, and timestamps that do
// not fit the encoding.
func TestForOriginalRefuses(t *testing.T) {
	good := unhex(t, lsSignalV4)
	for _, c := range []struct {
		name     string
		original []byte
		typ      sealedsender.ContentType
		ts       time.Time
		want     error
	}{
		{"plaintext", []byte{0xc0}, sealedsender.TypePlaintext, ms(1), recovery.ErrInvalidArgument},
		{"unknown type", good, 1, ms(1), recovery.ErrInvalidArgument},
		{"type 0", good, 0, ms(1), recovery.ErrInvalidArgument},
		{"garbage as a SignalMessage", []byte{0xff, 0}, sealedsender.TypeSignal, ms(1), recovery.ErrInvalidMessage},
		{"a PreKey message as a SignalMessage", unhex(t, lsPreKeyV3), sealedsender.TypeSignal, ms(1), recovery.ErrInvalidMessage},
		{"a SignalMessage as a PreKey message", good, sealedsender.TypePreKey, ms(1), recovery.ErrInvalidMessage},
		{"empty SignalMessage", nil, sealedsender.TypeSignal, ms(1), recovery.ErrInvalidMessage},
		{"legacy version", append([]byte{0x22}, good[1:]...), sealedsender.TypeSignal, ms(1), recovery.ErrInvalidMessage},
		{"zero time", good, sealedsender.TypeSignal, time.Time{}, recovery.ErrInvalidArgument},
		{"before 1970", good, sealedsender.TypeSignal, time.Unix(-1, 0), recovery.ErrInvalidArgument},
		{"beyond 2^64-1 ms", good, sealedsender.TypeSignal, time.Unix(math.MaxUint64/1000+1, 0), recovery.ErrInvalidArgument},
	} {
		m, err := recovery.NewDecryptionErrorMessage(c.original, c.typ, c.ts, 1)
		if m != nil || !errors.Is(err, c.want) {
			t.Errorf("%s: %v, %v; want %v", c.name, m, err, c.want)
		}
	}
	// A key that is not a public key: libsignal refuses it too, in a
	// SignalMessage and in a PreKey message's base and identity keys
	// (which its parse deserializes; the session layer's parser leaves
	// them to the handshake).
	bad := bytes.Replace(good, unhex(t, "2105"), unhex(t, "2106"), 1)
	if _, err := recovery.NewDecryptionErrorMessage(bad, sealedsender.TypeSignal, ms(1), 1); !errors.Is(err, recovery.ErrInvalidMessage) {
		t.Errorf("ratchet key type 0x06: %v", err)
	}
	prekey := unhex(t, lsPreKeyV3)
	for name, from := range map[string]string{"base key": "122105", "identity key": "1a2105"} {
		bad := bytes.Replace(prekey, unhex(t, from), unhex(t, from[:4]+"06"), 1)
		if bytes.Equal(bad, prekey) {
			t.Fatalf("%s: test setup", name)
		}
		if _, err := recovery.NewDecryptionErrorMessage(bad, sealedsender.TypePreKey, ms(1), 1); !errors.Is(err, recovery.ErrInvalidMessage) {
			t.Errorf("PreKey message, %s type 0x06: %v", name, err)
		}
	}
}

// TestTimestamps: every uint64 of milliseconds reads and writes back, sub-
// millisecond parts are dropped, parsed times are UTC.
func TestTimestamps(t *testing.T) {
	for _, v := range []uint64{0, 1, 999, 1000, 1700000000123, 1<<53 + 1, math.MaxInt64, math.MaxInt64 + 1, math.MaxUint64 - 1, math.MaxUint64} {
		m := &recovery.DecryptionErrorMessage{Timestamp: ms(v), DeviceID: 1}
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatalf("%d: %v", v, err)
		}
		back, err := recovery.ParseDecryptionErrorMessage(b)
		if err != nil {
			t.Fatalf("%d: %v", v, err)
		}
		if !back.Timestamp.Equal(m.Timestamp) || back.Timestamp.Location() != time.UTC {
			t.Fatalf("%d: read back %v", v, back.Timestamp)
		}
		again, _ := back.MarshalBinary()
		if !bytes.Equal(again, b) {
			t.Fatalf("%d: %x, then %x", v, b, again)
		}
	}
	fine := time.Unix(1700000000, 123456789)
	m, err := recovery.NewDecryptionErrorMessage(nil, sealedsender.TypeSenderKey, fine, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Timestamp.Equal(time.Unix(1700000000, 123000000)) {
		t.Fatalf("timestamp %v", m.Timestamp)
	}
	m.Timestamp = fine // MarshalBinary truncates too
	b, _ := m.MarshalBinary()
	if back, _ := recovery.ParseDecryptionErrorMessage(b); !back.Timestamp.Equal(time.Unix(1700000000, 123000000)) {
		t.Fatalf("marshaled timestamp %v", back.Timestamp)
	}
	var nilMsg *recovery.DecryptionErrorMessage
	if _, err := nilMsg.MarshalBinary(); !errors.Is(err, recovery.ErrInvalidArgument) {
		t.Fatalf("nil message: %v", err)
	}
	if _, err := (&recovery.DecryptionErrorMessage{}).MarshalBinary(); !errors.Is(err, recovery.ErrInvalidArgument) {
		t.Fatalf("zero time: %v", err)
	}
}

// TestParseLibsignal: the parser accepts and refuses what libsignal's does,
// and reads the same fields.
func TestParseLibsignal(t *testing.T) {
	for _, c := range lsParse {
		m, err := recovery.ParseDecryptionErrorMessage(unhex(t, c.in))
		if !c.ok {
			if m != nil || !errors.Is(err, recovery.ErrInvalidMessage) {
				t.Errorf("%s: %v, %v; libsignal refuses", c.name, m, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v; libsignal accepts", c.name, err)
			continue
		}
		key := ""
		if m.HasRatchetKey {
			key = hex.EncodeToString(m.RatchetKey.Bytes())
		}
		if !m.Timestamp.Equal(ms(c.ts)) || m.DeviceID != c.dev || key != c.key {
			t.Errorf("%s: %v %d %s; libsignal: %d %d %s", c.name, m.Timestamp, m.DeviceID, key, c.ts, c.dev, c.key)
		}
	}
}

// TestParseDeviations: where this parser is stricter than libsignal, and
// the size bound.
func TestParseDeviations(t *testing.T) {
	// libsignal accepts a ratchet key with trailing bytes (logging a
	// warning); every key parser of this library refuses them.
	if _, err := recovery.ParseDecryptionErrorMessage(unhex(t, "0a22"+lsRatchetKey+"001005")); !errors.Is(err, recovery.ErrInvalidMessage) {
		t.Errorf("key with a trailing byte: %v", err)
	}
	// A timestamp above 2^53 (the node binding cannot return it as a
	// number; libsignal's Rust accepts it, and so does this parser).
	if m, err := recovery.ParseDecryptionErrorMessage(unhex(t, "10ffffffffffffffffff01")); err != nil || !m.Timestamp.Equal(ms(math.MaxUint64)) {
		t.Errorf("timestamp 2^64-1: %v, %v", m, err)
	}
	long := append(unhex(t, "1005"), bytes.Repeat(unhex(t, "2000"), recovery.MaxMessageSize/2)...)
	_, err := recovery.ParseDecryptionErrorMessage(long)
	if !errors.Is(err, recovery.ErrInvalidMessage) || !strings.Contains(err.Error(), "MaxMessageSize") {
		t.Errorf("oversized: %v", err)
	}
	if _, err := recovery.ParseDecryptionErrorMessage(long[:recovery.MaxMessageSize]); err != nil {
		t.Errorf("MaxMessageSize bytes: %v", err)
	}
}

// TestZeroRatchetKey: a present key of 32 zero bytes is kept as present
// (HasRatchetKey) and written back.
func TestZeroRatchetKey(t *testing.T) {
	in := unhex(t, "0a2105"+strings.Repeat("00", 32)+"10051801")
	m, err := recovery.ParseDecryptionErrorMessage(in)
	if err != nil || !m.HasRatchetKey || !m.RatchetKey.IsZero() {
		t.Fatalf("%+v, %v", m, err)
	}
	if out, _ := m.MarshalBinary(); !bytes.Equal(out, in) {
		t.Fatalf("%x", out)
	}
	// A key without HasRatchetKey is not written.
	k, _ := curve.ParsePublicKey(unhex(t, lsRatchetKey))
	out, _ := (&recovery.DecryptionErrorMessage{Timestamp: ms(5), DeviceID: 1, RatchetKey: k}).MarshalBinary()
	if hex.EncodeToString(out) != "10051801" {
		t.Fatalf("%x", out)
	}
}
