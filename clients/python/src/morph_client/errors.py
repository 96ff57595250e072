"""Errors: every ``"ok": false`` answer (or error status) as a
:class:`MorphError` subclass picked by its stable code."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import httpx

from morph_client.shapes import AuditRecord, PermissionDiff

# ---------------------------------------------------------------------------
# Errors: one class per family of stable codes.
# ---------------------------------------------------------------------------


class MorphError(Exception):
    """An ``"ok": false`` answer. Match on the subclass or on ``code``;
    codes are stable, messages are for people. Failures to reach the server
    at all are ``httpx.TransportError`` s, not this."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int,
        audit: Sequence[AuditRecord] = (),
        details: Any = None,
        stack: str | None = None,
        run: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        #: The stable code (``permission_denied``, ``unauthorized``, ...).
        self.code = code
        #: What happened (never a secret).
        self.message = message
        #: The HTTP status.
        self.status = status
        #: The audit records of a failed call (empty for other routes).
        self.audit: list[AuditRecord] = list(audit)
        #: More, for codes that carry it.
        self.details = details
        #: The guest's stack, for a guest error that has one.
        self.stack = stack
        run = run or {}
        #: A code run that stopped: its id (resume it with
        #: ``run_code(..., resume=err.run_id)``), logs and tool calls.
        self.run_id: str | None = run.get("run_id")
        self.logs: list[Any] = list(run.get("logs") or [])
        self.tool_calls: list[Any] = list(run.get("tool_calls") or [])


class Unauthorized(MorphError):
    """``unauthorized`` (401): no token, or one the server does not know."""


class Forbidden(MorphError):
    """``forbidden`` (403): the token's scope does not allow the route."""


class NotFound(MorphError):
    """``not_found`` (404): no such route; base of the unknown-id errors."""


class UnknownExtension(NotFound):
    """``unknown_extension`` (404)."""


class UnknownAction(NotFound):
    """``unknown_action`` (404)."""


class InvalidParams(MorphError):
    """``invalid_params`` (422 for a call's params, 400 for a body that is
    not JSON): also a filter or decision the server refuses."""


class PermissionDenied(MorphError):
    """``permission_denied`` (403): the extension lacks the grant."""


class HostNotAllowed(PermissionDenied):
    """``host_not_allowed`` (403): a request to a host outside the grants."""


class RateLimited(MorphError):
    """``rate_limited`` (429)."""


class QuotaExceeded(MorphError):
    """``quota_exceeded`` (429)."""


class Timeout(MorphError):
    """``timeout`` (504): the action ran past its deadline."""


class RequestTimeout(Timeout):
    """``request_timeout`` (408): the whole request ran past the server's
    limit."""


class Quarantined(MorphError):
    """``extension_quarantined`` (423)."""


class ExtensionFailed(MorphError):
    """The extension itself failed (502): ``guest_error``, ``guest_crash``,
    ``memory_limit``, ``stack_overflow``, ``output_too_large``, ... See
    ``code`` and, for a guest error, ``stack``."""


class PackageRejected(MorphError):
    """An install refused (400/403): ``invalid_package``,
    ``invalid_manifest``, ``signature_invalid``, ``unsigned_package``,
    ``untrusted_publisher``."""


class ApprovalRequired(MorphError):
    """``approval_required`` (409). From an install: installing grants what
    ``diff`` lists; show it to a person, and once they approve, install
    again with ``approve=err.digest``. From a code run: a ``propose`` tool
    waits for the approval ``approval_id``; once it is decided, run the
    same program again with ``resume=err.run_id``."""

    def __init__(self, code: str, message: str, **kwargs: Any) -> None:
        super().__init__(code, message, **kwargs)
        details = self.details if isinstance(self.details, dict) else {}
        self.diff: PermissionDiff = cast(PermissionDiff, details.get("diff", {}))
        self.digest: str = str(details.get("digest", ""))
        #: The approval a code run waits for (``None`` for an install).
        self.approval_id: str | None = None


class ApprovalDeclined(MorphError):
    """``approval_declined`` (403): a person declined the approval
    ``approval_id`` a code run waited for."""

    approval_id: str | None = None


class ToolCallsExceeded(MorphError):
    """``tool_calls_exceeded`` (429): a code run called more tools than its
    policy allows."""


class Overloaded(MorphError):
    """``overloaded`` (503): too many requests at once; retry after
    ``retry_after`` seconds."""

    retry_after: float | None = None


class PayloadTooLarge(MorphError):
    """``payload_too_large`` (413)."""


class ServerError(MorphError):
    """``io``, ``internal`` (500), ``runtime_unavailable`` (503)."""


_BY_CODE: dict[str, type[MorphError]] = {
    "unauthorized": Unauthorized,
    "forbidden": Forbidden,
    "not_found": NotFound,
    "unknown_extension": UnknownExtension,
    "unknown_action": UnknownAction,
    "invalid_params": InvalidParams,
    "permission_denied": PermissionDenied,
    "host_not_allowed": HostNotAllowed,
    "rate_limited": RateLimited,
    "quota_exceeded": QuotaExceeded,
    "timeout": Timeout,
    "request_timeout": RequestTimeout,
    "extension_quarantined": Quarantined,
    "approval_required": ApprovalRequired,
    "approval_declined": ApprovalDeclined,
    "tool_calls_exceeded": ToolCallsExceeded,
    "overloaded": Overloaded,
    "payload_too_large": PayloadTooLarge,
    "io": ServerError,
    "internal": ServerError,
    "runtime_unavailable": ServerError,
    **{
        code: PackageRejected
        for code in (
            "invalid_package",
            "invalid_manifest",
            "signature_invalid",
            "unsigned_package",
            "untrusted_publisher",
        )
    },
    **{
        code: ExtensionFailed
        for code in (
            "init_failed",
            "guest_error",
            "guest_crash",
            "memory_limit",
            "stack_overflow",
            "output_too_large",
            "capability_failed",
            "unknown_capability",
            "invalid_request",
        )
    },
}

# A code for an error answer that is not the JSON envelope (a proxy's page,
# a body cap hit before the handler).
_BY_STATUS: dict[int, str] = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    408: "request_timeout",
    413: "payload_too_large",
    503: "overloaded",
}


def error_from(response: httpx.Response) -> MorphError:
    """The :class:`MorphError` an error answer stands for."""
    try:
        doc: Any = response.json()
    except ValueError:
        doc = None
    error = doc.get("error") if isinstance(doc, dict) else None
    if isinstance(error, dict) and isinstance(error.get("code"), str):
        code: str = error["code"]
        message = str(error.get("message", ""))
        details = error.get("details")
        stack = error.get("stack") if isinstance(error.get("stack"), str) else None
        audit = doc.get("audit") if isinstance(doc, dict) else None
        approval_id = error.get("approval_id")
        run = doc if isinstance(doc, dict) and isinstance(doc.get("run_id"), str) else None
    else:
        code = _BY_STATUS.get(response.status_code, "unexpected_response")
        message = f"HTTP {response.status_code}: {response.text[:500]}"
        details = stack = audit = approval_id = run = None
    cls = _BY_CODE.get(code, MorphError)
    err = cls(
        code,
        message,
        status=response.status_code,
        audit=audit if isinstance(audit, list) else (),
        details=details,
        stack=stack,
        run=run,
    )
    if isinstance(err, (ApprovalRequired, ApprovalDeclined)) and isinstance(approval_id, str):
        err.approval_id = approval_id
    if isinstance(err, Overloaded):
        try:
            err.retry_after = float(response.headers.get("retry-after", ""))
        except ValueError:
            err.retry_after = None
    return err


def _document(response: httpx.Response) -> dict[str, Any]:
    """The JSON object of a successful answer; raises for any other."""
    if response.is_error:
        raise error_from(response)
    try:
        doc: Any = response.json()
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise MorphError(
            "unexpected_response",
            f"expected a JSON object, got: {response.text[:500]}",
            status=response.status_code,
        )
    if doc.get("ok") is False:
        raise error_from(response)
    return doc
