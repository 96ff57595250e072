"""JiraClient: JIRA Cloud's REST API (version 2) through Morph's http.fetch.

Every request carries Basic auth built from the account's email and API token
(base64 of `email:token`, as JIRA Cloud expects) and goes through the broker,
so the manifest's `allowed_hosts` and `max_http_requests` apply. JQL travels
in the query string, encoded by urllib.parse. Issues come back flattened, with
timestamps in UTC (`2024-03-05T13:07:31Z`) and dates as `YYYY-MM-DD`. A reply
outside 2xx raises JiraError carrying JIRA's own messages.
"""

import base64
import json
from datetime import date, datetime, timezone
from urllib.parse import quote, urlencode

import morph

API = "/rest/api/2"

# The fields a search asks JIRA for (the enhanced search returns none unless asked).
SEARCH_FIELDS = ("summary", "status", "issuetype", "priority", "assignee", "updated")

# JIRA's page size ceiling for a search.
MAX_RESULTS = 100

# What to check, by status, when JIRA refuses.
_HINTS = {
    401: "check config.email and the API token stored in the vault",
    403: "the account lacks the JIRA permission this needs",
}


class JiraError(Exception):
    """JIRA refused or failed a request. `status` is the HTTP status, or None
    when no request was sent."""

    def __init__(self, message, status=None):
        Exception.__init__(self, message)
        self.status = status


class JiraClient:
    """One JIRA site, one account."""

    def __init__(self, base_url, email, token):
        if not base_url:
            raise JiraError("config.jira_url is not set (e.g. https://mycompany.atlassian.net)")
        if not email:
            raise JiraError("config.email is not set (the Atlassian account of the API token)")
        if not token:
            raise JiraError("no JIRA API token was given")
        self.base_url = base_url.rstrip("/")
        credentials = ("%s:%s" % (email, token)).encode("utf-8")
        self._headers = {
            "accept": "application/json",
            "authorization": "Basic " + base64.b64encode(credentials).decode("ascii"),
        }

    def browse_url(self, key):
        """The issue's page for humans."""
        return "%s/browse/%s" % (self.base_url, quote(key, safe=""))

    def create_issue(self, project, summary, description, issue_type="Task"):
        """Creates an issue; returns {"id", "key", "url"}."""
        fields = {
            "project": {"key": project},
            "summary": summary,
            "description": description,
            "issuetype": {"name": issue_type},
        }
        created = self._request("POST", "/issue", {"fields": fields})
        return {"id": created["id"], "key": created["key"], "url": self.browse_url(created["key"])}

    def get_issue(self, key):
        """One issue by key (`OPS-42`) or id, flattened."""
        raw = self._request("GET", "/issue/" + quote(key, safe=""))
        issue = self._summary(raw)
        fields = raw.get("fields") or {}
        issue.update({
            "description": fields.get("description"),
            "reporter": _person(fields.get("reporter")),
            "labels": fields.get("labels") or [],
            "created": utc_timestamp(fields.get("created")),
            "due": iso_date(fields.get("duedate")),
        })
        return issue

    def search(self, jql, max_results=50, page_token=None):
        """One page of the issues `jql` matches. `next_page_token` (None on the
        last page) fetches the next one."""
        if not 1 <= max_results <= MAX_RESULTS:
            raise ValueError("max_results must be between 1 and %d, not %d" % (MAX_RESULTS, max_results))
        query = [("jql", jql), ("maxResults", max_results), ("fields", ",".join(SEARCH_FIELDS))]
        if page_token:
            query.append(("nextPageToken", page_token))
        page = self._request("GET", "/search/jql?" + urlencode(query))
        return {
            "issues": [self._summary(raw) for raw in page.get("issues") or []],
            "next_page_token": None if page.get("isLast", True) else page.get("nextPageToken"),
        }

    def _summary(self, raw):
        fields = raw.get("fields") or {}
        return {
            "key": raw.get("key"),
            "id": raw.get("id"),
            "url": self.browse_url(raw.get("key") or raw.get("id") or ""),
            "summary": fields.get("summary"),
            "status": _name(fields.get("status")),
            "issue_type": _name(fields.get("issuetype")),
            "priority": _name(fields.get("priority")),
            "assignee": _person(fields.get("assignee")),
            "updated": utc_timestamp(fields.get("updated")),
        }

    def _request(self, method, path, body=None):
        headers = dict(self._headers)
        text = None
        if body is not None:
            headers["content-type"] = "application/json"
            text = json.dumps(body)
        resp = morph.http.fetch(self.base_url + API + path, method=method, headers=headers, body=text)
        status = resp["status"]
        where = "%s %s%s" % (method, API, path.split("?")[0])
        if not 200 <= status < 300:
            raise JiraError(_failure(where, status, resp.get("body") or ""), status)
        if not resp.get("body"):
            return {}
        try:
            return json.loads(resp["body"])
        except ValueError:
            raise JiraError(
                "JIRA %s answered HTTP %d with a body that is not JSON" % (where, status), status
            ) from None


def _failure(where, status, body):
    """`JIRA GET /rest/api/2/issue/X failed with HTTP 404: <JIRA's messages> (<hint>)`."""
    try:
        reply = json.loads(body)
    except ValueError:
        reply = None
    messages = []
    if isinstance(reply, dict):
        messages.extend(str(m) for m in reply.get("errorMessages") or [])
        errors = reply.get("errors") or {}
        if isinstance(errors, dict):
            messages.extend("%s: %s" % (k, v) for k, v in sorted(errors.items()))
    if not messages and body.strip():
        messages.append(body.strip()[:300])
    text = "JIRA %s failed with HTTP %d" % (where, status)
    if messages:
        text += ": " + "; ".join(messages)
    if status in _HINTS:
        text += " (%s)" % _HINTS[status]
    return text


def _name(obj):
    return obj.get("name") if isinstance(obj, dict) else None


def _person(user):
    if not isinstance(user, dict):
        return None
    return user.get("displayName") or user.get("emailAddress") or user.get("accountId")


def utc_timestamp(text):
    """JIRA's `2024-03-05T14:07:31.000+0100` as `2024-03-05T13:07:31Z`; None
    stays None, and text that is not a timestamp comes back unchanged."""
    if not text:
        return None
    iso = text
    if iso.endswith("Z"):
        iso = iso[:-1] + "+00:00"
    elif len(iso) > 5 and iso[-5] in "+-" and iso[-4:].isdigit():
        iso = iso[:-2] + ":" + iso[-2:]  # +0100 -> +01:00, for every Python 3
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    utc = moment.astimezone(timezone.utc).replace(microsecond=0)
    return utc.isoformat().replace("+00:00", "Z")


def iso_date(text):
    """A JIRA date (`2024-03-31`) checked and returned as `YYYY-MM-DD`."""
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        return text
