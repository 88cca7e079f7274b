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

// TestStateCheck: Check accepts exactly the states SetState accepts, with
// the same error, for valid states and for each way a state can be wrong;
// and a decoder restored by SetState takes one more chunk without
// allocating (it has room for one more point per polynomial, as a Clone).
func TestStateCheck(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	msg := randMsg(r, 160)
	e, _ := NewEncoder(msg)
	d, _ := NewDecoder(len(msg))
	for range 3 {
		d.Add(e.Next())
	}
	points := e.State() // systematic values
	e.Next()
	e.Next()
	e.Next() // past the systematic chunks: coefficients
	polys := e.State()
	if points.Polys != nil || polys.Points != nil {
		t.Fatal("the encoder did not switch to coefficients")
	}
	maxValues := (len(msg) + ChunkSize - 1) / ChunkSize
	with := func(entries [][]byte, j int, v []byte) [][]byte {
		c := append([][]byte(nil), entries...)
		c[j] = v
		return c
	}
	encStates := []EncoderState{
		points,
		polys,
		{Index: 3, Points: points.Points, Polys: polys.Polys}, // both
		{Index: 3},                           // neither
		{Points: points.Points[:NumPolys-1]}, // too few
		{Points: with(points.Points, 3, []byte{1, 2, 3})},             // odd length
		{Points: with(points.Points, 3, make([]byte, 2*maxValues+2))}, // too many values
		{Polys: with(polys.Polys, 0, nil)},                            // an empty polynomial
		{Points: with(points.Points, 0, nil)},                         // an empty points entry is fine
	}
	for i, s := range encStates {
		var x Encoder
		if got, want := s.Check(maxValues), x.SetState(s, maxValues); got != want {
			t.Errorf("encoder state %d: Check %v, SetState %v", i, got, want)
		}
	}
	ds := d.State()
	decStates := []struct {
		s      DecoderState
		msgLen int
	}{
		{ds, len(msg)},
		{ds, len(msg) + 2}, // another message length
		{ds, len(msg) + 1}, // odd length (and another PtsNeeded)
		{DecoderState{PtsNeeded: MaxMessageSize/2 + 1, Points: ds.Points}, MaxMessageSize + 2}, // too long
		{DecoderState{PtsNeeded: ds.PtsNeeded, Points: ds.Points[:3]}, len(msg)},
		{DecoderState{PtsNeeded: ds.PtsNeeded, Points: with(ds.Points, 2, []byte{1, 2, 3})}, len(msg)},
		{DecoderState{PtsNeeded: ds.PtsNeeded, Points: with(ds.Points, 2, make([]byte, 4*len(msg)))}, len(msg)},
	}
	for i, c := range decStates {
		var x Decoder
		if got, want := c.s.Check(c.msgLen), x.SetState(c.s, c.msgLen); got != want {
			t.Errorf("decoder state %d: Check %v, SetState %v", i, got, want)
		}
	}
	var restored Decoder
	if err := restored.SetState(ds, len(msg)); err != nil {
		t.Fatal(err)
	}
	for j, ps := range restored.pts {
		if cap(ps) <= len(ps) {
			t.Fatalf("polynomial %d of a restored decoder has no room for another point", j)
		}
	}
	if !reflect.DeepEqual(restored.State(), ds) {
		t.Fatal("the restored decoder's state differs")
	}
}
