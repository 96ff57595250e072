"""The shapes of ``morph serve``'s answers: what the server sends, as
``TypedDict`` s (records, approvals, the permission diff), and what the
client assembles from them, as frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypedDict

# ---------------------------------------------------------------------------
# Shapes the server sends (as it sends them).
# ---------------------------------------------------------------------------


class _AuditRecordRequired(TypedDict):
    seq: int
    ts_ms: int
    extension: str
    capability: str
    decision: Literal["allowed", "denied"]
    outcome: str
    prev_hash: str
    hash: str


class AuditRecord(_AuditRecordRequired, total=False):
    """One record of the audit log's hash chain."""

    version: str
    runtime: str
    action: str
    call_id: str
    reason: str
    duration_us: int
    phase: Literal["intent", "outcome"]
    request_digest: str
    intent_seq: int
    #: Who asked: ``token:<name>`` for a call through the API.
    caller: str
    #: The code run a tool call belonged to.
    code_run: str


class LoadError(TypedDict):
    """Why an installed extension did not load."""

    code: str
    message: str


class InstalledRecord(TypedDict):
    """What the install store holds for one extension."""

    id: str
    version: str
    #: ``sha256:...`` of the archive.
    digest: str
    #: The trusted publisher that signed it; ``None`` when installed unsigned.
    publisher: str | None
    permissions: list[str]
    allowed_hosts: list[str]
    source: str


class Installed(InstalledRecord, total=False):
    """An installed extension as ``GET /v1/extensions`` lists it."""

    state: Literal["enabled", "quarantined", "failed"]
    runtime: str
    load_error: LoadError


class ExtensionInfo(TypedDict, total=False):
    """What ``morph inspect`` shows, under the grants the extension runs
    with (``GET /v1/extensions/{id}``). ``actions``, ``permissions`` and
    ``limits`` hold one object per item (``name``/``parameters``,
    ``permission``/``granted``, ``limit``/``value``)."""

    extension_id: str
    version: str
    name: str
    runtime: str
    runtime_linked: bool
    entry: str
    manifest_digest: str
    actions: list[dict[str, Any]]
    permissions: list[dict[str, Any]]
    allowed_hosts: list[str]
    limits: list[dict[str, Any]]
    installed: InstalledRecord
    state: Literal["enabled", "quarantined", "failed"]
    quarantine: dict[str, Any]
    load_error: LoadError


class _ChangeRequired(TypedDict):
    kind: Literal["fresh", "unchanged", "reinstall", "update", "downgrade"]


# `from` is a keyword, so this part is spelled the functional way.
_ChangeFrom = TypedDict("_ChangeFrom", {"from": str}, total=False)


class Change(_ChangeRequired, _ChangeFrom):
    """What an install does to what is installed: ``kind``, and ``from``
    (the version installed before) for an update or a downgrade."""


class Added(TypedDict):
    """What an install grants beyond what is installed."""

    permissions: list[str]
    allowed_hosts: list[str]
    limits: list[dict[str, Any]]


class PermissionDiff(TypedDict):
    """What a person approves before an install (``approval_required``)."""

    extension: str
    version: str
    package_digest: str
    #: Who signed it, for a person to read (``signed by trusted publisher
    #: `acme` (...)``, or that it is unsigned).
    publisher: str
    change: Change
    added: Added


class _ApprovalRequired(TypedDict):
    id: str
    caller: str
    extension: str
    action: str
    arguments: Any
    arguments_digest: str
    state: Literal["pending", "approved", "declined", "used"]
    created_ms: int
    expires_ms: int


class Approval(_ApprovalRequired, total=False):
    """A ``propose`` call waiting for (or given) a person's decision."""

    decided_by: str


class LogLine(TypedDict):
    """A line a code run's program logged."""

    level: Literal["debug", "info", "warn", "error"]
    message: str


class _ToolCallRequired(TypedDict):
    index: int
    tool: str
    outcome: str


class ToolCall(_ToolCallRequired, total=False):
    """One tool a code run called: ``tool`` is ``<extension>.<action>``,
    ``outcome`` is ``ok`` or the error code."""

    #: The tool call's id in the audit log (absent when it did not start).
    call_id: str
    #: Answered from the record of the run's earlier send (a resumed run).
    replayed: bool


class VerifyReport(TypedDict):
    """What checking the audit log's chain and checkpoints found."""

    records: int
    last_hash: str
    checkpoints_checked: int
    signatures_checked: bool
    torn_tail: bool
    open_intents: list[dict[str, Any]]
    open_intents_total: int
    #: ``None`` when the chain and checkpoints hold.
    problem: dict[str, Any] | None


# ---------------------------------------------------------------------------
# Results the client assembles.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Execution:
    """A successful call: what ``morph run --json`` prints, as a value."""

    result: Any
    #: The audit records of the call (its host calls).
    audit: list[AuditRecord]


@dataclass(frozen=True)
class CodeRun:
    """A code run that finished (``POST /v1/code``)."""

    #: The run's id, in its audit records and its tools'.
    run_id: str
    #: What the program's last expression (Python) or ``return`` (JS) gave.
    result: Any
    logs: list[LogLine]
    tool_calls: list[ToolCall]


@dataclass(frozen=True)
class InstallResult:
    """An install that took effect."""

    installed: InstalledRecord
    #: The permission diff that was approved.
    approved: PermissionDiff


@dataclass(frozen=True)
class VaultReceipt:
    """A stored secret. The value never comes back from the server."""

    extension: str
    key: str
    #: The hosts the secret is bound to; ``None`` when not bound.
    hosts: list[str] | None
    #: The audit record of the change.
    audit_seq: int


@dataclass(frozen=True)
class AuditVerification:
    """``GET /v1/audit/verify``."""

    ok: bool
    report: VerifyReport
