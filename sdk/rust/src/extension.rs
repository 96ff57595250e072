//! [`Extension`]: the guest contract of the brief's section 4 (`init`,
//! `execute`, `on_event`), identical to the JS and Python spellings.
//!
//! An implementation is plain Rust with no ABI in sight; the
//! [`export_extension!`](crate::export_extension) macro wires it to the
//! host. **One value lives per wasm instance**: the host decides how long an
//! instance lives (a fresh one per call, or one reused from a pool), so state
//! kept in `self` is a cache, never a source of truth.

use serde_json::Value;

use crate::error::{Error, Result};
use crate::events::Event;

/// What an action returns to the host (ABI version 2 carries each as it is,
/// with no envelope around it).
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// A JSON value.
    Json(Value),
    /// JSON text the extension wrote itself (it must be valid JSON: the host
    /// refuses anything else with `guest_crash`).
    JsonText(Vec<u8>),
    /// Text, which the caller receives as a JSON string; the extension does
    /// not escape it.
    Text(String),
}

/// Parses the params' JSON text as [`Extension::execute_raw`] receives it
/// (empty is `null`): what the default `execute_raw` does before calling
/// [`Extension::execute`], for overrides that handle some actions
/// themselves and hand the others on.
///
/// # Errors
/// A `guest_error` for text that is not JSON.
pub fn parse_params(params: &[u8]) -> Result<Value> {
    if params.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(params)
        .map_err(|e| Error::new(format!("malformed `execute` input from the host: {e}")))
}

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

    /// Runs `action` on its params exactly as the host sent them: JSON text,
    /// not parsed yet (empty when there are none). The default parses them
    /// into a [`Value`] and calls [`execute`](Extension::execute); override
    /// it to parse large params once, straight into your own types (with
    /// `serde_json::from_slice`), or to answer with JSON text or plain text.
    ///
    /// # Errors
    /// As [`execute`](Extension::execute)'s; params that are not JSON are a
    /// `guest_error`.
    fn execute_raw(&mut self, action: &str, params: &[u8]) -> Result<Output> {
        self.execute(action, parse_params(params)?)
            .map(Output::Json)
    }

    /// Receives an event from the host bus (needs `event:listen`).
    ///
    /// # Errors
    /// Reported like [`execute`](Extension::execute)'s.
    fn on_event(&mut self, event: Event) -> Result<()> {
        let _ = event;
        Ok(())
    }
}
