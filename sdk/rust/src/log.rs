//! `log`: lines for the host's log, always allowed.
//!
//! **Log lines count toward `max_output_kb`** together with the result; a call
//! that logs past its budget is stopped by the host with `output_too_large`
//! (a limit, not an error the guest can handle).

use serde_json::json;

use crate::error::Result;
use crate::host::invoke;

fn log(level: &str, message: &str) -> Result<()> {
    invoke("log", &json!({ "level": level, "message": message }))?;
    Ok(())
}

/// Logs at `debug`.
///
/// # Errors
/// Only if the host refuses the line (outside a host: `unknown_capability`).
pub fn debug(message: &str) -> Result<()> {
    log("debug", message)
}

/// Logs at `info`.
///
/// ```no_run
/// morph_sdk::log::info("fetching the issue")?;
/// # Ok::<(), morph_sdk::Error>(())
/// ```
///
/// # Errors
/// As [`debug`].
pub fn info(message: &str) -> Result<()> {
    log("info", message)
}

/// Logs at `warn`.
///
/// # Errors
/// As [`debug`].
pub fn warn(message: &str) -> Result<()> {
    log("warn", message)
}

/// Logs at `error`.
///
/// # Errors
/// As [`debug`].
pub fn error(message: &str) -> Result<()> {
    log("error", message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::mock;

    #[test]
    fn each_level_is_sent_by_name() {
        let sent = mock::record(json!({"ok": null}));
        debug("a").unwrap();
        info("b").unwrap();
        warn("c").unwrap();
        error("d").unwrap();
        let levels: Vec<_> = sent
            .borrow()
            .iter()
            .map(|(cap, req)| {
                assert_eq!(cap, "log");
                req["level"].clone()
            })
            .collect();
        assert_eq!(
            levels,
            [json!("debug"), json!("info"), json!("warn"), json!("error")]
        );
    }
}
