"""json: JSON for guests, backed by the host's bounded converter."""

import _morph


class JSONDecodeError(ValueError):
    """The text is not valid JSON."""


def dumps(obj, indent=None, sort_keys=False, **_ignored):
    return _morph.json_dumps(obj, indent, bool(sort_keys))


def loads(s, **_ignored):
    if isinstance(s, (bytes, bytearray)):
        s = s.decode("utf-8")
    ok, value = _morph.json_loads(s)
    if ok:
        return value
    raise JSONDecodeError(value)
