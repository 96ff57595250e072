//! The soak's call mix: what each call asks of a guest, how often, and which
//! outcomes it may end with, and the tally of what the calls did.
//!
//! Four classes: **ordinary** calls (no capability), **capability** calls
//! (vault, files, tasks, HTTP to the soak's server, events, logs),
//! **denials** (a host outside the allowlist, a method the grants lack) and
//! **faults** (a guest error, a panic or throw, an infinite loop, memory past
//! the limit, unbounded recursion). Every op names the outcomes it may end
//! with; `timeout` is allowed for all of them, because a call waiting for a
//! worker busy with an infinite loop may reach its deadline first (those are
//! counted apart). Anything else (`internal`, `io`, a capability that fails,
//! a quarantine) is **unexpected** and fails the soak.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use morph_runtime_core::Error;
use serde_json::{Value, json};

use super::http_server::SoakServer;

/// MiB the `grow_memory` fault asks for (the limit is 64).
pub const GROW_MB: u64 = 256;

/// What a call of the mix is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// No capability.
    Ordinary,
    /// Capabilities the grants allow.
    Capability,
    /// Capabilities the broker refuses.
    Denial,
    /// Guest errors, crashes and limit violations.
    Fault,
}

impl Class {
    /// The name in the tables.
    pub fn name(self) -> &'static str {
        match self {
            Class::Ordinary => "ordinary",
            Class::Capability => "capability",
            Class::Denial => "denial",
            Class::Fault => "fault",
        }
    }
}

/// One kind of call.
#[derive(Debug, Clone, Copy)]
pub struct Op {
    /// The name in the tables.
    pub name: &'static str,
    /// Its class.
    pub class: Class,
    /// Relative frequency.
    pub weight: u32,
    /// The guest action.
    pub action: &'static str,
    /// The outcomes it may end with besides `timeout` (`ok` for a result).
    pub expected: &'static [&'static str],
}

/// The mix, by weight (they add up to 100).
pub const OPS: [Op; 16] = [
    op("echo", Class::Ordinary, 22, "echo", &["ok"]),
    op("log", Class::Ordinary, 8, "log", &["ok"]),
    op("big_output", Class::Ordinary, 4, "big_output", &["ok"]),
    op("state", Class::Ordinary, 4, "state_set", &["ok"]),
    op("vault", Class::Capability, 8, "vault_roundtrip", &["ok"]),
    op("files", Class::Capability, 8, "fs_roundtrip", &["ok"]),
    op("tasks", Class::Capability, 4, "task_roundtrip", &["ok"]),
    op("http", Class::Capability, 8, "http_get", &["ok"]),
    op("emit", Class::Capability, 4, "emit", &["ok"]),
    op(
        "host_denied",
        Class::Denial,
        6,
        "http_get",
        &["host_not_allowed"],
    ),
    op(
        "method_denied",
        Class::Denial,
        4,
        "call",
        &["permission_denied"],
    ),
    op("fail", Class::Fault, 6, "fail", &["guest_error"]),
    op(
        "panic",
        Class::Fault,
        4,
        "panic",
        &["guest_crash", "guest_error"],
    ),
    op("loop", Class::Fault, 2, "loop_forever", &[]),
    op("memory", Class::Fault, 4, "grow_memory", &["memory_limit"]),
    op(
        "recurse",
        Class::Fault,
        4,
        "recurse",
        &["stack_overflow", "guest_error", "memory_limit"],
    ),
];

const fn op(
    name: &'static str,
    class: Class,
    weight: u32,
    action: &'static str,
    expected: &'static [&'static str],
) -> Op {
    Op {
        name,
        class,
        weight,
        action,
        expected,
    }
}

impl Op {
    /// The params of call number `n` of task `task`.
    pub fn params(&self, task: usize, n: u64, server: &SoakServer) -> Value {
        match self.name {
            "echo" => json!({"value": {"task": task, "n": n, "text": "soak"}}),
            "log" => json!({"message": format!("soak {task} {n}"), "times": 3}),
            "big_output" => json!({"bytes": 64 * 1024}),
            "state" => json!({"value": {"n": n}}),
            "vault" => json!({"key": format!("k{task}"), "value": format!("v{n}")}),
            "files" => json!({"path": format!("soak/t{task}.txt"), "content": format!("call {n}")}),
            "tasks" => json!({"title": format!("soak {task} {n}")}),
            "http" => json!({"url": server.url("/soak")}),
            "emit" => json!({"message": format!("soak {task} {n}")}),
            "host_denied" => json!({"url": "http://denied.invalid/soak"}),
            "method_denied" => json!({
                "capability": "http.fetch",
                "request": {"url": server.url("/soak"), "method": "POST"},
            }),
            "fail" | "panic" => json!({"message": "soak fault"}),
            "memory" => json!({"mb": GROW_MB}),
            "recurse" => json!({"depth": 100_000_000u64}),
            _ => json!({}),
        }
    }

    /// Whether `code` is an outcome this op may end with.
    pub fn allows(&self, code: &str) -> bool {
        code == TIMEOUT || self.expected.contains(&code)
    }
}

/// The outcome code of `timeout`.
pub const TIMEOUT: &str = "timeout";

/// The outcome of a call: `ok` or its error's code.
pub fn outcome(result: &Result<Value, Error>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(e) => e.code().as_str(),
    }
}

/// Picks ops by weight from a seed of its own (xorshift; no two tasks draw
/// the same sequence).
#[derive(Debug, Clone)]
pub struct Picker {
    state: u64,
}

impl Picker {
    /// A picker for task `task`.
    pub fn new(task: usize) -> Picker {
        Picker {
            state: 0x9E37_79B9_7F4A_7C15 ^ ((task as u64 + 1) * 0xBF58_476D_1CE4_E5B9),
        }
    }

    /// A number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        (x % n.max(1) as u64) as usize
    }

    /// An op, by weight.
    pub fn op(&mut self) -> &'static Op {
        let total: u32 = OPS.iter().map(|o| o.weight).sum();
        let mut r = self.below(total as usize) as u32;
        for op in &OPS {
            if r < op.weight {
                return op;
            }
            r -= op.weight;
        }
        &OPS[0]
    }
}

/// What the calls ended with: per extension, op and outcome, how many.
#[derive(Debug, Default)]
pub struct Tally {
    counts: Mutex<BTreeMap<(String, &'static str, &'static str), u64>>,
}

/// One line of a [`Tally`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The extension's label.
    pub extension: String,
    /// The op's name.
    pub op: &'static str,
    /// `ok` or an error code.
    pub outcome: &'static str,
    /// How many calls.
    pub count: u64,
    /// Whether the op allows that outcome.
    pub expected: bool,
}

impl Tally {
    /// Counts one call of `op` on `extension` that ended with `outcome`.
    pub fn count(&self, extension: &str, op: &'static str, outcome: &'static str) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        match counts.get_mut(&(extension.to_owned(), op, outcome)) {
            Some(n) => *n += 1,
            None => {
                counts.insert((extension.to_owned(), op, outcome), 1);
            }
        }
    }

    /// Every line, sorted.
    pub fn lines(&self) -> Vec<Line> {
        let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts
            .iter()
            .map(|((extension, op, outcome), count)| Line {
                extension: extension.clone(),
                op,
                outcome,
                count: *count,
                expected: OPS
                    .iter()
                    .find(|o| o.name == *op)
                    .is_some_and(|o| o.allows(outcome)),
            })
            .collect()
    }

    /// Calls counted.
    pub fn total(&self) -> u64 {
        let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.values().sum()
    }
}
