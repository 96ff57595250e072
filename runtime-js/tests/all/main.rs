//! The JS runtime's behaviour through the real `Host`, the real broker and
//! the JS test guest (`runtime-js/tests/guest/index.js`), which implements
//! the wasm test guest's actions with the same semantics.

mod behaviour;
mod capabilities;
mod examples;
mod hostile;
mod isolation;
mod limits;
mod perf;
mod support;
