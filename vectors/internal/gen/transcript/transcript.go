package main

import (
	"bytes"
	"crypto/mlkem"
	"crypto/sha3"
	"encoding/hex"
	"errors"
	"fmt"
	"log"
	"slices"

	"github.com/forwardsecret/signal/vectors/internal/gen/internal/pqr"
	"github.com/forwardsecret/signal/vectors/internal/gen/internal/xed"
)

// One transcript, step by step: set-up, handshake, the turns of the
// conversation, the invalid messages that need the whole session, and
// the invalid bundles.

// gen numbers the invalid vectors and counts the vectors of one file.
type gen struct {
	nextInvalid int
	messages    int
	invalid     int
}

// sent is a message with what the generator needs to make variants of it.
type sent struct {
	typ     int
	body    []byte
	sm      []byte // the SignalMessage (inner message of a PreKey message)
	their   []byte // sender's ratchet public key
	counter uint32
	prev    uint32
	ck      []byte // sender's chain key at counter
	sender  *party
	pk      *preKeyFields // the PreKey fields, for type 3
	pq      []byte        // SPQR message (field 5), v4
	salt    []byte        // SPQR message key, v4
}

// run is one transcript being built: its spec, the two parties, the
// handshake's keys and the messages sent so far. transcript runs its
// steps in order; each step draws nothing the next one could reorder,
// and invalid-vector ids are handed out in step order.
type run struct {
	g   *gen
	tid int
	s   spec
	v   int // session version, 3 or 4
	t   Transcript

	alice, bob *party
	parties    map[string]*party

	// The handshake's keys and results.
	aliceID, bobID keyPair
	base, spk, opk keyPair
	kemM           []byte // Alice's KEM encapsulation randomness (v4)
	spkSig         []byte
	kemPublic      []byte                      // typed KEM prekey (v4)
	dk             *mlkem.DecapsulationKey1024 // Bob's KEM prekey (v4)
	pk             *preKeyFields               // what Alice's PreKey messages carry
	secret         []byte                      // the handshake's HKDF input
	okm            []byte                      // root key || chain key [|| SPQR auth key]

	// The conversation.
	msgs        []sent
	held        []int          // messages held back for a later turn
	typeCount   map[string]int // SPQR message types sent (v4)
	invalidsFor map[string]int // per receiver and type: messages that got invalid variants
}

func (g *gen) transcript(tid int, s spec) Transcript {
	r := &run{g: g, tid: tid, s: s, v: s.version}
	r.setUp()
	r.handshake()
	r.checkResponderHandshake()
	r.startSessions()
	for ti, tr := range s.turns {
		r.turn(ti, tr)
	}
	for _, h := range r.held {
		r.deliver(r.msgs[h].sender.other, h)
	}
	r.droppedChainMessages()
	r.replays()
	r.finish()
	r.invalidBundles()
	return r.t
}

// label names a key, seed or draw of this transcript.
func (r *run) label(l string) string { return fmt.Sprintf("%s %s", r.s.name, l) }

// setUp makes both parties' identities and ratchet key pools, Bob's signed
// prekey and Alice's handshake draws, and starts the transcript with them.
func (r *run) setUp() {
	s, v, tid, label := r.s, r.v, r.tid, r.label
	r.aliceID, r.bobID = newKey(label("alice identity")), newKey(label("bob identity"))
	hsSeed := drawSeed(label("alice handshake"))
	hs := chacha8Stream(hsSeed, 96)
	r.base = keyFromRaw(hs[:32])
	r.kemM = hs[32:64]
	r.spk = newKey(label("bob signed prekey"))
	alice := &party{name: "alice", identity: r.aliceID, version: v, drawLabel: label("alice")}
	bob := &party{name: "bob", identity: r.bobID, version: v, drawLabel: label("bob")}
	alice.other, bob.other = bob, alice
	r.alice, r.bob = alice, bob
	first := hs[32:64]
	if v == 4 {
		first = hs[64:96]
	}
	alice.ratchetPool = append(alice.ratchetPool, keyFromRaw(first))
	alice.seeds = append(alice.seeds, nil)
	for i := 0; i < 40; i++ {
		for _, p := range []*party{alice, bob} {
			seed := drawSeed(label(fmt.Sprintf("%s ratchet %d", p.name, len(p.ratchetPool))))
			p.ratchetPool = append(p.ratchetPool, keyFromRaw(chacha8Stream(seed, 32)))
			p.seeds = append(p.seeds, &seed)
		}
	}
	r.t = Transcript{ID: tid, Name: s.name, Version: v, KEM: s.kem, Flags: s.flags, Invalid: []Invalid{}, InvalidBundles: []InvalidBundle{}}
	r.t.SPQR = "not_applicable"
	if v == 4 {
		r.t.SPQR = "v1"
	}
	r.t.Alice = Alice{RegistrationID: uint32(1000 + tid), DeviceID: 1, Name: "alice", Identity: r.aliceID.json(), HandshakeDrawSeed: hsSeed, BaseKey: r.base.json()}
	spkZ := fixed(label("spk signature Z"), 64)
	r.spkSig = xed.Sign(r.bobID.raw, r.spk.pub, spkZ, true).Signature
	r.t.Bob = Bob{RegistrationID: uint32(2000 + tid), DeviceID: 1, Name: "bob", Identity: r.bobID.json(),
		SignedPreKeyID: uint32(7 + tid), SignedPreKey: r.spk.json(), SignedPreKeyZ: x(spkZ), SignedPreKeySignature: x(r.spkSig)}
}

// handshake runs X3DH (v3) or PQXDH (v4) on Alice's side: Bob's one-time
// and KEM prekeys, the secret, the HKDF output and the PreKey fields.
func (r *run) handshake() {
	s, v, tid, label, t := r.s, r.v, r.tid, r.label, &r.t
	aliceID, bobID, base, spk := r.aliceID, r.bobID, r.base, r.spk
	secret := bytes.Repeat([]byte{0xFF}, 32)
	secret = append(secret, dh(aliceID, spk.pub)...)
	secret = append(secret, dh(base, bobID.pub)...)
	secret = append(secret, dh(base, spk.pub)...)
	pk := &preKeyFields{version: v, baseKey: base.pub, identityKey: aliceID.pub,
		registrationID: t.Alice.RegistrationID, signedPreKeyID: t.Bob.SignedPreKeyID}
	if s.oneTime {
		r.opk = newKey(label("bob one-time prekey"))
		id := uint32(100 + tid)
		j := r.opk.json()
		t.Bob.OneTimePreKeyID, t.Bob.OneTimePreKey = &id, &j
		secret = append(secret, dh(base, r.opk.pub)...)
		pk.hasPreKeyID, pk.preKeyID = true, id
	}
	info, n := infoV3, 64
	if v == 4 {
		seed := fixed(label("bob kem seed"), mlkem.SeedSize)
		var err error
		if r.dk, err = mlkem.NewDecapsulationKey1024(seed); err != nil {
			log.Fatal(err)
		}
		typ := byte(0x08)
		if s.kem == "ML-KEM-1024" {
			typ = 0x0A
		}
		r.kemPublic = append([]byte{typ}, r.dk.EncapsulationKey().Bytes()...)
		kz := fixed(label("kem signature Z"), 64)
		id := uint32(300 + tid)
		t.Bob.KEMPreKeyID, t.Bob.KEMPreKeySeed, t.Bob.KEMPreKeyPublic = &id, x(seed), x(r.kemPublic)
		t.Bob.KEMPreKeyZ, t.Bob.KEMPreKeySignature = x(kz), x(xed.Sign(bobID.raw, r.kemPublic, kz, true).Signature)
		ct, ss := encapsulate(s.kem, r.dk.EncapsulationKey(), r.kemM)
		t.Alice.KEMM = x(r.kemM)
		t.Handshake.KEMCiphertext, t.Handshake.KEMSharedSecret = x(ct), x(ss)
		secret = append(secret, ss...)
		pk.kyberID, pk.kyberCT = id, ct
		info, n = infoV4, 96
	}
	r.pk, r.secret = pk, secret
	r.okm = hkdfKey(secret, nil, info, n)
	t.Handshake.Secret, t.Handshake.RootKey, t.Handshake.ChainKey = x(secret), x(r.okm[:32]), x(r.okm[32:64])
	if v == 4 {
		t.Handshake.AuthKey = x(r.okm[64:])
	}
}

// checkResponderHandshake computes Bob's side of the agreement, to check
// the generator against itself.
func (r *run) checkResponderHandshake() {
	s, v := r.s, r.v
	bsecret := bytes.Repeat([]byte{0xFF}, 32)
	bsecret = append(bsecret, dh(r.spk, r.aliceID.pub)...)
	bsecret = append(bsecret, dh(r.bobID, r.base.pub)...)
	bsecret = append(bsecret, dh(r.spk, r.base.pub)...)
	if s.oneTime {
		bsecret = append(bsecret, dh(r.opk, r.base.pub)...)
	}
	if v == 4 {
		ss, err := r.dk.Decapsulate(r.pk.kyberCT[1:])
		if err != nil {
			log.Fatal(err)
		}
		if s.kem == "Kyber1024" {
			hc := sha3.Sum256(r.pk.kyberCT[1:])
			sh := sha3.NewSHAKE256()
			sh.Write(ss)
			sh.Write(hc[:])
			ss = make([]byte, 32)
			sh.Read(ss)
		}
		bsecret = append(bsecret, ss...)
	}
	if !bytes.Equal(r.secret, bsecret) {
		log.Fatalf("%s: the two sides of the handshake disagree", s.name)
	}
}

// startSessions gives Alice her session: a receiving chain for SPK_B at the
// handshake's chain key and a sending chain from her first ratchet key.
// Bob's starts when her first PreKey message arrives (receive).
func (r *run) startSessions() {
	alice, bob, okm := r.alice, r.bob, r.okm
	a0, _ := alice.draw()
	alice.recv = []*recvChain{{their: r.spk.pub, ck: okm[32:64], skipped: map[uint32][]byte{}}}
	alice.root, alice.sendCK = rootStep(okm[:32], dh(a0, r.spk.pub))
	alice.sendKey = a0
	alice.pending = r.pk
	alice.hasSession = true
	if r.v == 4 {
		alice.pq = pqr.New(okm[64:96], true)
		alice.authKey, bob.authKey = okm[64:96], okm[64:96]
	}
	r.parties = map[string]*party{"alice": alice, "bob": bob}
	r.typeCount = map[string]int{}
	r.invalidsFor = map[string]int{}
}

// receive has receiver decrypt message mi (starting Bob's session on
// Alice's first PreKey message) and records the event.
func (r *run) receive(receiver *party, mi int) {
	bob, okm, t := r.bob, r.okm, &r.t
	m := r.msgs[mi]
	if m.typ == typePreKey && !receiver.hasSession {
		bob.root = okm[:32]
		bob.sendKey, bob.sendCK, bob.sendN = r.spk, okm[32:64], 0
		bob.hasSession = true
		if r.v == 4 {
			bob.pq = pqr.New(okm[64:96], false)
		}
	}
	pt, drew, pqInfo := receiver.receive(m.their, m.counter, m.sm)
	if x(pt) != t.Messages[mi].Plaintext {
		log.Fatalf("%s: message %d decrypts wrongly", r.s.name, mi)
	}
	e := Event{Op: "receive", Party: receiver.name, Message: mi}
	if drew >= 0 {
		d := drew
		e.DrawsRatchetKey = &d
	}
	if pqInfo != nil {
		e.SPQRState = pqInfo.Phase.String()
		if es := pqInfo.Secret; es != nil {
			e.SPQREpochSecret = &EpochSecret{Epoch: es.Epoch, Secret: x(es.Secret)}
		}
	}
	t.Events = append(t.Events, e)
}

// deliver offers receiver the invalid variants of message mi (for the
// first message each party receives of each type), then the message.
func (r *run) deliver(receiver *party, mi int) {
	m := r.msgs[mi]
	if r.t.Messages[mi].Undelivered {
		log.Fatalf("%s: message %d is undelivered", r.s.name, mi)
	}
	key := fmt.Sprintf("%s %d", receiver.name, m.typ)
	if r.invalidsFor[key] < 1 {
		r.invalidsFor[key]++
		n := uint32(0)
		if c := receiver.findRecv(m.their); c != nil && receiver.hasSession {
			n = c.n
		}
		r.g.invalidMessages(&r.t, r.s, m, receiver, n, len(r.t.Events), r.invalidsFor[key] == 1)
	}
	r.receive(receiver, mi)
}

// turn is one turn of the script: the sender sends tr.count messages, and
// the receiver gets them in the spec's delivery order, with the messages
// held back from the sender's earlier turns after the first one.
func (r *run) turn(ti int, tr turn) {
	sender := r.parties[tr.sender]
	evict := r.s.delivery == "evict" && tr.count > maxMessageKeys
	batch := r.send(sender, tr.count, evict)
	order, hold := deliveryOrder(r.s.delivery, len(batch), r.tid*100+ti)
	if evict {
		order = r.evictionOrder(batch)
	}
	r.deliverBatch(sender, batch, order, evict)
	for _, h := range hold {
		r.held = append(r.held, batch[h])
	}
}

// send has sender encrypt count messages and returns their indices.
func (r *run) send(sender *party, count int, evict bool) []int {
	t := &r.t
	var batch []int
	for i := 0; i < count; i++ {
		pt := fixed(r.label(fmt.Sprintf("plaintext %d", len(r.msgs))), 1+(len(r.msgs)*7)%90)
		if evict {
			pt = []byte{} // keeps the 2,000-key session small
		}
		ck := sender.sendCK
		typ, body, mk, counter, pq := sender.encrypt(pt)
		msg := Message{ID: len(r.msgs), Sender: sender.name, Type: typ, RatchetKey: x(sender.sendKey.pub),
			Counter: counter, PreviousCounter: sender.prev, Plaintext: x(pt),
			CipherKey: x(mk.cipher), MACKey: x(mk.mac), IV: x(mk.iv), Body: x(body), Result: "valid"}
		ev := Event{Op: "send", Party: sender.name, Message: len(r.msgs)}
		var pqMsg, salt []byte
		if pq != nil {
			pqMsg, salt = pq.msg, pq.key
			msg.SPQR = spqrJSON(pq)
			r.typeCount[msg.SPQR.Type]++
			if pq.info.Drawn != nil {
				seed := pq.seed
				ev.DrawSeed = &seed
			}
		}
		if evict && i > 2 && i < count-5 && i != count-3 {
			msg.CipherKey, msg.MACKey, msg.IV = "", "", "" // debugging values; keeps the file small
		}
		t.Messages = append(t.Messages, msg)
		sm := body
		var mpk *preKeyFields
		if typ == typePreKey {
			sm = innerMessage(body)
			mpk = r.pk
		}
		r.msgs = append(r.msgs, sent{typ: typ, body: body, sm: sm, their: sender.sendKey.pub, counter: counter,
			prev: sender.prev, ck: ck, sender: sender, pk: mpk, pq: pqMsg, salt: salt})
		if sender == r.bob && t.BobFirstSendEvent == nil && r.v == 4 {
			n := len(t.Events)
			t.BobFirstSendEvent = &n
		}
		t.Events = append(t.Events, ev)
		batch = append(batch, len(r.msgs)-1)
	}
	return batch
}

// evictionOrder is the delivery order of the evict spec's long turn, which
// leaves the turn's second message (counter 1) undelivered.
//
// v3: counters 0, 2000, 2002, 2004 (n = 2005): the receiver skips
// 1..1999, 2001 and 2003, one key more than maxMessageKeys, in jumps of at
// most 2,000 (libsignal-protocol-c and python-axolotl refuse longer ones).
// v4: counters 0, 2002 (n = 2003), one jump of 2,002: SPQR's chain keeps
// keys by distance (index + 2000 >= newest), so only this order trims
// exactly the SPQR index of counter 1 too. Either way the oldest key,
// counter 1, is evicted and then fails as a duplicate (libsignal's verdict
// for a key it no longer has below the chain index); every other skipped
// counter still decrypts.
func (r *run) evictionOrder(batch []int) []int {
	n := len(batch)
	first := []int{0, n - 5, n - 3, n - 1}
	if r.v == 4 {
		first = []int{0, n - 1}
	}
	order := first
	for i := 2; i < n-1; i++ {
		if !slices.Contains(first, i) {
			order = append(order, i)
		}
	}
	r.t.Messages[batch[1]].Undelivered = true
	return order
}

// deliverBatch delivers a turn's messages in order to the sender's peer.
// After the first, the messages held back from the sender's earlier turns
// arrive; in the evict spec, the evicted message is offered (as an invalid
// message) once its key is gone.
func (r *run) deliverBatch(sender *party, batch, order []int, evict bool) {
	receiver := sender.other
	for k, o := range order {
		if evict && k == 4-2*(r.v-3) {
			r.evictedKey(receiver, r.msgs[batch[1]])
		}
		r.deliver(receiver, batch[o])
		if k == 0 {
			// Messages held back from an earlier turn of this
			// sender arrive after the first message of this turn.
			var keep []int
			for _, h := range r.held {
				if r.msgs[h].sender == sender {
					r.deliver(receiver, h)
				} else {
					keep = append(keep, h)
				}
			}
			r.held = keep
		}
	}
}

// evictedKey checks that the key of m is gone from the receiver's chain
// (and from SPQR's) and adds m as an invalid message: a duplicate.
func (r *run) evictedKey(receiver *party, m sent) {
	c := receiver.findRecv(m.their)
	if _, ok := c.skipped[m.counter]; ok || m.counter != 1 || len(c.skipped) != maxMessageKeys {
		log.Fatalf("%s: key %d not evicted (%d keys)", r.s.name, m.counter, len(c.skipped))
	}
	if receiver.pq != nil {
		_, _, err := receiver.pq.Clone().Recv(m.pq)
		var ke *pqr.KeyError
		if !errors.As(err, &ke) || ke.Kind != "trimmed" {
			log.Fatalf("%s: SPQR key of the evicted message: %v", r.s.name, err)
		}
	}
	r.g.add(&r.t, Invalid{Name: fmt.Sprintf("%s_evicted_key_%d", receiver.name, m.counter), BeforeEvent: len(r.t.Events), Party: receiver.name,
		Type: m.typ, Body: x(m.body), Flags: []string{"evicted_key"}, Error: "duplicate_message"})
}

// droppedChainMessages adds, for each party, a new message on a chain of
// the peer that the party no longer holds (more than maxReceiverChains
// newer ones), after everything: correctly MACed, but its chain key is
// gone.
func (r *run) droppedChainMessages() {
	msgs, v := r.msgs, r.v
	for _, receiver := range []*party{r.alice, r.bob} {
		last := map[string]int{} // the peer's ratchet key -> its last message
		var order []string
		for mi := range msgs {
			if msgs[mi].sender == receiver.other {
				k := string(msgs[mi].their)
				if _, ok := last[k]; !ok {
					order = append(order, k)
				}
				last[k] = mi
			}
		}
		if v == 4 {
			// The most recently dropped chain: an implementation may
			// remember a bounded number of dropped chains (this library's
			// ratchet keeps five), and the long v4 transcripts drop many.
			// (v3 keeps the oldest, as it always did.)
			slices.Reverse(order)
		}
		for _, k := range order {
			if receiver.findRecv([]byte(k)) != nil {
				continue
			}
			m := msgs[last[k]]
			pq, salt, ok := freshPQ(receiver.other, receiver)
			if !ok {
				break
			}
			r.g.add(&r.t, Invalid{Name: fmt.Sprintf("%s_receiver_chain_dropped", receiver.name), BeforeEvent: len(r.t.Events), Party: receiver.name,
				Type: typeSignal, Body: x(forge(m, v, m.counter+1, []byte("on a dropped chain"), pq, salt)), Flags: []string{"receiver_chain_dropped"},
				Error: "receiver_chain_dropped"})
			break
		}
	}
}

// replays adds replays of delivered messages, after everything: the first
// and the last message whose receiving chain the receiver still holds.
func (r *run) replays() {
	msgs := r.msgs
	var replays []int
	for mi := range msgs {
		if msgs[mi].sender.other.findRecv(msgs[mi].their) != nil {
			replays = append(replays, mi)
			break
		}
	}
	if last := len(msgs) - 1; len(replays) == 0 || replays[0] != last {
		replays = append(replays, last)
	}
	for _, mi := range replays {
		flags := []string{"duplicate"}
		if rcv := msgs[mi].sender.other; rcv.pq != nil {
			// SPQR refuses the replayed key as already requested, or as
			// trimmed when its index is more than 2,000 behind (libsignal
			// looks the Double Ratchet key up first and reports a
			// duplicate either way); a replay whose SPQR epoch the
			// receiver no longer holds is left out.
			_, _, err := rcv.pq.Clone().Recv(msgs[mi].pq)
			var ke *pqr.KeyError
			if !errors.As(err, &ke) {
				continue
			}
			if ke.Kind == "trimmed" {
				flags = append(flags, "spqr_trimmed")
			}
		}
		r.g.add(&r.t, Invalid{Name: fmt.Sprintf("duplicate_message_%d", mi), BeforeEvent: len(r.t.Events), Party: msgs[mi].sender.other.name,
			Type: msgs[mi].typ, Body: x(msgs[mi].body), Flags: flags, Error: "duplicate_message"})
	}
}

// finish lists the ratchet keys each party drew, counts the messages and,
// in v4, records where Bob first sent and both parties' final SPQR state.
func (r *run) finish() {
	alice, bob, t := r.alice, r.bob, &r.t
	for i := 0; i < alice.drawn; i++ {
		t.Alice.RatchetKeys = append(t.Alice.RatchetKeys, alice.ratchetPool[i].jsonSeed(alice.seeds[i]))
	}
	for i := 0; i < bob.drawn; i++ {
		t.Bob.RatchetKeys = append(t.Bob.RatchetKeys, bob.ratchetPool[i].jsonSeed(bob.seeds[i]))
	}
	r.g.messages += len(t.Messages)
	if r.v == 4 {
		if t.BobFirstSendEvent == nil {
			n := len(t.Events)
			t.BobFirstSendEvent = &n
		}
		t.SPQRFinal = &SPQRFinal{AliceEpoch: alice.pq.Epoch(), AliceState: alice.pq.Phase().String(), AliceChainEpoch: alice.pq.ChainEpoch(),
			BobEpoch: bob.pq.Epoch(), BobState: bob.pq.Phase().String(), BobChainEpoch: bob.pq.ChainEpoch(), MessageTypes: r.typeCount}
	}
}

// invalidBundles adds Bob's bundle with a modified or replaced signed
// prekey and, in v4, KEM prekey: each must fail its signature check.
func (r *run) invalidBundles() {
	v, tid, spk, spkSig, kemPublic, bobID := r.v, r.tid, r.spk, r.spkSig, r.kemPublic, r.bobID
	bundle := func(name, flag string, spkPub, spkSig, kemPub, kemSig []byte) {
		b := InvalidBundle{ID: r.g.nextID(), Name: name, SignedPreKey: x(spkPub), SignedPreKeySignature: x(spkSig),
			Result: "invalid", Flags: []string{flag}, Error: "bad_signature"}
		if v == 4 {
			b.KEMPreKeyPublic, b.KEMPreKeySignature = x(kemPub), x(kemSig)
		}
		if xed.Verify(bobID.pub[1:], spkPub, spkSig, true) && (v == 3 || xed.Verify(bobID.pub[1:], kemPub, kemSig, true)) {
			log.Fatalf("%s: invalid bundle %s verifies", r.s.name, name)
		}
		r.g.invalid++
		r.t.InvalidBundles = append(r.t.InvalidBundles, b)
	}
	var kemSig []byte
	if v == 4 {
		kemSig, _ = hex.DecodeString(r.t.Bob.KEMPreKeySignature)
	}
	bundle("signed_prekey_signature_modified", "modified_signature", spk.pub, flipByte(spkSig, tid%64, 0x04), kemPublic, kemSig)
	bundle("signed_prekey_replaced", "wrong_key", r.base.pub, spkSig, kemPublic, kemSig)
	if v == 4 {
		bundle("kem_prekey_signature_modified", "modified_kem_signature", spk.pub, spkSig, kemPublic, flipByte(kemSig, (tid+5)%64, 0x10))
		bundle("kem_prekey_modified", "modified_kem_key", spk.pub, spkSig, flipByte(kemPublic, 100+tid, 0x01), kemSig)
	}
}

func (g *gen) nextID() int { g.nextInvalid++; return g.nextInvalid }

func (g *gen) add(t *Transcript, inv Invalid) {
	inv.ID = g.nextID()
	inv.Result = "invalid"
	g.invalid++
	t.Invalid = append(t.Invalid, inv)
}
