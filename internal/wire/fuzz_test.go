package wire

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// ourError reports whether err is one of this package's errors.
func ourError(err error) bool {
	for _, s := range []error{ErrTruncated, ErrMalformed, ErrMissingField, ErrInvalidField,
		ErrLegacyVersion, ErrUnknownVersion} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// checkSignalMessage parses b and, if it is accepted, checks that
// encode(parse(b)) parses to the same values and is a fixed point.
func checkSignalMessage(t testing.TB, b []byte) bool {
	m, err := ParseSignalMessage(b)
	if err != nil {
		if !ourError(err) {
			t.Fatalf("foreign error %v", err)
		}
		return false
	}
	if !bytes.Equal(m.MACInput, b[:len(b)-MACSize]) || !bytes.Equal(m.MAC[:], b[len(b)-MACSize:]) {
		t.Fatal("MACInput/MAC are not the received bytes")
	}
	enc, err := m.AppendUnsigned(nil)
	if err != nil {
		t.Fatalf("re-encode: %v", err)
	}
	enc = append(enc, m.MAC[:]...)
	m2, err := ParseSignalMessage(enc)
	if err != nil {
		t.Fatalf("re-parse: %v", err)
	}
	if !reflect.DeepEqual(m.SignalMessage, m2.SignalMessage) || m.MAC != m2.MAC {
		t.Fatalf("unstable:\n%+v\n%+v", m.SignalMessage, m2.SignalMessage)
	}
	enc2, _ := m2.AppendUnsigned(nil)
	if !bytes.Equal(enc2, m2.MACInput) {
		t.Fatal("encoding is not a fixed point")
	}
	return true
}

func checkPreKeySignalMessage(t testing.TB, b []byte) bool {
	m, err := ParsePreKeySignalMessage(b)
	if err != nil {
		if !ourError(err) {
			t.Fatalf("foreign error %v", err)
		}
		return false
	}
	if !checkSignalMessage(t, m.Message) {
		t.Fatal("inner message accepted inside, rejected alone")
	}
	enc, err := m.Append(nil)
	if err != nil {
		t.Fatalf("re-encode: %v", err)
	}
	m2, err := ParsePreKeySignalMessage(enc)
	if err != nil {
		t.Fatalf("re-parse: %v", err)
	}
	if !reflect.DeepEqual(m, m2) {
		t.Fatalf("unstable:\n%+v\n%+v", m, m2)
	}
	if enc2, _ := m2.Append(nil); !bytes.Equal(enc, enc2) {
		t.Fatal("encoding is not a fixed point")
	}
	return true
}

func checkSenderKeyMessage(t testing.TB, b []byte) bool {
	m, err := ParseSenderKeyMessage(b)
	if err != nil {
		if !ourError(err) {
			t.Fatalf("foreign error %v", err)
		}
		return false
	}
	if !bytes.Equal(m.SignatureInput, b[:len(b)-SignatureSize]) || !bytes.Equal(m.Signature[:], b[len(b)-SignatureSize:]) {
		t.Fatal("SignatureInput/Signature are not the received bytes")
	}
	enc := append(m.AppendUnsigned(nil), m.Signature[:]...)
	m2, err := ParseSenderKeyMessage(enc)
	if err != nil {
		t.Fatalf("re-parse: %v", err)
	}
	if !reflect.DeepEqual(m.SenderKeyMessage, m2.SenderKeyMessage) || m.Signature != m2.Signature {
		t.Fatalf("unstable:\n%+v\n%+v", m, m2)
	}
	if !bytes.Equal(m2.AppendUnsigned(nil), m2.SignatureInput) {
		t.Fatal("encoding is not a fixed point")
	}
	return true
}

func checkSKDM(t testing.TB, b []byte) bool {
	m, err := ParseSenderKeyDistributionMessage(b)
	if err != nil {
		if !ourError(err) {
			t.Fatalf("foreign error %v", err)
		}
		return false
	}
	enc, err := m.Append(nil)
	if err != nil {
		t.Fatalf("re-encode: %v", err)
	}
	m2, err := ParseSenderKeyDistributionMessage(enc)
	if err != nil {
		t.Fatalf("re-parse: %v", err)
	}
	if !reflect.DeepEqual(m.SenderKeyDistributionMessage, m2.SenderKeyDistributionMessage) {
		t.Fatalf("unstable:\n%+v\n%+v", m, m2)
	}
	if enc2, _ := m2.Append(nil); !bytes.Equal(enc, enc2) {
		t.Fatal("encoding is not a fixed point")
	}
	return true
}

func checkSessionStructure(t testing.TB, b []byte) bool {
	s, err := ParseSessionStructure(b)
	if err != nil {
		if !ourError(err) {
			t.Fatalf("foreign error %v", err)
		}
		return false
	}
	enc := s.Append(nil)
	if len(enc) != s.EncodedLen() {
		t.Fatal("EncodedLen")
	}
	s2, err := ParseSessionStructure(enc)
	if err != nil {
		t.Fatalf("re-parse: %v", err)
	}
	if !reflect.DeepEqual(s, s2) {
		t.Fatalf("unstable:\n%+v\n%+v", s, s2)
	}
	if !bytes.Equal(s2.Append(nil), enc) {
		t.Fatal("encoding is not a fixed point")
	}
	return true
}

func checkRecord(t testing.TB, b []byte) bool {
	r, err := ParseRecord(b)
	if err != nil {
		if !ourError(err) {
			t.Fatalf("foreign error %v", err)
		}
		return false
	}
	enc := r.Append(nil)
	if len(enc) != r.EncodedLen() {
		t.Fatal("EncodedLen")
	}
	r2, err := ParseRecord(enc)
	if err != nil {
		t.Fatalf("re-parse: %v", err)
	}
	if !reflect.DeepEqual(r, r2) {
		t.Fatalf("unstable:\n%+v\n%+v", r, r2)
	}
	if !bytes.Equal(r2.Append(nil), enc) {
		t.Fatal("encoding is not a fixed point")
	}
	for _, p := range r.Previous {
		checkSessionStructure(t, p)
	}
	return true
}

func checkSenderKeyRecord(t testing.TB, b []byte) bool {
	r, err := ParseSenderKeyRecord(b)
	if err != nil {
		if !ourError(err) {
			t.Fatalf("foreign error %v", err)
		}
		return false
	}
	enc := r.Append(nil)
	if len(enc) != r.EncodedLen() {
		t.Fatal("EncodedLen")
	}
	r2, err := ParseSenderKeyRecord(enc)
	if err != nil {
		t.Fatalf("re-parse: %v", err)
	}
	if !reflect.DeepEqual(r, r2) {
		t.Fatalf("unstable:\n%+v\n%+v", r, r2)
	}
	if !bytes.Equal(r2.Append(nil), enc) {
		t.Fatal("encoding is not a fixed point")
	}
	return true
}

// stableMessage dispatches on a message name (used by TestTruncations).
func stableMessage(t testing.TB, name string, b []byte) bool {
	switch name {
	case "SignalMessage":
		return checkSignalMessage(t, b)
	case "PreKeySignalMessage":
		return checkPreKeySignalMessage(t, b)
	case "SenderKeyMessage":
		return checkSenderKeyMessage(t, b)
	case "SenderKeyDistributionMessage":
		return checkSKDM(t, b)
	}
	t.Fatalf("unknown message %s", name)
	return false
}

// fuzzSeeds are valid encodings, by fuzz target. They are also committed
// under testdata/fuzz/<target>/ (go test -run TestFuzzSeeds -update-seeds
// rewrites them); the targets fail if that directory is empty.
func fuzzSeeds(tb testing.TB) map[string][][]byte {
	sm := sealSignalMessage(tb, testSignalMessage())
	sm3 := sealSignalMessage(tb, &SignalMessage{Version: 3, CurrentVersion: 3, RatchetKey: testRatchetKey, Counter: 2, PreviousCounter: 1, Ciphertext: rep(0xcc, 48)})
	pk := must(testPreKeyMessage(tb).Append(nil))
	pk3 := must((&PreKeySignalMessage{Version: 3, CurrentVersion: 3, RegistrationID: 1234, PreKeyID: 5, HasPreKeyID: true, SignedPreKeyID: 6,
		BaseKey: testBaseKey, IdentityKey: testIdentity, Message: sm3}).Append(nil))
	skm := append(testSenderKeyMessage().AppendUnsigned(nil), rep(0x5e, SignatureSize)...)
	skdm := must(testSKDM().Append(nil))
	rec := (&Record{Current: testSession(1, 3), Previous: [][]byte{testSession(2, 2).Append(nil), testSession(3, 0).Append(nil)}}).Append(nil)
	rec2 := (&Record{Current: &SessionStructure{Version: 3, SenderChain: &Chain{}}, Previous: [][]byte{nil}}).Append(nil)
	// Small states with every field present: big seeds make mutation slow.
	small := &SessionStructure{Version: 4, LocalIdentityPublic: h(1), RemoteIdentityPublic: h(2), RootKey: h(3), PreviousCounter: 4,
		SenderChain: &Chain{RatchetKey: h(5), RatchetKeyPrivate: h(6), ChainKey: &ChainKey{Index: 7, Key: h(8)}},
		ReceiverChains: []Chain{{RatchetKey: h(9), ChainKey: &ChainKey{Index: 10, Key: h(11)},
			MessageKeys: []MessageKey{{Index: 12, Seed: h(13)}, {Index: 14, CipherKey: h(15), MACKey: h(16), IV: h(17)}}}},
		PendingPreKey:      &PendingPreKey{PreKeyID: 18, HasPreKeyID: true, SignedPreKeyID: 1 << 31, BaseKey: h(19), Timestamp: 20},
		PendingKyberPreKey: &PendingKyberPreKey{PreKeyID: 21, Ciphertext: h(22)}, RemoteRegistrationID: 23, LocalRegistrationID: 24,
		AliceBaseKey: h(25), PQRatchetState: h(26)}
	rec3 := (&Record{Current: small, Previous: [][]byte{small.Append(nil)}}).Append(nil)
	// Real bytes from libsignal (see libsignal_test.go).
	ls := loadLibsignal(tb)
	ax := loadHexJSON(tb, "testdata/python-axolotl-0.2.3.json")
	lsRec, err := ParseRecord(ls["session_record_bob"])
	if err != nil {
		tb.Fatal(err)
	}
	seeds := map[string][][]byte{
		"FuzzParseSignalMessage":                {sm, sm3},
		"FuzzParsePreKeySignalMessage":          {pk, pk3},
		"FuzzParseSenderKeyMessage":             {skm},
		"FuzzParseSenderKeyDistributionMessage": {skdm},
		"FuzzParseRecord":                       {rec, rec2, rec3},
		"FuzzParseSessionStructure":             {testSession(4, 2).Append(nil), small.Append(nil)},
		"FuzzParseSenderKeyRecord":              {testSenderKeyRecord(3).Append(nil)},
	}
	for name, real := range map[string][][]byte{
		"FuzzParseSignalMessage":                {ls["signal_message_bob"], ls["signal_message_alice"], ax["signal_message"]},
		"FuzzParsePreKeySignalMessage":          {ls["prekey_message"], ax["prekey_message"]},
		"FuzzParseSenderKeyMessage":             {ls["sender_key_message"]},
		"FuzzParseSenderKeyDistributionMessage": {ls["skdm"]},
		"FuzzParseRecord":                       {ls["session_record_alice"], ls["session_record_bob"]},
		"FuzzParseSessionStructure":             {lsRec.Current.Append(nil)},
		"FuzzParseSenderKeyRecord":              {ls["sender_key_record_alice"], ls["sender_key_record_bob"]},
	} {
		for _, b := range real {
			if len(b) == 0 {
				tb.Fatalf("%s: missing libsignal seed", name)
			}
		}
		seeds[name] = append(seeds[name], real...)
	}
	return seeds
}

func addSeeds(f *testing.F) {
	seeds, ok := fuzzSeeds(f)[f.Name()]
	if !ok || len(seeds) == 0 {
		f.Fatalf("no seeds for %s", f.Name())
	}
	for _, s := range seeds {
		f.Add(s)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "fuzz", f.Name(), "*"))
	if len(files) == 0 {
		f.Fatalf("no committed corpus in testdata/fuzz/%s", f.Name())
	}
}

func FuzzParseSignalMessage(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) { checkSignalMessage(t, b) })
}

func FuzzParsePreKeySignalMessage(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) { checkPreKeySignalMessage(t, b) })
}

func FuzzParseSenderKeyMessage(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) { checkSenderKeyMessage(t, b) })
}

func FuzzParseSenderKeyDistributionMessage(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) { checkSKDM(t, b) })
}

func FuzzParseRecord(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) { checkRecord(t, b) })
}

func FuzzParseSessionStructure(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) { checkSessionStructure(t, b) })
}

func FuzzParseSenderKeyRecord(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) { checkSenderKeyRecord(t, b) })
}

// TestFuzzSeeds checks the committed seed corpus against the seeds built
// here (each must be present), and rewrites it under -update-seeds.
func TestFuzzSeeds(t *testing.T) {
	for name, seeds := range fuzzSeeds(t) {
		dir := filepath.Join("testdata", "fuzz", name)
		for i, s := range seeds {
			path := filepath.Join(dir, "seed-"+string(rune('a'+i)))
			want := []byte("go test fuzz v1\n[]byte(" + quote(s) + ")\n")
			if *updateSeeds {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestFuzzSeeds -update-seeds)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s is stale (run go test -run TestFuzzSeeds -update-seeds)", path)
			}
		}
	}
}
