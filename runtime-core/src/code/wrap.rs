//! The throwaway package a code run loads: a manifest with no permission
//! and one action, and an entry that defines `tools` and runs the program.
//!
//! JavaScript and Python entries are **generic**: the program and the tools
//! arrive as the call's params (`{"source", "tools"}`), so a sandbox can be
//! loaded before its program is known (`spare.rs`); TypeScript's is written
//! with its program in it, whose types the loader strips.
//!
//! - **JavaScript**: the program is compiled at run time as the body of an
//!   `async function (tools)` (the `AsyncFunction` constructor, strict mode,
//!   under the same nesting check as any source); `return` gives the result
//!   and `await` works at its top level: `await
//!   tools.<extension>.<action>({...})`. Its line numbers in a stack are the
//!   program's plus 2 (the constructor's own header).
//! - **TypeScript**: the program is the body of `export async function
//!   execute()`, written on the entry's first line so that its line numbers
//!   stay the program's; `tools` is a frozen object declared after it.
//! - **Python**: the program is compiled at run time as the body of an
//!   `async def` (through `ast`, so line numbers stay the program's); the
//!   value of its last expression, or what it `return`s, is the result, and
//!   `await` works at its top level: `await
//!   tools.<extension>.<action>(name=value)`.
//!
//! Names become identifiers by replacing every character that cannot be in
//! one with `_` (`github-issues` is `tools.github_issues`); the wire name
//! the program's call carries is always the tool's own.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::CodeLanguage;
use super::api::{CodeTool, identifier};
use crate::package::MANIFEST_FILE;

/// The extension id a code run's own audit records carry.
pub(crate) const CODE_RUN_ID: &str = "code-run";
/// The one action of a code run.
pub(crate) const CODE_RUN_ACTION: &str = "run";

/// Writes the package of a run into `dir`: its manifest and entry. The
/// JavaScript and Python entries are generic ([`params`]); TypeScript's
/// carries `source` and `tools`.
pub(crate) fn write_package(
    dir: &std::path::Path,
    language: CodeLanguage,
    source: &str,
    tools: &[CodeTool],
    limits: &morph_capabilities::ResourceLimits,
) -> std::io::Result<()> {
    let (entry, text) = match language {
        CodeLanguage::Javascript => ("main.js", JAVASCRIPT_RUNNER.to_owned()),
        CodeLanguage::Typescript => ("main.ts", typescript(source, tools)),
        CodeLanguage::Python => ("main.py", PYTHON_RUNNER.to_owned()),
    };
    std::fs::write(dir.join(entry), text)?;
    std::fs::write(
        dir.join(MANIFEST_FILE),
        manifest(language.runtime_kind(), entry, limits),
    )
}

fn manifest(runtime: &str, entry: &str, limits: &morph_capabilities::ResourceLimits) -> String {
    format!(
        "extension_id: {CODE_RUN_ID}\n\
         version: 0.0.0\n\
         metadata:\n  name: code run\n  description: A program run by run_code, with no permission but tools.\n\
         runtime: {runtime}\n\
         entry: {entry}\n\
         permissions: []\n\
         resource_limits:\n  max_execution_ms: {}\n  max_memory_mb: {}\n  max_output_kb: {}\n\
         actions:\n  - name: {CODE_RUN_ACTION}\n    description: Runs the program.\n    ai_access: blocked\n",
        limits.max_execution_ms, limits.max_memory_mb, limits.max_output_kb
    )
}

/// Whether `language`'s entry is generic (the program comes as params).
pub(crate) fn is_generic(language: CodeLanguage) -> bool {
    language != CodeLanguage::Typescript
}

/// The params of a generic entry's call: the program, and the tools as
/// `{extension identifier: {action identifier: wire name}}`.
pub(crate) fn params(source: &str, tools: &[CodeTool]) -> serde_json::Value {
    serde_json::json!({ "source": source, "tools": grouped(tools) })
}

/// Tools grouped by extension identifier, then action identifier.
fn grouped(tools: &[CodeTool]) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut groups: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for tool in tools {
        groups
            .entry(identifier(&tool.extension))
            .or_default()
            .entry(identifier(&tool.action.name))
            .or_insert_with(|| tool.name());
    }
    groups
}

/// The JavaScript side of a run: the tool proxies, and the program compiled
/// as the body of an async function.
const JAVASCRIPT_RUNNER: &str = r#"const AsyncFunction = (async function () {}).constructor;
const tool = (name) => Object.freeze(async (args) =>
  morph.invoke("tools.call", args === undefined ? { tool: name } : { tool: name, arguments: args }));
const namespace = (groups, make) => Object.freeze(Object.fromEntries(
  Object.entries(groups).map(([name, inner]) => [name, make(inner)])));
export async function execute(action, params) {
  const tools = namespace(params.tools, (actions) => namespace(actions, tool));
  const program = new AsyncFunction("tools", "'use strict';" + params.source);
  return await program(tools);
}
"#;

fn typescript(source: &str, tools: &[CodeTool]) -> String {
    let mut out = String::with_capacity(source.len() + 1024);
    out.push_str("export async function execute() {");
    out.push_str(source);
    out.push_str("\n}\nconst __morphTool = (tool) => Object.freeze(async (args) =>\n");
    out.push_str(
        "  morph.invoke(\"tools.call\", args === undefined ? { tool } : { tool, arguments: args }));\n",
    );
    out.push_str("const tools = Object.freeze({\n");
    for (extension, actions) in grouped(tools) {
        let _ = writeln!(out, "  {}: Object.freeze({{", literal(&extension));
        for (action, wire) in actions {
            let _ = writeln!(
                out,
                "    {}: __morphTool({}),",
                literal(&action),
                literal(&wire)
            );
        }
        out.push_str("  }),\n");
    }
    out.push_str("});\n");
    out
}

/// The Python side of a run: the tool proxies, and the program compiled as
/// the body of an `async def` and driven to its end.
const PYTHON_RUNNER: &str = r#"import ast as _ast
import morph as _morph


class _Namespace:
    __slots__ = ("_members",)

    def __init__(self, members):
        object.__setattr__(self, "_members", members)

    def __getattr__(self, name):
        try:
            return self._members[name]
        except KeyError:
            raise AttributeError(f"no tool `{name}` here (see the run_code tool's API listing)") from None

    def __setattr__(self, name, value):
        raise AttributeError("tools are read-only")

    def __dir__(self):
        return sorted(self._members)


class _Tool:
    __slots__ = ("_name",)

    def __init__(self, name):
        self._name = name

    async def __call__(self, *args, **kwargs):
        if args and (len(args) > 1 or kwargs or not isinstance(args[0], dict)):
            raise TypeError(f"{self._name}: pass the arguments by name, or one dict")
        arguments = dict(args[0]) if args else kwargs
        return _morph.invoke("tools.call", {"tool": self._name, "arguments": arguments})

    def __repr__(self):
        return f"<tool {self._name}>"


def _compile(source):
    tree = _ast.parse(source, "<code>", "exec")
    body = tree.body or [_ast.Pass()]
    last = body[-1]
    if isinstance(last, _ast.Expr):
        body[-1] = _ast.copy_location(_ast.Return(value=last.value), last)
    function = _ast.AsyncFunctionDef(
        name="__morph_code__",
        args=_ast.arguments(posonlyargs=[], args=[], vararg=None, kwonlyargs=[],
                            kw_defaults=[], kwarg=None, defaults=[]),
        body=body, decorator_list=[], returns=None, type_comment=None)
    module = _ast.Module(body=[function], type_ignores=[])
    _ast.fix_missing_locations(module)
    return compile(module, "<code>", "exec")


def execute(action, params):
    tools = _Namespace({
        extension: _Namespace({name: _Tool(wire) for name, wire in actions.items()})
        for extension, actions in params["tools"].items()
    })
    namespace = {"__name__": "__main__", "tools": tools}
    exec(_compile(params["source"]), namespace)
    coroutine = namespace["__morph_code__"]()
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("a code run's program may await tools only (there is no event loop)")


"#;

/// `text` as a string literal of JavaScript and of Python alike: JSON's
/// escaping (`\"`, `\\`, `\n`, `\uXXXX` for other control characters),
/// which both languages read the same way.
fn literal(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}
