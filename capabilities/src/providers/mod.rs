//! The providers behind the broker: one trait per capability family, each
//! replaceable by the app, and the embedded defaults.
//!
//! | family | trait | default |
//! | --- | --- | --- |
//! | HTTP | [`HttpProvider`] | [`ReqwestHttp`] (reqwest, rustls, no proxy, no redirects) |
//! | name resolution | [`Resolver`] | [`SystemResolver`] |
//! | vault | [`VaultProvider`] | [`SqliteStore`] (values sealed with XChaCha20-Poly1305, keys in [`vault_keys`]) |
//! | tasks | [`TaskProvider`] | [`SqliteStore`] (same file) |
//! | events | [`EventProvider`] | [`BroadcastEvents`] |
//! | files | [`FileProvider`] | [`DirFiles`] (cap-std, one root per extension) |
//! | log | [`LogProvider`] | [`TracingLog`] |

pub mod dir_files;
mod dir_usage;
pub mod events;
pub mod files;
pub mod http;
pub mod log;
pub mod reqwest_http;
pub mod sqlite;
pub mod tasks;
pub mod vault;
pub mod vault_keys;
mod vault_migration;
pub mod vault_rotation;
mod vault_seal;
pub mod vault_store;

use std::path::Path;
use std::sync::Arc;

pub use dir_files::DirFiles;
pub use events::{BroadcastEvents, Event, EventProvider};
pub use files::{FileProvider, FileQuota};
pub use http::HttpProvider;
pub use log::{LogProvider, TracingLog};
pub use reqwest_http::ReqwestHttp;
pub use sqlite::SqliteStore;
pub use tasks::TaskProvider;
pub use vault::{BoundSecret, VaultProvider};
pub use vault_rotation::Rotation;
pub use vault_store::VaultEntry;

use crate::error::Result;
pub use crate::http::resolver::{Resolver, SystemResolver};

/// Default cap on an HTTP response body.
pub const DEFAULT_HTTP_MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// The set of providers a broker dispatches to.
#[derive(Clone)]
pub struct Providers {
    /// Sends authorised HTTP hops.
    pub http: Arc<dyn HttpProvider>,
    /// Resolves host names for the address policy.
    pub resolver: Arc<dyn Resolver>,
    /// Secrets.
    pub vault: Arc<dyn VaultProvider>,
    /// Tasks.
    pub tasks: Arc<dyn TaskProvider>,
    /// The event bus.
    pub events: Arc<dyn EventProvider>,
    /// Files.
    pub files: Arc<dyn FileProvider>,
    /// Guest logs.
    pub log: Arc<dyn LogProvider>,
    /// Largest HTTP response body read.
    pub http_max_body_bytes: usize,
}

impl std::fmt::Debug for Providers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Providers")
            .field("http_max_body_bytes", &self.http_max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl Providers {
    /// The embedded defaults, storing state under `data_dir`: `morph.db`
    /// (vault and tasks, SQLite; vault values sealed with the keys of
    /// [`vault_keys::key_file_path`]) and `files/<extension>/`.
    ///
    /// # Errors
    /// `io` when the directory or the database cannot be opened.
    pub fn open(data_dir: &Path) -> Result<Providers> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| crate::Error::io(format!("creating {}", data_dir.display()), e))?;
        let store = Arc::new(SqliteStore::open_in(data_dir)?);
        Ok(Providers {
            http: Arc::new(ReqwestHttp::new()?),
            resolver: Arc::new(SystemResolver),
            vault: store.clone(),
            tasks: store,
            events: Arc::new(BroadcastEvents::default()),
            files: Arc::new(DirFiles::new(data_dir.join("files"))?),
            log: Arc::new(TracingLog),
            http_max_body_bytes: DEFAULT_HTTP_MAX_BODY_BYTES,
        })
    }
}
