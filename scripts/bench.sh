#!/usr/bin/env bash
# Runs every Morph benchmark and regenerates what BENCHMARKS.md shows from
# them: its tables (between the `<!-- table:NAME -->` markers) and the plots
# in docs/bench/. One command reproduces every figure:
#
#   scripts/bench.sh            # one run (about 15 minutes on 2 cores)
#   RUNS=3 scripts/bench.sh     # the median of three runs, with ranges
#
# Each run keeps criterion's estimates in its own directory under
# $CARGO_TARGET_DIR/criterion-runs/<time>/run-N; the report reads them all.
# Run it on a quiet machine: other builds move single figures by up to 2x.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

runs="${RUNS:-1}"
out="$CARGO_TARGET_DIR/criterion-runs/$(date -u +%Y%m%dT%H%M%SZ)"

scripts/build-guests.sh
cargo bench -p morph-benches --locked --no-run
cargo build --release -p morph-benches --locked --bins

dirs=()
for i in $(seq 1 "$runs"); do
    dir="$out/run-$i"
    mkdir -p "$dir"
    echo "== run $i of $runs: $dir"
    CRITERION_HOME="$dir" cargo bench -p morph-benches --locked
    "$CARGO_TARGET_DIR/release/morph-bench-extensions" "$dir"
    dirs+=("$dir")
done

"$CARGO_TARGET_DIR/release/morph-bench-report" --update BENCHMARKS.md --plots docs/bench "${dirs[@]}"
echo "BENCHMARKS.md and docs/bench/ regenerated from ${dirs[*]}"
