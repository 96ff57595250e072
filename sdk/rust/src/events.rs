//! `events.emit` and the [`Event`] an extension receives in
//! [`Extension::on_event`](crate::Extension::on_event).
//!
//! **The host stamps the source**: an emitted event's `source` is the
//! emitting extension's id, never something the guest says.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::Result;
use crate::host::invoke;

/// An event on the host bus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The emitting extension's id, or `host` for host events.
    pub source: String,
    /// `debug`, `info`, `warn` or `error`.
    pub level: String,
    /// The message.
    pub message: String,
    /// The structured payload (`null` when none).
    #[serde(default)]
    pub data: Value,
    /// When it was emitted, Unix milliseconds.
    pub ts_ms: u64,
}

/// Emits an event with `level` (`debug`, `info`, `warn` or `error`).
///
/// ```no_run
/// morph_sdk::events::emit("info", "created issue #42")?;
/// # Ok::<(), morph_sdk::Error>(())
/// ```
///
/// # Errors
/// `permission_denied` without `event:emit`; `invalid_request` for an unknown
/// level or a message over 16 KiB.
pub fn emit(level: &str, message: &str) -> Result<()> {
    invoke(
        "events.emit",
        &json!({ "level": level, "message": message }),
    )?;
    Ok(())
}

/// Emits an event with a structured payload (at most 64 KiB serialised).
///
/// # Errors
/// As [`emit`], and `invalid_request` for oversize data.
pub fn emit_with_data(level: &str, message: &str, data: Value) -> Result<()> {
    invoke(
        "events.emit",
        &json!({ "level": level, "message": message, "data": data }),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::mock;

    #[test]
    fn emit_sends_level_message_and_data() {
        let sent = mock::record(json!({"ok": null}));
        emit("info", "hi").unwrap();
        emit_with_data("warn", "hi", json!({"n": 1})).unwrap();
        assert_eq!(
            *sent.borrow(),
            vec![
                (
                    "events.emit".to_owned(),
                    json!({"level": "info", "message": "hi"})
                ),
                (
                    "events.emit".to_owned(),
                    json!({"level": "warn", "message": "hi", "data": {"n": 1}})
                ),
            ]
        );
    }

    #[test]
    fn events_parse_from_the_host_shape() {
        let e: Event = serde_json::from_value(
            json!({"source": "host", "level": "info", "message": "m", "ts_ms": 9}),
        )
        .unwrap();
        assert_eq!(e.data, Value::Null);
        assert_eq!(e.ts_ms, 9);
    }
}
