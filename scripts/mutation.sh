#!/usr/bin/env bash
# Mutation testing (docs/mutation.md): runs scripts/mutation, the project's
# own runner, over the given packages (default: all those the report covers)
# in a git worktree of HEAD under /tmp, so the tree's files are never touched
# and uncommitted edits do not move mutants under a running job. Not part of
# CI: a full run takes one to two hours on two shared vCPUs.
#
#   scripts/mutation.sh                 # every package in the report
#   scripts/mutation.sh ./curve ./x3dh  # some
#   MUTATION_FLAGS="-workers 1 -v" scripts/mutation.sh ./curve
#
# Results: a table on stdout, per-mutant JSON in $MUTATION_WORK/results/,
# a cache in $MUTATION_WORK/cache.json (killed mutants of unchanged files are
# not run again; delete it for a run from scratch).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=${MUTATION_WORK:-/tmp/mutation-work}
mkdir -p "$work"
pkgs=("$@")
if [ ${#pkgs[@]} -eq 0 ]; then
  pkgs=(./curve ./xeddsa ./x3dh ./ratchet ./session ./spqr ./senderkey ./sealedsender
        ./internal/wire ./internal/kem ./internal/mlkem768 ./internal/erasure)
fi
wt=$(mktemp -d /tmp/mutation-wt.XXXXXX)
cleanup() { git -C "$root" worktree remove --force "$wt" >/dev/null 2>&1 || true; rm -rf "$wt"; }
trap cleanup EXIT
git -C "$root" worktree add --detach "$wt" HEAD >/dev/null
go build -o "$work/mutation" ./scripts/mutation
cd "$wt"
# shellcheck disable=SC2086
nice -n 10 "$work/mutation" -work "$work" -equivalent "$wt/scripts/mutation/equivalent*.txt" ${MUTATION_FLAGS:-} "${pkgs[@]}"
