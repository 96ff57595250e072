"""tempfile (Morph stand-in): importable, every operation refused.

A Morph extension has no file system; keep data in memory (`io.BytesIO`) or
in the extension's own directory through `morph.fs`.
"""

TMP_MAX = 10000
template = "tmp"
tempdir = None


def _refused(what):
    def refused(*args, **kwargs):
        raise PermissionError(
            "morph sandbox: tempfile.%s is not available (no file system; use "
            "io.BytesIO or morph.fs)" % what)
    refused.__name__ = what
    return refused


for _name in ("mkstemp", "mkdtemp", "mktemp", "gettempdir", "gettempdirb",
              "gettempprefix", "gettempprefixb", "TemporaryFile",
              "NamedTemporaryFile", "SpooledTemporaryFile", "TemporaryDirectory"):
    globals()[_name] = _refused(_name)
del _name
