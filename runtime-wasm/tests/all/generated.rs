//! ABI guests generated as bytes, of any size: the modules the compile
//! budget tests need (hundreds of thousands of functions would be megabytes
//! of WAT).
//!
//! Every module follows the ABI (`memory`, `morph_abi_version`, a bump
//! `morph_alloc`, `morph_free`, a `morph_execute` answering `{"ok":42}`)
//! and adds `count` filler functions of type `() -> ()`.

/// What each filler function does.
#[derive(Debug, Clone, Copy)]
pub enum Filler {
    /// `repeats` times `i32.const 1; i32.const 2; i32.add; drop` (Cranelift
    /// still spends its per-function cost on each).
    Tiny { repeats: u32 },
    /// `repeats` times a block with a `br_if` and a call to another filler:
    /// code Cranelift and metering find expensive, per byte.
    Branchy { repeats: u32 },
}

/// A module with `count` fillers.
pub fn abi_module(count: u32, filler: Filler) -> Vec<u8> {
    let mut m = b"\0asm\x01\0\0\0".to_vec();

    let mut types = Vec::new();
    leb(5, &mut types);
    types.extend([0x60, 0, 0]); // 0: () -> ()
    types.extend([0x60, 0, 1, 0x7f]); // 1: () -> i32
    types.extend([0x60, 1, 0x7f, 1, 0x7f]); // 2: (i32) -> i32
    types.extend([0x60, 2, 0x7f, 0x7f, 0]); // 3: (i32, i32) -> ()
    types.extend([0x60, 2, 0x7f, 0x7f, 1, 0x7e]); // 4: (i32, i32) -> i64
    section(1, types, &mut m);

    let mut functions = Vec::new();
    leb(4 + u64::from(count), &mut functions);
    functions.extend([1, 2, 3, 4]);
    functions.extend(std::iter::repeat_n(0, count as usize));
    section(3, functions, &mut m);

    section(5, vec![1, 0, 1], &mut m); // one memory, 1 page
    section(6, vec![1, 0x7f, 1, 0x41, 0x80, 0x08, 0x0b], &mut m); // mut i32 = 1024

    let mut exports = Vec::new();
    let names: [(&str, u8, u8); 5] = [
        ("memory", 2, 0),
        ("morph_abi_version", 0, 0),
        ("morph_alloc", 0, 1),
        ("morph_free", 0, 2),
        ("morph_execute", 0, 3),
    ];
    leb(names.len() as u64, &mut exports);
    for (name, kind, index) in names {
        leb(name.len() as u64, &mut exports);
        exports.extend(name.as_bytes());
        exports.extend([kind, index]);
    }
    section(7, exports, &mut m);

    let mut code = Vec::new();
    leb(4 + u64::from(count), &mut code);
    body(&[0, 0x41, 1, 0x0b], &mut code); // i32.const 1
    // global.get; global.get; local.get 0; i32.add; global.set: the old bump.
    body(
        &[0, 0x23, 0, 0x23, 0, 0x20, 0, 0x6a, 0x24, 0, 0x0b],
        &mut code,
    );
    body(&[0, 0x0b], &mut code);
    let mut execute = vec![0, 0x42];
    sleb((16 << 32) | 9, &mut execute); // {"ok":42} at 16, 9 bytes
    execute.push(0x0b);
    body(&execute, &mut code);
    for i in 0..count {
        body(&filler_body(filler, i, count), &mut code);
    }
    section(10, code, &mut m);

    let mut data = vec![1, 0, 0x41, 16, 0x0b];
    let text = br#"{"ok":42}"#;
    leb(text.len() as u64, &mut data);
    data.extend(text);
    section(11, data, &mut m);
    m
}

fn filler_body(filler: Filler, index: u32, count: u32) -> Vec<u8> {
    let mut f = Vec::new();
    match filler {
        Filler::Tiny { repeats } => {
            f.push(0); // no locals
            for _ in 0..repeats {
                f.extend([0x41, 1, 0x41, 2, 0x6a, 0x1a]);
            }
        }
        Filler::Branchy { repeats } => {
            f.extend([1, 2, 0x7f]); // two i32 locals
            for r in 0..repeats {
                // block; local.get 0; br_if 0; local.get 1; i32.const 1;
                // i32.add; local.set 1; call <another filler>; end
                f.extend([
                    0x02, 0x40, 0x20, 0, 0x0d, 0, 0x20, 1, 0x41, 1, 0x6a, 0x21, 1, 0x10,
                ]);
                leb(u64::from(4 + (index + r + 1) % count), &mut f);
                f.push(0x0b);
            }
            // local.get 1; local.get 0; i32.store
            f.extend([0x20, 1, 0x20, 0, 0x36, 2, 0]);
        }
    }
    f.push(0x0b);
    f
}

fn body(bytes: &[u8], out: &mut Vec<u8>) {
    leb(bytes.len() as u64, out);
    out.extend(bytes);
}

fn section(id: u8, bytes: Vec<u8>, out: &mut Vec<u8>) {
    out.push(id);
    leb(bytes.len() as u64, out);
    out.extend(bytes);
}

fn leb(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn sleb(mut v: i64, out: &mut Vec<u8>) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if (v == 0 && byte & 0x40 == 0) || (v == -1 && byte & 0x40 != 0) {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}
