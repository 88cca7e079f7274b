package pqr

import (
	"crypto/hmac"
	"crypto/mlkem"
	"crypto/mlkem/mlkemtest"
	"crypto/sha256"
	"crypto/sha3"
	"encoding/binary"
	"errors"
	"sync"
)

// ML-KEM-768 in SPQR's incremental form, on crypto/mlkem. The encapsulation
// key ek = t (1152 bytes) || rho (32) is sent as a header rho || SHA3-256(ek)
// (64 bytes) and the encapsulation vector t; the ciphertext as ct1 (the first
// 960 bytes, compressed u) and ct2 (the last 128, compressed v). ct1 and the
// shared key depend only on the header (rho gives the matrix, SHA3-256(ek)
// enters (K, r) = G(m || H(ek))), which is what lets SPQR send ct1 before ek
// arrives.
//
// crypto/mlkem has no header-only encapsulation, so encapsulate1 looks the
// whole ek up in a registry of the keys generated in this process (the
// generator runs both parties): the result is byte for byte what a
// header-only encapsulation gives. A header of a key not generated here is
// an error.
const (
	HeaderSize      = 64
	EKSize          = 1152
	CT1Size         = 960
	CT2Size         = 128
	MACSize         = 32
	KeygenSeedSize  = 64 // d || z
	EncapsRandSize  = 32 // m
	authUpdateLabel = "Signal_PQCKA_V1_MLKEM768:Authenticator Update"
	hdrMACLabel     = "Signal_PQCKA_V1_MLKEM768:ekheader"
	ctMACLabel      = "Signal_PQCKA_V1_MLKEM768:ciphertext"
	sckaKeyLabel    = "Signal_PQCKA_V1_MLKEM768:SCKA Key"
)

var registry sync.Map // [64]byte header -> full ek (1184 bytes)

type keys struct {
	dk  *mlkem.DecapsulationKey768
	hdr []byte
	ek  []byte // t, 1152 bytes
}

func generate(seed []byte) (keys, error) {
	dk, err := mlkem.NewDecapsulationKey768(seed)
	if err != nil {
		return keys{}, err
	}
	full := dk.EncapsulationKey().Bytes()
	h := sha3.Sum256(full)
	hdr := append(append([]byte(nil), full[EKSize:]...), h[:]...)
	registry.Store([64]byte(hdr), full)
	return keys{dk: dk, hdr: hdr, ek: full[:EKSize]}, nil
}

var errUnknownHeader = errors.New("pqr: header of a key not generated in this process")

// encapsulate1 returns ct1, the rest of the ciphertext (ct2, kept as the
// encapsulation state) and the shared key for randomness m.
func encapsulate1(hdr, m []byte) (ct1, ct2, k []byte, err error) {
	v, ok := registry.Load([64]byte(hdr))
	if !ok {
		return nil, nil, nil, errUnknownHeader
	}
	ek, err := mlkem.NewEncapsulationKey768(v.([]byte))
	if err != nil {
		return nil, nil, nil, err
	}
	k, ct, err := mlkemtest.Encapsulate768(ek, m)
	if err != nil {
		return nil, nil, nil, err
	}
	return ct[:CT1Size], ct[CT1Size:], k, nil
}

// ekMatchesHeader checks SHA3-256(t || rho) against the header and that t
// is a valid ML-KEM-768 vector.
func ekMatchesHeader(ek, hdr []byte) bool {
	full := append(append([]byte(nil), ek...), hdr[:32]...)
	if _, err := mlkem.NewEncapsulationKey768(full); err != nil {
		return false
	}
	h := sha3.Sum256(full)
	return hmac.Equal(h[:], hdr[32:])
}

func be64(v uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return string(b[:])
}

// sckaKey turns an ML-KEM shared key into epoch's secret.
func sckaKey(k []byte, epoch uint64) []byte {
	return hkdf32(nil, k, sckaKeyLabel+be64(epoch), 32)
}

// auth is the Braid's authenticator.
type auth struct{ root, mac []byte }

func newAuth(authKey []byte) auth {
	a := auth{root: make([]byte, 32), mac: make([]byte, 32)}
	a.update(1, authKey)
	return a
}

func (a *auth) update(epoch uint64, k []byte) {
	out := hkdf32(nil, append(append([]byte(nil), a.root...), k...), authUpdateLabel+be64(epoch), 64)
	a.root, a.mac = out[:32], out[32:]
}

func (a auth) tag(label string, epoch uint64, data []byte) []byte {
	m := hmac.New(sha256.New, a.mac)
	m.Write([]byte(label + be64(epoch)))
	m.Write(data)
	return m.Sum(nil)
}
