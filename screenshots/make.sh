#!/usr/bin/env bash
# Makes the PNGs in screenshots/ from a real run, as a person would see it:
# `leasetop demo` (a real dev Vault with real leases) runs in tmux, keys are
# sent with send-keys, each screen is captured with its colours
# (capture-pane -e), and freeze renders the capture to PNG.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tmux >/dev/null || { echo "needs tmux" >&2; exit 1; }
freeze=$(command -v freeze || echo "$(go env GOPATH)/bin/freeze")
[[ -x "$freeze" ]] || go install github.com/charmbracelet/freeze@v0.2.2
bin=$(mktemp -d)/leasetop
go build -o "$bin" .

sess=leasetop-shots
tmux kill-session -t "$sess" 2>/dev/null || true
tmux new-session -d -s "$sess" -x 132 -y 34 "COLORTERM=truecolor $bin demo --refresh 5s"
trap 'tmux kill-session -t "$sess" 2>/dev/null || true' EXIT

wait_for() {
  for _ in $(seq 1 900); do
    tmux capture-pane -p -t "$sess" | grep -qF -- "$1" && return 0
    sleep 0.1
  done
  echo "timed out waiting for: $1" >&2
  tmux capture-pane -p -t "$sess" >&2
  exit 1
}
keys() { for k in "$@"; do tmux send-keys -t "$sess" "$k"; sleep 0.25; done; }
shot() {
  sleep 0.5
  # freeze ignores SGR 39 (default foreground) and would carry the last
  # colour on: spell the default colour out.
  tmux capture-pane -e -p -t "$sess" | sed 's/\x1b\[39m/\x1b[38;5;252m/g' > "$bin.$1.ansi"
  "$freeze" --language ansi --window=false --padding 10 --font.size 13 -o "screenshots/$1.png" "$bin.$1.ansi" >/dev/null
  echo "screenshots/$1.png"
}

wait_for "refreshed"
shot browser
keys Tab j j j j l o
shot tree-by-count
keys Tab Enter
shot detail
keys Escape
sleep 0.3
keys r
wait_for "increment:"
shot renew
keys Enter
wait_for "renewed "
shot renewed
keys Tab o g j j
keys P
wait_for "Revoke every lease under"
tmux send-keys -t "$sess" -l "database/"
shot revoke-prefix
keys Escape
sleep 0.3
keys '?'
shot help
keys Escape
sleep 0.3
keys g e
shot radar
keys e
wait_for "fastest growth"
shot growth
keys w
wait_for "token store:"
shot owners
keys q
