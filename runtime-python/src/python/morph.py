"""morph: the host API. Every function here goes through Morph's capability
broker, which checks the extension's permissions, budgets and allowlist and
writes an audit record. A refusal or failure raises MorphError.

Every function takes one of two spellings, decided by its arguments:

- the wire request: exactly one argument, a dict, sent as it is
  (`morph.http.fetch({"url": url, "method": "POST"})`); the broker's wire
  format is the one reference for its fields;
- parameters: positional in the order of the signature (the same order as
  JavaScript's `morph.*`), or by keyword, each keyword named after its wire
  field (`morph.http.fetch(url, method="POST")`). `None` leaves a field out.

A value in the wrong place is never guessed at: a dict where a string goes
(`morph.http.fetch({"url": url}, method="POST")`) reaches the broker as that
field and is refused there. A malformed request (a field missing, unknown or
of the wrong type, a value that is not JSON) raises MorphError with code
`invalid_request` naming the capability and the field; unhandled, the call
ends with it (exit code 1)."""

import _morph


class MorphError(Exception):
    """A capability call was refused or failed. `code` is Morph's stable error
    code (`permission_denied`, `host_not_allowed`, `rate_limited`,
    `invalid_request`, ...); `capability` is the wire name called
    (`http.fetch`), as on JavaScript's error."""

    def __init__(self, code, message, capability=None):
        Exception.__init__(self, message)
        self.code = code
        self.message = message
        self.capability = capability


def invoke(capability, request=None):
    """Calls the capability `capability` (wire name) with a JSON request and
    returns its raw response."""
    ok, value = _morph.invoke(capability, {} if request is None else request)
    if ok:
        return value
    raise MorphError(value[0], value[1], capability)


def _request(first_name, first, **rest):
    """The wire request of a call: `first` alone when it is a dict and nothing
    else was given, else every field that is not None, by name."""
    if isinstance(first, dict) and all(v is None for v in rest.values()):
        return first
    fields = {first_name: first}
    fields.update(rest)
    return {k: v for k, v in fields.items() if v is not None}


def log(message, level=None):
    """Writes a log line (level default "info"; counts toward max_output_kb).
    A message that is not a str is converted with str(); `log({"message": m,
    "level": l})` is the wire request."""
    if not isinstance(message, dict) and message is not None:
        message = str(message)
    invoke("log", _request("message", message, level=level))


def config(request=None):
    """The host-supplied configuration (`request`, the wire request, is `{}`)."""
    return invoke("config", request)


class http:
    """HTTP through the host (`http:read` for GET/HEAD, `http:write` otherwise)."""

    @staticmethod
    def fetch(url, method=None, headers=None, body=None, body_encoding=None):
        """Returns {"status", "headers", "body"} (and "body_encoding":
        "base64" when the body is not UTF-8). `method` defaults to GET;
        `body_encoding="base64"` sends a base64 `body` as bytes.
        `fetch({"url": ..., "method": ...})` is the wire request."""
        return invoke("http.fetch", _request(
            "url", url, method=method, headers=headers, body=body,
            body_encoding=body_encoding))

    @staticmethod
    def get(url, headers=None):
        """`fetch(url, "GET", headers)`."""
        return http.fetch(url, "GET", headers)

    @staticmethod
    def post(url, body, headers=None):
        """`fetch(url, "POST", headers, body)`."""
        return http.fetch(url, "POST", headers, body)


class vault:
    """Secrets in the extension's own namespace."""

    @staticmethod
    def get(key):
        """The value, or None when unset (`vault:read`). `get({"key": k})` is
        the wire request."""
        return invoke("vault.get", _request("key", key)).get("value")

    @staticmethod
    def set(key, value=None):
        """Stores `value` under `key` (`vault:write`). `set({"key": k,
        "value": v})` is the wire request."""
        invoke("vault.set", _request("key", key, value=value))


class events:
    """Events on the host's bus (`event:emit`)."""

    @staticmethod
    def emit(message, level=None, data=None):
        """Emits an event (level default "info"). `emit({"message": m,
        "level": l, "data": d})` is the wire request."""
        invoke("events.emit", _request("message", message, level=level, data=data))


class fs:
    """Files in the extension's own data directory; paths are relative to it."""

    @staticmethod
    def read(path):
        """Returns {"content", "encoding"}: the text ("utf8"), or base64 of
        the bytes ("base64") when they are not UTF-8 (`fs:read`)."""
        return invoke("fs.read", _request("path", path))

    @staticmethod
    def write(path, content=None, encoding=None):
        """Writes a file, creating its directories (`fs:write`);
        `encoding="base64"` writes base64 `content` as bytes."""
        invoke("fs.write", _request("path", path, content=content, encoding=encoding))

    @staticmethod
    def list(path=None):
        """The entries ({"name", "kind", "size"}) of a directory, the root
        when `path` is None (`fs:read`)."""
        return invoke("fs.list", _request("path", path)).get("entries", [])

    @staticmethod
    def delete(path):
        """Deletes a file (`fs:write`)."""
        invoke("fs.delete", _request("path", path))


class data:
    """The host's task store (`data:read`, `data:write`)."""

    @staticmethod
    def create_task(title, description=None, status=None, data=None):
        """Creates a task and returns it. `create_task({"title": t, ...})` is
        the wire request."""
        return invoke("data.create_task", _request(
            "title", title, description=description, status=status, data=data))

    @staticmethod
    def get_task(id):
        """The task `id`; a missing one raises MorphError (`capability_failed`)."""
        return invoke("data.get_task", _request("id", id))

    @staticmethod
    def list_tasks(status=None, limit=None, offset=None):
        """The tasks, filtered by `status`, at most `limit` from `offset`."""
        return invoke("data.list_tasks", _request(
            "status", status, limit=limit, offset=offset)).get("tasks", [])

    @staticmethod
    def update_task(id, title=None, description=None, status=None, data=None):
        """Changes the fields given and returns the task."""
        return invoke("data.update_task", _request(
            "id", id, title=title, description=description, status=status,
            data=data))
