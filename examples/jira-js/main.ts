/// <reference path="../../sdk/js/morph.d.ts" />
// jira-integration: create, read and search JIRA issues, in TypeScript.
//
// The entry of a multi-module extension: the REST client lives in
// ./lib/client.ts and the shaping of JIRA's values in ./lib/format.ts. Morph
// strips the types as it loads each module (no build step, no tsc). Uses
// `fetch` (http:read, http:write; the JIRA site's host must be in
// allowed_hosts) and morph.vault.get (vault:read) for the API token, which is
// never logged or returned. The reference above types `morph` for editors.

import { JiraClient, JiraError } from "./lib/client.ts";
import type { Created, Issue, SearchPage } from "./lib/client.ts";

const DEFAULT_TOKEN_KEY = "jira_api_token";

/** The manifest's `config_schema`, validated by the host. */
interface Config {
  jira_url?: string;
  email?: string;
  api_token_key?: string;
}

interface CreateIssueParams {
  project: string;
  title: string;
  description: string;
  issue_type?: string;
}

interface GetIssueParams {
  issue_id: string;
}

interface SearchParams {
  jql: string;
  max_results?: number;
  page_token?: string | null;
}

let config: Config = {};

export function init(given: Config | null): void {
  config = { ...(given ?? {}) };
}

/** A JiraClient for the configured site, with the token from the vault. */
function client(): JiraClient {
  const key = config.api_token_key || DEFAULT_TOKEN_KEY;
  const token = morph.vault.get(key);
  if (!token) {
    throw new JiraError(
      `no JIRA API token in the vault under '${key}': create one at ` +
        "https://id.atlassian.com/manage-profile/security/api-tokens and store it " +
        "in this extension's vault under that key",
    );
  }
  return new JiraClient(config.jira_url, config.email, token);
}

export async function execute(
  action: string,
  params: Morph.Params,
): Promise<Created | Issue | SearchPage> {
  switch (action) {
    case "create_issue": {
      const p = params as unknown as CreateIssueParams;
      return client().createIssue(p.project, p.title, p.description, p.issue_type || "Task");
    }
    case "get_issue":
      return client().getIssue((params as unknown as GetIssueParams).issue_id);
    case "search": {
      const p = params as unknown as SearchParams;
      return client().search(p.jql, p.max_results ?? 50, p.page_token);
    }
    default:
      throw new Error(`unknown action: ${action}`);
  }
}
