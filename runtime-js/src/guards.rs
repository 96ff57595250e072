//! Guards on builtins that call back into guest code, or recurse natively.
//!
//! Boa budgets only bytecode run by the evaluation loop; JS called back from
//! a native builtin (`Array.from({length: 1e8}, cb)`, `arr.map(cb)`,
//! `sort(cmp)`, `replace(re, fn)`) runs to completion without yielding.
//! Each builtin listed in [`CALLBACKS`] is replaced (before any guest code
//! runs) by a native wrapper ([`crate::builtin_wrap`]) that checks the
//! call's limits and wraps the callback so that **every callback
//! invocation checks the deadline and, throttled, memory**, ending the call
//! uncatchably once a limit is passed.
//! The originals stay captured in the wrappers; the guest cannot reach them.
//!
//! Builtins that recurse natively on guest-shaped data (`JSON.stringify`,
//! `Array.prototype.join` / `toString`, `flat`) first check the value's
//! nesting against [`MAX_NATIVE_NESTING`], so a 10^6-deep array cannot
//! overflow the native stack through them.

use std::collections::HashSet;

use boa_engine::builtins::proxy::Proxy;
use boa_engine::object::FunctionObjectBuilder;
use boa_engine::value::JsVariant;
use boa_engine::{Context, JsNativeError, JsObject, JsResult, JsValue, NativeFunction};

use crate::builtin_wrap::{replace, resolve};
use crate::call_state::check_deadline;

/// Deepest value the natively recursive builtins may walk.
pub const MAX_NATIVE_NESTING: usize = 1000;

/// What a wrapper does before calling the original.
#[derive(Clone, Copy)]
enum Guard {
    /// Wrap the callables at these argument positions.
    Callbacks(&'static [usize]),
    /// Check the nesting of `this` (or of argument 0 when `true`).
    Nesting { arg0: bool },
    /// `flat(depth)`: cap the depth.
    FlatDepth,
}

/// (object path, method, guard)
const CALLBACKS: &[(&str, &str, Guard)] = &[
    ("Array", "from", Guard::Callbacks(&[1])),
    ("Array.prototype", "every", Guard::Callbacks(&[0])),
    ("Array.prototype", "filter", Guard::Callbacks(&[0])),
    ("Array.prototype", "find", Guard::Callbacks(&[0])),
    ("Array.prototype", "findIndex", Guard::Callbacks(&[0])),
    ("Array.prototype", "findLast", Guard::Callbacks(&[0])),
    ("Array.prototype", "findLastIndex", Guard::Callbacks(&[0])),
    ("Array.prototype", "flatMap", Guard::Callbacks(&[0])),
    ("Array.prototype", "forEach", Guard::Callbacks(&[0])),
    ("Array.prototype", "map", Guard::Callbacks(&[0])),
    ("Array.prototype", "reduce", Guard::Callbacks(&[0])),
    ("Array.prototype", "reduceRight", Guard::Callbacks(&[0])),
    ("Array.prototype", "some", Guard::Callbacks(&[0])),
    ("Array.prototype", "sort", Guard::Callbacks(&[0])),
    ("Array.prototype", "toSorted", Guard::Callbacks(&[0])),
    ("Array.prototype", "join", Guard::Nesting { arg0: false }),
    (
        "Array.prototype",
        "toString",
        Guard::Nesting { arg0: false },
    ),
    (
        "Array.prototype",
        "toLocaleString",
        Guard::Nesting { arg0: false },
    ),
    ("Array.prototype", "flat", Guard::FlatDepth),
    ("String.prototype", "replace", Guard::Callbacks(&[1])),
    ("String.prototype", "replaceAll", Guard::Callbacks(&[1])),
    ("Map.prototype", "forEach", Guard::Callbacks(&[0])),
    ("Set.prototype", "forEach", Guard::Callbacks(&[0])),
    ("Object", "groupBy", Guard::Callbacks(&[1])),
    ("Map", "groupBy", Guard::Callbacks(&[1])),
    ("JSON", "parse", Guard::Callbacks(&[1])),
    ("JSON", "stringify", Guard::Nesting { arg0: true }),
];

/// Callback-taking methods of `%TypedArray%.prototype` (the prototype of
/// `Uint8Array.prototype`).
const TYPED_ARRAY: &[(&str, &[usize])] = &[
    ("every", &[0]),
    ("filter", &[0]),
    ("find", &[0]),
    ("findIndex", &[0]),
    ("findLast", &[0]),
    ("findLastIndex", &[0]),
    ("forEach", &[0]),
    ("map", &[0]),
    ("reduce", &[0]),
    ("reduceRight", &[0]),
    ("some", &[0]),
    ("sort", &[0]),
    ("toSorted", &[0]),
];

/// Installs every guard. Runs before any guest code.
///
/// # Errors
/// Engine errors while rewiring builtins (none expected).
pub(crate) fn install(ctx: &mut Context) -> JsResult<()> {
    for (path, method, guard) in CALLBACKS {
        if let Some(target) = resolve(path, ctx)? {
            wrap(&target, method, *guard, ctx)?;
        }
    }
    if let Some(typed) = resolve("%TypedArray%.prototype", ctx)? {
        for (method, args) in TYPED_ARRAY {
            wrap(&typed, method, Guard::Callbacks(args), ctx)?;
        }
    }
    Ok(())
}

fn wrap(target: &JsObject, method: &str, guard: Guard, ctx: &mut Context) -> JsResult<()> {
    replace(
        target,
        method,
        move |original, this, args, ctx| guarded_call(guard, original, this, args, ctx),
        ctx,
    )
}

fn guarded_call(
    guard: Guard,
    original: &JsObject,
    this: &JsValue,
    args: &[JsValue],
    ctx: &mut Context,
) -> JsResult<JsValue> {
    check_deadline(ctx)?;
    match guard {
        Guard::Callbacks(positions) => {
            let mut args = args.to_vec();
            for &i in positions {
                if let Some(f) = args.get(i).and_then(JsValue::as_object)
                    && f.is_callable()
                {
                    args[i] = guarded_callback(f, ctx).into();
                }
            }
            original.call(this, &args, ctx)
        }
        Guard::Nesting { arg0 } => {
            let subject = if arg0 {
                args.first().cloned().unwrap_or_default()
            } else {
                this.clone()
            };
            check_nesting(&subject, ctx)?;
            original.call(this, args, ctx)
        }
        Guard::FlatDepth => {
            let mut args = args.to_vec();
            if let Some(d) = args.first().and_then(JsValue::as_number)
                && d > MAX_NATIVE_NESTING as f64
            {
                args[0] = JsValue::from(MAX_NATIVE_NESTING as i32);
            }
            check_nesting(this, ctx)?;
            original.call(this, &args, ctx)
        }
    }
}

/// A function that checks the limits, then calls `f`.
fn guarded_callback(f: JsObject, ctx: &mut Context) -> JsObject {
    FunctionObjectBuilder::new(
        ctx.realm(),
        NativeFunction::from_copy_closure_with_captures(
            |this, args, f: &JsObject, ctx| {
                check_deadline(ctx)?;
                f.call(this, args, ctx)
            },
            f,
        ),
    )
    .build()
    .into()
}

/// Refuses values nested deeper than [`MAX_NATIVE_NESTING`] (arrays and
/// plain objects, own data properties; each object visited once).
fn check_nesting(value: &JsValue, ctx: &mut Context) -> JsResult<()> {
    let JsVariant::Object(root) = value.variant() else {
        return Ok(());
    };
    let mut seen: HashSet<JsObject> = HashSet::new();
    let mut stack = vec![(root, 1usize)];
    let mut visited = 0usize;
    while let Some((obj, depth)) = stack.pop() {
        if depth > MAX_NATIVE_NESTING {
            return Err(JsNativeError::range()
                .with_message(format!(
                    "the value is nested deeper than {MAX_NATIVE_NESTING} levels"
                ))
                .into());
        }
        if obj.is::<Proxy>() || !seen.insert(obj.clone()) {
            continue;
        }
        visited += 1;
        if visited.is_multiple_of(4096) {
            check_deadline(ctx)?;
        }
        let keys = obj.own_property_keys(ctx)?;
        let children: Vec<JsObject> = {
            let o = obj.borrow();
            let props = o.properties();
            keys.iter()
                .filter_map(|k| props.get(k))
                .filter_map(|d| d.value().and_then(JsValue::as_object))
                .collect()
        };
        stack.extend(children.into_iter().map(|c| (c, depth + 1)));
    }
    Ok(())
}
