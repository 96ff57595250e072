//! A stand-in JIRA Cloud on 127.0.0.1 and the checks every JIRA example
//! passes against it (`examples/jira-python`, `examples/jira-js`).
//!
//! The stand-in checks what JIRA checks: the Basic auth header, the JQL
//! query's encoding and the JSON bodies, and answers errors as JIRA does.
//! The checks are one body per behaviour, run by each runtime's test suite
//! on its own host, so the examples in every language must send the same
//! requests and return the same JSON to the same stand-in. The API token
//! only ever lives in the vault.

use std::path::Path;

use serde_json::{Value, json};

use crate::{Reply, Seen, TestHost, TestServer};

const EMAIL: &str = "ada@example.com";
const TOKEN: &str = "ATATT3xFfGF0-test-token";
/// `Basic ` and base64 of `ada@example.com:ATATT3xFfGF0-test-token`.
const AUTH: &str = "Basic YWRhQGV4YW1wbGUuY29tOkFUQVRUM3hGZkdGMC10ZXN0LXRva2Vu";
const JQL: &str = r#"project = "OPS" AND status = 'In Progress'"#;
/// The search for `JQL`, two at a time, as an
/// `application/x-www-form-urlencoded` serializer spells it (Python's
/// `urllib.parse.urlencode`, JavaScript's `URLSearchParams`).
const SEARCH: &str = "/rest/api/2/search/jql\
    ?jql=project+%3D+%22OPS%22+AND+status+%3D+%27In+Progress%27\
    &maxResults=2\
    &fields=summary%2Cstatus%2Cissuetype%2Cpriority%2Cassignee%2Cupdated";
/// A page token with characters a query string must escape.
const PAGE_TOKEN: &str = "CAEaAggD/+=";
const DESCRIPTION: &str = "Fails when the moon is full \u{2014} see CI logs.";

/// OPS-42 as JIRA's REST API v2 returns it; `site` is `http://host:port`.
fn issue(site: &str) -> Value {
    json!({
        "id": "10042",
        "key": "OPS-42",
        "self": format!("{site}/rest/api/2/issue/10042"),
        "fields": {
            "summary": "Flaky build on Tuesdays",
            "description": DESCRIPTION,
            "status": {"name": "In Progress", "id": "3"},
            "issuetype": {"name": "Bug", "id": "10004"},
            "priority": {"name": "High", "id": "2"},
            "assignee": {
                "displayName": "Ada Lovelace",
                "emailAddress": EMAIL,
                "accountId": "5b10a2"
            },
            "reporter": {"displayName": "Grace Hopper", "accountId": "5b10a3"},
            "labels": ["ci"],
            "created": "2024-03-05T14:07:31.000+0100",
            "updated": "2024-03-06T09:15:00.123-0500",
            "duedate": "2024-03-31"
        }
    })
}

fn errors(status: u16, messages: &[&str], fields: Value) -> Reply {
    Reply::json(
        status,
        &json!({"errorMessages": messages, "errors": fields}),
    )
}

/// Answers like JIRA Cloud: 401 without the right Basic auth, 415 for a body
/// that is not JSON, 400 for a create without the fields JIRA requires or for
/// a search query that is not `JQL` exactly, 404 for unknown issues.
fn answer_like_jira(req: &Seen) -> Reply {
    let site = format!("http://{}", req.header("host").unwrap_or("127.0.0.1"));
    if req.header("authorization") != Some(AUTH) {
        return errors(
            401,
            &["You are not authenticated. Authentication required to perform this operation."],
            json!({}),
        );
    }
    match (req.method.as_str(), req.path.as_str()) {
        ("POST", "/rest/api/2/issue") => {
            if !req
                .header("content-type")
                .is_some_and(|c| c.starts_with("application/json"))
            {
                return errors(415, &["Unsupported Media Type"], json!({}));
            }
            let Ok(body) = serde_json::from_str::<Value>(&req.body) else {
                return errors(
                    400,
                    &["Unexpected character in the request body"],
                    json!({}),
                );
            };
            let fields = &body["fields"];
            if fields["project"]["key"] != "OPS" {
                return errors(
                    400,
                    &[],
                    json!({"project": "Specify a valid project ID or key"}),
                );
            }
            if !fields["summary"].is_string() || !fields["issuetype"]["name"].is_string() {
                return errors(
                    400,
                    &[],
                    json!({"summary": "You must specify a summary of the issue."}),
                );
            }
            let self_url = format!("{site}/rest/api/2/issue/10042");
            Reply::json(
                201,
                &json!({"id": "10042", "key": "OPS-42", "self": self_url}),
            )
        }
        ("GET", "/rest/api/2/issue/OPS-42") => Reply::json(200, &issue(&site)),
        ("GET", path) if path.starts_with("/rest/api/2/search/jql?") => {
            let query = form_decode(path.split_once('?').map_or("", |(_, q)| q));
            let jql = query.iter().find(|(k, _)| k == "jql").map(|(_, v)| v);
            if jql.map(String::as_str) != Some(JQL) {
                return errors(
                    400,
                    &["Error in the JQL Query: the stand-in only knows one query."],
                    json!({}),
                );
            }
            if path == SEARCH {
                let page = json!({
                    "issues": [issue(&site)],
                    "nextPageToken": PAGE_TOKEN,
                    "isLast": false
                });
                Reply::json(200, &page)
            } else {
                Reply::json(200, &json!({"issues": [], "isLast": true}))
            }
        }
        _ => errors(
            404,
            &["Issue does not exist or you do not have permission to see it."],
            json!({}),
        ),
    }
}

/// `application/x-www-form-urlencoded` pairs, decoded (`+` is a space, `%XX`
/// a byte, the bytes UTF-8).
fn form_decode(query: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                    out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                    i += 2;
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// A JIRA example loaded on a test host from a copy of its directory, its
/// `allowed_hosts` pointed at a fresh stand-in and its config naming it.
pub struct JiraExample {
    /// The host (and the temporary dir holding the copy).
    pub t: TestHost,
    /// The extension's id.
    pub id: String,
    /// The stand-in JIRA.
    pub server: TestServer,
}

impl JiraExample {
    /// Loads `examples/<example>` of this checkout on `t`, whose runtime
    /// must serve the example's `runtime:`.
    pub async fn load(t: TestHost, example: &str) -> JiraExample {
        let server = TestServer::start(answer_like_jira);
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../examples")
            .join(example);
        let pkg = t.dir.path().join(example);
        copy_tree(&shipped, &pkg);
        let manifest = std::fs::read_to_string(shipped.join("manifest.yaml")).unwrap();
        let parsed = morph_runtime_core::manifest::Manifest::from_yaml(&manifest).unwrap();
        assert_eq!(parsed.allowed_hosts.len(), 1);
        assert!(manifest.contains("\"*.atlassian.net\""), "{manifest}");
        let manifest = manifest.replace("\"*.atlassian.net\"", &format!("\"{}\"", server.host()));
        std::fs::write(pkg.join("manifest.yaml"), manifest).unwrap();
        let id = t
            .host
            .load(&pkg, json!({"jira_url": server.url("/"), "email": EMAIL}))
            .await
            .unwrap();
        JiraExample { t, id, server }
    }

    async fn set_token(&self, token: &str) {
        self.t
            .host
            .broker()
            .providers()
            .vault
            .set(&self.id, "jira_api_token", token)
            .await
            .unwrap();
    }

    /// What `action` returns (panics if it fails).
    async fn run(&self, action: &str, params: Value) -> Value {
        match self.t.run(&self.id, action, params).await {
            Ok(v) => v,
            Err(e) => panic!("{action} failed: {e}"),
        }
    }

    /// The `guest_error` message `action` ends with.
    async fn guest_error(&self, action: &str, params: Value) -> String {
        let err = self.t.run(&self.id, action, params).await.unwrap_err();
        assert_eq!(err.code().as_str(), "guest_error", "{err}");
        err.to_string()
    }

    /// Creates, reads and searches OPS-42 (two pages) and checks the
    /// results, every request the stand-in saw and the audit trail.
    pub async fn creates_reads_and_searches_issues(&self) {
        self.set_token(TOKEN).await;
        let site = self.server.url("");

        let params = json!({
            "project": "OPS",
            "title": "Flaky build on Tuesdays",
            "description": DESCRIPTION
        });
        let created = self.run("create_issue", params).await;
        assert_eq!(
            created,
            json!({"id": "10042", "key": "OPS-42", "url": format!("{site}/browse/OPS-42")})
        );

        let got = self.run("get_issue", json!({"issue_id": "OPS-42"})).await;
        assert_eq!(
            got,
            json!({
                "key": "OPS-42",
                "id": "10042",
                "url": format!("{site}/browse/OPS-42"),
                "summary": "Flaky build on Tuesdays",
                "description": DESCRIPTION,
                "status": "In Progress",
                "issue_type": "Bug",
                "priority": "High",
                "assignee": "Ada Lovelace",
                "reporter": "Grace Hopper",
                "labels": ["ci"],
                "created": "2024-03-05T13:07:31Z",
                "updated": "2024-03-06T14:15:00Z",
                "due": "2024-03-31"
            })
        );

        let page = self
            .run("search", json!({"jql": JQL, "max_results": 2}))
            .await;
        assert_eq!(page["next_page_token"], PAGE_TOKEN, "{page}");
        assert_eq!(
            page["issues"],
            json!([{
                "key": "OPS-42",
                "id": "10042",
                "url": format!("{site}/browse/OPS-42"),
                "summary": "Flaky build on Tuesdays",
                "status": "In Progress",
                "issue_type": "Bug",
                "priority": "High",
                "assignee": "Ada Lovelace",
                "updated": "2024-03-06T14:15:00Z"
            }])
        );
        let last = self
            .run(
                "search",
                json!({"jql": JQL, "max_results": 2, "page_token": PAGE_TOKEN}),
            )
            .await;
        assert_eq!(last, json!({"issues": [], "next_page_token": null}));

        self.sent_what_jira_expects();
        self.audited_without_secrets(4);
    }

    /// The requests of [`JiraExample::creates_reads_and_searches_issues`],
    /// as the stand-in saw them.
    fn sent_what_jira_expects(&self) {
        let seen = self.server.seen();
        let lines: Vec<(&str, &str)> = seen
            .iter()
            .map(|s| (s.method.as_str(), s.path.as_str()))
            .collect();
        let second_page = format!("{SEARCH}&nextPageToken=CAEaAggD%2F%2B%3D");
        assert_eq!(
            lines,
            [
                ("POST", "/rest/api/2/issue"),
                ("GET", "/rest/api/2/issue/OPS-42"),
                ("GET", SEARCH),
                ("GET", second_page.as_str()),
            ]
        );
        for s in &seen {
            assert_eq!(s.header("authorization"), Some(AUTH), "{s:?}");
            assert_eq!(s.header("accept"), Some("application/json"), "{s:?}");
        }
        assert_eq!(seen[0].header("content-type"), Some("application/json"));
        assert_eq!(
            serde_json::from_str::<Value>(&seen[0].body).unwrap(),
            json!({"fields": {
                "project": {"key": "OPS"},
                "summary": "Flaky build on Tuesdays",
                "description": DESCRIPTION,
                "issuetype": {"name": "Task"}
            }})
        );
        for s in &seen[2..] {
            let query = form_decode(s.path.split_once('?').unwrap().1);
            assert_eq!(query[0], ("jql".to_owned(), JQL.to_owned()), "{s:?}");
        }
        assert_eq!(
            form_decode(second_page.split_once('?').unwrap().1)
                .last()
                .unwrap(),
            &("nextPageToken".to_owned(), PAGE_TOKEN.to_owned())
        );
    }

    /// Each of `calls` calls read the token once and fetched once; no audit
    /// record holds a secret.
    fn audited_without_secrets(&self, calls: usize) {
        let records = self.t.audit_of(&self.id);
        // A fetch is an effect: its intent, then its outcome.
        let capabilities: Vec<&str> = records
            .iter()
            .map(|r| r.entry.capability.as_str())
            .collect();
        assert_eq!(
            capabilities,
            ["vault.get", "http.fetch", "http.fetch"].repeat(calls)
        );
        assert!(
            records
                .iter()
                .all(|r| r.entry.outcome == "ok" || r.entry.outcome == "intent"),
            "{records:?}"
        );
        let log = serde_json::to_string(&records).unwrap();
        assert!(!log.contains(TOKEN) && !log.contains(&AUTH[6..]), "{log}");
    }

    /// Fails each way a JIRA call fails (no token, 404, an escaped key,
    /// 400 with JIRA's field errors, 401) with `guest_error` and JIRA's words.
    pub async fn errors_name_the_cause(&self) {
        // No token in the vault: a clear error before anything is sent.
        let msg = self
            .guest_error("get_issue", json!({"issue_id": "OPS-42"}))
            .await;
        assert!(
            msg.contains("no JIRA API token in the vault under 'jira_api_token'"),
            "{msg}"
        );
        assert!(self.server.seen().is_empty());

        self.set_token(TOKEN).await;
        let msg = self
            .guest_error("get_issue", json!({"issue_id": "OPS-404"}))
            .await;
        assert!(
            msg.contains(
                "JIRA GET /rest/api/2/issue/OPS-404 failed with HTTP 404: \
                 Issue does not exist or you do not have permission to see it."
            ),
            "{msg}"
        );

        // A key cannot walk the API's paths: `/` is escaped.
        self.guest_error("get_issue", json!({"issue_id": "../search/jql"}))
            .await;
        assert_eq!(
            self.server.seen().last().unwrap().path,
            "/rest/api/2/issue/..%2Fsearch%2Fjql"
        );

        let msg = self
            .guest_error(
                "create_issue",
                json!({"project": "NOPE", "title": "t", "description": "d"}),
            )
            .await;
        assert!(
            msg.contains(
                "JIRA POST /rest/api/2/issue failed with HTTP 400: \
                 project: Specify a valid project ID or key"
            ),
            "{msg}"
        );

        let msg = self
            .guest_error("search", json!({"jql": JQL, "max_results": 101}))
            .await;
        assert!(
            msg.contains("max_results must be between 1 and 100, not 101"),
            "{msg}"
        );

        self.set_token("not-the-token").await;
        let msg = self
            .guest_error("search", json!({"jql": JQL, "max_results": 2}))
            .await;
        assert!(
            msg.contains("failed with HTTP 401: You are not authenticated.")
                && msg.contains("check config.email and the API token stored in the vault"),
            "{msg}"
        );
        assert!(!msg.contains("not-the-token"), "{msg}");
    }
}

/// Copies an example's files (not CPython's `__pycache__`).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (src, name) = (entry.path(), entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if name != "__pycache__" {
                copy_tree(&src, &to.join(name));
            }
        } else {
            std::fs::copy(&src, to.join(name)).unwrap();
        }
    }
}

/// The JIRA example tests of one runtime's suite: `jira_example_tests!("jira-js",
/// crate::support::test_host(None))` defines
/// `jira_example_creates_reads_and_searches_issues` and
/// `jira_example_errors_name_the_cause`, each loading `examples/jira-js` on
/// a fresh host from the expression (the suite needs `tokio` with its
/// `macros` and `rt-multi-thread` features).
#[macro_export]
macro_rules! jira_example_tests {
    ($example:literal, $host:expr) => {
        async fn load() -> $crate::JiraExample {
            $crate::JiraExample::load($host, $example).await
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn jira_example_creates_reads_and_searches_issues() {
            load().await.creates_reads_and_searches_issues().await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn jira_example_errors_name_the_cause() {
            load().await.errors_name_the_cause().await;
        }
    };
}
