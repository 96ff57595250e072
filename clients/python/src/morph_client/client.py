"""A typed client for the JSON API of ``morph serve``.

Everything the API answers goes through one parser, so that every route
fails the same way: an answer with ``"ok": false`` (or an error status)
**raises a** :class:`MorphError` **subclass picked by the stable error code**,
carrying ``.code``, ``.message``, ``.status``, ``.audit`` and ``.details``.
Shapes the server sends as they are (records, approvals, the permission
diff) are ``TypedDict`` s; results the client assembles are frozen
dataclasses. The contract is the server's OpenAPI document
(``GET /v1/openapi.json``, ``serve/src/api/openapi.rs``); :data:`ROUTES`
lists the routes this module covers.

:class:`Client` and :class:`AsyncClient` share every request and every
parser (:class:`_Call`); they differ only in how they send. Nothing here
touches the network until a method is called.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, Literal, TypeAlias, TypeVar, cast
from urllib.parse import quote

import httpx

from morph_client.errors import (
    _document,
    error_from,
)
from morph_client.shapes import (
    Approval,
    CodeRun,
    AuditRecord,
    AuditVerification,
    Execution,
    ExtensionInfo,
    InstallResult,
    Installed,
    InstalledRecord,
    VaultReceipt,
)

__version__ = "0.1.0"

#: Where ``morph serve`` listens unless told otherwise.
DEFAULT_URL = "http://127.0.0.1:8420"
#: Seconds a request may take unless the client or the call says otherwise.
#: An action's own deadline (``max_execution_ms``, 30 s by default) is
#: shorter; the server gives up on a request after 300 s.
DEFAULT_TIMEOUT = 60.0

#: Every ``(method, path)`` of the OpenAPI document this client calls.
#: ``GET /v1/events`` (SSE) and ``POST /mcp`` (use an MCP client) are not.
ROUTES: tuple[tuple[str, str], ...] = (
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/v1/openapi.json"),
    ("get", "/v1/extensions"),
    ("post", "/v1/extensions"),
    ("get", "/v1/extensions/{id}"),
    ("delete", "/v1/extensions/{id}"),
    ("post", "/v1/extensions/{id}/actions/{action}"),
    ("put", "/v1/extensions/{id}/vault/{key}"),
    ("get", "/v1/audit"),
    ("get", "/v1/audit/verify"),
    ("get", "/v1/approvals"),
    ("post", "/v1/approvals/{id}"),
    ("post", "/v1/code"),
    ("get", "/v1/code/api"),
)

#: The languages of a code run.
CodeLanguage: TypeAlias = Literal["python", "javascript", "typescript"]



# ---------------------------------------------------------------------------
# The requests, shared by both clients.
# ---------------------------------------------------------------------------

T = TypeVar("T")
#: Seconds, an ``httpx.Timeout``, or ``None``.
Timeouts: TypeAlias = float | httpx.Timeout | None


@dataclass(frozen=True)
class _Call(Generic[T]):
    """One request and how to read its answer."""

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    params: Mapping[str, str] = field(default_factory=dict)
    content: bytes | None = None
    content_type: str | None = None
    #: ``None``: the client's timeout.
    timeout: Timeouts = None
    #: Send the bearer token (every route but the health ones).
    auth: bool = True


def _seg(value: str) -> str:
    """A path segment, escaped (ids and keys are the caller's strings)."""
    return quote(value, safe="")


def _json_body(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _ms(since: int | datetime) -> int:
    return int(since.timestamp() * 1000) if isinstance(since, datetime) else int(since)


def _install_result(response: httpx.Response) -> InstallResult:
    doc = _document(response)
    return InstallResult(installed=doc["installed"], approved=doc["approved"])


def _execution(response: httpx.Response) -> Execution:
    doc = _document(response)
    return Execution(result=doc.get("result"), audit=list(doc.get("audit") or []))


def _code_run(response: httpx.Response) -> CodeRun:
    doc = _document(response)
    return CodeRun(
        run_id=doc["run_id"],
        result=doc.get("result"),
        logs=list(doc.get("logs") or []),
        tool_calls=list(doc.get("tool_calls") or []),
    )


def _status_ok(response: httpx.Response) -> bool:
    if response.status_code in (200, 503):
        return response.status_code == 200
    raise error_from(response)


def _text(response: httpx.Response) -> str:
    if response.is_error:
        raise error_from(response)
    return response.text


class _Api:
    """The calls, one per operation of the API."""

    @staticmethod
    def health() -> _Call[bool]:
        return _Call("GET", "/healthz", _status_ok, auth=False)

    @staticmethod
    def ready() -> _Call[bool]:
        return _Call("GET", "/readyz", _status_ok, auth=False)

    @staticmethod
    def metrics() -> _Call[str]:
        return _Call("GET", "/metrics", _text)

    @staticmethod
    def openapi() -> _Call[dict[str, Any]]:
        return _Call("GET", "/v1/openapi.json", _document)

    @staticmethod
    def extensions() -> _Call[list[Installed]]:
        return _Call("GET", "/v1/extensions", lambda r: list(_document(r)["extensions"]))

    @staticmethod
    def extension(extension: str) -> _Call[ExtensionInfo]:
        return _Call(
            "GET",
            f"/v1/extensions/{_seg(extension)}",
            lambda r: cast(ExtensionInfo, _document(r)),
        )

    @staticmethod
    def run(
        extension: str, action: str, params: Mapping[str, Any] | None, timeout: Timeouts
    ) -> _Call[Execution]:
        return _Call(
            "POST",
            f"/v1/extensions/{_seg(extension)}/actions/{_seg(action)}",
            _execution,
            content=_json_body(dict(params) if params is not None else {}),
            content_type="application/json",
            timeout=timeout,
        )

    @staticmethod
    def run_code(
        code: str, language: CodeLanguage, resume: str | None, timeout: Timeouts
    ) -> _Call[CodeRun]:
        body: dict[str, Any] = {"language": language, "code": code}
        if resume is not None:
            body["resume"] = resume
        return _Call(
            "POST",
            "/v1/code",
            _code_run,
            content=_json_body(body),
            content_type="application/json",
            timeout=timeout,
        )

    @staticmethod
    def code_api(language: CodeLanguage) -> _Call[str]:
        return _Call("GET", "/v1/code/api", _text, params={"language": language})

    @staticmethod
    def vault_set(
        extension: str, key: str, value: str, hosts: Sequence[str] | None
    ) -> _Call[VaultReceipt]:
        body: dict[str, Any] = {"value": value}
        if hosts is not None:
            body["hosts"] = list(hosts)

        def parse(response: httpx.Response) -> VaultReceipt:
            doc = _document(response)
            return VaultReceipt(
                extension=doc["extension"],
                key=doc["key"],
                hosts=doc.get("hosts"),
                audit_seq=doc["audit_seq"],
            )

        return _Call(
            "PUT",
            f"/v1/extensions/{_seg(extension)}/vault/{_seg(key)}",
            parse,
            content=_json_body(body),
            content_type="application/json",
        )

    @staticmethod
    def install(
        package: bytes,
        approve: str | None,
        allow_downgrade: bool,
        source: str | None,
        timeout: Timeouts,
    ) -> _Call[InstallResult]:
        params = {"approve": approve, "source": source}
        query = {k: v for k, v in params.items() if v is not None}
        if allow_downgrade:
            query["allow_downgrade"] = "true"
        return _Call(
            "POST",
            "/v1/extensions",
            _install_result,
            params=query,
            content=bytes(package),
            content_type="application/octet-stream",
            timeout=timeout,
        )

    @staticmethod
    def install_reference(
        reference: str, approve: str | None, allow_downgrade: bool, timeout: Timeouts
    ) -> _Call[InstallResult]:
        body: dict[str, Any] = {"reference": reference, "allow_downgrade": allow_downgrade}
        if approve is not None:
            body["approve"] = approve
        return _Call(
            "POST",
            "/v1/extensions",
            _install_result,
            content=_json_body(body),
            content_type="application/json",
            timeout=timeout,
        )

    @staticmethod
    def remove(extension: str) -> _Call[InstalledRecord]:
        return _Call(
            "DELETE",
            f"/v1/extensions/{_seg(extension)}",
            lambda r: cast(InstalledRecord, _document(r)["removed"]),
        )

    @staticmethod
    def audit(
        extension: str | None,
        decision: Literal["allowed", "denied"] | None,
        since: int | datetime | None,
        caller: str | None,
        limit: int | None,
    ) -> _Call[list[AuditRecord]]:
        query: dict[str, str] = {}
        if extension is not None:
            query["extension"] = extension
        if decision is not None:
            query["decision"] = decision
        if since is not None:
            query["since"] = str(_ms(since))
        if caller is not None:
            query["caller"] = caller
        if limit is not None:
            query["limit"] = str(limit)
        return _Call(
            "GET", "/v1/audit", lambda r: list(_document(r)["records"]), params=query
        )

    @staticmethod
    def verify_audit() -> _Call[AuditVerification]:
        def parse(response: httpx.Response) -> AuditVerification:
            doc = _document(response)
            return AuditVerification(ok=bool(doc["ok"]), report=doc["report"])

        return _Call("GET", "/v1/audit/verify", parse)

    @staticmethod
    def approvals() -> _Call[list[Approval]]:
        return _Call("GET", "/v1/approvals", lambda r: list(_document(r)["approvals"]))

    @staticmethod
    def decide(approval_id: str, approve: bool) -> _Call[Approval]:
        return _Call(
            "POST",
            f"/v1/approvals/{_seg(approval_id)}",
            lambda r: cast(Approval, _document(r)["approval"]),
            content=_json_body({"approve": approve}),
            content_type="application/json",
        )


# ---------------------------------------------------------------------------
# The clients.
# ---------------------------------------------------------------------------


class _Base:
    """What both clients hold: where, who, how long."""

    def __init__(self, base_url: str | None, token: str | None) -> None:
        self.base_url = (base_url or os.environ.get("MORPH_URL") or DEFAULT_URL).rstrip("/")
        self._token = token if token is not None else os.environ.get("MORPH_TOKEN")

    def __repr__(self) -> str:
        # Never the token.
        return f"{type(self).__name__}({self.base_url!r})"

    def _args(self, call: _Call[Any]) -> dict[str, Any]:
        headers = {"accept": "application/json"}
        if call.auth and self._token:
            headers["authorization"] = f"Bearer {self._token}"
        if call.content_type is not None:
            headers["content-type"] = call.content_type
        args: dict[str, Any] = {
            "method": call.method,
            "url": self.base_url + call.path,
            "params": dict(call.params),
            "headers": headers,
            "content": call.content,
        }
        if call.timeout is not None:
            args["timeout"] = call.timeout
        return args


def _http_timeout(timeout: Timeouts) -> httpx.Timeout:
    if isinstance(timeout, httpx.Timeout):
        return timeout
    return httpx.Timeout(timeout)


class Client(_Base):
    """A client of one ``morph serve``.

    ``base_url`` defaults to ``$MORPH_URL``, then ``http://127.0.0.1:8420``;
    ``token`` to ``$MORPH_TOKEN``. ``timeout`` (seconds, an
    ``httpx.Timeout``, or ``None`` to wait forever) applies to every request;
    the slow calls (``execute``, ``run``, the installs) also take their own
    ``timeout``, where ``None`` means the client's. Pass ``http_client`` to
    bring your own ``httpx.Client`` (proxies, TLS, a mock transport; its own
    timeout applies); it is not closed by :meth:`close`.

    Every method raises a :class:`MorphError` subclass for an error answer.
    """

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        *,
        timeout: Timeouts = DEFAULT_TIMEOUT,
        http_client: httpx.Client | None = None,
    ) -> None:
        super().__init__(base_url, token)
        self._owned = http_client is None
        self._http = http_client or httpx.Client(
            timeout=_http_timeout(timeout),
            headers={"user-agent": f"morph-client-python/{__version__}"},
        )

    def close(self) -> None:
        """Closes the connections (unless the ``httpx.Client`` was given)."""
        if self._owned:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _send(self, call: _Call[T]) -> T:
        return call.parse(self._http.request(**self._args(call)))

    # Health (no token needed).

    def health(self) -> bool:
        """``GET /healthz``: whether the process answers."""
        return self._send(_Api.health())

    def ready(self) -> bool:
        """``GET /readyz``: ``False`` while the server shuts down."""
        return self._send(_Api.ready())

    def metrics(self) -> str:
        """``GET /metrics``: the Prometheus text."""
        return self._send(_Api.metrics())

    def openapi(self) -> dict[str, Any]:
        """``GET /v1/openapi.json``: the contract."""
        return self._send(_Api.openapi())

    # Extensions (scope invoke).

    def extensions(self) -> list[Installed]:
        """The installed extensions with their state."""
        return self._send(_Api.extensions())

    def extension(self, extension: str) -> ExtensionInfo:
        """One extension as ``morph inspect`` shows it.

        Raises :class:`UnknownExtension` when it is not installed."""
        return self._send(_Api.extension(extension))

    def execute(
        self,
        extension: str,
        action: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: Timeouts = None,
    ) -> Any:
        """Runs ``action`` and returns its result.

        Raises the error of a failed call (:class:`PermissionDenied`,
        :class:`InvalidParams`, :class:`Timeout`, ...) with its audit
        records in ``.audit``."""
        return self.run(extension, action, params, timeout=timeout).result

    def run(
        self,
        extension: str,
        action: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: Timeouts = None,
    ) -> Execution:
        """As :meth:`execute`, with the call's audit records."""
        return self._send(_Api.run(extension, action, params, timeout))

    # Code mode (scope invoke).

    def run_code(
        self,
        code: str,
        language: CodeLanguage = "python",
        *,
        resume: str | None = None,
        timeout: Timeouts = None,
    ) -> CodeRun:
        """Runs a program that calls the installed tools (``tools.<ext>.<action>``)
        in a fresh sandbox, and returns what it gave.

        A run that stops raises its error with ``run_id``, ``logs`` and
        ``tool_calls``: :class:`ApprovalRequired` when a ``propose`` tool
        waits for a person (``approval_id``; run the same program again with
        ``resume=err.run_id`` once it is decided), :class:`ApprovalDeclined`,
        :class:`ToolCallsExceeded`, :class:`Timeout`, ..."""
        return self._send(_Api.run_code(code, language, resume, timeout))

    def code_api(self, language: CodeLanguage = "python") -> str:
        """The tools a code run may call, as a Python listing or TypeScript
        declarations (what an agent reads before it writes the program)."""
        return self._send(_Api.code_api(language))

    # Administration (scope admin).

    def vault_set(
        self, extension: str, key: str, value: str, *, hosts: Sequence[str] | None = None
    ) -> VaultReceipt:
        """Stores a secret, bound to ``hosts`` when given. Write-only: no
        route returns a value."""
        return self._send(_Api.vault_set(extension, key, value, hosts))

    def install(
        self,
        package: bytes,
        *,
        approve: str | None = None,
        allow_downgrade: bool = False,
        source: str | None = None,
        timeout: Timeouts = None,
    ) -> InstallResult:
        """Installs (or updates) a ``.morph`` archive.

        Without ``approve`` an install that grants anything raises
        :class:`ApprovalRequired` with ``.diff`` and ``.digest``; once a
        person approved that diff, call again with ``approve=err.digest``.
        Raises :class:`PackageRejected` for what ``morph install`` refuses."""
        return self._send(_Api.install(package, approve, allow_downgrade, source, timeout))

    def install_file(
        self,
        path: str | os.PathLike[str],
        *,
        approve: str | None = None,
        allow_downgrade: bool = False,
        timeout: Timeouts = None,
    ) -> InstallResult:
        """As :meth:`install`, reading the archive from ``path`` (recorded as
        its source)."""
        file = Path(path)
        return self.install(
            file.read_bytes(),
            approve=approve,
            allow_downgrade=allow_downgrade,
            source=file.name,
            timeout=timeout,
        )

    def install_reference(
        self,
        reference: str,
        *,
        approve: str | None = None,
        allow_downgrade: bool = False,
        timeout: Timeouts = None,
    ) -> InstallResult:
        """As :meth:`install`, the server pulling ``REGISTRY/REPO:TAG``."""
        return self._send(_Api.install_reference(reference, approve, allow_downgrade, timeout))

    def remove(self, extension: str) -> InstalledRecord:
        """Uninstalls (its vault, tasks and files stay); returns what was
        installed."""
        return self._send(_Api.remove(extension))

    def audit(
        self,
        *,
        extension: str | None = None,
        decision: Literal["allowed", "denied"] | None = None,
        since: int | datetime | None = None,
        caller: str | None = None,
        limit: int | None = None,
    ) -> list[AuditRecord]:
        """The latest audit records (oldest first) that match every filter
        given: ``since`` is Unix milliseconds or a ``datetime``, ``caller``
        e.g. ``token:app``, ``limit`` defaults to 100 on the server."""
        return self._send(_Api.audit(extension, decision, since, caller, limit))

    def verify_audit(self) -> AuditVerification:
        """Checks the audit log's hash chain and signed checkpoints."""
        return self._send(_Api.verify_audit())

    def approvals(self) -> list[Approval]:
        """The ``propose`` calls waiting for a person."""
        return self._send(_Api.approvals())

    def decide(self, approval_id: str, approve: bool) -> Approval:
        """Approves or declines a pending approval (audited). Raises
        :class:`InvalidParams` when it is unknown, decided or expired."""
        return self._send(_Api.decide(approval_id, approve))


class AsyncClient(_Base):
    """:class:`Client` on ``httpx.AsyncClient``: the same methods, awaited."""

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        *,
        timeout: Timeouts = DEFAULT_TIMEOUT,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(base_url, token)
        self._owned = http_client is None
        self._http = http_client or httpx.AsyncClient(
            timeout=_http_timeout(timeout),
            headers={"user-agent": f"morph-client-python/{__version__}"},
        )

    async def aclose(self) -> None:
        """Closes the connections (unless the ``httpx.AsyncClient`` was
        given)."""
        if self._owned:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _send(self, call: _Call[T]) -> T:
        return call.parse(await self._http.request(**self._args(call)))

    async def health(self) -> bool:
        """See :meth:`Client.health`."""
        return await self._send(_Api.health())

    async def ready(self) -> bool:
        """See :meth:`Client.ready`."""
        return await self._send(_Api.ready())

    async def metrics(self) -> str:
        """See :meth:`Client.metrics`."""
        return await self._send(_Api.metrics())

    async def openapi(self) -> dict[str, Any]:
        """See :meth:`Client.openapi`."""
        return await self._send(_Api.openapi())

    async def extensions(self) -> list[Installed]:
        """See :meth:`Client.extensions`."""
        return await self._send(_Api.extensions())

    async def extension(self, extension: str) -> ExtensionInfo:
        """See :meth:`Client.extension`."""
        return await self._send(_Api.extension(extension))

    async def execute(
        self,
        extension: str,
        action: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: Timeouts = None,
    ) -> Any:
        """See :meth:`Client.execute`."""
        return (await self.run(extension, action, params, timeout=timeout)).result

    async def run(
        self,
        extension: str,
        action: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: Timeouts = None,
    ) -> Execution:
        """See :meth:`Client.run`."""
        return await self._send(_Api.run(extension, action, params, timeout))

    async def run_code(
        self,
        code: str,
        language: CodeLanguage = "python",
        *,
        resume: str | None = None,
        timeout: Timeouts = None,
    ) -> CodeRun:
        """See :meth:`Client.run_code`."""
        return await self._send(_Api.run_code(code, language, resume, timeout))

    async def code_api(self, language: CodeLanguage = "python") -> str:
        """See :meth:`Client.code_api`."""
        return await self._send(_Api.code_api(language))

    async def vault_set(
        self, extension: str, key: str, value: str, *, hosts: Sequence[str] | None = None
    ) -> VaultReceipt:
        """See :meth:`Client.vault_set`."""
        return await self._send(_Api.vault_set(extension, key, value, hosts))

    async def install(
        self,
        package: bytes,
        *,
        approve: str | None = None,
        allow_downgrade: bool = False,
        source: str | None = None,
        timeout: Timeouts = None,
    ) -> InstallResult:
        """See :meth:`Client.install`."""
        return await self._send(_Api.install(package, approve, allow_downgrade, source, timeout))

    async def install_file(
        self,
        path: str | os.PathLike[str],
        *,
        approve: str | None = None,
        allow_downgrade: bool = False,
        timeout: Timeouts = None,
    ) -> InstallResult:
        """See :meth:`Client.install_file`."""
        file = Path(path)
        return await self.install(
            file.read_bytes(),
            approve=approve,
            allow_downgrade=allow_downgrade,
            source=file.name,
            timeout=timeout,
        )

    async def install_reference(
        self,
        reference: str,
        *,
        approve: str | None = None,
        allow_downgrade: bool = False,
        timeout: Timeouts = None,
    ) -> InstallResult:
        """See :meth:`Client.install_reference`."""
        return await self._send(
            _Api.install_reference(reference, approve, allow_downgrade, timeout)
        )

    async def remove(self, extension: str) -> InstalledRecord:
        """See :meth:`Client.remove`."""
        return await self._send(_Api.remove(extension))

    async def audit(
        self,
        *,
        extension: str | None = None,
        decision: Literal["allowed", "denied"] | None = None,
        since: int | datetime | None = None,
        caller: str | None = None,
        limit: int | None = None,
    ) -> list[AuditRecord]:
        """See :meth:`Client.audit`."""
        return await self._send(_Api.audit(extension, decision, since, caller, limit))

    async def verify_audit(self) -> AuditVerification:
        """See :meth:`Client.verify_audit`."""
        return await self._send(_Api.verify_audit())

    async def approvals(self) -> list[Approval]:
        """See :meth:`Client.approvals`."""
        return await self._send(_Api.approvals())

    async def decide(self, approval_id: str, approve: bool) -> Approval:
        """See :meth:`Client.decide`."""
        return await self._send(_Api.decide(approval_id, approve))
