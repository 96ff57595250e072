// Morph prelude, run when the context is created: every constructor that
// exists before any guest code, for console's class detection (Boa prints
// every class as native code). The lazily installed web globals are not
// loaded yet: they are classes, as Node prints them.
(natives, shared) => {
  'use strict';
  const builtinConstructors = new WeakSet();
  for (const name of Object.getOwnPropertyNames(globalThis)) {
    const v = Object.getOwnPropertyDescriptor(globalThis, name).value;
    if (typeof v === 'function') builtinConstructors.add(v);
  }
  builtinConstructors.add(Object.getPrototypeOf(Uint8Array));
  shared.builtinConstructors = builtinConstructors;
  // What each lazily loaded file defines (web/prelude.rs reads it).
  shared.globals = Object.create(null);
}
