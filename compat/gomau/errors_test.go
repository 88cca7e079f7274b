package gomau_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/forwardsecret/signal/compat"
	"github.com/forwardsecret/signal/compat/gomau"
)

// TestImportErrors feeds the importers JSON that is broken one way each.
func TestImportErrors(t *testing.T) {
	v := knownAnswers(t)
	alice := string(v["session_record_alice"])
	sk := string(v["sender_key_record_bob"])
	spk := string(v["signed_prekey_record"])
	session := func(s string) error { _, err := gomau.ImportSessionRecord([]byte(s), migrated); return err }
	prekey := func(s string) error { _, err := gomau.ImportPreKeyRecord([]byte(s)); return err }
	signed := func(s string) error { _, err := gomau.ImportSignedPreKeyRecord([]byte(s)); return err }
	senderKey := func(s string) error { _, err := gomau.ImportSenderKeyRecord([]byte(s)); return err }
	for _, c := range []struct {
		name string
		f    func(string) error
		in   string
		want error
	}{
		{"session: empty", session, "", compat.ErrInvalidRecord},
		{"session: null", session, "null", compat.ErrInvalidRecord},
		{"session: array", session, "[]", compat.ErrInvalidRecord},
		{"session: trailing data", session, alice + "{}", compat.ErrInvalidRecord},
		{"session: null archived state", session, `{"SessionState":null,"PreviousStates":[null]}`, compat.ErrInvalidRecord},
		{"session: null chain", session, strings.Replace(alice, `"ReceiverChains":[`, `"ReceiverChains":[null,`, 1), compat.ErrInvalidRecord},
		{"session: bad base64", session, strings.Replace(alice, `"RootKey":"`, `"RootKey":"!`, 1), compat.ErrInvalidRecord},
		{"session: short root key", session, strings.Replace(alice, `"RootKey":"`, `"RootKey":"AAAA`, 1), compat.ErrInvalidRecord},
		{"session: negative version", session, strings.Replace(alice, `"SessionVersion":3`, `"SessionVersion":-3`, 1), compat.ErrInvalidRecord},
		{"session: version 2", session, strings.Replace(alice, `"SessionVersion":3`, `"SessionVersion":2`, 1), compat.ErrUnsupportedVersion},
		{"session: version as text", session, strings.Replace(alice, `"SessionVersion":3`, `"SessionVersion":"3"`, 1), compat.ErrInvalidRecord},
		{"prekey: signed", prekey, spk, compat.ErrInvalidRecord},
		{"prekey: null", prekey, "null", compat.ErrInvalidRecord},
		{"prekey: empty object", prekey, "{}", compat.ErrInvalidRecord},
		{"signed: negative timestamp", signed, strings.Replace(spk, `"Timestamp":`, `"Timestamp":-`, 1), compat.ErrInvalidRecord},
		{"signed: no signature", signed, strings.Replace(spk, `"Signature":"`, `"Signature":null,"X":"`, 1), compat.ErrInvalidRecord},
		{"sender key: null state", senderKey, `{"SenderKeyStates":[null]}`, compat.ErrInvalidRecord},
		{"sender key: no chain key", senderKey, strings.Replace(sk, `"SenderChainKey":{`, `"SenderChainKey":null,"X":{`, 1), compat.ErrInvalidRecord},
		{"sender key: no seed", senderKey, strings.Replace(sk, `"Seed":"`, `"Seed":null,"X":"`, 1), compat.ErrInvalidRecord},
		{"sender key: null key", senderKey, strings.Replace(sk, `"Keys":[`, `"Keys":[null,`, 1), compat.ErrInvalidRecord},
	} {
		if err := c.f(c.in); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// An empty record (go.mau.fi writes none, but it is well formed)
	// imports as a record without states.
	if r, err := gomau.ImportSessionRecord([]byte(`{"SessionState":null,"PreviousStates":[]}`), migrated); err != nil || r.HasCurrentState() || r.ArchivedStates() != 0 {
		t.Errorf("empty record: %v, %v", r, err)
	}
}
