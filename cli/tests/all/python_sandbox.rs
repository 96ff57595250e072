//! The Python sandbox's inert stand-ins and closed routes, through the real
//! `morph` binary, in-process and under `--isolation process`: one probe
//! package (`cli/tests/python-sandbox`, itself a package with a subpackage,
//! relative imports and an `async def execute`) reports what each route did,
//! and both tiers must give exactly the expected outcome.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn probe_package() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python-sandbox")
}

fn morph_run(action: &str, isolation: &str, data: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_morph"))
        .arg("run")
        .arg(probe_package())
        .args([action, "--json", "--isolation", isolation, "--data-dir"])
        .arg(data)
        .env_remove("MORPH_LOG")
        .output()
        .expect("run morph")
}

/// Every probe and the outcome it must have (`ok:<value>` or the exception).
const EXPECTED: &[(&str, &str)] = &[
    ("os.path.join", "ok:a/b/../c"),
    ("os.path.normpath", "ok:a/c"),
    ("os.fspath", "ok:x/y"),
    ("os.urandom", "ok:16"),
    ("os.environ", "ok:0"),
    ("os.getcwd", "ok:/"),
    ("os.path.exists", "ok:False"),
    ("os.walk", "ok:0"),
    ("os.listdir", "PermissionError"),
    ("os.stat", "PermissionError"),
    ("os.open", "PermissionError"),
    ("os.system", "PermissionError"),
    ("os.execv", "PermissionError"),
    ("os.fork", "PermissionError"),
    ("os.kill", "PermissionError"),
    ("os.getpid", "AttributeError"),
    ("os.getuid", "PermissionError"),
    ("threading.primitives", "ok:MainThread"),
    ("threading.Thread.start", "PermissionError"),
    ("_thread.start_new_thread", "PermissionError"),
    ("pathlib.pure", "ok:/a/b.txt"),
    ("pathlib.read_text", "PermissionError"),
    ("pathlib.write_text", "PermissionError"),
    ("tempfile.mkstemp", "PermissionError"),
    ("tempfile.TemporaryDirectory", "PermissionError"),
    ("shutil.copy", "PermissionError"),
    ("shutil.rmtree", "PermissionError"),
    ("io.StringIO", "ok:b"),
    ("io.open", "PermissionError"),
    ("builtins.open", "PermissionError"),
    ("_io.open", "UnsupportedOperation"),
    ("_io.FileIO", "AttributeError"),
    ("signal.SIGTERM", "ok:15"),
    ("signal.signal", "PermissionError"),
    ("signal.alarm", "PermissionError"),
    ("unittest", "ok:2 True"),
    ("pickle", "ok:True"),
    ("marshal.data", "ok:[1, 'a', {'b': 2.5}]"),
    ("marshal.dumps(code)", "PermissionError"),
    ("marshal.loads(code)", "PermissionError"),
    ("CodeType()", "PermissionError"),
    ("CodeType.__new__", "PermissionError"),
    ("code.replace(co_code)", "PermissionError"),
    ("code.replace(co_consts)", "PermissionError"),
    ("code.replace(co_names)", "PermissionError"),
    ("code.replace(co_varnames)", "PermissionError"),
    ("code.replace(co_cellvars)", "PermissionError"),
    ("code.replace(co_flags)", "PermissionError"),
    ("code.replace(co_stacksize)", "PermissionError"),
    ("copy.replace(code)", "PermissionError"),
    ("code.replace(co_name)", "ok:renamed"),
    ("code.replace(descriptive)", "ok:7"),
    ("sys.settrace", "AttributeError"),
    ("sys.setprofile", "AttributeError"),
    ("sys.path", "ModuleNotFoundError"),
    ("importlib.import_module", "ok:json"),
    ("native time.sleep", "ok:False"),
    ("BuiltinImporter(time)", "ok"),
    ("BuiltinImporter(posix)", "ok"),
    ("import socket", "ModuleNotFoundError"),
    ("import select", "ModuleNotFoundError"),
    ("import selectors", "ModuleNotFoundError"),
    ("import subprocess", "ModuleNotFoundError"),
    ("import ctypes", "ModuleNotFoundError"),
    ("import mmap", "ModuleNotFoundError"),
    ("import resource", "ModuleNotFoundError"),
    ("import fcntl", "ModuleNotFoundError"),
    ("import multiprocessing", "ModuleNotFoundError"),
    ("import posix", "ModuleNotFoundError"),
    ("import _posixsubprocess", "ModuleNotFoundError"),
    ("import asyncio", "ModuleNotFoundError"),
    ("import gc", "ModuleNotFoundError"),
    ("import _marshal", "ModuleNotFoundError"),
    ("import _frozen_importlib_external", "ModuleNotFoundError"),
    (
        "import importlib._bootstrap_external",
        "ModuleNotFoundError",
    ),
    ("import urllib.request", "ModuleNotFoundError"),
    ("import _socket", "ModuleNotFoundError"),
    ("import _ssl", "ModuleNotFoundError"),
    ("import _sqlite3", "ModuleNotFoundError"),
    ("import pwd", "ModuleNotFoundError"),
    ("import _signal", "ModuleNotFoundError"),
];

fn envelope(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not an envelope ({e}): stdout {} stderr {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn every_stand_in_and_closed_route_behaves_in_process_and_under_process_isolation() {
    for isolation in ["pooled", "process"] {
        let data = tempfile::tempdir().unwrap();
        let out = morph_run("routes", isolation, data.path());
        let env = envelope(&out);
        assert_eq!(env["ok"], Value::Bool(true), "{isolation}: {env}");
        let got = env["result"].as_object().expect("a map of outcomes");
        let mut wrong = Vec::new();
        for (route, expected) in EXPECTED {
            let actual = got
                .get(*route)
                .and_then(Value::as_str)
                .unwrap_or("<missing>");
            if actual != *expected {
                wrong.push(format!("{route}: expected {expected}, got {actual}"));
            }
        }
        for route in got.keys() {
            if !EXPECTED.iter().any(|(r, _)| r == route) {
                wrong.push(format!("{route}: probed but not expected"));
            }
        }
        assert!(wrong.is_empty(), "{isolation}:\n{}", wrong.join("\n"));
    }
}

#[test]
fn logging_records_reach_the_log_capability_at_their_level() {
    for isolation in ["pooled", "process"] {
        let data = tempfile::tempdir().unwrap();
        let out = morph_run("log", isolation, data.path());
        let env = envelope(&out);
        assert_eq!(env["result"], "logged", "{isolation}: {env}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let line = |needle: &str| {
            stderr
                .lines()
                .find(|l| l.contains(needle))
                .unwrap_or_else(|| panic!("{isolation}: no `{needle}` in {stderr}"))
                .to_owned()
        };
        assert!(line("probe-error-line").contains("ERROR"), "{stderr}");
        assert!(line("probe-warning-line 42").contains("WARN"), "{stderr}");
        assert!(line("probe-info-line").contains("INFO"), "{stderr}");
        assert!(line("probe-root-warning").contains("WARN"), "{stderr}");
        // Debug records are sent at `debug`, which the CLI does not show by default.
        assert!(!stderr.contains("probe-debug-line"), "{stderr}");
        let logged = env["audit"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["capability"] == "log")
            .count();
        assert_eq!(
            logged, 5,
            "{isolation}: every record is one audited log call: {env}"
        );
    }
}
