#!/usr/bin/env bash
# Installs what the interop peers need and runs the interop tests.
#
#   interop/run.sh            install (apt-get, npm ci) and test
#   SKIP_INSTALL=1 interop/run.sh   test only
#
# Peers that are still missing make the tests skip with a message, or fail
# when CI=true. Extra arguments are passed to `go test`.
set -euo pipefail
cd "$(dirname "$0")"
start=$(date +%s)

if [ "${SKIP_INSTALL:-0}" != 1 ]; then
	SUDO=
	if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends \
		gcc libc6-dev pkg-config libsignal-protocol-c-dev libcjson-dev libssl-dev \
		python3 python3-axolotl \
		python3-omemo python3-twomemo python3-oldmemo python3-x3dh python3-doubleratchet \
		python3-xeddsa python3-xmlschema >/dev/null
	if command -v npm >/dev/null; then
		(cd node && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
	else
		echo "run.sh: npm not found; node peers will be unavailable" >&2
	fi
	echo "run.sh: install done in $(( $(date +%s) - start ))s"
fi

# -mod=mod: tolerate the root module gaining requirements that this
# module's go.mod/go.sum do not list yet (it replaces the root with ../).
GOFLAGS="${GOFLAGS:-} -mod=mod" go test -count=1 "$@" ./...
echo "run.sh: total $(( $(date +%s) - start ))s"
