//! The Python runtime's behaviour through the real `Host`, the real broker
//! and the test guest in `tests/guest/main.py` (the same actions as the wasm
//! test guest, from `runtime-wasm/tests/guest/actions.yaml`).

mod behaviour;
mod capabilities;
mod example;
mod hostile;
mod isolation;
mod limits;
mod support;
