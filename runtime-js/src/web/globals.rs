//! The complete list of the global object's own properties in a Morph JS
//! context, in one place: ECMAScript's builtins (Boa 0.22 with Annex B and
//! `Temporal`), the web globals of [`super`], and Morph's own.
//!
//! A test compares `Object.getOwnPropertyNames(globalThis)` with
//! [`GLOBALS`], so **nothing appears on the global object by accident**.
//! Morph's own are `morph` (the host API) and `__morph_entry__`: the
//! dispatch script is a `Script` (so the guest's code runs budgeted) and can
//! only reach the entry function through a global binding; that binding is
//! non-enumerable, non-writable and non-configurable, and calling it hands
//! out nothing outside the dispatch (the slot is one-shot, emptied by the
//! dispatch itself). Boa also defines a global `TypedArray` (the abstract
//! `%TypedArray%` constructor, a global in no other engine);
//! [`super::install`] removes it.

/// Every own property name of `globalThis`, by origin.
pub const GLOBALS: &[&str] = &[
    // ECMAScript (ECMA-262 as Boa 0.22 defines it).
    "AggregateError",
    "Array",
    "ArrayBuffer",
    "Atomics",
    "BigInt",
    "BigInt64Array",
    "BigUint64Array",
    "Boolean",
    "DataView",
    "Date",
    "Error",
    "EvalError",
    "FinalizationRegistry",
    "Float16Array",
    "Float32Array",
    "Float64Array",
    "Function",
    "Infinity",
    "Int16Array",
    "Int32Array",
    "Int8Array",
    "Iterator",
    "JSON",
    "Map",
    "Math",
    "NaN",
    "Number",
    "Object",
    "Promise",
    "Proxy",
    "RangeError",
    "ReferenceError",
    "Reflect",
    "RegExp",
    "Set",
    "SharedArrayBuffer",
    "String",
    "Symbol",
    "SyntaxError",
    "Temporal",
    "TypeError",
    "URIError",
    "Uint16Array",
    "Uint32Array",
    "Uint8Array",
    "Uint8ClampedArray",
    "WeakMap",
    "WeakRef",
    "WeakSet",
    "decodeURI",
    "decodeURIComponent",
    "encodeURI",
    "encodeURIComponent",
    "eval",
    "globalThis",
    "isFinite",
    "isNaN",
    "parseFloat",
    "parseInt",
    "undefined",
    // ECMAScript Annex B.
    "escape",
    "unescape",
    // The web platform (see `super`).
    "AbortController",
    "AbortSignal",
    "CustomEvent",
    "DOMException",
    "Event",
    "EventTarget",
    "Headers",
    "Request",
    "Response",
    "TextDecoder",
    "TextEncoder",
    "URL",
    "URLSearchParams",
    "atob",
    "btoa",
    "clearInterval",
    "clearTimeout",
    "console",
    "crypto",
    "fetch",
    "performance",
    "queueMicrotask",
    "setInterval",
    "setTimeout",
    "structuredClone",
    // Morph.
    "morph",
    "__morph_entry__",
];
