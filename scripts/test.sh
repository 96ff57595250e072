#!/usr/bin/env bash
# Morph's test command (the README's second command, and what CI runs):
# formatting, lints, and every test of the workspace on real parts.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

step() { printf '\n==> %s\n' "$*"; }

step "free disk in the shared target dir (superseded executables, incremental state)"
./scripts/prune-target.sh

step "a real OCI registry for the package tests (Debian's docker-registry)"
./scripts/registry.sh install

step "npm libraries for the JS tests (Debian's esbuild and node-* packages)"
./scripts/js-libraries.sh

step "build the wasm guests (examples, test guests)"
./scripts/build-guests.sh

step "the C SDK's unit tests, natively under ASan and UBSan (sdk/c)"
./sdk/c/tests/run.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test (workspace)"
# Audit signing keys live under the user's config dir (docs/threats.md,
# "Audit"): the tests' thousands of temporary logs keep theirs apart.
XDG_CONFIG_HOME="$(mktemp -d "${TMPDIR:-/tmp}/morph-test-config.XXXXXX")"
export XDG_CONFIG_HOME
cargo test --workspace --locked

step "the Python client against a real morph serve (clients/python)"
./scripts/python-client.sh

step "MCP code mode with the official Python SDK on morph mcp (clients/mcp-python)"
./scripts/mcp-python.sh

step "fuzz targets, a few seconds each (fuzz/README.md; longer runs: scripts/fuzz.sh 300)"
./scripts/fuzz.sh "${MORPH_FUZZ_SECONDS:-10}"

step "wasmi-only build (no JIT linked, as on iOS): same tests"
cargo test -p morph-runtime-wasm --no-default-features --features wasmi --locked

step "benchmarks compile (not run: see BENCHMARKS.md)"
# The release build needs room beside the debug one: drop what was superseded.
./scripts/prune-target.sh
cargo bench --workspace --no-run --locked --quiet

# `cargo bench` builds a package's binaries with its benches, so the soak is
# already built (bench profile, in release/); RELIABILITY.md has the long run.
# Every extension runs, JS and Python in process with their faults too (the
# leaks that kept them out are fixed: RELIABILITY.md, "Leaks found").
step "a short soak: one host, every runtime, mixed calls with faults; memory, fds, threads flat"
"$CARGO_TARGET_DIR/release/morph-bench-soak" \
    --seconds "${MORPH_SOAK_SECONDS:-60}" --warmup 20 --every 10

step "doc tests and docs build without warnings"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet

printf '\nAll checks passed.\n'
