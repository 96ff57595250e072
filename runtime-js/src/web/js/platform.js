// Morph prelude: `crypto` (getRandomValues, randomUUID, subtle.digest) and
// `performance` (now, timeOrigin), on host natives (web/crypto.rs,
// web/performance.rs); `atob`/`btoa` made to throw DOMExceptions.
(natives, shared) => {
  'use strict';
  const DOMException = shared.DOMException;
  const { randomFill, randomUUID, digest, performanceNow, performanceTimeOrigin } = natives;
  const TypedArray = Object.getPrototypeOf(Uint8Array);
  const taTag = Function.prototype.call.bind(Object.getOwnPropertyDescriptor(TypedArray.prototype, Symbol.toStringTag).get);
  const taByteLength = Function.prototype.call.bind(Object.getOwnPropertyDescriptor(TypedArray.prototype, 'byteLength').get);
  const INTEGER_ARRAYS = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
    'Int32Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array'];
  const MAX_RANDOM_BYTES = 65536;
  const ALGORITHMS = { 'SHA-1': 'SHA-1', 'SHA-256': 'SHA-256', 'SHA-384': 'SHA-384', 'SHA-512': 'SHA-512' };

  function getRandomValues(array) {
    let kind;
    try { kind = taTag(array); } catch { kind = undefined; }
    if (!INTEGER_ARRAYS.includes(kind)) {
      throw new DOMException(
        "The data argument must be an integer-type TypedArray", 'TypeMismatchError');
    }
    const length = taByteLength(array);
    if (length > MAX_RANDOM_BYTES) {
      throw new DOMException(
        `The ArrayBufferView's byte length (${length}) exceeds the number of bytes of entropy available via this API (${MAX_RANDOM_BYTES})`,
        'QuotaExceededError');
    }
    randomFill(array);
    return array;
  }

  const subtle = {
    digest(algorithm, data) {
      try {
        const name = typeof algorithm === 'string' ? algorithm : algorithm?.name;
        const normalized = ALGORITHMS[String(name).toUpperCase()];
        if (normalized === undefined) {
          return Promise.reject(new DOMException('Unrecognized algorithm name', 'NotSupportedError'));
        }
        if (!(data instanceof ArrayBuffer) && !ArrayBuffer.isView(data)) {
          return Promise.reject(new TypeError(
            'Failed to execute \'digest\' on \'SubtleCrypto\': 2nd argument is not instance of ArrayBuffer, Buffer, TypedArray, or DataView.'));
        }
        return Promise.resolve(digest(normalized, data).buffer);
      } catch (e) {
        return Promise.reject(e);
      }
    },
  };
  Object.defineProperty(subtle, Symbol.toStringTag, { value: 'SubtleCrypto', configurable: true });

  const crypto = {};
  Object.defineProperties(crypto, {
    getRandomValues: { value: getRandomValues, writable: true, enumerable: true, configurable: true },
    randomUUID: { value: function randomUUID_() { return randomUUID(); }, writable: true, enumerable: true, configurable: true },
    subtle: { get() { return subtle; }, enumerable: true, configurable: true },
    [Symbol.toStringTag]: { value: 'Crypto', configurable: true },
  });
  Object.defineProperty(crypto.randomUUID, 'name', { value: 'randomUUID' });
  shared.now = performanceNow;

  const performance = {};
  const timeOrigin = performanceTimeOrigin();
  Object.defineProperties(performance, {
    now: { value: function now() { return performanceNow(); }, writable: true, enumerable: true, configurable: true },
    timeOrigin: { get() { return timeOrigin; }, enumerable: true, configurable: true },
    toJSON: { value: function toJSON() { return { timeOrigin }; }, writable: true, enumerable: true, configurable: true },
    [Symbol.toStringTag]: { value: 'Performance', configurable: true },
  });
  // boa_runtime's atob/btoa throw a bare string; browsers and Node throw an
  // InvalidCharacterError DOMException.
  const wrapBase64 = (f, name) => ({ [name](data) {
    if (arguments.length === 0) throw new TypeError(`${name}: 1 argument required, but only 0 present.`);
    try {
      return f(data);
    } catch (e) {
      if (typeof e !== 'string') throw e;
      throw new DOMException(e.replace(/^InvalidCharacterError: /, ''), 'InvalidCharacterError');
    }
  } })[name];
  const atob = wrapBase64(globalThis.atob, 'atob');
  const btoa = wrapBase64(globalThis.btoa, 'btoa');
  for (const [name, value] of [['crypto', crypto], ['performance', performance], ['atob', atob], ['btoa', btoa]]) {
    shared.globals[name] = value;
  }
}
