package curve

import (
	"encoding/hex"
	"testing"
)

func TestAlternateIdentity(t *testing.T) {
	aci, _ := GenerateIdentityKeyPair()
	pni, _ := GenerateIdentityKeyPair()
	sig, err := aci.SignAlternateIdentity(pni.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	if !aci.PublicKey().VerifyAlternateIdentity(pni.PublicKey(), sig) {
		t.Fatal("does not verify")
	}
	if aci.PublicKey().VerifyAlternateIdentity(aci.PublicKey(), sig) || pni.PublicKey().VerifyAlternateIdentity(pni.PublicKey(), sig) {
		t.Fatal("verifies for another key")
	}
	// Not a plain signature of the key's encoding.
	if aci.PublicKey().VerifySignature(pni.PublicKey().Bytes(), sig) {
		t.Fatal("domain separation missing")
	}
	for i := range sig {
		bad := append([]byte(nil), sig...)
		bad[i] ^= 1
		if aci.PublicKey().VerifyAlternateIdentity(pni.PublicKey(), bad) {
			t.Fatalf("flipped byte %d verifies", i)
		}
	}
}

// TestAlternateIdentityLibsignal: a signature made by the official libsignal
// (@signalapp/libsignal-client 0.103.0, IdentityKeyPair.signAlternateIdentity
// with the private keys of 32 0x11 bytes (ACI) and 32 0x22 bytes (PNI))
// verifies here; the reverse direction (ours verified by libsignal) is
// checked the same way and recorded in the commit message.
func TestAlternateIdentityLibsignal(t *testing.T) {
	const sig = "96d6a0ca632f7d0e7ea53ccd22d15e8518ba592c62aebcabc5ee6fe9643535ba38f7670f83602c7495f952d60021fe3eec4e654e06f3509602b564a4773d7f84"
	aci, _ := NewPrivateKey(bytes32(0x11))
	pni, _ := NewPrivateKey(bytes32(0x22))
	if got := aci.PublicKey().Bytes(); hex.EncodeToString(got) != "057b4e909bbe7ffe44c465a220037d608ee35897d31ef972f07f74892cb0f73f13" {
		t.Fatalf("ACI public key %x", got)
	}
	if !aci.PublicKey().VerifyAlternateIdentity(pni.PublicKey(), mustUnhex(t, sig)) {
		t.Fatal("libsignal's signature does not verify")
	}
}

func bytes32(b byte) []byte {
	out := make([]byte, 32)
	for i := range out {
		out[i] = b
	}
	return out
}

func mustUnhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
