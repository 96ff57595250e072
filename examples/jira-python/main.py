"""jira-integration: create, read and search JIRA issues.

The entry of a multi-file extension: the REST client lives in the `jira`
package beside this file. Uses http.fetch (http:read, http:write; the JIRA
site's host must be in allowed_hosts) and vault.get (vault:read) for the API
token, which is never logged or returned.
"""

import morph
from jira.client import JiraClient, JiraError

DEFAULT_TOKEN_KEY = "jira_api_token"

_config = {}


def init(config):
    global _config
    _config = dict(config or {})


def client():
    """A JiraClient for the configured site, with the token from the vault."""
    key = _config.get("api_token_key") or DEFAULT_TOKEN_KEY
    token = morph.vault.get(key)
    if not token:
        raise JiraError(
            "no JIRA API token in the vault under %r: create one at "
            "https://id.atlassian.com/manage-profile/security/api-tokens and store it "
            "in this extension's vault under that key" % key
        )
    return JiraClient(_config.get("jira_url"), _config.get("email"), token)


def execute(action, params):
    if action == "create_issue":
        return client().create_issue(
            params["project"], params["title"], params["description"],
            params.get("issue_type") or "Task",
        )
    if action == "get_issue":
        return client().get_issue(params["issue_id"])
    if action == "search":
        return client().search(
            params["jql"], params.get("max_results", 50), params.get("page_token"),
        )
    raise ValueError("unknown action: %s" % action)
