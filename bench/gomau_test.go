package bench

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.mau.fi/libsignal/ecc"
	"go.mau.fi/libsignal/keys/identity"
	"go.mau.fi/libsignal/keys/prekey"
	"go.mau.fi/libsignal/logger"
	"go.mau.fi/libsignal/protocol"
	"go.mau.fi/libsignal/serialize"
	gsession "go.mau.fi/libsignal/session"
	"go.mau.fi/libsignal/state/record"
	"go.mau.fi/libsignal/util/keyhelper"
	"go.mau.fi/libsignal/util/optional"
)

// go.mau.fi/libsignal v0.2.1 (GPL-3.0), driven as interop/gomau drives it,
// with a no-op logger (its default logger prints). It speaks v3 only.

func init() {
	var l logger.Loggable = nopLogger{}
	logger.Setup(&l)
	register(&impl{
		name:   "gomau-v3",
		stores: []string{"objects", "serialized"},
		setup:  gomauSetup,
		pair:   func(b *testing.B, st string) pair { return gomauNewPair(b, st) },
		fanout: gomauFanout,
	})
}

type nopLogger struct{}

func (nopLogger) Debug(string, string)   {}
func (nopLogger) Info(string, string)    {}
func (nopLogger) Warning(string, string) {}
func (nopLogger) Error(string, string)   {}
func (nopLogger) Configure(string)       {}

var gser = serialize.NewProtoBufSerializer()

// gomauStore implements every store of go.mau.fi/libsignal in memory. In
// "objects" mode it keeps the *record.Session objects (and hands out the
// stored object, as the library's own test stores do); in "serialized"
// mode it keeps record.Serialize() bytes and parses them on every load.
type gomauStore struct {
	identity  *identity.KeyPair
	regID     uint32
	serialize bool

	mu       sync.Mutex
	trusted  map[string]*identity.Key
	prekeys  map[uint32]*record.PreKey
	signed   map[uint32]*record.SignedPreKey
	sessions map[string]*record.Session
	encoded  map[string][]byte
}

func newGomauStore(b *testing.B, regID uint32, store string) *gomauStore {
	id, err := keyhelper.GenerateIdentityKeyPair()
	if err != nil {
		b.Fatal(err)
	}
	if store != "objects" && store != "serialized" {
		b.Fatalf("store mode %q", store)
	}
	return &gomauStore{
		identity: id, regID: regID, serialize: store == "serialized",
		trusted: map[string]*identity.Key{}, prekeys: map[uint32]*record.PreKey{},
		signed: map[uint32]*record.SignedPreKey{}, sessions: map[string]*record.Session{},
		encoded: map[string][]byte{},
	}
}

func (s *gomauStore) GetIdentityKeyPair() *identity.KeyPair { return s.identity }
func (s *gomauStore) GetLocalRegistrationID() uint32        { return s.regID }
func (s *gomauStore) SaveIdentity(_ context.Context, a *protocol.SignalAddress, k *identity.Key) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trusted[a.String()] = k
	return nil
}
func (s *gomauStore) IsTrustedIdentity(_ context.Context, a *protocol.SignalAddress, k *identity.Key) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.trusted[a.String()]
	return t == nil || t.Fingerprint() == k.Fingerprint(), nil
}
func (s *gomauStore) LoadPreKey(_ context.Context, id uint32) (*record.PreKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.prekeys[id], nil
}
func (s *gomauStore) StorePreKey(_ context.Context, id uint32, r *record.PreKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prekeys[id] = r
	return nil
}
func (s *gomauStore) ContainsPreKey(_ context.Context, id uint32) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.prekeys[id]
	return ok, nil
}
func (s *gomauStore) RemovePreKey(_ context.Context, id uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.prekeys, id)
	return nil
}
func (s *gomauStore) LoadSession(_ context.Context, a *protocol.SignalAddress) (*record.Session, error) {
	key := a.String()
	s.mu.Lock()
	r, enc := s.sessions[key], s.encoded[key]
	s.mu.Unlock()
	if s.serialize && enc != nil {
		return record.NewSessionFromBytes(enc, gser.Session, gser.State)
	}
	if r != nil {
		return r, nil
	}
	return record.NewSession(gser.Session, gser.State), nil
}
func (s *gomauStore) GetSubDeviceSessions(context.Context, string) ([]uint32, error) { return nil, nil }
func (s *gomauStore) StoreSession(_ context.Context, a *protocol.SignalAddress, r *record.Session) error {
	key := a.String()
	if s.serialize {
		enc := r.Serialize()
		s.mu.Lock()
		s.encoded[key] = enc
		s.mu.Unlock()
		return nil
	}
	s.mu.Lock()
	s.sessions[key] = r
	s.mu.Unlock()
	return nil
}
func (s *gomauStore) ContainsSession(_ context.Context, a *protocol.SignalAddress) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.sessions[a.String()]
	_, ok2 := s.encoded[a.String()]
	return ok || ok2, nil
}
func (s *gomauStore) DeleteSession(_ context.Context, a *protocol.SignalAddress) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, a.String())
	delete(s.encoded, a.String())
	return nil
}
func (s *gomauStore) DeleteAllSessions(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.sessions)
	clear(s.encoded)
	return nil
}
func (s *gomauStore) LoadSignedPreKey(_ context.Context, id uint32) (*record.SignedPreKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signed[id], nil
}
func (s *gomauStore) LoadSignedPreKeys(context.Context) ([]*record.SignedPreKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*record.SignedPreKey
	for _, r := range s.signed {
		out = append(out, r)
	}
	return out, nil
}
func (s *gomauStore) StoreSignedPreKey(_ context.Context, id uint32, r *record.SignedPreKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signed[id] = r
	return nil
}
func (s *gomauStore) ContainsSignedPreKey(_ context.Context, id uint32) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.signed[id]
	return ok, nil
}
func (s *gomauStore) RemoveSignedPreKey(_ context.Context, id uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.signed, id)
	return nil
}

// gomauBundle gives s a signed prekey and a one-time prekey and returns its
// bundle and the one-time prekey record.
func gomauBundle(b *testing.B, s *gomauStore) (*prekey.Bundle, *record.PreKey) {
	spk, err := ecc.GenerateKeyPair()
	if err != nil {
		b.Fatal(err)
	}
	opk, err := ecc.GenerateKeyPair()
	if err != nil {
		b.Fatal(err)
	}
	sig := ecc.CalculateSignature(s.identity.PrivateKey(), spk.PublicKey().Serialize())
	s.signed[1] = record.NewSignedPreKey(1, time.Now().UnixMilli(), spk, sig, gser.SignedPreKeyRecord)
	opkRec := record.NewPreKey(1, opk, gser.PreKeyRecord)
	s.prekeys[1] = opkRec
	bundle := prekey.NewBundle(s.regID, 1, optional.NewOptionalUint32(1), 1, opk.PublicKey(),
		spk.PublicKey(), sig, s.identity.PublicKey())
	return bundle, opkRec
}

// gomauParty is one device's cipher for one remote address.
type gomauParty struct {
	st  *gomauStore
	bld *gsession.Builder
	c   *gsession.Cipher
}

func newGomauParty(st *gomauStore, remote *protocol.SignalAddress) *gomauParty {
	bld := gsession.NewBuilder(st, st, st, st, remote, gser)
	return &gomauParty{st: st, bld: bld, c: gsession.NewCipher(bld, remote)}
}

func (p *gomauParty) encrypt(b *testing.B, pt []byte) (uint32, []byte) {
	msg, err := p.c.Encrypt(context.Background(), pt)
	if err != nil {
		b.Fatal(err)
	}
	return msg.Type(), msg.Serialize()
}

func (p *gomauParty) decrypt(b *testing.B, typ uint32, body []byte) []byte {
	ctx := context.Background()
	switch typ {
	case protocol.PREKEY_TYPE:
		m, err := protocol.NewPreKeySignalMessageFromBytes(body, gser.PreKeySignalMessage, gser.SignalMessage)
		if err != nil {
			b.Fatal(err)
		}
		pt, err := p.c.DecryptMessage(ctx, m)
		if err != nil {
			b.Fatal(err)
		}
		return pt
	case protocol.WHISPER_TYPE:
		m, err := protocol.NewSignalMessageFromBytes(body, gser.SignalMessage)
		if err != nil {
			b.Fatal(err)
		}
		pt, err := p.c.Decrypt(ctx, m)
		if err != nil {
			b.Fatal(err)
		}
		return pt
	}
	b.Fatalf("message type %d", typ)
	return nil
}

var (
	gAliceAddr = protocol.NewSignalAddress("alice", 1)
	gBobAddr   = protocol.NewSignalAddress("bob", 1)
)

func gomauSetup(b *testing.B, store string) func() {
	ctx := context.Background()
	as, bs := newGomauStore(b, 1, store), newGomauStore(b, 2, store)
	bundle, opk := gomauBundle(b, bs)
	alice, bob := newGomauParty(as, gBobAddr), newGomauParty(bs, gAliceAddr)
	pt := message(100)
	return func() {
		bs.StorePreKey(ctx, 1, opk) // the handshake consumes it
		if err := alice.bld.ProcessBundle(ctx, bundle); err != nil {
			b.Fatal(err)
		}
		typ, body := alice.encrypt(b, pt)
		checkPlaintext(b, bob.decrypt(b, typ, body), pt)
		as.DeleteSession(ctx, gBobAddr)
		bs.DeleteSession(ctx, gAliceAddr)
	}
}

type gomauPair struct{ p [2]*gomauParty }

func gomauNewPair(b *testing.B, store string) *gomauPair {
	as, bs := newGomauStore(b, 1, store), newGomauStore(b, 2, store)
	bundle, _ := gomauBundle(b, bs)
	p := &gomauPair{p: [2]*gomauParty{newGomauParty(as, gBobAddr), newGomauParty(bs, gAliceAddr)}}
	if err := p.p[0].bld.ProcessBundle(context.Background(), bundle); err != nil {
		b.Fatal(err)
	}
	pt := message(100)
	p.send(b, 0, pt)
	p.send(b, 1, pt)
	return p
}

func (p *gomauPair) send(b *testing.B, from int, pt []byte) {
	typ, body := p.p[from].encrypt(b, pt)
	checkPlaintext(b, p.p[1-from].decrypt(b, typ, body), pt)
}

func (p *gomauPair) drop(b *testing.B, from int, pt []byte) { p.p[from].encrypt(b, pt) }

func (p *gomauPair) record(b *testing.B, party int) (func(), int) {
	remote := []*protocol.SignalAddress{gAliceAddr, gBobAddr}[1-party]
	rec, err := p.p[party].st.LoadSession(context.Background(), remote)
	if err != nil {
		b.Fatal(err)
	}
	size := len(rec.Serialize())
	return func() {
		if _, err := record.NewSessionFromBytes(rec.Serialize(), gser.Session, gser.State); err != nil {
			b.Fatal(err)
		}
	}, size
}

func gomauFanout(b *testing.B, store string, n int) func([]byte, bool) {
	ctx := context.Background()
	as, bs := newGomauStore(b, 1, store), newGomauStore(b, 2, store)
	bundle, opk := gomauBundle(b, bs)
	senders := make([]*gomauParty, n)
	pt := message(100)
	for i := range senders {
		to := protocol.NewSignalAddress(fmt.Sprintf("bob-%d", i), 1)
		from := protocol.NewSignalAddress(fmt.Sprintf("alice-%d", i), 1)
		bs.StorePreKey(ctx, 1, opk)
		p := &gomauPair{p: [2]*gomauParty{newGomauParty(as, to), newGomauParty(bs, from)}}
		if err := p.p[0].bld.ProcessBundle(ctx, bundle); err != nil {
			b.Fatal(err)
		}
		p.send(b, 0, pt)
		p.send(b, 1, pt)
		senders[i] = p.p[0]
	}
	return func(pt []byte, parallel bool) {
		each(n, parallel, func(i int) {
			if _, err := senders[i].c.Encrypt(ctx, pt); err != nil {
				b.Error(err)
			}
		})
	}
}
