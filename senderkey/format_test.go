package senderkey

import (
	"context"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/fmtcheck"
)

// TestNoSecretsInFmt formats every type of this package that holds a chain
// key, a message key or seed, or a private signing key, as a value and as
// a pointer, under every fmt verb and checks that no secret byte is
// printed.
func TestNoSecretsInFmt(t *testing.T) {
	ctx := context.Background()
	ck := fmtcheck.Secret("senderkey chain key", ChainKeySize)
	seed := fmtcheck.Secret("senderkey skipped seed", 32)
	signPriv, err := curve.NewPrivateKey(fmtcheck.Secret("senderkey signing key", 32))
	if err != nil {
		t.Fatal(err)
	}
	signSec := signPriv.Bytes()
	signer, err := curve.NewIdentityKeyPair(signPriv)
	if err != nil {
		t.Fatal(err)
	}
	st := &state{version: MessageVersion, chainID: 9, signingPub: signPriv.PublicKey(), signingPriv: signPriv.Bytes(),
		signer: &signingCache{kp: signer}}
	st.chain.iteration = 3
	copy(st.chain.key[:], ck)
	var sk skippedKey
	sk.iteration = 1
	copy(sk.seed[:], seed)
	st.keys = []skippedKey{sk}
	rec := &Record{states: []*state{st}}

	var mseed [32]byte
	copy(mseed[:], fmtcheck.Secret("senderkey message seed", 32))
	mk, err := deriveMessageKeys(&mseed)
	if err != nil {
		t.Fatal(err)
	}
	adv := &advance{stored: -1, skipped: []skippedKey{sk}}
	copy(adv.seed[:], mseed[:])
	adv.next = st.chain

	// A real sender key and its distribution message, as the Cipher makes
	// them.
	store := new(MemoryStore)
	self := Sender{Name: "alice", DeviceID: 1}
	var id DistributionID
	id[0] = 1
	dm, err := NewCipher(store).CreateDistributionMessage(ctx, self, id)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := store.LoadSenderKey(ctx, self, id)
	if err != nil {
		t.Fatal(err)
	}
	own := stored.states[0]
	ownSecrets := [][]byte{own.chain.key[:], own.signingPriv}

	encRec, err := rec.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name    string
		v       any
		secrets [][]byte
	}{
		{"Record", *rec, [][]byte{ck, seed, signSec}},
		{"*Record", rec, [][]byte{ck, seed, signSec}},
		{"state", *st, [][]byte{ck, seed, signSec}},
		{"*state", st, [][]byte{ck, seed, signSec}},
		{"chainKey", st.chain, [][]byte{ck}},
		{"skippedKey", sk, [][]byte{seed}},
		{"signingCache", *st.signer, [][]byte{signSec}},
		{"*signingCache", st.signer, [][]byte{signSec}},
		{"messageKeys", mk, [][]byte{mk.key[:], mk.iv[:]}},
		{"*messageKeys", &mk, [][]byte{mk.key[:], mk.iv[:]}},
		{"advance", *adv, [][]byte{mseed[:], seed, ck}},
		{"*advance", adv, [][]byte{mseed[:], seed, ck}},
		{"DistributionMessage", *dm, [][]byte{own.chain.key[:]}},
		{"*DistributionMessage", dm, [][]byte{own.chain.key[:]}},
		{"*MemoryStore", store, ownSecrets},
		// A Cipher reaches its store's contents through an unexported
		// field, which fmt prints without calling the store's methods.
		{"*Cipher", NewCipher(&fmtStore{enc: encRec}), [][]byte{ck, seed, signSec}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { fmtcheck.NoSecrets(t, c.v, c.secrets...) })
	}
}

// fmtStore is a store that keeps one encoded record in a plain field, as a
// simple implementation would.
type fmtStore struct{ enc []byte }

func (s *fmtStore) LoadSenderKey(context.Context, Sender, DistributionID) (*Record, error) {
	r := new(Record)
	return r, r.UnmarshalBinary(s.enc)
}

func (s *fmtStore) StoreSenderKey(_ context.Context, _ Sender, _ DistributionID, r *Record) (err error) {
	s.enc, err = r.MarshalBinary()
	return err
}
