package spqr

import (
	"testing"

	"github.com/forwardsecret/signal/internal/fmtcheck"
)

// TestNoSecretsInFmt formats every type of this package that holds the
// auth key, a chain or root key, a decapsulation key or an epoch secret,
// as a value and as a pointer, under every fmt verb and checks that no
// secret byte is printed.
func TestNoSecretsInFmt(t *testing.T) {
	authKey := fmtcheck.Secret("spqr auth key", AuthKeySize)
	p := Params{Direction: A2B, Version: V1, MinVersion: V1, AuthKey: authKey}
	initial, err := NewState(p)
	if err != nil {
		t.Fatal(err)
	}
	// Alice's state after her first message: a chain, and a Braid that
	// holds the decapsulation key it sampled.
	sent, _, key, err := initial.Send()
	if err != nil {
		t.Fatal(err)
	}
	ps, err := parseState(mustMarshal(t, sent))
	if err != nil {
		t.Fatal(err)
	}
	st := ps.st
	if st.chain == nil || st.braid == nil || len(st.braid.dk) == 0 || st.vn == nil {
		t.Fatalf("state after Send: chain %v, braid %v, negotiating %v", st.chain != nil, st.braid != nil, st.vn != nil)
	}
	c := st.chain
	chainSecrets := [][]byte{c.nextRoot, c.links[0].send.next, c.links[0].recv.next}
	b := st.braid
	braidSecrets := [][]byte{b.dk, b.auth.rootKey, b.auth.macKey}
	all := append(append([][]byte{authKey}, chainSecrets...), braidSecrets...)
	es := &epochSecret{epoch: 2, secret: fmtcheck.Secret("spqr epoch secret", 32)}
	b.es = fmtcheck.Secret("spqr braid es", 32)
	pf := pfield{num: 1, typ: 2, b: authKey}

	cases := []struct {
		name    string
		v       any
		secrets [][]byte
	}{
		{"State", *initial, [][]byte{authKey}},
		{"*State", initial, [][]byte{authKey}},
		{"State after Send", *sent, all},
		{"*State after Send", sent, all},
		{"Params", p, [][]byte{authKey}},
		{"*Params", &p, [][]byte{authKey}},
		{"state", *st, all},
		{"*state", st, all},
		{"negotiation", *st.vn, [][]byte{authKey}},
		{"*negotiation", st.vn, [][]byte{authKey}},
		{"chain", *c, chainSecrets},
		{"*chain", c, chainSecrets},
		{"chainEpoch", c.links[0], chainSecrets[1:]},
		{"chainDir", c.links[0].send, chainSecrets[1:2]},
		{"braid", *b, append(braidSecrets, b.es)},
		{"*braid", b, append(braidSecrets, b.es)},
		{"authenticator", b.auth, braidSecrets[1:]},
		{"epochSecret", *es, [][]byte{es.secret}},
		{"*epochSecret", es, [][]byte{es.secret}},
		{"pfield", pf, [][]byte{authKey}},
	}
	if key == nil {
		t.Fatal("no message key")
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { fmtcheck.NoSecrets(t, c.v, c.secrets...) })
	}
}
