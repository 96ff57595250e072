//! `vault.get` / `vault.set`: the extension's own secrets.
//!
//! **Each extension sees only its own namespace**, and values never reach the
//! audit log. Keys are 1 to 256 bytes, values at most 64 KiB.

use serde::Deserialize;
use serde_json::json;

use crate::error::Result;
use crate::host::{from_response, invoke};

#[derive(Deserialize)]
struct GetResponse {
    value: Option<String>,
}

/// The secret stored under `key`, or `None` when there is none.
///
/// ```no_run
/// let token = morph_sdk::vault::get("github_token")?
///     .ok_or_else(|| morph_sdk::Error::new("set the github_token secret first"))?;
/// # Ok::<(), morph_sdk::Error>(())
/// ```
///
/// # Errors
/// `permission_denied` without `vault:read`; `invalid_request` for a bad key.
pub fn get(key: &str) -> Result<Option<String>> {
    let reply = invoke("vault.get", &json!({ "key": key }))?;
    Ok(from_response::<GetResponse>("vault.get", reply)?.value)
}

/// Stores `value` under `key`.
///
/// # Errors
/// `permission_denied` without `vault:write`; `invalid_request` for a bad key
/// or an oversize value.
pub fn set(key: &str, value: &str) -> Result<()> {
    invoke("vault.set", &json!({ "key": key, "value": value }))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::{Value, json};

    use super::*;
    use crate::host::mock;

    #[test]
    fn set_then_get_round_trips_and_missing_keys_are_none() {
        let mut store = BTreeMap::<String, Value>::new();
        mock::install(move |cap, req| {
            let key = req["key"].as_str().unwrap_or_default().to_owned();
            match cap {
                "vault.set" => {
                    store.insert(key, req["value"].clone());
                    json!({"ok": null})
                }
                "vault.get" => json!({"ok": {"value": store.get(&key)}}),
                _ => json!({"error": {"code": "unknown_capability", "message": cap}}),
            }
        });
        set("k", "secret").unwrap();
        assert_eq!(get("k").unwrap().as_deref(), Some("secret"));
        assert_eq!(get("other").unwrap(), None);
    }

    #[test]
    fn denials_propagate_with_their_code() {
        mock::install(|_, _| json!({"error": {"code": "permission_denied", "message": "no"}}));
        assert_eq!(get("k").unwrap_err().code(), "permission_denied");
    }
}
