//! The baselines: a Morph guest driven through the guest ABI
//! (`runtime-wasm/ABI.md`) on wasmer and wasmi directly (and on wasmtime,
//! through [`crate::wasmtime_raw`], with the same interface).
//!
//! No Morph code runs here: the `morph` imports are stubs (the benchmarked
//! actions never call them), there is no metering or fuel, no deadline, no
//! bridge, no JSON on the host side, and the call happens on the calling
//! thread. A call is what the ABI asks for and nothing more: `morph_alloc`,
//! write the input, the entry point, copy the result out, `morph_free`.

use std::sync::Arc;

/// A module compiled by one engine, ready to instantiate.
pub trait RawModule {
    /// A fresh instance (start function and `morph_abi_version` checked).
    fn instantiate(&self) -> Box<dyn RawInstance>;
}

/// A live instance of the test guest (ABI version 2).
pub trait RawInstance {
    /// Calls `morph_init` with `config` and returns the result block.
    fn init(&mut self, config: &[u8]) -> Vec<u8>;
    /// Calls `morph_execute` with `action` and the params' JSON text and
    /// returns the result block.
    fn execute(&mut self, action: &str, params: &[u8]) -> Vec<u8>;
}

/// The ABI version the raw drivers speak.
pub(crate) const ABI_VERSION: i32 = 2;

/// Compiles `wasm` on `engine` (`wasmer`, `wasmi` or `wasmtime`).
///
/// # Panics
/// For another engine name or a module the engine refuses.
pub fn compile(engine: &str, wasm: &[u8]) -> Arc<dyn RawModule> {
    match engine {
        "wasmer" => Arc::new(wasmer_raw::WasmerRaw::compile(wasm)),
        "wasmi" => Arc::new(wasmi_raw::WasmiRaw::compile(wasm)),
        "wasmtime" => Arc::new(crate::wasmtime_raw::WasmtimeRaw::compile(wasm)),
        other => panic!("unknown engine `{other}`"),
    }
}

/// Splits a packed `(ptr << 32) | len` result.
pub(crate) fn unpack(packed: i64) -> (u32, u32) {
    let packed = packed as u64;
    ((packed >> 32) as u32, packed as u32)
}

/// The length of an input as the ABI's `i32`.
pub(crate) fn len_i32(input: &[u8]) -> i32 {
    i32::try_from(input.len()).expect("a small input")
}

/// The `(ptr, len)` pairs of `parts` written one after another at `ptr`.
pub(crate) fn spans(ptr: i32, parts: &[&[u8]]) -> Vec<(i32, i32)> {
    let mut at = ptr;
    parts
        .iter()
        .map(|part| {
            let span = (at, len_i32(part));
            at += span.1;
            span
        })
        .collect()
}

/// The raw driver of an engine with wasmi's API shape (wasmi, and wasmtime,
/// whose API wasmi follows), one definition expanded in each engine's
/// module: `stub_linker(engine)` links the stub `morph` imports;
/// `Live::new(store, instance)` checks `morph_abi_version` and looks the
/// exports up; `Live` implements [`RawInstance`].
macro_rules! linked_instance {
    ($engine:ident) => {
        /// A linker with the `morph` imports as stubs that answer `-1`.
        fn stub_linker(engine: &$engine::Engine) -> $engine::Linker<()> {
            let mut linker = $engine::Linker::new(engine);
            linker
                .func_wrap(
                    "morph",
                    "call",
                    |_: $engine::Caller<'_, ()>, _: i32, _: i32, _: i32, _: i32| -> i32 { -1 },
                )
                .expect("link morph.call");
            linker
                .func_wrap(
                    "morph",
                    "response",
                    |_: $engine::Caller<'_, ()>, _: i32, _: i32| -> i32 { -1 },
                )
                .expect("link morph.response");
            linker
                .func_wrap(
                    "morph",
                    "panic",
                    |_: $engine::Caller<'_, ()>, _: i32, _: i32| {},
                )
                .expect("link morph.panic");
            linker
        }

        struct Live {
            store: $engine::Store<()>,
            memory: $engine::Memory,
            alloc: $engine::TypedFunc<i32, i32>,
            free: $engine::TypedFunc<(i32, i32), ()>,
            init: $engine::TypedFunc<(i32, i32), i64>,
            execute: $engine::TypedFunc<(i32, i32, i32, i32), i64>,
        }

        impl Live {
            fn new(mut store: $engine::Store<()>, instance: $engine::Instance) -> Live {
                let memory = instance.get_memory(&mut store, "memory").expect("memory");
                let version = instance
                    .get_typed_func::<(), i32>(&mut store, "morph_abi_version")
                    .expect("morph_abi_version");
                assert_eq!(
                    version.call(&mut store, ()).expect("morph_abi_version"),
                    $crate::raw::ABI_VERSION
                );
                let init = instance
                    .get_typed_func::<(i32, i32), i64>(&mut store, "morph_init")
                    .expect("morph_init");
                let execute = instance
                    .get_typed_func::<(i32, i32, i32, i32), i64>(&mut store, "morph_execute")
                    .expect("morph_execute");
                Live {
                    alloc: instance
                        .get_typed_func(&mut store, "morph_alloc")
                        .expect("morph_alloc"),
                    free: instance
                        .get_typed_func(&mut store, "morph_free")
                        .expect("morph_free"),
                    init,
                    execute,
                    memory,
                    store,
                }
            }
        }

        /// One ABI call: `parts` written one after another into one
        /// `morph_alloc` block, `entry` called with their spans.
        fn call(
            store: &mut $engine::Store<()>,
            memory: $engine::Memory,
            alloc: &$engine::TypedFunc<i32, i32>,
            free: &$engine::TypedFunc<(i32, i32), ()>,
            parts: &[&[u8]],
            entry: impl FnOnce(&mut $engine::Store<()>, &[(i32, i32)]) -> i64,
        ) -> Vec<u8> {
            let len = parts.iter().map(|p| $crate::raw::len_i32(p)).sum();
            let ptr = alloc.call(&mut *store, len).expect("morph_alloc");
            let spans = $crate::raw::spans(ptr, parts);
            for (part, (at, _)) in parts.iter().zip(&spans) {
                memory
                    .write(&mut *store, *at as usize, part)
                    .expect("write the input");
            }
            let packed = entry(&mut *store, &spans);
            let (out_ptr, out_len) = $crate::raw::unpack(packed);
            let mut out = vec![0; out_len as usize];
            memory
                .read(&*store, out_ptr as usize, &mut out)
                .expect("read the result");
            free.call(&mut *store, (out_ptr as i32, out_len as i32))
                .expect("morph_free");
            out
        }

        impl $crate::raw::RawInstance for Live {
            fn init(&mut self, config: &[u8]) -> Vec<u8> {
                let Live {
                    store,
                    memory,
                    alloc,
                    free,
                    init,
                    ..
                } = self;
                call(store, *memory, alloc, free, &[config], |store, spans| {
                    init.call(store, spans[0]).expect("morph_init")
                })
            }

            fn execute(&mut self, action: &str, params: &[u8]) -> Vec<u8> {
                let Live {
                    store,
                    memory,
                    alloc,
                    free,
                    execute,
                    ..
                } = self;
                let parts = [action.as_bytes(), params];
                call(store, *memory, alloc, free, &parts, |store, spans| {
                    let ((a, al), (p, pl)) = (spans[0], spans[1]);
                    execute.call(store, (a, al, p, pl)).expect("morph_execute")
                })
            }
        }
    };
}
pub(crate) use linked_instance;

/// wasmer 7 with its default (Cranelift) engine.
pub mod wasmer_raw {
    use wasmer::{Engine, Function, Memory, Module, Store, TypedFunction, imports};

    use super::{ABI_VERSION, RawInstance, RawModule, len_i32, spans, unpack};

    /// A module on wasmer's default engine (Cranelift, no middleware).
    pub struct WasmerRaw {
        engine: Engine,
        module: Module,
    }

    impl WasmerRaw {
        /// Compiles `wasm` with Cranelift.
        ///
        /// # Panics
        /// When wasmer refuses the module.
        pub fn compile(wasm: &[u8]) -> WasmerRaw {
            let engine = Engine::default();
            let module = compile_on(&engine, wasm);
            WasmerRaw { engine, module }
        }
    }

    /// Compiles `wasm` on `engine` (the cold-compile baseline).
    ///
    /// # Panics
    /// When wasmer refuses the module.
    pub fn compile_on(engine: &Engine, wasm: &[u8]) -> Module {
        Module::new(engine, wasm).expect("wasmer compiles the test guest")
    }

    fn stub_call(_: i32, _: i32, _: i32, _: i32) -> i32 {
        -1
    }

    fn stub_response(_: i32, _: i32) -> i32 {
        -1
    }

    fn stub_panic(_: i32, _: i32) {}

    struct Live {
        store: Store,
        memory: Memory,
        alloc: TypedFunction<i32, i32>,
        free: TypedFunction<(i32, i32), ()>,
        init: TypedFunction<(i32, i32), i64>,
        execute: TypedFunction<(i32, i32, i32, i32), i64>,
    }

    impl RawModule for WasmerRaw {
        fn instantiate(&self) -> Box<dyn RawInstance> {
            let mut store = Store::new(self.engine.clone());
            let imports = imports! {
                "morph" => {
                    "call" => Function::new_typed(&mut store, stub_call),
                    "response" => Function::new_typed(&mut store, stub_response),
                    "panic" => Function::new_typed(&mut store, stub_panic),
                }
            };
            let instance =
                wasmer::Instance::new(&mut store, &self.module, &imports).expect("instantiate");
            let exports = &instance.exports;
            let memory = exports.get_memory("memory").expect("memory").clone();
            let version: TypedFunction<(), i32> = exports
                .get_typed_function(&store, "morph_abi_version")
                .expect("morph_abi_version");
            assert_eq!(
                version.call(&mut store).expect("morph_abi_version"),
                ABI_VERSION
            );
            let init = exports
                .get_typed_function(&store, "morph_init")
                .expect("morph_init");
            let execute = exports
                .get_typed_function(&store, "morph_execute")
                .expect("morph_execute");
            Box::new(Live {
                alloc: exports
                    .get_typed_function(&store, "morph_alloc")
                    .expect("morph_alloc"),
                free: exports
                    .get_typed_function(&store, "morph_free")
                    .expect("morph_free"),
                init,
                execute,
                memory,
                store,
            })
        }
    }

    impl Live {
        /// One ABI call: `parts` written one after another into one
        /// `morph_alloc` block, `entry` called with their spans.
        fn call(
            &mut self,
            parts: &[&[u8]],
            entry: impl FnOnce(&mut Store, &[(i32, i32)]) -> i64,
        ) -> Vec<u8> {
            let len = parts.iter().map(|p| len_i32(p)).sum();
            let ptr = self.alloc.call(&mut self.store, len).expect("morph_alloc");
            let spans = spans(ptr, parts);
            for (part, (at, _)) in parts.iter().zip(&spans) {
                self.memory
                    .view(&self.store)
                    .write(*at as u64, part)
                    .expect("write the input");
            }
            let packed = entry(&mut self.store, &spans);
            let (out_ptr, out_len) = unpack(packed);
            let mut out = vec![0; out_len as usize];
            self.memory
                .view(&self.store)
                .read(u64::from(out_ptr), &mut out)
                .expect("read the result");
            self.free
                .call(&mut self.store, out_ptr as i32, out_len as i32)
                .expect("morph_free");
            out
        }
    }

    impl RawInstance for Live {
        fn init(&mut self, config: &[u8]) -> Vec<u8> {
            let f = self.init.clone();
            self.call(&[config], |store, spans| {
                f.call(store, spans[0].0, spans[0].1).expect("morph_init")
            })
        }

        fn execute(&mut self, action: &str, params: &[u8]) -> Vec<u8> {
            let f = self.execute.clone();
            self.call(&[action.as_bytes(), params], |store, spans| {
                let ((a, al), (p, pl)) = (spans[0], spans[1]);
                f.call(store, a, al, p, pl).expect("morph_execute")
            })
        }
    }
}

/// wasmi 2, compiled eagerly as Morph's adapter does, without fuel.
pub mod wasmi_raw {
    use wasmi::{CompilationMode, Config, Engine, Linker, Module, Store};

    use super::{RawInstance, RawModule};

    /// A module on a plain wasmi engine (eager compilation, no fuel).
    pub struct WasmiRaw {
        module: Module,
        linker: Linker<()>,
    }

    /// The engine of the baselines: eager compilation (like Morph's, so
    /// compile times compare), no fuel metering.
    pub fn engine() -> Engine {
        let mut config = Config::default();
        config.compilation_mode(CompilationMode::Eager);
        Engine::new(&config)
    }

    /// Compiles `wasm` on `engine` (the compile baseline).
    ///
    /// # Panics
    /// When wasmi refuses the module.
    pub fn compile_on(engine: &Engine, wasm: &[u8]) -> Module {
        Module::new(engine, wasm).expect("wasmi compiles the test guest")
    }

    impl WasmiRaw {
        /// Compiles `wasm` and links stub `morph` imports.
        ///
        /// # Panics
        /// When wasmi refuses the module.
        pub fn compile(wasm: &[u8]) -> WasmiRaw {
            let engine = engine();
            let module = compile_on(&engine, wasm);
            let linker = stub_linker(&engine);
            WasmiRaw { module, linker }
        }
    }

    impl RawModule for WasmiRaw {
        fn instantiate(&self) -> Box<dyn RawInstance> {
            let mut store = Store::new(self.module.engine(), ());
            let instance = self
                .linker
                .instantiate_and_start(&mut store, &self.module)
                .expect("instantiate");
            Box::new(Live::new(store, instance))
        }
    }

    linked_instance!(wasmi);
}
