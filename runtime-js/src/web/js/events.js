// Morph prelude: DOMException, Event, CustomEvent, EventTarget,
// AbortController, AbortSignal (with timeout and any). See web/prelude.rs.
(natives, shared) => {
  'use strict';
  const defineProperty = Object.defineProperty;
  const define = (name, value) => { shared.globals[name] = value; };
  const setTimeout = globalThis.setTimeout;
  const tag = (cls, name) =>
    defineProperty(cls.prototype, Symbol.toStringTag, { value: name, configurable: true });

  const CODES = {
    IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4,
    InvalidCharacterError: 5, NoModificationAllowedError: 7, NotFoundError: 8,
    NotSupportedError: 9, InvalidStateError: 11, SyntaxError: 12,
    InvalidModificationError: 13, NamespaceError: 14, InvalidAccessError: 15,
    TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20,
    URLMismatchError: 21, QuotaExceededError: 22, TimeoutError: 23,
    InvalidNodeTypeError: 24, DataCloneError: 25,
  };

  class DOMException extends Error {
    #name;
    #message;
    constructor(message = '', options = 'Error') {
      super();
      this.#message = String(message);
      if (options !== null && typeof options === 'object') {
        this.#name = 'name' in options ? String(options.name) : 'Error';
        if ('cause' in options) {
          defineProperty(this, 'cause', { value: options.cause, writable: true, configurable: true });
        }
      } else {
        this.#name = String(options);
      }
      defineProperty(this, 'stack', {
        value: `${this.#name}: ${this.#message}`, writable: true, configurable: true,
      });
    }
    get name() { return this.#name; }
    get message() { return this.#message; }
    get code() { return CODES[this.#name] ?? 0; }
  }
  tag(DOMException, 'DOMException');
  for (const [name, code] of Object.entries(CODES)) {
    const constant = name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()
      .replace(/_ERROR$/, '_ERR').replace('URLMISMATCH', 'URL_MISMATCH');
    defineProperty(DOMException, constant, { value: code, enumerable: true });
    defineProperty(DOMException.prototype, constant, { value: code, enumerable: true });
  }
  define('DOMException', DOMException);
  shared.DOMException = DOMException;

  // Dispatch state of each event (target, phase, stopped), out of sight.
  const dispatch = new WeakMap();
  const stateOf = (e) => dispatch.get(e) ?? { target: null, phase: 0, stop: false };
  class Event {
    #type; #bubbles; #cancelable; #composed; #defaultPrevented = false; #timeStamp;
    constructor(type, options = undefined) {
      if (arguments.length === 0) {
        throw new TypeError('The "type" argument must be specified');
      }
      this.#type = String(type);
      const o = options ?? {};
      this.#bubbles = !!o.bubbles;
      this.#cancelable = !!o.cancelable;
      this.#composed = !!o.composed;
      this.#timeStamp = natives.performanceNow();
      dispatch.set(this, { target: null, phase: 0, stop: false });
    }
    get type() { return this.#type; }
    get bubbles() { return this.#bubbles; }
    get cancelable() { return this.#cancelable; }
    get composed() { return this.#composed; }
    get defaultPrevented() { return this.#cancelable && this.#defaultPrevented; }
    get returnValue() { return !this.defaultPrevented; }
    get timeStamp() { return this.#timeStamp; }
    get target() { return stateOf(this).target; }
    get currentTarget() { const s = stateOf(this); return s.phase === 2 ? s.target : null; }
    get srcElement() { return stateOf(this).target; }
    get eventPhase() { return stateOf(this).phase; }
    get isTrusted() { return false; }
    get cancelBubble() { return stateOf(this).stop; }
    composedPath() { const s = stateOf(this); return s.phase === 2 ? [s.target] : []; }
    preventDefault() { this.#defaultPrevented = true; }
    stopPropagation() {}
    stopImmediatePropagation() { stateOf(this).stop = true; }
  }
  for (const [k, v] of [['NONE', 0], ['CAPTURING_PHASE', 1], ['AT_TARGET', 2], ['BUBBLING_PHASE', 3]]) {
    defineProperty(Event, k, { value: v, enumerable: true });
    defineProperty(Event.prototype, k, { value: v, enumerable: true });
  }
  tag(Event, 'Event');
  define('Event', Event);

  class CustomEvent extends Event {
    #detail;
    constructor(type, options = undefined) {
      super(type, options);
      this.#detail = options?.detail ?? null;
    }
    get detail() { return this.#detail; }
  }
  tag(CustomEvent, 'CustomEvent');
  define('CustomEvent', CustomEvent);

  class EventTarget {
    #listeners = new Map();
    addEventListener(type, listener, options = undefined) {
      if (listener == null) return;
      const once = typeof options === 'object' && options !== null && !!options.once;
      const capture = typeof options === 'boolean' ? options : !!options?.capture;
      const signal = typeof options === 'object' && options !== null ? options.signal : undefined;
      if (signal?.aborted) return;
      type = String(type);
      let list = this.#listeners.get(type);
      if (!list) { list = []; this.#listeners.set(type, list); }
      if (list.some((l) => l.listener === listener && l.capture === capture)) return;
      const entry = { listener, capture, once, removed: false };
      list.push(entry);
      if (signal) {
        signal.addEventListener('abort', () => this.removeEventListener(type, listener, { capture }), { once: true });
      }
    }
    removeEventListener(type, listener, options = undefined) {
      const capture = typeof options === 'boolean' ? options : !!options?.capture;
      const list = this.#listeners.get(String(type));
      if (!list) return;
      const i = list.findIndex((l) => l.listener === listener && l.capture === capture);
      if (i >= 0) { list[i].removed = true; list.splice(i, 1); }
    }
    dispatchEvent(event) {
      if (!(event instanceof Event)) {
        throw new TypeError('The "event" argument must be an instance of Event.');
      }
      const state = stateOf(event);
      dispatch.set(event, state);
      state.target = this;
      state.phase = 2;
      state.stop = false;
      const list = (this.#listeners.get(event.type) ?? []).slice();
      for (const entry of list) {
        if (entry.removed) continue;
        if (entry.once) this.removeEventListener(event.type, entry.listener, { capture: entry.capture });
        const l = entry.listener;
        if (typeof l === 'function') l.call(this, event);
        else if (l && typeof l.handleEvent === 'function') l.handleEvent(event);
        if (state.stop) break;
      }
      state.phase = 0;
      return !event.defaultPrevented;
    }
  }
  tag(EventTarget, 'EventTarget');
  define('EventTarget', EventTarget);
  // `on<type>` handler attributes (AbortSignal.onabort).
  shared.handlers = new WeakMap();
  // `on<type>` handler attributes (AbortSignal.onabort): as in browsers and
  // Node, the handler becomes a listener when first set, so it runs in the
  // order it was set among the listeners.
  const handlerAttribute = (cls, type) => {
    defineProperty(cls.prototype, `on${type}`, {
      get() { return shared.handlers.get(this)?.get(type) ?? null; },
      set(f) {
        let m = shared.handlers.get(this);
        if (!m) { m = new Map(); shared.handlers.set(this, m); }
        const first = !m.has(type);
        m.set(type, typeof f === 'function' ? f : null);
        if (first) {
          this.addEventListener(type, (event) => {
            const h = m.get(type);
            if (typeof h === 'function') h.call(this, event);
          });
        }
      },
      enumerable: true, configurable: true,
    });
  };

  const kCreate = Symbol('create');
  class AbortSignal extends EventTarget {
    #aborted = false;
    #reason = undefined;
    constructor(key = undefined) {
      if (key !== kCreate) throw new TypeError('Illegal constructor');
      super();
    }
    get aborted() { return this.#aborted; }
    get reason() { return this.#reason; }
    throwIfAborted() { if (this.#aborted) throw this.#reason; }
    static abort(reason = undefined) {
      const s = new AbortSignal(kCreate);
      s.#aborted = true;
      s.#reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
      return s;
    }
    static timeout(ms) {
      const delay = Number(ms);
      if (!Number.isFinite(delay) || delay < 0) {
        throw new TypeError(`The "delay" argument must be a non-negative number. Received ${ms}`);
      }
      const s = new AbortSignal(kCreate);
      setTimeout(() => AbortSignal.#signal(s, new DOMException('The operation was aborted due to timeout', 'TimeoutError')), delay);
      return s;
    }
    static any(signals) {
      const s = new AbortSignal(kCreate);
      for (const other of signals) {
        if (other.aborted) { s.#aborted = true; s.#reason = other.reason; return s; }
      }
      for (const other of signals) {
        other.addEventListener('abort', () => AbortSignal.#signal(s, other.reason), { once: true });
      }
      return s;
    }
    static #signal(s, reason) {
      if (s.#aborted) return;
      s.#aborted = true;
      s.#reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
      s.dispatchEvent(new Event('abort'));
    }
    static [kCreate]() { return new AbortSignal(kCreate); }
    static [Symbol.for('morph.abort')](s, reason) { AbortSignal.#signal(s, reason); }
  }
  handlerAttribute(AbortSignal, 'abort');
  tag(AbortSignal, 'AbortSignal');
  const abortWith = AbortSignal[Symbol.for('morph.abort')];
  const createSignal = AbortSignal[kCreate];
  delete AbortSignal[Symbol.for('morph.abort')];
  delete AbortSignal[kCreate];
  define('AbortSignal', AbortSignal);

  class AbortController {
    #signal = createSignal();
    get signal() { return this.#signal; }
    abort(reason = undefined) { abortWith(this.#signal, reason); }
  }
  tag(AbortController, 'AbortController');
  define('AbortController', AbortController);
}
