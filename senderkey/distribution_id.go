package senderkey

import "crypto/rand"

// NewDistributionID returns a new random distribution id: a version 4 UUID
// (RFC 9562), 122 bits from crypto/rand, as Signal clients make them. A
// sender makes one per group, and a new one whenever the group's members
// change in a way that must lock someone out (a member leaves or is
// removed): the new id starts a new chain that the departed member never
// receives.
func NewDistributionID() DistributionID {
	var d DistributionID
	rand.Read(d[:])
	d[6] = d[6]&0x0f | 0x40 // version 4
	d[8] = d[8]&0x3f | 0x80 // the RFC 9562 variant
	return d
}
