//! `morph-test-guest`: the behaviour guest `runtime-wasm`'s tests drive, one
//! action per behaviour the runtime must handle (results, errors, panics,
//! every limit, capabilities raw and typed, instance state).
//!
//! **Each action does exactly what its name says and nothing clever**: a
//! test reads as "the guest did X, the host answered Y". Built for
//! `wasm32-unknown-unknown` by `scripts/build-guests.sh` into
//! `runtime-wasm/tests/guest/morph_test_guest.wasm`.
//!
//! Actions (parameters in parentheses):
//! - `echo` (any) returns its params; `fail` (message) returns a guest error;
//!   `panic` (message) panics;
//! - `loop_forever` never returns; `grow_memory` (mb) keeps `mb` MiB alive and
//!   returns `mb`; `allocate_at_once` (kind, mb) makes one allocation of `mb` MiB; `recurse` (depth) recurses without tail calls on the
//!   engine's stack and returns the depth reached; `big_output` (bytes) returns that many `x`;
//! - `call` (capability, request) invokes a capability and propagates its
//!   error; `call_catch` (capability, request) returns `{"ok": v}` or
//!   `{"error": {"code", "message"}}` instead of failing;
//! - `log` (message, times), `emit` (message), `config`, `vault_roundtrip`
//!   (key, value), `fs_roundtrip` (path, content), `task_roundtrip` (title),
//!   `http_get` (url);
//! - `state_set` (value) / `state_get` keep a value in the instance;
//!   `init_config` returns the config `init` saw; `events_seen` returns the
//!   messages `on_event` received (which also stores the last one in the
//!   vault as `last_event` when it may);
//! - `call_sequence` (calls: `[{capability, request}]`) runs every call in
//!   order and returns each outcome as `call_catch` shapes it;
//! - `ambient` (port) tries the language's own routes to the host (read
//!   `/etc/passwd`, read `PATH` and `HOME`, connect to `127.0.0.1:port`,
//!   spawn `/bin/sh`) and returns `{files, env, network, process}`, each
//!   `true` if that route worked.
//!
//! `init` stores the config and fails when it has `"fail_init": true`.

use std::hint::black_box;

use morph_sdk::data::{NewTask, TaskPatch, TaskQuery};
use morph_sdk::{Error, Extension, Value, json};

/// The guest: what `init`, `state_set` and `on_event` left in this instance.
#[derive(Debug, Default)]
pub struct TestGuest {
    config: Value,
    state: Value,
    events: Vec<String>,
}

impl Extension for TestGuest {
    fn init(&mut self, config: Value) -> Result<(), Error> {
        if config.get("fail_init") == Some(&Value::Bool(true)) {
            return Err(Error::new("init failed on purpose (fail_init)"));
        }
        self.config = config;
        Ok(())
    }

    fn execute(&mut self, action: &str, params: Value) -> Result<Value, Error> {
        match action {
            "echo" => Ok(params),
            "fail" => Err(Error::new(str_param(&params, "message")?)),
            "panic" => panic!("{}", str_param(&params, "message")?),
            "loop_forever" => loop_forever(),
            "grow_memory" => grow_memory(u64_param(&params, "mb")?),
            "allocate_at_once" => {
                allocate_at_once(str_param(&params, "kind")?, usize_param(&params, "mb")?)
            }
            "recurse" => Ok(json!(recurse(u64_param(&params, "depth")?))),
            "big_output" => Ok(json!("x".repeat(usize_param(&params, "bytes")?))),
            "call" => morph_sdk::invoke(str_param(&params, "capability")?, &params["request"]),
            "call_catch" => Ok(call_catch(&params)?),
            "call_sequence" => call_sequence(&params),
            "ambient" => Ok(ambient(&params)),
            "log" => log(&params),
            "emit" => {
                morph_sdk::events::emit("info", str_param(&params, "message")?)?;
                Ok(Value::Null)
            }
            "config" => morph_sdk::config::get(),
            "init_config" => Ok(self.config.clone()),
            "state_set" => {
                self.state = params.get("value").cloned().unwrap_or(Value::Null);
                Ok(self.state.clone())
            }
            "state_get" => Ok(self.state.clone()),
            "events_seen" => Ok(json!(self.events)),
            "vault_roundtrip" => vault_roundtrip(&params),
            "fs_roundtrip" => fs_roundtrip(&params),
            "task_roundtrip" => task_roundtrip(&params),
            "http_get" => {
                let resp = morph_sdk::http::get(str_param(&params, "url")?)?;
                Ok(json!({ "status": resp.status, "body": resp.body }))
            }
            other => Err(Error::new(format!("unknown action `{other}`"))),
        }
    }

    /// Keeps the message, and also stores it in the vault under
    /// `last_event` when the grants allow (so a test can see it from any
    /// instance); a refused store is ignored.
    fn on_event(&mut self, event: morph_sdk::events::Event) -> Result<(), Error> {
        let _ = morph_sdk::vault::set("last_event", &event.message);
        self.events.push(event.message);
        Ok(())
    }
}

fn str_param<'a>(params: &'a Value, name: &str) -> Result<&'a str, Error> {
    params
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| Error::new(format!("missing string parameter `{name}`")))
}

fn u64_param(params: &Value, name: &str) -> Result<u64, Error> {
    params
        .get(name)
        .and_then(Value::as_u64)
        .ok_or_else(|| Error::new(format!("missing integer parameter `{name}`")))
}

fn usize_param(params: &Value, name: &str) -> Result<usize, Error> {
    usize::try_from(u64_param(params, name)?)
        .map_err(|_| Error::new(format!("`{name}` is too large")))
}

/// Spins until the host's deadline stops it.
fn loop_forever() -> ! {
    let mut n: u64 = 0;
    loop {
        n = black_box(n.wrapping_add(1));
    }
}

/// Allocates and touches `mb` MiB in 1 MiB chunks, all alive at once.
fn grow_memory(mb: u64) -> Result<Value, Error> {
    const MIB: usize = 1 << 20;
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    for i in 0..mb {
        // Every page written, so the memory really is in use.
        chunks.push(vec![(i as u8) | 1; MIB]);
    }
    let chunks = black_box(chunks);
    Ok(json!(chunks.len()))
}

/// One operation whose result takes `mb` MiB, of the kind the conformance
/// suite names (in Rust each is one allocation sized from the input).
fn allocate_at_once(kind: &str, mb: usize) -> Result<Value, Error> {
    let bytes = mb << 20;
    let len = match kind {
        "string" => black_box("x".repeat(bytes)).len(),
        "join" => {
            let piece = "x".repeat(1 << 10);
            black_box(vec![piece.as_str(); bytes >> 10].join("")).len()
        }
        "buffer" | "number" => black_box(vec![1u8; bytes]).len(),
        "array" => black_box(vec![1u64; bytes / 8]).len(),
        other => return Err(Error::new(format!("unknown kind {other}"))),
    };
    Ok(json!(len))
}

/// Non-tail recursion `depth` levels deep; returns the depth reached.
///
/// The frames live on the engine's stack only: the depth stays in a wasm
/// local, so nothing goes to the guest's shadow stack in linear memory (whose
/// 1 MiB would otherwise run out first, as a plain out-of-bounds trap, and
/// `std::hint::black_box` would put a slot there on every frame). A huge depth
/// therefore exhausts the engine's stack: `stack_overflow`. The recursive call
/// goes through a function pointer read with a volatile load, which LLVM can
/// neither inline nor turn into a loop.
fn recurse(depth: u64) -> u64 {
    if depth == 0 {
        return 0;
    }
    // SAFETY: `RECURSE` is a valid, initialised, immutable static; the
    // volatile read only hides its value from the optimiser.
    let next = unsafe { std::ptr::read_volatile(&RECURSE) };
    next(depth - 1) + 1
}

/// [`recurse`], called indirectly.
static RECURSE: fn(u64) -> u64 = recurse;

fn call_catch(params: &Value) -> Result<Value, Error> {
    let capability = str_param(params, "capability")?;
    Ok(outcome(morph_sdk::invoke(capability, &params["request"])))
}

fn outcome(result: Result<Value, Error>) -> Value {
    match result {
        Ok(value) => json!({ "ok": value }),
        Err(e) => json!({ "error": { "code": e.code(), "message": e.message() } }),
    }
}

fn call_sequence(params: &Value) -> Result<Value, Error> {
    let calls = params
        .get("calls")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::new("`calls` must be a list"))?;
    let mut outcomes = Vec::with_capacity(calls.len());
    for c in calls {
        let capability = str_param(c, "capability")?;
        outcomes.push(outcome(morph_sdk::invoke(capability, &c["request"])));
    }
    Ok(Value::Array(outcomes))
}

/// The language's own routes to the host; on `wasm32-unknown-unknown` std
/// has none of them, and this proves it at run time.
fn ambient(params: &Value) -> Value {
    let port = params.get("port").and_then(Value::as_u64).unwrap_or(9) as u16;
    json!({
        "files": std::fs::read("/etc/passwd").is_ok(),
        "env": std::env::var_os("PATH").is_some() || std::env::var_os("HOME").is_some(),
        "network": std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
        "process": std::process::Command::new("/bin/sh").arg("-c").arg("true").status().is_ok(),
    })
}

fn log(params: &Value) -> Result<Value, Error> {
    let message = str_param(params, "message")?;
    let times = params.get("times").and_then(Value::as_u64).unwrap_or(1);
    for _ in 0..times {
        morph_sdk::log::info(message)?;
    }
    Ok(json!(times))
}

fn vault_roundtrip(params: &Value) -> Result<Value, Error> {
    let key = str_param(params, "key")?;
    morph_sdk::vault::set(key, str_param(params, "value")?)?;
    Ok(json!({ "value": morph_sdk::vault::get(key)? }))
}

fn fs_roundtrip(params: &Value) -> Result<Value, Error> {
    let path = str_param(params, "path")?;
    morph_sdk::fs::write_str(path, str_param(params, "content")?)?;
    let content = morph_sdk::fs::read_to_string(path)?;
    let listed: Vec<String> = morph_sdk::fs::list(None)?
        .into_iter()
        .map(|e| e.name)
        .collect();
    morph_sdk::fs::delete(path)?;
    let after: Vec<String> = morph_sdk::fs::list(None)?
        .into_iter()
        .map(|e| e.name)
        .collect();
    Ok(json!({ "content": content, "listed": listed, "after_delete": after }))
}

fn task_roundtrip(params: &Value) -> Result<Value, Error> {
    let title = str_param(params, "title")?;
    let created = morph_sdk::data::create_task(NewTask::new(title))?;
    let fetched = morph_sdk::data::get_task(created.id)?;
    let mut patch = TaskPatch::new(created.id);
    patch.status = Some("done".to_owned());
    let updated = morph_sdk::data::update_task(patch)?;
    let listed = morph_sdk::data::list_tasks(TaskQuery::default())?;
    Ok(json!({
        "id": created.id,
        "title": fetched.title,
        "status_before": created.status,
        "status_after": updated.status,
        "listed": listed.len(),
    }))
}

morph_sdk::export_extension!(TestGuest);

#[cfg(test)]
mod tests {
    use super::*;

    fn run(action: &str, params: Value) -> Result<Value, Error> {
        TestGuest::default().execute(action, params)
    }

    #[test]
    fn pure_actions_behave_natively() {
        assert_eq!(run("echo", json!({"a": [1]})).unwrap(), json!({"a": [1]}));
        assert_eq!(
            run("fail", json!({"message": "m"})).unwrap_err().message(),
            "m"
        );
        assert_eq!(run("recurse", json!({"depth": 1000})).unwrap(), json!(1000));
        assert_eq!(
            run("big_output", json!({"bytes": 3})).unwrap(),
            json!("xxx")
        );
        assert_eq!(run("grow_memory", json!({"mb": 2})).unwrap(), json!(2));
        assert!(run("nope", Value::Null).is_err());
    }

    #[test]
    fn state_and_init_live_in_the_instance() {
        let mut g = TestGuest::default();
        g.init(json!({"k": 1})).unwrap();
        g.execute("state_set", json!({"value": "v"})).unwrap();
        assert_eq!(g.execute("state_get", Value::Null).unwrap(), json!("v"));
        assert_eq!(
            g.execute("init_config", Value::Null).unwrap(),
            json!({"k": 1})
        );
        assert!(
            TestGuest::default()
                .init(json!({"fail_init": true}))
                .is_err()
        );
    }

    #[test]
    fn call_catch_reports_errors_as_values() {
        let out = run(
            "call_catch",
            json!({"capability": "vault.get", "request": {}}),
        )
        .unwrap();
        assert_eq!(out["error"]["code"], "unknown_capability");
        let err = run("call", json!({"capability": "vault.get", "request": {}})).unwrap_err();
        assert_eq!(err.code(), "unknown_capability");
    }

    #[test]
    #[should_panic(expected = "on purpose")]
    fn panic_panics_with_the_message() {
        let _ = run("panic", json!({"message": "on purpose"}));
    }
}
