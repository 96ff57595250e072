//! The `jira-js` example (`examples/jira-js`): a TypeScript extension in
//! three modules (`main.ts` imports `lib/client.ts`, which imports
//! `lib/format.ts`) using `fetch`, `URL`, `URLSearchParams`, `TextEncoder`
//! and `btoa`, run from its own files against the stand-in JIRA of
//! `morph_testkit::JiraExample`, which checks the Basic auth header, the JQL
//! query's encoding and the JSON bodies. The same checks run on
//! `examples/jira-python` in the Python runtime's suite: same requests,
//! same answers.

morph_testkit::jira_example_tests!("jira-js", crate::support::test_host(None));
