//! A loaded worker's filesystem is closed: code that escapes its engine in a
//! worker (here the `file-probe` runtime, calling the filesystem directly)
//! can open no file and change none after load, while the same reads worked
//! at load, before the second seccomp stage.

use std::sync::Arc;
use std::time::Duration;

use morph_process::{ProcessConfig, ProcessRuntime, WorkerCommand};
use morph_runtime_core::{Isolation, LoadOptions};
use morph_testkit::{PackageSpec, TestHost};
use serde_json::{Value, json};

use crate::probe::{FileProbe, KIND, SECRET};

const ACTIONS: &str = "actions:
  - {name: at_load, description: What the probe read at load}
  - {name: probe, description: What the probe can read and change now}
";

struct Tier {
    host: TestHost,
    tier: Arc<ProcessRuntime>,
    /// The directory the probe is pointed at, with the secret in it.
    files: tempfile::TempDir,
}

/// A host whose process tier starts this test binary as its worker.
fn tier() -> Tier {
    let command = WorkerCommand {
        program: std::env::current_exe().unwrap(),
        args: vec!["worker".into()],
        env: Vec::new(),
    };
    let mut config = ProcessConfig::new(command);
    config.load_allowance = Duration::from_secs(5);
    let tier = Arc::new(ProcessRuntime::new(config));
    let host = TestHost::with_process_tier(
        Arc::new(FileProbe),
        LoadOptions {
            isolation: Some(Isolation::Process),
            engine: None,
        },
        Some(tier.clone()),
    );
    let files = tempfile::tempdir().unwrap();
    std::fs::write(files.path().join(SECRET.0), SECRET.1).unwrap();
    Tier { host, tier, files }
}

impl Tier {
    async fn load(&self) -> String {
        let dir = self.files.path().to_str().unwrap();
        let spec = PackageSpec::new("probe", KIND, "probe.txt", dir, ACTIONS);
        self.host.load(&spec, json!({})).await.unwrap()
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

pub fn a_loaded_worker_cannot_open_or_change_files() {
    runtime().block_on(async {
        let t = tier();
        let id = t.load().await;
        // At load (before the second stage) every read worked.
        let at_load = t.host.run(&id, "at_load", json!({})).await.unwrap();
        let reads = ["read", "openat2", "open"];
        for read in reads {
            assert_eq!(at_load[read], "ok", "{read} at load: {at_load}");
        }
        // After load, the same reads and every change are refused.
        let now = t.host.run(&id, "probe", json!({})).await.unwrap();
        let refused = reads.iter().copied().chain([
            "read on a new thread",
            "create",
            "mkdir",
            "rename",
            "symlink",
            "hard link",
            "unlink",
            "chdir",
        ]);
        for attempt in refused {
            assert_eq!(now[attempt], "EACCES", "{attempt} after load: {now}");
        }
        // Metadata stays readable (documented in process/src/filesystem.rs).
        assert_eq!(now["stat"], "ok", "{now}");
        // Nothing changed on disk, and the secret is still readable here.
        let mut names: Vec<String> = std::fs::read_dir(t.files.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, [SECRET.0]);
        assert_eq!(
            std::fs::read_to_string(t.files.path().join(SECRET.0)).unwrap(),
            SECRET.1
        );
        // The worker is still serving.
        let again: Value = t.host.run(&id, "at_load", json!({})).await.unwrap();
        assert_eq!(again, at_load);
    });
}

pub fn a_loaded_worker_runs_under_both_seccomp_stages_and_holds_no_file() {
    runtime().block_on(async {
        let t = tier();
        let id = t.load().await;
        t.host.run(&id, "probe", json!({})).await.unwrap();
        let pids = t.tier.worker_pids();
        assert!(!pids.is_empty());
        let filters = morph_process::syscalls::FILTERS + morph_process::filesystem::FILTERS;
        for pid in pids {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
            assert!(status.contains("Seccomp:\t2"), "{status}");
            assert!(
                status.contains(&format!("Seccomp_filters:\t{filters}\n")),
                "{filters} filters expected: {status}"
            );
            assert!(status.contains("NoNewPrivs:\t1"), "{status}");
            // Nothing to read through: the protocol pipes, epoll, eventfds,
            // and tokio's signal wake-up (a socket pair within the worker,
            // made before stage one refuses `socketpair`); no file or
            // directory.
            for fd in std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap() {
                let target = std::fs::read_link(fd.unwrap().path()).unwrap();
                let target = target.to_string_lossy();
                assert!(
                    ["pipe:", "anon_inode:", "socket:"]
                        .iter()
                        .any(|kind| target.starts_with(kind)),
                    "worker {pid} holds {target}"
                );
            }
        }
    });
}
