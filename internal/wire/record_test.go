package wire

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// testSession builds a session state with every field set; keys counts the
// skipped message keys of the first receiver chain. tag varies the bytes.
func testSession(tag byte, keys int) *SessionStructure {
	s := &SessionStructure{
		Version:              4,
		LocalIdentityPublic:  cat(h(0x05), rep(tag^0x01, 32)),
		RemoteIdentityPublic: cat(h(0x05), rep(tag^0x02, 32)),
		RootKey:              rep(tag^0x03, 32),
		PreviousCounter:      12,
		SenderChain: &Chain{
			RatchetKey:        cat(h(0x05), rep(tag^0x04, 32)),
			RatchetKeyPrivate: rep(tag^0x05, 32),
			ChainKey:          &ChainKey{Index: 13, Key: rep(tag^0x06, 32)},
		},
		ReceiverChains: []Chain{
			{RatchetKey: cat(h(0x05), rep(tag^0x07, 32)), ChainKey: &ChainKey{Index: 2100, Key: rep(tag^0x08, 32)}},
			{RatchetKey: cat(h(0x05), rep(tag^0x09, 32)), ChainKey: &ChainKey{Key: rep(tag^0x0a, 32)},
				MessageKeys: []MessageKey{{Index: 0, CipherKey: rep(1, 32), MACKey: rep(2, 32), IV: rep(3, 16)}}},
		},
		PendingPreKey:        &PendingPreKey{PreKeyID: 0, HasPreKeyID: true, SignedPreKeyID: 0x80000001, BaseKey: cat(h(0x05), rep(tag^0x0b, 32)), Timestamp: 1795000000},
		PendingKyberPreKey:   &PendingKyberPreKey{PreKeyID: 77, Ciphertext: testKyberCT()},
		RemoteRegistrationID: 0x3fff,
		LocalRegistrationID:  1,
		AliceBaseKey:         cat(h(0x05), rep(tag^0x0c, 32)),
		PQRatchetState:       rep(tag^0x0d, 300),
	}
	for i := range keys {
		s.ReceiverChains[0].MessageKeys = append(s.ReceiverChains[0].MessageKeys,
			MessageKey{Index: uint32(100 + i), Seed: rep(byte(i), 32)})
	}
	return s
}

func TestSessionStructureExactBytes(t *testing.T) {
	s := &SessionStructure{
		Version:             3,
		LocalIdentityPublic: testIdentity,
		RootKey:             rep(0x11, 32),
		PreviousCounter:     0, // proto3: omitted
		SenderChain: &Chain{
			RatchetKey:        testRatchetKey,
			RatchetKeyPrivate: rep(0x22, 32),
			ChainKey:          &ChainKey{Index: 0, Key: rep(0x33, 32)},
		},
		ReceiverChains: []Chain{
			{RatchetKey: testBaseKey, ChainKey: &ChainKey{Index: 5, Key: rep(0x44, 32)},
				MessageKeys: []MessageKey{{Index: 3, Seed: rep(0x55, 32)}, {Index: 4, CipherKey: rep(0x66, 32), MACKey: rep(0x77, 32), IV: rep(0x88, 16)}}},
			{}, // an empty chain is still a list element
		},
		PendingPreKey:        &PendingPreKey{SignedPreKeyID: 0xffffffff, BaseKey: testBaseKey, Timestamp: 1},
		PendingKyberPreKey:   &PendingKyberPreKey{},
		RemoteRegistrationID: 300,
		AliceBaseKey:         testBaseKey,
	}
	chainKey0 := cat(h(0x12, 32), rep(0x33, 32)) // index 0 omitted
	sender := cat(h(0x0a, 33), testRatchetKey, h(0x12, 32), rep(0x22, 32), h(0x1a, byte(len(chainKey0))), chainKey0)
	mk1 := cat(h(0x08, 3), h(0x2a, 32), rep(0x55, 32))
	mk2 := cat(h(0x08, 4), h(0x12, 32), rep(0x66, 32), h(0x1a, 32), rep(0x77, 32), h(0x22, 16), rep(0x88, 16))
	ck := cat(h(0x08, 5), h(0x12, 32), rep(0x44, 32))
	recv := cat(h(0x0a, 33), testBaseKey, h(0x1a, byte(len(ck))), ck,
		h(0x22, byte(len(mk1))), mk1, h(0x22, byte(len(mk2))), mk2)
	// signed_pre_key_id 0xffffffff is int32 -1: ten bytes.
	pending := cat(h(0x12, 33), testBaseKey, h(0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), h(0x20, 0x01))
	want := cat(
		h(0x08, 0x03),
		h(0x12, 33), testIdentity,
		h(0x22, 32), rep(0x11, 32),
		h(0x32, byte(len(sender))), sender,
		h(0x3a), uvarint(len(recv)), recv, // 201 bytes: c9 01
		h(0x3a, 0x00),
		h(0x4a, byte(len(pending))), pending,
		h(0x50, 0xac, 0x02),
		h(0x6a, 33), testBaseKey,
		h(0x72, 0x00), // empty pending Kyber pre-key: present, zero length
	)
	got := s.Append(nil)
	if !bytes.Equal(got, want) {
		t.Fatalf("Append =\n%x\nwant\n%x", got, want)
	}
	if s.EncodedLen() != len(want) {
		t.Errorf("EncodedLen %d want %d", s.EncodedLen(), len(want))
	}
	back, err := ParseSessionStructure(got)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, s) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", back, s)
	}

	rec := &Record{Current: s, Previous: [][]byte{h(0x08, 0x04), nil}}
	wantRec := cat(h(0x0a, 0x80|byte(len(want)&0x7f), byte(len(want)>>7)), want, h(0x12, 2, 0x08, 0x04), h(0x12, 0))
	if len(want) < 128 || len(want) >= 1<<14 {
		t.Fatalf("length %d does not fit the two-byte varint above", len(want))
	}
	if got := rec.Append(nil); !bytes.Equal(got, wantRec) {
		t.Fatalf("Record.Append =\n%x\nwant\n%x", got, wantRec)
	}
	// An empty record and a record with an empty current session differ.
	if got := (&Record{}).Append(nil); len(got) != 0 {
		t.Errorf("empty record = %x", got)
	}
	if got := (&Record{Current: &SessionStructure{}}).Append(nil); !bytes.Equal(got, h(0x0a, 0x00)) {
		t.Errorf("record with empty session = %x", got)
	}
}

func TestPendingPreKeyPresence(t *testing.T) {
	// proto3 optional pre_key_id: written when present, even as zero.
	p := &SessionStructure{PendingPreKey: &PendingPreKey{HasPreKeyID: true}}
	if got, want := p.Append(nil), h(0x4a, 0x02, 0x08, 0x00); !bytes.Equal(got, want) {
		t.Fatalf("got %x want %x", got, want)
	}
	back, err := ParseSessionStructure(h(0x4a, 0x02, 0x08, 0x00))
	if err != nil || !back.PendingPreKey.HasPreKeyID {
		t.Fatal("presence lost", err)
	}
	back, err = ParseSessionStructure(h(0x4a, 0x00))
	if err != nil || back.PendingPreKey == nil || back.PendingPreKey.HasPreKeyID {
		t.Fatal("absence lost", err)
	}
	// Negative int32 signed pre-key id, as libsignal writes 0x80000001.
	back, err = ParseSessionStructure(h(0x4a, 0x0b, 0x18, 0x81, 0x80, 0x80, 0x80, 0xf8, 0xff, 0xff, 0xff, 0xff, 0x01))
	if err != nil || back.PendingPreKey.SignedPreKeyID != 0x80000001 {
		t.Fatalf("int32 id: %v %+v", err, back.PendingPreKey)
	}
}

func TestRecordRoundTrip(t *testing.T) {
	cur := testSession(0x10, 20)
	rec := &Record{Current: cur}
	for i := range 5 {
		rec.Previous = append(rec.Previous, testSession(byte(i), i).Append(nil))
	}
	enc := rec.Append(nil)
	if rec.EncodedLen() != len(enc) {
		t.Errorf("EncodedLen %d, len %d", rec.EncodedLen(), len(enc))
	}
	got, err := ParseRecord(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rec) {
		t.Fatal("record round trip differs")
	}
	for i, p := range got.Previous {
		s, err := ParseSessionStructure(p)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(s, testSession(byte(i), i)) {
			t.Errorf("previous %d differs", i)
		}
	}
	if !bytes.Equal(got.Append(nil), enc) {
		t.Error("re-encoding differs")
	}
	// Results do not alias the input.
	clear(enc)
	if !reflect.DeepEqual(got, rec) {
		t.Error("parsed record aliases the input")
	}
	// Empty input: no current session.
	empty, err := ParseRecord(nil)
	if err != nil || empty.Current != nil || empty.Previous != nil {
		t.Errorf("empty record: %v %+v", err, empty)
	}
}

// TestRecordBig is the size libsignal caps a record at: 40 archived states
// and 2,000 skipped keys on a chain.
func TestRecordBig(t *testing.T) {
	rec := bigRecord()
	enc := rec.Append(nil)
	got, err := ParseRecord(enc)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Previous) != 40 || len(got.Current.ReceiverChains[0].MessageKeys) != 2000 {
		t.Fatalf("sizes %d %d", len(got.Previous), len(got.Current.ReceiverChains[0].MessageKeys))
	}
	if !reflect.DeepEqual(got, rec) {
		t.Fatal("big record round trip differs")
	}
	for i, p := range got.Previous {
		s, err := ParseSessionStructure(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.ReceiverChains[0].MessageKeys) != 2000 || s.RootKey[0] != byte(i)^0x03 {
			t.Fatalf("previous %d wrong", i)
		}
	}
	t.Logf("record of 41 states x 2,000 keys: %d bytes", len(enc))
	allocs := testing.AllocsPerRun(5, func() {
		buf := make([]byte, 0, len(enc))
		if len(rec.Append(buf)) != len(enc) {
			t.Fatal("length")
		}
	})
	if allocs > 1 {
		t.Errorf("Append into a sized buffer: %v allocations", allocs)
	}
}

func bigRecord() *Record {
	rec := &Record{Current: testSession(0xf0, 2000)}
	for i := range 40 {
		rec.Previous = append(rec.Previous, testSession(byte(i), 2000).Append(nil))
	}
	return rec
}

func TestRecordMerge(t *testing.T) {
	// Two current_session occurrences merge: scalars from the second win,
	// repeated fields append, sub-messages merge.
	a := &SessionStructure{Version: 3, RootKey: rep(1, 32), ReceiverChains: []Chain{{RatchetKey: h(1)}},
		SenderChain: &Chain{RatchetKey: h(5), ChainKey: &ChainKey{Index: 1, Key: h(7)}}}
	b := &SessionStructure{Version: 4, ReceiverChains: []Chain{{RatchetKey: h(2)}},
		SenderChain: &Chain{ChainKey: &ChainKey{Index: 2}, MessageKeys: []MessageKey{{Index: 9}}}}
	ea, eb := a.Append(nil), b.Append(nil)
	enc := cat(h(0x0a, byte(len(ea))), ea, h(0x12, 0x01, 0x08), h(0x0a, byte(len(eb))), eb)
	got, err := ParseRecord(enc)
	if err != nil {
		t.Fatal(err)
	}
	want := &SessionStructure{Version: 4, RootKey: rep(1, 32), ReceiverChains: []Chain{{RatchetKey: h(1)}, {RatchetKey: h(2)}},
		SenderChain: &Chain{RatchetKey: h(5), ChainKey: &ChainKey{Index: 2, Key: h(7)}, MessageKeys: []MessageKey{{Index: 9}}}}
	if !reflect.DeepEqual(got.Current, want) {
		t.Fatalf("merge:\n got %+v\nwant %+v", got.Current, want)
	}
	if len(got.Previous) != 1 || !bytes.Equal(got.Previous[0], h(0x08)) {
		t.Fatalf("previous %x", got.Previous)
	}
}

func TestRecordUnknownAndRetiredFields(t *testing.T) {
	// Field 8 (retired pending key exchange), 12 (retired needs_refresh),
	// 16+ and unknown fields at every level are skipped.
	chain := cat(h(0x0a, 1, 0xaa), h(0x28, 0x01), h(0x1a, 0x04, 0x08, 0x02, 0x18, 0x05), h(0x22, 0x04, 0x08, 0x07, 0x30, 0x01))
	s := cat(h(0x08, 0x04), h(0x42, 0x02, 0x08, 0x01), h(0x60, 0x01), h(0x3a, byte(len(chain))), chain,
		h(0x80, 0x01, 0x01), h(0x95, 0x01, 1, 2, 3, 4), h(0x4a, 0x03, 0x08, 0x05, 0x38))
	rec := cat(h(0x0a, byte(len(s))), s, h(0x18, 0x01), h(0x21, 1, 2, 3, 4, 5, 6, 7, 8))
	// The pending pre key above ends with a truncated unknown tag: fix it.
	if _, err := ParseRecord(rec); !errors.Is(err, ErrTruncated) {
		t.Fatalf("truncated nested field: %v", err)
	}
	s = cat(h(0x08, 0x04), h(0x42, 0x02, 0x08, 0x01), h(0x60, 0x01), h(0x3a, byte(len(chain))), chain,
		h(0x80, 0x01, 0x01), h(0x95, 0x01, 1, 2, 3, 4), h(0x4a, 0x04, 0x08, 0x05, 0x38, 0x00))
	rec = cat(h(0x0a, byte(len(s))), s, h(0x18, 0x01), h(0x21, 1, 2, 3, 4, 5, 6, 7, 8))
	got, err := ParseRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	want := &SessionStructure{Version: 4,
		ReceiverChains: []Chain{{RatchetKey: h(0xaa), ChainKey: &ChainKey{Index: 2}, MessageKeys: []MessageKey{{Index: 7}}}},
		PendingPreKey:  &PendingPreKey{PreKeyID: 5, HasPreKeyID: true}}
	if !reflect.DeepEqual(got.Current, want) {
		t.Fatalf("got %+v\nwant %+v", got.Current, want)
	}
}

func TestRecordMalformed(t *testing.T) {
	for name, enc := range map[string][]byte{
		"current as varint":       h(0x08, 0x01),
		"previous as varint":      h(0x10, 0x01),
		"version as bytes":        h(0x0a, 0x02, 0x0a, 0x00),
		"chain key as varint":     h(0x0a, 0x04, 0x32, 0x02, 0x18, 0x01),
		"message key index bytes": h(0x0a, 0x06, 0x32, 0x04, 0x22, 0x02, 0x0a, 0x00),
		"timestamp fixed64":       h(0x0a, 0x0b, 0x4a, 0x09, 0x21, 1, 2, 3, 4, 5, 6, 7, 8),
		"field zero":              h(0x0a, 0x02, 0x00, 0x00),
	} {
		if _, err := ParseRecord(enc); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, err := ParseRecord(make([]byte, MaxRecordSize+1))
	wantErr(t, err, ErrMalformed)
	// Every truncation of a valid record is rejected or parses without
	// panicking, and re-encodes stably.
	enc := (&Record{Current: testSession(1, 3), Previous: [][]byte{testSession(2, 1).Append(nil)}}).Append(nil)
	for n := range len(enc) {
		checkRecord(t, enc[:n])
	}
}

// TestStorageFieldNumbers sets every field to a distinct value and walks
// the encoding with a minimal hand-written reader, so that each field is
// found under the number storage.proto gives it.
func TestStorageFieldNumbers(t *testing.T) {
	s := &SessionStructure{
		Version: 101, LocalIdentityPublic: h(102), RemoteIdentityPublic: h(103), RootKey: h(104),
		PreviousCounter: 105,
		SenderChain: &Chain{RatchetKey: h(111), RatchetKeyPrivate: h(112), ChainKey: &ChainKey{Index: 31, Key: h(32)},
			MessageKeys: []MessageKey{{Index: 41, CipherKey: h(42), MACKey: h(43), IV: h(44), Seed: h(45)}}},
		PendingPreKey:        &PendingPreKey{PreKeyID: 91, HasPreKeyID: true, BaseKey: h(92), SignedPreKeyID: 93, Timestamp: 94},
		PendingKyberPreKey:   &PendingKyberPreKey{PreKeyID: 71, Ciphertext: h(72)},
		RemoteRegistrationID: 110, LocalRegistrationID: 111, AliceBaseKey: h(113), PQRatchetState: h(115),
	}
	fields := walk(t, s.Append(nil))
	want := map[string]string{
		"1": "v101", "2": "b102", "3": "b103", "4": "b104", "5": "v105",
		"6.1": "b111", "6.2": "b112", "6.3.1": "v31", "6.3.2": "b32",
		"6.4.1": "v41", "6.4.2": "b42", "6.4.3": "b43", "6.4.4": "b44", "6.4.5": "b45",
		"9.1": "v91", "9.2": "b92", "9.3": "v93", "9.4": "v94",
		"10": "v110", "11": "v111", "13": "b113", "14.1": "v71", "14.2": "b72", "15": "b115",
	}
	if !reflect.DeepEqual(fields, want) {
		t.Errorf("SessionStructure fields:\n got %v\nwant %v", fields, want)
	}

	sk := &SenderKeyRecord{States: []SenderKeyState{{MessageVersion: 105, ChainID: 101,
		ChainKey: &SenderChainKey{Iteration: 21, Seed: h(22)}, SigningKey: &SenderSigningKey{Public: h(31), Private: h(32)},
		MessageKeys: []SenderMessageKey{{Iteration: 41, Seed: h(42)}}}}}
	fields = walk(t, sk.Append(nil))
	want = map[string]string{"1.5": "v105", "1.1": "v101", "1.2.1": "v21", "1.2.2": "b22",
		"1.3.1": "b31", "1.3.2": "b32", "1.4.1": "v41", "1.4.2": "b42"}
	if !reflect.DeepEqual(fields, want) {
		t.Errorf("SenderKeyRecord fields:\n got %v\nwant %v", fields, want)
	}
}

// walk decodes b by hand: single-byte tags and lengths only, which the
// values above guarantee. Length-delimited values of more than one byte
// are descended into as messages; one-byte values are leaves. Field
// numbers must ascend within each message.
func walk(t *testing.T, b []byte) map[string]string {
	out := map[string]string{}
	var rec func(prefix string, b []byte)
	rec = func(prefix string, b []byte) {
		last := 0
		for len(b) > 0 {
			num, typ := int(b[0]>>3), b[0]&7
			if b[0]&0x80 != 0 || num < last {
				t.Fatalf("%s: tag %#x after field %d", prefix, b[0], last)
			}
			last = num
			key := fmt.Sprint(num)
			if prefix != "" {
				key = prefix + "." + key
			}
			switch typ {
			case 0:
				out[key] = fmt.Sprintf("v%d", b[1])
				b = b[2:]
			case 2:
				n := int(b[1])
				v := b[2 : 2+n]
				if n == 1 {
					out[key] = fmt.Sprintf("b%d", v[0])
				} else {
					rec(key, v)
				}
				b = b[2+n:]
			default:
				t.Fatalf("%s: wire type %d", key, typ)
			}
		}
	}
	rec("", b)
	return out
}

func testSenderKeyRecord(keys int) *SenderKeyRecord {
	st := SenderKeyState{MessageVersion: 3, ChainID: 0x12345678,
		ChainKey:   &SenderChainKey{Iteration: 2001, Seed: rep(0x11, 32)},
		SigningKey: &SenderSigningKey{Public: testIdentity, Private: rep(0x22, 32)}}
	for i := range keys {
		st.MessageKeys = append(st.MessageKeys, SenderMessageKey{Iteration: uint32(i), Seed: rep(byte(i), 32)})
	}
	return &SenderKeyRecord{States: []SenderKeyState{st, {ChainID: 7, SigningKey: &SenderSigningKey{Public: testBaseKey}}, {}}}
}

func TestSenderKeyRecordExactBytes(t *testing.T) {
	r := &SenderKeyRecord{States: []SenderKeyState{
		{MessageVersion: 3, ChainID: 1, ChainKey: &SenderChainKey{Iteration: 0, Seed: rep(0x11, 32)},
			SigningKey: &SenderSigningKey{Public: testIdentity}, MessageKeys: []SenderMessageKey{{Iteration: 5, Seed: rep(0x22, 32)}}},
		{},
	}}
	st := cat(h(0x08, 0x01),
		h(0x12, 34, 0x12, 32), rep(0x11, 32),
		h(0x1a, 35, 0x0a, 33), testIdentity,
		h(0x22, 36, 0x08, 0x05, 0x12, 32), rep(0x22, 32),
		h(0x28, 0x03))
	want := cat(h(0x0a, byte(len(st))), st, h(0x0a, 0x00))
	got := r.Append(nil)
	if !bytes.Equal(got, want) {
		t.Fatalf("Append =\n%x\nwant\n%x", got, want)
	}
	back, err := ParseSenderKeyRecord(got)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, r) {
		t.Fatalf("round trip %+v", back)
	}
	big := testSenderKeyRecord(2000)
	back, err = ParseSenderKeyRecord(big.Append(nil))
	if err != nil || !reflect.DeepEqual(back, big) {
		t.Fatalf("big round trip: %v", err)
	}
	if _, err := ParseSenderKeyRecord(h(0x0a, 0x02, 0x10, 0x01)); !errors.Is(err, ErrMalformed) {
		t.Errorf("chain key as varint: %v", err)
	}
	if _, err := ParseSenderKeyRecord(h(0x0a, 0x03, 0x12, 0x01)); !errors.Is(err, ErrTruncated) {
		t.Errorf("truncated: %v", err)
	}
}

// bytesWriter is a BytesWriter of fixed bytes.
type bytesWriter []byte

func (w bytesWriter) EncodedLen() int          { return len(w) }
func (w bytesWriter) AppendTo(b []byte) []byte { return append(b, w...) }

// TestPQWriter: a session state whose SPQR state comes from a PQWriter
// encodes byte for byte as one that holds the same bytes, alone and in a
// record, and an empty writer omits the field as empty bytes do.
func TestPQWriter(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 5000} {
		plain := testSession(1, 3)
		plain.PQRatchetState = rep(0x5a, n)
		written := testSession(1, 3)
		written.PQRatchetState = []byte("ignored when PQWriter is set")
		written.PQWriter = bytesWriter(rep(0x5a, n))
		if a, b := plain.Append(nil), written.Append(nil); !bytes.Equal(a, b) || plain.EncodedLen() != written.EncodedLen() {
			t.Fatalf("%d bytes: session state encodings differ", n)
		}
		pr := &Record{Current: plain, Previous: [][]byte{{1, 2}}}
		wr := &Record{Current: written, Previous: [][]byte{{1, 2}}}
		if a, b := pr.Append([]byte{9}), wr.Append([]byte{9}); !bytes.Equal(a, b) || pr.EncodedLen() != wr.EncodedLen() {
			t.Fatalf("%d bytes: record encodings differ", n)
		}
	}
}
