package session

import (
	"errors"

	"github.com/forwardsecret/signal/internal/wire"
)

// Hooks for the decrypt-budget tests of mutation_budget_test.go
// (docs/mutation.md): the budget of one decrypt is internal, so these reach
// it through the current state of a record.

// SkipSending advances the sending chain of the current state of rec by n
// messages, as n encrypts whose messages are never sent would (v3 states
// only: a v4 state's SPQR chain would have to move too). It lets a test
// send a message with a counter of about ratchet.MaxForwardJump without
// encrypting that many through a Manager.
func SkipSending(rec *Record, n int) error {
	if rec.current == nil || rec.current.version != 3 {
		return errors.New("session: SkipSending needs a current v3 state")
	}
	for range n {
		if _, _, _, err := rec.current.ratchet.Encrypt(nil, nil, nil); err != nil {
			return err
		}
	}
	return nil
}

// DecryptCurrentWithin decrypts the SignalMessage body with a copy of the
// current state of rec, on a budget of work (against MaxDecryptWork) and
// spqrSteps (against MaxDecryptSPQRSteps), and returns what is left of
// both. rec does not change.
func DecryptCurrentWithin(rec *Record, body []byte, work, spqrSteps uint32) (pt []byte, workLeft, stepsLeft uint32, err error) {
	if rec.current == nil {
		return nil, 0, 0, errors.New("session: DecryptCurrentWithin needs a current state")
	}
	sm, err := wire.ParseSignalMessage(body)
	if err != nil {
		return nil, 0, 0, err
	}
	s, err := rec.current.clone()
	if err != nil {
		return nil, 0, 0, err
	}
	b := budget{work: work, spqrSteps: spqrSteps}
	pt, err = s.decrypt(sm, &b)
	return pt, b.work, b.spqrSteps, err
}
