//! Issue 26, point 2, through the real `morph` binary: a JavaScript or a
//! Python guest that tries to fill the disk hits its quota first. Writing
//! files (or creating tasks) in a loop until refused ends the call with
//! `quota_exceeded` (exit 1), the refusal is audited as denied, and the data
//! dir holds exactly what the quota allows; a host-wide `--quota` lowers the
//! manifest's own quota. One test body runs on both languages.

use std::path::Path;
use std::process::Command;

use morph_testkit::PackageSpec;
use serde_json::Value;

/// Writes `bytes`-byte files (or creates tasks) until the host refuses;
/// never returns normally.
const JS: &str = r#"export function execute(action, params) {
  if (action === "fill") {
    const content = "x".repeat(params.bytes);
    for (let i = 0; ; i++) morph.fs.write(`dir/f${i}.txt`, content);
  }
  if (action === "tasks") {
    for (let i = 0; ; i++) morph.data.createTask(`task ${i}`);
  }
  return null;
}
"#;

const PY: &str = r#"import morph

def execute(action, params):
    if action == "fill":
        content = "x" * params["bytes"]
        i = 0
        while True:
            morph.fs.write("dir/f%d.txt" % i, content)
            i += 1
    if action == "tasks":
        i = 0
        while True:
            morph.data.create_task("task %d" % i)
            i += 1
    return None
"#;

const ACTIONS: &str = "actions:
  - {name: fill, description: Writes files until refused, parameters: [{name: bytes, type: integer, required: true}]}
  - {name: tasks, description: Creates tasks until refused}
";

/// The guest in both languages: (id, runtime, entry, code).
const GUESTS: [(&str, &str, &str, &str); 2] = [
    ("quota-js", "js", "index.js", JS),
    ("quota-python", "python", "main.py", PY),
];

/// Runs `morph run PKG ACTION --json` on `data` with `extra` arguments.
fn run(
    data: &Path,
    pkg: &Path,
    action: &str,
    params: &str,
    extra: &[&str],
) -> (Option<i32>, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_morph"))
        .arg("run")
        .arg(pkg)
        .arg(action)
        .args(["--params", params, "--json", "--data-dir"])
        .arg(data)
        .args(extra)
        .env_remove("MORPH_DATA_DIR")
        .env_remove("MORPH_QUOTA")
        .env_remove("MORPH_QUARANTINE_STRIKES")
        .env_remove("MORPH_LOG")
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), doc)
}

/// The call was refused with `quota_exceeded` naming `field`, its last
/// audit record is that refusal, denied, and `allowed` calls of
/// `capability` succeeded before it.
fn assert_refused(code: Option<i32>, env: &Value, capability: &str, field: &str, allowed: usize) {
    assert_eq!(code, Some(1), "the extension's failure: {env}");
    assert_eq!(env["error"]["code"], "quota_exceeded", "{env}");
    let message = env["error"]["message"].as_str().unwrap();
    assert!(message.contains(field), "{message}");
    let audit = env["audit"].as_array().unwrap();
    let last = audit.last().unwrap();
    assert_eq!(last["capability"], capability, "{last}");
    assert_eq!(last["outcome"], "quota_exceeded", "{last}");
    assert_eq!(last["decision"], "denied", "{last}");
    let ok = audit
        .iter()
        .filter(|r| r["capability"] == capability && r["outcome"] == "ok")
        .count();
    assert_eq!(ok, allowed, "{env}");
}

/// Entries and file bytes beneath `dir`.
fn usage(dir: &Path) -> (u64, u64) {
    let (mut entries, mut bytes) = (0, 0);
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let meta = entry.metadata().unwrap();
        entries += 1;
        if meta.is_dir() {
            let (e, b) = usage(&entry.path());
            entries += e;
            bytes += b;
        } else {
            bytes += meta.len();
        }
    }
    (entries, bytes)
}

fn package(
    dir: &Path,
    (id, runtime, entry, code): (&str, &str, &str, &str),
    limits: &str,
) -> std::path::PathBuf {
    PackageSpec::new(id, runtime, entry, code, ACTIONS)
        .permissions(&["fs:read", "fs:write", "data:read", "data:write"])
        .limits(limits)
        .write(&dir.join("pkg"))
}

#[test]
fn a_guest_writing_files_until_refused_hits_max_files_first() {
    for guest in GUESTS {
        let dir = tempfile::tempdir().unwrap();
        let pkg = package(dir.path(), guest, "max_files: 20");
        let data = dir.path().join("data");
        let (code, env) = run(&data, &pkg, "fill", r#"{"bytes": 100}"#, &[]);
        // `dir` and 19 files fill the 20 entries.
        assert_refused(code, &env, "fs.write", "max_files", 19);
        let files = data.join("files").join(guest.0);
        assert_eq!(usage(&files), (20, 19 * 100), "{}", guest.1);
        // Another run may replace its 19 files (that grows nothing), and
        // gets no further.
        let (code, env) = run(&data, &pkg, "fill", r#"{"bytes": 100}"#, &[]);
        assert_refused(code, &env, "fs.write", "max_files", 19);
        assert_eq!(usage(&files).0, 20, "{}", guest.1);
    }
}

#[test]
fn a_guest_writing_bytes_until_refused_hits_max_storage_mb_first() {
    for guest in GUESTS {
        let dir = tempfile::tempdir().unwrap();
        let pkg = package(dir.path(), guest, "max_storage_mb: 1");
        let data = dir.path().join("data");
        let (code, env) = run(&data, &pkg, "fill", r#"{"bytes": 100000}"#, &[]);
        assert_refused(code, &env, "fs.write", "max_storage_mb", 10);
        let (_, bytes) = usage(&data.join("files").join(guest.0));
        assert_eq!(bytes, 1_000_000, "{}", guest.1);
    }
}

#[test]
fn a_guest_creating_tasks_until_refused_hits_max_tasks_first() {
    for guest in GUESTS {
        let dir = tempfile::tempdir().unwrap();
        let pkg = package(dir.path(), guest, "max_tasks: 15");
        let data = dir.path().join("data");
        let (code, env) = run(&data, &pkg, "tasks", "{}", &[]);
        assert_refused(code, &env, "data.create_task", "max_tasks", 15);
        let (code, env) = run(&data, &pkg, "tasks", "{}", &[]);
        assert_refused(code, &env, "data.create_task", "max_tasks", 0);
    }
}

#[test]
fn the_host_wide_quota_lowers_the_manifests() {
    for guest in GUESTS {
        let dir = tempfile::tempdir().unwrap();
        let pkg = package(dir.path(), guest, "max_files: 20\nmax_tasks: 15");
        let data = dir.path().join("data");
        let quota = [
            "--quota",
            "max_files=5",
            "--quota",
            "max_tasks=3,max_events=1",
        ];
        let (code, env) = run(&data, &pkg, "fill", r#"{"bytes": 10}"#, &quota);
        assert_refused(code, &env, "fs.write", "max_files", 4);
        assert_eq!(usage(&data.join("files").join(guest.0)).0, 5);
        let (code, env) = run(&data, &pkg, "tasks", "{}", &quota);
        assert_refused(code, &env, "data.create_task", "max_tasks", 3);
        // A cap above the manifest's changes nothing.
        let (code, env) = run(&data, &pkg, "tasks", "{}", &["--quota", "max_tasks=1000"]);
        assert_refused(code, &env, "data.create_task", "max_tasks", 12);
        let (code, env) = run(&data, &pkg, "tasks", "{}", &["--quota", "max_tasks=x"]);
        assert_eq!(
            (code, &env["error"]["code"]),
            (Some(2), &"invalid_params".into())
        );
    }
}
