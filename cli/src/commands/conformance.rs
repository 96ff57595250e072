//! `morph conformance`: certify the runtimes linked into this binary with the
//! conformance suite and print their certificates.
//!
//! Each certifiable runtime is named `kind` or `kind/engine` (`wasm/wasmer`,
//! `wasm/wasmi`, ...); `--runtime wasm` picks every engine of that kind. The
//! exit code is 0 when every certificate passes, 1 when a case failed, 2 for
//! usage errors (an unknown runtime, a probe that cannot be read).

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;

use morph_conformance::{CaseResult, Certificate, CertifyOptions, Probe, Status, certify};
use morph_runtime_core::{Error, Isolation, LoadOptions, MorphRuntime};
use serde_json::json;

use crate::args::{ConformanceArgs, IsolationArg};
use crate::output::{EXIT_EXTENSION_FAILED, EXIT_OK, failure};

/// A runtime the suite can certify from this binary.
struct Certifiable {
    /// `kind` or `kind/engine`.
    name: &'static str,
    /// The engine to ask for, if the runtime has a choice.
    engine: Option<&'static str>,
    /// The runtime.
    runtime: fn() -> Arc<dyn MorphRuntime>,
    /// The probe in its language.
    probe: fn() -> Result<Probe, Error>,
}

fn certifiable() -> Vec<Certifiable> {
    vec![
        Certifiable {
            name: "wasm/wasmer",
            engine: Some("wasmer"),
            runtime: || Arc::new(morph_runtime_wasm::WasmRuntime::default()),
            probe: wasm_probe,
        },
        Certifiable {
            name: "wasm/wasmi",
            engine: Some("wasmi"),
            runtime: || {
                Arc::new(morph_runtime_wasm::WasmRuntime::new(
                    morph_runtime_wasm::WasmConfig {
                        default_engine: "wasmi".to_owned(),
                        ..Default::default()
                    },
                ))
            },
            probe: wasm_probe,
        },
        Certifiable {
            name: "js",
            engine: None,
            runtime: || Arc::new(morph_runtime_js::JsRuntime::default()),
            probe: || Ok(Probe::js()),
        },
        Certifiable {
            name: "python",
            engine: None,
            runtime: || Arc::new(morph_runtime_python::PythonRuntime::default()),
            probe: || Ok(Probe::python()),
        },
    ]
}

/// The Rust probe: `$MORPH_WASM_PROBE`, else the workspace's build of it.
fn wasm_probe() -> Result<Probe, Error> {
    let from = |path: &Path| {
        std::fs::read(path).map(Probe::wasm).map_err(|e| {
            Error::io(
                format!(
                    "the wasm probe {} (build it with scripts/build-guests.sh)",
                    path.display()
                ),
                e,
            )
        })
    };
    match std::env::var_os("MORPH_WASM_PROBE") {
        Some(path) => from(Path::new(&path)),
        None => Probe::wasm_from_workspace().map_err(|e| {
            Error::io(
                "the wasm probe runtime-wasm/tests/guest/morph_test_guest.wasm (build it with scripts/build-guests.sh or set MORPH_WASM_PROBE)",
                e,
            )
        }),
    }
}

pub async fn conformance(args: ConformanceArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let all = certifiable();
    let chosen: Vec<&Certifiable> = if args.runtime.is_empty() {
        all.iter().collect()
    } else {
        all.iter()
            .filter(|c| {
                args.runtime
                    .iter()
                    .any(|r| c.name == r || c.name.split('/').next() == Some(r.as_str()))
            })
            .collect()
    };
    if chosen.is_empty() {
        let names: Vec<&str> = all.iter().map(|c| c.name).collect();
        let e = Error::params(
            "runtime",
            format!(
                "`{}` is not one of {}",
                args.runtime.join(", "),
                names.join(", ")
            ),
        );
        return failure(out, err, args.json, &e, &[]);
    }
    let isolation = args.isolation.map(|i| match i {
        IsolationArg::PerCall => Isolation::PerCall,
        IsolationArg::Pooled => Isolation::Pooled,
        IsolationArg::Process => Isolation::Process,
    });
    let mut certificates = Vec::new();
    for c in chosen {
        let probe = match (c.probe)() {
            Ok(p) => p,
            Err(e) => return failure(out, err, args.json, &e, &[]),
        };
        let mut options = CertifyOptions::new(probe);
        options.load = LoadOptions {
            isolation,
            engine: c.engine.map(str::to_owned),
        };
        options.only.clone_from(&args.only);
        if isolation == Some(Isolation::Process) {
            match crate::process_tier() {
                Ok(tier) => options.process = Some(tier),
                Err(e) => return failure(out, err, args.json, &e, &[]),
            }
        }
        if std::io::stderr().is_terminal() {
            options.progress = Some(progress_bar(c.name));
        }
        certificates.push(certify((c.runtime)(), options).await);
    }
    report(&args, &certificates, out, err)
}

/// One line on the terminal, rewritten after each case.
fn progress_bar(name: &'static str) -> Arc<morph_conformance::Progress> {
    Arc::new(move |result: &CaseResult, done: usize, total: usize| {
        const WIDTH: usize = 24;
        let filled = WIDTH * done / total.max(1);
        let mark = match result.status {
            Status::Pass => "ok",
            Status::Fail => "FAIL",
            Status::Skip => "skip",
        };
        let mut stderr = std::io::stderr();
        let _ = write!(
            stderr,
            "\r\x1b[2K{name:12} [{}{}] {done}/{total} {} {mark}",
            "#".repeat(filled),
            " ".repeat(WIDTH - filled),
            result.id
        );
        if done == total {
            let _ = writeln!(stderr);
        }
        let _ = stderr.flush();
    })
}

fn report(
    args: &ConformanceArgs,
    certificates: &[Certificate],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let doc = json!(certificates);
    if let Some(path) = &args.out {
        let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        if let Err(e) = std::fs::write(path, text + "\n") {
            let e = Error::io(path.display().to_string(), e);
            return failure(out, err, args.json, &e, &[]);
        }
    }
    if args.json {
        let envelope = json!({ "ok": true, "result": doc, "audit": [] });
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&envelope).unwrap_or_default()
        );
    } else {
        for c in certificates {
            let _ = writeln!(out, "{}", c.to_table());
        }
    }
    if certificates.iter().all(Certificate::is_pass) {
        EXIT_OK
    } else {
        EXIT_EXTENSION_FAILED
    }
}
