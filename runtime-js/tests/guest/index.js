// The JS test guest: the same actions as runtime-wasm's test guest
// (runtime-wasm/tests/guest/actions.yaml, same semantics), plus the
// JS-specific hostile actions of js_actions.yaml. Each action does exactly
// what its name says and nothing clever.

let initConfig = null;
let state = null;
const events = [];

export function init(config) {
  if (config && config.fail_init === true) {
    throw new Error("init failed on purpose (fail_init)");
  }
  initConfig = config;
}

export function onEvent(event) {
  // Also stored in the vault when the grants allow (a refusal is ignored).
  try { morph.vault.set("last_event", event.message); } catch (e) {}
  events.push(event.message);
}

function outcome(f) {
  try {
    return { ok: f() };
  } catch (e) {
    return { error: { code: e.code, message: e.message } };
  }
}

// The language's own routes to the host: JS in Morph has none; this tries
// the ones other embeddings have.
function ambient() {
  const tryIt = (f) => { try { return f() !== undefined; } catch (e) { return false; } };
  const g = globalThis;
  return {
    files: tryIt(() => g.require("fs").readFileSync("/etc/passwd")) ||
      tryIt(() => g.Deno.readTextFileSync("/etc/passwd")) ||
      tryIt(() => g.read("/etc/passwd")),
    env: tryIt(() => g.process.env.PATH) || tryIt(() => g.Deno.env.get("PATH")),
    // `fetch` exists but is the broker's `http.fetch` (see tests/all/web.rs).
    network: tryIt(() => g.XMLHttpRequest) || tryIt(() => g.WebSocket),
    process: tryIt(() => g.require("child_process")) || tryIt(() => g.Deno.run),
  };
}

function str(params, name) {
  const v = params[name];
  if (typeof v !== "string") throw new Error(`missing string parameter \`${name}\``);
  return v;
}

function int(params, name) {
  const v = params[name];
  if (typeof v !== "number") throw new Error(`missing integer parameter \`${name}\``);
  return v;
}

function recurse(depth) {
  return depth === 0 ? 0 : recurse(depth - 1) + 1;
}

const actions = {
  echo: (p) => p,
  fail: (p) => { throw new Error(str(p, "message")); },
  // JS has no panic distinct from a thrown error.
  panic: (p) => { throw new Error(str(p, "message")); },
  loop_forever: () => { for (;;) {} },
  grow_memory: (p) => {
    const chunks = [];
    // 1 MiB strings, each written (and distinct), all alive at once.
    for (let i = 0; i < int(p, "mb"); i++) {
      let s = String(i % 10);
      while (s.length < 1 << 20) s += s;
      chunks.push(s);
    }
    return chunks.length;
  },
  // One builtin whose result takes mb MiB, sized from the input.
  allocate_at_once: (p) => {
    const bytes = int(p, "mb") * (1 << 20);
    switch (str(p, "kind")) {
      case "string":
        return "x".repeat(bytes).length;
      case "join": {
        const sparse = [];
        sparse.length = bytes;
        return sparse.join("x").length;
      }
      case "buffer":
        return new ArrayBuffer(bytes).byteLength;
      case "array":
        return new Array(bytes / 8).fill(1).length;
      case "number":
        return (2n ** BigInt(bytes * 8)).toString(16).length;
      default:
        throw new Error("unknown kind " + p.kind);
    }
  },
  recurse: (p) => recurse(int(p, "depth")),
  big_output: (p) => "x".repeat(int(p, "bytes")),
  call: (p) => morph.invoke(str(p, "capability"), p.request),
  call_catch: (p) => outcome(() => morph.invoke(str(p, "capability"), p.request)),
  call_sequence: (p) => {
    if (!Array.isArray(p.calls)) throw new Error("`calls` must be a list");
    return p.calls.map((c) => outcome(() => morph.invoke(str(c, "capability"), c.request)));
  },
  ambient: () => ambient(),
  log: (p) => {
    const times = p.times ?? 1;
    for (let i = 0; i < times; i++) morph.log(str(p, "message"));
    return times;
  },
  emit: (p) => { morph.events.emit({ level: "info", message: str(p, "message") }); return null; },
  config: () => morph.config(),
  init_config: () => initConfig,
  state_set: (p) => { state = p.value ?? null; return state; },
  state_get: () => state,
  events_seen: () => events,
  vault_roundtrip: (p) => {
    const key = str(p, "key");
    morph.vault.set(key, str(p, "value"));
    return { value: morph.vault.get(key) };
  },
  fs_roundtrip: (p) => {
    const path = str(p, "path");
    morph.fs.write(path, str(p, "content"));
    const content = morph.fs.read(path).content;
    const listed = morph.fs.list().map((e) => e.name);
    morph.fs.delete(path);
    const after = morph.fs.list().map((e) => e.name);
    return { content, listed, after_delete: after };
  },
  task_roundtrip: (p) => {
    const created = morph.data.createTask(str(p, "title"));
    const fetched = morph.data.getTask(created.id);
    const updated = morph.data.updateTask({ id: created.id, status: "done" });
    const listed = morph.data.listTasks();
    return {
      id: created.id,
      title: fetched.title,
      status_before: created.status,
      status_after: updated.status,
      listed: listed.length,
    };
  },
  http_get: (p) => {
    const resp = morph.http.fetch(str(p, "url"));
    return { status: resp.status, body: resp.body };
  },

  // ---- JS-specific (js_actions.yaml) ----
  async_echo: async (p) => { await null; await Promise.resolve(1); return p; },
  async_fail: async (p) => { await null; throw new Error(str(p, "message")); },
  async_loop: async () => { await null; for (;;) {} },
  never_settles: () => new Promise(() => {}),
  callback_busy: () => Array.from({ length: 1e9 }, (_, i) => i).length,
  callback_spin: () => [1, 2, 3].map(() => { for (;;) {} }),
  sort_spin: () => Array.from({ length: 100000 }, (_, i) => i % 7).sort((a, b) => { for (let i = 0; i < 1e4; i++); return a - b; }),
  catch_timeout: () => {
    try { Array.from({ length: 1e9 }, (x) => x); } catch (e) { return "caught"; }
    return "finished";
  },
  finally_timeout: () => {
    try { for (;;) {} } finally { return "escaped"; }
  },
  string_doubling: () => { let s = "x"; for (;;) s = s + s; },
  array_buffer: (p) => new ArrayBuffer(int(p, "mb") * 1024 * 1024).byteLength,
  sparse_result: () => { const a = []; a.length = 4e9; return a; },
  huge_sparse: () => { const a = []; a[4e9] = 1; return a; },
  deep_result: () => { let o = {}; for (let i = 0; i < 2e5; i++) o = { a: o }; return o; },
  cyclic_result: () => { const o = {}; o.self = o; return o; },
  getter_result: () => ({ get x() { for (;;) {} } }),
  function_result: () => ({ f() {} }),
  bigint_result: () => ({ n: 10n }),
  deep_array_string: () => { let a = []; for (let i = 0; i < 2e5; i++) a = [a]; return String(a).length; },
  deep_stringify: () => { let a = []; for (let i = 0; i < 2e5; i++) a = [a]; return JSON.stringify(a).length; },
  deep_flat: () => { let a = [1]; for (let i = 0; i < 2e5; i++) a = [a]; return a.flat(Infinity).length; },
  getter_recursion: () => { const o = { get x() { return this.x; } }; return o.x; },
  dynamic_import: async (p) => { const m = await import(str(p, "specifier")); return Object.keys(m); },
  eval: (p) => (0, eval)(str(p, "code")),
  function_ctor: (p) => new Function(str(p, "code"))(),
  regex_bomb: (p) => /^(a+)+$/.test("a".repeat(int(p, "n")) + "b"),
  globals: () => Object.getOwnPropertyNames(globalThis).sort(),
  tamper_morph: () => {
    const out = [];
    try { morph.vault = 1; } catch (e) { out.push("vault:" + e.name); }
    try { morph.vault.get = () => "forged"; } catch (e) { out.push("get:" + e.name); }
    try { delete globalThis.morph; } catch (e) { out.push("delete:" + e.name); }
    try { globalThis.morph = {}; } catch (e) { out.push("assign:" + e.name); }
    out.push(Object.isFrozen(morph) && Object.isFrozen(morph.vault) ? "frozen" : "not frozen");
    return out;
  },
  poisoned_request: () => {
    // A getter in a request is refused, never run by the host.
    const req = { get key() { throw new Error("getter ran"); } };
    try { morph.vault.get(req); } catch (e) { return e.name + ": " + e.message; }
    return "no error";
  },
  error_stack: () => { const e = new Error("with a stack"); throw e; },
  throw_object: () => { throw { message: "plain object", code: "permission_denied" }; },
  date_now: () => typeof Date.now(),
};

export function execute(action, params) {
  const f = actions[action];
  if (!f) throw new Error(`unknown action \`${action}\``);
  return f(params ?? {});
}
