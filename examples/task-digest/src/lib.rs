//! `task-digest`: a Morph extension that keeps tasks and writes a Markdown
//! digest of them, grouped by status. It needs no network.
//!
//! Actions:
//! - `add {title, status}`: creates a task, returns it;
//! - `digest`: lists every task, writes `digest.md` to the extension's own
//!   files and returns `{total, by_status, file}`.

use std::collections::BTreeMap;

use morph_sdk::data::{self, NewTask, Task, TaskQuery};
use morph_sdk::{Error, Extension, Value, fs, json, log, serde_json};
use serde::Deserialize;

/// The extension (stateless: everything lives in the host's stores).
#[derive(Debug, Default)]
pub struct TaskDigest;

#[derive(Deserialize)]
struct Add {
    title: String,
    #[serde(default)]
    status: Option<String>,
}

/// The most tasks one `digest` reads.
const MAX_TASKS: u32 = 1000;

impl Extension for TaskDigest {
    fn execute(&mut self, action: &str, params: Value) -> Result<Value, Error> {
        match action {
            "add" => {
                let add: Add = serde_json::from_value(params)?;
                let mut task = NewTask::new(add.title);
                if let Some(status) = add.status {
                    task = task.with_status(status);
                }
                let task = data::create_task(task)?;
                log::info(&format!("added task #{}", task.id))?;
                Ok(serde_json::to_value(task)?)
            }
            "digest" => {
                let tasks = data::list_tasks(TaskQuery {
                    limit: Some(MAX_TASKS),
                    ..TaskQuery::default()
                })?;
                let by_status = count_by_status(&tasks);
                fs::write_str("digest.md", &render(&tasks))?;
                Ok(json!({ "total": tasks.len(), "by_status": by_status, "file": "digest.md" }))
            }
            other => Err(Error::new(format!("unknown action `{other}`"))),
        }
    }
}

/// How many tasks have each status.
pub fn count_by_status(tasks: &[Task]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for task in tasks {
        *counts.entry(task.status.clone()).or_insert(0) += 1;
    }
    counts
}

/// The digest as Markdown: one section per status, one line per task.
pub fn render(tasks: &[Task]) -> String {
    let mut groups: BTreeMap<&str, Vec<&Task>> = BTreeMap::new();
    for task in tasks {
        groups.entry(task.status.as_str()).or_default().push(task);
    }
    let mut out = format!("# Task digest\n\n{} tasks\n", tasks.len());
    for (status, tasks) in groups {
        out.push_str(&format!("\n## {status} ({})\n\n", tasks.len()));
        for task in tasks {
            out.push_str(&format!("- #{} {}\n", task.id, task.title));
        }
    }
    out
}

morph_sdk::export_extension!(TaskDigest);

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: i64, title: &str, status: &str) -> Task {
        serde_json::from_value(json!({
            "id": id, "title": title, "description": "", "status": status,
            "data": null, "created_ms": 0, "updated_ms": 0
        }))
        .unwrap()
    }

    #[test]
    fn digest_groups_by_status() {
        let tasks = [
            task(1, "a", "open"),
            task(2, "b", "done"),
            task(3, "c", "open"),
        ];
        assert_eq!(count_by_status(&tasks)["open"], 2);
        let md = render(&tasks);
        assert!(md.contains("## open (2)"), "{md}");
        assert!(md.contains("- #2 b"), "{md}");
    }
}
