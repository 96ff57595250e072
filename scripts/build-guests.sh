#!/usr/bin/env bash
# Builds Morph's wasm guests (the example extension and runtime-wasm's test
# guest, the benchmarks' compute guest and its Extism peer) for
# wasm32-unknown-unknown and copies them where their users expect:
#   examples/github-issues/extension.wasm
#   examples/task-digest/extension.wasm
#   runtime-wasm/tests/guest/morph_test_guest.wasm
#   benches/guests/compute/morph_bench_guest.wasm
#   benches/guests/extism-compute/extism_compute.wasm
# Guests get their own target dir, so this never waits on a host build's lock.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

GUEST_TARGET_DIR="$CARGO_TARGET_DIR/guests"
TARGET=wasm32-unknown-unknown

# Idempotent; quiet when the targets are already installed.
installed="$(rustup target list --installed)"
for t in wasm32-unknown-unknown wasm32-wasip1; do
    if ! grep -qx "$t" <<<"$installed"; then
        rustup target add "$t"
    fi
done

# Small guests: size-optimised, one codegen unit, LTO, no debug info. The
# wasm name section stays, so engine traps can name guest functions. These
# overrides apply to this build only; the workspace profiles are untouched.
cargo build \
    --target "$TARGET" \
    --release \
    --target-dir "$GUEST_TARGET_DIR" \
    --config 'profile.release.opt-level="s"' \
    --config 'profile.release.lto=true' \
    --config 'profile.release.codegen-units=1' \
    --config 'profile.release.debug=false' \
    --config 'profile.release.strip="debuginfo"' \
    -p github-issues \
    -p task-digest \
    -p morph-test-guest \
    -p morph-bench-guest \
    -p morph-bench-extism-guest

out="$GUEST_TARGET_DIR/$TARGET/release"
cp "$out/github_issues.wasm" examples/github-issues/extension.wasm
cp "$out/task_digest.wasm" examples/task-digest/extension.wasm
cp "$out/morph_test_guest.wasm" runtime-wasm/tests/guest/morph_test_guest.wasm
cp "$out/morph_bench_guest.wasm" benches/guests/compute/morph_bench_guest.wasm
cp "$out/morph_bench_extism_guest.wasm" benches/guests/extism-compute/extism_compute.wasm

for f in examples/github-issues/extension.wasm examples/task-digest/extension.wasm runtime-wasm/tests/guest/morph_test_guest.wasm \
    benches/guests/compute/morph_bench_guest.wasm benches/guests/extism-compute/extism_compute.wasm; do
    printf '%8d bytes  %s\n' "$(wc -c <"$f")" "$f"
done
