#!/usr/bin/env bash
# MCP code mode with a second client implementation: the official Python MCP
# SDK (`mcp` on PyPI, 2.x) drives `morph mcp` over stdio (clients/mcp-python).
# Installs the SDK, pytest and mypy into a venv of their own (the SDK's HTTP
# stack differs from clients/python's), checks the tests with
# `mypy --strict`, and runs them; they prepare their data dirs with the
# real binary.
#
#   scripts/mcp-python.sh [PYTEST ARGS...]
#
#   MORPH_MCP_PY_VENV  the venv (default ~/.cache/morph/mcp-python-venv; made once, reused)
#   MORPH_BIN          the binary under test (default $CARGO_TARGET_DIR/debug/morph,
#                      built with `cargo build -p morph-cli` when missing; rebuild it
#                      yourself after changing Rust code when running this alone)
#   PYTHON             the interpreter that makes the venv (default python3, 3.10+)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

venv="${MORPH_MCP_PY_VENV:-$HOME/.cache/morph/mcp-python-venv}"
if [ ! -x "$venv/bin/python" ]; then
    "${PYTHON:-python3}" -m venv "$venv"
fi
py="$venv/bin/python"
"$py" -m pip install --quiet --disable-pip-version-check "mcp>=2,<3" pytest mypy

use_morph_bin

# No bytecode, caches or build output in the work tree.
export PYTHONDONTWRITEBYTECODE=1
cd clients/mcp-python
"$py" -m mypy --config-file pyproject.toml --cache-dir "$venv/mypy-cache" tests
"$py" -m pytest -p no:cacheprovider -q "$@"
