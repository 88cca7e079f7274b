package vectors_test

import (
	"testing"

	"github.com/forwardsecret/signal/vectors"
)

// knownErrors are the error names README.md defines.
var knownErrors = map[string]bool{
	vectors.ErrNameBadSignature: true, vectors.ErrNameBadMAC: true, vectors.ErrNameTruncated: true,
	vectors.ErrNameLegacyVersion: true, vectors.ErrNameUnknownVersion: true, vectors.ErrNameWrongVersion: true,
	vectors.ErrNameCounterTooFar: true, vectors.ErrNameDuplicateMessage: true, vectors.ErrNameBadBaseKey: true,
	vectors.ErrNameBadKEMCiphertext: true, vectors.ErrNameMissingKEM: true, vectors.ErrNameReceiverChainDropped: true,
	vectors.ErrNameSPQRMissing: true, vectors.ErrNameSPQREpoch: true, vectors.ErrNameSPQRMalformed: true,
}

// TestSuiteFilesDescribeThemselves checks that every generated file
// explains what its vectors use: each flag is in the file's flags, each
// error name is one of the README's (and in a transcript file's errors),
// ids are unique, results are valid/invalid/acceptable, and only invalid or
// acceptable vectors name an error.
func TestSuiteFilesDescribeThemselves(t *testing.T) {
	check := func(file string, h *vectors.SuiteHeader, errs map[string]string, id int, result string, flags []string, errName string) {
		t.Helper()
		switch result {
		case vectors.Valid:
			if errName != "" {
				t.Errorf("%s %d: valid vector names error %q", file, id, errName)
			}
		case vectors.Invalid, vectors.Acceptable:
			if !knownErrors[errName] {
				t.Errorf("%s %d: error %q is not one of README's", file, id, errName)
			}
			if errs != nil && errs[errName] == "" {
				t.Errorf("%s %d: error %q not explained in the file", file, id, errName)
			}
		default:
			t.Errorf("%s %d: result %q", file, id, result)
		}
		for _, f := range flags {
			if h.Flags[f] == "" {
				t.Errorf("%s %d: flag %q not explained in the file", file, id, f)
			}
		}
	}
	x, err := vectors.XEdDSASuite()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int]bool{}
	for _, v := range x.Vectors {
		if ids[v.ID] {
			t.Errorf("xeddsa_suite.json: id %d repeated", v.ID)
		}
		ids[v.ID] = true
		check("xeddsa_suite.json", &x.SuiteHeader, nil, v.ID, v.Result, v.Flags, v.Error)
	}
	for _, ver := range []int{3, 4} {
		f, err := vectors.Transcripts(ver)
		if err != nil {
			t.Fatal(err)
		}
		ids := map[int]bool{}
		for _, tr := range f.Transcripts {
			for _, fl := range tr.Flags {
				if f.Flags[fl] == "" {
					t.Errorf("%s: flag %q not explained", tr.Name, fl)
				}
			}
			for _, inv := range tr.Invalid {
				if ids[inv.ID] {
					t.Errorf("transcript_v%d.json: id %d repeated", ver, inv.ID)
				}
				ids[inv.ID] = true
				check("transcript", &f.SuiteHeader, f.Errors, inv.ID, inv.Result, inv.Flags, inv.Error)
			}
			for _, ib := range tr.InvalidBundles {
				if ids[ib.ID] {
					t.Errorf("transcript_v%d.json: id %d repeated", ver, ib.ID)
				}
				ids[ib.ID] = true
				check("transcript", &f.SuiteHeader, f.Errors, ib.ID, ib.Result, ib.Flags, ib.Error)
			}
			for _, m := range tr.Messages {
				if m.Result != vectors.Valid {
					t.Errorf("%s message %d: result %q", tr.Name, m.ID, m.Result)
				}
			}
		}
	}
}
