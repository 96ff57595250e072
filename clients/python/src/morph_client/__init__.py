"""A typed client for the JSON API of ``morph serve``.

Core concepts:

- :class:`Client` (and :class:`AsyncClient`): a base URL and a bearer token
  (``$MORPH_URL``, ``$MORPH_TOKEN`` by default); one method per route.
- :class:`MorphError`: every ``"ok": false`` answer, as a subclass picked by
  its stable ``code`` (:class:`PermissionDenied`, :class:`InvalidParams`,
  :class:`Timeout`, :class:`ApprovalRequired`, ...), with ``.status``,
  ``.message``, ``.audit`` and ``.details``.
- Installs need a person's approval of the exact permission diff:
  :class:`ApprovalRequired` carries ``.diff`` and ``.digest``; install again
  with ``approve=digest``.
- Code mode: :meth:`Client.run_code` runs a program that calls the installed
  tools in a fresh sandbox; :meth:`Client.code_api` lists those tools.

Example::

    from morph_client import Client, PermissionDenied

    with Client("http://127.0.0.1:8420", token="morph_...") as morph:
        print(morph.execute("hello", "greet", {"name": "ada"}))
        try:
            morph.execute("hello", "peek")
        except PermissionDenied as e:
            print(e.code, e.audit[0]["caller"])

The clients live in :mod:`morph_client.client`, the errors in
:mod:`morph_client.errors`, the answer shapes in :mod:`morph_client.shapes`.
"""

from morph_client.client import (
    AsyncClient,
    Client,
    DEFAULT_TIMEOUT,
    DEFAULT_URL,
    ROUTES,
    CodeLanguage,
    Timeouts,
    __version__,
)
from morph_client.errors import (
    ApprovalDeclined,
    ApprovalRequired,
    ExtensionFailed,
    Forbidden,
    HostNotAllowed,
    InvalidParams,
    MorphError,
    NotFound,
    Overloaded,
    PackageRejected,
    PayloadTooLarge,
    PermissionDenied,
    Quarantined,
    QuotaExceeded,
    RateLimited,
    RequestTimeout,
    ServerError,
    Timeout,
    ToolCallsExceeded,
    Unauthorized,
    UnknownAction,
    UnknownExtension,
    error_from,
)
from morph_client.shapes import (
    Added,
    Approval,
    AuditRecord,
    AuditVerification,
    Change,
    CodeRun,
    Execution,
    ExtensionInfo,
    InstallResult,
    Installed,
    InstalledRecord,
    LoadError,
    LogLine,
    PermissionDiff,
    ToolCall,
    VaultReceipt,
    VerifyReport,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "DEFAULT_URL",
    "ROUTES",
    "Added",
    "Approval",
    "ApprovalDeclined",
    "ApprovalRequired",
    "AsyncClient",
    "AuditRecord",
    "AuditVerification",
    "Change",
    "Client",
    "CodeLanguage",
    "CodeRun",
    "Execution",
    "ExtensionFailed",
    "ExtensionInfo",
    "Forbidden",
    "HostNotAllowed",
    "Installed",
    "InstalledRecord",
    "InstallResult",
    "InvalidParams",
    "LoadError",
    "LogLine",
    "MorphError",
    "NotFound",
    "Overloaded",
    "PackageRejected",
    "PayloadTooLarge",
    "PermissionDenied",
    "PermissionDiff",
    "Quarantined",
    "QuotaExceeded",
    "RateLimited",
    "RequestTimeout",
    "ServerError",
    "Timeout",
    "Timeouts",
    "ToolCall",
    "ToolCallsExceeded",
    "Unauthorized",
    "UnknownAction",
    "UnknownExtension",
    "VaultReceipt",
    "VerifyReport",
    "__version__",
    "error_from",
]
