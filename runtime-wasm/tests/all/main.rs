//! The wasm runtime's behaviour, one test body on each engine compiled in,
//! through the real `Host`, the real broker and the test guest built from
//! `runtime-wasm/tests/guest` by `scripts/build-guests.sh`.

mod behaviour;
mod capabilities;
mod examples;
mod hostile;
mod isolation;
mod limits;
mod support;
