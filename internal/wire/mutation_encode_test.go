package wire

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// TestMutationEncodedLen checks EncodedLen against the length of the
// encoding for every encoder, over messages with and without their
// optional fields.
func TestMutationEncodedLen(t *testing.T) {
	check := func(what string, n int, enc []byte) {
		t.Helper()
		if n != len(enc) {
			t.Errorf("%s: EncodedLen %d, encoding of %d bytes", what, n, len(enc))
		}
	}
	for _, m := range []SignalMessage{
		*testSignalMessage(),
		{Version: VersionV3, CurrentVersion: VersionV3, RatchetKey: testRatchetKey, Ciphertext: rep(1, 16)},
		{Version: VersionV4, CurrentVersion: VersionV4, RatchetKey: testRatchetKey, Counter: 1 << 31, PreviousCounter: 300,
			Ciphertext: rep(1, 200), PQRatchet: rep(2, 1000), Addresses: rep(3, AddressesSize)},
	} {
		check("SignalMessage", m.EncodedLen(), append(must(m.AppendUnsigned(nil)), testMAC[:]...))
	}
	pk := testPreKeyMessage(t)
	v3 := *pk
	v3.Version, v3.CurrentVersion, v3.KyberPreKeyID, v3.KyberCiphertext = VersionV3, VersionV3, 0, nil
	v3none := v3
	v3none.HasPreKeyID, v3none.PreKeyID = false, 0
	big := *pk
	big.RegistrationID, big.SignedPreKeyID, big.KyberPreKeyID, big.PreKeyID = 1<<31, 1<<21, 1<<14, 1<<7
	for name, m := range map[string]*PreKeySignalMessage{"v4": pk, "v3 without Kyber": &v3, "v3 without pre-key": &v3none, "large ids": &big} {
		check("PreKeySignalMessage "+name, m.EncodedLen(), must(m.Append(nil)))
	}
	skm := testSenderKeyMessage()
	check("SenderKeyMessage", skm.EncodedLen(), append(skm.AppendUnsigned(nil), make([]byte, SignatureSize)...))
	skm.ChainID, skm.Iteration, skm.Ciphertext = 0, 1<<28, rep(4, 300)
	check("SenderKeyMessage", skm.EncodedLen(), append(skm.AppendUnsigned(nil), make([]byte, SignatureSize)...))
	for _, m := range []*SenderKeyDistributionMessage{
		testSKDM(),
		{ChainID: 0, Iteration: 0, ChainKey: rep(1, 32), SigningKey: testIdentity},
		{ChainID: 1 << 31, Iteration: 1 << 20, ChainKey: rep(1, 32), SigningKey: testIdentity},
	} {
		check("SenderKeyDistributionMessage", m.EncodedLen(), must(m.Append(nil)))
	}
	for name, r := range map[string]*Record{
		"empty":         {},
		"current":       {Current: testSession(1, 3)},
		"previous":      {Previous: [][]byte{nil, rep(1, 200)}},
		"both":          {Current: testSession(1, 0), Previous: [][]byte{testSession(2, 1).Append(nil)}},
		"empty current": {Current: &SessionStructure{}},
	} {
		check("Record "+name, r.EncodedLen(), r.Append(nil))
	}
	s := testSession(3, 200)
	check("SessionStructure", s.EncodedLen(), s.Append(nil))
	sk := testSenderKeyRecord(5)
	check("SenderKeyRecord", sk.EncodedLen(), sk.Append(nil))
}

// TestMutationRoundTripExact checks that parsing an encoding gives back
// exactly the value encoded, absent repeated fields included (nil, as
// they were), for values without repeated fields that other tests'
// round trips always fill.
func TestMutationRoundTripExact(t *testing.T) {
	for name, r := range map[string]*Record{
		"current only":   {Current: testSession(1, 2)},
		"previous only":  {Previous: [][]byte{testSession(2, 0).Append(nil)}},
		"no chains":      {Current: &SessionStructure{Version: 3, RootKey: rep(1, 32)}},
		"empty previous": {Previous: [][]byte{{}}},
	} {
		enc := r.Append(nil)
		for _, deferred := range []bool{false, true} {
			parse, pname := ParseRecord, "ParseRecord"
			if deferred {
				parse, pname = ParseRecordDeferred, "ParseRecordDeferred"
			}
			got, err := parse(enc)
			if err == nil && deferred && got.Current != nil {
				err = decodeAll(t, got.Current)
			}
			if err != nil || !reflect.DeepEqual(got, r) {
				t.Errorf("%s of %s: %v\n got %+v\nwant %+v", pname, name, err, got, r)
			}
		}
	}
	for name, r := range map[string]*SenderKeyRecord{
		"empty":            {},
		"state, no keys":   {States: []SenderKeyState{{MessageVersion: 3, ChainID: 1, ChainKey: &SenderChainKey{Iteration: 2, Seed: rep(1, 32)}}}},
		"two states, keys": testSenderKeyRecord(3),
	} {
		got, err := ParseSenderKeyRecord(r.Append(nil))
		if err != nil || !reflect.DeepEqual(got, r) {
			t.Errorf("SenderKeyRecord %s: %v\n got %+v\nwant %+v", name, err, got, r)
		}
	}
	// Unknown fields only: nothing is kept.
	got, err := ParseSenderKeyRecord(h(0x12, 0x01, 0x00, 0x1a, 0x00))
	if err != nil || got.States != nil {
		t.Errorf("unknown fields only: %v %+v", err, got)
	}
	rec, err := ParseRecord(h(0x1a, 0x01, 0x00, 0x0a, 0x00))
	if err != nil || rec.Previous != nil || !reflect.DeepEqual(rec.Current, &SessionStructure{}) {
		t.Errorf("current and unknown fields: %v %+v", err, rec)
	}
}

// TestMutationAppendAllocatesOnce checks that the record encoders size
// their output in one allocation.
func TestMutationAppendAllocatesOnce(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	r := &Record{Current: testSession(1, 50)}
	for i := range 5 {
		r.Previous = append(r.Previous, testSession(byte(i), 100).Append(nil))
	}
	sk := testSenderKeyRecord(100)
	s := testSession(2, 100)
	for name, f := range map[string]func() int{
		"Record":           func() int { return len(r.Append(nil)) },
		"SessionStructure": func() int { return len(s.Append(nil)) },
		"SenderKeyRecord":  func() int { return len(sk.Append(nil)) },
	} {
		if n := testing.AllocsPerRun(10, func() { f() }); n != 1 {
			t.Errorf("%s.Append(nil): %v allocations, want 1", name, n)
		}
	}
}

// TestMutationReaderFixed64 covers Reader.Fixed64 (used by other packages'
// parsers): the value, a wrong wire type, a truncated value.
func TestMutationReaderFixed64(t *testing.T) {
	b := protowire.AppendTag(nil, 3, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, 0x0102030405060708)
	r := NewReader(b, "M")
	num, typ, err := r.Tag()
	if err != nil || num != 3 || typ != protowire.Fixed64Type {
		t.Fatalf("Tag: %d %d %v", num, typ, err)
	}
	v, err := r.Fixed64("f", typ)
	if err != nil || v != 0x0102030405060708 || r.More() {
		t.Fatalf("Fixed64: %#x %v, more %v", v, err, r.More())
	}

	r = NewReader(b[1:], "M")
	_, err = r.Fixed64("f", protowire.VarintType)
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Err != ErrMalformed || fe.Message != "M" || fe.Field != "f" || fe.Detail != "wire type 0" {
		t.Fatalf("wrong wire type: %v", err)
	}
	if !bytes.Equal(r.b, b[1:]) {
		t.Fatal("a refused field was consumed")
	}

	for n := range 8 {
		r = NewReader(b[1:1+n], "M")
		_, err = r.Fixed64("f", protowire.Fixed64Type)
		if !errors.Is(err, ErrTruncated) || err.Error() != "wire: truncated input: M.f: unexpected EOF" {
			t.Errorf("%d bytes: %v", n, err)
		}
	}
}
