package kem

import (
	"fmt"
	"testing"
)

// Tests added for mutants that survived the suite (docs/mutation.md).

// TestKeyPairString: a key pair names its type and redacts the key; one
// without a private key says so.
func TestKeyPairString(t *testing.T) {
	for _, typ := range []Type{Kyber1024, MLKEM1024} {
		kp, err := GenerateKeyPair(typ)
		if err != nil {
			t.Fatal(err)
		}
		want := "kem.KeyPair(" + typ.String() + ", REDACTED)"
		for _, verb := range []string{"%v", "%s", "%#v", "%x"} {
			if got := fmt.Sprintf(verb, kp); got != want {
				t.Errorf("%s: %q, want %q", verb, got, want)
			}
		}
	}
	if got, want := fmt.Sprint(KeyPair{}), "kem.KeyPair(no private key)"; got != want {
		t.Errorf("empty key pair: %q, want %q", got, want)
	}
}
