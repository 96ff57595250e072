//! Metering: the cost model and the budget that bound a guest call that no
//! deadline interrupt reached, and the metering globals of one instance.
//!
//! Invariants: the budget is reset before every guest call and the start
//! function (see [`Meter::reset`]); a missing metering global is an error,
//! never a panic; [`COST_MODEL`] changes whenever [`operator_cost`] does (it
//! is part of the module cache key).

use morph_capabilities::{Error, Result};
use wasmer::wasmparser::Operator;
use wasmer::{Exports, Global, Store, Value};

/// Metering points granted per millisecond of `max_execution_ms`.
///
/// One point is about one wasm operator that does work (see
/// [`operator_cost`]). Measured with this cost model on a server core (AMD
/// EPYC, November 2026, with a throwaway measurement harness), a
/// guest burns about 1.1 M points/ms in a tight loop or a chain of dependent
/// arithmetic, 1.5 M/ms making calls, 2.3 M/ms in independent arithmetic and
/// up to 5.7 M/ms in load/store-heavy code. The budget is about twice the
/// fastest of these so that **the deadline interrupt is what stops a guest**
/// and metering only stops one no interrupt reached (no deadline, non-unix
/// hosts, a lost signal): there, a call overshoots `max_execution_ms` by 2x
/// (dense code) to 9x (tight loops). Host calls cost no points; the broker
/// and the deadline bound them.
pub(super) const POINTS_PER_MS: u64 = 10_000_000;

/// Version of [`operator_cost`]; part of the cache key.
pub(super) const COST_MODEL: u32 = 1;

/// Names of the globals the `Metering` middleware adds to every module.
const REMAINING_POINTS: &str = "wasmer_metering_remaining_points";
const POINTS_EXHAUSTED: &str = "wasmer_metering_points_exhausted";

/// The metering cost of one operator: 1 for an operator that does work;
/// nothing for those that only name values Cranelift keeps in registers or
/// mark structure (every loop iteration and every call still costs at least
/// 1, through its branch or call); more for calls and for the bulk
/// operations whose work grows with their operands (those are also bounded
/// by the memory cap and, between operators, by the deadline interrupt).
pub(super) fn operator_cost(op: &Operator) -> u64 {
    match op {
        Operator::LocalGet { .. }
        | Operator::LocalSet { .. }
        | Operator::LocalTee { .. }
        | Operator::I32Const { .. }
        | Operator::I64Const { .. }
        | Operator::F32Const { .. }
        | Operator::F64Const { .. }
        | Operator::Drop
        | Operator::Nop
        | Operator::Block { .. }
        | Operator::End
        | Operator::Else => 0,
        Operator::Call { .. } | Operator::CallIndirect { .. } => 4,
        Operator::MemoryGrow { .. }
        | Operator::MemoryFill { .. }
        | Operator::MemoryCopy { .. }
        | Operator::MemoryInit { .. }
        | Operator::TableGrow { .. }
        | Operator::TableFill { .. }
        | Operator::TableCopy { .. }
        | Operator::TableInit { .. } => 64,
        _ => 1,
    }
}

/// The metering globals of one instance (read and written directly, so a
/// missing global is an error, never a panic).
pub(super) struct Meter {
    remaining: Global,
    exhausted: Global,
}

impl Meter {
    /// The metering globals among an instance's `exports`.
    pub(super) fn from_exports(exports: &Exports) -> Result<Meter> {
        Ok(Meter {
            remaining: global(exports, REMAINING_POINTS)?,
            exhausted: global(exports, POINTS_EXHAUSTED)?,
        })
    }

    pub(super) fn reset(&self, store: &mut Store, points: u64) -> Result<()> {
        let set = |global: &Global, store: &mut Store, value: Value| {
            global
                .set(store, value)
                .map_err(|e| Error::internal(format!("resetting the metering budget: {e}")))
        };
        // The middleware compares the global as an unsigned 64-bit value.
        set(&self.remaining, store, Value::I64(points as i64))?;
        set(&self.exhausted, store, Value::I32(0))
    }

    pub(super) fn is_exhausted(&self, store: &mut Store) -> bool {
        matches!(self.exhausted.get(store), Value::I32(n) if n != 0)
    }
}

fn global(exports: &Exports, name: &str) -> Result<Global> {
    exports
        .get_global(name)
        .cloned()
        .map_err(|e| Error::internal(format!("metering global `{name}` missing: {e}")))
}
