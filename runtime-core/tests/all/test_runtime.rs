//! A runtime defined in tests (never shipped): kind `test`, registered at link
//! time with `register_runtime!` so that the registry, `Host` and the CLI are
//! exercised end to end without a language engine.
//!
//! Its "guest" is Rust code that reads the entry file's first line as a
//! greeting and answers actions the way a guest would: echo, capability calls,
//! errors, panics, stalls, big outputs. Shared with the CLI's tests via `#[path]`.

#![allow(dead_code)] // each test binary uses a different subset

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use morph_runtime_core::capabilities::providers::Event;
use morph_runtime_core::{
    Call, Error, LoadRequest, LoadedExtension, MorphRuntime, Result, RuntimeInfo,
};
use serde_json::{Value, json};

#[derive(Debug, Default)]
pub struct TestRuntime;

morph_runtime_core::register_runtime!(|| Arc::new(TestRuntime));

#[async_trait]
impl MorphRuntime for TestRuntime {
    fn info(&self) -> RuntimeInfo {
        RuntimeInfo {
            id: "test".into(),
            kind: "test".into(),
            engine: "rust".into(),
            engine_version: env!("CARGO_PKG_VERSION").into(),
        }
    }

    async fn load(&self, request: LoadRequest<'_>) -> Result<Arc<dyn LoadedExtension>> {
        let entry = request.package.read_entry()?;
        let greeting = String::from_utf8_lossy(&entry)
            .lines()
            .next()
            .unwrap_or("")
            .to_owned();
        if request.config.get("fail_init") == Some(&json!(true)) {
            return Err(Error::InitFailed(Box::new(Error::guest("init refused"))));
        }
        if request.config.get("log_in_init") == Some(&json!(true)) {
            request
                .init
                .start()
                .invoke("log", json!({"message": "init ran"}))
                .await
                .map_err(|e| Error::InitFailed(Box::new(e)))?;
        }
        Ok(Arc::new(TestExtension {
            greeting,
            executions: AtomicUsize::new(0),
            events: Default::default(),
        }))
    }
}

pub struct TestExtension {
    greeting: String,
    /// How many times `execute` reached this guest (to prove checks happen before).
    executions: AtomicUsize,
    pub events: std::sync::Mutex<Vec<Event>>,
}

#[async_trait]
impl LoadedExtension for TestExtension {
    async fn execute(&self, call: Call, action: &str, params: Value) -> Result<Value> {
        let previous = self.executions.fetch_add(1, Ordering::SeqCst);
        match action {
            "count" => Ok(json!(previous)),
            "echo" => Ok(params),
            "greet" => Ok(json!(self.greeting)),
            "call" => {
                let capability = params["capability"].as_str().unwrap_or_default().to_owned();
                call.invoke(&capability, params["request"].clone()).await
            }
            "fail" => Err(Error::guest(
                params["message"].as_str().unwrap_or("failed").to_owned(),
            )),
            "panic" => panic!("test guest panicked"),
            "stall" => {
                // Ignores its deadline on purpose: the host's backstop must end it.
                tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                Ok(Value::Null)
            }
            "big" => Ok(json!(
                "x".repeat(params["bytes"].as_u64().unwrap_or(0) as usize)
            )),
            other => Err(Error::guest(format!("no such action {other}"))),
        }
    }

    fn handles_events(&self) -> bool {
        true
    }

    async fn on_event(&self, _call: Call, event: Event) -> Result<()> {
        self.events.lock().unwrap().push(event);
        Ok(())
    }
}

/// Writes a package directory for the test runtime with `manifest` (YAML) and
/// an entry file `main.txt`.
pub fn package(dir: &Path, manifest: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("manifest.yaml"), manifest).unwrap();
    std::fs::write(dir.join("main.txt"), "hello from the test guest\n").unwrap();
}

/// A manifest for the test runtime with the given permissions and limits YAML.
pub fn manifest(id: &str, permissions: &[&str], extra: &str) -> String {
    let perms = if permissions.is_empty() {
        "permissions: []".to_owned()
    } else {
        format!(
            "permissions:\n{}",
            permissions
                .iter()
                .map(|p| format!("  - {p}\n"))
                .collect::<String>()
        )
    };
    format!(
        r#"extension_id: {id}
version: 1.0.0
metadata:
  name: Test extension
  description: An extension for the test runtime
runtime: test
entry: main.txt
{perms}
actions:
  - name: echo
    description: Returns its parameters
    parameters:
      - name: text
        type: string
        required: true
      - name: times
        type: integer
        default: 1
    ai_access: execute
  - name: greet
    description: Returns the first line of the entry
    ai_access: propose
  - name: call
    description: Calls a capability
    parameters:
      - name: capability
        type: string
        required: true
      - name: request
        type: object
    ai_access: blocked
  - name: fail
    description: Raises a guest error
    parameters:
      - name: message
        type: string
  - name: count
    description: How many calls reached the guest before this one
  - name: panic
    description: Panics inside the runtime
  - name: stall
    description: Ignores its deadline
  - name: big
    description: Returns a big string
    parameters:
      - name: bytes
        type: integer
        required: true
{extra}"#
    )
}
