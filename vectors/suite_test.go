package vectors_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"sort"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/ratchet"
	"github.com/forwardsecret/signal/vectors"
	"github.com/forwardsecret/signal/xeddsa"
	"github.com/forwardsecret/signal/xeddsa/xeddsatest"
)

// tally counts passed vectors per family for TestSuite's summary.
type tally struct{ pass, fail, valid, invalid int }

var tallies = map[string]*tally{}

func count(family string, ok bool, result string) {
	t := tallies[family]
	if t == nil {
		t = new(tally)
		tallies[family] = t
	}
	if ok {
		t.pass++
	} else {
		t.fail++
	}
	if result != vectors.Valid {
		t.invalid++
	} else {
		t.valid++
	}
}

// TestSuite replays every generated family through this library's packages
// and logs the pass counts per family (go -C vectors test -run TestSuite -v from the repository root).
func TestSuite(t *testing.T) {
	clear(tallies)
	t.Run("xeddsa", suiteXEdDSA)
	t.Run("pqxdh", suitePQXDH)
	t.Run("ratchet_kdf", suiteRatchetKDF)
	t.Run("transcripts", suiteTranscripts)
	t.Run("transcripts_core", suiteTranscriptsCore)
	summary(t)
}

// suiteXEdDSA replays data/xeddsa_suite.json through packages xeddsa,
// xeddsatest and curve.
func suiteXEdDSA(t *testing.T) {
	f, err := vectors.XEdDSASuite()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range f.Vectors {
		ok := checkSignature(t, &v)
		count("xeddsa/"+v.Scheme, ok, v.Result)
	}
}

func checkSignature(t *testing.T, v *vectors.SignatureVector) bool {
	t.Helper()
	fail := func(format string, args ...any) bool {
		t.Helper()
		t.Errorf("%d %s: "+format, append([]any{v.ID, v.Name}, args...)...)
		return false
	}
	// Acceptable vectors (s in [q, 2^253)): this library rejects them, as
	// RFC 8032 does; the test pins that choice.
	valid := v.Result == vectors.Valid
	if v.Result != vectors.Valid && v.Error != vectors.ErrNameBadSignature {
		return fail("unexpected error name %q", v.Error)
	}
	if v.K != nil {
		k, err := curve.NewPrivateKey(v.K)
		if err != nil {
			return fail("private key: %v", err)
		}
		if u := k.PublicKey().U(); !bytes.Equal(u[:], v.U) {
			return fail("public key %x, want %x", u, v.U)
		}
	}
	switch v.Scheme {
	case "xeddsa":
		conv := xeddsa.Spec
		if v.Convention == vectors.ConventionSignBit {
			conv = xeddsa.SignBit
		}
		if v.Operation == "sign" {
			sig, err := xeddsatest.Sign(v.K, v.M, v.Z, conv)
			if err != nil || !bytes.Equal(sig, v.Signature) {
				return fail("sign: %x, %v; want %x", sig, err, v.Signature)
			}
		}
		if got := xeddsa.Verify(v.U, v.M, v.Signature, conv); got != valid {
			return fail("xeddsa.Verify = %v, want %v (flags %v)", got, valid, v.Flags)
		}
		if conv == xeddsa.SignBit {
			// The curve package's verifier is the one the protocol uses.
			if pub, err := curve.NewPublicKey(v.U); err == nil {
				if got := pub.VerifySignature(v.M, v.Signature); got != valid {
					return fail("curve VerifySignature = %v, want %v (flags %v)", got, valid, v.Flags)
				}
			} else if valid {
				return fail("curve.NewPublicKey: %v", err)
			}
		}
	case "vxeddsa":
		if v.Operation == "sign" {
			sig, out, err := xeddsatest.VRFSign(v.K, v.M, v.Z)
			if err != nil || !bytes.Equal(sig, v.Signature) || !bytes.Equal(out, v.V) {
				return fail("VRF sign: %x %x, %v; want %x %x", sig, out, err, v.Signature, v.V)
			}
		}
		out, err := xeddsa.VRFVerify(v.U, v.M, v.Signature)
		if valid && (err != nil || !bytes.Equal(out, v.V)) {
			return fail("VRFVerify = %x, %v; want %x", out, err, v.V)
		}
		if !valid && err == nil {
			return fail("VRFVerify accepted an invalid signature (flags %v)", v.Flags)
		}
	default:
		return fail("unknown scheme %q", v.Scheme)
	}
	return true
}

// suiteRatchetKDF replays data/ratchet_kdf.json through package ratchet:
// root steps through NewAlice (whose sending chain is KDF_RK of the given
// root and DH), message chains through Decrypt on a receiving chain that
// starts at the chain's first key.
func suiteRatchetKDF(t *testing.T) {
	f, err := vectors.RatchetKDF()
	if err != nil {
		t.Fatal(err)
	}
	dummyChain := make([]byte, 32)
	for _, c := range f.RootChains {
		for _, s := range c.Steps {
			ok := func() bool {
				priv, err := curve.NewPrivateKey(s.OurRatchetPrivate)
				if err != nil {
					t.Errorf("%s step %d: %v", c.Name, s.Step, err)
					return false
				}
				kp := curve.NewKeyPair(priv)
				their, err := curve.ParsePublicKey(s.TheirRatchetPublic)
				if err != nil || !bytes.Equal(kp.Public.Bytes(), s.OurRatchetPublic) {
					t.Errorf("%s step %d: keys: %v", c.Name, s.Step, err)
					return false
				}
				st, err := ratchet.NewAlice(s.PreviousRootKey, dummyChain, their, kp)
				if err != nil {
					t.Errorf("%s step %d: NewAlice: %v", c.Name, s.Step, err)
					return false
				}
				sn := st.Snapshot()
				if !bytes.Equal(sn.RootKey[:], s.RootKey) || sn.Sender == nil || !bytes.Equal(sn.Sender.ChainKey.Key[:], s.ChainKey) {
					t.Errorf("%s step %d: root or chain key differs", c.Name, s.Step)
					return false
				}
				return true
			}()
			count("ratchet_kdf/root", ok, s.Result)
		}
	}
	for _, c := range f.MessageChains {
		checkMessageChain(t, c)
	}
}

func checkMessageChain(t *testing.T, c vectors.MessageChain) {
	sendKey, _ := curve.NewPrivateKey(bytes.Repeat([]byte{7}, 32))
	theirKey, _ := curve.NewPrivateKey(bytes.Repeat([]byte{9}, 32))
	their := theirKey.PublicKey()
	sn := &ratchet.Snapshot{
		Sender:    &ratchet.SenderChain{RatchetKey: curve.NewKeyPair(sendKey)},
		Receivers: []ratchet.ReceiverChain{{RatchetKey: their, ChainKey: ratchet.ChainKey{Key: [32]byte(c.Steps[0].ChainKey)}}},
	}
	st, err := ratchet.FromSnapshot(sn)
	if err != nil {
		t.Fatalf("%s: FromSnapshot: %v", c.Name, err)
	}
	family := "ratchet_kdf/chain"
	if c.Salted {
		family = "ratchet_kdf/salted_chain"
	}
	for _, s := range c.Steps {
		// The check values must be consistent (a wrong vector fails here).
		m := hmac.New(sha256.New, s.MACKey)
		m.Write(s.Ciphertext)
		if !hmac.Equal(m.Sum(nil), s.MAC) || !bytes.Equal(cbc(s.CipherKey, s.IV, s.Plaintext), s.Ciphertext) {
			t.Errorf("%s %d: check values inconsistent", c.Name, s.Index)
		}
		before := st.Snapshot().Receivers[0].ChainKey
		ok := before.Index == s.Index && bytes.Equal(before.Key[:], s.ChainKey)
		if !ok {
			t.Errorf("%s %d: chain key before the step differs (index %d)", c.Name, s.Index, before.Index)
		}
		var gotMAC ratchet.MACKey
		pt, err := st.Decrypt(nil, ratchet.Header{RatchetKey: their, Counter: s.Index}, s.Ciphertext, s.Salt, func(k *ratchet.MACKey) error {
			gotMAC = *k
			return nil
		})
		if err != nil || !bytes.Equal(pt, s.Plaintext) || !bytes.Equal(gotMAC[:], s.MACKey) {
			t.Errorf("%s %d: Decrypt: %v", c.Name, s.Index, err)
			ok = false
		}
		count(family, ok, s.Result)
	}
}

func cbc(key, iv, pt []byte) []byte {
	b, _ := aes.NewCipher(key)
	n := 16 - len(pt)%16
	buf := append(bytes.Clone(pt), bytes.Repeat([]byte{byte(n)}, n)...)
	cipher.NewCBCEncrypter(b, iv).CryptBlocks(buf, buf)
	return buf
}

// summary logs the pass counts per family and fails on any failure.
func summary(t *testing.T) {
	var names []string
	for n := range tallies {
		names = append(names, n)
	}
	sort.Strings(names)
	total, passed := 0, 0
	for _, n := range names {
		c := tallies[n]
		t.Logf("%-44s %5d/%-5d passed (%d valid, %d invalid or acceptable)", n, c.pass, c.pass+c.fail, c.valid, c.invalid)
		total += c.pass + c.fail
		passed += c.pass
		if c.fail != 0 {
			t.Errorf("%s: %d failures", n, c.fail)
		}
	}
	t.Logf("%-44s %5d/%-5d passed", "total", passed, total)
}
