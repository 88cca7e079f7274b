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
