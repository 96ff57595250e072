//! The extensions the MCP and `morph serve` suites offer to an agent, written
//! once: `notes` (one action per `ai_access`: `execute`, `propose`,
//! `blocked`; a fetch for denials; `churn`, an endless loop that calls a
//! capability, for cancellation), `spinner` (an endless loop, 300 ms at
//! most, for the time limit) and `ledger` (Python: amounts kept as tasks,
//! for code mode's second language).

use crate::PackageSpec;

const NOTES_ACTIONS: &str = "actions:
  - {name: add, description: Adds a note, ai_access: execute, parameters: [{name: title, type: string, required: true}]}
  - {name: list, description: Lists the notes, ai_access: execute}
  - {name: publish, description: Publishes a note, ai_access: propose, parameters: [{name: title, type: string, required: true}]}
  - {name: secret, description: Never for agents, ai_access: blocked}
  - {name: fetch, description: Fetches a URL, ai_access: execute, parameters: [{name: url, type: string, required: true}]}
  - {name: churn, description: Lists notes forever, ai_access: execute}
";

const NOTES_JS: &str = r#"export function execute(action, params) {
  if (action === "add") return morph.data.createTask(params.title);
  if (action === "list") return morph.data.listTasks().map((t) => t.title);
  if (action === "publish") return morph.data.createTask("published: " + params.title);
  if (action === "secret") return morph.data.createTask("secret ran");
  if (action === "fetch") return morph.http.fetch(params.url).status;
  if (action === "churn") { for (;;) { morph.data.listTasks(); for (let i = 0; i < 20000; i++) {} } }
  throw new Error("unknown action " + action);
}
"#;

const SPINNER_JS: &str = "export function execute(action, params) { for (;;) {} }\n";

/// `notes`: tasks, one allowed host (`api.example.com`), 20 s per call.
pub fn notes() -> PackageSpec {
    PackageSpec::new("notes", "js", "index.js", NOTES_JS, NOTES_ACTIONS)
        .permissions(&["data:read", "data:write", "http:read"])
        .allowed_hosts(&["api.example.com"])
        .limits("max_execution_ms: 20000")
}

/// `spinner`: `spin` never returns; 300 ms per call.
pub fn spinner() -> PackageSpec {
    PackageSpec::new(
        "spinner",
        "js",
        "index.js",
        SPINNER_JS,
        "actions:\n  - {name: spin, description: Spins forever, ai_access: execute}\n",
    )
    .limits("max_execution_ms: 300")
}

const LEDGER_PY: &str = r#"import morph


def execute(action, params):
    if action == "record":
        morph.data.create_task("amount " + str(params["amount"]))
        return {"recorded": params["amount"]}
    if action == "total":
        tasks = morph.data.list_tasks()
        return sum(int(t["title"].split()[1]) for t in tasks)
    raise ValueError("unknown action " + action)
"#;

/// `ledger` (Python): `record` an amount, read the `total`.
pub fn ledger() -> PackageSpec {
    PackageSpec::new(
        "ledger",
        "python",
        "main.py",
        LEDGER_PY,
        "actions:
  - {name: record, description: Records an amount, ai_access: execute, parameters: [{name: amount, type: integer, required: true}]}
  - {name: total, description: The sum of the amounts, ai_access: execute}
",
    )
    .permissions(&["data:read", "data:write"])
}
