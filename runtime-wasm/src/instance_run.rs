//! Running one entry point on one instance: the shared sequence every
//! isolation mode uses (begin the call on the bridge, call, read the
//! envelope, end the call), and building a fresh instance with its `init`.

use morph_capabilities::{Call, Error, ErrorCode, Result};
use serde_json::Value;

use crate::bridge::Bridge;
use crate::engine::{Entry, Input, Instance};
use crate::pool::InstanceRecipe;

/// Runs `entry` with `input` under `call`; the instance keeps nothing of the
/// call afterwards.
///
/// # Errors
/// Whatever the guest call ends with (see [`Instance::call`]).
pub(crate) fn run_entry(
    instance: &mut dyn Instance,
    call: Call,
    entry: Entry,
    input: &Input,
) -> Result<Value> {
    instance.bridge().begin(call);
    let version = instance.abi_version();
    let result = instance.call(entry, input);
    // What the guest left on stdout and stderr without a newline is logged
    // under the same call; a limit hit doing so ends it.
    let flushed = crate::wasi::flush(instance.bridge());
    let result = result.and_then(|bytes| {
        flushed?;
        instance.bridge().finish_result(version, &bytes)
    });
    instance.bridge().end();
    result
}

/// Instantiates the module and runs the guest's `init` (if it has one) under
/// `call`.
///
/// # Errors
/// `invalid_package` for link or ABI errors; `init_failed` wrapping the cause
/// when the start function or `init` fails.
pub(crate) fn fresh_instance(recipe: &InstanceRecipe, call: &Call) -> Result<Box<dyn Instance>> {
    let mut bridge = Bridge::new(recipe.handle.clone());
    bridge.begin(call.clone());
    let mut instance = recipe.module.instantiate(bridge).map_err(init_failed)?;
    instance.bridge().end();
    if let Some(config) = &recipe.init_input
        && instance.has_entry(Entry::Init)
    {
        run_entry(instance.as_mut(), call.clone(), Entry::Init, config).map_err(init_failed)?;
    }
    Ok(instance)
}

fn init_failed(e: Error) -> Error {
    match e.code() {
        ErrorCode::InvalidPackage | ErrorCode::InitFailed | ErrorCode::Internal => e,
        _ => Error::InitFailed(Box::new(e)),
    }
}
