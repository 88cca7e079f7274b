package main

// The sessions. Delivery orders are explicit or drawn from each session's
// own ChaCha8 stream (deterministic). Every session follows python-omemo's
// automatic empty messages (see sess.deliver), so that python-omemo can
// replay it byte for byte.

type script struct {
	id, desc string
	bundles  bool
	run      func(t *sess)
}

func (t *sess) turns(sizes []int, from string, invalidsAt map[int]bool) {
	for i, n := range sizes {
		ids := t.burst(from, n)
		order := t.shuffled(ids)
		if invalidsAt[i] {
			t.messageInvalids(t.msgs[order[0]])
		}
		t.deliver(order...)
		if from == "alice" {
			from = "bob"
		} else {
			from = "alice"
		}
	}
}

func scripts() []script {
	return []script{
		{id: "basic", bundles: true,
			desc: "Key exchange and the responder's automatic empty message, then 10 turns of bursts delivered shuffled; every kind of invalid message and bundle.",
			run: func(t *sess) {
				a0 := t.send("alice", false)
				t.kexInvalids(t.msgs[a0])
				t.deliver(a0)
				t.deliverAutos()
				t.turns([]int{5, 4, 3, 6, 2, 1, 7, 3, 4, 5}, "alice", map[int]bool{0: true, 1: true, 3: true})
				t.replayInvalid(t.received["alice"][len(t.received["alice"])-3])
				last := t.send("bob", false)
				t.replayInvalid(t.received["alice"][0])
				t.deliver(last)
			}},
		{id: "unconfirmed", desc: "The initiator sends four key-exchange messages before any answer (delivered 2, 0, 3, 1: the first one received builds the session, the others reuse it; each is answered by an automatic empty message, two of which are never delivered), then the conversation goes on without key exchanges.",
			run: func(t *sess) {
				ids := t.burst("alice", 4)
				t.deliver(ids[2], ids[0], ids[3], ids[1])
				autos := t.autos
				t.autos = nil
				t.replayInvalid(ids[2])
				r := t.burst("bob", 3)
				t.deliver(autos[3], r[0], autos[0], r[2], r[1])
				a := t.burst("alice", 3)
				t.deliver(a[1], a[2], a[0])
				b := t.burst("bob", 2)
				t.deliver(b[1], b[0])
				t.deliver(t.send("alice", false))
			}},
		{id: "held_back", desc: "Messages held back across DH ratchet steps: the last message of a chain arrives after messages of the next chain (its key comes from pn), and one message waits two turns.",
			run: func(t *sess) {
				t.deliver(t.send("alice", false))
				t.deliverAutos()
				t.deliver(t.send("bob", false))
				a := t.burst("alice", 4)
				t.deliver(a[0], a[1], a[2]) // a[3] held back
				b := t.burst("bob", 3)
				t.deliver(b[0], b[2]) // b[1] held back
				a2 := t.burst("alice", 3)
				t.deliver(a2[1], a2[0])
				t.messageInvalids(t.msgs[a[3]])
				t.deliver(a[3], a2[2])
				b2 := t.burst("bob", 2)
				t.deliver(b2[1])
				a3 := t.burst("alice", 2)
				t.deliver(a3...)
				t.deliver(b[1], b2[0]) // two turns late
				t.replayInvalid(a[3])
				t.deliver(t.send("bob", false))
			}},
		{id: "skip_limit", desc: "A message preceded by exactly 1,000 undelivered messages of its chain (the most a receiver may skip: valid), then invalid messages 1,001 ahead; the receiver's chain is then past 53 keys, so it sends automatic empty messages (staleness prevention).",
			run: func(t *sess) {
				t.deliver(t.send("alice", false))
				t.deliverAutos()
				t.deliver(t.send("bob", false))
				id := t.sendAfter("alice", 1000)
				t.deliver(id)
				next := t.send("alice", false)
				t.messageInvalids(t.msgs[next])
				t.deliver(next)
				t.deliverAutos()
				t.deliver(t.send("alice", false))
			}},
		{id: "long", desc: "A 200-message conversation: bursts of 1 to 9 delivered shuffled.",
			run: func(t *sess) {
				t.deliver(t.send("alice", false))
				t.deliverAutos()
				from := "alice"
				for len(t.msgs) < 200 {
					ids := t.burst(from, 1+t.rng.IntN(9))
					t.deliver(t.shuffled(ids)...)
					if from == "alice" {
						from = "bob"
					} else {
						from = "alice"
					}
				}
			}},
	}
}
