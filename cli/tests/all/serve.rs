//! `morph serve` through the real binary and a real HTTP client (issue 17,
//! point 1): tokens and scopes, the `morph run --json` envelope with fitting
//! statuses, inspect, installs that need an approval of the exact
//! permission diff and take effect without a restart, the write-only vault,
//! the audit log naming the token behind each call, metrics, events, the
//! OpenAPI document, one server per data dir, and a graceful shutdown that
//! drains the call in flight.

use std::io::{BufRead, BufReader};
use std::time::Duration;

use morph_testkit::PackageSpec;
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::serve_fixture::{Served, ok};

const JS: &str = r#"
export function execute(action, params) {
  if (action === "greet") return { greeting: "hello " + params.name };
  if (action === "peek") return morph.http.fetch("http://10.255.255.1/");
  if (action === "secret") {
    const v = morph.vault.get("token");
    return { stored: v !== null, length: v === null ? 0 : v.length };
  }
  if (action === "slow") {
    const until = Date.now() + params.ms;
    while (Date.now() < until) {}
    return { slept: params.ms };
  }
  throw new Error("no action " + action);
}
"#;

const ACTIONS: &str = "actions:
  - {name: greet, description: Greets, parameters: [{name: name, type: string, required: true}]}
  - {name: peek, description: Fetches a host it may not reach}
  - {name: secret, description: Says whether the token is stored}
  - {name: slow, description: Busy for a while, parameters: [{name: ms, type: integer, required: true}]}
";

fn hello() -> PackageSpec {
    PackageSpec::new("hello", "js", "index.js", JS, ACTIONS)
        .permissions(&["http:read", "vault:read"])
        .allowed_hosts(&["example.com"])
}

fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

fn body(response: reqwest::blocking::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().unwrap();
    let doc = serde_json::from_str(&text).unwrap_or_else(|_| json!({"text": text}));
    (status, doc)
}

#[test]
fn the_api_runs_actions_for_a_token_and_the_audit_log_names_it() {
    let mut s = Served::new();
    s.install(&hello());
    let app = s.token("app", "invoke");
    let admin = s.token("ops", "admin");
    s.start(&[]);
    let c = client();

    // Health needs no token; everything else does.
    assert_eq!(c.get(s.url("/healthz")).send().unwrap().status(), 200);
    assert_eq!(c.get(s.url("/readyz")).send().unwrap().status(), 200);
    let (status, doc) = body(c.get(s.url("/v1/extensions")).send().unwrap());
    assert_eq!(status, 401);
    assert_eq!(doc["error"]["code"], "unauthorized");
    let (status, _) = body(
        c.get(s.url("/v1/extensions"))
            .bearer_auth("morph_not-a-token")
            .send()
            .unwrap(),
    );
    assert_eq!(status, 401);

    let (status, doc) = body(
        c.get(s.url("/v1/extensions"))
            .bearer_auth(&app)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200);
    assert_eq!(doc["extensions"][0]["id"], "hello");
    assert_eq!(doc["extensions"][0]["state"], "enabled");
    assert_eq!(doc["extensions"][0]["runtime"], "js");

    let (status, doc) = body(
        c.get(s.url("/v1/extensions/hello"))
            .bearer_auth(&app)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200);
    let granted: Vec<&str> = doc["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["granted"] == true)
        .map(|p| p["permission"].as_str().unwrap())
        .collect();
    assert_eq!(granted, ["http:read", "vault:read"]);

    // The envelope of `morph run --json`, with statuses that fit.
    let run = |action: &str, params: Value| {
        body(
            c.post(s.url(&format!("/v1/extensions/hello/actions/{action}")))
                .bearer_auth(&app)
                .json(&params)
                .send()
                .unwrap(),
        )
    };
    let (status, doc) = run("greet", json!({"name": "ada"}));
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["result"], json!({"greeting": "hello ada"}));
    assert!(doc["audit"].is_array());
    let (status, doc) = run("peek", json!({}));
    assert_eq!(
        (status, doc["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("host_not_allowed"))
    );
    assert_eq!(doc["audit"][0]["caller"], "token:app");
    let (status, doc) = run("greet", json!({}));
    assert_eq!(
        (status, doc["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_params"))
    );
    let (status, doc) = run("nope", json!({}));
    assert_eq!(
        (status, doc["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("unknown_action"))
    );
    let (status, doc) = body(
        c.post(s.url("/v1/extensions/hello/actions/greet"))
            .bearer_auth(&app)
            .body("{not json")
            .send()
            .unwrap(),
    );
    assert_eq!(
        (status, doc["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_params"))
    );

    // An invoke token may not read the audit log, install or store secrets.
    for (method, path) in [
        (reqwest::Method::GET, "/v1/audit"),
        (reqwest::Method::POST, "/v1/extensions"),
        (reqwest::Method::PUT, "/v1/extensions/hello/vault/token"),
        (reqwest::Method::DELETE, "/v1/extensions/hello"),
    ] {
        let (status, doc) = body(
            c.request(method, s.url(path))
                .bearer_auth(&app)
                .send()
                .unwrap(),
        );
        assert_eq!(
            (status, doc["error"]["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("forbidden")),
            "{path}"
        );
    }

    // The audit log, filtered by caller, names the token; it verifies.
    let (status, doc) = body(
        c.get(s.url("/v1/audit?caller=token:app&extension=hello&decision=denied"))
            .bearer_auth(&admin)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200);
    let records = doc["records"].as_array().unwrap();
    assert_eq!(records.len(), 1, "{doc}");
    assert_eq!(records[0]["capability"], "http.fetch");
    let (_, doc) = body(
        c.get(s.url("/v1/audit/verify"))
            .bearer_auth(&admin)
            .send()
            .unwrap(),
    );
    assert_eq!(doc["ok"], true, "{doc}");

    // Metrics count the calls per extension and runtime.
    let metrics = c
        .get(s.url("/metrics"))
        .bearer_auth(&app)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains(r#"morph_calls_total{extension="hello",runtime="js",outcome="ok"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"morph_denials_total{extension="hello",runtime="js"} 1"#));
    assert!(metrics.contains("morph_extensions_loaded 1"));
    assert!(!metrics.contains("morph_worker_threads 0"), "{metrics}");

    // The document describes every route.
    let (status, doc) = body(
        c.get(s.url("/v1/openapi.json"))
            .bearer_auth(&app)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200);
    assert!(doc["paths"]["/v1/extensions/{id}/actions/{action}"]["post"].is_object());
    let (status, doc) = body(
        c.get(s.url("/v2/nothing"))
            .bearer_auth(&app)
            .send()
            .unwrap(),
    );
    assert_eq!(
        (status, doc["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );

    assert_eq!(s.stop(), Some(0));
    let verified = s.verify();
    assert_eq!(verified["problem"], Value::Null, "{verified}");
    for record in s.audit() {
        if record["extension"] == "hello"
            && !record["capability"].as_str().unwrap().starts_with("host.")
        {
            assert_eq!(record["caller"], "token:app", "{record}");
        }
    }
}

#[test]
fn an_install_needs_the_exact_diff_approved_and_takes_effect_at_once() {
    let mut s = Served::new();
    let admin = s.token("ops", "admin");
    // A signed package from a trusted publisher.
    let key = s.tmp.path().join("acme.key");
    ok(&["keygen", "--out", key.to_str().unwrap()]);
    ok(&[
        "trust",
        "--data-dir",
        s.d(),
        "add",
        "acme",
        &format!("{}.pub", key.display()),
    ]);
    let file = s.pack(&hello());
    ok(&[
        "sign",
        file.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&file).unwrap();
    s.start(&[]);
    let c = client();
    let install = |approve: Option<&str>, bytes: &[u8]| {
        let mut url = s.url("/v1/extensions?source=hello.morph");
        if let Some(a) = approve {
            url.push_str(&format!("&approve={a}"));
        }
        body(
            c.post(url)
                .bearer_auth(&admin)
                .header("content-type", "application/octet-stream")
                .body(bytes.to_vec())
                .send()
                .unwrap(),
        )
    };

    let (status, doc) = install(None, &bytes);
    assert_eq!(status, 409, "{doc}");
    assert_eq!(doc["error"]["code"], "approval_required");
    let diff = &doc["error"]["details"]["diff"];
    assert_eq!(
        diff["added"]["permissions"],
        json!(["http:read", "vault:read"])
    );
    assert_eq!(diff["added"]["allowed_hosts"], json!(["example.com"]));
    let digest = doc["error"]["details"]["digest"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = install(Some("sha256:0000"), &bytes);
    assert_eq!(status, 409);
    // Nothing is installed yet.
    let (_, doc) = body(
        c.get(s.url("/v1/extensions"))
            .bearer_auth(&admin)
            .send()
            .unwrap(),
    );
    assert_eq!(doc["extensions"], json!([]));

    let (status, doc) = install(Some(&digest), &bytes);
    assert_eq!(status, 201, "{doc}");
    assert_eq!(doc["installed"]["publisher"], "acme");
    let greet = || {
        body(
            c.post(s.url("/v1/extensions/hello/actions/greet"))
                .bearer_auth(&admin)
                .json(&json!({"name": "x"}))
                .send()
                .unwrap(),
        )
    };
    assert_eq!(greet().0, 200);

    // A tampered upload is refused whatever is approved.
    let mut tampered = bytes.clone();
    let last = tampered.len() - 100;
    tampered[last] ^= 0xff;
    let (status, doc) = install(Some(&digest), &tampered);
    assert!(status.is_client_error(), "{status} {doc}");

    // Removal takes effect at once too.
    let (status, _) = body(
        c.delete(s.url("/v1/extensions/hello"))
            .bearer_auth(&admin)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200);
    let (status, doc) = greet();
    assert_eq!(
        (status, doc["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("unknown_extension"))
    );

    // An install by `morph install` in another process shows up within a second or two.
    ok(&[
        "install",
        file.to_str().unwrap(),
        "--yes",
        "--data-dir",
        s.d(),
    ]);
    let mut found = false;
    for _ in 0..50 {
        std::thread::sleep(Duration::from_millis(100));
        if greet().0 == 200 {
            found = true;
            break;
        }
    }
    assert!(found, "the CLI install never reached the server");
    let records = s.audit();
    let changes: Vec<(&str, &str)> = records
        .iter()
        .filter(|r| r["capability"].as_str().unwrap().starts_with("host."))
        .map(|r| {
            (
                r["capability"].as_str().unwrap(),
                r["caller"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [("host.install", "token:ops"), ("host.remove", "token:ops")]
    );
}

#[test]
fn the_vault_is_write_only_and_a_second_server_refuses_the_data_dir() {
    let mut s = Served::new();
    s.install(&hello());
    let admin = s.token("ops", "admin");
    s.start(&[]);
    let c = client();
    let secret = "s3cr3t-value-that-must-not-come-back";
    let (status, doc) = body(
        c.put(s.url("/v1/extensions/hello/vault/token"))
            .bearer_auth(&admin)
            .json(&json!({"value": secret, "hosts": ["example.com"]}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{doc}");
    assert!(!doc.to_string().contains(secret));
    assert_eq!(doc["hosts"], json!(["example.com"]));
    let (_, doc) = body(
        c.post(s.url("/v1/extensions/hello/actions/secret"))
            .bearer_auth(&admin)
            .send()
            .unwrap(),
    );
    assert_eq!(
        doc["result"],
        json!({"stored": true, "length": secret.len()})
    );
    for path in [
        "/v1/extensions",
        "/v1/extensions/hello",
        "/v1/audit?limit=1000",
    ] {
        let text = c
            .get(s.url(path))
            .bearer_auth(&admin)
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert!(!text.contains(secret), "{path} leaked the value");
    }
    let (status, _) = body(
        c.put(s.url("/v1/extensions/nobody/vault/token"))
            .bearer_auth(&admin)
            .body("x")
            .send()
            .unwrap(),
    );
    assert_eq!(status, 404);

    let second =
        crate::serve_fixture::morph(&["serve", "--listen", "127.0.0.1:0", "--data-dir", s.d()])
            .output()
            .unwrap();
    assert_eq!(second.status.code(), Some(2));
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(said.contains("another `morph serve`"), "{said}");

    let public =
        crate::serve_fixture::morph(&["serve", "--listen", "0.0.0.0:0", "--data-dir", s.d()])
            .output()
            .unwrap();
    assert!(String::from_utf8_lossy(&public.stderr).contains("--allow-remote"));
}

#[test]
fn sigterm_drains_the_call_in_flight_and_events_stream_the_calls() {
    let mut s = Served::new();
    s.install(&hello());
    let admin = s.token("ops", "admin");
    s.start(&[]);

    // The event stream sees a call.
    let events = client()
        .get(s.url("/v1/events"))
        .bearer_auth(&admin)
        .send()
        .unwrap();
    assert_eq!(events.status(), 200);
    let mut lines = BufReader::new(events).lines();
    let (status, _) = body(
        client()
            .post(s.url("/v1/extensions/hello/actions/greet"))
            .bearer_auth(&admin)
            .json(&json!({"name": "e"}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200);
    let mut saw = Vec::new();
    while let Some(Ok(line)) = lines.next() {
        saw.push(line.clone());
        if line.starts_with("data:") && line.contains("\"call\"") {
            assert!(line.contains("\"caller\":\"token:ops\""), "{line}");
            break;
        }
    }
    assert!(saw.iter().any(|l| l == "event: call"), "{saw:?}");

    // A slow call in flight when SIGTERM arrives still gets its answer.
    let url = s.url("/v1/extensions/hello/actions/slow");
    let token = admin.clone();
    let slow = std::thread::spawn(move || {
        body(
            client()
                .post(url)
                .bearer_auth(token)
                .json(&json!({"ms": 1500}))
                .send()
                .unwrap(),
        )
    });
    std::thread::sleep(Duration::from_millis(500));
    let code = s.stop();
    let (status, doc) = slow.join().unwrap();
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["result"], json!({"slept": 1500}));
    assert_eq!(code, Some(0));
    assert_eq!(s.verify()["problem"], Value::Null);
}
