package interop_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/interop/libparty"
	"github.com/forwardsecret/signal/interop/peer"
	"github.com/forwardsecret/signal/recovery"
	"github.com/forwardsecret/signal/sealedsender"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
)

// Recovery (package recovery) live against the official libsignal
// (node-v4): DecryptionErrorMessages and PlaintextContents built by each
// side read the same on the other, and the whole repair of a conversation
// after one side lost its session or a sender key, with either side as the
// one that lost it. The peer ops are dem_*, ratchet_key_matches,
// archive_session, delete_session and delete_sender_key (README).

// demFields is what both sides read out of a decryption-error message.
type demFields struct {
	timestamp  int64
	device     uint32
	ratchetKey string // hex, "" when absent
}

func goDEMFields(m *recovery.DecryptionErrorMessage) demFields {
	f := demFields{timestamp: m.Timestamp.UnixMilli(), device: m.DeviceID}
	if m.HasRatchetKey {
		f.ratchetKey = fmt.Sprintf("%x", m.RatchetKey.Bytes())
	}
	return f
}

func nodeDEMFields(m peer.DEM) demFields {
	f := demFields{timestamp: m.Timestamp, device: m.DeviceID}
	if len(m.RatchetKey) > 0 {
		f.ratchetKey = fmt.Sprintf("%x", []byte(m.RatchetKey))
	}
	return f
}

// TestRecoveryDecryptionErrorMessages builds decryption-error messages
// with both libraries for the same failed messages (PreKey and Signal
// messages and sender-key messages, each made by each library) and several
// timestamps and device ids: the encodings, and the PlaintextContents
// around them, must be byte-identical, and each side must read the other's
// with equal fields (the ratchet key of a session message, none for a
// sender-key message). Both refuse a PlaintextContent as the original, and
// session messages that do not parse.
func TestRecoveryDecryptionErrorMessages(t *testing.T) {
	ctx := context.Background()
	node := newParty(t, peer.KindNodeV4, "node-v4", 2)
	lib, err := libparty.New("lib", nextRegID(), 1)
	if err != nil {
		t.Fatal(err)
	}
	nodeAddr, libAddr := peer.Address{Name: "node", DeviceID: 2}, peer.Address{Name: "lib", DeviceID: 1}
	type original struct {
		name string
		body []byte
		typ  int
	}
	var originals []original
	// This library initiates: its PreKey message, libsignal's answer, then
	// this library's SignalMessage.
	if _, err := peer.Establish(ctx, peer.Side{Party: lib, Addr: libAddr}, peer.Side{Party: node, Addr: nodeAddr}, peer.BundleRequest{SignedPreKeyID: 1, OneTime: true}); err != nil {
		t.Fatal(err)
	}
	exchange := func(from, to peer.Party, fromAddr, toAddr peer.Address, who string) {
		m, err := from.Encrypt(ctx, toAddr, []byte("original"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := to.Decrypt(ctx, fromAddr, m); err != nil {
			t.Fatal(err)
		}
		originals = append(originals, original{fmt.Sprintf("%s's %s", who, map[int]string{2: "SignalMessage", 3: "PreKeySignalMessage"}[m.Type]), m.Body, m.Type})
	}
	exchange(lib, node, libAddr, nodeAddr, "lib")
	exchange(node, lib, nodeAddr, libAddr, "libsignal")
	exchange(lib, node, libAddr, nodeAddr, "lib")
	// libsignal initiates with another device of ours.
	lib2, err := libparty.New("lib2", nextRegID(), 3)
	if err != nil {
		t.Fatal(err)
	}
	lib2Addr := peer.Address{Name: "lib2", DeviceID: 3}
	if _, err := peer.Establish(ctx, peer.Side{Party: node, Addr: nodeAddr}, peer.Side{Party: lib2, Addr: lib2Addr}, peer.BundleRequest{SignedPreKeyID: 2, Kyber: true}); err != nil {
		t.Fatal(err)
	}
	exchange(node, lib2, nodeAddr, lib2Addr, "libsignal")
	// Sender-key messages of both.
	dist := senderkey.NewDistributionID()
	skc := senderkey.NewCipher(new(senderkey.MemoryStore))
	if _, err := skc.CreateDistributionMessage(ctx, senderkey.Sender{Name: "lib", DeviceID: 1}, dist); err != nil {
		t.Fatal(err)
	}
	skm, err := skc.Encrypt(ctx, senderkey.Sender{Name: "lib", DeviceID: 1}, dist, []byte("original"))
	if err != nil {
		t.Fatal(err)
	}
	originals = append(originals, original{"lib's SenderKeyMessage", skm, peer.TypeSenderKey})
	if _, err := node.GroupCreate(ctx, dist.String(), nodeAddr); err != nil {
		t.Fatal(err)
	}
	nskm, err := node.GroupEncrypt(ctx, dist.String(), nodeAddr, []byte("original"))
	if err != nil {
		t.Fatal(err)
	}
	originals = append(originals, original{"libsignal's SenderKeyMessage", nskm, peer.TypeSenderKey})

	stamps := []struct {
		ms  int64
		dev uint32
	}{{1, 1}, {time.Now().UnixMilli(), 7}, {1<<53 - 1, 127}, {0, 0}}
	checked := 0
	for _, o := range originals {
		for _, s := range stamps {
			name := fmt.Sprintf("%s, timestamp %d, device %d", o.name, s.ms, s.dev)
			gm, err := recovery.NewDecryptionErrorMessage(o.body, sealedsender.ContentType(o.typ), time.UnixMilli(s.ms), s.dev)
			if err != nil {
				t.Fatalf("%s: this library: %v", name, err)
			}
			gb, err := gm.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			gpc, err := recovery.NewPlaintextContent(gm)
			if err != nil {
				t.Fatal(err)
			}
			nm, err := node.DEMForOriginal(ctx, o.body, o.typ, s.ms, s.dev)
			if err != nil {
				t.Fatalf("%s: libsignal: %v", name, err)
			}
			if !bytes.Equal(gb, nm.DEM) || !bytes.Equal(gpc.Bytes(), nm.PlaintextContent) {
				t.Fatalf("%s: encodings differ:\n ours      %x / %x\n libsignal %x / %x", name, gb, gpc.Bytes(), []byte(nm.DEM), []byte(nm.PlaintextContent))
			}
			want := goDEMFields(gm)
			if (o.typ == peer.TypeSenderKey) != (want.ratchetKey == "") || want.timestamp != s.ms || want.device != s.dev {
				t.Fatalf("%s: this library's message reads %+v", name, want)
			}
			if got := nodeDEMFields(nm); got != want {
				t.Fatalf("%s: libsignal's fields %+v, ours %+v", name, got, want)
			}
			// Each side parses the other's (as a message and inside a
			// PlaintextContent).
			np, err := node.DEMParse(ctx, gb)
			if err != nil || nodeDEMFields(np) != want {
				t.Fatalf("%s: libsignal parses ours as %+v, %v", name, nodeDEMFields(np), err)
			}
			npc, err := node.DEMFromPlaintextContent(ctx, gpc.Bytes())
			if err != nil || nodeDEMFields(npc) != want || !bytes.Equal(npc.Body, gpc.Body()) {
				t.Fatalf("%s: libsignal reads our PlaintextContent as %+v, %v", name, nodeDEMFields(npc), err)
			}
			gp, err := recovery.ParseDecryptionErrorMessage(nm.DEM)
			if err != nil || goDEMFields(gp) != want {
				t.Fatalf("%s: this library parses libsignal's as %v, %v", name, gp, err)
			}
			pc, err := recovery.ParsePlaintextContent(nm.PlaintextContent)
			if err != nil {
				t.Fatal(err)
			}
			gpm, err := pc.DecryptionErrorMessage()
			if err != nil || goDEMFields(gpm) != want {
				t.Fatalf("%s: this library reads libsignal's PlaintextContent as %v, %v", name, gpm, err)
			}
			checked++
		}
	}
	// Refused by both: a PlaintextContent as the failed message, and
	// session messages that do not parse.
	garbage := append([]byte{0x44}, randBytes(t, 60)...)
	for _, k := range []struct {
		name string
		body []byte
		typ  int
	}{
		{"a PlaintextContent", originals[0].body, peer.TypePlaintext},
		{"garbage as a SignalMessage", garbage, peer.TypeSignal},
		{"garbage as a PreKeySignalMessage", garbage, peer.TypePreKey},
		// Cut inside the ratchet key field (a cut at a field boundary could
		// leave a message that parses).
		{"a SignalMessage cut to 40 bytes", originals[1].body[:40], peer.TypeSignal},
		{"an empty SignalMessage", nil, peer.TypeSignal},
	} {
		_, gerr := recovery.NewDecryptionErrorMessage(k.body, sealedsender.ContentType(k.typ), time.UnixMilli(5), 1)
		_, nerr := node.DEMForOriginal(ctx, k.body, k.typ, 5, 1)
		if gerr == nil || nerr == nil {
			t.Errorf("%s: this library %v, libsignal %v: want both to refuse", k.name, gerr, nerr)
		}
	}
	t.Logf("%d originals x %d (timestamp, device) pairs: byte-identical and read alike by both", len(originals), len(stamps))
	if checked != len(originals)*len(stamps) {
		t.Fatal("not every case was checked")
	}
}

// ssConverse runs a short sealed conversation (initiator first) and
// returns the first envelope each side sent.
func ssConverse(t *testing.T, initiator, responder peer.Side, n int, seed string) map[string][]byte {
	t.Helper()
	first := map[string][]byte{}
	st, err := peer.Converse(context.Background(), initiator, responder, peer.Script{
		Messages: n, MaxBurst: 4, Shuffle: true, Seed: seedOf(seed),
		OnSend: func(_ int, from string, m peer.Message) {
			if _, ok := first[from]; !ok {
				first[from] = bytes.Clone(m.Body)
			}
		},
	})
	if err != nil {
		t.Fatalf("%v (after %v)", err, st)
	}
	if st.Turns < 3 {
		t.Fatalf("too few ratchet turns: %v", st)
	}
	return first
}

// TestRecoveryOneToOne repairs a sealed 1:1 conversation after one side
// lost its session, with either side as the one that lost it and the
// failed message sealed with v1 or v2: the message fails (no session); the
// receiver answers with a decryption-error message in a PlaintextContent,
// sealed (v1: it has no session) for the sender; the sender first gets
// one about a message of an earlier ratchet step and must change nothing,
// then the real one, whose ratchet key is its current one: it archives the
// session, fetches a fresh bundle, resends (a PreKey message), and the
// conversation goes on (this library: recovery.ReplyForInner, Received,
// Handle; libsignal: DecryptionErrorMessage.forOriginal,
// PlaintextContent, extractFromSerializedBody, currentRatchetKeyMatches,
// archiveCurrentState).
func TestRecoveryOneToOne(t *testing.T) {
	for _, lost := range []string{"libsignal", "lib"} {
		for _, version := range []int{1, 2} {
			name := fmt.Sprintf("%s-lost-session/v%d", lost, version)
			t.Run(name, func(t *testing.T) {
				ctx := context.Background()
				tr := newSSTrust(t)
				gid, nid := mustIdentity(t), mustIdentity(t)
				gd := newSSGoDevice(t, tr, newUUID(t), 1, gid)
				nd := newSSNodeDevice(t, tr, newUUID(t), 2, nid)
				g := &ssGoParty{ssGoDevice: gd, t: t, version: sealedsender.Version(version),
					peerIDs: map[peer.Address]*curve.IdentityKeyPair{nd.addr(): nid}, flips: map[string]ssFlips{}}
				n := &ssNodeParty{ssNodeDevice: nd, version: version}
				libSide, nodeSide := peer.Side{Party: g, Addr: gd.addr()}, peer.Side{Party: n, Addr: nd.addr()}
				if _, err := peer.Establish(ctx, libSide, nodeSide, peer.BundleRequest{SignedPreKeyID: 1, OneTime: true, Kyber: true}); err != nil {
					t.Fatal(err)
				}
				first := ssConverse(t, libSide, nodeSide, 40, name)
				ts := time.UnixMilli(time.Now().UnixMilli())
				var log []string
				if lost == "libsignal" {
					log = ssRecoverLibsignalLost(t, g, n, first[g.Label()], ts)
					// The sender (this library) has a new session:
					// it sends PreKey messages until libsignal answers.
					ssConverse(t, libSide, nodeSide, 40, name+"/after")
				} else {
					log = ssRecoverLibLost(t, g, n, first[n.Label()], ts)
					ssConverse(t, nodeSide, libSide, 40, name+"/after")
				}
				t.Logf("%s: %v", name, log)
			})
		}
	}
}

// ssRecoverLibsignalLost: libsignal (the receiver) loses its session with
// this library (the sender).
func ssRecoverLibsignalLost(t *testing.T, g *ssGoParty, n *ssNodeParty, old []byte, ts time.Time) []string {
	ctx := context.Background()
	gd, nd := g.ssGoDevice, n.ssNodeDevice
	var log []string
	// libsignal answers an old envelope of ours (an earlier ratchet step)
	// with a decryption-error message: this library must change nothing.
	u, err := nd.SSUSMC(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	stale, err := nd.DEMForOriginal(ctx, u.Content, u.Type, ts.UnixMilli()-1000, u.DeviceID)
	if err != nil {
		t.Fatal(err)
	}
	before := gd.state(t, ctx)
	resp := ssLibReceivesDEM(t, gd, nd, stale.PlaintextContent, nil)
	if !resp.Ours || resp.Archived || resp.SenderKey {
		t.Fatalf("stale ratchet key: %+v", resp)
	}
	if gd.state(t, ctx) != before {
		t.Fatal("a decryption-error message about an earlier ratchet step changed this library's state")
	}
	log = append(log, "stale error ignored")

	if had, err := nd.DeleteSession(ctx, gd.addr()); err != nil || !had {
		t.Fatalf("delete_session: %v %v", had, err)
	}
	env, err := gd.c.Encrypt(ctx, sessAddr(nd.addr()), gd.cert, []byte("lost message"), &sealedsender.Options{Version: g.version, Hint: sealedsender.HintResendable})
	if err != nil {
		t.Fatal(err)
	}
	_, err = nd.decrypt(ctx, env, false)
	if c := peer.SSErrorClass(err); c != "inner:no-session" {
		t.Fatalf("libsignal without its session: %v (class %q)", err, c)
	}
	log = append(log, "libsignal: "+peer.SSErrorClass(err))
	u, err = nd.SSUSMC(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	if u.ContentHint != uint32(sealedsender.HintResendable) {
		t.Fatalf("content hint %d", u.ContentHint)
	}
	dem, err := nd.DEMForOriginal(ctx, u.Content, u.Type, ts.UnixMilli(), u.DeviceID)
	if err != nil {
		t.Fatal(err)
	}
	resp = ssLibReceivesDEM(t, gd, nd, dem.PlaintextContent, nil)
	if !resp.Ours || !resp.Archived || resp.SenderKey || !resp.Timestamp.Equal(ts) {
		t.Fatalf("this library's response: %+v", resp)
	}
	log = append(log, "lib archived")
	if _, err := gd.c.Encrypt(ctx, sessAddr(nd.addr()), gd.cert, []byte("x"), nil); !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("encrypt after the archive: %v, want ErrNoSession", err)
	}
	// A fresh bundle, and the resend.
	b, err := nd.Bundle(ctx, peer.BundleRequest{SignedPreKeyID: 9, OneTime: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := gd.ProcessBundle(ctx, nd.addr(), b); err != nil {
		t.Fatal(err)
	}
	env, err = gd.c.Encrypt(ctx, sessAddr(nd.addr()), gd.cert, []byte("lost message"), &sealedsender.Options{Version: g.version, Hint: sealedsender.HintResendable})
	if err != nil {
		t.Fatal(err)
	}
	r, err := nd.decrypt(ctx, env, true)
	if err != nil || r.Type != peer.TypePreKey || string(r.Plaintext) != "lost message" {
		t.Fatalf("libsignal on the resend: type %d, %q, %v", r.Type, r.Plaintext, err)
	}
	return append(log, "resent as PreKey and decrypted")
}

// ssLibReceivesDEM has libsignal seal a PlaintextContent (v1, as an app
// without a session does) for this library, which decrypts it, reads the
// decryption-error message and handles it.
func ssLibReceivesDEM(t *testing.T, gd *ssGoDevice, nd *ssNodeDevice, pc, groupID []byte) recovery.Response {
	t.Helper()
	ctx := context.Background()
	env, typ, err := nd.SSEncrypt(ctx, gd.addr(), 1, peer.SSContent{SenderCert: nd.cert, PlaintextContent: pc,
		ContentHint: uint32(sealedsender.HintImplicit), GroupID: groupID})
	if err != nil {
		t.Fatal(err)
	}
	if typ != peer.TypePlaintext {
		t.Fatalf("libsignal sealed a PlaintextContent as type %d", typ)
	}
	r, err := gd.c.Decrypt(ctx, env)
	if err != nil {
		t.Fatalf("this library on libsignal's sealed PlaintextContent: %v", err)
	}
	if r.Type != sealedsender.TypePlaintext || !bytes.Equal(r.Plaintext, pc) || !bytes.Equal(r.GroupID, groupID) || r.Address() != sessAddr(nd.addr()) {
		t.Fatalf("sealed PlaintextContent decrypted as %+v", r)
	}
	dem, err := recovery.Received(r.Type, r.Plaintext)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := recovery.Handle(ctx, gd.M, r.Address(), gd.dev, dem)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// ssSealReply seals this library's decryption-error reply for the sender
// named in a failed envelope (recovery.SealReply: v1, for the identity key
// of the failed envelope's certificate, since the session is what broke).
func ssSealReply(t *testing.T, gd *ssGoDevice, ie *sealedsender.InnerError, pc *recovery.PlaintextContent) []byte {
	t.Helper()
	env, err := recovery.SealReply(pc, ie, gd.cert, gd.id)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// ssNodeReceivesDEM has libsignal decrypt this library's sealed reply and
// read the decryption-error message out of it.
func ssNodeReceivesDEM(t *testing.T, nd *ssNodeDevice, env []byte, from peer.Address, groupID []byte) peer.DEM {
	t.Helper()
	ctx := context.Background()
	r, err := nd.decrypt(ctx, env, false)
	if err != nil {
		t.Fatalf("libsignal on our sealed PlaintextContent: %v", err)
	}
	if r.Type != peer.TypePlaintext || r.SenderUUID != from.Name || r.DeviceID != from.DeviceID || !bytes.Equal(r.GroupID, groupID) {
		t.Fatalf("libsignal decrypted our sealed PlaintextContent as %+v", r)
	}
	dem, err := nd.DEMFromPlaintextContent(ctx, r.Plaintext)
	if err != nil {
		t.Fatalf("libsignal reads our PlaintextContent: %v", err)
	}
	return dem
}

// ssRecoverLibLost: this library (the receiver) loses its session with
// libsignal (the sender).
func ssRecoverLibLost(t *testing.T, g *ssGoParty, n *ssNodeParty, old []byte, ts time.Time) []string {
	ctx := context.Background()
	gd, nd := g.ssGoDevice, n.ssNodeDevice
	var log []string
	// This library answers an old envelope of libsignal's: its ratchet key
	// is not libsignal's current one.
	c, err := sealedsender.Open(old, gd.id)
	if err != nil {
		t.Fatal(err)
	}
	stale, err := recovery.NewDecryptionErrorMessage(c.Body, c.Type, ts.Add(-time.Second), c.Certificate.Sender().DeviceID)
	if err != nil {
		t.Fatal(err)
	}
	spc, err := recovery.NewPlaintextContent(stale)
	if err != nil {
		t.Fatal(err)
	}
	before, err := nd.SessionRecord(ctx, gd.addr())
	if err != nil {
		t.Fatal(err)
	}
	sdem := ssNodeReceivesDEM(t, nd, ssSealReply(t, gd, &sealedsender.InnerError{Sender: c.Certificate.Sender()}, spc), gd.addr(), nil)
	if m, err := nd.RatchetKeyMatches(ctx, gd.addr(), sdem.RatchetKey); err != nil || m {
		t.Fatalf("libsignal: an earlier ratchet key matches its current one: %v %v", m, err)
	}
	if after, err := nd.SessionRecord(ctx, gd.addr()); err != nil || !bytes.Equal(before, after) {
		t.Fatalf("libsignal's session changed on a stale error (%v)", err)
	}
	log = append(log, "stale error: libsignal's key does not match")

	if err := gd.M.DeleteSession(ctx, sessAddr(nd.addr())); err != nil {
		t.Fatal(err)
	}
	env, _, err := nd.SSEncrypt(ctx, gd.addr(), int(g.version), peer.SSContent{SenderCert: nd.cert, Plaintext: []byte("lost message"),
		ContentHint: uint32(sealedsender.HintResendable)})
	if err != nil {
		t.Fatal(err)
	}
	st := gd.state(t, ctx)
	_, err = gd.c.Decrypt(ctx, env)
	var ie *sealedsender.InnerError
	if !errors.As(err, &ie) || !errors.Is(err, session.ErrNoSession) || ie.Hint != sealedsender.HintResendable {
		t.Fatalf("this library without its session: %v", err)
	}
	if gd.state(t, ctx) != st {
		t.Fatal("the failed decrypt changed this library's state")
	}
	log = append(log, "lib: "+goErrClass(err))
	pc, err := recovery.ReplyForInner(ie, ts)
	if err != nil {
		t.Fatal(err)
	}
	dem := ssNodeReceivesDEM(t, nd, ssSealReply(t, gd, ie, pc), gd.addr(), nil)
	if dem.Timestamp != ts.UnixMilli() || dem.DeviceID != nd.dev || len(dem.RatchetKey) != 33 {
		t.Fatalf("libsignal reads our decryption-error message as %+v", dem)
	}
	m, err := nd.RatchetKeyMatches(ctx, gd.addr(), dem.RatchetKey)
	if err != nil || !m {
		t.Fatalf("libsignal: the error's ratchet key is not its current one: %v %v", m, err)
	}
	if had, err := nd.ArchiveSession(ctx, gd.addr()); err != nil || !had {
		t.Fatal(err)
	}
	log = append(log, "libsignal archived")
	b, err := gd.Bundle(ctx, peer.BundleRequest{SignedPreKeyID: 9, OneTime: true, Kyber: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := nd.ProcessBundle(ctx, gd.addr(), b); err != nil {
		t.Fatal(err)
	}
	env, typ, err := nd.SSEncrypt(ctx, gd.addr(), int(g.version), peer.SSContent{SenderCert: nd.cert, Plaintext: []byte("lost message"),
		ContentHint: uint32(sealedsender.HintResendable)})
	if err != nil {
		t.Fatal(err)
	}
	r, err := gd.c.Decrypt(ctx, env)
	if err != nil || typ != peer.TypePreKey || r.Type != sealedsender.TypePreKey || string(r.Plaintext) != "lost message" {
		t.Fatalf("this library on the resend: type %d, %v", typ, err)
	}
	return append(log, "resent as PreKey and decrypted")
}

// TestRecoveryGroup repairs a group after a device lost the sender key of
// a sender (a sender-key message fails), with either side as the device
// that lost it, in a group of one sender and one account of two devices
// (only the first lost the key): the failed device answers with a
// decryption-error message without a ratchet key, sealed with the group id;
// the sender changes no session, re-sends its sender-key distribution
// message over the 1:1 session and resends the message (a multi-recipient
// message to that device); then the group goes on for both devices.
func TestRecoveryGroup(t *testing.T) {
	t.Run("libsignal-lost-sender-key", ssRecoverGroupLibsignalLost)
	t.Run("lib-lost-sender-key", ssRecoverGroupLibLost)
}

func ssRecoverGroupLibsignalLost(t *testing.T) {
	ctx := context.Background()
	tr := newSSTrust(t)
	snd := newSSGoDevice(t, tr, newUUID(t), 1, mustIdentity(t))
	self := senderkey.Sender{Name: snd.uuid, DeviceID: snd.dev}
	id, uuid := mustIdentity(t), newUUID(t)
	devs := []*ssNodeDevice{newSSNodeDevice(t, tr, uuid, 1, id), newSSNodeDevice(t, tr, uuid, 2, id)}
	var to []session.Address
	for _, nd := range devs {
		b, err := nd.Bundle(ctx, peer.BundleRequest{SignedPreKeyID: 1, OneTime: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := snd.ProcessBundle(ctx, nd.addr(), b); err != nil {
			t.Fatal(err)
		}
		to = append(to, sessAddr(nd.addr()))
	}
	dist := senderkey.NewDistributionID()
	groupID := randBytes(t, 32)
	distribute := func(nd *ssNodeDevice) {
		dm, err := snd.skc.CreateDistributionMessage(ctx, self, dist)
		if err != nil {
			t.Fatal(err)
		}
		env, err := snd.c.Encrypt(ctx, sessAddr(nd.addr()), snd.cert, dm.Bytes(), nil)
		if err != nil {
			t.Fatal(err)
		}
		r, err := nd.decrypt(ctx, env, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := nd.GroupProcess(ctx, dist.String(), snd.addr(), r.Plaintext); err != nil {
			t.Fatal(err)
		}
	}
	send := func(pt string, to []session.Address) map[string][]byte {
		sent, err := snd.c.EncryptGroup(ctx, self, dist, to, nil, snd.cert, []byte(pt), &sealedsender.Options{Hint: sealedsender.HintResendable, GroupID: groupID})
		if err != nil {
			t.Fatal(err)
		}
		split, _ := ssSplit(t, ctx, devs[0].Process, sent)
		out := map[string][]byte{}
		for sid, e := range split {
			out[sid] = e.message
		}
		return out
	}
	recv := func(nd *ssNodeDevice, env []byte, pt string) {
		t.Helper()
		r, err := nd.decrypt(ctx, env, false)
		if err != nil || r.Type != peer.TypeSenderKey || string(r.Plaintext) != pt {
			t.Fatalf("%s: %q: %v", nd.Label(), r.Plaintext, err)
		}
	}
	for _, nd := range devs {
		distribute(nd)
	}
	for i := range 5 {
		pt := fmt.Sprintf("before %d", i)
		m := send(pt, to)
		for _, nd := range devs {
			recv(nd, m[uuid], pt)
		}
	}
	if had, err := devs[0].DeleteSenderKey(ctx, dist.String(), snd.addr()); err != nil || !had {
		t.Fatalf("delete_sender_key: %v %v", had, err)
	}
	ts := time.UnixMilli(time.Now().UnixMilli())
	m := send("lost message", to)
	recv(devs[1], m[uuid], "lost message")
	_, err := devs[0].decrypt(ctx, m[uuid], false)
	if c := peer.SSErrorClass(err); c != "inner:no-sender-key" {
		t.Fatalf("libsignal without the sender key: %v (class %q)", err, c)
	}
	u, err := devs[0].SSUSMC(ctx, m[uuid])
	if err != nil {
		t.Fatal(err)
	}
	dem, err := devs[0].DEMForOriginal(ctx, u.Content, u.Type, ts.UnixMilli(), u.DeviceID)
	if err != nil {
		t.Fatal(err)
	}
	if len(dem.RatchetKey) != 0 {
		t.Fatalf("a sender-key message's error names a ratchet key")
	}
	before := snd.state(t, ctx, ssSenderKeyID{self, dist})
	resp := ssLibReceivesDEM(t, snd, devs[0], dem.PlaintextContent, u.GroupID)
	if !resp.Ours || resp.Archived || !resp.SenderKey || !resp.Timestamp.Equal(ts) {
		t.Fatalf("this library's response: %+v", resp)
	}
	if snd.state(t, ctx, ssSenderKeyID{self, dist}) != before {
		t.Fatal("handling a sender-key error changed this library's state")
	}
	distribute(devs[0])
	m = send("lost message", to[:1])
	recv(devs[0], m[uuid], "lost message")
	for i := range 5 {
		pt := fmt.Sprintf("after %d", i)
		m := send(pt, to)
		for _, nd := range devs {
			recv(nd, m[uuid], pt)
		}
	}
}

func ssRecoverGroupLibLost(t *testing.T) {
	ctx := context.Background()
	tr := newSSTrust(t)
	ns := newSSNodeDevice(t, tr, newUUID(t), 1, mustIdentity(t))
	id, uuid := mustIdentity(t), newUUID(t)
	devs := []*ssGoDevice{newSSGoDevice(t, tr, uuid, 1, id), newSSGoDevice(t, tr, uuid, 2, id)}
	var to []peer.Address
	for _, gd := range devs {
		b, err := gd.Bundle(ctx, peer.BundleRequest{SignedPreKeyID: 1, OneTime: true, Kyber: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := ns.ProcessBundle(ctx, gd.addr(), b); err != nil {
			t.Fatal(err)
		}
		to = append(to, gd.addr())
	}
	dist := senderkey.NewDistributionID()
	skid := ssSenderKeyID{senderkey.Sender{Name: ns.uuid, DeviceID: ns.dev}, dist}
	groupID := randBytes(t, 32)
	distribute := func(gd *ssGoDevice) {
		skdm, err := ns.GroupCreate(ctx, dist.String(), ns.addr())
		if err != nil {
			t.Fatal(err)
		}
		env, _, err := ns.SSEncrypt(ctx, gd.addr(), 1, peer.SSContent{SenderCert: ns.cert, Plaintext: skdm})
		if err != nil {
			t.Fatal(err)
		}
		r, err := gd.c.Decrypt(ctx, env)
		if err != nil {
			t.Fatal(err)
		}
		dm, err := senderkey.ParseDistributionMessage(r.Plaintext)
		if err != nil {
			t.Fatal(err)
		}
		if err := gd.skc.ProcessDistributionMessage(ctx, senderkey.Sender{Name: r.Sender.UUID, DeviceID: r.Sender.DeviceID}, dm); err != nil {
			t.Fatal(err)
		}
	}
	send := func(pt string, to []peer.Address) []byte {
		sent, _, err := ns.SSMultiEncrypt(ctx, to, nil, peer.SSContent{SenderCert: ns.cert, Group: dist.String(), SelfName: ns.uuid,
			SelfDeviceID: ns.dev, Plaintext: []byte(pt), ContentHint: uint32(sealedsender.HintResendable), GroupID: groupID})
		if err != nil {
			t.Fatal(err)
		}
		split, _ := ssSplit(t, ctx, ns.Process, sent)
		return split[uuid].message
	}
	recv := func(gd *ssGoDevice, env []byte, pt string) {
		t.Helper()
		r, err := gd.c.Decrypt(ctx, env)
		if err != nil || r.Type != sealedsender.TypeSenderKey || string(r.Plaintext) != pt {
			t.Fatalf("%s: %v", gd.Label(), err)
		}
	}
	for _, gd := range devs {
		distribute(gd)
	}
	for i := range 5 {
		pt := fmt.Sprintf("before %d", i)
		m := send(pt, to)
		for _, gd := range devs {
			recv(gd, m, pt)
		}
	}
	if err := devs[0].sk.DeleteSenderKey(ctx, skid.sender, dist); err != nil {
		t.Fatal(err)
	}
	ts := time.UnixMilli(time.Now().UnixMilli())
	m := send("lost message", to)
	recv(devs[1], m, "lost message")
	st := devs[0].state(t, ctx, skid)
	_, err := devs[0].c.Decrypt(ctx, m)
	var ie *sealedsender.InnerError
	if !errors.As(err, &ie) || !errors.Is(err, senderkey.ErrNoSenderKey) || !bytes.Equal(ie.GroupID, groupID) {
		t.Fatalf("this library without the sender key: %v", err)
	}
	if devs[0].state(t, ctx, skid) != st {
		t.Fatal("the failed decrypt changed this library's state")
	}
	pc, err := recovery.ReplyForInner(ie, ts)
	if err != nil {
		t.Fatal(err)
	}
	before, err := ns.SessionRecord(ctx, devs[0].addr())
	if err != nil {
		t.Fatal(err)
	}
	dem := ssNodeReceivesDEM(t, ns, ssSealReply(t, devs[0], ie, pc), devs[0].addr(), groupID)
	if dem.Timestamp != ts.UnixMilli() || dem.DeviceID != ns.dev || len(dem.RatchetKey) != 0 {
		t.Fatalf("libsignal reads our decryption-error message as %+v", dem)
	}
	if after, err := ns.SessionRecord(ctx, devs[0].addr()); err != nil || !bytes.Equal(before, after) {
		t.Fatal("libsignal's session changed")
	}
	distribute(devs[0])
	recv(devs[0], send("lost message", to[:1]), "lost message")
	for i := range 5 {
		pt := fmt.Sprintf("after %d", i)
		m := send(pt, to)
		for _, gd := range devs {
			recv(gd, m, pt)
		}
	}
}
