package bench

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"fmt"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/gcmsiv"
	"github.com/forwardsecret/signal/sealedsender"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/x3dh"
)

// BenchmarkCost times the single operations that explain the scenario
// results (see NOTES.md): what a record load pays for its ratchet private
// key, key generation with and without a fixed-base table, Record.Clone
// with and without skipped keys, and the primitives of sealed sender
// (costsSealedSender).
func BenchmarkCost(b *testing.B) {
	priv, err := curve.GeneratePrivateKey()
	if err != nil {
		b.Fatal(err)
	}
	raw := priv.Bytes()
	b.Run("op=ecdh.NewPrivateKey", func(b *testing.B) {
		loop(b, func() {
			if _, err := ecdh.X25519().NewPrivateKey(raw); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("op=curve.NewPrivateKey", func(b *testing.B) {
		loop(b, func() {
			if _, err := curve.NewPrivateKey(raw); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("op=ecdh.GenerateKey", func(b *testing.B) {
		loop(b, func() {
			if _, err := ecdh.X25519().GenerateKey(nil); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("op=curve.GenerateKeyPair", func(b *testing.B) {
		loop(b, func() {
			if _, err := curve.GenerateKeyPair(); err != nil {
				b.Fatal(err)
			}
		})
	})
	costsSealedSender(b)
	pt := message(100)
	for _, skipped := range []int{0, 1500} {
		p := oursNewPair(b, x3dh.V3, "objects")
		for range skipped {
			p.drop(b, 0, pt)
		}
		p.send(b, 0, pt)
		rec, err := p.d[1].obj.LoadSession(context.Background(), aliceAddr)
		if err != nil || rec == nil {
			b.Fatal("no record", err)
		}
		name := map[int]string{0: "op=Record.Clone/skipped=0", 1500: "op=Record.Clone/skipped=1500"}[skipped]
		b.Run(name, func(b *testing.B) {
			loop(b, func() {
				if _, err := rec.Clone(); err != nil {
					b.Fatal(err)
				}
			})
		})
		enc, err := rec.MarshalBinary()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(map[int]string{0: "op=ParseRecord/skipped=0", 1500: "op=ParseRecord/skipped=1500"}[skipped], func(b *testing.B) {
			loop(b, func() {
				if _, err := session.ParseRecord(enc); err != nil {
					b.Fatal(err)
				}
			})
		})
		b.Run(map[int]string{0: "op=MarshalBinary/skipped=0", 1500: "op=MarshalBinary/skipped=1500"}[skipped], func(b *testing.B) {
			loop(b, func() {
				if _, err := rec.MarshalBinary(); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// costsSealedSender times the primitives that sealed sender is made of: an
// X25519 agreement (the curve package and crypto/ecdh), an XEdDSA
// verification (the curve package and the floor's crypto/ed25519 route),
// AES-256-GCM-SIV (internal/gcmsiv) against crypto/cipher's AES-256-GCM for
// a content of the size the v2 scenarios seal, and what Cipher.Encrypt and
// EncryptGroup read per recipient (Manager.Info).
func costsSealedSender(b *testing.B) {
	id, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		b.Fatal(err)
	}
	peer, err := curve.GenerateKeyPair()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("op=curve.ECDH", func(b *testing.B) {
		loop(b, func() {
			if _, err := id.PrivateKey().ECDH(peer.Public); err != nil {
				b.Fatal(err)
			}
		})
	})
	ek, err := ecdh.X25519().GenerateKey(nil)
	if err != nil {
		b.Fatal(err)
	}
	epub, err := ecdh.X25519().NewPublicKey(peer.Public.Bytes()[1:])
	if err != nil {
		b.Fatal(err)
	}
	b.Run("op=ecdh.ECDH", func(b *testing.B) {
		loop(b, func() {
			if _, err := ek.ECDH(epub); err != nil {
				b.Fatal(err)
			}
		})
	})
	msg := message(200)
	sig, err := id.Sign(msg)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("op=curve.VerifySignature", func(b *testing.B) {
		loop(b, func() {
			if !id.PublicKey().VerifySignature(msg, sig) {
				b.Fatal("signature")
			}
		})
	})
	u := id.PublicKey().U()
	b.Run("op=floor.xeddsaVerify", func(b *testing.B) {
		loop(b, func() {
			if !xeddsaVerify(u, msg, sig) {
				b.Fatal("signature")
			}
		})
	})
	// The v2 content of SealedSenderV2/envelope: certificate and a 100 B
	// v4 session message.
	p := oursSSPair(b, newSSWorld(b), x3dh.V4, sealedsender.V2, "objects")
	content, err := ssContent(b, p).MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	key := message(32)
	var nonce [12]byte
	size := fmt.Sprintf("/content=%d", len(content))
	b.Run("op=gcmsiv.Seal+Open"+size, func(b *testing.B) {
		loop(b, func() {
			a, err := gcmsiv.New(key)
			if err != nil {
				b.Fatal(err)
			}
			ct := a.Seal(nil, nonce[:], content, nil)
			if _, err := a.Open(ct[:0], nonce[:], ct, nil); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("op=aesgcm.Seal+Open"+size, func(b *testing.B) {
		loop(b, func() {
			blk, err := aes.NewCipher(key)
			if err != nil {
				b.Fatal(err)
			}
			a, err := cipher.NewGCM(blk)
			if err != nil {
				b.Fatal(err)
			}
			ct := a.Seal(nil, nonce[:], content, nil)
			if _, err := a.Open(ct[:0], nonce[:], ct, nil); err != nil {
				b.Fatal(err)
			}
		})
	})
	for _, st := range []string{"objects", "serialized"} {
		q := oursSSPair(b, newSSWorld(b), x3dh.V4, sealedsender.V1, st)
		b.Run("op=Manager.Info/v4/store="+st, func(b *testing.B) {
			loop(b, func() {
				if _, err := q.d[0].m.Info(context.Background(), q.d[1].addr); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
