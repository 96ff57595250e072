//! The vault provider contract: per-extension secrets.
//!
//! **Values are secrets**: they never reach the audit log, logs or error
//! messages. The broker passes the calling extension's id as the namespace;
//! a provider must keep namespaces apart, and keep each within its
//! `max_vault_entries` (a quota, see `limits.rs`).
//!
//! A value may be **bound to hosts** (`morph vault set EXT KEY --hosts ...`):
//! the broker then refuses any `http.fetch` that carries it to another host,
//! and inserts it, unseen by the guest, where a header says `{{vault:KEY}}`
//! (see `http/secrets.rs`).

use crate::error::Result;
use crate::http::allowlist::HostPattern;

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

/// A value bound to the hosts it may be sent to.
#[derive(Clone, PartialEq, Eq)]
pub struct BoundSecret {
    /// The key name.
    pub key: String,
    /// The value.
    pub value: String,
    /// Where it may go: `allowed_hosts` entries (at least one).
    pub hosts: Vec<HostPattern>,
}

impl std::fmt::Debug for BoundSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the value.
        f.debug_struct("BoundSecret")
            .field("key", &self.key)
            .field("hosts", &self.hosts)
            .finish_non_exhaustive()
    }
}

/// Stores secrets per namespace (the extension id).
#[async_trait::async_trait]
pub trait VaultProvider: Send + Sync + 'static {
    /// The value of `key` in `namespace`, if set.
    ///
    /// # Errors
    /// `capability_failed` or `io` when the store fails.
    async fn get(&self, namespace: &str, key: &str) -> Result<Option<String>>;

    /// Sets `key` in `namespace`, **unless `key` is new and the namespace
    /// already keeps `max_entries` keys** (setting a key again is never
    /// refused): counted and written in one write transaction, so that
    /// concurrent writers never pass the quota together. What the broker
    /// calls for a guest's `vault.set`.
    ///
    /// # Errors
    /// `quota_exceeded` at `max_entries`; `capability_failed` or `io` when
    /// the store fails.
    async fn set_within(
        &self,
        namespace: &str,
        key: &str,
        value: &str,
        max_entries: u64,
    ) -> Result<()>;

    /// Sets `key` in `namespace` with no quota: the host's own writes (an
    /// app, tests). Guests' writes go through [`VaultProvider::set_within`].
    ///
    /// # Errors
    /// As [`VaultProvider::set_within`], never `quota_exceeded`.
    async fn set(&self, namespace: &str, key: &str, value: &str) -> Result<()> {
        self.set_within(namespace, key, value, u64::MAX).await
    }

    /// Every value of `namespace` that is bound to hosts, opened. The
    /// broker asks for them on each `http.fetch`, to keep them from other
    /// hosts and to insert them into headers.
    ///
    /// # Errors
    /// `capability_failed` or `io` when the store fails or a bound value
    /// does not open (the broker then refuses the request: it cannot tell
    /// what it would carry).
    async fn bound(&self, namespace: &str) -> Result<Vec<BoundSecret>>;

    /// Every `(key, value)` of `namespace`, opened: what the broker's
    /// redaction step keeps out of records, logs and errors
    /// ([`crate::redact`]).
    ///
    /// # Errors
    /// `capability_failed` or `io` when the store fails or a value does not
    /// open.
    async fn values(&self, namespace: &str) -> Result<Vec<(String, String)>>;
}
