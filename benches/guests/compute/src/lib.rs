//! `morph-bench-guest`: the compute guest of Morph's wasm benchmarks
//! (`benches/benches/compute_wasm.rs`), the workloads of
//! `morph-bench-workloads` behind the Morph SDK, so that Morph's runtime,
//! the bare engines and native Rust run the very same code.
//!
//! Built for `wasm32-unknown-unknown` by `scripts/build-guests.sh` into
//! `benches/guests/compute/morph_bench_guest.wasm`.
//!
//! Actions (parameters in parentheses):
//! - `fib` (n) returns `fib(n)`;
//! - `transform` (doc: the document as JSON) returns the json workload's
//!   summary `{"count", "bytes"}`; the params' JSON text is parsed once,
//!   straight into the workload's records (ABI version 2's raw params);
//! - `sha256` (len) returns the hex digest of the sha256 workload's `len` bytes;
//! - `echo` (any) returns its params (the overhead figure).

use morph_bench_workloads as workloads;
use morph_sdk::{Error, Extension, Output, Value, json};
use serde::Deserialize;

/// `transform`'s params, parsed from the host's JSON text in one pass.
#[derive(Deserialize)]
struct TransformParams {
    doc: Vec<workloads::Record>,
}

/// The guest; it keeps no state.
#[derive(Debug, Default)]
pub struct ComputeGuest;

impl Extension for ComputeGuest {
    fn execute(&mut self, action: &str, params: Value) -> Result<Value, Error> {
        match action {
            "echo" => Ok(params),
            "fib" => {
                let n = u32::try_from(u64_param(&params, "n")?)
                    .map_err(|_| Error::new("`n` is too large"))?;
                Ok(json!(workloads::fib(n)))
            }
            "transform" => {
                let params: TransformParams = serde_json::from_value(params)
                    .map_err(|e| Error::new(format!("transform: {e}")))?;
                summary(params)
            }
            "sha256" => {
                let len = usize::try_from(u64_param(&params, "len")?)
                    .map_err(|_| Error::new("`len` is too large"))?;
                Ok(json!(workloads::sha256_hex(len)))
            }
            other => Err(Error::new(format!("unknown action `{other}`"))),
        }
    }

    fn execute_raw(&mut self, action: &str, params: &[u8]) -> Result<Output, Error> {
        if action == "transform" {
            let params: TransformParams = serde_json::from_slice(params)
                .map_err(|e| Error::new(format!("transform: {e}")))?;
            return summary(params).map(Output::Json);
        }
        self.execute(action, morph_sdk::parse_params(params)?)
            .map(Output::Json)
    }
}

fn summary(params: TransformParams) -> Result<Value, Error> {
    let summary = workloads::transform_records(params.doc)
        .map_err(|e| Error::new(format!("transform: {e}")))?;
    serde_json::to_value(summary).map_err(|e| Error::new(e.to_string()))
}

fn u64_param(params: &Value, name: &str) -> Result<u64, Error> {
    params
        .get(name)
        .and_then(Value::as_u64)
        .ok_or_else(|| Error::new(format!("missing integer parameter `{name}`")))
}

morph_sdk::export_extension!(ComputeGuest);

#[cfg(test)]
mod tests {
    use super::*;

    fn run(action: &str, params: Value) -> Result<Value, Error> {
        ComputeGuest.execute(action, params)
    }

    #[test]
    fn every_action_answers_as_the_workloads_do() {
        assert_eq!(run("fib", json!({"n": 10})).unwrap(), json!(55));
        let doc = workloads::document(4096);
        let summary = workloads::transform(&doc).unwrap();
        let doc_value: Value = serde_json::from_str(&doc).unwrap();
        let expected = json!({"count": summary.count, "bytes": summary.bytes});
        assert_eq!(
            run("transform", json!({"doc": doc_value})).unwrap(),
            expected
        );
        let raw = serde_json::to_vec(&json!({"doc": doc_value})).unwrap();
        assert_eq!(
            ComputeGuest.execute_raw("transform", &raw).unwrap(),
            Output::Json(expected)
        );
        assert_eq!(
            run("sha256", json!({"len": 3})).unwrap(),
            json!(workloads::sha256_hex(3))
        );
        assert_eq!(
            run("echo", json!({"value": 1})).unwrap(),
            json!({"value": 1})
        );
        assert!(run("fib", json!({})).is_err());
        assert!(run("nope", json!({})).is_err());
    }
}
