//! Size estimates of the string builders: `repeat` (built here, with
//! less memory than Boa's), `padStart`/`padEnd`, `concat`, `normalize`,
//! `split`, `replace`/`replaceAll`, case mapping, the URI escapes and the
//! text of a `BigInt`.

use std::mem::size_of;

use boa_engine::string::{JsStr, JsStrVariant};
use boa_engine::value::IntegerOrInfinity;
use boa_engine::{Context, JsResult, JsString, JsValue, js_string};

use super::{
    Build, ELEMENT_BYTES, MAX_ESTIMATE_STEPS, MAX_STRING_LENGTH, Planned, STRING_BYTES, arg,
    integer_value, len,
};

/// How many code units Unicode normalization is counted to make of one
/// outside ASCII (NFKD of a ligature: 3; the rare worst case, U+FDFA, makes
/// 18 and is left to the allocator's ceiling).
pub const NORMALIZE_GROWTH: u64 = 3;

/// Bytes counted per code unit of case mapping (`toUpperCase`): the UTF-8
/// copy, the mapped copy (up to 3 characters per one), the UTF-16 buffer and
/// the result.
pub const CASE_BYTES: u64 = 16;

/// The same for a string that is all ASCII (no growth, one byte each).
pub const CASE_BYTES_ASCII: u64 = 8;

/// The estimate of a `String.prototype` method: `estimate` of
/// `ToString(this)` (converted once, here, and handed to the original with
/// the arguments the estimate converted), or `None` for `undefined` /
/// `null` (the original throws its own `TypeError`).
pub(super) fn on_string(
    this: &JsValue,
    args: &[JsValue],
    ctx: &mut Context,
    estimate: impl FnOnce(JsString, &[JsValue], &mut Context) -> JsResult<Planned>,
) -> JsResult<Option<Planned>> {
    if this.is_null_or_undefined() {
        return Ok(None);
    }
    let s = this.to_string(ctx)?;
    estimate(s, args, ctx).map(Some)
}

/// Bytes per code unit of a string stored like `s`.
pub(super) fn unit(s: JsStr<'_>) -> u64 {
    if s.is_latin1() { 1 } else { 2 }
}

/// Bytes per code unit of a string built from all of `parts` (Latin-1 only
/// when every part is).
pub(super) fn unit_of(parts: &[&JsString]) -> u64 {
    if parts.iter().all(|s| s.as_str().is_latin1()) {
        1
    } else {
        2
    }
}

/// Code units of the chunk [`repeated`] builds first.
pub(super) const REPEAT_CHUNK: usize = 4096;

/// `repeat`: built here, not by Boa, whose `repeat` lists one 24-byte
/// slice per repetition before concatenating (`"x".repeat(1e7)` would take
/// 240 MB for a 10 MB string): the result, and one slice per
/// [`REPEAT_CHUNK`] units. A count Boa refuses (negative, infinite, past
/// the longest string) goes to the original, which throws its own
/// `RangeError`.
pub(super) fn repeat(s: JsString, args: &[JsValue], ctx: &mut Context) -> JsResult<Planned> {
    let count = arg(args, 0).to_integer_or_infinity(ctx)?;
    let mut plan = Planned::new(s.clone().into(), vec![integer_value(count)], 0);
    if let IntegerOrInfinity::Integer(n) = count
        && n > 0
        && !s.is_empty()
    {
        let total = (n as u64).saturating_mul(len(&s));
        if let (true, Ok(count)) = (total <= MAX_STRING_LENGTH, usize::try_from(n)) {
            plan.bytes = total.saturating_mul(unit(s.as_str())).saturating_add(
                (total / REPEAT_CHUNK as u64 + 2)
                    .saturating_mul(size_of::<JsStr<'static>>() as u64),
            );
            plan.build = Some(Build::Repeat { string: s, count });
        }
    }
    Ok(plan)
}

/// `string` repeated `count` times (their product within the longest
/// string): a chunk of about [`REPEAT_CHUNK`] units, then one
/// concatenation of as many chunks as fit and the rest.
pub(super) fn repeated(string: &JsString, count: usize) -> JsString {
    let per_chunk = (REPEAT_CHUNK / string.len().max(1)).clamp(1, count.max(1));
    let chunk = JsString::concat_array(&vec![string.as_str(); per_chunk]);
    let rest = JsString::concat_array(&vec![string.as_str(); count % per_chunk]);
    let mut parts = vec![chunk.as_str(); count / per_chunk];
    parts.push(rest.as_str());
    JsString::concat_array(&parts)
}

/// `padStart` / `padEnd`: the filler (UTF-16, then as a string), then the
/// result.
pub(super) fn pad(s: JsString, args: &[JsValue], ctx: &mut Context) -> JsResult<Planned> {
    let max_length = arg(args, 0).to_length(ctx)?;
    if max_length <= len(&s) {
        return Ok(Planned::new(
            s.into(),
            vec![JsValue::new(max_length as f64)],
            0,
        ));
    }
    let fill = arg(args, 1);
    let filler = if fill.is_undefined() {
        js_string!(" ")
    } else {
        fill.to_string(ctx)?
    };
    let fill_len = max_length - len(&s);
    let bytes = if filler.is_empty() || max_length > MAX_STRING_LENGTH {
        0
    } else {
        fill_len
            .saturating_mul(4)
            .saturating_add(max_length.saturating_mul(unit_of(&[&s, &filler])))
    };
    let fill = if fill.is_undefined() {
        fill
    } else {
        filler.into()
    };
    Ok(Planned::new(
        s.into(),
        vec![JsValue::new(max_length as f64), fill],
        bytes,
    ))
}

/// `String.prototype.concat`: one string per argument, each holding the
/// previous ones (the last two are alive together).
pub(super) fn concat(s: JsString, args: &[JsValue], ctx: &mut Context) -> JsResult<Planned> {
    let mut strings = Vec::with_capacity(args.len());
    for a in args {
        strings.push(a.to_string(ctx)?);
    }
    let mut total = len(&s);
    let mut latin1 = s.as_str().is_latin1();
    for a in &strings {
        total = total.saturating_add(len(a));
        latin1 &= a.as_str().is_latin1();
    }
    let bytes = if total > MAX_STRING_LENGTH {
        0
    } else {
        total.saturating_mul(2 * if latin1 { 1 } else { 2 })
    };
    Ok(Planned::new(
        s.into(),
        strings.into_iter().map(JsValue::from).collect(),
        bytes,
    ))
}

/// Code units outside ASCII in `s`.
pub(super) fn non_ascii(s: JsStr<'_>) -> u64 {
    match s.as_latin1() {
        Some(bytes) => bytes.iter().filter(|b| **b >= 0x80).count() as u64,
        None => s.iter().filter(|u| *u >= 0x80).count() as u64,
    }
}

/// Non-overlapping occurrences of `needle` in `hay` (an empty needle
/// matches at every position), up to `limit`. The count stops early (a
/// lower bound) after [`MAX_ESTIMATE_STEPS`] code-unit comparisons; Boa's
/// own search restarts from the beginning for each match, so such an input
/// stalls the builtin long before its memory matters.
pub(super) fn count_matches(hay: JsStr<'_>, needle: JsStr<'_>, limit: u64) -> u64 {
    if needle.is_empty() {
        return (hay.len() as u64).saturating_add(1).min(limit);
    }
    let needle: Vec<u16> = needle.iter().collect();
    match hay.variant() {
        JsStrVariant::Latin1(h) => count_in(h, &needle, limit),
        JsStrVariant::Utf16(h) => count_in(h, &needle, limit),
    }
}

pub(super) fn count_in<T: Copy + Into<u16>>(hay: &[T], needle: &[u16], limit: u64) -> u64 {
    let (Some(&first), m) = (needle.first(), needle.len()) else {
        return 0;
    };
    let mut found = 0u64;
    let mut steps = 0u64;
    let mut i = 0usize;
    while found < limit && steps < MAX_ESTIMATE_STEPS {
        let Some(window) = hay.get(i..i.saturating_add(m)) else {
            break;
        };
        steps += 1;
        let head: u16 = window.first().map_or(0, |u| (*u).into());
        if head == first {
            steps = steps.saturating_add(m as u64);
            if window.iter().zip(needle).all(|(a, b)| (*a).into() == *b) {
                found += 1;
                i += m;
                continue;
            }
        }
        i += 1;
    }
    found
}

/// `normalize`: a UTF-16 copy, the normalized buffer and the result.
pub(super) fn normalize(s: JsString, args: &[JsValue], ctx: &mut Context) -> JsResult<Planned> {
    let form = arg(args, 0);
    let form = if form.is_undefined() {
        form
    } else {
        form.to_string(ctx)?.into()
    };
    let others = non_ascii(s.as_str());
    let out = (len(&s) - others).saturating_add(others.saturating_mul(NORMALIZE_GROWTH));
    let bytes = len(&s)
        .saturating_mul(2)
        .saturating_add(out.saturating_mul(4));
    Ok(Planned::new(s.into(), vec![form], bytes))
}

/// `split` with a string (or missing) separator: the substrings (slices of
/// the string, or one new string per code unit for `""`) and the array.
pub(super) fn split(
    this: &JsValue,
    args: &[JsValue],
    ctx: &mut Context,
) -> JsResult<Option<Planned>> {
    let separator = arg(args, 0);
    if separator.is_object() {
        // A splitter object (a RegExp) answers for itself.
        return Ok(None);
    }
    on_string(this, args, ctx, |s, args, ctx| {
        let limit = arg(args, 1);
        let (lim, limit) = if limit.is_undefined() {
            (u64::from(u32::MAX), limit)
        } else {
            let l = limit.to_u32(ctx)?;
            (u64::from(l), JsValue::new(l))
        };
        if separator.is_undefined() {
            return Ok(Planned::new(s.into(), vec![separator, limit], 0));
        }
        let sep = separator.to_string(ctx)?;
        let pieces = if lim == 0 {
            0
        } else if sep.is_empty() {
            len(&s).min(lim)
        } else {
            let found = count_matches(s.as_str(), sep.as_str(), lim);
            found.saturating_add(1).min(lim)
        };
        let per_piece = ELEMENT_BYTES + STRING_BYTES + size_of::<JsString>() as u64;
        Ok(Planned::new(
            s.into(),
            vec![sep.into(), limit],
            pieces.saturating_mul(per_piece),
        ))
    })
}

/// `replace` / `replaceAll` with a string pattern and a string
/// replacement: the match positions and the result, where each match
/// becomes the replacement with its `$` patterns expanded (`` $` `` and
/// `$'` can each insert up to the whole string).
pub(super) fn replace(
    all: bool,
    this: &JsValue,
    args: &[JsValue],
    ctx: &mut Context,
) -> JsResult<Option<Planned>> {
    let search = arg(args, 0);
    let replacement = arg(args, 1);
    if search.is_object() || replacement.is_callable() {
        // A pattern object (a RegExp) or a replacer function answers for
        // itself.
        return Ok(None);
    }
    on_string(this, args, ctx, |s, _, ctx| {
        let search = search.to_string(ctx)?;
        let replacement = replacement.to_string(ctx)?;
        let matches = count_matches(s.as_str(), search.as_str(), if all { u64::MAX } else { 1 });
        let mut per_match = len(&replacement);
        let units: Vec<u16> = replacement.iter().collect();
        for pair in units.windows(2) {
            if pair.first() == Some(&u16::from(b'$')) {
                match pair.get(1).copied() {
                    Some(c) if c == u16::from(b'`') || c == u16::from(b'\'') => {
                        per_match = per_match.saturating_add(len(&s));
                    }
                    Some(c) if c == u16::from(b'&') => {
                        per_match = per_match.saturating_add(len(&search));
                    }
                    _ => {}
                }
            }
        }
        let out = len(&s).saturating_add(matches.saturating_mul(per_match));
        let bytes = matches
            .saturating_mul(size_of::<usize>() as u64)
            .saturating_add(out.saturating_mul(2));
        Ok(Planned::new(
            s.into(),
            vec![search.into(), replacement.into()],
            bytes,
        ))
    })
}

/// `toUpperCase` and friends: UTF-8 copies, the UTF-16 buffer, the result.
pub(super) fn case(s: JsString, args: &[JsValue], _: &mut Context) -> JsResult<Planned> {
    let per_unit = if non_ascii(s.as_str()) == 0 {
        CASE_BYTES_ASCII
    } else {
        CASE_BYTES
    };
    let bytes = len(&s).saturating_mul(per_unit);
    Ok(Planned::new(s.into(), args.to_vec(), bytes))
}

/// `escape`, `encodeURI`, `encodeURIComponent`: the escaped UTF-16 buffer
/// and the result.
pub(super) fn escape(uri: bool, args: &[JsValue], ctx: &mut Context) -> JsResult<Option<Planned>> {
    let s = arg(args, 0).to_string(ctx)?;
    let mut out = 0u64;
    for u in s.iter() {
        let grow: u64 = match u {
            0x30..=0x39 | 0x41..=0x5A | 0x61..=0x7A => 1,
            0..=0x7F => 3,
            _ if !uri && u < 0x100 => 3,
            _ if !uri => 6,
            0x80..=0x7FF => 6,
            0xD800..=0xDFFF => 6,
            _ => 9,
        };
        out = out.saturating_add(grow);
    }
    let rest: Vec<JsValue> = args.iter().skip(1).cloned().collect();
    let mut args = vec![JsValue::from(s)];
    args.extend(rest);
    Ok(Some(Planned::new(
        JsValue::undefined(),
        args,
        out.saturating_mul(4),
    )))
}

/// `BigInt.prototype.toString(radix)`, or `toLocaleString` (`locale`,
/// decimal, its arguments untouched): the digits, as Rust text, then as a
/// string.
pub(super) fn bigint_text(
    locale: bool,
    this: &JsValue,
    args: &[JsValue],
    ctx: &mut Context,
) -> JsResult<Option<Planned>> {
    let Some(x) = this.as_bigint() else {
        return Ok(None);
    };
    let radix = arg(args, 0);
    let (bits_per_digit, args) = if locale || radix.is_undefined() {
        (10f64.log2(), args.to_vec())
    } else {
        let r = radix.to_integer_or_infinity(ctx)?;
        let per = match r {
            IntegerOrInfinity::Integer(i @ 2..=36) => (i as f64).log2(),
            _ => 1.0,
        };
        (per, vec![integer_value(r)])
    };
    let digits = (x.as_inner().bits() as f64 / bits_per_digit).ceil() as u64 + 1;
    Ok(Some(Planned::new(
        this.clone(),
        args,
        digits.saturating_mul(3),
    )))
}

/// Most bits Boa's `BigInt` power makes (past them it throws a
/// `RangeError` without allocating).
const MAX_BIGINT_BITS: u64 = 1_000_000_000;

/// `BigInt.asUintN` / `asIntN(bits, bigint)`: Boa computes `2 ** bits`
/// first, then the remainder (and for `asIntN` another power and a
/// difference), each up to `bits` bits.
pub(super) fn bigint_wrap(
    signed: bool,
    this: &JsValue,
    args: &[JsValue],
    ctx: &mut Context,
) -> JsResult<Option<Planned>> {
    let bits = arg(args, 0).to_index(ctx)?;
    let bigint = arg(args, 1).to_bigint(ctx)?;
    let bytes = if bits > MAX_BIGINT_BITS {
        0
    } else {
        (bits / 8 + 1).saturating_mul(if signed { 4 } else { 2 })
    };
    Ok(Some(Planned::new(
        this.clone(),
        vec![JsValue::new(bits as f64), bigint.into()],
        bytes,
    )))
}
