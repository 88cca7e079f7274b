// Command demo runs an Alice and Bob conversation with the library and
// prints each step: Bob publishes a bundle, Alice starts a session, both
// exchange messages (one delivered out of order), and both restart from their
// stores written to files and read back.
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

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/x3dh"
)

type party struct {
	name  string
	store *memstore.Store
	m     *session.Manager
}

func (p *party) addr() session.Address { return session.Address{Name: p.name, DeviceID: 1} }

func newParty(name string, regID uint32) (*party, error) {
	id, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		return nil, err
	}
	st := memstore.New(id, regID)
	return &party{name: name, store: st, m: session.NewManager(session.StoresOf(st))}, nil
}

func main() {
	log.SetFlags(0)
	pq := flag.Bool("pq", true, "use PQXDH (v4) with a Kyber1024 prekey; false for X3DH (v3)")
	dir := flag.String("dir", "", "directory for the stores (default: a temporary directory)")
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
	alice, err := newParty("alice", 1111)
	if err != nil {
		return err
	}
	bob, err := newParty("bob", 2222)
	if err != nil {
		return err
	}

	// 1. Bob makes and publishes his prekeys.
	bobID, _ := bob.store.IdentityKeyPair(ctx)
	spk, err := x3dh.GenerateSignedPreKey(bobID, 1)
	if err != nil {
		return err
	}
	otk, err := x3dh.GenerateOneTimePreKey(100)
	if err != nil {
		return err
	}
	bob.store.AddSignedPreKey(spk)
	bob.store.AddPreKey(otk)
	var kemPub *x3dh.KEMPreKeyPublic
	if pq {
		kpk, err := x3dh.GenerateKEMPreKey(bobID, 7, x3dh.Kyber1024)
		if err != nil {
			return err
		}
		bob.store.AddKEMPreKey(kpk, true)
		p := kpk.Public()
		kemPub = &p
	}
	otkPub := otk.Public()
	bundle, err := x3dh.NewBundle(2222, 1, bobID.PublicKey(), spk.Public(), &otkPub, kemPub)
	if err != nil {
		return err
	}
	enc, _ := bundle.MarshalBinary()
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

	// Restart: both stores go to files and come back.
	for _, p := range []*party{alice, bob} {
		b, err := p.store.MarshalBinary()
		if err != nil {
			return err
		}
		path := filepath.Join(dir, p.name+".store")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		st, err := memstore.Unmarshal(raw)
		if err != nil {
			return err
		}
		p.store, p.m = st, session.NewManager(session.StoresOf(st))
		fmt.Printf("%d. %s restarts: store written to %s (%d bytes) and read back\n", step, p.name, path, len(b))
		step++
	}

	if err := sendRecv(bob, alice, "Still here after the restart."); err != nil {
		return err
	}
	if err := sendRecv(alice, bob, "Me too. Bye!"); err != nil {
		return err
	}
	fmt.Println("Conversation complete: every message decrypted.")
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
