#!/usr/bin/env bash
# Morph's coverage-guided fuzzing (fuzz/README.md): builds every target in
# fuzz/ with libFuzzer on stable Rust, then runs each for a bounded time.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS per target comes from the argument, else MORPH_FUZZ_SECONDS, else
# 20. Each target starts from a temporary copy of fuzz/corpus/<target>
# (what libFuzzer adds never lands in the repository). Prints, per target,
# the CPU seconds spent, the executions and the corpus size; fails if any
# target finds a crash, naming the input that reproduces it (kept under
# MORPH_FUZZ_ARTIFACTS, by default ~/.cache/morph/fuzz-artifacts):
#
#   ~/.cache/morph/fuzz-target/x86_64-unknown-linux-gnu/release/<target> <input>
#
# MORPH_FUZZ_NO_BUILD=1 runs the targets as last built.
#
# Instrumentation: SanitizerCoverage through stable codegen flags, built for
# an explicit --target so build scripts and proc macros stay uninstrumented.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

SECONDS_PER_TARGET="${1:-${MORPH_FUZZ_SECONDS:-20}}"
shift || true
ALL_TARGETS=(manifest archive protocol_frames url_allowlist wasm_abi js_values python_values)
if [ "$#" -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL_TARGETS[@]}"); fi

export CARGO_TARGET_DIR="${MORPH_FUZZ_TARGET_DIR:-$HOME/.cache/morph/fuzz-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
ARTIFACTS="${MORPH_FUZZ_ARTIFACTS:-$HOME/.cache/morph/fuzz-artifacts}"
TRIPLE="$(rustc -vV | sed -n 's/^host: //p')"

# libfuzzer-sys compiles libFuzzer's C++ sources.
if ! command -v c++ >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ >/dev/null
    command -v c++ >/dev/null || { echo "error: no C++ compiler after installing g++" >&2; exit 1; }
fi

export RUSTFLAGS="-Cpasses=sancov-module \
-Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
-Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares \
--cfg fuzzing"
if [ "${MORPH_FUZZ_NO_BUILD:-0}" != 1 ]; then
    echo "building the fuzz targets (instrumented, $CARGO_TARGET_DIR)"
    build_start=$(date +%s)
    # Not --locked: fuzz/Cargo.lock pins the fuzz-only crates, and cargo adds an
    # entry when the main workspace gains a dependency (never upgrading others).
    (cd fuzz && cargo build --release --target "$TRIPLE" --bins)
    echo "built in $(( $(date +%s) - build_start ))s"
fi
BIN_DIR="$CARGO_TARGET_DIR/$TRIPLE/release"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
failed=()
printf '\n%-16s %8s %10s %8s  %s\n' target cpu_s execs corpus result
for t in "${TARGETS[@]}"; do
    corpus="$WORK/corpus/$t"
    mkdir -p "$corpus" "$ARTIFACTS/$t" "$WORK/tmp"
    if [ -d "fuzz/corpus/$t" ]; then cp -r "fuzz/corpus/$t/." "$corpus/"; fi
    dict=()
    if [ -f "fuzz/dict/$t.dict" ]; then dict=("-dict=$ROOT/fuzz/dict/$t.dict"); fi
    log="$WORK/$t.log"
    TIMEFORMAT='%U %S'
    status=0
    { time TMPDIR="$WORK/tmp" "$BIN_DIR/$t" "$corpus" "${dict[@]}" \
        -max_total_time="$SECONDS_PER_TARGET" -timeout=60 -rss_limit_mb=4096 \
        -print_final_stats=1 -artifact_prefix="$ARTIFACTS/$t/" \
        >"$log" 2>&1 || status=$?; } 2>"$WORK/$t.time"
    cpu=$(awk '{printf "%.1f", $1 + $2}' "$WORK/$t.time")
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    files=$(find "$corpus" -type f | wc -l)
    if [ "$status" -eq 0 ]; then
        result=ok
    else
        result="FAILED (exit $status)"
        failed+=("$t")
    fi
    printf '%-16s %8s %10s %8s  %s\n' "$t" "$cpu" "${execs:-?}" "$files" "$result"
    if [ "$status" -ne 0 ]; then
        grep -E 'panicked at|^==[0-9]+== ERROR|Test unit written to|SUMMARY' "$log" | head -20 | sed 's/^/    /'
        tail -5 "$log" | sed 's/^/    /'
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo
    echo "error: fuzz targets found crashes: ${failed[*]}" >&2
    echo "reproduce with: $BIN_DIR/<target> <the input named above>" >&2
    exit 1
fi
echo
echo "fuzzing: every target ran ${SECONDS_PER_TARGET}s without a finding"
