//! A real `morph serve` for tests: a temporary data dir with extensions
//! installed by the real binary, tokens made by `morph token create`, the
//! server started on a free loopback port and stopped (SIGTERM) when
//! dropped.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use morph_testkit::PackageSpec;
use serde_json::Value;

/// `morph ARGS` with a clean environment (no data dir from the caller).
pub fn morph<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_morph"));
    cmd.args(args)
        .env_remove("MORPH_DATA_DIR")
        .env_remove("MORPH_TRUST_DIR")
        .env_remove("MORPH_LOG");
    cmd
}

/// Runs `morph ARGS` and insists it succeeded; returns stdout.
pub fn ok<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> String {
    let out: Output = morph(args).output().expect("run morph");
    assert!(
        out.status.success(),
        "morph failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// A data dir with installed extensions, and a server on it once started.
pub struct Served {
    pub tmp: tempfile::TempDir,
    pub data: PathBuf,
    server: Option<Child>,
    pub base: String,
}

impl Served {
    /// An empty data dir.
    pub fn new() -> Served {
        let tmp = tempfile::tempdir().expect("tempdir");
        let data = tmp.path().join("data");
        Served {
            tmp,
            data,
            server: None,
            base: String::new(),
        }
    }

    /// The data dir as an argument.
    pub fn d(&self) -> &str {
        self.data.to_str().expect("utf-8 path")
    }

    /// Packs `spec` into a `.morph` file (unsigned) and returns its path.
    pub fn pack(&self, spec: &PackageSpec) -> PathBuf {
        let dir = spec.write(&self.tmp.path().join("src"));
        let file = self.tmp.path().join(format!("{}.morph", spec.id));
        ok(&[
            "package",
            dir.to_str().unwrap(),
            "-o",
            file.to_str().unwrap(),
        ]);
        file
    }

    /// Installs `spec` with `morph install --allow-unsigned --yes`.
    pub fn install(&self, spec: &PackageSpec) {
        let file = self.pack(spec);
        ok(&[
            "install",
            file.to_str().unwrap(),
            "--allow-unsigned",
            "--yes",
            "--data-dir",
            self.d(),
        ]);
    }

    /// `morph token create NAME --scope SCOPE`: the token.
    pub fn token(&self, name: &str, scope: &str) -> String {
        self.token_with(name, scope, &[])
    }

    /// [`token`](Self::token) with more `morph token create` arguments.
    pub fn token_with(&self, name: &str, scope: &str, extra: &[&str]) -> String {
        let mut args = vec![
            "token",
            "create",
            name,
            "--scope",
            scope,
            "--data-dir",
            self.d(),
        ];
        args.extend_from_slice(extra);
        ok(&args).trim().to_owned()
    }

    /// Starts `morph serve` on a free port with `extra` arguments; returns
    /// the base URL once it listens.
    pub fn start(&mut self, extra: &[&str]) -> String {
        let mut child = morph(&["serve", "--listen", "127.0.0.1:0", "--data-dir", self.d()])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn morph serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the address");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_owned();
        self.server = Some(child);
        self.base = base.clone();
        base
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends SIGTERM and waits for the exit code.
    pub fn stop(&mut self) -> Option<i32> {
        let mut child = self.server.take()?;
        terminate(&child);
        child.wait().ok().and_then(|s| s.code())
    }

    /// `morph audit --verify --json` on the data dir.
    pub fn verify(&self) -> Value {
        let out = morph(&["audit", "--verify", "--json", "--data-dir", self.d()])
            .output()
            .expect("run morph audit");
        serde_json::from_slice(&out.stdout).expect("a report")
    }

    /// Asserts that the audit log verifies and that every record of a call
    /// of `notes` or `spinner` (not the host's own records) names `caller`;
    /// returns those records.
    pub fn audited_as(&self, caller: &str) -> Vec<Value> {
        let verified = self.verify();
        assert_eq!(verified["problem"], Value::Null, "{verified}");
        let records: Vec<Value> = self
            .audit()
            .into_iter()
            .filter(|r| {
                (r["extension"] == "notes" || r["extension"] == "spinner")
                    && !r["capability"].as_str().unwrap_or("").starts_with("host.")
            })
            .collect();
        assert!(!records.is_empty());
        for r in &records {
            assert_eq!(r["caller"], caller, "{r}");
        }
        records
    }

    /// Every audit record of the data dir.
    pub fn audit(&self) -> Vec<Value> {
        read_lines(&self.data.join("audit").join("audit.log"))
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(mut child) = self.server.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn terminate(child: &Child) {
    #[cfg(unix)]
    {
        // SAFETY: a signal to a child this test started and has not reaped.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    }
}

/// The JSON lines of `path`.
pub fn read_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}
