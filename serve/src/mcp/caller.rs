//! Who an MCP request comes from: the caller its calls, approvals and audit
//! records name.
//!
//! Over stdio the client names itself (`initialize`'s `clientInfo`, or the
//! request's `_meta` on 2026-07-28): `mcp:<name>`, sanitised and bounded,
//! `mcp:stdio` when it gives none. Over HTTP **only the token the auth
//! middleware verified counts** (`token:<name>`); a request without one is
//! refused and runs nothing.

use axum::http::request::Parts;
use morph_runtime_core::code::CodePolicyOverride;
use rmcp::model::Implementation;

use crate::tokens::TokenInfo;

/// The longest client name kept (the rest is cut).
const MAX_CLIENT_NAME: usize = 64;

/// The caller of a stdio request whose client calls itself `client`.
pub(crate) fn stdio_caller(client: Option<&Implementation>) -> String {
    let name = client.map(|c| sanitise(&c.name)).unwrap_or_default();
    if name.is_empty() {
        "mcp:stdio".to_owned()
    } else {
        format!("mcp:{name}")
    }
}

/// The caller of an HTTP request: the verified token's, if the auth
/// middleware put one in the request.
pub(crate) fn http_caller(parts: Option<&Parts>) -> Option<String> {
    parts?.extensions.get::<TokenInfo>().map(TokenInfo::caller)
}

/// The code mode limits of an HTTP request's token (none over stdio).
pub(crate) fn http_code_policy(parts: Option<&Parts>) -> CodePolicyOverride {
    parts
        .and_then(|p| p.extensions.get::<TokenInfo>())
        .map(|t| t.code_policy)
        .unwrap_or_default()
}

/// `name` with only ASCII letters, digits, `.`, `_` and `-` kept (anything
/// else becomes `_`), at most [`MAX_CLIENT_NAME`] characters, trimmed of
/// `_`.
fn sanitise(name: &str) -> String {
    let kept: String = name
        .chars()
        .take(MAX_CLIENT_NAME)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    kept.trim_matches('_').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_name_is_sanitised_and_bounded() {
        let named = |n: &str| stdio_caller(Some(&Implementation::new(n.to_owned(), "1")));
        assert_eq!(named("claude-code"), "mcp:claude-code");
        assert_eq!(named("My Client\n\u{202e}x"), "mcp:My_Client__x");
        assert_eq!(named(""), "mcp:stdio");
        assert_eq!(named("\n\n"), "mcp:stdio");
        assert_eq!(stdio_caller(None), "mcp:stdio");
        assert_eq!(
            named(&"a".repeat(500)).len(),
            "mcp:".len() + MAX_CLIENT_NAME
        );
    }
}
