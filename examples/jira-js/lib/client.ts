// JiraClient: JIRA Cloud's REST API (version 2) through `fetch`.
//
// Every request carries Basic auth built from the account's email and API
// token (base64 of the UTF-8 of `email:token`, as JIRA Cloud expects) and
// goes through Morph's broker as `http.fetch`, so the manifest's
// `allowed_hosts` and `max_http_requests` apply. JQL travels in the query
// string, encoded by `URLSearchParams`. Issues come back flattened by
// ./format.ts. A reply outside 2xx throws JiraError carrying JIRA's own
// messages.

import { asObject, failure, isoDate, nameOf, personOf, text, utcTimestamp } from "./format.ts";
import type { Json } from "./format.ts";

const API = "/rest/api/2";

/** The fields a search asks JIRA for (the enhanced search returns none unless asked). */
const SEARCH_FIELDS = ["summary", "status", "issuetype", "priority", "assignee", "updated"];

/** JIRA's page size ceiling for a search. */
export const MAX_RESULTS = 100;

/** What `create_issue` returns. */
export interface Created {
  id: string;
  key: string;
  url: string;
}

/** An issue as `search` lists it. */
export interface IssueSummary {
  key: string | null;
  id: string | null;
  url: string;
  summary: string | null;
  status: string | null;
  issue_type: string | null;
  priority: string | null;
  assignee: string | null;
  updated: string | null;
}

/** An issue as `get_issue` returns it. */
export interface Issue extends IssueSummary {
  description: string | null;
  reporter: string | null;
  labels: string[];
  created: string | null;
  due: string | null;
}

/** One page of a search; `next_page_token` is `null` on the last page. */
export interface SearchPage {
  issues: IssueSummary[];
  next_page_token: string | null;
}

/** JIRA refused or failed a request. `status` is the HTTP status, or `null` when none was sent. */
export class JiraError extends Error {
  readonly status: number | null;

  constructor(message: string, status: number | null = null) {
    super(message);
    this.name = "JiraError";
    this.status = status;
  }
}

/** A path segment with everything but RFC 3986's unreserved characters escaped (`/` too). */
function segment(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** `Basic` credentials: base64 of the UTF-8 bytes of `user:secret`. */
function basic(user: string, secret: string): string {
  const bytes = new TextEncoder().encode(`${user}:${secret}`);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return `Basic ${btoa(binary)}`;
}

/** One JIRA site, one account. */
export class JiraClient {
  /** The site, e.g. `https://mycompany.atlassian.net`, without a trailing `/`. */
  readonly baseUrl: string;
  #authorization: string;

  constructor(baseUrl: string | undefined, email: string | undefined, token: string | null) {
    if (!baseUrl) {
      throw new JiraError("config.jira_url is not set (e.g. https://mycompany.atlassian.net)");
    }
    if (!email) {
      throw new JiraError("config.email is not set (the Atlassian account of the API token)");
    }
    if (!token) throw new JiraError("no JIRA API token was given");
    let site: URL;
    try {
      site = new URL(baseUrl);
    } catch {
      throw new JiraError(`config.jira_url is not a URL: ${baseUrl}`);
    }
    if (site.protocol !== "https:" && site.protocol !== "http:") {
      throw new JiraError(`config.jira_url must be an http(s) URL, not ${site.protocol}`);
    }
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.#authorization = basic(email, token);
  }

  /** The issue's page for humans. */
  browseUrl(key: string): string {
    return `${this.baseUrl}/browse/${segment(key)}`;
  }

  /** Creates an issue. */
  async createIssue(
    project: string,
    summary: string,
    description: string,
    issueType = "Task",
  ): Promise<Created> {
    const fields = {
      project: { key: project },
      summary,
      description,
      issuetype: { name: issueType },
    };
    const created = await this.#request("POST", "/issue", { fields });
    const key = String(created.key);
    return { id: String(created.id), key, url: this.browseUrl(key) };
  }

  /** One issue by key (`OPS-42`) or id, flattened. */
  async getIssue(key: string): Promise<Issue> {
    const raw = await this.#request("GET", `/issue/${segment(key)}`);
    const fields = asObject(raw.fields) ?? {};
    return {
      ...this.#summary(raw),
      description: text(fields.description),
      reporter: personOf(fields.reporter),
      labels: Array.isArray(fields.labels) ? fields.labels.map((l) => String(l)) : [],
      created: utcTimestamp(fields.created),
      due: isoDate(fields.duedate),
    };
  }

  /** One page of the issues `jql` matches; `next_page_token` fetches the next. */
  async search(jql: string, maxResults = 50, pageToken?: string | null): Promise<SearchPage> {
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_RESULTS) {
      throw new RangeError(`max_results must be between 1 and ${MAX_RESULTS}, not ${maxResults}`);
    }
    const query = new URLSearchParams({
      jql,
      maxResults: String(maxResults),
      fields: SEARCH_FIELDS.join(","),
    });
    if (pageToken) query.append("nextPageToken", pageToken);
    const page = await this.#request("GET", `/search/jql?${query}`);
    const issues = Array.isArray(page.issues) ? page.issues : [];
    return {
      issues: issues.map((raw) => this.#summary(asObject(raw) ?? {})),
      next_page_token: (page.isLast ?? true) ? null : text(page.nextPageToken),
    };
  }

  #summary(raw: Record<string, Json>): IssueSummary {
    const fields = asObject(raw.fields) ?? {};
    return {
      key: text(raw.key),
      id: text(raw.id),
      url: this.browseUrl(text(raw.key) ?? text(raw.id) ?? ""),
      summary: text(fields.summary),
      status: nameOf(fields.status),
      issue_type: nameOf(fields.issuetype),
      priority: nameOf(fields.priority),
      assignee: personOf(fields.assignee),
      updated: utcTimestamp(fields.updated),
    };
  }

  /** Sends one request; JIRA's JSON reply, or JiraError outside 2xx. */
  async #request(method: string, path: string, body?: Json): Promise<Record<string, Json>> {
    const headers: Record<string, string> = {
      accept: "application/json",
      authorization: this.#authorization,
    };
    const init: RequestInit = { method, headers };
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const resp = await fetch(this.baseUrl + API + path, init);
    const where = `${method} ${API}${path.split("?")[0]}`;
    const reply = await resp.text();
    if (!resp.ok) throw new JiraError(failure(where, resp.status, reply), resp.status);
    if (!reply) return {};
    try {
      return asObject(JSON.parse(reply)) ?? {};
    } catch {
      throw new JiraError(
        `JIRA ${where} answered HTTP ${resp.status} with a body that is not JSON`,
        resp.status,
      );
    }
  }
}
