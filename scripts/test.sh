#!/usr/bin/env bash
# Morph's test command (the README's second command, and what CI runs):
# formatting, lints, and every test of the workspace on real parts.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

step() { printf '\n==> %s\n' "$*"; }

step "a real OCI registry for the package tests (Debian's docker-registry)"
./scripts/registry.sh install

step "npm libraries for the JS tests (Debian's esbuild and node-* packages)"
./scripts/js-libraries.sh

step "build the wasm guests (examples, test guests)"
./scripts/build-guests.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test (workspace)"
cargo test --workspace --locked

step "wasmi-only build (no JIT linked, as on iOS): same tests"
cargo test -p morph-runtime-wasm --no-default-features --features wasmi --locked

step "benchmarks compile (not run: see BENCHMARKS.md)"
cargo bench --workspace --no-run --locked --quiet

step "doc tests and docs build without warnings"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet

printf '\nAll checks passed.\n'
