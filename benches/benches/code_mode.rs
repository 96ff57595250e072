//! What code mode costs (issue 27, points 4 and 5; `cargo bench -p
//! morph-benches --bench code_mode`; figures: BENCHMARKS.md, "Code mode").
//! A harness of its own, like `benches/serve.rs`: it needs byte counts and a
//! child process beside the times.
//!
//! 1. **fresh**: one `Host::run_code` of `return 1` (JavaScript) and `1`
//!    (Python) with no tools, without and with the data dir's SQLite run
//!    store, beside a run in a throwaway sandbox (TypeScript: what a run
//!    costs without the kept one), the engine's bare context and Morph's
//!    guest context or interpreter, all in the same rounds
//!    (`morph_benches::code_mode`).
//! 2. **mcp**: over MCP on stdio to `morph mcp` (this binary re-executed as
//!    the `morph` CLI), `run_code` of the same programs beside two direct
//!    tool calls (`tracker.ping`: no capability; `notes.list`: one data
//!    read), rotated call by call in one session.
//! 3. **workload**: 200 issues listed from a stand-in tracker on
//!    127.0.0.1, the 20 stale ones commented: 21 tool calls from a
//!    scripted client, one `run_code` in JavaScript, one in Python, in the
//!    same session; the tracker must have received the 20 comments after
//!    each.
//!
//! Arguments after `--`: words that pick parts (`fresh`, `mcp`,
//! `workload`) and languages (`javascript`, `python`). Without `--bench` (`cargo test`) every part runs a round or
//! two, to check that it works.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use morph_benches::code_mode::mcp::{Answer, Session};
use morph_benches::code_mode::tracker::{self, STALE, Tracker};
use morph_benches::code_mode::{self, AS_MORPH, Samples, Timing, shown};
use morph_benches::{bare_js, bare_python, drive};
use morph_runtime_core::code::{CodeLanguage, CodeRequest, CodeRunStore, RunState, RunTicket};
use serde_json::{Value, json};
use tokio::runtime::Runtime;

/// Per-thread allocation metering, as in the `morph` binary: the JS and
/// Python runtimes measure each call's memory with it (and the child, which
/// is the `morph` binary's `main`, needs it as that binary has it).
#[global_allocator]
static ALLOC: morph_runtime_core::allocation::MeteredAllocator =
    morph_runtime_core::allocation::MeteredAllocator::system();

/// The pause between calls of the paced round trips: far less than a
/// model's turn, more than a Python interpreter takes to build.
const PACE: Duration = Duration::from_millis(20);

/// The languages `picked` names (`javascript`, `python`), or both.
fn languages(picked: &[&str]) -> Vec<CodeLanguage> {
    let named: Vec<CodeLanguage> = [CodeLanguage::Javascript, CodeLanguage::Python]
        .into_iter()
        .filter(|l| picked.contains(&l.as_str()))
        .collect();
    if named.is_empty() {
        vec![CodeLanguage::Javascript, CodeLanguage::Python]
    } else {
        named
    }
}

fn main() -> ExitCode {
    if std::env::var_os(AS_MORPH).is_some() {
        // The child: `morph mcp ...`, exactly as `cli/src/main.rs` runs it.
        return morph_cli::main_from_env();
    }
    let (bench, words) = morph_benches::harness_args();
    let timing = if bench { Timing::BENCH } else { Timing::SMOKE };
    let picked: Vec<&str> = words.iter().map(String::as_str).collect();
    let parts = ["fresh", "mcp", "workload"];
    let any_part = picked.iter().any(|p| parts.contains(p));
    let wants = |part: &str| !any_part || picked.contains(&part);
    let languages = languages(&picked);
    let rt = drive::runtime();
    if wants("fresh") {
        fresh(&rt, timing, &languages);
    }
    if wants("mcp") || wants("workload") {
        let tracker = Tracker::start();
        let dir = tempfile::tempdir().expect("a temporary dir");
        let data = tracker::data_dir(dir.path(), &tracker.host());
        let exe = std::env::current_exe().expect("this binary's path");
        let session = rt.block_on(Session::start(
            &exe,
            &data,
            &dir.path().join("audit.key"),
            &dir.path().join("morph-mcp.log"),
        ));
        println!(
            "MCP on stdio to `morph mcp` (this binary as the morph CLI), initialize: {} bytes back, {} sent",
            session.handshake.0, session.handshake.1
        );
        tools_listed(&rt, &session);
        if wants("mcp") {
            let beside = tempfile::tempdir().expect("a temporary dir");
            let beside_data = tracker::data_dir(beside.path(), &tracker.host());
            let service = rt.block_on(code_mode::start_service(beside.path(), &beside_data));
            for pause in [Duration::ZERO, PACE] {
                round_trips(&rt, &session, &service, timing, &languages, pause);
            }
            service.flush().expect("flush the in-process service");
        }
        if wants("workload") {
            workload(&rt, &session, &tracker, timing, &languages);
        }
        rt.block_on(session.close());
    }
    ExitCode::SUCCESS
}

/// One language's figures in the fresh-context part.
#[derive(Default)]
struct Fresh {
    bare: Samples,
    guest: Samples,
    thread: Samples,
    guest_first: Samples,
    guest_second: Samples,
    throwaway: Samples,
    run_code: Samples,
    run_code_store: Samples,
    store: Samples,
}

/// Reads one figure of a [`Fresh`].
type Figure = fn(&Fresh) -> &Samples;

/// Part 1: a fresh context per language.
fn fresh(rt: &Runtime, timing: Timing, languages: &[CodeLanguage]) {
    let dir = tempfile::tempdir().expect("a temporary dir");
    let (host, audit) = code_mode::empty_host(dir.path());
    let store = code_mode::run_store(dir.path(), audit);
    let _entered = rt.enter();
    let mut all = Vec::new();
    for &language in languages {
        let rounds = match language {
            CodeLanguage::Python => timing.fresh[1],
            _ => timing.fresh[0],
        };
        let mut f = Fresh::default();
        for round in 0..timing.warm_up + rounds {
            let keep = round >= timing.warm_up;
            let started = Instant::now();
            match language {
                CodeLanguage::Python => bare_python::new_interpreter(),
                _ => bare_js::new_context(),
            }
            let bare = started.elapsed();
            let started = Instant::now();
            code_mode::guest_context(language);
            let guest = started.elapsed();
            let stack = code_mode::worker_stack(language);
            let (thread, ()) = code_mode::on_new_thread(stack, rt.handle(), || {});
            let (guest_first, guest_second) = code_mode::guest_on_new_thread(language, rt.handle());
            // A sandbox loaded for the run and dropped after it, as a
            // TypeScript run (and every run under process isolation) gets:
            // the cost without the kept one (JavaScript only: a Python run
            // is never TypeScript).
            let throwaway = (language == CodeLanguage::Javascript).then(|| {
                let host = host.clone();
                drive::in_task(rt, async move {
                    code_mode::run_code(&host, CodeLanguage::Typescript, None).await
                })
            });
            let plain = {
                let host = host.clone();
                drive::in_task(rt, async move {
                    code_mode::run_code(&host, language, None).await
                })
            };
            let stored = {
                let host = host.clone();
                let store: Arc<dyn CodeRunStore> = store.clone();
                drive::in_task(rt, async move {
                    code_mode::run_code(&host, language, Some(store)).await
                })
            };
            let ticket = RunTicket {
                run_id: format!("bench-{}-{round}", language.as_str()),
                caller: Some("bench".to_owned()),
                language,
                source_digest: "0".repeat(64),
            };
            let started = Instant::now();
            store.begin(&ticket).expect("begin a run");
            store
                .end(&ticket.run_id, RunState::Finished)
                .expect("end a run");
            let store_time = started.elapsed();
            if keep {
                f.bare.push(bare);
                f.guest.push(guest);
                f.thread.push(thread);
                f.guest_first.push(guest_first);
                f.guest_second.push(guest_second);
                if let Some(t) = throwaway {
                    f.throwaway.push(t);
                }
                f.run_code.push(plain);
                f.run_code_store.push(stored);
                f.store.push(store_time);
            }
        }
        // Back to back: what a run costs in CPU over all threads, the
        // session's teardown on its detached worker included (the pause
        // lets the last ones finish).
        let batch = rounds.div_ceil(2);
        let rss_before = code_mode::process_rss();
        let cpu_before = code_mode::process_cpu();
        let started = Instant::now();
        for _ in 0..batch {
            let host = host.clone();
            drive::in_task(rt, async move {
                code_mode::run_code(&host, language, None).await
            });
        }
        let wall = started.elapsed();
        std::thread::sleep(Duration::from_millis(500));
        let cpu = code_mode::process_cpu().saturating_sub(cpu_before);
        let rss = code_mode::process_rss();
        let n = u32::try_from(batch.max(1)).unwrap_or(u32::MAX);
        println!(
            "code_mode/fresh/{}: {batch} Host::run_code back to back (no run store): {} wall per run, {} CPU per run over all threads ({:.2} cores busy); resident memory {:.1} MiB before, {:.1} MiB after ({:+.0} KiB per run)",
            language.as_str(),
            shown(wall / n),
            shown(cpu / n),
            cpu.as_secs_f64() / wall.as_secs_f64().max(f64::EPSILON),
            rss_before as f64 / 1048576.0,
            rss as f64 / 1048576.0,
            (rss as f64 - rss_before as f64) / 1024.0 / f64::from(n),
        );
        // What stays resident: guest contexts built on this thread, then
        // on new threads (one each), as many as the runs above.
        let rss_before = code_mode::process_rss();
        for _ in 0..batch {
            code_mode::guest_context(language);
        }
        let rss_here = code_mode::process_rss();
        for _ in 0..batch {
            code_mode::on_new_thread(code_mode::worker_stack(language), rt.handle(), move || {
                code_mode::guest_context(language);
            });
        }
        let rss_threads = code_mode::process_rss();
        println!(
            "code_mode/fresh/{}: resident memory per guest context built and dropped: {:+.0} KiB on this thread, {:+.0} KiB on a new thread each",
            language.as_str(),
            (rss_here as f64 - rss_before as f64) / 1024.0 / f64::from(n),
            (rss_threads as f64 - rss_here as f64) / 1024.0 / f64::from(n),
        );
        println!(
            "code_mode/fresh/{}: Host::run_code p50 {} (with the run store {}), guest context p50 {}",
            language.as_str(),
            shown(f.run_code.p50()),
            shown(f.run_code_store.p50()),
            shown(f.guest.p50()),
        );
        all.push((language, f));
    }
    println!();
    let mut header = "| figure |".to_owned();
    let mut rule = "| --- |".to_owned();
    for (language, _) in &all {
        let name = match language {
            CodeLanguage::Python => "Python (RustPython)",
            _ => "JavaScript (Boa)",
        };
        header.push_str(&format!(" {name} p50 | mean | p99 |"));
        rule.push_str(" ---: | ---: | ---: |");
    }
    println!("{header}");
    println!("{rule}");
    let rows: [(&str, Figure); 9] = [
        (
            "bare engine context (Boa `Context::default()`, RustPython `Interpreter::without_stdlib`)",
            |f| &f.bare,
        ),
        (
            "Morph guest context / interpreter (`new_guest_context(Web)`, `new_guest_interpreter(Standard)`) on the bench's main thread, which built many before",
            |f| &f.guest,
        ),
        (
            "a new thread with a pool worker's stack (256 MiB): spawn + join, nothing run",
            |f| &f.thread,
        ),
        (
            "Morph guest context / interpreter, the first built on such a new thread",
            |f| &f.guest_first,
        ),
        (
            "... and a second one built after it on the same thread",
            |f| &f.guest_second,
        ),
        (
            "Host::run_code in a throwaway sandbox (TypeScript: temp dir, package, load on a new worker thread, run, drop)",
            |f| &f.throwaway,
        ),
        ("**Host::run_code**, no run store", |f| &f.run_code),
        ("**Host::run_code**, the data dir's SQLite run store", |f| {
            &f.run_code_store
        }),
        (
            "run store alone: `begin` + `end` (two SQLite commits)",
            |f| &f.store,
        ),
    ];
    for (name, get) in rows {
        let mut line = format!("| {name} |");
        for (_, f) in &all {
            let s = get(f);
            line.push_str(&format!(
                " {} | {} | {} |",
                shown(s.p50()),
                shown(s.mean()),
                shown(s.p99())
            ));
        }
        println!("{line}");
    }
    let rounds: Vec<String> = all
        .iter()
        .map(|(l, f)| format!("{} {}", l.as_str(), f.run_code.len()))
        .collect();
    println!("rounds: {}", rounds.join(", "));
    for (language, f) in &all {
        let (target, name) = match language {
            CodeLanguage::Python => (Duration::from_millis(5), "fresh Python interpreter < 5 ms"),
            _ => (Duration::from_millis(1), "fresh JS context < 1 ms"),
        };
        let verdict = |d: Duration| if d < target { "met" } else { "NOT met" };
        println!(
            "target {name}: guest context p50 {} ({}), the first on a new thread {} ({}); whole run_code p50 {} ({})",
            shown(f.guest.p50()),
            verdict(f.guest.p50()),
            shown(f.guest_first.p50()),
            verdict(f.guest_first.p50()),
            shown(f.run_code.p50()),
            verdict(f.run_code.p50()),
        );
    }
    println!();
}

/// The tool listing: what a model is given once per session.
fn tools_listed(rt: &Runtime, session: &Session) {
    let (tools, bytes) = rt.block_on(session.list_tools());
    let size = |t: &rmcp::model::Tool| serde_json::to_vec(t).map(|v| v.len()).unwrap_or(0);
    let of = |prefix: &str| -> usize {
        tools
            .iter()
            .filter(|t| t.name.starts_with(prefix))
            .map(size)
            .sum()
    };
    println!(
        "tools/list: {} tools, {bytes} bytes back; run_code's entry {} bytes, tracker.*'s {} bytes, notes.*'s {} bytes",
        tools.len(),
        of("run_code"),
        of("tracker."),
        of("notes."),
    );
    println!();
}

/// A call of part 2.
enum Way {
    /// `tools/call` of a tool, with its arguments, over MCP.
    Mcp(&'static str, Value),
    /// `Service::execute` of `notes.list`, in this process.
    Execute,
    /// `Service::run_code` of the trivial program, in this process.
    RunCode(CodeLanguage),
}

/// The calls of part 2: a label and the call.
fn ways(languages: &[CodeLanguage]) -> Vec<(String, Way)> {
    let mut ways = vec![
        (
            "tracker.ping (direct)".to_owned(),
            Way::Mcp("tracker.ping", json!({})),
        ),
        (
            "notes.list (direct)".to_owned(),
            Way::Mcp("notes.list", json!({})),
        ),
    ];
    for &language in languages {
        let code = code_mode::trivial(language);
        ways.push((
            format!("run_code {} `{code}`", language.as_str()),
            Way::Mcp(
                "run_code",
                json!({"language": language.as_str(), "code": code}),
            ),
        ));
    }
    ways.push((
        "in process: Service::execute notes.list".to_owned(),
        Way::Execute,
    ));
    for &language in languages {
        ways.push((
            format!("in process: Service::run_code {}", language.as_str()),
            Way::RunCode(language),
        ));
    }
    ways
}

/// Makes the call `way`; its time, and the MCP answer if it went over MCP.
async fn call_way(
    session: &Session,
    service: &morph_serve::Service,
    label: &str,
    way: &Way,
) -> (Duration, Option<Answer>) {
    let caller = "mcp:code-mode-bench";
    match way {
        Way::Mcp(tool, args) => {
            let answer = session.call(tool, args.clone()).await;
            let value = answer.ok(label);
            let result = &value["result"];
            if *tool == "notes.list" {
                assert!(result.is_array(), "{label}: {value}");
            } else {
                assert_eq!(result, &json!(1), "{label}: {value}");
            }
            (answer.elapsed, Some(answer))
        }
        Way::Execute => {
            let started = Instant::now();
            let execution = service
                .execute("notes", "list", json!({}), caller, None)
                .await;
            let elapsed = started.elapsed();
            assert!(execution.result.expect(label).is_array());
            (elapsed, None)
        }
        Way::RunCode(language) => {
            let started = Instant::now();
            let run = service
                .run_code(CodeRequest {
                    policy: service.code_policy(&Default::default()),
                    caller: Some(caller.to_owned()),
                    ..CodeRequest::new(*language, code_mode::trivial(*language))
                })
                .await;
            let elapsed = started.elapsed();
            assert_eq!(run.result.expect(label), json!(1));
            (elapsed, None)
        }
    }
}

/// Part 2: the MCP round trip of a trivial `run_code` beside direct calls,
/// and the same calls in process on a service of their own (same
/// extensions, another data dir).
fn round_trips(
    rt: &Runtime,
    session: &Session,
    service: &morph_serve::Service,
    timing: Timing,
    languages: &[CodeLanguage],
    pause: Duration,
) {
    if pause.is_zero() {
        println!("back to back: each call sent as soon as the one before was answered");
    } else {
        println!(
            "paced: {} between calls, as an agent's model takes its turn between two calls (a sandbox's next context is built by then)",
            shown(pause)
        );
    }
    let ways = ways(languages);
    let mut times: Vec<Samples> = vec![Samples::default(); ways.len()];
    let mut last: Vec<Option<Answer>> = vec![None; ways.len()];
    rt.block_on(async {
        for round in 0..timing.warm_up + timing.round_trips {
            for k in 0..ways.len() {
                // Rotated, so that no way always follows the same one.
                let w = (round + k) % ways.len();
                let (label, way) = &ways[w];
                if !pause.is_zero() {
                    tokio::time::sleep(pause).await;
                }
                let (elapsed, answer) = call_way(session, service, label, way).await;
                if round >= timing.warm_up {
                    times[w].push(elapsed);
                }
                last[w] = answer;
            }
        }
    });
    let ping = times[0].p50();
    let notes = times[1].p50();
    println!(
        "| call | p50 | mean | p99 | bytes back | bytes sent | text bytes | p50 / ping | p50 / notes.list |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (w, (label, _)) in ways.iter().enumerate() {
        let s = &times[w];
        let bytes = match &last[w] {
            Some(a) => format!("{} | {} | {}", a.received, a.sent, a.text),
            None => "— | — | —".to_owned(),
        };
        let ratio = |base: Duration| s.p50().as_secs_f64() / base.as_secs_f64().max(f64::EPSILON);
        println!(
            "| {label} | {} | {} | {} | {bytes} | {:.2}x | {:.2}x |",
            shown(s.p50()),
            shown(s.mean()),
            shown(s.p99()),
            ratio(ping),
            ratio(notes),
        );
    }
    println!("calls per way: {}", times[0].len());
    for (w, (label, _)) in ways.iter().enumerate() {
        let Some(name) = label.strip_prefix("run_code ") else {
            continue;
        };
        let p50 = times[w].p50();
        let verdict = if p50 <= notes * 2 { "met" } else { "NOT met" };
        println!(
            "target run_code within 2x a direct call ({name}): {:.2}x notes.list, {:.2}x tracker.ping at p50: {verdict} (against notes.list)",
            p50.as_secs_f64() / notes.as_secs_f64().max(f64::EPSILON),
            p50.as_secs_f64() / ping.as_secs_f64().max(f64::EPSILON),
        );
    }
    println!();
}

/// One way of doing the job, and what it took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Scripted,
    Code(CodeLanguage),
}

impl Mode {
    fn label(self) -> String {
        match self {
            Mode::Scripted => "individual tool calls (scripted client)".to_owned(),
            Mode::Code(l) => format!("one run_code ({})", l.as_str()),
        }
    }
}

#[derive(Default)]
struct Job {
    wall: Samples,
    requests: Vec<u64>,
    received: Vec<u64>,
    sent: Vec<u64>,
    text: Vec<u64>,
}

fn median(v: &[u64]) -> u64 {
    let mut v = v.to_vec();
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

/// Does the job once in `mode`; its wall time, requests and bytes.
async fn job(session: &Session, mode: Mode) -> (Duration, u64, u64, u64, u64) {
    let started = Instant::now();
    let mut answers = Vec::new();
    match mode {
        Mode::Scripted => {
            let listed = session.call("tracker.list_issues", json!({})).await;
            let issues = listed.ok("tracker.list_issues")["result"]
                .as_array()
                .expect("a list of issues")
                .clone();
            answers.push(listed);
            for (id, body) in tracker::stale(&issues) {
                let answer = session
                    .call("tracker.add_comment", json!({"id": id, "body": body}))
                    .await;
                assert_eq!(answer.ok("tracker.add_comment")["issue"], json!(id));
                answers.push(answer);
            }
        }
        Mode::Code(language) => {
            let answer = session
                .call(
                    "run_code",
                    json!({"language": language.as_str(), "code": tracker::program(language)}),
                )
                .await;
            let envelope = answer.ok("run_code");
            assert_eq!(envelope["result"]["stale"], json!(STALE), "{envelope}");
            assert_eq!(
                envelope["tool_calls"].as_array().map(Vec::len),
                Some(STALE + 1),
                "{envelope}"
            );
            answers.push(answer);
        }
    }
    let wall = started.elapsed();
    let sum = |f: fn(&Answer) -> u64| answers.iter().map(f).sum::<u64>();
    (
        wall,
        answers.len() as u64,
        sum(|a| a.received),
        sum(|a| a.sent),
        sum(|a| a.text),
    )
}

/// Part 3: the job as individual calls and as one program.
fn workload(
    rt: &Runtime,
    session: &Session,
    tracker: &Tracker,
    timing: Timing,
    languages: &[CodeLanguage],
) {
    let mut modes = vec![Mode::Scripted];
    modes.extend(languages.iter().map(|&l| Mode::Code(l)));
    let expected = Tracker::expected();
    assert_eq!(expected.len(), STALE);
    let _ = tracker.take();
    let mut jobs: Vec<Job> = modes.iter().map(|_| Job::default()).collect();
    // One untimed round first, then rotated rounds.
    for round in 0..1 + timing.workload {
        for k in 0..modes.len() {
            let m = (round + k) % modes.len();
            let (wall, requests, received, sent, text) = rt.block_on(job(session, modes[m]));
            let got = tracker.take();
            assert_eq!(
                got,
                expected,
                "{}: the tracker did not receive the 20 comments",
                modes[m].label()
            );
            if round >= 1 {
                let j = &mut jobs[m];
                j.wall.push(wall);
                j.requests.push(requests);
                j.received.push(received);
                j.sent.push(sent);
                j.text.push(text);
            }
        }
    }
    println!(
        "| list 200 issues, comment on the 20 stale | MCP requests | bytes back | text bytes | bytes sent | wall p50 | min – max | comments received |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (m, mode) in modes.iter().enumerate() {
        let j = &jobs[m];
        println!(
            "| {} | {} | {} | {} | {} | {} | {} – {} | {STALE} of {STALE}, every round |",
            mode.label(),
            median(&j.requests),
            median(&j.received),
            median(&j.text),
            median(&j.sent),
            shown(j.wall.p50()),
            shown(j.wall.min()),
            shown(j.wall.max()),
        );
    }
    println!("rounds per way: {}", jobs[0].wall.len());
    let scripted = &jobs[0];
    for (m, mode) in modes.iter().enumerate().skip(1) {
        let j = &jobs[m];
        println!(
            "{}: {:.1}x fewer requests, {:.1}x fewer bytes back, wall {:.2}x the scripted client's",
            mode.label(),
            median(&scripted.requests) as f64 / median(&j.requests).max(1) as f64,
            median(&scripted.received) as f64 / median(&j.received).max(1) as f64,
            j.wall.p50().as_secs_f64() / scripted.wall.p50().as_secs_f64().max(f64::EPSILON),
        );
    }
}
