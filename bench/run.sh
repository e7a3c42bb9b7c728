#!/usr/bin/env bash
# Prints the seven figures of leasetop's performance against a real dev
# Vault seeded with 100,000 leases, as one table. Takes a few minutes.
# Extra arguments go to the bench program (go run ./bench -h).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${LEASETOP_VAULT_BIN:-}" ]] && ! command -v vault >/dev/null; then
  LEASETOP_VAULT_BIN=$(bash tools/devvault/build.sh | tail -n 1)
  export LEASETOP_VAULT_BIN
fi
go run ./bench "$@"
