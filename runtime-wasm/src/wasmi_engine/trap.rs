//! How a wasmi error that ended a guest function, or an instantiation,
//! becomes a Morph error.
//!
//! Invariant: the cause a host import recorded in the bridge
//! (`Bridge::raise`) wins; otherwise the trap code decides (fuel is
//! `timeout`, stack exhaustion `stack_overflow`, a refused grow or an initial
//! memory past the cap `memory_limit`), and link errors are the package's
//! fault (`invalid_package`).

use morph_capabilities::Error;
use wasmi::errors::{ErrorKind, InstantiationError};
use wasmi::{Store, TrapCode};

use super::StoreData;
use super::imports::ImportTrap;
use crate::bridge::TrapKind;

/// Maps a wasmi error that ended a guest function to the Morph error.
pub(super) fn trap_error(store: &mut Store<StoreData>, e: &wasmi::Error) -> Error {
    let bridge = &mut store.data_mut().bridge;
    let kind = match e.as_trap_code() {
        Some(TrapCode::StackOverflow) => TrapKind::StackOverflow,
        Some(TrapCode::OutOfFuel) => TrapKind::OutOfTime,
        Some(TrapCode::GrowthOperationLimited) => {
            bridge.note_memory_denied();
            TrapKind::Other
        }
        Some(_) => TrapKind::Other,
        None if e.downcast_ref::<ImportTrap>().is_some() => TrapKind::Host,
        None => match e.kind() {
            ErrorKind::Memory(_) | ErrorKind::Table(_) => {
                bridge.note_memory_denied();
                TrapKind::Other
            }
            _ => TrapKind::Other,
        },
    };
    bridge.trap_error(kind, &e.to_string())
}

/// Maps an instantiation failure: link errors are the package's fault, the
/// rest (initial memory past the cap, a trapping start function) are limits
/// or crashes.
pub(super) fn instantiation_error(store: &mut Store<StoreData>, e: &wasmi::Error) -> Error {
    match e.kind() {
        ErrorKind::Instantiation(
            InstantiationError::FailedToInstantiateMemory(_)
            | InstantiationError::FailedToInstantiateTable(_),
        ) => {
            store.data_mut().bridge.note_memory_denied();
            store
                .data_mut()
                .bridge
                .trap_error(TrapKind::Other, &e.to_string())
        }
        // An element segment out of its table traps, as in the spec.
        ErrorKind::Instantiation(InstantiationError::ElementSegmentDoesNotFit { .. }) => {
            trap_error(store, e)
        }
        ErrorKind::Linker(_) | ErrorKind::Instantiation(_) => Error::InvalidPackage {
            reason: format!("the module cannot be instantiated: {e}"),
        },
        _ => trap_error(store, e),
    }
}
