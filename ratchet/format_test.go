package ratchet

import (
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/fmtcheck"
)

func fmtKey(label string) (k [KeySize]byte) {
	copy(k[:], fmtcheck.Secret(label, KeySize))
	return k
}

// TestNoSecretsInFmt formats every type of this package that holds a root,
// chain, header or message key, a seed or a private ratchet key, as a
// value and as a pointer, under every fmt verb and checks that no secret
// byte is printed.
func TestNoSecretsInFmt(t *testing.T) {
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	sendPriv, err := curve.NewPrivateKey(fmtcheck.Secret("ratchet sending key", 32))
	must(err)
	sendKP := curve.KeyPair{Private: sendPriv, Public: sendPriv.PublicKey()}
	peerPriv, err := curve.NewPrivateKey(fmtcheck.Secret("ratchet peer key", 32))
	must(err)
	root, sck, rck, seed := fmtKey("ratchet root"), fmtKey("ratchet send chain"), fmtKey("ratchet recv chain"), fmtKey("ratchet seed")
	legacy := &MessageKeys{Cipher: fmtKey("ratchet cipher"), MAC: MACKey(fmtKey("ratchet mac"))}
	copy(legacy.IV[:], fmtcheck.Secret("ratchet iv", 16))
	sn := &Snapshot{
		RootKey:         root,
		PreviousCounter: 2,
		Sender:          &SenderChain{RatchetKey: sendKP, ChainKey: ChainKey{Index: 5, Key: sck}},
		Receivers: []ReceiverChain{{
			RatchetKey: peerPriv.PublicKey(),
			ChainKey:   ChainKey{Index: 10, Key: rck},
			Skipped:    []SkippedKey{{Index: 3, Seed: seed}, {Index: 4, Keys: legacy}},
		}},
	}
	st, err := FromSnapshot(sn)
	must(err)
	all := [][]byte{root[:], sck[:], rck[:], seed[:], legacy.Cipher[:], legacy.MAC[:], legacy.IV[:], sendPriv.Bytes()}
	if len(st.recv) != 1 || len(st.recv[0].skipped) != 2 || len(st.recv[0].legacy) != 1 {
		t.Fatalf("state has %d receiving chains, want 1 with a seed and a legacy key", len(st.recv))
	}
	view := st.View()
	b := NewBuilder(root, 1)
	must(b.SetSender(sendKP, ChainKey{Index: 1, Key: sck}))

	k := newKDF()
	k.rck = rck
	k.mk = *legacy

	cases := []struct {
		name    string
		v       any
		secrets [][]byte
	}{
		{"State", *st, all},
		{"*State", st, all},
		{"Snapshot", *sn, all},
		{"*Snapshot", sn, all},
		{"View", view, all},
		{"ReceiverView", view.Receivers[0], [][]byte{rck[:], seed[:], legacy.Cipher[:]}},
		{"SkippedView", view.Receivers[0].Skipped, [][]byte{seed[:], legacy.Cipher[:], legacy.MAC[:]}},
		{"SenderChain", *sn.Sender, [][]byte{sck[:], sendPriv.Bytes()}},
		{"*SenderChain", sn.Sender, [][]byte{sck[:], sendPriv.Bytes()}},
		{"ReceiverChain", sn.Receivers[0], [][]byte{rck[:], seed[:], legacy.Cipher[:]}},
		{"ChainKey", sn.Receivers[0].ChainKey, [][]byte{rck[:]}},
		{"SkippedKey", sn.Receivers[0].Skipped[0], [][]byte{seed[:]}},
		{"*SkippedKey", &sn.Receivers[0].Skipped[1], [][]byte{legacy.Cipher[:], legacy.MAC[:]}},
		{"MessageKeys", *legacy, [][]byte{legacy.Cipher[:], legacy.MAC[:], legacy.IV[:]}},
		{"MACKey", legacy.MAC, [][]byte{legacy.MAC[:]}},
		{"*Builder", b, [][]byte{root[:], sck[:], sendPriv.Bytes()}},
		{"*kdf", k, [][]byte{rck[:], legacy.Cipher[:]}},
		{"kdf", *k, [][]byte{rck[:], legacy.Cipher[:]}},
		{"recvChain", st.recv[0], [][]byte{rck[:], seed[:], legacy.Cipher[:]}},
		{"*recvChain", &st.recv[0], [][]byte{rck[:], seed[:], legacy.Cipher[:]}},
		{"skippedKey", st.recv[0].skipped[0], [][]byte{seed[:]}},
		{"legacyKey", st.recv[0].legacy[0], [][]byte{legacy.Cipher[:], legacy.MAC[:]}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { fmtcheck.NoSecrets(t, c.v, c.secrets...) })
	}
}
