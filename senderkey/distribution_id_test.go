package senderkey

import (
	"regexp"
	"testing"
)

func TestNewDistributionID(t *testing.T) {
	uuid4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := make(map[DistributionID]bool)
	for range 1000 {
		d := NewDistributionID()
		if !uuid4.MatchString(d.String()) {
			t.Fatalf("NewDistributionID() = %s, not a version 4 UUID", d)
		}
		if seen[d] {
			t.Fatalf("NewDistributionID() repeated %s", d)
		}
		seen[d] = true
	}
}
