"""Answers a real server rarely gives (overload, a proxy's page, an unknown
code), on a mock transport: each still raises a typed ``MorphError``."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from morph_client import (
    Client,
    MorphError,
    Overloaded,
    PayloadTooLarge,
    Quarantined,
    RateLimited,
)


def client(handler: Callable[[httpx.Request], httpx.Response]) -> Client:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return Client("http://morph.test", token="t", http_client=http)


def failure(status: int, code: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"ok": False, "error": {"code": code, "message": "m"}, "audit": []}
    return httpx.Response(status, json=body, headers=headers)


def answering(status: int, code: str) -> Callable[[httpx.Request], httpx.Response]:
    return lambda _: failure(status, code)


def test_overloaded_carries_retry_after() -> None:
    morph = client(lambda _: failure(503, "overloaded", {"retry-after": "1"}))
    with pytest.raises(Overloaded) as e:
        morph.extensions()
    assert (e.value.status, e.value.retry_after) == (503, 1.0)


def test_codes_pick_their_class_and_unknown_codes_fall_back() -> None:
    for status, code, cls in [
        (423, "extension_quarantined", Quarantined),
        (429, "rate_limited", RateLimited),
        (502, "some_future_code", MorphError),
    ]:
        morph = client(answering(status, code))
        with pytest.raises(MorphError) as e:
            morph.execute("x", "y")
        assert type(e.value) is cls
        assert (e.value.code, e.value.status, e.value.message) == (code, status, "m")


def test_an_answer_that_is_not_the_envelope_still_raises() -> None:
    morph = client(lambda _: httpx.Response(413, text="length limit exceeded"))
    with pytest.raises(PayloadTooLarge) as e:
        morph.install(b"x" * 10)
    assert "length limit exceeded" in e.value.message

    morph = client(lambda _: httpx.Response(502, text="<html>bad gateway</html>"))
    with pytest.raises(MorphError) as other:
        morph.extensions()
    assert (other.value.code, other.value.status) == ("unexpected_response", 502)

    morph = client(lambda _: httpx.Response(200, text="not json"))
    with pytest.raises(MorphError) as garbled:
        morph.extensions()
    assert garbled.value.code == "unexpected_response"


def test_requests_carry_the_token_and_escape_ids() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True, "result": 1, "audit": []})

    assert client(handler).execute("a/b", "c d", {"k": "v"}) == 1
    request = seen[0]
    assert request.headers["authorization"] == "Bearer t"
    assert request.url.raw_path == b"/v1/extensions/a%2Fb/actions/c%20d"
    assert request.content == b'{"k":"v"}'
