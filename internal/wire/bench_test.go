package wire

import "testing"

var sinkBytes []byte

func BenchmarkSignalMessageEncode(b *testing.B) {
	m := testSignalMessage()
	m.Ciphertext = rep(0xcc, 160)
	buf := make([]byte, 0, m.EncodedLen())
	b.ReportAllocs()
	for b.Loop() {
		out, err := m.AppendUnsigned(buf[:0])
		if err != nil {
			b.Fatal(err)
		}
		sinkBytes = append(out, testMAC[:]...)
	}
}

func BenchmarkSignalMessageParse(b *testing.B) {
	m := testSignalMessage()
	m.Ciphertext = rep(0xcc, 160)
	enc := sealSignalMessage(b, m)
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		p, err := ParseSignalMessage(enc)
		if err != nil {
			b.Fatal(err)
		}
		sinkBytes = p.MACInput
	}
}

func BenchmarkPreKeySignalMessageParse(b *testing.B) {
	enc := must(testPreKeyMessage(b).Append(nil))
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		p, err := ParsePreKeySignalMessage(enc)
		if err != nil {
			b.Fatal(err)
		}
		sinkBytes = p.Inner.MACInput
	}
}

// The big record: a current state and 40 archived ones, each with 2,000
// stored message keys.

func BenchmarkRecordEncode(b *testing.B) {
	rec := bigRecord()
	buf := make([]byte, 0, rec.EncodedLen())
	b.SetBytes(int64(cap(buf)))
	b.ReportAllocs()
	for b.Loop() {
		sinkBytes = rec.Append(buf[:0])
	}
}

func BenchmarkRecordParse(b *testing.B) {
	enc := bigRecord().Append(nil)
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := ParseRecord(enc)
		if err != nil {
			b.Fatal(err)
		}
		sinkBytes = r.Current.RootKey
	}
}

// BenchmarkRecordParseAll also parses every archived state.
func BenchmarkRecordParseAll(b *testing.B) {
	enc := bigRecord().Append(nil)
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := ParseRecord(enc)
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range r.Previous {
			s, err := ParseSessionStructure(p)
			if err != nil {
				b.Fatal(err)
			}
			sinkBytes = s.RootKey
		}
	}
}

// BenchmarkSessionStructureEncode encodes one state with 2,000 stored keys
// (what archiving the current state costs).
func BenchmarkSessionStructureEncode(b *testing.B) {
	s := testSession(1, 2000)
	buf := make([]byte, 0, s.EncodedLen())
	b.SetBytes(int64(cap(buf)))
	b.ReportAllocs()
	for b.Loop() {
		sinkBytes = s.Append(buf[:0])
	}
}

func BenchmarkSessionStructureParse(b *testing.B) {
	enc := testSession(1, 2000).Append(nil)
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		s, err := ParseSessionStructure(enc)
		if err != nil {
			b.Fatal(err)
		}
		sinkBytes = s.RootKey
	}
}
