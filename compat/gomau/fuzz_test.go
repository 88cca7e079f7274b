package gomau_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/forwardsecret/signal/compat"
	"github.com/forwardsecret/signal/compat/gomau"
	"github.com/forwardsecret/signal/compat/libsignal"
	"github.com/forwardsecret/signal/session"
)

// Fuzz targets, one per importer: an input never panics, a refusal wraps
// one of package compat's errors, and what imports exports in libsignal's
// layout, which imports again and exports to the same bytes. Seeds are the
// known answers whose names contain part.

func seed(f *testing.F, part string) {
	f.Helper()
	n := 0
	for name, b := range knownAnswers(f) {
		if strings.Contains(name, part) {
			f.Add(b)
			n++
		}
	}
	if n == 0 {
		f.Fatalf("no seeds for %s", part)
	}
}

func isCompatError(err error) bool {
	return errors.Is(err, compat.ErrInvalidRecord) || errors.Is(err, compat.ErrUnsupportedVersion)
}

func fuzzImport[T any](t *testing.T, b []byte, imp func([]byte) (T, error), exp func(T) ([]byte, error), again func([]byte) (T, error)) {
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
	v2, err := again(e1)
	if err != nil {
		t.Fatalf("the export does not import: %v", err)
	}
	if e2, err := exp(v2); err != nil || !bytes.Equal(e1, e2) {
		t.Fatalf("the export of an export differs (%v)", err)
	}
}

func FuzzImportSessionRecord(f *testing.F) {
	seed(f, "session_record")
	f.Fuzz(func(t *testing.T, b []byte) {
		imp := func(b []byte) (*session.Record, error) { return gomau.ImportSessionRecord(b, migrated) }
		fuzzImport(t, b, imp, libsignal.ExportSessionRecord, libsignal.ImportSessionRecord)
	})
}

func FuzzImportPreKeyRecord(f *testing.F) {
	seed(f, "prekey_record")
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzImport(t, b, gomau.ImportPreKeyRecord, libsignal.ExportPreKeyRecord, libsignal.ImportPreKeyRecord)
	})
}

func FuzzImportSignedPreKeyRecord(f *testing.F) {
	seed(f, "prekey_record")
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzImport(t, b, gomau.ImportSignedPreKeyRecord, libsignal.ExportSignedPreKeyRecord, libsignal.ImportSignedPreKeyRecord)
	})
}

func FuzzImportSenderKeyRecord(f *testing.F) {
	seed(f, "sender_key_record")
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzImport(t, b, gomau.ImportSenderKeyRecord, libsignal.ExportSenderKeyRecord, libsignal.ImportSenderKeyRecord)
	})
}
