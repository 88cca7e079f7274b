package wire

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
)

// testdata/libsignal-client-0.103.0.json holds bytes produced by the
// official libsignal (npm @signalapp/libsignal-client 0.103.0, run as a
// separate process): a PQXDH session between two ACI addresses with one
// skipped message, a sender-key exchange, key records and a scannable
// fingerprint. Everything must parse, and re-encode to the identical bytes.

func loadLibsignal(t testing.TB) map[string][]byte {
	return loadHexJSON(t, "testdata/libsignal-client-0.103.0.json")
}

// loadHexJSON reads a flat JSON object and decodes its hex string values
// (other than "generator").
func loadHexJSON(t testing.TB, path string) map[string][]byte {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for k, v := range m {
		if s, ok := v.(string); ok && k != "generator" {
			b, err := hex.DecodeString(s)
			if err != nil {
				t.Fatalf("%s: %v", k, err)
			}
			out[k] = b
		}
	}
	return out
}

func TestLibsignalBytes(t *testing.T) {
	v := loadLibsignal(t)

	pk, err := ParsePreKeySignalMessage(v["prekey_message"])
	if err != nil {
		t.Fatal(err)
	}
	if pk.Version != 4 || pk.CurrentVersion != 4 || !pk.HasPreKeyID || pk.PreKeyID != 3 || pk.SignedPreKeyID != 7 ||
		pk.KyberPreKeyID != 9 || len(pk.KyberCiphertext) != 1569 || pk.RegistrationID != 1234 ||
		len(pk.BaseKey) != 33 || len(pk.IdentityKey) != 33 {
		t.Errorf("PreKeySignalMessage fields: %+v", pk.PreKeySignalMessage)
	}
	if in := pk.Inner; in.Version != 4 || in.Counter != 0 || len(in.Addresses) != AddressesSize || len(in.PQRatchet) == 0 || len(in.Ciphertext)%16 != 0 {
		t.Errorf("inner message: version %d counter %d addresses %d pq %d", in.Version, in.Counter, len(in.Addresses), len(in.PQRatchet))
	}
	if got := must(pk.Append(nil)); !bytes.Equal(got, v["prekey_message"]) {
		t.Errorf("PreKeySignalMessage re-encodes differently:\n%x\n%x", got, v["prekey_message"])
	}
	for _, name := range []string{"signal_message_bob", "signal_message_alice"} {
		m, err := ParseSignalMessage(v[name])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m.Version != 4 || m.Addresses != nil {
			t.Errorf("%s: %+v", name, m.SignalMessage)
		}
		if got := must(m.AppendUnsigned(nil)); !bytes.Equal(got, m.MACInput) {
			t.Errorf("%s re-encodes differently:\n%x\n%x", name, got, m.MACInput)
		}
	}

	skm, err := ParseSenderKeyMessage(v["sender_key_message"])
	if err != nil {
		t.Fatal(err)
	}
	if got := skm.AppendUnsigned(nil); !bytes.Equal(got, skm.SignatureInput) {
		t.Errorf("SenderKeyMessage re-encodes differently")
	}
	skdm, err := ParseSenderKeyDistributionMessage(v["skdm"])
	if err != nil {
		t.Fatal(err)
	}
	if skdm.DistributionID != skm.DistributionID || skdm.ChainID != skm.ChainID || skm.Iteration != 0 {
		t.Errorf("sender key ids differ: %x/%d %x/%d", skdm.DistributionID, skdm.ChainID, skm.DistributionID, skm.ChainID)
	}
	if got := must(skdm.Append(nil)); !bytes.Equal(got, v["skdm"]) {
		t.Errorf("SenderKeyDistributionMessage re-encodes differently")
	}

	for _, name := range []string{"session_record_alice", "session_record_bob"} {
		r, err := ParseRecord(v[name])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := r.Append(nil); !bytes.Equal(got, v[name]) {
			t.Errorf("%s re-encodes differently:\n%x\n%x", name, got, v[name])
		}
		s := r.Current
		if s == nil || s.Version != 4 || len(s.RootKey) != 32 || len(s.PQRatchetState) == 0 || len(s.AliceBaseKey) != 33 ||
			s.SenderChain == nil || s.SenderChain.ChainKey == nil || len(s.ReceiverChains) == 0 {
			t.Fatalf("%s: %v", name, s)
		}
	}
	bob, _ := ParseRecord(v["session_record_bob"])
	// Bob skipped one message of Alice's current chain: one stored key,
	// seed only (new libsignal derives the keys when it uses one).
	var stored []MessageKey
	for _, c := range bob.Current.ReceiverChains {
		stored = append(stored, c.MessageKeys...)
	}
	if len(stored) != 1 || len(stored[0].Seed) != 32 || stored[0].CipherKey != nil || stored[0].Index != 1 {
		t.Errorf("Bob's skipped keys: %v", stored)
	}
	alice, _ := ParseRecord(v["session_record_alice"])
	if alice.Current.PendingPreKey != nil || alice.Current.LocalRegistrationID != 1234 || alice.Current.RemoteRegistrationID != 5678 {
		t.Errorf("Alice's state: %v", alice.Current)
	}

	for _, name := range []string{"sender_key_record_alice", "sender_key_record_bob"} {
		r, err := ParseSenderKeyRecord(v[name])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := r.Append(nil); !bytes.Equal(got, v[name]) {
			t.Errorf("%s re-encodes differently", name)
		}
		if len(r.States) != 1 || r.States[0].ChainID != skdm.ChainID || r.States[0].SigningKey == nil {
			t.Errorf("%s: %v", name, r)
		}
	}
	bobSK, _ := ParseSenderKeyRecord(v["sender_key_record_bob"])
	// Bob got the distribution message at iteration 0 and then only the
	// third group message: iterations 0 and 1 are stored.
	if st := bobSK.States[0]; len(st.MessageKeys) != 2 || st.MessageKeys[0].Iteration != 0 || st.MessageKeys[1].Iteration != 1 ||
		st.ChainKey.Iteration != 3 || st.SigningKey.Private != nil {
		t.Errorf("Bob's sender key state: %v", st)
	}
}

// TestAxolotlBytes checks v3 messages from python-axolotl 0.2.3 (Debian
// python3-axolotl, run as a separate process): 0x33 first bytes, no Kyber,
// and byte-identical re-encoding.
func TestAxolotlBytes(t *testing.T) {
	raw, err := os.ReadFile("testdata/python-axolotl-0.2.3.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		PreKeyMessage string `json:"prekey_message"`
		SignalMessage string `json:"signal_message"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	pkBytes, _ := hex.DecodeString(v.PreKeyMessage)
	smBytes, _ := hex.DecodeString(v.SignalMessage)

	pk, err := ParsePreKeySignalMessage(pkBytes)
	if err != nil {
		t.Fatal(err)
	}
	if pk.Version != 3 || pk.CurrentVersion != 3 || !pk.HasPreKeyID || pk.PreKeyID != 6 || pk.SignedPreKeyID != 5 ||
		pk.RegistrationID != 1111 || pk.KyberCiphertext != nil || pk.Inner.Version != 3 || pk.Inner.PQRatchet != nil {
		t.Errorf("fields: %+v", pk.PreKeySignalMessage)
	}
	if got := must(pk.Append(nil)); !bytes.Equal(got, pkBytes) {
		t.Errorf("PreKeySignalMessage re-encodes differently:\n%x\n%x", got, pkBytes)
	}
	sm, err := ParseSignalMessage(smBytes)
	if err != nil {
		t.Fatal(err)
	}
	if sm.Version != 3 || sm.CurrentVersion != 3 || sm.Counter != 0 || len(sm.Ciphertext) != 48 {
		t.Errorf("fields: %+v", sm.SignalMessage)
	}
	if got := must(sm.AppendUnsigned(nil)); !bytes.Equal(got, sm.MACInput) {
		t.Errorf("SignalMessage re-encodes differently:\n%x\n%x", got, sm.MACInput)
	}
}
