//! The name of the SDK that built a wasm module: its `morph_sdk` custom
//! section (runtime-wasm's ABI.md, "The SDK's name"), for `morph inspect`
//! and `morph package` to show.
//!
//! The section is the module author's claim, never trusted for anything but
//! display: **a section that is too long, not UTF-8 or holds a control
//! character is ignored**, so what a tool prints from it cannot be a
//! terminal escape sequence or a wall of text. Reading never fails and
//! never panics, whatever the bytes: a module that does not parse has no
//! SDK name.

use wasmparser::{Parser, Payload};

/// The custom section that names the SDK.
pub const SDK_SECTION: &str = "morph_sdk";

/// The longest SDK name shown, in bytes; a longer section is ignored.
pub const MAX_SDK_NAME_BYTES: usize = 256;

/// The content of the module's first `morph_sdk` section, such as
/// `morph-sdk-rust/0.1.0`, when it is a short, printable UTF-8 text.
///
/// Returns `None` when `wasm` is not a module, has no such section, or its
/// section is empty, longer than [`MAX_SDK_NAME_BYTES`], not UTF-8, or
/// holds a control character.
///
/// ```
/// // A module of just the header and one custom section.
/// let mut wasm = b"\0asm\x01\0\0\0".to_vec();
/// let name = b"morph_sdk";
/// let text = b"morph-sdk-rust/0.1.0";
/// wasm.push(0); // custom section
/// wasm.push((1 + name.len() + text.len()) as u8);
/// wasm.push(name.len() as u8);
/// wasm.extend_from_slice(name);
/// wasm.extend_from_slice(text);
/// assert_eq!(
///     morph_package::sdk_name(&wasm).as_deref(),
///     Some("morph-sdk-rust/0.1.0")
/// );
/// assert_eq!(morph_package::sdk_name(b"not wasm"), None);
/// ```
pub fn sdk_name(wasm: &[u8]) -> Option<String> {
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.ok()? {
            Payload::CustomSection(section) if section.name() == SDK_SECTION => {
                return shown(section.data());
            }
            Payload::End(_) => return None,
            _ => {}
        }
    }
    None
}

/// `data` as a name to show, if it is one.
fn shown(data: &[u8]) -> Option<String> {
    if data.is_empty() || data.len() > MAX_SDK_NAME_BYTES {
        return None;
    }
    let text = std::str::from_utf8(data).ok()?;
    if text.chars().any(char::is_control) {
        return None;
    }
    Some(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module_with(section: &str, data: &[u8]) -> Vec<u8> {
        let mut body = vec![u8::try_from(section.len()).unwrap()];
        body.extend_from_slice(section.as_bytes());
        body.extend_from_slice(data);
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        wasm.push(0);
        // A LEB128 u32 of the body's length.
        let mut len = u32::try_from(body.len()).unwrap();
        loop {
            let byte = (len & 0x7f) as u8;
            len >>= 7;
            if len == 0 {
                wasm.push(byte);
                break;
            }
            wasm.push(byte | 0x80);
        }
        wasm.extend_from_slice(&body);
        wasm
    }

    #[test]
    fn reads_the_name_and_ignores_other_sections() {
        let mut wasm = module_with("producers", b"\x00");
        wasm.extend_from_slice(&module_with(SDK_SECTION, b"morph-sdk-c/0.1.0")[8..]);
        assert_eq!(sdk_name(&wasm).as_deref(), Some("morph-sdk-c/0.1.0"));
        assert_eq!(sdk_name(&module_with("name", b"\x00")), None);
    }

    #[test]
    fn ignores_a_section_that_is_too_long_not_utf8_empty_or_has_controls() {
        let longest = "x".repeat(MAX_SDK_NAME_BYTES);
        assert_eq!(
            sdk_name(&module_with(SDK_SECTION, longest.as_bytes())),
            Some(longest.clone())
        );
        let too_long = "x".repeat(MAX_SDK_NAME_BYTES + 1);
        assert_eq!(
            sdk_name(&module_with(SDK_SECTION, too_long.as_bytes())),
            None
        );
        assert_eq!(sdk_name(&module_with(SDK_SECTION, b"sdk/\xff")), None);
        assert_eq!(sdk_name(&module_with(SDK_SECTION, b"")), None);
        assert_eq!(sdk_name(&module_with(SDK_SECTION, b"sdk/1\x1b[2J")), None);
        assert_eq!(sdk_name(&module_with(SDK_SECTION, b"sdk/1\n")), None);
    }

    #[test]
    fn a_truncated_or_foreign_input_has_no_name() {
        let wasm = module_with(SDK_SECTION, b"morph-sdk-rust/0.1.0");
        for cut in 0..wasm.len() {
            assert_eq!(sdk_name(&wasm[..cut]), None, "cut at {cut}");
        }
        assert_eq!(sdk_name(b""), None);
        assert_eq!(sdk_name(b"\0asm\x0d\0\x01\0"), None);
    }
}
