"""Every stand-in and closed route of the sandbox, one probe each."""

import copy
import copyreg
import dataclasses
import importlib
import io
import marshal
import os
import pathlib
import pickle
import shutil
import signal
import sys
import tempfile
import threading
import types
import unittest
import _thread

# Only inside Morph's sandbox (where these probes are refused): on a real
# interpreter they would touch the machine.
import _morph  # noqa: F401


def _code():
    def f(x):
        y = x + 1
        return y
    return f.__code__


def _must_not_run(start):
    ran = []
    try:
        start(lambda: ran.append(1))
    finally:
        if ran:
            raise AssertionError("the thread's target ran")


def _threading_primitives():
    lock = threading.Lock()
    with lock:
        pass
    rlock = threading.RLock()
    with rlock:
        with rlock:
            pass
    cond = threading.Condition()
    with cond:
        cond.notify_all()
    event = threading.Event()
    event.set()
    sem = threading.Semaphore(2)
    sem.acquire()
    sem.release()
    local = threading.local()
    local.x = 1
    assert event.is_set() and local.x == 1 and isinstance(threading.get_ident(), int)
    return threading.current_thread().name


class _Sample(unittest.TestCase):
    def test_adds(self):
        self.assertEqual(1 + 1, 2)

    def test_raises(self):
        with self.assertRaises(ZeroDivisionError):
            1 / 0


def _unittest():
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(_Sample)
    result = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0).run(suite)
    return "%d %s" % (result.testsRun, result.wasSuccessful())


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Money:
    def __init__(self, cents):
        self.cents = cents


def _pickle():
    copyreg.pickle(Money, lambda m: (Money, (m.cents,)))
    value = {"p": Point(1, 2), "m": Money(250), "t": (1, 2.5, "x", b"y", None)}
    back = pickle.loads(pickle.dumps(value))
    return back["p"] == Point(1, 2) and back["m"].cents == 250 and back["t"] == value["t"]


def _absent(name):
    return lambda: importlib.import_module(name) and None


ROUTES = {
    # os: the pure parts work, the host is refused
    "os.path.join": lambda: os.path.join("a", "b", "../c"),
    "os.path.normpath": lambda: os.path.normpath("a/b/../c"),
    "os.fspath": lambda: os.fspath(pathlib.PurePosixPath("x/y")),
    "os.urandom": lambda: len(os.urandom(16)),
    "os.environ": lambda: len(os.environ),
    "os.getcwd": lambda: os.getcwd(),
    "os.path.exists": lambda: os.path.exists("/etc/passwd"),
    "os.walk": lambda: len(list(os.walk("/"))),
    "os.listdir": lambda: os.listdir("/"),
    "os.stat": lambda: os.stat("/etc/passwd"),
    "os.open": lambda: os.open("/etc/passwd", os.O_RDONLY),
    "os.system": lambda: os.system("exit 3"),
    "os.execv": lambda: os.execv("/nonexistent/morph-probe", ["x"]),
    "os.fork": lambda: os.fork(),
    "os.kill": lambda: os.kill(999999999, 0),
    "os.getpid": lambda: os.getpid(),
    "os.getuid": lambda: os.getuid(),
    # threads
    "threading.primitives": _threading_primitives,
    "threading.Thread.start": lambda: _must_not_run(
        lambda f: threading.Thread(target=f).start()),
    "_thread.start_new_thread": lambda: _must_not_run(
        lambda f: _thread.start_new_thread(f, ())),
    # paths and files
    "pathlib.pure": lambda: pathlib.PurePosixPath("/a/b").with_suffix(".txt"),
    "pathlib.read_text": lambda: pathlib.Path("/etc/passwd").read_text(),
    "pathlib.write_text": lambda: pathlib.Path("/nonexistent/morph-probe").write_text("x"),
    "tempfile.mkstemp": lambda: tempfile.mkstemp(),
    "tempfile.TemporaryDirectory": lambda: tempfile.TemporaryDirectory(),
    "shutil.copy": lambda: shutil.copy("/etc/passwd", "/nonexistent/morph-probe"),
    "shutil.rmtree": lambda: shutil.rmtree("/nonexistent/morph-probe"),
    "io.StringIO": lambda: io.StringIO("a\nb").readlines()[1],
    "io.open": lambda: io.open("/etc/passwd"),
    "builtins.open": lambda: open("/etc/passwd"),
    "_io.open": lambda: __import__("_io").open("/etc/passwd"),
    "_io.FileIO": lambda: __import__("_io").FileIO,
    # signals
    "signal.SIGTERM": lambda: int(signal.SIGTERM),
    "signal.signal": lambda: signal.signal(signal.SIGALRM, lambda *a: None),
    "signal.alarm": lambda: signal.alarm(1),
    # pure Python over the guest's own objects
    "unittest": _unittest,
    "pickle": _pickle,
    "marshal.data": lambda: marshal.loads(marshal.dumps([1, "a", {"b": 2.5}])),
    "marshal.dumps(code)": lambda: marshal.dumps(_code()),
    "marshal.loads(code)": lambda: marshal.loads(b"\xe3" + bytes(64)),
    # code objects come only from the compiler
    "CodeType()": lambda: types.CodeType(*([0] * 18)),
    "CodeType.__new__": lambda: types.CodeType.__new__(types.CodeType),
    "code.replace(co_code)": lambda: _code().replace(co_code=b"\x00" * 8),
    "code.replace(co_consts)": lambda: _code().replace(co_consts=(None, 2)),
    "code.replace(co_names)": lambda: _code().replace(co_names=("system",)),
    "code.replace(co_varnames)": lambda: _code().replace(co_varnames=("a", "b")),
    "code.replace(co_cellvars)": lambda: _code().replace(co_cellvars=("c",)),
    "code.replace(co_flags)": lambda: _code().replace(co_flags=0),
    "code.replace(co_stacksize)": lambda: _code().replace(co_stacksize=1),
    "copy.replace(code)": lambda: copy.replace(_code(), co_consts=(None,)),
    "code.replace(co_name)": lambda: _code().replace(co_name="".join(["re", "named"])).co_name,
    "code.replace(descriptive)": lambda: _code().replace(
        co_qualname="q", co_filename="<template>", co_firstlineno=7).co_firstlineno,
    # tracing and the import system
    "sys.settrace": lambda: sys.settrace(lambda *a: None),
    "sys.setprofile": lambda: sys.setprofile(lambda *a: None),
    "sys.path": lambda: (sys.path.append("/etc"), importlib.import_module("passwd")),
    "importlib.import_module": lambda: importlib.import_module("json").__name__,
    "native time.sleep": lambda: hasattr(__import__("_time"), "sleep"),
    "BuiltinImporter(time)": lambda: __import__("_frozen_importlib").BuiltinImporter.find_spec("time"),
    "BuiltinImporter(posix)": lambda: __import__("_frozen_importlib").BuiltinImporter.find_spec("posix"),
    # absent
    **{"import " + name: _absent(name) for name in (
        "socket", "select", "selectors", "subprocess", "ctypes", "mmap", "resource", "fcntl",
        "multiprocessing", "posix", "_posixsubprocess", "asyncio", "gc", "_marshal",
        "_frozen_importlib_external", "importlib._bootstrap_external", "urllib.request", "_socket",
        "_ssl", "_sqlite3", "pwd", "_signal")},
}
