package session

import (
	"context"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/fmtcheck"
	"github.com/forwardsecret/signal/ratchet"
	"github.com/forwardsecret/signal/spqr"
)

// fmtState returns a session state whose ratchet holds known secrets, and
// those secrets: root key, sending and receiving chain keys, a skipped
// message-key seed, the sending ratchet private key and the SPQR auth key.
func fmtState(t *testing.T, label string) (*state, [][]byte) {
	t.Helper()
	key := func(what string) (k [ratchet.KeySize]byte) {
		copy(k[:], fmtcheck.Secret(label+" "+what, ratchet.KeySize))
		return k
	}
	priv := func(what string) *curve.PrivateKey {
		k, err := curve.NewPrivateKey(fmtcheck.Secret(label+" "+what, curve.PrivateKeySize))
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	send, peer, local, remote, base := priv("sending key"), priv("peer key"), priv("local id"), priv("remote id"), priv("base key")
	root, sck, rck, seed, auth := key("root"), key("send chain"), key("recv chain"), key("seed"), key("auth")
	rs, err := ratchet.FromSnapshot(&ratchet.Snapshot{
		RootKey: root,
		Sender: &ratchet.SenderChain{
			RatchetKey: curve.KeyPair{Private: send, Public: send.PublicKey()},
			ChainKey:   ratchet.ChainKey{Index: 3, Key: sck},
		},
		Receivers: []ratchet.ReceiverChain{{
			RatchetKey: peer.PublicKey(),
			ChainKey:   ratchet.ChainKey{Index: 9, Key: rck},
			Skipped:    []ratchet.SkippedKey{{Index: 4, Seed: seed}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	pq, err := spqr.NewInitialState(auth[:], true)
	if err != nil {
		t.Fatal(err)
	}
	s := &state{
		version:        4,
		localIdentity:  local.PublicKey(),
		remoteIdentity: remote.PublicKey(),
		ratchet:        rs,
		pending: &pendingPreKey{signedPreKeyID: 1, baseKey: base.PublicKey(), hasKyber: true, kyberID: 2,
			kyberCT: fmtcheck.Secret(label+" kyber ciphertext", 1569)},
		localRegID:   1,
		remoteRegID:  2,
		aliceBaseKey: base.PublicKey().Bytes(),
		pq:           pq,
	}
	return s, [][]byte{root[:], sck[:], rck[:], seed[:], send.Bytes(), auth[:]}
}

// TestNoSecretsInFmt formats a Record (with a current and an archived
// state), a state, a pending prekey and the skipped-key writer, as values
// and as pointers, under every fmt verb and checks that no key byte is
// printed.
func TestNoSecretsInFmt(t *testing.T) {
	old, oldSecrets := fmtState(t, "archived")
	cur, curSecrets := fmtState(t, "current")
	rec := &Record{current: old}
	if err := rec.ArchiveCurrentState(); err != nil {
		t.Fatal(err)
	}
	rec.current = cur
	all := append(append([][]byte{}, curSecrets...), oldSecrets...)
	archivedOnly := &Record{previous: rec.previous}
	skipped := newSkippedWriter(cur.ratchet.View().Receivers[0].Skipped)
	plaintext := fmtcheck.Secret("session plaintext", 40)
	rcv := &received{rec: rec, pt: plaintext}

	enc, err := rec.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	m := &Manager{stores: Stores{Sessions: &fmtSessionStore{enc: enc}}}

	cases := []struct {
		name    string
		v       any
		secrets [][]byte
	}{
		{"*Record", rec, all},
		{"Record", *rec, all},
		{"*Record archived only", archivedOnly, oldSecrets},
		{"*state", cur, curSecrets},
		{"state", *cur, curSecrets},
		// A pending prekey holds no secret, but its KEM ciphertext is
		// checked as one: it should print as a length only.
		{"pendingPreKey", *cur.pending, [][]byte{cur.pending.kyberCT}},
		{"*skippedWriter", skipped, curSecrets[3:4]},
		{"skippedWriter", *skipped, curSecrets[3:4]},
		// A decrypt's result holds the new record and the plaintext.
		{"*received", rcv, append([][]byte{plaintext}, all...)},
		{"received", *rcv, append([][]byte{plaintext}, all...)},
		// A Manager reaches its stores' contents through unexported
		// fields, which fmt prints without calling their methods.
		{"*Manager", m, oldSecrets},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { fmtcheck.NoSecrets(t, c.v, c.secrets...) })
	}
}

// fmtSessionStore is a session store that keeps one encoded record in a
// plain field, as a simple implementation would.
type fmtSessionStore struct{ enc []byte }

func (s *fmtSessionStore) LoadSession(context.Context, Address) (*Record, error) {
	return ParseRecord(s.enc)
}

func (s *fmtSessionStore) StoreSession(_ context.Context, _ Address, rec *Record, _ Consumed) (err error) {
	s.enc, err = rec.MarshalBinary()
	return err
}

func (s *fmtSessionStore) DeleteSession(context.Context, Address) error {
	s.enc = nil
	return nil
}
