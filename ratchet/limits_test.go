package ratchet

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/forwardsecret/signal/curve"
)

// TestForwardJumpRefusedCheaply shows that a jump of MaxForwardJump+1 is
// refused before a single chain step, while a jump of exactly MaxForwardJump
// is accepted and keeps only MaxSkippedKeysPerChain keys.
func TestForwardJumpRefusedCheaply(t *testing.T) {
	alice, bob := newPair(t)
	if _, err := bob.recv(alice.send(t, []byte("hello"))); err != nil {
		t.Fatal(err)
	}
	// Alice's chain is now at index 1 on Bob's side. Fake Alice's next
	// message MaxForwardJump+1 ahead: counter 1 + 25001.
	m := alice.send(t, []byte("x")) // counter 1
	before := encoded(t, bob.s)
	steps := bob.s.k.Steps
	far := m
	far.h.Counter = 1 + MaxForwardJump + 1
	_, err := bob.recv(far)
	var le *LimitError
	if !errors.Is(err, ErrForwardJumpTooLarge) || !errors.As(err, &le) || le.Max != MaxForwardJump || le.Got != MaxForwardJump+1 {
		t.Fatalf("jump of 25001: err = %v", err)
	}
	if !strings.Contains(err.Error(), "25001") || !strings.Contains(err.Error(), "MaxForwardJump (25000)") {
		t.Errorf("error does not name the jump and the limit: %q", err)
	}
	if n := bob.s.k.Steps - steps; n != 0 {
		t.Errorf("refusing the jump took %d chain steps, want 0", n)
	}
	if !bytes.Equal(before, encoded(t, bob.s)) {
		t.Error("refused jump changed the state")
	}

	// A new chain (DH step) is refused the same way, before any DH.
	newKey := mustKeyPair(t).Public
	_, err = bob.s.Decrypt(nil, Header{RatchetKey: newKey, Counter: MaxForwardJump + 1}, make([]byte, 16), nil, func(*MACKey) error { return nil })
	if !errors.Is(err, ErrForwardJumpTooLarge) || bob.s.k.Steps != steps {
		t.Errorf("new chain with counter 25001: err = %v, %d steps", err, bob.s.k.Steps-steps)
	}

	// Exactly MaxForwardJump is allowed: Alice really sends that far.
	for range MaxForwardJump - 1 {
		alice.s.Encrypt(nil, nil, nil)
	}
	m = alice.send(t, []byte("far")) // counter 1 + 25000
	if m.h.Counter != 1+MaxForwardJump {
		t.Fatalf("counter %d", m.h.Counter)
	}
	steps = bob.s.k.Steps
	if _, err := bob.recv(m); err != nil {
		t.Fatalf("jump of exactly 25000: %v", err)
	}
	if n := bob.s.k.Steps - steps; n != MaxForwardJump+1 {
		t.Errorf("jump of 25000 took %d chain steps, want 25001", n)
	}
	c := bob.s.recv[0]
	if len(c.skipped) != MaxSkippedKeysPerChain || c.skipped[0].n != 1+MaxForwardJump-MaxSkippedKeysPerChain {
		t.Errorf("stored %d skipped keys from %d", len(c.skipped), c.skipped[0].n)
	}
	// An index dropped under the bound is refused naming it.
	old := m
	old.h.Counter = 5
	_, err = bob.recv(old)
	if !errors.Is(err, ErrSkippedKeyDropped) || !errors.Is(err, ErrDuplicateMessage) || !strings.Contains(err.Error(), "MaxSkippedKeysPerChain (2000)") {
		t.Errorf("dropped index: err = %v", err)
	}
}

func TestSetMaxForwardJump(t *testing.T) {
	alice, bob := newPair(t)
	bob.s.SetMaxForwardJump(3)
	for range 4 {
		alice.s.Encrypt(nil, nil, nil)
	}
	if _, err := bob.recv(alice.send(t, nil)); !errors.Is(err, ErrForwardJumpTooLarge) || !strings.Contains(err.Error(), "(3)") {
		t.Fatalf("err = %v", err)
	}
	bob.s.SetMaxForwardJump(math.MaxUint32 - 1)
	if _, err := bob.recv(alice.send(t, nil)); err != nil {
		t.Fatal(err)
	}
}

// TestReceiverChainsBounded ratchets more than MaxReceiverChains times and
// then delivers a message on the oldest chain.
func TestReceiverChainsBounded(t *testing.T) {
	alice, bob := newPair(t)
	var first testMsg
	for i := range MaxReceiverChains + 2 {
		m := alice.send(t, []byte("a"))
		if i == 0 {
			first = alice.send(t, []byte("late"))
		}
		if _, err := bob.recv(m); err != nil {
			t.Fatal(err)
		}
		if _, err := alice.recv(bob.send(t, []byte("b"))); err != nil {
			t.Fatal(err)
		}
		if n := len(bob.s.recv); n > MaxReceiverChains {
			t.Fatalf("%d receiving chains", n)
		}
	}
	before := encoded(t, bob.s)
	_, err := bob.recv(first)
	var le *LimitError
	if !errors.Is(err, ErrReceiverChainDropped) || !errors.As(err, &le) || le.Max != MaxReceiverChains {
		t.Fatalf("message on a dropped chain: %v", err)
	}
	if !bytes.Equal(before, encoded(t, bob.s)) {
		t.Error("state changed")
	}
}

func TestDuplicateAndTamper(t *testing.T) {
	alice, bob := newPair(t)
	m0 := alice.send(t, []byte("zero"))
	m1 := alice.send(t, []byte("one"))
	if _, err := bob.recv(m1); err != nil {
		t.Fatal(err)
	}
	// m0's key is stored; a tampered m0 must fail and keep it.
	for _, tamper := range []func(*testMsg){
		func(m *testMsg) { m.tag[7] ^= 0x80 },
		func(m *testMsg) { m.ser = append(bytes.Clone(m.ser), 0) },
		func(m *testMsg) { m.body = bytes.Clone(m.body); m.body[0] ^= 1; m.ser = serialize(m.h, m.body) },
	} {
		bad := m0
		tamper(&bad)
		before := encoded(t, bob.s)
		if _, err := bob.recv(bad); !errors.Is(err, ErrInvalidMAC) {
			t.Fatalf("tampered: err = %v", err)
		}
		if !bytes.Equal(before, encoded(t, bob.s)) {
			t.Fatal("tampered message changed the state")
		}
	}
	if pt, err := bob.recv(m0); err != nil || string(pt) != "zero" {
		t.Fatalf("m0: %q, %v", pt, err)
	}
	for _, m := range []testMsg{m0, m1} {
		if _, err := bob.recv(m); !errors.Is(err, ErrDuplicateMessage) {
			t.Errorf("duplicate: err = %v", err)
		}
		var le *LimitError
		if _, err := bob.recv(m); errors.As(err, &le) {
			t.Errorf("plain duplicate reported as a limit: %v", err)
		}
	}
	// Bodies that are not a non-empty multiple of 16.
	for _, n := range []int{0, 1, 15, 17} {
		bad := alice.send(t, []byte("x"))
		bad.body = make([]byte, n)
		if _, err := bob.recv(bad); !errors.Is(err, ErrInvalidCiphertext) {
			t.Errorf("body of %d bytes: %v", n, err)
		}
	}
}

// TestBadPaddingAfterMAC: a correctly authenticated body with bad padding
// is refused and commits nothing.
func TestBadPaddingAfterMAC(t *testing.T) {
	alice, bob := newPair(t)
	h, body, _, err := alice.s.Encrypt(nil, []byte("sixteen bytes!!!"), nil)
	if err != nil {
		t.Fatal(err)
	}
	body = body[:16] // drop the padding block: the last byte is now '!'
	before := encoded(t, bob.s)
	_, err = bob.s.Decrypt(nil, h, body, nil, func(*MACKey) error { return nil })
	if !errors.Is(err, ErrInvalidCiphertext) {
		t.Fatalf("err = %v", err)
	}
	if !bytes.Equal(before, encoded(t, bob.s)) {
		t.Fatal("state changed")
	}
}

func TestSaltChangesKeys(t *testing.T) {
	alice, bob := newPair(t)
	salt := bytes.Repeat([]byte{7}, 32)
	h, body, mk, err := alice.s.Encrypt(nil, []byte("pq"), salt)
	if err != nil {
		t.Fatal(err)
	}
	ser := serialize(h, body)
	tag := alice.s.SignalMAC(&mk, alice.id, bob.id, ser)
	verify := func(k *MACKey) error { return bob.s.VerifySignalMAC(k, alice.id, bob.id, ser, tag[:]) }
	if _, err := bob.s.Decrypt(nil, h, body, nil, verify); !errors.Is(err, ErrInvalidMAC) {
		t.Fatalf("unsalted decrypt of a salted message: %v", err)
	}
	if _, err := bob.s.Decrypt(nil, h, body, bytes.Repeat([]byte{8}, 32), verify); !errors.Is(err, ErrInvalidMAC) {
		t.Fatalf("wrong salt: %v", err)
	}
	pt, err := bob.s.Decrypt(nil, h, body, salt, verify)
	if err != nil || string(pt) != "pq" {
		t.Fatalf("salted: %q %v", pt, err)
	}
}

func TestInPlace(t *testing.T) {
	alice, bob := newPair(t)
	for _, n := range []int{0, 5, 16, 100, 1500, 5000} {
		pt := bytes.Repeat([]byte{'p'}, n)
		buf := make([]byte, n, n+16)
		copy(buf, pt)
		h, body, mk, _ := alice.s.Encrypt(buf[:0], buf, nil)
		ser := serialize(h, body)
		tag := alice.s.SignalMAC(&mk, alice.id, bob.id, ser)
		out, err := bob.s.Decrypt(body[:0], h, body, nil, func(k *MACKey) error { return bob.s.VerifySignalMAC(k, alice.id, bob.id, ser, tag[:]) })
		if err != nil || !bytes.Equal(out, pt) {
			t.Fatalf("n=%d: in-place round trip failed: %v", n, err)
		}
	}
}

func TestConstructorErrors(t *testing.T) {
	kp := mustKeyPair(t)
	other := mustKeyPair(t)
	k32 := make([]byte, 32)
	mismatched := curve.KeyPair{Private: kp.Private, Public: other.Public}
	cases := map[string]error{}
	_, cases["short root"] = NewAlice(k32[:31], k32, kp.Public, other)
	_, cases["short chain"] = NewAlice(k32, k32[:1], kp.Public, other)
	_, cases["no remote key"] = NewAlice(k32, k32, curve.PublicKey{}, other)
	_, cases["no private key"] = NewAlice(k32, k32, kp.Public, curve.KeyPair{Public: other.Public})
	_, cases["mismatched pair"] = NewBob(k32, k32, mismatched)
	_, cases["bob short root"] = NewBob(nil, k32, kp)
	for name, err := range cases {
		if !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s: err = %v, want ErrInvalidKey", name, err)
		}
	}
	// A low-order remote ratchet key (order 8): X25519 gives all zeros.
	low, _ := curve.NewPublicKey(unhex(t, "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"))
	if _, err := NewAlice(k32, k32, low, other); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("low-order remote key: err = %v", err)
	}
}
