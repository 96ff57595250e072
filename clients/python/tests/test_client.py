"""The client against a real ``morph serve`` (see ``conftest.py``): every
route it covers, the error classes picked by code, the write-only vault, the
audit log naming the token behind each call, and installs that need the
exact permission diff approved."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone
from typing import Any, cast

import httpx
import pytest

import morph_client
from morph_client import (
    ApprovalDeclined,
    ApprovalRequired,
    AsyncClient,
    Client,
    ExtensionFailed,
    Forbidden,
    HostNotAllowed,
    InvalidParams,
    MorphError,
    NotFound,
    PackageRejected,
    PermissionDenied,
    Timeout,
    ToolCallsExceeded,
    Unauthorized,
    UnknownAction,
    UnknownExtension,
)

from conftest import CODE_MAX_TOOL_CALLS, Server


def test_health_and_ready_need_no_token(server: Server) -> None:
    with Client(server.base_url, token="") as anonymous:
        assert anonymous.health() is True
        assert anonymous.ready() is True
        with pytest.raises(Unauthorized):
            anonymous.extensions()


def test_extensions_are_listed_and_inspected(server: Server) -> None:
    with server.client() as morph:
        listed = {e["id"]: e for e in morph.extensions()}
        assert listed["hello"]["state"] == "enabled"
        assert listed["hello"].get("runtime") == "js"
        assert listed["hello"]["publisher"] is None

        info = morph.extension("hello")
        assert info["extension_id"] == "hello"
        assert {a["name"] for a in info["actions"]} >= {"greet", "peek", "spin"}
        granted = [p["permission"] for p in info["permissions"] if p["granted"]]
        assert granted == ["http:read", "vault:read"]
        assert info["installed"]["digest"].startswith("sha256:")

        with pytest.raises(UnknownExtension) as e:
            morph.extension("nobody")
        assert isinstance(e.value, NotFound)
        assert (e.value.code, e.value.status) == ("unknown_extension", 404)


def test_execute_returns_the_result(server: Server) -> None:
    with server.client() as morph:
        assert morph.execute("hello", "greet", {"name": "ada"}) == {"greeting": "hello ada"}
        run = morph.run("hello", "greet", {"name": "bob"})
        assert run.result == {"greeting": "hello bob"}
        assert isinstance(run.audit, list)


def test_a_host_outside_the_grants_raises_host_not_allowed(server: Server) -> None:
    with server.client() as morph, pytest.raises(PermissionDenied) as e:
        morph.execute("hello", "peek")
    err = e.value
    assert isinstance(err, HostNotAllowed)
    assert (err.code, err.status) == ("host_not_allowed", 403)
    assert "not in allowed_hosts" in err.message
    assert err.audit, "a denial is audited"
    assert err.audit[0]["decision"] == "denied"
    assert err.audit[0]["capability"] == "http.fetch"
    assert err.audit[0].get("caller") == "token:app"


def test_a_permission_not_granted_raises_permission_denied(server: Server) -> None:
    with server.client() as morph, pytest.raises(PermissionDenied) as e:
        morph.execute("hello", "snoop")
    assert type(e.value) is PermissionDenied
    assert (e.value.code, e.value.status) == ("permission_denied", 403)
    assert e.value.audit[0].get("caller") == "token:app"


def test_bad_params_raise_invalid_params(server: Server) -> None:
    with server.client() as morph:
        for params in ({}, {"name": 3}, {"name": "x", "extra": 1}):
            with pytest.raises(InvalidParams) as e:
                morph.execute("hello", "greet", params)
            assert (e.value.code, e.value.status) == ("invalid_params", 422)


def test_unknown_actions_and_extensions_raise_not_found(server: Server) -> None:
    with server.client() as morph:
        with pytest.raises(UnknownAction) as action:
            morph.execute("hello", "nope")
        assert (action.value.code, action.value.status) == ("unknown_action", 404)
        with pytest.raises(UnknownExtension) as extension:
            morph.execute("nobody", "greet", {"name": "x"})
        assert extension.value.code == "unknown_extension"
        # An id that is not a path segment stays one.
        with pytest.raises(UnknownExtension):
            morph.extension("../audit")


def test_a_call_past_its_deadline_raises_timeout(server: Server) -> None:
    with server.client() as morph, pytest.raises(Timeout) as e:
        morph.execute("hello", "spin")
    assert (e.value.code, e.value.status) == ("timeout", 504)


def test_a_guest_error_raises_extension_failed(server: Server) -> None:
    with server.client() as morph, pytest.raises(ExtensionFailed) as e:
        morph.execute("hello", "fail")
    assert (e.value.code, e.value.status) == ("guest_error", 502)
    assert "it broke" in e.value.message


def test_the_client_timeout_applies_per_call_and_per_client(server: Server) -> None:
    with server.client() as morph:
        # The server would answer `timeout` after 1 s: the client gave up first.
        with pytest.raises(httpx.TimeoutException):
            morph.execute("hello", "spin", timeout=0.2)
    with Client(server.base_url, server.app_token, timeout=0.2) as short:
        with pytest.raises(httpx.TimeoutException):
            short.execute("hello", "spin")
        # A call may take longer than the client's default.
        with pytest.raises(Timeout):
            short.execute("hello", "spin", timeout=30)


def test_a_wrong_token_is_unauthorized_and_invoke_is_not_admin(server: Server) -> None:
    with server.client("morph_not-a-token") as stranger, pytest.raises(Unauthorized) as e:
        stranger.execute("hello", "greet", {"name": "x"})
    assert (e.value.code, e.value.status) == ("unauthorized", 401)

    with server.client() as app:
        refused: list[Any] = [
            lambda: app.audit(),
            lambda: app.verify_audit(),
            lambda: app.approvals(),
            lambda: app.vault_set("hello", "token", "x"),
            lambda: app.install(server.greeter),
            lambda: app.remove("hello"),
        ]
        for call in refused:
            with pytest.raises(Forbidden) as f:
                call()
            assert (f.value.code, f.value.status) == ("forbidden", 403)
        assert [e["id"] for e in app.extensions()].count("hello") == 1


def test_the_token_and_url_come_from_the_environment(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MORPH_URL", server.base_url)
    monkeypatch.setenv("MORPH_TOKEN", server.app_token)
    with Client() as morph:
        assert morph.base_url == server.base_url
        assert morph.execute("hello", "greet", {"name": "env"}) == {"greeting": "hello env"}
        assert server.app_token not in repr(morph)


def test_the_vault_is_write_only(server: Server) -> None:
    secret = "s3cr3t-value-that-must-not-come-back"
    bodies: list[str] = []

    def keep(response: httpx.Response) -> None:
        response.read()
        bodies.append(response.text)

    http = httpx.Client(event_hooks={"response": [keep]})
    with Client(server.base_url, server.ops_token, http_client=http) as admin:
        receipt = admin.vault_set("hello", "token", secret, hosts=["example.com"])
        assert (receipt.extension, receipt.key, receipt.hosts) == ("hello", "token", ["example.com"])
        assert receipt.audit_seq > 0
        assert admin.vault_set("hello", "other", "x").hosts is None

        assert admin.execute("hello", "secret") == {"stored": True, "length": len(secret)}
        admin.extensions()
        admin.extension("hello")
        records = admin.audit(limit=10_000)
        assert any(r["capability"] == "host.vault.set" for r in records)
        with pytest.raises(UnknownExtension):
            admin.vault_set("nobody", "token", secret)
    assert not http.is_closed, "a client it was given is not closed for it"
    http.close()
    assert len(bodies) >= 6
    assert not [b for b in bodies if secret in b], "the value came back"


def test_the_audit_log_names_the_token_and_filters(server: Server) -> None:
    started = datetime.now(timezone.utc) - timedelta(seconds=1)
    with server.client() as app:
        app.execute("hello", "greet", {"name": "audit"})
        with pytest.raises(HostNotAllowed):
            app.execute("hello", "peek")
    with server.admin() as admin:
        denied = admin.audit(caller="token:app", extension="hello", decision="denied")
        assert denied
        for record in denied:
            assert record.get("caller") == "token:app"
            assert (record["extension"], record["decision"]) == ("hello", "denied")
        assert denied[-1]["capability"] == "http.fetch"

        mine = admin.audit(caller="token:app", since=started)
        assert mine and all(r.get("caller") == "token:app" for r in mine)
        assert all(r["ts_ms"] >= int(started.timestamp() * 1000) for r in mine)
        in_an_hour = int(time.time() * 1000) + 3_600_000
        assert admin.audit(since=in_an_hour) == []
        assert admin.audit(caller="token:nobody") == []
        assert len(admin.audit(limit=1)) == 1
        seqs = [r["seq"] for r in admin.audit(limit=50)]
        assert seqs == sorted(seqs), "oldest first"

        with pytest.raises(InvalidParams):
            admin.audit(decision=cast(Any, "maybe"))


def test_the_audit_log_verifies(server: Server) -> None:
    with server.admin() as admin:
        admin.execute("hello", "greet", {"name": "verify"})
        verified = admin.verify_audit()
    assert verified.ok is True
    assert verified.report["problem"] is None
    assert verified.report["records"] > 0


def test_an_install_needs_the_diff_approved_then_succeeds(server: Server) -> None:
    with server.admin() as admin:
        with pytest.raises(ApprovalRequired) as asked:
            admin.install(server.greeter, source="greeter.morph")
        err = asked.value
        assert (err.code, err.status) == ("approval_required", 409)
        assert err.digest.startswith("sha256:")
        assert err.diff["extension"] == "greeter"
        assert "`acme`" in err.diff["publisher"]
        assert err.diff["change"]["kind"] == "fresh"
        assert err.diff["added"]["permissions"] == ["http:read"]
        assert err.diff["added"]["allowed_hosts"] == ["api.example.com"]

        with pytest.raises(ApprovalRequired):
            admin.install(server.greeter, approve="sha256:" + "0" * 64)
        assert "greeter" not in [e["id"] for e in admin.extensions()]

        done = admin.install(server.greeter, approve=err.digest, source="greeter.morph")
        assert done.installed["id"] == "greeter"
        assert done.installed["publisher"] == "acme"
        assert done.installed["source"] == "greeter.morph"
        assert done.approved == err.diff
        # It runs at once, for an invoke token too.
        with server.client() as app:
            assert app.execute("greeter", "hi", {"who": "ada"}) == {"hi": "ada"}
        # The same package again grants nothing new: no approval needed.
        assert admin.install(server.greeter).installed["digest"] == done.installed["digest"]

        removed = admin.remove("greeter")
        assert removed["id"] == "greeter"
        with pytest.raises(UnknownExtension):
            admin.execute("greeter", "hi", {"who": "ada"})
        with pytest.raises(UnknownExtension):
            admin.remove("greeter")

        changes = [
            (r["capability"], r.get("caller"))
            for r in admin.audit(extension="greeter", limit=1000)
            if r["capability"].startswith("host.")
        ]
        assert ("host.install", "token:ops") in changes
        assert changes[-1] == ("host.remove", "token:ops")


def test_an_unsigned_or_broken_package_is_rejected(server: Server) -> None:
    with server.admin() as admin:
        with pytest.raises(PackageRejected) as unsigned:
            admin.install(server.greeter_unsigned)
        assert unsigned.value.code == "unsigned_package"
        assert 400 <= unsigned.value.status < 500
        with pytest.raises(PackageRejected) as broken:
            admin.install(b"not a package")
        assert broken.value.code == "invalid_package"


def _propose(server: Server) -> str:
    """Asks for ``hello.peek`` (``ai_access: propose``) over MCP, as an
    agent would, and returns the id of the approval it now waits for."""
    response = httpx.post(
        f"{server.base_url}/mcp",
        headers={
            "authorization": f"Bearer {server.app_token}",
            "accept": "application/json, text/event-stream",
            "mcp-protocol-version": "2025-11-25",
        },
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "hello.peek", "arguments": {}},
        },
        timeout=30,
    )
    response.raise_for_status()
    structured = response.json()["result"]["structuredContent"]
    assert structured["code"] == "approval_required", structured
    return str(structured["approval_id"])


def test_approvals_are_listed_and_decided(server: Server) -> None:
    first = _propose(server)
    with server.admin() as admin:
        pending = {a["id"]: a for a in admin.approvals()}
        assert first in pending
        assert pending[first]["state"] == "pending"
        assert (pending[first]["extension"], pending[first]["action"]) == ("hello", "peek")
        assert pending[first]["caller"] == "token:app"

        declined = admin.decide(first, approve=False)
        assert declined["state"] == "declined"
        assert declined.get("decided_by") == "token:ops"
        assert first not in [a["id"] for a in admin.approvals()]
        with pytest.raises(InvalidParams) as again:
            admin.decide(first, approve=True)
        assert again.value.status == 422

        second = _propose(server)
        assert second != first
        assert admin.decide(second, approve=True)["state"] == "approved"
        with pytest.raises(InvalidParams):
            admin.decide("no-such-approval", approve=True)


def test_a_code_run_calls_the_tools_as_the_token(server: Server) -> None:
    with server.client() as morph:
        listing = morph.code_api()
        assert "async def greet(" in listing and "hello" in listing
        assert "greet(" in morph.code_api("typescript")

        run = morph.run_code('r = await tools.hello.greet(name="ada")\nr["greeting"]')
        assert run.result == "hello ada"
        assert [(c["tool"], c["outcome"]) for c in run.tool_calls] == [("hello.greet", "ok")]
        js = morph.run_code(
            "const r = await tools.hello.greet({name: 'bob'});\nreturn r.greeting;",
            "javascript",
        )
        assert js.result == "hello bob"
        assert js.run_id != run.run_id
    with server.admin() as admin:
        records = admin.audit(caller="token:app")
    mine = [(r["extension"], r["capability"]) for r in records if r.get("code_run") == run.run_id]
    # The run's own records: its one tool call, and how it ended.
    assert mine == [("code-run", "tools.call"), ("code-run", "host.code_run")]


def test_a_code_run_past_its_tool_calls_raises_tool_calls_exceeded(server: Server) -> None:
    program = "for i in range(100):\n    await tools.hello.greet(name=str(i))\n"
    with server.client() as morph, pytest.raises(ToolCallsExceeded) as e:
        morph.run_code(program)
    err = e.value
    assert (err.code, err.status) == ("tool_calls_exceeded", 429)
    assert err.run_id
    done = [c for c in err.tool_calls if c["outcome"] == "ok"]
    assert len(done) == CODE_MAX_TOOL_CALLS


def test_a_propose_tool_stops_the_run_until_a_person_decides(server: Server) -> None:
    program = "await tools.hello.peek()"
    with server.client() as morph, server.admin() as admin:
        with pytest.raises(ApprovalRequired) as asked:
            morph.run_code(program)
        first = asked.value
        assert (first.status, first.approval_id is not None) == (409, True)
        assert first.run_id
        pending = {a["id"]: a for a in admin.approvals()}
        assert pending[cast(str, first.approval_id)]["action"] == "peek"

        admin.decide(cast(str, first.approval_id), approve=True)
        # Approved, the resumed run calls peek, which the broker refuses.
        with pytest.raises(HostNotAllowed) as denied:
            morph.run_code(program, resume=first.run_id)
        assert denied.value.run_id == first.run_id
        assert [c["outcome"] for c in denied.value.tool_calls] == ["host_not_allowed"]

        with pytest.raises(ApprovalRequired) as again:
            morph.run_code(program)
        admin.decide(cast(str, again.value.approval_id), approve=False)
        with pytest.raises(ApprovalDeclined) as declined:
            morph.run_code(program, resume=again.value.run_id)
        assert declined.value.status == 403
        assert declined.value.approval_id == again.value.approval_id


def test_the_async_client_does_the_same(server: Server) -> None:
    async def main() -> None:
        async with AsyncClient(server.base_url, server.app_token) as app:
            assert await app.health()
            assert "hello" in [e["id"] for e in await app.extensions()]
            assert (await app.extension("hello"))["extension_id"] == "hello"
            assert await app.execute("hello", "greet", {"name": "async"}) == {
                "greeting": "hello async"
            }
            with pytest.raises(HostNotAllowed) as e:
                await app.execute("hello", "peek")
            assert e.value.audit[0].get("caller") == "token:app"
            with pytest.raises(Forbidden):
                await app.audit()
            run = await app.run_code("(await tools.hello.greet(name='co'))['greeting']")
            assert run.result == "hello co"
            assert "greet" in await app.code_api("typescript")
        async with AsyncClient(server.base_url, server.ops_token) as admin:
            records = await admin.audit(caller="token:app", decision="denied", limit=5)
            assert records and all(r.get("caller") == "token:app" for r in records)
            assert (await admin.verify_audit()).ok
            assert isinstance(await admin.approvals(), list)
            with pytest.raises(ApprovalRequired) as asked:
                await admin.install(server.greeter)
            assert asked.value.digest.startswith("sha256:")

    asyncio.run(main())


def test_the_client_covers_every_route_of_the_contract(server: Server) -> None:
    with server.client() as morph:
        spec = morph.openapi()
        metrics = morph.metrics()
    described = {(m, p) for p, ops in spec["paths"].items() for m in ops}
    not_covered = {("get", "/v1/events"), ("post", "/mcp")}
    assert described - not_covered == set(morph_client.ROUTES)
    assert "morph_calls_total" in metrics
    assert issubclass(Timeout, MorphError)
