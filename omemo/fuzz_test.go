package omemo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"maps"
	"reflect"
	"testing"

	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
)

// fuzzPeers returns Alice and Bob of version v with a session in both
// directions, and a few of Alice's messages to Bob (a key exchange first).
func fuzzPeers(t testing.TB, v Version) (alice, bob *testDevice, msgs []*Encrypted) {
	alice = newTestDevice(t, v, "alice@example.org", 1, 2)
	bob = newTestDevice(t, v, "bob@example.org", 2, 2)
	connect(t, alice, bob)
	ctx := context.Background()
	msgs = append(msgs, send(t, alice, []byte("first"), bob))
	if _, err := bob.m.Decrypt(ctx, alice.jid, msgs[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.m.Decrypt(ctx, bob.jid, send(t, bob, nil, alice)); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		msgs = append(msgs, send(t, alice, []byte{byte(i)}, bob))
	}
	if _, err := bob.m.Decrypt(ctx, alice.jid, msgs[2]); err != nil {
		t.Fatal(err)
	}
	return alice, bob, msgs
}

// FuzzMessages runs OMEMO 2's protobuf parsers (and the session record
// parser) on any input: no panic, and what parses re-encodes to something
// that parses to the same value.
func FuzzMessages(f *testing.F) {
	_, bob, msgs := fuzzPeers(f, V2)
	for _, e := range msgs {
		f.Add(e.Keys[0].Data)
		var am AuthenticatedMessage
		if am.UnmarshalBinary(e.Keys[0].Data) == nil {
			f.Add(am.Message)
		}
	}
	rec, _ := bob.store.LoadSessionV2(context.Background(), session.Address{Name: "alice@example.org", DeviceID: 1})
	f.Add(rec)
	f.Fuzz(func(t *testing.T, data []byte) {
		var m Message
		if m.UnmarshalBinary(data) == nil {
			b, _ := m.MarshalBinary()
			var m2 Message
			if err := m2.UnmarshalBinary(b); err != nil || !reflect.DeepEqual(normalize(m), normalize(m2)) {
				t.Fatalf("OMEMOMessage round trip: %v", err)
			}
		}
		var am AuthenticatedMessage
		if am.UnmarshalBinary(data) == nil {
			b, _ := am.MarshalBinary()
			var am2 AuthenticatedMessage
			if err := am2.UnmarshalBinary(b); err != nil || am2.MAC != am.MAC || !bytes.Equal(am2.Message, am.Message) {
				t.Fatalf("OMEMOAuthenticatedMessage round trip: %v", err)
			}
		}
		var k KeyExchange
		if k.UnmarshalBinary(data) == nil {
			b, _ := k.MarshalBinary()
			var k2 KeyExchange
			if err := k2.UnmarshalBinary(b); err != nil || k2.IdentityKey != k.IdentityKey || k2.EphemeralKey != k.EphemeralKey ||
				k2.PreKeyID != k.PreKeyID || k2.SignedPreKeyID != k.SignedPreKeyID || !bytes.Equal(k2.Message.Message, k.Message.Message) {
				t.Fatalf("OMEMOKeyExchange round trip: %v", err)
			}
		}
		if r, err := unmarshalRecordV2(data); err == nil {
			if _, err := r.marshal(); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func normalize(m Message) Message {
	if len(m.Ciphertext) == 0 {
		m.Ciphertext = nil
	}
	return m
}

// FuzzBundleXML parses any input as a bundle: no panic; a bundle that
// parses (and so verifies) re-encodes to one that parses to the same value.
func FuzzBundleXML(f *testing.F) {
	for _, v := range versions {
		d := newTestDevice(f, v, "a@example.org", 1, 3)
		x, _ := d.bundle.XML()
		f.Add(x)
	}
	f.Add([]byte("<bundle xmlns='urn:xmpp:omemo:2'><spk id='1'>AAAA</spk><spks>AA==</spks><ik>AA==</ik><prekeys/></bundle>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBundle(data, 7)
		if err != nil {
			return
		}
		x, err := b.XML()
		if err != nil {
			t.Fatal(err)
		}
		b2, err := ParseBundle(x, 7)
		if err != nil {
			t.Fatalf("re-encoded bundle does not parse: %v\n%s", err, x)
		}
		if !reflect.DeepEqual(b, b2) {
			t.Fatalf("bundle round trip differs:\n%+v\n%+v", b, b2)
		}
	})
}

// FuzzDeviceListXML parses any input as a device list, with the round-trip
// property.
func FuzzDeviceListXML(f *testing.F) {
	f.Add([]byte("<devices xmlns='urn:xmpp:omemo:2'><device id='12345' label='Gajim on Ubuntu'/><device id='4223'/></devices>"))
	f.Add([]byte("<list xmlns='eu.siacs.conversations.axolotl'><device id='12345'/><device id='4223'/></list>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseDeviceList(data)
		if err != nil {
			return
		}
		x, err := l.XML()
		if err != nil {
			t.Fatal(err)
		}
		l2, err := ParseDeviceList(x)
		if err != nil {
			t.Fatalf("re-encoded list does not parse: %v\n%s", err, x)
		}
		if !reflect.DeepEqual(l, l2) {
			t.Fatalf("device list round trip differs:\n%+v\n%+v", l, l2)
		}
	})
}

// FuzzEncryptedXML parses any input as an <encrypted/> element, with the
// round-trip property.
func FuzzEncryptedXML(f *testing.F) {
	for _, v := range versions {
		_, _, msgs := fuzzPeers(f, v)
		x, _ := msgs[0].XML()
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ParseEncrypted(data)
		if err != nil {
			return
		}
		x, err := e.XML()
		if err != nil {
			t.Fatal(err)
		}
		e2, err := ParseEncrypted(x)
		if err != nil {
			t.Fatalf("re-encoded element does not parse: %v\n%s", err, x)
		}
		if !reflect.DeepEqual(normalizeEnc(e), normalizeEnc(e2)) {
			t.Fatalf("element round trip differs:\n%+v\n%+v", e, e2)
		}
	})
}

func normalizeEnc(e *Encrypted) *Encrypted {
	c := *e
	if len(c.IV) == 0 {
		c.IV = nil
	}
	c.Keys = nil
	// OMEMO 2 groups keys by JID: compare in the grouped order.
	var jids []string
	for _, k := range e.Keys {
		seen := false
		for _, j := range jids {
			seen = seen || j == k.JID
		}
		if !seen {
			jids = append(jids, k.JID)
		}
	}
	for _, j := range jids {
		for _, k := range e.Keys {
			if k.JID == j {
				if len(k.Data) == 0 {
					k.Data = nil
				}
				c.Keys = append(c.Keys, k)
			}
		}
	}
	return &c
}

// FuzzPayload decrypts any payload with any key material: no panic, and
// nothing decrypts without the right tag (a random input never does).
func FuzzPayload(f *testing.F) {
	p2, km2, _ := EncryptPayloadV2([]byte("hello"))
	p3, iv3, km3, _ := EncryptPayloadV03([]byte("hello"))
	f.Add(p2, km2, []byte(nil), false)
	f.Add(p3, km3, iv3, true)
	f.Fuzz(func(t *testing.T, payload, km, iv []byte, legacy bool) {
		if legacy {
			DecryptPayloadV03(payload, iv, km)
		} else {
			DecryptPayloadV2(payload, km)
		}
	})
}

// fuzzReceiver is Bob's device (either version), restorable to its state
// before a decrypt.
type fuzzReceiver struct {
	v     Version
	saved []byte
	v2    map[session.Address][]byte
	m     *Manager
	st    *MemStore
}

func newFuzzReceiver(t testing.TB, bob *testDevice) *fuzzReceiver {
	saved, err := bob.store.Store.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	bob.store.mu.Lock()
	v2 := maps.Clone(bob.store.v2)
	bob.store.mu.Unlock()
	r := &fuzzReceiver{v: bob.m.v, saved: saved, v2: v2}
	r.restore(t)
	return r
}

func (r *fuzzReceiver) restore(t testing.TB) {
	ms, err := memstore.Unmarshal(r.saved)
	if err != nil {
		t.Fatal(err)
	}
	r.st = &MemStore{Store: ms, v2: maps.Clone(r.v2)}
	if r.m, err = NewManager(r.v, r.st, "bob@example.org", 2); err != nil {
		t.Fatal(err)
	}
}

// FuzzDecrypt hands Bob's Manager mutated messages from Alice (key data,
// flag, payload, IV): no panic, and every failure leaves his sessions,
// prekeys and identity store exactly as they were.
func FuzzDecrypt(f *testing.F) {
	recv := map[Version]*fuzzReceiver{}
	for _, v := range versions {
		_, bob, msgs := fuzzPeers(f, v)
		recv[v] = newFuzzReceiver(f, bob)
		for _, e := range msgs {
			f.Add(v == V03, e.Keys[0].Data, e.Keys[0].KeyExchange, e.Payload, e.IV)
		}
	}
	alice := session.Address{Name: "alice@example.org", DeviceID: 1}
	f.Fuzz(func(t *testing.T, legacy bool, key []byte, kex bool, payload, iv []byte) {
		v := V2
		if legacy {
			v = V03
		}
		r := recv[v]
		e := &Encrypted{Version: v, SenderDevice: 1, IV: iv, Payload: payload,
			Keys: []Key{{JID: "bob@example.org", DeviceID: 2, KeyExchange: kex, Data: key}}}
		before := fuzzSnapshot(r.st, alice)
		_, err := r.m.Decrypt(context.Background(), alice.Name, e)
		if err == nil {
			r.restore(t) // a valid message (a seed): back to the start
			return
		}
		if !matchable(err) {
			t.Fatalf("error matches no sentinel: %v", err)
		}
		if fuzzSnapshot(r.st, alice) != before {
			t.Fatalf("failed decrypt (%v) changed the state", err)
		}
	})
}

func fuzzSnapshot(st *MemStore, peer session.Address) string {
	v2, _ := st.LoadSessionV2(context.Background(), peer)
	h := sha256.New()
	h.Write(v2)
	h.Write(st.SessionBytes(peer))
	n, _, _ := st.PreKeyCount(context.Background())
	id, ok, _ := st.Identity(context.Background(), peer)
	h.Write(id.Bytes())
	return string(h.Sum([]byte{byte(n), boolByte(ok)}))
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// FuzzMemStore decodes any input as a MemStore encoding: no panic, and a
// store that decodes encodes to bytes that decode again.
func FuzzMemStore(f *testing.F) {
	for _, v := range versions {
		_, bob, _ := fuzzPeers(f, v)
		enc, err := bob.store.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := UnmarshalMemStore(data)
		if err != nil {
			return
		}
		enc, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := UnmarshalMemStore(enc); err != nil {
			t.Fatalf("re-encoded store does not decode: %v", err)
		}
	})
}
