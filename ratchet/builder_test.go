package ratchet

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// bobWithSkipped returns a pair in which Bob has received Alice's message
// n (and earlier ones on older chains, if rounds > 1) and holds the keys of
// her messages 0..n-1 on his newest chain; msgs are those messages.
func bobWithSkipped(t testing.TB, n int) (alice, bob *party, msgs []testMsg) {
	t.Helper()
	alice, bob = newPair(t)
	for i := range n + 1 {
		msgs = append(msgs, alice.send(t, []byte{byte(i)}))
	}
	if _, err := bob.recv(msgs[n]); err != nil {
		t.Fatal(err)
	}
	return alice, bob, msgs[:n]
}

// wholeKeys returns the message keys of seed without salt, as an older
// libsignal record stores them.
func wholeKeys(seed [KeySize]byte) *MessageKeys {
	var mk MessageKeys
	newKDF().messageKeys(&mk, &seed, nil)
	return &mk
}

// withLegacy returns bob's snapshot with the stored keys of the given
// indices of chain ci replaced by their whole keys.
func withLegacy(t testing.TB, s *State, ci int, indices ...uint32) *Snapshot {
	t.Helper()
	sn := s.Snapshot()
	rc := &sn.Receivers[ci]
	for _, n := range indices {
		j := slices.IndexFunc(rc.Skipped, func(sk SkippedKey) bool { return sk.Index == n })
		if j < 0 {
			t.Fatalf("no stored key %d", n)
		}
		rc.Skipped[j].Keys = wholeKeys(rc.Skipped[j].Seed)
		rc.Skipped[j].Seed = [KeySize]byte{}
	}
	return sn
}

func TestBuilderOrders(t *testing.T) {
	_, bob, _ := bobWithSkipped(t, 40)
	sn := withLegacy(t, bob.s, 0, 3, 17, 39)
	st, err := FromSnapshot(sn)
	if err != nil {
		t.Fatal(err)
	}
	want := encoded(t, st)
	rng := rand.New(rand.NewPCG(1, 2))
	orders := map[string]func([]SkippedKey){
		"ascending":  func([]SkippedKey) {},
		"descending": func(s []SkippedKey) { slices.Reverse(s) },
		"shuffled":   func(s []SkippedKey) { rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] }) },
		"one swap":   func(s []SkippedKey) { s[0], s[1] = s[1], s[0] },
	}
	for name, reorder := range orders {
		sn := withLegacy(t, bob.s, 0, 3, 17, 39)
		reorder(sn.Receivers[0].Skipped)
		st, err := FromSnapshot(sn)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := encoded(t, st); !bytes.Equal(got, want) {
			t.Errorf("%s: state differs", name)
		}
		if !reflect.DeepEqual(st.Snapshot(), withLegacy(t, bob.s, 0, 3, 17, 39)) {
			t.Errorf("%s: snapshot differs", name)
		}
	}
}

func TestBuilderRejects(t *testing.T) {
	_, bob, _ := bobWithSkipped(t, 3)
	v := bob.s.View()
	rc := v.Receivers[0]
	seed := [KeySize]byte{1}
	start := func() *Builder {
		b := NewBuilder(v.RootKey, v.PreviousCounter)
		if err := b.SetSender(v.Sender.RatchetKey, v.Sender.ChainKey); err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := map[string]func(b *Builder){
		"key without chain": func(b *Builder) { b.AddSkippedSeed(1, &seed) },
		"too many keys": func(b *Builder) {
			b.AddReceiver(rc.RatchetKey, ChainKey{Index: 5000}, 0, 1)
			for i := range MaxSkippedKeysPerChain + 1 {
				b.AddSkippedSeed(uint32(i), &seed)
			}
		},
		"too many legacy keys": func(b *Builder) {
			b.AddReceiver(rc.RatchetKey, ChainKey{Index: 5000}, 0, 0)
			for i := range MaxSkippedKeysPerChain + 1 {
				b.AddSkippedKeys(uint32(i), &MessageKeys{})
			}
		},
		"too many chains": func(b *Builder) {
			for range MaxReceiverChains + 1 {
				b.AddReceiver(mustKeyPair(t).Public, ChainKey{}, 0, 0)
			}
		},
		"count above bound": func(b *Builder) {
			b.AddReceiver(rc.RatchetKey, ChainKey{Index: 5000}, 0, MaxSkippedKeysPerChain+1)
		},
		"repeated descending": func(b *Builder) {
			b.AddReceiver(rc.RatchetKey, ChainKey{Index: 9}, 0, 4)
			for _, n := range []uint32{5, 4, 4, 3} {
				b.AddSkippedSeed(n, &seed)
			}
		},
		"repeated pair": func(b *Builder) {
			b.AddReceiver(rc.RatchetKey, ChainKey{Index: 9}, 0, 2)
			b.AddSkippedSeed(5, &seed)
			b.AddSkippedKeys(5, &MessageKeys{})
		},
		"not below, descending": func(b *Builder) {
			b.AddReceiver(rc.RatchetKey, ChainKey{Index: 9}, 0, 2)
			b.AddSkippedSeed(9, &seed)
			b.AddSkippedSeed(1, &seed)
		},
		"below floor, ascending": func(b *Builder) {
			b.AddReceiver(rc.RatchetKey, ChainKey{Index: 9}, 4, 2)
			b.AddSkippedSeed(3, &seed)
			b.AddSkippedSeed(5, &seed)
		},
		"bad chain before dropped": func(b *Builder) {
			b.AddReceiver(rc.RatchetKey, ChainKey{Index: 1}, 0, 1)
			b.AddSkippedSeed(1, &seed)
			b.AddDropped(mustKeyPair(t).Public)
		},
		"dropped is live": func(b *Builder) {
			b.AddReceiver(rc.RatchetKey, ChainKey{Index: 1}, 0, 0)
			b.AddDropped(rc.RatchetKey)
		},
	}
	for name, f := range cases {
		b := start()
		f(b)
		if _, err := b.Build(); !errors.Is(err, ErrInvalidState) {
			t.Errorf("%s: Build err = %v", name, err)
		}
	}
	// The first error sticks and Build cannot be called twice.
	b := start()
	first := b.AddSkippedSeed(1, &seed)
	if err := b.AddReceiver(rc.RatchetKey, rc.ChainKey, 0, 0); err != first {
		t.Errorf("AddReceiver after an error = %v, want %v", err, first)
	}
	b = start()
	if _, err := b.Build(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Build(); !errors.Is(err, ErrInvalidState) {
		t.Errorf("second Build: %v", err)
	}
	if err := b.AddReceiver(rc.RatchetKey, rc.ChainKey, 0, 0); !errors.Is(err, ErrInvalidState) {
		t.Errorf("AddReceiver after Build: %v", err)
	}
}

// TestLegacyKeys decrypts with stored whole keys, checks that they leave the
// side table with their entry (used, or dropped under the bound) and that
// failures leave the state alone.
func TestLegacyKeys(t *testing.T) {
	alice, bob, msgs := bobWithSkipped(t, 10)
	st, err := FromSnapshot(withLegacy(t, bob.s, 0, 3, 7))
	if err != nil {
		t.Fatal(err)
	}
	bob.s = st
	if got := len(st.recv[0].legacy); got != 2 {
		t.Fatalf("%d legacy keys, want 2", got)
	}
	// A salted message cannot use a whole key; the failure changes nothing.
	before := encoded(t, st)
	bob.salt = headerSalt
	if _, err := bob.recv(msgs[3]); !errors.Is(err, ErrInvalidMAC) {
		t.Fatalf("salted message with a whole key: %v", err)
	}
	bob.salt = nil
	if !bytes.Equal(encoded(t, st), before) {
		t.Fatal("failed decrypt changed the state")
	}
	// A clone is independent of the original.
	clone := &party{s: st.Clone(), id: bob.id, peer: bob.peer}
	if _, err := clone.recv(msgs[7]); err != nil {
		t.Fatalf("clone, whole key: %v", err)
	}
	if !bytes.Equal(encoded(t, st), before) {
		t.Fatal("decrypting with the clone changed the original")
	}
	for _, i := range []int{3, 5} {
		got, err := bob.recv(msgs[i])
		if err != nil || !bytes.Equal(got, msgs[i].pt) {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if got := st.recv[0].legacy; len(got) != 1 || got[0].n != 7 {
		t.Fatalf("legacy keys after use: %v", len(got))
	}
	if _, err := bob.recv(msgs[3]); !errors.Is(err, ErrDuplicateMessage) {
		t.Fatalf("replay: %v", err)
	}
	// A jump that drops every older key drops the whole key 7 too.
	var last testMsg
	for range MaxSkippedKeysPerChain + 1 {
		last = alice.send(t, nil)
	}
	if _, err := bob.recv(last); err != nil {
		t.Fatal(err)
	}
	c := &st.recv[0]
	if len(c.legacy) != 0 || len(c.skipped) != MaxSkippedKeysPerChain {
		t.Fatalf("after the jump: %d legacy, %d stored", len(c.legacy), len(c.skipped))
	}
	if _, err := bob.recv(msgs[7]); !errors.Is(err, ErrSkippedKeyDropped) {
		t.Fatalf("dropped whole key: %v", err)
	}
}

// checkCopies checks that s.Clone, FromSnapshot(s.Snapshot()) and a
// Builder fed from s.View() all reproduce s, and that View agrees with
// Snapshot.
func checkCopies(t *testing.T, s *State) {
	t.Helper()
	want := encoded(t, s)
	c := s.Clone()
	if !bytes.Equal(encoded(t, c), want) || c.k == s.k || c.maxJump != s.maxJump {
		t.Fatal("Clone differs")
	}
	for i := range s.recv {
		if len(s.recv[i].skipped) > 0 && &c.recv[i].skipped[0] == &s.recv[i].skipped[0] {
			t.Fatal("Clone shares stored keys")
		}
	}
	sn := s.Snapshot()
	v := s.View()
	if v.RootKey != sn.RootKey || v.PreviousCounter != sn.PreviousCounter || !reflect.DeepEqual(v.Sender, sn.Sender) || len(v.Receivers) != len(sn.Receivers) {
		t.Fatal("View differs from Snapshot")
	}
	b := NewBuilder(v.RootKey, v.PreviousCounter)
	if v.Sender != nil {
		b.SetSender(v.Sender.RatchetKey, v.Sender.ChainKey)
	}
	for i, rv := range v.Receivers {
		rc := sn.Receivers[i]
		if rv.RatchetKey != rc.RatchetKey || rv.ChainKey != rc.ChainKey || rv.SkippedFloor != rc.SkippedFloor || rv.Skipped.Len() != len(rc.Skipped) {
			t.Fatalf("View chain %d differs from Snapshot", i)
		}
		b.AddReceiver(rv.RatchetKey, rv.ChainKey, rv.SkippedFloor, rv.Skipped.Len())
		for j := rv.Skipped.Len() - 1; j >= 0; j-- { // newest first, as records
			keys, legacy := rv.Skipped.Keys(j)
			sk := rc.Skipped[j]
			if rv.Skipped.Index(j) != sk.Index || legacy != (sk.Keys != nil) || (legacy && keys != *sk.Keys) || (!legacy && rv.Skipped.Seed(j) != sk.Seed) {
				t.Fatalf("View key %d/%d differs from Snapshot", i, j)
			}
			if legacy {
				b.AddSkippedKeys(sk.Index, &keys)
			} else {
				seed := rv.Skipped.Seed(j)
				b.AddSkippedSeed(sk.Index, &seed)
			}
		}
	}
	for _, pub := range sn.DroppedRatchetKeys {
		b.AddDropped(pub)
	}
	for name, f := range map[string]func() (*State, error){
		"FromSnapshot": func() (*State, error) { return FromSnapshot(sn) },
		"Builder":      b.Build,
	} {
		st, err := f()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(encoded(t, st), want) {
			t.Fatalf("%s differs", name)
		}
	}
}

// TestCopiesInConversation runs a random conversation (sends, losses,
// late deliveries, replies) and checks the copies after every step, and
// that a clone decrypts exactly as the original does.
func TestCopiesInConversation(t *testing.T) {
	alice, bob := newPair(t)
	rng := rand.New(rand.NewPCG(7, 8))
	parties := [2]*party{alice, bob}
	var pending [2][]testMsg // undelivered messages to party i
	var late, maxChains, maxSkipped int
	for step := range 300 {
		from := rng.IntN(2)
		to := 1 - from
		switch r := rng.IntN(10); {
		case r < 6:
			m := parties[from].send(t, []byte{byte(step)})
			pending[to] = append(pending[to], m)
			if r < 3 {
				break // held back
			}
			fallthrough
		default:
			q := pending[to]
			if len(q) == 0 {
				continue
			}
			k := len(q) - 1
			if rng.IntN(3) == 0 {
				k = rng.IntN(len(q))
			}
			m := q[k]
			pending[to] = slices.Delete(q, k, k+1)
			p := parties[to]
			c := &party{s: p.s.Clone(), id: p.id, peer: p.peer}
			if k < len(q)-1 {
				late++
			}
			got, err := p.recv(m)
			got2, err2 := c.recv(m)
			if !bytes.Equal(got, got2) || (err == nil) != (err2 == nil) {
				t.Fatalf("step %d: clone decrypts differently: %v / %v", step, err, err2)
			}
			// A DH step makes a fresh key pair (and so another root and
			// sending chain); the receiving side must agree in any case.
			a, b := c.s.Snapshot(), p.s.Snapshot()
			if !reflect.DeepEqual(a.Receivers, b.Receivers) || !reflect.DeepEqual(a.DroppedRatchetKeys, b.DroppedRatchetKeys) {
				t.Fatalf("step %d: clone ends in another state", step)
			}
			if a.RootKey == b.RootKey && !bytes.Equal(encoded(t, c.s), encoded(t, p.s)) {
				t.Fatalf("step %d: clone ends in another state", step)
			}
		}
		checkCopies(t, alice.s)
		checkCopies(t, bob.s)
		for _, p := range parties {
			maxChains = max(maxChains, len(p.s.recv))
			for _, c := range p.s.recv {
				maxSkipped = max(maxSkipped, len(c.skipped))
			}
		}
	}
	t.Logf("%d late deliveries, at most %d chains and %d stored keys", late, maxChains, maxSkipped)
	// The walk must have covered what the copies handle.
	if late < 10 || maxChains < MaxReceiverChains || maxSkipped < 3 {
		t.Fatalf("weak walk: %d late deliveries, at most %d chains and %d stored keys", late, maxChains, maxSkipped)
	}
}

func TestViewRedacted(t *testing.T) {
	_, bob, _ := bobWithSkipped(t, 2)
	st, err := FromSnapshot(withLegacy(t, bob.s, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	v := st.View()
	seed, keys := v.Receivers[0].Skipped.Seed(0), st.recv[0].legacy[0].keys
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x"} {
		out := fmt.Sprintf(verb+" "+verb+" "+verb, v, v.Receivers[0], v.Receivers[0].Skipped)
		for _, secret := range [][]byte{seed[:], keys.Cipher[:], v.RootKey[:], v.Receivers[0].ChainKey.Key[:]} {
			goSyntax := strings.TrimSuffix(strings.TrimPrefix(fmt.Sprintf("%#v", secret[:8]), "[]byte{"), "}")
			if bytes.Contains([]byte(out), secret) || strings.Contains(out, fmt.Sprintf("%x", secret)) ||
				strings.Contains(out, strings.Trim(fmt.Sprint(secret[:8]), "[]")) || strings.Contains(out, goSyntax) {
				t.Fatalf("%s prints a secret: %s", verb, out)
			}
		}
	}
}

// TestBuilderCounts feeds a chain's keys with AddReceiver told the right
// count, none, or too many, in both orders: the state is the same.
func TestBuilderCounts(t *testing.T) {
	_, bob, _ := bobWithSkipped(t, 40)
	want := encoded(t, bob.s)
	v := bob.s.View()
	rc := v.Receivers[0]
	for _, count := range []int{40, 0, 1, 39, 41, 100, MaxSkippedKeysPerChain} {
		for _, newestFirst := range []bool{true, false} {
			b := NewBuilder(v.RootKey, v.PreviousCounter)
			b.SetSender(v.Sender.RatchetKey, v.Sender.ChainKey)
			b.AddReceiver(rc.RatchetKey, rc.ChainKey, rc.SkippedFloor, count)
			for k := range rc.Skipped.Len() {
				j := k
				if newestFirst {
					j = rc.Skipped.Len() - 1 - k
				}
				seed := rc.Skipped.Seed(j)
				b.AddSkippedSeed(rc.Skipped.Index(j), &seed)
			}
			st, err := b.Build()
			if err != nil {
				t.Fatalf("count %d: %v", count, err)
			}
			if !bytes.Equal(encoded(t, st), want) {
				t.Errorf("count %d, newest first %v: state differs", count, newestFirst)
			}
			if c := st.recv[0].skipped; cap(c) > 2*len(c) {
				t.Errorf("count %d: keeps storage for %d keys, holds %d", count, cap(c), len(c))
			}
		}
	}
}
