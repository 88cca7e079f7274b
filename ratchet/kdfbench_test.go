package ratchet

import (
	"testing"

	"github.com/forwardsecret/signal/internal/cputime"
)

// BenchmarkChainStep is one receiving-chain step that keeps its seed (two
// HMACs), the unit of work a forward jump multiplies.
func BenchmarkChainStep(b *testing.B) {
	s := newState()
	b.ReportAllocs()
	stop := cputime.MeasureProcess(b)
	for b.Loop() {
		s.k.ChainStep(&s.k.rck, &s.k.seed)
	}
	stop()
}

// BenchmarkChainStepNoSeed is a step whose key is dropped (one HMAC): most
// of the steps of a long jump.
func BenchmarkChainStepNoSeed(b *testing.B) {
	s := newState()
	b.ReportAllocs()
	stop := cputime.MeasureProcess(b)
	for b.Loop() {
		s.k.ChainStep(&s.k.rck, nil)
	}
	stop()
}

// BenchmarkMessageKeys is the message-key HKDF (80 bytes).
func BenchmarkMessageKeys(b *testing.B) {
	s := newState()
	b.ReportAllocs()
	stop := cputime.MeasureProcess(b)
	for b.Loop() {
		s.k.messageKeys(&s.k.mk, &s.k.seed, nil)
	}
	stop()
}
