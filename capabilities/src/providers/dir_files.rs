//! Files under a per-extension root (being written).

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::providers::files::{DirEntry, FileProvider};

/// Files under `root/<extension>/`.
#[derive(Debug)]
pub struct DirFiles {
    #[allow(dead_code)] // replaced by the real implementation
    root: PathBuf,
}

impl DirFiles {
    /// Files under `root`.
    ///
    /// # Errors
    /// `io` when `root` cannot be created.
    pub fn new(root: PathBuf) -> Result<DirFiles> {
        Ok(DirFiles { root })
    }
}

fn unbuilt() -> Error {
    Error::internal("file provider not built yet")
}

#[async_trait::async_trait]
impl FileProvider for DirFiles {
    async fn read(&self, _n: &str, _p: &str, _m: u64) -> Result<Vec<u8>> {
        Err(unbuilt())
    }
    async fn write(&self, _n: &str, _p: &str, _c: Vec<u8>, _m: u64) -> Result<()> {
        Err(unbuilt())
    }
    async fn list(&self, _n: &str, _p: Option<&str>) -> Result<Vec<DirEntry>> {
        Err(unbuilt())
    }
    async fn delete(&self, _n: &str, _p: &str) -> Result<()> {
        Err(unbuilt())
    }
}
