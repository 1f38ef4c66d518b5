//! `/v1/ui/…`: what `kdc ui` asks for: one-time login URLs, the list of logged-in browsers,
//! and ending one.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub use kdc_api::types::{LoginInfo, LoginRequest};

use super::extract::{ApiJson, ApiPath};
use super::{ApiError, ApiResult, AppState};

/// `POST /v1/ui/logins`.
pub async fn create_login(State(s): State<AppState>, ApiJson(req): ApiJson<LoginRequest>) -> ApiResult<Response> {
    let base = if req.lan { lan_base(&s).await? } else { loopback_base(s.ui.api) };
    let (code, expires_at_ms) = s.sessions.new_code(crate::node::now_ms());
    let info =
        LoginInfo { url: format!("{base}/login?code={code}"), expires_at: crdt_model::area::rfc3339(expires_at_ms) };
    Ok((StatusCode::CREATED, axum::Json(info)).into_response())
}

/// The app's URL on this device: the API's address, with a loopback IP for an unspecified one.
pub fn loopback_base(api: std::net::SocketAddr) -> String {
    let ip = if api.ip().is_unspecified() {
        if api.is_ipv6() { "[::1]".to_string() } else { "127.0.0.1".to_string() }
    } else if api.is_ipv6() {
        format!("[{}]", api.ip())
    } else {
        api.ip().to_string()
    };
    format!("http://{ip}:{}", api.port())
}

/// The app's URL for another device on the LAN: the `--ui-listen` address; for one on every
/// interface, the first non-loopback IPv4 address the swarm listens on.
async fn lan_base(s: &AppState) -> ApiResult<String> {
    let Some(lan) = s.ui.lan else {
        return Err(ApiError::invalid(
            Some("lan"),
            "LAN mode is off: start kdcd with --ui-listen ADDR (e.g. --ui-listen 0.0.0.0:7421) to serve the app on the local network",
        ));
    };
    let ip = if lan.ip().is_unspecified() {
        let found = s.listen_addrs().await.into_iter().find_map(|a| {
            a.iter().find_map(|p| match p {
                libp2p::multiaddr::Protocol::Ip4(ip) if !ip.is_loopback() && !ip.is_unspecified() => Some(ip),
                _ => None,
            })
        });
        match found {
            Some(ip) => ip.to_string(),
            None => {
                return Err(ApiError::internal(
                    "this device has no LAN address (no network interface with an IPv4 address); connect it to the Wi-Fi first",
                ));
            }
        }
    } else if lan.is_ipv6() {
        format!("[{}]", lan.ip())
    } else {
        lan.ip().to_string()
    };
    Ok(format!("http://{ip}:{}", lan.port()))
}

/// `GET /v1/ui/sessions`.
pub async fn list_sessions(State(s): State<AppState>) -> axum::Json<Vec<crate::session::SessionInfo>> {
    axum::Json(s.sessions.list())
}

/// `DELETE /v1/ui/sessions/{id}`.
pub async fn revoke_session(State(s): State<AppState>, ApiPath(id): ApiPath<String>) -> ApiResult<Response> {
    let Some(info) = s.sessions.revoke(&id) else {
        return Err(ApiError {
            status: StatusCode::NOT_FOUND,
            kind: "not_found",
            message: format!("no browser session {id:?}; `kdc ui --sessions` lists them"),
            field: Some("session".into()),
            reason: None,
        });
    };
    let sessions = s.sessions.clone();
    tokio::task::spawn_blocking(move || sessions.persist())
        .await
        .map_err(|e| ApiError::internal(format!("worker failed: {e}")))?
        .map_err(|e| ApiError::internal(format!("cannot write the sessions file: {e}")))?;
    Ok(axum::Json(info).into_response())
}
