package x3dh_test

import (
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/mlkem"
	"crypto/sha256"
	"crypto/sha3"
	"testing"
	"time"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/cputime"
	"github.com/forwardsecret/signal/x3dh"
	"github.com/forwardsecret/signal/xeddsa"
)

// The handshake benchmarks use a bundle with a one-time prekey (four
// Diffie-Hellman operations). V3 bundles carry no KEM prekey; V4 bundles carry
// a Kyber1024 one.
//
// Each BenchmarkPrimitiveSum* benchmark performs, plainly and in the same
// order, the primitive operations its handshake benchmark is made of, so the
// two can be compared in one run:
//
//	Initiate V3:  XEdDSA verify (33-byte message); X25519 key generation (one
//	              base-point multiplication); 4 × X25519; HKDF-SHA256 (64 bytes).
//	Initiate V4:  2 × XEdDSA verify (33- and 1569-byte messages); X25519 key
//	              generation; 4 × X25519; ML-KEM-1024 encapsulation; the Kyber
//	              transform (SHA3-256 of the ciphertext, SHAKE256); HKDF-SHA256
//	              (96 bytes).
//	Respond V3:   base-key canonicity and torsion check (curve); 4 × X25519;
//	              HKDF-SHA256 (64 bytes).
//	Respond V4:   the same, plus ML-KEM-1024 decapsulation and the Kyber
//	              transform; HKDF-SHA256 (96 bytes).

type benchFixture struct {
	b      *bob
	alice  *curve.IdentityKeyPair
	bundle map[x3dh.Version]*x3dh.Bundle
	msg    map[x3dh.Version]*x3dh.Message
	// raw forms for the primitive sums
	aliceECDH, bobIDECDH, spkECDH, opkECDH *ecdh.PrivateKey
	bobIDPub, spkPub, opkPub, basePub      *ecdh.PublicKey
	bobIDU                                 []byte
	spkMsg, kemMsg, spkSig, kemSig         []byte
	ek                                     *mlkem.EncapsulationKey1024
	dk                                     *mlkem.DecapsulationKey1024
	ct                                     []byte
	base                                   curve.PublicKey
}

func newBenchFixture(tb testing.TB) *benchFixture {
	b := newBob(tb, x3dh.Kyber1024)
	f := &benchFixture{b: b, alice: newIdentity(tb), bundle: map[x3dh.Version]*x3dh.Bundle{}, msg: map[x3dh.Version]*x3dh.Message{}}
	f.bundle[x3dh.V3] = b.bundle(tb, true, false)
	f.bundle[x3dh.V4] = b.bundle(tb, true, true)
	for _, v := range []x3dh.Version{x3dh.V3, x3dh.V4} {
		in, err := x3dh.Initiate(v, f.alice, f.bundle[v])
		if err != nil {
			tb.Fatal(err)
		}
		f.msg[v] = &in.Message
	}
	toECDH := func(k *curve.PrivateKey) *ecdh.PrivateKey {
		e, err := ecdh.X25519().NewPrivateKey(k.Bytes())
		if err != nil {
			tb.Fatal(err)
		}
		return e
	}
	toPub := func(k curve.PublicKey) *ecdh.PublicKey {
		u := k.U()
		e, err := ecdh.X25519().NewPublicKey(u[:])
		if err != nil {
			tb.Fatal(err)
		}
		return e
	}
	f.aliceECDH = toECDH(f.alice.PrivateKey())
	f.bobIDECDH = toECDH(b.identity.PrivateKey())
	f.spkECDH = toECDH(b.signed.KeyPair.Private)
	f.opkECDH = toECDH(b.oneTime.KeyPair.Private)
	f.bobIDPub, f.spkPub, f.opkPub = toPub(b.identity.PublicKey()), toPub(b.signed.KeyPair.Public), toPub(b.oneTime.KeyPair.Public)
	f.base = f.msg[x3dh.V4].BaseKey
	f.basePub = toPub(f.base)
	u := b.identity.PublicKey().U()
	f.bobIDU = u[:]
	f.spkMsg, f.spkSig = b.signed.KeyPair.Public.Bytes(), b.signed.Signature
	f.kemMsg, f.kemSig = b.kemKey.KeyPair.Public.Bytes(), b.kemKey.Signature
	seed := make([]byte, mlkem.SeedSize)
	var err error
	if f.dk, err = mlkem.NewDecapsulationKey1024(seed); err != nil {
		tb.Fatal(err)
	}
	f.ek = f.dk.EncapsulationKey()
	_, f.ct = f.ek.Encapsulate()
	return f
}

// loop runs op b.N times, reporting allocations and, where the platform
// allows, process CPU time per operation (cpu-ns/op: the benchmarks are
// compared on a shared, oversubscribed machine, where wall-clock time
// mostly measures the scheduler).
func loop(b *testing.B, op func()) {
	b.ReportAllocs()
	cputime.ProcessLoop(b, op)
}

var (
	sinkKeys x3dh.SessionKeys
	sinkIn   *x3dh.Initiation
	sinkB    []byte
)

func BenchmarkInitiate(b *testing.B) {
	f := newBenchFixture(b)
	for _, v := range []x3dh.Version{x3dh.V3, x3dh.V4} {
		b.Run(versionName[v], func(b *testing.B) {
			loop(b, func() {
				in, err := x3dh.Initiate(v, f.alice, f.bundle[v])
				if err != nil {
					b.Fatal(err)
				}
				sinkIn = in
			})
		})
	}
}

func BenchmarkRespond(b *testing.B) {
	f := newBenchFixture(b)
	for _, v := range []x3dh.Version{x3dh.V3, x3dh.V4} {
		b.Run(versionName[v], func(b *testing.B) {
			keys := f.b.keys(f.msg[v])
			loop(b, func() {
				k, err := x3dh.Respond(v, keys, f.msg[v])
				if err != nil {
					b.Fatal(err)
				}
				sinkKeys = k
			})
		})
	}
}

func mustECDH(b *testing.B, k *ecdh.PrivateKey, p *ecdh.PublicKey) []byte {
	s, err := k.ECDH(p)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// kyberTransform is round-3 Kyber's last step, as the KEM layer does it.
func kyberTransform(k, c []byte) []byte {
	hc := sha3.Sum256(c)
	h := sha3.NewSHAKE256()
	h.Write(k)
	h.Write(hc[:])
	out := make([]byte, 32)
	h.Read(out)
	return out
}

func BenchmarkPrimitiveSumInitiate(b *testing.B) {
	f := newBenchFixture(b)
	for _, v := range []x3dh.Version{x3dh.V3, x3dh.V4} {
		b.Run(versionName[v], func(b *testing.B) {
			loop(b, func() { f.primitivesInitiate(b, v) })
		})
	}
}

func BenchmarkPrimitiveSumRespond(b *testing.B) {
	f := newBenchFixture(b)
	for _, v := range []x3dh.Version{x3dh.V3, x3dh.V4} {
		b.Run(versionName[v], func(b *testing.B) {
			loop(b, func() { f.primitivesRespond(b, v) })
		})
	}
}

var versionName = map[x3dh.Version]string{x3dh.V3: "v3", x3dh.V4: "v4"}

// primitivesInitiate does the primitive operations of Initiate(v) plainly.
func (f *benchFixture) primitivesInitiate(b *testing.B, v x3dh.Version) {
	if !xeddsa.Verify(f.bobIDU, f.spkMsg, f.spkSig, xeddsa.SignBit) {
		b.Fatal("verify")
	}
	if v == x3dh.V4 && !xeddsa.Verify(f.bobIDU, f.kemMsg, f.kemSig, xeddsa.SignBit) {
		b.Fatal("verify")
	}
	eph, err := ecdh.X25519().GenerateKey(nil)
	if err != nil {
		b.Fatal(err)
	}
	sinkB = eph.PublicKey().Bytes()
	secret := make([]byte, 0, 192)
	secret = append(secret, mustECDH(b, f.aliceECDH, f.spkPub)...)
	secret = append(secret, mustECDH(b, eph, f.bobIDPub)...)
	secret = append(secret, mustECDH(b, eph, f.spkPub)...)
	secret = append(secret, mustECDH(b, eph, f.opkPub)...)
	n := 64
	if v == x3dh.V4 {
		k, c := f.ek.Encapsulate()
		secret = append(secret, kyberTransform(k, c)...)
		n = 96
	}
	okm, err := hkdf.Key(sha256.New, secret, nil, x3dh.InfoV4, n)
	if err != nil {
		b.Fatal(err)
	}
	sinkB = okm
}

// primitivesRespond does the primitive operations of Respond(v) plainly.
func (f *benchFixture) primitivesRespond(b *testing.B, v x3dh.Version) {
	if err := f.base.CheckCanonicalTorsionFree(); err != nil {
		b.Fatal(err)
	}
	secret := make([]byte, 0, 192)
	secret = append(secret, mustECDH(b, f.spkECDH, f.basePub)...)
	secret = append(secret, mustECDH(b, f.bobIDECDH, f.basePub)...)
	secret = append(secret, mustECDH(b, f.spkECDH, f.basePub)...)
	secret = append(secret, mustECDH(b, f.opkECDH, f.basePub)...)
	n := 64
	if v == x3dh.V4 {
		k, err := f.dk.Decapsulate(f.ct)
		if err != nil {
			b.Fatal(err)
		}
		secret = append(secret, kyberTransform(k, f.ct)...)
		n = 96
	}
	okm, err := hkdf.Key(sha256.New, secret, nil, x3dh.InfoV4, n)
	if err != nil {
		b.Fatal(err)
	}
	sinkB = okm
}

// BenchmarkPaired alternates one handshake and its primitive sum in every
// iteration and times each half, so that both see the same machine load.
// It reports the two times per operation and their ratio (handshake /
// primitives); the acceptance bound is ratio <= 1.1.
func BenchmarkPaired(b *testing.B) {
	f := newBenchFixture(b)
	for _, role := range []string{"initiate", "respond"} {
		for _, v := range []x3dh.Version{x3dh.V3, x3dh.V4} {
			b.Run(role+"/"+versionName[v], func(b *testing.B) {
				keys := f.b.keys(f.msg[v])
				var hs, prim time.Duration
				b.ReportAllocs()
				for b.Loop() {
					t0 := time.Now()
					if role == "initiate" {
						in, err := x3dh.Initiate(v, f.alice, f.bundle[v])
						if err != nil {
							b.Fatal(err)
						}
						sinkIn = in
					} else {
						k, err := x3dh.Respond(v, keys, f.msg[v])
						if err != nil {
							b.Fatal(err)
						}
						sinkKeys = k
					}
					t1 := time.Now()
					if role == "initiate" {
						f.primitivesInitiate(b, v)
					} else {
						f.primitivesRespond(b, v)
					}
					t2 := time.Now()
					hs += t1.Sub(t0)
					prim += t2.Sub(t1)
				}
				b.ReportMetric(float64(hs)/float64(b.N), "handshake-ns/op")
				b.ReportMetric(float64(prim)/float64(b.N), "primitives-ns/op")
				b.ReportMetric(float64(hs)/float64(prim), "ratio")
			})
		}
	}
}
