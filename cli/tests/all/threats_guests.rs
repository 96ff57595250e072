//! THREATS.md, "Guests reaching the host without the broker", through the
//! real `morph` binary: nothing ambient reaches a JavaScript or Python
//! guest. Each guest reports everything its language offers about where it
//! runs (globals, stacks, `import.meta`, `sys`, `os`, `socket`, `platform`,
//! tracebacks, its own files, tasks and vault); none of it may carry the
//! host's environment, argv, pid, cwd, hostname, temporary paths or another
//! extension's id.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use morph_testkit::PackageSpec;
use serde_json::Value;

/// Values the host holds that a guest must never see.
const ENV_MARKER: &str = "amb1ent-env-value";
const CWD_MARKER: &str = "amb1ent-cwd-dir";
const PACKAGE_MARKER: &str = "amb1ent-package-dir";
const DATA_MARKER: &str = "amb1ent-data-dir";
/// The extension that ran before the probe in the same data dir.
const OTHER_ID: &str = "amb1ent-other-extension";

const JS: &str = r#"function probe(f) {
  try {
    const v = f();
    return v === undefined ? "undefined" : v;
  } catch (e) {
    return "threw " + (e && e.name) + ": " + (e && e.message);
  }
}

export function execute(action, params) {
  if (action === "seed") {
    morph.fs.write("mine.txt", "mine");
    morph.data.createTask("mine");
    morph.vault.set("k", "mine");
    morph.events.emit("hello from the other extension");
    return null;
  }
  const names = ["process", "Deno", "Bun", "require", "module", "exports",
    "__dirname", "__filename", "navigator", "location", "document", "window",
    "importScripts", "os", "std", "scriptArgs", "environment", "arguments"];
  return {
    globals: Object.getOwnPropertyNames(globalThis),
    typeofs: names.map((n) => [n, probe(() => typeof globalThis[n])]),
    stack: probe(() => new Error("where am I").stack),
    thrown: probe(() => { null.x; }),
    import_meta: probe(() => JSON.stringify(import.meta)),
    import_meta_url: probe(() => String(import.meta.url)),
    morph: probe(() => Object.getOwnPropertyNames(morph)),
    config: probe(() => morph.config()),
    files: probe(() => morph.fs.list()),
    tasks: probe(() => morph.data.listTasks()),
    vault: probe(() => morph.vault.get("k")),
    intl: probe(() => Intl.DateTimeFormat().resolvedOptions()),
  };
}
"#;

const PY: &str = r#"import os
import sys

import morph


def probe(f):
    try:
        return repr(f())
    except BaseException as e:
        return "raised " + type(e).__name__ + ": " + str(e)


def _thrown():
    import traceback
    try:
        None.x
    except Exception:
        return traceback.format_exc()


def execute(action, params):
    if action == "seed":
        morph.fs.write("mine.txt", "mine")
        morph.data.create_task("mine")
        morph.vault.set("k", "mine")
        morph.events.emit("hello from the other extension")
        return None
    return {
        "sys.argv": probe(lambda: sys.argv),
        "sys.orig_argv": probe(lambda: sys.orig_argv),
        "sys.executable": probe(lambda: sys.executable),
        "sys.path": probe(lambda: sys.path),
        "sys.prefix": probe(lambda: sys.prefix),
        "sys.modules": probe(lambda: sorted(sys.modules)),
        "sys.flags": probe(lambda: sys.flags),
        "os.environ": probe(lambda: dict(os.environ)),
        "os.getenv": probe(lambda: os.getenv("MORPH_THREATS_MARKER")),
        "os.getcwd": probe(os.getcwd),
        "os.getpid": probe(lambda: os.getpid()),
        "os.getppid": probe(lambda: os.getppid()),
        "os.uname": probe(lambda: os.uname()),
        "os.path.expanduser": probe(lambda: os.path.expanduser("~")),
        "os.path.abspath": probe(lambda: os.path.abspath(".")),
        "socket.gethostname": probe(lambda: __import__("socket").gethostname()),
        "platform.node": probe(lambda: __import__("platform").node()),
        "platform.uname": probe(lambda: __import__("platform").uname()),
        "getpass.getuser": probe(lambda: __import__("getpass").getuser()),
        "tempfile.gettempdir": probe(lambda: __import__("tempfile").gettempdir()),
        "__file__": probe(lambda: __file__),
        "morph.__file__": probe(lambda: morph.__file__),
        "stack": probe(lambda: __import__("traceback").format_stack()),
        "thrown": probe(_thrown),
        "config": probe(morph.config),
        "files": probe(morph.fs.list),
        "tasks": probe(morph.data.list_tasks),
        "vault": probe(lambda: morph.vault.get("k")),
    }
"#;

const ACTIONS: &str = r#"actions:
  - name: seed
    description: Leaves a file, a task, a vault value and an event behind
  - name: probe
    description: Reports what the guest can see of its surroundings
"#;

const PERMISSIONS: [&str; 7] = [
    "fs:read",
    "fs:write",
    "data:read",
    "data:write",
    "vault:read",
    "vault:write",
    "event:emit",
];

/// Runs `morph run PKG ACTION --json` from `cwd` with the marker in its
/// environment; the envelope and the pid `morph` ran as.
fn run(cwd: &Path, data: &Path, pkg: &Path, action: &str) -> (Value, u32) {
    let child = Command::new(env!("CARGO_BIN_EXE_morph"))
        .arg("run")
        .arg(pkg)
        .arg(action)
        .arg("--json")
        .arg("--data-dir")
        .arg(data)
        .current_dir(cwd)
        .env_remove("MORPH_DATA_DIR")
        .env_remove("MORPH_LOG")
        .env("MORPH_THREATS_MARKER", ENV_MARKER)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{action}: not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(out.status.code(), Some(0), "{action}: {doc}");
    (doc, pid)
}

/// Every string and number in `v`, as text.
fn leaves(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Array(xs) => xs.iter().for_each(|x| leaves(x, out)),
        Value::Object(m) => m.values().for_each(|x| leaves(x, out)),
        _ => {}
    }
}

/// Whether `text` holds `number` as a whole number (no digit either side).
fn holds_number(text: &str, number: &str) -> bool {
    text.match_indices(number).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + number.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

fn hostname() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let name = name.trim().to_owned();
    (name.len() >= 4 && name != "localhost").then_some(name)
}

fn probe_language(runtime: &str, entry: &str, code: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path().join(CWD_MARKER);
    let packages = tmp.path().join(PACKAGE_MARKER);
    let data = tmp.path().join(DATA_MARKER);
    std::fs::create_dir_all(&cwd).unwrap();
    let write = |id: &str| -> PathBuf {
        PackageSpec::new(id, runtime, entry, code, ACTIONS)
            .permissions(&PERMISSIONS)
            .write(&packages)
    };
    let other = write(OTHER_ID);
    let probe = write(&format!("amb1ent-probe-{runtime}"));
    run(&cwd, &data, &other, "seed");
    let (doc, pid) = run(&cwd, &data, &probe, "probe");
    let report = &doc["result"];
    assert!(report.is_object(), "{doc}");

    let mut texts = Vec::new();
    leaves(report, &mut texts);
    let mut forbidden = vec![
        ENV_MARKER.to_owned(),
        CWD_MARKER.to_owned(),
        PACKAGE_MARKER.to_owned(),
        DATA_MARKER.to_owned(),
        OTHER_ID.to_owned(),
        tmp.path().display().to_string(),
        std::env::current_dir().unwrap().display().to_string(),
        env!("CARGO_MANIFEST_DIR").to_owned(),
        env!("CARGO_BIN_EXE_morph").to_owned(),
    ];
    forbidden.extend(hostname());
    for text in &texts {
        for needle in &forbidden {
            assert!(
                !text.contains(needle.as_str()),
                "{runtime}: the guest saw `{needle}` in {text}\nreport: {report:#}"
            );
        }
        assert!(
            !holds_number(text, &pid.to_string()),
            "{runtime}: the guest saw the host's pid {pid} in {text}\nreport: {report:#}"
        );
    }
    // What it does see of its own data is its own, and empty.
    assert_eq!(
        report["files"],
        if runtime == "js" {
            serde_json::json!([])
        } else {
            Value::from("[]")
        },
        "{runtime}: {report:#}"
    );
}

/// THREATS.md, "Guests reaching the host without the broker": nothing
/// ambient (environment, argv, host pid, cwd, hostname, other extensions'
/// ids) reaches a JavaScript guest: not through globals, stacks,
/// `import.meta` or its own files, tasks and vault.
#[test]
fn nothing_ambient_reaches_a_javascript_guest() {
    probe_language("js", "index.js", JS);
}

/// THREATS.md, "Guests reaching the host without the broker": nothing
/// ambient (environment, argv, host pid, cwd, hostname, other extensions'
/// ids) reaches a Python guest: not through `sys`, `os`, `socket`,
/// `platform`, `getpass`, `tempfile`, `__file__`, tracebacks or its own
/// files, tasks and vault.
#[test]
fn nothing_ambient_reaches_a_python_guest() {
    probe_language("python", "main.py", PY);
}
