//! The deadline watchdog (unix): one shared timer thread that interrupts
//! stores whose call ran past its deadline, re-sending every
//! [`INTERRUPT_RETRY`] until the call disarms it. A call cancelled by its
//! caller is stopped the same way: its cancel hook ([`expire`]) moves the
//! armed deadline to now and wakes the thread.
//!
//! Invariant: disarming takes the watchdog's lock, which is held while
//! interrupting, so no interrupt is sent after [`Armed`] drops; an id is
//! armed once and never reused, so a cancel hook that fires after its call
//! was disarmed finds nothing and never interrupts a later call on the same
//! store. Without a
//! watchdog thread (it could not be spawned), metering alone bounds calls.
//! On other hosts `mod.rs` puts a no-op `deadline` module in its place.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use morph_capabilities::Call;
use wasmer::Store;

/// How often the watchdog re-sends an interrupt that has not ended the call
/// (a signal that arrives between two guest calls, or while the store is in
/// host code, can be lost or deferred).
const INTERRUPT_RETRY: Duration = Duration::from_millis(10);

struct Slot {
    deadline: Instant,
    interrupter: wasmer::Interrupter,
}

#[derive(Default)]
struct Entries {
    next_id: u64,
    armed: HashMap<u64, Slot>,
}

struct Watchdog {
    entries: Mutex<Entries>,
    wake: Condvar,
}

impl Watchdog {
    fn lock(&self) -> MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn run(&self) {
        let mut entries = self.lock();
        loop {
            let now = Instant::now();
            let mut next: Option<Instant> = None;
            for entry in entries.armed.values_mut() {
                if entry.deadline <= now {
                    entry.interrupter.interrupt();
                    entry.deadline = now + INTERRUPT_RETRY;
                }
                next = Some(next.map_or(entry.deadline, |n| n.min(entry.deadline)));
            }
            entries = match next {
                None => self
                    .wake
                    .wait(entries)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(at) => {
                    self.wake
                        .wait_timeout(entries, at.saturating_duration_since(now))
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
    }
}

/// The shared watchdog, started on first use (`None` if the thread
/// could not be spawned: metering alone bounds calls then).
fn watchdog() -> Option<&'static Watchdog> {
    static WATCHDOG: OnceLock<Option<&'static Watchdog>> = OnceLock::new();
    *WATCHDOG.get_or_init(|| {
        let dog: &'static Watchdog = Box::leak(Box::new(Watchdog {
            entries: Mutex::new(Entries::default()),
            wake: Condvar::new(),
        }));
        let spawned = std::thread::Builder::new()
            .name("morph-wasmer-deadline".into())
            .spawn(move || dog.run());
        match spawned {
            Ok(_) => Some(dog),
            Err(e) => {
                tracing::error!(error = %e, "no deadline watchdog: wasm calls are bounded by metering only");
                None
            }
        }
    })
}

/// An armed deadline; disarmed on drop.
pub(super) struct Armed(Option<u64>);

/// Arms the deadline of `call` (if a call is running) for `store`'s running
/// wasm code; cancelling the call interrupts it at once.
pub(super) fn arm(store: &Store, call: Option<&Call>) -> Armed {
    let (Some(call), Some(dog)) = (call, watchdog()) else {
        return Armed(None);
    };
    let id = {
        let mut entries = dog.lock();
        let id = entries.next_id;
        entries.next_id += 1;
        entries.armed.insert(
            id,
            Slot {
                deadline: call.context().deadline(),
                interrupter: store.interrupter(),
            },
        );
        id
    };
    dog.wake.notify_one();
    // After the lock is released: the hook runs here, at once, when the
    // call is already cancelled, and takes the lock itself.
    call.context().on_cancel(Box::new(move || expire(id)));
    Armed(Some(id))
}

/// Moves armed call `id`'s deadline to now: the watchdog interrupts it at
/// once (and keeps re-sending until it is disarmed). A no-op once `id` is
/// disarmed.
fn expire(id: u64) {
    let Some(dog) = watchdog() else {
        return;
    };
    let mut entries = dog.lock();
    if let Some(slot) = entries.armed.get_mut(&id) {
        slot.deadline = slot.deadline.min(Instant::now());
        drop(entries);
        dog.wake.notify_one();
    }
}

impl Drop for Armed {
    fn drop(&mut self) {
        if let (Some(id), Some(dog)) = (self.0, watchdog()) {
            dog.lock().armed.remove(&id);
        }
    }
}
