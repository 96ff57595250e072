//! The OCI image manifest of a Morph package artifact: the extension
//! manifest as config, the `.morph` archive as the one layer.

use std::collections::BTreeMap;

use morph_capabilities::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::digest::Sha256Digest;
use crate::format::{ARTIFACT_TYPE, MANIFEST_MEDIA_TYPE, PACKAGE_MEDIA_TYPE};

/// Media type of an OCI image manifest.
pub const OCI_MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

/// A content descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// What the blob is.
    pub media_type: String,
    /// `sha256:<hex>`.
    pub digest: String,
    /// Its size in bytes.
    pub size: u64,
    /// Free-form annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Descriptor {
    /// Describes `bytes` as `media_type`.
    pub fn of(media_type: &str, bytes: &[u8]) -> Descriptor {
        Descriptor {
            media_type: media_type.to_owned(),
            digest: Sha256Digest::of(bytes).to_string(),
            size: bytes.len() as u64,
            annotations: BTreeMap::new(),
        }
    }

    /// The parsed digest.
    ///
    /// # Errors
    /// `invalid_package` when it is not a sha256 digest.
    pub fn sha256(&self) -> Result<Sha256Digest> {
        self.digest.parse()
    }
}

/// The image manifest of a package artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactManifest {
    /// Always 2.
    pub schema_version: u32,
    /// [`OCI_MANIFEST_MEDIA_TYPE`].
    #[serde(default)]
    pub media_type: Option<String>,
    /// [`ARTIFACT_TYPE`] (OCI 1.1; older registries keep it as is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The extension manifest.
    pub config: Descriptor,
    /// The package archive.
    pub layers: Vec<Descriptor>,
    /// Free-form annotations (id, version).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl ArtifactManifest {
    /// The artifact of a package whose manifest is `manifest_yaml` and
    /// archive `archive`.
    pub fn new(manifest_yaml: &[u8], archive: &[u8], id: &str, version: &str) -> ArtifactManifest {
        let mut layer = Descriptor::of(PACKAGE_MEDIA_TYPE, archive);
        layer.annotations.insert(
            "org.opencontainers.image.title".to_owned(),
            format!("{id}-{version}.morph"),
        );
        let annotations = BTreeMap::from([
            ("org.opencontainers.image.title".to_owned(), id.to_owned()),
            (
                "org.opencontainers.image.version".to_owned(),
                version.to_owned(),
            ),
        ]);
        ArtifactManifest {
            schema_version: 2,
            media_type: Some(OCI_MANIFEST_MEDIA_TYPE.to_owned()),
            artifact_type: Some(ARTIFACT_TYPE.to_owned()),
            config: Descriptor::of(MANIFEST_MEDIA_TYPE, manifest_yaml),
            layers: vec![layer],
            annotations,
        }
    }

    /// Parses and checks that this is a Morph package artifact.
    ///
    /// # Errors
    /// `invalid_package` when it is malformed or another kind of artifact.
    pub fn from_bytes(bytes: &[u8]) -> Result<ArtifactManifest> {
        let bad = |why: String| Error::InvalidPackage {
            reason: format!("the registry's manifest is not a Morph package: {why}"),
        };
        let manifest: ArtifactManifest =
            serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        if manifest.schema_version != 2 {
            return Err(bad("schemaVersion is not 2".to_owned()));
        }
        if let Some(mt) = &manifest.media_type
            && mt != OCI_MANIFEST_MEDIA_TYPE
        {
            return Err(bad(format!("media type `{mt}`")));
        }
        if manifest.config.media_type != MANIFEST_MEDIA_TYPE {
            return Err(bad(format!(
                "config media type `{}`",
                manifest.config.media_type
            )));
        }
        match manifest.layers.as_slice() {
            [layer] if layer.media_type == PACKAGE_MEDIA_TYPE => {}
            _ => {
                return Err(bad(format!(
                    "it needs exactly one `{PACKAGE_MEDIA_TYPE}` layer"
                )));
            }
        }
        manifest.config.sha256()?;
        manifest.package()?.sha256()?;
        Ok(manifest)
    }

    /// The package layer.
    ///
    /// # Errors
    /// `invalid_package` when there is none.
    pub fn package(&self) -> Result<&Descriptor> {
        self.layers.first().ok_or_else(|| Error::InvalidPackage {
            reason: "the artifact has no package layer".to_owned(),
        })
    }

    /// The canonical JSON bytes pushed to the registry.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}
