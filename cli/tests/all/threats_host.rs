//! THREATS.md, "The host itself", through the real `morph` binary: a
//! guest killed in the middle of its host calls (the whole `morph` process
//! receives SIGKILL while a JavaScript guest writes a file, creates a task
//! and sets a vault value in a loop) leaves no held lock, no open
//! transaction and no half-written file: the next run on the same data dir
//! reads whole values, writes again, and the audit log verifies.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use morph_testkit::PackageSpec;
use serde_json::{Value, json};

const ID: &str = "threats-killed";
/// Bytes of padding in every file write: big enough that a kill lands
/// inside a write now and then.
const PAD: usize = 256 * 1024;

const JS: &str = r#"export function execute(action, params) {
  if (action === "churn") {
    for (let i = 0; ; i++) {
      morph.fs.write("state.json", JSON.stringify({ i, pad: "y".repeat(params.pad) }));
      morph.data.createTask("churn " + i, { data: { i } });
      morph.vault.set("last", String(i));
    }
  }
  const doc = JSON.parse(morph.fs.read("state.json").content);
  const tasks = morph.data.listTasks();
  const last = Number(morph.vault.get("last"));
  morph.fs.write("after.txt", "written after the kill");
  const task = morph.data.createTask("after the kill");
  morph.vault.set("after", "yes");
  return {
    i: doc.i,
    pad: doc.pad.length,
    last,
    tasks: tasks.length,
    after: morph.fs.read("after.txt").content,
    task: task.title,
    vault_after: morph.vault.get("after"),
  };
}
"#;

const ACTIONS: &str = r#"actions:
  - name: churn
    description: Writes a file, a task and a vault value in a loop, forever
    parameters: [{name: pad, type: integer, required: true}]
  - name: check
    description: Reads back what churn left and writes again
"#;

fn morph(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_morph"))
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env_remove("MORPH_DATA_DIR")
        .env_remove("MORPH_LOG")
        .output()
        .unwrap()
}

/// THREATS.md, "The host itself": a guest that dies mid host call leaves
/// no held lock, open transaction or half-written file.
#[test]
fn a_guest_killed_mid_host_call_leaves_no_lock_transaction_or_half_written_file() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = PackageSpec::new(ID, "js", "index.js", JS, ACTIONS)
        .permissions(&[
            "fs:read",
            "fs:write",
            "data:read",
            "data:write",
            "vault:read",
            "vault:write",
        ])
        .limits("max_execution_ms: 120000")
        .write(dir.path());
    let data = dir.path().join("data");
    let pkg = pkg.to_str().unwrap();

    for round in 0..3 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_morph"))
            .args(["run", pkg, "churn", "--json", "--params"])
            .arg(json!({ "pad": PAD }).to_string())
            .arg("--data-dir")
            .arg(&data)
            .env_remove("MORPH_DATA_DIR")
            .env_remove("MORPH_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait until the loop is well under way, then kill it mid-stride.
        let state = data.join("files").join(ID).join("state.json");
        let started = Instant::now();
        while !state.exists() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "churn never wrote"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(300 + 170 * round));
        assert!(
            child.try_wait().unwrap().is_none(),
            "round {round}: the guest ended before it was killed"
        );
        child.kill().unwrap();
        child.wait().unwrap();

        let out = morph(&data, &["run", pkg, "check", "--json"]);
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "round {round}: not JSON ({e}): {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        assert_eq!(out.status.code(), Some(0), "round {round}: {doc}");
        let r = &doc["result"];
        assert_eq!(r["pad"], PAD, "round {round}: a whole file: {r}");
        let (i, last) = (r["i"].as_i64().unwrap(), r["last"].as_i64().unwrap());
        assert!(
            (i - last).abs() <= 1,
            "round {round}: file {i}, vault {last}"
        );
        assert!(r["tasks"].as_u64().unwrap() >= 1, "round {round}: {r}");
        assert_eq!(r["after"], "written after the kill");
        assert_eq!(r["task"], "after the kill");
        assert_eq!(r["vault_after"], "yes");

        // The audit log verifies (a record torn by the kill was cut by the
        // run that followed it).
        let verified = morph(&data, &["audit", "--verify", "--json"]);
        assert!(
            verified.status.success(),
            "round {round}: {}\n{}",
            String::from_utf8_lossy(&verified.stdout),
            String::from_utf8_lossy(&verified.stderr)
        );
    }
}
