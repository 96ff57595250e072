// Morph prelude: `structuredClone`, in JS so that a deeply nested value meets
// the engine's recursion limit instead of the host's native stack (Boa's
// native one recurses without a bound). Runs as budgeted guest bytecode.
(natives, shared) => {
  'use strict';
  const DOMException = shared.DOMException;
  const { getPrototypeOf, keys: objectKeys } = Object;
  const isArray = Array.isArray;
  const call = Function.prototype.call;
  const bind = (f) => call.bind(f);
  const getter = (proto, name) => bind(Object.getOwnPropertyDescriptor(proto, name).get);
  const abByteLength = getter(ArrayBuffer.prototype, 'byteLength');
  const abSlice = bind(ArrayBuffer.prototype.slice);
  const TypedArray = getPrototypeOf(Uint8Array);
  const taBuffer = getter(TypedArray.prototype, 'buffer');
  const taOffset = getter(TypedArray.prototype, 'byteOffset');
  const taLength = getter(TypedArray.prototype, 'length');
  const taTag = getter(TypedArray.prototype, Symbol.toStringTag);
  const dvBuffer = getter(DataView.prototype, 'buffer');
  const dvOffset = getter(DataView.prototype, 'byteOffset');
  const dvLength = getter(DataView.prototype, 'byteLength');
  const mapSize = getter(Map.prototype, 'size');
  const setSize = getter(Set.prototype, 'size');
  const mapEntries = bind(Map.prototype.entries);
  const setValues = bind(Set.prototype.values);
  const dateTime = bind(Date.prototype.getTime);
  const regexpSource = getter(RegExp.prototype, 'source');
  const regexpFlags = getter(RegExp.prototype, 'flags');
  const is = (f, v) => { try { f(v); return true; } catch { return false; } };
  const boxes = [[Number, bind(Number.prototype.valueOf)], [String, bind(String.prototype.valueOf)],
    [Boolean, bind(Boolean.prototype.valueOf)], [BigInt, bind(BigInt.prototype.valueOf)]];
  const typedArrays = { Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array,
    Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array };
  if (globalThis.Float16Array) typedArrays.Float16Array = globalThis.Float16Array;
  const errors = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };
  const fail = (v) => {
    let text;
    try { text = typeof v === 'symbol' ? v.toString() : String(v); } catch { text = typeof v; }
    throw new DOMException(`${text} could not be cloned.`, 'DataCloneError');
  };

  function clone(value, memory) {
    if (typeof value === 'symbol') fail(value);
    if (typeof value !== 'object' && typeof value !== 'function') return value;
    if (value === null) return null;
    if (typeof value === 'function') fail(value);
    if (memory.has(value)) return memory.get(value);
    let out;
    if (isArray(value)) {
      out = new Array(value.length);
      memory.set(value, out);
      for (const k of objectKeys(value)) out[k] = clone(value[k], memory);
      return out;
    }
    if (is(dateTime, value)) { out = new Date(dateTime(value)); memory.set(value, out); return out; }
    if (is(regexpSource, value) && value instanceof RegExp) {
      out = new RegExp(regexpSource(value), regexpFlags(value));
      memory.set(value, out);
      return out;
    }
    if (is(abByteLength, value)) { out = abSlice(value, 0); memory.set(value, out); return out; }
    if (is(taTag, value) && taTag(value) !== undefined) {
      const C = typedArrays[taTag(value)];
      const buffer = clone(taBuffer(value), memory);
      out = new C(buffer, taOffset(value), taLength(value));
      memory.set(value, out);
      return out;
    }
    if (is(dvBuffer, value)) {
      out = new DataView(clone(dvBuffer(value), memory), dvOffset(value), dvLength(value));
      memory.set(value, out);
      return out;
    }
    if (is(mapSize, value)) {
      out = new Map();
      memory.set(value, out);
      for (const [k, v] of mapEntries(value)) out.set(clone(k, memory), clone(v, memory));
      return out;
    }
    if (is(setSize, value)) {
      out = new Set();
      memory.set(value, out);
      for (const v of setValues(value)) out.add(clone(v, memory));
      return out;
    }
    for (const [, valueOf] of boxes) {
      if (is(valueOf, value)) { out = Object(valueOf(value)); memory.set(value, out); return out; }
    }
    if (value instanceof Error) {
      const name = value.name;
      const C = Object.hasOwn(errors, name) ? errors[name] : Error;
      out = new C(value.message === undefined ? undefined : String(value.message));
      memory.set(value, out);
      if (typeof value.stack === 'string') {
        Object.defineProperty(out, 'stack', { value: value.stack, writable: true, configurable: true });
      }
      if (Object.hasOwn(value, 'cause')) {
        Object.defineProperty(out, 'cause', { value: clone(value.cause, memory), writable: true, configurable: true });
      }
      return out;
    }
    if (value instanceof Promise || value instanceof WeakMap || value instanceof WeakSet ||
        value instanceof WeakRef) {
      fail(value);
    }
    out = {};
    memory.set(value, out);
    for (const k of objectKeys(value)) out[k] = clone(value[k], memory);
    return out;
  }

  function structuredClone(value, options = undefined) {
    if (arguments.length === 0) throw new TypeError('The "value" argument must be specified');
    if (options !== undefined && options !== null && options.transfer !== undefined &&
        [...options.transfer].length > 0) {
      throw new DOMException('Transferring is not supported', 'DataCloneError');
    }
    return clone(value, new Map());
  }
  shared.globals.structuredClone = structuredClone;
}
