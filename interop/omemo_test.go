package interop_test

// OMEMO (XEP-0384) against python-omemo (Debian python3-omemo 1.0.2,
// python3-twomemo 1.0.3, python3-oldmemo 1.0.3), run as a separate process
// (interop/omemo/peer.py): conversations in both directions for OMEMO 2
// and OMEMO 0.3, messages to several devices of two users mixing this
// library's devices and python's, the generated OMEMO 2 vectors replayed by
// python-omemo, and what python-omemo's OMEMO 0.3 does differently from the
// libsignal family (TestOMEMO03PreviousCounterQuirk, TestOMEMOPythonFacts).
// Without python-omemo the tests skip, or fail when CI=true.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/forwardsecret/signal/interop/peer"
	"github.com/forwardsecret/signal/omemo"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/vectors"
)

var omemoVersions = []omemo.Version{omemo.V2, omemo.V03}

// holdLastUnlessGoV03 holds back a chain's last message except when this
// library sends OMEMO 0.3 to python-omemo: oldmemo loses that message once
// the next chain has started (TestOMEMO03PreviousCounterQuirk), so a real
// Gajim user would not see it either; the conversation keeps to what works.
func holdLastUnlessGoV03(v omemo.Version) func(omemoParty) bool {
	return func(sender omemoParty) bool {
		_, isGo := sender.(*goDevice)
		return !(isGo && v == omemo.V03)
	}
}

// TestOMEMOConversation: per version, a conversation this library starts
// and one python-omemo starts, each of at least 200 messages in both
// directions, with the key exchange, python's automatic empty messages,
// shuffled bursts, messages held back across DH ratchet steps, and two
// session replacements mid-way (a new key exchange by each side: python's
// replace_sessions, this library's ProcessBundle on the current bundle).
func TestOMEMOConversation(t *testing.T) {
	shared := needOMEMOPeer(t)
	for vi, v := range omemoVersions {
		for _, goFirst := range []bool{true, false} {
			name := fmt.Sprintf("%s/python-initiates", v)
			if goFirst {
				name = fmt.Sprintf("%s/go-initiates", v)
			}
			t.Run(name, func(t *testing.T) {
				py := shared.in(t)
				seed := uint64(0x0e0e0)
				if goFirst {
					seed++
				}
				rng := rand.New(rand.NewPCG(seed, uint64(v)))
				alice, bob := fmt.Sprintf("alice%d%v@example.org", vi, goFirst), fmt.Sprintf("bob%d%v@example.net", vi, goFirst)
				g := py.newGoDevice(v, alice, 1111)
				py.publishDevices(v, alice, 1111)
				p := py.newDevice(v, bob, 2222)
				turns := []int{1, 1}
				total := 2
				for total < 200 {
					n := 1 + rng.IntN(9)
					turns = append(turns, n)
					total += n
				}
				if len(turns)%2 == 1 { // end with an answer
					turns = append(turns, 1)
				}
				stats := &convStats{sent: map[string]int{}, delivered: map[string]int{}}
				var a, b omemoParty = g, p
				if !goFirst {
					a, b = p, g
				}
				conversation(t, rng, a, b, turns, holdLastUnlessGoV03(v), stats)
				if stats.delivered[g.Label()] != stats.sent[g.Label()] || stats.delivered[p.Label()] != stats.sent[p.Label()] ||
					stats.sent[g.Label()]+stats.sent[p.Label()] < 200 || stats.sent[g.Label()] < 50 || stats.sent[p.Label()] < 50 || stats.rekeys != 2 || stats.kex < 3 {
					t.Fatalf("stats %+v", stats)
				}
				t.Logf("%s: %d messages go->python, %d python->go, all decrypted; %d sessions replaced mid-way (one by each side), %d messages carried a key exchange, %d held back across a turn, %d automatic empty messages from python",
					v, stats.sent[g.Label()], stats.sent[p.Label()], stats.rekeys, stats.kex, stats.heldBack, stats.empties)
			})
		}
	}
}

// TestOMEMOMultiDevice: alice@ has a device of this library and a python
// one, bob@ the same; each of the four sends three messages, each one
// encrypted once to the other three devices (two users), and all three
// decrypt it.
func TestOMEMOMultiDevice(t *testing.T) {
	shared := needOMEMOPeer(t)
	for vi, v := range omemoVersions {
		t.Run(v.String(), func(t *testing.T) {
			py := shared.in(t)
			alice, bob := fmt.Sprintf("alice%d@example.org", vi), fmt.Sprintf("bob%d@example.net", vi)
			a1 := py.newGoDevice(v, alice, 301)
			b2 := py.newGoDevice(v, bob, 402)
			py.publishDevices(v, alice, 301)
			py.publishDevices(v, bob, 402)
			// python's devices add themselves to the lists they download.
			a2 := py.newDevice(v, alice, 302)
			b1 := py.newDevice(v, bob, 401)
			for _, jid := range []string{alice, bob} {
				l, err := omemo.ParseDeviceList([]byte(py.deviceList(v, jid)))
				if err != nil || len(l.Devices) != 2 {
					t.Fatalf("device list of %s as python published it: %+v, %v", jid, l, err)
				}
			}
			devices := []omemoParty{a1, a2, b1, b2}
			messages := 0
			for round := range 3 {
				for _, from := range devices {
					var to []session.Address
					for _, d := range devices {
						if d != from {
							to = append(to, session.Address{Name: d.JID(), DeviceID: d.Device()})
						}
					}
					pt := fmt.Appendf(nil, "round %d from %s to three devices of two users", round, from.Label())
					xml := from.Encrypt(t, pt, to)
					if e, err := omemo.ParseEncrypted([]byte(xml)); err != nil || len(e.Keys) != 3 {
						t.Fatalf("%s: %d keys, %v", from.Label(), len(e.Keys), err)
					}
					for _, d := range devices {
						if d == from {
							continue
						}
						got, err := d.Decrypt(t, from.JID(), xml)
						if err != nil || string(got) != string(pt) {
							t.Fatalf("%s -> %s: %q, %v", from.Label(), d.Label(), got, err)
						}
					}
					messages++
					// Python's answers to key exchanges go to their senders.
					for _, d := range devices {
						for _, m := range d.Outbox() {
							for _, k := range m.Keys {
								for _, r := range devices {
									if r.Device() == k.DeviceID {
										if got, err := r.Decrypt(t, d.JID(), m.XML); err != nil || got != nil {
											t.Fatalf("%s -> %s: empty message: %q, %v", d.Label(), r.Label(), got, err)
										}
									}
								}
							}
						}
					}
				}
			}
			t.Logf("%s: %d messages, each to 3 devices of 2 users (go and python devices on both JIDs), all decrypted", v, messages)
		})
	}
}

// TestOMEMO03PreviousCounterQuirk shows what a python-omemo (oldmemo) user
// sees from a libsignal-family sender (this library's OMEMO 0.3 is Signal's
// v3 session, as Conversations, Dino and Monal use): the sender writes
// previous_counter as the index of its previous chain's last message,
// libsignal's meaning; oldmemo reads it as the number of messages in that
// chain, so when the next chain starts it keeps the keys of all but the
// last message. That last message, arriving after a message of the next
// chain, cannot be decrypted. The controls: the same delivery decrypts in
// OMEMO 2 (whose pn is a count in the XEP), and python-omemo's own late
// last message decrypts here (libsignal-family receivers do not need
// previous_counter). A fact about python-omemo 1.0.x, not a defect of this
// library; the conversation tests avoid exactly this delivery for that
// direction.
func TestOMEMO03PreviousCounterQuirk(t *testing.T) {
	shared := needOMEMOPeer(t)
	n := 0
	run := func(t *testing.T, v omemo.Version, goSends bool) error {
		py := shared.in(t)
		n++
		alice, bob := fmt.Sprintf("alice%d@example.org", n), fmt.Sprintf("bob%d@example.net", n)
		g := py.newGoDevice(v, alice, 501)
		py.publishDevices(v, alice, 501)
		p := py.newDevice(v, bob, 601)
		var s, r omemoParty = g, p
		if !goSends {
			s, r = p, g
		}
		to := func(x omemoParty) []session.Address {
			return []session.Address{{Name: x.JID(), DeviceID: x.Device()}}
		}
		mustDecrypt := func(from, at omemoParty, xml string, want string) {
			t.Helper()
			got, err := at.Decrypt(t, from.JID(), xml)
			if err != nil || string(got) != want {
				t.Fatalf("%s -> %s: %q, %v", from.Label(), at.Label(), got, err)
			}
			for _, m := range at.Outbox() {
				if _, err := from.Decrypt(t, at.JID(), m.XML); err != nil {
					t.Fatalf("automatic message: %v", err)
				}
			}
		}
		// Session and first answer (s's next messages form a new chain).
		mustDecrypt(s, r, s.Encrypt(t, []byte("hello"), to(r)), "hello")
		mustDecrypt(r, s, r.Encrypt(t, []byte("hi"), to(s)), "hi")
		// Chain k of s: three messages, the last held back.
		var chain [3]string
		for i := range chain {
			chain[i] = s.Encrypt(t, fmt.Appendf(nil, "chain k, message %d", i), to(r))
		}
		mustDecrypt(s, r, chain[0], "chain k, message 0")
		mustDecrypt(s, r, chain[1], "chain k, message 1")
		// r answers; s's next message opens chain k+1 and arrives first.
		mustDecrypt(r, s, r.Encrypt(t, []byte("answer"), to(s)), "answer")
		mustDecrypt(s, r, s.Encrypt(t, []byte("chain k+1"), to(r)), "chain k+1")
		// Now the last message of chain k.
		got, err := r.Decrypt(t, s.JID(), chain[2])
		if err == nil && string(got) != "chain k, message 2" {
			t.Fatalf("late message decrypted to %q", got)
		}
		if err == nil {
			// The conversation goes on either way.
			mustDecrypt(s, r, s.Encrypt(t, []byte("after"), to(r)), "after")
		}
		return err
	}
	t.Run("eu.siacs/go-to-python", func(t *testing.T) {
		err := run(t, omemo.V03, true)
		if err == nil {
			t.Fatal("python-omemo's oldmemo decrypted the last message of a previous chain from a libsignal-family sender; the quirk this test documents is gone (update the conversation tests and README)")
		}
		var pe *peer.PeerError
		if !errors.As(err, &pe) || !strings.Contains(pe.Msg, "DecryptionFailed") {
			t.Fatalf("unexpected error: %v", err)
		}
		t.Logf("as documented: python-omemo (oldmemo) refuses the late last message of the previous chain: %s", omemoLine(pe.Msg))
	})
	t.Run("eu.siacs/python-to-go", func(t *testing.T) {
		if err := run(t, omemo.V03, false); err != nil {
			t.Fatalf("this library did not decrypt python's late last message: %v", err)
		}
	})
	t.Run("urn:xmpp:omemo:2/go-to-python", func(t *testing.T) {
		if err := run(t, omemo.V2, true); err != nil {
			t.Fatalf("python-omemo (twomemo) did not decrypt the late last message: %v", err)
		}
	})
}

// TestOMEMOPythonFacts pins byte-level facts of python-omemo that Go
// clients meet: oldmemo's PreKeySignalMessage carries no registration id
// (this library decrypts it all the same); an empty message of this library
// (OMEMO 0.3: a 16-byte key and an IV, no payload) answers python's key
// exchange;
// python-omemo refuses a bundle without one-time prekeys in both versions;
// and its XML parser reads kex="false" as a key exchange (bool of a
// non-empty string), so a writer must leave the attribute out, as package
// omemo does.
func TestOMEMOPythonFacts(t *testing.T) {
	shared := needOMEMOPeer(t)
	for vi, v := range omemoVersions {
		t.Run(v.String(), func(t *testing.T) {
			py := shared.in(t)
			alice, bob, carol := fmt.Sprintf("alice%d@example.org", vi), fmt.Sprintf("bob%d@example.net", vi), fmt.Sprintf("carol%d@example.com", vi)
			g := py.newGoDevice(v, alice, 701)
			py.publishDevices(v, alice, 701)
			p := py.newDevice(v, bob, 801)
			xml := p.Encrypt(t, []byte("first"), []session.Address{{Name: g.jid, DeviceID: g.id}})
			data, kex := keyOf(t, xml, g.id)
			if !kex {
				t.Fatal("python's first message is not a key exchange")
			}
			if v == omemo.V03 {
				if len(data) == 0 || data[0] != 0x33 {
					t.Fatalf("PreKeySignalMessage version byte %x", data[:1])
				}
				fields := protoFields(t, data[1:])
				if _, ok := fields[5]; ok {
					t.Fatal("python-omemo's oldmemo now sends a registration id (field 5)")
				}
				t.Logf("oldmemo's PreKeySignalMessage fields: %v (no 5, the registration id)", omemoFieldNumbers(fields))
			}
			if got, err := g.Decrypt(t, p.jid, xml); err != nil || string(got) != "first" {
				t.Fatalf("decrypt python's key exchange: %q, %v", got, err)
			}
			for range p.Outbox() {
			}
			// This library answers the key exchange with an empty message, as
			// its package doc recommends: python decrypts it (no plaintext) and
			// stops attaching the key exchange.
			empty := g.Encrypt(t, nil, []session.Address{{Name: p.jid, DeviceID: p.id}})
			if strings.Contains(empty, "<payload") {
				t.Fatalf("an empty message with a payload: %s", empty)
			}
			if got, err := p.Decrypt(t, g.jid, empty); err != nil || got != nil {
				t.Fatalf("python on this library's empty message: %q, %v", got, err)
			}
			next := p.Encrypt(t, []byte("second from python"), []session.Address{{Name: g.jid, DeviceID: g.id}})
			if _, kex := keyOf(t, next, g.id); kex {
				t.Fatal("python still attaches the key exchange after an answer")
			}
			if got, err := g.Decrypt(t, p.jid, next); err != nil || string(got) != "second from python" {
				t.Fatalf("%q, %v", got, err)
			}

			// A bundle without one-time prekeys.
			bare := py.newGoDevice(v, carol, 901)
			b, err := omemo.NewBundle(v, 901, bare.ik, bare.spk, nil)
			if err != nil {
				t.Fatal(err)
			}
			x, err := b.XML()
			if err != nil {
				t.Logf("package omemo writes no bundle without one-time prekeys: %v", err)
			} else {
				py.call("publish_bundle", map[string]any{"namespace": v.Namespace(), "jid": carol, "device_id": 901, "xml": string(x)}, nil)
				py.publishDevices(v, carol, 901)
				var r struct {
					Errors []string `json:"errors"`
				}
				err := py.p.Call(t.Context(), "encrypt", map[string]any{"name": p.name, "namespace": v.Namespace(),
					"recipients": []pyRecipient{{carol, 901}}, "plaintext": "00"}, &r)
				if err == nil {
					t.Fatalf("python-omemo encrypted to a device whose bundle has no one-time prekey (errors %v)", r.Errors)
				}
				t.Logf("python-omemo refuses a bundle without one-time prekeys: %s", omemoLine(err.Error()))
			}

			// kex="false" on an ordinary message.
			if v == omemo.V2 {
				msg := g.Encrypt(t, []byte("second"), []session.Address{{Name: p.jid, DeviceID: p.id}})
				if strings.Contains(msg, "kex") {
					t.Fatalf("an ordinary message carries a kex attribute: %s", msg)
				}
				forged := strings.Replace(msg, fmt.Sprintf(`rid="%d"`, p.id), fmt.Sprintf(`rid="%d" kex="false"`, p.id), 1)
				if forged == msg {
					forged = strings.Replace(msg, fmt.Sprintf(`rid='%d'`, p.id), fmt.Sprintf(`rid='%d' kex='false'`, p.id), 1)
				}
				if forged == msg {
					t.Fatalf("no rid attribute found in %s", msg)
				}
				if _, err := p.Decrypt(t, g.jid, forged); err == nil {
					t.Fatal(`python-omemo now reads kex="false" as false`)
				} else {
					t.Logf(`python-omemo reads kex="false" as a key exchange: %s`, omemoLine(err.Error()))
				}
				if got, err := p.Decrypt(t, g.jid, msg); err != nil || string(got) != "second" {
					t.Fatalf("the genuine message afterwards: %q, %v", got, err)
				}
			}
		})
	}
}

func protoFields(t testing.TB, b []byte) map[protowire.Number][]byte {
	t.Helper()
	out := map[protowire.Number][]byte{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("protobuf: %v", protowire.ParseError(n))
		}
		b = b[n:]
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			t.Fatalf("protobuf: %v", protowire.ParseError(m))
		}
		out[num] = b[:m]
		b = b[m:]
	}
	return out
}

// pythonErrorClass is the innermost exception class of a peer error's
// cause chain ("A: msg <- B: msg [while handling C]" -> "B").
func pythonErrorClass(msg string) string {
	msg, _, _ = strings.Cut(msg, " [while handling ")
	parts := strings.Split(msg, " <- ")
	last := parts[len(parts)-1]
	class, _, _ := strings.Cut(last, ":")
	return class
}

func omemoFieldNumbers(m map[protowire.Number][]byte) []int {
	var out []int
	for k := range m {
		out = append(out, int(k))
	}
	slices.Sort(out)
	return out
}

func omemoLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// omemo2File is the part of vectors/data/omemo2.json the python replay reads.
type omemo2File struct {
	Sessions []struct {
		ID       string `json:"id"`
		Alice    omemo2Device
		Bob      omemo2Device
		Messages []struct {
			ID        int    `json:"id"`
			Sender    string `json:"sender"`
			XML       string `json:"xml"`
			Auto      bool   `json:"auto"`
			Empty     bool   `json:"empty"`
			Undeliver int    `json:"undelivered_before"`
			Payload   *struct {
				Plaintext string `json:"plaintext"`
			} `json:"payload"`
		} `json:"messages"`
		Events []struct {
			Op      string `json:"op"`
			Party   string `json:"party"`
			Message int    `json:"message"`
			Draws   []struct {
				Bytes string `json:"bytes"`
			} `json:"draws"`
		} `json:"events"`
		Invalid []struct {
			ID          string   `json:"id"`
			BeforeEvent int      `json:"before_event"`
			Party       string   `json:"party"`
			Flags       []string `json:"flags"`
			Error       string   `json:"error"`
			XML         string   `json:"xml"`
		} `json:"invalid"`
		InvalidBundles []struct {
			ID    string `json:"id"`
			Error string `json:"error"`
			XML   string `json:"bundle_xml"`
		} `json:"invalid_bundles"`
	} `json:"sessions"`
}

type omemo2Device struct {
	JID                   string `json:"jid"`
	DeviceID              uint32 `json:"device_id"`
	IdentitySeed          string `json:"identity_seed"`
	IdentityKey           string `json:"identity_key"`
	SignedPreKeyID        uint32 `json:"signed_prekey_id"`
	SignedPreKeyPrivate   string `json:"signed_prekey_private"`
	SignedPreKeySignature string `json:"signed_prekey_signature"`
	PreKeyID              uint32 `json:"prekey_id"`
	PreKeyPrivate         string `json:"prekey_private"`
	BundleXML             string `json:"bundle_xml"`
}

// TestOMEMOVectorsPython replays vectors/data/omemo2.json (generated from
// the XEP, independently of package omemo) with python-omemo as both
// parties: each device is created with its listed keys, every send is
// python's own encryption with the listed random draws (and must give the
// listed <encrypted/> byte for byte; the automatic empty messages are
// python's own), every receive must give the listed plaintext, and every
// invalid message must be refused without changing what follows.
func TestOMEMOVectorsPython(t *testing.T) {
	raw, err := fs.ReadFile(vectors.FS(), "omemo2.json")
	if err != nil {
		t.Fatal(err)
	}
	var f omemo2File
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	py := needOMEMOPeer(t)
	ns := omemo.V2.Namespace()
	sends, receives, refused := 0, 0, 0
	verdicts := map[string]int{} // the file's error name -> python-omemo's exception
	for _, s := range f.Sessions {
		devs := map[string]omemo2Device{"alice": s.Alice, "bob": s.Bob}
		name := func(role string) string { return s.ID + "/" + role }
		other := map[string]string{"alice": "bob", "bob": "alice"}
		for _, role := range []string{"alice", "bob"} {
			d := devs[role]
			var r struct {
				IdentityKey string `json:"identity_key"`
			}
			py.call("create", map[string]any{"name": name(role), "jid": d.JID, "device_id": d.DeviceID, "namespaces": []string{ns},
				"identity_seed": d.IdentitySeed, "import": map[string]any{ns: map[string]any{
					"signed_prekey_id": d.SignedPreKeyID, "signed_prekey_private": d.SignedPreKeyPrivate,
					"signed_prekey_signature": d.SignedPreKeySignature, "prekeys": []string{d.PreKeyPrivate}, "prekey_ids": []uint32{d.PreKeyID}}}}, &r)
			if r.IdentityKey != d.IdentityKey {
				t.Fatalf("%s %s: python derives identity key %s, the file lists %s", s.ID, role, r.IdentityKey, d.IdentityKey)
			}
		}
		// Bob's bundle as the file lists it (python's own also lists its
		// generated prekeys; the key exchange names the listed one).
		py.call("publish_bundle", map[string]any{"namespace": ns, "jid": s.Bob.JID, "device_id": s.Bob.DeviceID, "xml": s.Bob.BundleXML}, nil)
		// Bundles with bad signatures: python's alice must not encrypt to them.
		for k, ib := range s.InvalidBundles {
			jid := fmt.Sprintf("%s-bundle%d@example.net", s.ID, k)
			py.call("publish_bundle", map[string]any{"namespace": ns, "jid": jid, "device_id": 77, "xml": ib.XML}, nil)
			py.call("publish_device_list", map[string]any{"namespace": ns, "jid": jid, "device_ids": []uint32{77}}, nil)
			err := py.p.Call(t.Context(), "encrypt", map[string]any{"name": name("alice"), "namespace": ns, "recipients": []pyRecipient{{jid, 77}}, "plaintext": "00"}, nil)
			if err == nil {
				t.Errorf("%s: python-omemo encrypted to a bundle with a bad signature", ib.ID)
			} else if pe := (*peer.PeerError)(nil); !errors.As(err, &pe) || pe.Stderr != "" {
				t.Fatalf("%s: %v", ib.ID, err)
			} else {
				verdicts[ib.Error+" -> "+pythonErrorClass(pe.Msg)]++
			}
			refused++
		}
		outbox := map[string][]pySent{}
		invalidAt := map[int][]int{}
		for i, inv := range s.Invalid {
			invalidAt[inv.BeforeEvent] = append(invalidAt[inv.BeforeEvent], i)
		}
		queue := func(draws []struct {
			Bytes string `json:"bytes"`
		}) {
			for _, d := range draws {
				py.call("queue_random", map[string]any{"bytes": d.Bytes}, nil)
			}
		}
		// drawn checks that python used exactly the queued draws.
		drawn := func(i int) {
			var r struct {
				Queued int `json:"queued"`
			}
			py.call("queued", nil, &r)
			if r.Queued != 0 {
				t.Fatalf("%s event %d: python-omemo left %d of the listed random bytes unused", s.ID, i, r.Queued)
			}
		}
		for i, ev := range s.Events {
			for _, k := range invalidAt[i] {
				inv := s.Invalid[k]
				err := py.p.Call(t.Context(), "decrypt", map[string]any{"name": name(inv.Party), "namespace": ns, "from_jid": devs[other[inv.Party]].JID, "xml": inv.XML}, nil)
				if err == nil {
					t.Errorf("%s (%v, %s): python-omemo accepted it", inv.ID, inv.Flags, inv.Error)
				} else if pe := (*peer.PeerError)(nil); !errors.As(err, &pe) || pe.Stderr != "" {
					t.Fatalf("%s: %v", inv.ID, err)
				} else {
					verdicts[inv.Error+" -> "+pythonErrorClass(pe.Msg)]++
				}
				refused++
			}
			m := s.Messages[ev.Message]
			to := devs[other[ev.Party]]
			if ev.Op == "send" {
				var got string
				if m.Auto {
					box := outbox[ev.Party]
					if len(box) == 0 {
						t.Fatalf("%s event %d: python sent no automatic message", s.ID, i)
					}
					got, outbox[ev.Party] = box[0].XML, box[1:]
				} else {
					recips := []pyRecipient{{to.JID, to.DeviceID}}
					for range m.Undeliver {
						py.call("encrypt", map[string]any{"name": name(ev.Party), "namespace": ns, "recipients": recips, "plaintext": "00"}, nil)
					}
					queue(ev.Draws)
					var r struct {
						XML string `json:"xml"`
					}
					py.call("encrypt", map[string]any{"name": name(ev.Party), "namespace": ns, "recipients": recips, "plaintext": m.Payload.Plaintext}, &r)
					got = r.XML
					drawn(i)
				}
				if got != m.XML {
					t.Fatalf("%s message %d: python-omemo's <encrypted/> differs:\n got %s\nwant %s", s.ID, m.ID, got, m.XML)
				}
				sends++
				continue
			}
			queue(ev.Draws)
			var r struct {
				Plaintext *string  `json:"plaintext"`
				Sent      []pySent `json:"sent"`
			}
			py.call("decrypt", map[string]any{"name": name(ev.Party), "namespace": ns, "from_jid": to.JID, "xml": m.XML}, &r)
			drawn(i)
			outbox[ev.Party] = append(outbox[ev.Party], r.Sent...)
			switch {
			case m.Payload == nil && r.Plaintext != nil:
				t.Fatalf("%s message %d: an empty message decrypted to %s", s.ID, m.ID, *r.Plaintext)
			case m.Payload != nil && (r.Plaintext == nil || *r.Plaintext != m.Payload.Plaintext):
				t.Fatalf("%s message %d: python-omemo decrypted %v", s.ID, m.ID, r.Plaintext)
			}
			receives++
		}
		for role, box := range outbox {
			if len(box) > 0 {
				t.Errorf("%s: %s sent %d automatic messages the file does not list", s.ID, role, len(box))
			}
		}
	}
	if sends == 0 || receives == 0 || refused == 0 {
		t.Fatal("nothing replayed")
	}
	t.Logf("python-omemo replayed %d sessions: %d sends byte for byte, %d receives, %d invalid messages and bundles refused", len(f.Sessions), sends, receives, refused)
	var lines []string
	for k, n := range verdicts {
		lines = append(lines, fmt.Sprintf("%s: %d", k, n))
	}
	slices.Sort(lines)
	t.Logf("the file's error -> python-omemo's exception (innermost cause):\n  %s", strings.Join(lines, "\n  "))
}
