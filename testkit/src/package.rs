//! Writes extension packages for tests, for any runtime.

use std::path::{Path, PathBuf};

/// A package to write: the manifest's variable parts and the files.
#[derive(Debug, Clone)]
pub struct PackageSpec {
    /// `extension_id` (also the directory name).
    pub id: String,
    /// `runtime:` (`wasm`, `js`, `python`, ...).
    pub runtime: String,
    /// `entry:` file name.
    pub entry: String,
    /// Permissions, e.g. `http:read`.
    pub permissions: Vec<String>,
    /// `allowed_hosts` entries.
    pub allowed_hosts: Vec<String>,
    /// The body of `resource_limits:` (indented YAML lines), empty for defaults.
    pub limits: String,
    /// The `actions:` block, as YAML starting with `actions:`.
    pub actions: String,
    /// Files to write: (relative path, contents). The entry must be among them.
    pub files: Vec<(String, Vec<u8>)>,
}

impl PackageSpec {
    /// A package for `runtime` with `entry` holding `code`, and `actions`.
    pub fn new(
        id: &str,
        runtime: &str,
        entry: &str,
        code: impl Into<Vec<u8>>,
        actions: &str,
    ) -> PackageSpec {
        PackageSpec {
            id: id.to_owned(),
            runtime: runtime.to_owned(),
            entry: entry.to_owned(),
            permissions: Vec::new(),
            allowed_hosts: Vec::new(),
            limits: String::new(),
            actions: actions.to_owned(),
            files: vec![(entry.to_owned(), code.into())],
        }
    }

    /// Adds permissions.
    pub fn permissions(mut self, p: &[&str]) -> PackageSpec {
        self.permissions.extend(p.iter().map(|s| (*s).to_owned()));
        self
    }

    /// Adds allowed hosts.
    pub fn allowed_hosts(mut self, h: &[&str]) -> PackageSpec {
        self.allowed_hosts.extend(h.iter().map(|s| (*s).to_owned()));
        self
    }

    /// Sets `resource_limits:` from `key: value` lines (unindented is fine).
    pub fn limits(mut self, yaml: &str) -> PackageSpec {
        self.limits = yaml
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| format!("  {}\n", l.trim()))
            .collect();
        self
    }

    /// Adds a file.
    pub fn file(mut self, path: &str, contents: impl Into<Vec<u8>>) -> PackageSpec {
        self.files.push((path.to_owned(), contents.into()));
        self
    }

    /// The manifest text.
    pub fn manifest(&self) -> String {
        let quote = |xs: &[String]| {
            xs.iter()
                .map(|x| format!("\"{x}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let limits = if self.limits.is_empty() {
            String::new()
        } else {
            format!("resource_limits:\n{}", self.limits)
        };
        format!(
            "extension_id: {id}\nversion: 1.0.0\nmetadata:\n  name: {id}\n  description: A test extension\nruntime: {runtime}\nentry: {entry}\npermissions: [{perms}]\nallowed_hosts: [{hosts}]\n{limits}{actions}\n",
            id = self.id,
            runtime = self.runtime,
            entry = self.entry,
            perms = self.permissions.join(", "),
            hosts = quote(&self.allowed_hosts),
            actions = self.actions,
        )
    }

    /// Writes the package into `<dir>/<id>` and returns that path.
    pub fn write(&self, dir: &Path) -> PathBuf {
        let pkg = dir.join(&self.id);
        std::fs::create_dir_all(&pkg).expect("create package dir");
        for (path, contents) in &self.files {
            let target = pkg.join(path);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).expect("create package subdir");
            }
            std::fs::write(target, contents).expect("write package file");
        }
        std::fs::write(pkg.join("manifest.yaml"), self.manifest()).expect("write manifest");
        pkg
    }
}
