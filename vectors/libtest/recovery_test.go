package libtest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/forwardsecret/signal/recovery"
	"github.com/forwardsecret/signal/sealedsender"
	"github.com/forwardsecret/signal/vectors"
)

// The recovery.json vectors against package recovery: every
// decryption-error message made for an original is reproduced byte for
// byte (with its PlaintextContent and body), every encoding parses to the
// vector's fields and re-encodes to its canonical form, every
// PlaintextContent yields the vector's message; and every invalid input is
// refused with the error the vector's error name maps to. Acceptable
// vectors are accepted with the right fields or refused (this library
// refuses ratchet keys longer than 33 bytes and inputs over
// recovery.MaxMessageSize, and must say so with a matching error).

// recoveryError maps the file's error names to this library's errors
// (coarse: every parse failure is ErrInvalidMessage).
func recoveryError(name string) error {
	switch name {
	case vectors.ErrNameNotEncrypted, vectors.ErrNameUnknownContentType:
		return recovery.ErrInvalidArgument
	}
	return recovery.ErrInvalidMessage
}

func ms(v uint64) time.Time {
	return time.Unix(int64(v/1000), int64(v%1000)*int64(time.Millisecond))
}

func sameFields(m *recovery.DecryptionErrorMessage, f vectors.RecoveryFields) bool {
	var key []byte
	if m.HasRatchetKey {
		key = m.RatchetKey.Bytes()
	}
	return m.Timestamp.Equal(ms(f.Timestamp)) && m.DeviceID == f.DeviceID && bytes.Equal(key, f.RatchetKey)
}

// tally counts the verdicts of one test, which logs them.
var tally map[string]int

func loadRecovery(t *testing.T) *vectors.RecoveryFile {
	t.Helper()
	tally = map[string]int{}
	t.Cleanup(func() { t.Logf("%v", tally) })
	f, err := vectors.Recovery()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// refused checks a refusal against the vector's error name; acceptable
// vectors may be refused only that way.
func refused(t *testing.T, name string, v vectors.RecoveryVerdict, err error) {
	t.Helper()
	tally[v.Result+" refused"]++
	if v.Result == vectors.Valid {
		t.Errorf("%s: refused: %v", name, err)
		return
	}
	if want := recoveryError(v.Error); !errors.Is(err, want) {
		t.Errorf("%s: %v, want %v (%s)", name, err, want, v.Error)
	}
}

func accepted(t *testing.T, name string, v vectors.RecoveryVerdict) {
	t.Helper()
	tally[v.Result+" accepted"]++
	if v.Result == vectors.Invalid {
		t.Errorf("%s: accepted; want %s", name, v.Error)
	}
}

func TestRecoveryForOriginal(t *testing.T) {
	f := loadRecovery(t)
	for _, v := range f.ForOriginal {
		m, err := recovery.NewDecryptionErrorMessage(v.Original, sealedsender.ContentType(v.OriginalType), ms(v.Timestamp), v.OriginalSenderDeviceID)
		if v.OriginalType < 0 || v.OriginalType > 255 {
			t.Fatalf("%s: type %d", v.Name, v.OriginalType)
		}
		if err != nil {
			refused(t, v.Name, v.RecoveryVerdict, err)
			continue
		}
		accepted(t, v.Name, v.RecoveryVerdict)
		dem, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		pc, err := recovery.NewPlaintextContent(m)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(dem, v.DecryptionErrorMessage) || !bytes.Equal(pc.Bytes(), v.PlaintextContent) || !bytes.Equal(pc.Body(), v.Body) {
			t.Errorf("%s: DEM %x PlaintextContent %x", v.Name, dem, pc.Bytes())
		}
		if !sameFields(m, vectors.RecoveryFields{Timestamp: v.Timestamp, DeviceID: v.OriginalSenderDeviceID, RatchetKey: v.RatchetKey}) {
			t.Errorf("%s: fields %+v", v.Name, m)
		}
	}
}

func TestRecoveryMessages(t *testing.T) {
	f := loadRecovery(t)
	for _, v := range f.Messages {
		m, err := recovery.ParseDecryptionErrorMessage(v.Encoded)
		if err != nil {
			refused(t, v.Name, v.RecoveryVerdict, err)
			continue
		}
		accepted(t, v.Name, v.RecoveryVerdict)
		if !sameFields(m, v.RecoveryFields) {
			t.Errorf("%s: fields %+v, want %+v", v.Name, m, v.RecoveryFields)
		}
		if enc, err := m.MarshalBinary(); err != nil || !bytes.Equal(enc, v.Canonical) {
			t.Errorf("%s: re-encoded %x, %v; want %x", v.Name, enc, err, v.Canonical)
		}
	}
}

func TestRecoveryPlaintextContents(t *testing.T) {
	f := loadRecovery(t)
	for _, v := range f.PlaintextContents {
		m, err := recovery.Received(sealedsender.TypePlaintext, v.Serialized)
		if err != nil {
			refused(t, v.Name, v.RecoveryVerdict, err)
			continue
		}
		accepted(t, v.Name, v.RecoveryVerdict)
		if !sameFields(m, v.RecoveryFields) {
			t.Errorf("%s: fields %+v, want %+v", v.Name, m, v.RecoveryFields)
		}
		p, err := recovery.ParsePlaintextContent(v.Serialized)
		if err != nil || !bytes.Equal(p.Body(), v.Body) {
			t.Errorf("%s: body %v", v.Name, err)
		}
	}
}
