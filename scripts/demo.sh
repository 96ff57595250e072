#!/usr/bin/env bash
# Morph's first command. Builds the demo's Rust guest and the `morph` CLI
# (cargo's own progress on screen), then shows what Morph is for: one job as
# three extensions, in Rust compiled to wasm, JavaScript and Python
# (examples/demo), under the same manifest permissions and limits, in four
# parts:
#   1. the allowed work, with the same result in each language;
#   2. what the manifests do not grant (another host, a file), refused by the
#      one broker with the same codes;
#   3. a runaway loop in each language, stopped by the time limit (`timeout`);
#   4. `morph audit --verify` over the one log that recorded the calls.
# Offline: the only host is a loopback server the script starts. Everything
# it creates (data dir, audit key, module cache, copies of the extensions)
# lives in one temp dir, removed with the server on exit. The CLI is the
# debug build scripts/test.sh makes, so the two share one build.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

step() { printf '\n==> %s\n' "$*"; }

command -v python3 >/dev/null || {
    echo "demo.sh: needs python3 (the loopback server and the side-by-side tables)" >&2
    exit 2
}

# Cargo's progress goes to stdout with the rest (a progress bar on a
# terminal, one line per crate in a pipe), in order.
morph="$CARGO_TARGET_DIR/debug/morph"
step "Build 1/2: the demo's Rust extension (examples/demo/wasm) for wasm32-unknown-unknown"
echo "A minute or so the first time, seconds after."
./scripts/build-guests.sh --demo 2>&1

step "Build 2/2: the morph CLI (debug, the build scripts/test.sh uses too)"
if [ -x "$morph" ]; then
    echo "Reusing the build in $CARGO_TARGET_DIR: cargo rebuilds what changed, seconds when nothing did."
else
    echo "First build: about 670 crates (wasmer with Cranelift, wasmi, Boa, RustPython, tokio, ...),"
    echo "about 15 minutes on a 2-core machine, into $CARGO_TARGET_DIR. Later runs take seconds."
fi
cargo build -p morph-cli --locked 2>&1
echo "Built: $morph"

langs=(wasm js python)
tmp="$(mktemp -d "${TMPDIR:-/tmp}/morph-demo.XXXXXX")"
server=""
cleanup() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# The audit signing key and the compiled-module cache default to the user's
# config and cache dirs: keep them in the temp dir too.
export MORPH_AUDIT_KEY_FILE="$tmp/audit.key" MORPH_CACHE_DIR="$tmp/cache"
data="$tmp/data"
mkdir -p "$tmp/www" "$tmp/out"
cp examples/demo/server/tasks.json "$tmp/www/"

# The loopback server: a free port picked by the kernel, written to a file
# once it listens.
python3 - "$tmp/www" "$tmp/port" >"$tmp/server.log" 2>&1 <<'PY' &
import functools, http.server, os, sys

root, port_file = sys.argv[1], sys.argv[2]

class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=root))
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_port))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
PY
server=$!
for _ in $(seq 100); do
    [ -s "$tmp/port" ] && break
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
done
[ -s "$tmp/port" ] || {
    echo "demo.sh: the loopback server did not start:" >&2
    cat "$tmp/server.log" >&2
    exit 1
}
port="$(cat "$tmp/port")"
host="127.0.0.1:$port"

# The three extensions, copied with the server's port in allowed_hosts (the
# manifests hold a placeholder, 127.0.0.1:8000).
for lang in "${langs[@]}"; do
    mkdir -p "$tmp/ext/$lang"
    for f in examples/demo/"$lang"/*; do
        case "$f" in */extension.wasm | */*.js | */*.py) cp "$f" "$tmp/ext/$lang/" ;; esac
    done
    sed "s/127\.0\.0\.1:8000/$host/" examples/demo/"$lang"/manifest.yaml >"$tmp/ext/$lang/manifest.yaml"
done

# run ACTION PARAMS: ACTION of each extension; the envelopes to
# $tmp/out/LANG.json, the wall time to LANG.ms, stderr to LANG.err.
run() {
    local lang start end
    if [ "${#2}" -le 20 ]; then
        printf "  \$ morph run \$DEMO/<lang> %s --params '%s' --json --data-dir \$DEMO/data\n" "$1" "$2"
    else
        printf "  \$ morph run \$DEMO/<lang> %s --json --data-dir \$DEMO/data %s\n        --params '%s'\n" \
            "$1" '\' "$2"
    fi
    for lang in "${langs[@]}"; do
        start="${EPOCHREALTIME//[.,]/}"
        "$morph" run "$tmp/ext/$lang" "$1" --params "$2" --json --data-dir "$data" \
            >"$tmp/out/$lang.json" 2>"$tmp/out/$lang.err" || true
        end="${EPOCHREALTIME//[.,]/}"
        echo $(((end - start) / 1000)) >"$tmp/out/$lang.ms"
    done
}

# report MODE [ARG]: prints the side-by-side rows of what `run` left in
# $tmp/out and checks the promise; exits 1 when the languages disagree.
report() {
    python3 - "$tmp/out" "$@" <<'PY'
import json, os, sys

out, mode, args = sys.argv[1], sys.argv[2], sys.argv[3:]
LANGS = [("wasm", "Rust (wasm)"), ("js", "JavaScript"), ("python", "Python")]

def load(lang, ext):
    with open(os.path.join(out, lang + ext)) as f:
        return f.read()

def envelope(lang):
    try:
        return json.loads(load(lang, ".json"))
    except ValueError:
        sys.exit("  %s: no envelope; stderr:\n%s" % (lang, load(lang, ".err")[-2000:]))

def short(text, width=50):
    return text if len(text) <= width else text[: width - 3] + "..."

def detail(message):
    """The message without the words that restate its code."""
    head, sep, rest = message.partition(": ")
    return rest if sep and len(head) <= 25 else message

def fail(why):
    print("  => NOT THE SAME: " + why)
    sys.exit(1)

if mode == "result":
    results = []
    for lang, label in LANGS:
        env = envelope(lang)
        if not env.get("ok"):
            fail("%s failed: %s" % (label, json.dumps(env.get("error"))))
        text = json.dumps(env["result"], sort_keys=True, separators=(",", ":"))
        results.append(text)
        print("  %-11s  ok  %s" % (label, short(text, 64)))
    if len(set(results)) != 1:
        fail("the results differ")
    print("  => the same result from all three")
elif mode == "code":
    (expected,) = args
    for lang, label in LANGS:
        env = envelope(lang)
        error = env.get("error") or {}
        code = error.get("code", "ok")
        why = detail(error.get("message", ""))
        if expected == "timeout":
            why = "after %.1f s: %s" % (int(load(lang, ".ms")) / 1000, why)
        print("  %-11s  %s  %s" % (label, code, short(why, 76 - 15 - len(code))))
        if code != expected:
            fail("%s answered %s, not %s" % (label, code, expected))
    if expected == "timeout":
        print("  => one limit, one code in all three: timeout")
    else:
        print("  => one broker, one code in all three: " + expected)
elif mode == "manifests":
    seen = {}
    for lang, _ in LANGS:
        doc = json.loads(load(lang, ".inspect"))
        seen[lang] = json.dumps({
            "permissions": [p["permission"] for p in doc["permissions"] if p["granted"]],
            "hosts": doc["allowed_hosts"],
            "limits": {l["limit"]: l["value"] for l in doc["limits"]},
        })
    if len(set(seen.values())) != 1:
        fail("the manifests grant different things: " + json.dumps(seen))
    same = json.loads(seen["wasm"])
    limits = same["limits"]
    print("  What each of the three manifests grants, the same in all three:")
    print("    permissions  %s (no files)" % ", ".join(same["permissions"]))
    print("    hosts        %s" % ", ".join(same["hosts"]))
    print("    limits       max_execution_ms %d, max_memory_mb %d, max_http_requests %d" % (
        limits["max_execution_ms"], limits["max_memory_mb"], limits["max_http_requests"]))
elif mode == "audit":
    records = json.loads(load("audit", ".json"))
    for lang, _ in LANGS:
        mine = [r for r in records if r["extension"] == "demo-" + lang]
        denied = sorted({r["outcome"] for r in mine if r["decision"] == "denied"})
        allowed = sum(1 for r in mine if r["decision"] == "allowed")
        print("  %-12s %2d records, %d denied: %s" % (
            "demo-" + lang, len(mine), len(mine) - allowed, ", ".join(denied)))
PY
}

cat <<EOF

The demo: examples/demo/{wasm,js,python}, one extension in three languages.
A loopback server on $host serves tasks.json. The temp dir
DEMO=$tmp
holds copies of the extensions (that port in their allowed_hosts), one data
dir and its audit log; it goes when the demo ends.
EOF

step "1/4 Allowed: one job in Rust (wasm), JavaScript and Python, one result"
for lang in "${langs[@]}"; do
    "$morph" inspect --json "$tmp/ext/$lang" >"$tmp/out/$lang.inspect"
done
report manifests
run import "{\"url\":\"http://$host/tasks.json\"}"
report result

step "2/4 Not granted (another host, a file): one broker, one code each"
echo "  import from example.com, a host no manifest lists (refused before any lookup)"
run import '{"url":"http://example.com/tasks.json"}'
report code host_not_allowed
echo '  read_notes: fs.read("notes.txt"); no manifest asks for a files permission'
run read_notes '{}'
report code permission_denied

step "3/4 A limit: a runaway loop in each language, stopped at max_execution_ms"
echo "  spin: Rust loop {}, JavaScript for (;;) {}, Python while True: pass"
run spin '{}'
report code timeout

step "4/4 One audit log for all three: every capability call, chained and signed"
"$morph" audit --json --limit 1000 --data-dir "$data" >"$tmp/out/audit.json"
report audit
echo '  $ morph audit --verify --data-dir $DEMO/data'
"$morph" audit --verify --data-dir "$data" | sed 's/^/  /'

cat <<EOF

The morph binary the demo built:
  $morph
Go on with it by hand: examples/demo/README.md runs these extensions without
the script, the README's "The CLI" lists every command. Or put a release
build on your PATH:
  cargo install --path cli --locked
EOF
