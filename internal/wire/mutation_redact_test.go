package wire

import (
	"fmt"
	"testing"
)

// TestMutationRedactedSummaries pins what %v, %+v and %s print for each
// redacted type, with and without its optional parts: the summary names
// which parts are present and counts the rest, and prints no key byte.
func TestMutationRedactedSummaries(t *testing.T) {
	sec := func(n int) []byte { return rep(0x5e, n) }
	mk := MessageKey{Index: 7, CipherKey: sec(32), MACKey: sec(32), IV: sec(16)}
	full := Chain{RatchetKey: testRatchetKey, RatchetKeyPrivate: sec(32), ChainKey: &ChainKey{Index: 9, Key: sec(32)},
		MessageKeys: []MessageKey{mk, {Index: 8, Seed: sec(32)}}}
	bare := Chain{RatchetKey: testRatchetKey}
	s := SessionStructure{Version: 4, RootKey: sec(32), PreviousCounter: 3, SenderChain: &full,
		ReceiverChains: []Chain{bare, bare}, PendingPreKey: &PendingPreKey{BaseKey: testBaseKey},
		PendingKyberPreKey:   &PendingKyberPreKey{PreKeyID: 1, Ciphertext: sec(10)},
		RemoteRegistrationID: 11, LocalRegistrationID: 12, PQRatchetState: sec(100)}
	pqw := s
	pqw.PQRatchetState, pqw.PQWriter = sec(3), bytesWriter(sec(40))
	empty := SessionStructure{}
	st := SenderKeyState{MessageVersion: 3, ChainID: 5, ChainKey: &SenderChainKey{Iteration: 6, Seed: sec(32)},
		SigningKey: &SenderSigningKey{Public: h(0x05, 0xab), Private: sec(32)}, MessageKeys: []SenderMessageKey{{Seed: sec(32)}}}
	pub := SenderKeyState{SigningKey: &SenderSigningKey{Public: h(0x05, 0xab)}}

	const (
		fullChain = "wire.Chain{RatchetKeyPrivate: [32 bytes redacted], ChainKey: wire.ChainKey{Index: 9, Key: [32 bytes redacted]}, MessageKeys: 2}"
		bareChain = "wire.Chain{RatchetKeyPrivate: [0 bytes redacted], ChainKey: none, MessageKeys: 0}"
		fullState = "wire.SessionStructure{Version: 4, RootKey: [32 bytes redacted], PreviousCounter: 3, SenderChain: " + fullChain +
			", ReceiverChains: 2, PendingPreKey: true, PendingKyberPreKey: true, RemoteRegistrationID: 11, LocalRegistrationID: 12, PQRatchetState: [100 bytes redacted]}"
		pqwState = "wire.SessionStructure{Version: 4, RootKey: [32 bytes redacted], PreviousCounter: 3, SenderChain: " + fullChain +
			", ReceiverChains: 2, PendingPreKey: true, PendingKyberPreKey: true, RemoteRegistrationID: 11, LocalRegistrationID: 12, PQRatchetState: [40 bytes redacted]}"
		emptyState = "wire.SessionStructure{Version: 0, RootKey: [0 bytes redacted], PreviousCounter: 0, SenderChain: none, ReceiverChains: 0, PendingPreKey: false, PendingKyberPreKey: false, RemoteRegistrationID: 0, LocalRegistrationID: 0, PQRatchetState: [0 bytes redacted]}"
	)
	for _, tc := range []struct {
		v    any
		want string
	}{
		{full, fullChain},
		{&bare, bareChain},
		{s, fullState},
		{&pqw, pqwState},
		{empty, emptyState},
		{mk, "wire.MessageKey{Index: 7, CipherKey: [32 bytes redacted], MACKey: [32 bytes redacted], IV: [16 bytes redacted], Seed: [0 bytes redacted]}"},
		{Record{Current: &empty, Previous: [][]byte{nil, nil, nil}}, "wire.Record{Current: " + emptyState + ", Previous: 3}"},
		{&Record{}, "wire.Record{Current: none, Previous: 0}"},
		{st, "wire.SenderKeyState{MessageVersion: 3, ChainID: 5, Iteration: 6, SigningKeyPrivate: [32 bytes redacted], MessageKeys: 1}"},
		{pub, "wire.SenderKeyState{MessageVersion: 0, ChainID: 0, Iteration: none, SigningKeyPrivate: [0 bytes redacted], MessageKeys: 0}"},
		{SenderKeyState{}, "wire.SenderKeyState{MessageVersion: 0, ChainID: 0, Iteration: none, SigningKeyPrivate: none, MessageKeys: 0}"},
		{SenderKeyRecord{States: []SenderKeyState{st, pub}}, "wire.SenderKeyRecord{States: 2}"},
		{*st.SigningKey, "wire.SenderSigningKey{Public: 05ab, Private: [32 bytes redacted]}"},
		{st.ChainKey, "wire.SenderChainKey{Iteration: 6, Seed: [32 bytes redacted]}"},
	} {
		for _, verb := range []string{"%v", "%+v", "%s", "%#v"} {
			if got := fmt.Sprintf(verb, tc.v); got != tc.want {
				t.Errorf("%s of %T:\n got %s\nwant %s", verb, tc.v, got, tc.want)
			}
		}
	}
}
