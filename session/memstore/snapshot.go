package memstore

import (
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/x3dh"
)

// ErrInvalidSnapshot is returned by Unmarshal for bytes that are not a store
// snapshot.
var ErrInvalidSnapshot = errors.New("memstore: invalid snapshot")

// snapshotVersion is the first field of every snapshot.
const snapshotVersion = 1

// Snapshot field numbers. The snapshot is a protobuf message:
//
//	1 version (varint)            2 identity private key (32 bytes)
//	3 registration id (varint)    4 repeated identity {1 name, 2 device, 3 key (33)}
//	5 repeated prekey {1 id, 2 private}
//	6 repeated signed prekey {1 id, 2 private, 3 timestamp (ms), 4 signature}
//	7 repeated KEM prekey {1 id, 2 private (typed), 3 timestamp (ms), 4 signature, 5 last resort,
//	  6 repeated use of a last-resort key {1 signed prekey id, 2 base key (33)}}
//	8 repeated session {1 name, 2 device, 3 record}
//
// It holds every secret of the store: protect it as such.

// MarshalBinary returns a snapshot of the whole store, for apps (and the
// demo) that keep an in-memory store in a file between runs.
func (s *Store) MarshalBinary() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.VarintType)
	b = protowire.AppendVarint(b, snapshotVersion)
	priv := s.identity.PrivateKey().Bytes()
	b = appendBytes(b, 2, priv)
	clear(priv)
	b = protowire.AppendTag(b, 3, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(s.regID))
	for addr, key := range s.identities {
		var m []byte
		m = appendBytes(m, 1, []byte(addr.Name))
		m = appendVarint(m, 2, uint64(addr.DeviceID))
		m = appendBytes(m, 3, key.Bytes())
		b = appendBytes(b, 4, m)
	}
	for _, k := range s.preKeys {
		var m []byte
		m = appendVarint(m, 1, uint64(k.ID))
		m = appendBytes(m, 2, k.KeyPair.Private.Bytes())
		b = appendBytes(b, 5, m)
	}
	for _, k := range s.signedPreKeys {
		var m []byte
		m = appendVarint(m, 1, uint64(k.ID))
		m = appendBytes(m, 2, k.KeyPair.Private.Bytes())
		m = appendVarint(m, 3, uint64(k.Timestamp.UnixMilli()))
		m = appendBytes(m, 4, k.Signature)
		b = appendBytes(b, 6, m)
	}
	for _, e := range s.kemPreKeys {
		var m []byte
		m = appendVarint(m, 1, uint64(e.key.ID))
		m = appendBytes(m, 2, e.key.KeyPair.Private.Bytes())
		m = appendVarint(m, 3, uint64(e.key.Timestamp.UnixMilli()))
		m = appendBytes(m, 4, e.key.Signature)
		if e.lastResort {
			m = appendVarint(m, 5, 1)
		}
		for u := range e.uses {
			var um []byte
			um = appendVarint(um, 1, uint64(u.signedPreKeyID))
			um = appendBytes(um, 2, u.baseKey.Bytes())
			m = appendBytes(m, 6, um)
		}
		b = appendBytes(b, 7, m)
	}
	for addr, rec := range s.sessions {
		var m []byte
		m = appendBytes(m, 1, []byte(addr.Name))
		m = appendVarint(m, 2, uint64(addr.DeviceID))
		m = appendBytes(m, 3, rec)
		b = appendBytes(b, 8, m)
	}
	return b, nil
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// fields parses one level of a protobuf message into its varint and bytes
// fields, calling f for each.
func fields(b []byte, f func(num protowire.Number, v uint64, bs []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%w: %w", ErrInvalidSnapshot, protowire.ParseError(n))
		}
		b = b[n:]
		var v uint64
		var bs []byte
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			bs, n = protowire.ConsumeBytes(b)
		default:
			return fmt.Errorf("%w: wire type %d", ErrInvalidSnapshot, typ)
		}
		if n < 0 {
			return fmt.Errorf("%w: %w", ErrInvalidSnapshot, protowire.ParseError(n))
		}
		b = b[n:]
		if err := f(num, v, bs); err != nil {
			return err
		}
	}
	return nil
}

// Unmarshal restores a store from a snapshot made by MarshalBinary.
func Unmarshal(b []byte) (*Store, error) {
	s := New(nil, 0)
	var version uint64
	err := fields(b, func(num protowire.Number, v uint64, bs []byte) error {
		switch num {
		case 1:
			version = v
		case 2:
			k, err := curve.NewPrivateKey(bs)
			if err != nil {
				return err
			}
			if s.identity, err = curve.NewIdentityKeyPair(k); err != nil {
				return err
			}
		case 3:
			s.regID = uint32(v)
		case 4:
			var addr session.Address
			var key curve.PublicKey
			err := fields(bs, func(num protowire.Number, v uint64, bs []byte) (err error) {
				switch num {
				case 1:
					addr.Name = string(bs)
				case 2:
					addr.DeviceID = uint32(v)
				case 3:
					key, err = curve.ParsePublicKey(bs)
				}
				return err
			})
			if err != nil {
				return err
			}
			s.identities[addr] = key
		case 5:
			k := new(x3dh.OneTimePreKey)
			err := fields(bs, func(num protowire.Number, v uint64, bs []byte) error {
				switch num {
				case 1:
					k.ID = uint32(v)
				case 2:
					priv, err := curve.NewPrivateKey(bs)
					if err != nil {
						return err
					}
					k.KeyPair = curve.NewKeyPair(priv)
				}
				return nil
			})
			if err != nil || k.KeyPair.Private == nil {
				return errors.Join(ErrInvalidSnapshot, err)
			}
			s.preKeys[k.ID] = k
		case 6:
			k := new(x3dh.SignedPreKey)
			err := fields(bs, func(num protowire.Number, v uint64, bs []byte) error {
				switch num {
				case 1:
					k.ID = uint32(v)
				case 2:
					priv, err := curve.NewPrivateKey(bs)
					if err != nil {
						return err
					}
					k.KeyPair = curve.NewKeyPair(priv)
				case 3:
					k.Timestamp = time.UnixMilli(int64(v))
				case 4:
					k.Signature = append([]byte(nil), bs...)
				}
				return nil
			})
			if err != nil || k.KeyPair.Private == nil {
				return errors.Join(ErrInvalidSnapshot, err)
			}
			s.signedPreKeys[k.ID] = k
		case 7:
			k := new(x3dh.KEMPreKey)
			var lastResort bool
			var uses map[kemUse]struct{}
			err := fields(bs, func(num protowire.Number, v uint64, bs []byte) error {
				switch num {
				case 1:
					k.ID = uint32(v)
				case 2:
					priv, err := x3dh.ParseKEMPrivateKey(bs)
					if err != nil {
						return err
					}
					k.KeyPair = x3dh.KEMKeyPair{Private: priv, Public: priv.PublicKey()}
				case 3:
					k.Timestamp = time.UnixMilli(int64(v))
				case 4:
					k.Signature = append([]byte(nil), bs...)
				case 5:
					lastResort = v != 0
				case 6:
					var u kemUse
					var hasBaseKey bool
					err := fields(bs, func(num protowire.Number, v uint64, bs []byte) (err error) {
						switch num {
						case 1:
							u.signedPreKeyID = uint32(v)
						case 2:
							u.baseKey, err = curve.ParsePublicKey(bs)
							hasBaseKey = true
						}
						return err
					})
					if err != nil || !hasBaseKey {
						return errors.Join(ErrInvalidSnapshot, err)
					}
					if uses == nil {
						uses = make(map[kemUse]struct{})
					}
					uses[u] = struct{}{}
				}
				return nil
			})
			if err != nil || k.KeyPair.Private == nil || (uses != nil && !lastResort) {
				return errors.Join(ErrInvalidSnapshot, err)
			}
			s.kemPreKeys[k.ID] = &kemEntry{key: k, lastResort: lastResort, uses: uses}
		case 8:
			var addr session.Address
			var rec []byte
			err := fields(bs, func(num protowire.Number, v uint64, bs []byte) error {
				switch num {
				case 1:
					addr.Name = string(bs)
				case 2:
					addr.DeviceID = uint32(v)
				case 3:
					rec = append([]byte(nil), bs...)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if _, err := session.ParseRecord(rec); err != nil {
				return err
			}
			s.sessions[addr] = rec
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSnapshot, err)
	}
	if version != snapshotVersion || s.identity == nil {
		return nil, fmt.Errorf("%w: version %d or no identity", ErrInvalidSnapshot, version)
	}
	return s, nil
}
