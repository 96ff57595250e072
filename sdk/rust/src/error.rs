//! [`Error`]: what an extension returns when it fails, and what a capability
//! call returns when the host refuses or fails it.
//!
//! **An error keeps the host's code**: a capability wrapper returns the code
//! the host sent (`permission_denied`, `host_not_allowed`, ...), so `?` hands
//! it on unchanged and the host can report it. A guest cannot promote its own
//! failure to such a code: the host honours a returned code only when a
//! capability call of the same call really produced it (see `ABI.md`), and
//! reports everything else as `guest_error`.

use std::fmt;

/// The code of an error the extension raised itself.
pub const GUEST_ERROR: &str = "guest_error";

/// An error with a stable [`code`](Error::code) and a human-readable message.
///
/// Build one with [`Error::new`] (code `guest_error`); capability wrappers
/// return errors carrying the host's code. Any `serde_json::Error` converts
/// into one, so `?` works on (de)serialisation too.
///
/// ```
/// use morph_sdk::Error;
///
/// let e = Error::new("the repository is archived");
/// assert_eq!(e.code(), "guest_error");
/// assert_eq!(e.to_string(), "guest_error: the repository is archived");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    code: String,
    message: String,
}

impl Error {
    /// An error raised by the extension itself (code `guest_error`).
    pub fn new(message: impl Into<String>) -> Error {
        Error::with_code(GUEST_ERROR, message)
    }

    /// An error with an explicit code.
    ///
    /// The host keeps a code other than `guest_error` only if a capability
    /// call of this very call returned it; use this to rebuild an error you
    /// received, not to invent one.
    pub fn with_code(code: impl Into<String>, message: impl Into<String>) -> Error {
        Error {
            code: code.into(),
            message: message.into(),
        }
    }

    /// The stable code, e.g. `guest_error` or `permission_denied`
    /// (the brief's section 8 lists them).
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The `{"code", "message"}` object of the error envelope.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "code": self.code, "message": self.message })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Error {
        Error::new(format!("JSON: {e}"))
    }
}

/// `Result<T, morph_sdk::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_errors_are_guest_errors() {
        let e = Error::new("boom");
        assert_eq!(e.code(), GUEST_ERROR);
        assert_eq!(e.message(), "boom");
        assert_eq!(e.to_string(), "guest_error: boom");
    }

    #[test]
    fn json_errors_convert_with_their_message() {
        let json_err = serde_json::from_str::<u32>("\"x\"").unwrap_err();
        let e = Error::from(json_err);
        assert_eq!(e.code(), GUEST_ERROR);
        assert!(e.message().starts_with("JSON: invalid type"), "{e}");
    }

    #[test]
    fn the_envelope_object_has_code_and_message() {
        let e = Error::with_code("permission_denied", "no vault:read");
        assert_eq!(
            e.to_json(),
            serde_json::json!({"code": "permission_denied", "message": "no vault:read"})
        );
    }
}
