"""os (Morph stand-in): the pure parts of `os`, none of the host.

A Morph extension has no file system, processes, users, environment or file
descriptors. What is pure computation works as on CPython (`os.path`, `sep`,
`fspath`, `PathLike`, `fsencode`); `urandom` comes from the host's CSPRNG;
`environ` is an empty mapping and `getcwd()` is `/`. Everything that would
touch the host raises `PermissionError` (an `OSError`, so library code that
already copes with a missing file copes with it too).
"""

import abc as _abc
import sys as _sys
import _morph

name = "posix"
linesep = "\n"
sep = "/"
altsep = None
extsep = "."
pathsep = ":"
curdir = "."
pardir = ".."
defpath = "/bin:/usr/bin"
devnull = "/dev/null"

SEEK_SET, SEEK_CUR, SEEK_END = 0, 1, 2
F_OK, R_OK, W_OK, X_OK = 0, 4, 2, 1
O_RDONLY, O_WRONLY, O_RDWR = 0, 1, 2
O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND = 0o100, 0o200, 0o400, 0o1000, 0o2000
O_NONBLOCK, O_CLOEXEC, O_NOFOLLOW, O_DIRECTORY = 0o4000, 0o2000000, 0o400000, 0o200000
EX_OK = 0

error = OSError

supports_bytes_environ = True
supports_dir_fd = set()
supports_effective_ids = set()
supports_fd = set()
supports_follow_symlinks = set()

import posixpath as path  # noqa: E402

_sys.modules["os.path"] = path


def _denied(what):
    def refused(*args, **kwargs):
        raise PermissionError(
            "morph sandbox: %s is not available to extensions (no file system, "
            "processes or host state)" % what)
    refused.__name__ = what
    refused.__qualname__ = what
    return refused


class _Environ(dict):
    """An empty environment: the host's variables never reach a guest."""

    def copy(self):
        return dict(self)


environ = _Environ()
environb = {}


def getenv(key, default=None):
    return environ.get(key, default)


def getenvb(key, default=None):
    return environb.get(key, default)


def putenv(key, value):
    """The sandbox's environment is its own: nothing reaches the host."""


def unsetenv(key):
    """The sandbox's environment is its own: nothing reaches the host."""


def getcwd():
    return "/"


def getcwdb():
    return b"/"


def urandom(size):
    """`size` bytes from the host's CSPRNG."""
    if size < 0:
        raise ValueError("negative argument not allowed")
    return _morph.urandom(size)


def cpu_count():
    return None


def process_cpu_count():
    return None


def register_at_fork(*, before=None, after_in_child=None, after_in_parent=None):
    """Accepted: the sandbox never forks, so the functions never run."""


def get_terminal_size(fd=1):
    raise OSError("morph sandbox: there is no terminal")


def fspath(p):
    if isinstance(p, (str, bytes)):
        return p
    path_type = type(p)
    try:
        path_repr = path_type.__fspath__(p)
    except AttributeError:
        if hasattr(path_type, "__fspath__"):
            raise
        raise TypeError("expected str, bytes or os.PathLike object, not "
                        + path_type.__name__)
    if isinstance(path_repr, (str, bytes)):
        return path_repr
    raise TypeError("expected {}.__fspath__() to return str or bytes, not {}".format(
        path_type.__name__, type(path_repr).__name__))


def fsencode(filename):
    filename = fspath(filename)
    if isinstance(filename, str):
        return filename.encode("utf-8", "surrogateescape")
    return filename


def fsdecode(filename):
    filename = fspath(filename)
    if isinstance(filename, bytes):
        return filename.decode("utf-8", "surrogateescape")
    return filename


class PathLike(_abc.ABC):
    """Abstract base class for implementing the file system path protocol."""

    __slots__ = ()

    @_abc.abstractmethod
    def __fspath__(self):
        raise NotImplementedError

    @classmethod
    def __subclasshook__(cls, subclass):
        if cls is PathLike:
            return hasattr(subclass, "__fspath__")
        return NotImplemented

    __class_getitem__ = classmethod(type(list[int]))


class terminal_size(tuple):
    """(columns, lines)"""

    def __new__(cls, seq):
        return tuple.__new__(cls, seq)

    columns = property(lambda self: self[0])
    lines = property(lambda self: self[1])


class stat_result(tuple):
    """A stat result (never produced in the sandbox; defined for type checks)."""

    n_sequence_fields = 10

    def __new__(cls, seq, dict=None):
        return tuple.__new__(cls, seq)

    st_mode = property(lambda self: self[0])
    st_ino = property(lambda self: self[1])
    st_dev = property(lambda self: self[2])
    st_nlink = property(lambda self: self[3])
    st_uid = property(lambda self: self[4])
    st_gid = property(lambda self: self[5])
    st_size = property(lambda self: self[6])
    st_atime = property(lambda self: self[7])
    st_mtime = property(lambda self: self[8])
    st_ctime = property(lambda self: self[9])


class DirEntry:
    """Defined for type checks; `scandir` is refused."""


def walk(top, topdown=True, onerror=None, followlinks=False):
    """Walks nothing: listing a directory is refused (reported to `onerror`)."""
    try:
        listdir(top)
    except OSError as err:
        if onerror is not None:
            onerror(err)
    return
    yield


def fwalk(top=".", topdown=True, onerror=None, *, follow_symlinks=False, dir_fd=None):
    return walk(top, topdown, onerror)


for _name in (
    # files and directories
    "open", "close", "closerange", "read", "write", "pread", "pwrite", "lseek",
    "fsync", "fdatasync", "ftruncate", "truncate", "dup", "dup2", "pipe", "pipe2",
    "stat", "lstat", "fstat", "statvfs", "fstatvfs", "access", "listdir",
    "scandir", "mkdir", "makedirs", "rmdir", "removedirs", "remove", "unlink",
    "rename", "renames", "replace", "link", "symlink", "readlink", "chdir",
    "fchdir", "chmod", "fchmod", "lchmod", "chown", "fchown", "lchown", "chroot",
    "utime", "mkfifo", "mknod", "sync", "sendfile", "copy_file_range",
    "get_blocking", "set_blocking", "get_inheritable", "set_inheritable",
    "isatty", "ttyname", "openpty", "device_encoding", "fdopen", "memfd_create",
    "getxattr", "setxattr", "listxattr", "removexattr", "posix_fallocate",
    # processes and signals
    "system", "popen", "fork", "forkpty", "kill", "killpg", "abort", "_exit",
    "execl", "execle", "execlp", "execlpe", "execv", "execve", "execvp",
    "execvpe", "spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnv", "spawnve",
    "spawnvp", "spawnvpe", "posix_spawn", "posix_spawnp", "wait", "wait3",
    "wait4", "waitpid", "waitid", "nice", "times",
    "getpgid", "setpgid", "getsid", "setsid", "getppid", "getpgrp",
    "sched_getaffinity", "sched_setaffinity", "pidfd_open",
    # users and the host
    "getuid", "geteuid", "getgid", "getegid", "getgroups", "getlogin",
    "setuid", "seteuid", "setgid", "setegid", "setgroups", "umask", "uname",
    "getloadavg", "ctermid", "confstr", "sysconf", "pathconf", "fpathconf",
    "startfile", "get_exec_path", "add_dll_directory",
):
    globals()[_name] = _denied("os." + _name)
del _name
