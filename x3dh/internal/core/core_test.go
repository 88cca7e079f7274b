package core

import (
	"bytes"
	"crypto"
	"errors"
	"testing"

	"github.com/forwardsecret/signal/internal/fmtcheck"
)

func TestSplit(t *testing.T) {
	for _, size := range []int{V3.Size, V4.Size} {
		okm := fmtcheck.Secret("core okm", size)
		want := bytes.Clone(okm)
		k := Split(okm)
		got := append(append(append([]byte(nil), k.RootKey[:]...), k.ChainKey[:]...), k.AuthKey[:]...)
		if !bytes.Equal(got[:size], want) || !bytes.Equal(got[size:], make([]byte, 3*KeySize-size)) {
			t.Errorf("Split of %d bytes: %x, want %x then zeros", size, got, want)
		}
		if !bytes.Equal(okm, make([]byte, size)) {
			t.Errorf("Split of %d bytes did not clear its input", size)
		}
	}
}

func TestGeneric(t *testing.T) {
	if _, err := Generic(crypto.SHA1, "MyProtocol", false); !errors.Is(err, ErrInvalidGeneric) {
		t.Errorf("SHA-1: %v", err)
	}
	if _, err := Generic(crypto.SHA256, "short", false); !errors.Is(err, ErrInvalidGeneric) {
		t.Errorf("short info: %v", err)
	}
	s, err := Generic(crypto.SHA512, "MyProtocol", true)
	if err != nil || s.Size != KeySize || !s.PQ || s.Hash().Size() != 64 {
		t.Errorf("SHA-512: %+v %v", s, err)
	}
}

func TestNoSecretsInFmt(t *testing.T) {
	k := Split(fmtcheck.Secret("core session keys", V4.Size))
	fmtcheck.NoSecrets(t, k, k.RootKey[:], k.ChainKey[:], k.AuthKey[:])
}
