"""Type stubs of Morph's host API for Python extensions (`import morph`).

Every function goes through Morph's capability broker, which checks the
extension's permissions, budgets and `allowed_hosts` and writes an audit
record. A refusal or failure raises `MorphError` with a stable `code`.
Copy this file beside your `main.py` (editors and type checkers find it
there); `morph new --lang python` does.
"""

from typing import Any, Literal, Optional, TypedDict

JSON = Any
Level = Literal["debug", "info", "warn", "error"]

class MorphError(Exception):
    """A capability call was refused or failed."""

    code: str
    """Morph's stable error code: `permission_denied`, `host_not_allowed`,
    `rate_limited`, `capability_failed`, ..."""
    message: str
    def __init__(self, code: str, message: str) -> None: ...

def invoke(capability: str, request: Optional[dict[str, JSON]] = ...) -> JSON:
    """Calls the capability `capability` (its wire name) with a JSON request."""

def log(message: object, level: Level = ...) -> None:
    """Writes a log line (counts toward `max_output_kb`)."""

def config() -> dict[str, JSON]:
    """The host-supplied configuration, validated against `config_schema`."""

class Response(TypedDict):
    status: int
    headers: dict[str, str]
    body: str

class http:
    """HTTP through the host: `http:read` for GET and HEAD, `http:write`
    otherwise; the host must be in `allowed_hosts`; counted in
    `max_http_requests`."""

    @staticmethod
    def fetch(
        url: str,
        method: str = ...,
        headers: Optional[dict[str, str]] = ...,
        body: Optional[str] = ...,
    ) -> Response: ...
    @staticmethod
    def get(url: str, headers: Optional[dict[str, str]] = ...) -> Response: ...
    @staticmethod
    def post(url: str, body: str, headers: Optional[dict[str, str]] = ...) -> Response: ...

class vault:
    """Secrets in the extension's own namespace (`vault:read`, `vault:write`)."""

    @staticmethod
    def get(key: str) -> Optional[str]: ...
    @staticmethod
    def set(key: str, value: str) -> None: ...

class events:
    """Events on the host's bus (`event:emit`)."""

    @staticmethod
    def emit(message: str, level: Level = ..., data: JSON = ...) -> None: ...

class fs:
    """Files in the extension's own data directory (`fs:read`, `fs:write`)."""

    @staticmethod
    def read(path: str) -> str: ...
    @staticmethod
    def write(path: str, content: str) -> None: ...
    @staticmethod
    def list(path: Optional[str] = ...) -> list[str]: ...
    @staticmethod
    def delete(path: str) -> None: ...

class Task(TypedDict):
    id: int
    title: str
    description: str
    status: str
    data: JSON
    created_ms: int
    """Creation time, Unix milliseconds."""
    updated_ms: int

class data:
    """The host's task store (`data:read`, `data:write`)."""

    @staticmethod
    def create_task(
        title: str,
        description: Optional[str] = ...,
        status: Optional[str] = ...,
        data: JSON = ...,
    ) -> Task: ...
    @staticmethod
    def get_task(id: int) -> Task: ...
    @staticmethod
    def list_tasks(
        status: Optional[str] = ...,
        limit: Optional[int] = ...,
        offset: Optional[int] = ...,
    ) -> list[Task]: ...
    @staticmethod
    def update_task(
        id: int,
        title: Optional[str] = ...,
        description: Optional[str] = ...,
        status: Optional[str] = ...,
        data: JSON = ...,
    ) -> Task: ...
