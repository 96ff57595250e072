//! `config`: the host-supplied config, always allowed.
//!
//! The host validated it against the manifest's `config_schema` and filled in
//! the schema's top-level defaults; it is the same value
//! [`Extension::init`](crate::Extension::init) receives.

use serde_json::Value;

use crate::error::Result;
use crate::host::invoke;

/// The extension's config.
///
/// ```no_run
/// let config = morph_sdk::config::get()?;
/// let base = config["api_base"].as_str().unwrap_or("https://api.github.com");
/// # Ok::<(), morph_sdk::Error>(())
/// ```
///
/// # Errors
/// Only outside a host (`unknown_capability`).
pub fn get() -> Result<Value> {
    invoke("config", &Value::Object(serde_json::Map::new()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::host::mock;

    #[test]
    fn the_config_is_returned_as_is() {
        let sent = mock::record(json!({"ok": {"api_base": "https://x"}}));
        assert_eq!(get().unwrap(), json!({"api_base": "https://x"}));
        assert_eq!(sent.borrow()[0], ("config".to_owned(), json!({})));
    }
}
