//! One Rhai instance: an engine configured from the manifest's limits, the
//! compiled script, and the instance's own `this` map (its state between
//! calls). It lives on a worker thread of the extension's pool.
//!
//! Limits: the engine's progress callback runs on every operation and stops
//! the script once the call's deadline has passed (`timeout`); call depth is
//! capped (`stack_overflow`) well inside the worker's stack; strings, arrays
//! and maps are capped from `max_memory_mb` (`memory_limit`). The size caps
//! bound each value, not the sum of them all, so memory is **soft**.

use std::sync::{Arc, Mutex, PoisonError};

use morph_runtime_core::capabilities::{LimitKind, ResourceLimits};
use morph_runtime_core::workers::Session;
use morph_runtime_core::{Call, Error, InitCall, Result};
use rhai::{AST, CallFnOptions, Dynamic, Engine, EvalAltResult, FuncArgs, Map, Scope};
use serde_json::Value;

use crate::convert::{to_json, to_rhai};

/// Call depth allowed to scripts; the worker's stack is sized for it.
pub const MAX_CALL_LEVELS: usize = 1000;

/// Worker thread stack: room for [`MAX_CALL_LEVELS`] script frames.
pub const WORKER_STACK: usize = 256 << 20;

/// Operations between two looks at the deadline.
const DEADLINE_EVERY: u64 = 256;

/// What the pool's factory needs to build instances.
pub(crate) struct Recipe {
    pub ast: Arc<AST>,
    pub limits: ResourceLimits,
    pub handle: tokio::runtime::Handle,
    pub init: InitCall,
    pub config: Arc<Value>,
}

/// What a job asks of an instance.
pub(crate) enum Job {
    /// Nothing: proves the instance (and its `init`) can be built.
    Warm,
    /// `execute(action, params)`.
    Execute(String, Value),
    /// `on_event(event)`.
    OnEvent(Value),
}

/// The call the host functions serve, and the capability errors they threw
/// (a script that lets one escape ends with that very error).
#[derive(Default)]
struct Current {
    call: Option<Call>,
    thrown: Vec<Error>,
}

/// One Rhai instance.
pub(crate) struct Instance {
    engine: Engine,
    ast: Arc<AST>,
    this: Dynamic,
    current: Arc<Mutex<Current>>,
}

/// A fresh engine with Morph's limits and sandbox; used to compile too.
pub(crate) fn engine(limits: &ResourceLimits) -> Engine {
    let mut engine = Engine::new();
    let bytes = usize::try_from(limits.max_memory_mb.saturating_mul(1 << 20)).unwrap_or(usize::MAX);
    engine
        .set_max_call_levels(MAX_CALL_LEVELS)
        .set_max_string_size(bytes)
        .set_max_array_size(bytes / 64)
        .set_max_map_size(bytes / 64)
        // No `import` reaches anything: every module path is refused.
        .set_module_resolver(rhai::module_resolvers::DummyModuleResolver::new());
    engine
}

impl Instance {
    /// Builds an instance and runs the script's `init(config)` under its own
    /// `init` call.
    pub(crate) fn new(recipe: &Recipe) -> Result<Instance> {
        let current = Arc::new(Mutex::new(Current::default()));
        let mut engine = engine(&recipe.limits);
        let watch = current.clone();
        engine.on_progress(move |ops| {
            if ops % DEADLINE_EVERY != 0 {
                return None;
            }
            let cur = watch.lock().unwrap_or_else(PoisonError::into_inner);
            let late = cur
                .call
                .as_ref()
                .is_some_and(|c| c.context().check_deadline().is_err());
            late.then(|| Dynamic::from("deadline"))
        });
        let (io, handle) = (current.clone(), recipe.handle.clone());
        engine.register_fn(
            "morph_call",
            move |capability: &str,
                  request: Dynamic|
                  -> std::result::Result<Dynamic, Box<EvalAltResult>> {
                invoke(&io, &handle, capability, &request)
            },
        );
        let log = current.clone();
        let log_handle = recipe.handle.clone();
        engine.on_print(move |text| {
            let request = Dynamic::from_map(Map::from_iter([("message".into(), text.into())]));
            let _ = invoke(&log, &log_handle, "log", &request);
        });
        let mut this = Map::new();
        this.insert("config".into(), to_rhai(&recipe.config)?);
        this.insert("state".into(), Dynamic::UNIT);
        this.insert("events".into(), Dynamic::from_array(Vec::new()));
        let mut instance = Instance {
            engine,
            ast: recipe.ast.clone(),
            this: Dynamic::from_map(this),
            current,
        };
        if has_fn(&recipe.ast, "init", 1) {
            let config = to_rhai(&recipe.config)?;
            instance
                .call_fn(recipe.init.start(), "init", (config,))
                .map_err(|e| Error::InitFailed(Box::new(e)))?;
        }
        Ok(instance)
    }

    fn call_fn(&mut self, call: Call, name: &str, args: impl FuncArgs) -> Result<Value> {
        {
            let mut cur = self.current.lock().unwrap_or_else(PoisonError::into_inner);
            cur.call = Some(call.clone());
            cur.thrown.clear();
        }
        let options = CallFnOptions::new()
            .eval_ast(false)
            .bind_this_ptr(&mut self.this);
        let mut scope = Scope::new();
        let result = self
            .engine
            .call_fn_with_options::<Dynamic>(options, &mut scope, &self.ast, name, args);
        let thrown = {
            let mut cur = self.current.lock().unwrap_or_else(PoisonError::into_inner);
            cur.call = None;
            std::mem::take(&mut cur.thrown)
        };
        match result {
            Ok(value) => {
                let budget = usize::try_from(call.context().output_left()).unwrap_or(usize::MAX);
                to_json(&value, budget)
            }
            Err(e) => Err(map_error(*e, &call, thrown)),
        }
    }
}

impl Session for Instance {
    type Job = Job;

    fn run(&mut self, call: Call, job: Job) -> Result<Value> {
        match job {
            Job::Warm => Ok(Value::Null),
            Job::Execute(action, params) => {
                let params = to_rhai(&params)?;
                self.call_fn(call, "execute", (Dynamic::from(action), params))
            }
            Job::OnEvent(event) => {
                if !has_fn(&self.ast, "on_event", 1) {
                    return Ok(Value::Null);
                }
                let event = to_rhai(&event)?;
                self.call_fn(call, "on_event", (event,))
            }
        }
    }
}

/// Whether the script defines `name` with `params` parameters.
pub(crate) fn has_fn(ast: &AST, name: &str, params: usize) -> bool {
    ast.iter_functions()
        .any(|f| f.name == name && f.params.len() == params)
}

/// `morph_call(capability, request)`: through the broker, under the current
/// call; a refusal is thrown as `#{code, message, ticket}`.
fn invoke(
    current: &Mutex<Current>,
    handle: &tokio::runtime::Handle,
    capability: &str,
    request: &Dynamic,
) -> std::result::Result<Dynamic, Box<EvalAltResult>> {
    let call = current
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .call
        .clone();
    let Some(call) = call else {
        return Err("morph_call outside a call".into());
    };
    let outcome = to_json(request, 4 << 20)
        .and_then(|request| handle.block_on(call.invoke(capability, request)))
        .and_then(|value| to_rhai(&value));
    outcome.map_err(|e| {
        let mut thrown = Map::new();
        thrown.insert("code".into(), e.code().as_str().into());
        thrown.insert("message".into(), e.to_string().into());
        let mut cur = current.lock().unwrap_or_else(PoisonError::into_inner);
        thrown.insert("ticket".into(), Dynamic::from_int(cur.thrown.len() as i64));
        cur.thrown.push(e);
        Box::new(EvalAltResult::ErrorRuntime(
            Dynamic::from_map(thrown),
            rhai::Position::NONE,
        ))
    })
}

/// Deepest chain of script frames kept in a guest error's stack.
const MAX_FRAMES: usize = 16;

/// A Rhai error as Morph's error: limits by their codes, a capability error
/// the script let escape as itself, anything else as `guest_error` with the
/// script's frames (innermost first).
fn map_error(e: EvalAltResult, call: &Call, mut thrown: Vec<Error>) -> Error {
    let mut frames = Vec::new();
    let mut e = e;
    // Unwrap the frames iteratively: a deep recursion nests one per level.
    loop {
        match e {
            EvalAltResult::ErrorInFunctionCall(name, _, inner, pos) => {
                if frames.len() < MAX_FRAMES {
                    frames.push(format!("in `{name}` at {pos}"));
                }
                e = *inner;
            }
            other => {
                e = other;
                break;
            }
        }
    }
    frames.reverse();
    let stack = (!frames.is_empty()).then(|| frames.join("\n"));
    match e {
        EvalAltResult::ErrorTerminated(..) | EvalAltResult::ErrorTooManyOperations(..) => {
            call.context().timeout_error()
        }
        EvalAltResult::ErrorStackOverflow(..) => Error::limit(
            LimitKind::Stack,
            format!("the script went deeper than {MAX_CALL_LEVELS} calls"),
        ),
        EvalAltResult::ErrorDataTooLarge(what, _) => Error::limit(
            LimitKind::Memory,
            format!("{what} grew past the cap derived from max_memory_mb"),
        ),
        EvalAltResult::ErrorRuntime(value, pos) => {
            if let Some(map) = value.read_lock::<Map>()
                && let Some(ticket) = map.get("ticket").and_then(|t| t.as_int().ok())
                && let Ok(i) = usize::try_from(ticket)
                && i < thrown.len()
            {
                return thrown.swap_remove(i);
            }
            let message = value
                .read_lock::<Map>()
                .and_then(|m| m.get("message").map(ToString::to_string))
                .unwrap_or_else(|| value.to_string());
            guest(message, stack, pos)
        }
        other => {
            let pos = other.position();
            guest(other.to_string(), stack, pos)
        }
    }
}

fn guest(message: String, stack: Option<String>, pos: rhai::Position) -> Error {
    let at = if pos.is_none() {
        String::new()
    } else {
        format!("at {pos}")
    };
    let stack = match (stack, at.is_empty()) {
        (Some(s), false) => Some(format!("{at}\n{s}")),
        (Some(s), true) => Some(s),
        (None, false) => Some(at),
        (None, true) => None,
    };
    Error::Guest(morph_runtime_core::capabilities::GuestFault {
        message: message.chars().take(4096).collect(),
        stack,
    })
}
