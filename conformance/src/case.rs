//! What a conformance case is: the extensions it loads (each a manifest
//! variant of the probe), the steps it takes and what each step must observe.
//!
//! Cases are data, so that `SPEC.md`, the certificate and the fixture hash
//! all describe the same thing. Strings in parameters may hold `{server}`
//! (the base URL of the suite's HTTP server on 127.0.0.1) and `{host}` (its
//! `127.0.0.1:port`); the JSON string `"{port}"` becomes its port number.

use morph_runtime_core::{ErrorCode, Isolation};
use serde_json::Value;

/// The group a case belongs to (the certificate's sections).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// Values crossing the boundary.
    Json,
    /// Errors, unknown actions, invalid parameters, crashes.
    Errors,
    /// `init` and `on_event`.
    Lifecycle,
    /// The permission matrix, allowlists, namespaces, budgets, audit.
    Capabilities,
    /// Brief section 6.
    Limits,
    /// State between calls, parallel calls, recovery.
    Isolation,
    /// The language's own routes to the host.
    Ambient,
}

/// The limit a case proves (its enforcement goes in the certificate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// `max_execution_ms`.
    Execution,
    /// `max_memory_mb`.
    Memory,
    /// Unbounded recursion.
    Stack,
    /// `max_output_kb`.
    Output,
    /// `max_http_requests`.
    HttpRequests,
}

/// One extension a case loads: the probe with this manifest variant.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Ext {
    /// `extension_id`.
    pub id: &'static str,
    /// Permissions granted by the manifest.
    pub permissions: &'static [&'static str],
    /// Whether the suite's HTTP server is in `allowed_hosts`.
    pub allow_server: bool,
    /// `resource_limits` lines (`key: value`).
    pub limits: &'static str,
    /// Isolation this case needs (`None`: the certification's).
    pub isolation: Option<Isolation>,
    /// The config passed at load.
    pub config: Value,
    /// The code the load must fail with, if it must fail.
    pub load_fails: Option<ErrorCode>,
}

impl Ext {
    /// The probe with no permissions, default limits and `{}` config.
    pub fn probe(id: &'static str) -> Ext {
        Ext {
            id,
            permissions: &[],
            allow_server: false,
            limits: "",
            isolation: None,
            config: Value::Object(serde_json::Map::new()),
            load_fails: None,
        }
    }

    /// With these permissions.
    pub fn permissions(mut self, p: &'static [&'static str]) -> Ext {
        self.permissions = p;
        self
    }

    /// With the suite's server allowed.
    pub fn server(mut self) -> Ext {
        self.allow_server = true;
        self
    }

    /// With these limits.
    pub fn limits(mut self, l: &'static str) -> Ext {
        self.limits = l;
        self
    }

    /// Under this isolation.
    pub fn isolation(mut self, i: Isolation) -> Ext {
        self.isolation = Some(i);
        self
    }

    /// With this config.
    pub fn config(mut self, c: Value) -> Ext {
        self.config = c;
        self
    }

    /// Whose load must fail with `code`.
    pub fn load_fails(mut self, code: ErrorCode) -> Ext {
        self.load_fails = Some(code);
        self
    }
}

/// What a call must end with.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// Exactly this value.
    Value(Value),
    /// An error with this code.
    Code(ErrorCode),
    /// An error with this code whose message contains the text.
    CodeWith(ErrorCode, &'static str),
    /// An error with one of these codes (where the brief leaves the choice
    /// to the language: a panic is a guest error or a crash).
    OneOf(Vec<ErrorCode>),
    /// Success with a value for which the named check holds.
    Check(
        &'static str,
        #[serde(skip)] fn(&Value) -> std::result::Result<(), String>,
    ),
}

/// What a case does, in order.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// `ext` runs `action` with `params`.
    Call {
        /// Index into the case's extensions.
        ext: usize,
        /// The action.
        action: &'static str,
        /// The parameters (with placeholders).
        params: Value,
        /// The outcome.
        expect: Expect,
    },
    /// `ext` runs `count` `echo` calls at once; each must get its own value.
    Parallel {
        /// Index into the case's extensions.
        ext: usize,
        /// How many calls.
        count: usize,
    },
    /// The host delivers an event to every extension listening.
    Event {
        /// The event's message.
        message: &'static str,
    },
    /// The audit log holds, for `ext`'s calls so far, exactly these
    /// `(capability, decision)` records in order.
    Audit {
        /// Index into the case's extensions.
        ext: usize,
        /// `(capability, "allowed" | "denied")`.
        records: &'static [(&'static str, &'static str)],
    },
}

/// One case of the suite.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Case {
    /// Stable id, `group.name`.
    pub id: &'static str,
    /// Section.
    pub group: Group,
    /// What it proves, in a sentence.
    pub title: &'static str,
    /// The limit it proves, if any.
    pub limit: Option<Limit>,
    /// Extensions loaded before the steps.
    pub extensions: Vec<Ext>,
    /// Steps.
    pub steps: Vec<Step>,
}

impl Case {
    /// A case with one extension.
    pub fn new(id: &'static str, group: Group, title: &'static str, ext: Ext) -> Case {
        Case {
            id,
            group,
            title,
            limit: None,
            extensions: vec![ext],
            steps: Vec::new(),
        }
    }

    /// Also loads `ext` (index 1, 2, ...).
    pub fn and(mut self, ext: Ext) -> Case {
        self.extensions.push(ext);
        self
    }

    /// Marks the limit it proves.
    pub fn proves(mut self, limit: Limit) -> Case {
        self.limit = Some(limit);
        self
    }

    /// Adds a call of extension 0.
    pub fn call(self, action: &'static str, params: Value, expect: Expect) -> Case {
        self.call_on(0, action, params, expect)
    }

    /// Adds a call of extension `ext`.
    pub fn call_on(
        mut self,
        ext: usize,
        action: &'static str,
        params: Value,
        expect: Expect,
    ) -> Case {
        self.steps.push(Step::Call {
            ext,
            action,
            params,
            expect,
        });
        self
    }

    /// Adds a step.
    pub fn step(mut self, step: Step) -> Case {
        self.steps.push(step);
        self
    }
}
