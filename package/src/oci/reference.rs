//! OCI references: `REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST]`.
//!
//! The registry part is required (there is no default registry) and must
//! look like a host (`localhost`, a dotted name, or anything with a port).
//! Repository components and tags follow the distribution spec's grammar.

use std::fmt;
use std::str::FromStr;

use morph_capabilities::{Error, Result};

use crate::digest::Sha256Digest;

/// A parsed reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// `host[:port]`.
    pub registry: String,
    /// `name/space/repo`.
    pub repository: String,
    /// The tag, if any.
    pub tag: Option<String>,
    /// The manifest digest, if pinned.
    pub digest: Option<Sha256Digest>,
}

impl Reference {
    /// What to ask the registry for: the digest when pinned, else the tag
    /// (`latest` when neither is given).
    pub fn target(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".to_owned(),
        }
    }

    /// Whether the registry is on a loopback name or address (then plain
    /// HTTP is used; everything else goes over HTTPS).
    pub fn is_loopback(&self) -> bool {
        let host = match self.registry.rsplit_once(':') {
            Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) && !h.ends_with(':') => h,
            _ => self.registry.as_str(),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// The same repository with another tag.
    pub fn with_tag(&self, tag: &str) -> Result<Reference> {
        check_tag(tag)?;
        Ok(Reference {
            tag: Some(tag.to_owned()),
            digest: None,
            ..self.clone()
        })
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

fn bad(s: &str, why: &str) -> Error {
    Error::params(
        "reference",
        format!(
            "`{}` is not an OCI reference (REGISTRY/REPO[:TAG][@sha256:DIGEST]): {why}",
            morph_capabilities::truncate_for_message(s, 200)
        ),
    )
}

fn check_tag(tag: &str) -> Result<()> {
    let ok = !tag.is_empty()
        && tag.len() <= 128
        && tag
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok { Ok(()) } else { Err(bad(tag, "bad tag")) }
}

impl FromStr for Reference {
    type Err = Error;

    fn from_str(s: &str) -> Result<Reference> {
        if s.len() > 512 || s.contains("://") {
            return Err(bad(s, "too long, or has a scheme"));
        }
        let (rest, digest) = match s.split_once('@') {
            Some((rest, d)) => (
                rest,
                Some(
                    d.parse::<Sha256Digest>()
                        .map_err(|_| bad(s, "bad digest"))?,
                ),
            ),
            None => (s, None),
        };
        let (registry, path) = rest.split_once('/').ok_or_else(|| bad(s, "no registry"))?;
        let looks_like_host =
            registry == "localhost" || registry.contains('.') || registry.contains(':');
        if !looks_like_host
            || !registry
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
        {
            return Err(bad(s, "the registry host is missing or malformed"));
        }
        let (repository, tag) = match path.rsplit_once(':') {
            Some((repo, tag)) => {
                check_tag(tag)?;
                (repo, Some(tag.to_owned()))
            }
            None => (path, None),
        };
        let component_ok = |c: &str| {
            !c.is_empty()
                && c.bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                && c.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
                })
        };
        if repository.len() > 255 || !repository.split('/').all(component_ok) {
            return Err(bad(s, "bad repository name"));
        }
        Ok(Reference {
            registry: registry.to_owned(),
            repository: repository.to_owned(),
            tag,
            digest,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Reference;

    #[test]
    fn references_parse_and_print() {
        let r: Reference = "127.0.0.1:5000/acme/task-digest:0.1.0".parse().unwrap();
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.repository, "acme/task-digest");
        assert_eq!(r.tag.as_deref(), Some("0.1.0"));
        assert!(r.is_loopback());
        assert_eq!(r.to_string(), "127.0.0.1:5000/acme/task-digest:0.1.0");
        let pinned: Reference = format!("ghcr.io/acme/x@{}", crate::Sha256Digest::of(b"m"))
            .parse()
            .unwrap();
        assert!(!pinned.is_loopback());
        assert!(pinned.target().starts_with("sha256:"));
        for bad in [
            "task-digest",
            "acme/x:1",
            "http://h.io/x",
            "h.io/X",
            "h.io/x:bad tag",
            "h.io/x@md5:1",
        ] {
            assert!(bad.parse::<Reference>().is_err(), "{bad}");
        }
    }
}
