package vectors_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/forwardsecret/signal/vectors"
)

// TestLoaders loads every file and checks sizes and that entries name a
// source.
func TestLoaders(t *testing.T) {
	x, err := vectors.XEdDSA()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range x.XEdDSA {
		if v.ID == "" || v.Source.Repo == "" || v.Source.Commit == "" || v.Source.Path == "" {
			t.Errorf("%q: source incomplete: %+v", v.ID, v.Source)
		}
		if len(v.Private) != 32 || len(v.PublicU()) != 32 || len(v.Signature) != 64 {
			t.Errorf("%s: bad sizes", v.ID)
		}
		if v.Operation == "sign" && len(v.Random) != 64 {
			t.Errorf("%s: random is %d bytes", v.ID, len(v.Random))
		}
	}
	for _, v := range x.VXEdDSA {
		if v.ID == "" || v.Source.Repo == "" || v.Source.Commit == "" {
			t.Errorf("%q: source incomplete", v.ID)
		}
		if len(v.PublicU()) != 32 || len(v.VRF) != 32 {
			t.Errorf("%s: bad sizes", v.ID)
		}
		if s := v.ExpectedSignature(); s != nil && (len(s) != 96 || len(v.Random) != 32) {
			t.Errorf("%s: signature %d bytes, random %d bytes", v.ID, len(s), len(v.Random))
		}
	}

	r7748, err := vectors.RFC7748()
	if err != nil {
		t.Fatal(err)
	}
	if r7748.Source.RFC != "RFC 7748" || len(r7748.ScalarMult) != 2 || len(r7748.Iterated.Results) != 3 {
		t.Errorf("rfc7748.json: %+v", r7748.Source)
	}
	for _, v := range r7748.ScalarMult {
		if v.Section != "5.2" || len(v.Scalar) != 32 || len(v.U) != 32 || len(v.Output) != 32 {
			t.Errorf("%s: bad entry", v.ID)
		}
	}
	if r7748.ECDH.Section != "6.1" || len(r7748.ECDH.Shared) != 32 {
		t.Error("rfc7748.json: bad 6.1 entry")
	}

	r8032, err := vectors.RFC8032()
	if err != nil {
		t.Fatal(err)
	}
	if r8032.Source.String() != "RFC 8032 section 7.1" || len(r8032.Ed25519) != 5 {
		t.Errorf("rfc8032.json: %v, %d entries", r8032.Source, len(r8032.Ed25519))
	}
	wantLen := map[string]int{"TEST 1": 0, "TEST 2": 1, "TEST 3": 2, "TEST 1024": 1023, "TEST SHA(abc)": 64}
	for _, v := range r8032.Ed25519 {
		if n, ok := wantLen[v.RFCName]; !ok || len(v.Message) != n {
			t.Errorf("%s: message of %d bytes", v.RFCName, len(v.Message))
		}
		delete(wantLen, v.RFCName)
	}
	if len(wantLen) != 0 {
		t.Errorf("missing %v", wantLen)
	}

	sr, err := vectors.SignalRatchet()
	if err != nil {
		t.Fatal(err)
	}
	if sr.Source.Repo != "signalapp/libsignal-protocol-c" || len(sr.X25519Agreement.AlicePublic33) != 33 ||
		len(sr.RatchetingSession.ExpectedAliceReceiverChainRFC7748) != 32 || len(sr.ChainKeyV3.MessageKeys.IV) != 16 {
		t.Errorf("signal_ratchet.json: unexpected content")
	}
}

// TestEmbeddedCopiesMatchShared checks that data/xeddsa.json and
// data/signal_ratchet.json hold exactly the shared workspace files, apart
// from the added top-level "copied_from" key.
func TestEmbeddedCopiesMatchShared(t *testing.T) {
	dir := vectors.SharedDir(t)
	for _, name := range []string{"xeddsa.json", "signal_ratchet.json"} {
		shared, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		embedded, err := fs.ReadFile(vectors.FS(), name)
		if err != nil {
			t.Fatal(err)
		}
		var a, b map[string]any
		if err := json.Unmarshal(shared, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(embedded, &b); err != nil {
			t.Fatal(err)
		}
		if _, ok := b["copied_from"]; !ok {
			t.Errorf("%s: no copied_from key", name)
		}
		delete(b, "copied_from")
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: embedded copy differs from %s", name, dir)
		}
	}
}

func TestHex(t *testing.T) {
	var h vectors.Hex
	if err := json.Unmarshal([]byte(`"00ff"`), &h); err != nil || !bytes.Equal(h, []byte{0, 0xff}) {
		t.Errorf("Unmarshal: %x, %v", h, err)
	}
	if err := json.Unmarshal([]byte(`"0g"`), &h); err == nil {
		t.Error("bad hex accepted")
	}
	if err := json.Unmarshal([]byte(`12`), &h); err == nil {
		t.Error("number accepted")
	}
	b, err := json.Marshal(vectors.Hex{1, 2})
	if err != nil || string(b) != `"0102"` {
		t.Errorf("Marshal: %s, %v", b, err)
	}
}

func TestSharedDirPresent(t *testing.T) {
	dir := vectors.SharedDir(t)
	if _, err := os.Stat(filepath.Join(dir, "xeddsa.json")); err != nil {
		t.Errorf("SharedDir %s has no xeddsa.json: %v", dir, err)
	}
}
