//! The deadline watchdog: one process-wide thread that interrupts guests.
//!
//! RustPython checks its user-signal channel before every instruction once a
//! signal is pending. When a call's deadline passes, or its caller cancels
//! it (the call's cancel hook, [`expire`], moves its deadline to now and wakes
//! the watchdog), the watchdog sends the
//! session's [`Tripwire`] signal, and **from then until the call has unwound
//! every frame raises at its next instruction**: the guest's `except
//! BaseException` or `finally` cannot run a single instruction without the
//! interrupt being raised again, so it cannot swallow it for good.
//!
//! **The signal itself never raises.** RustPython 0.5 unwinds a signal's
//! exception without clearing the instruction's extended-argument state, so
//! the handler's first instruction runs with a corrupted argument (a `COPY 3`
//! became `COPY 771`: a stack underflow, an out-of-bounds read in release
//! builds). Instead the signal installs a tracer on the running frame, and the
//! tracer raises `KeyboardInterrupt` at the frame's next instruction (and at
//! every new frame) through the trace path, which leaves the frame cleanly.
//! [`clear_interrupt`] removes the tracer once the call has unwound. RustPython's "a signal is
//! pending" flag is shared by every interpreter in the process (another one
//! may consume it), so the watchdog also re-sends every [`RESEND`] while a
//! tripped call is still armed. A call whose thread runs no bytecode (a
//! long native operation, or a thread parked for good at its allocation
//! ceiling) leaves its signals unhandled: past [`MAX_UNHANDLED`] of them it
//! is signalled only every [`STALLED_RESEND`], so a parked call neither
//! keeps the watchdog busy nor fills its channel quickly. The same tripwire
//! ends a call at once when a host call hit a fatal limit
//! (`output_too_large`).
//!
//! The watchdog also watches memory: a call armed with a [`MemoryWatch`] is
//! stopped the same way once its worker thread has allocated more than the
//! cap since the call began (checked every [`MEMORY_POLL`]; soft, since one
//! allocation happens before it is seen).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use morph_capabilities::CallContext;
use morph_runtime_core::allocation::AllocationMeter;
use rustpython_vm::function::FuncArgs;
use rustpython_vm::signal::{UserSignal, UserSignalSender};
use rustpython_vm::{PyObjectRef, VirtualMachine};

/// How often a tripped call that has not unwound is signalled again.
pub const RESEND: Duration = Duration::from_millis(1);
/// How often a tripped call that handles no signal is signalled again.
pub const STALLED_RESEND: Duration = Duration::from_secs(1);
/// Signals queued for a call and not yet handled, past which it is
/// signalled every [`STALLED_RESEND`] only.
pub const MAX_UNHANDLED: u64 = 16;
/// How often a running call's allocations are compared with its cap.
pub const MEMORY_POLL: Duration = Duration::from_millis(2);

/// The memory of one call: its worker thread's meter, the count when the
/// call began, and the cap in bytes.
#[derive(Debug, Clone)]
pub struct MemoryWatch {
    /// The worker thread's allocation count.
    pub meter: AllocationMeter,
    /// The count when the call began.
    pub start: i64,
    /// `max_memory_mb` in bytes.
    pub cap: u64,
}

impl MemoryWatch {
    /// Bytes allocated past the cap, as `Some(grown)`, or `None` within it.
    pub fn overrun(&self) -> Option<u64> {
        let grown = self.meter.grown_since(self.start);
        (grown > self.cap).then_some(grown)
    }
}

/// The interrupt of one session: which call is running and which call was
/// stopped. Shared between the session's thread and the watchdog.
#[derive(Debug)]
pub struct Tripwire {
    sender: UserSignalSender,
    /// Generation of the running call (`0`: none).
    active: AtomicU64,
    /// Generation of the call that must stop (`0`: none).
    tripped: AtomicU64,
    /// Bytes the stopped call had allocated when it was stopped for memory
    /// (`0`: stopped for time or by the host).
    memory_grown: AtomicU64,
    /// Signals sent and not yet handled by the interpreter.
    unhandled: AtomicU64,
}

impl Tripwire {
    /// A tripwire sending through `sender` (the receiver is the VM's).
    pub fn new(sender: UserSignalSender) -> Arc<Tripwire> {
        Arc::new(Tripwire {
            sender,
            active: AtomicU64::new(0),
            tripped: AtomicU64::new(0),
            memory_grown: AtomicU64::new(0),
            unhandled: AtomicU64::new(0),
        })
    }

    /// Marks call `generation` as running.
    pub fn begin(&self, generation: u64) {
        self.tripped.store(0, Ordering::SeqCst);
        self.memory_grown.store(0, Ordering::SeqCst);
        self.active.store(generation, Ordering::SeqCst);
    }

    /// Marks the running call as unwound: pending signals become no-ops.
    pub fn end(&self) {
        self.active.store(0, Ordering::SeqCst);
    }

    /// Whether call `generation` was stopped.
    pub fn was_tripped(&self, generation: u64) -> bool {
        generation != 0 && self.tripped.load(Ordering::SeqCst) == generation
    }

    /// What call `generation` had allocated when it was stopped for memory.
    pub fn memory_overrun(&self, generation: u64) -> Option<u64> {
        if !self.was_tripped(generation) {
            return None;
        }
        Some(self.memory_grown.load(Ordering::SeqCst)).filter(|g| *g > 0)
    }

    /// Stops call `generation` for allocating `grown` bytes past its cap.
    fn trip_for_memory(self: &Arc<Self>, generation: u64, grown: u64) {
        if generation == 0 || self.active.load(Ordering::SeqCst) != generation {
            return;
        }
        self.memory_grown.store(grown.max(1), Ordering::SeqCst);
        self.trip(generation);
    }

    /// Stops call `generation` (if it is still the running one).
    pub fn trip(self: &Arc<Self>, generation: u64) {
        if generation == 0 || self.active.load(Ordering::SeqCst) != generation {
            return;
        }
        self.tripped.store(generation, Ordering::SeqCst);
        self.unhandled.fetch_add(1, Ordering::SeqCst);
        if self.sender.send(self.signal(generation)).is_err() {
            self.handled();
        }
    }

    /// Whether the interpreter left [`MAX_UNHANDLED`] signals unhandled.
    fn stalled(&self) -> bool {
        self.unhandled.load(Ordering::SeqCst) >= MAX_UNHANDLED
    }

    /// Counts one queued signal as handled.
    fn handled(&self) {
        let _ = self
            .unhandled
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
    }

    /// The self-re-arming interrupt for call `generation`.
    fn signal(self: &Arc<Self>, generation: u64) -> UserSignal {
        let wire = self.clone();
        Box::new(move |vm: &VirtualMachine| {
            wire.handled();
            if wire.active.load(Ordering::SeqCst) != generation
                || wire.tripped.load(Ordering::SeqCst) != generation
            {
                return Ok(()); // that call has unwound: nothing to stop
            }
            // Not re-sent from here: RustPython drains the channel until it
            // is empty, so a handler that re-sends itself never returns. The
            // watchdog re-sends every `RESEND` while the call is armed.
            raise_at_next_instruction(vm);
            Ok(())
        })
    }
}

/// Makes every frame on the stack raise `KeyboardInterrupt` at its next
/// instruction, and every frame entered after it at its first, through
/// RustPython's tracing (see the module docs for why not the signal itself).
/// A guest's `except` in a caller therefore runs no instruction either.
fn raise_at_next_instruction(vm: &VirtualMachine) {
    let tracer: PyObjectRef = vm
        .new_function(
            "_morph_interrupt",
            |_args: FuncArgs, vm: &VirtualMachine| Err::<(), _>(crate::host_module::interrupt(vm)),
        )
        .into();
    *vm.trace_func.borrow_mut() = tracer.clone();
    vm.use_tracing.set(true);
    let mut frame = vm.current_frame();
    while let Some(f) = frame {
        *f.trace.lock() = tracer.clone();
        *f.trace_opcodes.lock() = true;
        frame = f.f_back(vm);
    }
}

/// Removes the tracer a stopped call left behind (guests cannot trace:
/// `sys.settrace` is closed, so nothing else sets it).
pub fn clear_interrupt(vm: &VirtualMachine) {
    if vm.use_tracing.get() {
        vm.use_tracing.set(false);
        *vm.trace_func.borrow_mut() = vm.ctx.none();
    }
}

struct Armed {
    id: u64,
    deadline: Instant,
    wire: Arc<Tripwire>,
    generation: u64,
    memory: Option<MemoryWatch>,
    /// Stopped already: signalled again every [`RESEND`] (or
    /// [`STALLED_RESEND`]).
    stopped: bool,
    /// When a stopped call is signalled next.
    next_signal: Instant,
}

#[derive(Default)]
struct Watchdog {
    armed: Mutex<(u64, Vec<Armed>)>,
    wake: Condvar,
}

fn watchdog() -> &'static Watchdog {
    static WATCHDOG: OnceLock<&'static Watchdog> = OnceLock::new();
    WATCHDOG.get_or_init(|| {
        let dog: &'static Watchdog = Box::leak(Box::default());
        let spawned = std::thread::Builder::new()
            .name("morph-python-watchdog".into())
            .spawn(move || dog.run());
        if spawned.is_err() {
            tracing::error!("cannot start the Python watchdog thread; deadlines rely on the host");
        }
        dog
    })
}

impl Watchdog {
    fn run(&self) {
        let mut guard = self.armed.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            let now = Instant::now();
            let mut next: Option<Instant> = None;
            let mut soonest = |at: Instant| next = Some(next.map_or(at, |n| n.min(at)));
            for a in &mut guard.1 {
                if a.stopped || a.deadline <= now {
                    if !a.stopped || now >= a.next_signal {
                        a.wire.trip(a.generation);
                        let pause = if a.wire.stalled() {
                            STALLED_RESEND
                        } else {
                            RESEND
                        };
                        a.next_signal = now + pause;
                    }
                    a.stopped = true;
                    soonest(a.next_signal);
                } else if let Some(grown) = a.memory.as_ref().and_then(MemoryWatch::overrun) {
                    a.wire.trip_for_memory(a.generation, grown);
                    a.stopped = true;
                    a.next_signal = now + RESEND;
                    soonest(now + RESEND);
                } else {
                    soonest(a.deadline);
                    if a.memory.is_some() {
                        soonest(now + MEMORY_POLL);
                    }
                }
            }
            guard = match next {
                None => self
                    .wake
                    .wait(guard)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(at) => {
                    let wait = at.saturating_duration_since(Instant::now());
                    self.wake
                        .wait_timeout(guard, wait)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
    }
}

/// Watches one call's deadline until dropped.
#[derive(Debug)]
pub struct Watch {
    id: u64,
}

/// Arms the watchdog: at `ctx`'s deadline, as soon as `ctx` is cancelled,
/// or once it allocated past `memory`'s cap, call `generation` on `wire` is
/// stopped. The returned guard disarms on drop.
pub fn arm(
    wire: &Arc<Tripwire>,
    generation: u64,
    ctx: &CallContext,
    memory: Option<MemoryWatch>,
) -> Watch {
    let dog = watchdog();
    let deadline = ctx.deadline();
    let mut guard = dog.armed.lock().unwrap_or_else(PoisonError::into_inner);
    guard.0 += 1;
    let id = guard.0;
    guard.1.push(Armed {
        id,
        deadline,
        wire: wire.clone(),
        generation,
        memory,
        stopped: false,
        next_signal: deadline,
    });
    drop(guard);
    dog.wake.notify_one();
    // After the lock is released: the hook runs here, at once, when the call
    // is already cancelled, and takes the lock itself.
    ctx.on_cancel(Box::new(move || expire(id)));
    Watch { id }
}

/// Moves armed call `id`'s deadline to now, so the watchdog stops it at
/// once. A no-op once `id` is disarmed (ids are never reused), so a hook
/// that fires late never stops a later call on the same interpreter.
fn expire(id: u64) {
    let dog = watchdog();
    let mut guard = dog.armed.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(armed) = guard.1.iter_mut().find(|a| a.id == id) else {
        return;
    };
    armed.deadline = armed.deadline.min(Instant::now());
    drop(guard);
    dog.wake.notify_one();
}

impl Drop for Watch {
    fn drop(&mut self) {
        let dog = watchdog();
        let mut guard = dog.armed.lock().unwrap_or_else(PoisonError::into_inner);
        guard.1.retain(|a| a.id != self.id);
    }
}
