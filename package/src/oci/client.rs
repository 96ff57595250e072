//! `RegistryClient`: the distribution-spec HTTP calls Morph needs (blob
//! upload, manifest put and get, blob get, tag list), over reqwest with
//! rustls.
//!
//! Plain HTTP is used only for loopback registries; anything else is HTTPS.
//! Anonymous access works as is; with credentials, Basic auth and the
//! bearer-token challenge (`WWW-Authenticate: Bearer realm=..`) are
//! answered. **Every download is capped before it is read and checked
//! against its digest before it is returned**; every push, pull and tag
//! listing ends within one overall deadline, however slowly the registry
//! sends.

use std::sync::Mutex;
use std::time::Duration;

use morph_capabilities::{Error, Result};
use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use reqwest::{Method, RequestBuilder, Response, StatusCode, Url};

use super::artifact::{ArtifactManifest, Descriptor, OCI_MANIFEST_MEDIA_TYPE};
use super::reference::Reference;
use crate::archive::Limits;
use crate::digest::Sha256Digest;
use crate::sealed::SealedPackage;

/// Largest image manifest accepted.
pub const MAX_OCI_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;
/// Largest tag list accepted.
const MAX_TAG_LIST_BYTES: u64 = 4 * 1024 * 1024;

/// Talks to OCI registries.
#[derive(Debug)]
pub struct RegistryClient {
    http: reqwest::Client,
    credentials: Option<(String, String)>,
    token: Mutex<Option<String>>,
    limits: Limits,
    deadline: Duration,
}

/// How long one push, pull or tag listing may take in all, by default.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(300);

/// What a push left in the registry.
#[derive(Debug, Clone)]
pub struct Pushed {
    /// The reference pushed to (with its tag).
    pub reference: Reference,
    /// The image manifest's digest: pull by it to get exactly this.
    pub digest: Sha256Digest,
    /// The package layer's size.
    pub size: u64,
}

/// A package pulled from a registry, every digest checked.
#[derive(Debug, Clone)]
pub struct Pulled {
    /// The image manifest's digest.
    pub digest: Sha256Digest,
    /// The artifact manifest.
    pub manifest: ArtifactManifest,
    /// The `.morph` bytes.
    pub archive: Vec<u8>,
}

fn net(context: String, e: impl std::fmt::Display) -> Error {
    Error::io(context, std::io::Error::other(e.to_string()))
}

impl RegistryClient {
    /// A client with default timeouts (10 s to connect, 30 s between
    /// reads, [`DEFAULT_DEADLINE`] for a whole push, pull or tag listing)
    /// and the default archive caps.
    ///
    /// # Errors
    /// `internal` when the TLS stack cannot be set up.
    pub fn new() -> Result<RegistryClient> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(30))
            .user_agent(concat!("morph/", env!("CARGO_PKG_VERSION")))
            .no_proxy()
            .build()
            .map_err(|e| Error::internal(format!("building the HTTP client: {e}")))?;
        Ok(RegistryClient {
            http,
            credentials: None,
            token: Mutex::new(None),
            limits: Limits::default(),
            deadline: DEFAULT_DEADLINE,
        })
    }

    /// Authenticates with `username` and `password` (Basic, or to get a
    /// bearer token).
    pub fn with_credentials(mut self, username: String, password: String) -> RegistryClient {
        self.credentials = Some((username, password));
        self
    }

    /// Replaces the overall deadline of one push, pull or tag listing
    /// ([`DEFAULT_DEADLINE`]): whatever the registry's pace, the operation
    /// ends within it, and nothing is returned (so nothing is written).
    pub fn with_deadline(mut self, deadline: Duration) -> RegistryClient {
        self.deadline = deadline;
        self
    }

    /// Runs `operation` within the deadline.
    async fn within<T>(
        &self,
        what: &str,
        operation: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        tokio::time::timeout(self.deadline, operation)
            .await
            .unwrap_or_else(|_| {
                Err(Error::io(
                    what.to_owned(),
                    std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!(
                            "the registry did not finish within {} s (raise it with --timeout)",
                            self.deadline.as_secs()
                        ),
                    ),
                ))
            })
    }

    /// Replaces the archive caps (the package layer may be at most
    /// `max_total_bytes`).
    pub fn with_limits(mut self, limits: Limits) -> RegistryClient {
        self.limits = limits;
        self
    }

    fn base(reference: &Reference) -> String {
        let scheme = if reference.is_loopback() {
            "http"
        } else {
            "https"
        };
        format!(
            "{scheme}://{}/v2/{}",
            reference.registry, reference.repository
        )
    }

    /// Sends the request built by `build`, answering one auth challenge.
    async fn send(
        &self,
        what: &str,
        build: &(dyn Fn() -> RequestBuilder + Sync),
    ) -> Result<Response> {
        let with_auth = |rb: RequestBuilder| {
            let token = self
                .token
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone();
            match (token, &self.credentials) {
                (Some(t), _) => rb.bearer_auth(t),
                (None, Some((u, p))) => rb.basic_auth(u, Some(p)),
                (None, None) => rb,
            }
        };
        let response = with_auth(build())
            .send()
            .await
            .map_err(|e| net(format!("{what}: registry unreachable"), e))?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        let challenge = response
            .headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let Some(token) = self.fetch_token(&challenge).await? else {
            return Ok(response);
        };
        *self
            .token
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(token);
        with_auth(build())
            .send()
            .await
            .map_err(|e| net(format!("{what}: registry unreachable"), e))
    }

    async fn fetch_token(&self, challenge: &str) -> Result<Option<String>> {
        let Some(params) = challenge.strip_prefix("Bearer ") else {
            return Ok(None);
        };
        let mut realm = None;
        let mut query = Vec::new();
        for part in params.split(',') {
            let Some((k, v)) = part.trim().split_once('=') else {
                continue;
            };
            let v = v.trim_matches('"').to_owned();
            match k {
                "realm" => realm = Some(v),
                "service" | "scope" => query.push((k.to_owned(), v)),
                _ => {}
            }
        }
        let Some(realm) = realm else {
            return Ok(None);
        };
        let url = Url::parse(&realm).map_err(|e| net("registry auth realm".to_owned(), e))?;
        if url.scheme() != "https" && !url.host_str().is_some_and(is_loopback_host) {
            return Err(Error::InvalidParams {
                field: "registry".to_owned(),
                reason: "the registry asks for credentials over plain HTTP".to_owned(),
            });
        }
        let mut rb = self.http.get(url).query(&query);
        if let Some((u, p)) = &self.credentials {
            rb = rb.basic_auth(u, Some(p));
        }
        let response = rb
            .send()
            .await
            .map_err(|e| net("registry auth".to_owned(), e))?;
        let body = read_capped(response, 64 * 1024, "registry auth").await?;
        let doc: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| net("registry auth: malformed token".to_owned(), e))?;
        Ok(doc
            .get("token")
            .or_else(|| doc.get("access_token"))
            .and_then(|t| t.as_str())
            .map(str::to_owned))
    }

    /// Pushes the `.morph` bytes `archive` to `reference` (its tag; the
    /// package's version when it has none).
    ///
    /// # Errors
    /// `invalid_package` when `archive` is not a package; `io` when the
    /// registry refuses or cannot be reached.
    pub async fn push(&self, reference: &Reference, archive: &[u8]) -> Result<Pushed> {
        self.within(
            &format!("pushing to {reference}"),
            self.push_now(reference, archive),
        )
        .await
    }

    async fn push_now(&self, reference: &Reference, archive: &[u8]) -> Result<Pushed> {
        let package = SealedPackage::read(archive, &self.limits)?;
        let manifest = package.manifest()?;
        let reference = match &reference.tag {
            Some(_) => reference.clone(),
            None => reference.with_tag(&manifest.version.to_string())?,
        };
        let artifact = ArtifactManifest::new(
            package.manifest_bytes()?,
            archive,
            &manifest.extension_id,
            &manifest.version.to_string(),
        );
        self.upload_blob(&reference, &artifact.config, package.manifest_bytes()?)
            .await?;
        self.upload_blob(&reference, artifact.package()?, archive)
            .await?;
        let body = artifact.to_bytes();
        let digest = Sha256Digest::of(&body);
        let url = format!(
            "{}/manifests/{}",
            Self::base(&reference),
            reference.target()
        );
        let what = format!("pushing {reference}");
        let response = self
            .send(&what, &|| {
                self.http
                    .put(&url)
                    .header(CONTENT_TYPE, OCI_MANIFEST_MEDIA_TYPE)
                    .body(body.clone())
            })
            .await?;
        expect(response, &[StatusCode::CREATED, StatusCode::OK], &what).await?;
        Ok(Pushed {
            reference,
            digest,
            size: archive.len() as u64,
        })
    }

    async fn upload_blob(
        &self,
        reference: &Reference,
        desc: &Descriptor,
        bytes: &[u8],
    ) -> Result<()> {
        let base = Self::base(reference);
        let what = format!("uploading {} to {reference}", desc.digest);
        let head = self
            .send(&what, &|| {
                self.http
                    .request(Method::HEAD, format!("{base}/blobs/{}", desc.digest))
            })
            .await?;
        if head.status() == StatusCode::OK {
            return Ok(());
        }
        let start = self
            .send(&what, &|| self.http.post(format!("{base}/blobs/uploads/")))
            .await?;
        let start = expect(start, &[StatusCode::ACCEPTED], &what).await?;
        let location = start
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| net(what.clone(), "the registry gave no upload location"))?;
        let mut url = Url::parse(&base)
            .and_then(|b| b.join(location))
            .map_err(|e| net(what.clone(), e))?;
        if url.host_str() != Url::parse(&base).ok().as_ref().and_then(|b| b.host_str()) {
            return Err(net(what, "the registry sent the upload to another host"));
        }
        url.query_pairs_mut().append_pair("digest", &desc.digest);
        let body = bytes.to_vec();
        let done = self
            .send(&what, &|| {
                self.http
                    .put(url.clone())
                    .header(CONTENT_TYPE, "application/octet-stream")
                    .body(body.clone())
            })
            .await?;
        expect(done, &[StatusCode::CREATED], &what).await?;
        Ok(())
    }

    /// Pulls the package at `reference`, checking every digest, and checks
    /// that the config blob is the archive's own `manifest.yaml`.
    ///
    /// # Errors
    /// `invalid_package` for a digest or size mismatch, a non-Morph
    /// artifact or a bad archive; `io` when the registry refuses or cannot
    /// be reached (`not found` included).
    pub async fn pull(&self, reference: &Reference) -> Result<Pulled> {
        self.within(&format!("pulling {reference}"), self.pull_now(reference))
            .await
    }

    async fn pull_now(&self, reference: &Reference) -> Result<Pulled> {
        let base = Self::base(reference);
        let what = format!("pulling {reference}");
        let url = format!("{base}/manifests/{}", reference.target());
        let response = self
            .send(&what, &|| {
                self.http.get(&url).header(ACCEPT, OCI_MANIFEST_MEDIA_TYPE)
            })
            .await?;
        let response = expect(response, &[StatusCode::OK], &what).await?;
        let announced = response
            .headers()
            .get("Docker-Content-Digest")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = read_capped(response, MAX_OCI_MANIFEST_BYTES, &what).await?;
        let digest = Sha256Digest::of(&body);
        if let Some(pinned) = &reference.digest
            && *pinned != digest
        {
            return Err(mismatch("manifest", &pinned.to_string(), &digest));
        }
        if let Some(announced) = announced
            && announced != digest.to_string()
        {
            return Err(mismatch("manifest", &announced, &digest));
        }
        let manifest = ArtifactManifest::from_bytes(&body)?;
        let config = self
            .blob(
                reference,
                &manifest.config,
                morph_runtime_core::manifest::MAX_MANIFEST_BYTES as u64,
            )
            .await?;
        let layer = manifest.package()?;
        let archive = self
            .blob(reference, layer, self.limits.max_total_bytes)
            .await?;
        let package = SealedPackage::read(archive.as_slice(), &self.limits)?;
        if package.manifest_bytes()? != config.as_slice() {
            return Err(Error::InvalidPackage {
                reason: "the artifact's config is not the package's own manifest.yaml".to_owned(),
            });
        }
        Ok(Pulled {
            digest,
            manifest,
            archive,
        })
    }

    async fn blob(&self, reference: &Reference, desc: &Descriptor, cap: u64) -> Result<Vec<u8>> {
        let expected = desc.sha256()?;
        if desc.size > cap {
            return Err(Error::InvalidPackage {
                reason: format!(
                    "blob {} is {} bytes, more than the {cap} allowed",
                    desc.digest, desc.size
                ),
            });
        }
        let what = format!("downloading {} from {reference}", desc.digest);
        let url = format!("{}/blobs/{}", Self::base(reference), desc.digest);
        let response = self.send(&what, &|| self.http.get(&url)).await?;
        let response = expect(response, &[StatusCode::OK], &what).await?;
        let bytes = read_capped(response, desc.size, &what).await?;
        let actual = Sha256Digest::of(&bytes);
        if actual != expected || bytes.len() as u64 != desc.size {
            return Err(mismatch("blob", &desc.digest, &actual));
        }
        Ok(bytes)
    }

    /// The tags of `reference`'s repository, sorted.
    ///
    /// # Errors
    /// `io` when the registry refuses or cannot be reached.
    pub async fn tags(&self, reference: &Reference) -> Result<Vec<String>> {
        let what = format!(
            "listing tags of {}/{}",
            reference.registry, reference.repository
        );
        self.within(&what, self.tags_now(reference)).await
    }

    async fn tags_now(&self, reference: &Reference) -> Result<Vec<String>> {
        let what = format!(
            "listing tags of {}/{}",
            reference.registry, reference.repository
        );
        let url = format!("{}/tags/list?n=10000", Self::base(reference));
        let response = self.send(&what, &|| self.http.get(&url)).await?;
        let response = expect(response, &[StatusCode::OK], &what).await?;
        let body = read_capped(response, MAX_TAG_LIST_BYTES, &what).await?;
        #[derive(serde::Deserialize)]
        struct TagList {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        let list: TagList = serde_json::from_slice(&body).map_err(|e| net(what, e))?;
        let mut tags = list.tags.unwrap_or_default();
        tags.sort();
        Ok(tags)
    }
}

fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn mismatch(what: &str, expected: &str, actual: &Sha256Digest) -> Error {
    Error::InvalidPackage {
        reason: format!(
            "the registry's {what} does not match its digest (expected {}, got {actual}): refused",
            morph_capabilities::truncate_for_message(expected, 80)
        ),
    }
}

/// Passes `response` through when its status is one of `ok`, else turns
/// it into an `io` error carrying the registry's own error text.
async fn expect(response: Response, ok: &[StatusCode], what: &str) -> Result<Response> {
    let status = response.status();
    if ok.contains(&status) {
        return Ok(response);
    }
    let body = read_capped(response, 4096, what).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&body);
    let kind = if status == StatusCode::NOT_FOUND {
        std::io::ErrorKind::NotFound
    } else if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        std::io::ErrorKind::PermissionDenied
    } else {
        std::io::ErrorKind::Other
    };
    Err(Error::io(
        what.to_owned(),
        std::io::Error::new(
            kind,
            format!(
                "registry answered {status}: {}",
                morph_capabilities::truncate_for_message(text.trim(), 300)
            ),
        ),
    ))
}

/// Reads at most `cap` bytes of the body, refusing more (checked against
/// `Content-Length` first, then while streaming).
async fn read_capped(mut response: Response, cap: u64, what: &str) -> Result<Vec<u8>> {
    if response.content_length().is_some_and(|len| len > cap) {
        return Err(Error::InvalidPackage {
            reason: format!("{what}: the registry sent more than {cap} bytes"),
        });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| net(what.to_owned(), e))?
    {
        if body.len() as u64 + chunk.len() as u64 > cap {
            return Err(Error::InvalidPackage {
                reason: format!("{what}: the registry sent more than {cap} bytes"),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
