package migrate

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/forwardsecret/signal/compat"
	"github.com/forwardsecret/signal/compat/gomau"
	"github.com/forwardsecret/signal/compat/libsignal"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/sqlstore"
	"github.com/forwardsecret/signal/x3dh"
)

// The files and directories of the libsignal-dir layout.
const (
	dirIdentityKeyPair = "identity_key_pair"
	dirRegistrationID  = "registration_id"
	dirSignedPreKeys   = "signed_prekeys"
	dirPreKeys         = "prekeys"
	dirKyberPreKeys    = "kyber_prekeys"
	dirLastResortKyber = "last_resort_kyber_prekeys"
	dirIdentities      = "identities"
	dirSessions        = "sessions"
	dirSenderKeys      = "sender_keys"
)

// LibsignalDirAddress returns the file name of an address in the
// libsignal-dir layout: NAME.DEVICE, NAME path-escaped.
func LibsignalDirAddress(a session.Address) string {
	return url.PathEscape(a.Name) + "." + strconv.FormatUint(uint64(a.DeviceID), 10)
}

func parseDirAddress(name string) (session.Address, error) {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 {
		return session.Address{}, fmt.Errorf("file name %q: want NAME.DEVICE", name)
	}
	n, err := url.PathUnescape(name[:i])
	if err != nil {
		return session.Address{}, fmt.Errorf("file name %q: %w", name, err)
	}
	dev, err := strconv.ParseUint(name[i+1:], 10, 32)
	if err != nil {
		return session.Address{}, fmt.Errorf("file name %q: device id: %w", name, err)
	}
	return session.Address{Name: n, DeviceID: uint32(dev)}, nil
}

// parseUUID reads a UUID in its 8-4-4-4-12 hex form.
func parseUUID(s string) (senderkey.DistributionID, error) {
	var id senderkey.DistributionID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return id, fmt.Errorf("%q is not a UUID (8-4-4-4-12 hex digits)", s)
	}
	b, err := hex.DecodeString(s[:8] + s[9:13] + s[14:18] + s[19:23] + s[24:])
	if err != nil {
		return id, fmt.Errorf("%q is not a UUID: %w", s, err)
	}
	copy(id[:], b)
	return id, nil
}

// dirSource is a libsignal-dir directory.
type dirSource struct {
	root string
	w    *writer
}

// read reads the file rel (slash-separated, relative to the root), refusing
// anything larger than any record.
func (d *dirSource) read(rel string) ([]byte, error) {
	name := filepath.Join(d.root, filepath.FromSlash(rel))
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a file", rel)
	}
	if fi.Size() > gomau.MaxRecordSize {
		return nil, fmt.Errorf("%w: %s holds %d bytes, more than any record", compat.ErrInvalidRecord, rel, fi.Size())
	}
	return os.ReadFile(name)
}

// list returns the entries of the directory rel, or none if it does not
// exist.
func (d *dirSource) list(rel string) ([]fs.DirEntry, error) {
	ents, err := os.ReadDir(filepath.Join(d.root, filepath.FromSlash(rel)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSource, err)
	}
	return ents, nil
}

// files calls f for every file of the directory rel; hidden files are
// reported and left out, subdirectories fail.
func (d *dirSource) files(rel string, kind Kind, f func(rel, name string)) error {
	ents, err := d.list(rel)
	if err != nil {
		return err
	}
	for _, e := range ents {
		p := path.Join(rel, e.Name())
		switch {
		case strings.HasPrefix(e.Name(), "."):
			d.w.skip(KindOther, p, "hidden file: not part of the layout")
		case e.IsDir():
			d.w.fail(kind, p, fmt.Errorf("a directory where the layout has record files"))
		default:
			f(p, e.Name())
		}
	}
	return nil
}

// migrateLibsignalDir reads a libsignal-dir source (opts.From) and writes
// its records through w.
func migrateLibsignalDir(opts Options, w *writer) error {
	d := &dirSource{root: opts.From.Location, w: w}
	fi, err := os.Stat(d.root)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrSource, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%w: %s is not a directory", ErrSource, d.root)
	}
	if err := d.identity(); err != nil {
		return err
	}
	steps := []func() error{
		d.signedPreKeys, d.preKeys,
		func() error { return d.kyberPreKeys(dirKyberPreKeys, false) },
		func() error { return d.kyberPreKeys(dirLastResortKyber, true) },
		d.peerIdentities,
		func() error { return d.sessions(opts) },
		d.senderKeys, d.others,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// identity reads and writes the device's identity and registration id; a
// run stops without them.
func (d *dirSource) identity() error {
	b, err := d.read(dirIdentityKeyPair)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrSource, dirIdentityKeyPair, err)
	}
	id, err := libsignal.ImportIdentityKeyPair(b)
	clear(b)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrSource, dirIdentityKeyPair, err)
	}
	b, err = d.read(dirRegistrationID)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrSource, dirRegistrationID, err)
	}
	reg, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrSource, dirRegistrationID, err)
	}
	var initErr error
	d.w.put(KindIdentity, dirIdentityKeyPair+", "+dirRegistrationID, "local identity",
		fmt.Sprintf("registration id %d, identity key %x", reg, id.PublicKey().Bytes()),
		func(ctx context.Context, st *sqlstore.Store) error {
			initErr = st.Init(ctx, id, uint32(reg))
			return initErr
		})
	if initErr != nil {
		return fmt.Errorf("migrate: %s: %w", dirIdentityKeyPair, initErr)
	}
	return nil
}

// keyID reads a file name that is a key id, and checks it against the
// record's.
func keyID(name string, recordID uint32) error {
	id, err := strconv.ParseUint(name, 10, 32)
	if err != nil {
		return fmt.Errorf("file name %q is not a key id", name)
	}
	if uint32(id) != recordID {
		return fmt.Errorf("%w: file name %s, but the record's id is %d", compat.ErrInvalidRecord, name, recordID)
	}
	return nil
}

func (d *dirSource) signedPreKeys() error {
	return d.files(dirSignedPreKeys, KindSignedPreKey, func(rel, name string) {
		b, err := d.read(rel)
		var k *x3dh.SignedPreKey
		if err == nil {
			k, err = libsignal.ImportSignedPreKeyRecord(b)
			clear(b)
		}
		if err == nil {
			err = keyID(name, k.ID)
		}
		if err != nil {
			d.w.fail(KindSignedPreKey, rel, err)
			return
		}
		d.w.put(KindSignedPreKey, rel, fmt.Sprintf("signed prekey %d", k.ID), "",
			func(ctx context.Context, st *sqlstore.Store) error { return st.AddSignedPreKey(ctx, k) })
	})
}

func (d *dirSource) preKeys() error {
	return d.files(dirPreKeys, KindPreKey, func(rel, name string) {
		b, err := d.read(rel)
		var k *x3dh.OneTimePreKey
		if err == nil {
			k, err = libsignal.ImportPreKeyRecord(b)
			clear(b)
		}
		if err == nil {
			err = keyID(name, k.ID)
		}
		if err != nil {
			d.w.fail(KindPreKey, rel, err)
			return
		}
		d.w.put(KindPreKey, rel, fmt.Sprintf("prekey %d", k.ID), "",
			func(ctx context.Context, st *sqlstore.Store) error { return st.AddPreKey(ctx, k) })
	})
}

func (d *dirSource) kyberPreKeys(dir string, lastResort bool) error {
	return d.files(dir, KindKyberPreKey, func(rel, name string) {
		b, err := d.read(rel)
		var k *x3dh.KEMPreKey
		if err == nil {
			k, err = libsignal.ImportKyberPreKeyRecord(b)
			clear(b)
		}
		if err == nil {
			err = keyID(name, k.ID)
		}
		if err != nil {
			d.w.fail(KindKyberPreKey, rel, err)
			return
		}
		if lastResort {
			d.w.put(KindKyberPreKey, rel, fmt.Sprintf("last-resort KEM prekey %d", k.ID), "",
				func(ctx context.Context, st *sqlstore.Store) error { return st.AddLastResortKEMPreKey(ctx, k) })
			return
		}
		d.w.put(KindKyberPreKey, rel, fmt.Sprintf("one-time KEM prekey %d", k.ID), "",
			func(ctx context.Context, st *sqlstore.Store) error { return st.AddKEMPreKey(ctx, k) })
	})
}

func (d *dirSource) peerIdentities() error {
	return d.files(dirIdentities, KindPeerIdentity, func(rel, name string) {
		addr, err := parseDirAddress(name)
		if err != nil {
			d.w.fail(KindPeerIdentity, rel, err)
			return
		}
		b, err := d.read(rel)
		if err != nil {
			d.w.fail(KindPeerIdentity, rel, err)
			return
		}
		k, err := libsignal.ImportIdentityKey(b)
		if err != nil {
			d.w.fail(KindPeerIdentity, rel, err)
			return
		}
		d.w.put(KindPeerIdentity, rel, "identity of "+addr.String(), "",
			func(ctx context.Context, st *sqlstore.Store) error { return st.SaveIdentity(ctx, addr, k) })
	})
}

func (d *dirSource) sessions(opts Options) error {
	return d.files(dirSessions, KindSession, func(rel, name string) {
		addr, err := parseDirAddress(name)
		if err != nil {
			d.w.fail(KindSession, rel, err)
			return
		}
		b, err := d.read(rel)
		if err != nil {
			d.w.fail(KindSession, rel, err)
			return
		}
		defer clear(b)
		rec, err := libsignal.ImportSessionRecord(b)
		if err != nil {
			// Not libsignal's current layout, or a record of the legacy
			// libraries that only their layout's rules read (an empty
			// current state of version 2 is no current state there).
			legacy, lerr := libsignal.ImportLegacySessionRecord(b, opts.Now)
			switch {
			case lerr == nil:
				importSession(d.w, rel, addr, legacy, nil, "legacy layout (libsignal-protocol-c/-java, python-axolotl)")
				return
			case errors.Is(lerr, compat.ErrUnsupportedVersion):
				err = lerr
			}
		}
		importSession(d.w, rel, addr, rec, err)
	})
}

func (d *dirSource) senderKeys() error {
	ents, err := d.list(dirSenderKeys)
	if err != nil {
		return err
	}
	for _, e := range ents {
		rel := path.Join(dirSenderKeys, e.Name())
		switch {
		case strings.HasPrefix(e.Name(), "."):
			d.w.skip(KindOther, rel, "hidden file: not part of the layout")
			continue
		case !e.IsDir():
			d.w.fail(KindSenderKey, rel, fmt.Errorf("a file where the layout has a directory per sender (NAME.DEVICE/DIST)"))
			continue
		}
		addr, err := parseDirAddress(e.Name())
		if err != nil {
			d.w.fail(KindSenderKey, rel, err)
			continue
		}
		err = d.files(rel, KindSenderKey, func(rel, name string) {
			dist, err := parseUUID(name)
			if err != nil {
				d.w.fail(KindSenderKey, rel, fmt.Errorf("file name: %w", err))
				return
			}
			b, err := d.read(rel)
			var rec *senderkey.Record
			if err == nil {
				rec, err = libsignal.ImportSenderKeyRecord(b)
				clear(b)
			}
			if err != nil {
				d.w.fail(KindSenderKey, rel, err)
				return
			}
			importSenderKey(d.w, rel, senderkey.Sender(addr), dist, rec)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// others reports the entries of the root that the layout does not name.
func (d *dirSource) others() error {
	ents, err := d.list(".")
	if err != nil {
		return err
	}
	known := map[string]bool{
		dirIdentityKeyPair: true, dirRegistrationID: true, dirSignedPreKeys: true, dirPreKeys: true,
		dirKyberPreKeys: true, dirLastResortKyber: true, dirIdentities: true, dirSessions: true, dirSenderKeys: true,
	}
	for _, e := range ents {
		if !known[e.Name()] {
			d.w.skip(KindOther, e.Name(), "not part of the libsignal-dir layout: not read")
		}
	}
	return nil
}
