//! Size guards: builtins whose result size comes from guest input refuse,
//! **before allocating**, a result the call cannot afford.
//!
//! Rust aborts the process on a failed allocation, and Boa sizes several
//! allocations straight from guest numbers (`Array.prototype.join` reserves
//! two slots per index of a 2^32-1 long sparse array, `repeat` one slice per
//! repetition), so the only in-process answer is to say no first. Each
//! builtin in [`GUARDED`] is replaced (before any guest code runs, over the
//! callback guards of [`crate::guards`]) by a native wrapper
//! ([`crate::builtin_wrap`]) that estimates the bytes the original will
//! allocate and, when they exceed what the call may still allocate
//! ([`Shared::room`]: the rest of its budget, so a small operation after
//! big live data is refused too), **ends the call uncatchably with
//! `memory_limit`** ([`Shared::ensure_room`], which first collects garbage
//! once). Otherwise the original runs.
//!
//! The estimates follow Boa 0.22's implementations (what each reserves,
//! copies and builds), counting a string's code units at the width its
//! storage has (Latin-1 one byte, UTF-16 two) and two where the result's is
//! not known. **Reading guest data for an estimate runs no guest code
//! twice and leaves no gap between the estimate and the allocation**:
//! lengths and elements are read from storage (own and inherited data
//! properties, never a getter or a proxy trap). The string builders convert
//! their receiver and arguments (`ToString`, `ToIntegerOrInfinity`) once,
//! in the builtin's own order, and hand the converted values to the
//! original, so a guest `toString` runs once and cannot answer differently
//! the second time; the array builders convert only primitives (which runs
//! no guest code) and assume the widest range for an object argument,
//! which the builtin converts in its own order. A receiver the wrapper
//! cannot read that way (a proxy, an accessor `length`) goes to the
//! original unestimated: the allocator's ceiling
//! ([`morph_runtime_core::allocation`]) is the backstop there.
//!
//! `repeat` is built by the wrapper itself: Boa's lists one slice per
//! repetition, 24 times the result for a one-character string.
//!
//! `Array.prototype.toString` is covered through `join`, which it calls
//! (the guarded one: the original is out of the guest's reach). Buffers
//! and typed arrays are capped by the host hook ([`crate::hooks`]).
//!
//! The estimates live by kind: [`strings`] (and `BigInt` text), [`arrays`],
//! [`json`]; [`storage`] reads guest data without running guest code.

mod arrays;
mod json;
mod storage;
mod strings;

use std::mem::size_of;

use boa_engine::value::IntegerOrInfinity;
use boa_engine::{Context, JsObject, JsResult, JsString, JsValue};

use crate::builtin_wrap::{replace, resolve};
use crate::call_state::Shared;

/// Bytes counted per array element a builtin creates: a value slot, with
/// room for the storage's growth.
pub const ELEMENT_BYTES: u64 = 16;

/// Bytes counted per string a builtin creates, apart from its code units
/// (the string's header, or a slice's, and the value holding it).
pub const STRING_BYTES: u64 = 32;

/// Longest string Boa builds; past it Boa throws its own `RangeError`
/// without allocating, so the guards let it.
const MAX_STRING_LENGTH: u64 = u32::MAX as u64;

/// Most element reads one estimate makes (a `flat` or `JSON.stringify` of
/// a huge graph): past it the estimate stops with what it counted.
const MAX_ESTIMATE_STEPS: u64 = 1 << 24;

/// What a wrapper estimates.
#[derive(Clone, Copy, Debug)]
enum Size {
    /// `repeat(count)`.
    Repeat,
    /// `padStart` / `padEnd(maxLength, fillString)`.
    Pad,
    /// `String.prototype.concat(...strings)`.
    StringConcat,
    /// `normalize(form)`.
    Normalize,
    /// `split(separator, limit)` with a string separator.
    Split,
    /// `replace` / `replaceAll(string, string)`.
    Replace { all: bool },
    /// `toUpperCase` and friends.
    Case,
    /// `Array.prototype.join(separator)`.
    Join,
    /// `Array.prototype.toLocaleString()`.
    LocaleJoin,
    /// `%TypedArray%.prototype.join` / `toLocaleString`.
    TypedJoin { locale: bool },
    /// `fill(value, start, end)`.
    Fill,
    /// `Array.from(items)` without a mapping callback.
    From,
    /// `Array.prototype.concat(...items)`.
    ArrayConcat,
    /// `flat(depth)`.
    Flat,
    /// `toSpliced(start, skipCount, ...items)`.
    ToSpliced,
    /// `with`, `toReversed`, `toSorted`: a new dense array of `length`.
    Copy,
    /// `sort`: a list of every index, sorted, written back.
    Sort,
    /// `slice(start, end)`.
    Slice,
    /// `apply` / `Reflect.apply` / `Reflect.construct`: the argument list
    /// at this position.
    ArgList(usize),
    /// `JSON.stringify(value)` without a replacer.
    Stringify,
    /// `Object.keys` and friends: one key per own property.
    Keys { per_key: u64 },
    /// `escape`, `encodeURI`, `encodeURIComponent`.
    Escape { uri: bool },
    /// `BigInt.prototype.toString(radix)` / `toLocaleString`.
    BigIntText { locale: bool },
    /// `BigInt.asUintN` / `asIntN(bits, bigint)`.
    BigIntWrap { signed: bool },
}

/// (object path, method, estimate); `%TypedArray%.prototype` is the
/// prototype of `Uint8Array.prototype`, `globalThis` the global object.
const GUARDED: &[(&str, &str, Size)] = &[
    ("String.prototype", "repeat", Size::Repeat),
    ("String.prototype", "padStart", Size::Pad),
    ("String.prototype", "padEnd", Size::Pad),
    ("String.prototype", "concat", Size::StringConcat),
    ("String.prototype", "normalize", Size::Normalize),
    ("String.prototype", "split", Size::Split),
    ("String.prototype", "replace", Size::Replace { all: false }),
    (
        "String.prototype",
        "replaceAll",
        Size::Replace { all: true },
    ),
    ("String.prototype", "toUpperCase", Size::Case),
    ("String.prototype", "toLowerCase", Size::Case),
    ("String.prototype", "toLocaleUpperCase", Size::Case),
    ("String.prototype", "toLocaleLowerCase", Size::Case),
    ("Array.prototype", "join", Size::Join),
    ("Array.prototype", "toLocaleString", Size::LocaleJoin),
    ("Array.prototype", "fill", Size::Fill),
    ("Array.prototype", "concat", Size::ArrayConcat),
    ("Array.prototype", "flat", Size::Flat),
    ("Array.prototype", "toSpliced", Size::ToSpliced),
    ("Array.prototype", "with", Size::Copy),
    ("Array.prototype", "toReversed", Size::Copy),
    ("Array.prototype", "toSorted", Size::Copy),
    ("Array.prototype", "sort", Size::Sort),
    ("Array.prototype", "slice", Size::Slice),
    ("Array", "from", Size::From),
    (
        "%TypedArray%.prototype",
        "join",
        Size::TypedJoin { locale: false },
    ),
    (
        "%TypedArray%.prototype",
        "toLocaleString",
        Size::TypedJoin { locale: true },
    ),
    ("Function.prototype", "apply", Size::ArgList(1)),
    ("Reflect", "apply", Size::ArgList(2)),
    ("Reflect", "construct", Size::ArgList(1)),
    ("JSON", "stringify", Size::Stringify),
    ("Object", "keys", Size::Keys { per_key: 72 }),
    ("Object", "getOwnPropertyNames", Size::Keys { per_key: 72 }),
    ("Reflect", "ownKeys", Size::Keys { per_key: 72 }),
    ("Object", "values", Size::Keys { per_key: 40 }),
    ("Object", "entries", Size::Keys { per_key: 240 }),
    (
        "BigInt.prototype",
        "toString",
        Size::BigIntText { locale: false },
    ),
    (
        "BigInt.prototype",
        "toLocaleString",
        Size::BigIntText { locale: true },
    ),
    ("BigInt", "asUintN", Size::BigIntWrap { signed: false }),
    ("BigInt", "asIntN", Size::BigIntWrap { signed: true }),
    ("globalThis", "escape", Size::Escape { uri: false }),
    ("globalThis", "encodeURI", Size::Escape { uri: true }),
    (
        "globalThis",
        "encodeURIComponent",
        Size::Escape { uri: true },
    ),
];

/// Installs every size guard. Runs before any guest code, after
/// [`crate::guards::install`] (the size check runs first, then the
/// callback and nesting guards, then the builtin).
///
/// # Errors
/// Engine errors while rewiring builtins (none expected).
pub(crate) fn install(ctx: &mut Context) -> JsResult<()> {
    for &(path, method, size) in GUARDED {
        if let Some(target) = resolve(path, ctx)? {
            replace(
                &target,
                method,
                move |original, this, args, ctx| {
                    sized_call(size, (path, method), original, this, args, ctx)
                },
                ctx,
            )?;
        }
    }
    Ok(())
}

/// A call about to reach the original: its receiver and arguments (some
/// converted by the estimate) and the bytes it is expected to allocate.
struct Planned {
    this: JsValue,
    args: Vec<JsValue>,
    bytes: u64,
    /// Build the result here instead of calling the original.
    build: Option<Build>,
}

/// A result the wrapper builds itself, with less memory than the original.
enum Build {
    /// `string` repeated `count` times.
    Repeat { string: JsString, count: usize },
}

impl Planned {
    fn new(this: JsValue, args: Vec<JsValue>, bytes: u64) -> Planned {
        Planned {
            this,
            args,
            bytes,
            build: None,
        }
    }

    /// The original call, unchanged, expected to allocate `bytes`.
    fn same(this: &JsValue, args: &[JsValue], bytes: u64) -> Planned {
        Planned::new(this.clone(), args.to_vec(), bytes)
    }
}

fn sized_call(
    size: Size,
    name: (&'static str, &'static str),
    original: &JsObject,
    this: &JsValue,
    args: &[JsValue],
    ctx: &mut Context,
) -> JsResult<JsValue> {
    let Some(shared) = Shared::of(ctx) else {
        return original.call(this, args, ctx);
    };
    let Some(plan) = estimate(size, this, args, &shared, ctx)? else {
        return original.call(this, args, ctx);
    };
    shared.ensure_room(plan.bytes, &|| match name {
        ("globalThis", method) => method.to_owned(),
        (path, method) => format!("{path}.{method}"),
    })?;
    match plan.build {
        Some(Build::Repeat { string, count }) => Ok(strings::repeated(&string, count).into()),
        None => original.call(&plan.this, &plan.args, ctx),
    }
}

/// The estimate of one call, or `None` to call the original unchanged.
fn estimate(
    size: Size,
    this: &JsValue,
    args: &[JsValue],
    shared: &Shared,
    ctx: &mut Context,
) -> JsResult<Option<Planned>> {
    match size {
        Size::Repeat => strings::on_string(this, args, ctx, strings::repeat),
        Size::Pad => strings::on_string(this, args, ctx, strings::pad),
        Size::StringConcat => strings::on_string(this, args, ctx, strings::concat),
        Size::Normalize => strings::on_string(this, args, ctx, strings::normalize),
        Size::Split => strings::split(this, args, ctx),
        Size::Replace { all } => strings::replace(all, this, args, ctx),
        Size::Case => strings::on_string(this, args, ctx, strings::case),
        Size::Escape { uri } => strings::escape(uri, args, ctx),
        Size::BigIntText { locale } => strings::bigint_text(locale, this, args, ctx),
        Size::BigIntWrap { signed } => strings::bigint_wrap(signed, this, args, ctx),
        Size::Join => arrays::on_array_like(this, args, ctx, |array, args, ctx| {
            arrays::join(array, args, shared, ctx)
        }),
        Size::LocaleJoin => Ok(arrays::locale_join(this, args)),
        Size::TypedJoin { locale } => arrays::typed_join(locale, this, args, ctx),
        Size::Fill => arrays::on_array_like(this, args, ctx, arrays::fill),
        Size::From => Ok(arrays::from(this, args)),
        Size::ArrayConcat => Ok(arrays::concat(this, args)),
        Size::Flat => arrays::flat(this, args, shared, ctx),
        Size::ToSpliced => arrays::on_array_like(this, args, ctx, arrays::to_spliced),
        Size::Copy => Ok(arrays::copy(this, args)),
        Size::Sort => Ok(arrays::sort(this, args)),
        Size::Slice => arrays::on_array_like(this, args, ctx, arrays::slice),
        Size::ArgList(at) => Ok(arrays::arg_list(at, this, args, ctx)),
        Size::Keys { per_key } => Ok(arrays::keys(per_key, this, args)),
        Size::Stringify => Ok(json::stringify(this, args, shared, ctx)),
    }
}

fn len(s: &JsString) -> u64 {
    s.len() as u64
}

fn integer_value(n: IntegerOrInfinity) -> JsValue {
    match n {
        IntegerOrInfinity::Integer(i) => JsValue::new(i as f64),
        IntegerOrInfinity::PositiveInfinity => JsValue::new(f64::INFINITY),
        IntegerOrInfinity::NegativeInfinity => JsValue::new(f64::NEG_INFINITY),
    }
}

fn arg(args: &[JsValue], i: usize) -> JsValue {
    args.get(i).cloned().unwrap_or_default()
}

/// Bytes of one engine value (a slot in a list Boa reserves).
fn value_bytes() -> u64 {
    size_of::<JsValue>() as u64
}
