"""shutil (Morph stand-in): importable, every file operation refused.

`get_terminal_size` answers the default size (80x24) as CPython does when
there is no terminal; everything that would copy, move, remove, archive or
look up files and programs raises `PermissionError`.
"""

import os as _os


class Error(OSError):
    pass


class SameFileError(Error):
    pass


class SpecialFileError(OSError):
    pass


class ExecError(OSError):
    pass


class ReadError(OSError):
    pass


class RegistryError(Exception):
    pass


def get_terminal_size(fallback=(80, 24)):
    return _os.terminal_size(fallback)


def _refused(what):
    def refused(*args, **kwargs):
        raise PermissionError("morph sandbox: shutil.%s is not available (no file system)" % what)
    refused.__name__ = what
    return refused


for _name in ("copyfileobj", "copyfile", "copymode", "copystat", "copy", "copy2",
              "copytree", "move", "rmtree", "make_archive", "unpack_archive",
              "get_archive_formats", "register_archive_format",
              "unregister_archive_format", "get_unpack_formats",
              "register_unpack_format", "unregister_unpack_format",
              "ignore_patterns", "chown", "which", "disk_usage"):
    globals()[_name] = _refused(_name)
del _name
