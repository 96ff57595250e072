// Morph prelude: `URLSearchParams` (application/x-www-form-urlencoded) and
// `URL.prototype.searchParams`, which boa_runtime's URL lacks.
(natives, shared) => {
  'use strict';
  const URL = globalThis.URL;
  const TextEncoder = globalThis.TextEncoder;
  const TextDecoder = globalThis.TextDecoder;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const searchDesc = Object.getOwnPropertyDescriptor(URL.prototype, 'search');
  const getSearch = Function.prototype.call.bind(searchDesc.get);
  const setSearch = Function.prototype.call.bind(searchDesc.set);
  const HEX = '0123456789ABCDEF';

  function serialize(s) {
    let out = '';
    for (const b of encoder.encode(s)) {
      if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) ||
          b === 0x2a || b === 0x2d || b === 0x2e || b === 0x5f) {
        out += String.fromCharCode(b);
      } else if (b === 0x20) {
        out += '+';
      } else {
        out += '%' + HEX[b >> 4] + HEX[b & 15];
      }
    }
    return out;
  }
  const hexValue = (c) => {
    if (c >= 48 && c <= 57) return c - 48;
    if (c >= 65 && c <= 70) return c - 55;
    if (c >= 97 && c <= 102) return c - 87;
    return -1;
  };
  function percentDecode(s) {
    const bytes = encoder.encode(s.replaceAll('+', ' '));
    const out = new Uint8Array(bytes.length);
    let n = 0;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (b === 37 && i + 2 < bytes.length + 0 && hexValue(bytes[i + 1]) >= 0 && hexValue(bytes[i + 2]) >= 0) {
        out[n++] = hexValue(bytes[i + 1]) * 16 + hexValue(bytes[i + 2]);
        i += 2;
      } else {
        out[n++] = b;
      }
    }
    return decoder.decode(out.subarray(0, n));
  }
  function parse(query) {
    const list = [];
    for (const part of query.split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      const value = eq < 0 ? '' : part.slice(eq + 1);
      list.push([percentDecode(name), percentDecode(value)]);
    }
    return list;
  }
  const usv = (v) => String(v).toWellFormed();

  const owners = new WeakMap();
  class URLSearchParams {
    #list = [];
    constructor(init = undefined) {
      if (init === undefined || init === null) return;
      if (typeof init === 'object' || typeof init === 'function') {
        if (typeof init[Symbol.iterator] === 'function') {
          for (const pair of init) {
            const p = [...pair];
            if (p.length !== 2) throw new TypeError('Each query pair must be an iterable [name, value] tuple');
            this.#list.push([usv(p[0]), usv(p[1])]);
          }
        } else {
          for (const k of Reflect.ownKeys(init)) {
            if (typeof k === 'string' && Object.getOwnPropertyDescriptor(init, k)?.enumerable) {
              this.#list.push([usv(k), usv(init[k])]);
            }
          }
        }
      } else {
        let s = usv(init);
        if (s.startsWith('?')) s = s.slice(1);
        this.#list = parse(s);
      }
    }
    #update() {
      const url = owners.get(this);
      if (url) setSearch(url, this.toString());
    }
    static _reset(params, query) { params.#list = parse(query); }
    get size() { return this.#list.length; }
    append(name, value) { this.#list.push([usv(name), usv(value)]); this.#update(); }
    delete(name, value = undefined) {
      name = usv(name);
      const v = value === undefined ? undefined : usv(value);
      this.#list = this.#list.filter(([n, x]) => !(n === name && (v === undefined || x === v)));
      this.#update();
    }
    get(name) { name = usv(name); const e = this.#list.find(([n]) => n === name); return e ? e[1] : null; }
    getAll(name) { name = usv(name); return this.#list.filter(([n]) => n === name).map(([, v]) => v); }
    has(name, value = undefined) {
      name = usv(name);
      const v = value === undefined ? undefined : usv(value);
      return this.#list.some(([n, x]) => n === name && (v === undefined || x === v));
    }
    set(name, value) {
      name = usv(name);
      value = usv(value);
      const i = this.#list.findIndex(([n]) => n === name);
      if (i < 0) this.#list.push([name, value]);
      else {
        this.#list[i][1] = value;
        this.#list = this.#list.filter(([n], j) => j <= i || n !== name);
      }
      this.#update();
    }
    sort() {
      const keyed = this.#list.map((e, i) => [e, i]);
      keyed.sort(([a, i], [b, j]) => {
        const x = a[0], y = b[0];
        const len = Math.min(x.length, y.length);
        for (let k = 0; k < len; k++) {
          const d = x.charCodeAt(k) - y.charCodeAt(k);
          if (d !== 0) return d;
        }
        return x.length - y.length || i - j;
      });
      this.#list = keyed.map(([e]) => e);
      this.#update();
    }
    forEach(callback, thisArg = undefined) {
      if (typeof callback !== 'function') throw new TypeError('The "callback" argument must be of type function');
      for (let i = 0; i < this.#list.length; i++) {
        const [n, v] = this.#list[i];
        callback.call(thisArg, v, n, this);
      }
    }
    *entries() { for (let i = 0; i < this.#list.length; i++) yield [this.#list[i][0], this.#list[i][1]]; }
    *keys() { for (let i = 0; i < this.#list.length; i++) yield this.#list[i][0]; }
    *values() { for (let i = 0; i < this.#list.length; i++) yield this.#list[i][1]; }
    [Symbol.iterator]() { return this.entries(); }
    toString() { return this.#list.map(([n, v]) => `${serialize(n)}=${serialize(v)}`).join('&'); }
  }
  const reset = URLSearchParams._reset;
  delete URLSearchParams._reset;
  Object.defineProperty(URLSearchParams.prototype, Symbol.toStringTag, { value: 'URLSearchParams', configurable: true });
  shared.globals.URLSearchParams = URLSearchParams;
  shared.URLSearchParams = URLSearchParams;

  // URL.prototype.searchParams: one live object per URL, re-read from the
  // URL's query whenever it is asked for.
  const paramsOf = new WeakMap();
  Object.defineProperty(URL.prototype, 'searchParams', {
    get() {
      const search = getSearch(this);
      let p = paramsOf.get(this);
      if (!p) {
        p = new URLSearchParams();
        owners.set(p, this);
        paramsOf.set(this, p);
      }
      reset(p, search.startsWith('?') ? search.slice(1) : search);
      return p;
    },
    enumerable: true,
    configurable: true,
  });
}
