package spqr

import (
	"testing"

	"github.com/forwardsecret/signal/internal/cputime"
)

// warmPair returns two states 200 lockstep round trips into a conversation
// (mid-epoch, with ML-KEM exchanges under way), the steady state a session
// is in.
func warmPair(b *testing.B) (a, c *State) {
	a, c = newPair(b)
	for range 200 {
		var m []byte
		a, m, _, _ = a.Send()
		c, _, _ = c.Recv(m)
		c, m, _, _ = c.Send()
		a, _, _ = a.Recv(m)
	}
	return a, c
}

// BenchmarkPingPong measures one message each way (Send, Recv, Send, Recv)
// per iteration, committing every result; it reports the SPQR bytes added to
// each Signal message and the stored state size.
func BenchmarkPingPong(b *testing.B) {
	a, c := warmPair(b)
	b.ReportAllocs()
	var msgBytes, n int
	cputime.ThreadLoop(b, func() {
		var m []byte
		a, m, _, _ = a.Send()
		msgBytes += len(m)
		var err error
		if c, _, err = c.Recv(m); err != nil {
			b.Fatal(err)
		}
		c, m, _, _ = c.Send()
		msgBytes += len(m)
		if a, _, err = a.Recv(m); err != nil {
			b.Fatal(err)
		}
		n += 2
	})
	raw, _ := a.MarshalBinary()
	b.ReportMetric(float64(msgBytes)/float64(n), "msg-B/msg")
	b.ReportMetric(float64(len(raw)), "state-B")
}

// BenchmarkOneWay measures Send then Recv of a message in a long one-sided
// run (the Braid stalls waiting for the peer, so this is the chain's cost
// plus state handling).
func BenchmarkOneWay(b *testing.B) {
	a, c := warmPair(b)
	b.ReportAllocs()
	var msgBytes, n int
	cputime.ThreadLoop(b, func() {
		var m []byte
		a, m, _, _ = a.Send()
		msgBytes += len(m)
		var err error
		if c, _, err = c.Recv(m); err != nil {
			b.Fatal(err)
		}
		n++
	})
	b.ReportMetric(float64(msgBytes)/float64(n), "msg-B/msg")
}

// BenchmarkParseMessage measures the message parser on a chunk message.
func BenchmarkParseMessage(b *testing.B) {
	a, _ := warmPair(b)
	_, m, _, _ := a.Send()
	b.ReportAllocs()
	cputime.ThreadLoop(b, func() {
		if _, err := ParseMessage(m); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkStateCodec measures MarshalBinary and ParseState of both sides'
// states in mid-conversation (what a session record's encode and decode
// spend on SPQR).
func BenchmarkStateCodec(b *testing.B) {
	a, c := warmPair(b)
	for _, s := range []struct {
		name string
		st   *State
	}{{"alice", a}, {"bob", c}} {
		raw, _ := s.st.MarshalBinary()
		b.Run("marshal/"+s.name, func(b *testing.B) {
			b.ReportAllocs()
			b.ReportMetric(float64(len(raw)), "state-B")
			cputime.ThreadLoop(b, func() {
				if _, err := s.st.MarshalBinary(); err != nil {
					b.Fatal(err)
				}
			})
		})
		b.Run("parse/"+s.name, func(b *testing.B) {
			b.ReportAllocs()
			cputime.ThreadLoop(b, func() {
				if _, err := ParseState(raw); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// oneWayPair returns the states of bench's OneWay100 scenario: Alice sent
// one message, heard one back, and then sent 20 more (her Braid waits in
// KeysSampled with her ML-KEM keys, about 4 KB; Bob's in HeaderReceived).
func oneWayPair(b *testing.B) (a, c *State) {
	a, c = newPair(b)
	var m []byte
	a, m, _, _ = a.Send()
	c, _, _ = c.Recv(m)
	c, m, _, _ = c.Send()
	a, _, _ = a.Recv(m)
	for range 20 {
		a, m, _, _ = a.Send()
		c, _, _ = c.Recv(m)
	}
	return a, c
}

// BenchmarkOneWaySerialized measures what a store that serializes records
// makes SPQR do per one-way message: parse Alice's stored state (handed
// over, as ParseRecordOwned does), Send, encode the result; the same for
// Bob with Recv. The parts: parse of each side's stored state, and encode
// of the state that the step on it returns.
func BenchmarkOneWaySerialized(b *testing.B) {
	a, c := oneWayPair(b)
	ra, _ := a.MarshalBinary()
	rc, _ := c.MarshalBinary()
	b.Run("message", func(b *testing.B) {
		ra, rc := ra, rc
		b.ReportAllocs()
		cputime.ThreadLoop(b, func() {
			a, err := ParseStateOwned(ra)
			if err != nil {
				b.Fatal(err)
			}
			a, m, _, err := a.Send()
			if err != nil {
				b.Fatal(err)
			}
			ra, _ = a.MarshalBinary()
			c, err := ParseStateOwned(rc)
			if err != nil {
				b.Fatal(err)
			}
			if c, _, err = c.Recv(m); err != nil {
				b.Fatal(err)
			}
			rc, _ = c.MarshalBinary()
		})
		b.ReportMetric(float64(len(ra)), "alice-B")
		b.ReportMetric(float64(len(rc)), "bob-B")
	})
	pa, err := ParseState(ra)
	if err != nil {
		b.Fatal(err)
	}
	pa, m, _, err := pa.Send()
	if err != nil {
		b.Fatal(err)
	}
	pc, err := ParseState(rc)
	if err != nil {
		b.Fatal(err)
	}
	if pc, _, err = pc.Recv(m); err != nil {
		b.Fatal(err)
	}
	for _, s := range []struct {
		name string
		raw  []byte
		next *State
	}{{"alice", ra, pa}, {"bob", rc, pc}} {
		b.Run("parse/"+s.name, func(b *testing.B) {
			b.ReportAllocs()
			cputime.ThreadLoop(b, func() {
				if _, err := ParseStateOwned(s.raw); err != nil {
					b.Fatal(err)
				}
			})
		})
		b.Run("encode/"+s.name, func(b *testing.B) {
			st := s.next.st
			b.ReportAllocs()
			cputime.ThreadLoop(b, func() {
				// A copy each time: its encoded size is not cached yet.
				_, _ = (&State{st: &state{vn: st.vn, chain: st.chain, braid: st.braid}}).MarshalBinary()
			})
		})
	}
}
