//! `SPEC.md` from the case table, so the document and the suite cannot drift
//! (a test compares them; `UPDATE_SPEC=1 cargo test -p morph-conformance`
//! rewrites the file).

use std::fmt::Write as _;

use crate::case::{Case, Expect, Step};
use crate::cases::{SUITE_VERSION, suite};
use crate::probe::PROBE_ACTIONS;

const INTRO: &str = include_str!("spec_intro.md");

/// The text of `SPEC.md`.
pub fn spec_markdown() -> String {
    let mut out = INTRO.replace("{version}", SUITE_VERSION);
    let actions = PROBE_ACTIONS
        .find("actions:")
        .map_or(PROBE_ACTIONS, |at| &PROBE_ACTIONS[at..]);
    let _ = writeln!(out, "\n## The probe's actions\n\n```yaml\n{actions}```\n");
    let _ = writeln!(out, "## Cases\n");
    let mut group = None;
    for case in suite() {
        if group != Some(case.group) {
            group = Some(case.group);
            let _ = writeln!(
                out,
                "### {}\n",
                serde_json::to_string(&case.group)
                    .unwrap_or_default()
                    .trim_matches('"')
            );
        }
        describe(&mut out, &case);
    }
    out
}

fn describe(out: &mut String, case: &Case) {
    let _ = writeln!(out, "- **`{}`**: {}.", case.id, case.title);
    for (i, ext) in case.extensions.iter().enumerate() {
        let mut parts = Vec::new();
        if !ext.permissions.is_empty() {
            parts.push(format!("permissions `{}`", ext.permissions.join(" ")));
        }
        if ext.allow_server {
            parts.push("the suite's server allowed".to_owned());
        }
        if !ext.limits.is_empty() {
            parts.push(format!("limits `{}`", ext.limits.replace('\n', ", ")));
        }
        if let Some(iso) = ext.isolation {
            parts.push(format!("isolation `{}`", iso.as_str()));
        }
        if ext.config.as_object().is_some_and(|o| !o.is_empty()) {
            parts.push(format!("config `{}`", ext.config));
        }
        if let Some(code) = ext.load_fails {
            parts.push(format!("**load fails with `{}`**", code.as_str()));
        }
        let what = if parts.is_empty() {
            "no grants, default limits".to_owned()
        } else {
            parts.join(", ")
        };
        let _ = writeln!(out, "  - extension {i} `{}`: {what}", ext.id);
    }
    for step in &case.steps {
        let line = match step {
            Step::Call {
                ext,
                action,
                params,
                expect,
            } => {
                let mut p = params.to_string();
                if p.len() > 120 {
                    p = format!(
                        "{}… ({} bytes)",
                        &p[..p.char_indices().nth(100).map_or(p.len(), |(i, _)| i)],
                        p.len()
                    );
                }
                format!(
                    "call `{action}` on {ext} with `{p}` → {}",
                    expectation(expect)
                )
            }
            Step::Parallel { ext, count } => {
                format!("{count} `echo` calls on {ext} at once → each its own value")
            }
            Step::Event { message } => {
                format!("deliver event `{message}` → every `on_event` succeeds")
            }
            Step::Audit { ext, records } => {
                let r: Vec<String> = records.iter().map(|(c, d)| format!("{c} {d}")).collect();
                format!("audit of {ext} is exactly [{}]", r.join(", "))
            }
        };
        let _ = writeln!(out, "  - {line}");
    }
}

fn expectation(expect: &Expect) -> String {
    match expect {
        Expect::Value(v) => {
            let s = v.to_string();
            if s.len() > 100 {
                format!("the same value ({} bytes)", s.len())
            } else {
                format!("`{s}`")
            }
        }
        Expect::Code(c) => format!("`{}`", c.as_str()),
        Expect::CodeWith(c, t) => format!("`{}` mentioning \"{t}\"", c.as_str()),
        Expect::OneOf(cs) => cs
            .iter()
            .map(|c| format!("`{}`", c.as_str()))
            .collect::<Vec<_>>()
            .join(" or "),
        Expect::Check(what, _) => (*what).to_owned(),
    }
}
