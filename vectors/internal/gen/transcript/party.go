package main

import (
	"bytes"
	"crypto/hmac"
	"fmt"
	"log"
	"maps"
	"slices"

	"github.com/forwardsecret/signal/vectors/internal/gen/internal/pqr"
)

// The two parties: Double Ratchet (and, in v4, SPQR) state, sending and
// receiving.

type recvChain struct {
	their   []byte
	ck      []byte
	n       uint32
	skipped map[uint32][]byte // seeds
}

type party struct {
	seeds       []*uint64
	name        string
	identity    keyPair
	other       *party
	ratchetPool []keyPair
	drawn       int
	root        []byte
	sendKey     keyPair
	sendCK      []byte
	sendN       uint32
	prev        uint32
	recv        []*recvChain
	pending     *preKeyFields // Alice, until she receives
	version     int
	hasSession  bool
	pq          *pqr.State // v4
	authKey     []byte     // v4: the SPQR auth key of the handshake
	drawLabel   string     // label prefix of the SPQR draw seeds
	sends       int
}

// spqrSend is what one SPQR send produced.
type spqrSend struct {
	msg, key []byte
	info     pqr.SendInfo
	seed     uint64 // draw seed, meaningful when info.Drawn is set
}

// pqSend runs SPQR for the next outgoing message (v4). Randomness comes
// from the ChaCha8 stream of a per-send seed.
func (p *party) pqSend() *spqrSend {
	if p.pq == nil {
		return nil
	}
	seed := drawSeed(fmt.Sprintf("%s spqr send %d", p.drawLabel, p.sends))
	p.sends++
	stream := chacha8Stream(seed, 96)
	used := 0
	msg, key, info, err := p.pq.Send(func(n int) ([]byte, error) {
		b := stream[used : used+n]
		used += n
		return b, nil
	})
	if err != nil {
		log.Fatalf("%s: SPQR send: %v", p.name, err)
	}
	if used != 0 && used != pqr.KeygenSeedSize && used != pqr.EncapsRandSize {
		log.Fatalf("%s: SPQR drew %d bytes", p.name, used)
	}
	return &spqrSend{msg: msg, key: key, info: info, seed: seed}
}

func (p *party) draw() (keyPair, int) {
	k := p.ratchetPool[p.drawn]
	p.drawn++
	return k, p.drawn - 1
}

func (p *party) findRecv(their []byte) *recvChain {
	for _, c := range p.recv {
		if bytes.Equal(c.their, their) {
			return c
		}
	}
	return nil
}

func (p *party) encrypt(pt []byte) (typ int, body []byte, mk msgKeys, counter uint32, pq *spqrSend) {
	pq = p.pqSend()
	var salt, pqMsg []byte
	if pq != nil {
		salt, pqMsg = pq.key, pq.msg
	}
	seed, next := chainStep(p.sendCK)
	mk = messageKeys(seed, salt)
	counter = p.sendN
	p.sendCK, p.sendN = next, p.sendN+1
	ct := cbcEncrypt(mk, pt)
	sm := signalMessage(p.version, p.sendKey.pub, counter, p.prev, ct, pqMsg)
	mac := hmacSHA256(mk.mac, p.identity.pub, p.other.identity.pub, sm)[:8]
	sm = append(sm, mac...)
	if p.pending != nil {
		f := *p.pending
		f.message = sm
		return typePreKey, f.encode(), mk, counter, pq
	}
	return typeSignal, sm, mk, counter, pq
}

// receive decrypts a SignalMessage (already unwrapped), given its fields.
// It returns the plaintext, the index of the ratchet key it drew (or -1)
// and what SPQR reported (v4).
func (p *party) receive(their []byte, counter uint32, sm []byte) ([]byte, int, *pqr.RecvInfo) {
	var salt []byte
	var pqInfo *pqr.RecvInfo
	if p.pq != nil {
		key, info, err := p.pq.Recv(field(sm[:len(sm)-8], 5))
		if err != nil {
			log.Fatalf("%s: SPQR receive: %v", p.name, err)
		}
		salt, pqInfo = key, &info
	}
	drew := -1
	c := p.findRecv(their)
	if c == nil {
		dr1 := dh(p.sendKey, their)
		root, rck := rootStep(p.root, dr1)
		nk, idx := p.draw()
		drew = idx
		root, sck := rootStep(root, dh(nk, their))
		p.root = root
		if p.sendN > 0 {
			p.prev = p.sendN - 1
		} else {
			p.prev = 0
		}
		p.sendKey, p.sendCK, p.sendN = nk, sck, 0
		c = &recvChain{their: their, ck: rck, skipped: map[uint32][]byte{}}
		p.recv = append(p.recv, c)
		if len(p.recv) > maxReceiverChains {
			p.recv = p.recv[1:]
		}
	}
	var seed []byte
	if counter < c.n {
		s, ok := c.skipped[counter]
		if !ok {
			log.Fatalf("%s: no skipped key %d", p.name, counter)
		}
		seed = s
		delete(c.skipped, counter)
	} else {
		for c.n < counter {
			s, next := chainStep(c.ck)
			c.skipped[c.n] = s
			c.ck, c.n = next, c.n+1
			if len(c.skipped) > maxMessageKeys {
				delete(c.skipped, slices.Min(slices.Collect(maps.Keys(c.skipped))))
			}
		}
		s, next := chainStep(c.ck)
		seed = s
		c.ck, c.n = next, c.n+1
	}
	mk := messageKeys(seed, salt)
	body, mac := sm[:len(sm)-8], sm[len(sm)-8:]
	if !hmac.Equal(mac, hmacSHA256(mk.mac, p.other.identity.pub, p.identity.pub, body)[:8]) {
		log.Fatalf("%s: MAC check failed on own transcript", p.name)
	}
	pt, err := cbcDecrypt(mk, field(body, 4))
	if err != nil {
		log.Fatal(err)
	}
	p.pending = nil
	return pt, drew, pqInfo
}
