#!/usr/bin/env bash
# The bounded soak (RELIABILITY.md, "Soak"): one long-lived host with every
# runtime (wasmer, wasmi, JS, Python, in process and under process
# isolation) under a mix of calls with faults, its RSS, live heap, open
# descriptors, threads and worker processes read after a warm-up,
# periodically and at the end; a table and a verdict, and a non-zero exit
# status when something grew past its limit.
#
#   scripts/soak.sh            # 20 minutes measured (after 2 of warm-up)
#   scripts/soak.sh 60         # an hour
#   scripts/soak.sh 5 --tasks 8 --no-process   # more options: morph-bench-soak --help
#
# Builds morph-bench-soak and morph-bench-worker with the bench profile (the
# one `cargo bench` uses, so after `cargo bench --no-run` nothing is rebuilt).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

minutes="${1:-20}"
shift || true

scripts/build-guests.sh
cargo build --profile bench --locked -p morph-benches \
    --bin morph-bench-soak --bin morph-bench-worker
exec "$CARGO_TARGET_DIR/release/morph-bench-soak" --minutes "$minutes" "$@"
