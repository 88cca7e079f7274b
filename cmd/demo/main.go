// Command demo runs an Alice and Bob conversation with the library and
// prints each step: Bob publishes a bundle, Alice starts a session, both
// exchange messages (one delivered out of order), both restart by closing
// and reopening their databases, and Bob loses his session (a backup
// restored without it), which the two repair with a decryption-error
// message (package recovery).
//
// Each party keeps its stores (package sqlstore, opened with
// sqlstore/sqlite) in a SQLite file in -dir: alice.db and bob.db. The demo
// starts from empty stores: it removes its own files from an earlier run.
// It compiles no PostgreSQL driver; an app on PostgreSQL opens its store
// with package sqlstore/postgres instead, and the rest is the same.
//
//	go run ./cmd/demo [-pq=false] [-dir DIR]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/recovery"
	"github.com/forwardsecret/signal/sealedsender"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/sqlstore"
	"github.com/forwardsecret/signal/sqlstore/sqlite"
	"github.com/forwardsecret/signal/x3dh"
)

type party struct {
	name  string
	path  string // the SQLite file
	store *sqlstore.Store
	m     *session.Manager
}

func (p *party) addr() session.Address { return session.Address{Name: p.name, DeviceID: 1} }

// newParty makes a party in an empty database, the SQLite file
// dir/NAME.db: its first open creates the device (identity key pair and
// registration id).
func newParty(ctx context.Context, name, dir string) (*party, error) {
	p := &party{name: name, path: filepath.Join(dir, name+".db")}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(p.path + suffix); err != nil && !os.IsNotExist(err) {
			return nil, err
		}
	}
	if err := p.open(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// open opens the party's device, creating it on first start, and makes its
// Manager.
func (p *party) open(ctx context.Context) error {
	st, err := sqlite.OpenDevice(ctx, p.path)
	if err != nil {
		return err
	}
	p.store, p.m = st, session.NewManager(session.StoresOf(st))
	return nil
}

func main() {
	log.SetFlags(0)
	pq := flag.Bool("pq", true, "use PQXDH (v4) with a Kyber1024 prekey; false for X3DH (v3)")
	dir := flag.String("dir", "", "directory for the SQLite stores (default: a temporary directory)")
	flag.Parse()
	if err := run(*pq, *dir); err != nil {
		log.Fatalf("demo: %v", err)
	}
}

func run(pq bool, dir string) error {
	ctx := context.Background()
	if dir == "" {
		d, err := os.MkdirTemp("", "signal-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	alice, err := newParty(ctx, "alice", dir)
	if err != nil {
		return err
	}
	defer func() { alice.store.Close() }()
	bob, err := newParty(ctx, "bob", dir)
	if err != nil {
		return err
	}
	defer func() { bob.store.Close() }()

	// 1. Bob makes and publishes his prekeys.
	pub, err := newPublisher(ctx, bob, pq)
	if err != nil {
		return err
	}
	enc, err := pub.bundle(ctx)
	if err != nil {
		return err
	}
	profile := "v3 (X3DH)"
	if pq {
		profile = "v4 (PQXDH, Kyber1024)"
	}
	fmt.Printf("1. Bob publishes a bundle: %d bytes, profile %s\n", len(enc), profile)

	// 2. Alice fetches it and starts a session.
	fetched, err := x3dh.ParseBundle(enc)
	if err != nil {
		return err
	}
	if err := alice.m.ProcessBundle(ctx, bob.addr(), fetched); err != nil {
		return err
	}
	fmt.Println("2. Alice processes Bob's bundle: session started")

	step := 3
	sendRecv := func(from, to *party, texts ...string) error {
		msgs := make([]session.Message, len(texts))
		for i, t := range texts {
			m, err := from.m.Encrypt(ctx, to.addr(), []byte(t))
			if err != nil {
				return err
			}
			msgs[i] = m
			fmt.Printf("%d. %s encrypts %q: %s, %d bytes (first byte %#02x)\n", step, from.name, t, m.Type, len(m.Body), m.Body[0])
			step++
		}
		return deliver(ctx, &step, from, to, msgs, texts, nil)
	}

	if err := sendRecv(alice, bob, "Hi Bob!", "Are you there?"); err != nil {
		return err
	}
	if err := sendRecv(bob, alice, "Hi Alice, got both."); err != nil {
		return err
	}

	// An out-of-order delivery: Alice sends three, Bob receives 3, 1, 2.
	texts := []string{"one", "two", "three"}
	msgs := make([]session.Message, len(texts))
	for i, t := range texts {
		if msgs[i], err = alice.m.Encrypt(ctx, bob.addr(), []byte(t)); err != nil {
			return err
		}
		fmt.Printf("%d. alice encrypts %q: %s, %d bytes\n", step, t, msgs[i].Type, len(msgs[i].Body))
		step++
	}
	if err := deliver(ctx, &step, alice, bob, msgs, texts, []int{2, 0, 1}); err != nil {
		return err
	}

	// Restart: both close their databases and open them again.
	for _, p := range []*party{alice, bob} {
		if err := p.store.Close(); err != nil {
			return err
		}
		if err := p.open(ctx); err != nil {
			return err
		}
		size := ""
		if fi, err := os.Stat(p.path); err == nil {
			size = fmt.Sprintf(" (%d bytes)", fi.Size())
		}
		fmt.Printf("%d. %s restarts: database %s%s closed and reopened\n", step, p.name, p.path, size)
		step++
	}

	if err := sendRecv(bob, alice, "Still here after the restart."); err != nil {
		return err
	}
	if err := sendRecv(alice, bob, "Me too. Bye!"); err != nil {
		return err
	}
	// Bob restores his phone from a backup without the session: Alice's
	// next message fails, and the repair of package recovery follows.
	if err := recoverLostSession(ctx, &step, alice, bob, pub); err != nil {
		return err
	}
	if err := sendRecv(bob, alice, "Back in business."); err != nil {
		return err
	}
	fmt.Println("Conversation complete: every message decrypted.")
	return nil
}

// publisher holds Bob's long-lived prekeys and hands out bundles, each
// with a fresh one-time prekey, as Bob's server would.
type publisher struct {
	p      *party
	reg    uint32
	id     curve.PublicKey
	spk    x3dh.SignedPreKeyPublic
	kemPub *x3dh.KEMPreKeyPublic
	next   uint32 // the next one-time prekey id
}

// newPublisher makes p's signed prekey and, with pq, a last-resort
// Kyber1024 prekey, and stores them.
func newPublisher(ctx context.Context, p *party, pq bool) (*publisher, error) {
	id, err := p.store.IdentityKeyPair(ctx)
	if err != nil {
		return nil, err
	}
	reg, err := p.store.LocalRegistrationID(ctx)
	if err != nil {
		return nil, err
	}
	spk, err := x3dh.GenerateSignedPreKey(id, 1)
	if err != nil {
		return nil, err
	}
	if err := p.store.AddSignedPreKey(ctx, spk); err != nil {
		return nil, err
	}
	pub := &publisher{p: p, reg: reg, id: id.PublicKey(), spk: spk.Public(), next: 100}
	if pq {
		kpk, err := x3dh.GenerateKEMPreKey(id, 7, x3dh.Kyber1024)
		if err != nil {
			return nil, err
		}
		if err := p.store.AddLastResortKEMPreKey(ctx, kpk); err != nil {
			return nil, err
		}
		k := kpk.Public()
		pub.kemPub = &k
	}
	return pub, nil
}

// bundle stores a new one-time prekey and returns the encoded bundle with
// it.
func (pub *publisher) bundle(ctx context.Context) ([]byte, error) {
	otk, err := x3dh.GenerateOneTimePreKey(pub.next)
	if err != nil {
		return nil, err
	}
	pub.next++
	if err := pub.p.store.AddPreKey(ctx, otk); err != nil {
		return nil, err
	}
	otkPub := otk.Public()
	b, err := x3dh.NewBundle(pub.reg, 1, pub.id, pub.spk, &otkPub, pub.kemPub)
	if err != nil {
		return nil, err
	}
	return b.MarshalBinary()
}

// recoverLostSession: Bob's store loses its session with Alice (a backup
// restored without it). Alice's next message fails; Bob answers with a
// decryption-error message (package recovery, in a PlaintextContent, which
// a Signal app seals as content type 8); Alice archives the session it
// names, starts a new one from a fresh bundle and resends; Bob reads it.
func recoverLostSession(ctx context.Context, step *int, alice, bob *party, pub *publisher) error {
	say := func(format string, args ...any) {
		fmt.Printf("%d. "+format+"\n", append([]any{*step}, args...)...)
		*step++
	}
	if err := bob.m.DeleteSession(ctx, alice.addr()); err != nil {
		return err
	}
	say("bob restores a backup without his session with alice")
	text := "Did you get my last message?"
	sentAt := time.Now()
	msg, err := alice.m.Encrypt(ctx, bob.addr(), []byte(text))
	if err != nil {
		return err
	}
	say("alice encrypts %q: %s, %d bytes", text, msg.Type, len(msg.Body))
	_, failure := bob.m.Decrypt(ctx, alice.addr(), msg)
	if failure == nil {
		return fmt.Errorf("bob decrypted without a session")
	}
	say("bob cannot decrypt it: %v", failure)
	reply, err := recovery.ReplyFor(failure, msg.Body, sealedsender.ContentType(msg.Type), sentAt, alice.addr().DeviceID)
	if err != nil {
		return err
	}
	say("bob sends alice a decryption-error message: PlaintextContent, %d bytes (first byte %#02x)", len(reply.Bytes()), reply.Bytes()[0])

	dem, err := recovery.Received(sealedsender.TypePlaintext, reply.Bytes())
	if err != nil {
		return err
	}
	resp, err := recovery.Handle(ctx, alice.m, bob.addr(), alice.addr().DeviceID, dem)
	if err != nil {
		return err
	}
	if !resp.Archived {
		return fmt.Errorf("alice did not archive the session: %+v", resp)
	}
	say("alice reads it: it names her current ratchet key, so she archives the session")
	enc, err := pub.bundle(ctx)
	if err != nil {
		return err
	}
	fresh, err := x3dh.ParseBundle(enc)
	if err != nil {
		return err
	}
	if err := alice.m.ProcessBundle(ctx, bob.addr(), fresh); err != nil {
		return err
	}
	say("alice fetches a fresh bundle of bob's (%d bytes) and starts a new session", len(enc))
	again, err := alice.m.Encrypt(ctx, bob.addr(), []byte(text))
	if err != nil {
		return err
	}
	say("alice resends %q: %s, %d bytes", text, again.Type, len(again.Body))
	pt, err := bob.m.Decrypt(ctx, alice.addr(), again)
	if err != nil {
		return fmt.Errorf("bob decrypting the resent message: %w", err)
	}
	if string(pt) != text {
		return fmt.Errorf("bob got %q, want %q", pt, text)
	}
	say("bob decrypts the resent message (%s): %q", again.Type, pt)
	return nil
}

func deliver(ctx context.Context, step *int, from, to *party, msgs []session.Message, texts []string, order []int) error {
	if order == nil {
		order = make([]int, len(msgs))
		for i := range order {
			order[i] = i
		}
	}
	for _, i := range order {
		pt, err := to.m.Decrypt(ctx, from.addr(), msgs[i])
		if err != nil {
			return fmt.Errorf("%s decrypting message %d: %w", to.name, i+1, err)
		}
		if string(pt) != texts[i] {
			return fmt.Errorf("%s got %q, want %q", to.name, pt, texts[i])
		}
		fmt.Printf("%d. %s decrypts message %d of %d (%s): %q\n", *step, to.name, i+1, len(msgs), msgs[i].Type, pt)
		*step++
	}
	return nil
}
