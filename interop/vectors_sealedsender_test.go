package interop_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/forwardsecret/signal/interop/peer"
	"github.com/forwardsecret/signal/vectors"
)

// vectors/data/sealed_sender.json against the official libsignal (node-v4,
// @signalapp/libsignal-client): it opens every v1 envelope and v2 received
// message (ss_usmc, libsignal's sealedSenderDecryptToUsmc, as the listed
// recipient identity) and must find the listed USMC or refuse the invalid
// ones, splits every multi-recipient sent message as a server does
// (ss_split) and must find the listed split or refuse it, and validates
// every sender certificate (ss_validate) with the listed verdict.

// vssUSMC is a USMC decoded from the vector's bytes (protobuf, no library).
type vssUSMC struct {
	typ                    int
	cert, content, groupID []byte
	hint                   uint32
}

func vssDecodeUSMC(t *testing.T, b []byte) vssUSMC {
	t.Helper()
	var u vssUSMC
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("USMC: bad tag")
		}
		b = b[n:]
		switch typ {
		case protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				t.Fatal("USMC: bad varint")
			}
			b = b[n:]
			switch num {
			case 1:
				u.typ = map[uint64]int{1: 3, 2: 2, 7: 7, 8: 8}[v]
			case 4:
				u.hint = uint32(v)
			}
		case protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				t.Fatal("USMC: bad bytes")
			}
			b = b[n:]
			switch num {
			case 2:
				u.cert = v
			case 3:
				u.content = v
			case 5:
				u.groupID = v
			}
		default:
			t.Fatalf("USMC: wire type %d", typ)
		}
	}
	return u
}

// vssPeers starts one official libsignal per recipient identity (by
// private key), lazily.
type vssPeers struct {
	t     *testing.T
	ctx   context.Context
	peers map[string]*peer.Process
}

func (ps *vssPeers) get(private []byte) *peer.Process {
	k := hex.EncodeToString(private)
	if p := ps.peers[k]; p != nil {
		return p
	}
	p := needPeer(ps.t, peer.KindNodeV4)
	p.SetLabel("node-v4 recipient " + k[:8])
	if _, err := p.Init(ps.ctx, peer.InitRequest{RegistrationID: 1, DeviceID: 1, IdentityPrivate: peer.Hex(private)}); err != nil {
		ps.t.Fatalf("init: %v", err)
	}
	ps.peers[k] = p
	return p
}

// vssOpen opens envelope with the official libsignal as the holder of
// private and checks it against usmc (nil: the envelope must be refused,
// with class "version" when wantVersion).
func (ps *vssPeers) open(name string, private, envelope, usmc []byte, wantVersion bool) bool {
	t := ps.t
	t.Helper()
	got, err := ps.get(private).SSUSMC(ps.ctx, envelope)
	if usmc == nil {
		if err == nil {
			t.Errorf("%s: the official libsignal opened an invalid envelope", name)
			return false
		}
		if class := peer.SSErrorClass(err); class == "" || wantVersion != (class == "version") {
			t.Errorf("%s: refused with %v", name, err)
			return false
		}
		return true
	}
	if err != nil {
		t.Errorf("%s: the official libsignal refused a valid envelope: %v", name, err)
		return false
	}
	w := vssDecodeUSMC(t, usmc)
	if got.Type != w.typ || !bytes.Equal(got.SenderCert, w.cert) || !bytes.Equal(got.Content, w.content) ||
		got.ContentHint != w.hint || !bytes.Equal(got.GroupID, w.groupID) {
		t.Errorf("%s: official USMC type %d hint %d group %x content %x, want type %d hint %d group %x content %x",
			name, got.Type, got.ContentHint, []byte(got.GroupID), []byte(got.Content), w.typ, w.hint, w.groupID, w.content)
		return false
	}
	return true
}

// TestVectorsSealedSenderOfficialOpen opens the v1 and v2 vectors and the
// multi-recipient vectors' split messages with the official libsignal.
func TestVectorsSealedSenderOfficialOpen(t *testing.T) {
	f, err := vectors.SealedSender()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ps := &vssPeers{t: t, ctx: ctx, peers: map[string]*peer.Process{}}
	var valid, invalid int
	count := func(ok bool, v vectors.SealedSenderVerdict) {
		if ok && v.Result == vectors.Valid {
			valid++
		} else if ok {
			invalid++
		}
	}
	for _, v := range f.V1 {
		usmc := []byte(v.USMC)
		if v.Result != vectors.Valid {
			usmc = nil
		}
		count(ps.open(v.Name, v.RecipientIdentity.Private, v.Envelope, usmc, v.Error == vectors.ErrNameUnknownVersion), v.SealedSenderVerdict)
	}
	for _, v := range f.V2 {
		usmc := []byte(v.USMC)
		if v.Result != vectors.Valid {
			usmc = nil
		}
		count(ps.open(v.Name, v.RecipientIdentity.Private, v.Received, usmc, v.Error == vectors.ErrNameUnknownVersion), v.SealedSenderVerdict)
	}
	split := 0
	for _, v := range f.MultiRecipient {
		for _, r := range v.Recipients {
			if r.Identity != nil && v.Result == vectors.Valid {
				if ps.open(v.Name+" "+r.ServiceID, r.Identity.Private, r.Received, v.USMC, false) {
					split++
				}
			}
		}
	}
	t.Logf("the official libsignal opened %d valid v1/v2 envelopes, refused %d invalid ones, opened %d split messages (%d peers)",
		valid, invalid, split, len(ps.peers))
	if valid == 0 || invalid == 0 || split == 0 {
		t.Error("nothing checked")
	}
}

// TestVectorsSealedSenderOfficialSplit has the official libsignal parse
// every multi-recipient sent message as a server does.
func TestVectorsSealedSenderOfficialSplit(t *testing.T) {
	f, err := vectors.SealedSender()
	if err != nil {
		t.Fatal(err)
	}
	p := needPeer(t, peer.KindNodeV4)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var valid, invalid int
	for _, v := range f.MultiRecipient {
		got, err := p.SSSplit(ctx, v.SentMessage)
		if v.Result != vectors.Valid {
			if err == nil {
				t.Errorf("%s: the official libsignal split an invalid sent message (%s)", v.Name, v.Error)
			} else if peer.SSErrorClass(err) == "" {
				t.Errorf("%s: %v", v.Name, err)
			} else {
				invalid++
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: the official libsignal refused a valid sent message: %v", v.Name, err)
			continue
		}
		if e := vssCompareSplit(got, &v); e != nil {
			t.Errorf("%s: %v", v.Name, e)
			continue
		}
		valid++
	}
	t.Logf("the official libsignal split %d valid sent messages as listed and refused %d invalid ones", valid, invalid)
}

func vssCompareSplit(got peer.Split, v *vectors.SealedSenderSent) error {
	if !slices.Equal(got.Excluded, v.Excluded) && !(len(got.Excluded) == 0 && len(v.Excluded) == 0) {
		return fmt.Errorf("excluded %v, want %v", got.Excluded, v.Excluded)
	}
	if len(got.Recipients) != len(v.Recipients) {
		return fmt.Errorf("%d recipients, want %d", len(got.Recipients), len(v.Recipients))
	}
	// The official split lists recipients by service id (a map in
	// JavaScript): compare by id.
	for _, w := range v.Recipients {
		i := slices.IndexFunc(got.Recipients, func(r peer.SplitRecipient) bool { return r.ServiceID == w.ServiceID })
		if i < 0 {
			return fmt.Errorf("recipient %s missing", w.ServiceID)
		}
		r := got.Recipients[i]
		var ids, regs []uint32
		for _, d := range w.Devices {
			ids, regs = append(ids, d.ID), append(regs, d.RegistrationID)
		}
		if !slices.Equal(r.DeviceIDs, ids) || !slices.Equal(r.RegistrationIDs, regs) {
			return fmt.Errorf("%s: devices %v registration ids %v, want %v %v", w.ServiceID, r.DeviceIDs, r.RegistrationIDs, ids, regs)
		}
		if !bytes.Equal(r.Message, w.Received) {
			return fmt.Errorf("%s: received\n got %x\nwant %x", w.ServiceID, []byte(r.Message), w.Received)
		}
	}
	return nil
}

// vssReasons maps the file's certificate error names to the peer's
// refusal classes.
var vssReasons = map[string]string{
	vectors.ErrNameUntrustedRoot: "untrusted",
	vectors.ErrNameRevoked:       "revoked",
	vectors.ErrNameExpired:       "expired",
	vectors.ErrNameBadSignature:  "invalid-cert",
	vectors.ErrNameMalformed:     "invalid-cert",
	vectors.ErrNameUnknownSigner: "invalid-cert",
}

// TestVectorsSealedSenderOfficialCertificates has the official libsignal
// validate every sender certificate at the listed time under the listed
// trust roots.
func TestVectorsSealedSenderOfficialCertificates(t *testing.T) {
	f, err := vectors.SealedSender()
	if err != nil {
		t.Fatal(err)
	}
	p := needPeer(t, peer.KindNodeV4)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	n := 0
	for _, c := range f.Certificates {
		if c.Kind != vectors.KindSenderCertificate {
			continue
		}
		var roots [][]byte
		for _, r := range c.TrustRoots {
			roots = append(roots, r)
		}
		ok, reason, err := p.SSValidate(ctx, c.SenderCertificate, roots, int64(*c.Time))
		switch {
		case err != nil && c.Error == vectors.ErrNameUnknownSigner && strings.Contains(err.Error(), "unknown server certificate ID"):
			// validateWithTrustRoots refused it; the peer's refusal
			// reason then fails on serverCertificate().
			n++
		case err != nil:
			t.Errorf("%s: %v", c.Name, err)
		case c.Result == vectors.Acceptable:
			t.Logf("%s (acceptable, %v): the official libsignal says valid=%v %s", c.Name, c.Flags, ok, reason)
			n++
		case ok != (c.Result == vectors.Valid):
			t.Errorf("%s: official verdict %v (%s), want %s %s", c.Name, ok, reason, c.Result, c.Error)
		case !ok && peer.SSReasonClass(reason) != vssReasons[c.Error]:
			t.Errorf("%s: official reason %q, want class %q (%s)", c.Name, reason, vssReasons[c.Error], c.Error)
		default:
			n++
		}
	}
	t.Logf("the official libsignal agrees on %d sender certificates", n)
}

// vssField1 returns field 1 of a ServerCertificate or SenderCertificate:
// the signed certificate bytes.
func vssField1(t *testing.T, b []byte) []byte {
	t.Helper()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatal("certificate: bad tag")
		}
		b = b[n:]
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			t.Fatal("certificate: bad field")
		}
		if num == 1 && typ == protowire.BytesType {
			v, _ := protowire.ConsumeBytes(b)
			return v
		}
		b = b[n:]
	}
	t.Fatal("certificate: no field 1")
	return nil
}

// TestVectorsSealedSenderOfficialEncoding has the official libsignal make
// the certificates of the "sign" vectors from the same inputs: the signed
// bytes (field 1, the field order included) must be the listed ones (the
// signatures differ: libsignal draws its own Z).
func TestVectorsSealedSenderOfficialEncoding(t *testing.T) {
	f, err := vectors.SealedSender()
	if err != nil {
		t.Fatal(err)
	}
	p := needPeer(t, peer.KindNodeV4)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	n := 0
	for _, c := range f.Certificates {
		if c.Operation != "sign" {
			continue
		}
		var got, want []byte
		if c.Kind == vectors.KindServerCertificate {
			got, err = p.SSServerCert(ctx, *c.ServerKeyID, c.TrustRoot.Private, c.ServerKey.Public)
			want = c.ServerCertificate
		} else {
			req := peer.SenderCertRequest{UUID: c.SenderUUID, DeviceID: *c.SenderDevice, IdentityPublic: peer.Hex(c.IdentityKey),
				Expires: int64(*c.Expires), ServerCert: peer.Hex(c.ServerCertificate), ServerPrivate: peer.Hex(c.ServerKey.Private)}
			if c.SenderE164 != nil {
				req.E164 = *c.SenderE164
			}
			got, err = p.SSSenderCert(ctx, req)
			want = c.SenderCertificate
		}
		if err != nil {
			t.Errorf("%s: %v", c.Name, err)
			continue
		}
		if g, w := vssField1(t, got), vssField1(t, want); !bytes.Equal(g, w) {
			t.Errorf("%s: the official libsignal's certificate bytes\n got %x\nwant %x", c.Name, g, w)
			continue
		}
		n++
	}
	t.Logf("the official libsignal encodes %d certificates as listed", n)
	if n == 0 {
		t.Error("nothing checked")
	}
}
