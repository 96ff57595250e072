//! What `morph serve`'s HTTP layer adds to a call (`cargo bench -p
//! morph-benches --bench serve`; figures: BENCHMARKS.md, "Serve: the HTTP
//! layer"). A bounded load generator, not a criterion suite: criterion times
//! one caller, and this needs calls per second and latency quantiles under
//! 1, 8 and 64 clients at once.
//!
//! For each runtime (wasm on wasmer, wasm on wasmi, JS, Python; `Pooled`)
//! in its own data dir and server: the test guest's `echo` through
//! `Service::execute` and through `POST /v1/extensions/{id}/actions/echo`
//! on 127.0.0.1, both timed in the same run (`morph_benches::serve_load`).
//! Each cell takes 0.5 s of warm-up and 2 s of measurement per way. After
//! the first runtime, a breakdown: `GET /healthz` from one client (what
//! HTTP alone costs) and the token check every authenticated request makes.
//!
//! Arguments after `--`: words that pick runtimes by engine (`wasmer`,
//! `wasmi`, `boa`, `rustpython`). Without `--bench` (`cargo test`) every
//! cell runs for a few milliseconds only, to check that it works.

use std::time::Duration;

use morph_benches::drive;
use morph_benches::scaling::Runner;
use morph_benches::serve_load::{self, Breakdown, CLIENTS, Cell, Served, Timing, micros};

/// Per-thread allocation metering, as in the `morph` binary: the JS and
/// Python runtimes measure each call's memory with it.
#[global_allocator]
static ALLOC: morph_runtime_core::allocation::MeteredAllocator =
    morph_runtime_core::allocation::MeteredAllocator::system();

fn main() {
    let (bench, words) = morph_benches::harness_args();
    let timing = if bench { Timing::BENCH } else { Timing::SMOKE };
    let picked: Vec<&str> = words.iter().map(String::as_str).collect();
    // The server as `morph serve` runs it: a multi-thread runtime on every
    // core. The clients: one thread of their own, like a load generator in
    // another process.
    let server_rt = drive::runtime();
    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("the clients' runtime");
    let mut cells = Vec::new();
    let mut breakdown = None;
    for runner in Runner::ALL {
        if !picked.is_empty() && !picked.iter().any(|p| runner.engine().contains(p)) {
            continue;
        }
        let served = server_rt.block_on(Served::start(runner));
        serve_load::check(&server_rt, &client_rt, &served);
        for clients in CLIENTS {
            let cell = serve_load::cell(&server_rt, &client_rt, &served, runner, clients, timing);
            println!(
                "serve/{}/{} clients: Service::execute {:.0} calls/s p50 {} p99 {} | HTTP {:.0} calls/s p50 {} p99 {} | added p50 {:+.1} µs | execute inside the server (mean): {} direct, {} under HTTP",
                runner.engine(),
                clients,
                cell.direct.per_second(),
                shown(cell.direct.p50()),
                shown(cell.direct.p99()),
                cell.http.per_second(),
                shown(cell.http.p50()),
                shown(cell.http.p99()),
                cell.added_p50_us(),
                shown(cell.direct_inside),
                shown(cell.http_inside),
            );
            assert!(
                cell.direct.calls() > 0 && cell.http.calls() > 0,
                "no call was answered inside the window"
            );
            cells.push(cell);
        }
        if breakdown.is_none() {
            breakdown = Some(serve_load::breakdown(&client_rt, &served, timing));
        }
        server_rt.block_on(served.stop());
    }
    assert!(
        !cells.is_empty(),
        "no runtime matches {picked:?}; pick from {:?}",
        Runner::ALL.map(Runner::engine)
    );
    println!();
    print_table(&cells);
    if let Some(b) = breakdown {
        print_breakdown(&cells, &b);
    }
}

/// What HTTP alone and the token check cost (one client), and how long
/// `Service::execute` itself took under each way.
fn print_breakdown(cells: &[Cell], b: &Breakdown) {
    println!();
    println!(
        "| runtime | clients | Service::execute mean, direct | Service::execute mean, under HTTP | HTTP mean | HTTP mean − execute mean under HTTP |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for cell in cells {
        let http_mean = cell.http.mean();
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            runtime_name(cell.runner),
            cell.clients,
            shown(cell.direct_inside),
            shown(cell.http_inside),
            shown(http_mean),
            shown(http_mean.saturating_sub(cell.http_inside)),
        );
    }
    println!();
    println!(
        "GET /healthz, 1 client (HTTP alone): {:.0} calls/s, p50 {}, p99 {}",
        b.healthz.per_second(),
        shown(b.healthz.p50()),
        shown(b.healthz.p99()),
    );
    println!(
        "TokenStore::check (every authenticated request): {}",
        shown(b.token_check)
    );
}

/// The table of BENCHMARKS.md.
fn print_table(cells: &[Cell]) {
    println!(
        "| runtime | clients | Service::execute calls/s | p50 | p99 | HTTP calls/s | p50 | p99 | HTTP adds (p50) |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for cell in cells {
        println!(
            "| {} | {} | {:.0} | {} | {} | {:.0} | {} | {} | {:+.1} µs |",
            runtime_name(cell.runner),
            cell.clients,
            cell.direct.per_second(),
            shown(cell.direct.p50()),
            shown(cell.direct.p99()),
            cell.http.per_second(),
            shown(cell.http.p50()),
            shown(cell.http.p99()),
            cell.added_p50_us(),
        );
    }
}

/// The runtime column: `wasm (wasmer)`, `js (boa)`, ...
fn runtime_name(runner: Runner) -> String {
    match runner {
        Runner::Wasm(engine) => format!("wasm ({engine})"),
        Runner::Js => format!("js ({})", runner.engine()),
        Runner::Python => format!("python ({})", runner.engine()),
    }
}

/// `d` as µs below a millisecond, else as ms.
fn shown(d: Duration) -> String {
    let us = micros(d);
    if us < 1000.0 {
        format!("{us:.1} µs")
    } else {
        format!("{:.2} ms", us / 1000.0)
    }
}
