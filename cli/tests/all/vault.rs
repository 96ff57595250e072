//! `morph vault` through the real binary (issue 20, points 1 and 2): a
//! secret set from stdin or a no-echo prompt is what a real JS extension's
//! `vault.get` reads under `morph run`, also after `rotate-key`; `list`
//! shows keys and times, never values; a sealed row moved to another
//! extension does not open; plain-text rows of an older data dir are sealed
//! on open. The secret-hunting test stores a distinctive secret, uses it,
//! and then looks for it, in every encoding a leak would plausibly take, in
//! every file under the data dir and the key file's dir and in everything
//! every command printed. Point 3: a secret bound to a host with
//! `--hosts` is filled into a header (`{{vault:KEY}}`) for that host only,
//! unseen by the guest, and a guest that reads it cannot send it elsewhere;
//! the same body runs the JS and the Python guest.

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use morph_testkit::{PackageSpec, Reply, TestServer};
use serde_json::{Value, json};
use sha2::Digest;

/// The JS extension that reads the vault: `read` returns the value, `use`
/// sends it to a server as a bearer token and reports only the status.
const JS: &str = r#"
export function execute(action, params) {
  const token = morph.vault.get(params.key);
  if (action === "read") return token;
  if (token === null) throw new Error("no token stored under " + params.key);
  const res = morph.http.fetch(params.url, {
    method: "GET",
    headers: { authorization: "Bearer " + token },
  });
  morph.log("the server answered " + res.status);
  morph.invoke("data.create_task", { title: "called the server", description: "status " + res.status });
  return { status: res.status, length: token.length };
}
"#;

const ACTIONS: &str = "actions:
  - {name: read, description: Returns a vault value, parameters: [{name: key, type: string, required: true}]}
  - {name: use, description: Sends a vault value to a server, parameters: [{name: key, type: string, required: true}, {name: url, type: string, required: true}]}
";

/// A data dir, an optional key file elsewhere, and everything every command
/// printed there.
struct Morph {
    tmp: tempfile::TempDir,
    data: PathBuf,
    key_file: Option<PathBuf>,
    printed: std::cell::RefCell<Vec<(String, Vec<u8>)>>,
}

impl Morph {
    fn new() -> Morph {
        let tmp = tempfile::tempdir().unwrap();
        Morph {
            data: tmp.path().join("data"),
            tmp,
            key_file: None,
            printed: Default::default(),
        }
    }

    /// With the key file in a directory of its own (`MORPH_VAULT_KEY_FILE`).
    fn with_key_file_apart() -> Morph {
        let mut m = Morph::new();
        let keys = m.tmp.path().join("keys");
        std::fs::create_dir_all(&keys).unwrap();
        m.key_file = Some(keys.join("morph-vault.key"));
        m
    }

    fn command<S: AsRef<OsStr>>(&self, args: &[S]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_morph"));
        cmd.args(args)
            .arg("--data-dir")
            .arg(&self.data)
            .env_remove("MORPH_DATA_DIR")
            .env_remove("MORPH_LOG")
            .env_remove("MORPH_VAULT_KEY_FILE");
        if let Some(key_file) = &self.key_file {
            cmd.env("MORPH_VAULT_KEY_FILE", key_file);
        }
        cmd
    }

    /// Runs `morph ARGS --data-dir DATA` with `stdin`; keeps what it printed.
    fn run<S: AsRef<OsStr>>(&self, args: &[S], stdin: &[u8]) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn morph");
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(stdin).unwrap();
        drop(pipe);
        let out = child.wait_with_output().unwrap();
        let line: Vec<String> = args
            .iter()
            .map(|a| a.as_ref().to_string_lossy().into_owned())
            .collect();
        let mut printed = self.printed.borrow_mut();
        printed.push((format!("stdout of {line:?}"), out.stdout.clone()));
        printed.push((format!("stderr of {line:?}"), out.stderr.clone()));
        out
    }

    /// `run` with `--json`: the exit code and the envelope.
    fn json<S: AsRef<OsStr>>(&self, args: &[S], stdin: &[u8]) -> (i32, Value) {
        let mut all: Vec<&OsStr> = args.iter().map(AsRef::as_ref).collect();
        all.push(OsStr::new("--json"));
        let out = self.run(&all, stdin);
        let envelope = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "no envelope ({e}): stdout {} stderr {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap_or(-1), envelope)
    }

    /// `morph vault set EXT KEY` with the value on stdin.
    fn set(&self, ext: &str, key: &str, value: &str) {
        let out = self.run(&["vault", "set", ext, key], format!("{value}\n").as_bytes());
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `morph run` of the reader package; the envelope.
    fn extension(&self, package: &Path, action: &str, params: &Value) -> (i32, Value) {
        self.json(
            &[
                OsStr::new("run"),
                package.as_os_str(),
                OsStr::new(action),
                OsStr::new("--params"),
                OsStr::new(&params.to_string()),
            ],
            b"",
        )
    }

    /// The reader package for extension `id`, allowed to reach `server`.
    fn package(&self, id: &str, server: Option<&TestServer>) -> PathBuf {
        let hosts: Vec<String> = server.map(|s| s.host()).into_iter().collect();
        let hosts: Vec<&str> = hosts.iter().map(String::as_str).collect();
        PackageSpec::new(id, "js", "index.js", JS, ACTIONS)
            .permissions(&["vault:read", "http:read", "data:write"])
            .allowed_hosts(&hosts)
            .write(&self.tmp.path().join("packages"))
    }
}

#[test]
fn set_list_rm_and_their_json_shapes() {
    let m = Morph::new();
    let (code, env) = m.json(
        &["vault", "set", "jira-integration", "api_token"],
        b"tok-1\n",
    );
    assert_eq!(code, 0, "{env}");
    assert_eq!(env["ok"], true);
    assert_eq!(env["result"]["extension"], "jira-integration");
    assert_eq!(env["result"]["key"], "api_token");
    assert!(env["result"]["updated_ms"].as_i64().unwrap() > 0);
    let audit = env["audit"].as_array().unwrap();
    assert_eq!(audit.len(), 1, "the change is audited: {env}");
    assert_eq!(audit[0]["capability"], "host.vault.set");
    assert_eq!(audit[0]["extension"], "jira-integration");
    assert!(!env["audit"].to_string().contains("tok-1"));
    let out = m.run(&["vault", "set", "jira-integration", "base_url"], b"x");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "stored `base_url` in the vault of jira-integration\n"
    );

    let (code, env) = m.json(&["vault", "list", "jira-integration"], b"");
    assert_eq!(code, 0);
    let keys = env["result"]["keys"].as_array().unwrap();
    assert_eq!(
        keys.iter().map(|k| k["key"].clone()).collect::<Vec<_>>(),
        [json!("api_token"), json!("base_url")]
    );
    for k in keys {
        let fields: Vec<&String> = k.as_object().unwrap().keys().collect();
        assert_eq!(
            fields,
            ["hosts", "key", "updated_ms"],
            "a key, its time and its hosts, no value"
        );
        assert_eq!(k["hosts"], Value::Null, "not bound");
    }
    let out = m.run(&["vault", "list", "jira-integration"], b"");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("api_token") && text.contains(" UTC"),
        "{text}"
    );
    assert!(!text.contains("tok-1"));
    let (_, other) = m.json(&["vault", "list", "other-ext"], b"");
    assert_eq!(other["result"]["keys"], json!([]), "namespaces are apart");

    let (code, env) = m.json(&["vault", "rm", "jira-integration", "api_token"], b"");
    assert_eq!(code, 0);
    assert_eq!(
        env["result"],
        json!({"extension": "jira-integration", "key": "api_token", "removed": true})
    );
    assert_eq!(env["audit"][0]["capability"], "host.vault.rm");
    for bad in ["https://x.test", "a/b", "*"] {
        let (code, env) = m.json(
            &["vault", "set", "jira-integration", "k", "--hosts", bad],
            b"v",
        );
        assert_eq!(
            (code, &env["error"]["code"]),
            (2, &json!("invalid_params")),
            "{bad}"
        );
    }
    let (code, env) = m.json(&["vault", "rm", "jira-integration", "api_token"], b"");
    assert_eq!(code, 2, "removing a key that is not set is a usage error");
    assert_eq!(env["error"]["code"], "invalid_params");

    for (args, stdin) in [
        (["vault", "set", "Not_An_Id", "k"], &b"v"[..]),
        (["vault", "set", "ext", "k"], &b"\n"[..]),
    ] {
        let (code, env) = m.json(&args, stdin);
        assert_eq!((code, &env["error"]["code"]), (2, &json!("invalid_params")));
    }
    let big = vec![b'a'; 64 * 1024 + 1];
    let (code, env) = m.json(&["vault", "set", "ext", "k"], &big);
    assert_eq!(code, 2);
    assert!(
        env["error"]["message"]
            .as_str()
            .unwrap()
            .contains("longer than")
    );
    let (code, env) = m.json(&["vault", "set", "ext", "k"], &[0xff, 0xfe]);
    assert_eq!((code, &env["error"]["code"]), (2, &json!("invalid_params")));
}

#[test]
fn list_and_rm_on_a_data_dir_without_a_store_create_nothing() {
    let m = Morph::new();
    let (code, env) = m.json(&["vault", "list", "ext"], b"");
    assert_eq!((code, &env["result"]["keys"]), (0, &json!([])));
    let (code, _) = m.json(&["vault", "rm", "ext", "k"], b"");
    assert_eq!(code, 2);
    assert!(!m.data.exists());
}

#[test]
fn an_extension_reads_what_morph_vault_set_stored_also_after_rotate_key() {
    let m = Morph::new();
    let package = m.package("vault-reader", None);
    m.set("vault-reader", "token", "first value, with spaces");
    let (code, env) = m.extension(&package, "read", &json!({"key": "token"}));
    assert_eq!(code, 0, "{env}");
    assert_eq!(env["result"], "first value, with spaces");
    let (_, env) = m.extension(&package, "read", &json!({"key": "absent"}));
    assert_eq!(env["result"], Value::Null);

    let key_file = m.data.join("vault.key");
    let before: Value = serde_json::from_slice(&std::fs::read(&key_file).unwrap()).unwrap();
    let (code, rotation) = m.json(&["vault", "rotate-key"], b"");
    assert_eq!(code, 0, "{rotation}");
    assert_eq!(rotation["result"]["resealed"], 1);
    assert_eq!(
        rotation["result"]["retired"],
        json!([before["keys"][0]["id"]])
    );
    let after: Value = serde_json::from_slice(&std::fs::read(&key_file).unwrap()).unwrap();
    assert_eq!(after["keys"].as_array().unwrap().len(), 1);
    assert_eq!(after["keys"][0]["id"], rotation["result"]["key_id"]);
    assert_ne!(after["keys"][0]["key"], before["keys"][0]["key"]);
    let (code, env) = m.extension(&package, "read", &json!({"key": "token"}));
    assert_eq!(
        (code, &env["result"]),
        (0, &json!("first value, with spaces"))
    );

    // The old key file no longer opens anything.
    std::fs::write(&key_file, serde_json::to_vec(&before).unwrap()).unwrap();
    let (code, env) = m.extension(&package, "read", &json!({"key": "token"}));
    assert_eq!(code, 1, "{env}");
    assert_eq!(env["error"]["code"], "capability_failed");
    assert!(!env.to_string().contains("first value"));
}

#[cfg(unix)]
#[test]
fn the_key_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let m = Morph::new();
    m.set("ext", "k", "v");
    let mode = std::fs::metadata(m.data.join("vault.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn a_sealed_value_moved_to_another_extension_does_not_open() {
    let m = Morph::new();
    let victim = m.package("victim", None);
    let thief = m.package("thief", None);
    m.set("victim", "token", "victims-secret");
    m.set("thief", "token", "placeholder");
    {
        let conn = rusqlite::Connection::open(m.data.join("morph.db")).unwrap();
        conn.execute(
            "UPDATE vault SET sealed = (SELECT sealed FROM vault WHERE namespace = 'victim'),
                              key_id = (SELECT key_id FROM vault WHERE namespace = 'victim')
             WHERE namespace = 'thief'",
            [],
        )
        .unwrap();
    }
    let (code, env) = m.extension(&thief, "read", &json!({"key": "token"}));
    assert_eq!(code, 1, "{env}");
    assert_eq!(env["error"]["code"], "capability_failed");
    assert!(
        env["error"]["message"]
            .as_str()
            .unwrap()
            .contains("does not open")
    );
    assert!(!env.to_string().contains("victims-secret"));
    let (code, env) = m.extension(&victim, "read", &json!({"key": "token"}));
    assert_eq!((code, &env["result"]), (0, &json!("victims-secret")));
}

#[test]
fn plaintext_rows_of_an_older_data_dir_are_sealed_on_open() {
    let m = Morph::new();
    let secret = distinctive_secret();
    std::fs::create_dir_all(&m.data).unwrap();
    {
        // The schema Morph wrote before values were sealed (version 1).
        let conn = rusqlite::Connection::open(m.data.join("morph.db")).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.execute_batch(
            "CREATE TABLE vault (namespace TEXT NOT NULL, key TEXT NOT NULL,
               value TEXT NOT NULL, updated_ms INTEGER NOT NULL,
               PRIMARY KEY (namespace, key)) STRICT, WITHOUT ROWID;
             CREATE TABLE tasks (id INTEGER PRIMARY KEY AUTOINCREMENT,
               namespace TEXT NOT NULL, title TEXT NOT NULL, description TEXT NOT NULL,
               status TEXT NOT NULL, data TEXT NOT NULL, created_ms INTEGER NOT NULL,
               updated_ms INTEGER NOT NULL) STRICT;
             CREATE INDEX tasks_by_namespace ON tasks (namespace, id);
             PRAGMA user_version = 1;",
        )
        .unwrap();
        conn.execute(
            "INSERT INTO vault VALUES ('legacy', 'token', ?1, 1000)",
            [&secret],
        )
        .unwrap();
    }
    assert!(
        !hits(&m.data, &needles(&secret)).is_empty(),
        "the old store holds it in the clear"
    );

    let (code, env) = m.json(&["vault", "list", "legacy"], b"");
    assert_eq!(code, 0, "{env}");
    assert_eq!(
        env["result"]["keys"],
        json!([{"key": "token", "updated_ms": 1000, "hosts": null}])
    );
    let found = hits(&m.data, &needles(&secret));
    assert!(found.is_empty(), "after the migration: {found:?}");
    let package = m.package("legacy", None);
    let (code, env) = m.extension(&package, "read", &json!({"key": "token"}));
    assert_eq!((code, &env["result"]), (0, &json!(secret)));
}

#[test]
fn the_secret_is_nowhere_on_disk_or_in_any_output() {
    let m = Morph::with_key_file_apart();
    let secret = distinctive_secret();
    let server = TestServer::start(|_| Reply::text("ok"));
    let package = m.package("hunted", Some(&server));

    m.set("hunted", "token", &secret);
    m.run(&["vault", "list", "hunted"], b"");
    m.json(&["vault", "list", "hunted"], b"");
    let call = json!({"key": "token", "url": server.url("/api")});
    for _ in 0..3 {
        let (code, env) = m.extension(&package, "use", &call);
        assert_eq!(code, 0, "{env}");
        assert_eq!(env["result"]["length"], secret.len());
    }
    // Overwritten, rotated, used again, then under process isolation.
    m.set("hunted", "token", &secret);
    m.set("hunted", "other", &format!("{secret}-second"));
    let (code, _) = m.json(&["vault", "rotate-key"], b"");
    assert_eq!(code, 0);
    let (code, env) = m.extension(&package, "use", &call);
    assert_eq!(code, 0, "{env}");
    let mut isolated: Vec<&OsStr> = vec![
        OsStr::new("run"),
        package.as_os_str(),
        OsStr::new("use"),
        OsStr::new("--params"),
    ];
    let call_text = call.to_string();
    isolated.extend([
        OsStr::new(&call_text),
        OsStr::new("--isolation"),
        OsStr::new("process"),
    ]);
    let (code, env) = m.json(&isolated, b"");
    assert_eq!(code, 0, "{env}");
    m.run(&["vault", "rm", "hunted", "other"], b"");
    m.run(&["audit"], b"");
    m.json(&["audit"], b"");
    let out = m.run(&["audit", "--verify"], b"");
    assert_eq!(out.status.code(), Some(0));

    // The extension did read the right value: the server saw it.
    let seen = server.seen();
    assert_eq!(seen.len(), 5);
    for s in &seen {
        assert_eq!(
            s.header("authorization"),
            Some(format!("Bearer {secret}").as_str())
        );
    }

    let needles = needles(&secret);
    let mut found = hits(&m.data, &needles);
    found.extend(hits(
        m.key_file.as_ref().unwrap().parent().unwrap(),
        &needles,
    ));
    assert!(found.is_empty(), "the secret leaked to disk: {found:?}");
    assert!(
        !m.data.join("vault.key").exists(),
        "every command used MORPH_VAULT_KEY_FILE"
    );
    assert!(m.data.join("audit").read_dir().unwrap().next().is_some());
    for (what, bytes) in m.printed.borrow().iter() {
        for (encoding, needle) in &needles {
            assert!(
                !contains(bytes, needle),
                "{what} holds the secret ({encoding})"
            );
        }
    }
    // The hunt itself finds what it looks for.
    let planted = m.data.join("planted");
    let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("xy{secret}"));
    std::fs::write(&planted, url_safe).unwrap();
    let found = hits(&m.data, &needles);
    assert!(
        found.iter().all(|(path, _)| path == &planted)
            && found.iter().any(|(_, e)| e == "base64url at offset 2"),
        "{found:?}"
    );
}

/// A secret no file holds by chance, with characters that URL and form
/// encodings change.
pub(crate) fn distinctive_secret() -> String {
    let seed = format!("{:?}{}", std::time::SystemTime::now(), std::process::id());
    let digest = hex::encode(sha2::Sha256::digest(seed.as_bytes()));
    format!(
        "hunt {}/{}+={}&",
        &digest[..12],
        &digest[12..24],
        &digest[24..36]
    )
}

/// The forms a leak of `secret` could take: (name, bytes).
pub(crate) fn needles(secret: &str) -> Vec<(String, Vec<u8>)> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};
    let bytes = secret.as_bytes();
    let mut out = vec![("plain".to_owned(), bytes.to_vec())];
    // The random middle alone catches a partial leak.
    let core = secret.split(' ').nth(1).unwrap_or(secret);
    out.push(("plain core".to_owned(), core.as_bytes()[..12].to_vec()));
    for (name, engine) in [("base64", &STANDARD), ("base64url", &URL_SAFE)] {
        for shift in 0..3 {
            // The secret `shift` bytes into the encoded data: keep only the
            // characters that depend on the secret's bytes alone.
            let mut data = vec![0u8; shift];
            data.extend_from_slice(bytes);
            let encoded = engine.encode(&data);
            let start = if shift == 0 { 0 } else { 4 };
            let middle = &encoded[start..encoded.len() - 4];
            out.push((
                format!("{name} at offset {shift}"),
                middle.as_bytes().to_vec(),
            ));
        }
    }
    out.push(("hex".to_owned(), hex::encode(bytes).into_bytes()));
    out.push(("HEX".to_owned(), hex::encode_upper(bytes).into_bytes()));
    let every_byte: String = bytes.iter().map(|b| format!("%{b:02X}")).collect();
    out.push((
        "percent, every byte".to_owned(),
        every_byte.clone().into_bytes(),
    ));
    out.push((
        "percent, every byte, lower".to_owned(),
        every_byte.to_lowercase().into_bytes(),
    ));
    let component: String = bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    out.push((
        "percent, URI component".to_owned(),
        component.clone().into_bytes(),
    ));
    out.push((
        "percent, form".to_owned(),
        component.replace("%20", "+").into_bytes(),
    ));
    let utf16le: Vec<u8> = secret.encode_utf16().flat_map(u16::to_le_bytes).collect();
    out.push(("UTF-16LE".to_owned(), utf16le));
    let utf16be: Vec<u8> = secret.encode_utf16().flat_map(u16::to_be_bytes).collect();
    out.push(("UTF-16BE".to_owned(), utf16be));
    out
}

/// Every (file, encoding) under `dir` where a needle occurs.
pub(crate) fn hits(dir: &Path, needles: &[(String, Vec<u8>)]) -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(hits(&path, needles));
            continue;
        }
        let bytes = std::fs::read(&path).unwrap_or_default();
        for (encoding, needle) in needles {
            if contains(&bytes, needle) {
                found.push((path.clone(), encoding.clone()));
            }
        }
    }
    found
}

pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// On a terminal, `morph vault set` asks on the terminal with echo off: the
/// typed value never comes back to the screen, stdout or stderr.
#[cfg(target_os = "linux")]
#[test]
fn on_a_terminal_the_value_is_asked_for_without_echo() {
    use std::io::Read;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::process::CommandExt;
    use std::time::{Duration, Instant};

    let m = Morph::new();
    let typed = "typed-at-the-prompt-4e1b";
    // A pseudo-terminal for the child to have as its controlling terminal.
    // SAFETY: posix_openpt has no preconditions; the fd it returns is ours.
    let fd = unsafe { libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY) };
    assert!(fd >= 0, "{}", std::io::Error::last_os_error());
    // SAFETY: `fd` is a fresh descriptor nothing else owns; FD_CLOEXEC keeps
    // it out of the child (and of other tests' children).
    let master = unsafe {
        assert_eq!(libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC), 0);
        OwnedFd::from_raw_fd(fd)
    };
    let mut name = [0 as libc::c_char; 128];
    // SAFETY: `master` is an open pty master; `name` is a writable buffer of
    // the length passed.
    unsafe {
        assert_eq!(libc::grantpt(master.as_raw_fd()), 0);
        assert_eq!(libc::unlockpt(master.as_raw_fd()), 0);
        assert_eq!(
            libc::ptsname_r(master.as_raw_fd(), name.as_mut_ptr(), name.len()),
            0
        );
    }
    // SAFETY: ptsname_r wrote a NUL-terminated name into `name`.
    let slave_path = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) }
        .to_str()
        .unwrap()
        .to_owned();
    let slave = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open(&slave_path)
        .unwrap();

    let mut cmd = m.command(&["vault", "set", "prompted", "token"]);
    cmd.stdin(Stdio::from(slave))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setsid and ioctl are async-signal-safe and allocate nothing;
    // stdin (fd 0) is the pty's slave by the time this runs.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    drop(cmd); // our copy of the slave: the child must hold the last one

    let mut screen_file = std::fs::File::from(master.try_clone().unwrap());
    let screen = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let mut buf = [0u8; 256];
        // Ends with EIO once the child has closed the terminal.
        while let Ok(n) = screen_file.read(&mut buf) {
            if n == 0 {
                break;
            }
            bytes.extend_from_slice(&buf[..n]);
        }
        bytes
    });
    // Type only once echo is off (a pty master reads the slave's termios).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        // SAFETY: `termios` is plain data tcgetattr fills; `master` is open.
        let mut termios: libc::termios = unsafe { std::mem::zeroed() };
        assert_eq!(
            unsafe { libc::tcgetattr(master.as_raw_fd(), &mut termios) },
            0
        );
        if termios.c_lflag & libc::ECHO == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "echo was never turned off");
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut keyboard = std::fs::File::from(master);
    keyboard.write_all(format!("{typed}\n").as_bytes()).unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("morph vault set did not finish");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_end(&mut stderr)
        .unwrap();
    drop(keyboard);
    let screen = screen.join().unwrap();
    assert!(status.success(), "{}", String::from_utf8_lossy(&stderr));
    let screen = String::from_utf8_lossy(&screen);
    assert!(
        screen.contains("Value of token for prompted: "),
        "{screen:?}"
    );
    for (what, bytes) in [
        ("screen", screen.as_bytes()),
        ("stdout", &stdout),
        ("stderr", &stderr),
    ] {
        assert!(
            !contains(bytes, typed.as_bytes()),
            "the {what} shows the value"
        );
    }
    let package = m.package("prompted", None);
    let (code, env) = m.extension(&package, "read", &json!({"key": "token"}));
    assert_eq!((code, &env["result"]), (0, &json!(typed)));
}

/// The guests of the binding test, one per language, the same two actions:
/// `inject` asks the broker to put `token` into a header for `url` and
/// returns what the server answered; `leak` reads `token` itself and sends it
/// to `url` in the query.
const BOUND_GUESTS: [(&str, &str, &str); 2] = [
    (
        "js",
        "index.js",
        r#"
export function execute(action, params) {
  if (action === "inject") {
    const res = morph.http.fetch({ url: params.url, headers: { authorization: "Bearer {{vault:token}}" } });
    return { status: res.status, body: res.body };
  }
  const token = morph.vault.get("token");
  const res = morph.http.fetch({ url: params.url + "?t=" + encodeURIComponent(token) });
  return { status: res.status };
}
"#,
    ),
    (
        "python",
        "main.py",
        r#"
import urllib.parse
import morph

def execute(action, params):
    if action == "inject":
        res = morph.http.fetch({"url": params["url"], "headers": {"authorization": "Bearer {{vault:token}}"}})
        return {"status": res["status"], "body": res["body"]}
    token = morph.vault.get("token")
    res = morph.http.fetch({"url": params["url"] + "?t=" + urllib.parse.quote(token)})
    return {"status": res["status"]}
"#,
    ),
];

const BOUND_ACTIONS: &str = "actions:
  - {name: inject, description: Sends the bound token without reading it, parameters: [{name: url, type: string, required: true}]}
  - {name: leak, description: Reads the token and sends it in a query, parameters: [{name: url, type: string, required: true}]}
";

/// Issue 20, point 3, through the real binary in JS and Python.
/// THREATS.md, "Bypassing the broker's checks": secrets never reach a host
/// they are not bound to.
#[test]
fn a_secret_bound_to_a_host_is_filled_in_unseen_and_kept_from_other_hosts() {
    // The bound server echoes the authorization header it received.
    let bound = TestServer::start(|seen| {
        Reply::text(seen.header("authorization").unwrap_or("none").to_owned())
    });
    let other = TestServer::text("other");
    let m = Morph::new();
    let secret = distinctive_secret();
    for (runtime, entry, code) in BOUND_GUESTS {
        let id = format!("bound-{runtime}");
        let package = PackageSpec::new(&id, runtime, entry, code, BOUND_ACTIONS)
            .permissions(&["vault:read", "http:read"])
            .allowed_hosts(&[&bound.host(), &other.host()])
            .write(&m.tmp.path().join("packages"));
        let (code, set) = m.json(
            &["vault", "set", &id, "token", "--hosts", &bound.host()],
            format!("{secret}\n").as_bytes(),
        );
        assert_eq!(code, 0, "{set}");
        assert_eq!(set["result"]["hosts"], json!([bound.host()]));
        assert_eq!(set["audit"][0]["capability"], "host.vault.set");

        // Filled in for the bound host; the guest sees the placeholder.
        let (code, env) = m.extension(&package, "inject", &json!({"url": bound.url("/")}));
        assert_eq!(code, 0, "{runtime}: {env}");
        assert_eq!(env["result"]["status"], 200);
        assert_eq!(env["result"]["body"], "Bearer {{vault:token}}", "{runtime}");
        let last = bound.seen().last().cloned().unwrap();
        assert_eq!(
            last.header("authorization"),
            Some(format!("Bearer {secret}").as_str()),
            "{runtime}: the server received the value"
        );

        // Another allowed host gets neither the filled header nor the value
        // the guest read.
        let before = other.seen().len();
        for action in ["inject", "leak"] {
            let (code, env) = m.extension(&package, action, &json!({"url": other.url("/")}));
            assert_eq!(code, 1, "{runtime} {action}: {env}");
            assert_eq!(
                env["error"]["code"], "permission_denied",
                "{runtime} {action}"
            );
            let message = env["error"]["message"].as_str().unwrap();
            assert!(message.contains("`token` is bound to"), "{message}");
            let denied = env["audit"].as_array().unwrap().last().unwrap().clone();
            assert_eq!(
                (denied["capability"].as_str(), denied["decision"].as_str()),
                (Some("http.fetch"), Some("denied")),
                "{runtime} {action}: {env}"
            );
        }
        assert_eq!(other.seen().len(), before, "{runtime}: nothing reached it");
        // Reading it and sending it to its own host is allowed.
        let (code, env) = m.extension(&package, "leak", &json!({"url": bound.url("/")}));
        assert_eq!((code, &env["result"]["status"]), (0, &json!(200)), "{env}");

        let (_, list) = m.json(&["vault", "list", &id], b"");
        assert_eq!(list["result"]["keys"][0]["hosts"], json!([bound.host()]));
    }
    let needles = needles(&secret);
    let found = hits(&m.data, &needles);
    assert!(found.is_empty(), "the secret leaked to disk: {found:?}");
    for (what, bytes) in m.printed.borrow().iter() {
        for (encoding, needle) in &needles {
            assert!(
                !contains(bytes, needle),
                "{what} holds the secret ({encoding})"
            );
        }
    }
    let out = m.run(&["audit", "--verify"], b"");
    assert_eq!(out.status.code(), Some(0));
}
