package omemo

import (
	"errors"
	"testing"
)

// TestNewManagerNilStore: a nil Store is refused with a sentinel
// (review finding 7: it was an unmatchable errors.New).
func TestNewManagerNilStore(t *testing.T) {
	for _, v := range []Version{V2, V03} {
		if m, err := NewManager(v, nil, "a@example.org", 1); m != nil || !errors.Is(err, ErrNilStore) {
			t.Errorf("%v: NewManager(nil store) = (Manager %t), %v; want ErrNilStore", v, m != nil, err)
		}
	}
}
