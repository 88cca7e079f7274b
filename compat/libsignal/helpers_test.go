package libsignal_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/forwardsecret/signal/compat"
	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
)

// isText reports whether the known answer k is text, not hex: the
// distribution ids and what libsignal decrypted.
func isText(k string) bool { return k == "distribution_id" || strings.HasPrefix(k, "libsignal_") }

// knownAnswers reads a testdata file: a flat JSON object whose string
// values are hex, except those isText names.
func knownAnswers(t testing.TB, path string) map[string][]byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for k, v := range m {
		s, ok := v.(string)
		if !ok || k == "generator" {
			continue
		}
		if isText(k) {
			out[k] = []byte(s)
			continue
		}
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatalf("%s: %s: %v", path, k, err)
		}
		out[k] = b
	}
	return out
}

const libsignalFile = "testdata/libsignal-client-0.103.0.json"

// isCompatError reports whether err wraps one of package compat's sentinels.
func isCompatError(err error) bool {
	return errors.Is(err, compat.ErrInvalidRecord) || errors.Is(err, compat.ErrUnsupportedVersion) ||
		errors.Is(err, compat.ErrInvalidKey)
}

// device is a Manager over a memstore holding an imported identity.
type device struct {
	store *memstore.Store
	m     *session.Manager
	addr  session.Address
}

func newDevice(t testing.TB, name string, id *curve.IdentityKeyPair, regID uint32) *device {
	t.Helper()
	s := memstore.New(id, regID)
	return &device{store: s, m: session.NewManager(session.StoresOf(s)), addr: session.Address{Name: name, DeviceID: 1}}
}

// putSession stores rec as d's session with peer.
func (d *device) putSession(t testing.TB, peer session.Address, rec *session.Record) {
	t.Helper()
	if err := d.store.StoreSession(context.Background(), peer, rec, session.Consumed{}); err != nil {
		t.Fatal(err)
	}
}

func (d *device) decrypt(t testing.TB, from session.Address, typ session.MessageType, body []byte, want string) {
	t.Helper()
	pt, err := d.m.Decrypt(context.Background(), from, session.Message{Type: typ, Body: body})
	if err != nil {
		t.Fatalf("%s decrypting %q: %v", d.addr.Name, want, err)
	}
	if string(pt) != want {
		t.Fatalf("%s decrypted %q, want %q", d.addr.Name, pt, want)
	}
}
