package sqlstore

import (
	"reflect"
	"testing"
)

// TestMigrationLockKeyInt64: the advisory lock key is a PostgreSQL bigint
// above 1<<31, so it is a typed int64 constant. Untyped, fmt.Sprint took it
// as an int and the package did not compile where int has 32 bits
// (GOARCH=arm, 32-bit Android): "constant 91574194028876 overflows int".
func TestMigrationLockKeyInt64(t *testing.T) {
	if k := reflect.TypeOf(migrationLockKey).Kind(); k != reflect.Int64 {
		t.Fatalf("migrationLockKey is %v, want int64", k)
	}
	// Processes of different versions serialize on the same key.
	if migrationLockKey != 0x5349474e414c {
		t.Fatalf("migrationLockKey %#x changed", migrationLockKey)
	}
}
