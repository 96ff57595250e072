"""idna, vendored unchanged: IDNA 2008 with UTS #46 mapping, encoding and
decoding domain names and labels, the codec it registers, and the errors
invalid names raise.
"""

import codecs

import idna
import idna.codec  # noqa: F401  (registers the "idna2008" codec)


def _attempt(fn):
    try:
        value = fn()
        return value.decode("ascii") if isinstance(value, bytes) else value
    except (idna.IDNAError, UnicodeError) as e:
        return {"error": type(e).__name__, "message": str(e)}


def _codec_attempt(name):
    """Decoding through the registered codec. A failure is reported by type
    only: CPython 3.11 rewraps an exception raised inside a codec as
    "decoding with 'idna2008' codec failed (...)", 3.12 and later do not, so
    the message depends on the CPython version rather than on idna."""
    try:
        return codecs.decode(name.encode("ascii"), "idna2008")
    except (idna.IDNAError, UnicodeError) as e:
        return {"error": type(e).__name__}


def encode(params):
    out = []
    for name in params["names"]:
        out.append(
            {
                "name": name,
                "strict": _attempt(lambda: idna.encode(name)),
                "uts46": _attempt(lambda: idna.encode(name, uts46=True)),
                "uts46_std3": _attempt(lambda: idna.encode(name, uts46=True, std3_rules=True)),
                "transitional": _attempt(lambda: idna.encode(name, uts46=True, transitional=True)),
            }
        )
    return out


def decode(params):
    return [
        {
            "name": name,
            "decoded": _attempt(lambda: idna.decode(name)),
            "codec": _codec_attempt(name),
        }
        for name in params["names"]
    ]


def labels(params):
    return [
        {
            "label": label,
            "alabel": _attempt(lambda: idna.alabel(label)),
            "valid": _attempt(lambda: idna.check_label(label) or True),
            "mapped": _attempt(lambda: idna.uts46_remap(label, std3_rules=False)),
        }
        for label in params["labels"]
    ]


ACTIONS = {"encode": encode, "decode": decode, "labels": labels}


def execute(action, params):
    return ACTIONS[action](params)
