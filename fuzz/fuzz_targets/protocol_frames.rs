//! The process protocol's frame reader (`process/src/protocol.rs`) on a
//! byte stream, as the host reads a worker's pipe (`FromWorker`) and a
//! worker reads the host's (`ToWorker`). Every message read must write back
//! to a frame that reads to the same message (compared as written bytes).

#![no_main]

use std::pin::pin;
use std::task::{Context, Poll, Waker};

use libfuzzer_sys::fuzz_target;
use morph_process::protocol::{FrameError, FromWorker, ToWorker, read_frame, write_frame};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The reader's cap: small, so `TooLarge` is reachable.
const CAP: u64 = 64 * 1024;

fn round_trip<T: Serialize + DeserializeOwned>(message: &T) {
    let write = |m: &T| {
        let mut out = Vec::new();
        now(write_frame(&mut out, m)).expect("writing to a Vec");
        out
    };
    let first = write(message);
    let again: T = match now(read_frame(&mut first.as_slice(), u64::MAX)) {
        Ok(m) => m,
        Err(e) => panic!("a frame the writer made does not read back: {e}"),
    };
    assert_eq!(write(&again), first, "a message changed through a frame");
}

/// Polls a future that never waits (reads and writes on memory) to its end.
fn now<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("in-memory I/O never waits"),
    }
}

fn read_all<T: Serialize + DeserializeOwned>(mut stream: &[u8]) {
    for _ in 0..16 {
        match now(read_frame::<T, _>(&mut stream, CAP)) {
            Ok(message) => round_trip(&message),
            Err(FrameError::Malformed(_)) => {}
            Err(FrameError::Closed | FrameError::Io(_) | FrameError::TooLarge { .. }) => return,
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((first, stream)) = data.split_first() else {
        return;
    };
    if first & 1 == 0 {
        read_all::<FromWorker>(stream);
    } else {
        read_all::<ToWorker>(stream);
    }
});
