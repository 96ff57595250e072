//! `fs.read` / `fs.write` / `fs.list` / `fs.delete`: files in the extension's
//! own data directory.
//!
//! **Paths are relative to that directory**; `..`, absolute paths and
//! symlinks that lead out are refused by the host (`permission_denied`).
//! Bytes cross the wire as UTF-8 text when they are UTF-8 and as base64
//! otherwise; this module does the encoding both ways, so callers see bytes.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::base64;
use crate::error::{Error, Result};
use crate::host::{from_response, invoke};

/// One directory entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirEntry {
    /// File name.
    pub name: String,
    /// `file`, `dir` or `other`.
    pub kind: String,
    /// Size in bytes (files).
    #[serde(default)]
    pub size: u64,
}

impl DirEntry {
    /// Whether the entry is a directory.
    pub fn is_dir(&self) -> bool {
        self.kind == "dir"
    }
}

#[derive(Deserialize)]
struct ReadResponse {
    content: String,
    #[serde(default)]
    encoding: Option<String>,
}

#[derive(Deserialize)]
struct ListResponse {
    entries: Vec<DirEntry>,
}

/// Reads a whole file.
///
/// # Errors
/// `permission_denied` without `fs:read` or for a path leading out;
/// `capability_failed` for a missing file or one over `max_file_size_mb`.
pub fn read(path: &str) -> Result<Vec<u8>> {
    let reply: ReadResponse =
        from_response("fs.read", invoke("fs.read", &json!({ "path": path }))?)?;
    match reply.encoding.as_deref() {
        None | Some("utf8") => Ok(reply.content.into_bytes()),
        Some("base64") => base64::decode(&reply.content),
        Some(other) => Err(Error::with_code(
            "internal",
            format!("unexpected `fs.read` encoding `{other}` from the host"),
        )),
    }
}

/// Reads a whole file as UTF-8 text.
///
/// # Errors
/// As [`read`], and `guest_error` when the file is not UTF-8.
pub fn read_to_string(path: &str) -> Result<String> {
    String::from_utf8(read(path)?).map_err(|_| Error::new(format!("`{path}` is not UTF-8 text")))
}

/// Writes a whole file (atomically; parent directories are created).
///
/// # Errors
/// `permission_denied` without `fs:write` or for a path leading out;
/// `capability_failed` past `max_file_size_mb`; `quota_exceeded` when the
/// write would take the extension past `max_files` or `max_storage_mb`.
pub fn write(path: &str, bytes: &[u8]) -> Result<()> {
    let request = match std::str::from_utf8(bytes) {
        Ok(text) => json!({ "path": path, "content": text, "encoding": "utf8" }),
        Err(_) => json!({ "path": path, "content": base64::encode(bytes), "encoding": "base64" }),
    };
    invoke("fs.write", &request)?;
    Ok(())
}

/// Writes a whole file from text.
///
/// # Errors
/// As [`write()`].
pub fn write_str(path: &str, text: &str) -> Result<()> {
    write(path, text.as_bytes())
}

/// Lists a directory; the data directory itself when `path` is `None`.
///
/// # Errors
/// As [`read`].
pub fn list(path: Option<&str>) -> Result<Vec<DirEntry>> {
    let request = match path {
        Some(path) => json!({ "path": path }),
        None => json!({}),
    };
    let reply: ListResponse = from_response("fs.list", invoke("fs.list", &request)?)?;
    Ok(reply.entries)
}

/// Deletes a file or an empty directory.
///
/// # Errors
/// As [`write()`].
pub fn delete(path: &str) -> Result<()> {
    invoke("fs.delete", &json!({ "path": path }))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::Value;

    use super::*;
    use crate::host::mock;

    /// A host double storing files the way the real broker encodes them.
    fn fake_disk() {
        let mut files = BTreeMap::<String, (String, String)>::new();
        mock::install(move |cap, req| {
            let path = req["path"].as_str().unwrap_or_default().to_owned();
            let ok = |v: Value| json!({ "ok": v });
            match cap {
                "fs.write" => {
                    let enc = req["encoding"].as_str().unwrap_or("utf8").to_owned();
                    let content = req["content"].as_str().unwrap_or_default().to_owned();
                    files.insert(path, (content, enc));
                    ok(Value::Null)
                }
                "fs.read" => match files.get(&path) {
                    Some((c, e)) => ok(json!({"content": c, "encoding": e})),
                    None => json!({"error": {"code": "capability_failed", "message": "missing"}}),
                },
                "fs.list" => ok(json!({"entries": files.iter().map(|(name, (c, _))| {
                    json!({"name": name, "kind": "file", "size": c.len()})
                }).collect::<Vec<_>>()})),
                "fs.delete" => {
                    files.remove(&path);
                    ok(Value::Null)
                }
                _ => json!({"error": {"code": "unknown_capability", "message": cap}}),
            }
        });
    }

    #[test]
    fn text_and_binary_files_round_trip() {
        fake_disk();
        write_str("notes/a.txt", "héllo").unwrap();
        assert_eq!(read_to_string("notes/a.txt").unwrap(), "héllo");
        let binary = [0u8, 0xff, 0xfe, 7];
        write("b.bin", &binary).unwrap();
        assert_eq!(read("b.bin").unwrap(), binary);
        assert_eq!(read_to_string("b.bin").unwrap_err().code(), "guest_error");
        let names: Vec<String> = list(None).unwrap().into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["b.bin", "notes/a.txt"]);
        delete("b.bin").unwrap();
        assert_eq!(read("b.bin").unwrap_err().code(), "capability_failed");
    }

    #[test]
    fn binary_content_is_sent_as_base64() {
        let sent = mock::record(json!({"ok": null}));
        write("x", &[0xff]).unwrap();
        list(Some("dir")).unwrap_err();
        let sent = sent.borrow();
        assert_eq!(
            sent[0].1,
            json!({"path": "x", "content": "/w==", "encoding": "base64"})
        );
        assert_eq!(sent[1], ("fs.list".to_owned(), json!({"path": "dir"})));
    }
}
