//! What the audit log's syncs cost per capability call, under today's
//! policy beside the policies before it, all in the same run
//! (`cargo bench -p morph-benches --bench audit`; BENCHMARKS.md, "Audit:
//! intent before effect").
//!
//! One `Pooled` wasmer host per [`Policy`], each with the real audit log in a
//! temporary dir on the disk ([`audit_cost`]). For every case (`echo`, the
//! baseline without a capability; `vault.get`, no effect; `vault.set` and
//! `http.fetch` of a server on 127.0.0.1, effects) the policies are timed one
//! after the other, their order rotated from case to case, so that the
//! machine's noise falls on every policy alike; `vault.set` is timed again
//! with two callers at once (two warm workers), the case group commit would
//! speed up. Before anything is timed, each case runs once per policy and
//! the durable and batched appends it made are checked and printed.

use criterion::{BenchmarkId, SamplingMode};
use morph_benches::audit_cost::{self, Audited, CALL_VAULT_SET, ENGINE, GROUP, Policy};
use morph_benches::drive::execute_n;
use morph_benches::scaling::execute_concurrently;
use morph_benches::{capability, fixture};
use morph_runtime_core::capabilities::audit::AuditSink;

/// Callers of the concurrent `vault.set` figure (the pool's warm workers).
const CALLERS: usize = fixture::POOL_WORKERS;

fn main() {
    let rt = morph_benches::drive::runtime();
    let mut c = morph_benches::drive::criterion();
    let server = capability::server();
    let hosts: Vec<Audited> = Policy::ALL
        .iter()
        .map(|&policy| rt.block_on(audit_cost::load(policy, &server)))
        .collect();
    let cases = audit_cost::cases(&server);

    eprintln!("appends per call (durable: 2 fdatasyncs each, log and checkpoint):");
    for (name, action, params) in &cases {
        for audited in &hosts {
            let made = audit_cost::check(&rt, audited, name, action, params);
            eprintln!(
                "  {:<36} durable {}  batched {}",
                audit_cost::figure(name, audited.policy),
                made.durable,
                made.batched
            );
        }
    }

    let mut group = c.benchmark_group(GROUP);
    // Milliseconds per call once a sync is in it: flat sampling.
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
    for (i, (name, action, params)) in cases.iter().enumerate() {
        for k in 0..hosts.len() {
            let audited = &hosts[(i + k) % hosts.len()];
            let id = BenchmarkId::new(audit_cost::figure(name, audited.policy), ENGINE);
            group.bench_function(id, |b| {
                b.iter_custom(|iters| execute_n(&rt, &audited.guest, action, params, iters));
            });
        }
    }
    let set = audit_cost::cases(&server)
        .into_iter()
        .find(|(name, ..)| *name == CALL_VAULT_SET)
        .map(|(_, _, params)| params)
        .expect("the vault.set case");
    for audited in &hosts {
        let name = format!("{CALL_VAULT_SET}, {CALLERS} callers");
        let id = BenchmarkId::new(audit_cost::figure(&name, audited.policy), ENGINE);
        group.bench_function(id, |b| {
            b.iter_custom(|iters| {
                execute_concurrently(&rt, &audited.guest, "call", &set, CALLERS, iters)
            });
        });
    }
    group.finish();
    for audited in &hosts {
        // Sync what the batched appends left (as a host does at close).
        audited.sink.flush().expect("flushing the audit log");
    }
    c.final_summary();
}
