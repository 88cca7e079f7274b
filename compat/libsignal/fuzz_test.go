package libsignal_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/forwardsecret/signal/compat/libsignal"
)

// Fuzz targets, one per importer. Each checks that an input never panics,
// that a refusal wraps one of package compat's errors, and that what
// imports exports, imports again and exports to the same bytes. Seeds are
// the known answers whose names contain one of the given parts, from every
// testdata file.

var knownFiles = []string{libsignalFile, oursFile, lpcFile, axolotlFile}

func seed(f *testing.F, parts ...string) {
	f.Helper()
	n := 0
	for _, file := range knownFiles {
		for name, b := range knownAnswers(f, file) {
			for _, p := range parts {
				if strings.Contains(name, p) {
					f.Add(b)
					n++
					break
				}
			}
		}
	}
	if n == 0 {
		f.Fatalf("no seeds for %v", parts)
	}
}

// fuzzImport runs one importer and its exporter on b.
func fuzzImport[T any](t *testing.T, b []byte, imp func([]byte) (T, error), exp func(T) ([]byte, error)) {
	v, err := imp(b)
	if err != nil {
		if !isCompatError(err) {
			t.Fatalf("error %v wraps no compat error", err)
		}
		return
	}
	e1, err := exp(v)
	if err != nil {
		t.Fatalf("an imported value does not export: %v", err)
	}
	v2, err := imp(e1)
	if err != nil {
		t.Fatalf("an export does not import: %v", err)
	}
	e2, err := exp(v2)
	if err != nil || !bytes.Equal(e1, e2) {
		t.Fatalf("the export of an export differs (%v):\n%x\n%x", err, e1, e2)
	}
}

func FuzzImportPreKeyRecord(f *testing.F) {
	seed(f, "prekey_record")
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzImport(t, b, libsignal.ImportPreKeyRecord, libsignal.ExportPreKeyRecord)
	})
}

func FuzzImportSignedPreKeyRecord(f *testing.F) {
	seed(f, "signed_prekey_record")
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzImport(t, b, libsignal.ImportSignedPreKeyRecord, libsignal.ExportSignedPreKeyRecord)
	})
}

func FuzzImportKyberPreKeyRecord(f *testing.F) {
	seed(f, "kyber_prekey_record")
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzImport(t, b, libsignal.ImportKyberPreKeyRecord, libsignal.ExportKyberPreKeyRecord)
	})
}

func FuzzImportIdentityKeyPair(f *testing.F) {
	seed(f, "identity_key_pair")
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzImport(t, b, libsignal.ImportIdentityKeyPair, libsignal.ExportIdentityKeyPair)
	})
}

func FuzzImportIdentityKey(f *testing.F) {
	seed(f, "identity_key")
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzImport(t, b, libsignal.ImportIdentityKey, libsignal.ExportIdentityKey)
	})
}

func FuzzImportSenderKeyRecord(f *testing.F) {
	seed(f, "sender_key_record")
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzImport(t, b, libsignal.ImportSenderKeyRecord, libsignal.ExportSenderKeyRecord)
	})
}

func FuzzImportSessionRecord(f *testing.F) {
	seed(f, "session_record")
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzImport(t, b, libsignal.ImportSessionRecord, libsignal.ExportSessionRecord)
	})
}

func FuzzImportLegacySessionRecord(f *testing.F) {
	seed(f, "session_record")
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := libsignal.ImportLegacySessionRecord(b, at)
		if err != nil {
			if !isCompatError(err) {
				t.Fatalf("error %v wraps no compat error", err)
			}
			return
		}
		// What the legacy importer makes is a record of the current
		// layout.
		e, err := libsignal.ExportSessionRecord(rec)
		if err != nil {
			t.Fatalf("an imported record does not export: %v", err)
		}
		fuzzImport(t, e, libsignal.ImportSessionRecord, libsignal.ExportSessionRecord)
	})
}
