"""importlib (Morph stand-in): the import system's public functions over
the interpreter's own machinery, without the file-system loaders.

`import_module`, `reload`, `invalidate_caches` and `__import__` work as on
CPython; modules come from the standard library compiled into Morph and
from the extension's own package. There is no `importlib._bootstrap_external`
(no path finders, no source or bytecode files).
"""

__all__ = ["__import__", "import_module", "invalidate_caches", "reload"]

import sys
import _frozen_importlib as _bootstrap

_bootstrap.__name__ = "importlib._bootstrap"
_bootstrap.__package__ = "importlib"
sys.modules["importlib._bootstrap"] = _bootstrap

from ._bootstrap import __import__  # noqa: E402


def invalidate_caches():
    for finder in sys.meta_path:
        if hasattr(finder, "invalidate_caches"):
            finder.invalidate_caches()


def import_module(name, package=None):
    level = 0
    if name.startswith("."):
        if not package:
            raise TypeError("the 'package' argument is required to perform a relative "
                            "import for {!r}".format(name))
        for character in name:
            if character != ".":
                break
            level += 1
    return _bootstrap._gcd_import(name[level:], package, level)


_RELOADING = {}


def reload(module):
    try:
        name = module.__spec__.name
    except AttributeError:
        try:
            name = module.__name__
        except AttributeError:
            raise TypeError("reload() argument must be a module")
    if sys.modules.get(name) is not module:
        raise ImportError(f"module {name} not in sys.modules", name=name)
    if name in _RELOADING:
        return _RELOADING[name]
    _RELOADING[name] = module
    try:
        parent_name = name.rpartition(".")[0]
        if parent_name:
            try:
                parent = sys.modules[parent_name]
            except KeyError:
                raise ImportError(f"parent {parent_name!r} not in sys.modules",
                                  name=parent_name) from None
            else:
                pkgpath = parent.__path__
        else:
            pkgpath = None
        target = module
        spec = module.__spec__ = _bootstrap._find_spec(name, pkgpath, target)
        if spec is None:
            raise ModuleNotFoundError(f"spec not found for the module {name!r}", name=name)
        _bootstrap._exec(spec, module)
        return sys.modules[name]
    finally:
        try:
            del _RELOADING[name]
        except KeyError:
            pass
