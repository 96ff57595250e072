"""morph: the host API. Every function here goes through Morph's capability
broker, which checks the extension's permissions, budgets and allowlist and
writes an audit record. A refusal or failure raises MorphError."""

import _morph


class MorphError(Exception):
    """A capability call was refused or failed. `code` is Morph's stable error
    code (`permission_denied`, `host_not_allowed`, `rate_limited`, ...)."""

    def __init__(self, code, message):
        Exception.__init__(self, message)
        self.code = code
        self.message = message


def invoke(capability, request=None):
    """Calls the capability `capability` (wire name) with a JSON request."""
    ok, value = _morph.invoke(capability, {} if request is None else request)
    if ok:
        return value
    raise MorphError(value[0], value[1])


def _drop_none(d):
    return {k: v for k, v in d.items() if v is not None}


def log(message, level="info"):
    """Writes a log line (counts toward max_output_kb)."""
    invoke("log", {"level": level, "message": str(message)})


def config():
    """The host-supplied configuration."""
    return invoke("config", {})


class http:
    """HTTP through the host (`http:read` for GET/HEAD, `http:write` otherwise)."""

    @staticmethod
    def fetch(url, method="GET", headers=None, body=None):
        """Returns {"status", "headers", "body"}."""
        return invoke("http.fetch", _drop_none(
            {"url": url, "method": method, "headers": headers, "body": body}))

    @staticmethod
    def get(url, headers=None):
        return http.fetch(url, "GET", headers)

    @staticmethod
    def post(url, body, headers=None):
        return http.fetch(url, "POST", headers, body)


class vault:
    """Secrets in the extension's own namespace."""

    @staticmethod
    def get(key):
        """The value, or None when unset."""
        return invoke("vault.get", {"key": key}).get("value")

    @staticmethod
    def set(key, value):
        invoke("vault.set", {"key": key, "value": value})


class events:
    """Events on the host's bus (`event:emit`)."""

    @staticmethod
    def emit(message, level="info", data=None):
        invoke("events.emit", _drop_none({"message": message, "level": level, "data": data}))


class fs:
    """Files in the extension's own data directory."""

    @staticmethod
    def read(path):
        return invoke("fs.read", {"path": path}).get("content")

    @staticmethod
    def write(path, content):
        invoke("fs.write", {"path": path, "content": content})

    @staticmethod
    def list(path=None):
        return invoke("fs.list", _drop_none({"path": path})).get("entries", [])

    @staticmethod
    def delete(path):
        invoke("fs.delete", {"path": path})


class data:
    """The host's task store (`data:read`, `data:write`)."""

    @staticmethod
    def create_task(title, description=None, status=None, data=None):
        return invoke("data.create_task", _drop_none(
            {"title": title, "description": description, "status": status, "data": data}))

    @staticmethod
    def get_task(id):
        return invoke("data.get_task", {"id": id})

    @staticmethod
    def list_tasks(status=None, limit=None, offset=None):
        return invoke("data.list_tasks", _drop_none(
            {"status": status, "limit": limit, "offset": offset})).get("tasks", [])

    @staticmethod
    def update_task(id, title=None, description=None, status=None, data=None):
        return invoke("data.update_task", _drop_none(
            {"id": id, "title": title, "description": description, "status": status,
             "data": data}))
