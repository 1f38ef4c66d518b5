//! `GET /v1/events`: what happens on this device as server-sent events, one JSON
//! [`NodeEvent`] per event (`area_changed`, `peer`, `synced`), plus `lagged` when a slow reader
//! missed some (it should then re-read whatever it shows). Ends at shutdown.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use super::AppState;
use crate::node::NodeEvent;

/// How often an idle stream sends a comment, so proxies and phones keep it open.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// `GET /v1/events`.
pub async fn stream(State(s): State<AppState>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let events = node_events(s.node.events(), s.shutdown.clone(), |_| true);
    Sse::new(futures::StreamExt::map(events, |e| {
        Ok(match e {
            Some(e) => Event::default().json_data(&e).unwrap_or_else(|_| Event::default().data("{}")),
            None => Event::default().event("lagged").data("{}"),
        })
    }))
    .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}

/// The node's events that pass `keep`, until `shutdown`; `None` stands for events missed by a
/// reader that lagged. `rx` is [`crate::node::Node::events`].
pub fn node_events(
    rx: tokio::sync::broadcast::Receiver<NodeEvent>,
    shutdown: CancellationToken,
    keep: impl Fn(&NodeEvent) -> bool + Send + 'static,
) -> impl Stream<Item = Option<NodeEvent>> + Send + 'static {
    futures::stream::unfold((rx, shutdown, keep), |(mut rx, shutdown, keep)| async move {
        loop {
            let next = tokio::select! {
                biased;
                _ = shutdown.cancelled() => return None,
                next = rx.recv() => next,
            };
            match next {
                Ok(e) if keep(&e) => return Some((Some(e), (rx, shutdown, keep))),
                Ok(_) => continue,
                Err(RecvError::Lagged(_)) => return Some((None, (rx, shutdown, keep))),
                Err(RecvError::Closed) => return None,
            }
        }
    })
}
