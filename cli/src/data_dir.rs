//! Where the CLI keeps host state when `--data-dir` is not given.

use std::path::PathBuf;

/// `$XDG_DATA_HOME/morph`, else `$HOME/.local/share/morph`, else `./.morph`.
pub fn default_data_dir() -> PathBuf {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("morph");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(home).join(".local/share/morph");
    }
    PathBuf::from(".morph")
}
