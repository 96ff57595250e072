"""A data dir for ``morph mcp``, made with the real binary.

Each test gets its own: the ``notes`` JS extension (the agent suites'
extension of ``testkit/src/agent_extensions.rs``, cut to what these tests
call) written to a temporary directory, packed with ``morph package`` and
installed with ``morph install --allow-unsigned --yes``.

The binary is ``$MORPH_BIN``, else ``$CARGO_TARGET_DIR/debug/morph``, else
``~/.cache/morph/target/debug/morph`` (what ``scripts/env.sh`` sets).
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

NOTES_JS = """
export function execute(action, params) {
  if (action === "add") return morph.data.createTask(params.title);
  if (action === "list") return morph.data.listTasks().map((t) => t.title);
  if (action === "publish") return morph.data.createTask("published: " + params.title);
  if (action === "secret") return morph.data.createTask("secret ran");
  throw new Error("unknown action " + action);
}
"""

NOTES_MANIFEST = """extension_id: notes
version: 1.0.0
metadata:
  name: notes
  description: Notes for the MCP SDK tests
runtime: js
entry: index.js
permissions: [data:read, data:write]
actions:
  - {name: add, description: Adds a note, ai_access: execute, parameters: [{name: title, type: string, required: true}]}
  - {name: list, description: Lists the notes, ai_access: execute}
  - {name: publish, description: Publishes a note, ai_access: propose, parameters: [{name: title, type: string, required: true}]}
  - {name: secret, description: Never for agents, ai_access: blocked}
"""


def morph_bin() -> Path:
    """The ``morph`` binary under test."""
    if os.environ.get("MORPH_BIN"):
        return Path(os.environ["MORPH_BIN"])
    target = os.environ.get("CARGO_TARGET_DIR") or str(
        Path.home() / ".cache" / "morph" / "target"
    )
    return Path(target) / "debug" / "morph"


@dataclass
class Morph:
    """The binary, a data dir with ``notes`` installed, and its environment."""

    binary: Path
    data_dir: Path
    #: What ``morph`` runs with besides the SDK's default environment (the
    #: audit signing keys' config dir, kept in the test's tmp).
    env: dict[str, str]

    def run(self, *args: str) -> str:
        """``morph ARGS --data-dir D``; fails the test unless it exits 0."""
        argv = [str(self.binary), *args, "--data-dir", str(self.data_dir)]
        clean = {
            k: v
            for k, v in os.environ.items()
            if k not in ("MORPH_DATA_DIR", "MORPH_TRUST_DIR", "MORPH_LOG")
        }
        done = subprocess.run(
            argv, env=clean | self.env, capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            pytest.fail(
                f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}",
                pytrace=False,
            )
        return done.stdout

    def audit(self) -> list[dict[str, Any]]:
        """Every record of the data dir's audit log."""
        log = self.data_dir / "audit" / "audit.log"
        return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def morph(tmp_path: Path) -> Morph:
    binary = morph_bin()
    if not binary.is_file():
        pytest.fail(
            f"no morph binary at {binary}: run `cargo build -p morph-cli` or set MORPH_BIN",
            pytrace=False,
        )
    found = Morph(
        binary=binary,
        data_dir=tmp_path / "data",
        env={"XDG_CONFIG_HOME": str(tmp_path / "config")},
    )
    src = tmp_path / "src" / "notes"
    src.mkdir(parents=True)
    (src / "manifest.yaml").write_text(NOTES_MANIFEST)
    (src / "index.js").write_text(NOTES_JS)
    package = tmp_path / "notes.morph"
    # `package` takes no data dir: run it without `Morph.run`'s suffix.
    done = subprocess.run(
        [str(binary), "package", str(src), "-o", str(package)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    found.run("install", str(package), "--allow-unsigned", "--yes")
    return found
