package senderkey

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// fuzzFixture is a live sender/receiver pair: alice sent messages 0..5, bob
// decrypted message 3 (so keys 0..2 are stored and his chain is at 4).
type fuzzFixture struct {
	alice, bob *member
	msgs       [][]byte
	bobRecord  []byte // bob's record of alice, encoded
}

func newFuzzFixture(t testing.TB) *fuzzFixture {
	f := &fuzzFixture{alice: newMember("alice", 1), bob: newMember("bob", 1)}
	distribute(t, f.alice, f.bob)
	for i := 0; i < 6; i++ {
		f.msgs = append(f.msgs, encrypt(t, f.alice, bytes.Repeat([]byte{byte(i)}, i*5)))
	}
	if _, err := f.bob.c.Decrypt(context.Background(), f.alice.addr, f.msgs[3]); err != nil {
		t.Fatal(err)
	}
	f.bobRecord = recordBytes(t, f.bob, f.alice.addr)
	return f
}

// freshReceiver returns a receiver holding bob's saved record.
func (f *fuzzFixture) freshReceiver(t testing.TB) *member {
	m := newMember("bob", 1)
	r, err := ParseRecord(f.bobRecord)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.store.StoreSenderKey(context.Background(), f.alice.addr, testDist, r); err != nil {
		t.Fatal(err)
	}
	return m
}

// checkDecrypt decrypts msg on a fresh copy of bob's state: an error must
// match a package sentinel and leave the record unchanged; a success must
// leave a record that parses.
func (f *fuzzFixture) checkDecrypt(t *testing.T, msg []byte) {
	m := f.freshReceiver(t)
	in := bytes.Clone(msg)
	pt, err := m.c.Decrypt(context.Background(), f.alice.addr, msg)
	if !bytes.Equal(in, msg) {
		t.Fatal("Decrypt modified its input")
	}
	after := recordBytes(t, m, f.alice.addr)
	if err != nil {
		if pt != nil {
			t.Fatal("plaintext with an error")
		}
		if !isSentinel(err) {
			t.Fatalf("error %v matches no sentinel", err)
		}
		if !bytes.Equal(after, f.bobRecord) {
			t.Fatalf("failed decrypt (%v) changed the record", err)
		}
		return
	}
	if _, err := ParseRecord(after); err != nil {
		t.Fatalf("record after a successful decrypt does not parse: %v", err)
	}
}

func isSentinel(err error) bool {
	for _, s := range []error{ErrNoSenderKey, ErrInvalidMessage, ErrInvalidSignature, ErrDuplicateMessage,
		ErrForwardJump, ErrDecrypt, ErrInvalidRecord, ErrNoSigningKey, ErrChainExhausted, ErrPlaintextTooLarge} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// FuzzDecrypt feeds arbitrary bytes to Decrypt against a live receiving
// state. Seeds: every message alice sent (new, stored-key, duplicate),
// truncations and a distribution message.
func FuzzDecrypt(f *testing.F) {
	fx := newFuzzFixture(f)
	for _, m := range fx.msgs {
		f.Add(m)
		f.Add(m[:len(m)-64])
	}
	dm, err := fx.alice.c.CreateDistributionMessage(context.Background(), fx.alice.addr, testDist)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(dm.Bytes())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, msg []byte) { fx.checkDecrypt(t, msg) })
}

// FuzzDecryptSigned gets past the signature check: it signs a message with
// arbitrary iteration and body under alice's chain key, so the fuzzer
// reaches chain advancing, stored-key lookup, the jump limit and CBC
// unpadding.
func FuzzDecryptSigned(f *testing.F) {
	fx := newFuzzFixture(f)
	f.Add(uint32(0), make([]byte, 16))
	f.Add(uint32(3), make([]byte, 32))
	f.Add(uint32(4), []byte{})
	f.Add(uint32(2111), make([]byte, 17)) // 2111 % 64 == 63: a 2,111-step jump, past the kept keys
	f.Add(uint32(MaxForwardJump+11), make([]byte, 16))
	f.Add(uint32(MaxForwardJump+12), make([]byte, 16))
	f.Add(^uint32(0), make([]byte, 16))
	f.Fuzz(func(t *testing.T, iteration uint32, body []byte) {
		// A jump costs one HMAC per step, and the fuzzer, once it has an
		// input near the limit, keeps mutating it into other 25,000-step
		// walks (a few hundred milliseconds each with coverage on): it made
		// under 1,000 executions in a 12 s CI run. So iterations up to just
		// past MaxForwardJump are folded into short jumps (one run in 64
		// walks up to 3,000 steps, past the 2,000 kept keys); the exact
		// limit is TestForwardJump's, and larger iterations are refused
		// before any step, cheaply.
		if iteration > 6 && iteration <= MaxForwardJump+10 {
			if iteration%64 == 63 {
				iteration %= 3000
			} else {
				iteration %= 64
			}
		}
		fx.checkDecrypt(t, signedMessage(t, fx.alice, iteration, body))
	})
}

// FuzzParseRecord feeds arbitrary bytes to ParseRecord. Errors must match
// ErrInvalidRecord; a parsed record must re-encode stably and must be usable
// by every Cipher operation without panics, failing only with sentinels.
func FuzzParseRecord(f *testing.F) {
	fx := newFuzzFixture(f)
	f.Add(fx.bobRecord)
	f.Add(recordBytes(f, fx.alice, fx.alice.addr))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRecord(b)
		if err != nil {
			if !errors.Is(err, ErrInvalidRecord) {
				t.Fatalf("error %v does not match ErrInvalidRecord", err)
			}
			return
		}
		enc, _ := r.MarshalBinary()
		r2, err := ParseRecord(enc)
		if err != nil {
			t.Fatalf("re-encoding does not parse: %v", err)
		}
		if enc2, _ := r2.MarshalBinary(); !bytes.Equal(enc, enc2) {
			t.Fatal("encoding not stable")
		}
		ctx := context.Background()
		m := newMember("alice", 1)
		if err := m.store.StoreSenderKey(ctx, m.addr, testDist, r); err != nil {
			t.Fatal(err)
		}
		for _, op := range []func() error{
			func() error { _, err := m.c.Encrypt(ctx, m.addr, testDist, []byte("x")); return err },
			func() error { _, err := m.c.CreateDistributionMessage(ctx, m.addr, testDist); return err },
			func() error { _, err := m.c.Decrypt(ctx, m.addr, fx.msgs[1]); return err },
		} {
			if err := op(); err != nil && !isSentinel(err) {
				t.Fatalf("error %v matches no sentinel", err)
			}
		}
	})
}

// FuzzDecryptLegacy is FuzzDecrypt for the legacy layout.
func FuzzDecryptLegacy(f *testing.F) {
	fx := newFuzzFixture(f)
	for i := 0; i < 3; i++ {
		m, err := fx.alice.c.EncryptLegacy(context.Background(), fx.alice.addr, testDist, []byte{byte(i)})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(m)
	}
	f.Add(fx.msgs[0])
	f.Fuzz(func(t *testing.T, msg []byte) {
		m := fx.freshReceiver(t)
		pt, err := m.c.DecryptLegacy(context.Background(), fx.alice.addr, testDist, msg)
		after := recordBytes(t, m, fx.alice.addr)
		if err != nil {
			if pt != nil || !isSentinel(err) || !bytes.Equal(after, fx.bobRecord) {
				t.Fatalf("failed decrypt: %v (plaintext %v, record changed %v)", err, pt != nil, !bytes.Equal(after, fx.bobRecord))
			}
			return
		}
		if _, err := ParseRecord(after); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzParseDistributionMessage feeds both distribution-message parsers. A
// parsed message must re-encode to bytes that parse to the same message.
func FuzzParseDistributionMessage(f *testing.F) {
	fx := newFuzzFixture(f)
	dm, err := fx.alice.c.CreateDistributionMessage(context.Background(), fx.alice.addr, testDist)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(dm.Bytes())
	f.Add(dm.LegacyBytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := ParseDistributionMessage(b); err != nil {
			if !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("modern: %v", err)
			}
		} else if m2, err := ParseDistributionMessage(m.Bytes()); err != nil || *m2 != *m {
			t.Fatalf("modern round trip: %v", err)
		}
		if m, err := ParseLegacyDistributionMessage(b, testDist); err != nil {
			if !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("legacy: %v", err)
			}
		} else if m2, err := ParseLegacyDistributionMessage(m.LegacyBytes(), testDist); err != nil || *m2 != *m {
			t.Fatalf("legacy round trip: %v", err)
		}
	})
}
