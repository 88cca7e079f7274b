package senderkey

import (
	"bytes"
	"context"
	"testing"

	"github.com/forwardsecret/signal/internal/cputime"
)

var sinkBytes []byte

// BenchmarkEncrypt100 is one group message of 100 bytes: load, chain step,
// AES-CBC, XEdDSA signature, store (MemoryStore).
func BenchmarkEncrypt100(b *testing.B) {
	alice := newMember("alice", 1)
	distribute(b, alice)
	pt := bytes.Repeat([]byte{'a'}, 100)
	ctx := context.Background()
	b.ReportAllocs()
	defer cputime.MeasureThread(b)()
	b.SetBytes(100)
	for b.Loop() {
		ct, err := alice.c.Encrypt(ctx, alice.addr, testDist, pt)
		if err != nil {
			b.Fatal(err)
		}
		sinkBytes = ct
	}
}

// BenchmarkDecrypt100 is receiving one in-order group message of 100 bytes:
// parse, load, signature verification, chain step, AES-CBC, store.
func BenchmarkDecrypt100(b *testing.B) {
	alice, bob := newMember("alice", 1), newMember("bob", 1)
	distribute(b, alice, bob)
	pt := bytes.Repeat([]byte{'a'}, 100)
	msgs := make([][]byte, b.N)
	for i := range msgs {
		msgs[i] = encrypt(b, alice, pt)
	}
	ctx := context.Background()
	b.ReportAllocs()
	defer cputime.MeasureThread(b)()
	b.SetBytes(100)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := bob.c.Decrypt(ctx, alice.addr, msgs[i])
		if err != nil {
			b.Fatal(err)
		}
		sinkBytes = out
	}
}

// BenchmarkDecryptOutOfOrder100 receives the messages of each block of 100
// in reverse: the first one skips 99 keys, the rest use stored keys.
func BenchmarkDecryptOutOfOrder100(b *testing.B) {
	alice, bob := newMember("alice", 1), newMember("bob", 1)
	distribute(b, alice, bob)
	pt := bytes.Repeat([]byte{'a'}, 100)
	msgs := make([][]byte, b.N)
	for i := range msgs {
		msgs[i] = encrypt(b, alice, pt)
	}
	for lo := 0; lo < len(msgs); lo += 100 {
		hi := min(lo+100, len(msgs))
		for i, j := lo, hi-1; i < j; i, j = i+1, j-1 {
			msgs[i], msgs[j] = msgs[j], msgs[i]
		}
	}
	ctx := context.Background()
	b.ReportAllocs()
	defer cputime.MeasureThread(b)()
	b.SetBytes(100)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := bob.c.Decrypt(ctx, alice.addr, msgs[i])
		if err != nil {
			b.Fatal(err)
		}
		sinkBytes = out
	}
}

var sinkErr error

// BenchmarkRejectForwardJump is refusing a message too far ahead.
func BenchmarkRejectForwardJump(b *testing.B) {
	alice, bob := newMember("alice", 1), newMember("bob", 1)
	distribute(b, alice, bob)
	msg := signedMessage(b, alice, MaxForwardJump+1, make([]byte, 16))
	ctx := context.Background()
	b.ReportAllocs()
	defer cputime.MeasureThread(b)()
	for b.Loop() {
		_, sinkErr = bob.c.Decrypt(ctx, alice.addr, msg)
		if sinkErr == nil {
			b.Fatal("accepted")
		}
	}
}
