//! Size estimates of the array builders: `join` and `toLocaleString`
//! (arrays and typed arrays), `fill`, `Array.from`, `concat`, `flat`,
//! `toSpliced`/`with`/`toReversed`/`toSorted`/`sort`, `slice`, the argument
//! lists of `apply` and `Reflect`, and the key lists of `Object.keys` and
//! friends.

use std::collections::HashMap;
use std::mem::size_of;

use boa_engine::builtins::proxy::Proxy;
use boa_engine::object::builtins::JsTypedArray;
use boa_engine::value::{IntegerOrInfinity, JsVariant};
use boa_engine::{Context, JsObject, JsResult, JsString, JsSymbol, JsValue};

use super::storage::{ArrayLike, Lookup, data_length, each_stored, lookup, stored};
use super::{ELEMENT_BYTES, MAX_ESTIMATE_STEPS, Planned, STRING_BYTES, arg, len, value_bytes};
use crate::call_state::Shared;

/// Code units of a stored element as `join` writes it (at least; an
/// object's own `toString` is not run).
pub(super) fn element_units(v: &JsValue) -> u64 {
    match v.variant() {
        JsVariant::String(s) => s.len() as u64,
        JsVariant::Integer32(_) | JsVariant::Float64(_) | JsVariant::Boolean(_) => 1,
        _ => 0,
    }
}

/// A relative index (`start`, `end`) clamped to `0..=len`.
pub(super) fn relative(n: IntegerOrInfinity, len: u64) -> u64 {
    match n {
        IntegerOrInfinity::NegativeInfinity => 0,
        IntegerOrInfinity::PositiveInfinity => len,
        IntegerOrInfinity::Integer(i) if i < 0 => len.saturating_sub(i.unsigned_abs()),
        IntegerOrInfinity::Integer(i) => (i as u64).min(len),
    }
}

/// An index argument as the estimate may read it.
pub(super) enum Index {
    /// Absent or `undefined`: the builtin's default.
    Default,
    /// A primitive, converted with `ToIntegerOrInfinity` (which runs no
    /// guest code for a primitive).
    Value(IntegerOrInfinity),
    /// An object: its conversion may run guest code, so the estimate does
    /// not convert it (the builtin does, in its own order) and assumes the
    /// widest range.
    Object,
}

/// Reads the index argument at `i` (see [`Index`]); `args` go to the
/// original unchanged.
pub(super) fn index_arg(args: &[JsValue], i: usize, ctx: &mut Context) -> JsResult<Index> {
    match args.get(i) {
        None => Ok(Index::Default),
        Some(a) if a.is_undefined() => Ok(Index::Default),
        Some(a) if a.is_object() => Ok(Index::Object),
        Some(a) => a.to_integer_or_infinity(ctx).map(Index::Value),
    }
}

/// The range `start..end` of `length` a builtin covers, for the arguments
/// at `at` and `at + 1` (an unknown start is 0, an unknown end the length).
fn range(args: &[JsValue], at: usize, length: u64, ctx: &mut Context) -> JsResult<u64> {
    let start = match index_arg(args, at, ctx)? {
        Index::Value(n) => relative(n, length),
        Index::Default | Index::Object => 0,
    };
    let end = match index_arg(args, at + 1, ctx)? {
        Index::Value(n) => relative(n, length),
        Index::Default | Index::Object => length,
    };
    Ok(end.saturating_sub(start))
}

/// The estimate of a method on an array-like receiver (any other goes to
/// the original unestimated): the call unchanged, expected to allocate the
/// `bytes` counted of the receiver and the arguments.
pub(super) fn on_array_like(
    this: &JsValue,
    args: &[JsValue],
    ctx: &mut Context,
    bytes: impl FnOnce(&ArrayLike, &[JsValue], &mut Context) -> JsResult<u64>,
) -> JsResult<Option<Planned>> {
    let Some(array) = ArrayLike::of(this) else {
        return Ok(None);
    };
    let bytes = bytes(&array, args, ctx)?;
    Ok(Some(Planned::same(this, args, bytes)))
}

/// `Array.prototype.join`: a list of `2 * length - 1` strings, then the
/// result (the separators and the stored elements at least).
pub(super) fn join(
    array: &ArrayLike,
    args: &[JsValue],
    shared: &Shared,
    ctx: &mut Context,
) -> JsResult<u64> {
    let length = array.length;
    let sep = separator_units(args, ctx)?;
    let list = length
        .saturating_mul(2)
        .saturating_sub(1)
        .saturating_mul(size_of::<JsString>() as u64);
    let mut units = length.saturating_sub(1).saturating_mul(sep);
    let stop = shared.max_memory();
    let mut steps = 0u64;
    each_stored(&array.obj, |v| {
        units = units.saturating_add(element_units(v));
        steps += 1;
        units < stop && steps < MAX_ESTIMATE_STEPS
    });
    Ok(list.saturating_add(units.saturating_mul(2)))
}

/// Code units of a `join` separator: `","` when absent, a primitive's
/// text (converting a primitive runs no guest code), nothing for an object
/// (the builtin converts it after reading the length, in its own order).
fn separator_units(args: &[JsValue], ctx: &mut Context) -> JsResult<u64> {
    match args.first() {
        None => Ok(1),
        Some(v) if v.is_undefined() => Ok(1),
        Some(v) if v.is_object() => Ok(0),
        Some(v) => Ok(len(&v.to_string(ctx)?)),
    }
}

/// `Array.prototype.toLocaleString`: see [`locale_bytes`].
pub(super) fn locale_join(this: &JsValue, args: &[JsValue]) -> Option<Planned> {
    let length = ArrayLike::of(this)?.length;
    Some(Planned::same(this, args, locale_bytes(length)))
}

/// `toLocaleString` of `length` elements (arrays and typed arrays): a
/// UTF-16 buffer reserved for `2 * length - 1` units, the `", "`
/// separators, the result.
fn locale_bytes(length: u64) -> u64 {
    length
        .saturating_mul(2)
        .saturating_add(length.saturating_sub(1).saturating_mul(2 * 3))
}

/// `%TypedArray%.prototype.join` / `toLocaleString`: a list per element,
/// then the result (one digit and a separator per element at least).
pub(super) fn typed_join(
    locale: bool,
    this: &JsValue,
    args: &[JsValue],
    ctx: &mut Context,
) -> JsResult<Option<Planned>> {
    let Some(obj) = this.as_object() else {
        return Ok(None);
    };
    let Ok(typed) = JsTypedArray::from_object(obj) else {
        return Ok(None);
    };
    let Ok(length) = typed.length(ctx) else {
        return Ok(None);
    };
    let length = length as u64;
    if locale {
        return Ok(Some(Planned::same(this, args, locale_bytes(length))));
    }
    let units = length
        .saturating_sub(1)
        .saturating_mul(separator_units(args, ctx)?)
        .saturating_add(length);
    let bytes = length
        .saturating_mul(size_of::<JsString>() as u64 + STRING_BYTES)
        .saturating_add(units.saturating_mul(2));
    Ok(Some(Planned::same(this, args, bytes)))
}

/// `fill`: the indices of `start..end` the array does not store yet.
pub(super) fn fill(array: &ArrayLike, args: &[JsValue], ctx: &mut Context) -> JsResult<u64> {
    let count = range(args, 1, array.length, ctx)?;
    let new = count.saturating_sub(stored(&array.obj));
    Ok(new.saturating_mul(ELEMENT_BYTES))
}

/// `Array.from(items)` without a mapping callback: one element per code
/// point of a string (each a new string), per element of an array, or per
/// index of an array-like object.
pub(super) fn from(this: &JsValue, args: &[JsValue]) -> Option<Planned> {
    if !arg(args, 1).is_undefined() {
        // With a callback, every call checks the limits (crate::guards).
        return None;
    }
    let items = arg(args, 0);
    if let Some(s) = items.as_string() {
        let bytes = (s.len() as u64).saturating_mul(ELEMENT_BYTES + STRING_BYTES);
        return Some(Planned::same(this, args, bytes));
    }
    let obj = items.as_object()?;
    let iterator = lookup(&obj, &JsSymbol::iterator().into());
    let count = match iterator {
        Lookup::Missing if !obj.is::<Proxy>() => data_length(&obj)?,
        Lookup::Data(_) if obj.is_array() => data_length(&obj)?,
        _ => return None,
    };
    Some(Planned::same(
        this,
        args,
        count.saturating_mul(ELEMENT_BYTES),
    ))
}

/// `Array.prototype.concat`: the stored elements of every array, one
/// element for anything else.
pub(super) fn concat(this: &JsValue, args: &[JsValue]) -> Option<Planned> {
    let mut elements = 0u64;
    for v in std::iter::once(this).chain(args) {
        elements = elements.saturating_add(match v.as_object() {
            Some(o) if o.is_array() => stored(&o),
            _ => 1,
        });
    }
    Some(Planned::same(
        this,
        args,
        elements.saturating_mul(ELEMENT_BYTES),
    ))
}

/// `flat(depth)`: the stored leaves down to `depth`, counted per distinct
/// array and level with the number of times it is reached (an array
/// reached a million times counts a million times, read once).
pub(super) fn flat(
    this: &JsValue,
    args: &[JsValue],
    shared: &Shared,
    ctx: &mut Context,
) -> JsResult<Option<Planned>> {
    let Some(obj) = this.as_object() else {
        return Ok(None);
    };
    if !obj.is_array() {
        return Ok(None);
    }
    let depth = match index_arg(args, 0, ctx)? {
        Index::Default => 1,
        Index::Value(IntegerOrInfinity::Integer(d)) => d.max(0) as u64,
        Index::Value(IntegerOrInfinity::NegativeInfinity) => 0,
        Index::Value(IntegerOrInfinity::PositiveInfinity) | Index::Object => u64::MAX,
    };
    let depth = depth.min(crate::guards::MAX_NATIVE_NESTING as u64);
    let stop = shared.max_memory() / ELEMENT_BYTES;
    let mut leaves = 0u64;
    let mut steps = 0u64;
    let mut level: HashMap<JsObject, u64> = HashMap::from([(obj, 1)]);
    let mut left = depth;
    while !level.is_empty() && leaves <= stop && steps < MAX_ESTIMATE_STEPS {
        let mut next: HashMap<JsObject, u64> = HashMap::new();
        for (array, times) in &level {
            each_stored(array, |v| {
                steps += 1;
                match v.as_object() {
                    Some(child) if left > 0 && child.is_array() => {
                        let t = next.entry(child).or_insert(0);
                        *t = t.saturating_add(*times);
                    }
                    _ => leaves = leaves.saturating_add(*times),
                }
                leaves <= stop && steps < MAX_ESTIMATE_STEPS
            });
        }
        level = next;
        left = left.saturating_sub(1);
    }
    Ok(Some(Planned::same(
        this,
        args,
        leaves.saturating_mul(ELEMENT_BYTES),
    )))
}

/// `toSpliced(start, skipCount, ...items)`: a new dense array.
pub(super) fn to_spliced(array: &ArrayLike, args: &[JsValue], ctx: &mut Context) -> JsResult<u64> {
    let length = array.length;
    let start = match index_arg(args, 0, ctx)? {
        Index::Value(n) => relative(n, length),
        Index::Default => 0,
        // The widest result: nothing skipped.
        Index::Object => length,
    };
    let skip = match args.len() {
        0 => 0,
        1 => length.saturating_sub(start),
        _ => match index_arg(args, 1, ctx)? {
            Index::Value(n) => relative(n, length).min(length.saturating_sub(start)),
            Index::Default | Index::Object => 0,
        },
    };
    let inserted = args.len().saturating_sub(2) as u64;
    let new_length = length.saturating_sub(skip).saturating_add(inserted);
    Ok(new_length.saturating_mul(ELEMENT_BYTES + value_bytes()))
}

/// `slice(start, end)`: the stored elements of the range at most.
pub(super) fn slice(array: &ArrayLike, args: &[JsValue], ctx: &mut Context) -> JsResult<u64> {
    let count = range(args, 0, array.length, ctx)?.min(stored(&array.obj));
    Ok(count.saturating_mul(ELEMENT_BYTES))
}

/// `apply` and friends: the argument list built from the array-like at
/// `at` (a typed array's too: `String.fromCharCode.apply(null, bytes)`),
/// one value per index, and its copy onto the engine's stack.
pub(super) fn arg_list(
    at: usize,
    this: &JsValue,
    args: &[JsValue],
    ctx: &mut Context,
) -> Option<Planned> {
    let list = args.get(at)?.as_object()?;
    let length = match JsTypedArray::from_object(list.clone()) {
        Ok(typed) => typed.length(ctx).ok()? as u64,
        Err(_) => data_length(&list)?,
    };
    Some(Planned::same(
        this,
        args,
        length.saturating_mul(2 * value_bytes()),
    ))
}

/// `Object.keys` and friends: `per_key` bytes for each own property (every
/// code unit of a string, every stored element of an object).
pub(super) fn keys(per_key: u64, this: &JsValue, args: &[JsValue]) -> Option<Planned> {
    let target = arg(args, 0);
    let count = match target.variant() {
        JsVariant::String(s) => s.len() as u64,
        JsVariant::Object(o) if o.is::<Proxy>() => return None,
        JsVariant::Object(o) => {
            // A String object has a key per code unit besides its own.
            let units = o.downcast_ref::<JsString>().map_or(0, |s| s.len() as u64);
            stored(&o).saturating_add(units)
        }
        _ => 0,
    };
    Some(Planned::same(this, args, count.saturating_mul(per_key)))
}

/// `with`, `toReversed`, `toSorted`: a new dense array of `length`.
pub(super) fn copy(this: &JsValue, args: &[JsValue]) -> Option<Planned> {
    let length = ArrayLike::of(this)?.length;
    Some(Planned::same(
        this,
        args,
        length.saturating_mul(ELEMENT_BYTES + value_bytes()),
    ))
}

/// `sort`: Boa lists every index (holes included) before sorting, and the
/// sort takes as much again.
pub(super) fn sort(this: &JsValue, args: &[JsValue]) -> Option<Planned> {
    let length = ArrayLike::of(this)?.length;
    Some(Planned::same(
        this,
        args,
        length.saturating_mul(2 * value_bytes()),
    ))
}
