"""Code mode through ``morph mcp`` with the official Python MCP SDK.

The SDK's ``Client`` starts ``morph mcp --data-dir D`` over stdio, in its
``auto`` mode (``server/discover``, protocol 2026-07-28) and its ``legacy``
mode (``initialize``). The client declares no elicitation, so an approval
is asked out of band: ``approval_required`` with an ``approval_id``, decided
with ``morph approve``, and the run re-sent with ``resume``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from mcp.types import CallToolResult, Implementation, TextContent

from conftest import Morph

pytestmark = pytest.mark.anyio

MODES = ["auto", "legacy"]

JS = """await tools.notes.add({ title: "from js" });
const notes = await tools.notes.list();
console.log("notes:", notes.length);
return { notes, secret: typeof tools.notes.secret };"""

PY = """await tools.notes.add(title="from python")
notes = await tools.notes.list()
print("notes:", len(notes))
{"notes": notes, "secret": hasattr(tools.notes, "secret")}"""

PUBLISHING = """await tools.notes.add({ title: "draft" });
const published = await tools.notes.publish({ title: "draft" });
return published.title;"""

TITLES = "return await tools.notes.list();"


@asynccontextmanager
async def connected(morph: Morph, mode: str) -> AsyncIterator[Client]:
    """An SDK client on ``morph mcp`` over stdio, as ``python sdk``."""
    server = StdioServerParameters(
        command=str(morph.binary),
        args=["mcp", "--data-dir", str(morph.data_dir)],
        env=morph.env,
    )
    client = Client(
        server,
        mode=mode,
        client_info=Implementation(name="python sdk", version="1.0"),
        read_timeout_seconds=60,
    )
    async with client:
        info = client.server_info
        assert info is not None and info.name == "morph"
        expected = "2026-07-28" if mode == "auto" else "2025-11-25"
        assert client.protocol_version == expected
        yield client


async def run_code(
    client: Client, language: str, code: str, resume: str | None = None
) -> CallToolResult:
    arguments: dict[str, Any] = {"language": language, "code": code}
    if resume is not None:
        arguments["resume"] = resume
    return await client.call_tool("run_code", arguments)


def finished(result: CallToolResult) -> dict[str, Any]:
    """A run that finished: its envelope."""
    assert not result.is_error, result
    doc = result.structured_content
    assert isinstance(doc, dict), result
    assert doc["ok"] is True and isinstance(doc["run_id"], str), doc
    return doc


def failed(result: CallToolResult) -> dict[str, Any]:
    """A tool error: ``{code, message, run_id, logs, tool_calls, ...}``, the
    code first in the text."""
    assert result.is_error, result
    doc = result.structured_content
    assert isinstance(doc, dict), result
    for key in ("code", "message", "run_id"):
        assert isinstance(doc[key], str), doc
    assert isinstance(doc["logs"], list) and isinstance(doc["tool_calls"], list), doc
    text = result.content[0]
    assert isinstance(text, TextContent)
    assert text.text.startswith(f"{doc['code']}: "), text.text
    return doc


def tools_called(doc: dict[str, Any]) -> list[str]:
    return [call["tool"] for call in doc["tool_calls"]]


async def titles(client: Client) -> list[str]:
    notes = finished(await run_code(client, "javascript", TITLES))["result"]
    assert isinstance(notes, list)
    return [str(t) for t in notes]


def audited(morph: Morph) -> None:
    """The log verifies; every record of a ``notes`` call names a code run
    and the SDK client."""
    report = json.loads(morph.run("audit", "--verify", "--json"))
    assert report["problem"] is None, report
    records = [
        r
        for r in morph.audit()
        if r.get("extension") == "notes"
        and not str(r.get("capability", "")).startswith("host.")
    ]
    assert records
    for r in records:
        assert r["caller"] == "mcp:python_sdk", r
        assert isinstance(r.get("code_run"), str), r


@pytest.mark.parametrize("mode", MODES)
async def test_run_code_is_listed_with_the_api_of_the_tools(morph: Morph, mode: str) -> None:
    async with connected(morph, mode) as client:
        listed = await client.list_tools()
    names = {tool.name for tool in listed.tools}
    assert {"run_code", "notes.add", "notes.list", "notes.publish"} <= names, names
    assert "notes.secret" not in names
    tool = next(t for t in listed.tools if t.name == "run_code")
    assert tool.description is not None
    _, api = tool.description.split("TypeScript API:", 1)
    ts, py = api.split("Python API:", 1)
    assert "add(args: { title: string })" in ts, ts
    assert "publish(args: { title: string })" in ts, ts
    assert "async def add(*, title: str)" in py, py
    assert "async def list()" in py, py
    assert "secret" not in api, api
    assert tool.input_schema["required"] == ["language", "code"]


@pytest.mark.parametrize("mode", MODES)
async def test_programs_in_javascript_and_python_call_the_tools(
    morph: Morph, mode: str
) -> None:
    async with connected(morph, mode) as client:
        js = finished(await run_code(client, "javascript", JS))
        assert js["result"] == {"notes": ["from js"], "secret": "undefined"}, js
        assert tools_called(js) == ["notes.add", "notes.list"], js
        assert all(c["outcome"] == "ok" and c["call_id"] for c in js["tool_calls"]), js
        assert "notes: 1" in js["logs"][0]["message"], js

        py = finished(await run_code(client, "python", PY))
        assert py["result"] == {"notes": ["from js", "from python"], "secret": False}, py
        assert tools_called(py) == ["notes.add", "notes.list"], py
        assert "notes: 2" in py["logs"][0]["message"], py

        # The program has no capability of its own.
        denied = failed(
            await run_code(client, "javascript", 'await fetch("http://127.0.0.1:9/");')
        )
        assert denied["code"] == "permission_denied", denied
    audited(morph)


@pytest.mark.parametrize("mode", MODES)
async def test_a_propose_call_waits_for_morph_approve_then_resumes(
    morph: Morph, mode: str
) -> None:
    async with connected(morph, mode) as client:
        first = failed(await run_code(client, "javascript", PUBLISHING))
        assert first["code"] == "approval_required", first
        approval_id = first["approval_id"]
        run_id = first["run_id"]
        assert isinstance(approval_id, str) and approval_id, first
        assert f"morph approve {approval_id}" in first["message"], first
        assert tools_called(first) == ["notes.add"], first
        assert await titles(client) == ["draft"]

        morph.run("approve", approval_id)
        done = finished(await run_code(client, "javascript", PUBLISHING, resume=run_id))
        assert done["run_id"] == run_id, done
        assert done["result"] == "published: draft", done
        assert tools_called(done) == ["notes.add", "notes.publish"], done
        assert done["tool_calls"][0]["replayed"] is True, done
        # `add` ran once over both sends.
        assert await titles(client) == ["draft", "published: draft"]

        # A finished run is not sent again.
        again = failed(await run_code(client, "javascript", PUBLISHING, resume=run_id))
        assert again["code"] == "invalid_params", again
    audited(morph)
