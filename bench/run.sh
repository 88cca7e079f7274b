#!/usr/bin/env bash
# Runs every benchmark of bench/ and of interop/node/bench-libsignal-client.js
# COUNT times (default 6) in interleaved rounds, compares them with benchstat
# and writes RESULTS.md.
#
# COUNT rounds of -count 1 give the same samples as -count COUNT, but
# interleaved (round 1 of everything, then round 2, ...), and every
# scenario runs its implementations back to back, so slow phases of a shared
# machine hit all implementations alike. The tables use CPU time per operation
# (cpu-ns/op); see RESULTS.md.
#
# Environment: COUNT (rounds, default 6), BENCHTIME (per benchmark, default
# 0.5s), MULTI_BENCHTIME (MultiRecipient1000/encrypt, whose operations
# take about 100 ms of CPU: default 10x), GROWTH_BENCHTIME (the Growth
# benchmarks of state_growth_test.go, default 0.3s), DB_BENCHTIME (the
# database scenarios BenchmarkDB, default 200x; their 1,000-message
# catch-ups run once per round), PAR_BENCHTIME (their Parallel<N> and
# ParallelProc<N> scenarios, default 1600x: 200 messages per sender at
# N = 8, so that the senders' uneven finish does not decide the wall
# time), NODE=0 to skip the Node benchmarks.
# CI=true (or BENCHTIME=1x) runs each benchmark once (the catch-ups with
# BENCH_DB_QUEUE=100 messages) and writes no RESULTS.md. The database
# scenarios need SIGNAL_TEST_POSTGRES_DSN for PostgreSQL.
#
# The Growth benchmarks (cost per message against stored skipped keys and
# archived states) go to results/growth.txt, and cmd/plot draws them as
# cost-vs-state.svg (under CI into results/ instead, leaving the committed
# plot alone).
set -euo pipefail
cd "$(dirname "$0")"

COUNT=${COUNT:-6}
BENCHTIME=${BENCHTIME:-0.5s}
MULTI_BENCHTIME=${MULTI_BENCHTIME:-10x}
GROWTH_BENCHTIME=${GROWTH_BENCHTIME:-0.3s}
DB_BENCHTIME=${DB_BENCHTIME:-200x}
PAR_BENCHTIME=${PAR_BENCHTIME:-1600x}
NODE=${NODE:-1}
if [ "${CI:-}" = true ]; then COUNT=1; BENCHTIME=1x; fi
if [ "$BENCHTIME" = 1x ]; then MULTI_BENCHTIME=1x; GROWTH_BENCHTIME=1x; DB_BENCHTIME=1x; PAR_BENCHTIME=1x; export BENCH_DB_QUEUE=${BENCH_DB_QUEUE:-100}; fi

out=results
mkdir -p "$out"
go test -c -o "$out/bench.test" .
node_ok=0
if [ "$NODE" = 1 ] && command -v node >/dev/null && [ -d ../interop/node/node_modules/@signalapp/libsignal-client ]; then
  node_ok=1
else
  echo "run.sh: skipping the Node benchmarks (node or interop/node/node_modules missing)" >&2
fi

{
  echo "date:       $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "go:         $(go version)"
  [ "$node_ok" = 1 ] && echo "node:       $(node --version), @signalapp/libsignal-client $(node -p "require('../interop/node/node_modules/@signalapp/libsignal-client/package.json').version")"
  echo "cpu:        $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') ($(nproc) vCPUs)"
  echo "kernel:     $(uname -sr)"
  echo "commit:     $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "rounds:     $COUNT, benchtime $BENCHTIME per benchmark ($MULTI_BENCHTIME for MultiRecipient1000/encrypt, $DB_BENCHTIME for the database scenarios, $PAR_BENCHTIME for their Parallel ones), -cpu 1 (parallel fan-out and multi-recipient encrypt also -cpu 2)"
  echo "load avg:   $(cut -d' ' -f1-3 /proc/loadavg) (start)"
} > "$out/meta.txt"

raw="$out/raw.txt"
growth="$out/growth.txt"
: > "$raw"
: > "$growth"
for round in $(seq "$COUNT"); do
  echo "== round $round/$COUNT" >&2
  "$out/bench.test" -test.run '^$' -test.benchtime "$BENCHTIME" -test.cpu 1 \
    -test.bench "^Benchmark(Setup|OneWay100|PingPong100|OneWay16KiB|Skipped1500|Record|Cost|SealedSenderV1|SealedSenderV2)$" | tee -a "$raw" >&2
  "$out/bench.test" -test.run '^$' -test.benchtime "$MULTI_BENCHTIME" -test.cpu 1 \
    -test.bench '^BenchmarkMultiRecipient1000$/^encrypt$' | tee -a "$raw" >&2
  "$out/bench.test" -test.run '^$' -test.benchtime "$BENCHTIME" -test.cpu 1 \
    -test.bench '^BenchmarkMultiRecipient1000$/^split$' | tee -a "$raw" >&2
  "$out/bench.test" -test.run '^$' -test.benchtime "$BENCHTIME" -test.cpu 1 \
    -test.bench '^BenchmarkFanout1000/seq/' | tee -a "$raw" >&2
  "$out/bench.test" -test.run '^$' -test.benchtime "$BENCHTIME" -test.cpu 2 \
    -test.bench '^BenchmarkFanout1000/par/' | tee -a "$raw" >&2
  "$out/bench.test" -test.run '^$' -test.benchtime "$MULTI_BENCHTIME" -test.cpu 2 \
    -test.bench '^BenchmarkMultiRecipient1000/encrypt/' | tee -a "$raw" >&2
  "$out/bench.test" -test.run '^$' -test.benchtime "$GROWTH_BENCHTIME" -test.cpu 1 \
    -test.bench '^BenchmarkGrowth$' | tee -a "$growth" >&2
  # The database scenarios (issue 20): BenchmarkDB/<db>/<impl>/<Scenario>,
  # wall time; sequential ones with DB_BENCHTIME operations, Parallel<N>
  # with PAR_BENCHTIME, the 1,000-message catch-ups once per round.
  "$out/bench.test" -test.run '^$' -test.benchtime "$DB_BENCHTIME" -test.cpu 2 \
    -test.bench '^BenchmarkDB$/^(sqlite|postgres)$/.*/^(Decrypt|Encrypt)$' | tee -a "$raw" >&2
  "$out/bench.test" -test.run '^$' -test.benchtime "$PAR_BENCHTIME" -test.cpu 2 \
    -test.bench '^BenchmarkDB$/^(sqlite|postgres)$/.*/^(Parallel[0-9]+|ParallelProc[0-9]+)$' | tee -a "$raw" >&2
  "$out/bench.test" -test.run '^$' -test.benchtime 1x -test.cpu 2 \
    -test.bench '^BenchmarkDB$/^(sqlite|postgres)$/.*/^(CatchUp1000|Single1000)$' | tee -a "$raw" >&2
  "$out/bench.test" -test.run '^$' -test.benchtime "$DB_BENCHTIME" -test.cpu 2 \
    -test.bench '^BenchmarkDBPaired$' | tee -a "$raw" >&2
  # Decrypt and Encrypt with the databases' durability off (what a message
  # costs besides the flush; whatsmeow_durability_test.go): full runs only.
  if [ "$DB_BENCHTIME" != 1x ]; then
    "$out/bench.test" -test.run '^$' -test.benchtime "$DB_BENCHTIME" -test.cpu 2 \
      -test.bench '^BenchmarkDurabilityOff$' | tee -a "$raw" >&2
  fi
  if [ "$node_ok" = 1 ]; then
    node --expose-gc ../interop/node/bench-libsignal-client.js -benchtime "$BENCHTIME" \
      -multibenchtime "$MULTI_BENCHTIME" | tee -a "$raw" >&2
  fi
done
echo "load avg:   $(cut -d' ' -f1-3 /proc/loadavg) (end)" >> "$out/meta.txt"

plot=cost-vs-state.svg
if [ "$BENCHTIME" = 1x ]; then plot="$out/cost-vs-state.svg"; fi
go run ./cmd/plot -in "$growth" -out "$plot" \
  -subtitle "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $COUNT runs"
echo "run.sh: wrote $plot" >&2

if [ "$BENCHTIME" = 1x ]; then
  echo "run.sh: single-iteration run (CI): every benchmark ran; RESULTS.md not written" >&2
  exit 0
fi
benchstat=$(command -v benchstat || echo "$(go env GOPATH)/bin/benchstat")
[ -x "$benchstat" ] || go install golang.org/x/perf/cmd/benchstat@latest
"$benchstat" -col /impl "$raw" > "$out/benchstat.txt"
go run ./cmd/results -raw "$raw" -meta "$out/meta.txt" -benchstat "$out/benchstat.txt" -notes NOTES.md > RESULTS.md
echo "run.sh: wrote RESULTS.md" >&2
