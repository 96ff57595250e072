//! A real OCI registry for tests: Debian's `docker-registry`, installed by
//! `scripts/registry.sh install` when missing, spawned on 127.0.0.1 on a
//! free port with its own storage, killed when dropped. **If it cannot be
//! installed or started, the test fails**: registry tests never pass
//! silently. Shared with the CLI's tests via `#[path]`.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Registry {
    child: Child,
    pub addr: String,
    pub storage: PathBuf,
    _dir: tempfile::TempDir,
}

fn repo_root() -> PathBuf {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    while !dir.join("scripts/registry.sh").is_file() {
        assert!(
            dir.pop(),
            "scripts/registry.sh not found above {}",
            env!("CARGO_MANIFEST_DIR")
        );
    }
    dir
}

fn binary() -> PathBuf {
    let find = || {
        std::env::var_os("PATH")
            .into_iter()
            .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
            .map(|d| d.join("docker-registry"))
            .chain([PathBuf::from("/usr/bin/docker-registry")])
            .find(|p| p.is_file())
    };
    if let Some(bin) = find() {
        return bin;
    }
    let status = Command::new("bash")
        .arg(repo_root().join("scripts/registry.sh"))
        .arg("install")
        .status()
        .expect("running scripts/registry.sh install");
    assert!(
        status.success(),
        "scripts/registry.sh install failed: the registry tests need Debian's docker-registry"
    );
    find().expect("docker-registry is missing after scripts/registry.sh install")
}

fn up(addr: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(addr) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(format!("GET /v2/ HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.ends_with(b"200")
}

impl Registry {
    pub fn start() -> Registry {
        let bin = binary();
        for _ in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let addr = format!("127.0.0.1:{port}");
            let storage = dir.path().join("storage");
            std::fs::create_dir_all(&storage).unwrap();
            let config = dir.path().join("config.yml");
            std::fs::write(
                &config,
                format!(
                    "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n",
                    storage.display()
                ),
            )
            .unwrap();
            let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
            let mut child = Command::new(&bin)
                .arg("serve")
                .arg(&config)
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("spawning docker-registry");
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if up(&addr) {
                    return Registry {
                        child,
                        addr,
                        storage,
                        _dir: dir,
                    };
                }
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("docker-registry did not start on 127.0.0.1");
    }

    /// The file that holds blob `digest` (`sha256:<hex>`) in the storage.
    pub fn blob_file(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap();
        self.storage.join(format!(
            "docker/registry/v2/blobs/sha256/{}/{hex}/data",
            &hex[..2]
        ))
    }

    /// Flips one byte of blob `digest` in the registry's storage.
    pub fn corrupt_blob(&self, digest: &str) {
        let path = self.blob_file(digest);
        let mut bytes = std::fs::read(&path).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0xff;
        std::fs::write(Path::new(&path), bytes).unwrap();
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
