"""Runs a Morph Python extension under CPython, the reference runtime, and
prints what its execute(action, params) returns as one line of JSON
(sort_keys=True). tests/all/stdlib.rs compares that with Morph's result.

    env -i PATH="$PATH" TZ=UTC PYTHONHASHSEED=0 \\
        python3 -s -S -B reference.py PACKAGE_DIR ACTION [PARAMS_JSON]

The cleared environment stands in for -I's -E (which would also ignore
PYTHONHASHSEED); -s and -S keep user and site packages out, -B writes no
bytecode into the package; this script takes its own directory off sys.path
and puts the package directory first, as -P would and Morph does.

The entry is the manifest's `entry:` (main.py when there is none). Whatever
the extension prints goes to stderr, so stdout holds only the result. Exits 1,
with the traceback on stderr, when loading or the call raises.
"""

import importlib
import json
import os
import re
import sys
import traceback


def entry_of(package):
    try:
        with open(os.path.join(package, "manifest.yaml"), encoding="utf-8") as f:
            for line in f:
                m = re.match(r"entry:\s*['\"]?([^'\"\s#]+)", line)
                if m:
                    return m.group(1)
    except FileNotFoundError:
        pass
    return "main.py"


def main(argv):
    if len(argv) not in (3, 4):
        sys.stderr.write(__doc__)
        return 2
    package, action = os.path.abspath(argv[1]), argv[2]
    params = json.loads(argv[3]) if len(argv) == 4 else {}
    entry = entry_of(package)
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [package] + [p for p in sys.path if p and os.path.abspath(p) != here]
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    try:
        module = importlib.import_module(entry[:-3].replace("/", "."))
        if hasattr(module, "init"):
            module.init({})
        result = module.execute(action, params)
        text = json.dumps(result, sort_keys=True)
    except BaseException:
        traceback.print_exc()
        return 1
    finally:
        sys.stdout = real_stdout
    real_stdout.write(text + "\n")
    real_stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
