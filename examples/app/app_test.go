package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/fingerprint"
	"github.com/forwardsecret/signal/prekey"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/sqlstore"
	"github.com/forwardsecret/signal/sqlstore/sqlite"
	"github.com/forwardsecret/signal/x3dh"
)

// server stands in for the service: the registration id and the latest
// upload of each account's device 1, from which it hands out bundles.
type server struct {
	regIDs  map[string]uint32
	uploads map[string]*prekey.Upload
}

// keys answers a request for name's keys as Signal-Server does: one bundle
// whose one-time keys it then forgets, in its PreKeyResponse JSON.
func (s *server) keys(name string) ([]byte, error) {
	bundle, err := s.uploads[name].Take(s.regIDs[name], 1)
	if err != nil {
		return nil, err
	}
	return prekey.MarshalPreKeyResponse(bundle)
}

// device is one install of the app: its database, a Manager for the 1:1
// sessions and a Cipher for the groups.
type device struct {
	name  string
	addr  session.Address
	store *sqlstore.Store
	m     *session.Manager
	group *senderkey.Cipher
}

// open opens the device's database in dir; the first time, it registers
// the device: an identity, a registration id and prekeys, stored and then
// uploaded.
func open(t *testing.T, srv *server, dir, name string) *device {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(dir, name+".db"))
	must(t, err)
	registered, err := st.HasIdentity(ctx)
	must(t, err)
	identity, regID, err := st.LoadOrCreateIdentity(ctx)
	must(t, err)
	if !registered {
		set, err := prekey.Generate(identity, prekey.IDs{}, prekey.Initial)
		must(t, err)
		must(t, prekey.Store(ctx, st, set))
		srv.regIDs[name], srv.uploads[name] = regID, set.Public()
	}
	return &device{
		name:  name,
		addr:  session.Address{Name: name, DeviceID: 1},
		store: st,
		m:     session.NewManager(session.StoresOf(st), session.WithMinimumVersion(x3dh.V4)),
		group: senderkey.NewCipher(st),
	}
}

// encrypt encrypts text for to, first starting a session from to's keys
// on the server if there is none, and returns the bytes to send.
func encrypt(t *testing.T, srv *server, from, to *device, text []byte) []byte {
	t.Helper()
	ctx := t.Context()
	ok, err := from.m.HasSession(ctx, to.addr)
	must(t, err)
	if !ok {
		response, err := srv.keys(to.name)
		must(t, err)
		bundles, err := prekey.ParsePreKeyResponse(response)
		must(t, err)
		must(t, from.m.ProcessBundle(ctx, to.addr, bundles[0]))
	}
	msg, err := from.m.Encrypt(ctx, to.addr, text)
	must(t, err)
	wire, err := msg.MarshalBinary()
	must(t, err)
	return wire
}

// receive decrypts the bytes wire that to received from from.
func receive(ctx context.Context, to, from *device, wire []byte) ([]byte, error) {
	var msg session.Message
	if err := msg.UnmarshalBinary(wire); err != nil {
		return nil, err
	}
	return to.m.Decrypt(ctx, from.addr, msg)
}

// send sends text from one device to another and returns what arrived.
func send(t *testing.T, srv *server, from, to *device, text []byte) []byte {
	t.Helper()
	got, err := receive(t.Context(), to, from, encrypt(t, srv, from, to, text))
	must(t, err)
	if !bytes.Equal(got, text) {
		t.Fatalf("%s got %q from %s, want %q", to.name, got, from.name, text)
	}
	return got
}

// safetyNumber is the fingerprint of d's conversation with peer, whose
// identity key d sees as peerKey.
func safetyNumber(t *testing.T, d *device, peer string, peerKey curve.PublicKey) *fingerprint.Fingerprint {
	t.Helper()
	own, err := d.store.IdentityKeyPair(t.Context())
	must(t, err)
	f, err := fingerprint.New(fingerprint.Version2, fingerprint.DefaultIterations,
		fingerprint.Party{ID: []byte(d.name), IdentityKey: own.PublicKey()},
		fingerprint.Party{ID: []byte(peer), IdentityKey: peerKey})
	must(t, err)
	return f
}

func TestApp(t *testing.T) {
	ctx := t.Context()
	srv := &server{regIDs: map[string]uint32{}, uploads: map[string]*prekey.Upload{}}
	aliceDir, bobDir := t.TempDir(), t.TempDir()
	alice, bob := open(t, srv, aliceDir, "alice"), open(t, srv, bobDir, "bob")

	// Twenty messages each way; Alice starts a v4 session from Bob's keys.
	for i := range 20 {
		send(t, srv, alice, bob, fmt.Appendf(nil, "alice %d", i))
		send(t, srv, bob, alice, fmt.Appendf(nil, "bob %d", i))
	}
	info, err := alice.m.Info(ctx, bob.addr)
	must(t, err)
	if info.Version != 4 || !info.Acknowledged || info.RemoteRegistrationID != srv.regIDs["bob"] {
		t.Fatalf("Alice's session with Bob: %+v", info)
	}

	// Both devices restart and carry on.
	must(t, alice.store.Close())
	must(t, bob.store.Close())
	alice, bob = open(t, srv, aliceDir, "alice"), open(t, srv, bobDir, "bob")
	send(t, srv, alice, bob, []byte("still there?"))
	send(t, srv, bob, alice, []byte("yes"))

	// Bob wipes his app and registers again: a new identity key. His first
	// message reaches Alice's device, which refuses the new key.
	must(t, bob.store.Close())
	must(t, os.RemoveAll(bobDir))
	must(t, os.Mkdir(bobDir, 0o700))
	bob = open(t, srv, bobDir, "bob")
	wire := encrypt(t, srv, bob, alice, []byte("new phone"))
	_, err = receive(ctx, alice, bob, wire)
	var untrusted *session.UntrustedIdentityError
	if !errors.As(err, &untrusted) || untrusted.Address != bob.addr {
		t.Fatalf("Alice decrypting Bob's new device: %v", err)
	}

	// Alice and Bob compare the new safety number (Bob scans Alice's QR
	// code); Alice accepts the key, and the message decrypts.
	bobInfo, err := bob.m.Info(ctx, alice.addr)
	must(t, err)
	aliceView := safetyNumber(t, alice, "bob", untrusted.Identity)
	bobView := safetyNumber(t, bob, "alice", bobInfo.RemoteIdentity)
	same, err := bobView.Compare(aliceView.Scannable())
	must(t, err)
	if !same || aliceView.DisplayString() != bobView.DisplayString() {
		t.Fatalf("safety numbers differ: %s, %s", aliceView, bobView)
	}
	must(t, alice.store.Trust(ctx, untrusted.Address, untrusted.Identity))
	got, err := receive(ctx, alice, bob, wire)
	must(t, err)
	if string(got) != "new phone" {
		t.Fatalf("Alice got %q", got)
	}
	send(t, srv, alice, bob, []byte("welcome back"))
	info, err = alice.m.Info(ctx, bob.addr)
	must(t, err)
	if info.RemoteIdentity != untrusted.Identity || info.RemoteRegistrationID != srv.regIDs["bob"] {
		t.Fatalf("Alice's session with Bob's new device: %+v", info)
	}

	// A group of three: each member sends its sender key to the two others
	// over the 1:1 sessions, then sends one group message, encrypted once.
	carol := open(t, srv, t.TempDir(), "carol")
	members := []*device{alice, bob, carol}
	group := senderkey.NewDistributionID()
	for _, from := range members {
		dm, err := from.group.CreateDistributionMessage(ctx, senderkey.Sender(from.addr), group)
		must(t, err)
		for _, to := range members {
			if to != from {
				got := send(t, srv, from, to, dm.Bytes())
				received, err := senderkey.ParseDistributionMessage(got)
				must(t, err)
				must(t, to.group.ProcessDistributionMessage(ctx, senderkey.Sender(from.addr), received))
			}
		}
	}
	for _, from := range members {
		text := "hello group, " + from.name
		broadcast, err := from.group.Encrypt(ctx, senderkey.Sender(from.addr), group, []byte(text))
		must(t, err)
		for _, to := range members {
			if to != from {
				got, err := to.group.Decrypt(ctx, senderkey.Sender(from.addr), broadcast)
				must(t, err)
				if string(got) != text {
					t.Fatalf("%s got %q from %s", to.name, got, from.name)
				}
			}
		}
	}
	for _, d := range members {
		must(t, d.store.Close())
	}
}

// must ends the test at an error.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
