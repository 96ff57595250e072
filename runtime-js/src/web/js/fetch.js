// Morph prelude: `Headers`, `Request`, `Response` and `fetch`. Each request
// is one `http.fetch` capability call (see web/fetch.rs); bodies are bytes.
(natives, shared) => {
  'use strict';
  const httpFetch = natives.httpFetch;
  const URLSearchParams = shared.URLSearchParams;
  const URL = globalThis.URL;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const define = (name, value) => { shared.globals[name] = value; };
  const tag = (cls, name) =>
    Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: name, configurable: true });
  const TypedArray = Object.getPrototypeOf(Uint8Array);
  const taBuffer = Function.prototype.call.bind(Object.getOwnPropertyDescriptor(TypedArray.prototype, 'buffer').get);
  const abByteLength = Function.prototype.call.bind(Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength').get);
  const isArrayBuffer = (v) => { try { abByteLength(v); return true; } catch { return false; } };

  const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  const normalizeValue = (v) => String(v).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
  function checkName(name) {
    name = String(name);
    if (!TOKEN.test(name)) throw new TypeError(`Headers.append: "${name}" is an invalid header name.`);
    return name.toLowerCase();
  }
  function checkValue(value) {
    value = normalizeValue(value);
    if (/[\0\r\n]/.test(value)) throw new TypeError(`Headers.append: "${value}" is an invalid header value.`);
    return value;
  }

  class Headers {
    #list = [];
    constructor(init = undefined) {
      if (init === undefined || init === null) return;
      if (init instanceof Headers) {
        for (const [n, v] of init.#list) this.#list.push([n, v]);
      } else if (typeof init === 'object' && typeof init[Symbol.iterator] === 'function') {
        for (const pair of init) {
          const p = [...pair];
          if (p.length !== 2) throw new TypeError('Headers constructor: expected name/value pair to be length 2');
          this.append(p[0], p[1]);
        }
      } else if (typeof init === 'object') {
        for (const k of Object.keys(init)) this.append(k, init[k]);
      } else {
        throw new TypeError("Failed to construct 'Headers': The provided value is not of type '(record<ByteString, ByteString> or sequence<sequence<ByteString>>)'.");
      }
    }
    append(name, value) { this.#list.push([checkName(name), checkValue(value)]); }
    delete(name) { name = checkName(name); this.#list = this.#list.filter(([n]) => n !== name); }
    get(name) {
      name = checkName(name);
      const values = this.#list.filter(([n]) => n === name).map(([, v]) => v);
      return values.length === 0 ? null : values.join(', ');
    }
    getSetCookie() { return this.#list.filter(([n]) => n === 'set-cookie').map(([, v]) => v); }
    has(name) { name = checkName(name); return this.#list.some(([n]) => n === name); }
    set(name, value) {
      name = checkName(name);
      value = checkValue(value);
      const i = this.#list.findIndex(([n]) => n === name);
      if (i < 0) this.#list.push([name, value]);
      else {
        this.#list[i] = [name, value];
        this.#list = this.#list.filter(([n], j) => j <= i || n !== name);
      }
    }
    #sorted() {
      const names = [...new Set(this.#list.map(([n]) => n))].sort();
      const out = [];
      for (const n of names) {
        if (n === 'set-cookie') for (const v of this.getSetCookie()) out.push([n, v]);
        else out.push([n, this.get(n)]);
      }
      return out;
    }
    forEach(callback, thisArg = undefined) {
      for (const [n, v] of this.#sorted()) callback.call(thisArg, v, n, this);
    }
    *entries() { yield* this.#sorted(); }
    *keys() { for (const [n] of this.#sorted()) yield n; }
    *values() { for (const [, v] of this.#sorted()) yield v; }
    [Symbol.iterator]() { return this.entries(); }
  }
  tag(Headers, 'Headers');
  define('Headers', Headers);

  // Body init -> [bytes, default content type].
  function extractBody(body) {
    if (body === undefined || body === null) return [null, null];
    if (typeof body === 'string') return [encoder.encode(body), 'text/plain;charset=UTF-8'];
    if (body instanceof URLSearchParams) {
      return [encoder.encode(body.toString()), 'application/x-www-form-urlencoded;charset=UTF-8'];
    }
    if (isArrayBuffer(body)) return [new Uint8Array(body.slice(0)), null];
    if (ArrayBuffer.isView(body)) {
      const view = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
      return [new Uint8Array(view), null];
    }
    return [encoder.encode(String(body)), 'text/plain;charset=UTF-8'];
  }

  class Body {
    #body = null;
    #used = false;
    _init(bytes) { this.#body = bytes; }
    #bytes() { return this.#body === null ? new Uint8Array(0) : this.#body; }
    static _peek(b) { return b.#body; }
    get bodyUsed() { return this.#used; }
    #consume() {
      if (this.#used) return Promise.reject(new TypeError('Body is unusable: Body has already been read'));
      this.#used = true;
      return Promise.resolve(this.#bytes());
    }
    arrayBuffer() { return this.#consume().then((b) => taBuffer(new Uint8Array(b))); }
    bytes() { return this.#consume().then((b) => new Uint8Array(b)); }
    text() { return this.#consume().then((b) => decoder.decode(b)); }
    json() { return this.text().then((t) => JSON.parse(t)); }
  }
  const peek = Body._peek;
  delete Body._peek;
  const initBody = Function.prototype.call.bind(Body.prototype._init);
  delete Body.prototype._init;

  const METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'];
  class Request extends Body {
    #url; #method; #headers; #signal;
    constructor(input, init = {}) {
      super();
      init = init ?? {};
      let body = null;
      if (input instanceof Request) {
        this.#url = input.url;
        this.#method = input.method;
        this.#headers = new Headers(input.headers);
        this.#signal = input.signal;
        body = peek(input);
      } else {
        let url;
        try { url = new URL(String(input)); } catch {
          throw new TypeError(`Failed to parse URL from ${String(input)}`);
        }
        if (url.username !== '' || url.password !== '') {
          throw new TypeError(`Request cannot be constructed from a URL that includes credentials: ${url.href}`);
        }
        this.#url = url.href;
        this.#method = 'GET';
        this.#headers = new Headers();
        this.#signal = null;
      }
      if (init.method !== undefined) {
        const m = String(init.method);
        if (!TOKEN.test(m)) throw new TypeError(`'${m}' is not a valid HTTP method.`);
        if (/^(CONNECT|TRACE|TRACK)$/i.test(m)) throw new TypeError(`'${m}' HTTP method is unsupported.`);
        this.#method = METHODS.includes(m.toUpperCase()) ? m.toUpperCase() : m;
      }
      if (init.headers !== undefined) this.#headers = new Headers(init.headers);
      if (init.signal !== undefined) this.#signal = init.signal;
      if (init.body !== undefined && init.body !== null) {
        if (this.#method === 'GET' || this.#method === 'HEAD') {
          throw new TypeError('Request with GET/HEAD method cannot have body.');
        }
        const [bytes, type] = extractBody(init.body);
        body = bytes;
        if (type !== null && !this.#headers.has('content-type')) this.#headers.set('content-type', type);
      }
      if (this.#signal === null) this.#signal = new AbortController().signal;
      initBody(this, body);
    }
    get url() { return this.#url; }
    get method() { return this.#method; }
    get headers() { return this.#headers; }
    get signal() { return this.#signal; }
    get redirect() { return 'follow'; }
    get credentials() { return 'same-origin'; }
    get mode() { return 'cors'; }
    get cache() { return 'default'; }
    clone() {
      if (this.bodyUsed) throw new TypeError('Request.clone: Body has already been consumed.');
      return new Request(this);
    }
  }
  tag(Request, 'Request');
  define('Request', Request);

  const REASONS = { 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 206: 'Partial Content',
    301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified', 307: 'Temporary Redirect',
    308: 'Permanent Redirect', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
    405: 'Method Not Allowed', 409: 'Conflict', 410: 'Gone', 413: 'Payload Too Large', 415: 'Unsupported Media Type',
    418: "I'm a Teapot", 422: 'Unprocessable Entity', 429: 'Too Many Requests', 500: 'Internal Server Error',
    501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };
  const NULL_BODY = [101, 103, 204, 205, 304];
  const kInternal = Symbol('internal');
  class Response extends Body {
    #status; #statusText; #headers; #url; #type;
    constructor(body = null, init = {}, internal = undefined) {
      super();
      init = init ?? {};
      const status = init.status === undefined ? 200 : Number(init.status);
      if (internal !== kInternal && (!Number.isInteger(status) || status < 200 || status > 599)) {
        throw new RangeError(`init["status"] must be in the range of 200 to 599, inclusive.`);
      }
      this.#status = status;
      this.#statusText = init.statusText === undefined ? '' : String(init.statusText);
      this.#headers = new Headers(init.headers);
      this.#url = internal === kInternal ? init.url : '';
      this.#type = internal === kInternal ? init.type : 'default';
      let bytes = null;
      if (body !== null && body !== undefined) {
        if (NULL_BODY.includes(status) && internal !== kInternal) {
          throw new TypeError('Response constructor: Invalid response status code ' + status);
        }
        const [b, type] = extractBody(body);
        bytes = b;
        if (type !== null && !this.#headers.has('content-type')) this.#headers.set('content-type', type);
      }
      initBody(this, bytes);
    }
    get status() { return this.#status; }
    get ok() { return this.#status >= 200 && this.#status <= 299; }
    get statusText() { return this.#statusText; }
    get headers() { return this.#headers; }
    get url() { return this.#url; }
    get type() { return this.#type; }
    get redirected() { return false; }
    clone() {
      if (this.bodyUsed) throw new TypeError('Response.clone: Body has already been consumed.');
      const r = new Response(peek(this), { status: this.#status, statusText: this.#statusText,
        headers: this.#headers, url: this.#url, type: this.#type }, kInternal);
      return r;
    }
    static error() { return new Response(null, { status: 0, url: '', type: 'error' }, kInternal); }
    static json(data, init = {}) {
      const text = JSON.stringify(data);
      if (text === undefined) throw new TypeError('Value is not JSON serializable');
      const headers = new Headers(init?.headers);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      return new Response(text, { ...init, headers });
    }
    static redirect(url, status = 302) {
      let parsed;
      try { parsed = new URL(String(url)); } catch { throw new TypeError(`Failed to parse URL from ${url}`); }
      if (![301, 302, 303, 307, 308].includes(status)) throw new RangeError(`Invalid status code ${status}`);
      return new Response(null, { status, headers: { location: parsed.href }, url: '', type: 'default' }, kInternal);
    }
  }
  tag(Response, 'Response');
  define('Response', Response);

  function fetch(input, init = undefined) {
    try {
      const request = new Request(input, init);
      const signal = request.signal;
      if (signal?.aborted) return Promise.reject(signal.reason);
      const body = peek(request);
      const headers = [...request.headers];
      const raw = httpFetch(request.method, request.url, headers, body === null ? undefined : body);
      if (signal?.aborted) return Promise.reject(signal.reason);
      const response = new Response(NULL_BODY.includes(raw.status) || request.method === 'HEAD' ? null : raw.body, {
        status: raw.status,
        statusText: REASONS[raw.status] ?? '',
        headers: raw.headers,
        url: request.url,
        type: 'basic',
      }, kInternal);
      return Promise.resolve(response);
    } catch (e) {
      return Promise.reject(e);
    }
  }
  define('fetch', fetch);
}
