package bench

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"go.mau.fi/libsignal/ecc"
	"go.mau.fi/libsignal/keys/prekey"
	"go.mau.fi/libsignal/state/record"
	"go.mau.fi/libsignal/util/optional"

	"github.com/forwardsecret/signal/internal/cputime"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/x3dh"
)

// Cost against state (issue 20): the CPU time of one decrypt and of one
// encrypt at a device whose session record carries state that a message
// does not need but that a serialized store loads and stores with every
// message, for ours-v3, ours-v4 and gomau-v3:
//
//	Growth/skipped=K    Bob holds K skipped message keys of Alice's current
//	                    chain (K messages dropped, then one delivered)
//	Growth/archived=K   Bob's record holds K archived session states (K new
//	                    sessions started by Alice over the first, each
//	                    answered once by Bob)
//
// Bob, the device measured, keeps his records serialized (encoded on every
// save, parsed on every load: what an app with a database does, without the
// database); Alice keeps objects, since only her messages' content matters.
// op=decrypt is Bob decrypting Alice's next message (in order, so the state
// neither grows nor shrinks; the messages are encrypted before the timed
// loop); op=encrypt is Bob encrypting a message to Alice (which is dropped).
// The names are Growth/STATE=K/op=OP/impl=NAME/store=serialized; cmd/plot
// draws them (run.sh: results/growth.txt -> cost-vs-state.svg).

// GrowthSkipped and GrowthArchived are the points of the two axes.
var (
	GrowthSkipped  = []int{0, 100, 500, 1000, 2000}
	GrowthArchived = []int{0, 5, 10, 20, 40}
)

// growthPair is Alice (objects) and Bob (serialized) with an acknowledged
// session, as the Growth benchmarks drive them.
type growthPair interface {
	// newSession starts a new session from Alice to Bob over the current
	// one (both archive it) and acknowledges it.
	newSession(b *testing.B)
	// send delivers a message from Alice to Bob.
	send(b *testing.B)
	// drop makes Alice encrypt a message that Bob never receives.
	drop(b *testing.B)
	// encryptAlice returns n messages of Alice, in order, for decryptBob.
	encryptAlice(b *testing.B, n int) any
	// decryptBob decrypts message i of a result of encryptAlice.
	decryptBob(b *testing.B, msgs any, i int)
	// encryptBob encrypts one message from Bob to Alice, which is dropped.
	encryptBob(b *testing.B)
	// archived returns the number of archived states in Bob's record.
	archived(b *testing.B) int
	// record is pair.record: Bob's (party 1) encoded size.
	record(b *testing.B, party int) (func(), int)
}

var growthImpls = []struct {
	name string
	pair func(b *testing.B) growthPair
}{
	{"ours-v3", func(b *testing.B) growthPair { return newOursGrowth(b, x3dh.V3) }},
	{"ours-v4", func(b *testing.B) growthPair { return newOursGrowth(b, x3dh.V4) }},
	{"gomau-v3", func(b *testing.B) growthPair { return newGomauGrowth(b) }},
}

func BenchmarkGrowth(b *testing.B) {
	for _, axis := range []struct {
		name   string
		points []int
		grow   func(b *testing.B, p growthPair, k int)
	}{
		{"skipped", GrowthSkipped, func(b *testing.B, p growthPair, k int) {
			for range k {
				p.drop(b)
			}
			p.send(b)
		}},
		{"archived", GrowthArchived, func(b *testing.B, p growthPair, k int) {
			for range k {
				p.newSession(b)
			}
			if n := p.archived(b); n != k {
				b.Fatalf("%d archived states, want %d", n, k)
			}
		}},
	} {
		for _, k := range axis.points {
			b.Run(fmt.Sprintf("%s=%d", axis.name, k), func(b *testing.B) {
				for _, op := range []string{"decrypt", "encrypt"} {
					b.Run("op="+op, func(b *testing.B) {
						for _, im := range growthImpls {
							// The sub-benchmark's function runs once per b.N it
							// tries; the pair is made on the first call.
							var p growthPair
							b.Run("impl="+im.name+"/store=serialized", func(b *testing.B) {
								if p == nil {
									p = im.pair(b)
									axis.grow(b, p, k)
								}
								if op == "decrypt" {
									growthDecrypt(b, p)
								} else {
									growthEncrypt(b, p)
								}
								_, size := p.record(b, 1)
								b.ReportMetric(float64(size), "record-B")
							})
						}
					})
				}
			})
		}
	}
}

// growthDecrypt times b.N decrypts at Bob of messages Alice encrypted
// before the timed part.
func growthDecrypt(b *testing.B, p growthPair) {
	msgs := p.encryptAlice(b, b.N)
	runtime.GC() // the messages' garbage is not the decrypts'
	b.ReportAllocs()
	b.ResetTimer()
	stop := cputime.MeasureProcess(b)
	for i := range b.N {
		p.decryptBob(b, msgs, i)
	}
	stop()
}

func growthEncrypt(b *testing.B, p growthPair) {
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	stop := cputime.MeasureProcess(b)
	for range b.N {
		p.encryptBob(b)
	}
	stop()
}

// oursGrowth: this library, Alice with live objects, Bob serialized
// (memstore).
type oursGrowth struct {
	oursPair
	bundle *x3dh.Bundle
	pt     []byte
}

func newOursGrowth(b *testing.B, v x3dh.Version) *oursGrowth {
	p := &oursGrowth{
		oursPair: oursPair{
			d:    [2]*oursDevice{newOursDevice(b, 1, "objects"), newOursDevice(b, 2, "serialized")},
			addr: [2]session.Address{aliceAddr, bobAddr},
		},
		pt: message(100),
	}
	// A bundle without a one-time prekey (and, for v4, with a last-resort
	// KEM prekey), so that Alice can start any number of sessions from it.
	bob := p.d[1]
	spk, err := x3dh.GenerateSignedPreKey(bob.id, 1)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	bob.mem.AddSignedPreKey(ctx, spk)
	var kemPub *x3dh.KEMPreKeyPublic
	if v == x3dh.V4 {
		kpk, err := x3dh.GenerateKEMPreKey(bob.id, 1, x3dh.Kyber1024)
		if err != nil {
			b.Fatal(err)
		}
		bob.mem.AddLastResortKEMPreKey(ctx, kpk)
		pub := kpk.Public()
		kemPub = &pub
	}
	if p.bundle, err = x3dh.NewBundle(2, 1, bob.id.PublicKey(), spk.Public(), nil, kemPub); err != nil {
		b.Fatal(err)
	}
	p.newSession(b)
	return p
}

func (p *oursGrowth) newSession(b *testing.B) {
	if err := p.d[0].m.ProcessBundle(context.Background(), bobAddr, p.bundle); err != nil {
		b.Fatal(err)
	}
	p.oursPair.send(b, 0, p.pt)
	p.oursPair.send(b, 1, p.pt) // acknowledged
}

func (p *oursGrowth) send(b *testing.B) { p.oursPair.send(b, 0, p.pt) }
func (p *oursGrowth) drop(b *testing.B) { p.oursPair.drop(b, 0, p.pt) }

func (p *oursGrowth) encryptAlice(b *testing.B, n int) any {
	msgs := make([]session.Message, n)
	for i := range msgs {
		msgs[i] = p.encrypt(b, 0, p.pt)
	}
	return msgs
}

func (p *oursGrowth) decryptBob(b *testing.B, msgs any, i int) {
	got, err := p.d[1].m.Decrypt(context.Background(), aliceAddr, msgs.([]session.Message)[i])
	if err != nil {
		b.Fatal(err)
	}
	checkPlaintext(b, got, p.pt)
}

func (p *oursGrowth) encryptBob(b *testing.B) { p.encrypt(b, 1, p.pt) }

func (p *oursGrowth) archived(b *testing.B) int {
	info, err := p.d[1].m.Info(context.Background(), aliceAddr)
	if err != nil {
		b.Fatal(err)
	}
	return info.ArchivedStates
}

// gomauGrowth: go.mau.fi/libsignal, Alice with objects, Bob serialized.
type gomauGrowth struct {
	gomauPair
	bundle *prekey.Bundle
	pt     []byte
}

func newGomauGrowth(b *testing.B) *gomauGrowth {
	as, bs := newGomauStore(b, 1, "objects"), newGomauStore(b, 2, "serialized")
	spk, err := ecc.GenerateKeyPair()
	if err != nil {
		b.Fatal(err)
	}
	sig := ecc.CalculateSignature(bs.identity.PrivateKey(), spk.PublicKey().Serialize())
	bs.signed[1] = record.NewSignedPreKey(1, time.Now().UnixMilli(), spk, sig, gser.SignedPreKeyRecord)
	p := &gomauGrowth{
		gomauPair: gomauPair{p: [2]*gomauParty{newGomauParty(as, gBobAddr), newGomauParty(bs, gAliceAddr)}},
		bundle: prekey.NewBundle(bs.regID, 1, optional.NewEmptyUint32(), 1, nil,
			spk.PublicKey(), sig, bs.identity.PublicKey()),
		pt: message(100),
	}
	p.newSession(b)
	return p
}

func (p *gomauGrowth) newSession(b *testing.B) {
	if err := p.p[0].bld.ProcessBundle(context.Background(), p.bundle); err != nil {
		b.Fatal(err)
	}
	p.gomauPair.send(b, 0, p.pt)
	p.gomauPair.send(b, 1, p.pt)
}

func (p *gomauGrowth) send(b *testing.B) { p.gomauPair.send(b, 0, p.pt) }
func (p *gomauGrowth) drop(b *testing.B) { p.gomauPair.drop(b, 0, p.pt) }

type gomauMsg struct {
	typ  uint32
	body []byte
}

func (p *gomauGrowth) encryptAlice(b *testing.B, n int) any {
	msgs := make([]gomauMsg, n)
	for i := range msgs {
		msgs[i].typ, msgs[i].body = p.p[0].encrypt(b, p.pt)
	}
	return msgs
}

func (p *gomauGrowth) decryptBob(b *testing.B, msgs any, i int) {
	m := msgs.([]gomauMsg)[i]
	checkPlaintext(b, p.p[1].decrypt(b, m.typ, m.body), p.pt)
}

func (p *gomauGrowth) encryptBob(b *testing.B) { p.p[1].encrypt(b, p.pt) }

func (p *gomauGrowth) archived(b *testing.B) int {
	rec, err := p.p[1].st.LoadSession(context.Background(), gAliceAddr)
	if err != nil {
		b.Fatal(err)
	}
	return len(rec.PreviousSessionStates())
}
