package interop_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/fingerprint"
	"github.com/forwardsecret/signal/interop/peer"
)

// fingerprintID returns a stable identifier as apps use them: for version 1
// an E.164 phone number, for version 2 a 16-byte service id (ACI UUID).
func fingerprintID(rng *mrand.Rand, version uint32) []byte {
	if version == fingerprint.Version1 {
		return fmt.Appendf(nil, "+%d%010d", 1+rng.IntN(99), rng.Int64N(1e10))
	}
	id := make([]byte, 16)
	for i := range id {
		id[i] = byte(rng.Uint32())
	}
	return id
}

// TestFingerprintsMatchNodeV4 computes the safety numbers of 100 random
// identity pairs here and in @signalapp/libsignal-client: versions 1 and 2
// alternating, Signal's 5200 iterations except every tenth pair (a random
// count), both points of view. The display strings and scannable encodings
// must be equal, and each side's Compare must accept the other side's
// scannable form.
func TestFingerprintsMatchNodeV4(t *testing.T) {
	const pairs = 100
	ctx := context.Background()
	p := needPeer(t, peer.KindNodeV4)
	rng := mrand.New(mrand.NewPCG(seedOf(t.Name()), 10))
	for i := range pairs {
		version := uint32(fingerprint.Version1 + i%2)
		iterations := fingerprint.DefaultIterations
		if i%10 == 9 {
			iterations = fingerprint.MinIterations + rng.IntN(3000)
		}
		a, err := curve.GenerateKeyPair()
		if err != nil {
			t.Fatal(err)
		}
		b, err := curve.GenerateKeyPair()
		if err != nil {
			t.Fatal(err)
		}
		aID, bID := fingerprintID(rng, version), fingerprintID(rng, version)

		ours, err := fingerprint.New(version, iterations, fingerprint.Party{ID: aID, IdentityKey: a.Public}, fingerprint.Party{ID: bID, IdentityKey: b.Public})
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := p.Fingerprint(ctx, peer.FingerprintRequest{Iterations: iterations, Version: version,
			LocalID: aID, LocalKey: a.Public.Bytes(), RemoteID: bID, RemoteKey: b.Public.Bytes()})
		if err != nil {
			t.Fatal(err)
		}
		if ours.DisplayString() != theirs.Display || !bytes.Equal(ours.Scannable(), theirs.Scannable) {
			t.Fatalf("pair %d (v%d, %d iterations, ids %x / %x):\nours     %s %x\nlibsignal %s %x",
				i, version, iterations, aID, bID, ours.DisplayString(), ours.Scannable(), theirs.Display, theirs.Scannable)
		}

		// The other side's view, from libsignal: same digits, and its
		// scannable form is what our Compare accepts.
		other, err := p.Fingerprint(ctx, peer.FingerprintRequest{Iterations: iterations, Version: version,
			LocalID: bID, LocalKey: b.Public.Bytes(), RemoteID: aID, RemoteKey: a.Public.Bytes()})
		if err != nil {
			t.Fatal(err)
		}
		if other.Display != ours.DisplayString() {
			t.Fatalf("pair %d: the other side's digits differ: %s vs %s", i, other.Display, ours.DisplayString())
		}
		if ok, err := ours.Compare(other.Scannable); !ok || err != nil {
			t.Fatalf("pair %d: Compare(libsignal's other side) = %v, %v", i, ok, err)
		}
		if ok, err := ours.Compare(theirs.Scannable); ok || err != nil {
			t.Fatalf("pair %d: Compare(our own side) = %v, %v, want false", i, ok, err)
		}
	}
	t.Logf("%d random identity pairs (v1 phone numbers, v2 service ids): display and scannable equal to libsignal's, both points of view", pairs)
}

// TestFingerprintVersionMismatchNodeV4: a scannable fingerprint of the other
// version, made by libsignal, is a VersionMismatchError for our Compare.
func TestFingerprintVersionMismatchNodeV4(t *testing.T) {
	ctx := context.Background()
	p := needPeer(t, peer.KindNodeV4)
	a, _ := curve.GenerateKeyPair()
	b, _ := curve.GenerateKeyPair()
	ours, err := fingerprint.New(fingerprint.Version2, fingerprint.DefaultIterations, fingerprint.Party{ID: []byte("a"), IdentityKey: a.Public}, fingerprint.Party{ID: []byte("b"), IdentityKey: b.Public})
	if err != nil {
		t.Fatal(err)
	}
	v1, err := p.Fingerprint(ctx, peer.FingerprintRequest{Iterations: fingerprint.DefaultIterations, Version: fingerprint.Version1,
		LocalID: []byte("b"), LocalKey: b.Public.Bytes(), RemoteID: []byte("a"), RemoteKey: a.Public.Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	if v1.Display != ours.DisplayString() {
		t.Fatalf("digits depend on the version: %s vs %s", v1.Display, ours.DisplayString())
	}
	var vm *fingerprint.VersionMismatchError
	if ok, err := ours.Compare(v1.Scannable); ok || !errors.As(err, &vm) || vm.Theirs != 1 || vm.Ours != 2 {
		t.Fatalf("Compare(v1 from libsignal) = %v, %v", ok, err)
	}
}
