//! `data.create_task` / `get_task` / `list_tasks` / `update_task`: the host's
//! task store.
//!
//! **Each extension sees only its own tasks**; ids of other extensions'
//! tasks behave as missing (`capability_failed`, "task N not found").

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::Result;
use crate::host::{from_response, invoke};

/// A stored task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Row id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// Description (may be empty).
    #[serde(default)]
    pub description: String,
    /// Free-form status, `open` by default.
    pub status: String,
    /// Free-form JSON data attached by the extension.
    #[serde(default)]
    pub data: Value,
    /// Creation time, Unix milliseconds.
    pub created_ms: i64,
    /// Last update, Unix milliseconds.
    pub updated_ms: i64,
}

/// What [`create_task`] stores.
///
/// ```
/// use morph_sdk::data::NewTask;
///
/// let task = NewTask::new("Triage #12").with_status("todo");
/// assert_eq!(task.title, "Triage #12");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewTask {
    /// Title, 1 to 1024 bytes.
    pub title: String,
    /// Description, at most 64 KiB.
    #[serde(default)]
    pub description: String,
    /// Status; the host uses `open` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// JSON data, at most 256 KiB serialised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl NewTask {
    /// A task with `title` and nothing else.
    pub fn new(title: impl Into<String>) -> NewTask {
        NewTask {
            title: title.into(),
            ..NewTask::default()
        }
    }

    /// Sets the description.
    pub fn with_description(mut self, description: impl Into<String>) -> NewTask {
        self.description = description.into();
        self
    }

    /// Sets the status.
    pub fn with_status(mut self, status: impl Into<String>) -> NewTask {
        self.status = Some(status.into());
        self
    }

    /// Sets the data.
    pub fn with_data(mut self, data: Value) -> NewTask {
        self.data = Some(data);
        self
    }
}

/// Which tasks [`list_tasks`] returns (all fields optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskQuery {
    /// Only tasks with this status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// At most this many (host default 100, max 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Skip this many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u32>,
}

/// The fields [`update_task`] changes; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskPatch {
    /// The task to change.
    pub id: i64,
    /// New title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// New description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// New data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl TaskPatch {
    /// A patch of task `id` changing nothing yet.
    pub fn new(id: i64) -> TaskPatch {
        TaskPatch {
            id,
            ..TaskPatch::default()
        }
    }
}

#[derive(Deserialize)]
struct ListResponse {
    tasks: Vec<Task>,
}

/// Creates a task.
///
/// # Errors
/// `permission_denied` without `data:write`; `invalid_request` for oversize
/// fields.
pub fn create_task(task: NewTask) -> Result<Task> {
    let request = serde_json::to_value(&task)?;
    from_response("data.create_task", invoke("data.create_task", &request)?)
}

/// One task of this extension.
///
/// # Errors
/// `permission_denied` without `data:read`; `capability_failed` when no such
/// task exists here.
pub fn get_task(id: i64) -> Result<Task> {
    from_response(
        "data.get_task",
        invoke("data.get_task", &json!({ "id": id }))?,
    )
}

/// This extension's tasks, oldest first.
///
/// # Errors
/// `permission_denied` without `data:read`.
pub fn list_tasks(query: TaskQuery) -> Result<Vec<Task>> {
    let request = serde_json::to_value(&query)?;
    let reply: ListResponse =
        from_response("data.list_tasks", invoke("data.list_tasks", &request)?)?;
    Ok(reply.tasks)
}

/// Applies `patch` and returns the updated task.
///
/// # Errors
/// `permission_denied` without `data:write`; `capability_failed` when no such
/// task exists here.
pub fn update_task(patch: TaskPatch) -> Result<Task> {
    let request = serde_json::to_value(&patch)?;
    from_response("data.update_task", invoke("data.update_task", &request)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::mock;

    fn task(id: i64, title: &str, status: &str) -> Value {
        json!({"id": id, "title": title, "description": "", "status": status,
               "data": null, "created_ms": 1, "updated_ms": 2})
    }

    #[test]
    fn requests_leave_unset_fields_out() {
        let sent = mock::record(json!({"ok": task(1, "t", "open")}));
        create_task(NewTask::new("t")).unwrap();
        let mut patch = TaskPatch::new(1);
        patch.status = Some("done".to_owned());
        update_task(patch).unwrap();
        get_task(1).unwrap();
        let sent = sent.borrow();
        assert_eq!(sent[0].1, json!({"title": "t", "description": ""}));
        assert_eq!(sent[1].1, json!({"id": 1, "status": "done"}));
        assert_eq!(sent[2], ("data.get_task".to_owned(), json!({"id": 1})));
    }

    #[test]
    fn lists_unwrap_the_tasks_field() {
        mock::install(|cap, req| {
            assert_eq!(cap, "data.list_tasks");
            assert_eq!(req, json!({"status": "open", "limit": 5}));
            json!({"ok": {"tasks": [task(1, "a", "open"), task(2, "b", "open")]}})
        });
        let query = TaskQuery {
            status: Some("open".to_owned()),
            limit: Some(5),
            offset: None,
        };
        let titles: Vec<String> = list_tasks(query)
            .unwrap()
            .into_iter()
            .map(|t| t.title)
            .collect();
        assert_eq!(titles, ["a", "b"]);
    }
}
