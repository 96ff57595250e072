//! Validation of every manifest field, from the parsed document to a
//! [`Manifest`].
//!
//! **Each rule lives here once**, and each refusal is `invalid_manifest`
//! naming the dotted path of the field (`actions[1].parameters[0].type`).

use std::collections::HashSet;

use morph_capabilities::{
    Error, HostPattern, LIMIT_RANGES, Permission, PermissionSet, ResourceLimits, Result,
    truncate_for_message,
};
use serde_json::{Map, Value};

use super::config::config_schema;
use super::fields::{Obj, Text, json_kind, missing, one_of, text};
use super::params::enum_list;
use super::{
    ActionSpec, AiAccess, DOCUMENT, Manifest, Metadata, ParamSpec, ParamType, RuntimeKind,
};

/// The schema versions this host reads; all mean `1.0`.
const SCHEMA_VERSIONS: [&str; 2] = ["1.0", "1"];
/// At most this many actions, allowed hosts, enum values.
const MAX_ACTIONS: usize = 256;
const MAX_ALLOWED_HOSTS: usize = 256;
const MAX_ENUM_VALUES: usize = 256;
/// At most this many parameters per action.
const MAX_PARAMS: usize = 64;
/// Lengths, in characters.
const MAX_ID_LEN: usize = 64;
const MAX_NAME_LEN: usize = 128;
const MAX_DESCRIPTION_LEN: usize = 4096;
const MAX_URL_LEN: usize = 2048;
const MAX_ENTRY_LEN: usize = 256;

/// The fields each mapping of the manifest may hold; anything else is refused.
const TOP_FIELDS: &[&str] = &[
    "extension_id",
    "version",
    "schema_version",
    "metadata",
    "runtime",
    "entry",
    "permissions",
    "allowed_hosts",
    "resource_limits",
    "approval_required",
    "min_host_version",
    "actions",
    "config_schema",
];
const METADATA_FIELDS: &[&str] = &[
    "name",
    "description",
    "author",
    "homepage",
    "license",
    "icon",
];
const ACTION_FIELDS: &[&str] = &["name", "description", "parameters", "ai_access"];
const PARAM_FIELDS: &[&str] = &["name", "type", "required", "description", "default", "enum"];

/// Validates a parsed document field by field into a [`Manifest`].
pub(super) fn manifest(value: &Value) -> Result<Manifest> {
    let root = match value {
        Value::Object(map) => Obj {
            path: String::new(),
            map,
        },
        Value::Null => return Err(Error::manifest(DOCUMENT, "is empty")),
        other => {
            return Err(Error::manifest(
                DOCUMENT,
                format!(
                    "must be a mapping of manifest fields, found {}",
                    json_kind(other)
                ),
            ));
        }
    };
    root.only(TOP_FIELDS)?;
    let id = root.text("extension_id", Text::Line(MAX_ID_LEN))?;
    let extension_id = match id {
        Some(id) if is_extension_id(id) => id.to_owned(),
        Some(id) => {
            return Err(Error::manifest(
                "extension_id",
                format!(
                    "`{}` is not a valid id: 1 to 64 lowercase letters, digits and `-`, \
                     not starting with `-`",
                    truncate_for_message(id, 80)
                ),
            ));
        }
        None => return Err(missing("extension_id")),
    };
    let version = semver_field(&root, "version")?.ok_or_else(|| missing("version"))?;
    let schema_version = schema_version(root.get("schema_version"))?;
    let metadata = metadata(&root.obj("metadata")?.ok_or_else(|| missing("metadata"))?)?;
    let runtime = RuntimeKind::new(root.required_text("runtime", Text::Line(MAX_ID_LEN))?)?;
    let entry = root.required_text("entry", Text::Line(MAX_ENTRY_LEN))?;
    check_entry(entry)?;
    let permissions = permissions(&root)?;
    let allowed_hosts = allowed_hosts(&root)?;
    let resource_limits = match root.obj("resource_limits")? {
        Some(obj) => resource_limits(&obj)?,
        None => ResourceLimits::default(),
    };
    let approval_required = root.bool("approval_required")?.unwrap_or(false);
    let min_host_version = semver_field(&root, "min_host_version")?;
    let actions = actions(&root)?;
    let config_schema = root.get("config_schema").map(config_schema).transpose()?;
    Ok(Manifest {
        extension_id,
        version,
        schema_version,
        metadata,
        runtime,
        entry: entry.to_owned(),
        permissions,
        allowed_hosts,
        resource_limits,
        approval_required,
        min_host_version,
        actions,
        config_schema,
    })
}

/// `[a-z0-9][a-z0-9-]*`, at most 64 characters.
fn is_extension_id(s: &str) -> bool {
    let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let mut chars = s.chars();
    s.len() <= MAX_ID_LEN && chars.next().is_some_and(ok) && chars.all(|c| ok(c) || c == '-')
}

/// A semantic version at `key`; an unquoted `1.2` (a YAML number) gets the
/// semver message rather than a type error.
fn semver_field(obj: &Obj<'_>, key: &str) -> Result<Option<semver::Version>> {
    let spelled = match obj.get(key) {
        None => return Ok(None),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => obj.required_text(key, Text::Line(MAX_NAME_LEN))?.to_owned(),
    };
    semver::Version::parse(&spelled).map(Some).map_err(|e| {
        Error::manifest(
            obj.field(key),
            format!(
                "`{}` is not a semantic version like 1.2.0: {e}",
                truncate_for_message(&spelled, 80)
            ),
        )
    })
}

fn schema_version(value: Option<&Value>) -> Result<String> {
    let spelled = match value {
        None => return Ok(SCHEMA_VERSIONS[0].to_owned()),
        Some(Value::String(s)) => s.clone(),
        // `schema_version: 1.0` unquoted is a YAML float.
        Some(Value::Number(n)) if n.as_f64() == Some(1.0) => return Ok("1.0".to_owned()),
        Some(other) => other.to_string(),
    };
    if SCHEMA_VERSIONS.contains(&spelled.as_str()) {
        Ok(SCHEMA_VERSIONS[0].to_owned())
    } else {
        Err(Error::manifest(
            "schema_version",
            format!(
                "`{}` is not supported: this host reads schema version 1.0",
                truncate_for_message(&spelled, 40)
            ),
        ))
    }
}

fn metadata(obj: &Obj<'_>) -> Result<Metadata> {
    obj.only(METADATA_FIELDS)?;
    let name = obj.required_text("name", Text::Line(MAX_NAME_LEN))?;
    if name.trim().is_empty() {
        return Err(Error::manifest(obj.field("name"), "must not be blank"));
    }
    let url = |key: &str| -> Result<Option<String>> {
        let Some(u) = obj.text(key, Text::Line(MAX_URL_LEN))? else {
            return Ok(None);
        };
        if is_http_url(u) {
            Ok(Some(u.to_owned()))
        } else {
            Err(Error::manifest(
                obj.field(key),
                format!("`{}` is not an http(s) URL", truncate_for_message(u, 80)),
            ))
        }
    };
    let line = |key: &str| -> Result<Option<String>> {
        Ok(obj.text(key, Text::Line(MAX_NAME_LEN))?.map(str::to_owned))
    };
    Ok(Metadata {
        name: name.to_owned(),
        description: obj
            .text("description", Text::Block(MAX_DESCRIPTION_LEN))?
            .unwrap_or_default()
            .to_owned(),
        author: line("author")?,
        homepage: url("homepage")?,
        license: line("license")?,
        icon: url("icon")?,
    })
}

/// `http://` or `https://` (any case) followed by a non-empty authority and
/// no whitespace.
fn is_http_url(u: &str) -> bool {
    let lower = u.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    rest.is_some_and(|rest| {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        !authority.is_empty() && !rest.chars().any(char::is_whitespace)
    })
}

/// The entry must stay inside the package: relative, `/`-separated, no
/// `..`, no empty component, no `\`, `:` or NUL (so it means the same on
/// every platform).
fn check_entry(entry: &str) -> Result<()> {
    let reason = if entry.is_empty() {
        Some("must not be empty")
    } else if entry.starts_with('/') {
        Some("must be a relative path (no leading `/`)")
    } else if entry.contains(['\\', ':', '\0']) {
        Some("must use `/` separators and contain no `\\`, `:` or NUL")
    } else if entry.split('/').any(|c| c == "..") {
        Some("must not contain `..` components")
    } else if entry.split('/').any(str::is_empty) {
        Some("must not contain empty components (`//` or a trailing `/`)")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(Error::manifest(
            "entry",
            format!("`{}` {reason}", truncate_for_message(entry, 80)),
        )),
        None => Ok(()),
    }
}

fn permissions(root: &Obj<'_>) -> Result<PermissionSet> {
    let mut set = PermissionSet::new();
    for (i, item) in root
        .list("permissions", Permission::ALL.len())?
        .iter()
        .enumerate()
    {
        let path = format!("permissions[{i}]");
        let name = text(item, &path, Text::Line(64))?;
        let permission: Permission = name.parse().map_err(|e| {
            Error::manifest(
                &path,
                format!(
                    "{e} (expected {})",
                    one_of(Permission::ALL.iter().map(|p| p.as_str()))
                ),
            )
        })?;
        if !set.insert(permission) {
            return Err(Error::manifest(
                path,
                format!("`{permission}` is listed twice"),
            ));
        }
    }
    Ok(set)
}

fn allowed_hosts(root: &Obj<'_>) -> Result<Vec<HostPattern>> {
    let items = root.list("allowed_hosts", MAX_ALLOWED_HOSTS)?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("allowed_hosts[{i}]");
        let entry = text(item, &path, Text::Line(300))?;
        out.push(HostPattern::parse(entry).map_err(|e| Error::manifest(path, e.to_string()))?);
    }
    Ok(out)
}

fn resource_limits(obj: &Obj<'_>) -> Result<ResourceLimits> {
    let fields: Vec<&str> = LIMIT_RANGES.iter().map(|r| r.field).collect();
    obj.only(&fields)?;
    for range in &LIMIT_RANGES {
        let Some(value) = obj.get(range.field) else {
            continue;
        };
        let in_range = value
            .as_u64()
            .is_some_and(|v| (range.min..=range.max).contains(&v));
        if !in_range {
            return Err(Error::manifest(
                obj.field(range.field),
                format!(
                    "{} is out of range (allowed: a whole number in {}..={})",
                    truncate_for_message(&value.to_string(), 40),
                    range.min,
                    range.max
                ),
            ));
        }
    }
    let present: Map<String, Value> = obj
        .map
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let limits: ResourceLimits = serde_json::from_value(Value::Object(present))
        .map_err(|e| Error::manifest("resource_limits", e.to_string()))?;
    limits.validate()?;
    Ok(limits)
}

fn actions(root: &Obj<'_>) -> Result<Vec<ActionSpec>> {
    let items = root.list("actions", MAX_ACTIONS)?;
    if items.is_empty() {
        return Err(Error::manifest(
            "actions",
            "must declare at least one action",
        ));
    }
    let mut names = HashSet::new();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let action = action(&Obj::at(item, format!("actions[{i}]"))?)?;
        if !names.insert(action.name.clone()) {
            return Err(Error::manifest(
                format!("actions[{i}].name"),
                format!("duplicate action `{}`", action.name),
            ));
        }
        out.push(action);
    }
    Ok(out)
}

fn action(obj: &Obj<'_>) -> Result<ActionSpec> {
    obj.only(ACTION_FIELDS)?;
    let name = obj.required_text("name", Text::Line(MAX_ID_LEN))?;
    if !is_identifier(name, false) {
        return Err(Error::manifest(
            obj.field("name"),
            format!(
                "`{name}` is not a valid action name: lowercase letters, digits and `_`, \
                 not starting with a digit"
            ),
        ));
    }
    let description = obj.required_text("description", Text::Block(MAX_DESCRIPTION_LEN))?;
    if description.trim().is_empty() {
        return Err(Error::manifest(
            obj.field("description"),
            "must not be blank",
        ));
    }
    let ai_access = match obj.text("ai_access", Text::Line(32))? {
        None => AiAccess::default(),
        Some(s) => AiAccess::parse(s).ok_or_else(|| {
            Error::manifest(
                obj.field("ai_access"),
                format!("`{s}` is not {}", one_of(["execute", "propose", "blocked"])),
            )
        })?,
    };
    let items = obj.list("parameters", MAX_PARAMS)?;
    let mut parameters: Vec<ParamSpec> = Vec::with_capacity(items.len());
    for (j, item) in items.iter().enumerate() {
        let param = param(&Obj::at(item, obj.field(&format!("parameters[{j}]")))?)?;
        if parameters.iter().any(|p| p.name == param.name) {
            return Err(Error::manifest(
                obj.field(&format!("parameters[{j}].name")),
                format!("duplicate parameter `{}`", param.name),
            ));
        }
        parameters.push(param);
    }
    Ok(ActionSpec {
        name: name.to_owned(),
        description: description.to_owned(),
        parameters,
        ai_access,
    })
}

fn param(obj: &Obj<'_>) -> Result<ParamSpec> {
    obj.only(PARAM_FIELDS)?;
    let name = obj.required_text("name", Text::Line(MAX_ID_LEN))?;
    if !is_identifier(name, true) {
        return Err(Error::manifest(
            obj.field("name"),
            format!(
                "`{name}` is not a valid parameter name: letters, digits and `_`, \
                 not starting with a digit"
            ),
        ));
    }
    let type_name = obj.required_text("type", Text::Line(32))?;
    let ty = ParamType::ALL
        .into_iter()
        .find(|t| t.as_str() == type_name)
        .ok_or_else(|| {
            Error::manifest(
                obj.field("type"),
                format!(
                    "`{type_name}` is not {}",
                    one_of(ParamType::ALL.iter().map(|t| t.as_str()))
                ),
            )
        })?;
    let of_type = |value: &Value, path: String| -> Result<()> {
        if ty.matches(value) {
            Ok(())
        } else {
            Err(Error::manifest(
                path,
                format!(
                    "must be of type {}, found {}",
                    ty.as_str(),
                    json_kind(value)
                ),
            ))
        }
    };
    let r#enum = match obj.get("enum") {
        None => None,
        Some(_) => {
            let values = obj.list("enum", MAX_ENUM_VALUES)?;
            if values.is_empty() {
                return Err(Error::manifest(obj.field("enum"), "must not be empty"));
            }
            for (k, v) in values.iter().enumerate() {
                of_type(v, obj.field(&format!("enum[{k}]")))?;
            }
            Some(values.to_vec())
        }
    };
    let default = obj.get("default").cloned();
    if let Some(d) = &default {
        of_type(d, obj.field("default"))?;
        if let Some(allowed) = &r#enum
            && !allowed.contains(d)
        {
            return Err(Error::manifest(
                obj.field("default"),
                format!("must be one of the enum values {}", enum_list(allowed)),
            ));
        }
    }
    Ok(ParamSpec {
        name: name.to_owned(),
        r#type: ty,
        required: obj.bool("required")?.unwrap_or(false),
        description: obj
            .text("description", Text::Block(MAX_DESCRIPTION_LEN))?
            .map(str::to_owned),
        default,
        r#enum,
    })
}

/// `[a-z_][a-z0-9_]*`, or `[a-zA-Z_][a-zA-Z0-9_]*` with `upper`.
fn is_identifier(s: &str, upper: bool) -> bool {
    let ok = |c: char| c == '_' || c.is_ascii_lowercase() || (upper && c.is_ascii_uppercase());
    let mut chars = s.chars();
    chars.next().is_some_and(ok) && chars.all(|c| ok(c) || c.is_ascii_digit())
}
