//! The `jira-python` example (`examples/jira-python`): a multi-file Python
//! extension (`main.py` imports the `jira` package beside it, which uses
//! `base64`, `urllib.parse` and `datetime`) run from its own files against
//! the stand-in JIRA of `morph_testkit::JiraExample`, which checks the Basic
//! auth header, the JQL query's encoding and the JSON bodies. The same
//! checks run on `examples/jira-js` in the JS runtime's suite: same
//! requests, same answers.

morph_testkit::jira_example_tests!("jira-python", crate::support::host(None));
