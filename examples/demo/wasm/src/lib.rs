//! `morph-demo`: the Rust half of Morph's first-run demo (`scripts/demo.sh`),
//! compiled to wasm. `examples/demo/js` and `examples/demo/python` are the
//! same extension in JavaScript and Python: the same actions, the same
//! results, under the same manifest permissions, so that the demo and its
//! test (`cli/tests/all/demo.rs`) can compare the three.
//!
//! Actions:
//! - `import {url}`: fetches `{"tasks": [{title, status}]}` from `url`
//!   (`http:read`, an allowed host), stores each task (`data:write`) and
//!   returns `{imported, by_status}`, counted from the store (`data:read`);
//! - `read_notes`: reads `notes.txt` from the extension's files, which the
//!   manifest does not grant: the broker refuses (`permission_denied`);
//! - `spin`: loops until the time limit stops it (`timeout`).

use std::collections::BTreeMap;

use morph_sdk::data::{self, NewTask, TaskQuery};
use morph_sdk::{Error, Extension, Value, fs, http, json, serde_json};
use serde::Deserialize;

/// The extension (stateless: everything lives in the host's stores).
#[derive(Debug, Default)]
pub struct Demo;

/// `import`'s parameters.
#[derive(Deserialize)]
struct Import {
    url: String,
}

/// The document `import` fetches.
#[derive(Deserialize)]
struct Feed {
    tasks: Vec<FeedTask>,
}

/// One task of the document.
#[derive(Deserialize)]
struct FeedTask {
    title: String,
    status: String,
}

/// The most tasks `import` counts (one page of the store).
const MAX_TASKS: u32 = 100;

impl Extension for Demo {
    fn execute(&mut self, action: &str, params: Value) -> Result<Value, Error> {
        match action {
            "import" => {
                let Import { url } = serde_json::from_value(params)?;
                let response = http::get(&url)?;
                if !response.is_success() {
                    return Err(Error::new(format!("GET {url}: HTTP {}", response.status)));
                }
                let feed: Feed = response.json()?;
                for task in &feed.tasks {
                    data::create_task(NewTask::new(&task.title).with_status(&task.status))?;
                }
                let stored = data::list_tasks(TaskQuery {
                    limit: Some(MAX_TASKS),
                    ..TaskQuery::default()
                })?;
                let mut by_status = BTreeMap::new();
                for task in stored {
                    *by_status.entry(task.status).or_insert(0u32) += 1;
                }
                Ok(json!({ "imported": feed.tasks.len(), "by_status": by_status }))
            }
            "read_notes" => Ok(json!(fs::read_to_string("notes.txt")?)),
            "spin" => {
                let mut turns = 0u64;
                loop {
                    // Opaque to the optimiser, so the loop stays a loop.
                    turns = std::hint::black_box(turns.wrapping_add(1));
                }
            }
            other => Err(Error::new(format!("unknown action `{other}`"))),
        }
    }
}

morph_sdk::export_extension!(Demo);
