//! The typed API of the tools a code run may call, as an agent reads it:
//! TypeScript declarations for JavaScript and TypeScript, a `.pyi`-style
//! listing for Python. Generated from the loaded manifests (never from a
//! `blocked` action), compact: one line per tool plus its description.

use std::fmt::Write as _;

use serde_json::Value;

use crate::manifest::{ActionSpec, AiAccess, ParamSpec, ParamType};

/// One action a code run may call.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeTool {
    /// The extension id.
    pub extension: String,
    /// The action as its manifest declares it.
    pub action: ActionSpec,
}

impl CodeTool {
    /// The tool's wire name, `<extension>.<action>`.
    pub fn name(&self) -> String {
        format!("{}.{}", self.extension, self.action.name)
    }
}

/// `name` as an identifier of both JavaScript and Python: every character
/// that cannot be in one becomes `_`, and a leading digit or a reserved
/// word gets a `_` in front.
pub(crate) fn identifier(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty()
        || out.starts_with(|c: char| c.is_ascii_digit())
        || RESERVED.contains(&out.as_str())
    {
        out.insert(0, '_');
    }
    out
}

/// Words reserved in JavaScript or Python that an action may be named.
const RESERVED: &[&str] = &[
    "and",
    "as",
    "assert",
    "async",
    "await",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "def",
    "default",
    "del",
    "delete",
    "do",
    "elif",
    "else",
    "enum",
    "except",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "from",
    "function",
    "global",
    "if",
    "import",
    "in",
    "instanceof",
    "is",
    "lambda",
    "let",
    "new",
    "nonlocal",
    "not",
    "null",
    "or",
    "pass",
    "raise",
    "return",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "yield",
];

/// TypeScript declarations of `tools` (for JavaScript and TypeScript runs).
pub fn typescript_api(tools: &[CodeTool]) -> String {
    let mut out = String::from("declare const tools: {\n");
    let mut current: Option<&str> = None;
    for tool in sorted(tools) {
        if current != Some(tool.extension.as_str()) {
            if current.is_some() {
                out.push_str("  };\n");
            }
            let _ = writeln!(out, "  {}: {{", identifier(&tool.extension));
            current = Some(&tool.extension);
        }
        let _ = writeln!(out, "    /** {} */", one_line(&describe(&tool.action)));
        let params: Vec<String> = tool
            .action
            .parameters
            .iter()
            .map(|p| {
                format!(
                    "{}{}: {}",
                    p.name,
                    if p.required { "" } else { "?" },
                    ts_type(p)
                )
            })
            .collect();
        let optional = tool.action.parameters.iter().all(|p| !p.required);
        let _ = writeln!(
            out,
            "    {}(args{}: {{ {} }}): Promise<any>;",
            identifier(&tool.action.name),
            if optional { "?" } else { "" },
            params.join("; ")
        );
    }
    if current.is_some() {
        out.push_str("  };\n");
    }
    out.push_str("};\n");
    out
}

/// A `.pyi`-style listing of `tools` (for Python runs).
pub fn python_api(tools: &[CodeTool]) -> String {
    let mut out = String::from("# await tools.<extension>.<action>(name=value, ...)\n");
    let mut current: Option<&str> = None;
    for tool in sorted(tools) {
        if current != Some(tool.extension.as_str()) {
            let _ = writeln!(out, "class {}:", identifier(&tool.extension));
            current = Some(&tool.extension);
        }
        let mut params: Vec<&ParamSpec> = tool.action.parameters.iter().collect();
        params.sort_by_key(|p| !p.required);
        let params: Vec<String> = params
            .iter()
            .map(|p| {
                let default = match (&p.default, p.required) {
                    (_, true) => String::new(),
                    (Some(v), false) => format!(" = {}", py_value(v)),
                    (None, false) => " = None".to_owned(),
                };
                format!("{}: {}{default}", p.name, py_type(p))
            })
            .collect();
        let star = if params.is_empty() { "" } else { "*, " };
        let _ = writeln!(
            out,
            "    async def {}({star}{}) -> Any: \"\"\"{}\"\"\"",
            identifier(&tool.action.name),
            params.join(", "),
            one_line(&describe(&tool.action)).replace("\"\"\"", "'''")
        );
    }
    out
}

fn sorted(tools: &[CodeTool]) -> Vec<&CodeTool> {
    let mut sorted: Vec<&CodeTool> = tools.iter().collect();
    sorted.sort_by(|a, b| (&a.extension, &a.action.name).cmp(&(&b.extension, &b.action.name)));
    sorted
}

/// The description an agent reads, with the approval rule when it has one.
fn describe(action: &ActionSpec) -> String {
    let mut text = action.description.clone();
    if action.ai_access == AiAccess::Propose {
        text.push_str(
            " (needs a person's approval: the run stops with approval_required until then)",
        );
    }
    text
}

/// `text` on one line, cut at 300 characters, safe inside `/** */` and `"""`.
fn one_line(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let flat = flat.replace("*/", "* /");
    match flat.char_indices().nth(300) {
        Some((at, _)) => format!("{}…", &flat[..at]),
        None => flat,
    }
}

fn ts_type(param: &ParamSpec) -> String {
    if let Some(values) = &param.r#enum {
        return values
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(" | ");
    }
    match param.r#type {
        ParamType::String => "string",
        ParamType::Integer | ParamType::Number => "number",
        ParamType::Boolean => "boolean",
        ParamType::Object => "Record<string, any>",
        ParamType::Array => "any[]",
        ParamType::Any => "any",
    }
    .to_owned()
}

fn py_type(param: &ParamSpec) -> String {
    if let Some(values) = &param.r#enum {
        let values: Vec<String> = values.iter().map(py_value).collect();
        return format!("Literal[{}]", values.join(", "));
    }
    match param.r#type {
        ParamType::String => "str",
        ParamType::Integer => "int",
        ParamType::Number => "float",
        ParamType::Boolean => "bool",
        ParamType::Object => "dict",
        ParamType::Array => "list",
        ParamType::Any => "Any",
    }
    .to_owned()
}

fn py_value(value: &Value) -> String {
    match value {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(extension: &str, yaml: &str) -> CodeTool {
        let manifest = format!(
            "extension_id: {extension}\nversion: 0.1.0\nmetadata:\n  name: t\n  description: t\n\
             runtime: js\nentry: main.js\nactions:\n{yaml}"
        );
        let manifest = crate::Manifest::from_bytes(manifest.as_bytes()).unwrap();
        CodeTool {
            extension: extension.to_owned(),
            action: manifest.actions[0].clone(),
        }
    }

    #[test]
    fn both_listings_name_every_parameter_with_its_type() {
        let tools = [
            tool(
                "github-issues",
                "  - name: create_issue\n    description: Opens an issue.\n    ai_access: propose\n    parameters:\n      - name: title\n        type: string\n        required: true\n      - name: state\n        type: string\n        enum: [open, closed]\n        default: open\n",
            ),
            tool(
                "notes",
                "  - name: list\n    description: Lists notes.\n    ai_access: execute\n",
            ),
        ];
        let ts = typescript_api(&tools);
        assert!(ts.contains("  github_issues: {"), "{ts}");
        assert!(ts.contains("create_issue(args: { title: string; state?: \"open\" | \"closed\" }): Promise<any>;"), "{ts}");
        assert!(ts.contains("list(args?: {  }): Promise<any>;"), "{ts}");
        assert!(ts.contains("approval_required"), "{ts}");
        let py = python_api(&tools);
        assert!(py.contains("class github_issues:"), "{py}");
        assert!(
            py.contains("async def create_issue(*, title: str, state: Literal[\"open\", \"closed\"] = \"open\") -> Any:"),
            "{py}"
        );
        assert!(py.contains("async def list() -> Any:"), "{py}");
    }

    #[test]
    fn names_become_identifiers() {
        assert_eq!(identifier("github-issues"), "github_issues");
        assert_eq!(identifier("9lives"), "_9lives");
        assert_eq!(identifier("delete"), "_delete");
        assert_eq!(identifier("a.b c"), "a_b_c");
    }
}
