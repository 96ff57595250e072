#!/usr/bin/env bash
# The Python client (clients/python) against a real `morph serve`: installs it
# into a venv with pytest and mypy, checks it with `mypy --strict`, and runs
# its tests, which start the server from the morph binary.
#
#   scripts/python-client.sh [PYTEST ARGS...]
#
#   MORPH_PY_VENV  the venv (default ~/.cache/morph/py-client-venv; made once, reused)
#   MORPH_BIN      the binary under test (default $CARGO_TARGET_DIR/debug/morph,
#                  built with `cargo build -p morph-cli` when missing; rebuild it
#                  yourself after changing Rust code when running this alone)
#   PYTHON         the interpreter that makes the venv (default python3, 3.10+)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

venv="${MORPH_PY_VENV:-$HOME/.cache/morph/py-client-venv}"
if [ ! -x "$venv/bin/python" ]; then
    "${PYTHON:-python3}" -m venv "$venv"
fi
py="$venv/bin/python"
pip=("$py" -m pip install --quiet --disable-pip-version-check)
# The build backend lives in the venv too, so that a rerun needs no index.
"${pip[@]}" hatchling pytest mypy
"${pip[@]}" --no-build-isolation ./clients/python

use_morph_bin

# No bytecode, caches or build output in the work tree.
export PYTHONDONTWRITEBYTECODE=1
"$py" -m mypy --config-file clients/python/pyproject.toml --cache-dir "$venv/mypy-cache" \
    clients/python/src/morph_client clients/python/tests
cd clients/python
"$py" -m pytest -p no:cacheprovider -q "$@"
