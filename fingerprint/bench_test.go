package fingerprint

import (
	"testing"

	"github.com/forwardsecret/signal/internal/cputime"
)

var sinkFingerprint *Fingerprint

// BenchmarkNew is one full safety number at DefaultIterations
// (two iterated hashes).
func BenchmarkNew(b *testing.B) {
	alice, bob := mustKey(b, libsignalAliceIdentity), mustKey(b, libsignalBobIdentity)
	aID, bID := []byte(libsignalAliceStableID), []byte(libsignalBobStableID)
	b.ReportAllocs()
	defer cputime.MeasureThread(b)()
	for b.Loop() {
		f, err := New(Version2, DefaultIterations, Party{ID: aID, IdentityKey: alice}, Party{ID: bID, IdentityKey: bob})
		if err != nil {
			b.Fatal(err)
		}
		sinkFingerprint = f
	}
}

var sinkBool bool

// BenchmarkCompare is decoding and comparing a scanned QR payload.
func BenchmarkCompare(b *testing.B) {
	alice, bob := mustKey(b, libsignalAliceIdentity), mustKey(b, libsignalBobIdentity)
	f, err := New(Version1, DefaultIterations, Party{ID: []byte(libsignalAliceStableID), IdentityKey: alice}, Party{ID: []byte(libsignalBobStableID), IdentityKey: bob})
	if err != nil {
		b.Fatal(err)
	}
	scan := mustHex(b, libsignalBobScanV1)
	b.ReportAllocs()
	defer cputime.MeasureThread(b)()
	for b.Loop() {
		ok, err := f.Compare(scan)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
		sinkBool = ok
	}
}
