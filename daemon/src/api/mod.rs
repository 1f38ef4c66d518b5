//! The control API (docs/API.md): JSON over HTTP/1.1 on a local TCP port, bearer-token auth.
//!
//! Handlers are thin: they parse the request, hand the work to [`Node`] (which runs it on a
//! blocking thread) and map the result. Every error answer is `{"error": {"kind", "message",
//! "field"?}}`, including the ones axum's own extractors would give as plain text (bad JSON,
//! bad query, body too large, unknown path), so a client never has to guess.

pub mod types;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use crdt_model::{HouseholdWrite, ModelError, NewArea};
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;
use tokio_util::sync::CancellationToken;

use crate::invite::InviteToken;
use crate::network::{NetError, NetHandle};
use crate::node::members::{DEFAULT_INVITE_TTL, MAX_INVITE_TTL};
use crate::node::{Node, NodeError};
use crate::store::{StorageFault, StoreError};
use types::{
    CreateArea, ErrorBody, ErrorDetail, FieldValues, HouseholdPatch, HouseholdQuery, IdInfo, ImportReport, InviteInfo,
    InviteRequest, JoinBody, Joined, NewHousehold, NewMember, PeerAddr,
};

/// Largest JSON request body. Household writes are a few hundred bytes; a profile a few KiB.
pub const JSON_BODY_LIMIT: usize = 1024 * 1024;
/// Largest snapshot upload.
pub const SNAPSHOT_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub node: Node,
    pub token: Arc<str>,
    /// Multiaddrs to report when there is no network layer (`net` is `None`).
    pub listen: Arc<Vec<String>>,
    /// The network layer; `None` when the daemon runs without one (some tests). Then `id`
    /// and invites report `listen`, `peers` is empty, and `join` and `peer add` fail (500).
    pub net: Option<NetHandle>,
}

/// Serves the API on `listener` until `shutdown` is cancelled; then stops accepting and lets
/// in-flight requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown.cancelled_owned()).await
}

/// The whole API as a router, authentication included.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/id", get(get_id))
        .route("/v1/areas", get(list_areas).post(create_area))
        .route("/v1/areas/{area}", get(get_area))
        .route("/v1/areas/{area}/status", get(area_status))
        .route("/v1/areas/{area}/households", get(list_households).post(add_household))
        .route("/v1/areas/{area}/households/{hh}", get(get_household).patch(patch_household))
        .route("/v1/areas/{area}/households/{hh}/archive", post(archive_household))
        .route("/v1/areas/{area}/members", get(members).post(add_member))
        .route("/v1/areas/{area}/members/{peer_id}", delete(remove_member))
        .route("/v1/areas/{area}/invites", post(create_invite))
        .route("/v1/join", post(join))
        .route("/v1/peers", get(peers).post(add_peer))
        .route("/v1/areas/{area}/conflicts", get(conflicts))
        .route("/v1/areas/{area}/snapshot", get(export_snapshot))
        // The route's own limit is applied after (inside) the router-wide one, so it wins.
        .route("/v1/snapshots", post(import_snapshot).layer(DefaultBodyLimit::max(SNAPSHOT_BODY_LIMIT)))
        .fallback(unknown_path)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        // Outermost: nothing, not even a 404, is answered without the token.
        .layer(middleware::from_fn_with_state(Arc::clone(&state.token), require_token))
        .with_state(state)
}

// ---------------------------------------------------------------------------------------------
// Errors

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub message: String,
    pub field: Option<String>,
    /// Only with `storage`: what is wrong with the disk.
    pub reason: Option<&'static str>,
}

impl ApiError {
    pub fn invalid(field: Option<&str>, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_input",
            message: message.into(),
            field: field.map(str::to_string),
            reason: None,
        }
    }

    /// A network failure. `field` names the argument a refusal is about (`token`, `addr`).
    fn net(e: NetError, field: &str) -> ApiError {
        match e {
            NetError::Refused(message) => ApiError::invalid(Some(field), message),
            e @ NetError::Unreachable(_) => ApiError {
                status: StatusCode::BAD_GATEWAY,
                kind: "unreachable",
                message: e.to_string(),
                field: None,
                reason: None,
            },
            e @ NetError::Stopped => ApiError::internal(e.to_string()),
        }
    }

    fn internal(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            kind: "internal",
            message: message.into(),
            field: None,
            reason: None,
        }
    }

    /// The data directory does not take writes: a full disk, a read-only filesystem.
    fn storage(fault: &StorageFault) -> ApiError {
        ApiError {
            status: StatusCode::INSUFFICIENT_STORAGE,
            kind: "storage",
            message: fault.to_string(),
            field: None,
            reason: Some(fault.problem.as_str()),
        }
    }

    fn unauthorized() -> ApiError {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            kind: "unauthorized",
            message: "missing or wrong API token (send `Authorization: Bearer <content of DATA_DIR/api.token>`)".into(),
            field: None,
            reason: None,
        }
    }
}

impl From<ModelError> for ApiError {
    fn from(e: ModelError) -> ApiError {
        let message = e.to_string();
        let field = e.field().map(str::to_string);
        match e {
            ModelError::InvalidInput { .. } | ModelError::Profile(_) => {
                ApiError { status: StatusCode::BAD_REQUEST, kind: "invalid_input", message, field, reason: None }
            }
            ModelError::NotFound { what, .. } => ApiError {
                status: StatusCode::NOT_FOUND,
                kind: "not_found",
                message,
                field: Some(what.to_string()),
                reason: None,
            },
            ModelError::Exists { what, .. } => ApiError {
                status: StatusCode::CONFLICT,
                kind: "conflict",
                message,
                field: Some(what.to_string()),
                reason: None,
            },
            ModelError::Corrupt(_) => ApiError::internal(message),
        }
    }
}

impl From<NodeError> for ApiError {
    fn from(e: NodeError) -> ApiError {
        match e {
            NodeError::Model(e) => e.into(),
            NodeError::Snapshot(e) => ApiError::invalid(Some("snapshot"), format!("invalid snapshot: {e}")),
            e @ NodeError::Invite(_) => ApiError::invalid(Some("token"), e.to_string()),
            NodeError::Store(StoreError::Storage(fault)) => {
                tracing::warn!(error = %fault, "request refused");
                ApiError::storage(&fault)
            }
            e @ (NodeError::Store(_) | NodeError::Unavailable { .. } | NodeError::Internal(_)) => {
                tracing::error!(error = %e, "request failed");
                ApiError::internal(e.to_string())
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                kind: self.kind.to_string(),
                message: self.message,
                field: self.field,
                reason: self.reason.map(str::to_string),
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

type ApiResult<T> = Result<T, ApiError>;

// ---------------------------------------------------------------------------------------------
// Authentication

async fn require_token(State(token): State<Arc<str>>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    match presented {
        Some(t) if token_matches(t, &token) => next.run(request).await,
        _ => ApiError::unauthorized().into_response(),
    }
}

/// Constant-time in the token's content, so response timing does not reveal how much of a
/// guess was right. (The length is public: always 64.)
fn token_matches(presented: &str, expected: &str) -> bool {
    bool::from(presented.as_bytes().ct_eq(expected.as_bytes()))
}

// ---------------------------------------------------------------------------------------------
// Extractors with JSON errors

/// `Path` whose rejection is a JSON 400.
struct ApiPath<T>(T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| ApiPath(v))
            .map_err(|e| ApiError::invalid(None, e.body_text()))
    }
}

/// `Query` whose rejection is a JSON 400.
struct ApiQuery<T>(T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| ApiQuery(v))
            .map_err(|e| ApiError::invalid(None, e.body_text()))
    }
}

/// A JSON body. Unlike `axum::Json` it does not insist on a `Content-Type` header (curl users
/// forget it) and its rejections are JSON errors naming the problem.
struct ApiJson<T>(T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = body_bytes(request, state).await?;
        serde_json::from_slice(&bytes)
            .map(ApiJson)
            .map_err(|e| ApiError::invalid(None, format!("invalid JSON body: {e}")))
    }
}

async fn body_bytes<S: Send + Sync>(request: Request, state: &S) -> ApiResult<Bytes> {
    Bytes::from_request(request, state).await.map_err(|e| {
        let status = e.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError {
                status,
                kind: "invalid_input",
                message: format!("request body too large: {}", e.body_text()),
                field: None,
                reason: None,
            }
        } else {
            ApiError::invalid(None, format!("cannot read request body: {}", e.body_text()))
        }
    })
}

/// `{FIELD: VALUE}` to the `(field, raw text)` pairs `crdt_model` parses.
fn field_pairs(fields: FieldValues) -> ApiResult<Vec<(String, String)>> {
    fields
        .into_iter()
        .map(|(field, value)| {
            let text = match value {
                serde_json::Value::String(s) => s,
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => if b { "yes" } else { "no" }.to_string(),
                other => {
                    return Err(ApiError::invalid(
                        Some(&field),
                        format!("{field}: {other} is not a value; send the value as text, e.g. \"5\" or \"yes\""),
                    ));
                }
            };
            Ok((field, text))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Handlers

async fn get_id(State(s): State<AppState>) -> axum::Json<IdInfo> {
    let listen = listen_addrs(&s).await.iter().map(ToString::to_string).collect();
    axum::Json(IdInfo { peer_id: s.node.peer_id().to_string(), name: s.node.name().to_string(), listen })
}

/// Where peers can reach this device: the swarm's listen addresses, or `listen` without one.
/// A network layer that has stopped (shutting down) listens nowhere.
async fn listen_addrs(s: &AppState) -> Vec<libp2p::Multiaddr> {
    match &s.net {
        Some(net) => net.listen_addrs().await.unwrap_or_default(),
        None => s.listen.iter().filter_map(|a| a.parse().ok()).collect(),
    }
}

fn network(s: &AppState) -> ApiResult<&NetHandle> {
    s.net.as_ref().ok_or_else(|| ApiError::internal(NetError::Stopped.to_string()))
}

async fn list_areas(State(s): State<AppState>) -> ApiResult<Response> {
    Ok(axum::Json(s.node.list_areas().await?).into_response())
}

async fn create_area(State(s): State<AppState>, ApiJson(req): ApiJson<CreateArea>) -> ApiResult<Response> {
    let new = NewArea { id: req.id, name: req.name, ward: req.ward, profile_toml: req.profile };
    let summary = s.node.create_area(new).await?;
    Ok((StatusCode::CREATED, axum::Json(summary)).into_response())
}

async fn get_area(State(s): State<AppState>, ApiPath(area): ApiPath<String>) -> ApiResult<Response> {
    Ok(axum::Json(s.node.area_summary(area).await?).into_response())
}

async fn area_status(State(s): State<AppState>, ApiPath(area): ApiPath<String>) -> ApiResult<Response> {
    Ok(axum::Json(s.node.status(area).await?).into_response())
}

async fn list_households(
    State(s): State<AppState>,
    ApiPath(area): ApiPath<String>,
    ApiQuery(q): ApiQuery<HouseholdQuery>,
) -> ApiResult<Response> {
    let list = s.node.household_list(area, q.group, q.missing, q.archived).await?;
    Ok(axum::Json(list).into_response())
}

async fn add_household(
    State(s): State<AppState>,
    ApiPath(area): ApiPath<String>,
    ApiJson(req): ApiJson<NewHousehold>,
) -> ApiResult<Response> {
    let write = HouseholdWrite { id: req.id, group: req.group, address: req.address, fields: field_pairs(req.fields)? };
    let view = s.node.add_household(area, write).await?;
    Ok((StatusCode::CREATED, axum::Json(view)).into_response())
}

async fn get_household(
    State(s): State<AppState>,
    ApiPath((area, hh)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    Ok(axum::Json(s.node.household(area, hh).await?).into_response())
}

async fn patch_household(
    State(s): State<AppState>,
    ApiPath((area, hh)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<HouseholdPatch>,
) -> ApiResult<Response> {
    let write = HouseholdWrite { id: hh, group: req.group, address: req.address, fields: field_pairs(req.fields)? };
    Ok(axum::Json(s.node.set_household(area, write).await?).into_response())
}

async fn archive_household(
    State(s): State<AppState>,
    ApiPath((area, hh)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    Ok(axum::Json(s.node.archive_household(area, hh).await?).into_response())
}

async fn members(State(s): State<AppState>, ApiPath(area): ApiPath<String>) -> ApiResult<Response> {
    Ok(axum::Json(s.node.members(area).await?).into_response())
}

async fn add_member(
    State(s): State<AppState>,
    ApiPath(area): ApiPath<String>,
    ApiJson(req): ApiJson<NewMember>,
) -> ApiResult<Response> {
    let member = s.node.add_member(area, req.peer_id, req.name, req.role).await?;
    Ok((StatusCode::CREATED, axum::Json(member)).into_response())
}

async fn remove_member(
    State(s): State<AppState>,
    ApiPath((area, peer_id)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    Ok(axum::Json(s.node.remove_member(area, peer_id).await?).into_response())
}

async fn create_invite(
    State(s): State<AppState>,
    ApiPath(area): ApiPath<String>,
    request: Request,
) -> ApiResult<Response> {
    // The body is optional: `{}`, `{"ttl_secs": N}` or nothing at all.
    let bytes = body_bytes(request, &()).await?;
    let req: InviteRequest = if bytes.iter().all(u8::is_ascii_whitespace) {
        InviteRequest::default()
    } else {
        serde_json::from_slice(&bytes).map_err(|e| ApiError::invalid(None, format!("invalid JSON body: {e}")))?
    };
    let ttl = match req.ttl_secs {
        None => DEFAULT_INVITE_TTL,
        Some(secs) if (1..=MAX_INVITE_TTL.as_secs()).contains(&secs) => std::time::Duration::from_secs(secs),
        Some(secs) => {
            return Err(ApiError::invalid(
                Some("ttl_secs"),
                format!("ttl_secs: {secs} is out of range; allowed: 1..={}", MAX_INVITE_TTL.as_secs()),
            ));
        }
    };
    let inviter: libp2p::PeerId = s
        .node
        .peer_id()
        .parse()
        .map_err(|e| ApiError::internal(format!("this device's peer id does not parse: {e}")))?;
    let (secret, expires_at_ms) = s.node.create_invite(area.clone(), ttl).await?;
    let addrs = listen_addrs(&s).await;
    let token = InviteToken { area, inviter, addrs, secret, expires_at_ms };
    let info = InviteInfo { token: token.encode(), expires_at: crdt_model::area::rfc3339(expires_at_ms) };
    Ok((StatusCode::CREATED, axum::Json(info)).into_response())
}

async fn join(State(s): State<AppState>, ApiJson(req): ApiJson<JoinBody>) -> ApiResult<Response> {
    let token = InviteToken::decode(&req.token).map_err(|e| ApiError::invalid(Some("token"), e.to_string()))?;
    if token.expires_at_ms <= crate::node::now_ms() {
        // The inviter would refuse it too; saying so here spares a dial that cannot succeed.
        return Err(ApiError::invalid(
            Some("token"),
            format!(
                "invite refused: the invite expired at {}; ask for a new one",
                crdt_model::area::rfc3339(token.expires_at_ms)
            ),
        ));
    }
    let area = network(&s)?.join(token.join_request()).await.map_err(|e| ApiError::net(e, "token"))?;
    Ok(axum::Json(Joined { area }).into_response())
}

async fn peers(State(s): State<AppState>) -> ApiResult<Response> {
    let peers = match &s.net {
        Some(net) => net.peers().await.map_err(|e| ApiError::net(e, "peer"))?,
        None => Vec::new(),
    };
    Ok(axum::Json(peers).into_response())
}

async fn add_peer(State(s): State<AppState>, ApiJson(req): ApiJson<PeerAddr>) -> ApiResult<Response> {
    let addr: libp2p::Multiaddr = req.addr.trim().parse().map_err(|e| {
        ApiError::invalid(
            Some("addr"),
            format!("addr: {:?} is not a multiaddr ({e}); e.g. /ip4/192.168.1.20/tcp/41234", req.addr),
        )
    })?;
    network(&s)?.dial(addr.clone()).await.map_err(|e| ApiError::net(e, "addr"))?;
    Ok(axum::Json(PeerAddr { addr: addr.to_string() }).into_response())
}

async fn conflicts(State(s): State<AppState>, ApiPath(area): ApiPath<String>) -> ApiResult<Response> {
    Ok(axum::Json(s.node.conflicts(area).await?).into_response())
}

async fn export_snapshot(State(s): State<AppState>, ApiPath(area): ApiPath<String>) -> ApiResult<Response> {
    let bytes = s.node.export_snapshot(area).await?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}

async fn import_snapshot(State(s): State<AppState>, request: Request) -> ApiResult<Response> {
    let bytes = body_bytes(request, &()).await?;
    if bytes.is_empty() {
        return Err(ApiError::invalid(Some("snapshot"), "the request body is empty; send the snapshot file's bytes"));
    }
    let areas = s.node.import_snapshot(bytes.to_vec()).await?;
    Ok(axum::Json(ImportReport { areas }).into_response())
}

async fn unknown_path(method: Method, uri: Uri) -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        kind: "not_found",
        message: format!("no such endpoint: {method} {}", uri.path()),
        field: None,
        reason: None,
    }
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        kind: "invalid_input",
        message: format!("{method} is not allowed on {}", uri.path()),
        field: None,
        reason: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_comparison() {
        let t = "a".repeat(64);
        assert!(token_matches(&t, &t));
        assert!(!token_matches(&"b".repeat(64), &t));
        assert!(!token_matches(&t[..63], &t));
        assert!(!token_matches("", &t));
    }

    #[test]
    fn model_errors_map_to_api_errors() {
        let e: ApiError =
            ModelError::InvalidInput { field: "members".into(), message: "61 is too large".into() }.into();
        assert_eq!((e.status, e.kind, e.field.as_deref()), (StatusCode::BAD_REQUEST, "invalid_input", Some("members")));
        assert_eq!(e.message, "members: 61 is too large");
        let e: ApiError = ModelError::NotFound { what: "household", id: "H1".into() }.into();
        assert_eq!((e.status, e.kind), (StatusCode::NOT_FOUND, "not_found"));
        let e: ApiError = ModelError::Exists { what: "area", id: "a".into() }.into();
        assert_eq!((e.status, e.kind), (StatusCode::CONFLICT, "conflict"));
        let e: ApiError = ModelError::Corrupt("x".into()).into();
        assert_eq!((e.status, e.kind), (StatusCode::INTERNAL_SERVER_ERROR, "internal"));
        let e: ApiError =
            crdt_model::Profile::from_toml("not toml [").map_err(ModelError::from).expect_err("bad").into();
        assert_eq!((e.status, e.kind, e.field.as_deref()), (StatusCode::BAD_REQUEST, "invalid_input", Some("profile")));
    }

    #[test]
    fn network_and_invite_errors_map_to_api_errors() {
        let e = ApiError::net(NetError::Refused("the invite was already used".into()), "token");
        assert_eq!((e.status, e.kind, e.field.as_deref()), (StatusCode::BAD_REQUEST, "invalid_input", Some("token")));
        let e = ApiError::net(NetError::Unreachable("timeout".into()), "token");
        assert_eq!((e.status, e.kind, e.field), (StatusCode::BAD_GATEWAY, "unreachable", None));
        let e = ApiError::net(NetError::Stopped, "addr");
        assert_eq!((e.status, e.kind), (StatusCode::INTERNAL_SERVER_ERROR, "internal"));
        let e: ApiError = NodeError::Invite(crate::invite::InviteRefusal::Used).into();
        assert_eq!((e.status, e.kind, e.field.as_deref()), (StatusCode::BAD_REQUEST, "invalid_input", Some("token")));
        assert!(e.message.contains("already used"), "{}", e.message);
    }

    #[test]
    fn field_values_accept_text_numbers_and_booleans() {
        let fields: FieldValues =
            serde_json::from_str(r#"{"members": "5", "members_14plus": 4, "internet": true}"#).expect("json");
        let mut pairs = field_pairs(fields).expect("pairs");
        pairs.sort();
        assert_eq!(
            pairs,
            vec![
                ("internet".to_string(), "yes".to_string()),
                ("members".to_string(), "5".to_string()),
                ("members_14plus".to_string(), "4".to_string())
            ]
        );
        let bad: FieldValues = serde_json::from_str(r#"{"members": null}"#).expect("json");
        let e = field_pairs(bad).expect_err("null refused");
        assert_eq!(e.field.as_deref(), Some("members"));
    }
}
