package main

// The wm_* ops run a go.mau.fi/whatsmeow device: its Signal stores are
// whatsmeow's own SQL store (store/sqlstore.Container, on a SQLite file
// through modernc.org/sqlite), and every operation goes through
// go.mau.fi/libsignal as whatsmeow calls it (session.NewBuilderFromSignal
// over the store.Device, store.SignalProtobufSerializer; groups with
// groups.NewGroupSessionBuilder, messages SignedSerialize'd). So the file
// holds what whatsmeow itself would write, for cmd/signal-migrate to read
// (interop/migrate_test.go). The ops need no init; the peer's other ops
// (and their in-memory stores) are not involved.
//
//	wm_open           path or dsn, jid            identity_public, registration_id
//	                  (a new whatsmeow database with one device, in the
//	                  SQLite file path or the PostgreSQL database dsn; also
//	                  makes 5 prekeys not yet marked uploaded, as
//	                  GetOrGenPreKeys does before an upload)
//	wm_bundle         one_time                    a bundle, as "bundle" answers (one-time
//	                                              prekeys from GenOnePreKey, marked uploaded)
//	wm_process_bundle name, device_id, bundle     {}
//	wm_encrypt        name, device_id, plaintext  type, body
//	wm_decrypt        name, device_id, type, body plaintext
//	wm_group_create   group, name, device_id      skdm (own sender key, as name.device_id)
//	wm_group_process  group, name, device_id, skdm
//	wm_group_encrypt  group, name, device_id, plaintext   body (SignedSerialize)
//	wm_group_decrypt  group, name, device_id, body        plaintext
//	wm_close                                      {} (closes the database)

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"

	"go.mau.fi/libsignal/groups"
	"go.mau.fi/libsignal/protocol"
	"go.mau.fi/libsignal/session"
	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx" (PostgreSQL)
	_ "modernc.org/sqlite"             // registers "sqlite", which whatsmeow's dbutil reads as SQLite
)

type wmRequest struct {
	Path      string      `json:"path"`
	DSN       string      `json:"dsn"`
	JID       string      `json:"jid"`
	Name      string      `json:"name"`
	DeviceID  uint32      `json:"device_id"`
	OneTime   bool        `json:"one_time"`
	Bundle    *bundleJSON `json:"bundle"`
	Plaintext hexBytes    `json:"plaintext"`
	Type      int         `json:"type"`
	Body      hexBytes    `json:"body"`
	Group     string      `json:"group"`
	SKDM      hexBytes    `json:"skdm"`
}

// wm is the whatsmeow device of this process (one per peer).
var wm struct {
	container *sqlstore.Container
	device    *store.Device
}

func init() {
	for op, f := range map[string]func(context.Context, *wmRequest) (map[string]any, error){
		"wm_open": wmOpen, "wm_bundle": wmBundle, "wm_process_bundle": wmProcessBundle,
		"wm_encrypt": wmEncrypt, "wm_decrypt": wmDecrypt,
		"wm_group_create": wmGroupCreate, "wm_group_process": wmGroupProcess,
		"wm_group_encrypt": wmGroupEncrypt, "wm_group_decrypt": wmGroupDecrypt,
		"wm_close": wmClose,
	} {
		extraOps[op] = func(ctx context.Context, _ *peer, raw []byte) (map[string]any, error) {
			var r wmRequest
			if err := jsonUnmarshal(raw, &r); err != nil {
				return nil, err
			}
			if op != "wm_open" && wm.device == nil {
				return nil, errors.New("no whatsmeow device (wm_open first)")
			}
			return f(ctx, &r)
		}
	}
}

func wmOpen(ctx context.Context, r *wmRequest) (map[string]any, error) {
	if wm.container != nil {
		return nil, errors.New("a whatsmeow database is already open")
	}
	var c *sqlstore.Container
	var err error
	if r.DSN != "" {
		c, err = sqlstore.New(ctx, "pgx", r.DSN, nil)
	} else {
		var abs string
		if abs, err = filepath.Abs(r.Path); err != nil {
			return nil, err
		}
		// whatsmeow wants foreign keys on (Container.Upgrade checks).
		dsn := (&url.URL{Scheme: "file", Path: abs, RawQuery: "_pragma=foreign_keys(1)"}).String()
		c, err = sqlstore.New(ctx, "sqlite", dsn, nil)
	}
	if err != nil {
		return nil, err
	}
	jid, err := types.ParseJID(r.JID)
	if err != nil {
		c.Close()
		return nil, err
	}
	d := c.NewDevice()
	d.ID = &jid
	// What pairing would have set: not Signal state, and not read here.
	d.Account = &waAdv.ADVSignedDeviceIdentity{
		Details: []byte{}, AccountSignature: make([]byte, 64),
		AccountSignatureKey: make([]byte, 32), DeviceSignature: make([]byte, 64),
	}
	if err := d.Save(ctx); err != nil {
		c.Close()
		return nil, err
	}
	if _, err := d.PreKeys.GetOrGenPreKeys(ctx, 5); err != nil {
		c.Close()
		return nil, err
	}
	wm.container, wm.device = c, d
	return map[string]any{
		"identity_public": hexBytes(d.GetIdentityKeyPair().PublicKey().Serialize()),
		"registration_id": d.RegistrationID,
	}, nil
}

func djb(pub *[32]byte) hexBytes { return append(hexBytes{0x05}, pub[:]...) }

func wmBundle(ctx context.Context, r *wmRequest) (map[string]any, error) {
	d := wm.device
	out := map[string]any{
		"registration_id":         d.RegistrationID,
		"device_id":               uint32(d.ID.Device),
		"identity_key":            djb(d.IdentityKey.Pub),
		"signed_prekey_id":        d.SignedPreKey.KeyID,
		"signed_prekey":           djb(d.SignedPreKey.Pub),
		"signed_prekey_signature": hexBytes(d.SignedPreKey.Signature[:]),
	}
	if r.OneTime {
		pk, err := d.PreKeys.GenOnePreKey(ctx)
		if err != nil {
			return nil, err
		}
		out["prekey_id"] = pk.KeyID
		out["prekey"] = djb(pk.Pub)
	}
	return out, nil
}

func wmBuilder(r *wmRequest) (*session.Builder, *protocol.SignalAddress) {
	a := protocol.NewSignalAddress(r.Name, r.DeviceID)
	return session.NewBuilderFromSignal(wm.device, a, store.SignalProtobufSerializer), a
}

func wmProcessBundle(ctx context.Context, r *wmRequest) (map[string]any, error) {
	if r.Bundle == nil {
		return nil, errors.New("missing bundle")
	}
	b, err := r.Bundle.toBundle()
	if err != nil {
		return nil, err
	}
	bld, _ := wmBuilder(r)
	if err := bld.ProcessBundle(ctx, b); err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}

func wmEncrypt(ctx context.Context, r *wmRequest) (map[string]any, error) {
	bld, a := wmBuilder(r)
	if ok, err := wm.device.ContainsSession(ctx, a); err != nil || !ok {
		return nil, fmt.Errorf("no session (%v)", err)
	}
	msg, err := session.NewCipher(bld, a).Encrypt(ctx, r.Plaintext)
	if err != nil {
		return nil, err
	}
	return map[string]any{"type": msg.Type(), "body": hexBytes(msg.Serialize())}, nil
}

func wmDecrypt(ctx context.Context, r *wmRequest) (map[string]any, error) {
	bld, a := wmBuilder(r)
	c := session.NewCipher(bld, a)
	ser := store.SignalProtobufSerializer
	var pt []byte
	switch r.Type {
	case protocol.PREKEY_TYPE:
		m, err := protocol.NewPreKeySignalMessageFromBytes(r.Body, ser.PreKeySignalMessage, ser.SignalMessage)
		if err != nil {
			return nil, err
		}
		if pt, err = c.DecryptMessage(ctx, m); err != nil {
			return nil, err
		}
	case protocol.WHISPER_TYPE:
		m, err := protocol.NewSignalMessageFromBytes(r.Body, ser.SignalMessage)
		if err != nil {
			return nil, err
		}
		if pt, err = c.Decrypt(ctx, m); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown message type %d", r.Type)
	}
	return map[string]any{"plaintext": hexBytes(pt)}, nil
}

func wmSenderKeyName(r *wmRequest) *protocol.SenderKeyName {
	return protocol.NewSenderKeyName(r.Group, protocol.NewSignalAddress(r.Name, r.DeviceID))
}

func wmGroupBuilder() *groups.SessionBuilder {
	return groups.NewGroupSessionBuilder(wm.device, store.SignalProtobufSerializer)
}

func wmGroupCreate(ctx context.Context, r *wmRequest) (map[string]any, error) {
	m, err := wmGroupBuilder().Create(ctx, wmSenderKeyName(r))
	if err != nil {
		return nil, err
	}
	return map[string]any{"skdm": hexBytes(m.Serialize())}, nil
}

func wmGroupProcess(ctx context.Context, r *wmRequest) (map[string]any, error) {
	m, err := protocol.NewSenderKeyDistributionMessageFromBytes(r.SKDM, store.SignalProtobufSerializer.SenderKeyDistributionMessage)
	if err != nil {
		return nil, err
	}
	if err := wmGroupBuilder().Process(ctx, wmSenderKeyName(r), m); err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}

func wmGroupEncrypt(ctx context.Context, r *wmRequest) (map[string]any, error) {
	bld := wmGroupBuilder()
	m, err := groups.NewGroupCipher(bld, wmSenderKeyName(r), wm.device).Encrypt(ctx, r.Plaintext)
	if err != nil {
		return nil, err
	}
	return map[string]any{"body": hexBytes(m.SignedSerialize())}, nil
}

func wmGroupDecrypt(ctx context.Context, r *wmRequest) (map[string]any, error) {
	m, err := protocol.NewSenderKeyMessageFromBytes(r.Body, store.SignalProtobufSerializer.SenderKeyMessage)
	if err != nil {
		return nil, err
	}
	bld := wmGroupBuilder()
	pt, err := groups.NewGroupCipher(bld, wmSenderKeyName(r), wm.device).Decrypt(ctx, m)
	if err != nil {
		return nil, err
	}
	return map[string]any{"plaintext": hexBytes(pt)}, nil
}

func wmClose(context.Context, *wmRequest) (map[string]any, error) {
	err := wm.container.Close()
	wm.container, wm.device = nil, nil
	return map[string]any{}, err
}
