package senderkey

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/wire"
)

// Cipher runs the sender-key operations against a Store. It is safe for
// concurrent use: operations on the same (sender, distribution id) run one
// at a time, others in parallel. If the store is a Locker, each operation
// also runs under its lock, so that processes sharing the store take turns
// too.
type Cipher struct {
	store Store
	locks keyedLocks
}

// NewCipher returns a Cipher that keeps its records in store.
func NewCipher(store Store) *Cipher { return &Cipher{store: store} }

// locked runs f on the record of (sender, id) (nil if none is stored) under
// the in-process lock of (sender, id) and, if the store is a Locker, its
// lock: f makes its store calls with the context it is given. The store's
// lock commits if f returns nil and is undone otherwise; a failed commit
// is locked's error.
func (c *Cipher) locked(ctx context.Context, sender Sender, id DistributionID, f func(ctx context.Context, rec *Record) error) (err error) {
	release, err := c.locks.lock(ctx, storeKey{sender, id})
	if err != nil {
		return err
	}
	defer release()
	if l, ok := c.store.(Locker); ok {
		lctx, unlock, lerr := l.LockSender(ctx, sender, id)
		if lerr != nil {
			return fmt.Errorf("senderkey: locking record of %s: %w", sender, lerr)
		}
		defer func() { // err is locked's result
			if uerr := unlock(err == nil); uerr != nil && err == nil {
				err = fmt.Errorf("senderkey: committing record of %s: %w", sender, uerr)
			}
		}()
		ctx = lctx
	}
	rec, err := c.store.LoadSenderKey(ctx, sender, id)
	if err != nil {
		return fmt.Errorf("senderkey: loading record of %s: %w", sender, err)
	}
	return f(ctx, rec)
}

func (c *Cipher) save(ctx context.Context, sender Sender, id DistributionID, rec *Record) error {
	if err := c.store.StoreSenderKey(ctx, sender, id, rec); err != nil {
		return fmt.Errorf("senderkey: storing record of %s: %w", sender, err)
	}
	return nil
}

// CreateDistributionMessage returns the distribution message of self's
// sender key for distribution id, creating the sender key first if the
// store has none: a random 31-bit chain id (as libsignal-java expects), a
// random chain key at iteration 0 and a fresh signing key pair. The message
// describes the chain as it is now, so members who receive it can decrypt
// messages from the current iteration on.
func (c *Cipher) CreateDistributionMessage(ctx context.Context, self Sender, id DistributionID) (*DistributionMessage, error) {
	var dm *DistributionMessage
	err := c.locked(ctx, self, id, func(ctx context.Context, rec *Record) error {
		if rec == nil || rec.Len() == 0 {
			s, err := newOwnState()
			if err != nil {
				return err
			}
			rec = &Record{}
			rec.add(s)
			if err := c.save(ctx, self, id, rec); err != nil {
				return err
			}
		}
		s := rec.states[0]
		if s.messageVersion() != MessageVersion {
			return fmt.Errorf("%w: chain %d has message version %d", ErrInvalidRecord, s.chainID, s.messageVersion())
		}
		dm = &DistributionMessage{
			distributionID: id,
			chainID:        s.chainID,
			iteration:      s.chain.iteration,
			chainKey:       s.chain.key,
			signingKey:     s.signingPub,
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return dm, nil
}

// newOwnState makes a new sending chain.
func newOwnState() (*state, error) {
	var rnd [4 + ChainKeySize]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, err
	}
	kp, err := curve.GenerateKeyPair()
	if err != nil {
		return nil, err
	}
	s := &state{
		version:     MessageVersion,
		chainID:     binary.BigEndian.Uint32(rnd[:4]) >> 1,
		signingPub:  kp.Public,
		signingPriv: kp.Private.Bytes(),
	}
	copy(s.chain.key[:], rnd[4:])
	clear(rnd[:])
	return s, nil
}

// ProcessDistributionMessage stores the sender key in m as a chain of sender
// for m's distribution id. Processing a chain already held (same chain id and
// signing key) keeps the held progress; a different signing key under the
// same chain id replaces it; beyond MaxSenderKeyStates chains the oldest is
// dropped.
func (c *Cipher) ProcessDistributionMessage(ctx context.Context, sender Sender, m *DistributionMessage) error {
	id := m.distributionID
	return c.locked(ctx, sender, id, func(ctx context.Context, rec *Record) error {
		if rec == nil {
			rec = &Record{}
		}
		rec.add(&state{
			version:    MessageVersion,
			chainID:    m.chainID,
			chain:      chainKey{iteration: m.iteration, key: m.chainKey},
			signingPub: m.signingKey,
		})
		return c.save(ctx, sender, id, rec)
	})
}

// Encrypt encrypts plaintext with self's newest sender key for distribution
// id and returns the signed SenderKeyMessage, which every member that
// processed the distribution message can decrypt. The chain advances by one
// and is stored (with a Locker store, committed) before the message is
// returned; if that fails, Encrypt returns no message.
func (c *Cipher) Encrypt(ctx context.Context, self Sender, id DistributionID, plaintext []byte) ([]byte, error) {
	return c.encrypt(ctx, self, id, plaintext, false)
}

func (c *Cipher) encrypt(ctx context.Context, self Sender, id DistributionID, plaintext []byte, legacy bool) ([]byte, error) {
	if len(plaintext) > MaxPlaintextSize {
		return nil, fmt.Errorf("%w: %d bytes, more than MaxPlaintextSize (%d)", ErrPlaintextTooLarge, len(plaintext), MaxPlaintextSize)
	}
	var out []byte
	err := c.locked(ctx, self, id, func(ctx context.Context, rec *Record) error {
		if rec == nil || rec.Len() == 0 {
			return fmt.Errorf("%w for %s in distribution %s", ErrNoSenderKey, self, id)
		}
		s := rec.states[0]
		if s.messageVersion() != MessageVersion {
			return fmt.Errorf("%w: chain %d has message version %d", ErrInvalidRecord, s.chainID, s.messageVersion())
		}
		signer, err := s.signingKeyPair()
		if err != nil {
			return err
		}
		var seed [32]byte
		var next chainKey
		if err := s.chain.step(&seed, &next); err != nil {
			return err
		}
		mk, err := deriveMessageKeys(&seed)
		clear(seed[:])
		if err != nil {
			return err
		}
		ct := mk.encryptCBC(plaintext)
		clear(mk.key[:])
		var msg []byte
		if legacy {
			msg = appendLegacyMessage(nil, s.chainID, s.chain.iteration, ct)
		} else {
			w := wire.SenderKeyMessage{DistributionID: id, ChainID: s.chainID, Iteration: s.chain.iteration, Ciphertext: ct}
			msg = w.AppendUnsigned(make([]byte, 0, w.EncodedLen()))
		}
		sig, err := signer.Sign(msg)
		if err != nil {
			return err
		}
		s.chain = next
		if err := c.save(ctx, self, id, rec); err != nil {
			return err
		}
		out = append(msg, sig...)
		return nil
	})
	if err != nil {
		// Not even a message whose iteration was stored: the store's
		// commit may have failed.
		return nil, err
	}
	return out, nil
}

// signingKeyPair returns the state's private signing key in signing form.
func (s *state) signingKeyPair() (*curve.IdentityKeyPair, error) {
	if s.signer != nil {
		return s.signer.kp, nil
	}
	if s.signingPriv == nil {
		return nil, fmt.Errorf("%w (chain %d)", ErrNoSigningKey, s.chainID)
	}
	priv, err := curve.NewPrivateKey(s.signingPriv)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRecord, err)
	}
	if priv.PublicKey() != s.signingPub {
		return nil, fmt.Errorf("%w: private and public signing keys of chain %d do not match", ErrInvalidRecord, s.chainID)
	}
	kp, err := curve.NewIdentityKeyPair(priv)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRecord, err)
	}
	s.signer = &signingCache{kp: kp}
	return kp, nil
}

// Decrypt verifies and decrypts a SenderKeyMessage from sender. The message
// names its distribution id and chain id; the matching chain must have been
// processed (ErrNoSenderKey otherwise).
//
// The record is written back only when the signature verified and the body
// decrypted; on any error the stored record is unchanged (with a Locker
// store, the lock is undone), and no plaintext is returned if storing or
// committing the record fails. A message whose key was already used is
// ErrDuplicateMessage, one more than MaxForwardJump iterations ahead is a
// *ForwardJumpError, rejected before any key is derived.
func (c *Cipher) Decrypt(ctx context.Context, sender Sender, message []byte) ([]byte, error) {
	m, err := parseIncoming(message)
	if err != nil {
		return nil, err
	}
	return c.decrypt(ctx, sender, m, nil)
}

// DecryptWith decrypts a SenderKeyMessage from sender like Decrypt, but
// hands the plaintext to handle before the record is stored: if handle
// returns an error, nothing is stored and DecryptWith returns that error,
// so the same message can be decrypted again later (at-least-once delivery
// to the app, as session.Manager.DecryptWith). handle runs while the
// (sender, distribution id) is locked (with a Locker store, inside its
// lock); it must not call the Cipher for the same sender and distribution.
func (c *Cipher) DecryptWith(ctx context.Context, sender Sender, message []byte, handle func(plaintext []byte) error) error {
	m, err := parseIncoming(message)
	if err != nil {
		return err
	}
	if handle == nil {
		handle = func([]byte) error { return nil }
	}
	_, err = c.decrypt(ctx, sender, m, handle)
	return err
}

func parseIncoming(message []byte) (*incoming, error) {
	m, err := wire.ParseSenderKeyMessage(message)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	return &incoming{
		id:        DistributionID(m.DistributionID),
		chainID:   m.ChainID,
		iteration: m.Iteration,
		body:      m.Ciphertext,
		signed:    m.SignatureInput,
		signature: m.Signature[:],
	}, nil
}

// incoming is a parsed group message, in either layout.
type incoming struct {
	id                 DistributionID
	chainID, iteration uint32
	body               []byte // AES-CBC ciphertext
	signed             []byte // the bytes the signature covers, as received
	signature          []byte
}

// decrypt runs one decryption; handle, if not nil, sees the plaintext
// before the record is saved and can veto the save.
func (c *Cipher) decrypt(ctx context.Context, sender Sender, m *incoming, handle func([]byte) error) ([]byte, error) {
	var plaintext []byte
	err := c.locked(ctx, sender, m.id, func(ctx context.Context, rec *Record) error {
		if rec == nil {
			return fmt.Errorf("%w for %s in distribution %s", ErrNoSenderKey, sender, m.id)
		}
		_, s := rec.stateFor(m.chainID)
		if s == nil {
			return fmt.Errorf("%w for %s in distribution %s with chain id %d", ErrNoSenderKey, sender, m.id, m.chainID)
		}
		if s.messageVersion() != MessageVersion {
			return fmt.Errorf("%w: message version %d, chain %d has version %d", ErrInvalidMessage, MessageVersion, s.chainID, s.messageVersion())
		}
		if !s.signingPub.VerifySignature(m.signed, m.signature) {
			return ErrInvalidSignature
		}
		var a advance
		if err := s.plan(&a, m.iteration); err != nil {
			return err
		}
		mk, err := deriveMessageKeys(&a.seed)
		clear(a.seed[:])
		if err != nil {
			return err
		}
		pt, err := mk.decryptCBC(m.body)
		clear(mk.key[:])
		if err != nil {
			return err
		}
		s.commit(&a)
		plaintext = pt
		if handle != nil {
			if err := handle(pt); err != nil {
				return err
			}
		}
		return c.save(ctx, sender, m.id, rec)
	})
	if err != nil {
		// The record was not stored (or its commit failed): no plaintext.
		clear(plaintext)
		return nil, err
	}
	return plaintext, nil
}

// advance is the change to a state that decrypting one message makes,
// computed before anything is changed.
type advance struct {
	seed    [32]byte     // the message's key seed
	stored  int          // index of the used stored key, or -1
	skipped []skippedKey // keys to store, oldest first (only those that will be kept)
	next    chainKey     // the new chain key when stored == -1
}

// plan computes the key of iteration n without changing s.
func (s *state) plan(a *advance, n uint32) error {
	cur := s.chain.iteration
	if n < cur {
		for i := range s.keys {
			if s.keys[i].iteration == n {
				a.stored, a.seed = i, s.keys[i].seed
				return nil
			}
		}
		return fmt.Errorf("%w: iteration %d, chain at %d", ErrDuplicateMessage, n, cur)
	}
	if n-cur > MaxForwardJump {
		return &ForwardJumpError{Iteration: n, Current: cur}
	}
	a.stored = -1
	// Only the last MaxMessageKeys skipped keys can survive the trim in
	// commit, so earlier ones need no seed.
	keepFrom := cur
	if n-cur > MaxMessageKeys {
		keepFrom = n - MaxMessageKeys
	}
	if n > keepFrom {
		a.skipped = make([]skippedKey, 0, n-keepFrom)
	}
	ck := s.chain
	for ck.iteration < n {
		var seed *[32]byte
		if ck.iteration >= keepFrom {
			a.skipped = append(a.skipped, skippedKey{iteration: ck.iteration})
			seed = &a.skipped[len(a.skipped)-1].seed
		}
		var next chainKey
		if err := ck.step(seed, &next); err != nil {
			return err // unreachable: ck.iteration < n
		}
		ck = next
	}
	return ck.step(&a.seed, &a.next)
}

// commit applies a planned advance to s.
func (s *state) commit(a *advance) {
	if a.stored >= 0 {
		s.keys = slices.Delete(s.keys, a.stored, a.stored+1)
		return
	}
	s.keys = append(s.keys, a.skipped...)
	if extra := len(s.keys) - MaxMessageKeys; extra > 0 {
		n := copy(s.keys, s.keys[extra:])
		clear(s.keys[n:])
		s.keys = s.keys[:n]
	}
	s.chain = a.next
}
