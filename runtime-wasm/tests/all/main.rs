//! The wasm runtime's behaviour, one test body on each engine compiled in,
//! through the real `Host`, the real broker and the test guest built from
//! `runtime-wasm/tests/guest` by `scripts/build-guests.sh`.

mod behaviour;
mod budget;
mod c_guest;
mod capabilities;
mod examples;
mod generated;
mod hostile;
mod isolation;
mod limits;
mod support;
mod threats;
mod wasi;
