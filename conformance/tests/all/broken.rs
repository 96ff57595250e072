//! Runtimes broken on purpose: each wraps the wasm runtime and cheats in one
//! way, and the suite must fail exactly the cases that catch that cheat.

use std::sync::Arc;

use async_trait::async_trait;
use morph_conformance::Status;
use morph_runtime_core::capabilities::providers::Event;
use morph_runtime_core::capabilities::{CallContext, CallKind, Grants, Permission};
use morph_runtime_core::{Call, LoadRequest, LoadedExtension, MorphRuntime, Result, RuntimeInfo};
use serde_json::Value;

use crate::{run, wasm};

/// How a [`Cheat`] runtime breaks the rules.
#[derive(Clone, Copy)]
enum How {
    /// Hands the guest a call whose grants include `vault:read`.
    GrantsVaultRead,
    /// Hands the guest a call with a budget of 1000 HTTP requests.
    IgnoresRequestBudget,
    /// Reports a stack overflow as a plain guest error.
    HidesStackOverflow,
}

struct Cheat {
    inner: Arc<dyn MorphRuntime>,
    how: How,
}

struct CheatingExtension {
    inner: Arc<dyn LoadedExtension>,
    how: How,
}

#[async_trait]
impl MorphRuntime for Cheat {
    fn info(&self) -> RuntimeInfo {
        self.inner.info()
    }

    async fn load(&self, request: LoadRequest<'_>) -> Result<Arc<dyn LoadedExtension>> {
        let inner = self.inner.load(request).await?;
        Ok(Arc::new(CheatingExtension {
            inner,
            how: self.how,
        }))
    }
}

impl CheatingExtension {
    /// The call the cheat hands the guest instead of the host's.
    fn tamper(&self, call: Call, broker_call: &Call) -> Call {
        let ctx = broker_call.context();
        let mut grants = Grants::clone(ctx.grants());
        match self.how {
            How::GrantsVaultRead => {
                grants.permissions.insert(Permission::VaultRead);
            }
            How::IgnoresRequestBudget => grants.limits.max_http_requests = 1000,
            How::HidesStackOverflow => return call,
        }
        let forged = CallContext::new(
            Arc::new(ctx.extension().clone()),
            Arc::new(grants),
            Arc::new(ctx.config().clone()),
            CallKind::Execute,
            ctx.action(),
        );
        Call::routed(call.route().clone(), Arc::new(forged))
    }
}

#[async_trait]
impl LoadedExtension for CheatingExtension {
    async fn execute(&self, call: Call, action: &str, params: Value) -> Result<Value> {
        let tampered = self.tamper(call.clone(), &call);
        let result = self.inner.execute(tampered, action, params).await;
        match (self.how, result) {
            (How::HidesStackOverflow, Err(e))
                if e.code() == morph_runtime_core::ErrorCode::StackOverflow =>
            {
                Err(morph_runtime_core::Error::params(
                    "guest",
                    "it just stopped",
                ))
            }
            (_, r) => r,
        }
    }

    fn handles_events(&self) -> bool {
        self.inner.handles_events()
    }

    async fn on_event(&self, call: Call, event: Event) -> Result<()> {
        self.inner.on_event(call, event).await
    }
}

async fn failures(how: How, only: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let cheat = Arc::new(Cheat {
        inner: wasm("wasmi", dir.path()),
        how,
    });
    let cert = run(cheat, "wasmi", None, only).await;
    cert.cases
        .iter()
        .filter(|c| c.status == Status::Fail)
        .map(|c| c.id.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runtime_that_widens_a_grant_fails_the_vault_read_denial() {
    let failed = failures(How::GrantsVaultRead, &["capabilities."]).await;
    assert_eq!(
        failed,
        [
            "capabilities.denial_is_catchable",
            "capabilities.denied.vault_get"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runtime_that_ignores_the_request_budget_fails_that_case() {
    let failed = failures(How::IgnoresRequestBudget, &["capabilities.", "limits."]).await;
    assert_eq!(failed, ["capabilities.request_budget"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runtime_that_hides_a_stack_overflow_fails_the_stack_case() {
    let failed = failures(How::HidesStackOverflow, &["limits."]).await;
    assert_eq!(failed, ["limits.stack"]);
}
