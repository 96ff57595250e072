//! THREATS.md, "Bypassing the broker's checks", through the real `morph`
//! binary and real HTTP servers on 127.0.0.1: the classes of the HTTP
//! allowlist bullet that no other suite drives end to end (proxy variables,
//! private addresses in every notation, a name resolving to loopback).
//! `capabilities/tests/all/http.rs` covers the rest through the broker.

use std::path::Path;
use std::process::{Command, Output};

use morph_testkit::{PackageSpec, TestServer};
use serde_json::{Value, json};

/// `fetch` GETs `params.url`; `fetch_all` GETs each of `params.urls` and
/// answers, per URL, the body or the error code the guest caught.
const JS: &str = r#"export function execute(action, params) {
  if (action === "fetch") return morph.http.fetch(params.url);
  return params.urls.map((url) => {
    try {
      return { url, body: morph.http.fetch(url).body };
    } catch (e) {
      return { url, code: e.code ?? String(e) };
    }
  });
}
"#;

const ACTIONS: &str = r#"actions:
  - name: fetch
    description: GETs one URL
    parameters: [{name: url, type: string, required: true}]
  - name: fetch_all
    description: GETs each URL and reports what happened
    parameters: [{name: urls, type: array, required: true}]
"#;

/// The proxy variables an HTTP client may read from its environment.
const PROXY_VARIABLES: [&str; 6] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// `morph run PKG ACTION --params PARAMS --json` with `env` added; the exit
/// code and the envelope.
fn run(data: &Path, pkg: &Path, action: &str, params: &Value, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_morph"));
    cmd.arg("run")
        .arg(pkg)
        .arg(action)
        .arg("--params")
        .arg(params.to_string())
        .arg("--json")
        .arg("--data-dir")
        .arg(data)
        .env_remove("MORPH_DATA_DIR")
        .env_remove("MORPH_LOG")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy");
    for v in PROXY_VARIABLES {
        cmd.env_remove(v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn envelope(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// THREATS.md, "Bypassing the broker's checks": HTTP allowlist, proxy
/// variables are ignored. Every proxy variable points at a second server;
/// the request still goes straight to the allowlisted address, and the
/// "proxy" never sees a byte.
#[test]
fn http_proxy_variables_are_ignored() {
    let target = TestServer::text("direct");
    let proxy = TestServer::text("proxied");
    let dir = tempfile::tempdir().unwrap();
    let pkg = PackageSpec::new("threats-proxy", "js", "index.js", JS, ACTIONS)
        .permissions(&["http:read"])
        .allowed_hosts(&[&target.host()])
        .write(dir.path());
    let proxy_url = proxy.url("");
    let env: Vec<(&str, &str)> = PROXY_VARIABLES
        .iter()
        .map(|v| (*v, proxy_url.as_str()))
        .collect();
    let out = run(
        &dir.path().join("data"),
        &pkg,
        "fetch",
        &json!({"url": target.url("/direct")}),
        &env,
    );
    let doc = envelope(&out);
    assert_eq!(out.status.code(), Some(0), "{doc}");
    assert_eq!(doc["result"]["body"], "direct", "{doc}");
    assert_eq!(target.seen().len(), 1);
    assert_eq!(target.seen()[0].path, "/direct");
    assert!(proxy.seen().is_empty(), "the proxy saw {:?}", proxy.seen());
}

/// THREATS.md, "Bypassing the broker's checks": HTTP allowlist, private,
/// loopback and link-local addresses in every notation (decimal, hex,
/// octal, short forms, IPv6-mapped, IPv6) are denied unless the allowlist
/// names that literal address, and a name the allowlist does hold
/// (`localhost:PORT`) is denied because it resolves to loopback: the check
/// runs on the resolved address. Nothing reaches the server.
#[test]
fn http_private_addresses_in_every_notation_are_denied() {
    let server = TestServer::text("reached");
    let port = server.port();
    let dir = tempfile::tempdir().unwrap();
    let localhost = format!("localhost:{port}");
    let pkg = PackageSpec::new("threats-private", "js", "index.js", JS, ACTIONS)
        .permissions(&["http:read"])
        .allowed_hosts(&["example.com", "*.example.com", "93.184.216.34", &localhost])
        .write(dir.path());
    let urls: Vec<String> = [
        // 127.0.0.1
        "http://2130706433:{port}/",
        "http://0x7f000001:{port}/",
        "http://0x7f.0x0.0x0.0x1:{port}/",
        "http://0177.0.0.1:{port}/",
        "http://0177.0000.0000.0001:{port}/",
        "http://127.1:{port}/",
        "http://127.0.0.1:{port}/",
        // 10.0.0.1 (private)
        "http://167772161/",
        "http://0xa000001/",
        "http://012.0.0.1/",
        "http://10.1/",
        // 169.254.169.254 (link-local, cloud metadata)
        "http://2852039166/",
        "http://0xa9fea9fe/",
        "http://0251.0376.0251.0376/",
        "http://169.254.43518/",
        // 192.168.0.1 and 0.0.0.0
        "http://0300.0250.0.1/",
        "http://0/",
        "http://0.0.0.0:{port}/",
        // IPv6: mapped, loopback, link-local, unique local, unspecified
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://[::ffff:7f00:1]:{port}/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://[::1]:{port}/",
        "http://[0:0:0:0:0:0:0:1]:{port}/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[::]:{port}/",
        // an allowlisted name that resolves to loopback
        "http://localhost:{port}/",
        "http://LOCALHOST.:{port}/",
    ]
    .iter()
    .map(|u| u.replace("{port}", &port.to_string()))
    .collect();
    let out = run(
        &dir.path().join("data"),
        &pkg,
        "fetch_all",
        &json!({ "urls": urls }),
        &[],
    );
    let doc = envelope(&out);
    assert_eq!(out.status.code(), Some(0), "{doc}");
    let answers = doc["result"].as_array().unwrap();
    assert_eq!(answers.len(), urls.len());
    for answer in answers {
        assert_eq!(answer["code"], "host_not_allowed", "{answer}");
    }
    // Every attempt was audited as a denial.
    let audit = doc["audit"].as_array().unwrap();
    assert_eq!(audit.len(), urls.len(), "{doc}");
    for record in audit {
        assert_eq!(record["capability"], "http.fetch", "{record}");
        assert_eq!(record["outcome"], "host_not_allowed", "{record}");
    }
    assert!(server.seen().is_empty(), "reached: {:?}", server.seen());
}
