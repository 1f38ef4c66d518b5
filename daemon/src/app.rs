//! One listener, two apps: the web app at the root and the control API under `/v1`, behind
//! its token.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use tokio_util::sync::CancellationToken;

use crate::api::{JSON_BODY_LIMIT, auth, routes};
use crate::state::AppState;
use crate::web::{Pages, WebState};

/// Serves the API and the web app on `listener` until `shutdown` is cancelled; then stops
/// accepting and lets in-flight requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    pages: Arc<Pages>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, router(state, pages)).with_graceful_shutdown(shutdown.cancelled_owned()).await
}

/// The whole API as a router: `/v1` behind the token, the web app around it. `pages` is the
/// web app's memory, shared with the `--ui-listen` listener.
pub fn router(state: AppState, pages: Arc<Pages>) -> Router {
    let api = routes::router()
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        // Outermost: nothing under /v1, not even a 404, is answered without the token.
        .layer(middleware::from_fn_with_state(Arc::clone(&state.token), auth::require_token))
        .with_state(state.clone());
    crate::web::router(WebState::loopback(state, pages)).nest_service("/v1", api)
}
