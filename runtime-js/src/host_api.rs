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
//! host call (`timeout`, `output_too_large`) and the call's cancellation
//! (`cancelled`) end the call uncatchably.
//!
//! Every function takes **one of two spellings**, decided by its arguments:
//!
//! - **the wire request**: exactly one argument, a plain object (not an
//!   array or a function), sent as it is (`morph.http.fetch({url, method})`);
//!   the broker's wire format is the one reference for its fields;
//! - **positional**: the fields in the order below, the same order as
//!   Python's parameters (`morph.http.fetch(url, "POST")`); `undefined` and
//!   `null` leave a field out. Where the table shows `{...}`, an object in
//!   second place stands for the remaining fields by name (Python's keyword
//!   arguments): `fetch(url, {method, headers})`, `updateTask(id, {status})`.
//!
//! A value in the wrong place is never guessed at: an object where a string
//! goes (`fetch({url}, {method})`) reaches the broker as that field and is
//! refused there. A malformed request (a field missing, unknown or of the
//! wrong type, a value that is not JSON) throws `invalid_request` naming the
//! capability and the field; uncaught, the call ends with it (exit code 1).
//!
//! | JS | wire | returns |
//! | --- | --- | --- |
//! | `morph.http.fetch(url, method, headers, body, body_encoding)` or `fetch(url, {...})` | `http.fetch` | `{status, headers, body[, body_encoding]}` |
//! | `morph.vault.get(key)` | `vault.get` | the value or `null` |
//! | `morph.vault.set(key, value)` | `vault.set` | `undefined` |
//! | `morph.events.emit(message, level, data)` | `events.emit` | `undefined` |
//! | `morph.fs.read(path)` | `fs.read` | `{content, encoding}` |
//! | `morph.fs.write(path, content, encoding)` | `fs.write` | `undefined` |
//! | `morph.fs.list(path)` | `fs.list` | the entries |
//! | `morph.fs.delete(path)` | `fs.delete` | `undefined` |
//! | `morph.data.createTask(title, description, status, data)` or `createTask(title, {...})` | `data.create_task` | the task |
//! | `morph.data.getTask(id)` | `data.get_task` | the task |
//! | `morph.data.listTasks(status, limit, offset)` | `data.list_tasks` | the tasks |
//! | `morph.data.updateTask(id, title, description, status, data)` or `updateTask(id, {...})` | `data.update_task` | the task |
//! | `morph.log(message, level)` | `log` | `undefined` |
//! | `morph.config()` | `config` | the config |
//! | `morph.invoke(wireName, request)` | any | the raw response |

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
    /// The wire fields of the positional form, in order (Python's order).
    positional: &'static [&'static str],
    /// Whether an object in second place stands for the fields after the
    /// first, by name (`fetch(url, {method})`).
    options: bool,
    /// The response field returned alone, or `Null` for "return undefined".
    returns: Returns,
}

#[derive(Clone, Copy)]
enum Returns {
    Whole,
    Field(&'static str),
    Nothing,
}

const TASK_FIELDS: &[&str] = &["title", "description", "status", "data"];

const HTTP: &[Spec] = &[Spec {
    name: "fetch",
    wire: "http.fetch",
    positional: &["url", "method", "headers", "body", "body_encoding"],
    options: true,
    returns: Returns::Whole,
}];
const VAULT: &[Spec] = &[
    Spec {
        name: "get",
        wire: "vault.get",
        positional: &["key"],
        options: false,
        returns: Returns::Field("value"),
    },
    Spec {
        name: "set",
        wire: "vault.set",
        positional: &["key", "value"],
        options: false,
        returns: Returns::Nothing,
    },
];
const EVENTS: &[Spec] = &[Spec {
    name: "emit",
    wire: "events.emit",
    positional: &["message", "level", "data"],
    options: false,
    returns: Returns::Nothing,
}];
const FS: &[Spec] = &[
    Spec {
        name: "read",
        wire: "fs.read",
        positional: &["path"],
        options: false,
        returns: Returns::Whole,
    },
    Spec {
        name: "write",
        wire: "fs.write",
        positional: &["path", "content", "encoding"],
        options: false,
        returns: Returns::Nothing,
    },
    Spec {
        name: "list",
        wire: "fs.list",
        positional: &["path"],
        options: false,
        returns: Returns::Field("entries"),
    },
    Spec {
        name: "delete",
        wire: "fs.delete",
        positional: &["path"],
        options: false,
        returns: Returns::Nothing,
    },
];
const DATA: &[Spec] = &[
    Spec {
        name: "createTask",
        wire: "data.create_task",
        positional: TASK_FIELDS,
        options: true,
        returns: Returns::Whole,
    },
    Spec {
        name: "getTask",
        wire: "data.get_task",
        positional: &["id"],
        options: false,
        returns: Returns::Whole,
    },
    Spec {
        name: "listTasks",
        wire: "data.list_tasks",
        positional: &["status", "limit", "offset"],
        options: false,
        returns: Returns::Field("tasks"),
    },
    Spec {
        name: "updateTask",
        wire: "data.update_task",
        positional: &["id", "title", "description", "status", "data"],
        options: true,
        returns: Returns::Whole,
    },
];
const TOP: &[Spec] = &[
    Spec {
        name: "log",
        wire: "log",
        positional: &["message", "level"],
        options: false,
        returns: Returns::Nothing,
    },
    Spec {
        name: "config",
        wire: "config",
        positional: &[],
        options: false,
        returns: Returns::Whole,
    },
    Spec {
        name: "invoke",
        wire: "",
        positional: &[],
        options: false,
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
    let (wire, args) = if spec.wire.is_empty() {
        let name = args
            .first()
            .and_then(JsValue::as_string)
            .map(|s| s.to_std_string_lossy())
            .ok_or_else(|| type_error("morph.invoke(name, request): name must be a string"))?;
        (name, args.get(1..).unwrap_or_default())
    } else {
        (spec.wire.to_owned(), args)
    };
    let outcome = match request(spec, &wire, args, ctx) {
        // Host work (the broker, its locks, the audit log): outside the call's
        // allocation ceiling, so the thread is never parked holding a lock.
        Ok(request) => {
            let handle = shared.handle();
            allocation::unbudgeted(|| handle.block_on(call.invoke(&wire, request)))
        }
        Err(refused) => Err(refused),
    };
    match outcome {
        Ok(value) => {
            let value = match spec.returns {
                Returns::Whole => value,
                Returns::Field(f) => value.get(f).cloned().unwrap_or(Value::Null),
                Returns::Nothing => return Ok(JsValue::undefined()),
            };
            convert::to_js(&value, ctx)
        }
        Err(e)
            if matches!(
                e.code(),
                ErrorCode::Timeout | ErrorCode::Cancelled | ErrorCode::OutputTooLarge
            ) =>
        {
            Err(shared.raise(e))
        }
        Err(e) => {
            let thrown = capability_error(&e, &wire, ctx)?;
            shared.remember(e);
            Err(thrown)
        }
    }
}

/// Whether `v` is a plain object (not an array, not a function): a wire
/// request or options.
fn is_record(v: &JsValue) -> bool {
    v.as_object()
        .is_some_and(|o| !o.is_array() && !o.is_callable())
}

/// Builds the wire request from the arguments (see the module docs).
///
/// # Errors
/// `invalid_request` naming `wire` and the field whose value is not JSON.
fn request(spec: &Spec, wire: &str, args: &[JsValue], ctx: &mut Context) -> Result<Value, Error> {
    let json = |v: &JsValue, field: &str, ctx: &mut Context| {
        convert::to_json(v, MAX_REQUEST_BYTES as u64, ctx).map_err(|e| {
            let field = if field == "request" {
                top_field(&e)
            } else {
                field
            };
            Error::request(
                truncate_for_message(wire, 64),
                truncate_for_message(field, 64),
                e.to_string(),
            )
        })
    };
    let given = |v: &&JsValue| !v.is_null_or_undefined();
    let first = args.first().cloned().unwrap_or_default();
    let alone = args.iter().skip(1).all(|v| v.is_undefined());
    if spec.positional.is_empty() || (alone && is_record(&first)) {
        return match args.first().filter(given) {
            None if spec.wire.is_empty() => Ok(Value::Null),
            None => Ok(Value::Object(Map::new())),
            Some(v) => json(v, "request", ctx),
        };
    }
    let mut map = Map::new();
    for (i, name) in spec.positional.iter().enumerate() {
        let Some(v) = args.get(i).filter(given) else {
            continue;
        };
        if spec.options && i == 1 && is_record(v) {
            // `fetch(url, options)`: the fields after the first, by name.
            if let Value::Object(options) = json(v, "request", ctx)? {
                for (field, value) in options {
                    map.entry(field).or_insert(value);
                }
            }
            break;
        }
        map.insert((*name).to_owned(), json(v, name, ctx)?);
    }
    Ok(Value::Object(map))
}

/// The top-level field where a whole request failed to convert (`$.key...`
/// names `key`), or `request` when it is the request itself.
fn top_field(e: &convert::ConvertError) -> &str {
    let at = match e {
        convert::ConvertError::Unsupported { at, .. }
        | convert::ConvertError::TooDeep { at, .. } => at.as_str(),
        convert::ConvertError::TooLarge { .. } => "$",
    };
    match at.strip_prefix("$.") {
        Some(rest) => rest.split(['.', '[']).next().unwrap_or("request"),
        None => "request",
    }
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
