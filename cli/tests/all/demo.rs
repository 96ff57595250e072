//! The first-run demo's extensions (`examples/demo`, what `scripts/demo.sh`
//! shows) as a test, so the demo cannot rot: one job written in Rust
//! compiled to wasm, in JavaScript and in Python, run by the real `morph`
//! binary against a real HTTP server on 127.0.0.1, under manifests that grant
//! the same. The same job gives the same result in every language, what the
//! manifests do not grant (another host, a file) is refused with the same
//! code, the time limit stops a runaway loop with one code, and the one audit
//! log that recorded it all verifies and holds the same calls for each.
//!
//! The cases are data; one body runs every case in every language.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use morph_testkit::{Reply, TestServer};
use serde_json::{Value, json};

/// The demo's languages: the directory under `examples/demo` and its entry.
const LANGUAGES: [(&str, &str); 3] = [
    ("wasm", "extension.wasm"),
    ("js", "index.js"),
    ("python", "main.py"),
];

/// The `allowed_hosts` entry the manifests hold until the demo (or this
/// test) writes its server's there.
const PLACEHOLDER_HOST: &str = "127.0.0.1:8000";

/// Stands in for the server's `http://127.0.0.1:<port>` in a case's params.
const SERVER: &str = "$server";

/// An action, its params, and what every language must answer: `Ok` with
/// this result (JSON text) or `Err` with this error code.
struct Case {
    action: &'static str,
    params: &'static str,
    expect: Result<&'static str, &'static str>,
}

const CASES: [Case; 4] = [
    // The allowed work: `http:read` on the one allowed host, then the tasks.
    Case {
        action: "import",
        params: r#"{"url": "$server/tasks.json"}"#,
        expect: Ok(r#"{"imported": 3, "by_status": {"done": 1, "open": 2}}"#),
    },
    // Another host: refused by the broker before any lookup.
    Case {
        action: "import",
        params: r#"{"url": "http://example.com/tasks.json"}"#,
        expect: Err("host_not_allowed"),
    },
    // A file: no `fs:*` permission in any of the manifests.
    Case {
        action: "read_notes",
        params: "{}",
        expect: Err("permission_denied"),
    },
    // A runaway loop: `max_execution_ms` ends it.
    Case {
        action: "spin",
        params: "{}",
        expect: Err("timeout"),
    },
];

/// The repository's `examples/demo`.
fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/demo")
}

/// `morph` with the audit signing key kept in `dir` (not the user's config).
fn morph(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_morph"));
    cmd.env("MORPH_AUDIT_KEY_FILE", dir.join("audit.key"))
        .env("MORPH_CACHE_DIR", dir.join("cache"));
    cmd
}

/// Copies `examples/demo/<lang>` (its manifest and entry) into `dir` with
/// `host` as its one allowed host, as `scripts/demo.sh` does.
fn copy_extension(lang: &str, entry: &str, host: &str, dir: &Path) -> PathBuf {
    let source = demo_dir().join(lang);
    assert!(
        source.join(entry).exists(),
        "{lang}: no {entry}; build the guests first: scripts/build-guests.sh"
    );
    let copy = dir.join(lang);
    std::fs::create_dir_all(&copy).unwrap();
    std::fs::copy(source.join(entry), copy.join(entry)).unwrap();
    let manifest = std::fs::read_to_string(source.join("manifest.yaml")).unwrap();
    assert!(manifest.contains(PLACEHOLDER_HOST), "{lang}: {manifest}");
    std::fs::write(
        copy.join("manifest.yaml"),
        manifest.replace(PLACEHOLDER_HOST, host),
    )
    .unwrap();
    copy
}

/// The JSON on stdout of a finished `morph` command.
fn stdout_json(out: &Output, what: &str) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{what}: no JSON on stdout ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// What the manifest grants, as `morph inspect` reads it: the permissions,
/// hosts and limits (not the id, name, runtime or entry).
fn grants(dir: &Path, extension: &Path) -> Value {
    let out = morph(dir)
        .args(["inspect", "--json"])
        .arg(extension)
        .output()
        .unwrap();
    let doc = stdout_json(&out, "inspect");
    let granted: Vec<&Value> = doc["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["granted"] == true)
        .map(|p| &p["permission"])
        .collect();
    let limits: serde_json::Map<String, Value> = doc["limits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["limit"].as_str().unwrap().to_owned(), l["value"].clone()))
        .collect();
    json!({"permissions": granted, "allowed_hosts": doc["allowed_hosts"], "limits": limits})
}

/// The demo: every case in every language, against one data dir and log.
#[test]
fn demo_extensions_keep_one_promise_in_three_languages() {
    let tasks: Value =
        serde_json::from_slice(&std::fs::read(demo_dir().join("server/tasks.json")).unwrap())
            .unwrap();
    let server = TestServer::start(move |seen| match seen.path.as_str() {
        "/tasks.json" => Reply::json(200, &tasks),
        _ => Reply::json(404, &json!({"error": "not found"})),
    });
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let extensions: Vec<(&str, PathBuf)> = LANGUAGES
        .iter()
        .map(|(lang, entry)| {
            let ext = copy_extension(lang, entry, &server.host(), &dir.path().join("ext"));
            (*lang, ext)
        })
        .collect();

    // The manifests grant the same: tasks, and reading the one server.
    let expected_grants = grants(dir.path(), &extensions[0].1);
    assert_eq!(
        expected_grants["permissions"],
        json!(["http:read", "data:read", "data:write"])
    );
    assert_eq!(expected_grants["allowed_hosts"], json!([server.host()]));
    for (lang, ext) in &extensions {
        assert_eq!(grants(dir.path(), ext), expected_grants, "{lang}");
    }

    for case in &CASES {
        let params = case.params.replace(SERVER, &server.url(""));
        for (lang, ext) in &extensions {
            let out = morph(dir.path())
                .arg("run")
                .arg(ext)
                .args([case.action, "--json", "--params", &params])
                .arg("--data-dir")
                .arg(&data)
                .output()
                .unwrap();
            let what = format!("{lang} {} {params}", case.action);
            let env = stdout_json(&out, &what);
            let error = &env["error"];
            match case.expect {
                Ok(result) => {
                    assert_eq!(out.status.code(), Some(0), "{what}: {error}");
                    let result: Value = serde_json::from_str(result).unwrap();
                    assert_eq!(env["result"], result, "{what}");
                }
                Err(code) => {
                    // The extension's failure (exit 1), with the one code.
                    assert_eq!(out.status.code(), Some(1), "{what}: {error}");
                    assert_eq!(error["code"], code, "{what}: {error}");
                }
            }
        }
    }
    // One GET per language reached the server; example.com reached nothing.
    let seen = server.seen();
    assert_eq!(seen.len(), LANGUAGES.len(), "{seen:?}");
    assert!(
        seen.iter()
            .all(|s| s.method == "GET" && s.path == "/tasks.json")
    );

    // The one log verifies, and it recorded the same calls for each language.
    let out = morph(dir.path())
        .args(["audit", "--verify", "--json", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    let verified = stdout_json(&out, "audit --verify");
    assert_eq!(out.status.code(), Some(0), "{verified}");
    assert_eq!(verified["problem"], Value::Null, "{verified}");
    let out = morph(dir.path())
        .args(["audit", "--json", "--limit", "1000", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    let records = stdout_json(&out, "audit");
    let records = records.as_array().unwrap();
    assert_eq!(verified["records"], records.len());
    let calls_of = |lang: &str| -> Vec<Value> {
        records
            .iter()
            .filter(|r| r["extension"] == format!("demo-{lang}"))
            .map(|r| json!([r["action"], r["capability"], r["decision"], r["outcome"]]))
            .collect()
    };
    let wasm = calls_of("wasm");
    assert!(
        wasm.contains(&json!([
            "import",
            "http.fetch",
            "denied",
            "host_not_allowed"
        ])),
        "{wasm:?}"
    );
    assert!(
        wasm.contains(&json!([
            "read_notes",
            "fs.read",
            "denied",
            "permission_denied"
        ])),
        "{wasm:?}"
    );
    for (lang, _) in LANGUAGES {
        assert_eq!(calls_of(lang), wasm, "{lang}");
    }
}
