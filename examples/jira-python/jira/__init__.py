"""jira: a small JIRA Cloud client for Morph extensions (REST API v2 over
morph.http.fetch, Basic auth with an API token)."""

from .client import JiraClient, JiraError, iso_date, utc_timestamp

__all__ = ["JiraClient", "JiraError", "iso_date", "utc_timestamp"]
