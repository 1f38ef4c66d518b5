//! The JSON endpoints under `/v1` (docs/API.md): each parses its request, calls [`Node`] or
//! the [`AppState`] operation shared with the web app, and maps the answer.
//!
//! [`Node`]: crate::node::Node

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use crdt_model::{HouseholdWrite, NewArea};

use super::extract::{ApiJson, ApiPath, ApiQuery, body_bytes, field_pairs};
use super::types::{
    CreateArea, HouseholdPatch, HouseholdQuery, IdInfo, ImportReport, InviteRequest, JoinBody, Joined, NewHousehold,
    NewMember, PeerAddr,
};
use super::{ApiError, ApiResult, AppState, SNAPSHOT_BODY_LIMIT};

/// The endpoints, relative to `/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/id", get(get_id))
        .route("/areas", get(list_areas).post(create_area))
        .route("/areas/{area}", get(get_area))
        .route("/areas/{area}/profile/upgrade", post(upgrade_profile))
        .route("/areas/{area}/status", get(area_status))
        .route("/areas/{area}/profile", get(area_profile))
        .route("/areas/{area}/households", get(list_households).post(add_household))
        .route("/areas/{area}/households/{hh}", get(get_household).patch(patch_household))
        .route("/areas/{area}/households/{hh}/archive", post(archive_household))
        .route("/areas/{area}/households/{hh}/consent", post(record_consent))
        .route("/areas/{area}/households/{hh}/erase", post(erase_household))
        .route("/areas/{area}/erasure", get(erasure_status))
        .route("/areas/{area}/members", get(members).post(add_member))
        .route("/areas/{area}/members/{peer_id}", delete(remove_member))
        .route("/areas/{area}/relays", get(relays).post(add_relay))
        .route("/areas/{area}/relays/remove", post(remove_relay))
        .route("/areas/{area}/invites", post(create_invite))
        .route("/join", post(join))
        .route("/peers", get(peers).post(add_peer))
        .route("/doctor", get(doctor))
        .route("/update", get(update_check).post(update_install))
        .route("/update/rollback", post(update_rollback))
        .route("/update/import", post(update_import))
        .route("/areas/{area}/conflicts", get(conflicts))
        .route("/areas/{area}/snapshot", get(export_snapshot))
        // The route's own limit is applied after (inside) the router-wide one, so it wins.
        .route("/snapshots", post(import_snapshot).layer(DefaultBodyLimit::max(SNAPSHOT_BODY_LIMIT)))
        .route("/events", get(super::events::stream))
        .route("/ui/logins", post(super::ui::create_login))
        .route("/ui/sessions", get(super::ui::list_sessions))
        .route("/ui/sessions/{id}", delete(super::ui::revoke_session))
        .fallback(unknown_path)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn update_check(State(s): State<AppState>) -> ApiResult<Response> {
    Ok(axum::Json(s.update_check().await?).into_response())
}

/// `POST /v1/update` `{"version"?}`: fetch, check, install the newest offered release (or that
/// one), then restart.
async fn update_install(State(s): State<AppState>, body: axum::body::Bytes) -> ApiResult<Response> {
    let body: super::update::UpdateBody = if body.iter().all(u8::is_ascii_whitespace) {
        Default::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::invalid(Some("version"), format!("not a request: {e}")))?
    };
    Ok(axum::Json(s.update_install(body).await?).into_response())
}

async fn update_rollback(State(s): State<AppState>) -> ApiResult<Response> {
    Ok(axum::Json(s.update_rollback().await?).into_response())
}

async fn update_import(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<super::update::ImportBody>,
) -> ApiResult<Response> {
    Ok((StatusCode::CREATED, axum::Json(s.update_import(body).await?)).into_response())
}

async fn get_id(State(s): State<AppState>) -> axum::Json<IdInfo> {
    let listen = s.listen_addrs().await.iter().map(ToString::to_string).collect();
    axum::Json(IdInfo { peer_id: s.node.peer_id().to_string(), name: s.node.name().to_string(), listen })
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

async fn upgrade_profile(State(s): State<AppState>, ApiPath(area): ApiPath<String>) -> ApiResult<Response> {
    Ok(axum::Json(s.node.upgrade_profile(area).await?).into_response())
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
    let write = HouseholdWrite {
        id: req.id,
        group: req.group,
        address: req.address,
        fields: field_pairs(req.fields)?,
        consent: req.consent,
    };
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
    let write = HouseholdWrite {
        id: hh,
        group: req.group,
        address: req.address,
        fields: field_pairs(req.fields)?,
        consent: req.consent,
    };
    Ok(axum::Json(s.node.set_household(area, write).await?).into_response())
}

async fn record_consent(
    State(s): State<AppState>,
    ApiPath((area, hh)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<crdt_model::ConsentChange>,
) -> ApiResult<Response> {
    Ok(axum::Json(s.node.record_consent(area, hh, req).await?).into_response())
}

/// Head only: the household leaves the area's data and history (a new epoch).
async fn erase_household(
    State(s): State<AppState>,
    ApiPath((area, hh)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    Ok(axum::Json(s.node.erase_household(area, hh).await?).into_response())
}

async fn erasure_status(State(s): State<AppState>, ApiPath(area): ApiPath<String>) -> ApiResult<Response> {
    Ok(axum::Json(s.node.erasure_status(area).await?).into_response())
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
    let member = s.node.add_member_with(area, req.peer_id, req.name, req.role, req.recipient).await?;
    Ok((StatusCode::CREATED, axum::Json(member)).into_response())
}

async fn remove_member(
    State(s): State<AppState>,
    ApiPath((area, peer_id)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    Ok(axum::Json(s.node.remove_member(area, peer_id).await?).into_response())
}

async fn relays(State(s): State<AppState>, ApiPath(area): ApiPath<String>) -> ApiResult<Response> {
    Ok(axum::Json(s.relays(area).await?).into_response())
}

/// `POST /v1/areas/{area}/relays` `{"addr"}` (head only): the area's relays after the change.
async fn add_relay(
    State(s): State<AppState>,
    ApiPath(area): ApiPath<String>,
    ApiJson(req): ApiJson<PeerAddr>,
) -> ApiResult<Response> {
    s.node.add_relay(area.clone(), req.addr).await?;
    Ok((StatusCode::CREATED, axum::Json(s.relays(area).await?)).into_response())
}

/// `POST /v1/areas/{area}/relays/remove` `{"addr"}` (head only; the address or the relay's
/// peer id): the area's relays after the change.
async fn remove_relay(
    State(s): State<AppState>,
    ApiPath(area): ApiPath<String>,
    ApiJson(req): ApiJson<PeerAddr>,
) -> ApiResult<Response> {
    s.node.remove_relay(area.clone(), req.addr).await?;
    Ok(axum::Json(s.relays(area).await?).into_response())
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
    let info = s.invite(area, req.ttl_secs).await?;
    Ok((StatusCode::CREATED, axum::Json(info)).into_response())
}

async fn join(State(s): State<AppState>, ApiJson(req): ApiJson<JoinBody>) -> ApiResult<Response> {
    let area = s.join(&req.token).await?;
    Ok(axum::Json(Joined { area }).into_response())
}

async fn peers(State(s): State<AppState>) -> ApiResult<Response> {
    Ok(axum::Json(s.peers().await?).into_response())
}

/// Query of `GET /v1/doctor`.
#[derive(Debug, serde::Deserialize)]
struct DoctorQuery {
    area: Option<String>,
}

async fn doctor(State(s): State<AppState>, ApiQuery(q): ApiQuery<DoctorQuery>) -> ApiResult<Response> {
    Ok(axum::Json(s.doctor(q.area).await?).into_response())
}

async fn add_peer(State(s): State<AppState>, ApiJson(req): ApiJson<PeerAddr>) -> ApiResult<Response> {
    let addr = s.add_peer(&req.addr).await?;
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

pub async fn unknown_path(method: Method, uri: Uri) -> ApiError {
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

async fn area_profile(State(s): State<AppState>, ApiPath(area): ApiPath<String>) -> ApiResult<Response> {
    Ok(axum::Json(s.node.profile(area).await?.describe()).into_response())
}
