#!/usr/bin/env bash
# Morph's first command: sets up what a fresh machine needs (the wasm targets),
# builds the example guests and the `morph` CLI, and runs an example extension
# end to end with `morph run` on both wasm engines, then verifies the audit log.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

./scripts/build-guests.sh
cargo build -p morph-cli --locked --quiet
morph="$CARGO_TARGET_DIR/debug/morph"
data="$(mktemp -d)"
trap 'rm -rf "$data"' EXIT

run() { printf '\n$ morph %s\n' "$*"; "$morph" "$@"; }

run inspect examples/task-digest
run run examples/task-digest add --params '{"title":"Write the docs"}' --data-dir "$data" --engine wasmer --json
run run examples/task-digest add --params '{"title":"Ship it","status":"done"}' --data-dir "$data" --engine wasmi --json
run run examples/task-digest digest --data-dir "$data"
printf '\n$ cat %s\n' "<data dir>/files/task-digest/digest.md"
cat "$data/files/task-digest/digest.md"
run audit --verify --data-dir "$data"
