//! The github-issues example against a local HTTP server standing in for the
//! GitHub API (the test's copy of the manifest allows that server).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::mpsc;

use serde_json::{Value, json};

use crate::on_every_engine;

on_every_engine!(github_issues_creates_and_reads_issues);

/// What the stand-in API saw: request line, authorization header, body.
type Seen = (String, Option<String>, String);

/// Serves `/repos/acme/widgets/issues` (POST) and `.../issues/7` (GET).
fn fake_github() -> (u16, mpsc::Receiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let (mut auth, mut len) = (None, 0usize);
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                let (name, value) = line.split_once(':').unwrap();
                match name.to_ascii_lowercase().as_str() {
                    "authorization" => auth = Some(value.trim().to_owned()),
                    "content-length" => len = value.trim().parse().unwrap(),
                    _ => {}
                }
            }
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            let body = String::from_utf8(body).unwrap();
            let reply = if request_line.starts_with("POST /repos/acme/widgets/issues ") {
                let sent: Value = serde_json::from_str(&body).unwrap();
                json!({"number": 7, "url": "https://api.github.test/repos/acme/widgets/issues/7",
                       "title": sent["title"], "state": "open"})
            } else if request_line.starts_with("GET /repos/acme/widgets/issues/7 ") {
                json!({"number": 7, "title": "Flaky build", "state": "open", "body": "It fails on Tuesdays"})
            } else {
                json!({"message": "Not Found"})
            };
            tx.send((request_line.trim_end().to_owned(), auth, body))
                .unwrap();
            let reply = reply.to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
                reply.len()
            );
        }
    });
    (port, rx)
}

async fn github_issues_creates_and_reads_issues(engine: &str) {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/github-issues");
    let wasm = std::fs::read(example.join("extension.wasm"))
        .expect("build the guests first: scripts/build-guests.sh");
    let (port, seen) = fake_github();
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("github-issues");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("extension.wasm"), wasm).unwrap();
    let manifest = std::fs::read_to_string(example.join("manifest.yaml"))
        .unwrap()
        .replace("  - api.github.com", &format!("  - \"127.0.0.1:{port}\""));
    std::fs::write(pkg.join("manifest.yaml"), manifest).unwrap();

    let (host, audit) = crate::support::host(dir.path(), engine, None);
    let config = json!({"api_base": format!("http://127.0.0.1:{port}")});
    let id = host.load(&pkg, config).await.unwrap();

    // No token yet: a clear guest error, and nothing sent.
    let err = host
        .execute(
            &id,
            "create_issue",
            json!({"repo": "acme/widgets", "title": "Flaky build"}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code().as_str(), "guest_error", "{err}");
    assert!(seen.try_recv().is_err());

    host.broker()
        .providers()
        .vault
        .set(&id, "github_token", "ghp_test_token")
        .await
        .unwrap();
    let mut events = host.broker().providers().events.subscribe().unwrap();
    let created = host
        .execute(
            &id,
            "create_issue",
            json!({"repo": "acme/widgets", "title": "Flaky build", "body": "Tuesdays"}),
        )
        .await
        .unwrap();
    assert_eq!(created["number"], 7, "{created}");
    assert_eq!(created["title"], "Flaky build");
    let (line, auth, body) = seen.recv().unwrap();
    assert!(
        line.starts_with("POST /repos/acme/widgets/issues"),
        "{line}"
    );
    assert_eq!(auth.as_deref(), Some("Bearer ghp_test_token"));
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["body"],
        "Tuesdays"
    );
    let event = events.recv().await.unwrap();
    assert_eq!(event.source, "github-issues");
    assert!(event.message.contains("#7"), "{}", event.message);

    let issue = host
        .execute(
            &id,
            "get_issue",
            json!({"repo": "acme/widgets", "number": 7}),
        )
        .await
        .unwrap();
    assert_eq!(issue["state"], "open");
    assert_eq!(issue["body"], "It fails on Tuesdays");

    // A repo that tries to leave the API path is refused by the guest.
    let err = host
        .execute(
            &id,
            "get_issue",
            json!({"repo": "../../admin", "number": 1}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code().as_str(), "guest_error");

    let records = audit.records();
    let text = serde_json::to_string(&records).unwrap();
    assert!(
        !text.contains("ghp_test_token"),
        "the token reached the audit log"
    );
}
