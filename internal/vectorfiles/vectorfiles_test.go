package vectorfiles

import (
	"path/filepath"
	"testing"
)

func TestLoad(t *testing.T) {
	var f struct {
		ScalarMult []struct {
			Scalar Hex `json:"scalar"`
			Output Hex `json:"output"`
		} `json:"scalar_mult"`
	}
	Load(t, "rfc7748.json", &f)
	if len(f.ScalarMult) != 2 || len(f.ScalarMult[0].Scalar) != 32 || len(f.ScalarMult[1].Output) != 32 {
		t.Fatalf("rfc7748.json decoded to %+v", f)
	}
	if got := f.ScalarMult[0].Output.String(); got != "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552" {
		t.Errorf("RFC 7748 section 5.2 output %s", got)
	}
}

// TestAbsentSkips checks that a missing vector directory skips the test
// when CI is not "true".
func TestAbsentSkips(t *testing.T) {
	t.Setenv("CI", "")
	t.Setenv("SIGNAL_SHARED_VECTORS", filepath.Join(t.TempDir(), "absent"))
	for name, f := range map[string]func(t *testing.T){
		"load":      func(t *testing.T) { var v any; load(t, filepath.Join(t.TempDir(), "absent"), "x.json", &v) },
		"SharedDir": func(t *testing.T) { SharedDir(t) },
	} {
		var sub *testing.T
		t.Run(name, func(t *testing.T) {
			sub = t
			f(t)
			t.Error("did not skip")
		})
		if !sub.Skipped() {
			t.Errorf("%s: not skipped", name)
		}
	}
}
