package x3dh_test

import (
	"encoding/hex"
	"testing"
)

// The known answers of the vectors module (libsignal's ratcheting-session
// answers, pqxdh.json) run in vectors/libtest/x3dh_test.go.

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
