//! The event provider contract and the default bus on `tokio::sync::broadcast`.
//!
//! **The host stamps the source**: an [`Event`]'s `source` is set by the
//! broker from the calling extension's identity, never from guest input, so
//! no extension can emit as another.

use tokio::sync::broadcast;

use crate::error::Result;

/// `events.emit` request.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmitRequest {
    /// `debug`, `info`, `warn` or `error`; default `info`.
    #[serde(default)]
    pub level: Option<String>,
    /// The message, at most [`MAX_EVENT_MESSAGE_BYTES`].
    pub message: String,
    /// Optional structured payload, at most [`MAX_EVENT_DATA_BYTES`] serialised.
    #[serde(default)]
    pub data: Option<serde_json::Value>,
}

/// Longest event message.
pub const MAX_EVENT_MESSAGE_BYTES: usize = 16 * 1024;
/// Largest serialised event data.
pub const MAX_EVENT_DATA_BYTES: usize = 64 * 1024;

/// An event on the host bus.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Event {
    /// The emitting extension's id, or `host` for host events; stamped by the host.
    pub source: String,
    /// Level.
    pub level: String,
    /// Message.
    pub message: String,
    /// Payload.
    #[serde(default)]
    pub data: serde_json::Value,
    /// Unix milliseconds.
    pub ts_ms: u64,
}

/// Publishes events; optionally lets the host subscribe.
#[async_trait::async_trait]
pub trait EventProvider: Send + Sync + 'static {
    /// Publishes one event.
    ///
    /// # Errors
    /// `capability_failed` when the bus refuses it.
    async fn emit(&self, event: Event) -> Result<()>;

    /// A new subscription, if this provider supports one.
    fn subscribe(&self) -> Option<broadcast::Receiver<Event>>;
}

/// The default in-process bus.
#[derive(Debug, Clone)]
pub struct BroadcastEvents {
    tx: broadcast::Sender<Event>,
}

impl BroadcastEvents {
    /// A bus keeping at most `capacity` undelivered events per subscriber.
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(1));
        BroadcastEvents { tx }
    }
}

impl Default for BroadcastEvents {
    fn default() -> Self {
        BroadcastEvents::new(1024)
    }
}

#[async_trait::async_trait]
impl EventProvider for BroadcastEvents {
    async fn emit(&self, event: Event) -> Result<()> {
        // No subscriber is not an error: the event is simply not observed.
        let _ = self.tx.send(event);
        Ok(())
    }

    fn subscribe(&self) -> Option<broadcast::Receiver<Event>> {
        Some(self.tx.subscribe())
    }
}
