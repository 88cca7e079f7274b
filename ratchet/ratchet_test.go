package ratchet

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/vectorfiles"
)

// TestChainKeyLibsignal is libsignal's test_chain_key_derivation
// (rust/protocol/src/ratchet/keys.rs), also in libsignal-protocol-c and -java.
func TestChainKeyLibsignal(t *testing.T) {
	k := newKDF()
	var ck, seed [32]byte
	copy(ck[:], unhex(t, "8ab72d6f4cc5ac0d387eaf463378ddb28edd07385b1cb01250c715982e7ad48f"))
	k.ChainStep(&ck, &seed)
	var mk MessageKeys
	k.messageKeys(&mk, &seed, nil)
	mustEqual(t, "cipher key", mk.Cipher[:], unhex(t, "bf51e9d75e0e31031051f82a2491ffc084fa298b7793bd9db620056febf45217"))
	mustEqual(t, "MAC key", mk.MAC[:], unhex(t, "c6c77d6a73a354337a56435e34607dfe48e3ace14e77314dc6abc172e7a7030b"))
	mustEqual(t, "next chain key", ck[:], unhex(t, "28e8f8fee54b801eef7c5cfb2f17f32c7b334485bbb70fac6ec10342a246d15d"))
}

// TestChainKeyV3Vector runs chain_key_v3 of the vectors module's
// signal_ratchet.json (libsignal-protocol-c tests/test_ratchet.c
// test_chain_key_derivation_v3), read from the repository (the test skips
// without it, and fails under CI=true), through a receiving chain of a real
// State: the message keys a State hands to verify must be the vector's, for
// counters 0 and 1.
func TestChainKeyV3Vector(t *testing.T) {
	type messageKeys struct {
		Counter      int             `json:"counter"`
		CipherKey    vectorfiles.Hex `json:"cipher_key"`
		MACKey       vectorfiles.Hex `json:"mac_key"`
		IV           vectorfiles.Hex `json:"iv"`
		NextChainKey vectorfiles.Hex `json:"next_chain_key"`
	}
	var file struct {
		ChainKeyV3 struct {
			ChainKey                    vectorfiles.Hex `json:"chain_key"`
			Index                       int             `json:"index"`
			MessageKeys                 messageKeys     `json:"message_keys"`
			NextChainKey                vectorfiles.Hex `json:"next_chain_key"`
			NextMessageKeysComputedHere messageKeys     `json:"next_message_keys_computed_here"`
		} `json:"chain_key_v3"`
	}
	vectorfiles.Load(t, "signal_ratchet.json", &file)
	v := file.ChainKeyV3
	if v.Index != 0 || v.MessageKeys.Counter != 0 || v.NextMessageKeysComputedHere.Counter != 1 {
		t.Fatalf("unexpected vector indices: %+v", v)
	}
	hx := func(h vectorfiles.Hex) string { return hex.EncodeToString(h) }

	// The chain through the KDF directly.
	k := newKDF()
	var ck, seed [32]byte
	copy(ck[:], unhex(t, hx(v.ChainKey)))
	k.ChainStep(&ck, &seed)
	var mk MessageKeys
	k.messageKeys(&mk, &seed, nil)
	mustEqual(t, "cipher key", mk.Cipher[:], unhex(t, hx(v.MessageKeys.CipherKey)))
	mustEqual(t, "MAC key", mk.MAC[:], unhex(t, hx(v.MessageKeys.MACKey)))
	mustEqual(t, "IV", mk.IV[:], unhex(t, hx(v.MessageKeys.IV)))
	mustEqual(t, "next chain key", ck[:], unhex(t, hx(v.NextChainKey)))
	k.ChainStep(&ck, &seed)
	k.messageKeys(&mk, &seed, nil)
	mustEqual(t, "cipher key 1", mk.Cipher[:], unhex(t, hx(v.NextMessageKeysComputedHere.CipherKey)))
	mustEqual(t, "MAC key 1", mk.MAC[:], unhex(t, hx(v.NextMessageKeysComputedHere.MACKey)))
	mustEqual(t, "IV 1", mk.IV[:], unhex(t, hx(v.NextMessageKeysComputedHere.IV)))
	mustEqual(t, "next chain key 1", ck[:], unhex(t, hx(v.NextMessageKeysComputedHere.NextChainKey)))

	// The same chain as Alice's receiving chain: Decrypt must offer the
	// vector's MAC keys, counter 1 first (skipping 0), then counter 0.
	bobSPK := mustKeyPair(t)
	root := make([]byte, 32)
	a, err := NewAlice(root, unhex(t, hx(v.ChainKey)), bobSPK.Public, mustKeyPair(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		counter uint32
		mac     string
	}{{1, hx(v.NextMessageKeysComputedHere.MACKey)}, {0, hx(v.MessageKeys.MACKey)}} {
		var got []byte
		_, err := a.Decrypt(nil, Header{RatchetKey: bobSPK.Public, Counter: c.counter}, make([]byte, 16), nil, func(k *MACKey) error {
			got = bytes.Clone(k[:])
			return ErrInvalidMAC
		})
		if !errors.Is(err, ErrInvalidMAC) {
			t.Fatalf("counter %d: err = %v, want ErrInvalidMAC from verify", c.counter, err)
		}
		mustEqual(t, fmt.Sprintf("MAC key offered for counter %d", c.counter), got, unhex(t, c.mac))
	}
}

func TestRoundTripBasic(t *testing.T) {
	alice, bob := newPair(t)
	for i := range 5 {
		for _, dir := range [][2]*party{{alice, bob}, {bob, alice}, {bob, alice}} {
			pt := []byte(strings.Repeat("x", i*7))
			m := dir[0].send(t, pt)
			got, err := dir[1].recv(m)
			if err != nil {
				t.Fatalf("round %d: %v", i, err)
			}
			if !bytes.Equal(got, pt) {
				t.Fatalf("round %d: got %q want %q", i, got, pt)
			}
		}
	}
}

// TestPreviousCounter checks libsignal's previous_counter rule: after a DH
// step it is the old sending chain's index minus one, never below 0.
func TestPreviousCounter(t *testing.T) {
	alice, bob := newPair(t)
	// Alice sends 3 (counters 0,1,2); Bob replies after a DH step.
	var last testMsg
	for i := range 3 {
		last = alice.send(t, []byte("a"))
		if last.h.Counter != uint32(i) || last.h.PreviousCounter != 0 {
			t.Fatalf("alice msg %d: header %+v", i, last.h)
		}
	}
	if _, err := bob.recv(last); err != nil {
		t.Fatal(err)
	}
	// Bob had sent nothing on his first chain (index 0): previous counter 0.
	m := bob.send(t, []byte("b"))
	if m.h.Counter != 0 || m.h.PreviousCounter != 0 {
		t.Fatalf("bob header %+v, want counter 0, previous 0", m.h)
	}
	if _, err := alice.recv(m); err != nil {
		t.Fatal(err)
	}
	// Alice's old chain reached index 3: previous counter 2.
	m = alice.send(t, []byte("a"))
	if m.h.Counter != 0 || m.h.PreviousCounter != 2 {
		t.Fatalf("alice header %+v, want counter 0, previous 2", m.h)
	}
}

func TestRedaction(t *testing.T) {
	alice, _ := newPair(t)
	_, _, mk, _ := alice.s.Encrypt(nil, []byte("x"), nil)
	sn := alice.s.Snapshot()
	for _, v := range []any{mk, &mk, MessageKeys{MAC: mk}, sn, *sn, sn.Sender.ChainKey, sn.Receivers[0], alice.s, *alice.s} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%x", "%s"} {
			out := fmt.Sprintf(verb, v)
			if strings.Contains(out, fmt.Sprintf("%x", mk[:4])) || strings.Contains(out, fmt.Sprintf("%x", sn.RootKey[:4])) ||
				strings.Contains(out, fmt.Sprintf("%x", sn.Sender.ChainKey.Key[:4])) || strings.Contains(out, fmt.Sprint(mk[0], " ", mk[1])) ||
				strings.Contains(out, fmt.Sprint(sn.RootKey[0], " ", sn.RootKey[1])) || !strings.Contains(out, "REDACTED") {
				t.Errorf("%s of %T leaks a key: %s", verb, v, out)
			}
		}
	}
	_ = curve.PublicKeySize
}
