//! The panic hook: a guest panic is reported to the host through the ABI's
//! `morph.panic` import before the module traps, so the host's `guest_crash`
//! carries the message and where it happened.
//!
//! **At most [`MAX_PANIC_BYTES`] are sent**, cut on a character boundary
//! (the host keeps the first 4 KiB anyway). The hook is installed by the first
//! entry point of an instance; `wasm32-unknown-unknown` aborts on panic, so
//! the trap follows the hook.

/// The most bytes of a panic message sent to the host.
pub const MAX_PANIC_BYTES: usize = 4096;

#[cfg(any(target_arch = "wasm32", test))]
/// The report for a panic: the payload's text, then its location.
pub(crate) fn describe(message: Option<&str>, location: Option<(&str, u32, u32)>) -> String {
    let message = message.unwrap_or("the guest panicked with a non-string payload");
    match location {
        Some((file, line, column)) => format!("{message} (at {file}:{line}:{column})"),
        None => message.to_owned(),
    }
}

#[cfg(any(target_arch = "wasm32", test))]
/// The longest prefix of `text` that fits in `max` bytes without splitting a
/// character.
pub(crate) fn truncate(text: &str, max: usize) -> &str {
    text.get(..text.floor_char_boundary(max))
        .unwrap_or_default()
}

/// Installs the hook once per instance.
#[cfg(target_arch = "wasm32")]
pub(crate) fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(report)));
}

#[cfg(target_arch = "wasm32")]
fn report(info: &std::panic::PanicHookInfo<'_>) {
    #[link(wasm_import_module = "morph")]
    unsafe extern "C" {
        #[link_name = "panic"]
        fn host_panic(ptr: *const u8, len: usize);
    }
    let location = info.location().map(|l| (l.file(), l.line(), l.column()));
    let text = describe(info.payload_as_str(), location);
    let text = truncate(&text, MAX_PANIC_BYTES);
    // SAFETY: `text` is a live, initialised slice for the duration of the
    // call; the host only reads it.
    unsafe { host_panic(text.as_ptr(), text.len()) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_name_the_message_and_the_place() {
        assert_eq!(
            describe(Some("boom"), Some(("src/lib.rs", 3, 9))),
            "boom (at src/lib.rs:3:9)"
        );
        assert_eq!(describe(Some("boom"), None), "boom");
        assert!(describe(None, None).contains("non-string payload"));
    }

    #[test]
    fn truncation_respects_the_cap_and_char_boundaries() {
        assert_eq!(truncate("short", MAX_PANIC_BYTES), "short");
        let long = "é".repeat(MAX_PANIC_BYTES); // 2 bytes each
        let cut = truncate(&long, MAX_PANIC_BYTES);
        assert_eq!(cut.len(), MAX_PANIC_BYTES);
        let odd = format!("a{long}");
        let cut = truncate(&odd, MAX_PANIC_BYTES);
        assert_eq!(cut.len(), MAX_PANIC_BYTES - 1);
        assert!(cut.starts_with('a'));
    }
}
