//! `Host` end to end through the test runtime: registry, load, checks before
//! the guest runs, the broker under every call, limits, events and tools.

use std::sync::Arc;

use morph_runtime_core::capabilities::audit::{Decision, MemoryAuditSink};
use morph_runtime_core::capabilities::providers::Event;
use morph_runtime_core::capabilities::{HostPolicy, Permission};
use morph_runtime_core::{Host, RuntimeRegistry};
use serde_json::json;

use crate::test_runtime::{manifest, package};

struct Setup {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    audit: Arc<MemoryAuditSink>,
    host: Host,
}

fn setup_with(policy: HostPolicy) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let audit = Arc::new(MemoryAuditSink::new());
    let host = Host::builder()
        .with_data_dir(dir.path().join("data"))
        .with_audit_sink(audit.clone())
        .with_policy(policy)
        .build()
        .unwrap();
    let root = dir.path().to_path_buf();
    Setup {
        _dir: dir,
        root,
        audit,
        host,
    }
}

fn setup() -> Setup {
    setup_with(HostPolicy::permissive())
}

impl Setup {
    async fn load(&self, id: &str, permissions: &[&str], extra: &str) -> String {
        let dir = self.root.join(id);
        package(&dir, &manifest(id, permissions, extra));
        self.host.load(&dir, json!({})).await.unwrap()
    }
}

#[test]
fn linked_runtimes_are_found_through_the_registry() {
    let kinds = RuntimeRegistry::linked().kinds();
    assert!(kinds.contains(&"test".to_owned()), "{kinds:?}");
}

#[tokio::test]
async fn load_and_execute_round_trip() {
    let s = setup();
    let id = s.load("echoer", &[], "").await;
    let out = s
        .host
        .execute(&id, "echo", json!({"text": "héllo ✓"}))
        .await
        .unwrap();
    assert_eq!(
        out,
        json!({"text": "héllo ✓", "times": 1}),
        "defaults are filled"
    );
    assert_eq!(
        s.host.execute(&id, "greet", json!({})).await.unwrap(),
        json!("hello from the test guest")
    );
    assert_eq!(s.host.runtime_of(&id).unwrap().id, "test");
    assert_eq!(s.host.identity(&id).unwrap().manifest_digest.len(), 64);
}

#[tokio::test]
async fn unknown_extension_action_and_bad_params_are_refused_before_the_guest_runs() {
    let s = setup();
    let id = s.load("checker", &[], "").await;
    let code = |r: morph_runtime_core::Result<serde_json::Value>| r.unwrap_err().code().as_str();
    assert_eq!(
        code(s.host.execute("nope", "echo", json!({})).await),
        "unknown_extension"
    );
    assert_eq!(
        code(s.host.execute(&id, "nope", json!({})).await),
        "unknown_action"
    );
    assert_eq!(
        code(s.host.execute(&id, "echo", json!({})).await),
        "invalid_params"
    );
    assert_eq!(
        code(s.host.execute(&id, "echo", json!({"text": 5})).await),
        "invalid_params"
    );
    assert_eq!(
        code(
            s.host
                .execute(&id, "echo", json!({"text": "a", "extra": 1}))
                .await
        ),
        "invalid_params"
    );
    assert_eq!(
        s.host.execute(&id, "count", json!({})).await.unwrap(),
        json!(0),
        "no refused call reached the guest"
    );
}

#[tokio::test]
async fn capabilities_go_through_the_broker_with_manifest_grants() {
    let s = setup();
    let id = s.load("vaulted", &["vault:read", "vault:write"], "").await;
    let set = s
        .host
        .execute_traced(
            &id,
            "call",
            json!({"capability": "vault.set", "request": {"key": "token", "value": "s3cr3t-value"}}),
        )
        .await;
    set.result.unwrap();
    assert_eq!(set.audit.len(), 2, "an intent, then the outcome");
    assert_eq!(set.audit[1].entry.decision, Decision::Allowed);
    assert_eq!(set.audit[1].entry.intent_seq, Some(set.audit[0].seq));
    let got = s
        .host
        .execute(
            &id,
            "call",
            json!({"capability": "vault.get", "request": {"key": "token"}}),
        )
        .await
        .unwrap();
    assert_eq!(got, json!({"value": "s3cr3t-value"}));

    let other = s.load("nosy", &[], "").await;
    let denied = s
        .host
        .execute_traced(
            &other,
            "call",
            json!({"capability": "vault.get", "request": {"key": "token"}}),
        )
        .await;
    assert_eq!(
        denied.result.unwrap_err().code().as_str(),
        "permission_denied"
    );
    assert_eq!(denied.audit[0].entry.decision, Decision::Denied);
    let all = serde_json::to_string(&s.audit.records()).unwrap();
    assert!(
        !all.contains("s3cr3t-value"),
        "a secret reached the audit log"
    );
}

#[tokio::test]
async fn host_policy_narrows_the_manifest() {
    let mut policy = HostPolicy::permissive();
    policy.revoke("narrowed", Permission::VaultRead);
    let s = setup_with(policy);
    let id = s.load("narrowed", &["vault:read"], "").await;
    let err = s
        .host
        .execute(
            &id,
            "call",
            json!({"capability": "vault.get", "request": {"key": "k"}}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code().as_str(), "permission_denied");
}

/// THREATS.md, "Bypassing the broker's checks": permissions are bound to the
/// manifest that was approved; editing it on disk widens nothing.
#[tokio::test]
async fn editing_the_manifest_on_disk_after_load_widens_nothing() {
    let s = setup();
    let id = s.load("edited", &[], "").await;
    let dir = s.root.join("edited");
    std::fs::write(
        dir.join("manifest.yaml"),
        manifest("edited", &["vault:read"], ""),
    )
    .unwrap();
    let err = s
        .host
        .execute(
            &id,
            "call",
            json!({"capability": "vault.get", "request": {"key": "k"}}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code().as_str(), "permission_denied");
}

/// THREATS.md, "The host itself": a panic inside a host function becomes an
/// error for that call; other extensions carry on.
#[tokio::test]
async fn guest_errors_panics_and_stalls_fail_only_their_call() {
    let s = setup();
    let id = s
        .load(
            "unruly",
            &[],
            "resource_limits:\n  max_execution_ms: 200\n  max_output_kb: 1\n",
        )
        .await;
    let err = s
        .host
        .execute(&id, "fail", json!({"message": "no luck"}))
        .await
        .unwrap_err();
    assert_eq!(err.code().as_str(), "guest_error");
    assert!(err.to_string().contains("no luck"));

    let err = s.host.execute(&id, "panic", json!({})).await.unwrap_err();
    assert_eq!(err.code().as_str(), "internal");

    let err = s.host.execute(&id, "stall", json!({})).await.unwrap_err();
    assert_eq!(err.code().as_str(), "timeout");

    let err = s
        .host
        .execute(&id, "big", json!({"bytes": 4096}))
        .await
        .unwrap_err();
    assert_eq!(err.code().as_str(), "output_too_large");

    // The host and the extension still serve.
    assert_eq!(
        s.host
            .execute(&id, "echo", json!({"text": "still here"}))
            .await
            .unwrap()["text"],
        "still here"
    );
}

#[tokio::test]
async fn a_runtime_that_is_not_linked_is_runtime_unavailable() {
    let s = setup();
    let dir = s.root.join("pyext");
    package(
        &dir,
        &manifest("pyext", &[], "").replace("runtime: test", "runtime: cobol"),
    );
    let err = s.host.load(&dir, json!({})).await.unwrap_err();
    assert_eq!(err.code().as_str(), "runtime_unavailable");
    assert!(err.to_string().contains("cobol"));
}

#[tokio::test]
async fn config_is_validated_against_the_schema_and_defaults_filled() {
    let s = setup();
    let dir = s.root.join("configured");
    let extra = r#"config_schema:
  type: object
  properties:
    base_url:
      type: string
    retries:
      type: integer
      default: 3
  required: [base_url]
"#;
    package(&dir, &manifest("configured", &[], extra));
    let err = s.host.load(&dir, json!({})).await.unwrap_err();
    assert_eq!(err.code().as_str(), "invalid_params");
    let err = s.host.load(&dir, json!({"base_url": 7})).await.unwrap_err();
    assert_eq!(err.code().as_str(), "invalid_params");
    let id = s
        .host
        .load(&dir, json!({"base_url": "https://example.com"}))
        .await
        .unwrap();
    let config = s
        .host
        .execute(&id, "call", json!({"capability": "config"}))
        .await
        .unwrap();
    assert_eq!(
        config,
        json!({"base_url": "https://example.com", "retries": 3})
    );
}

#[tokio::test]
async fn init_failures_are_init_failed_and_init_calls_are_audited() {
    let s = setup();
    let dir = s.root.join("initer");
    package(&dir, &manifest("initer", &[], ""));
    let err = s
        .host
        .load(&dir, json!({"fail_init": true}))
        .await
        .unwrap_err();
    assert_eq!(err.code().as_str(), "init_failed");
    assert!(s.host.extensions().is_empty());
    s.host
        .load(&dir, json!({"log_in_init": true}))
        .await
        .unwrap();
    let records = s.audit.records();
    let last = records.last().unwrap();
    assert_eq!(last.entry.action, "init");
    assert_eq!(last.entry.capability, "log");
}

#[tokio::test]
async fn tools_describe_loaded_actions_without_blocked_ones() {
    let s = setup();
    let id = s.load("tooled", &[], "").await;
    let tools = s.host.tools();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    assert!(names.contains(&"tooled__echo"), "{names:?}");
    assert!(
        !names.contains(&"tooled__call"),
        "blocked actions are hidden"
    );
    let echo = tools.iter().find(|t| t.action == "echo").unwrap();
    assert_eq!(echo.extension, id);
    assert_eq!(echo.parameters["type"], "object");
    assert_eq!(echo.parameters["required"], json!(["text"]));
}

/// THREATS.md, "Bypassing the broker's checks": events, the host stamps the
/// source; no extension emits as another.
/// THREATS.md, "Bypassing the broker's checks": calling another extension does
/// not borrow its grants (an event reaches only a listener granted
/// `event:listen`, which runs under its own grants).
#[tokio::test]
async fn events_reach_listeners_stamped_with_their_source() {
    let s = setup();
    let emitter = s.load("emitter", &["event:emit"], "").await;
    let listener = s.load("listener", &["event:listen"], "").await;
    let deaf = s.load("deaf", &[], "").await;
    let mut rx = s.host.broker().providers().events.subscribe().unwrap();
    s.host
        .execute(
            &emitter,
            "call",
            json!({"capability": "events.emit", "request": {"message": "done", "level": "info"}}),
        )
        .await
        .unwrap();
    let event: Event = rx.recv().await.unwrap();
    assert_eq!(event.source, "emitter");
    let outcomes = s.host.deliver_event(&event).await;
    let ids: Vec<&str> = outcomes.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, vec![listener.as_str()]);
    assert!(!ids.contains(&deaf.as_str()));
    assert!(outcomes[0].1.is_ok());
}

#[tokio::test]
async fn unload_forgets_the_extension() {
    let s = setup();
    let id = s.load("ephemeral", &[], "").await;
    s.host.unload(&id).unwrap();
    let err = s
        .host
        .execute(&id, "echo", json!({"text": "x"}))
        .await
        .unwrap_err();
    assert_eq!(err.code().as_str(), "unknown_extension");
    assert_eq!(
        s.host.unload(&id).unwrap_err().code().as_str(),
        "unknown_extension"
    );
}

#[tokio::test]
async fn another_package_declaring_a_taken_id_cannot_inherit_its_data() {
    let s = setup();
    let id = s.load("owner", &["vault:write"], "").await;
    s.host
        .execute(
            &id,
            "call",
            json!({"capability": "vault.set", "request": {"key": "token", "value": "ghp_secret"}}),
        )
        .await
        .unwrap();
    // An impostor elsewhere on disk declares the same id to read the token.
    let impostor = s.root.join("impostor");
    package(&impostor, &manifest("owner", &["vault:read"], ""));
    let err = s.host.load(&impostor, json!({})).await.unwrap_err();
    assert_eq!(err.code().as_str(), "invalid_package");
    assert!(err.to_string().contains("already belongs"), "{err}");
    // The binding survives a new host on the same data dir.
    let again = Host::builder()
        .with_data_dir(s.root.join("data"))
        .with_audit_sink(s.audit.clone())
        .build()
        .unwrap();
    let err = again.load(&impostor, json!({})).await.unwrap_err();
    assert_eq!(err.code().as_str(), "invalid_package");
    // The rightful package reloads fine.
    again.load(s.root.join("owner"), json!({})).await.unwrap();
}
