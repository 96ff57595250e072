//! Replacing a builtin method by a native wrapper: the one mechanism the
//! callback guards ([`crate::guards`]) and the size guards
//! ([`crate::size_guards`]) rewire builtins with. The wrapper keeps the
//! original's name and `length`, and holds the original (out of the
//! guest's reach) to hand it to its own call.

use boa_engine::object::FunctionObjectBuilder;
use boa_engine::property::PropertyDescriptor;
use boa_engine::{Context, JsObject, JsResult, JsString, JsValue, NativeFunction, js_string};

/// The object at `path` (`"Array.prototype"`; `"globalThis"` is the global
/// object, `"%TypedArray%.prototype"` the prototype of
/// `Uint8Array.prototype`), or `None` when a step of it is not an object.
pub(crate) fn resolve(path: &str, ctx: &mut Context) -> JsResult<Option<JsObject>> {
    let global = ctx.global_object();
    match path {
        "globalThis" => Ok(Some(global)),
        "%TypedArray%.prototype" => {
            let Some(u8proto) = resolve("Uint8Array.prototype", ctx)? else {
                return Ok(None);
            };
            Ok(u8proto.prototype())
        }
        _ => {
            let mut current = global;
            for part in path.split('.') {
                match current.get(js_string!(part), ctx)?.as_object() {
                    Some(o) => current = o,
                    None => return Ok(None),
                }
            }
            Ok(Some(current))
        }
    }
}

/// Replaces `target[method]`, when it is an object, by a native function
/// of the same name and `length` that answers `call(original, this, args,
/// ctx)` (non-enumerable, writable and configurable, like a builtin).
///
/// # Errors
/// Engine errors while reading or defining the property (none expected on
/// the builtins, before any guest code runs).
pub(crate) fn replace<F>(
    target: &JsObject,
    method: &str,
    call: F,
    ctx: &mut Context,
) -> JsResult<()>
where
    F: Fn(&JsObject, &JsValue, &[JsValue], &mut Context) -> JsResult<JsValue> + Copy + 'static,
{
    let key = js_string!(method);
    let Some(original) = target.get(key.clone(), ctx)?.as_object() else {
        return Ok(());
    };
    let length = original
        .get(js_string!("length"), ctx)?
        .as_number()
        .unwrap_or(0.0) as usize;
    let wrapper = FunctionObjectBuilder::new(
        ctx.realm(),
        NativeFunction::from_copy_closure_with_captures(
            move |this, args, original: &JsObject, ctx| call(original, this, args, ctx),
            original,
        ),
    )
    .name(JsString::from(method))
    .length(length)
    .build();
    target.define_property_or_throw(
        key,
        PropertyDescriptor::builder()
            .value(wrapper)
            .writable(true)
            .enumerable(false)
            .configurable(true),
        ctx,
    )?;
    Ok(())
}
