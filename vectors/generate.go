package vectors

// The generated families. `go generate` in this directory (from the
// repository root: `go -C vectors generate`) rebuilds every file; each
// generator's test fails when its committed file is stale.

//go:generate go run ./internal/gen/xeddsa -o data/xeddsa_suite.json
//go:generate go run ./internal/gen/ratchet -o data/ratchet_kdf.json
//go:generate go run ./internal/gen/transcript -v3 data/transcript_v3.json -v4 data/transcript_v4.json
//go:generate go run ./internal/gen/sealedsender -o data/sealed_sender.json
//go:generate go run ./internal/gen/recovery -o data/recovery.json
//go:generate go run ./internal/gen/omemo -o data/omemo2.json
