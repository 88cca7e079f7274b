#!/usr/bin/env bash
# Prints the equivalent mutants of scripts/mutation/equivalent*.txt as the
# Markdown list of docs/mutation.md ("Equivalent mutants"): by package, every
# entry with its reason and the file that holds it.
#
#   scripts/mutation-equivalents.sh > /tmp/equivalents.md
set -euo pipefail
cd "$(dirname "$0")/mutation"
awk '
  /^[[:space:]]*(#|$)/ { next }
  {
    i = index($0, " # ")
    key = substr($0, 1, i - 1); reason = substr($0, i + 3)
    split(key, f, ":"); pkg = f[1]; sub(/\/[^\/]*$/, "", pkg)
    if (!(pkg in n)) { order[++npkg] = pkg }
    n[pkg]++
    line[pkg, n[pkg]] = sprintf("- `%s`: %s (%s)", key, reason, FILENAME)
  }
  END {
    # the order of docs/mutation.md'"'"'s table, then any other package
    k = split("curve xeddsa x3dh ratchet session internal/kem internal/mlkem768 internal/erasure spqr senderkey internal/wire sealedsender", want, " ")
    m = 0
    for (j = 1; j <= k; j++) if (want[j] in n) { sorted[++m] = want[j]; done[want[j]] = 1 }
    for (p = 1; p <= npkg; p++) if (!(order[p] in done)) sorted[++m] = order[p]
    for (p = 1; p <= m; p++) {
      pkg = sorted[p]
      printf "%s**%s** (%d %s)\n\n", (p > 1 ? "\n" : ""), pkg, n[pkg], (n[pkg] == 1 ? "entry" : "entries")
      for (j = 1; j <= n[pkg]; j++) print line[pkg, j]
    }
  }
' equivalent*.txt
