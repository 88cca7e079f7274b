package session

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// FanOutOption configures one [Manager.EncryptMany] call.
type FanOutOption func(*fanOutConfig)

type fanOutConfig struct{ workers int }

// FanOutWorkers sets how many addresses [Manager.EncryptMany] encrypts for
// at the same time. n <= 0 (the default) means runtime.GOMAXPROCS(0). With
// a session store that opens a transaction per operation (a [Locker]), n
// also bounds the transactions EncryptMany holds open at once.
func FanOutWorkers(n int) FanOutOption { return func(c *fanOutConfig) { c.workers = n } }

// FanOutResult is the outcome of [Manager.EncryptMany] for one address.
type FanOutResult struct {
	// Address is the recipient.
	Address Address
	// Message is the encrypted message for Address; it is set only when Err
	// is nil.
	Message Message
	// Err is what Encrypt returned for Address (ErrNoSession,
	// ErrStaleSession, an *UntrustedIdentityError, a store error...), or the
	// context's error when EncryptMany stopped before reaching Address.
	Err error
}

// FanOutError is returned by [Manager.EncryptMany] when encrypting failed
// for some of the addresses. The per-address errors are in the results;
// Unwrap returns them all, so errors.Is(err, ErrNoSession) reports whether
// any address lacked a session.
type FanOutError struct {
	Failed, Total int     // addresses that failed, addresses asked for
	first         Address // the first failed address
	errs          []error // the failed results' errors, in address order
}

// Error reports how many addresses failed and the first failure.
func (e *FanOutError) Error() string {
	s := fmt.Sprintf("session: encrypt failed for %d of %d addresses", e.Failed, e.Total)
	if len(e.errs) > 0 {
		s += fmt.Sprintf(" (first: %s: %v)", e.first, e.errs[0])
	}
	return s
}

// Unwrap returns the per-address errors.
func (e *FanOutError) Unwrap() []error { return e.errs }

// EncryptMany encrypts plaintext for every address in addrs, as Encrypt
// does for one, and returns one result per address in the order of addrs.
// It is how a message goes to every device of a group (or of a contact)
// over the pairwise sessions.
//
// Addresses are encrypted for in parallel, by at most the number of workers
// set with [FanOutWorkers] (GOMAXPROCS by default); as everywhere in the
// Manager, operations on one address are serialized, so an address listed
// twice gets two consecutive messages. A failure for one address does not
// stop the others: the error is in that address's result, and EncryptMany
// also returns a *FanOutError (nil when every address succeeded). When ctx
// is done, addresses not yet started get ctx.Err() as their error.
//
// plaintext is only read; the caller must not modify it during the call.
func (m *Manager) EncryptMany(ctx context.Context, addrs []Address, plaintext []byte, opts ...FanOutOption) ([]FanOutResult, error) {
	results := make([]FanOutResult, len(addrs))
	for i, a := range addrs {
		results[i].Address = a
	}
	var cfg fanOutConfig
	for _, o := range opts {
		o(&cfg)
	}
	workers := cfg.workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(addrs))

	var next atomic.Int64
	work := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= len(results) {
				return
			}
			r := &results[i]
			if err := ctx.Err(); err != nil {
				r.Err = err
				continue
			}
			r.Message, r.Err = m.Encrypt(ctx, r.Address, plaintext)
		}
	}
	if workers <= 1 {
		work()
	} else {
		var wg sync.WaitGroup
		for range workers - 1 {
			wg.Go(work)
		}
		work() // the calling goroutine is one of the workers
		wg.Wait()
	}

	var fe *FanOutError
	for i := range results {
		if err := results[i].Err; err != nil {
			if fe == nil {
				fe = &FanOutError{Total: len(results), first: results[i].Address}
			}
			fe.Failed++
			fe.errs = append(fe.errs, err)
		}
	}
	if fe != nil {
		return results, fe
	}
	return results, nil
}
