#!/usr/bin/env bash
# Builds the vault binary used by leasetop's tests, benchmarks and demo into
# the user's cache folder (${XDG_CACHE_HOME:-~/.cache}/leasetop/), outside
# the checkout so that every clone on the machine shares one build. Does
# nothing when the binary is there already, unless FORCE=1. Prints the
# binary's path as its last line.
#
# github.com/hashicorp/vault v1.21.4 does not build against any tagged
# github.com/hashicorp/vault/sdk, so this writes a patched copy of sdk v0.21.0
# from the module cache (never committed) and points a replace line at it:
#   1. framework/backend.go: ActivationFunc takes (ctx, *logical.Request),
#      as the vault module calls it;
#   2. helper/keysutil/lock_manager.go: as in sdk v0.24.0, where
#      RestorePolicy returns (string, error).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=v1.21.4
out=${LEASETOP_VAULT_OUT:-${XDG_CACHE_HOME:-$HOME/.cache}/leasetop/vault-$version}

if [[ -x "$out" && "${FORCE:-0}" != 1 ]]; then
  echo "devvault: vault $version already built"
  echo "$out"
  exit 0
fi

cd "$here"
moddir() { go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'; }

sdk21=$(moddir github.com/hashicorp/vault/sdk@v0.21.0)
sdk24=$(moddir github.com/hashicorp/vault/sdk@v0.24.0)
[[ -d "$sdk21" && -d "$sdk24" ]] || { echo "devvault: could not download the vault sdk modules" >&2; exit 1; }

patched="$here/.sdk-patched"
rm -rf "$patched"
cp -r "$sdk21" "$patched"
chmod -R u+w "$patched"
sed -i 's/ActivationFunc func(context.Context, \*logical.Request, string) error/ActivationFunc func(context.Context, *logical.Request) error/' \
  "$patched/framework/backend.go"
grep -q 'ActivationFunc func(context.Context, \*logical.Request) error' "$patched/framework/backend.go" \
  || { echo "devvault: the ActivationFunc patch did not apply" >&2; exit 1; }
cp "$sdk24/helper/keysutil/lock_manager.go" "$patched/helper/keysutil/lock_manager.go"
chmod u+w "$patched/helper/keysutil/lock_manager.go"

mkdir -p "$(dirname "$out")"
echo "devvault: building vault $version (5-8 minutes cold on 2 cores, seconds when cached)..."
start=$(date +%s)
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$out.tmp" .
mv "$out.tmp" "$out"
echo "devvault: built in $(( $(date +%s) - start ))s"
echo "$out"
