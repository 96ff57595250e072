//! Vault and tasks in one SQLite file (being written).

use std::path::Path;

use crate::error::{Error, Result};
use crate::providers::tasks::{NewTask, Task, TaskPatch, TaskProvider, TaskQuery};
use crate::providers::vault::VaultProvider;

/// Vault and tasks in SQLite.
#[derive(Debug)]
pub struct SqliteStore;

impl SqliteStore {
    /// Opens (or creates) the database at `path`.
    ///
    /// # Errors
    /// `io` when it cannot be opened.
    pub fn open(_path: &Path) -> Result<SqliteStore> {
        Ok(SqliteStore)
    }
}

fn unbuilt() -> Error {
    Error::internal("sqlite store not built yet")
}

#[async_trait::async_trait]
impl VaultProvider for SqliteStore {
    async fn get(&self, _namespace: &str, _key: &str) -> Result<Option<String>> {
        Err(unbuilt())
    }
    async fn set(&self, _namespace: &str, _key: &str, _value: &str) -> Result<()> {
        Err(unbuilt())
    }
}

#[async_trait::async_trait]
impl TaskProvider for SqliteStore {
    async fn create(&self, _namespace: &str, _task: NewTask) -> Result<Task> {
        Err(unbuilt())
    }
    async fn get(&self, _namespace: &str, _id: i64) -> Result<Option<Task>> {
        Err(unbuilt())
    }
    async fn list(&self, _namespace: &str, _query: TaskQuery) -> Result<Vec<Task>> {
        Err(unbuilt())
    }
    async fn update(&self, _namespace: &str, _patch: TaskPatch) -> Result<Option<Task>> {
        Err(unbuilt())
    }
}
