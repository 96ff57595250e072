//! Fuel: how a guest function runs under the call's deadline on an
//! interpreter that cannot be interrupted.
//!
//! Invariant: a guest function runs in slices of [`FUEL_SLICE`] and the
//! deadline (and the call's cancellation) is checked between two slices, so
//! a call overshoots its deadline, or outlives its cancellation, by about
//! one slice; a start function, which wasmi cannot pause, gets the fuel its
//! remaining time is worth ([`start_fuel`]).

use std::time::{Duration, Instant};

use morph_capabilities::{Error, Result};
use wasmi::{Store, TypedFunc, TypedResumableCall, WasmParams, WasmResults};

use super::StoreData;
use super::trap::trap_error;
use crate::bridge::TrapKind;

/// Fuel handed to a guest per slice; the deadline is checked between slices.
/// A slice of a tight loop takes about 1.2 ms in a release build (measured:
/// ~850,000 fuel per ms), which bounds how far a guest runs past its
/// deadline; an unoptimised build is about 200 times slower.
const FUEL_SLICE: u64 = 1_000_000;

/// Fuel per millisecond of remaining time given to a start function, which
/// wasmi runs without the ability to pause it. Deliberately far below
/// wasmi's speed (see [`FUEL_SLICE`]) so that a looping start function ends
/// with `timeout` before its deadline even on slow devices; the price is that
/// a start function gets only a fraction of the call's time (600 million
/// fuel under the default 30 s), far more than any real one needs.
const START_FUEL_PER_MS: u64 = 20_000;

/// Runs `func` in fuel slices until it returns, traps, or the deadline
/// passes (or the call is cancelled) between two slices.
pub(super) fn run<P: WasmParams, R: WasmResults>(
    store: &mut Store<StoreData>,
    func: &TypedFunc<P, R>,
    params: P,
    budget: Duration,
) -> Result<R> {
    let deadline = deadline(store, budget);
    set_fuel(store, FUEL_SLICE)?;
    let mut step = func.call_resumable(&mut *store, params);
    loop {
        match step {
            Ok(TypedResumableCall::Finished(results)) => return Ok(results),
            Ok(TypedResumableCall::OutOfFuel(paused)) => {
                if Instant::now() >= deadline || store.data().bridge.out_of_time() {
                    return Err(store
                        .data_mut()
                        .bridge
                        .trap_error(TrapKind::OutOfTime, "the deadline passed"));
                }
                // One operation (a large `memory.fill`) may need more than a slice.
                set_fuel(store, paused.required_fuel().max(FUEL_SLICE))?;
                step = paused.resume(&mut *store);
            }
            Ok(TypedResumableCall::HostTrap(paused)) => {
                // Only our imports raise host errors, and they never resume.
                let detail = paused.host_error().to_string();
                drop(paused);
                return Err(store.data_mut().bridge.trap_error(TrapKind::Host, &detail));
            }
            Err(e) => return Err(trap_error(store, &e)),
        }
    }
}

/// The running call's deadline, or `budget` from now outside a call.
pub(super) fn deadline(store: &Store<StoreData>, budget: Duration) -> Instant {
    store
        .data()
        .bridge
        .deadline()
        .unwrap_or_else(|| Instant::now() + budget)
}

pub(super) fn start_fuel(deadline: Instant) -> u64 {
    let ms = deadline
        .saturating_duration_since(Instant::now())
        .as_millis();
    u64::try_from(ms)
        .unwrap_or(u64::MAX)
        .saturating_mul(START_FUEL_PER_MS)
        .max(FUEL_SLICE)
}

pub(super) fn set_fuel(store: &mut Store<StoreData>, fuel: u64) -> Result<()> {
    store
        .set_fuel(fuel)
        .map_err(|e| Error::internal(format!("setting wasmi fuel: {e}")))
}
