package erasure

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"testing"
)

// appendedEncoderState is State's entries made with StateEntryLen and
// AppendStateEntry, which package spqr encodes from.
func appendedEncoderState(t *testing.T, e *Encoder) [][]byte {
	t.Helper()
	var out [][]byte
	for j := range NumPolys {
		b := e.AppendStateEntry([]byte{0xaa}, j)
		if len(b)-1 != e.StateEntryLen(j) || b[0] != 0xaa {
			t.Fatalf("entry %d: appended %d bytes, StateEntryLen %d", j, len(b)-1, e.StateEntryLen(j))
		}
		out = append(out, b[1:])
	}
	return out
}

// TestEncoderCopy: a copy of an Encoder value advances on its own (also
// across the switch to coefficients), and the entry appenders agree with
// State in both forms.
func TestEncoderCopy(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	e, _ := NewEncoder(randMsg(r, 1184))
	for range 30 {
		e.Next()
	}
	c := *e
	before := e.State()
	for range 50 { // the copy switches to coefficients at chunk 37
		c.Next()
	}
	if !reflect.DeepEqual(e.State(), before) {
		t.Fatal("advancing a copy changed the original")
	}
	for _, enc := range []*Encoder{e, &c} {
		s := enc.State()
		entries := s.Points
		if enc.StateIsPolys() {
			entries = s.Polys
		}
		if s.Polys != nil != enc.StateIsPolys() || !reflect.DeepEqual(appendedEncoderState(t, enc), entries) {
			t.Fatal("the entry appenders disagree with State")
		}
	}
	if !c.StateIsPolys() || e.StateIsPolys() {
		t.Fatal("expected the copy in coefficient form, the original in point form")
	}
	d := *e
	for range 50 {
		if c1, c2 := d.Next(), e.Next(); c1 != c2 {
			t.Fatal("two copies give different chunks")
		}
	}
}

// TestDecoderClone: a clone collects chunks on its own; the entry
// appenders and StateFields agree with State; SetState leaves the decoder
// unchanged on error.
func TestDecoderClone(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	msg := randMsg(r, 1088)
	e, _ := NewEncoder(msg)
	d, _ := NewDecoder(len(msg))
	for range 20 {
		d.Add(e.Next())
	}
	c := d.Clone()
	before := d.State()
	for range 20 {
		c.Add(e.Next())
	}
	if !reflect.DeepEqual(d.State(), before) {
		t.Fatal("adding to a clone changed the original")
	}
	if got, ok := c.Message(); !ok || !bytes.Equal(got, msg) {
		t.Fatal("the clone does not decode")
	}
	if _, ok := d.Message(); ok {
		t.Fatal("the original decodes without the chunks")
	}
	for _, dec := range []*Decoder{d, c} {
		s := dec.State()
		pts, polys, complete := dec.StateFields()
		if pts != s.PtsNeeded || polys != s.Polys || complete != s.IsComplete {
			t.Fatal("StateFields disagrees with State")
		}
		for j := range NumPolys {
			b := dec.AppendStateEntry(nil, j)
			if len(b) != dec.StateEntryLen(j) || !bytes.Equal(b, s.Points[j]) {
				t.Fatalf("entry %d disagrees with State", j)
			}
		}
	}
	saved := c.State()
	if err := c.SetState(DecoderState{PtsNeeded: 1, Points: make([][]byte, NumPolys)}, len(msg)); err == nil {
		t.Fatal("a mismatched state was accepted")
	}
	ee := *e
	if err := ee.SetState(EncoderState{Points: [][]byte{{1}}}, 10); err == nil {
		t.Fatal("a malformed encoder state was accepted")
	}
	if !reflect.DeepEqual(c.State(), saved) || !reflect.DeepEqual(ee.State(), e.State()) {
		t.Fatal("a failed SetState changed the receiver")
	}
}
