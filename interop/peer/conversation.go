package peer

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
)

// Script describes a conversation between an initiator and a responder.
type Script struct {
	// Messages is the number of messages to send in total (both directions).
	Messages int
	// MaxBurst is the largest number of messages one side sends before the
	// other side answers (a DH ratchet turn). At least 1.
	MaxBurst int
	// Shuffle delivers the messages of each burst in a random order
	// (out-of-order delivery within a chain).
	Shuffle bool
	// HoldBack keeps one message of some bursts undelivered until after
	// the other side's next burst (delivery from an older receiving chain).
	HoldBack bool
	// Seed drives burst sizes, shuffles, hold-backs and plaintexts.
	Seed uint64
	// OnSend, if set, sees every message as it is sent (for transcripts).
	OnSend func(idx int, from string, m Message)
}

// Stats counts what a conversation did.
type Stats struct {
	Sent, Delivered   int
	PreKeyMessages    int // type 3 messages sent
	SignalMessages    int // type 2 messages sent
	Turns             int // changes of sending direction (DH ratchet turns)
	OutOfOrder        int // messages delivered before an earlier one of the same chain
	DeliveredLate     int // held-back messages delivered after a ratchet turn
	MaxBurstDelivered int
}

// String summarizes the counts on one line.
func (s Stats) String() string {
	return fmt.Sprintf("sent=%d delivered=%d prekey=%d signal=%d turns=%d out-of-order=%d late=%d",
		s.Sent, s.Delivered, s.PreKeyMessages, s.SignalMessages, s.Turns, s.OutOfOrder, s.DeliveredLate)
}

// Side is a party together with the address its correspondent uses for it.
type Side struct {
	Party Party
	Addr  Address
}

// Establish has initiator fetch responder's bundle (made per req) and
// process it. It returns the bundle that was used.
func Establish(ctx context.Context, initiator, responder Side, req BundleRequest) (Bundle, error) {
	b, err := responder.Party.Bundle(ctx, req)
	if err != nil {
		return b, fmt.Errorf("%s: bundle: %w", responder.Party.Label(), err)
	}
	if err := initiator.Party.ProcessBundle(ctx, responder.Addr, b); err != nil {
		return b, fmt.Errorf("%s: process_bundle from %s: %w", initiator.Party.Label(), responder.Party.Label(), err)
	}
	has, err := initiator.Party.HasSession(ctx, responder.Addr)
	if err != nil {
		return b, fmt.Errorf("%s: has_session: %w", initiator.Party.Label(), err)
	}
	if !has {
		return b, fmt.Errorf("%s: no session after process_bundle", initiator.Party.Label())
	}
	return b, nil
}

type inFlight struct {
	from, to Side
	idx      int // global sequence number
	chainPos int // position within its burst
	msg      Message
	pt       []byte
}

// Converse runs script between initiator (which has processed responder's
// bundle, see [Establish]) and responder. Every message must decrypt to
// what was sent; message types must follow the protocol: the initiator
// sends PreKeySignalMessages until it has decrypted a reply, everything
// else is a SignalMessage.
func Converse(ctx context.Context, initiator, responder Side, s Script) (Stats, error) {
	var st Stats
	if s.MaxBurst < 1 {
		s.MaxBurst = 1
	}
	rng := rand.New(rand.NewPCG(s.Seed, 0x5eed))
	initiatorHasReceived := false
	var held []inFlight // delivered after the other side's next burst
	deliver := func(m inFlight) error {
		pt, err := m.to.Party.Decrypt(ctx, m.from.Addr, m.msg)
		if err != nil {
			return fmt.Errorf("message #%d (%s -> %s, type %d, burst position %d): decrypt: %w",
				m.idx, m.from.Party.Label(), m.to.Party.Label(), m.msg.Type, m.chainPos, err)
		}
		if !bytes.Equal(pt, m.pt) {
			return fmt.Errorf("message #%d (%s -> %s): plaintext mismatch: got %x want %x",
				m.idx, m.from.Party.Label(), m.to.Party.Label(), pt, m.pt)
		}
		if m.to.Party == initiator.Party {
			initiatorHasReceived = true
		}
		st.Delivered++
		return nil
	}
	sender, receiver := initiator, responder
	for st.Sent < s.Messages {
		n := 1 + rng.IntN(s.MaxBurst)
		if n > s.Messages-st.Sent {
			n = s.Messages - st.Sent
		}
		burst := make([]inFlight, 0, n)
		for i := range n {
			pt := make([]byte, 1+rng.IntN(80))
			for j := range pt {
				pt[j] = byte(rng.Uint32())
			}
			copy(pt, fmt.Sprintf("%d:", st.Sent))
			m, err := sender.Party.Encrypt(ctx, receiver.Addr, pt)
			if err != nil {
				return st, fmt.Errorf("message #%d (%s -> %s): encrypt: %w", st.Sent, sender.Party.Label(), receiver.Party.Label(), err)
			}
			want := TypeSignal
			if sender.Party == initiator.Party && !initiatorHasReceived {
				want = TypePreKey
			}
			if m.Type != want {
				return st, fmt.Errorf("message #%d (%s -> %s): type %d, want %d", st.Sent, sender.Party.Label(), receiver.Party.Label(), m.Type, want)
			}
			if s.OnSend != nil {
				s.OnSend(st.Sent, sender.Party.Label(), m)
			}
			if m.Type == TypePreKey {
				st.PreKeyMessages++
			} else {
				st.SignalMessages++
			}
			burst = append(burst, inFlight{sender, receiver, st.Sent, i, m, pt})
			st.Sent++
		}
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		if s.Shuffle {
			rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		var hold = -1
		if s.HoldBack && n >= 2 && rng.IntN(3) == 0 {
			hold = order[rng.IntN(n)]
		}
		// Messages held back from the previous burst of the other side were
		// sent before this burst: deliver them now, after a ratchet turn.
		var next []inFlight
		maxSeen := -1
		for _, i := range order {
			if i == hold {
				next = append(next, burst[i])
				continue
			}
			if i < maxSeen {
				st.OutOfOrder++
			}
			maxSeen = max(maxSeen, i)
			if err := deliver(burst[i]); err != nil {
				return st, err
			}
		}
		for _, m := range held {
			if err := deliver(m); err != nil {
				return st, fmt.Errorf("held-back %w", err)
			}
			st.DeliveredLate++
		}
		held = next
		// Usually the other side answers (a DH ratchet turn); sometimes the
		// same side keeps sending on the same chain.
		if rng.IntN(4) != 0 {
			sender, receiver = receiver, sender
			st.Turns++
		}
	}
	for _, m := range held {
		if err := deliver(m); err != nil {
			return st, fmt.Errorf("held-back %w", err)
		}
		st.DeliveredLate++
	}
	if st.Delivered != st.Sent {
		return st, fmt.Errorf("delivered %d of %d messages", st.Delivered, st.Sent)
	}
	return st, nil
}
