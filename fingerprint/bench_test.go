package fingerprint

import (
	"testing"

	"github.com/forwardsecret/signal/internal/cputime"
)

var sinkFingerprint *Fingerprint

// BenchmarkNewFingerprint is one full safety number at DefaultIterations
// (two iterated hashes).
func BenchmarkNewFingerprint(b *testing.B) {
	alice, bob := mustKey(b, libsignalAliceIdentity), mustKey(b, libsignalBobIdentity)
	aID, bID := []byte(libsignalAliceStableID), []byte(libsignalBobStableID)
	b.ReportAllocs()
	defer cputime.MeasureThread(b)()
	for b.Loop() {
		f, err := NewFingerprint(Version2, DefaultIterations, aID, alice, bID, bob)
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
	f, err := NewFingerprint(Version1, DefaultIterations, []byte(libsignalAliceStableID), alice, []byte(libsignalBobStableID), bob)
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
