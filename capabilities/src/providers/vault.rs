//! The vault provider contract: per-extension secrets.
//!
//! **Values are secrets**: they never reach the audit log, logs or error
//! messages. The broker passes the calling extension's id as the namespace;
//! a provider must keep namespaces apart.

use crate::error::Result;

/// `vault.get` request.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultGet {
    /// Key, 1 to 256 bytes.
    pub key: String,
}

/// `vault.set` request.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultSet {
    /// Key, 1 to 256 bytes.
    pub key: String,
    /// Secret value, at most [`MAX_VAULT_VALUE_BYTES`].
    pub value: String,
}

/// Longest vault key.
pub const MAX_VAULT_KEY_BYTES: usize = 256;
/// Largest vault value.
pub const MAX_VAULT_VALUE_BYTES: usize = 64 * 1024;

/// Stores secrets per namespace (the extension id).
#[async_trait::async_trait]
pub trait VaultProvider: Send + Sync + 'static {
    /// The value of `key` in `namespace`, if set.
    ///
    /// # Errors
    /// `capability_failed` or `io` when the store fails.
    async fn get(&self, namespace: &str, key: &str) -> Result<Option<String>>;

    /// Sets `key` in `namespace`.
    ///
    /// # Errors
    /// `capability_failed` or `io` when the store fails.
    async fn set(&self, namespace: &str, key: &str, value: &str) -> Result<()>;
}
