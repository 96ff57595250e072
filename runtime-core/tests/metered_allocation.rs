//! The metered allocator, installed as this test binary's global allocator:
//! a thread's count follows what it allocates and frees, and nothing else.

use std::hint::black_box;

use morph_runtime_core::allocation::{self, MeteredAllocator};

#[global_allocator]
static ALLOC: MeteredAllocator = MeteredAllocator::system();

const MIB: usize = 1 << 20;

#[test]
fn a_metered_thread_counts_what_it_allocates_and_frees() {
    assert!(allocation::is_installed());
    let guard = allocation::meter_current_thread().expect("installed");
    let meter = guard.meter().clone();
    let start = meter.net_bytes();
    let big = black_box(vec![1u8; 10 * MIB]);
    let grown = meter.grown_since(start);
    assert!(
        (10 * MIB as u64..11 * MIB as u64).contains(&grown),
        "{grown}"
    );
    drop(big);
    assert!(meter.grown_since(start) < MIB as u64);
}

#[test]
fn other_threads_are_not_charged_to_a_meter() {
    let guard = allocation::meter_current_thread().expect("installed");
    let meter = guard.meter().clone();
    let start = meter.net_bytes();
    let elsewhere = std::thread::spawn(|| black_box(vec![1u8; 20 * MIB]).len())
        .join()
        .unwrap();
    assert_eq!(elsewhere, 20 * MIB);
    assert!(meter.grown_since(start) < MIB as u64);
}

#[test]
fn a_meter_is_readable_from_another_thread_and_stops_when_dropped() {
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        let guard = allocation::meter_current_thread().expect("installed");
        let kept = black_box(vec![7u8; 5 * MIB]);
        tx.send(guard.meter().clone()).unwrap();
        drop(guard);
        // After the meter is gone, nothing is counted any more.
        let later = black_box(vec![7u8; 50 * MIB]);
        (kept.len(), later.len())
    });
    let meter = rx.recv().unwrap();
    assert_eq!(worker.join().unwrap(), (5 * MIB, 50 * MIB));
    let net = meter.net_bytes();
    assert!(net >= 5 * MIB as i64 && net < 6 * MIB as i64, "{net}");
}

#[test]
fn a_second_meter_on_a_thread_shares_the_count() {
    let outer = allocation::meter_current_thread().expect("installed");
    let inner = allocation::meter_current_thread().expect("installed");
    let start = outer.meter().net_bytes();
    let v = black_box(vec![0u8; 3 * MIB]);
    assert!(inner.meter().grown_since(start) >= 3 * MIB as u64);
    // Dropping the outer (owning) meter first stops the count safely.
    drop(outer);
    let after = inner.meter().net_bytes();
    let w = black_box(vec![0u8; 3 * MIB]);
    assert_eq!(inner.meter().net_bytes(), after);
    drop((v, w));
}
