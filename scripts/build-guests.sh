#!/usr/bin/env bash
# Builds Morph's wasm guests (the example extension and runtime-wasm's test
# guest, the benchmarks' compute guest and its Extism peer) for
# wasm32-unknown-unknown, and the WASI guests for wasm32-wasip1, and copies
# them where their users expect:
#   examples/github-issues/extension.wasm
#   examples/task-digest/extension.wasm
#   runtime-wasm/tests/guest/morph_test_guest.wasm
#   runtime-wasm/tests/guest/morph_test_guest_wasip1.wasm (the same probe, wasip1)
#   runtime-wasm/tests/wasi-guest/morph_wasi_guest.wasm (wasip1)
#   benches/guests/compute/morph_bench_guest.wasm
#   benches/guests/extism-compute/extism_compute.wasm
#   examples/demo/wasm/extension.wasm
# Guests get their own target dir, so this never waits on a host build's lock.
#
# Usage: build-guests.sh          every guest (scripts/test.sh, CI)
#        build-guests.sh --demo   only examples/demo/wasm (scripts/demo.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

GUEST_TARGET_DIR="$CARGO_TARGET_DIR/guests"
TARGET=wasm32-unknown-unknown

case "${1:-}" in
    "") demo_only=false targets=(wasm32-unknown-unknown wasm32-wasip1) ;;
    --demo) demo_only=true targets=(wasm32-unknown-unknown) ;;
    *)
        echo "usage: $0 [--demo]" >&2
        exit 2
        ;;
esac

# Idempotent; quiet when the targets are already installed.
installed="$(rustup target list --installed)"
for t in "${targets[@]}"; do
    if ! grep -qx "$t" <<<"$installed"; then
        echo "build-guests.sh: downloading Rust's standard library for $t (rustup target add $t, once; some 20 to 40 MB)"
        rustup target add "$t"
    fi
done

# Small guests: size-optimised, one codegen unit, LTO, no debug info. The
# wasm name section stays, so engine traps can name guest functions. These
# overrides apply to this build only; the workspace profiles are untouched.
guest_build() {
    cargo build \
        --release \
        --target-dir "$GUEST_TARGET_DIR" \
        --config 'profile.release.opt-level="s"' \
        --config 'profile.release.lto=true' \
        --config 'profile.release.codegen-units=1' \
        --config 'profile.release.debug=false' \
        --config 'profile.release.strip="debuginfo"' \
        "$@"
}

out="$GUEST_TARGET_DIR/$TARGET/release"
if "$demo_only"; then
    guest_build --target "$TARGET" -p morph-demo
    cp "$out/morph_demo.wasm" examples/demo/wasm/extension.wasm
    exit 0
fi

guest_build --target wasm32-wasip1 -p morph-test-guest -p morph-wasi-guest
wasip1="$GUEST_TARGET_DIR/wasm32-wasip1/release"
cp "$wasip1/morph_test_guest.wasm" runtime-wasm/tests/guest/morph_test_guest_wasip1.wasm
cp "$wasip1/morph_wasi_guest.wasm" runtime-wasm/tests/wasi-guest/morph_wasi_guest.wasm

guest_build \
    --target "$TARGET" \
    -p github-issues \
    -p task-digest \
    -p morph-test-guest \
    -p morph-bench-guest \
    -p morph-bench-extism-guest \
    -p morph-demo

cp "$out/github_issues.wasm" examples/github-issues/extension.wasm
cp "$out/task_digest.wasm" examples/task-digest/extension.wasm
cp "$out/morph_test_guest.wasm" runtime-wasm/tests/guest/morph_test_guest.wasm
cp "$out/morph_bench_guest.wasm" benches/guests/compute/morph_bench_guest.wasm
cp "$out/morph_bench_extism_guest.wasm" benches/guests/extism-compute/extism_compute.wasm
cp "$out/morph_demo.wasm" examples/demo/wasm/extension.wasm

for f in examples/github-issues/extension.wasm examples/task-digest/extension.wasm runtime-wasm/tests/guest/morph_test_guest.wasm \
    runtime-wasm/tests/guest/morph_test_guest_wasip1.wasm runtime-wasm/tests/wasi-guest/morph_wasi_guest.wasm \
    benches/guests/compute/morph_bench_guest.wasm benches/guests/extism-compute/extism_compute.wasm \
    examples/demo/wasm/extension.wasm; do
    printf '%8d bytes  %s\n' "$(wc -c <"$f")" "$f"
done

# --- C guests (sdk/c) ---
# The C SDK's example and runtime-wasm's hostile C guest, built with Debian's
# clang for wasm32-wasi as reactors (ABI version 2 plus WASI preview 1):
#   examples/c-hello/extension.wasm
#   runtime-wasm/tests/c-guest/hostile.wasm
# Compiled (-O2) and linked in two steps: a clang link given -O also runs
# binaryen's wasm-opt when one is on PATH, which drops the name section that
# lets engine traps name guest functions. A 1 MiB stack placed first, so an
# overflow traps instead of overwriting data; DWARF from wasi-libc stripped.
./scripts/wasm-toolchain.sh
c_guest() { # c_guest OUT.wasm SOURCE... (sdk/c/morph.c is added)
    local out="$1" objs="$GUEST_TARGET_DIR/c/$(basename "$1" .wasm)" src
    shift
    local o=()
    mkdir -p "$objs"
    for src in "$@" sdk/c/morph.c; do
        o+=("$objs/$(basename "$src" .c).o")
        clang --target=wasm32-wasi -O2 -Wall -Wextra -Werror -Isdk/c -c "$src" -o "${o[-1]}"
    done
    clang --target=wasm32-wasi -mexec-model=reactor \
        -Wl,--stack-first -Wl,-z,stack-size=1048576 -Wl,--strip-debug \
        -o "$out" "${o[@]}"
    printf '%8d bytes  %s\n' "$(wc -c <"$out")" "$out"
}
c_guest examples/c-hello/extension.wasm examples/c-hello/extension.c
c_guest runtime-wasm/tests/c-guest/hostile.wasm runtime-wasm/tests/c-guest/hostile.c
