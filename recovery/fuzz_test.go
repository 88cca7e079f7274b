package recovery_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/forwardsecret/signal/recovery"
	"github.com/forwardsecret/signal/sealedsender"
)

// demSeeds are libsignal's messages and the edge cases of lsParse.
func demSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	for _, s := range []string{lsSignalDEM, lsPreKeyDEM, lsSenderKeyDEM, "0a22" + lsRatchetKey + "001005"} {
		seeds = append(seeds, unhex(t, s))
	}
	for _, c := range lsParse {
		seeds = append(seeds, unhex(t, c.in))
	}
	return seeds
}

// FuzzParseDecryptionErrorMessage: any input parses or fails with
// ErrInvalidMessage, never panics; a parsed message encodes (MarshalBinary
// cannot fail on it), the encoding parses back to the same message and is
// canonical (encoding what it parses to gives the same bytes again, so a
// canonical input is reproduced byte for byte), and the message survives a
// PlaintextContent.
func FuzzParseDecryptionErrorMessage(f *testing.F) {
	for _, s := range demSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := recovery.ParseDecryptionErrorMessage(b)
		if err != nil {
			if m != nil || !errors.Is(err, recovery.ErrInvalidMessage) {
				t.Fatalf("%v, %v", m, err)
			}
			return
		}
		enc, err := m.MarshalBinary()
		if err != nil {
			t.Fatalf("a parsed message does not encode: %v", err)
		}
		if len(enc) > 52 {
			t.Fatalf("encoding of %d bytes", len(enc))
		}
		back, err := recovery.ParseDecryptionErrorMessage(enc)
		if err != nil {
			t.Fatalf("the encoding does not parse: %v", err)
		}
		if !back.Timestamp.Equal(m.Timestamp) || back.DeviceID != m.DeviceID || back.HasRatchetKey != m.HasRatchetKey || back.RatchetKey != m.RatchetKey {
			t.Fatalf("read back %+v, want %+v", back, m)
		}
		again, _ := back.MarshalBinary()
		if !bytes.Equal(again, enc) {
			t.Fatalf("encoding not canonical: %x then %x", enc, again)
		}
		pc, err := recovery.NewPlaintextContent(m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := recovery.Received(sealedsender.TypePlaintext, pc.Bytes())
		if err != nil {
			t.Fatalf("the PlaintextContent does not read back: %v", err)
		}
		if enc2, _ := got.MarshalBinary(); !bytes.Equal(enc2, enc) {
			t.Fatalf("through a PlaintextContent: %x, want %x", enc2, enc)
		}
	})
}

// FuzzParsePlaintextContent: any input parses or fails with
// ErrInvalidMessage, never panics; a parsed content gives back its bytes
// and body, and either fails to yield a decryption-error message with
// ErrInvalidMessage or yields one that a new PlaintextContent wraps to
// libsignal's canonical form, which reads back to the same message.
func FuzzParsePlaintextContent(f *testing.F) {
	for _, s := range []string{lsSignalPC, lsPreKeyPC, lsSenderKeyPC, "c0", "c1"} {
		f.Add(unhex(f, s))
	}
	for _, c := range lsExtract {
		f.Add(unhex(f, "c0"+c.body))
	}
	for _, s := range demSeeds(f) {
		f.Add(append(append([]byte{0xc0, 0x42, byte(len(s))}, s...), 0x80))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := recovery.ParsePlaintextContent(b)
		if err != nil {
			if p != nil || !errors.Is(err, recovery.ErrInvalidMessage) {
				t.Fatalf("%v, %v", p, err)
			}
			if _, rerr := recovery.Received(sealedsender.TypePlaintext, b); rerr == nil {
				t.Fatal("Received reads what ParsePlaintextContent refuses")
			}
			return
		}
		if !bytes.Equal(p.Bytes(), b) || !bytes.Equal(p.Body(), b[1:]) {
			t.Fatalf("Bytes %x Body %x of %x", p.Bytes(), p.Body(), b)
		}
		m, err := p.DecryptionErrorMessage()
		if _, rerr := recovery.Received(sealedsender.TypePlaintext, b); (rerr == nil) != (err == nil) {
			t.Fatalf("Received: %v, DecryptionErrorMessage: %v", rerr, err)
		}
		if err != nil {
			if m != nil || !errors.Is(err, recovery.ErrInvalidMessage) {
				t.Fatalf("%v, %v", m, err)
			}
			return
		}
		canon, err := recovery.NewPlaintextContent(m)
		if err != nil {
			t.Fatalf("a parsed message does not wrap: %v", err)
		}
		back, err := canon.DecryptionErrorMessage()
		if err != nil {
			t.Fatal(err)
		}
		enc, _ := m.MarshalBinary()
		enc2, _ := back.MarshalBinary()
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("%x read back as %x", enc, enc2)
		}
		want := append(append([]byte{0xc0, 0x42, byte(len(enc))}, enc...), 0x80)
		if !bytes.Equal(canon.Bytes(), want) {
			t.Fatalf("canonical form %x, want %x", canon.Bytes(), want)
		}
	})
}

// TestFuzzSeedsLibsignal: the canonical seeds are libsignal's own bytes,
// so the fuzzers start from what a libsignal peer sends.
func TestFuzzSeedsLibsignal(t *testing.T) {
	for _, s := range []string{lsSignalPC, lsPreKeyPC, lsSenderKeyPC} {
		m, err := recovery.Received(sealedsender.TypePlaintext, unhex(t, s))
		if err != nil {
			t.Fatal(err)
		}
		pc, _ := recovery.NewPlaintextContent(m)
		if hex.EncodeToString(pc.Bytes()) != s {
			t.Fatalf("%x, libsignal %s", pc.Bytes(), s)
		}
	}
}
