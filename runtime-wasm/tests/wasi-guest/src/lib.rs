//! `morph-wasi-guest`: a Morph extension built for `wasm32-wasip1` that uses
//! the parts of Rust's standard library that sit on WASI preview 1
//! (`println!`, `SystemTime`, `Instant`, a randomly seeded `HashMap`,
//! `std::fs`, `std::process::exit`), so that `runtime-wasm`'s WASI tests see
//! what a `cargo` user's first wasip1 guest does. It also answers with ABI
//! version 2's raw results (`text`, `raw`).
//!
//! Built by `scripts/build-guests.sh` into
//! `runtime-wasm/tests/wasi-guest/morph_wasi_guest.wasm`.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use morph_sdk::{Error, Extension, Output, Value, json};

/// The guest; it keeps no state.
#[derive(Debug, Default)]
pub struct WasiGuest;

impl Extension for WasiGuest {
    fn execute(&mut self, action: &str, params: Value) -> Result<Value, Error> {
        match action {
            "stdio" => {
                println!("hello from stdout");
                eprintln!("a warning on stderr");
                print!("no newline at the end");
                Ok(json!({"printed": 3}))
            }
            "lines" => {
                let count = u64_param(&params, "count")?;
                let width = usize::try_from(u64_param(&params, "width")?)
                    .map_err(|_| Error::new("`width` is too large"))?;
                let line = "x".repeat(width);
                for _ in 0..count {
                    println!("{line}");
                }
                Ok(json!({"printed": count}))
            }
            "clock" => {
                let started = Instant::now();
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_err(|e| Error::new(e.to_string()))?;
                Ok(json!({
                    "unix_secs": now.as_secs(),
                    "monotonic_ok": started.elapsed().as_nanos() < 60_000_000_000u128,
                }))
            }
            "hashmap" => {
                let mut map: HashMap<String, u32> = HashMap::new();
                for (i, word) in ["alpha", "beta", "gamma"].iter().enumerate() {
                    map.insert((*word).to_owned(), i as u32);
                }
                let mut entries: Vec<_> = map.into_iter().collect();
                entries.sort();
                let seeded = RandomState::new().hash_one("key");
                Ok(json!({"entries": entries, "hash": seeded.to_string()}))
            }
            "read_file" => {
                let path = params
                    .get("path")
                    .and_then(Value::as_str)
                    .ok_or_else(|| Error::new("missing string parameter `path`"))?;
                match std::fs::read(path) {
                    Ok(bytes) => Err(Error::new(format!(
                        "read {} bytes of a host file",
                        bytes.len()
                    ))),
                    Err(e) => Ok(json!({"error": e.to_string()})),
                }
            }
            "exit" => {
                let code = i32::try_from(u64_param(&params, "code")?)
                    .map_err(|_| Error::new("`code` is too large"))?;
                std::process::exit(code)
            }
            other => Err(Error::new(format!("unknown action `{other}`"))),
        }
    }

    fn execute_raw(&mut self, action: &str, params: &[u8]) -> Result<Output, Error> {
        match action {
            "text" => {
                let params: Value = serde_json(params)?;
                let text = params
                    .get("text")
                    .and_then(Value::as_str)
                    .ok_or_else(|| Error::new("missing string parameter `text`"))?;
                Ok(Output::Text(text.to_owned()))
            }
            "raw" => Ok(Output::JsonText(params.to_vec())),
            _ => self.execute(action, serde_json(params)?).map(Output::Json),
        }
    }
}

fn serde_json(params: &[u8]) -> Result<Value, Error> {
    morph_sdk::serde_json::from_slice(params).map_err(|e| Error::new(e.to_string()))
}

fn u64_param(params: &Value, name: &str) -> Result<u64, Error> {
    params
        .get(name)
        .and_then(Value::as_u64)
        .ok_or_else(|| Error::new(format!("missing integer parameter `{name}`")))
}

morph_sdk::export_extension!(WasiGuest);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_runs_answer_like_the_guest() {
        let mut g = WasiGuest;
        assert_eq!(
            g.execute_raw("text", br#"{"text": "a \"b\""}"#).unwrap(),
            Output::Text("a \"b\"".into())
        );
        assert_eq!(
            g.execute_raw("raw", b"[1, 2]").unwrap(),
            Output::JsonText(b"[1, 2]".to_vec())
        );
        let out = g.execute("read_file", json!({"path": "/nonexistent/x"}));
        assert!(out.unwrap()["error"].is_string());
        assert!(g.execute("nope", json!({})).is_err());
    }
}
