//! [`export_extension!`](crate::export_extension): turns a type implementing
//! [`Extension`](crate::Extension) + `Default` into a Morph wasm guest.
//!
//! **The macro is the only place the ABI's exports are spelled**, and it
//! spells them exactly as `runtime-wasm/ABI.md` lists them. On targets other
//! than `wasm32` it only checks the type, so extension crates build and test
//! natively and several extensions can link into one native binary.

/// Exports a [`Extension`](crate::Extension) type as the Morph guest of this
/// crate (build it as a `cdylib` for `wasm32-unknown-unknown` or
/// `wasm32-wasip1`).
///
/// On `wasm32` it generates `morph_abi_version`, `morph_alloc`, `morph_free`,
/// `morph_init`, `morph_execute` and `morph_on_event` (ABI version
/// [`ABI_VERSION`](crate::ABI_VERSION)) around one instance of the type,
/// created with `Default` and kept for the life of the wasm instance. Use it
/// once per crate.
///
/// ```
/// use morph_sdk::{Error, Extension, Value};
///
/// #[derive(Default)]
/// struct Echo;
///
/// impl Extension for Echo {
///     fn execute(&mut self, _action: &str, params: Value) -> Result<Value, Error> {
///         Ok(params)
///     }
/// }
///
/// morph_sdk::export_extension!(Echo);
/// ```
#[macro_export]
macro_rules! export_extension {
    ($ty:ty) => {
        const _: fn() = || {
            fn assert_extension<T: $crate::Extension + ::core::default::Default + 'static>() {}
            assert_extension::<$ty>();
        };

        // The exports take raw pointers from the host, as the ABI requires.
        #[allow(unsafe_code)]
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            static INSTANCE: $crate::__private::Instance<$ty> = $crate::__private::Instance::new();

            /// The SDK's name in the module (ABI.md, "The SDK's name").
            #[unsafe(link_section = "morph_sdk")]
            #[used]
            static MORPH_SDK: [u8; $crate::SDK_NAME_BYTES.len()] = $crate::SDK_NAME_BYTES;

            #[unsafe(no_mangle)]
            extern "C" fn morph_abi_version() -> i32 {
                $crate::ABI_VERSION
            }

            #[unsafe(no_mangle)]
            extern "C" fn morph_alloc(size: i32) -> i32 {
                $crate::__private::alloc(size)
            }

            #[unsafe(no_mangle)]
            unsafe extern "C" fn morph_free(ptr: i32, size: i32) {
                // SAFETY: the host frees only blocks it got from `morph_alloc`
                // or as results, each once (ABI.md).
                unsafe { $crate::__private::free(ptr, size) }
            }

            #[unsafe(no_mangle)]
            unsafe extern "C" fn morph_init(ptr: i32, len: i32) -> i64 {
                // SAFETY: the host passes a `morph_alloc(len)` block it gives up.
                unsafe { INSTANCE.init(ptr, len) }
            }

            #[unsafe(no_mangle)]
            unsafe extern "C" fn morph_execute(
                action_ptr: i32,
                action_len: i32,
                params_ptr: i32,
                params_len: i32,
            ) -> i64 {
                // SAFETY: the host passes one `morph_alloc` block holding the
                // action, then the params, which it gives up (ABI.md).
                unsafe { INSTANCE.execute(action_ptr, action_len, params_ptr, params_len) }
            }

            #[unsafe(no_mangle)]
            unsafe extern "C" fn morph_on_event(ptr: i32, len: i32) -> i64 {
                // SAFETY: as `morph_init`.
                unsafe { INSTANCE.on_event(ptr, len) }
            }
        };
    };
}
