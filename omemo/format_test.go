package omemo

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

// TestNoSecretsInFmt prints a device's values with every verb and checks
// that no private key appears.
func TestNoSecretsInFmt(t *testing.T) {
	d := newTestDevice(t, V2, "a@example.org", 1, 2)
	ctx := context.Background()
	id, _ := d.store.IdentityKeyPair(ctx)
	spk, _ := d.store.LoadSignedPreKey(ctx, 1)
	pk, _ := d.store.LoadPreKey(ctx, 100)
	secrets := [][]byte{id.PrivateKey().Bytes(), spk.KeyPair.Private.Bytes(), pk.KeyPair.Private.Bytes()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
		for _, v := range []any{d.m, d.store, d.bundle, *d.bundle, d.store.Store} {
			out := fmt.Sprintf(verb, v)
			for _, s := range secrets {
				if strings.Contains(strings.ToLower(out), hex.EncodeToString(s)) || bytes.Contains([]byte(out), s) {
					t.Fatalf("%s of %T shows a private key", verb, v)
				}
			}
		}
	}
}
