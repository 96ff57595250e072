"""Type stubs of Morph's host API for Python extensions (`import morph`).

Every function goes through Morph's capability broker, which checks the
extension's permissions, budgets and `allowed_hosts` and writes an audit
record. A refusal or failure raises `MorphError` with a stable `code`.
Copy this file beside your `main.py` (editors and type checkers find it
there); `morph new --lang python` does.

Every function takes one of two spellings, decided by its arguments:

- the wire request: exactly one argument, a dict, sent to the broker as it is
  (`morph.http.fetch({"url": url, "method": "POST"})`);
- its parameters, positional in the order of the signature (the same order
  as JavaScript's `morph`) or by keyword, each keyword named after its wire
  field (`morph.http.fetch(url, method="POST")`); `None` leaves a field out.

Nothing is guessed: a dict where a string goes
(`morph.http.fetch({"url": url}, method="POST")`) is sent as that field and
refused. A malformed request (a field missing, unknown or of the wrong type,
or a value that is not JSON) raises `MorphError` with code `invalid_request`
naming the capability and the field; unhandled, it fails the call (exit code
1 from `morph run`).
"""

from typing import Any, Literal, Optional, TypedDict, overload

JSON = Any
Level = Literal["debug", "info", "warn", "error"]
Encoding = Literal["utf8", "base64"]
Request = dict[str, JSON]

class MorphError(Exception):
    """A capability call was refused or failed."""

    code: str
    """Morph's stable error code: `permission_denied`, `host_not_allowed`,
    `rate_limited`, `capability_failed`, `invalid_request`, ..."""
    message: str
    capability: Optional[str]
    """The wire name of the capability called (`http.fetch`)."""
    def __init__(self, code: str, message: str, capability: Optional[str] = ...) -> None: ...

def invoke(capability: str, request: Optional[Request] = ...) -> JSON:
    """Calls the capability `capability` (its wire name) with a JSON request
    and returns its raw response."""

@overload
def log(request: Request) -> None: ...
@overload
def log(message: object, level: Optional[Level] = ...) -> None:
    """Writes a log line (level default `info`; counts toward
    `max_output_kb`); a message that is not a str is converted with str()."""

def config(request: Optional[Request] = ...) -> dict[str, JSON]:
    """The host-supplied configuration, validated against `config_schema`."""

class Response(TypedDict, total=False):
    status: int
    headers: dict[str, str]
    body: str
    body_encoding: Literal["base64"]
    """Present when the body was not UTF-8 (`body` is then base64)."""

class http:
    """HTTP through the host: `http:read` for GET and HEAD, `http:write`
    otherwise; the host must be in `allowed_hosts`; counted in
    `max_http_requests`."""

    @overload
    @staticmethod
    def fetch(request: Request) -> Response: ...
    @overload
    @staticmethod
    def fetch(
        url: str,
        method: Optional[str] = ...,
        headers: Optional[dict[str, str]] = ...,
        body: Optional[str] = ...,
        body_encoding: Optional[Encoding] = ...,
    ) -> Response: ...
    @staticmethod
    def get(url: str, headers: Optional[dict[str, str]] = ...) -> Response: ...
    @staticmethod
    def post(url: str, body: str, headers: Optional[dict[str, str]] = ...) -> Response: ...

class vault:
    """Secrets in the extension's own namespace (`vault:read`, `vault:write`)."""

    @overload
    @staticmethod
    def get(key: Request) -> Optional[str]: ...
    @overload
    @staticmethod
    def get(key: str) -> Optional[str]: ...
    @overload
    @staticmethod
    def set(key: Request) -> None: ...
    @overload
    @staticmethod
    def set(key: str, value: str) -> None: ...

class events:
    """Events on the host's bus (`event:emit`)."""

    @overload
    @staticmethod
    def emit(message: Request) -> None: ...
    @overload
    @staticmethod
    def emit(message: str, level: Optional[Level] = ..., data: JSON = ...) -> None: ...

class FileContent(TypedDict):
    content: str
    """The text, or base64 of the bytes when they are not UTF-8."""
    encoding: Encoding

class DirEntry(TypedDict):
    name: str
    kind: Literal["file", "dir", "other"]
    size: int

class fs:
    """Files in the extension's own data directory (`fs:read`, `fs:write`)."""

    @overload
    @staticmethod
    def read(path: Request) -> FileContent: ...
    @overload
    @staticmethod
    def read(path: str) -> FileContent: ...
    @overload
    @staticmethod
    def write(path: Request) -> None: ...
    @overload
    @staticmethod
    def write(path: str, content: str, encoding: Optional[Encoding] = ...) -> None: ...
    @staticmethod
    def list(path: Optional[str | Request] = ...) -> list[DirEntry]: ...
    @staticmethod
    def delete(path: str | Request) -> None: ...

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

    @overload
    @staticmethod
    def create_task(title: Request) -> Task: ...
    @overload
    @staticmethod
    def create_task(
        title: str,
        description: Optional[str] = ...,
        status: Optional[str] = ...,
        data: JSON = ...,
    ) -> Task: ...
    @staticmethod
    def get_task(id: int | Request) -> Task: ...
    @overload
    @staticmethod
    def list_tasks(status: Request) -> list[Task]: ...
    @overload
    @staticmethod
    def list_tasks(
        status: Optional[str] = ...,
        limit: Optional[int] = ...,
        offset: Optional[int] = ...,
    ) -> list[Task]: ...
    @overload
    @staticmethod
    def update_task(id: Request) -> Task: ...
    @overload
    @staticmethod
    def update_task(
        id: int,
        title: Optional[str] = ...,
        description: Optional[str] = ...,
        status: Optional[str] = ...,
        data: JSON = ...,
    ) -> Task: ...
