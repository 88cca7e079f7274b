package main

import "fmt"

// Conversation scripts: who sends how many messages in each turn, the
// delivery orders, and the list of transcripts.

type turn struct {
	sender string
	count  int
}

type spec struct {
	name     string
	version  int
	kem      string
	oneTime  bool
	turns    []turn
	delivery string // "in_order", "reversed", "shuffled", "held_back", "evict"
	flags    []string
}

func patterns() map[string][]turn {
	return map[string][]turn{
		"one_way":     {{"alice", 12}},
		"ping_pong":   {{"alice", 1}, {"bob", 1}, {"alice", 1}, {"bob", 1}, {"alice", 1}, {"bob", 1}, {"alice", 1}, {"bob", 1}, {"alice", 1}, {"bob", 1}},
		"bursts":      {{"alice", 3}, {"bob", 4}, {"alice", 5}, {"bob", 2}, {"alice", 4}, {"bob", 3}},
		"alice_twice": {{"alice", 2}, {"alice", 3}, {"bob", 2}, {"alice", 2}, {"alice", 1}, {"bob", 1}},
		"long_chain":  {{"alice", 3}, {"bob", 40}, {"alice", 2}},
		"many_turns":  {{"alice", 2}, {"bob", 1}, {"alice", 1}, {"bob", 2}, {"alice", 1}, {"bob", 1}, {"alice", 2}, {"bob", 1}, {"alice", 1}, {"bob", 1}, {"alice", 1}, {"bob", 1}, {"alice", 1}, {"bob", 1}, {"alice", 1}},
		// v4 only (SPQR): a long one-way prefix before Bob's first send,
		// in one turn or two.
		"long_one_way":       {{"alice", 50}, {"bob", 2}, {"alice", 2}, {"bob", 1}},
		"long_one_way_twice": {{"alice", 24}, {"alice", 24}, {"bob", 3}, {"alice", 1}},
		// v4 only: enough traffic for several SPQR epochs.
		"epochs": epochTurns(),
		// Both versions: a chain of 2,005 messages (v3; v4 2,003, see the
		// evict delivery).
		"skipped_keys_bound": {{"alice", 1}, {"bob", 1}, {"alice", maxMessageKeys + 5}},
	}
}

// epochTurns is 40 exchanges of three messages each way.
func epochTurns() []turn {
	var t []turn
	for i := 0; i < 40; i++ {
		t = append(t, turn{"alice", 3}, turn{"bob", 3})
	}
	return t
}

// spqrSpecs are the v4-only transcripts (Kyber1024, which the official
// libsignal accepts): long one-way prefixes and several SPQR epochs.
var spqrSpecs = []struct {
	pattern, delivery string
	oneTime           bool
}{
	{"long_one_way", "shuffled", true},
	{"long_one_way_twice", "held_back", false},
	{"epochs", "in_order", true},
	{"epochs", "reversed", false},
}

var patternOrder = []string{"one_way", "ping_pong", "bursts", "alice_twice", "long_chain", "many_turns"}

// deliveryOrder returns the order in which a turn's messages (0..n-1) are
// received, and which ones are held back until after the next turn.
func deliveryOrder(mode string, n, seed int) (order []int, held []int) {
	for i := 0; i < n; i++ {
		order = append(order, i)
	}
	switch mode {
	case "reversed":
		for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
			order[i], order[j] = order[j], order[i]
		}
	case "shuffled":
		h := fixed(fmt.Sprintf("shuffle %d %d", seed, n), 2*n+2)
		for i := n - 1; i > 0; i-- {
			j := int(h[i]) % (i + 1)
			order[i], order[j] = order[j], order[i]
		}
	case "held_back":
		if n >= 2 {
			held = []int{order[0]}
			order = order[1:]
		}
	}
	return order, held
}

func specs() []spec {
	var out, bounds []spec
	modes := []string{"in_order", "shuffled", "reversed", "held_back"}
	i := 0
	for _, v := range []int{3, 4} {
		kems := []string{""}
		if v == 4 {
			kems = []string{"Kyber1024", "ML-KEM-1024"}
		}
		for _, kem := range kems {
			for _, pat := range patternOrder {
				for _, ot := range []bool{true, false} {
					if kem == "ML-KEM-1024" && pat != "bursts" && pat != "ping_pong" {
						continue
					}
					mode := modes[i%len(modes)]
					i++
					if pat == "long_chain" {
						mode = "shuffled"
					}
					name := fmt.Sprintf("v%d_%s_%s", v, pat, mode)
					if kem != "" {
						name = fmt.Sprintf("v%d_%s_%s_%s", v, kemName(kem), pat, mode)
					}
					flags := []string{pat, mode}
					if ot {
						name += "_one_time"
						flags = append(flags, "one_time_prekey")
					} else {
						flags = append(flags, "no_one_time_prekey")
					}
					out = append(out, spec{name: name, version: v, kem: kem, oneTime: ot, turns: patterns()[pat], delivery: mode, flags: flags})
				}
			}
		}
		bound := spec{name: fmt.Sprintf("v%d_skipped_keys_bound_evict", v), version: v, turns: patterns()["skipped_keys_bound"],
			delivery: "evict", flags: []string{"skipped_keys_bound", "evict", "no_one_time_prekey"}}
		if v == 4 {
			bound.name, bound.kem = "v4_kyber1024_skipped_keys_bound_evict", "Kyber1024"
			bound.turns = []turn{{"alice", 1}, {"bob", 1}, {"alice", maxMessageKeys + 3}}
		}
		bounds = append(bounds, bound)
		if v != 4 {
			continue
		}
		for _, sp := range spqrSpecs {
			name := fmt.Sprintf("v4_kyber1024_%s_%s", sp.pattern, sp.delivery)
			flags := []string{sp.pattern, sp.delivery}
			if sp.oneTime {
				name += "_one_time"
				flags = append(flags, "one_time_prekey")
			} else {
				flags = append(flags, "no_one_time_prekey")
			}
			out = append(out, spec{name: name, version: 4, kem: "Kyber1024", oneTime: sp.oneTime, turns: patterns()[sp.pattern],
				delivery: sp.delivery, flags: flags})
		}
	}
	return append(out, bounds...)
}

func kemName(k string) string {
	if k == "Kyber1024" {
		return "kyber1024"
	}
	return "mlkem1024"
}
