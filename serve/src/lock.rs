//! One `morph serve` per data dir: a second one refuses to start with a
//! clear message (two servers would each hold their own view of the
//! installs, quarantine mirror and warm pools). An exclusive `flock` on
//! `<data dir>/serve.lock`, released when the process ends however it ends.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::Path;

use morph_capabilities::{Error, Result};

/// File name of the lock in the data dir.
pub const LOCK_FILE: &str = "serve.lock";

/// The held lock; dropping it releases it.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

/// Takes the data dir's lock, or says who holds it.
///
/// # Errors
/// `io` when the lock cannot be taken: held by another server (named by its
/// pid), or the file cannot be opened.
pub fn lock_data_dir(data_dir: &Path) -> Result<DataDirLock> {
    std::fs::create_dir_all(data_dir)
        .map_err(|e| Error::io(format!("creating {}", data_dir.display()), e))?;
    let path = data_dir.join(LOCK_FILE);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: flock on a file descriptor this function owns.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            return Err(Error::io(
                format!(
                    "another `morph serve` (pid {}) serves {}; stop it or use another --data-dir",
                    holder.trim(),
                    data_dir.display()
                ),
                std::io::Error::last_os_error(),
            ));
        }
    }
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = write!(file, "{}", std::process::id());
    Ok(DataDirLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_one_data_dir_is_refused_with_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock_data_dir(dir.path()).unwrap();
        let second = lock_data_dir(dir.path()).unwrap_err().to_string();
        assert!(
            second.contains(&format!("pid {}", std::process::id())),
            "{second}"
        );
        drop(first);
        lock_data_dir(dir.path()).unwrap();
    }
}
