//! `GET /v1/events`: the server's events as Server-Sent Events, one JSON
//! [`ServerEvent`](crate::ServerEvent) per `data:` line, the event's type as
//! the SSE `event:` name. A subscriber that falls behind gets a `lagged`
//! event with how many it missed. The stream ends when the server shuts
//! down.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Extension, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use tokio::sync::broadcast::error::RecvError;

use crate::api::ApiState;
use crate::api::auth::require;
use crate::api::error::ApiError;
use crate::tokens::{Scope, TokenInfo};

/// `GET /v1/events`.
pub async fn stream(
    State(state): State<ApiState>,
    Extension(token): Extension<TokenInfo>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    require(&token, Scope::Admin)?;
    let mut events = state.service.subscribe();
    let shutdown = state.shutdown.clone();
    let stream = async_stream(move |yield_| async move {
        loop {
            let next = tokio::select! {
                () = shutdown.cancelled() => return,
                next = events.recv() => next,
            };
            let event = match next {
                Ok(event) => {
                    let kind = serde_json::to_value(&event)
                        .ok()
                        .and_then(|v| v["type"].as_str().map(str::to_owned))
                        .unwrap_or_else(|| "event".to_owned());
                    Event::default()
                        .event(kind)
                        .json_data(&event)
                        .unwrap_or_else(|_| Event::default().event("error"))
                }
                Err(RecvError::Lagged(n)) => Event::default()
                    .event("lagged")
                    .data(format!("{{\"missed\":{n}}}")),
                Err(RecvError::Closed) => return,
            };
            if yield_.send(Ok(event)).await.is_err() {
                return;
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// A stream fed by `body` through a bounded channel.
fn async_stream<F, Fut>(body: F) -> impl Stream<Item = Result<Event, Infallible>>
where
    F: FnOnce(tokio::sync::mpsc::Sender<Result<Event, Infallible>>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(body(tx));
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
