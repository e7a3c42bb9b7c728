#!/usr/bin/env bash
# Prints the ten figures of leasetop's performance as one table: 1-7
# against a real dev Vault seeded with 100,000 leases, 8-9 on an audit log
# of several GB made from that Vault's own audit entries (against jq and
# cat), 10 the owners screen's View. Takes a few minutes.
# Extra arguments go to the bench program (go run ./bench -h), e.g.
# -only 8,9,10.
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
go run ./bench "$@"
