//! Server-sent events for open pages: `change` when what the page shows may have changed (the
//! area's document, a peer connecting or leaving). The script then re-reads the page.

use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt};

use crate::api::events::{KEEP_ALIVE, node_events};
use crate::node::NodeEvent;
use crate::web::WebState;

fn sse(stream: impl Stream<Item = Option<NodeEvent>> + Send + 'static) -> impl IntoResponse {
    let events = stream.map(|e| {
        let name = match e {
            Some(NodeEvent::AreaChanged { .. }) | None => "change",
            Some(_) => "peer",
        };
        Ok::<_, std::convert::Infallible>(Event::default().event(name).data("1"))
    });
    Sse::new(events.boxed()).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}

/// `GET /a/{area}/events`: changes of this area and peer connections.
pub async fn area(State(ws): State<WebState>, Path(area): Path<String>) -> impl IntoResponse {
    sse(node_events(ws.app.node.events(), ws.app.shutdown.clone(), move |e| match e {
        NodeEvent::AreaChanged { area: a } => *a == area,
        NodeEvent::Peer { .. } => true,
        NodeEvent::Synced { .. } => false,
    }))
}

/// `GET /events`: any area's changes and peer connections (the home screen).
pub async fn all(State(ws): State<WebState>) -> impl IntoResponse {
    sse(node_events(ws.app.node.events(), ws.app.shutdown.clone(), |e| !matches!(e, NodeEvent::Synced { .. })))
}
