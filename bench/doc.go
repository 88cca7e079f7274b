// Package bench holds side-by-side scenario benchmarks of this library
// (github.com/forwardsecret/signal, wire versions v3 and v4), of
// go.mau.fi/libsignal v0.2.1 (v3, GPL-3.0, used here as a benchmark
// dependency only), and of the "primitive floor": the same cryptographic
// operations written as plain standard-library calls with no state
// handling. The official libsignal is timed by the Node script
// interop/node/bench-libsignal-client.js, which prints its results in the
// same benchmark format.
//
// The sealed-sender scenarios (sealedsender_test.go, issue 15) time v1 and
// v2 envelopes around session messages, the envelopes alone, and a
// multi-recipient group send to 1,000 devices with the server's split,
// beside libsignal and their own primitive floor
// (sealedsender_floor_test.go).
//
// Issue 20 added the database scenarios (db_*_test.go:
// BenchmarkDB/<sqlite|postgres>/<impl>/<Scenario>, this library over
// sqlstore against the floor transaction and against go.mau.fi/libsignal
// through whatsmeow's SQL store, whatsmeow*_test.go, with go.mau.fi/whatsmeow
// (MPL-2.0) as a benchmark dependency), and BenchmarkGrowth
// (state_growth_test.go): the cost of a message against the skipped keys and
// archived states a serialized record carries, drawn by cmd/plot as
// cost-vs-state.svg.
//
// The other benchmarks are named Scenario/impl=NAME/store=MODE, so that benchstat
// can put implementations side by side (-col /impl). Run run.sh to take the
// measurements and write RESULTS.md.
//
// This is a separate module so that the library's own go.mod never
// requires the GPL code. It has no non-test code besides the results
// writer in cmd/results.
package bench
