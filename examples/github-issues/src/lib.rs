//! `github-issues`: a Morph extension that creates and reads GitHub issues.
//!
//! Actions:
//! - `create_issue {repo, title, body?}`: `POST {api_base}/repos/{repo}/issues`
//!   with the token from the vault (`config.token_key`), emits
//!   `created issue #N`, returns `{number, url, title}`;
//! - `get_issue {repo, number}`: `GET {api_base}/repos/{repo}/issues/{number}`,
//!   returns `{number, title, state, body}`.
//!
//! **The extension never builds a URL from unchecked input**: `repo` must be
//! `owner/name` made of letters, digits, `-`, `_` and `.`, so no parameter
//! can reach another API path. What hosts it may reach at all is the
//! manifest's `allowed_hosts`, enforced by the host.

use morph_sdk::http::{self, Request, Response};
use morph_sdk::{Error, Extension, Value, events, json, serde_json, vault};
use serde::Deserialize;

/// The extension's config (`config_schema` in `manifest.yaml`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Config {
    /// The API root, `https://api.github.com` by default.
    #[serde(default = "default_api_base")]
    pub api_base: String,
    /// The vault key holding the API token, `github_token` by default.
    #[serde(default = "default_token_key")]
    pub token_key: String,
}

fn default_api_base() -> String {
    "https://api.github.com".to_owned()
}

fn default_token_key() -> String {
    "github_token".to_owned()
}

impl Default for Config {
    fn default() -> Config {
        Config {
            api_base: default_api_base(),
            token_key: default_token_key(),
        }
    }
}

#[derive(Deserialize)]
struct CreateIssue {
    repo: String,
    title: String,
    #[serde(default)]
    body: Option<String>,
}

#[derive(Deserialize)]
struct GetIssue {
    repo: String,
    number: u64,
}

/// The extension: its config, read once per instance.
#[derive(Debug, Default)]
pub struct GithubIssues {
    config: Option<Config>,
}

impl Extension for GithubIssues {
    fn init(&mut self, config: Value) -> Result<(), Error> {
        self.config = Some(parse_config(config)?);
        Ok(())
    }

    fn execute(&mut self, action: &str, params: Value) -> Result<Value, Error> {
        match action {
            "create_issue" => self.create_issue(serde_json::from_value(params)?),
            "get_issue" => self.get_issue(serde_json::from_value(params)?),
            other => Err(Error::new(format!(
                "unknown action `{other}` (expected create_issue or get_issue)"
            ))),
        }
    }
}

impl GithubIssues {
    /// The config from `init`, or from the host when `init` did not run.
    fn config(&mut self) -> Result<&Config, Error> {
        if self.config.is_none() {
            self.config = Some(parse_config(morph_sdk::config::get()?)?);
        }
        self.config
            .as_ref()
            .ok_or_else(|| Error::new("the config is not available"))
    }

    fn create_issue(&mut self, p: CreateIssue) -> Result<Value, Error> {
        let config = self.config()?.clone();
        let url = issues_url(&config.api_base, &p.repo)?;
        let token = vault::get(&config.token_key)?.ok_or_else(|| {
            Error::new(format!(
                "no GitHub token: store one in the vault under `{}` (config.token_key)",
                config.token_key
            ))
        })?;
        let mut payload = json!({ "title": p.title });
        if let Some(body) = p.body {
            payload["body"] = Value::String(body);
        }
        let request = api_request(Request::post(url))
            .header("authorization", format!("Bearer {token}"))
            .json(&payload)?;
        let issue = expect_success(http::fetch(&request)?, "creating an issue")?;
        let created = created_issue(&issue)?;
        events::emit("info", &format!("created issue #{}", created["number"]))?;
        Ok(created)
    }

    fn get_issue(&mut self, p: GetIssue) -> Result<Value, Error> {
        let config = self.config()?.clone();
        let url = format!("{}/{}", issues_url(&config.api_base, &p.repo)?, p.number);
        let mut request = api_request(Request::get(url));
        if let Ok(Some(token)) = vault::get(&config.token_key) {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let issue = expect_success(http::fetch(&request)?, "reading the issue")?;
        Ok(json!({
            "number": field(&issue, "number")?,
            "title": field(&issue, "title")?,
            "state": field(&issue, "state")?,
            "body": issue.get("body").cloned().unwrap_or(Value::Null),
        }))
    }
}

/// Reads the config, applying the schema's defaults when the host did not.
fn parse_config(config: Value) -> Result<Config, Error> {
    let config = match config {
        Value::Null => Config::default(),
        other => serde_json::from_value(other)?,
    };
    Ok(config)
}

/// `{api_base}/repos/{repo}/issues`, refusing a `repo` that is not `owner/name`.
fn issues_url(api_base: &str, repo: &str) -> Result<String, Error> {
    let part_ok = |s: &str| {
        !s.is_empty()
            && s != "."
            && s != ".."
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    match repo.split_once('/') {
        Some((owner, name)) if part_ok(owner) && part_ok(name) => Ok(format!(
            "{}/repos/{owner}/{name}/issues",
            api_base.trim_end_matches('/')
        )),
        _ => Err(Error::new(format!(
            "`repo` must look like `owner/name`, got `{repo}`"
        ))),
    }
}

/// The headers GitHub expects on every API call.
fn api_request(request: Request) -> Request {
    request
        .header("accept", "application/vnd.github+json")
        .header("user-agent", "morph-github-issues")
        .header("x-github-api-version", "2022-11-28")
}

/// The JSON body of a 2xx response; GitHub's own message otherwise.
fn expect_success(response: Response, doing: &str) -> Result<Value, Error> {
    let body: Option<Value> = response.json().ok();
    if response.is_success() {
        return body.ok_or_else(|| Error::new(format!("{doing}: GitHub did not answer with JSON")));
    }
    let detail = body
        .as_ref()
        .and_then(|b| b.get("message"))
        .and_then(Value::as_str)
        .unwrap_or("no message");
    Err(Error::new(format!(
        "{doing}: GitHub answered {}: {detail}",
        response.status
    )))
}

/// `{number, url, title}` of a created issue (`url` is the API's `url`,
/// or `html_url` when the API sent no `url`).
fn created_issue(issue: &Value) -> Result<Value, Error> {
    let url = issue
        .get("url")
        .or_else(|| issue.get("html_url"))
        .cloned()
        .ok_or_else(|| Error::new("GitHub's answer has no `url`"))?;
    Ok(json!({
        "number": field(issue, "number")?,
        "url": url,
        "title": field(issue, "title")?,
    }))
}

fn field(issue: &Value, name: &str) -> Result<Value, Error> {
    issue
        .get(name)
        .cloned()
        .ok_or_else(|| Error::new(format!("GitHub's answer has no `{name}`")))
}

morph_sdk::export_extension!(GithubIssues);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_accept_owner_slash_name_only() {
        assert_eq!(
            issues_url("https://api.github.com/", "rust-lang/rust.vim").unwrap(),
            "https://api.github.com/repos/rust-lang/rust.vim/issues"
        );
        for bad in [
            "rust", "a/b/c", "../x", "a/..", "a/b?x=1", "/b", "a/", "a/b#c",
        ] {
            assert!(issues_url("https://x", bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn config_defaults_match_the_manifest() {
        assert_eq!(parse_config(Value::Null).unwrap(), Config::default());
        let c = parse_config(json!({"api_base": "http://127.0.0.1:9"})).unwrap();
        assert_eq!(c.token_key, "github_token");
        assert_eq!(c.api_base, "http://127.0.0.1:9");
    }

    #[test]
    fn created_issues_keep_number_url_and_title() {
        let api = json!({"number": 7, "url": "https://api/x/7", "html_url": "https://gh/x/7",
                         "title": "T", "state": "open"});
        assert_eq!(
            created_issue(&api).unwrap(),
            json!({"number": 7, "url": "https://api/x/7", "title": "T"})
        );
    }

    #[test]
    fn unknown_actions_fail() {
        let err = GithubIssues::default()
            .execute("close_issue", json!({}))
            .unwrap_err();
        assert!(err.message().contains("unknown action `close_issue`"));
    }

    #[test]
    fn capability_errors_propagate_outside_a_host() {
        let mut ext = GithubIssues::default();
        ext.init(Value::Null).unwrap();
        let err = ext
            .execute("create_issue", json!({"repo": "o/r", "title": "t"}))
            .unwrap_err();
        assert_eq!(err.code(), "unknown_capability");
    }
}
