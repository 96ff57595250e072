// Morph prelude: `console`, formatted like Node's (util.format and
// util.inspect without colours, depth 2, at most 100 array items and 10000
// characters of a string, a line cut at MAX_LINE characters). Each line goes
// to the host's `log` capability with a level (see web/console.rs).
(natives, shared) => {
  'use strict';
  const log = natives.log;
  const promiseState = natives.promiseState;
  const { defineProperty, getOwnPropertyDescriptor, getPrototypeOf, keys: objectKeys,
    getOwnPropertySymbols } = Object;
  const hasOwn = Object.hasOwn;
  const propertyIsEnumerable = Function.prototype.call.bind(Object.prototype.propertyIsEnumerable);
  const isArray = Array.isArray;
  const fnToString = Function.prototype.call.bind(Function.prototype.toString);
  const symToString = Function.prototype.call.bind(Symbol.prototype.toString);
  const dateToISO = Function.prototype.call.bind(Date.prototype.toISOString);
  const dateGetTime = Function.prototype.call.bind(Date.prototype.getTime);
  const regexpToString = Function.prototype.call.bind(RegExp.prototype.toString);
  const errorToString = Function.prototype.call.bind(Error.prototype.toString);
  const TypedArray = getPrototypeOf(Uint8Array);
  const typedArrayLength = Function.prototype.call.bind(getOwnPropertyDescriptor(TypedArray.prototype, 'length').get);
  const isTypedArray = (v) => { try { typedArrayLength(v); return true; } catch { return false; } };
  const mapSize = Function.prototype.call.bind(getOwnPropertyDescriptor(Map.prototype, 'size').get);
  const setSize = Function.prototype.call.bind(getOwnPropertyDescriptor(Set.prototype, 'size').get);
  const isMap = (v) => { try { mapSize(v); return true; } catch { return false; } };
  const isSet = (v) => { try { setSize(v); return true; } catch { return false; } };
  const mapEntries = Function.prototype.call.bind(Map.prototype.entries);
  const setValues = Function.prototype.call.bind(Set.prototype.values);
  const abByteLength = Function.prototype.call.bind(getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength').get);
  const isArrayBuffer = (v) => { try { abByteLength(v); return true; } catch { return false; } };
  const isDate = (v) => { try { dateGetTime(v); return true; } catch { return false; } };
  const isRegExp = (v) => { try { regexpToString(v); return v instanceof RegExp; } catch { return false; } };
  const isError = (v) => v instanceof Error;
  const isPromise = (v) => v instanceof Promise;
  const isWeakMap = (v) => v instanceof WeakMap;
  const isWeakSet = (v) => v instanceof WeakSet;
  const boxed = [[Number, 'Number'], [String, 'String'], [Boolean, 'Boolean'], [BigInt, 'BigInt'], [Symbol, 'Symbol']];
  const valueOfs = boxed.map(([C, name]) => [Function.prototype.call.bind(C.prototype.valueOf), name]);
  const unbox = (v) => {
    for (const [valueOf, name] of valueOfs) {
      try { return [name, valueOf(v)]; } catch { /* not this kind */ }
    }
    return undefined;
  };

  const MAX_LINE = 64 * 1024;
  const DEFAULTS = { depth: 2, maxArrayLength: 100, maxStringLength: 10000, breakLength: 80, compact: 3 };
  const kObjectType = 0, kArrayExtrasType = 2;
  const keyStrRegExp = /^[a-zA-Z_][a-zA-Z_0-9]*$/;

  const meta = ['\\x00', '\\x01', '\\x02', '\\x03', '\\x04', '\\x05', '\\x06', '\\x07', '\\b', '\\t', '\\n',
    '\\x0B', '\\f', '\\r', '\\x0E', '\\x0F', '\\x10', '\\x11', '\\x12', '\\x13', '\\x14', '\\x15', '\\x16',
    '\\x17', '\\x18', '\\x19', '\\x1A', '\\x1B', '\\x1C', '\\x1D', '\\x1E', '\\x1F'];
  function strEscape(str) {
    let quote = "'";
    if (str.includes("'")) {
      if (!str.includes('"')) quote = '"';
      else if (!str.includes('`') && !str.includes('${')) quote = '`';
    }
    let out = '';
    for (const ch of str) {
      const c = ch.charCodeAt(0);
      if (ch === quote || ch === '\\') out += '\\' + ch;
      else if (c < 32) out += meta[c];
      else if (c === 0x7f) out += '\\x7F';
      else out += ch;
    }
    return quote + out + quote;
  }

  function formatNumber(n) { return Object.is(n, -0) ? '-0' : `${n}`; }

  function formatPrimitive(ctx, value) {
    switch (typeof value) {
      case 'string': {
        let trailer = '';
        if (value.length > ctx.maxStringLength) {
          const remaining = value.length - ctx.maxStringLength;
          value = value.slice(0, ctx.maxStringLength);
          trailer = `... ${remaining} more character${remaining > 1 ? 's' : ''}`;
        }
        if (ctx.compact !== true && value.length > 16 && value.length > ctx.breakLength - ctx.indentationLvl - 4) {
          return value.split(/(?<=\n)/).map((line) => strEscape(line))
            .join(` +\n${' '.repeat(ctx.indentationLvl + 2)}`) + trailer;
        }
        return strEscape(value) + trailer;
      }
      case 'number': return formatNumber(value);
      case 'bigint': return `${value}n`;
      case 'boolean': return `${value}`;
      case 'undefined': return 'undefined';
      case 'symbol': return symToString(value);
      default: return 'null';
    }
  }

  function getConstructorName(obj) {
    let o = obj;
    while (o !== null && o !== undefined) {
      const d = getOwnPropertyDescriptor(o, 'constructor');
      if (d !== undefined && typeof d.value === 'function' && d.value.name !== '') return d.value.name;
      o = getPrototypeOf(o);
    }
    return null;
  }

  function getPrefix(constructor, tag, fallback, size = '') {
    if (constructor === null) {
      if (tag !== '' && fallback !== tag) return `[${fallback}${size}: null prototype] [${tag}] `;
      return `[${fallback}${size}: null prototype] `;
    }
    if (tag !== '' && constructor !== tag) return `${constructor}${size} [${tag}] `;
    return `${constructor}${size} `;
  }

  function getKeys(value, nonIndex) {
    let keys = objectKeys(value);
    if (nonIndex) keys = keys.filter((k) => !/^(0|[1-9][0-9]*)$/.test(k) || Number(k) >= 4294967295);
    for (const s of getOwnPropertySymbols(value)) {
      if (getOwnPropertyDescriptor(value, s)?.enumerable) keys.push(s);
    }
    return keys;
  }

  function formatValue(ctx, value, recurseTimes, typedArray) {
    if (typeof value !== 'object' && typeof value !== 'function') return formatPrimitive(ctx, value);
    if (value === null) return 'null';
    if (ctx.seen.includes(value)) {
      let index = 1;
      if (ctx.circular === undefined) {
        ctx.circular = new Map([[value, index]]);
      } else {
        index = ctx.circular.get(value);
        if (index === undefined) {
          index = ctx.circular.size + 1;
          ctx.circular.set(value, index);
        }
      }
      return `[Circular *${index}]`;
    }
    return formatRaw(ctx, value, recurseTimes, typedArray);
  }

  function formatError(err, constructor, tag, ctx, keys) {
    let stack;
    try { stack = typeof err.stack === 'string' && err.stack !== '' ? err.stack : errorToString(err); } catch { stack = '[Error]'; }
    const pos = stack.indexOf('\n    at ');
    if (pos === -1) stack = `[${stack}]`;
    if (ctx.indentationLvl !== 0) stack = stack.split('\n').join(`\n${' '.repeat(ctx.indentationLvl)}`);
    return stack;
  }

  // Constructors that existed before any guest code (builtins.js).
  const builtinConstructors = shared.builtinConstructors;
  function getFunctionBase(value, constructor, tag) {
    let stringified = '';
    try { stringified = fnToString(value); } catch { /* not a function */ }
    // Boa 0.22 prints every class as `function X() { [native code] }`: a
    // class is recognised by its read-only `prototype`, builtins excepted.
    const protoDesc = getOwnPropertyDescriptor(value, 'prototype');
    const isClass = (stringified.startsWith('class') && stringified.endsWith('}')) ||
      (protoDesc !== undefined && protoDesc.writable === false && !builtinConstructors.has(value));
    if (isClass) {
      let base = `[class ${value.name || '(anonymous)'}`;
      const superName = getPrototypeOf(value)?.name;
      if (superName) base += ` extends ${superName}`;
      return base + ']';
    }
    let type = 'Function';
    const protoCtor = getConstructorName(getPrototypeOf(value) ?? {});
    if (protoCtor === 'AsyncFunction' || protoCtor === 'GeneratorFunction' || protoCtor === 'AsyncGeneratorFunction') type = protoCtor;
    let base = `[${type}`;
    if (constructor === null) base += ' (null prototype)';
    base += value.name === '' ? ' (anonymous)' : `: ${value.name}`;
    base += ']';
    if (constructor !== type && constructor !== null && constructor !== 'Function') base += ` ${constructor}`;
    if (tag !== '' && constructor !== tag) base += ` [${tag}]`;
    return base;
  }

  function formatRaw(ctx, value, recurseTimes, typedArray) {
    let keys;
    const constructor = getConstructorName(value);
    let tag = '';
    try { tag = value[Symbol.toStringTag]; } catch { tag = ''; }
    if (typeof tag !== 'string' || (tag !== '' && propertyIsEnumerable(value, Symbol.toStringTag))) tag = '';
    let base = '';
    let formatter = () => [];
    let braces;
    let noIterator = true;
    let extrasType = kObjectType;

    if (isArray(value)) {
      keys = getKeys(value, true);
      const prefix = (constructor !== 'Array' || tag !== '') ? getPrefix(constructor, tag, 'Array', `(${value.length})`) : '';
      braces = [`${prefix}[`, ']'];
      if (value.length === 0 && keys.length === 0) return `${braces[0]}]`;
      extrasType = kArrayExtrasType;
      formatter = formatArray;
      noIterator = false;
    } else if (isSet(value)) {
      const size = setSize(value);
      const prefix = getPrefix(constructor, tag, 'Set', `(${size})`);
      keys = getKeys(value);
      formatter = formatSet;
      if (size === 0 && keys.length === 0) return `${prefix}{}`;
      braces = [`${prefix}{`, '}'];
      noIterator = false;
    } else if (isMap(value)) {
      const size = mapSize(value);
      const prefix = getPrefix(constructor, tag, 'Map', `(${size})`);
      keys = getKeys(value);
      formatter = formatMap;
      if (size === 0 && keys.length === 0) return `${prefix}{}`;
      braces = [`${prefix}{`, '}'];
      noIterator = false;
    } else if (isTypedArray(value)) {
      keys = getKeys(value, true);
      const size = typedArrayLength(value);
      const fallback = value[Symbol.toStringTag] ?? 'TypedArray';
      const prefix = getPrefix(constructor, tag === fallback ? '' : tag, fallback, `(${size})`);
      braces = [`${prefix}[`, ']'];
      if (size === 0 && keys.length === 0) return `${braces[0]}]`;
      formatter = formatTypedArray;
      extrasType = kArrayExtrasType;
      noIterator = false;
    }
    if (noIterator) {
      keys = getKeys(value);
      braces = ['{', '}'];
      if (constructor === 'Object' && !isError(value) && typeof value !== 'function') {
        if (tag !== '') braces[0] = `${getPrefix(constructor, tag, 'Object')}{`;
        if (keys.length === 0) return `${braces[0]}}`;
      } else if (typeof value === 'function') {
        base = getFunctionBase(value, constructor, tag);
        if (keys.length === 0) return base;
      } else if (isRegExp(value)) {
        base = regexpToString(value);
        const prefix = getPrefix(constructor, tag, 'RegExp');
        if (prefix !== 'RegExp ') base = `${prefix}${base}`;
        if (keys.length === 0) return base;
      } else if (isDate(value)) {
        base = Number.isNaN(dateGetTime(value)) ? 'Invalid Date' : dateToISO(value);
        const prefix = getPrefix(constructor, tag, 'Date');
        if (prefix !== 'Date ') base = `${prefix}${base}`;
        if (keys.length === 0) return base;
      } else if (isError(value)) {
        keys = keys.filter((k) => k !== 'stack' && k !== 'message');
        base = formatError(value, constructor, tag, ctx, keys);
        if (keys.length === 0) return base;
      } else if (isArrayBuffer(value)) {
        const prefix = getPrefix(constructor, tag, 'ArrayBuffer');
        if (typedArray === undefined) formatter = formatArrayBuffer;
        else if (keys.length === 0) return prefix + `{ byteLength: ${formatNumber(abByteLength(value))} }`;
        braces[0] = `${prefix}{`;
        keys.unshift('byteLength');
      } else if (isPromise(value)) {
        braces[0] = `${getPrefix(constructor, tag, 'Promise')}{`;
        formatter = formatPromise;
      } else if (isWeakSet(value) || isWeakMap(value)) {
        braces[0] = `${getPrefix(constructor, tag, isWeakSet(value) ? 'WeakSet' : 'WeakMap')}{`;
        formatter = () => ['<items unknown>'];
      } else {
        const box = unbox(value);
        if (box !== undefined) {
          const [name, prim] = box;
          base = `[${name}`;
          if (name !== constructor) base += constructor === null ? ' (null prototype)' : ` (${constructor})`;
          base += `: ${formatPrimitive({ ...DEFAULTS, compact: true, indentationLvl: 0 }, prim)}]`;
          if (name === 'String') keys = keys.filter((k) => !/^(0|[1-9][0-9]*)$/.test(k));
          if (keys.length === 0) return base;
        } else {
          braces[0] = `${getPrefix(constructor, tag, 'Object')}{`;
          if (keys.length === 0) return `${braces[0]}}`;
        }
      }
    }

    if (recurseTimes > ctx.depth && ctx.depth !== null) {
      let name = getPrefix(constructor, tag, 'Object').slice(0, -1);
      if (isArray(value)) name = getPrefix(constructor, tag, 'Array').slice(0, -1);
      if (constructor !== null) name = `[${name}]`;
      return name;
    }
    recurseTimes += 1;
    ctx.seen.push(value);
    ctx.currentDepth = recurseTimes;
    let output;
    try {
      output = formatter(ctx, value, recurseTimes);
      for (const key of keys) {
        output.push(formatProperty(ctx, value, recurseTimes, key, extrasType));
      }
    } finally {
      ctx.seen.pop();
    }
    if (ctx.circular !== undefined) {
      const index = ctx.circular.get(value);
      if (index !== undefined) {
        const reference = `<ref *${index}>`;
        base = base === '' ? reference : `${reference} ${base}`;
      }
    }
    return reduceToSingleString(ctx, output, base, braces, extrasType, recurseTimes, value);
  }

  function formatProperty(ctx, value, recurseTimes, key, type, desc) {
    let name, str;
    desc = desc || getOwnPropertyDescriptor(value, key) || { value: value[key], enumerable: true };
    if (desc.value !== undefined) {
      ctx.indentationLvl += 2;
      str = formatValue(ctx, desc.value, recurseTimes);
      ctx.indentationLvl -= 2;
    } else if (desc.get !== undefined) {
      str = desc.set !== undefined ? '[Getter/Setter]' : '[Getter]';
    } else if (desc.set !== undefined) {
      str = '[Setter]';
    } else {
      str = 'undefined';
    }
    if (type === kArrayExtrasType) return str;
    if (typeof key === 'symbol') name = `[${symToString(key)}]`;
    else if (key === '__proto__') name = "['__proto__']";
    else if (desc.enumerable === false) name = `[${key}]`;
    else if (keyStrRegExp.test(key)) name = key;
    else name = strEscape(key);
    return `${name}: ${str}`;
  }

  function formatArray(ctx, value, recurseTimes) {
    const valLen = value.length;
    const len = Math.min(Math.max(0, ctx.maxArrayLength), valLen);
    const remaining = valLen - len;
    const output = [];
    for (let i = 0; i < len; i++) {
      if (!hasOwn(value, i)) {
        let holes = 1;
        while (i + holes < valLen && !hasOwn(value, i + holes)) holes++;
        output.push(`<${holes} empty item${holes > 1 ? 's' : ''}>`);
        i += holes - 1;
        if (output.length >= len) break;
        continue;
      }
      output.push(formatProperty(ctx, value, recurseTimes, i, kArrayExtrasType));
    }
    if (remaining > 0) output.push(`... ${remaining} more item${remaining > 1 ? 's' : ''}`);
    return output;
  }

  function formatTypedArray(ctx, value, recurseTimes) {
    const length = typedArrayLength(value);
    const maxLength = Math.min(Math.max(0, ctx.maxArrayLength), length);
    const remaining = length - maxLength;
    const output = [];
    for (let i = 0; i < maxLength; ++i) {
      const v = value[i];
      output.push(typeof v === 'bigint' ? `${v}n` : formatNumber(v));
    }
    if (remaining > 0) output.push(`... ${remaining} more item${remaining > 1 ? 's' : ''}`);
    return output;
  }

  function formatArrayBuffer(ctx, value) {
    const bytes = new Uint8Array(value);
    const shown = Math.min(ctx.maxArrayLength, bytes.length);
    let str = '';
    for (let i = 0; i < shown; i++) str += (i ? ' ' : '') + bytes[i].toString(16).padStart(2, '0');
    const remaining = bytes.length - shown;
    if (remaining > 0) str += ` ... ${remaining} more byte${remaining > 1 ? 's' : ''}`;
    return [`[Uint8Contents]: <${str}>`];
  }

  function formatSet(ctx, value, recurseTimes) {
    const output = [];
    ctx.indentationLvl += 2;
    let i = 0;
    for (const v of setValues(value)) {
      if (i++ >= ctx.maxArrayLength) break;
      output.push(formatValue(ctx, v, recurseTimes));
    }
    const remaining = setSize(value) - Math.min(setSize(value), ctx.maxArrayLength);
    if (remaining > 0) output.push(`... ${remaining} more item${remaining > 1 ? 's' : ''}`);
    ctx.indentationLvl -= 2;
    return output;
  }

  function formatMap(ctx, value, recurseTimes) {
    const output = [];
    ctx.indentationLvl += 2;
    let i = 0;
    for (const [k, v] of mapEntries(value)) {
      if (i++ >= ctx.maxArrayLength) break;
      output.push(`${formatValue(ctx, k, recurseTimes)} => ${formatValue(ctx, v, recurseTimes)}`);
    }
    const remaining = mapSize(value) - Math.min(mapSize(value), ctx.maxArrayLength);
    if (remaining > 0) output.push(`... ${remaining} more item${remaining > 1 ? 's' : ''}`);
    ctx.indentationLvl -= 2;
    return output;
  }

  function formatPromise(ctx, value, recurseTimes) {
    const [state, result] = promiseState(value);
    if (state === 'pending') return ['<pending>'];
    ctx.indentationLvl += 2;
    const str = formatValue(ctx, result, recurseTimes);
    ctx.indentationLvl -= 2;
    return [state === 'rejected' ? `<rejected> ${str}` : str];
  }

  function groupArrayElements(ctx, output, value) {
    let totalLength = 0;
    let maxLength = 0;
    let outputLength = output.length;
    if (ctx.maxArrayLength < output.length) outputLength--;
    const separatorSpace = 2;
    const dataLen = new Array(outputLength);
    for (let i = 0; i < outputLength; i++) {
      const len = output[i].length;
      dataLen[i] = len;
      totalLength += len + separatorSpace;
      if (maxLength < len) maxLength = len;
    }
    const actualMax = maxLength + separatorSpace;
    if (actualMax * 3 + ctx.indentationLvl < ctx.breakLength &&
        (totalLength / actualMax > 5 || maxLength <= 6)) {
      const averageBias = Math.sqrt(actualMax - totalLength / output.length);
      const biasedMax = Math.max(actualMax - 3 - averageBias, 1);
      const columns = Math.min(
        Math.round(Math.sqrt(2.5 * biasedMax * outputLength) / biasedMax),
        Math.floor((ctx.breakLength - ctx.indentationLvl) / actualMax),
        ctx.compact * 4,
        15,
      );
      if (columns <= 1) return output;
      const tmp = [];
      const maxLineLength = [];
      for (let i = 0; i < columns; i++) {
        let lineLength = 0;
        for (let j = i; j < output.length; j += columns) {
          if (dataLen[j] > lineLength) lineLength = dataLen[j];
        }
        maxLineLength.push(lineLength + separatorSpace);
      }
      let padStart = true;
      if (value !== undefined) {
        for (let i = 0; i < output.length; i++) {
          if (typeof value[i] !== 'number' && typeof value[i] !== 'bigint') { padStart = false; break; }
        }
      }
      for (let i = 0; i < outputLength; i += columns) {
        const max = Math.min(i + columns, outputLength);
        let str = '';
        let j = i;
        for (; j < max - 1; j++) {
          const cell = `${output[j]}, `;
          str += padStart ? cell.padStart(maxLineLength[j - i], ' ') : cell.padEnd(maxLineLength[j - i], ' ');
        }
        if (padStart) str += output[j].padStart(maxLineLength[j - i] - separatorSpace, ' ');
        else str += output[j];
        tmp.push(str);
      }
      if (ctx.maxArrayLength < output.length) tmp.push(output[outputLength]);
      output = tmp;
    }
    return output;
  }

  function isBelowBreakLength(ctx, output, start, base) {
    let totalLength = output.length + start;
    if (totalLength + output.length > ctx.breakLength) return false;
    for (let i = 0; i < output.length; i++) {
      totalLength += output[i].length;
      if (totalLength > ctx.breakLength) return false;
    }
    return base === '' || !base.includes('\n');
  }

  function reduceToSingleString(ctx, output, base, braces, extrasType, recurseTimes, value) {
    const entries = output.length;
    if (extrasType === kArrayExtrasType && entries > 6) output = groupArrayElements(ctx, output, value);
    if (ctx.currentDepth - recurseTimes < ctx.compact && entries === output.length) {
      const start = output.length + ctx.indentationLvl + braces[0].length + base.length + 10;
      if (isBelowBreakLength(ctx, output, start, base)) {
        const joined = output.join(', ');
        if (!joined.includes('\n')) {
          return `${base ? `${base} ` : ''}${braces[0]} ${joined}` + ` ${braces[1]}`;
        }
      }
    }
    const indentation = `\n${' '.repeat(ctx.indentationLvl)}`;
    return `${base ? `${base} ` : ''}${braces[0]}${indentation}  ${output.join(`,${indentation}  `)}${indentation}${braces[1]}`;
  }

  function inspect(value, options = undefined) {
    const ctx = { ...DEFAULTS, ...(options ?? {}), seen: [], indentationLvl: 0, currentDepth: 0, circular: undefined };
    if (ctx.depth === Infinity) ctx.depth = null;
    return formatValue(ctx, value, 0);
  }

  const builtinToStrings = [Object.prototype.toString, Error.prototype.toString, Array.prototype.toString,
    Date.prototype.toString, RegExp.prototype.toString, Function.prototype.toString];
  function hasBuiltInToString(v) {
    let f;
    try { f = v.toString; } catch { return true; }
    return typeof f !== 'function' || builtinToStrings.includes(f);
  }

  function format(args) {
    const first = args[0];
    let a = 0;
    let str = '';
    let join = '';
    if (typeof first === 'string') {
      if (args.length === 1) return first;
      let tempStr;
      let lastPos = 0;
      for (let i = 0; i < first.length - 1; i++) {
        if (first.charCodeAt(i) === 37) { // '%'
          const nextChar = first.charCodeAt(++i);
          if (a + 1 !== args.length) {
            switch (nextChar) {
              case 115: { // 's'
                const arg = args[++a];
                if (typeof arg === 'number') tempStr = formatNumber(arg);
                else if (typeof arg === 'bigint') tempStr = `${arg}n`;
                else if (typeof arg !== 'object' || arg === null || !hasBuiltInToString(arg)) tempStr = String(arg);
                else tempStr = inspect(arg, { depth: 0 });
                break;
              }
              case 106: // 'j'
                try { tempStr = JSON.stringify(args[++a]); } catch { tempStr = '[Circular]'; }
                break;
              case 100: { // 'd'
                const n = args[++a];
                if (typeof n === 'bigint') tempStr = `${n}n`;
                else if (typeof n === 'symbol') tempStr = 'NaN';
                else tempStr = formatNumber(Number(n));
                break;
              }
              case 79: // 'O'
                tempStr = inspect(args[++a]);
                break;
              case 111: // 'o'
                tempStr = inspect(args[++a], { depth: 4 });
                break;
              case 105: { // 'i'
                const n = args[++a];
                if (typeof n === 'bigint') tempStr = `${n}n`;
                else if (typeof n === 'symbol') tempStr = 'NaN';
                else tempStr = formatNumber(parseInt(n));
                break;
              }
              case 102: { // 'f'
                const n = args[++a];
                tempStr = typeof n === 'symbol' ? 'NaN' : formatNumber(parseFloat(n));
                break;
              }
              case 99: // 'c'
                a += 1;
                tempStr = '';
                break;
              case 37: // '%'
                str += first.slice(lastPos, i);
                lastPos = i + 1;
                continue;
              default:
                continue;
            }
            if (lastPos !== i - 1) str += first.slice(lastPos, i - 1);
            str += tempStr;
            lastPos = i + 1;
          } else if (nextChar === 37) {
            str += first.slice(lastPos, i);
            lastPos = i + 1;
          }
        }
      }
      if (lastPos !== 0) {
        a++;
        join = ' ';
        if (lastPos < first.length) str += first.slice(lastPos);
      }
    }
    while (a < args.length) {
      const value = args[a];
      str += join;
      str += typeof value !== 'string' ? inspect(value) : value;
      join = ' ';
      a++;
    }
    return str;
  }

  // Console state: groups, counters, timers (per context).
  let indent = '';
  const counts = new Map();
  const timers = new Map();
  const now = natives.performanceNow;

  function emit(level, text) {
    if (text.length > MAX_LINE) text = text.slice(0, MAX_LINE) + `... (${text.length - MAX_LINE} more characters)`;
    if (indent !== '') text = indent + text.split('\n').join(`\n${indent}`);
    log(level, text);
  }

  function formatTime(ms) {
    let hours = 0, minutes = 0, seconds = 0;
    if (ms >= 1000) {
      if (ms >= 60000) {
        if (ms >= 3600000) { hours = Math.floor(ms / 3600000); ms = ms % 3600000; }
        minutes = Math.floor(ms / 60000);
        ms = ms % 60000;
      }
      seconds = ms / 1000;
    }
    if (hours !== 0 || minutes !== 0) {
      const [s, frac] = seconds.toFixed(3).split('.');
      const res = hours !== 0 ? `${hours}:${String(minutes).padStart(2, '0')}` : minutes;
      return `${res}:${s.padStart(2, '0')}.${frac} (${hours !== 0 ? 'h:m' : ''}m:ss.mmm)`;
    }
    if (seconds !== 0) return `${seconds.toFixed(3)}s`;
    return `${Number(ms.toFixed(3))}ms`;
  }

  const tableChars = { middleMiddle: '─', rowMiddle: '┼', topRight: '┐', topLeft: '┌', leftMiddle: '├',
    topMiddle: '┬', bottomRight: '┘', bottomLeft: '└', bottomMiddle: '┴', rightMiddle: '┤',
    left: '│ ', right: ' │', middle: ' │ ' };
  function renderRow(row, widths) {
    let out = tableChars.left;
    for (let i = 0; i < row.length; i++) {
      const cell = row[i];
      out += cell + ' '.repeat(widths[i] - cell.length);
      if (i !== row.length - 1) out += tableChars.middle;
    }
    return out + tableChars.right;
  }
  function renderTable(head, columns) {
    const rows = [];
    const widths = head.map((h) => h.length);
    const longest = Math.max(0, ...columns.map((c) => c.length));
    for (let i = 0; i < head.length; i++) {
      const column = columns[i];
      for (let j = 0; j < longest; j++) {
        if (rows[j] === undefined) rows[j] = [];
        const value = rows[j][i] = hasOwn(column, j) && column[j] !== undefined ? column[j] : '';
        widths[i] = Math.max(widths[i] || 0, value.length);
      }
    }
    const divider = widths.map((w) => tableChars.middleMiddle.repeat(w + 2));
    let result = tableChars.topLeft + divider.join(tableChars.topMiddle) + tableChars.topRight + '\n' +
      renderRow(head, widths) + '\n' +
      tableChars.leftMiddle + divider.join(tableChars.rowMiddle) + tableChars.rightMiddle + '\n';
    for (const row of rows) result += `${renderRow(row, widths)}\n`;
    return result + tableChars.bottomLeft + divider.join(tableChars.bottomMiddle) + tableChars.bottomRight;
  }
  function table(data, properties) {
    if (properties !== undefined && !isArray(properties)) {
      throw new TypeError('The "properties" argument must be an instance of Array');
    }
    if (data === null || typeof data !== 'object') return emit('info', format([data]));
    const cell = (v) => {
      const depth = v !== null && typeof v === 'object' && !isArray(v) && objectKeys(v).length > 2 ? -1 : 0;
      return inspect(v, { depth, maxArrayLength: 3, breakLength: Infinity });
    };
    if (isMap(data)) {
      const idx = [], ks = [], vs = [];
      let i = 0;
      for (const [k, v] of mapEntries(data)) { idx.push(cell(i++)); ks.push(cell(k)); vs.push(cell(v)); }
      return emit('info', renderTable(['(iteration index)', 'Key', 'Values'], [idx, ks, vs]));
    }
    if (isSet(data)) {
      const idx = [], vs = [];
      let i = 0;
      for (const v of setValues(data)) { idx.push(cell(i++)); vs.push(cell(v)); }
      return emit('info', renderTable(['(iteration index)', 'Values'], [idx, vs]));
    }
    const map = { __proto__: null };
    let hasPrimitives = false;
    const valuesKeyArray = [];
    const indexKeyArray = objectKeys(data);
    for (let i = 0; i < indexKeyArray.length; i++) {
      const item = data[indexKeyArray[i]];
      const primitive = item === null || (typeof item !== 'function' && typeof item !== 'object');
      if (properties === undefined && primitive) {
        hasPrimitives = true;
        valuesKeyArray[i] = cell(item);
      } else {
        const ks = properties || objectKeys(item);
        for (const key of ks) {
          map[key] ??= [];
          if ((primitive && properties) || !hasOwn(item, key)) map[key][i] = '';
          else map[key][i] = cell(item[key]);
        }
      }
    }
    const head = objectKeys(map);
    const columns = head.map((k) => map[k]);
    if (hasPrimitives) { head.push('Values'); columns.push(valuesKeyArray); }
    head.unshift('(index)');
    columns.unshift(indexKeyArray);
    return emit('info', renderTable(head, columns));
  }

  const label = (l) => (l === undefined ? 'default' : `${l}`);
  const methods = {
    log(...args) { emit('info', format(args)); },
    info(...args) { emit('info', format(args)); },
    debug(...args) { emit('debug', format(args)); },
    warn(...args) { emit('warn', format(args)); },
    error(...args) { emit('error', format(args)); },
    dir(value, options = undefined) { emit('info', inspect(value, options)); },
    dirxml(...args) { emit('info', format(args)); },
    trace(...args) {
      let stack = '';
      try { stack = new Error().stack ?? ''; } catch { stack = ''; }
      const frames = stack.split('\n').filter((l) => l.startsWith('    at ')).slice(1);
      const head = `Trace${args.length ? ': ' : ''}${format(args)}`;
      emit('debug', frames.length ? `${head}\n${frames.join('\n')}` : head);
    },
    assert(value, ...args) {
      if (value) return;
      if (typeof args[0] === 'string') args[0] = `Assertion failed: ${args[0]}`;
      else args.unshift('Assertion failed');
      emit('error', format(args));
    },
    table,
    count(l = undefined) {
      const key = label(l);
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      emit('info', `${key}: ${n}`);
    },
    countReset(l = undefined) {
      const key = label(l);
      if (!counts.has(key)) emit('warn', `Count for '${key}' does not exist`);
      else counts.delete(key);
    },
    time(l = undefined) {
      const key = label(l);
      if (timers.has(key)) emit('warn', `Warning: Label '${key}' already exists for console.time()`);
      else timers.set(key, now());
    },
    timeEnd(l = undefined) {
      const key = label(l);
      if (!timers.has(key)) return emit('warn', `Warning: No such label '${key}' for console.timeEnd()`);
      const start = timers.get(key);
      timers.delete(key);
      emit('info', `${key}: ${formatTime(now() - start)}`);
    },
    timeLog(l = undefined, ...data) {
      const key = label(l);
      if (!timers.has(key)) return emit('warn', `Warning: No such label '${key}' for console.timeLog()`);
      const text = `${key}: ${formatTime(now() - timers.get(key))}`;
      emit('info', data.length ? `${text} ${format(data)}` : text);
    },
    group(...args) {
      if (args.length > 0) emit('info', format(args));
      indent += '  ';
    },
    groupCollapsed(...args) { methods.group(...args); },
    groupEnd() { indent = indent.slice(0, Math.max(0, indent.length - 2)); },
    clear() {},
  };
  const console = {};
  for (const [name, f] of Object.entries(methods)) {
    defineProperty(f, 'name', { value: name });
    defineProperty(console, name, { value: f, writable: true, enumerable: true, configurable: true });
  }
  defineProperty(console, Symbol.toStringTag, { value: 'console', configurable: true });
  shared.globals.console = console;
  shared.inspect = inspect;
}
