//! Reading a secret from the user: from stdin when it is piped or
//! redirected, else from the terminal with echo off (`rpassword`, which
//! prompts on and reads from `/dev/tty`). **The secret is never echoed,
//! written to stdout or stderr, or put in an error message**: errors say
//! what is wrong with it (empty, too long, not UTF-8), never what it is.

use std::io::{IsTerminal, Read};

use morph_runtime_core::Error;

/// Reads one secret of at most `max_bytes` bytes, asking with `prompt` on a
/// terminal. From stdin, everything is the secret except one trailing
/// newline (`\n` or `\r\n`), so `printf '%s' "$T"`, `echo "$T"` and a file
/// holding it all give the same value.
///
/// # Errors
/// `io` when stdin or the terminal cannot be read; `invalid_params` when
/// the secret is empty, longer than `max_bytes` or not UTF-8.
pub fn read_secret(prompt: &str, max_bytes: usize) -> Result<String, Error> {
    let stdin = std::io::stdin();
    let mut bytes = if stdin.is_terminal() {
        rpassword::prompt_password(prompt)
            .map_err(|e| Error::io("reading the value from the terminal", e))?
            .into_bytes()
    } else {
        let mut bytes = Vec::new();
        let cap = u64::try_from(max_bytes)
            .unwrap_or(u64::MAX)
            .saturating_add(2);
        stdin
            .lock()
            .take(cap)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io("reading the value from stdin", e))?;
        bytes
    };
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
    if bytes.is_empty() {
        return Err(Error::params(
            "value",
            "empty: pipe the secret to stdin or type it at the prompt",
        ));
    }
    if bytes.len() > max_bytes {
        return Err(Error::params(
            "value",
            format!("longer than {max_bytes} bytes"),
        ));
    }
    String::from_utf8(bytes).map_err(|_| Error::params("value", "not UTF-8 text"))
}
