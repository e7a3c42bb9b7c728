#!/usr/bin/env bash
# Prints leasetop's performance figures as one table, each with its target
# and MET or MISSED: 1-7 against a real dev Vault seeded with 100,000
# leases, 8-9 on an audit log of several GB made from that Vault's own
# audit entries (against jq and cat), 10 the owners screen's View; 11-19,
# a million leases, only when asked for (-only 11-19). Takes a few minutes
# without the million, hours with it.
# Extra arguments go to the bench program (go run ./bench -h), e.g.
# -only 8,9,10. Exits 2 when a figure missed its target, 1 on an error.
set -euo pipefail
cd "$(dirname "$0")/.."
# Figure 8 compares with jq.
if ! command -v jq >/dev/null; then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo=sudo
  $sudo apt-get update -qq && $sudo apt-get install -y -qq jq >/dev/null
fi
if [[ -z "${LEASETOP_VAULT_BIN:-}" ]] && ! command -v vault >/dev/null; then
  LEASETOP_VAULT_BIN=$(bash tools/devvault/build.sh | tail -n 1)
  export LEASETOP_VAULT_BIN
fi
# The command line, as the table's header and footer print it.
LEASETOP_BENCH_CMD=bench/run.sh
for a in "$@"; do
  if [[ $a =~ ^[A-Za-z0-9_./=,:+-]+$ ]]; then LEASETOP_BENCH_CMD+=" $a"; else LEASETOP_BENCH_CMD+=" $(printf '%q' "$a")"; fi
done
export LEASETOP_BENCH_CMD
# Built, not `go run`, so that the program's exit status is the script's.
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/bench" ./bench
"$dir/bench" "$@"
