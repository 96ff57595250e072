//! Issue 26, point 1, through the real `morph` binary: a run killed with
//! `SIGKILL` after its HTTP request left (its intent durable, its outcome
//! never written) leaves a log that verifies and names the open intent as an
//! effect that may have happened; the next run goes on.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, mpsc};
use std::time::Duration;

use morph_testkit::{PackageSpec, Reply, TestServer};
use serde_json::{Value, json};

const ACTIONS: &str = "actions:
  - {name: fetch, description: Fetches a URL, parameters: [{name: url, type: string, required: true}]}
  - {name: quick, description: Answers at once}
";

const JS: &str = r#"export function execute(action, params) {
  if (action === "quick") return "ok";
  return morph.http.fetch(params.url).status;
}
"#;

fn morph(data: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_morph"));
    cmd.args(args).arg("--data-dir").arg(data);
    cmd
}

fn verify(data: &Path) -> (Output, Value) {
    let out = morph(data, &["audit", "--verify", "--json"])
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out, report)
}

/// THREATS.md, "Audit": a crash between an effect's intent and its outcome
/// leaves a log that verifies, with the effect named as one that may have
/// happened.
#[test]
fn a_run_killed_after_its_request_left_leaves_an_open_intent_that_verify_names() {
    let (arrived, arrivals) = mpsc::channel::<()>();
    let arrived = Mutex::new(arrived);
    let server = TestServer::start(move |_| {
        let _ = arrived.lock().unwrap().send(());
        std::thread::sleep(Duration::from_secs(30));
        Reply::text("too late")
    });
    let dir = tempfile::tempdir().unwrap();
    let package = PackageSpec::new("intent", "js", "index.js", JS, ACTIONS)
        .permissions(&["http:read"])
        .allowed_hosts(&[&server.host()])
        .limits("max_execution_ms: 60000")
        .write(dir.path());
    let data = dir.path().join("data");
    let params = json!({"url": server.url("/slow")}).to_string();
    let mut child = morph(
        &data,
        &[
            "run",
            package.to_str().unwrap(),
            "fetch",
            "--params",
            &params,
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    arrivals
        .recv_timeout(Duration::from_secs(60))
        .expect("the request reached the server");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let (out, report) = verify(&data);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(report["open_intents_total"], 1, "{report}");
    let open = &report["open_intents"][0];
    assert_eq!(
        (&open["capability"], &open["extension"]),
        (&json!("http.fetch"), &json!("intent"))
    );
    let text = morph(&data, &["audit", "--verify"]).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("effect may have happened") && text.contains("http.fetch"),
        "{text}"
    );

    // The next run goes on, and the chain with it.
    let next = morph(&data, &["run", package.to_str().unwrap(), "quick"])
        .output()
        .unwrap();
    assert!(next.status.success(), "{next:?}");
    let (out, report) = verify(&data);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(report["open_intents_total"], 1, "{report}");
}

/// A tmpfs of `size` mounted at `dir` for the life of the guard (root only).
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(dir.to_owned()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

const FILLER: &str = r#"export function execute(action, params) {
  let i = 0;
  try {
    for (; i < 100000; i++) {
      morph.fs.write("f" + i + ".txt", "x".repeat(4096));
      morph.http.fetch(params.url + "?i=" + i);
    }
  } catch (e) {
    return { stopped: i, code: e.code, message: e.message };
  }
  return { stopped: i };
}
"#;

/// Counts the intents of `capability` in the log of `data`.
fn intents(data: &Path, capability: &str) -> usize {
    std::fs::read_to_string(data.join("audit/audit.log"))
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| r["capability"] == capability && r["phase"] == "intent")
        .count()
}

/// Issue 26, point 1, on a full disk (a 2 MiB tmpfs the test mounts; skipped
/// with a message where it cannot): a guest writes files and sends requests
/// until refused. **Every effect, each request the server saw and each file
/// on disk, has its intent in the log**, and the log verifies. With a
/// reserve, the effects stop before the disk fills, and the refusal itself
/// is recorded.
#[test]
fn on_a_full_disk_every_effect_has_its_intent_and_the_reserve_stops_effects_first() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::text("ok");
    let package = PackageSpec::new("filler", "js", "index.js", FILLER, "actions:\n  - {name: fill, description: Fills the disk, parameters: [{name: url, type: string, required: true}]}\n")
        .permissions(&["fs:write", "http:read"])
        .allowed_hosts(&[&server.host()])
        .limits("max_execution_ms: 60000\nmax_http_requests: 100000")
        .write(tmp.path());
    for (reserve_mb, what) in [
        ("0", "no reserve: until the disk is full"),
        ("1", "a 1 MiB reserve"),
    ] {
        let data = tmp.path().join(format!("data-{reserve_mb}"));
        let Some(_disk) = Tmpfs::mount(&data, "2m") else {
            eprintln!("skipped: cannot mount a tmpfs here (needs root)");
            return;
        };
        let before = server.seen().len();
        let params = json!({"url": server.url("/hit")}).to_string();
        let out = morph(
            &data,
            &[
                "run",
                package.to_str().unwrap(),
                "fill",
                "--params",
                &params,
                "--json",
                "--audit-reserve-mb",
                reserve_mb,
            ],
        )
        .output()
        .unwrap();
        let envelope: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        let stopped = &envelope["result"];
        assert!(stopped["code"].is_string(), "{what}: {envelope} {out:?}");
        let hits = server.seen().len() - before;
        let files = std::fs::read_dir(data.join("files/filler")).map_or(0, |d| d.count());
        assert!(files > 0 && hits > 0, "{what}: {envelope}");
        assert!(
            files <= intents(&data, "fs.write") && hits <= intents(&data, "http.fetch"),
            "{what}: {files} files and {hits} requests, but {} and {} intents",
            intents(&data, "fs.write"),
            intents(&data, "http.fetch")
        );
        let (out, report) = verify(&data);
        assert!(out.status.success(), "{what}: {out:?}");
        assert!(
            report["open_intents_total"].as_u64().unwrap() <= 1,
            "{report}"
        );
        if reserve_mb == "1" {
            assert_eq!(stopped["code"], "io", "{envelope}");
            let message = stopped["message"].as_str().unwrap();
            assert!(message.contains("kept for audit records"), "{message}");
        }
    }
}
