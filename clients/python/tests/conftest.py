"""A real ``morph serve`` for the tests, made with the real binary.

One server for the session: a temporary data dir with the ``hello`` JS
extension installed by ``morph install``, an invoke token (``app``) and an
admin token (``ops``) made by ``morph token create``, a trusted publisher
(``acme``) and a signed package of it (``greeter``) for the install tests,
then ``morph serve`` on a free loopback port, stopped with SIGTERM at the
end (and required to exit 0: the shutdown is graceful).

The binary is ``$MORPH_BIN``, else ``$CARGO_TARGET_DIR/debug/morph``, else
``~/.cache/morph/target/debug/morph`` (what ``scripts/env.sh`` sets).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from morph_client import Client

HELLO_JS = """
export function execute(action, params) {
  if (action === "greet") return { greeting: "hello " + params.name };
  if (action === "peek") return morph.http.fetch("http://10.255.255.1/");
  if (action === "snoop") return morph.fs.read("notes.txt");
  if (action === "secret") {
    const v = morph.vault.get("token");
    return { stored: v !== null, length: v === null ? 0 : v.length };
  }
  if (action === "spin") { while (true) {} }
  if (action === "fail") throw new Error("it broke");
  throw new Error("no action " + action);
}
"""

#: The server's cap on tool calls per code run.
CODE_MAX_TOOL_CALLS = 8

HELLO_MANIFEST = """extension_id: hello
version: 1.0.0
metadata:
  name: hello
  description: The client tests' extension
runtime: js
entry: index.js
permissions: [http:read, vault:read]
allowed_hosts: ["example.com"]
resource_limits:
  max_execution_ms: 1000
actions:
  - {name: greet, description: Greets, ai_access: execute, parameters: [{name: name, type: string, required: true}]}
  - {name: peek, description: Fetches a host it may not reach}
  - {name: snoop, description: Reads a file without fs:read, ai_access: execute}
  - {name: secret, description: Says whether the token is stored, ai_access: execute}
  - {name: spin, description: Never returns, ai_access: execute}
  - {name: fail, description: Throws, ai_access: execute}
"""

GREETER_JS = """
export function execute(action, params) {
  return { hi: params.who };
}
"""

GREETER_MANIFEST = """extension_id: greeter
version: 1.0.0
metadata:
  name: greeter
  description: Installed through the API by the client tests
runtime: js
entry: index.js
permissions: [http:read]
allowed_hosts: ["api.example.com"]
actions:
  - {name: hi, description: Says hi, ai_access: execute, parameters: [{name: who, type: string, required: true}]}
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
class Server:
    """The running server and what the tests need to reach it."""

    base_url: str
    data_dir: Path
    #: An invoke token named ``app``.
    app_token: str = field(repr=False)
    #: An admin token named ``ops``.
    ops_token: str = field(repr=False)
    #: The signed, trusted ``greeter`` package (not installed).
    greeter: bytes = field(repr=False)
    #: The same package, unsigned.
    greeter_unsigned: bytes = field(repr=False)

    def client(self, token: str | None = None) -> Client:
        """A client with ``token`` (the invoke token by default)."""
        return Client(self.base_url, token if token is not None else self.app_token)

    def admin(self) -> Client:
        """A client with the admin token."""
        return Client(self.base_url, self.ops_token)


def _package(dir: Path, manifest: str, code: str) -> Path:
    dir.mkdir(parents=True)
    (dir / "manifest.yaml").write_text(manifest)
    (dir / "index.js").write_text(code)
    return dir


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    binary = morph_bin()
    if not binary.is_file():
        pytest.fail(
            f"no morph binary at {binary}: run `cargo build -p morph-cli` or set MORPH_BIN",
            pytrace=False,
        )
    tmp = tmp_path_factory.mktemp("morph")
    data = tmp / "data"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MORPH_DATA_DIR", "MORPH_TRUST_DIR", "MORPH_LOG", "MORPH_TOKEN", "MORPH_URL")
    }
    # Audit signing keys live under the config dir: keep these apart.
    env["XDG_CONFIG_HOME"] = str(tmp / "config")

    def morph(*args: str) -> str:
        done = subprocess.run(
            [str(binary), *args], env=env, capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            pytest.fail(
                f"morph {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}",
                pytrace=False,
            )
        return done.stdout

    d = str(data)
    hello = _package(tmp / "src" / "hello", HELLO_MANIFEST, HELLO_JS)
    morph("package", str(hello), "-o", str(tmp / "hello.morph"))
    morph("install", str(tmp / "hello.morph"), "--allow-unsigned", "--yes", "--data-dir", d)
    app = morph("token", "create", "app", "--scope", "invoke", "--data-dir", d).strip()
    ops = morph("token", "create", "ops", "--scope", "admin", "--data-dir", d).strip()

    greeter = _package(tmp / "src" / "greeter", GREETER_MANIFEST, GREETER_JS)
    unsigned = tmp / "greeter-unsigned.morph"
    signed = tmp / "greeter.morph"
    morph("package", str(greeter), "-o", str(unsigned))
    morph("package", str(greeter), "-o", str(signed))
    key = tmp / "acme.key"
    morph("keygen", "--out", str(key))
    morph("trust", "--data-dir", d, "add", "acme", f"{key}.pub")
    morph("sign", str(signed), "--key", str(key))

    log = (tmp / "serve.log").open("w")
    proc = subprocess.Popen(
        [
            str(binary),
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            d,
            "--code-max-tool-calls",
            str(CODE_MAX_TOOL_CALLS),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline().strip()
    if not first.startswith("listening on "):
        proc.kill()
        proc.wait()
        pytest.fail(
            f"morph serve did not start: {first!r}\n{(tmp / 'serve.log').read_text()}",
            pytrace=False,
        )
    # Keep reading stdout so that the server never blocks on a full pipe.
    stdout = proc.stdout

    def drain() -> None:
        for _ in stdout:
            pass

    threading.Thread(target=drain, daemon=True).start()

    yield Server(
        base_url=first.removeprefix("listening on "),
        data_dir=data,
        app_token=app,
        ops_token=ops,
        greeter=signed.read_bytes(),
        greeter_unsigned=unsigned.read_bytes(),
    )

    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        code = None
    log.close()
    assert code == 0, f"morph serve exited with {code}:\n{(tmp / 'serve.log').read_text()}"
