package spqr

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// Tests added for mutants that survived the suite (docs/mutation.md).

// chainModel is what a receiving chain direction must do, stated simply: a
// key ahead of the counter is derived (if within the jump bound), a key
// behind it is returned once if it is within maxOOO of the counter.
type chainModel struct {
	ctr       uint32
	requested map[uint32]bool
}

func (m *chainModel) available(at uint32, p ChainParams) bool {
	switch {
	case at > m.ctr:
		return at-m.ctr <= p.maxJump()
	case at < m.ctr:
		return !m.requested[at] && uint64(at)+uint64(p.maxOOO()) >= uint64(m.ctr)
	}
	return false
}

func refChainKeys(seed []byte, n int) [][]byte {
	ref := chainDir{next: seed}
	keys := make([][]byte, n+1)
	for i := 1; i <= n; i++ {
		_, k, err := ref.stepKey()
		if err != nil {
			panic(err)
		}
		keys[i] = k
	}
	return keys
}

// TestChainDirAgainstModel drives copies of one receiving chain (which
// share their key lists, as States of a conversation do) through random
// requests and checks every answer against the model and every key against
// a freshly derived chain.
func TestChainDirAgainstModel(t *testing.T) {
	seed := bytes.Repeat([]byte{0x42}, 32)
	const n = 400
	ref := refChainKeys(seed, n)
	for _, p := range []ChainParams{{MaxJump: 40, MaxOutOfOrderKeys: 10}, {MaxJump: 25, MaxOutOfOrderKeys: 3}, {}} {
		rng := rand.New(rand.NewPCG(1, uint64(p.MaxOutOfOrderKeys)))
		type branch struct {
			d chainDir
			m chainModel
		}
		root := branch{d: chainDir{next: seed}, m: chainModel{requested: map[uint32]bool{}}}
		branches := []*branch{&root}
		for step := range 600 {
			b := branches[rng.IntN(len(branches))]
			if step%50 == 49 && len(branches) < 6 {
				// Fork: a copy shares d.prev with b.
				c := &branch{d: b.d, m: chainModel{ctr: b.m.ctr, requested: map[uint32]bool{}}}
				for k, v := range b.m.requested {
					c.m.requested[k] = v
				}
				branches = append(branches, c)
				continue
			}
			lo := int(b.m.ctr) - 14
			at := uint32(max(1, lo+rng.IntN(14+45)))
			if int(at) > n {
				continue
			}
			want := b.m.available(at, p)
			k, steps, err := b.d.key(7, at, p, ^uint32(0))
			if want != (err == nil) {
				t.Fatalf("%+v step %d: key(%d) at counter %d: err = %v, want available %v", p, step, at, b.m.ctr, err, want)
			}
			if err != nil {
				var ke *KeyError
				if !errors.As(err, &ke) || ke.Index != at || ke.Epoch != 7 {
					t.Fatalf("key(%d): error %v is not a KeyError for it", at, err)
				}
				continue
			}
			if !bytes.Equal(k, ref[at]) {
				t.Fatalf("%+v step %d: key(%d) is not the chain's key", p, step, at)
			}
			wantSteps := uint32(0)
			if at > b.m.ctr {
				wantSteps = at - b.m.ctr
				b.m.ctr = at
			}
			if steps != wantSteps {
				t.Fatalf("key(%d): %d steps, want %d", at, steps, wantSteps)
			}
			b.m.requested[at] = true
			if b.d.ctr != b.m.ctr {
				t.Fatalf("counter %d, want %d", b.d.ctr, b.m.ctr)
			}
		}
	}
}

// TestChainTrimSchedule: with MaxOutOfOrderKeys 10 the history is trimmed
// when it reaches 12 keys (10·11/10 + 1, SPQR's threshold), not before: a
// stored history must match SPQR's byte for byte.
func TestChainTrimSchedule(t *testing.T) {
	p := ChainParams{MaxOutOfOrderKeys: 10}
	d := chainDir{next: bytes.Repeat([]byte{1}, 32)}
	most := 0
	for at := uint32(2); at < 200; at += 2 { // skip one key each time
		if _, _, err := d.key(0, at, p, ^uint32(0)); err != nil {
			t.Fatal(err)
		}
		held := len(d.prev) / keyHistoryEntry
		most = max(most, held)
	}
	if most != 11 {
		t.Fatalf("history peaked at %d keys, want 11 (trimmed on reaching 12)", most)
	}
}

// TestChainDirCopiesIndependent: copies of a chain direction share their
// key list; what one stores must not show up in, or overwrite, another's.
// Taking a key leaves the list with room to spare (a clone rounded up to an
// allocation size class), where appends by two copies would collide.
func TestChainDirCopiesIndependent(t *testing.T) {
	seed := bytes.Repeat([]byte{0x17}, 32)
	ref := refChainKeys(seed, 80)
	p := ChainParams{}
	must := func(d *chainDir, at uint32) {
		t.Helper()
		k, _, err := d.key(0, at, p, ^uint32(0))
		if err != nil || !bytes.Equal(k, ref[at]) {
			t.Fatalf("key %d: %v", at, err)
		}
	}
	d := chainDir{next: seed}
	must(&d, 62) // keys 1..61 kept
	must(&d, 30) // 60 left, in a list with room for more
	a, b := d, d
	must(&a, 64) // a keeps 63
	must(&b, 66) // b keeps 63, 64, 65
	must(&a, 67) // a keeps 65, 66 too
	for _, at := range []uint32{64, 65, 63, 1, 61} {
		must(&b, at)
	}
	for _, at := range []uint32{63, 65, 66, 2, 60} {
		must(&a, at)
	}
	for _, at := range []uint32{30, 63} {
		if _, _, err := a.key(0, at, p, ^uint32(0)); err == nil {
			t.Errorf("copy a returned key %d twice", at)
		}
	}
	must(&d, 61) // the original still has its own keys
}

// TestStepKeyUnavailable: a direction without a chain key, or at the last
// counter, gives no key.
func TestStepKeyUnavailable(t *testing.T) {
	for name, d := range map[string]chainDir{
		"no chain key":    {ctr: 3},
		"last counter":    {ctr: ^uint32(0), next: bytes.Repeat([]byte{1}, 32)},
		"short chain key": {ctr: 3, next: make([]byte, 31)},
	} {
		if _, _, err := d.stepKey(); !errors.Is(err, ErrChainNotAvailable) {
			t.Errorf("%s: err = %v, want ErrChainNotAvailable", name, err)
		}
	}
}
