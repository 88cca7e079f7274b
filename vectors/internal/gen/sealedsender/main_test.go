package main

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/cryptotest"

	"github.com/forwardsecret/signal/vectors"
)

// TestCommittedFileIsFresh fails when vectors/data/sealed_sender.json
// differs from what the generator produces now. Fix with go generate in
// vectors/.
func TestCommittedFileIsFresh(t *testing.T) {
	committed, err := os.ReadFile(filepath.Join("..", "..", "..", "data", "sealed_sender.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, generate()) {
		t.Fatal("vectors/data/sealed_sender.json is stale: run go generate in vectors/")
	}
	if len(committed) >= 300<<10 {
		t.Errorf("sealed_sender.json is %d bytes; keep it under 300 KiB", len(committed))
	}
}

// TestIndependentOfCheckedPackages: the standard library, protowire,
// tink-go's AES-GCM-SIV and the generators' own XEdDSA; nothing of the
// library.
func TestIndependentOfCheckedPackages(t *testing.T) {
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{
		"google.golang.org/protobuf/encoding/protowire":                     true,
		"github.com/tink-crypto/tink-go/v2/aead/subtle":                     true,
		"github.com/forwardsecret/signal/vectors/internal/gen/internal/xed": true,
	}
	checked := 0
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") && !allowed[path] {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no generator source files found")
	}
}

// TestAESGCMSIVRFC8452 checks the AES-GCM-SIV wrapper (tink-go with an
// explicit nonce) against RFC 8452, appendix C.2 (AEAD_AES_256_GCM_SIV),
// transcribed from the RFC.
func TestAESGCMSIVRFC8452(t *testing.T) {
	key := mustHex("0100000000000000000000000000000000000000000000000000000000000000")
	nonce := mustHex("030000000000000000000000")
	for _, tc := range []struct{ pt, aad, result string }{
		{"", "", "07f5f4169bbf55a8400cd47ea6fd400f"},
		{"0100000000000000000000000000000002000000000000000000000000000000", "",
			"4a6a9db4c8c6549201b9edb53006cba821ec9cf850948a7c86c68ac7539d027fe819e63abcd020b006a976397632eb5d"},
		{"0200000000000000", "01", "1de22967237a813291213f267e3b452f02d01ae33e4ec854"},
	} {
		got := gcmSIVSeal(key, nonce, mustHex(tc.pt), mustHex(tc.aad))
		if x(got) != tc.result {
			t.Errorf("seal(%s, aad %s) = %x, want %s", tc.pt, tc.aad, got, tc.result)
		}
		pt, ok := gcmSIVOpen(key, nonce, mustHex(tc.result), mustHex(tc.aad))
		if !ok || x(pt) != tc.pt {
			t.Errorf("open(%s) = %x, %v", tc.result, pt, ok)
		}
		if _, ok := gcmSIVOpen(key, nonce, flip(mustHex(tc.result), -1, 1), mustHex(tc.aad)); ok {
			t.Errorf("open of a modified tag succeeded")
		}
	}
	if rand.Reader == nil {
		t.Fatal("rand.Reader not restored")
	}
}

// TestEncoderMatchesLibsignalFixtures re-encodes libsignal's fixtures from
// their parsed fields: the field order must be libsignal's.
func TestEncoderMatchesLibsignalFixtures(t *testing.T) {
	setupKnown()
	for _, fx := range libsignalFixtures {
		raw := mustHex(fx.cert)
		m, ok := parsePB(raw)
		if !ok {
			t.Fatalf("%s does not parse", fx.name)
		}
		f := senderCertFields{device: ptr(uint32(m[2].v)), expires: ptr(m[3].v), identityKey: m[4].b}
		if c, has := m[5]; has {
			f.signerCert = c.b
		}
		if c, has := m[8]; has {
			f.signerID = ptr(uint32(c.v))
		}
		if c, has := m[6]; has {
			f.uuidString = ptr(string(c.b))
		}
		if c, has := m[7]; has {
			f.uuidBytes = c.b
		}
		if c, has := m[999]; has {
			f.extra = pbBytes(nil, 999, c.b)
		}
		if got := f.encode(); !bytes.Equal(got, raw) {
			t.Errorf("%s: re-encoded\n%x\nwant\n%s", fx.name, got, fx.cert)
		}
		c, e := parseSenderCert(signedMessage(raw, mustHex(fx.sig), nil))
		if e != "" {
			t.Fatalf("%s: %s", fx.name, e)
		}
		if e := c.validate([][]byte{testRoot.pub}, 31336); e != "" {
			t.Errorf("%s: %s", fx.name, e)
		}
		if c.uuid != "aaaaaaaa-7000-11eb-b32a-33b8a8a487a6" || c.device != 1 || c.expires != 31337 || c.e164 != nil {
			t.Errorf("%s: fields %+v", fx.name, c)
		}
	}
}

// TestDrawSeedConvention checks the file's draw_seeds convention: after
// testing/cryptotest.SetGlobalRandom(t, seed), crypto/rand yields
// chacha8Stream(seed), and an X25519 key drawn by crypto/ecdh is its
// first 32 bytes.
func TestDrawSeedConvention(t *testing.T) {
	seed := drawSeed("convention check")
	cryptotest.SetGlobalRandom(t, seed)
	b := make([]byte, 64)
	rand.Read(b)
	if !bytes.Equal(b, chacha8Stream(seed, 64)) {
		t.Fatalf("crypto/rand yields %x, want %x", b, chacha8Stream(seed, 64))
	}
	cryptotest.SetGlobalRandom(t, seed)
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k.Bytes(), chacha8Stream(seed, 32)) {
		t.Fatalf("GenerateKey drew %x, want %x", k.Bytes(), chacha8Stream(seed, 32))
	}
}

// TestFileLoads loads the committed file through the vectors package and
// checks that its draws are the streams of their seeds.
func TestFileLoads(t *testing.T) {
	f, err := vectors.SealedSender()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range f.Certificates {
		if c.SignDrawSeed != nil && !bytes.Equal(c.Z, chacha8Stream(*c.SignDrawSeed, 64)) {
			t.Errorf("%s: Z is not the stream of sign_draw_seed", c.Name)
		}
		if c.ServerSignDrawSeed != nil && !bytes.Equal(c.ServerZ, chacha8Stream(*c.ServerSignDrawSeed, 64)) {
			t.Errorf("%s: server_Z is not the stream of server_sign_draw_seed", c.Name)
		}
	}
	for _, v := range f.V1 {
		if v.Ephemeral != nil && !bytes.Equal(v.Ephemeral.Private, chacha8Stream(v.DrawSeed, 32)) {
			t.Errorf("%s: ephemeral is not the stream of draw_seed", v.Name)
		}
	}
	for _, v := range f.V2 {
		if v.M != nil && !bytes.Equal(v.M, chacha8Stream(v.DrawSeed, 32)) {
			t.Errorf("%s: M is not the stream of draw_seed", v.Name)
		}
	}
	for _, v := range f.MultiRecipient {
		if v.M != nil && !bytes.Equal(v.M, chacha8Stream(v.DrawSeed, 32)) {
			t.Errorf("%s: M is not the stream of draw_seed", v.Name)
		}
	}
}

// TestReceiverRefuses spot-checks the generator's own receiver, which
// decides every vector's result: the basic refusals must hold.
func TestReceiverRefuses(t *testing.T) {
	setupKnown()
	msg := contentFields(2, knownServerSenderCert(t), "receiver check", 0, nil).encode()
	eph := keyFromRaw(fixed("receiver check eph", 32))
	env := sealV1(msg, senderKey, recipient1.pub, eph).envelope
	if pt, e := openEnvelope(env, recipient1); e != "" || !bytes.Equal(pt, msg) {
		t.Fatalf("v1 round trip: %s", e)
	}
	for i := 1; i < len(env); i += 7 {
		if _, e := openEnvelope(flip(env, i, 0x01), recipient1); e == "" {
			t.Errorf("v1 with byte %d modified opens", i)
		}
	}
	s := sealV2(msg, senderKey, fixed("receiver check M", 32), [][]byte{recipient1.pub, recipient2.pub})
	for i, r := range []keyPair{recipient1, recipient2} {
		rec := s.received(i)
		if pt, e := openEnvelope(rec, r); e != "" || !bytes.Equal(pt, msg) {
			t.Fatalf("v2 round trip %d: %s", i, e)
		}
		for j := 1; j < len(rec); j += 5 {
			if _, e := openEnvelope(flip(rec, j, 0x40), r); e == "" {
				t.Errorf("v2 with byte %d modified opens", j)
			}
		}
	}
	if _, e := openEnvelope(s.received(0), recipient2); e == "" {
		t.Error("v2 opens for the wrong recipient")
	}
}

// knownServerSenderCert is a sender certificate signed for the test
// server certificate.
func knownServerSenderCert(t *testing.T) []byte {
	v := senderVec("receiver check", defaultSender(), nil, testServer)
	c, e := parseSenderCert(mustHex(v.SenderCertificate))
	if e != "" || c.validate([][]byte{testRoot.pub}, validAt) != "" {
		t.Fatalf("test certificate: %s", e)
	}
	return mustHex(v.SenderCertificate)
}
