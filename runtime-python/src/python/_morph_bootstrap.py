"""Start-up of every guest interpreter (run once, then dropped from
`sys.modules`): guest stdout and stderr go to the `log` capability, modules
of the extension's own package are imported from the copy the host read at
load time, `logging` reports through `log`, and coroutines are driven for
`async def` entry points."""

import sys
import _morph
import _frozen_importlib as _bootstrap


class _GuestStream:
    def __init__(self, fd):
        self._fd = fd

    def write(self, s):
        _morph.write(self._fd, str(s))
        return len(s)

    def flush(self):
        pass

    def isatty(self):
        return False

    def writable(self):
        return True


sys.stdout = sys.__stdout__ = _GuestStream(1)
sys.stderr = sys.__stderr__ = _GuestStream(2)


def open(file, mode="r", buffering=-1, encoding=None, errors=None, newline=None,
         closefd=True, opener=None):
    """Refused: a Morph extension has no file system (use morph.fs)."""
    raise PermissionError(
        "morph sandbox: no file system access (open %r); use morph.fs" % (file,))


import builtins  # noqa: E402

builtins.open = open
del builtins, open


class _PackageLoader:
    """Runs a module of the extension's package (source the host read from
    beneath the package root at load time, never a path the guest names;
    compiled once for all of the extension's interpreters)."""

    @staticmethod
    def create_module(spec):
        return None

    @staticmethod
    def exec_module(module):
        spec = module.__spec__
        code = _morph.package_code(spec.name)
        if code is None:
            raise ImportError("No module named %r" % spec.name, name=spec.name)
        module.__file__ = spec.origin
        exec(code, module.__dict__)

    @staticmethod
    def is_package(name):
        found = _morph.package_module(name)
        return bool(found and found[0])

    @staticmethod
    def get_source(name):
        found = _morph.package_module(name)
        return None if found is None else _morph.package_file_source(found[1])


class _PackageFinder:
    """Finds modules and packages beneath the extension's import root."""

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        found = _morph.package_module(name)
        if found is None:
            return None
        is_package, origin = found
        # No `has_location`: that would ask for a bytecode cache path, and
        # there are no files; the loader sets `__file__` itself.
        return _bootstrap.ModuleSpec(name, _PackageLoader, origin=origin,
                                     is_package=is_package)

    @classmethod
    def invalidate_caches(cls):
        pass


def _patch_logging(logging):
    """Records go to the `log` capability at their level (counted in the
    call's output), for the last-resort handler and for `basicConfig()`
    without a stream or file."""

    def level_name(levelno):
        if levelno >= logging.ERROR:
            return "error"
        if levelno >= logging.WARNING:
            return "warn"
        if levelno >= logging.INFO:
            return "info"
        return "debug"

    class MorphHandler(logging.Handler):
        """Sends each record to Morph's `log` capability."""

        def emit(self, record):
            try:
                message = self.format(record)
            except RecursionError:
                raise
            except Exception:
                self.handleError(record)
                return
            _morph.invoke("log", {"level": level_name(record.levelno), "message": message})

    logging.MorphHandler = MorphHandler
    logging.lastResort = MorphHandler(logging.WARNING)
    logging._defaultLastResort = logging.lastResort
    original = logging.basicConfig

    def basicConfig(**kwargs):
        if not any(k in kwargs for k in ("stream", "filename", "handlers")):
            kwargs["handlers"] = [MorphHandler()]
        return original(**kwargs)

    basicConfig.__doc__ = original.__doc__
    logging.basicConfig = basicConfig


def _patch_re(re):
    """`Match.expand` in RustPython's `_sre` calls `re._expand`, which the
    3.12+ `re` no longer has: the template is expanded as CPython does."""

    def _expand(pattern, match, template):
        parts = re._parser.parse_template(template, pattern)
        out = []
        for i, part in enumerate(parts):
            if i % 2:
                out.append(match.group(part) or match.string[:0])
            else:
                out.append(part)
        return match.string[:0].join(out)

    re._expand = _expand


def _patch_linecache(linecache):
    """Source lines of the extension's own files (tracebacks, `inspect`)
    come from the copy the host read at load time; there are no files."""
    original = linecache.updatecache

    def updatecache(filename, module_globals=None):
        source = _morph.package_file_source(filename)
        if source is None:
            return original(filename, module_globals)
        lines = source.splitlines(True)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        linecache.cache[filename] = (len(source), None, lines, filename)
        return lines

    linecache.updatecache = updatecache


def _patch_json_encoder(encoder):
    """RustPython's native string encoders take UTF-8 only: a str holding
    lone surrogates is encoded by the module's own Python encoders, which
    give what CPython's C ones give."""

    def fallback(native, python):
        def encode(s):
            try:
                return native(s)
            except UnicodeEncodeError:
                return python(s)
        encode.__doc__ = python.__doc__
        return encode

    if encoder.c_encode_basestring_ascii is not None:
        encoder.encode_basestring_ascii = fallback(
            encoder.c_encode_basestring_ascii, encoder.py_encode_basestring_ascii)
    if encoder.c_encode_basestring is not None:
        encoder.encode_basestring = fallback(
            encoder.c_encode_basestring, encoder.py_encode_basestring)


def _patch_zlib(zlib):
    """`wbits` 40 to 47 (32 + window) detect a zlib or gzip header, as
    CPython's zlib does; RustPython's refuses them (one-shot `decompress`)."""
    native = zlib.decompress

    def decompress(data, /, wbits=zlib.MAX_WBITS, bufsize=zlib.DEF_BUF_SIZE):
        if 40 <= wbits <= 47:
            header = bytes(memoryview(data)[:2])
            wbits = wbits - 32 + (16 if header == b"\x1f\x8b" else 0)
        return native(data, wbits, bufsize)

    decompress.__doc__ = native.__doc__
    zlib.decompress = decompress


_PATCHES = {
    "logging": _patch_logging,
    "re": _patch_re,
    "linecache": _patch_linecache,
    "json.encoder": _patch_json_encoder,
    "zlib": _patch_zlib,
}


class _PatchedLoader:
    def __init__(self, loader, patch):
        self._loader = loader
        self._patch = patch

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        self._patch(module)


class _Patches:
    """Standard modules (frozen or native) that Morph adjusts after they run."""

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        patch = _PATCHES.get(name)
        if patch is None:
            return None
        spec = _bootstrap.FrozenImporter.find_spec(name, path, target)
        if spec is None:
            spec = _bootstrap.BuiltinImporter.find_spec(name, path, target)
        if spec is not None:
            spec.loader = _PatchedLoader(spec.loader, patch)
        return spec


sys.meta_path[:] = [_Patches, _bootstrap.BuiltinImporter,
                    _bootstrap.FrozenImporter, _PackageFinder]


def _drive(coroutine):
    """Runs an `async def` entry point to its end without an event loop:
    awaiting another coroutine works; awaiting something that needs an event
    loop (a future, a socket) raises."""
    try:
        value = coroutine.send(None)
        while True:
            if value is None:
                value = coroutine.send(None)
            else:
                value = coroutine.throw(RuntimeError(
                    "morph: an entry point awaited %r, which needs an event loop; "
                    "await coroutines (async def) only" % (type(value).__name__,)))
    except StopIteration as done:
        return done.value
    finally:
        coroutine.close()



def _encodings_search(name):
    """Loads the `encodings` package on the first codec lookup that the
    built-in utf-8 and ascii codecs do not answer."""
    import codecs
    import encodings
    codecs.unregister(_encodings_search)
    return encodings.search_function(name)


import codecs as _codecs  # noqa: E402

_codecs.register(_encodings_search)
del _codecs
