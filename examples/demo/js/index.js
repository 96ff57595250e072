// The JavaScript third of Morph's first-run demo (scripts/demo.sh): the same
// actions as examples/demo/wasm (Rust) and examples/demo/python, with the same
// results, under the same manifest permissions. Every capability goes through
// the `morph` object, and a refusal throws with the broker's code, which ends
// the call with that code when left uncaught.

const MAX_TASKS = 100;

export function execute(action, params) {
  switch (action) {
    case "import":
      return importTasks(params.url);
    case "read_notes":
      return morph.fs.read("notes.txt").content;
    case "spin":
      for (;;) {}
    default:
      throw new Error(`unknown action \`${action}\``);
  }
}

// Fetches {"tasks": [{title, status}]} from `url`, stores each task and
// returns {imported, by_status}, counted from the store.
function importTasks(url) {
  const response = morph.http.fetch(url);
  if (response.status < 200 || response.status >= 300) {
    throw new Error(`GET ${url}: HTTP ${response.status}`);
  }
  const feed = JSON.parse(response.body);
  for (const task of feed.tasks) {
    morph.data.createTask({ title: task.title, status: task.status });
  }
  const counts = {};
  for (const task of morph.data.listTasks({ limit: MAX_TASKS })) {
    counts[task.status] = (counts[task.status] ?? 0) + 1;
  }
  // Keys in order, as the Rust and Python versions return them.
  const by_status = Object.fromEntries(Object.entries(counts).sort());
  return { imported: feed.tasks.length, by_status };
}
