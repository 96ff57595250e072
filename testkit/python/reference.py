"""CPython reference driver: runs a Morph Python extension package under
CPython, for the tests that compare Morph's results with the reference
runtime's (the stdlib tour, the vendored libraries).

    python3 reference.py PACKAGE_DIR ACTION [PARAMS_JSON]

Imports PACKAGE_DIR/main.py with PACKAGE_DIR as the only import root besides
CPython's own standard library (no site-packages, no user site, no
PYTHONPATH, no script directory, no bytecode written), calls
``execute(ACTION, PARAMS)`` and prints the result as
``json.dumps(result, sort_keys=True)`` on one line: what `morph run ... --json`
must give as its `result`.

The run is made deterministic whatever the caller's environment: if it was
not started with PYTHONHASHSEED=0, TZ=UTC, -S -s -B and no other PYTHON*
variable, the script re-executes itself that way.
"""

import inspect
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def _clean_environment():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"
    env["TZ"] = "UTC"
    return env


def _needs_reexec():
    if os.environ.get("PYTHONHASHSEED") != "0" or os.environ.get("TZ") != "UTC":
        return True
    if any(k.startswith("PYTHON") and k != "PYTHONHASHSEED" for k in os.environ):
        return True
    flags = sys.flags
    return not (flags.no_site and flags.no_user_site and flags.dont_write_bytecode)


def main(argv):
    if len(argv) not in (3, 4):
        sys.stderr.write(__doc__)
        return 2
    if _needs_reexec():
        args = [sys.executable, "-S", "-s", "-B", os.path.abspath(__file__)] + argv[1:]
        os.execve(sys.executable, args, _clean_environment())
    package = os.path.abspath(argv[1])
    action = argv[2]
    params = json.loads(argv[3]) if len(argv) == 4 else {}
    if not os.path.isfile(os.path.join(package, "main.py")):
        sys.stderr.write("no main.py in %s\n" % package)
        return 2
    # Nothing but the standard library and the package: drop the script's own
    # directory (and any current-directory entry) from the path.
    sys.path[:] = [package] + [p for p in sys.path if p and os.path.abspath(p) != HERE]
    # What the extension prints goes to stderr: stdout holds only the result.
    real_stdout, sys.stdout = sys.stdout, sys.stderr
    try:
        import main as extension

        # As Morph does: `init(config)` once, then the call; an `async def`
        # is awaited (Morph without an event loop, CPython on one).
        if hasattr(extension, "init"):
            settle(extension.init({}))
        result = settle(extension.execute(action, params))
    finally:
        sys.stdout = real_stdout
    sys.stdout.write(json.dumps(result, sort_keys=True, allow_nan=False) + "\n")
    return 0


def settle(value):
    if inspect.iscoroutine(value):
        import asyncio

        return asyncio.run(value)
    return value


if __name__ == "__main__":
    sys.exit(main(sys.argv))
