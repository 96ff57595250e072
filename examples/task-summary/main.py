"""task-summary: summarises the host's task store and posts a digest.

Uses data.list_tasks (data:read), data.create_task (data:write) and
http.fetch (http:write, the webhook's host must be in allowed_hosts).
"""

import json
import morph

STATUSES = ("open", "doing", "done")

_webhook = None


def init(config):
    global _webhook
    _webhook = config.get("webhook")


def _all_tasks():
    tasks, offset = [], 0
    while True:
        page = morph.data.list_tasks(limit=100, offset=offset)
        tasks.extend(page)
        if len(page) < 100:
            return tasks
        offset += 100


def summary():
    tasks = _all_tasks()
    counts = {s: 0 for s in STATUSES}
    for t in tasks:
        counts[t["status"]] = counts.get(t["status"], 0) + 1
    lines = ["# Task digest", ""]
    for status in sorted(counts):
        lines.append("## %s (%d)" % (status, counts[status]))
        for t in tasks:
            if t["status"] == status:
                lines.append("- #%d %s" % (t["id"], t["title"]))
        lines.append("")
    return {"total": len(tasks), "counts": counts, "markdown": "\n".join(lines)}


def post_digest():
    if not _webhook:
        raise ValueError("config.webhook is not set")
    digest = summary()
    resp = morph.http.post(
        _webhook,
        json.dumps({"total": digest["total"], "counts": digest["counts"]}, sort_keys=True),
        headers={"content-type": "application/json"},
    )
    print("digest posted: HTTP %d" % resp["status"])
    return {"status": resp["status"], "total": digest["total"]}


def execute(action, params):
    if action == "add":
        return morph.data.create_task(params["title"], status=params.get("status", "open"))
    if action == "summary":
        return summary()
    if action == "post_digest":
        return post_digest()
    raise ValueError("unknown action: " + action)
