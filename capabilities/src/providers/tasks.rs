//! The task provider contract (`data.*` capabilities).
//!
//! Each extension sees only its own tasks: the broker passes the calling
//! extension's id as the namespace, and a provider must scope every query by it.
//! A namespace keeps at most its `max_tasks` (a quota, see `limits.rs`).

use crate::error::Result;

/// A stored task.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Task {
    /// Row id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// Description (may be empty).
    pub description: String,
    /// Free-form status, `open` by default.
    pub status: String,
    /// Free-form JSON data attached by the extension.
    pub data: serde_json::Value,
    /// Creation time, Unix milliseconds.
    pub created_ms: i64,
    /// Last update, Unix milliseconds.
    pub updated_ms: i64,
}

/// `data.create_task` request.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTask {
    /// Title, 1 to 1024 bytes.
    pub title: String,
    /// Description, at most 64 KiB.
    #[serde(default)]
    pub description: String,
    /// Status, default `open`.
    #[serde(default)]
    pub status: Option<String>,
    /// JSON data, at most 256 KiB serialised.
    #[serde(default)]
    pub data: Option<serde_json::Value>,
}

/// `data.get_task` request.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskId {
    /// Row id.
    pub id: i64,
}

/// `data.list_tasks` request.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskQuery {
    /// Only tasks with this status.
    #[serde(default)]
    pub status: Option<String>,
    /// At most this many (default 100, max 1000).
    #[serde(default)]
    pub limit: Option<u32>,
    /// Skip this many.
    #[serde(default)]
    pub offset: Option<u32>,
}

/// `data.update_task` request: the fields to change.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskPatch {
    /// Row id.
    pub id: i64,
    /// New title.
    #[serde(default)]
    pub title: Option<String>,
    /// New description.
    #[serde(default)]
    pub description: Option<String>,
    /// New status.
    #[serde(default)]
    pub status: Option<String>,
    /// New data.
    #[serde(default)]
    pub data: Option<serde_json::Value>,
}

/// Longest title.
pub const MAX_TITLE_BYTES: usize = 1024;
/// Longest description.
pub const MAX_DESCRIPTION_BYTES: usize = 64 * 1024;
/// Longest status.
pub const MAX_STATUS_BYTES: usize = 64;
/// Largest serialised `data`.
pub const MAX_TASK_DATA_BYTES: usize = 256 * 1024;
/// Most tasks one `list_tasks` returns.
pub const MAX_LIST_LIMIT: u32 = 1000;

/// Stores tasks per namespace (the extension id).
#[async_trait::async_trait]
pub trait TaskProvider: Send + Sync + 'static {
    /// Creates a task, **unless the namespace already keeps `max_tasks`**:
    /// counted and inserted in one write transaction, so that concurrent
    /// writers (threads or processes) never pass the quota together.
    ///
    /// # Errors
    /// `quota_exceeded` at `max_tasks`; `capability_failed` or `io` when the
    /// store fails.
    async fn create(&self, namespace: &str, task: NewTask, max_tasks: u64) -> Result<Task>;
    /// One task of this namespace.
    ///
    /// # Errors
    /// `capability_failed` or `io` when the store fails.
    async fn get(&self, namespace: &str, id: i64) -> Result<Option<Task>>;
    /// Tasks of this namespace, oldest first.
    ///
    /// # Errors
    /// `capability_failed` or `io` when the store fails.
    async fn list(&self, namespace: &str, query: TaskQuery) -> Result<Vec<Task>>;
    /// Applies `patch`; `None` when the task is not in this namespace.
    ///
    /// # Errors
    /// `capability_failed` or `io` when the store fails.
    async fn update(&self, namespace: &str, patch: TaskPatch) -> Result<Option<Task>>;
}
