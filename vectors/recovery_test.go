package vectors_test

import (
	"bytes"
	"testing"

	"github.com/forwardsecret/signal/vectors"
)

// recoveryErrors are the error names recovery.json may use.
var recoveryErrors = map[string]bool{
	vectors.ErrNameTruncated: true, vectors.ErrNameMalformed: true, vectors.ErrNameUnknownVersion: true,
	vectors.ErrNameMissingTimestamp: true, vectors.ErrNameBadRatchetKey: true,
	vectors.ErrNameMissingPaddingBoundary: true, vectors.ErrNameMissingDecryptionError: true,
	vectors.ErrNameNotEncrypted: true, vectors.ErrNameUnknownContentType: true,
	vectors.ErrNameBadOriginal: true, vectors.ErrNameTooLarge: true,
}

// TestRecoveryFile loads data/recovery.json and checks that it describes
// itself: unique ids and names, results, documented flags and errors, the
// header's counts, and the shape of every valid vector (33-byte keys, a
// PlaintextContent that is 0xC0, field 8 and 0x80 around the message).
func TestRecoveryFile(t *testing.T) {
	f, err := vectors.Recovery()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int]bool{}
	invalid, acceptable := 0, 0
	check := func(id int, name string, v vectors.RecoveryVerdict) {
		t.Helper()
		if ids[id] || id == 0 {
			t.Errorf("%s: id %d repeated or zero", name, id)
		}
		ids[id] = true
		if name == "" {
			t.Errorf("vector %d has no name", id)
		}
		switch v.Result {
		case vectors.Valid:
			if v.Error != "" {
				t.Errorf("%s: valid with error %q", name, v.Error)
			}
		case vectors.Invalid, vectors.Acceptable:
			if v.Result == vectors.Invalid {
				invalid++
			} else {
				acceptable++
				if len(v.Flags) == 0 {
					t.Errorf("%s: acceptable without a flag saying why", name)
				}
			}
			if !recoveryErrors[v.Error] || f.Errors[v.Error] == "" {
				t.Errorf("%s: error %q not known or not explained", name, v.Error)
			}
		default:
			t.Errorf("%s: result %q", name, v.Result)
		}
		for _, fl := range v.Flags {
			if f.Flags[fl] == "" {
				t.Errorf("%s: flag %q not explained", name, fl)
			}
		}
	}
	key := func(name string, k []byte) {
		t.Helper()
		if len(k) != 0 && (len(k) != 33 || k[0] != 5) {
			t.Errorf("%s: ratchet key %x", name, k)
		}
	}
	for _, v := range f.ForOriginal {
		check(v.ID, v.Name, v.RecoveryVerdict)
		if v.Result != vectors.Invalid {
			key(v.Name, v.RatchetKey)
			want := append(append([]byte{0xc0, 0x42, byte(len(v.DecryptionErrorMessage))}, v.DecryptionErrorMessage...), 0x80)
			if !bytes.Equal(v.PlaintextContent, want) || !bytes.Equal(v.Body, want[1:]) {
				t.Errorf("%s: PlaintextContent %x, body %x", v.Name, v.PlaintextContent, v.Body)
			}
			if (len(v.RatchetKey) == 0) != (v.OriginalType == 7) {
				t.Errorf("%s: type %d with ratchet key %x", v.Name, v.OriginalType, v.RatchetKey)
			}
		}
	}
	for _, v := range f.Messages {
		check(v.ID, v.Name, v.RecoveryVerdict)
		if v.Result != vectors.Invalid {
			key(v.Name, v.RatchetKey)
			if len(v.Canonical) == 0 {
				t.Errorf("%s: no canonical encoding", v.Name)
			}
		}
	}
	for _, v := range f.PlaintextContents {
		check(v.ID, v.Name, v.RecoveryVerdict)
		if v.Result != vectors.Invalid {
			key(v.Name, v.RatchetKey)
			if !bytes.Equal(v.Body, v.Serialized[1:]) {
				t.Errorf("%s: body %x", v.Name, v.Body)
			}
		}
	}
	if len(ids) != f.NumberOfVectors || invalid != f.NumberInvalid || acceptable != f.NumberAcceptable {
		t.Errorf("%d vectors, %d invalid, %d acceptable; the header says %d, %d, %d",
			len(ids), invalid, acceptable, f.NumberOfVectors, f.NumberInvalid, f.NumberAcceptable)
	}
	if len(f.ForOriginal) == 0 || len(f.Messages) == 0 || len(f.PlaintextContents) == 0 {
		t.Error("an empty list")
	}
}
