//! The global, frozen `morph` object: the guest's only way to the host.
//!
//! Every function is a synchronous native that converts its arguments once
//! into host-owned JSON (see [`crate::convert`]), hands them to the broker
//! through the running call's [`Call`](morph_capabilities::Call) (blocking
//! on the tokio handle captured at load, on this worker thread, outside the
//! call's allocation ceiling: see `morph_runtime_core::allocation::unbudgeted`)
//! and converts the response back. **The runtime checks no permission**: the broker
//! decides and audits. A refusal or failure is thrown as a catchable `Error`
//! carrying `code` (the stable code) and `capability`; limits hit during a
//! host call (`timeout`, `output_too_large`) end the call uncatchably.
//!
//! | JS | wire | returns |
//! | --- | --- | --- |
//! | `morph.http.fetch(url, {method, headers, body})` or `fetch({method, url, headers, body})` | `http.fetch` | `{status, headers, body}` |
//! | `morph.vault.get(key)` | `vault.get` | the value or `null` |
//! | `morph.vault.set(key, value)` | `vault.set` | `undefined` |
//! | `morph.events.emit(message, data)` or `emit({level, message, data})` | `events.emit` | `undefined` |
//! | `morph.fs.read(path)` | `fs.read` | `{content, encoding}` |
//! | `morph.fs.write(path, content, encoding)` | `fs.write` | `undefined` |
//! | `morph.fs.list(path)` | `fs.list` | the entries |
//! | `morph.fs.delete(path)` | `fs.delete` | `undefined` |
//! | `morph.data.createTask(title)` or `createTask({title, ...})` | `data.create_task` | the task |
//! | `morph.data.getTask(id)` | `data.get_task` | the task |
//! | `morph.data.listTasks(query)` | `data.list_tasks` | the tasks |
//! | `morph.data.updateTask({id, ...})` | `data.update_task` | the task |
//! | `morph.log(message, level)` | `log` | `undefined` |
//! | `morph.config()` | `config` | the config |
//! | `morph.invoke(wireName, request)` | any | the raw response |
//!
//! Each function also takes the wire request object as its only argument.

use boa_engine::object::{FunctionObjectBuilder, IntegrityLevel};
use boa_engine::property::Attribute;
use boa_engine::{
    Context, JsError, JsNativeError, JsObject, JsResult, JsString, JsValue, NativeFunction,
    js_string,
};
use morph_capabilities::{Error, ErrorCode, MAX_REQUEST_BYTES, truncate_for_message};
use morph_runtime_core::allocation;
use serde_json::{Map, Value};

use crate::call_state::Shared;
use crate::convert;

/// How a function builds its request and reads its response.
struct Spec {
    /// The JS name.
    name: &'static str,
    /// The wire name (`""` for `invoke`, which takes it as an argument).
    wire: &'static str,
    /// Names of positional arguments, when the first is not an object.
    positional: &'static [&'static str],
    /// The response field returned alone, or `Null` for "return undefined".
    returns: Returns,
}

#[derive(Clone, Copy)]
enum Returns {
    Whole,
    Field(&'static str),
    Nothing,
}

const HTTP: &[Spec] = &[Spec {
    name: "fetch",
    wire: "http.fetch",
    positional: &["url", "*"],
    returns: Returns::Whole,
}];
const VAULT: &[Spec] = &[
    Spec {
        name: "get",
        wire: "vault.get",
        positional: &["key"],
        returns: Returns::Field("value"),
    },
    Spec {
        name: "set",
        wire: "vault.set",
        positional: &["key", "value"],
        returns: Returns::Nothing,
    },
];
const EVENTS: &[Spec] = &[Spec {
    name: "emit",
    wire: "events.emit",
    positional: &["message", "data", "level"],
    returns: Returns::Nothing,
}];
const FS: &[Spec] = &[
    Spec {
        name: "read",
        wire: "fs.read",
        positional: &["path"],
        returns: Returns::Whole,
    },
    Spec {
        name: "write",
        wire: "fs.write",
        positional: &["path", "content", "encoding"],
        returns: Returns::Nothing,
    },
    Spec {
        name: "list",
        wire: "fs.list",
        positional: &["path"],
        returns: Returns::Field("entries"),
    },
    Spec {
        name: "delete",
        wire: "fs.delete",
        positional: &["path"],
        returns: Returns::Nothing,
    },
];
const DATA: &[Spec] = &[
    Spec {
        name: "createTask",
        wire: "data.create_task",
        positional: &["title"],
        returns: Returns::Whole,
    },
    Spec {
        name: "getTask",
        wire: "data.get_task",
        positional: &["id"],
        returns: Returns::Whole,
    },
    Spec {
        name: "listTasks",
        wire: "data.list_tasks",
        positional: &[],
        returns: Returns::Field("tasks"),
    },
    Spec {
        name: "updateTask",
        wire: "data.update_task",
        positional: &[],
        returns: Returns::Whole,
    },
];
const TOP: &[Spec] = &[
    Spec {
        name: "log",
        wire: "log",
        positional: &["message", "level"],
        returns: Returns::Nothing,
    },
    Spec {
        name: "config",
        wire: "config",
        positional: &[],
        returns: Returns::Whole,
    },
    Spec {
        name: "invoke",
        wire: "",
        positional: &[],
        returns: Returns::Whole,
    },
];

/// Defines the frozen global `morph` (non-writable, non-configurable).
///
/// # Errors
/// Engine errors while building the object (none expected).
pub(crate) fn install(ctx: &mut Context) -> JsResult<()> {
    let morph = namespace(TOP, false, ctx)?;
    for (name, specs) in [
        ("http", HTTP),
        ("vault", VAULT),
        ("events", EVENTS),
        ("fs", FS),
        ("data", DATA),
    ] {
        let ns = namespace(specs, true, ctx)?;
        morph.define_property_or_throw(
            js_string!(name),
            boa_engine::property::PropertyDescriptor::builder()
                .value(ns)
                .writable(false)
                .enumerable(true)
                .configurable(false),
            ctx,
        )?;
    }
    morph.set_integrity_level(IntegrityLevel::Frozen, ctx)?;
    ctx.register_global_property(js_string!("morph"), morph, Attribute::empty())?;
    Ok(())
}

fn namespace(specs: &'static [Spec], freeze: bool, ctx: &mut Context) -> JsResult<JsObject> {
    let obj = JsObject::with_object_proto(ctx.intrinsics());
    for spec in specs {
        let f = FunctionObjectBuilder::new(
            ctx.realm(),
            NativeFunction::from_copy_closure(move |_this, args, ctx| invoke(spec, args, ctx)),
        )
        .name(js_string!(spec.name))
        .length(spec.positional.len().max(1))
        .build();
        obj.create_data_property_or_throw(js_string!(spec.name), f, ctx)?;
    }
    if freeze {
        obj.set_integrity_level(IntegrityLevel::Frozen, ctx)?;
    }
    Ok(obj)
}

fn type_error(message: impl Into<String>) -> JsError {
    JsNativeError::typ().with_message(message.into()).into()
}

fn invoke(spec: &'static Spec, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let shared = Shared::of(ctx).ok_or_else(|| type_error("the morph API is not set up"))?;
    let Some(call) = shared.call() else {
        return Err(type_error(
            "the morph API is only available while init, execute or onEvent runs",
        ));
    };
    shared.check_deadline()?;
    let (wire, request) = request(spec, args, ctx)?;
    // Host work (the broker, its locks, the audit log): outside the call's
    // allocation ceiling, so the thread is never parked holding a lock.
    let handle = shared.handle();
    let outcome = allocation::unbudgeted(|| handle.block_on(call.invoke(&wire, request)));
    match outcome {
        Ok(value) => {
            let value = match spec.returns {
                Returns::Whole => value,
                Returns::Field(f) => value.get(f).cloned().unwrap_or(Value::Null),
                Returns::Nothing => return Ok(JsValue::undefined()),
            };
            convert::to_js(&value, ctx)
        }
        Err(e) if matches!(e.code(), ErrorCode::Timeout | ErrorCode::OutputTooLarge) => {
            Err(shared.raise(e))
        }
        Err(e) => {
            let thrown = capability_error(&e, &wire, ctx)?;
            shared.remember(e);
            Err(thrown)
        }
    }
}

/// Builds `(wire name, request)` from the arguments.
fn request(spec: &Spec, args: &[JsValue], ctx: &mut Context) -> JsResult<(String, Value)> {
    let json = |v: &JsValue, ctx: &mut Context| {
        convert::to_json(v, MAX_REQUEST_BYTES as u64, ctx)
            .map_err(|e| type_error(format!("morph.{}: {e}", spec.name)))
    };
    if spec.wire.is_empty() {
        let name = args
            .first()
            .and_then(JsValue::as_string)
            .map(|s| s.to_std_string_lossy())
            .ok_or_else(|| type_error("morph.invoke(name, request): name must be a string"))?;
        let request = match args.get(1) {
            Some(v) => json(v, ctx)?,
            None => Value::Null,
        };
        return Ok((name, request));
    }
    let first = args.first().cloned().unwrap_or_default();
    if first.is_object() || spec.positional.is_empty() {
        let request = if first.is_undefined() {
            Value::Object(Map::new())
        } else {
            json(&first, ctx)?
        };
        return Ok((spec.wire.to_owned(), request));
    }
    let mut map = Map::new();
    for (i, name) in spec.positional.iter().enumerate() {
        let Some(v) = args.get(i).filter(|v| !v.is_undefined()) else {
            continue;
        };
        match (json(v, ctx)?, *name) {
            // `fetch(url, options)`: the options object is merged in.
            (Value::Object(opts), "*") => map.extend(opts),
            (v, "*") => {
                return Err(type_error(format!(
                    "morph.{}: the options must be an object, not {v}",
                    spec.name
                )));
            }
            (v, name) => {
                map.insert(name.to_owned(), v);
            }
        }
    }
    Ok((spec.wire.to_owned(), Value::Object(map)))
}

/// The catchable error a refused or failed capability call throws.
fn capability_error(e: &Error, wire: &str, ctx: &mut Context) -> JsResult<JsError> {
    let obj = JsNativeError::error()
        .with_message(truncate_for_message(&e.to_string(), 4096))
        .into_opaque(ctx);
    obj.create_data_property_or_throw(js_string!("code"), js_string!(e.code().as_str()), ctx)?;
    obj.create_data_property_or_throw(
        js_string!("capability"),
        JsString::from(truncate_for_message(wire, 64).as_str()),
        ctx,
    )?;
    Ok(JsError::from_opaque(obj.into()))
}
