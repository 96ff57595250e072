//! The compute workloads of `morph-bench-workloads` as every JS and Python
//! runner calls them (`benches/compute_script.rs`): one [`Workload`] names
//! the guest action and its params (`Host::execute`), the workload function
//! and its argument (the bare engines, QuickJS, CPython), and native Rust's
//! answer, which every runner must give, as JSON.

use morph_bench_workloads as workloads;
use serde_json::{Value, json};

/// One call of a workload, with its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Workload {
    /// `fib(n)`.
    Fib(u32),
    /// `transform(doc)` of a document made by [`workloads::document`].
    Transform(String),
    /// `sha256_hex(len)`.
    Sha256(usize),
}

impl Workload {
    /// The compute guest's action (see [`crate::script_guest::compute_guest`]).
    pub fn action(&self) -> &'static str {
        match self {
            Workload::Fib(_) => "fib",
            Workload::Transform(_) => "transform",
            Workload::Sha256(_) => "sha256",
        }
    }

    /// The action's params.
    pub fn params(&self) -> Value {
        match self {
            Workload::Fib(n) => json!({ "n": n }),
            Workload::Transform(doc) => json!({ "doc": doc }),
            Workload::Sha256(len) => json!({ "len": len }),
        }
    }

    /// The function of [`workloads::JS`] / [`workloads::PYTHON`] that does
    /// the work.
    pub fn function(&self) -> &'static str {
        match self {
            Workload::Fib(_) => "fib",
            Workload::Transform(_) => "transform",
            Workload::Sha256(_) => "sha256_hex",
        }
    }

    /// The function's one argument.
    pub fn arg(&self) -> Value {
        match self {
            Workload::Fib(n) => json!(n),
            Workload::Transform(doc) => json!(doc),
            Workload::Sha256(len) => json!(len),
        }
    }

    /// The workload in Rust (the `native` runner), its answer as JSON: a
    /// number, `{"count", "bytes"}`, or the hex digest.
    ///
    /// # Panics
    /// When the document does not parse (never for [`workloads::document`]).
    pub fn native(&self) -> Value {
        match self {
            Workload::Fib(n) => json!(workloads::fib(*n)),
            Workload::Transform(doc) => {
                let summary = workloads::transform(doc).expect("the document transforms");
                json!({ "count": summary.count, "bytes": summary.bytes })
            }
            Workload::Sha256(len) => json!(workloads::sha256_hex(*len)),
        }
    }
}
