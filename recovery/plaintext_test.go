package recovery_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/forwardsecret/signal/recovery"
	"github.com/forwardsecret/signal/sealedsender"
)

// TestExtractLibsignal: DecryptionErrorMessage accepts and refuses the
// bodies libsignal's extractFromSerializedBody does.
func TestExtractLibsignal(t *testing.T) {
	for _, c := range lsExtract {
		p, err := recovery.ParsePlaintextContent(append([]byte{0xc0}, unhex(t, c.body)...))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		m, err := p.DecryptionErrorMessage()
		if !c.ok {
			if m != nil || !errors.Is(err, recovery.ErrInvalidMessage) {
				t.Errorf("%s: %+v, %v; libsignal refuses", c.name, m, err)
			}
			continue
		}
		if err != nil || !m.Timestamp.Equal(ms(5)) || m.DeviceID != 1 || m.HasRatchetKey {
			t.Errorf("%s: %+v, %v; libsignal reads timestamp 5, device 1", c.name, m, err)
		}
	}
}

// TestParsePlaintextContent: only the first byte is checked, as in
// libsignal, and the parse keeps no reference to its input.
func TestParsePlaintextContent(t *testing.T) {
	for _, c := range []struct {
		name string
		in   []byte
		ok   bool
	}{
		{"empty", nil, false},
		{"0xC1", append([]byte{0xc1}, unhex(t, lsSenderKeyPC)[1:]...), false},
		{"0xC0 alone", []byte{0xc0}, true},
		{"canonical", unhex(t, lsSenderKeyPC), true},
		{"oversized", append([]byte{0xc0}, make([]byte, recovery.MaxMessageSize)...), false},
		{"MaxMessageSize bytes", append([]byte{0xc0}, make([]byte, recovery.MaxMessageSize-1)...), true},
	} {
		p, err := recovery.ParsePlaintextContent(c.in)
		if c.ok != (err == nil) || (err != nil && !errors.Is(err, recovery.ErrInvalidMessage)) {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if err != nil {
			continue
		}
		if !bytes.Equal(p.Bytes(), c.in) || !bytes.Equal(p.Body(), c.in[1:]) {
			t.Errorf("%s: Bytes %x Body %x", c.name, p.Bytes(), p.Body())
		}
	}
	in := unhex(t, lsSignalPC)
	p, _ := recovery.ParsePlaintextContent(in)
	in[5] ^= 0xff
	p.Bytes()[5] ^= 0xff
	p.Body()[4] ^= 0xff
	if _, err := p.DecryptionErrorMessage(); err != nil {
		t.Fatalf("changing the input or the returned slices changed p: %v", err)
	}
	// 0xC0 alone has no body to read.
	p, _ = recovery.ParsePlaintextContent([]byte{0xc0})
	if _, err := p.DecryptionErrorMessage(); !errors.Is(err, recovery.ErrInvalidMessage) {
		t.Fatalf("0xC0 alone: %v", err)
	}
}

// TestReceived: only TypePlaintext content is read.
func TestReceived(t *testing.T) {
	for _, typ := range []sealedsender.ContentType{sealedsender.TypeSignal, sealedsender.TypePreKey, sealedsender.TypeSenderKey, 0, 9} {
		if _, err := recovery.Received(typ, unhex(t, lsSenderKeyPC)); !errors.Is(err, recovery.ErrInvalidArgument) {
			t.Errorf("type %v: %v", typ, err)
		}
	}
	if _, err := recovery.Received(sealedsender.TypePlaintext, unhex(t, lsSenderKeyDEM)); !errors.Is(err, recovery.ErrInvalidMessage) {
		t.Errorf("a bare DEM: %v", err)
	}
	m, err := recovery.Received(sealedsender.TypePlaintext, unhex(t, lsSenderKeyPC))
	if err != nil || m.DeviceID != 3 || !m.Timestamp.Equal(ms(42)) || m.HasRatchetKey {
		t.Errorf("%+v, %v", m, err)
	}
	if _, err := recovery.NewPlaintextContent(nil); !errors.Is(err, recovery.ErrInvalidArgument) {
		t.Errorf("NewPlaintextContent(nil): %v", err)
	}
}
