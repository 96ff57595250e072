//! `file-probe`: a test-only runtime standing for code that has escaped its
//! engine inside a worker. It runs no guest language: its "guest" is native
//! Rust that calls the filesystem directly, as an exploit would.
//!
//! The package's entry holds the path of a directory the test prepared
//! (with `secret.txt`, readable by the user). At load, before the worker
//! closes its filesystem, the probe reads the secret; the `probe` action
//! tries it again, and every other way to read or change the directory,
//! and answers what each attempt got: `"ok"` or the errno's name.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use morph_capabilities::{Call, Result};
use morph_runtime_core::{LoadRequest, LoadedExtension, MorphRuntime, RuntimeInfo};
use serde_json::{Map, Value, json};

/// The runtime kind a probe package names.
pub const KIND: &str = "file-probe";
/// The file the test prepares in the probe's directory, and its contents.
pub const SECRET: (&str, &str) = ("secret.txt", "the user's secret\n");

/// The probe runtime.
#[derive(Debug, Default)]
pub struct FileProbe;

#[async_trait]
impl MorphRuntime for FileProbe {
    fn info(&self) -> RuntimeInfo {
        RuntimeInfo {
            id: KIND.into(),
            kind: KIND.into(),
            engine: "std::fs".into(),
            engine_version: "test".into(),
        }
    }

    async fn load(&self, request: LoadRequest<'_>) -> Result<Arc<dyn LoadedExtension>> {
        let entry = request.package.read_entry()?;
        let dir = PathBuf::from(String::from_utf8_lossy(&entry).trim());
        // Before the second stage: the same reads work.
        let at_load = reads(&dir);
        Ok(Arc::new(Probe { dir, at_load }))
    }

    fn engine_reserve(&self) -> u64 {
        64 << 20
    }
}

struct Probe {
    dir: PathBuf,
    at_load: Map<String, Value>,
}

#[async_trait]
impl LoadedExtension for Probe {
    async fn execute(&self, _call: Call, action: &str, _params: Value) -> Result<Value> {
        Ok(match action {
            "at_load" => Value::Object(self.at_load.clone()),
            _ => {
                let mut now = reads(&self.dir);
                now.extend(changes(&self.dir));
                // A thread started after the stage inherits it.
                let dir = self.dir.clone();
                let on_new_thread = std::thread::spawn(move || outcome(read_secret(&dir)))
                    .join()
                    .unwrap_or_else(|_| json!("panicked"));
                now.insert("read on a new thread".into(), on_new_thread);
                // Metadata stays readable (documented in filesystem.rs).
                let stat = std::fs::metadata(self.dir.join(SECRET.0)).map(|_| ());
                now.insert("stat".into(), outcome(stat));
                Value::Object(now)
            }
        })
    }
}

/// Every way the probe tries to read the secret.
fn reads(dir: &Path) -> Map<String, Value> {
    let secret = dir.join(SECRET.0);
    let mut out = Map::new();
    out.insert("read".into(), outcome(read_secret(dir)));
    out.insert("openat2".into(), outcome(raw_openat2(&secret)));
    #[cfg(target_arch = "x86_64")]
    out.insert("open".into(), outcome(raw_open(&secret)));
    out
}

/// Every way the probe tries to change the directory.
fn changes(dir: &Path) -> Map<String, Value> {
    let secret = dir.join(SECRET.0);
    let mut out = Map::new();
    let create = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dir.join("created.txt"))
        .map(|_| ());
    out.insert("create".into(), outcome(create));
    out.insert(
        "mkdir".into(),
        outcome(std::fs::create_dir(dir.join("made"))),
    );
    out.insert(
        "rename".into(),
        outcome(std::fs::rename(&secret, dir.join("moved.txt"))),
    );
    out.insert(
        "symlink".into(),
        outcome(std::os::unix::fs::symlink(&secret, dir.join("link"))),
    );
    out.insert(
        "hard link".into(),
        outcome(std::fs::hard_link(&secret, dir.join("hard"))),
    );
    out.insert("unlink".into(), outcome(std::fs::remove_file(&secret)));
    out.insert("chdir".into(), outcome(std::env::set_current_dir(dir)));
    out
}

fn read_secret(dir: &Path) -> std::io::Result<()> {
    let text = std::fs::read_to_string(dir.join(SECRET.0))?;
    if text == SECRET.1 {
        Ok(())
    } else {
        Err(std::io::Error::other("read something else"))
    }
}

fn c_path(path: &Path) -> std::io::Result<std::ffi::CString> {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(std::io::Error::other)
}

/// `openat2(AT_FDCWD, path, {O_RDONLY})`, which the C library never issues
/// by itself.
fn raw_openat2(path: &Path) -> std::io::Result<()> {
    let path = c_path(path)?;
    // struct open_how { u64 flags; u64 mode; u64 resolve; }: read-only.
    let how = [0u64; 3];
    // SAFETY: both pointers are valid for the call; the size is the struct's.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            libc::AT_FDCWD,
            path.as_ptr(),
            how.as_ptr(),
            std::mem::size_of_val(&how),
        )
    };
    close_or_error(fd)
}

/// The legacy `open(path, O_RDONLY)` system call (x86-64).
#[cfg(target_arch = "x86_64")]
fn raw_open(path: &Path) -> std::io::Result<()> {
    let path = c_path(path)?;
    // SAFETY: the path is a valid C string for the call.
    let fd = unsafe { libc::syscall(libc::SYS_open, path.as_ptr(), libc::O_RDONLY) };
    close_or_error(fd)
}

fn close_or_error(fd: libc::c_long) -> std::io::Result<()> {
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: the descriptor was just opened by this function.
    unsafe { libc::close(fd as libc::c_int) };
    Ok(())
}

/// `"ok"`, or the errno's name.
fn outcome(result: std::io::Result<()>) -> Value {
    match result {
        Ok(()) => json!("ok"),
        Err(e) => json!(match e.raw_os_error() {
            Some(libc::EACCES) => "EACCES".to_owned(),
            Some(libc::EPERM) => "EPERM".to_owned(),
            Some(libc::ENOSYS) => "ENOSYS".to_owned(),
            Some(n) => format!("errno {n}"),
            None => e.to_string(),
        }),
    }
}
