#!/usr/bin/env bash
# Keeps the shared cargo target dir (scripts/env.sh) from filling the disk.
#
#   scripts/prune-target.sh
#
# Every fresh clone builds its own copy of each workspace test and bench
# executable (their hashes include the checkout's path), 200 to 600 MB each,
# so a machine that runs CI from fresh clones beside a working tree gains
# tens of GB per run. This removes, under $CARGO_TARGET_DIR/{debug,release}:
#   - incremental state (CI builds with CARGO_INCREMENTAL=0);
#   - every executable in deps/ but the newest of each name: cargo relinks an
#     executable it finds missing, so nothing is lost but link time.
# Libraries are left alone: several feature sets of one crate are legitimately
# built side by side (the wasmi-only build, the benches).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

[ -d "$CARGO_TARGET_DIR" ] || exit 0
before=$(df -Pk "$CARGO_TARGET_DIR" | awk 'NR==2 {print $4}')
python3 - "$CARGO_TARGET_DIR" <<'PY'
import collections, os, shutil, sys

target = sys.argv[1]
for profile in ("debug", "release"):
    shutil.rmtree(os.path.join(target, profile, "incremental"), ignore_errors=True)
    deps = os.path.join(target, profile, "deps")
    if not os.path.isdir(deps):
        continue
    groups = collections.defaultdict(list)
    for name in os.listdir(deps):
        path = os.path.join(deps, name)
        # Test and bench executables: `<name>-<hash>`, no extension, executable.
        if "." in name or "-" not in name or not os.path.isfile(path) or not os.access(path, os.X_OK):
            continue
        groups[name.rsplit("-", 1)[0]].append(path)
    for paths in groups.values():
        paths.sort(key=os.path.getmtime, reverse=True)
        for stale in paths[1:]:
            os.remove(stale)
PY
after=$(df -Pk "$CARGO_TARGET_DIR" | awk 'NR==2 {print $4}')
echo "target dir pruned: $(( (after - before) / 1024 / 1024 )) GiB freed, $(( after / 1024 / 1024 )) GiB free"
