//! The extension manifest (`manifest.yaml`, brief section 3): parsing,
//! validation, and the checks it drives at call time (action parameters and
//! host-supplied config).
//!
//! **A [`Manifest`] is valid by construction**: the only way to get one is
//! [`Manifest::from_yaml`] (or [`Manifest::from_bytes`]), which parses the
//! YAML under a tight budget (size, depth, nodes, aliases; custom tags and
//! multiple documents refused) and then checks every field, refusing unknown
//! ones. Every error is `invalid_manifest` and names the dotted path of the
//! offending field (`actions[1].parameters[0].type`, `permissions[2]`,
//! `resource_limits.max_memory_mb`); document-level errors name `document`.
//! No message echoes more than a bounded excerpt of what the manifest says,
//! and parameter and config errors never echo the caller's values.
//!
//! The work is split by concern: `fields` reads the parsed YAML with
//! dotted paths, `validate` checks each manifest field, `params` checks a
//! call's parameters against an [`ActionSpec`], and `config` checks
//! `config_schema` and the host-supplied config.

mod config;
mod fields;
mod params;
mod validate;

use std::fmt;

use morph_capabilities::{
    Error, HostPattern, PermissionSet, ResourceLimits, Result, truncate_for_message,
};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

/// The largest `manifest.yaml` accepted, in bytes.
pub const MAX_MANIFEST_BYTES: usize = 256 * 1024;

/// The path used for errors about the document as a whole.
const DOCUMENT: &str = "document";

/// The id of a language runtime (`wasm`, `js`, `python`, or a third party's),
/// syntactically checked: `[a-z][a-z0-9-]{0,31}`.
///
/// Any well-formed id parses; whether a runtime serves it is the host's
/// question (`runtime_unavailable`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct RuntimeKind(String);

impl RuntimeKind {
    /// The WebAssembly runtime.
    pub const WASM: &'static str = "wasm";
    /// The JavaScript runtime.
    pub const JS: &'static str = "js";
    /// The Python runtime.
    pub const PYTHON: &'static str = "python";

    /// Checks and wraps a runtime id.
    ///
    /// # Errors
    /// `invalid_manifest` naming `runtime` when `s` is not `[a-z][a-z0-9-]{0,31}`.
    pub fn new(s: &str) -> Result<RuntimeKind> {
        let mut chars = s.chars();
        let well_formed = s.len() <= 32
            && chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if well_formed {
            Ok(RuntimeKind(s.to_owned()))
        } else {
            Err(Error::manifest(
                "runtime",
                format!(
                    "`{}` is not a runtime id (a lowercase letter, then up to 31 lowercase \
                     letters, digits or `-`)",
                    truncate_for_message(s, 64)
                ),
            ))
        }
    }

    /// The id, e.g. `wasm`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RuntimeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether an AI agent may call an action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AiAccess {
    /// An AI agent may call it without asking the user.
    Execute,
    /// An AI agent may propose the call; the user approves it (the default).
    #[default]
    Propose,
    /// Never offered to an AI agent.
    Blocked,
}

impl AiAccess {
    /// The manifest spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AiAccess::Execute => "execute",
            AiAccess::Propose => "propose",
            AiAccess::Blocked => "blocked",
        }
    }

    fn parse(s: &str) -> Option<AiAccess> {
        [AiAccess::Execute, AiAccess::Propose, AiAccess::Blocked]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

/// The JSON type of an action parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamType {
    /// A JSON string.
    String,
    /// A JSON number without fraction or exponent (`3`, not `3.0`).
    Integer,
    /// Any JSON number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// A JSON object.
    Object,
    /// A JSON array.
    Array,
    /// Any JSON value, `null` included (no `type` in the JSON Schema).
    Any,
}

impl ParamType {
    const ALL: [ParamType; 7] = [
        ParamType::String,
        ParamType::Integer,
        ParamType::Number,
        ParamType::Boolean,
        ParamType::Object,
        ParamType::Array,
        ParamType::Any,
    ];

    /// The manifest (and JSON Schema) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Integer => "integer",
            ParamType::Number => "number",
            ParamType::Boolean => "boolean",
            ParamType::Object => "object",
            ParamType::Array => "array",
            ParamType::Any => "any",
        }
    }

    /// Whether `value` is of this type.
    pub fn matches(self, value: &Value) -> bool {
        match self {
            ParamType::String => value.is_string(),
            ParamType::Integer => value.is_i64() || value.is_u64(),
            ParamType::Number => value.is_number(),
            ParamType::Boolean => value.is_boolean(),
            ParamType::Object => value.is_object(),
            ParamType::Array => value.is_array(),
            ParamType::Any => true,
        }
    }
}

/// One declared parameter of an action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParamSpec {
    /// Parameter name, `[a-zA-Z_][a-zA-Z0-9_]*`, unique in its action.
    pub name: String,
    /// Its JSON type.
    pub r#type: ParamType,
    /// Whether a call must supply it.
    pub required: bool,
    /// What it means, for humans and AI agents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Filled in when a call omits it; of the declared type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// The only values accepted, each of the declared type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#enum: Option<Vec<Value>>,
}

/// One action an extension offers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionSpec {
    /// Action name, `[a-z_][a-z0-9_]*`, unique in the manifest.
    pub name: String,
    /// What it does.
    pub description: String,
    /// Its parameters, in declaration order.
    pub parameters: Vec<ParamSpec>,
    /// Whether an AI agent may call it.
    pub ai_access: AiAccess,
}

/// Who made the extension and what it is, for humans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Metadata {
    /// Display name, 1 to 128 characters.
    pub name: String,
    /// What it does, up to 4096 characters (may be empty).
    pub description: String,
    /// Author or publisher.
    pub author: Option<String>,
    /// An `http(s)` URL.
    pub homepage: Option<String>,
    /// License (an SPDX expression, by convention).
    pub license: Option<String>,
    /// An `http(s)` URL of an icon.
    pub icon: Option<String>,
}

/// A validated `manifest.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Manifest {
    /// Extension id, `[a-z0-9][a-z0-9-]*`, at most 64 characters.
    pub extension_id: String,
    /// The extension's semantic version.
    #[serde(serialize_with = "display")]
    pub version: semver::Version,
    /// The manifest schema version, normalised (`1.0`).
    pub schema_version: String,
    /// Name, description, author and links.
    pub metadata: Metadata,
    /// Which language runtime runs the extension.
    pub runtime: RuntimeKind,
    /// The entry file, a relative `/`-separated path inside the package.
    pub entry: String,
    /// The permissions the extension asks for.
    pub permissions: PermissionSet,
    /// Hosts the `http` permissions may reach.
    pub allowed_hosts: Vec<HostPattern>,
    /// Per-call limits (defaults for omitted fields).
    pub resource_limits: ResourceLimits,
    /// Whether every call needs the user's approval.
    pub approval_required: bool,
    /// The oldest host version the extension works with.
    #[serde(serialize_with = "display_opt")]
    pub min_host_version: Option<semver::Version>,
    /// The actions, in declaration order; at least one.
    pub actions: Vec<ActionSpec>,
    /// JSON Schema of the host-supplied config (local `$ref`s only).
    pub config_schema: Option<Value>,
}

impl Manifest {
    /// Parses and validates a manifest.
    ///
    /// ```
    /// use morph_runtime_core::manifest::{AiAccess, Manifest};
    ///
    /// let m = Manifest::from_yaml(
    ///     "extension_id: hello\n\
    ///      version: 1.0.0\n\
    ///      metadata: {name: Hello}\n\
    ///      runtime: wasm\n\
    ///      entry: hello.wasm\n\
    ///      actions:\n  - {name: greet, description: Says hello}\n",
    /// )?;
    /// assert_eq!(m.action("greet").map(|a| a.ai_access), Some(AiAccess::Propose));
    ///
    /// let err = Manifest::from_yaml("extension_id: Bad_ID\n").unwrap_err();
    /// assert_eq!(err.code().as_str(), "invalid_manifest");
    /// assert!(err.to_string().contains("extension_id"));
    /// # Ok::<(), morph_runtime_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// `invalid_manifest` naming the offending field, or `document` when the
    /// text is too big, not YAML, over the parsing budget, empty, or not a
    /// mapping.
    pub fn from_yaml(text: &str) -> Result<Manifest> {
        if text.len() > MAX_MANIFEST_BYTES {
            return Err(Error::manifest(
                DOCUMENT,
                format!("is {} bytes; the limit is {MAX_MANIFEST_BYTES}", text.len()),
            ));
        }
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let value: Value =
            serde_saphyr::from_str_with_options(text, yaml_options()).map_err(|e| {
                Error::manifest(
                    DOCUMENT,
                    format!(
                        "is not an acceptable YAML document: {}",
                        truncate_for_message(
                            &e.render_with_formatter(&serde_saphyr::UserMessageFormatter),
                            400
                        )
                    ),
                )
            })?;
        validate::manifest(&value)
    }

    /// [`Manifest::from_yaml`] on bytes, which must be UTF-8.
    ///
    /// # Errors
    /// As [`Manifest::from_yaml`]; `invalid_manifest` (`document`) for bytes
    /// that are not UTF-8.
    pub fn from_bytes(bytes: &[u8]) -> Result<Manifest> {
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(Error::manifest(
                DOCUMENT,
                format!(
                    "is {} bytes; the limit is {MAX_MANIFEST_BYTES}",
                    bytes.len()
                ),
            ));
        }
        let text = std::str::from_utf8(bytes).map_err(|e| {
            Error::manifest(
                DOCUMENT,
                format!("is not UTF-8 (invalid byte at offset {})", e.valid_up_to()),
            )
        })?;
        Manifest::from_yaml(text)
    }

    /// The action called `name`.
    pub fn action(&self, name: &str) -> Option<&ActionSpec> {
        self.actions.iter().find(|a| a.name == name)
    }
}

/// The YAML parser's settings: budgets far above any real manifest and far
/// below anything that costs the host noticeable time or memory.
fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_documents: 1,
            max_depth: 48,
            flow_nesting_limit: 48,
            max_events: 200_000,
            max_nodes: 100_000,
            max_aliases: 256,
            max_anchors: 256,
            max_recorded_anchor_events: 20_000,
            max_recorded_anchor_bytes: 1024 * 1024,
            max_total_scalar_bytes: 1024 * 1024,
            max_merge_keys: 64,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: 20_000,
            max_replay_stack_depth: 16,
            max_alias_expansions_per_anchor: 256,
        },
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
        underscored_numbers_as_strings: true,
        reject_unsupported_tags: true,
        with_snippet: false,
    }
}

fn display<S: Serializer>(v: &semver::Version, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(v)
}

fn display_opt<S: Serializer>(
    v: &Option<semver::Version>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}
