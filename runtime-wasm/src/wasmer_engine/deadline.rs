//! The deadline watchdog (unix): one shared timer thread that interrupts
//! stores whose call ran past its deadline, re-sending every
//! [`INTERRUPT_RETRY`] until the call disarms it.
//!
//! Invariant: disarming takes the watchdog's lock, which is held while
//! interrupting, so no interrupt is sent after [`Armed`] drops. Without a
//! watchdog thread (it could not be spawned), metering alone bounds calls.
//! On other hosts `mod.rs` puts a no-op `deadline` module in its place.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

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

/// Arms `deadline` (if any) for `store`'s running wasm code.
pub(super) fn arm(store: &Store, deadline: Option<Instant>) -> Armed {
    let (Some(deadline), Some(dog)) = (deadline, watchdog()) else {
        return Armed(None);
    };
    let mut entries = dog.lock();
    let id = entries.next_id;
    entries.next_id += 1;
    entries.armed.insert(
        id,
        Slot {
            deadline,
            interrupter: store.interrupter(),
        },
    );
    dog.wake.notify_one();
    Armed(Some(id))
}

impl Drop for Armed {
    fn drop(&mut self) {
        if let (Some(id), Some(dog)) = (self.0, watchdog()) {
            dog.lock().armed.remove(&id);
        }
    }
}
