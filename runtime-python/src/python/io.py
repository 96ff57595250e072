"""io (Morph stand-in): in-memory streams only.

`StringIO`, `BytesIO` and the buffered and text wrappers over them work as on
CPython; the sandbox has no file system, so `open` and `open_code` raise
`PermissionError` and there is no `FileIO`.
"""

__all__ = ["BlockingIOError", "open", "open_code", "IOBase", "RawIOBase",
           "StringIO", "BytesIO", "BufferedIOBase", "BufferedReader",
           "BufferedWriter", "BufferedRWPair", "BufferedRandom", "TextIOBase",
           "TextIOWrapper", "UnsupportedOperation", "SEEK_SET", "SEEK_CUR",
           "SEEK_END", "DEFAULT_BUFFER_SIZE", "text_encoding",
           "IncrementalNewlineDecoder", "Reader", "Writer"]

import _io
import abc

from _collections_abc import _check_methods
from _io import (DEFAULT_BUFFER_SIZE, BlockingIOError, UnsupportedOperation,
                 BytesIO, BufferedReader, BufferedWriter,
                 BufferedRWPair, BufferedRandom, IncrementalNewlineDecoder,
                 text_encoding, TextIOWrapper)


def _universal(text):
    return text.replace("\r\n", "\n").replace("\r", "\n")


class StringIO(_io.StringIO):
    """Text I/O in memory. With `newline=None` the text written (and the
    initial value) has its `\r\n` and `\r` line endings translated to
    `\n`, as on CPython (RustPython 0.5's StringIO keeps them)."""

    def __init__(self, initial_value="", newline="\n"):
        if newline is None:
            super().__init__("", "\n")
            self._morph_universal = True
            if initial_value:
                super().write(_universal(initial_value))
                self.seek(0)
        else:
            super().__init__(initial_value, newline)
            self._morph_universal = False

    def write(self, s):
        if self._morph_universal and isinstance(s, str):
            super().write(_universal(s))
            return len(s)
        return super().write(s)


def open(file, mode="r", buffering=-1, encoding=None, errors=None,
         newline=None, closefd=True, opener=None):
    """Refused: a Morph extension has no file system (use morph.fs)."""
    raise PermissionError(
        "morph sandbox: no file system access (open %r); use morph.fs" % (file,))


def open_code(path):
    """Refused: a Morph extension has no file system."""
    raise PermissionError("morph sandbox: no file system access (open_code %r)" % (path,))


SEEK_SET = 0
SEEK_CUR = 1
SEEK_END = 2


class IOBase(_io._IOBase, metaclass=abc.ABCMeta):
    __doc__ = _io._IOBase.__doc__


class RawIOBase(_io._RawIOBase, IOBase):
    __doc__ = _io._RawIOBase.__doc__


class BufferedIOBase(_io._BufferedIOBase, IOBase):
    __doc__ = _io._BufferedIOBase.__doc__


class TextIOBase(_io._TextIOBase, IOBase):
    __doc__ = _io._TextIOBase.__doc__


for klass in (BytesIO, BufferedReader, BufferedWriter, BufferedRandom,
              BufferedRWPair):
    BufferedIOBase.register(klass)

for klass in (StringIO, TextIOWrapper):
    TextIOBase.register(klass)
del klass

GenericAlias = type(list[int])


class Reader(metaclass=abc.ABCMeta):
    """Protocol for simple I/O reader instances."""

    __slots__ = ()

    @abc.abstractmethod
    def read(self, size=..., /):
        """Read data from the input stream and return it."""

    @classmethod
    def __subclasshook__(cls, C):
        if cls is Reader:
            return _check_methods(C, "read")
        return NotImplemented

    __class_getitem__ = classmethod(GenericAlias)


class Writer(metaclass=abc.ABCMeta):
    """Protocol for simple I/O writer instances."""

    __slots__ = ()

    @abc.abstractmethod
    def write(self, data, /):
        """Write *data* to the output stream."""

    @classmethod
    def __subclasshook__(cls, C):
        if cls is Writer:
            return _check_methods(C, "write")
        return NotImplemented

    __class_getitem__ = classmethod(GenericAlias)
