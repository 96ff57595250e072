//! Manifest parsing and validation: the seed's JIRA manifest, every kind of
//! bad manifest (each named by its field), hostile YAML, and the parameter
//! and config checks a manifest drives.

use morph_runtime_core::capabilities::{Permission, ResourceLimits};
use morph_runtime_core::manifest::{
    AiAccess, MAX_MANIFEST_BYTES, Manifest, ParamType, RuntimeKind,
};
use serde_json::json;

/// The seed's section 8.2 manifest plus `runtime`, `entry` and `allowed_hosts`.
const JIRA: &str = r#"# manifest.yaml
extension_id: "jira-integration"
version: "1.2.0"
schema_version: "1.0"
metadata:
  name: "JIRA Integration"
  description: "Sync tasks with JIRA issues, create issues from chat"
  author: "Atlassian"
  homepage: "https://morphee.app/extensions/jira"
  license: "Apache-2.0"
  icon: "https://cdn.morphee.app/extensions/jira/icon.png"
runtime: wasm
entry: extension.wasm
permissions:
  - http:read
  - http:write
  - vault:read
  - event:emit
  - data:write
allowed_hosts: ["*.atlassian.net"]
resource_limits:
  max_memory_mb: 256
  max_execution_ms: 60000
  max_http_requests: 500
  max_file_size_mb: 10
actions:
  - name: "create_issue"
    description: "Create a JIRA issue"
    parameters:
      - name: "title"
        type: "string"
        required: true
      - name: "description"
        type: "string"
        required: true
      - name: "project"
        type: "string"
        required: true
    ai_access: "execute" # LLM can call without approval
  - name: "get_issue"
    description: "Fetch JIRA issue details"
    parameters:
      - name: "issue_id"
        type: "string"
        required: true
    ai_access: "execute"
config_schema:
  type: "object"
  properties:
    jira_url:
      type: "string"
      format: "uri"
      description: "JIRA instance URL (e.g., https://mycompany.atlassian.net)"
    api_token_key:
      type: "string"
      description: "Vault key for JIRA API token"
      default: "jira_api_token"
  required: ["jira_url", "api_token_key"]
"#;

/// A small valid manifest to bend into bad ones.
const SMALL: &str = r#"extension_id: small
version: 0.1.0
metadata:
  name: Small
runtime: js
entry: main.js
actions:
  - name: run
    description: Runs
    parameters:
      - name: count
        type: integer
"#;

fn jira() -> Manifest {
    Manifest::from_yaml(JIRA).unwrap()
}

fn rejected(yaml: &str) -> String {
    let err = Manifest::from_yaml(yaml).expect_err("the manifest should be refused");
    assert_eq!(err.code().as_str(), "invalid_manifest", "{err}");
    err.to_string()
}

#[test]
fn the_seed_jira_manifest_parses_with_its_values() {
    let m = jira();
    assert_eq!(m.extension_id, "jira-integration");
    assert_eq!(m.version, semver::Version::new(1, 2, 0));
    assert_eq!(m.schema_version, "1.0");
    assert_eq!(m.metadata.name, "JIRA Integration");
    assert_eq!(m.metadata.author.as_deref(), Some("Atlassian"));
    assert_eq!(m.metadata.license.as_deref(), Some("Apache-2.0"));
    assert_eq!(
        m.metadata.icon.as_deref(),
        Some("https://cdn.morphee.app/extensions/jira/icon.png")
    );
    assert_eq!(m.runtime.as_str(), RuntimeKind::WASM);
    assert_eq!(m.entry, "extension.wasm");
    let perms: Vec<Permission> = m.permissions.iter().collect();
    assert_eq!(
        perms,
        vec![
            Permission::HttpRead,
            Permission::HttpWrite,
            Permission::VaultRead,
            Permission::EventEmit,
            Permission::DataWrite,
        ]
    );
    assert_eq!(m.allowed_hosts.len(), 1);
    assert_eq!(m.allowed_hosts[0].to_string(), "*.atlassian.net");
    assert_eq!(
        m.resource_limits,
        ResourceLimits {
            max_memory_mb: 256,
            max_execution_ms: 60_000,
            max_http_requests: 500,
            max_file_size_mb: 10,
            max_output_kb: ResourceLimits::default().max_output_kb,
            ..ResourceLimits::default()
        }
    );
    assert!(!m.approval_required);
    assert_eq!(m.min_host_version, None);
    let names: Vec<&str> = m.actions.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["create_issue", "get_issue"]);
    let create = m.action("create_issue").unwrap();
    assert_eq!(create.ai_access, AiAccess::Execute);
    assert_eq!(create.parameters.len(), 3);
    assert!(create.parameters.iter().all(|p| p.required));
    assert_eq!(create.parameters[0].r#type, ParamType::String);
    assert!(m.action("delete_issue").is_none());
    let schema = m.config_schema.as_ref().unwrap();
    assert_eq!(schema["properties"]["jira_url"]["format"], "uri");
}

#[test]
fn omitted_fields_take_their_defaults() {
    let m = Manifest::from_yaml(SMALL).unwrap();
    assert_eq!(m.schema_version, "1.0");
    assert_eq!(m.metadata.description, "");
    assert!(m.permissions.is_empty());
    assert!(m.allowed_hosts.is_empty());
    assert_eq!(m.resource_limits, ResourceLimits::default());
    assert!(!m.approval_required);
    assert_eq!(m.actions[0].ai_access, AiAccess::Propose);
    assert!(!m.actions[0].parameters[0].required);
    assert!(m.config_schema.is_none());
}

#[test]
fn optional_fields_are_read() {
    let yaml =
        format!("{SMALL}approval_required: true\nmin_host_version: 0.3.1\nschema_version: 1\n");
    let m = Manifest::from_yaml(&yaml).unwrap();
    assert!(m.approval_required);
    assert_eq!(m.min_host_version, Some(semver::Version::new(0, 3, 1)));
    assert_eq!(m.schema_version, "1.0");
    // An unquoted 1.0 is a YAML float: still schema version 1.0.
    let m = Manifest::from_yaml(&format!("{SMALL}schema_version: 1.0\n")).unwrap();
    assert_eq!(m.schema_version, "1.0");
}

#[test]
fn http_permissions_without_allowed_hosts_are_valid() {
    let yaml = format!("{SMALL}permissions: [http:read, http:write]\n");
    let m = Manifest::from_yaml(&yaml).unwrap();
    assert!(m.permissions.contains(Permission::HttpRead));
    assert!(m.allowed_hosts.is_empty());
}

#[test]
fn any_well_formed_runtime_id_parses() {
    let m = Manifest::from_yaml(&SMALL.replace("runtime: js", "runtime: lua-jit2")).unwrap();
    assert_eq!(m.runtime.to_string(), "lua-jit2");
    assert!(RuntimeKind::new("python").is_ok());
    for bad in ["", "Wasm", "1wasm", "-x", "a_b", &"a".repeat(33)] {
        let err = RuntimeKind::new(bad).unwrap_err();
        assert_eq!(err.code().as_str(), "invalid_manifest");
        assert!(err.to_string().contains("runtime"), "{err}");
    }
}

/// Each bad manifest is refused with `invalid_manifest`, naming the field.
#[test]
fn each_kind_of_bad_manifest_is_refused_naming_the_field() {
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "unknown top-level field",
            format!("{SMALL}colour: blue\n"),
            "colour",
        ),
        (
            "unknown nested field",
            SMALL.replace("  name: Small", "  name: Small\n  colour: blue"),
            "metadata.colour",
        ),
        (
            "unknown parameter field",
            SMALL.replace("type: integer", "type: integer\n        min: 3"),
            "actions[0].parameters[0].min",
        ),
        (
            "unknown resource limit",
            format!("{SMALL}resource_limits:\n  max_cpu: 2\n"),
            "resource_limits.max_cpu",
        ),
        (
            "bad id",
            SMALL.replace("extension_id: small", "extension_id: Bad_ID"),
            "extension_id",
        ),
        (
            "id too long",
            SMALL.replace(
                "extension_id: small",
                &format!("extension_id: {}", "a".repeat(65)),
            ),
            "extension_id",
        ),
        (
            "missing id",
            SMALL.replace("extension_id: small\n", ""),
            "extension_id",
        ),
        (
            "bad semver",
            SMALL.replace("version: 0.1.0", "version: 1.2"),
            "version",
        ),
        (
            "bad min_host_version",
            format!("{SMALL}min_host_version: latest\n"),
            "min_host_version",
        ),
        (
            "unsupported schema version",
            format!("{SMALL}schema_version: \"2.0\"\n"),
            "schema_version",
        ),
        (
            "unknown permission",
            format!("{SMALL}permissions: [http:read, net:raw]\n"),
            "permissions[1]",
        ),
        (
            "duplicate permission",
            format!("{SMALL}permissions: [fs:read, fs:read]\n"),
            "permissions[1]",
        ),
        (
            "zero limit",
            format!("{SMALL}resource_limits:\n  max_memory_mb: 0\n"),
            "resource_limits.max_memory_mb",
        ),
        (
            "absurd limit",
            format!("{SMALL}resource_limits:\n  max_execution_ms: 99999999999999\n"),
            "resource_limits.max_execution_ms",
        ),
        (
            "absurd u32 limit",
            format!("{SMALL}resource_limits:\n  max_http_requests: 5000000000\n"),
            "resource_limits.max_http_requests",
        ),
        (
            "negative limit",
            format!("{SMALL}resource_limits:\n  max_output_kb: -1\n"),
            "resource_limits.max_output_kb",
        ),
        (
            "entry escaping the package",
            SMALL.replace("entry: main.js", "entry: ../x.wasm"),
            "entry",
        ),
        (
            "absolute entry",
            SMALL.replace("entry: main.js", "entry: /abs"),
            "entry",
        ),
        (
            "backslash entry",
            SMALL.replace("entry: main.js", r#"entry: 'a\..\..\x.js'"#),
            "entry",
        ),
        (
            "bad allowed_hosts entry",
            format!("{SMALL}allowed_hosts: [api.example.com, \"https://evil.com/x\"]\n"),
            "allowed_hosts[1]",
        ),
        (
            "bad runtime id",
            SMALL.replace("runtime: js", "runtime: JavaScript"),
            "runtime",
        ),
        (
            "bad homepage",
            SMALL.replace(
                "  name: Small",
                "  name: Small\n  homepage: javascript:alert(1)",
            ),
            "metadata.homepage",
        ),
        (
            "bidirectional override in the name",
            SMALL.replace("  name: Small", "  name: \"Small\\u202Eexe.txt\""),
            "metadata.name",
        ),
        (
            "control character in the author",
            SMALL.replace(
                "  name: Small",
                "  name: Small\n  author: \"a\\u001b[31mb\"",
            ),
            "metadata.author",
        ),
        (
            "missing metadata name",
            SMALL.replace("  name: Small", "  author: Nobody"),
            "metadata.name",
        ),
        (
            "no actions",
            SMALL.split("actions:").next().unwrap().to_owned() + "actions: []\n",
            "actions",
        ),
        (
            "duplicate action",
            format!("{SMALL}  - name: run\n    description: Again\n"),
            "actions[1].name",
        ),
        (
            "bad action name",
            SMALL.replace("- name: run", "- name: Run-It"),
            "actions[0].name",
        ),
        (
            "bad ai_access",
            SMALL.replace(
                "description: Runs",
                "description: Runs\n    ai_access: always",
            ),
            "actions[0].ai_access",
        ),
        (
            "bad param type",
            SMALL.replace("type: integer", "type: int"),
            "actions[0].parameters[0].type",
        ),
        (
            "default of the wrong type",
            SMALL.replace("type: integer", "type: integer\n        default: \"three\""),
            "actions[0].parameters[0].default",
        ),
        (
            "fractional default for an integer",
            SMALL.replace("type: integer", "type: integer\n        default: 2.5"),
            "actions[0].parameters[0].default",
        ),
        (
            "enum value of the wrong type",
            SMALL.replace("type: integer", "type: integer\n        enum: [1, two]"),
            "actions[0].parameters[0].enum[1]",
        ),
        (
            "duplicate parameter",
            SMALL.replace(
                "type: integer",
                "type: integer\n      - name: count\n        type: string",
            ),
            "actions[0].parameters[1].name",
        ),
        (
            "description that is not a string",
            SMALL.replace("description: Runs", "description: [a, b]"),
            "actions[0].description",
        ),
        (
            "bad config_schema",
            format!("{SMALL}config_schema:\n  type: 12\n"),
            "config_schema",
        ),
        (
            "config_schema that is not a mapping",
            format!("{SMALL}config_schema: [1, 2]\n"),
            "config_schema",
        ),
        (
            "remote $ref in config_schema",
            format!(
                "{SMALL}config_schema:\n  properties:\n    a:\n      $ref: \"https://example.com/s.json\"\n"
            ),
            "config_schema.properties.a.$ref",
        ),
        (
            "remote $ref hidden in a data keyword",
            format!(
                "{SMALL}config_schema:\n  properties:\n    default:\n      $ref: \"https://example.com/s.json\"\n"
            ),
            "config_schema.properties.default.$ref",
        ),
        (
            "not YAML",
            "extension_id: [unclosed\n  : :".to_owned(),
            "document",
        ),
        (
            "a YAML list",
            "- extension_id: small\n".to_owned(),
            "document",
        ),
        ("a scalar", "just some words\n".to_owned(), "document"),
        ("empty file", String::new(), "document"),
        ("only a comment", "# nothing here\n".to_owned(), "document"),
        ("two documents", format!("{SMALL}---\n{SMALL}"), "document"),
        (
            "custom tag",
            SMALL.replace("name: Small", "name: !python/object Small"),
            "document",
        ),
        (
            "duplicate key",
            format!("{SMALL}entry: other.js\n"),
            "document",
        ),
    ];
    for (what, yaml, field) in cases {
        let message = std::panic::catch_unwind(|| rejected(&yaml))
            .unwrap_or_else(|_| panic!("case `{what}` was not refused"));
        assert!(
            message.contains(field),
            "case `{what}`: `{message}` does not name `{field}`"
        );
    }
}

#[test]
fn an_oversized_manifest_is_refused_before_parsing() {
    let yaml = format!("{SMALL}# {}\n", "x".repeat(MAX_MANIFEST_BYTES));
    assert!(rejected(&yaml).contains("limit"));
    let err = Manifest::from_bytes(yaml.as_bytes()).unwrap_err();
    assert_eq!(err.code().as_str(), "invalid_manifest");
}

#[test]
fn bytes_must_be_utf8() {
    let mut bytes = SMALL.as_bytes().to_vec();
    bytes.extend_from_slice(b"# \xff\xfe\n");
    let err = Manifest::from_bytes(&bytes).unwrap_err();
    assert_eq!(err.code().as_str(), "invalid_manifest");
    assert!(err.to_string().contains("UTF-8"), "{err}");
    assert!(Manifest::from_bytes(SMALL.as_bytes()).is_ok());
}

/// Nine levels of nine aliases each would expand to 9^9 nodes.
#[test]
fn a_billion_laughs_alias_bomb_is_refused() {
    let mut yaml = String::from(
        "a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for level in 1..=9 {
        let prev = format!("*a{}", level - 1);
        let refs = [prev.as_str(); 9].join(",");
        yaml.push_str(&format!("a{level}: &a{level} [{refs}]\n"));
    }
    let message = rejected(&yaml);
    assert!(message.contains("document"), "{message}");
    // The same bomb hidden under a field that takes any JSON value.
    let hidden = format!(
        "{}        default:\n{}",
        SMALL.replace("type: integer", "type: object"),
        yaml.lines()
            .map(|l| format!("          {l}\n"))
            .collect::<String>()
    );
    assert!(rejected(&hidden).contains("document"));
}

#[test]
fn a_deeply_nested_document_is_refused_without_overflowing_the_stack() {
    rejected(&"[".repeat(10_000));
    rejected(&format!("{SMALL}config_schema: {}", "[".repeat(10_000)));
    let mut block = String::from("config_schema:\n");
    for depth in 1..=2_000 {
        block.push_str(&"  ".repeat(depth));
        block.push_str("a:\n");
    }
    rejected(&format!("{SMALL}{block}"));
}

#[test]
fn small_alias_use_within_budget_is_accepted() {
    let yaml = r#"extension_id: aliased
version: 1.0.0
metadata: {name: Aliased}
runtime: wasm
entry: a.wasm
actions:
  - name: one
    description: &desc Does a thing
    parameters: &params
      - {name: x, type: string, required: true}
  - name: two
    description: *desc
    parameters: *params
"#;
    let m = Manifest::from_yaml(yaml).unwrap();
    assert_eq!(m.actions[1].description, "Does a thing");
    assert_eq!(m.actions[1].parameters, m.actions[0].parameters);
}

fn params_manifest() -> Manifest {
    Manifest::from_yaml(
        r#"extension_id: params
version: 1.0.0
metadata: {name: Params}
runtime: wasm
entry: a.wasm
actions:
  - name: search
    description: Searches
    parameters:
      - {name: query, type: string, required: true, description: What to look for}
      - {name: limit, type: integer, default: 10}
      - {name: ratio, type: number}
      - {name: order, type: string, enum: [asc, desc], default: asc}
      - {name: exact, type: boolean}
      - {name: filter, type: object}
      - {name: tags, type: array}
"#,
    )
    .unwrap()
}

fn params_error(params: serde_json::Value) -> String {
    let m = params_manifest();
    let err = m
        .action("search")
        .unwrap()
        .validate_params(&params)
        .unwrap_err();
    assert_eq!(err.code().as_str(), "invalid_params", "{err}");
    err.to_string()
}

#[test]
fn validate_params_fills_defaults_and_normalises() {
    let m = params_manifest();
    let search = m.action("search").unwrap();
    let out = search.validate_params(&json!({"query": "rust"})).unwrap();
    assert_eq!(out, json!({"query": "rust", "limit": 10, "order": "asc"}));
    let out = search
        .validate_params(&json!({
            "query": "q", "limit": 3, "ratio": 2, "order": "desc", "exact": true,
            "filter": {"a": 1}, "tags": ["x"], "ratio": 0.5
        }))
        .unwrap();
    assert_eq!(out["limit"], 3);
    assert_eq!(out["ratio"], 0.5);
    assert_eq!(out["order"], "desc");
    // An explicit null counts as absent.
    let out = search
        .validate_params(&json!({"query": "q", "limit": null}))
        .unwrap();
    assert_eq!(out["limit"], 10);
    // An action without parameters takes null and {}.
    let small = Manifest::from_yaml(&SMALL.replace(
        "    parameters:\n      - name: count\n        type: integer\n",
        "",
    ))
    .unwrap();
    let run = small.action("run").unwrap();
    assert_eq!(
        run.validate_params(&serde_json::Value::Null).unwrap(),
        json!({})
    );
    assert_eq!(run.validate_params(&json!({})).unwrap(), json!({}));
}

#[test]
fn validate_params_refuses_bad_calls_naming_the_parameter() {
    assert!(params_error(json!({})).contains("query"));
    assert!(params_error(json!(null)).contains("query"));
    assert!(params_error(json!({"query": 7})).contains("query"));
    assert!(params_error(json!({"query": "q", "limit": 2.5})).contains("limit"));
    assert!(params_error(json!({"query": "q", "limit": "10"})).contains("limit"));
    assert!(params_error(json!({"query": "q", "ratio": "1"})).contains("ratio"));
    assert!(params_error(json!({"query": "q", "order": "sideways"})).contains("order"));
    assert!(params_error(json!({"query": "q", "exact": "yes"})).contains("exact"));
    assert!(params_error(json!({"query": "q", "filter": []})).contains("filter"));
    assert!(params_error(json!({"query": "q", "tags": {}})).contains("tags"));
    assert!(params_error(json!({"query": "q", "verbose": true})).contains("verbose"));
    assert!(params_error(json!(["q"])).contains("params"));
    assert!(params_error(json!("q")).contains("params"));
}

#[test]
fn param_errors_do_not_echo_values() {
    let message = params_error(json!({"query": "q", "limit": "s3cret-token"}));
    assert!(!message.contains("s3cret"), "{message}");
}

#[test]
fn parameters_schema_is_an_object_schema_for_ai_tools() {
    let m = params_manifest();
    let schema = m.action("search").unwrap().parameters_schema();
    assert_eq!(schema["type"], "object");
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(schema["required"], json!(["query"]));
    assert_eq!(schema["properties"]["query"]["type"], "string");
    assert_eq!(
        schema["properties"]["query"]["description"],
        "What to look for"
    );
    assert_eq!(schema["properties"]["limit"]["type"], "integer");
    assert_eq!(schema["properties"]["limit"]["default"], 10);
    assert_eq!(
        schema["properties"]["order"]["enum"],
        json!(["asc", "desc"])
    );
    assert_eq!(schema["properties"]["tags"]["type"], "array");
    assert_eq!(schema["properties"].as_object().unwrap().len(), 7);
    // The schema itself compiles and agrees with validate_params.
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(validator.is_valid(&json!({"query": "q", "limit": 3})));
    assert!(!validator.is_valid(&json!({"limit": 3})));
    assert!(!validator.is_valid(&json!({"query": "q", "verbose": true})));
}

#[test]
fn validate_config_fills_defaults_and_checks_the_schema() {
    let m = jira();
    let out = m
        .validate_config(&json!({"jira_url": "https://acme.atlassian.net"}))
        .unwrap();
    assert_eq!(
        out,
        json!({"jira_url": "https://acme.atlassian.net", "api_token_key": "jira_api_token"})
    );
    let given = m
        .validate_config(&json!({"jira_url": "https://a.atlassian.net", "api_token_key": "k"}))
        .unwrap();
    assert_eq!(given["api_token_key"], "k");

    let config_error = |config: serde_json::Value| {
        let err = m.validate_config(&config).unwrap_err();
        assert_eq!(err.code().as_str(), "invalid_params", "{err}");
        err.to_string()
    };
    let missing = config_error(json!({}));
    assert!(missing.contains("config.jira_url"), "{missing}");
    assert!(config_error(json!(null)).contains("config.jira_url"));
    let wrong_type = config_error(json!({"jira_url": 42}));
    assert!(wrong_type.contains("config.jira_url"), "{wrong_type}");
    let wrong_format = config_error(json!({"jira_url": "not a uri"}));
    assert!(wrong_format.contains("config.jira_url"), "{wrong_format}");
    assert!(wrong_format.contains("uri"), "{wrong_format}");
    assert!(!wrong_format.contains("not a uri"), "values are not echoed");
    assert!(config_error(json!([1])).contains("config"));

    let strict = Manifest::from_yaml(&format!(
        "{SMALL}config_schema:\n  type: object\n  additionalProperties: false\n  properties:\n    a: {{type: string}}\n"
    ))
    .unwrap();
    let err = strict
        .validate_config(&json!({"a": "x", "zz": 1}))
        .unwrap_err();
    assert_eq!(err.code().as_str(), "invalid_params");
    assert!(err.to_string().contains("config.zz"), "{err}");
}

#[test]
fn without_a_config_schema_any_object_is_accepted() {
    let m = Manifest::from_yaml(SMALL).unwrap();
    assert_eq!(m.validate_config(&json!(null)).unwrap(), json!({}));
    assert_eq!(
        m.validate_config(&json!({"a": 1})).unwrap(),
        json!({"a": 1})
    );
    let err = m.validate_config(&json!("x")).unwrap_err();
    assert_eq!(err.code().as_str(), "invalid_params");
}

#[test]
fn config_schema_local_refs_work() {
    let yaml = format!(
        r##"{SMALL}config_schema:
  type: object
  $defs:
    port: {{type: integer, minimum: 1, maximum: 65535}}
  properties:
    port: {{$ref: "#/$defs/port"}}
"##
    );
    let m = Manifest::from_yaml(&yaml).unwrap();
    assert!(m.validate_config(&json!({"port": 8080})).is_ok());
    let err = m.validate_config(&json!({"port": 0})).unwrap_err();
    assert!(err.to_string().contains("config.port"), "{err}");
}

#[test]
fn a_manifest_serialises_for_inspect() {
    let m = jira();
    let v = serde_json::to_value(&m).unwrap();
    assert_eq!(v["extension_id"], "jira-integration");
    assert_eq!(v["version"], "1.2.0");
    assert_eq!(v["runtime"], "wasm");
    assert_eq!(v["permissions"][0], "http:read");
    assert_eq!(v["allowed_hosts"][0], "*.atlassian.net");
    assert_eq!(v["resource_limits"]["max_memory_mb"], 256);
    assert_eq!(v["actions"][0]["ai_access"], "execute");
    assert_eq!(v["actions"][0]["parameters"][0]["type"], "string");
    assert_eq!(v["min_host_version"], serde_json::Value::Null);
}
