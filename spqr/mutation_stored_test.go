package spqr

import (
	"bytes"
	"errors"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/forwardsecret/signal/internal/erasure"
)

// Tests added for mutants that survived the suite (docs/mutation.md): the
// field reader's tag rules, and the checks of the Braid's stored form
// (V1State) and of its erasure encoder and decoder, each on bytes written
// field by field.

// TestStateFieldTags: the state parser skips unknown fields whatever their
// tag's length (up to field number 2^29-1) and fixed-width fields whatever
// their number (SPQR uses none), and refuses field number 0 and numbers
// above 2^29-1.
func TestStateFieldTags(t *testing.T) {
	base := goodChain().encode()
	want := mustMarshal(t, mustParse(t, base))
	tag := func(num protowire.Number, typ protowire.Type) []byte { return protowire.AppendTag(nil, num, typ) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for _, tc := range []struct {
		name  string
		extra []byte
		ok    bool
	}{
		{"field 15 (one-byte tag)", cat(tag(15, protowire.VarintType), []byte{1}), true},
		{"field 16 (two-byte tag)", cat(tag(16, protowire.VarintType), []byte{0}), true},
		{"field 2047 (two-byte tag), bytes", cat(tag(2047, protowire.BytesType), []byte{1, 9}), true},
		{"field 2^29-1", cat(tag(protowire.MaxValidNumber, protowire.VarintType), []byte{1}), true},
		{"field 2^29", cat(tag(protowire.MaxValidNumber+1, protowire.VarintType), []byte{1}), false},
		{"field 0", []byte{0x00, 0x00}, false},
		{"field 0, bytes", []byte{0x02, 0x00}, false},
		{"field 2 as fixed64", cat(tag(2, protowire.Fixed64Type), make([]byte, 8)), true},
		{"field 3 as fixed32", cat(tag(3, protowire.Fixed32Type), make([]byte, 4)), true},
		{"truncated two-byte tag", []byte{0x80}, false},
	} {
		for _, b := range [][]byte{cat(base, tc.extra), cat(tc.extra, base)} {
			s, err := ParseState(b)
			switch {
			case !tc.ok && !errors.Is(err, ErrStateDecode):
				t.Errorf("%s: %v, want ErrStateDecode", tc.name, err)
			case tc.ok && err != nil:
				t.Errorf("%s: %v", tc.name, err)
			case tc.ok && !bytes.Equal(mustMarshal(t, s), want):
				t.Errorf("%s: the state re-encodes differently from the one without the field", tc.name)
			}
		}
	}
}

func mustParse(t *testing.T, b []byte) *State {
	t.Helper()
	s, err := ParseState(b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestChainEpochUnknownField: an unknown field ahead of a stored chain
// epoch's halves is skipped, and the halves after it are read.
func TestChainEpochUnknownField(t *testing.T) {
	base := goodChain().encode()
	want := mustMarshal(t, mustParse(t, base))
	// Rewrite the chain with field 9 at the front of each epoch (field 3).
	top := fields{b: base}
	var f pfield
	if !top.next(&f) || f.num != 2 {
		t.Fatal("goodChain: no chain field")
	}
	var ch []byte
	r := fields{b: f.b}
	for r.next(&f) {
		switch {
		case f.typ == protowire.VarintType:
			ch = appendVarintField(ch, f.num, f.v)
		case f.num == 3:
			ch = appendRepeatedBytes(ch, 3, append(appendVarintField(nil, 9, 1), f.b...))
		default:
			ch = appendRepeatedBytes(ch, f.num, f.b)
		}
	}
	if r.bad {
		t.Fatal("goodChain: malformed chain")
	}
	s, err := ParseState(appendRepeatedBytes(nil, 2, ch))
	if err != nil {
		t.Fatalf("chain epochs led by an unknown field: %v", err)
	}
	if !bytes.Equal(mustMarshal(t, s), want) {
		t.Error("chain epochs led by an unknown field: the state re-encodes differently")
	}
}

// storedBraidParts is a stored Braid taken apart.
type storedBraidParts struct {
	kind              protowire.Number
	epoch             uint64
	root, mac         []byte
	uc                [][]byte // fields 3… of the unchunked state
	encNum, decNum    protowire.Number
	enc, dec          []byte
	ucX, innerX, topX []byte // appended to the unchunked state, the case, the V1State
}

func (p storedBraidParts) encode() []byte {
	var auth []byte
	auth = appendBytesField(auth, 1, p.root)
	auth = appendBytesField(auth, 2, p.mac)
	var uc []byte
	uc = appendVarintField(uc, 1, p.epoch)
	uc = appendRepeatedBytes(uc, 2, auth)
	for i, v := range p.uc {
		uc = appendBytesField(uc, protowire.Number(3+i), v)
	}
	uc = append(uc, p.ucX...)
	inner := appendRepeatedBytes(nil, 1, uc)
	for num := protowire.Number(2); num <= 3; num++ {
		switch num {
		case p.encNum:
			inner = appendRepeatedBytes(inner, num, p.enc)
		case p.decNum:
			inner = appendRepeatedBytes(inner, num, p.dec)
		}
	}
	inner = append(inner, p.innerX...)
	return append(appendRepeatedBytes(nil, p.kind, inner), p.topX...)
}

// braidWithDecoder returns the parts of a stored Braid of a kind that has a
// decoder (and an encoder if one is reached), from a conversation in
// lockstep.
func braidWithDecoder(t *testing.T) storedBraidParts {
	t.Helper()
	a, b := newPair(t)
	var best *braid
	for range 20 {
		for _, s := range []*State{a, b} {
			p := mustParse(t, mustMarshal(t, s))
			if br := p.st.braid; br != nil && layouts[br.kind].decField != 0 && (best == nil || layouts[br.kind].encField != 0) {
				best = br
			}
		}
		na, msg, _, err := a.Send()
		if err != nil {
			t.Fatal(err)
		}
		nb, _, err := b.Recv(msg)
		if err != nil {
			t.Fatal(err)
		}
		a, b = nb, na // the other one sends next
	}
	if best == nil {
		t.Fatal("no Braid state with a decoder reached")
	}
	l := layouts[best.kind]
	p := storedBraidParts{kind: protowire.Number(best.kind), epoch: best.epoch, root: best.auth.rootKey, mac: best.auth.macKey,
		encNum: l.encField, decNum: l.decField, enc: best.stored.enc, dec: best.stored.dec}
	for _, f := range l.uc {
		p.uc = append(p.uc, *best.field(f))
	}
	if got := p.encode(); !bytes.Equal(got, best.stored.raw) {
		t.Fatalf("kind %d: the parts re-encode to %x, want %x", best.kind, got, best.stored.raw)
	}
	return p
}

// TestStoredBraidChecks: parseBraid skips unknown fields at each level of
// the stored Braid (the V1State, its case, the unchunked state), and
// refuses a malformed field at each level and keys of other than 32 bytes.
func TestStoredBraidChecks(t *testing.T) {
	good := braidWithDecoder(t)
	t.Logf("stored Braid of kind %d (encoder field %d, decoder field %d)", good.kind, good.encNum, good.decNum)
	unknownV := appendVarintField(nil, 20, 1)
	unknownB := appendBytesField(nil, 5, []byte{7})
	for _, tc := range []struct {
		name string
		edit func(p *storedBraidParts)
		ok   bool
	}{
		{"as stored", func(p *storedBraidParts) {}, true},
		{"V1State: unknown varint field 20", func(p *storedBraidParts) { p.topX = unknownV }, true},
		{"V1State: malformed trailing tag", func(p *storedBraidParts) { p.topX = []byte{0x80} }, false},
		{"case: unknown bytes field 5", func(p *storedBraidParts) { p.innerX = unknownB }, true},
		{"case: unknown varint field 20", func(p *storedBraidParts) { p.innerX = unknownV }, true},
		{"case: malformed trailing tag", func(p *storedBraidParts) { p.innerX = []byte{0x80} }, false},
		{"unchunked: unknown bytes field 20", func(p *storedBraidParts) { p.ucX = appendBytesField(nil, 20, []byte{7}) }, true},
		{"unchunked: unknown bytes field just past the layout's", func(p *storedBraidParts) {
			p.ucX = appendBytesField(nil, protowire.Number(3+len(p.uc)), []byte{7})
		}, true},
		{"unchunked: malformed trailing tag", func(p *storedBraidParts) { p.ucX = []byte{0x80} }, false},
		{"root key of 31 bytes", func(p *storedBraidParts) { p.root = p.root[:31] }, false},
		{"MAC key of 31 bytes", func(p *storedBraidParts) { p.mac = p.mac[:31] }, false},
		{"epoch 0", func(p *storedBraidParts) { p.epoch = 0 }, false},
	} {
		p := good
		tc.edit(&p)
		var b braid
		var st storedBraid
		err := parseBraid(p.encode(), &b, &st)
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrStateDecode)) {
			t.Errorf("%s: %v, want ok = %v", tc.name, err, tc.ok)
		}
		if tc.ok && err == nil && (b.kind != stateKind(good.kind) || !bytes.Equal(st.dec, good.dec) || !bytes.Equal(st.enc, good.enc)) {
			t.Errorf("%s: parsed kind %d with another encoder or decoder", tc.name, b.kind)
		}
	}
}

// encoderEntries writes an erasure encoder state as SPQR stores it, with
// extra appended.
func encoderEntries(s erasure.EncoderState, extra []byte) []byte {
	b := appendVarintField(nil, 1, uint64(s.Index))
	for _, v := range s.Points {
		b = appendRepeatedBytes(b, 2, v)
	}
	for _, v := range s.Polys {
		b = appendRepeatedBytes(b, 3, v)
	}
	return append(b, extra...)
}

// TestStoredEncoderEntries: a stored encoder's entries parse the same
// through the parser's fast path (entries under 128 bytes) and its general
// path (longer ones), as Points and as Polys; a Points entry of the wrong
// wire type is refused; an entry may hold exactly the values the message
// needs, ceil(msgLen/32) per polynomial, and not one more.
func TestStoredEncoderEntries(t *testing.T) {
	for _, msgLen := range []int{96, 4096} { // entries of 6 and of 256 bytes
		msg := make([]byte, msgLen)
		for i := range msg {
			msg[i] = byte(i*13 + 1)
		}
		for _, polys := range []bool{false, true} {
			e, err := erasure.NewEncoder(msg)
			if err != nil {
				t.Fatal(err)
			}
			if polys {
				e.Chunk(uint16(msgLen)) // a parity chunk: the encoder keeps coefficients from then on
			}
			s := e.State()
			if e.StateIsPolys() != polys {
				t.Fatalf("encoder holds polynomials: %v, want %v", e.StateIsPolys(), polys)
			}
			var got erasure.Encoder
			if err := parseEncoder(encoderEntries(s, nil), msgLen, &got); err != nil {
				t.Fatalf("%d bytes, polys %v: %v", msgLen, polys, err)
			}
			if got.StateIsPolys() != polys {
				t.Errorf("%d bytes, polys %v: parsed encoder holds polynomials: %v", msgLen, polys, got.StateIsPolys())
			}
			for _, idx := range []uint16{0, 1, 200, 1000} {
				if g, w := got.Chunk(idx), e.Chunk(idx); g != w {
					t.Errorf("%d bytes, polys %v: chunk %d differs", msgLen, polys, idx)
				}
			}
		}
	}

	e, err := erasure.NewEncoder(make([]byte, 60)) // fewer than two values in every entry
	if err != nil {
		t.Fatal(err)
	}
	s := e.State()
	s.Points = s.Points[:erasure.NumPolys-1]
	bad := encoderEntries(s, appendVarintField(nil, 2, 1)) // the 16th entry as a varint
	if err := parseEncoder(bad, 60, nil); !errors.Is(err, ErrStateDecode) {
		t.Errorf("a Points entry as a varint: %v, want ErrStateDecode", err)
	}

	// The last entry claims one byte more than the stored encoder holds.
	full := e.State()
	trunc := encoderEntries(full, nil)
	trunc[len(trunc)-1-len(full.Points[erasure.NumPolys-1])]++ // the 16th entry's length
	if err := parseEncoder(trunc, 60, nil); !errors.Is(err, ErrStateDecode) {
		t.Errorf("a truncated last entry: %v, want ErrStateDecode", err)
	}

	// 64 bytes: at most 2 values (4 bytes) per entry.
	entries := func(last int) erasure.EncoderState {
		s := erasure.EncoderState{Points: make([][]byte, erasure.NumPolys)}
		for i := range s.Points {
			s.Points[i] = make([]byte, 4)
		}
		s.Points[erasure.NumPolys-1] = make([]byte, last)
		return s
	}
	if err := parseEncoder(encoderEntries(entries(4), nil), 64, nil); err != nil {
		t.Errorf("64-byte message, entries of 2 values: %v", err)
	}
	if err := parseEncoder(encoderEntries(entries(6), nil), 64, nil); !errors.Is(err, ErrStateDecode) {
		t.Errorf("64-byte message, an entry of 3 values: %v, want ErrStateDecode", err)
	}
}

// TestStoredDecoderFields: a stored decoder's is_complete flag is read
// (and counted when the decoder's size is computed), and a points entry of
// the wrong wire type is refused.
func TestStoredDecoderFields(t *testing.T) {
	const msgLen = 64
	dec := func(complete bool, entries int, extra []byte) []byte {
		b := appendVarintField(nil, 1, msgLen/2)
		b = appendVarintField(b, 2, erasure.NumPolys)
		for range entries {
			b = appendRepeatedBytes(b, 3, nil)
		}
		b = append(b, extra...)
		if complete {
			b = appendVarintField(b, 4, 1)
		}
		return b
	}
	for _, complete := range []bool{false, true} {
		stored := dec(complete, erasure.NumPolys, nil)
		var d erasure.Decoder
		if err := parseDecoder(stored, msgLen, &d); err != nil {
			t.Fatalf("complete %v: %v", complete, err)
		}
		if _, _, c := d.StateFields(); c != complete {
			t.Errorf("parsed is_complete = %v, want %v", c, complete)
		}
		br := &braid{dec: &d}
		if n, enc := decoderSize(br), appendDecoder(nil, br); n != len(enc) || !bytes.Equal(enc, stored) {
			t.Errorf("complete %v: decoder re-encodes to %x (size %d), want %x", complete, enc, n, stored)
		}
	}
	if err := parseDecoder(dec(false, erasure.NumPolys-1, appendVarintField(nil, 3, 1)), msgLen, nil); !errors.Is(err, ErrStateDecode) {
		t.Errorf("a points entry as a varint: %v, want ErrStateDecode", err)
	}
}
