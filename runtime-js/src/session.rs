//! One warm guest: a Boa [`Context`] with the entry module evaluated, living
//! on one worker thread (a `Context` is `!Send`).
//!
//! Building a session creates the context (a module loader over the
//! package's sources read at load, which never reads the disk; Morph's host
//! hooks and job queue, engine limits, the frozen `morph` object, the
//! callback and size guards), parses the entry module, loads, links and evaluates its
//! module graph and runs the guest's `init(config)` under an `init` call.
//! Running a job calls `execute` (or `onEvent`) **from budgeted bytecode**:
//! a fixed dispatch script takes the entry function and its arguments from a
//! one-shot slot and calls it, so the guest's code runs inside
//! `evaluate_async_with_budget` and the deadline is checked as it runs. A
//! returned promise is settled by running the job queue under the deadline.
//! The result crosses through the bounded converter with the call's output
//! budget. Every call (`init` included) runs under its allocation budget,
//! opened and closed with the call state.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use boa_engine::builtins::promise::PromiseState;
use boa_engine::job::JobExecutor;
use boa_engine::module::Module;
use boa_engine::object::FunctionObjectBuilder;
use boa_engine::object::builtins::JsPromise;
use boa_engine::property::Attribute;
use boa_engine::{
    Context, JsObject, JsResult, JsString, JsValue, NativeFunction, Script, Source, js_string,
};
use morph_capabilities::{Call, Error, ErrorCode, LimitKind, ResourceLimits, Result};
use morph_runtime_core::allocation::{self, ThreadMeter};
use morph_runtime_core::workers::Session;
use serde_json::Value;

use crate::call_state::Shared;
use crate::convert::{self, ConvertError};
use crate::errors::{self, StackGetter};
use crate::hooks::Hooks;
use crate::jobs::JobQueue;
use crate::loader::{self, PackageLoader};
use crate::package_sources::PackageSources;
use crate::{guards, host_api, limits, size_guards, web};

/// The longest a timer sleep goes without checking the call's cancellation.
const SLEEP_SLICE: Duration = Duration::from_millis(10);
/// The name of the one-shot entry slot on the global object.
const SLOT: &str = "__morph_entry__";
/// The dispatch script: calls the slot's function with its arguments from
/// bytecode, so the guest's code runs budgeted.
const DISPATCH: &str = "(e => { const f = e.f; return f(e.a, e.b); })(__morph_entry__())";

/// What every session of one extension is built from.
pub(crate) struct Program {
    /// The package's module files (the entry among them), shared by every
    /// session of the extension.
    pub sources: Arc<PackageSources>,
    /// The entry's package path (used in stacks and messages).
    pub entry: String,
    /// The validated config handed to `init`.
    pub config: Arc<Value>,
    /// The extension's limits.
    pub limits: ResourceLimits,
    /// Runs capability futures.
    pub handle: tokio::runtime::Handle,
}

/// A job for a session.
pub(crate) enum Job {
    /// `execute(action, params)`.
    Execute {
        /// The action.
        action: String,
        /// Its parameters.
        params: Value,
    },
    /// `onEvent(event)`.
    Event(Value),
    /// Reports what the module exports (`{"on_event": bool}`).
    Probe,
}

/// The one-shot slot the dispatch script reads.
#[derive(Default)]
struct EntrySlot(RefCell<Option<(JsObject, JsValue, JsValue)>>);

/// A context with the guest module evaluated and `init` done.
pub(crate) struct JsSession {
    ctx: Context,
    shared: Shared,
    jobs: Rc<JobQueue>,
    dispatch: Script,
    execute: JsObject,
    on_event: Option<JsObject>,
    /// Meters this worker thread's allocations while the session lives.
    _meter: Option<ThreadMeter>,
    /// Declared last: collects once everything above is dropped.
    _collect: CollectOnDrop,
}

/// Collects the thread's garbage when a session is dropped (a limit
/// discarded it, or it was recycled). Boa's heap belongs to the thread, not
/// the context: without this, the dropped context's objects would be freed
/// by the next collection, inside the next session's call, and that call's
/// growth (net of what it frees) would look smaller by as much.
struct CollectOnDrop;

impl Drop for CollectOnDrop {
    fn drop(&mut self) {
        boa_gc::force_collect();
    }
}

impl JsSession {
    /// Builds a session and runs the guest's `init` under `init_call`.
    ///
    /// # Errors
    /// `invalid_package` for a module of the graph that is refused, missing
    /// or does not parse, or an entry that exports no `execute`; `init_failed` wrapping the cause when
    /// top-level code or `init` fails.
    pub fn new(program: &Program, init_call: &Call) -> Result<JsSession> {
        let loader = Rc::new(PackageLoader::new(program.sources.clone()));
        let (mut ctx, jobs) = guest_context(loader.clone(), &program.limits, Globals::Web)?;
        let meter = allocation::meter_current_thread();
        let shared = Shared::new(
            program.handle.clone(),
            program.limits.max_memory_mb.saturating_mul(1 << 20),
        );
        ctx.insert_data(shared.clone());
        let dispatch = Script::parse(Source::from_bytes(DISPATCH), None, &mut ctx)
            .map_err(|e| Error::internal(format!("compiling the dispatch script: {e}")))?;

        let module =
            loader
                .module(&program.entry, &mut ctx)
                .map_err(|e| Error::InvalidPackage {
                    reason: loader::message_of(&e),
                })?;

        let mut session = JsSession {
            ctx,
            shared,
            jobs,
            dispatch,
            execute: JsObject::with_null_proto(),
            on_event: None,
            _meter: meter,
            _collect: CollectOnDrop,
        };
        session.shared.begin(init_call.clone());
        let outcome = session.evaluate_module(&module, program, init_call);
        session.finish_call();
        outcome?;
        Ok(session)
    }

    fn evaluate_module(&mut self, module: &Module, program: &Program, call: &Call) -> Result<()> {
        let loaded = module.load(&mut self.ctx);
        if let Err(e) = self.settle(&loaded) {
            return Err(Error::InvalidPackage {
                reason: format!("{} does not load: {}", program.entry, guest_text(&e)),
            });
        }
        module
            .link(&mut self.ctx)
            .map_err(|e| Error::InvalidPackage {
                reason: format!("{}: {e}", program.entry),
            })?;
        let evaluated = module
            .evaluate(&mut self.ctx)
            .map_err(|e| init_failed(errors::from_js(e, &self.shared, &mut self.ctx)))?;
        self.settle(&evaluated).map_err(init_failed)?;

        let namespace = module.namespace(&mut self.ctx);
        let export = |name: &str, ctx: &mut Context| -> Option<JsObject> {
            namespace
                .get(js_string!(name), ctx)
                .ok()
                .and_then(|v| v.as_object())
                .filter(JsObject::is_callable)
        };
        self.execute = export("execute", &mut self.ctx).ok_or_else(|| Error::InvalidPackage {
            reason: format!(
                "{} must export a function `execute(action, params)`",
                program.entry
            ),
        })?;
        self.on_event = export("onEvent", &mut self.ctx);
        if let Some(init) = export("init", &mut self.ctx) {
            let config = convert::to_js(&program.config, &mut self.ctx)
                .map_err(|e| errors::from_js(e, &self.shared, &mut self.ctx))?;
            self.call_entry(init, config, JsValue::undefined(), call)
                .map_err(init_failed)?;
        }
        Ok(())
    }

    /// Calls `f(a, b)` from budgeted bytecode, settles a returned promise
    /// and converts the result with the call's output budget.
    fn call_entry(&mut self, f: JsObject, a: JsValue, b: JsValue, call: &Call) -> Result<Value> {
        if let Some(slot) = self.ctx.get_data::<EntrySlot>() {
            *slot.0.borrow_mut() = Some((f, a, b));
        }
        let evaluated = limits::drive(
            self.dispatch
                .evaluate_async_with_budget(&mut self.ctx, limits::BUDGET),
            &self.shared,
        )?;
        let value = match evaluated {
            Ok(v) => v,
            Err(e) => return Err(errors::from_js(e, &self.shared, &mut self.ctx)),
        };
        let value = match value.as_promise() {
            Some(p) => self.settle(&p)?,
            None => value,
        };
        let budget = call.context().output_left();
        convert::to_json(&value, budget, &mut self.ctx).map_err(|e| match e {
            ConvertError::TooLarge { .. } => Error::limit(
                LimitKind::Output,
                format!(
                    "the guest's result exceeds max_output_kb = {}",
                    call.context().limits().max_output_kb
                ),
            ),
            other => Error::guest(format!("the result cannot be returned: {other}")),
        })
    }

    /// Runs jobs until `promise` settles, under the running call's limits:
    /// the call's event loop. When only timers are left it sleeps until the
    /// earliest is due, and never past the deadline (then `timeout`).
    fn settle(&mut self, promise: &JsPromise) -> Result<JsValue> {
        loop {
            if let Some(fatal) = self.shared.take_fatal() {
                return Err(fatal);
            }
            match promise.state() {
                PromiseState::Fulfilled(v) => return Ok(v),
                PromiseState::Rejected(e) => {
                    return Err(errors::thrown_to_error(&e, &self.shared, &mut self.ctx));
                }
                PromiseState::Pending => {
                    if !self.jobs.has_runnable() {
                        let Some(due) = self.jobs.next_timer() else {
                            // Also what a limit inside an async continuation
                            // looks like: Boa drops uncatchable errors there.
                            // Either way the context is suspect: a violation.
                            return Err(Error::GuestCrash {
                                reason: "the returned promise can never settle (no job is left \
                                         to run it, or a limit ended an async continuation)"
                                    .into(),
                            });
                        };
                        self.sleep_until(due)?;
                    }
                    if let Err(e) = JobExecutor::run_jobs(self.jobs.clone(), &mut self.ctx) {
                        return Err(errors::from_js(e, &self.shared, &mut self.ctx));
                    }
                }
            }
        }
    }

    /// Sleeps until `due` (a timer), or fails with `timeout` when the
    /// call's deadline comes first (`cancelled` when the call is cancelled
    /// meanwhile: the sleep is cut in slices of [`SLEEP_SLICE`]).
    fn sleep_until(&self, due: Instant) -> Result<()> {
        let deadline = self.shared.deadline();
        let wake = deadline.map_or(due, |d| d.min(due));
        loop {
            if self.shared.out_of_time() {
                return Err(self.shared.timeout_error());
            }
            let now = Instant::now();
            if now >= wake {
                break;
            }
            std::thread::sleep((wake - now).min(SLEEP_SLICE));
        }
        match deadline {
            Some(d) if d <= due => Err(self.shared.timeout_error()),
            _ => Ok(()),
        }
    }

    /// Forgets the call: pending jobs are dropped, the slot emptied.
    fn finish_call(&mut self) {
        self.shared.end();
        self.jobs.clear();
        if let Some(slot) = self.ctx.get_data::<EntrySlot>() {
            slot.0.borrow_mut().take();
        }
        self.ctx.clear_kept_objects();
    }
}

impl Session for JsSession {
    type Job = Job;

    fn run(&mut self, call: Call, job: Job) -> Result<Value> {
        self.shared.begin(call.clone());
        let outcome = match job {
            Job::Execute { action, params } => {
                let action = JsValue::from(JsString::from(action.as_str()));
                match convert::to_js(&params, &mut self.ctx) {
                    Ok(params) => self.call_entry(self.execute.clone(), action, params, &call),
                    Err(e) => Err(errors::from_js(e, &self.shared, &mut self.ctx)),
                }
            }
            Job::Event(event) => match self.on_event.clone() {
                None => Ok(Value::Null),
                Some(f) => match convert::to_js(&event, &mut self.ctx) {
                    Ok(ev) => self
                        .call_entry(f, ev, JsValue::undefined(), &call)
                        .map(|_| Value::Null),
                    Err(e) => Err(errors::from_js(e, &self.shared, &mut self.ctx)),
                },
            },
            Job::Probe => Ok(serde_json::json!({ "on_event": self.on_event.is_some() })),
        };
        self.finish_call();
        outcome
    }
}

/// Which globals a guest context gets.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Globals {
    /// ECMAScript's own, the `morph` object and the builtin guards.
    Core,
    /// `Core` and the web platform globals (what every session gets).
    Web,
}

/// A context as a session starts from: Morph's job queue, `loader`, host
/// hooks and engine limits, the stack getter, the entry slot and `globals`
/// (the session adds the call state).
fn guest_context(
    loader: Rc<PackageLoader>,
    limits: &ResourceLimits,
    globals: Globals,
) -> Result<(Context, Rc<JobQueue>)> {
    let max_memory = limits.max_memory_mb.saturating_mul(1 << 20);
    let jobs = Rc::new(JobQueue::default());
    let mut ctx = Context::builder()
        .job_executor(jobs.clone())
        .module_loader(loader)
        .host_hooks(Rc::new(Hooks { max_memory }))
        .build()
        .map_err(|e| Error::internal(format!("creating a JS context: {e}")))?;
    limits::apply(&mut ctx, limits);
    let stack_getter = StackGetter::capture(&mut ctx);
    ctx.insert_data(stack_getter);
    ctx.insert_data(EntrySlot::default());
    setup(&mut ctx, globals)
        .map_err(|e| Error::internal(format!("setting up the sandbox: {e}")))?;
    Ok((ctx, jobs))
}

/// A guest context with `globals` and no package, built as a session builds
/// its own: what the benches time (context creation with and without the
/// web platform globals).
///
/// # Errors
/// `internal` if the context cannot be set up (a bug).
#[doc(hidden)]
pub fn new_guest_context(globals: Globals) -> Result<Context> {
    let loader = Rc::new(PackageLoader::new(Arc::new(PackageSources::empty())));
    guest_context(loader, &ResourceLimits::default(), globals).map(|(ctx, _)| ctx)
}

/// Installs the sandbox's globals before any guest code runs.
fn setup(ctx: &mut Context, globals: Globals) -> JsResult<()> {
    host_api::install(ctx)?;
    guards::install(ctx)?;
    size_guards::install(ctx)?;
    if globals == Globals::Web {
        web::install(ctx)?;
    }
    let slot = FunctionObjectBuilder::new(
        ctx.realm(),
        NativeFunction::from_fn_ptr(|_, _, ctx| {
            let taken = ctx
                .get_data::<EntrySlot>()
                .and_then(|s| s.0.borrow_mut().take());
            let Some((f, a, b)) = taken else {
                return Ok(JsValue::undefined());
            };
            let e = JsObject::with_null_proto();
            e.create_data_property_or_throw(js_string!("f"), f, ctx)?;
            e.create_data_property_or_throw(js_string!("a"), a, ctx)?;
            e.create_data_property_or_throw(js_string!("b"), b, ctx)?;
            Ok(e.into())
        }),
    )
    .name(js_string!(SLOT))
    .build();
    ctx.register_global_property(js_string!(SLOT), slot, Attribute::empty())?;
    Ok(())
}

fn init_failed(e: Error) -> Error {
    match e.code() {
        ErrorCode::InvalidPackage | ErrorCode::InitFailed | ErrorCode::Internal => e,
        _ => Error::InitFailed(Box::new(e)),
    }
}

fn guest_text(e: &Error) -> String {
    match e {
        Error::Guest(f) => f.message.clone(),
        other => other.to_string(),
    }
}
