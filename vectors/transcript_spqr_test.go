package vectors_test

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/forwardsecret/signal/internal/wire"
	"github.com/forwardsecret/signal/spqr"
	"github.com/forwardsecret/signal/vectors"
)

// TestTranscriptSPQRListing checks the SPQR values a v4 transcript lists
// against each other and against the SPQR chain recomputed here with the
// standard library from handshake.auth_key and the listed epoch secrets
// (PROTOCOL.md, "Chain"): every message's spqr.message is its SignalMessage
// field 5 and parses (package spqr) to the listed epoch, index, type and
// chunk index; every spqr.key is the chain key of (epoch - 1, index) in the
// sender's direction; the epoch secret a send lists (encapsulation) is the
// one the peer's receive lists (decapsulation); every send with a draw has
// the event's draw_seed, whose ChaCha8 stream starts with the listed bytes.
// The replays prove that the library produces these values; this proves the
// listing says what it claims.
func TestTranscriptSPQRListing(t *testing.T) {
	f, err := vectors.Transcripts(4)
	if err != nil {
		t.Fatal(err)
	}
	keys, secrets := 0, 0
	for i := range f.Transcripts {
		tr := &f.Transcripts[i]
		if tr.SPQR != "v1" || tr.BobFirstSendEvent == nil || tr.SPQRFinal == nil {
			t.Fatalf("%s: spqr %q, bob_first_send_event %v", tr.Name, tr.SPQR, tr.BobFirstSendEvent)
		}
		sent, recvd := map[uint64][]byte{}, map[uint64][]byte{}
		for _, m := range tr.Messages {
			if s := m.SPQR.EpochSecret; s != nil {
				sent[s.Epoch] = s.Secret
			}
		}
		for k, e := range tr.Events {
			if s := e.SPQREpochSecret; s != nil {
				if e.Op != "receive" {
					t.Errorf("%s: event %d: epoch secret on a %s", tr.Name, k, e.Op)
				}
				recvd[s.Epoch] = s.Secret
			}
			if k < *tr.BobFirstSendEvent && e.Party == "bob" && e.Op == "send" ||
				k == *tr.BobFirstSendEvent && !(e.Party == "bob" && e.Op == "send") {
				t.Errorf("%s: bob_first_send_event %d is wrong (event %d)", tr.Name, *tr.BobFirstSendEvent, k)
			}
			m := tr.Messages[e.Message]
			if e.Op == "send" && (e.DrawSeed != nil) != (m.SPQR.Draw != nil) {
				t.Errorf("%s: event %d: draw_seed and spqr.draw disagree", tr.Name, k)
			}
			if e.Op == "send" && e.DrawSeed != nil {
				d := m.SPQR.Draw
				if d.DrawSeed != *e.DrawSeed || !bytes.Equal(chacha8(*e.DrawSeed, len(d.Bytes)), d.Bytes) ||
					!(d.Kind == "mlkem768_keygen_seed" && len(d.Bytes) == 64 || d.Kind == "mlkem768_encaps_m" && len(d.Bytes) == 32) {
					t.Errorf("%s: event %d: draw %s of %d bytes does not match its seed", tr.Name, k, d.Kind, len(d.Bytes))
				}
			}
		}
		for e, s := range sent {
			if r, ok := recvd[e]; ok && !bytes.Equal(r, s) {
				t.Errorf("%s: epoch %d: the two sides list different secrets", tr.Name, e)
			}
		}
		for e, s := range recvd {
			sent[e] = s
		}
		ch := newListedChain(tr.Handshake.AuthKey, sent)
		for _, m := range tr.Messages {
			p := m.SPQR
			var sm *wire.ReceivedSignalMessage
			if m.Type == 3 {
				pm, err := wire.ParsePreKeySignalMessage(m.Body)
				if err != nil {
					t.Fatal(err)
				}
				sm = &pm.Inner
			} else if sm, err = wire.ParseSignalMessage(m.Body); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(sm.PQRatchet, p.Message) {
				t.Errorf("%s: message %d: spqr.message is not field 5", tr.Name, m.ID)
			}
			pm, err := spqr.ParseMessage(p.Message)
			if err != nil || pm.Epoch != p.Epoch || pm.Index != p.Index || pm.Type.String() != p.Type ||
				(p.ChunkIndex != nil) != (pm.Type != spqr.TypeNone && pm.Type != spqr.TypeCt1Ack) ||
				p.ChunkIndex != nil && *p.ChunkIndex != pm.Chunk.Index {
				t.Errorf("%s: message %d: spqr fields %+v do not match the message (%v, %v)", tr.Name, m.ID, p, pm, err)
			}
			want, ok := ch.key(p.Epoch-1, m.Sender == "alice", p.Index)
			if !ok || !bytes.Equal(want, p.Key) {
				t.Errorf("%s: message %d: spqr.key is not chain key (%d, %d) (secret known: %v)", tr.Name, m.ID, p.Epoch-1, p.Index, ok)
			}
			keys++
		}
		secrets += len(sent)
	}
	if keys == 0 || secrets < 4 {
		t.Fatalf("%d keys, %d epoch secrets checked", keys, secrets)
	}
	t.Logf("%d SPQR keys and %d epoch secrets checked", keys, secrets)
}

// listedChain is SPQR's symmetric chain from the auth key and the epoch
// secrets, with every key derived so far per (epoch, direction).
type listedChain struct {
	starts map[uint64][2][]byte // epoch -> A2B, B2A chain start
	keys   map[[2]uint64][][]byte
}

func hkdfKey(secret, salt []byte, info string, n int) []byte {
	k, err := hkdf.Key(sha256.New, secret, salt, info, n)
	if err != nil {
		panic(err) // constant lengths
	}
	return k
}

// chacha8 is the start of the ChaCha8 stream of a draw seed (the file's
// draw_seeds convention: key LE64(seed) || 24 zero bytes).
func chacha8(seed uint64, n int) []byte {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:8], seed)
	b := make([]byte, n)
	rand.NewChaCha8(key).Read(b)
	return b
}

func newListedChain(authKey []byte, secrets map[uint64][]byte) *listedChain {
	c := &listedChain{starts: map[uint64][2][]byte{}, keys: map[[2]uint64][][]byte{}}
	out := hkdfKey(authKey, make([]byte, 32), "Signal PQ Ratchet V1 Chain  Start", 96)
	for e := uint64(0); ; e++ {
		c.starts[e] = [2][]byte{out[32:64], out[64:96]}
		s, ok := secrets[e+1]
		if !ok {
			return c
		}
		out = hkdfKey(s, out[:32], "Signal PQ Ratchet V1 Chain Add Epoch", 96)
	}
}

// key returns key number index (from 1) of the chain of epoch in Alice's
// sending direction (A2B) or Bob's.
func (c *listedChain) key(epoch uint64, alice bool, index uint32) ([]byte, bool) {
	d := uint64(1)
	if alice {
		d = 0
	}
	st, ok := c.starts[epoch]
	if !ok || index == 0 {
		return nil, false
	}
	ks := c.keys[[2]uint64{epoch, d}]
	next := st[d]
	if n := len(ks); n > 0 {
		next = ks[n-1][32:]
	}
	for uint32(len(ks)) < index {
		info := binary.BigEndian.AppendUint32(nil, uint32(len(ks)+1))
		out := hkdfKey(next, make([]byte, 32), string(info)+"Signal PQ Ratchet V1 Chain Next", 64)
		ks = append(ks, append(out[32:64:64], out[:32]...)) // key || next chain key
		next = out[:32]
	}
	c.keys[[2]uint64{epoch, d}] = ks
	return ks[index-1][:32], true
}
