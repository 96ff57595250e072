"""tomli, vendored unchanged: TOML 1.0 documents parsed into Python values
(dates and times shown in ISO form, floats as repr, decimals through
parse_float), and the errors invalid documents raise.
"""

import datetime
import decimal
import io

import tomli


def _plain(value):
    """The parsed document as JSON values, every type tagged where JSON
    would lose it."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if -(2**53) < value < 2**53 else {"int": str(value)}
    if isinstance(value, float):
        # repr, not the number: JSON has no inf/nan and would blur 1.0 and 1
        return {"float": repr(value)}
    if isinstance(value, decimal.Decimal):
        return {"decimal": str(value)}
    if isinstance(value, datetime.datetime):
        offset = value.utcoffset()
        return {"datetime": value.isoformat(), "offset": None if offset is None else offset.total_seconds()}
    if isinstance(value, (datetime.date, datetime.time)):
        return {type(value).__name__: value.isoformat()}
    return value


def parse(params):
    out = []
    for doc in params["documents"]:
        try:
            if params.get("decimal"):
                parsed = tomli.loads(doc, parse_float=decimal.Decimal)
            else:
                parsed = tomli.loads(doc)
            out.append({"value": _plain(parsed), "keys": list(parsed)})
        except tomli.TOMLDecodeError as e:
            out.append(
                {
                    "error": type(e).__name__,
                    "message": str(e),
                    "msg": e.msg,
                    "lineno": e.lineno,
                    "colno": e.colno,
                    "pos": e.pos,
                }
            )
    return out


def parse_bytes(params):
    parsed = tomli.load(io.BytesIO(params["document"].encode("utf-8")))
    return _plain(parsed)


ACTIONS = {"parse": parse, "parse_bytes": parse_bytes}


def execute(action, params):
    return ACTIONS[action](params)
