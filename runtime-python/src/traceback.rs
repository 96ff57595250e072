//! Host-side formatting of guest exceptions: message and traceback.
//!
//! **Formatting never runs guest code and never recurses on guest-shaped
//! data**: it reads the exception's class name, its `args` (only `str`, `int`
//! and `float` items are shown, never through `__str__`/`__repr__`), and walks
//! the traceback and the `__cause__`/`__context__` chain in bounded loops.
//! RustPython's own `write_exception` recursed over a deep exception chain
//! until the process crashed; this module exists so that never happens here.

use rustpython_vm::AsObject;
use rustpython_vm::builtins::{PyBaseExceptionRef, PyFloat, PyInt, PyStr};
use rustpython_vm::{PyObjectRef, VirtualMachine};

/// Frames shown per traceback (the innermost ones are kept).
pub const MAX_FRAMES: usize = 32;
/// Chained exceptions (`__cause__`/`__context__`) shown.
pub const MAX_CHAIN: usize = 3;
/// Longest message kept, in bytes.
pub const MAX_MESSAGE: usize = 4096;
/// Longest formatted stack kept, in bytes.
pub const MAX_STACK: usize = 16 * 1024;

/// A guest exception, formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Formatted {
    /// The exception's class name (bounded).
    pub type_name: String,
    /// `Type: message`, bounded.
    pub message: String,
    /// The traceback in Python's layout (innermost call last), bounded.
    pub stack: String,
}

/// Formats `exc` without running guest code.
pub fn format(vm: &VirtualMachine, exc: &PyBaseExceptionRef) -> Formatted {
    let type_name = bounded(&exc.class().name(), 128);
    let message = headline(vm, exc);
    let mut stack = String::new();
    let mut current = Some(exc.clone());
    let mut links = 0;
    while let Some(e) = current {
        let mut block = String::from("Traceback (most recent call last):\n");
        frames(&e, &mut block);
        block.push_str(&headline(vm, &e));
        block.push('\n');
        // Python prints the oldest cause first.
        block.push_str(&stack);
        stack = block;
        links += 1;
        if links > MAX_CHAIN {
            break;
        }
        current = match (e.__cause__(), e.__context__()) {
            (Some(cause), _) => {
                stack.insert_str(
                    0,
                    "\nThe above exception was the direct cause of the following exception:\n\n",
                );
                Some(cause)
            }
            (None, Some(ctx)) => {
                stack.insert_str(
                    0,
                    "\nDuring handling of the above exception, another exception occurred:\n\n",
                );
                Some(ctx)
            }
            (None, None) => None,
        };
        if stack.len() > MAX_STACK {
            break;
        }
    }
    let stack = bounded(stack.trim_start_matches('\n'), MAX_STACK);
    Formatted {
        type_name,
        message,
        stack,
    }
}

/// `Type: arg` from the class name and the exception's plain arguments.
fn headline(_vm: &VirtualMachine, exc: &PyBaseExceptionRef) -> String {
    let name = bounded(&exc.class().name(), 128);
    let args = exc.args();
    let parts: Vec<String> = args.as_slice().iter().take(4).map(plain).collect();
    let text = match parts.len() {
        0 => return name,
        1 => parts.into_iter().next().unwrap_or_default(),
        _ => format!("({})", parts.join(", ")),
    };
    bounded(&format!("{name}: {text}"), MAX_MESSAGE)
}

/// A plain rendering of an exception argument that runs no guest code.
fn plain(obj: &PyObjectRef) -> String {
    if let Some(s) = obj.downcast_ref::<PyStr>() {
        return bounded(&s.to_string_lossy(), MAX_MESSAGE);
    }
    if let Some(i) = obj.downcast_ref::<PyInt>() {
        let digits = i.as_bigint().bits();
        if digits <= 256 {
            return i.as_bigint().to_string();
        }
        return format!("<int of {digits} bits>");
    }
    if let Some(f) = obj.downcast_ref::<PyFloat>() {
        return f.to_f64().to_string();
    }
    format!("<{}>", bounded(&obj.class().name(), 64))
}

/// The traceback's frames, innermost last, at most [`MAX_FRAMES`].
fn frames(exc: &PyBaseExceptionRef, out: &mut String) {
    let mut lines: Vec<String> = Vec::new();
    let mut skipped = 0usize;
    let mut tb = exc.__traceback__();
    // Bounded walk: a traceback chain is finite, but it can be long.
    let mut seen = 0usize;
    while let Some(t) = tb {
        seen += 1;
        if seen > 100_000 {
            break;
        }
        let code = &t.frame.code;
        let line = format!(
            "  File \"{}\", line {}, in {}\n",
            bounded(code.source_path().as_str(), 256),
            t.lineno.get(),
            bounded(code.code.obj_name.as_str(), 128),
        );
        if lines.len() == MAX_FRAMES {
            lines.remove(0);
            skipped += 1;
        }
        lines.push(line);
        tb = t.next.lock().clone();
    }
    if skipped > 0 {
        out.push_str(&format!("  [{skipped} outer frames omitted]\n"));
    }
    for l in lines {
        out.push_str(&l);
    }
}

/// Cuts `s` to at most `max` bytes on a character boundary.
pub fn bounded(s: &str, max: usize) -> String {
    morph_capabilities::truncate_for_message(s, max)
}
