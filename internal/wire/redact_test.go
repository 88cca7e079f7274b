package wire

import (
	"fmt"
	"strings"
	"testing"
)

// TestRedaction formats every type that holds secrets with every common
// verb and checks that no secret byte pattern appears.
func TestRedaction(t *testing.T) {
	const pat = "5ec2e75ec2e7" // the secret bytes below, in hex
	sec := func() []byte { return []byte{0x5e, 0xc2, 0xe7, 0x5e, 0xc2, 0xe7, 0x5e, 0xc2, 0xe7} }
	mk := MessageKey{Index: 1, CipherKey: sec(), MACKey: sec(), IV: sec(), Seed: sec()}
	ch := Chain{RatchetKey: h(5), RatchetKeyPrivate: sec(), ChainKey: &ChainKey{Index: 2, Key: sec()}, MessageKeys: []MessageKey{mk}}
	s := SessionStructure{Version: 4, RootKey: sec(), SenderChain: &ch, ReceiverChains: []Chain{ch}, PQRatchetState: sec()}
	st := SenderKeyState{ChainKey: &SenderChainKey{Seed: sec()}, SigningKey: &SenderSigningKey{Private: sec()},
		MessageKeys: []SenderMessageKey{{Seed: sec()}}}
	values := []any{
		mk, &mk, ch, &ch, *ch.ChainKey, ch.ChainKey, s, &s, Record{Current: &s}, &Record{Current: &s},
		st, &st, SenderKeyRecord{States: []SenderKeyState{st}}, *st.ChainKey, *st.SigningKey, st.MessageKeys[0],
		SenderKeyDistributionMessage{ChainKey: sec()}, &SenderKeyDistributionMessage{ChainKey: sec()},
		[]Chain{ch}, map[string]*SessionStructure{"x": &s},
	}
	for i, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q"} {
			out := strings.ToLower(fmt.Sprintf(verb, v))
			if strings.Contains(out, pat) || strings.Contains(out, "^\xc2\xe7") || strings.Contains(out, "94 194 231") ||
				strings.Contains(out, "\\xc2\\xe7") || strings.Contains(out, "[94 194") {
				t.Errorf("value %d (%T) leaks under %s: %s", i, v, verb, out)
			}
		}
	}
}
