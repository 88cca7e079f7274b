package main

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/gcmsiv"
	"github.com/forwardsecret/signal/internal/kem"
	"github.com/forwardsecret/signal/internal/mlkem768"
	"github.com/forwardsecret/signal/ratchet"
	"github.com/forwardsecret/signal/xeddsa"
)

// sink keeps results alive so that the compiler cannot drop a timed call.
var sink struct {
	b   bool
	n   int
	err error
	buf []byte
	pub curve.PublicKey
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// naiveEqual is the control: an early-exit comparison, the textbook timing
// leak (its time grows with the length of the common prefix).
//
//go:noinline
func naiveEqual(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// controlSize is the length of the control's buffers: a mismatch at byte 0
// against one at the last byte is hundreds of cycles apart.
const controlSize = 1024

// compareOp compares a fixed secret buffer with one that differs at its
// first byte (class 0) or its last byte (class 1), with eq.
func compareOp(eq func(a, b []byte) bool) func(n int) (func(i, class int), func(i int)) {
	return func(n int) (func(i, class int), func(i int)) {
		secret := random(controlSize)
		in := make([][]byte, n)
		for i := range in {
			in[i] = make([]byte, controlSize)
		}
		prepare := func(i, class int) {
			copy(in[i], secret)
			if class == 0 {
				in[i][0] ^= 1
			} else {
				in[i][controlSize-1] ^= 1
			}
		}
		run := func(i int) { sink.b = eq(secret, in[i]) }
		return prepare, run
	}
}

// scalarInput fills b with class 0's fixed scalar (all zero bytes, which
// clamping turns into 2^254: a single set bit) or a fresh random one.
func scalarInput(b []byte, class int) {
	if class == 0 {
		clear(b)
	} else {
		rand.Read(b)
	}
}

func x25519Ladder(n int) (func(i, class int), func(i int)) {
	peer, err := curve.GenerateKeyPair()
	must(err)
	remote := peer.Public
	keys := make([]*curve.PrivateKey, n)
	var scalar [curve.PrivateKeySize]byte
	prepare := func(i, class int) {
		scalarInput(scalar[:], class)
		keys[i], err = curve.NewPrivateKey(scalar[:])
		must(err)
	}
	var out [curve.SharedSecretSize]byte
	run := func(i int) { sink.err = keys[i].ECDHTo(&out, remote) }
	return prepare, run
}

func x25519Base(n int) (func(i, class int), func(i int)) {
	scalars := make([][curve.PrivateKeySize]byte, n)
	prepare := func(i, class int) { scalarInput(scalars[i][:], class) }
	// PublicKey caches its result in the key, so each call starts from a
	// new key (the allocation is the same for both classes).
	run := func(i int) {
		k, _ := curve.NewPrivateKey(scalars[i][:])
		sink.pub = k.PublicKey()
	}
	return prepare, run
}

var signMessage = []byte("a message of a few dozen bytes to be signed by the identity key")

func xeddsaKeys(n int) ([]*xeddsa.PrivateKey, func(i, class int)) {
	keys := make([]*xeddsa.PrivateKey, n)
	var scalar [xeddsa.PrivateKeySize]byte
	return keys, func(i, class int) {
		scalarInput(scalar[:], class)
		k, err := xeddsa.NewPrivateKey(scalar[:])
		must(err)
		keys[i] = k
	}
}

func xeddsaSign(n int) (func(i, class int), func(i int)) {
	keys, prepare := xeddsaKeys(n)
	return prepare, func(i int) { sink.buf = keys[i].Sign(signMessage, xeddsa.SignBit) }
}

func vxeddsaSign(n int) (func(i, class int), func(i int)) {
	keys, prepare := xeddsaKeys(n)
	return prepare, func(i int) { sink.buf, _, sink.err = keys[i].VRFSign(signMessage) }
}

// ratchetPair returns a sending and a receiving ratchet state that share a
// chain (as after a handshake), the receiver without its first message yet.
func ratchetPair() (alice, bob *ratchet.State) {
	var root, ck, ck2 [ratchet.KeySize]byte
	rand.Read(root[:])
	rand.Read(ck[:])
	rand.Read(ck2[:])
	a, err := curve.GenerateKeyPair()
	must(err)
	b, err := curve.GenerateKeyPair()
	must(err)
	ab := ratchet.NewBuilder(root, 0)
	must(ab.SetSender(a, ratchet.ChainKey{Key: ck}))
	alice, err = ab.Build()
	must(err)
	bb := ratchet.NewBuilder(root, 0)
	must(bb.SetSender(b, ratchet.ChainKey{Key: ck2}))
	must(bb.AddReceiver(a.Public, ratchet.ChainKey{Key: ck}, 0, 0))
	bob, err = bb.Build()
	must(err)
	return alice, bob
}

// macInputs is what mac-compare and its control share: a ratchet state, a
// MAC key, the two identity keys and a message, its correct tag, and a
// prepare that puts into tags[i] that tag made wrong in its first byte
// (class 0) or its last byte (class 1).
type macInputs struct {
	s       *ratchet.State
	key     ratchet.MACKey
	a, b    curve.PublicKey
	msg     []byte
	tags    [][ratchet.MACSize]byte
	prepare func(i, class int)
}

func newMACInputs(n int) *macInputs {
	_, s := ratchetPair()
	m := &macInputs{s: s, msg: random(120), tags: make([][ratchet.MACSize]byte, n)}
	rand.Read(m.key[:])
	a, err := curve.GenerateKeyPair()
	must(err)
	b, err := curve.GenerateKeyPair()
	must(err)
	m.a, m.b = a.Public, b.Public
	want := s.SignalMAC(&m.key, m.a, m.b, m.msg)
	m.prepare = func(i, class int) {
		m.tags[i] = want
		if class == 0 {
			m.tags[i][0] ^= 1
		} else {
			m.tags[i][ratchet.MACSize-1] ^= 1
		}
	}
	return m
}

// macCompare is ratchet.State.VerifySignalMAC on a tag that is wrong in its
// first byte (class 0) or its last byte (class 1).
func macCompare(n int) (func(i, class int), func(i int)) {
	m := newMACInputs(n)
	run := func(i int) { sink.err = m.s.VerifySignalMAC(&m.key, m.a, m.b, m.msg, m.tags[i][:]) }
	for class := range 2 {
		m.prepare(0, class)
		run(0)
		if !errors.Is(sink.err, ratchet.ErrInvalidMAC) {
			panic(fmt.Sprintf("mac-compare: class %d: %v", class, sink.err))
		}
	}
	return m.prepare, run
}

// pkcs7 is ratchet.State.Decrypt of a message whose MAC the verify function
// accepts (as if it had verified) but whose padding is invalid, the bad byte
// chosen by bad: each class's edit is XORed into the second-to-last
// ciphertext block, which XORs it into the last plaintext block. The
// message's plaintext fills one block, so its padding is a whole block of
// 0x10 bytes. Decrypt fails, so the state is left unchanged and the same
// message can be decrypted again and again.
func pkcs7(edits [2]func(lastBlockMask []byte)) func(n int) (func(i, class int), func(i int)) {
	return func(n int) (func(i, class int), func(i int)) {
		alice, bob := ratchetPair()
		h, body, _, err := alice.Encrypt(nil, random(16), nil)
		must(err)
		if len(body) != 32 {
			panic("pkcs7: unexpected body length")
		}
		bodies := make([][32]byte, n)
		prepare := func(i, class int) {
			copy(bodies[i][:], body)
			edits[class](bodies[i][:16])
		}
		accept := func(*ratchet.MACKey) error { return nil }
		dst := make([]byte, 0, 64)
		run := func(i int) { _, sink.err = bob.Decrypt(dst, h, bodies[i][:], nil, accept) }
		for class := range 2 {
			prepare(0, class)
			run(0)
			if !errors.Is(sink.err, ratchet.ErrInvalidCiphertext) {
				panic(fmt.Sprintf("pkcs7: class %d: %v", class, sink.err))
			}
		}
		return prepare, run
	}
}

// gcmsivOpen is AES-256-GCM-SIV Open of a ciphertext whose tag is wrong in
// its first byte (class 0) or its last byte (class 1).
func gcmsivOpen(n int) (func(i, class int), func(i int)) {
	aead, err := gcmsiv.New(random(32))
	must(err)
	nonce := random(gcmsiv.NonceSize)
	ad := random(33)
	ct := aead.Seal(nil, nonce, random(64), ad)
	cts := make([][]byte, n)
	for i := range cts {
		cts[i] = make([]byte, len(ct))
	}
	prepare := func(i, class int) {
		copy(cts[i], ct)
		if class == 0 {
			cts[i][len(ct)-gcmsiv.TagSize] ^= 1
		} else {
			cts[i][len(ct)-1] ^= 1
		}
	}
	dst := make([]byte, 0, len(ct))
	run := func(i int) { sink.buf, sink.err = aead.Open(dst, nonce, cts[i], ad) }
	for class := range 2 {
		prepare(0, class)
		run(0)
		if sink.err == nil {
			panic("gcmsiv-open: a tampered tag verified")
		}
	}
	return prepare, run
}

// kemDecap is decapsulation of a valid ciphertext (class 0) or of the same
// ciphertext with one bit flipped (class 1), which ML-KEM's implicit
// rejection turns into a pseudorandom key. expanded selects a key in
// libsignal's expanded form (decapsulated by internal/mlkem) instead of a
// seed (crypto/mlkem).
func kemDecap(t kem.Type, expanded bool) func(n int) (func(i, class int), func(i int)) {
	return func(n int) (func(i, class int), func(i int)) {
		kp, err := kem.GenerateKeyPair(t)
		must(err)
		sk := kp.Private
		if expanded {
			sk, err = kem.ParsePrivateKey(kp.Private.LibsignalBytes())
			must(err)
		}
		ss, ct := kp.Public.Encapsulate()
		cts := make([][]byte, n)
		for i := range cts {
			cts[i] = make([]byte, len(ct))
		}
		prepare := func(i, class int) {
			copy(cts[i], ct)
			if class == 1 {
				cts[i][1+100] ^= 4
			}
		}
		run := func(i int) { sink.buf, sink.err = sk.Decapsulate(cts[i]) }
		for class := range 2 {
			prepare(0, class)
			run(0)
			if sink.err != nil || subtle.ConstantTimeCompare(sink.buf, ss) != 1-class {
				panic(fmt.Sprintf("%v decapsulation: class %d: unexpected result", t, class))
			}
		}
		return prepare, run
	}
}

// mlkem768Decap is internal/mlkem768's decapsulation (SPQR's KEM) of a valid
// ciphertext (class 0) or one with a bit of ct1 flipped (class 1).
func mlkem768Decap(n int) (func(i, class int), func(i int)) {
	dk, err := mlkem768.GenerateKey()
	must(err)
	ct1, st, ss, err := mlkem768.Encapsulate1(dk.Header())
	must(err)
	ct2, err := st.Encapsulate2(dk.EncapsulationKey())
	must(err)
	c1s := make([][mlkem768.Ciphertext1Size]byte, n)
	prepare := func(i, class int) {
		copy(c1s[i][:], ct1)
		if class == 1 {
			c1s[i][100] ^= 4
		}
	}
	c2 := make([][mlkem768.Ciphertext2Size]byte, n)
	for i := range c2 {
		copy(c2[i][:], ct2)
	}
	run := func(i int) { sink.buf, sink.err = dk.Decapsulate(c1s[i][:], c2[i][:]) }
	for class := range 2 {
		prepare(0, class)
		run(0)
		if sink.err != nil || subtle.ConstantTimeCompare(sink.buf, ss) != 1-class {
			panic(fmt.Sprintf("mlkem768 decapsulation: class %d: unexpected result", class))
		}
	}
	return prepare, run
}

// macEarlyExit is the second control: the same HMAC as mac-compare
// (ratchet.State.SignalMAC over the same inputs), then an early-exit
// comparison of the 8-byte tag, wrong in its first byte (class 0) or its
// last (class 1). It shows that the harness sees a leak of the size that
// would matter for the MAC check (a few ticks in about a thousand), not only
// the 1 KiB control's.
func macEarlyExit(n int) (func(i, class int), func(i int)) {
	m := newMACInputs(n)
	run := func(i int) {
		got := m.s.SignalMAC(&m.key, m.a, m.b, m.msg)
		sink.b = naiveEqual(got[:], m.tags[i][:])
	}
	return m.prepare, run
}

// ops lists the operations SECURITY.md calls constant time, then the
// reference and the control. Sample counts are sized for at most about three
// minutes each on a loaded 2-vCPU machine (about 15 minutes in all); -scale
// multiplies them.
var ops = []*op{
	{
		name: "x25519-ladder", classes: "scalar 0 (clamped to 2^254) vs random scalar",
		samples: 100_000, setup: x25519Ladder,
	},
	{
		name: "x25519-base", classes: "scalar 0 (clamped to 2^254) vs random scalar",
		samples: 100_000, setup: x25519Base,
	},
	{
		name: "xeddsa-sign", classes: "private key 0 (clamped) vs random private key",
		samples: 100_000, setup: xeddsaSign,
	},
	{
		name: "vxeddsa-sign", classes: "private key 0 (clamped) vs random private key",
		samples: 50_000, setup: vxeddsaSign,
	},
	{
		name: "mac-compare", classes: "SignalMessage tag wrong in byte 0 vs byte 7 (ratchet.VerifySignalMAC)",
		samples: 10_000_000, setup: macCompare,
	},
	{
		name: "pkcs7-position", classes: "pad 16, wrong byte next to the pad byte vs 16th from the end (ratchet.State.Decrypt after the MAC)",
		samples: 10_000_000,
		setup: pkcs7([2]func([]byte){
			func(b []byte) { b[14] ^= 0x01 },
			func(b []byte) { b[0] ^= 0x01 },
		}),
	},
	{
		name: "pkcs7-length", classes: "pad byte 0 (invalid length) vs pad 16 with its first byte wrong",
		samples: 10_000_000,
		setup: pkcs7([2]func([]byte){
			func(b []byte) { b[15] ^= 0x10 },
			func(b []byte) { b[0] ^= 0x01 },
		}),
	},
	{
		name: "gcmsiv-open", classes: "AES-256-GCM-SIV tag wrong in byte 0 vs byte 15",
		samples: 10_000_000, setup: gcmsivOpen,
	},
	{
		name: "kyber1024-decap", classes: "valid vs implicitly rejected ciphertext (seed key, crypto/mlkem)",
		samples: 200_000, setup: kemDecap(kem.Kyber1024, false),
	},
	{
		name: "kyber1024-decap-expanded", classes: "valid vs implicitly rejected ciphertext (libsignal's expanded key, internal/mlkem)",
		samples: 200_000, setup: kemDecap(kem.Kyber1024, true),
	},
	{
		name: "mlkem1024-decap", classes: "valid vs implicitly rejected ciphertext (seed key, crypto/mlkem)",
		samples: 200_000, setup: kemDecap(kem.MLKEM1024, false),
	},
	{
		name: "mlkem768-decap", classes: "valid vs implicitly rejected ciphertext (internal/mlkem768, SPQR)",
		samples: 200_000, setup: mlkem768Decap,
	},
	{
		name: "reference-subtle-compare", classes: "1 KiB buffers differing in byte 0 vs byte 1023, crypto/subtle.ConstantTimeCompare",
		samples: 10_000_000,
		setup:   compareOp(func(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }),
	},
	{
		name: "control-early-exit", classes: "the same buffers, early-exit loop (NOT constant time: must fail)",
		samples: 10_000_000, control: true, setup: compareOp(naiveEqual),
	},
	{
		name: "control-mac-early-exit", classes: "the MAC of mac-compare, then an early-exit compare of its 8 bytes, wrong in byte 0 vs byte 7 (NOT constant time: must fail)",
		samples: 10_000_000, control: true, setup: macEarlyExit,
	},
}
