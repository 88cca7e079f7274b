package senderkey

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/wire"
)

func TestBasicRoundTrip(t *testing.T) {
	alice, bob := newMember("alice", 1), newMember("bob", 2)
	distribute(t, alice, bob)
	for i, pt := range [][]byte{[]byte("hello group"), {}, bytes.Repeat([]byte{7}, 16), bytes.Repeat([]byte("x"), 70000)} {
		ct := encrypt(t, alice, pt)
		got, err := bob.c.Decrypt(context.Background(), alice.addr, ct)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if !bytes.Equal(got, pt) {
			t.Fatalf("message %d: got %d bytes, want %d", i, len(got), len(pt))
		}
	}
}

// TestThreeSendersOutOfOrder: three senders, 500 messages each, delivered to
// two receivers in two different random orders; everything decrypts, and
// every redelivery is a duplicate that leaves the records unchanged.
func TestThreeSendersOutOfOrder(t *testing.T) {
	const perSender = 500
	senders := []*member{newMember("s1", 1), newMember("s2", 1), newMember("s3", 7)}
	receivers := []*member{newMember("r1", 1), newMember("r2", 3)}
	for _, s := range senders {
		distribute(t, s, receivers...)
	}
	type sent struct {
		from    *member
		pt, msg []byte
	}
	var all []sent
	for i := 0; i < perSender; i++ {
		for _, s := range senders {
			pt := []byte(fmt.Sprintf("%s message %d", s.addr.Name, i))
			all = append(all, sent{s, pt, encrypt(t, s, pt)})
		}
	}
	ctx := context.Background()
	for ri, r := range receivers {
		order := rand.New(rand.NewPCG(uint64(ri), 42)).Perm(len(all))
		for _, k := range order {
			got, err := r.c.Decrypt(ctx, all[k].from.addr, all[k].msg)
			if err != nil {
				t.Fatalf("receiver %d, message %d: %v", ri, k, err)
			}
			if !bytes.Equal(got, all[k].pt) {
				t.Fatalf("receiver %d, message %d: got %q want %q", ri, k, got, all[k].pt)
			}
		}
		// All skipped keys were used up.
		for _, s := range senders {
			rec, _ := r.store.LoadSenderKey(ctx, s.addr, testDist)
			if n := len(rec.states[0].keys); n != 0 || rec.states[0].chain.iteration != perSender {
				t.Errorf("receiver %d, sender %s: %d keys left, chain at %d", ri, s.addr, n, rec.states[0].chain.iteration)
			}
		}
		for _, k := range order[:60] {
			err := decryptFails(t, r, all[k].from.addr, all[k].msg)
			if !errors.Is(err, ErrDuplicateMessage) {
				t.Fatalf("redelivery: %v, want ErrDuplicateMessage", err)
			}
		}
	}
}

func TestDuplicateWithStoredKeys(t *testing.T) {
	alice, bob := newMember("alice", 1), newMember("bob", 1)
	distribute(t, alice, bob)
	var msgs [][]byte
	for i := 0; i < 5; i++ {
		msgs = append(msgs, encrypt(t, alice, []byte{byte(i)}))
	}
	ctx := context.Background()
	for _, i := range []int{3, 1} {
		if _, err := bob.c.Decrypt(ctx, alice.addr, msgs[i]); err != nil {
			t.Fatal(err)
		}
	}
	// Keys 0 and 2 are still stored; 1 and 3 were used.
	for _, i := range []int{1, 3} {
		if err := decryptFails(t, bob, alice.addr, msgs[i]); !errors.Is(err, ErrDuplicateMessage) {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	for _, i := range []int{0, 2, 4} {
		if _, err := bob.c.Decrypt(ctx, alice.addr, msgs[i]); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
}

// TestTampering flips each bit position class of a message: every variant
// fails with a package error and leaves the record byte-identical, and the
// original still decrypts afterwards.
func TestTampering(t *testing.T) {
	alice, bob := newMember("alice", 1), newMember("bob", 1)
	distribute(t, alice, bob)
	encrypt(t, alice, []byte("skip me")) // so that the victim is ahead of the chain
	msg := encrypt(t, alice, []byte("attack at dawn"))
	for i := range msg {
		for _, bit := range []byte{0x01, 0x80} {
			bad := bytes.Clone(msg)
			bad[i] ^= bit
			err := decryptFails(t, bob, alice.addr, bad)
			if !errors.Is(err, ErrInvalidSignature) && !errors.Is(err, ErrInvalidMessage) && !errors.Is(err, ErrNoSenderKey) {
				t.Fatalf("byte %d bit %#x: %v", i, bit, err)
			}
			if i >= len(msg)-64 && !errors.Is(err, ErrInvalidSignature) {
				t.Fatalf("signature byte %d: %v, want ErrInvalidSignature", i, err)
			}
		}
	}
	for _, bad := range [][]byte{nil, msg[:len(msg)-1], append(bytes.Clone(msg), 0)} {
		if err := decryptFails(t, bob, alice.addr, bad); !errors.Is(err, ErrInvalidSignature) && !errors.Is(err, ErrInvalidMessage) {
			t.Fatalf("length %d: %v", len(bad), err)
		}
	}
	if got, err := bob.c.Decrypt(context.Background(), alice.addr, msg); err != nil || string(got) != "attack at dawn" {
		t.Fatalf("original after tampering: %q, %v", got, err)
	}
}

// signedMessage signs a message of from's chain with arbitrary contents.
func signedMessage(t testing.TB, from *member, iteration uint32, ciphertext []byte) []byte {
	t.Helper()
	r, err := from.store.LoadSenderKey(context.Background(), from.addr, testDist)
	if err != nil {
		t.Fatal(err)
	}
	s := r.states[0]
	kp, err := s.signingKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	w := wire.SenderKeyMessage{DistributionID: testDist, ChainID: s.chainID, Iteration: iteration, Ciphertext: ciphertext}
	b := w.AppendUnsigned(nil)
	sig, err := kp.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	return append(b, sig...)
}

// TestBadCiphertextSigned: a correctly signed message whose body does not
// decrypt changes nothing, even when it is ahead of the chain (the chain
// advance is computed aside and dropped). The bodies fail for certain: two
// have a length that is not a positive multiple of the block size, and the
// others are encrypted under the real message key of the iteration so that
// they decrypt to chosen plaintexts with invalid PKCS#7 padding. (A fixed
// body under a random key would decrypt to valid padding about once in 250.)
func TestBadCiphertextSigned(t *testing.T) {
	alice, bob := newMember("alice", 1), newMember("bob", 1)
	distribute(t, alice, bob)
	start := ownChain(t, alice) // iteration 0
	var msgs [][]byte
	for i := 0; i < 12; i++ {
		msgs = append(msgs, encrypt(t, alice, []byte(fmt.Sprint("m", i))))
	}
	ctx := context.Background()
	if _, err := bob.c.Decrypt(ctx, alice.addr, msgs[3]); err != nil { // stores keys 0..2
		t.Fatal(err)
	}
	// Last blocks whose padding is wrong: a zero pad byte, a pad byte above
	// the block size, a pad of 2 whose other byte differs, and a full-block
	// pad of 16 with one byte off.
	badPads := [][]byte{
		append(bytes.Repeat([]byte{0xa5}, 31), 0x00),
		append(bytes.Repeat([]byte{0xa5}, 31), 0x11),
		append(bytes.Repeat([]byte{0xa5}, 30), 0x01, 0x02),
		append(append(bytes.Repeat([]byte{0xa5}, 16), 0x0f), bytes.Repeat([]byte{0x10}, 15)...),
	}
	for _, it := range []uint32{1, 4, 10} { // a stored key, the next one, a jump
		mk := messageKeysAt(t, start, it)
		bodies := [][]byte{{}, make([]byte, 15)}
		for _, pt := range badPads {
			bodies = append(bodies, rawCBC(t, &mk, pt))
		}
		for i, ct := range bodies {
			err := decryptFails(t, bob, alice.addr, signedMessage(t, alice, it, ct))
			if !errors.Is(err, ErrDecrypt) {
				t.Fatalf("iteration %d, body %d (%d bytes): %v, want ErrDecrypt", it, i, len(ct), err)
			}
		}
		// The same key with valid padding decrypts: the bodies above fail
		// because of their padding, not because of the key.
		good := append(bytes.Repeat([]byte{0xa5}, 28), 4, 4, 4, 4)
		if pt, err := mk.decryptCBC(rawCBC(t, &mk, good)); err != nil || !bytes.Equal(pt, good[:28]) {
			t.Fatalf("iteration %d: control body: %x, %v", it, pt, err)
		}
	}
	for _, i := range []int{1, 4, 10, 0, 2, 11} {
		if got, err := bob.c.Decrypt(ctx, alice.addr, msgs[i]); err != nil || string(got) != fmt.Sprint("m", i) {
			t.Fatalf("message %d: %q, %v", i, got, err)
		}
	}
}

// ownChain returns the current chain key of from's own newest state.
func ownChain(t testing.TB, from *member) chainKey {
	t.Helper()
	r, err := from.store.LoadSenderKey(context.Background(), from.addr, testDist)
	if err != nil || r == nil {
		t.Fatal(r, err)
	}
	return r.states[0].chain
}

// messageKeysAt steps ck forward to iteration it and returns the message
// keys of that iteration.
func messageKeysAt(t testing.TB, ck chainKey, it uint32) messageKeys {
	t.Helper()
	if it < ck.iteration {
		t.Fatalf("chain at %d is past iteration %d", ck.iteration, it)
	}
	for ck.iteration < it {
		var n chainKey
		if err := ck.step(nil, &n); err != nil {
			t.Fatal(err)
		}
		ck = n
	}
	var seed [32]byte
	if err := ck.step(&seed, nil); err != nil {
		t.Fatal(err)
	}
	mk, err := deriveMessageKeys(&seed)
	if err != nil {
		t.Fatal(err)
	}
	return mk
}

// rawCBC encrypts blocks (a multiple of the block size) with AES-256-CBC
// under mk, adding no padding, so that decryption yields blocks exactly.
func rawCBC(t testing.TB, mk *messageKeys, blocks []byte) []byte {
	t.Helper()
	b, err := aes.NewCipher(mk.key[:])
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, len(blocks))
	cipher.NewCBCEncrypter(b, mk.iv[:]).CryptBlocks(out, blocks)
	return out
}

func TestForwardJump(t *testing.T) {
	alice, bob := newMember("alice", 1), newMember("bob", 1)
	distribute(t, alice, bob)

	// Advance alice's chain to iteration MaxForwardJump+1 by stepping it.
	var far chainKey
	editOwnState(t, alice, func(s *state) {
		ck := s.chain
		for ck.iteration < MaxForwardJump {
			var n chainKey
			if err := ck.step(nil, &n); err != nil {
				t.Fatal(err)
			}
			ck = n
		}
		far = ck // iteration MaxForwardJump
		var n chainKey
		if err := ck.step(nil, &n); err != nil {
			t.Fatal(err)
		}
		s.chain = n // iteration MaxForwardJump+1
	})
	tooFar := encrypt(t, alice, []byte("you got the plan?"))
	err := decryptFails(t, bob, alice.addr, tooFar)
	var fj *ForwardJumpError
	if !errors.Is(err, ErrForwardJump) || !errors.As(err, &fj) || fj.Iteration != MaxForwardJump+1 || fj.Current != 0 {
		t.Fatalf("err = %v, want ForwardJumpError at %d", err, MaxForwardJump+1)
	}
	if !bytes.Contains([]byte(err.Error()), []byte("MaxForwardJump (25000)")) {
		t.Errorf("error %q does not name the limit", err)
	}
	// Rejection derives no keys: a handful of allocations, not 25,000 HMACs.
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := bob.c.Decrypt(context.Background(), alice.addr, tooFar); !errors.Is(err, ErrForwardJump) {
			t.Fatal(err)
		}
	})
	if allocs > 100 {
		t.Errorf("rejecting a far jump took %v allocations", allocs)
	}

	// Exactly MaxForwardJump ahead is accepted; the receiver keeps the last
	// MaxMessageKeys skipped keys.
	editOwnState(t, alice, func(s *state) { s.chain = far })
	atLimit := encrypt(t, alice, []byte("at the limit"))
	if got, err := bob.c.Decrypt(context.Background(), alice.addr, atLimit); err != nil || string(got) != "at the limit" {
		t.Fatalf("jump of exactly MaxForwardJump: %q, %v", got, err)
	}
	rec, _ := bob.store.LoadSenderKey(context.Background(), alice.addr, testDist)
	s := rec.states[0]
	if len(s.keys) != MaxMessageKeys || s.keys[0].iteration != MaxForwardJump-MaxMessageKeys || s.keys[MaxMessageKeys-1].iteration != MaxForwardJump-1 || s.chain.iteration != MaxForwardJump+1 {
		t.Fatalf("after the jump: %d keys [%d..%d], chain at %d", len(s.keys), s.keys[0].iteration, s.keys[len(s.keys)-1].iteration, s.chain.iteration)
	}
	// And now the earlier too-far message is in range.
	if got, err := bob.c.Decrypt(context.Background(), alice.addr, tooFar); err != nil || string(got) != "you got the plan?" {
		t.Fatalf("after catching up: %q, %v", got, err)
	}
}

// TestMessageKeyLimit follows libsignal's group_message_key_limit and checks
// exactly which keys the MaxMessageKeys trim dropped.
func TestMessageKeyLimit(t *testing.T) {
	alice, bob := newMember("alice", 1), newMember("bob", 1)
	distribute(t, alice, bob)
	const n = MaxMessageKeys + 10
	msgs := make([][]byte, n)
	for i := range msgs {
		msgs[i] = encrypt(t, alice, []byte(fmt.Sprint(i)))
	}
	ctx := context.Background()
	for _, i := range []int{1000, n - 1} {
		if got, err := bob.c.Decrypt(ctx, alice.addr, msgs[i]); err != nil || string(got) != fmt.Sprint(i) {
			t.Fatalf("message %d: %q, %v", i, got, err)
		}
	}
	// Skipped: 0..999 and 1001..2008, 2008 keys; the 8 oldest were dropped.
	for i := 0; i < 8; i++ {
		if err := decryptFails(t, bob, alice.addr, msgs[i]); !errors.Is(err, ErrDuplicateMessage) {
			t.Fatalf("message %d: %v, want ErrDuplicateMessage", i, err)
		}
	}
	for _, i := range []int{8, 9, 999, 1001, n - 2} {
		if _, err := bob.c.Decrypt(ctx, alice.addr, msgs[i]); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
}

// TestStateLimit: a sender that rotates its key six times leaves five chains
// at the receiver; the oldest one's messages no longer decrypt.
func TestStateLimit(t *testing.T) {
	alice, bob := newMember("alice", 1), newMember("bob", 1)
	ctx := context.Background()
	var chains []uint32
	var msgs [][]byte
	for i := 0; i < MaxSenderKeyStates+1; i++ {
		if err := alice.store.DeleteSenderKey(ctx, alice.addr, testDist); err != nil {
			t.Fatal(err)
		}
		dm := distribute(t, alice, bob)
		chains = append(chains, dm.ChainID())
		msgs = append(msgs, encrypt(t, alice, []byte(fmt.Sprint("chain ", i))))
	}
	rec, _ := bob.store.LoadSenderKey(ctx, alice.addr, testDist)
	want := []uint32{chains[5], chains[4], chains[3], chains[2], chains[1]}
	if got := rec.ChainIDs(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("chains %v, want %v (newest first)", got, want)
	}
	if err := decryptFails(t, bob, alice.addr, msgs[0]); !errors.Is(err, ErrNoSenderKey) {
		t.Fatalf("oldest chain: %v, want ErrNoSenderKey", err)
	}
	for i := 1; i < len(msgs); i++ {
		if got, err := bob.c.Decrypt(ctx, alice.addr, msgs[i]); err != nil || string(got) != fmt.Sprint("chain ", i) {
			t.Fatalf("chain %d: %q, %v", i, got, err)
		}
	}
}

// TestProcessSemantics follows libsignal's add_sender_key_state tests.
func TestProcessSemantics(t *testing.T) {
	alice, bob := newMember("alice", 1), newMember("bob", 1)
	ctx := context.Background()
	dm := distribute(t, alice, bob)
	m0 := encrypt(t, alice, []byte("0"))
	m1 := encrypt(t, alice, []byte("1"))
	if _, err := bob.c.Decrypt(ctx, alice.addr, m1); err != nil {
		t.Fatal(err)
	}
	before := recordBytes(t, bob, alice.addr)
	// Same chain id and key again: the progress is kept.
	if err := bob.c.ProcessDistributionMessage(ctx, alice.addr, dm); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, recordBytes(t, bob, alice.addr)) {
		t.Fatal("re-processing the same chain changed the record")
	}
	if err := decryptFails(t, bob, alice.addr, m1); !errors.Is(err, ErrDuplicateMessage) {
		t.Fatal(err)
	}
	// Another chain moves to the front; re-processing the first moves it back.
	carolDM := &DistributionMessage{distributionID: testDist, chainID: dm.chainID + 1, signingKey: randomKey(t)}
	if err := bob.c.ProcessDistributionMessage(ctx, alice.addr, carolDM); err != nil {
		t.Fatal(err)
	}
	if err := bob.c.ProcessDistributionMessage(ctx, alice.addr, dm); err != nil {
		t.Fatal(err)
	}
	rec, _ := bob.store.LoadSenderKey(ctx, alice.addr, testDist)
	if ids := rec.ChainIDs(); len(ids) != 2 || ids[0] != dm.chainID || ids[1] != dm.chainID+1 {
		t.Fatalf("chains %v", ids)
	}
	if got, err := bob.c.Decrypt(ctx, alice.addr, m0); err != nil || string(got) != "0" {
		t.Fatalf("stored key after reordering: %q, %v", got, err)
	}
	// Same chain id with another signing key replaces the chain.
	other := &DistributionMessage{distributionID: testDist, chainID: dm.chainID, signingKey: randomKey(t)}
	if err := bob.c.ProcessDistributionMessage(ctx, alice.addr, other); err != nil {
		t.Fatal(err)
	}
	rec, _ = bob.store.LoadSenderKey(ctx, alice.addr, testDist)
	if ids := rec.ChainIDs(); len(ids) != 2 || ids[0] != dm.chainID || rec.states[0].signingPub != other.signingKey {
		t.Fatalf("chains %v after replacement", ids)
	}
	if err := decryptFails(t, bob, alice.addr, encrypt(t, alice, []byte("2"))); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("message under the replaced key: %v", err)
	}
}

func randomKey(t testing.TB) curve.PublicKey {
	t.Helper()
	kp, err := curve.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return kp.Public
}

func TestErrors(t *testing.T) {
	alice, bob := newMember("alice", 1), newMember("bob", 1)
	ctx := context.Background()
	if _, err := alice.c.Encrypt(ctx, alice.addr, testDist, []byte("x")); !errors.Is(err, ErrNoSenderKey) {
		t.Errorf("encrypt without a key: %v", err)
	}
	distribute(t, alice, bob)
	msg := encrypt(t, alice, []byte("x"))
	carol := newMember("carol", 1)
	if _, err := carol.c.Decrypt(ctx, alice.addr, msg); !errors.Is(err, ErrNoSenderKey) {
		t.Errorf("decrypt without a key: %v", err)
	}
	if _, err := bob.c.Decrypt(ctx, Sender{"alice", 2}, msg); !errors.Is(err, ErrNoSenderKey) {
		t.Errorf("decrypt from another device: %v", err)
	}
	if _, err := bob.c.Encrypt(ctx, alice.addr, testDist, []byte("x")); !errors.Is(err, ErrNoSigningKey) {
		t.Errorf("encrypt with a received chain: %v", err)
	}
	legacy := bytes.Clone(msg)
	legacy[0] = 0x22
	if _, err := bob.c.Decrypt(ctx, alice.addr, legacy); !errors.Is(err, ErrInvalidMessage) || !errors.Is(err, wire.ErrLegacyVersion) {
		t.Errorf("legacy version: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := bob.c.Decrypt(cancelled, alice.addr, msg); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	// The largest plaintext encrypts and decrypts; one byte more is refused.
	big := make([]byte, MaxPlaintextSize)
	if got, err := bob.c.Decrypt(ctx, alice.addr, encrypt(t, alice, big)); err != nil || len(got) != len(big) {
		t.Errorf("MaxPlaintextSize: %d bytes, %v", len(got), err)
	}
	if _, err := alice.c.Encrypt(ctx, alice.addr, testDist, make([]byte, MaxPlaintextSize+1)); !errors.Is(err, ErrPlaintextTooLarge) {
		t.Errorf("oversized plaintext: %v", err)
	}
	// A chain at the last iteration cannot encrypt.
	editOwnState(t, alice, func(s *state) { s.chain.iteration = math.MaxUint32 })
	before := recordBytes(t, alice, alice.addr)
	if _, err := alice.c.Encrypt(ctx, alice.addr, testDist, []byte("x")); !errors.Is(err, ErrChainExhausted) {
		t.Errorf("exhausted chain: %v", err)
	}
	if !bytes.Equal(before, recordBytes(t, alice, alice.addr)) {
		t.Error("failed encrypt changed the record")
	}
}

type failingStore struct {
	MemoryStore
	fail bool
}

var errStore = errors.New("disk full")

func (f *failingStore) StoreSenderKey(ctx context.Context, s Sender, id DistributionID, r *Record) error {
	if f.fail {
		return errStore
	}
	return f.MemoryStore.StoreSenderKey(ctx, s, id, r)
}

// TestStoreFailure: when the record cannot be saved, Decrypt returns no
// plaintext, and the message can be decrypted once the store works again.
func TestStoreFailure(t *testing.T) {
	alice := newMember("alice", 1)
	fs := new(failingStore)
	bob := &member{addr: Sender{"bob", 1}, c: NewCipher(fs)}
	distribute(t, alice, bob)
	msg := encrypt(t, alice, []byte("hi"))
	fs.fail = true
	if pt, err := bob.c.Decrypt(context.Background(), alice.addr, msg); !errors.Is(err, errStore) || pt != nil {
		t.Fatalf("Decrypt = %q, %v", pt, err)
	}
	fs.fail = false
	if pt, err := bob.c.Decrypt(context.Background(), alice.addr, msg); err != nil || string(pt) != "hi" {
		t.Fatalf("Decrypt = %q, %v", pt, err)
	}
}

// TestConcurrent encrypts from many goroutines through one Cipher: every
// message gets its own iteration, and all decrypt under concurrent Decrypt.
func TestConcurrent(t *testing.T) {
	alice, bob := newMember("alice", 1), newMember("bob", 1)
	distribute(t, alice, bob)
	const workers, each = 8, 40
	msgs := make([][]byte, workers*each)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				ct, err := alice.c.Encrypt(context.Background(), alice.addr, testDist, []byte(fmt.Sprint(w*each+i)))
				if err != nil {
					t.Error(err)
					return
				}
				msgs[w*each+i] = ct
			}
		}()
	}
	wg.Wait()
	seen := map[uint32]bool{}
	for _, m := range msgs {
		p, err := wire.ParseSenderKeyMessage(m)
		if err != nil {
			t.Fatal(err)
		}
		if seen[p.Iteration] {
			t.Fatalf("iteration %d used twice", p.Iteration)
		}
		seen[p.Iteration] = true
	}
	errs := make(chan error, len(msgs))
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(msgs); i += workers {
				pt, err := bob.c.Decrypt(context.Background(), alice.addr, msgs[i])
				if err != nil || string(pt) != fmt.Sprint(i) {
					errs <- fmt.Errorf("message %d: %q, %v", i, pt, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
