package wire

import (
	"testing"

	"github.com/forwardsecret/signal/internal/fmtcheck"
)

// TestNoSecretsInFmt formats every decoded record and message type of
// this package that carries a private key, a root, chain or message key,
// a seed or the SPQR state, as a value and as a pointer, under every fmt
// verb and checks that no secret byte is printed.
func TestNoSecretsInFmt(t *testing.T) {
	sec := func(label string, n int) []byte { return fmtcheck.Secret("wire "+label, n) }
	root, chainKey, ratchetPriv, pq := sec("root", 32), sec("chain key", 32), sec("ratchet private", 32), sec("pq state", 200)
	ck, mac, iv, seed := sec("cipher key", 32), sec("mac key", 32), sec("iv", 16), sec("seed", 32)
	mk := MessageKey{Index: 3, CipherKey: ck, MACKey: mac, IV: iv, Seed: seed}
	ch := Chain{RatchetKey: sec("ratchet public", 33), RatchetKeyPrivate: ratchetPriv,
		ChainKey: &ChainKey{Index: 4, Key: chainKey}, MessageKeys: []MessageKey{mk}}
	ss := SessionStructure{Version: 4, RootKey: root, SenderChain: &ch, ReceiverChains: []Chain{ch}, PQRatchetState: pq}
	rec := Record{Current: &ss, Previous: [][]byte{ss.Append(nil)}}
	ssw := ss
	ssw.PQRatchetState, ssw.PQWriter = nil, bytesWriter(pq)
	sessionSecrets := [][]byte{root, chainKey, ratchetPriv, pq, ck, mac, iv, seed}

	// A chain decoded with deferred message keys holds them encoded.
	deferred, err := ParseRecordDeferred(rec.Append(nil))
	if err != nil {
		t.Fatal(err)
	}

	skSeed, skMsg, skPriv := sec("sender chain seed", 32), sec("sender message seed", 32), sec("sender signing private", 32)
	sks := SenderKeyState{MessageVersion: 3, ChainID: 5, ChainKey: &SenderChainKey{Iteration: 1, Seed: skSeed},
		SigningKey:  &SenderSigningKey{Public: sec("sender signing public", 33), Private: skPriv},
		MessageKeys: []SenderMessageKey{{Iteration: 0, Seed: skMsg}}}
	skr := SenderKeyRecord{States: []SenderKeyState{sks}}
	senderSecrets := [][]byte{skSeed, skMsg, skPriv}
	dm := SenderKeyDistributionMessage{ChainID: 5, Iteration: 1, ChainKey: skSeed, SigningKey: sec("sender signing public", 33)}
	rdm := ReceivedSenderKeyDistributionMessage{SenderKeyDistributionMessage: dm, CurrentVersion: 3}

	cases := []struct {
		name    string
		v       any
		secrets [][]byte
	}{
		{"Record", rec, sessionSecrets},
		{"*Record", &rec, sessionSecrets},
		{"*Record deferred", deferred, sessionSecrets},
		{"SessionStructure", ss, sessionSecrets},
		{"*SessionStructure", &ss, sessionSecrets},
		{"SessionStructure with PQWriter", ssw, sessionSecrets},
		{"*SessionStructure with PQWriter", &ssw, sessionSecrets},
		{"Chain", ch, [][]byte{chainKey, ratchetPriv, ck, mac, iv, seed}},
		{"*Chain", &ch, [][]byte{chainKey, ratchetPriv, ck, mac, iv, seed}},
		{"Chain deferred", deferred.Current.ReceiverChains[0], [][]byte{chainKey, ck, mac, iv, seed}},
		{"ChainKey", *ch.ChainKey, [][]byte{chainKey}},
		{"MessageKey", mk, [][]byte{ck, mac, iv, seed}},
		{"*MessageKey", &mk, [][]byte{ck, mac, iv, seed}},
		{"SenderKeyRecord", skr, senderSecrets},
		{"*SenderKeyRecord", &skr, senderSecrets},
		{"SenderKeyState", sks, senderSecrets},
		{"*SenderKeyState", &sks, senderSecrets},
		{"SenderChainKey", *sks.ChainKey, [][]byte{skSeed}},
		{"SenderMessageKey", sks.MessageKeys[0], [][]byte{skMsg}},
		{"SenderSigningKey", *sks.SigningKey, [][]byte{skPriv}},
		{"SenderKeyDistributionMessage", dm, [][]byte{skSeed}},
		{"*SenderKeyDistributionMessage", &dm, [][]byte{skSeed}},
		{"ReceivedSenderKeyDistributionMessage", rdm, [][]byte{skSeed}},
		{"*ReceivedSenderKeyDistributionMessage", &rdm, [][]byte{skSeed}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { fmtcheck.NoSecrets(t, c.v, c.secrets...) })
	}
}
