// Fuzz guest for the JS value converter: `echo` returns the host's value;
// `build` runs a program of [op, num, text] steps on a stack and returns
// what it built (values only JS has: BigInt, NaN, proxies, cycles, holes...).
// Keep OPS in the same order as JS_OPS in fuzz_targets/js_values.rs.

const OPS = {
  num: (st, a) => st.push(a),
  str: (st, a, s) => st.push(s),
  big: (st, a, s) => st.push(BigInt(a) * 10n ** BigInt(s.length)),
  nan: (st) => st.push(NaN),
  inf: (st, a) => st.push(a < 0 ? -Infinity : Infinity),
  negz: (st) => st.push(-0),
  undef: (st) => st.push(undefined),
  sym: (st, a, s) => st.push(Symbol(s)),
  fn: (st) => st.push(function f() {}),
  date: (st, a) => st.push(new Date(a)),
  map: (st) => st.push(new Map([[1, st.pop()]])),
  set: (st) => st.push(new Set([st.pop()])),
  re: (st) => st.push(/a+/g),
  bytes: (st, a) => st.push(new Uint8Array(a & 0xffff)),
  floats: (st, a) => st.push(new Float64Array([NaN, a, -0])),
  surrogate: (st, a) => st.push(String.fromCharCode(0xd800 + (a & 0x7ff)) + "x"),
  arr: (st, a) => {
    const n = Math.min(Math.abs(a) % 16, st.length);
    st.push(st.splice(st.length - n, n));
  },
  obj: (st, a, s) => {
    const o = {};
    o[s] = st.pop();
    st.push(o);
  },
  define: (st, a, s) => {
    const o = {};
    Object.defineProperty(o, s, { value: st.pop(), enumerable: a % 2 === 0 });
    st.push(o);
  },
  numkey: (st, a) => {
    const o = {};
    o[a] = st.pop();
    o.z = 1;
    st.push(o);
  },
  symkey: (st, a, s) => {
    const o = { v: st.pop() };
    o[Symbol(s)] = 1;
    st.push(o);
  },
  length: (st, a) => {
    const x = [];
    x.length = a >>> 0;
    st.push(x);
  },
  hole: (st, a) => {
    const x = [st.pop()];
    x[(a >>> 0) % 100000] = 1;
    st.push(x);
  },
  arrprop: (st, a, s) => {
    const x = [st.pop()];
    x[s] = 2;
    st.push(x);
  },
  getter: (st, a, s) => {
    const o = {};
    Object.defineProperty(o, s, {
      get() {
        throw new Error("getter ran");
      },
      enumerable: true,
    });
    st.push(o);
  },
  proxy: (st) => {
    const t = st.pop();
    st.push(
      new Proxy(typeof t === "object" && t !== null ? t : {}, {
        get() {
          throw new Error("trap ran");
        },
        ownKeys() {
          throw new Error("trap ran");
        },
        getOwnPropertyDescriptor() {
          throw new Error("trap ran");
        },
      }),
    );
  },
  cycle: (st) => {
    const o = st.pop();
    if (o !== null && typeof o === "object") o.self = o;
    st.push(o);
  },
  shared: (st) => {
    const o = st.pop();
    st.push([o, o, { o }]);
  },
  deep: (st, a) => {
    let v = st.pop();
    for (let i = 0; i < (a & 0x3ff); i++) v = [v];
    st.push(v);
  },
  deepobj: (st, a) => {
    let v = st.pop();
    for (let i = 0; i < (a & 0x3ff); i++) v = { k: v };
    st.push(v);
  },
  freeze: (st) => st.push(Object.freeze(st.pop())),
  inherit: (st) => {
    const p = st.pop();
    st.push(Object.create(p !== null && typeof p === "object" ? p : { p }));
  },
  nullproto: (st) => {
    const o = Object.create(null);
    o.v = st.pop();
    st.push(o);
  },
  tojson: (st) =>
    st.push({
      toJSON() {
        throw new Error("toJSON ran");
      },
      v: st.pop(),
    }),
  thenable: (st) => {
    const v = st.pop();
    st.push({ then: (ok) => ok(v) });
  },
  promise: (st) => st.push(Promise.resolve(st.pop())),
  reject: (st, a, s) => st.push(Promise.reject(new Error(s))),
  boxed: (st, a, s) => st.push(a % 2 ? new Number(a) : new String(s)),
  error: (st, a, s) => st.push(new Error(s)),
  subarray: (st) => {
    class A extends Array {}
    const x = new A();
    x.push(st.pop());
    st.push(x);
  },
  repeat: (st, a, s) => st.push(s.repeat(Math.min(a >>> 0, 1 << 20))),
  dup: (st) => {
    const v = st.pop();
    st.push(v, v);
  },
  json: (st, a, s) => st.push(JSON.parse(s)),
};

function build(ops) {
  const st = [];
  for (const [op, a, s] of ops) {
    try {
      OPS[op](st, a, s);
    } catch (e) {
      st.push(String(e));
    }
  }
  return st.length === 1 ? st[0] : st;
}

export function execute(action, params) {
  if (action === "echo") return params.value;
  if (action === "build") return build(params.ops);
  throw new Error(`unknown action ${action}`);
}
