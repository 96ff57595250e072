//! The audit key kept outside the data dir and the witness (issue 26,
//! point 3), through the real `morph` binary: a log cut together with its
//! checkpoints, and a history rewritten and re-signed with the stolen key,
//! both verify on their own and are caught by `morph audit --verify
//! --witness`; an older data dir's key is moved out, a key planted in the
//! data dir is refused. Every command runs with `XDG_CONFIG_HOME` in a
//! temporary directory, never the real home.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ed25519_dalek::SigningKey;
use morph_capabilities::audit::{AuditRecord, Checkpoint, GENESIS_HASH, load_signing_key};
use morph_testkit::PackageSpec;
use serde_json::Value;

const ACTIONS: &str = r#"actions:
  - name: chatter
    description: Stores a few values (calls with an effect, each one checkpointed)
    parameters:
      - {name: lines, type: integer, required: true}
"#;

const JS: &str = r#"export function execute(action, params) {
  for (let i = 0; i < params.lines; i++) morph.vault.set("k" + i, "v");
  return params.lines;
}
"#;

/// A package, a data dir, a config dir and a witness, all temporary.
struct Fixture {
    _dir: tempfile::TempDir,
    pkg: PathBuf,
    data: PathBuf,
    config: PathBuf,
    witness: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let pkg = PackageSpec::new("chatter", "js", "index.js", JS, ACTIONS)
            .permissions(&["vault:write"])
            .write(dir.path());
        let witness_dir = dir.path().join("witness");
        std::fs::create_dir(&witness_dir).unwrap();
        Fixture {
            pkg,
            data: dir.path().join("data"),
            config: dir.path().join("config"),
            witness: witness_dir.join("audit.witness"),
            _dir: dir,
        }
    }

    /// `morph ARGS --data-dir DATA` with the config dir and the witness set.
    fn morph(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_morph"));
        cmd.args(args)
            .arg("--data-dir")
            .arg(&self.data)
            .env("XDG_CONFIG_HOME", &self.config)
            .env("MORPH_AUDIT_WITNESS", &self.witness)
            .env_remove("MORPH_AUDIT_KEY_FILE");
        cmd
    }

    fn run(&self, lines: u32) -> Output {
        let params = format!(r#"{{"lines": {lines}}}"#);
        let pkg = self.pkg.to_str().unwrap();
        self.morph(&["run", pkg, "chatter", "--params", &params])
            .output()
            .unwrap()
    }

    /// Runs that leave a log of a few dozen records.
    fn fill(&self) {
        for lines in [3, 4, 5] {
            let out = self.run(lines);
            assert!(out.status.success(), "{out:?}");
        }
    }

    /// `morph audit --verify --json` without a witness: (exit code, report).
    fn verify_alone(&self) -> (i32, Value) {
        let out = self
            .morph(&["audit", "--verify", "--json"])
            .env_remove("MORPH_AUDIT_WITNESS")
            .output()
            .unwrap();
        (out.status.code().unwrap(), json(&out))
    }

    /// `morph audit --verify --witness PATH --json`: (exit code, report).
    fn verify_witnessed(&self) -> (i32, Value) {
        let witness = self.witness.to_str().unwrap();
        let out = self
            .morph(&["audit", "--verify", "--json", "--witness", witness])
            .env_remove("MORPH_AUDIT_WITNESS")
            .output()
            .unwrap();
        (out.status.code().unwrap(), json(&out))
    }

    fn log(&self) -> PathBuf {
        self.data.join("audit/audit.log")
    }

    fn checkpoints(&self) -> PathBuf {
        self.data.join("audit/audit.checkpoints")
    }

    /// The one key file under the config dir.
    fn key_file(&self) -> PathBuf {
        let keys = self.config.join("morph/audit-keys");
        let mut found: Vec<_> = std::fs::read_dir(&keys)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(found.len(), 1, "{found:?}");
        found.pop().unwrap()
    }
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"))
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text).unwrap();
}

fn seq_of(line: &str) -> u64 {
    serde_json::from_str::<Value>(line).unwrap()["seq"]
        .as_u64()
        .unwrap()
}

/// Rewrites every record from `from` on (the outcome of `from` changed, the
/// chain recomputed) and re-signs every checkpoint from there with `key`:
/// a history only the witness can tell apart.
fn rewrite_and_resign(f: &Fixture, from: u64, key: &SigningKey) {
    let mut prev = GENESIS_HASH.to_owned();
    let mut hashes = std::collections::HashMap::new();
    let records: Vec<String> = lines(&f.log())
        .iter()
        .map(|line| {
            let mut record: AuditRecord = serde_json::from_str(line).unwrap();
            if record.seq >= from {
                if record.seq == from {
                    record.entry.outcome = "permission_denied".to_owned();
                }
                record = AuditRecord::chain(record.seq, record.entry, &prev);
            }
            prev.clone_from(&record.hash);
            hashes.insert(record.seq, record.hash.clone());
            serde_json::to_string(&record).unwrap()
        })
        .collect();
    write_lines(&f.log(), &records);
    let checkpoints: Vec<String> = lines(&f.checkpoints())
        .iter()
        .map(|line| {
            let cp: Checkpoint = serde_json::from_str(line).unwrap();
            if cp.seq < from {
                return line.clone();
            }
            let resigned = Checkpoint::sign(cp.seq, &hashes[&cp.seq], cp.ts_ms, key);
            serde_json::to_string(&resigned).unwrap()
        })
        .collect();
    write_lines(&f.checkpoints(), &checkpoints);
}

/// THREATS.md, "Audit": a log and its checkpoints truncated together verify
/// on their own; the witness outside the data dir catches it.
#[test]
fn a_log_cut_together_with_its_checkpoints_is_caught_by_the_witness() {
    let f = Fixture::new();
    f.fill();
    let (code, report) = f.verify_witnessed();
    assert_eq!(code, 0, "{report}");
    let records = report["records"].as_u64().unwrap();
    let heads = report["witness"]["heads_checked"].as_u64().unwrap();
    assert!(heads > 0 && records > 6, "{report}");
    assert_eq!(report["witness"]["problem"], Value::Null, "{report}");

    // Whoever can write the data dir keeps the first half of the history.
    let keep = records / 2;
    let log: Vec<String> = lines(&f.log())
        .into_iter()
        .filter(|l| seq_of(l) <= keep)
        .collect();
    write_lines(&f.log(), &log);
    let cps: Vec<String> = lines(&f.checkpoints())
        .into_iter()
        .filter(|l| seq_of(l) <= keep)
        .collect();
    write_lines(&f.checkpoints(), &cps);

    let (code, alone) = f.verify_alone();
    assert_eq!(code, 0, "the cut log verifies on its own: {alone}");
    assert_eq!(alone["records"].as_u64(), Some(keep), "{alone}");

    let (code, report) = f.verify_witnessed();
    assert_eq!(code, 1, "{report}");
    let problem = &report["witness"]["problem"];
    assert_eq!(problem["kind"], "truncated", "{report}");
    assert!(problem["seq"].as_u64().unwrap() > keep, "{report}");
    assert_eq!(report["witness"]["log_last_seq"].as_u64(), Some(keep));

    // The text form says it too.
    let out = f.morph(&["audit", "--verify"]).output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("FAILED: truncated: witness line"), "{said}");
}

/// THREATS.md, "Audit": a history rewritten and re-signed with the stolen
/// key verifies on its own, even against the pinned key; the witness holds
/// heads the forged history does not contain.
#[test]
fn a_history_re_signed_with_the_stolen_key_is_caught_by_the_witness() {
    let f = Fixture::new();
    f.fill();
    let pinned = f.morph(&["audit", "--public-key"]).output().unwrap();
    assert!(pinned.status.success(), "{pinned:?}");
    let pinned = String::from_utf8(pinned.stdout).unwrap().trim().to_owned();

    let stolen = load_signing_key(&f.key_file()).unwrap();
    assert_eq!(hex::encode(stolen.verifying_key().as_bytes()), pinned);
    let (_, before) = f.verify_alone();
    let from = before["records"].as_u64().unwrap() / 2;
    rewrite_and_resign(&f, from, &stolen);

    let (code, alone) = f.verify_alone();
    assert_eq!(
        code, 0,
        "the re-signed history verifies on its own: {alone}"
    );
    let out = f
        .morph(&["audit", "--verify", "--json", "--key", &pinned])
        .env_remove("MORPH_AUDIT_WITNESS")
        .output()
        .unwrap();
    assert!(out.status.success(), "and against the pinned key: {out:?}");

    let (code, report) = f.verify_witnessed();
    assert_eq!(code, 1, "{report}");
    let problem = &report["witness"]["problem"];
    assert_eq!(problem["kind"], "rewritten", "{report}");
    let first_witnessed = lines(&f.witness)
        .iter()
        .map(|l| seq_of(l))
        .find(|&seq| seq >= from)
        .unwrap();
    assert_eq!(problem["seq"].as_u64(), Some(first_witnessed), "{report}");
}

/// A history rewritten under a key of the attacker's own, the log's key file
/// replaced with it: the witness's heads no longer verify.
#[test]
fn a_history_re_signed_under_a_replaced_key_fails_the_witness_signatures() {
    let f = Fixture::new();
    f.fill();
    let forger = SigningKey::from_bytes(&[9; 32]);
    rewrite_and_resign(&f, 1, &forger);
    std::fs::write(f.key_file(), hex::encode(forger.to_bytes())).unwrap();

    let (code, alone) = f.verify_alone();
    assert_eq!(code, 0, "{alone}");
    let (code, report) = f.verify_witnessed();
    assert_eq!(code, 1, "{report}");
    assert_eq!(
        report["witness"]["problem"]["kind"], "bad_signature",
        "{report}"
    );
}

/// The key lives under the config dir, owner-only; the data dir holds no key.
#[test]
fn the_key_is_kept_outside_the_data_dir_owner_only() {
    let f = Fixture::new();
    f.fill();
    let key = f.key_file();
    assert!(key.starts_with(&f.config), "{}", key.display());
    assert!(!f.data.join("audit/audit.key").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir_mode = std::fs::metadata(key.parent().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o777, 0o700);
    }
    let (code, report) = f.verify_witnessed();
    assert_eq!(code, 0, "{report}");
}

/// A data dir from before the key moved out (`audit/audit.key`) keeps its
/// key: moved to the config dir on the next run, old checkpoints verify.
#[test]
fn an_older_data_dirs_key_is_moved_out_and_old_checkpoints_still_verify() {
    let f = Fixture::new();
    let legacy = f.data.join("audit/audit.key");
    // The old layout: the key beside the log.
    let pkg = f.pkg.to_str().unwrap();
    let out = f
        .morph(&["run", pkg, "chatter", "--params", r#"{"lines": 2}"#])
        .env("MORPH_AUDIT_KEY_FILE", &legacy)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let old = std::fs::read(&legacy).unwrap();
    let old_checkpoints = lines(&f.checkpoints()).len() as u64;
    assert!(old_checkpoints > 0);

    assert!(f.run(2).status.success());
    assert!(!legacy.exists(), "the key left the data dir");
    assert_eq!(std::fs::read(f.key_file()).unwrap(), old, "the same key");
    let (code, report) = f.verify_alone();
    assert_eq!(code, 0, "{report}");
    let checked = report["checkpoints_checked"].as_u64().unwrap();
    assert!(
        checked > old_checkpoints,
        "old and new checkpoints: {report}"
    );
}

/// A key planted in the data dir once the log has its own outside is
/// refused, never adopted; a log whose key is missing is not given a fresh
/// one.
#[test]
fn a_key_planted_in_the_data_dir_or_a_missing_key_is_refused() {
    let f = Fixture::new();
    f.fill();
    let planted = f.data.join("audit/audit.key");
    std::fs::write(&planted, hex::encode([5u8; 32])).unwrap();
    let out = f.run(1);
    assert!(!out.status.success(), "{out:?}");
    let said =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("not trusted"), "{said}");
    let (code, report) = f.verify_witnessed();
    assert_eq!(code, 0, "verified with the key outside: {report}");

    std::fs::remove_file(&planted).unwrap();
    std::fs::remove_dir_all(&f.config).unwrap();
    let out = f.run(1);
    assert!(!out.status.success(), "{out:?}");
    let said =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("MORPH_AUDIT_KEY_FILE"), "{said}");
    assert!(!f.config.exists(), "no fresh key was made");
}
