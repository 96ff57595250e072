// The web platform tour (issue 29 point 1): uses every web global Morph
// promises to JS authors. `execute('tour', {base})` returns, API by API,
// values that must be identical under Morph and under Node (see
// runtime-js/tests/all/web_node.rs); what it logs through `console` is
// compared too. `base` is the URL of the test's HTTP server.

const section = async (out, name, f) => {
  try {
    out[name] = await f();
  } catch (e) {
    out[name] = { error: `${e?.name}: ${e?.message}` };
  }
};

const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');

export async function execute(action, params) {
  if (action !== 'tour') throw new Error(`unknown action ${action}`);
  const base = params.base;
  const out = {};

  await section(out, 'console', () => {
    console.log('plain', 1, true, null, undefined, 10n, -0, Symbol('s'));
    console.log('%s is %d years and %i days, %f%%', 'Bob', 42.5, 7.9, 1.5, 'extra');
    console.log('%o and %O and %j', { a: 1 }, [1, [2, [3, [4]]]], { j: [1] });
    console.info({ str: 'it\'s', nested: { a: { b: { c: { d: 1 } } } }, arr: [1, 'two', [3]] });
    console.debug(new Map([['k', { v: 1 }]]), new Set([1, 'a']));
    console.warn([undefined, null, , 3], new Date(0), /re+/gi);
    console.error(function named() {}, () => {}, class Foo {}, Symbol.iterator);
    const circular = { name: 'c' };
    circular.self = circular;
    console.log(circular);
    console.log(Array.from({ length: 30 }, (_, i) => i * 3));
    console.log(Array.from({ length: 120 }, (_, i) => i));
    console.log({ 'key with space': 1, valid_id: 2, [Symbol('sym')]: 3 });
    console.log(new Uint8Array([1, 2, 3]), new ArrayBuffer(3), Object.create(null));
    console.log([{ a: 1, b: 'a long string value to push past the line width' }, { c: 'another long string value here' }]);
    console.log('multi\nline', 'x'.repeat(20));
    console.table([{ a: 1, b: 'x' }, { a: 2, c: true }]);
    console.table({ r1: 1, r2: 'two' });
    console.assert(1 === 2, 'assertion %s', 'text');
    console.assert(false);
    console.count(); console.count(); console.count('named'); console.countReset(); console.count();
    console.group('group'); console.log('inside'); console.groupEnd(); console.log('outside');
    console.time('t');
    console.timeEnd('missing');
    return 'logged';
  });

  await section(out, 'timers', async () => {
    const order = [];
    const t0 = performance.now();
    await new Promise((resolve) => {
      // Wide gaps (20 ms and more), so that a loaded machine keeps the order.
      setTimeout(() => order.push('timeout 60'), 60);
      setTimeout((a, b) => order.push(`timeout 5 ${a} ${b}`), 5, 'x', 'y');
      const cancelled = setTimeout(() => order.push('cancelled'), 1);
      clearTimeout(cancelled);
      queueMicrotask(() => order.push('microtask'));
      Promise.resolve().then(() => order.push('promise'));
      let n = 0;
      const id = setInterval(() => {
        n += 1;
        order.push(`interval ${n}`);
        if (n === 3) clearInterval(id);
      }, 40);
      setTimeout(resolve, 150);
    });
    return { order, waited: performance.now() - t0 >= 149 };
  });

  await section(out, 'url', () => {
    const u = new URL('https://user:pw@example.com:8080/a/b/../c?x=1&y=two#frag');
    const rel = new URL('../d?q', 'https://example.com/a/b/c');
    u.searchParams.append('z', 'é &=');
    const p = new URLSearchParams('a=1&b=2&a=3&c=%20x+y');
    p.set('b', 'B');
    p.delete('c');
    p.append('d', '');
    const sorted = new URLSearchParams([['z', '1'], ['a', '2'], ['m', '3']]);
    sorted.sort();
    const fromObject = new URLSearchParams({ k: 'v', n: 1 });
    return {
      href: u.href, origin: u.origin, protocol: u.protocol, host: u.host, hostname: u.hostname,
      port: u.port, pathname: u.pathname, search: u.search, hash: u.hash,
      username: u.username, password: u.password, json: u.toJSON(), rel: rel.href,
      x: u.searchParams.get('x'), all: p.getAll('a'), p: p.toString(), has: [p.has('a'), p.has('zz')],
      entries: [...p], keys: [...p.keys()], size: p.size, sorted: sorted.toString(),
      fromObject: fromObject.toString(), canParse: [URL.canParse('nope'), URL.canParse('http://x')],
    };
  });

  await section(out, 'encoding', () => {
    const enc = new TextEncoder();
    const bytes = enc.encode('héllo €');
    const dec = new TextDecoder();
    return {
      encoding: enc.encoding, bytes: [...bytes], text: dec.decode(bytes),
      utf16: new TextDecoder('utf-16le').decode(new Uint8Array([104, 0, 105, 0])),
      bom: dec.decode(new Uint8Array([0xef, 0xbb, 0xbf, 65])),
      lossy: dec.decode(new Uint8Array([0xff, 65])),
      btoa: btoa('hello\u00ff'), atob: atob(' aGVs bG8= '),
      badAtob: (() => { try { atob('*'); return 'no error'; } catch (e) { return e.name; } })(),
      badBtoa: (() => { try { btoa('€'); return 'no error'; } catch (e) { return e.name; } })(),
    };
  });

  await section(out, 'structuredClone', () => {
    const src = { n: 1, s: 'x', d: new Date(5), r: /a/g, m: new Map([[1, { k: 2 }]]), st: new Set([1, 2]),
      arr: [1, [2]], u8: new Uint8Array([1, 2]), big: 10n, nested: { deep: { er: true } } };
    src.self = src;
    const c = structuredClone(src);
    let fnError;
    try { structuredClone(() => 1); } catch (e) { fnError = e.name; }
    return {
      same: c === src, selfRef: c.self === c, date: c.d.getTime(), re: c.r.source + c.r.flags,
      map: c.m.get(1).k, mapCopied: c.m.get(1) !== src.m.get(1), set: [...c.st], arr: c.arr,
      u8: [...c.u8], big: String(c.big), nested: c.nested, fnError,
      error: (() => { const e = structuredClone(new RangeError('r')); return [e instanceof RangeError, e.message]; })(),
    };
  });

  await section(out, 'events', async () => {
    const seen = [];
    const target = new EventTarget();
    const listener = (e) => seen.push(`${e.type} ${e.target === target} ${e.eventPhase}`);
    target.addEventListener('a', listener);
    target.addEventListener('a', listener);
    target.addEventListener('once', () => seen.push('once'), { once: true });
    target.dispatchEvent(new Event('a'));
    target.dispatchEvent(new Event('once'));
    target.dispatchEvent(new Event('once'));
    target.removeEventListener('a', listener);
    target.dispatchEvent(new Event('a'));
    const ev = new Event('c', { cancelable: true });
    target.addEventListener('c', (e) => e.preventDefault());
    const notCancelled = target.dispatchEvent(ev);
    target.addEventListener('custom', (e) => seen.push(e.detail));
    target.dispatchEvent(new CustomEvent('custom', { detail: { x: 1 } }));
    target.addEventListener('stop', (e) => { seen.push('first'); e.stopImmediatePropagation(); });
    target.addEventListener('stop', () => seen.push('second'));
    target.dispatchEvent(new Event('stop'));
    return { seen, defaultPrevented: ev.defaultPrevented, notCancelled, type: ev.type,
      bubbles: ev.bubbles, cancelable: ev.cancelable };
  });

  await section(out, 'abort', async () => {
    const c = new AbortController();
    const seen = [];
    c.signal.onabort = (e) => seen.push(`onabort ${e.type}`);
    c.signal.addEventListener('abort', () => seen.push('listener'));
    c.abort('why');
    c.abort('again');
    const pre = AbortSignal.abort();
    // Node's AbortSignal.timeout timer does not keep its event loop alive.
    const keepAlive = setTimeout(() => {}, 1000);
    const timedOut = await new Promise((resolve) => {
      const s = AbortSignal.timeout(5);
      s.addEventListener('abort', () => resolve([s.aborted, s.reason.name, s.reason.code]));
    });
    clearTimeout(keepAlive);
    const any = AbortSignal.any([new AbortController().signal, c.signal]);
    let thrown;
    try { pre.throwIfAborted(); } catch (e) { thrown = [e.name, e.message, e instanceof DOMException]; }
    return { seen, aborted: c.signal.aborted, reason: c.signal.reason, preReason: pre.reason.name,
      timedOut, any: [any.aborted, any.reason], thrown };
  });

  await section(out, 'domexception', () => {
    const e = new DOMException('boom', 'NotFoundError');
    return [e.name, e.message, e.code, e instanceof Error, String(e), DOMException.ABORT_ERR,
      new DOMException('x').name];
  });

  await section(out, 'crypto', async () => {
    const data = new TextEncoder().encode('morph');
    const digests = {};
    for (const alg of ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512']) {
      digests[alg] = hex(await crypto.subtle.digest(alg, data));
    }
    const arr = crypto.getRandomValues(new Uint8Array(16));
    let quota;
    try { crypto.getRandomValues(new Uint8Array(65537)); } catch (e) { quota = [e.name, e instanceof DOMException]; }
    let mismatch;
    try { crypto.getRandomValues(new Float32Array(2)); } catch (e) { mismatch = e.name; }
    const uuid = crypto.randomUUID();
    return { digests, length: arr.length, same: arr === crypto.getRandomValues(arr), quota, mismatch,
      uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(uuid),
      dataView: hex(await crypto.subtle.digest({ name: 'sha-256' }, new DataView(data.buffer))).slice(0, 8) };
  });

  await section(out, 'performance', () => {
    const a = performance.now();
    const b = performance.now();
    return { monotonic: b >= a, positive: a >= 0, origin: performance.timeOrigin > 1.6e12,
      json: Object.keys(performance.toJSON()).includes('timeOrigin') };
  });

  await section(out, 'fetch', async () => {
    const r = await fetch(`${base}/echo?x=1`, {
      method: 'post', headers: { 'X-Test': 'yes', 'Content-Type': 'application/json' },
      body: JSON.stringify({ hello: 'world' }),
    });
    const echoed = await r.json();
    const bin = await fetch(new Request(`${base}/binary`));
    const bytes = [...new Uint8Array(await bin.arrayBuffer())];
    const put = await fetch(`${base}/echo`, { method: 'PUT', body: new Uint8Array([104, 105]) });
    const putText = await put.text();
    let reused;
    try { await put.text(); } catch (e) { reused = e.name; }
    const missing = await fetch(`${base}/missing`);
    const h = new Headers({ B: '2', a: '1' });
    h.append('a', '3');
    const local = new Response('body text', { status: 201, headers: { 'x-y': 'z' } });
    const json = Response.json({ k: 1 });
    const req = new Request(`${base}/r`, { method: 'delete' });
    let aborted;
    try { await fetch(`${base}/echo`, { signal: AbortSignal.abort() }); } catch (e) { aborted = e.name; }
    let badUrl;
    try { await fetch('not a url'); } catch (e) { badUrl = e.name; }
    return {
      status: r.status, ok: r.ok, contentType: r.headers.get('content-type'),
      echoed: { method: echoed.method, path: echoed.path, body: echoed.body, xTest: echoed['x-test'],
        contentType: echoed['content-type'] },
      bytes, putEcho: JSON.parse(putText).body, bodyUsed: put.bodyUsed, reused,
      missing: [missing.status, missing.ok],
      headers: [...h], get: h.get('A'), has: h.has('b'),
      local: [local.status, local.ok, local.headers.get('x-y'), local.headers.get('content-type'), await local.text()],
      json: [json.headers.get('content-type'), await json.json()],
      req: [req.method, req.url], aborted, badUrl,
      error: Response.error().type,
    };
  });

  return out;
}
