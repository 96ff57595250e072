//! Brief section 6: every limit ends in its code, and the host, the
//! extension and other calls carry on afterwards.

use morph_runtime_core::ErrorCode;
use serde_json::json;

use crate::case::{Case, Expect, Ext, Group, Limit};

/// The call every limit case makes afterwards: the extension still answers.
fn still_answers(case: Case) -> Case {
    case.call(
        "echo",
        json!({"value": "after"}),
        Expect::Value(json!({"value": "after"})),
    )
}

/// One builtin operation of each class that sizes its allocation from
/// guest input (`allocate_at_once`): (case id, kind, title).
const AT_ONCE: &[(&str, &str, &str)] = &[
    (
        "limits.memory_at_once.string",
        "string",
        "one string repetition of 512 MiB under max_memory_mb: 32 is memory_limit",
    ),
    (
        "limits.memory_at_once.join",
        "join",
        "one join whose result takes 512 MiB under max_memory_mb: 32 is memory_limit",
    ),
    (
        "limits.memory_at_once.buffer",
        "buffer",
        "one byte buffer of 512 MiB under max_memory_mb: 32 is memory_limit",
    ),
    (
        "limits.memory_at_once.array",
        "array",
        "one filled array or list of 512 MiB under max_memory_mb: 32 is memory_limit",
    ),
    (
        "limits.memory_at_once.number",
        "number",
        "one big integer of 512 MiB under max_memory_mb: 32 is memory_limit",
    ),
];

pub(super) fn cases() -> Vec<Case> {
    let mut cases = limit_cases();
    for (id, kind, title) in AT_ONCE {
        cases.push(still_answers(
            Case::new(
                id,
                Group::Limits,
                title,
                Ext::probe("probe").limits("max_memory_mb: 32"),
            )
            .proves(Limit::Memory)
            .call(
                "allocate_at_once",
                json!({"kind": kind, "mb": 512}),
                Expect::Code(ErrorCode::MemoryLimit),
            ),
        ));
    }
    cases
}

fn limit_cases() -> Vec<Case> {
    vec![
        still_answers(
            Case::new(
                "limits.execution",
                Group::Limits,
                "a guest that never returns is stopped at max_execution_ms with timeout",
                Ext::probe("probe").limits("max_execution_ms: 300"),
            )
            .proves(Limit::Execution)
            .call("loop_forever", json!({}), Expect::Code(ErrorCode::Timeout)),
        ),
        still_answers(
            Case::new(
                "limits.memory",
                Group::Limits,
                "a guest that keeps 256 MiB alive under max_memory_mb: 32 is memory_limit",
                Ext::probe("probe").limits("max_memory_mb: 32"),
            )
            .proves(Limit::Memory)
            .call(
                "grow_memory",
                json!({"mb": 256}),
                Expect::Code(ErrorCode::MemoryLimit),
            ),
        ),
        still_answers(
            Case::new(
                "limits.stack",
                Group::Limits,
                "unbounded recursion is stack_overflow",
                Ext::probe("probe"),
            )
            .proves(Limit::Stack)
            .call(
                "recurse",
                json!({"depth": 100_000_000}),
                Expect::Code(ErrorCode::StackOverflow),
            ),
        ),
        still_answers(
            Case::new(
                "limits.output",
                Group::Limits,
                "a result larger than max_output_kb is output_too_large",
                Ext::probe("probe").limits("max_output_kb: 64"),
            )
            .proves(Limit::Output)
            .call(
                "big_output",
                json!({"bytes": 1 << 20}),
                Expect::Code(ErrorCode::OutputTooLarge),
            ),
        ),
        still_answers(
            Case::new(
                "limits.output_counts_logs",
                Group::Limits,
                "log lines count toward max_output_kb",
                Ext::probe("probe").limits("max_output_kb: 4"),
            )
            .proves(Limit::Output)
            .call(
                "log",
                json!({"message": "x".repeat(512), "times": 64}),
                Expect::Code(ErrorCode::OutputTooLarge),
            ),
        ),
        Case::new(
            "limits.within_bounds",
            Group::Limits,
            "work inside every limit succeeds (limits are not refusals in disguise)",
            Ext::probe("probe").limits("max_memory_mb: 64\nmax_output_kb: 256"),
        )
        .call("grow_memory", json!({"mb": 8}), Expect::Value(json!(8)))
        .call(
            "allocate_at_once",
            json!({"kind": "string", "mb": 4}),
            Expect::Value(json!(4 << 20)),
        )
        .call("recurse", json!({"depth": 500}), Expect::Value(json!(500)))
        .call(
            "big_output",
            json!({"bytes": 1000}),
            Expect::Value(json!("x".repeat(1000))),
        ),
    ]
}
