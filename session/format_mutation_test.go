package session

import (
	"fmt"
	"strings"
	"testing"
)

// A test added for a mutant that survived the suite (docs/mutation.md).

func TestStateFormatPending(t *testing.T) {
	for _, pending := range []bool{false, true} {
		s := state{version: 4}
		if pending {
			s.pending = &pendingPreKey{}
		}
		got := fmt.Sprint(s)
		if want := fmt.Sprintf("pending %t)", pending); !strings.HasPrefix(got, "session.state(REDACTED, v4, ") || !strings.HasSuffix(got, want) {
			t.Errorf("%q, want it to end in %q", got, want)
		}
	}
}
