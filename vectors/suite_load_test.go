package vectors_test

import (
	"testing"

	"github.com/forwardsecret/signal/vectors"
)

// TestSuiteLoaders loads every generated family and checks the suite's
// totals: at least 1,000 vectors, at least 100 of them invalid.
func TestSuiteLoaders(t *testing.T) {
	x, err := vectors.XEdDSASuite()
	if err != nil {
		t.Fatal(err)
	}
	r, err := vectors.RatchetKDF()
	if err != nil {
		t.Fatal(err)
	}
	total, invalid := x.NumberOfVectors+r.NumberOfVectors, x.NumberInvalid+r.NumberInvalid
	for _, v := range []int{3, 4} {
		f, err := vectors.Transcripts(v)
		if err != nil {
			t.Fatal(err)
		}
		total += f.NumberOfVectors
		invalid += f.NumberInvalid
	}
	p, err := vectors.PQXDH()
	if err != nil {
		t.Fatal(err)
	}
	total += len(p.Vectors)
	t.Logf("generated vectors: %d, invalid: %d", total, invalid)
	if total < 1000 || invalid < 100 {
		t.Errorf("suite has %d vectors (%d invalid); want >= 1000 (>= 100 invalid)", total, invalid)
	}
	if _, err := vectors.Transcripts(5); err == nil {
		t.Error("Transcripts(5) succeeded")
	}
}
