//! Runs cases: a fresh host per case (only the runtime under test, a
//! temporary data dir, a memory audit sink), the probe written under each
//! manifest variant, every step under a time limit so a hung runtime fails
//! its case instead of the suite.

use std::sync::Arc;
use std::time::{Duration, Instant};

use morph_runtime_core::capabilities::audit::{Decision, Phase};
use morph_runtime_core::capabilities::providers::Event;
use morph_runtime_core::{ErrorCode, Isolation, LoadOptions, MorphRuntime, Result};
use morph_testkit::{PackageSpec, TestHost, TestServer};
use serde_json::{Value, json};

use crate::case::{Case, Expect, Ext, Limit, Step};
use crate::certificate::{Status, one_line};
use crate::probe::{PROBE_ACTIONS, Probe};

/// What running one case found.
pub(crate) struct Ran {
    pub status: Status,
    pub observed: String,
}

/// Shared by every case of one certification.
pub(crate) struct Runner {
    pub runtime: Arc<dyn MorphRuntime>,
    pub probe: Probe,
    pub load: LoadOptions,
    pub server: TestServer,
    pub step_timeout: Duration,
    pub process: Option<Arc<dyn MorphRuntime>>,
}

/// A step's failure: what was observed instead.
struct Mismatch(String);

impl Runner {
    pub(crate) fn new(
        runtime: Arc<dyn MorphRuntime>,
        probe: Probe,
        load: LoadOptions,
        step_timeout: Duration,
        process: Option<Arc<dyn MorphRuntime>>,
    ) -> Runner {
        let server = TestServer::start(|seen| match seen.path.as_str() {
            "/echo" => morph_testkit::Reply::text(seen.body.clone()),
            _ => morph_testkit::Reply::text("hello from the conformance server"),
        });
        Runner {
            runtime,
            probe,
            load,
            server,
            step_timeout,
            process,
        }
    }

    pub(crate) async fn run(&self, case: &Case) -> Ran {
        let isolation = case
            .extensions
            .first()
            .and_then(|e| e.isolation)
            .or(self.load.isolation);
        let host = TestHost::with_process_tier(
            self.runtime.clone(),
            LoadOptions {
                isolation,
                engine: self.load.engine.clone(),
            },
            self.process.clone(),
        );
        let mut ids = Vec::new();
        let mut observed = Vec::new();
        // Memory cases report the peak they caused in this process (the
        // guest runs here unless a process tier serves it).
        let measure = case.limit == Some(Limit::Memory) && isolation != Some(Isolation::Process);
        let rss_start = if measure { crate::peak::reset() } else { None };
        for ext in &case.extensions {
            match self.load_ext(&host, ext).await {
                Ok(Some(id)) => ids.push(id),
                Ok(None) => observed.push(format!("load of {} refused as required", ext.id)),
                Err(LoadOutcome::Skip(why)) => {
                    return Ran {
                        status: Status::Skip,
                        observed: why,
                    };
                }
                Err(LoadOutcome::Fail(why)) => {
                    return Ran {
                        status: Status::Fail,
                        observed: why,
                    };
                }
            }
        }
        for step in &case.steps {
            match tokio::time::timeout(self.step_timeout, self.step(&host, &ids, step)).await {
                Ok(Ok(seen)) => observed.push(seen),
                Ok(Err(Mismatch(seen))) => {
                    return Ran {
                        status: Status::Fail,
                        observed: seen,
                    };
                }
                Err(_) => {
                    return Ran {
                        status: Status::Fail,
                        observed: format!(
                            "no answer within {} s (the runtime hung)",
                            self.step_timeout.as_secs()
                        ),
                    };
                }
            }
        }
        if let Some(rise) = rss_start.and_then(crate::peak::rise_mib) {
            observed.push(format!("peak RSS +{rise} MiB over the case's start"));
        }
        Ran {
            status: Status::Pass,
            observed: observed.join("; "),
        }
    }

    async fn load_ext(
        &self,
        host: &TestHost,
        ext: &Ext,
    ) -> std::result::Result<Option<String>, LoadOutcome> {
        let mut spec = PackageSpec::new(
            ext.id,
            &self.probe.kind,
            &self.probe.entry,
            Vec::new(),
            PROBE_ACTIONS,
        )
        .permissions(ext.permissions)
        .limits(ext.limits);
        spec.files = self.probe.files.clone();
        if ext.allow_server {
            spec = spec.allowed_hosts(&[self.server.host().as_str()]);
        }
        let loaded = tokio::time::timeout(self.step_timeout, host.load(&spec, ext.config.clone()))
            .await
            .map_err(|_| LoadOutcome::Fail(format!("loading {} hung", ext.id)))?;
        match (loaded, ext.load_fails) {
            (Ok(id), None) => Ok(Some(id)),
            (Err(e), Some(want)) if e.code() == want => Ok(None),
            (Err(e), _) if e.code() == ErrorCode::RuntimeUnavailable => {
                Err(LoadOutcome::Skip(format!("runtime_unavailable: {e}")))
            }
            (Ok(_), Some(want)) => Err(LoadOutcome::Fail(format!(
                "load of {} succeeded; want {}",
                ext.id,
                want.as_str()
            ))),
            (Err(e), _) => Err(LoadOutcome::Fail(format!(
                "load of {} failed: {}: {e}",
                ext.id,
                e.code().as_str()
            ))),
        }
    }

    async fn step(
        &self,
        host: &TestHost,
        ids: &[String],
        step: &Step,
    ) -> std::result::Result<String, Mismatch> {
        let id = |ext: usize| {
            ids.get(ext)
                .cloned()
                .ok_or_else(|| Mismatch(format!("extension {ext} was not loaded")))
        };
        match step {
            Step::Call {
                ext,
                action,
                params,
                expect,
            } => {
                let params = self.fill(params);
                let started = Instant::now();
                let result = host.run(&id(*ext)?, action, params).await;
                let ms = started.elapsed().as_millis();
                check(action, &result, expect, ms)
            }
            Step::Parallel { ext, count } => {
                let id = id(*ext)?;
                let calls = (0..*count).map(|i| {
                    let id = id.clone();
                    async move { (i, host.run(&id, "echo", json!({ "value": i })).await) }
                });
                for (i, result) in futures::future::join_all(calls).await {
                    match result {
                        Ok(v) if v == json!({ "value": i }) => {}
                        other => {
                            return Err(Mismatch(format!("call {i} of {count}: {}", show(&other))));
                        }
                    }
                }
                Ok(format!("{count} parallel calls answered"))
            }
            Step::Event { message } => {
                let event = Event {
                    source: "host".into(),
                    level: "info".into(),
                    message: (*message).to_owned(),
                    data: Value::Null,
                    ts_ms: 0,
                };
                for (ext, result) in host.host.deliver_event(&event).await {
                    if let Err(e) = result {
                        return Err(Mismatch(format!(
                            "on_event of {ext}: {}: {e}",
                            e.code().as_str()
                        )));
                    }
                }
                Ok(format!("event `{message}` delivered"))
            }
            Step::Audit { ext, records } => {
                // One record per call: an effect's intent is checked to
                // precede its outcome, and the outcome stands for the call.
                let all = host.audit_of(&id(*ext)?);
                for r in &all {
                    if let Some(intent) = r.entry.intent_seq
                        && !all
                            .iter()
                            .any(|i| i.seq == intent && i.entry.phase == Some(Phase::Intent))
                    {
                        return Err(Mismatch(format!(
                            "the outcome #{} names intent #{intent}, which is not in the log",
                            r.seq
                        )));
                    }
                }
                let got: Vec<(String, &str)> = all
                    .into_iter()
                    .filter(|r| r.entry.phase != Some(Phase::Intent))
                    .map(|r| {
                        let d = match r.entry.decision {
                            Decision::Allowed => "allowed",
                            Decision::Denied => "denied",
                        };
                        (r.entry.capability, d)
                    })
                    .collect();
                let want: Vec<(String, &str)> =
                    records.iter().map(|(c, d)| ((*c).to_owned(), *d)).collect();
                if got == want {
                    Ok(format!("audited {want:?}"))
                } else {
                    Err(Mismatch(format!("audit records {got:?}, want {want:?}")))
                }
            }
        }
    }

    /// Replaces the placeholders of `case.rs` in `params`.
    fn fill(&self, params: &Value) -> Value {
        match params {
            Value::String(s) if s == "{port}" => json!(self.server.port()),
            Value::String(s) if s == "{1mib+1}" => json!("x".repeat((1 << 20) + 1)),
            Value::String(s) => Value::String(
                s.replace("{server}", &self.server.url(""))
                    .replace("{host}", &self.server.host()),
            ),
            Value::Array(a) => Value::Array(a.iter().map(|v| self.fill(v)).collect()),
            Value::Object(o) => {
                Value::Object(o.iter().map(|(k, v)| (k.clone(), self.fill(v))).collect())
            }
            other => other.clone(),
        }
    }
}

enum LoadOutcome {
    Skip(String),
    Fail(String),
}

fn show(result: &Result<Value>) -> String {
    match result {
        Ok(v) => format!("ok {}", one_line(&v.to_string(), 160)),
        Err(e) => format!("{}: {}", e.code().as_str(), one_line(&e.to_string(), 160)),
    }
}

fn check(
    action: &str,
    result: &Result<Value>,
    expect: &Expect,
    ms: u128,
) -> std::result::Result<String, Mismatch> {
    let seen = format!("{action} → {} ({ms} ms)", show(result));
    let ok = match (expect, result) {
        (Expect::Value(want), Ok(got)) => got == want,
        (Expect::Code(want), Err(e)) => e.code() == *want,
        (Expect::CodeWith(want, text), Err(e)) => e.code() == *want && e.to_string().contains(text),
        (Expect::OneOf(codes), Err(e)) => codes.contains(&e.code()),
        (Expect::Check(what, f), Ok(got)) => {
            return f(got)
                .map(|()| seen.clone())
                .map_err(|why| Mismatch(format!("{seen}: not {what}: {why}")));
        }
        _ => false,
    };
    if ok {
        Ok(seen)
    } else {
        Err(Mismatch(format!("{seen}; want {}", want(expect))))
    }
}

fn want(expect: &Expect) -> String {
    match expect {
        Expect::Value(v) => format!("ok {}", one_line(&v.to_string(), 80)),
        Expect::Code(c) => c.as_str().to_owned(),
        Expect::CodeWith(c, text) => format!("{} mentioning `{text}`", c.as_str()),
        Expect::OneOf(cs) => cs
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(" or "),
        Expect::Check(what, _) => (*what).to_owned(),
    }
}
