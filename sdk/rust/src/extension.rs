//! [`Extension`]: the guest contract of the brief's section 4 (`init`,
//! `execute`, `on_event`), identical to the JS and Python spellings.
//!
//! An implementation is plain Rust with no ABI in sight; the
//! [`export_extension!`](crate::export_extension) macro wires it to the
//! host. **One value lives per wasm instance**: the host decides how long an
//! instance lives (a fresh one per call, or one reused from a pool), so state
//! kept in `self` is a cache, never a source of truth.

use serde_json::Value;

use crate::error::Result;
use crate::events::Event;

/// A Morph extension.
///
/// The type must also implement [`Default`]: the instance is created with
/// `Default::default()` and then handed its config through
/// [`init`](Extension::init).
///
/// ```
/// use morph_sdk::{Error, Extension, Value, json};
///
/// #[derive(Default)]
/// struct Greeter {
///     greeting: String,
/// }
///
/// impl Extension for Greeter {
///     fn init(&mut self, config: Value) -> Result<(), Error> {
///         self.greeting = config["greeting"].as_str().unwrap_or("Hello").to_owned();
///         Ok(())
///     }
///
///     fn execute(&mut self, action: &str, params: Value) -> Result<Value, Error> {
///         match action {
///             "greet" => {
///                 let name = params["name"].as_str().unwrap_or("world");
///                 Ok(json!(format!("{}, {name}!", self.greeting)))
///             }
///             other => Err(Error::new(format!("unknown action `{other}`"))),
///         }
///     }
/// }
///
/// let mut ext = Greeter::default();
/// ext.init(json!({"greeting": "Hi"}))?;
/// assert_eq!(ext.execute("greet", json!({"name": "Ada"}))?, json!("Hi, Ada!"));
/// # Ok::<(), Error>(())
/// ```
pub trait Extension {
    /// Runs once per instance with the host-supplied config, already
    /// validated against the manifest's `config_schema` (defaults filled in).
    ///
    /// # Errors
    /// An error fails the load with `init_failed`.
    fn init(&mut self, config: Value) -> Result<()> {
        let _ = config;
        Ok(())
    }

    /// Runs `action` with `params` (checked against the manifest's
    /// `actions[].parameters` before the guest sees them) and returns any JSON
    /// value.
    ///
    /// # Errors
    /// An error becomes `guest_error` with its message, or keeps its code when
    /// it is one a capability call of this call returned (`?` on a wrapper).
    fn execute(&mut self, action: &str, params: Value) -> Result<Value>;

    /// Receives an event from the host bus (needs `event:listen`).
    ///
    /// # Errors
    /// Reported like [`execute`](Extension::execute)'s.
    fn on_event(&mut self, event: Event) -> Result<()> {
        let _ = event;
        Ok(())
    }
}
