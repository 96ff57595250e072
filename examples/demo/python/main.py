"""The Python third of Morph's first-run demo (scripts/demo.sh).

The same actions as examples/demo/wasm (Rust) and examples/demo/js, with the
same results, under the same manifest permissions. Every capability goes
through `import morph`, and a refusal raises morph.MorphError with the
broker's code, which ends the call with that code when left uncaught.
"""

import json

import morph

MAX_TASKS = 100


def import_tasks(url):
    """Fetches {"tasks": [{title, status}]} from url, stores each task and
    returns {imported, by_status}, counted from the store."""
    response = morph.http.fetch(url)
    if not 200 <= response["status"] < 300:
        raise ValueError("GET %s: HTTP %d" % (url, response["status"]))
    feed = json.loads(response["body"])
    for task in feed["tasks"]:
        morph.data.create_task(task["title"], status=task["status"])
    counts = {}
    for task in morph.data.list_tasks(limit=MAX_TASKS):
        counts[task["status"]] = counts.get(task["status"], 0) + 1
    # Keys in order, as the Rust and JavaScript versions return them.
    return {"imported": len(feed["tasks"]), "by_status": dict(sorted(counts.items()))}


def execute(action, params):
    if action == "import":
        return import_tasks(params["url"])
    if action == "read_notes":
        return morph.fs.read("notes.txt")["content"]
    if action == "spin":
        while True:
            pass
    raise ValueError("unknown action: " + action)
