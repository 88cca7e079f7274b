package prekey

import (
	"slices"
	"time"
)

// Policy says when a device replaces which of its keys.
type Policy struct {
	// RotateAfter is the age at which the signed prekey and the
	// last-resort KEM prekey are replaced.
	RotateAfter time.Duration
	// MinOneTime is the count of one-time keys of a kind (EC or KEM) on
	// the server below which the device uploads more.
	MinOneTime int
	// Batch is how many one-time keys of a kind a refill generates.
	Batch int
	// KeepReplaced is how long a replaced signed prekey or last-resort KEM
	// prekey stays in the store: a peer that fetched a bundle holding it
	// may send a PreKey message naming it that long after.
	KeepReplaced time.Duration
}

// DefaultPolicy is Signal-Android's: rotate every two days, refill a
// hundred one-time keys when fewer than ten remain, keep replaced keys for
// thirty days.
var DefaultPolicy = Policy{RotateAfter: 48 * time.Hour, MinOneTime: 10, Batch: 100, KeepReplaced: 30 * 24 * time.Hour}

// Status is what a device knows of its keys when it checks them.
type Status struct {
	// Now is the time of the check.
	Now time.Time
	// SignedPreKey is when the current signed prekey was made
	// (x3dh.SignedPreKey.Timestamp); the zero time means there is none.
	SignedPreKey time.Time
	// LastResortKEMPreKey is when the current last-resort KEM prekey was
	// made; the zero time means there is none.
	LastResortKEMPreKey time.Time
	// OneTimePreKeys is how many one-time prekeys the server still holds
	// (Signal-Server reports both counts: GET /v2/keys).
	OneTimePreKeys int
	// OneTimeKEMPreKeys is how many one-time KEM prekeys it still holds.
	OneTimeKEMPreKeys int
}

// Plan returns what to generate now: a signed prekey if there is none or it
// is RotateAfter old, the same for the last-resort KEM prekey, and Batch
// one-time keys of each kind of which the server holds fewer than
// MinOneTime. Pass the result to Generate with the device's IDs (unless it
// IsZero), store the set, then upload it.
func (p Policy) Plan(s Status) Request {
	old := func(t time.Time) bool { return t.IsZero() || s.Now.Sub(t) >= p.RotateAfter }
	var r Request
	r.SignedPreKey = old(s.SignedPreKey)
	r.LastResortKEMPreKey = old(s.LastResortKEMPreKey)
	if s.OneTimePreKeys < p.MinOneTime {
		r.OneTimePreKeys = p.Batch
	}
	if s.OneTimeKEMPreKeys < p.MinOneTime {
		r.OneTimeKEMPreKeys = p.Batch
	}
	return r
}

// Dated is a repeated-use key, a signed prekey or a last-resort KEM prekey,
// as Expired sees it: its id and when it was made.
type Dated struct {
	// ID is the key's id.
	ID uint32
	// Created is when the key was made (its Timestamp).
	Created time.Time
}

// Expired returns the ids of the keys of one kind that may be deleted from
// the store at now. The newest key (the current one) always stays; each
// older key was replaced when the next newer one was made, and expires
// KeepReplaced after that.
func (p Policy) Expired(now time.Time, keys []Dated) []uint32 {
	sorted := slices.Clone(keys)
	slices.SortStableFunc(sorted, func(a, b Dated) int { return a.Created.Compare(b.Created) })
	var out []uint32
	for i := 0; i+1 < len(sorted); i++ {
		if now.Sub(sorted[i+1].Created) > p.KeepReplaced {
			out = append(out, sorted[i].ID)
		}
	}
	return out
}
