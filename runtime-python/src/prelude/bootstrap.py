"""Guest stdout and stderr: lines go to the `log` capability."""

import sys
import _morph


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


sys.stdout = sys.__stdout__ = _GuestStream(1)
sys.stderr = sys.__stderr__ = _GuestStream(2)
del _GuestStream
