"""The behaviour guest runtime-python's tests drive: the same actions, with
the same meaning, as runtime-wasm/tests/guest (actions.yaml), plus the
Python-specific hostile actions of hostile.yaml. Each action does exactly
what its name says and nothing clever."""

import morph

_config = None
_state = None
_events = []


def init(config):
    global _config
    if config.get("fail_init") is True:
        raise RuntimeError("init failed on purpose (fail_init)")
    _config = config


def _recurse(depth):
    if depth == 0:
        return 0
    return _recurse(depth - 1) + 1


def _call_catch(params):
    try:
        return {"ok": morph.invoke(params["capability"], params.get("request"))}
    except morph.MorphError as e:
        return {"error": {"code": e.code, "message": e.message}}


def _works(f):
    try:
        f()
        return True
    except BaseException:
        return False


def _ambient(port):
    """The language's own routes to the host: each is True if it worked."""
    def files():
        open("/etc/passwd").read()

    def env():
        import os
        if not (os.environ.get("PATH") or os.environ.get("HOME")):
            raise KeyError("no environment")

    def network():
        import socket
        socket.create_connection(("127.0.0.1", port), 1).close()

    def process():
        import subprocess
        subprocess.run(["/bin/sh", "-c", "true"], check=True)

    return {"files": _works(files), "env": _works(env), "network": _works(network),
            "process": _works(process)}


def _fs_roundtrip(params):
    path = params["path"]
    morph.fs.write(path, params["content"])
    content = morph.fs.read(path)["content"]
    listed = [e["name"] for e in morph.fs.list()]
    morph.fs.delete(path)
    after = [e["name"] for e in morph.fs.list()]
    return {"content": content, "listed": listed, "after_delete": after}


def _task_roundtrip(params):
    created = morph.data.create_task(params["title"])
    fetched = morph.data.get_task(created["id"])
    updated = morph.data.update_task(created["id"], status="done")
    listed = morph.data.list_tasks()
    return {
        "id": created["id"],
        "title": fetched["title"],
        "status_before": created["status"],
        "status_after": updated["status"],
        "listed": len(listed),
    }


def _grow_memory(mb):
    chunks = []
    for i in range(mb):
        chunks.append(bytes([i % 255 + 1]) * (1 << 20))
    return len(chunks)


def _allocate_at_once(kind, mb):
    n = mb << 20
    if kind == "string":
        return len("x" * n)
    if kind == "join":
        return len(",".join(["x"] * (n // 2)))
    if kind == "buffer":
        return len(bytearray(n))
    if kind == "array":
        return len(list(range(n // 8)))
    if kind == "number":
        return (2 ** (n * 8)).bit_length()
    raise ValueError("unknown kind " + kind)


def _swallow_forever():
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass


def _loop_in_handler():
    # The deadline passes inside an `except` body, in a loop whose every
    # instruction has a non-zero argument (`x` is the second local, the
    # operator a subtraction): the interrupt unwinds from it to the handler's
    # cleanup (`COPY 3`).
    pad = 1
    x = pad
    try:
        raise ValueError("handled")
    except ValueError:
        while x != 5:
            x = x - 2


def _deep_recursion_after_raising_limit():
    import sys
    try:
        sys.setrecursionlimit(10 ** 9)
    except AttributeError:
        pass
    return _recurse(10 ** 7)


def _list_grown_forever():
    xs = []
    while True:
        xs.append("x" * 1000)


def _cyclic_list():
    xs = [1]
    xs.append(xs)
    return xs


def _escape_walk():
    """Walks subclasses and function globals looking for a way out."""
    found = []
    for cls in object.__subclasses__():
        name = getattr(cls, "__name__", "")
        for attr in ("load_module", "create_module", "exec_module", "get_data", "find_spec"):
            if hasattr(cls, attr):
                found.append(name + "." + attr)
        for meth in list(vars(cls).values())[:50]:
            g = getattr(meth, "__globals__", None)
            if isinstance(g, dict):
                for k in ("os", "posix", "open", "system", "marshal", "_io"):
                    if k in g:
                        found.append(name + ":" + k)
    reached = []
    import sys
    for name in ("posix", "_marshal", "gc", "_signal", "socket", "subprocess", "_socket",
                 "_frozen_importlib_external", "_ctypes", "pwd", "_io.FileIO",
                 "_symtable", "_sysconfig", "_posixsubprocess", "select", "mmap"):
        try:
            __import__(name)
            reached.append(name)
        except BaseException:
            pass
    # The import machinery's own loaders cannot create a removed module.
    for cls in object.__subclasses__():
        if cls.__name__ in ("BuiltinImporter", "FrozenImporter"):
            for name in ("marshal", "_marshal", "gc", "posix", "os", "time", "_time"):
                try:
                    spec = cls.find_spec(name)
                    if spec is not None:
                        m = cls.create_module(spec)
                        if m is not None and (hasattr(m, "sleep") or hasattr(m, "system")
                                              or hasattr(m, "get_objects")):
                            reached.append(cls.__name__ + ":" + name)
                except BaseException:
                    pass
    return {"reached": reached, "sys": sorted(sys.builtin_module_names)}


def execute(action, params):
    if action == "echo":
        return params
    if action == "fail":
        raise Exception(params["message"])
    if action == "panic":
        raise SystemExit(params["message"])
    if action == "loop_forever":
        while True:
            pass
    if action == "grow_memory":
        return _grow_memory(params["mb"])
    if action == "allocate_at_once":
        return _allocate_at_once(params["kind"], params["mb"])
    if action == "recurse":
        return _recurse(params["depth"])
    if action == "big_output":
        return "x" * params["bytes"]
    if action == "call":
        return morph.invoke(params["capability"], params.get("request"))
    if action == "call_catch":
        return _call_catch(params)
    if action == "call_sequence":
        return [_call_catch(c) for c in params["calls"]]
    if action == "ambient":
        return _ambient(params.get("port", 9))
    if action == "log":
        times = params.get("times", 1)
        for _ in range(times):
            morph.log(params["message"])
        return times
    if action == "emit":
        morph.events.emit(params["message"])
        return None
    if action == "config":
        return morph.config()
    if action == "init_config":
        return _config
    if action == "state_set":
        global _state
        _state = params.get("value")
        return _state
    if action == "state_get":
        return _state
    if action == "events_seen":
        return _events
    if action == "vault_roundtrip":
        morph.vault.set(params["key"], params["value"])
        return {"value": morph.vault.get(params["key"])}
    if action == "fs_roundtrip":
        return _fs_roundtrip(params)
    if action == "task_roundtrip":
        return _task_roundtrip(params)
    if action == "http_get":
        resp = morph.http.get(params["url"])
        return {"status": resp["status"], "body": resp["body"]}
    # Python-specific hostile actions (hostile.yaml).
    if action == "swallow_forever":
        _swallow_forever()
    if action == "loop_in_handler":
        _loop_in_handler()
    if action == "deep_recursion":
        return _deep_recursion_after_raising_limit()
    if action == "huge_repeat":
        n = params.get("n", 10 ** 10)
        return len("a" * n)
    if action == "list_forever":
        _list_grown_forever()
    if action == "huge_pow":
        return 10 ** (10 ** 8) > 0
    if action == "cyclic":
        return _cyclic_list()
    if action == "import_os":
        import os
        return str(os)
    if action == "open_passwd":
        return open("/etc/passwd").read()
    if action == "escape_walk":
        return _escape_walk()
    if action == "sleep":
        __import__("time").sleep(100)
        return "slept"
    if action == "print":
        print(params["message"])
        print("to stderr", file=__import__("sys").stderr)
        return None
    if action == "json_roundtrip":
        import json
        text = json.dumps(params["value"], sort_keys=True)
        return {"text": text, "back": json.loads(text)}
    if action == "traceback":
        def inner():
            raise ValueError("deep inside")
        def outer():
            inner()
        outer()
    raise Exception("unknown action `%s`" % action)


def on_event(event):
    """Keeps the message, and stores it in the vault under `last_event` when
    the grants allow (a refused store is ignored)."""
    try:
        morph.vault.set("last_event", event["message"])
    except morph.MorphError:
        pass
    _events.append(event["message"])
