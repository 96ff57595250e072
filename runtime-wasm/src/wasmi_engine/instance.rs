//! Instantiating a compiled module and calling its exports on wasmi.
//!
//! Invariants: every store is built with the memory and table limits of its
//! extension; every guest function (the start function included) runs through
//! [`fuel`](super::fuel) under the call's deadline; the input and the result
//! are copied through bounds-checked slices of memory sliced afresh after each
//! guest call (it may have grown).

use std::time::{Duration, Instant};

use morph_capabilities::{Error, LimitKind, Result};
use wasmi::{Memory, ResourceLimiter, Store, TypedFunc};

use super::fuel::{deadline, run, set_fuel, start_fuel};
use super::imports::{guest_slice, guest_slice_mut};
use super::memory_cap::MemoryCap;
use super::trap::instantiation_error;
use super::{StoreData, WasmiModule};
use crate::bridge::{self, ABI_VERSION, Bridge, TrapKind};
use crate::engine::{CompiledModule, Entry, Input, Instance};
use crate::wasi;

impl CompiledModule for WasmiModule {
    fn instantiate(&self, bridge: Bridge) -> Result<Box<dyn Instance>> {
        let memory_cap = usize::try_from(self.limits.memory_bytes()).unwrap_or(usize::MAX);
        let store_limits = MemoryCap::new(memory_cap);
        let mut store = Store::new(
            self.module.engine(),
            StoreData {
                bridge,
                limits: store_limits,
            },
        );
        store.limiter(|data| -> &mut dyn ResourceLimiter { &mut data.limits });
        let budget = self.limits.execution_time();

        // wasmi runs a start function without pausing it: give it the fuel
        // its remaining time is worth, and map running out to `timeout`.
        let deadline = deadline(&store, budget);
        set_fuel(&mut store, start_fuel(deadline))?;
        let instance = self
            .linker
            .instantiate_and_start(&mut store, &self.module)
            .map_err(|e| instantiation_error(&mut store, &e))?;
        if Instant::now() >= deadline || store.data().bridge.out_of_time() {
            return Err(store.data_mut().bridge.trap_error(
                TrapKind::OutOfTime,
                "the start function ran past the deadline",
            ));
        }

        let missing = |name: &str, e: wasmi::Error| Error::InvalidPackage {
            reason: format!("export `{name}` is missing or has the wrong type: {e}"),
        };
        let memory =
            instance
                .get_memory(&store, "memory")
                .ok_or_else(|| Error::InvalidPackage {
                    reason: "the module does not export its memory as `memory`".into(),
                })?;
        let version = instance
            .get_typed_func::<(), i32>(&store, "morph_abi_version")
            .map_err(|e| missing("morph_abi_version", e))?;
        let alloc = instance
            .get_typed_func::<i32, i32>(&store, "morph_alloc")
            .map_err(|e| missing("morph_alloc", e))?;
        let free = instance
            .get_typed_func::<(i32, i32), ()>(&store, "morph_free")
            .map_err(|e| missing("morph_free", e))?;
        let execute = match instance
            .get_typed_func::<(i32, i32, i32, i32), i64>(&store, Entry::Execute.export())
        {
            Ok(v2) => Execute::V2(v2),
            Err(_) => Execute::V1(
                instance
                    .get_typed_func::<(i32, i32), i64>(&store, Entry::Execute.export())
                    .map_err(|e| missing("morph_execute", e))?,
            ),
        };
        let init = optional_entry(&instance, &store, "morph_init")?;
        let on_event = optional_entry(&instance, &store, "morph_on_event")?;
        let initialize = match instance.get_export(&store, wasi::INITIALIZE) {
            None => None,
            Some(_) => Some(
                instance
                    .get_typed_func::<(), ()>(&store, wasi::INITIALIZE)
                    .map_err(|e| missing(wasi::INITIALIZE, e))?,
            ),
        };

        let expected = execute.version();
        let found = run(&mut store, &version, (), budget)?;
        if found != expected {
            return Err(Error::InvalidPackage {
                reason: if (1..=ABI_VERSION).contains(&found) {
                    format!(
                        "morph_abi_version returned {found}, but morph_execute has the signature of version {expected}"
                    )
                } else {
                    format!(
                        "morph_abi_version returned {found}; this host supports 1 to {ABI_VERSION}"
                    )
                },
            });
        }
        // A WASI reactor sets itself up (constructors, libc) once.
        if let Some(initialize) = initialize {
            run(&mut store, &initialize, (), budget)?;
        }
        Ok(Box::new(WasmiInstance {
            store,
            memory,
            alloc,
            free,
            execute,
            init,
            on_event,
            budget,
        }))
    }
}

type EntryFunc = TypedFunc<(i32, i32), i64>;

/// `morph_execute` as the module's ABI version spells it.
#[derive(Clone, Copy)]
enum Execute {
    V1(EntryFunc),
    V2(TypedFunc<(i32, i32, i32, i32), i64>),
}

impl Execute {
    fn version(self) -> i32 {
        match self {
            Execute::V1(_) => 1,
            Execute::V2(_) => 2,
        }
    }
}

/// A live wasmi instance with its store.
struct WasmiInstance {
    store: Store<StoreData>,
    memory: Memory,
    alloc: TypedFunc<i32, i32>,
    free: TypedFunc<(i32, i32), ()>,
    execute: Execute,
    init: Option<EntryFunc>,
    on_event: Option<EntryFunc>,
    /// The time guest code may run when no call (and so no deadline) is set.
    budget: Duration,
}

impl WasmiInstance {
    fn entry(&self, entry: Entry) -> Option<Execute> {
        match entry {
            Entry::Execute => Some(self.execute),
            Entry::Init => self.init.map(Execute::V1),
            Entry::OnEvent => self.on_event.map(Execute::V1),
        }
    }
}

impl Instance for WasmiInstance {
    fn has_entry(&self, entry: Entry) -> bool {
        self.entry(entry).is_some()
    }

    fn abi_version(&self) -> i32 {
        self.execute.version()
    }

    fn call(&mut self, entry: Entry, input: &Input) -> Result<Vec<u8>> {
        let func = self.entry(entry).ok_or_else(|| {
            Error::internal(format!("the module does not export `{}`", entry.export()))
        })?;
        let len = i32::try_from(input.bytes.len()).map_err(|_| {
            Error::limit(LimitKind::Memory, "the input does not fit in guest memory")
        })?;
        let (alloc, free, budget) = (self.alloc, self.free, self.budget);

        let ptr = run(&mut self.store, &alloc, len, budget)?;
        if ptr == 0 {
            return Err(self.bridge().trap_error(
                TrapKind::Other,
                "morph_alloc returned 0 (allocation failed)",
            ));
        }
        // The memory may have grown in `morph_alloc`: slice it afresh.
        let data = self.memory.data_mut(&mut self.store);
        guest_slice_mut(data, ptr, len)?.copy_from_slice(&input.bytes);

        let packed = match func {
            Execute::V1(f) => run(&mut self.store, &f, (ptr, len), budget)?,
            Execute::V2(f) => {
                let (action_len, params_len) = input.split()?;
                let params = ptr.wrapping_add(action_len);
                run(
                    &mut self.store,
                    &f,
                    (ptr, action_len, params, params_len),
                    budget,
                )?
            }
        };
        let (out_ptr, out_len) = bridge::unpack(packed);
        bridge::check_result_len(out_len, self.store.data().bridge.output_left())?;
        let data = self.memory.data(&self.store);
        let result = guest_slice(data, out_ptr, out_len)?.to_vec();

        run(&mut self.store, &free, (out_ptr, out_len), budget)?;
        Ok(result)
    }

    fn bridge(&mut self) -> &mut Bridge {
        &mut self.store.data_mut().bridge
    }
}

fn optional_entry(
    instance: &wasmi::Instance,
    store: &Store<StoreData>,
    name: &str,
) -> Result<Option<EntryFunc>> {
    if instance.get_export(store, name).is_none() {
        return Ok(None);
    }
    instance
        .get_typed_func(store, name)
        .map(Some)
        .map_err(|e| Error::InvalidPackage {
            reason: format!("export `{name}` has the wrong type: {e}"),
        })
}
