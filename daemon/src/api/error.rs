//! Error answers: every failure is `{"error": {"kind", "message", "field"?, "reason"?}}` with
//! a status, and each `kind` maps one-to-one to a `kdc` exit code (docs/API.md).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use crdt_model::ModelError;

use super::types::{ErrorBody, ErrorDetail};
use crate::network::NetError;
use crate::node::NodeError;
use crate::store::{StorageFault, StoreError};

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
    pub fn net(e: NetError, field: &str) -> ApiError {
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
            e @ NetError::Busy => ApiError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                kind: "busy",
                message: e.to_string(),
                field: None,
                reason: None,
            },
        }
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            kind: "internal",
            message: message.into(),
            field: None,
            reason: None,
        }
    }

    /// The data directory does not take writes: a full disk, a read-only filesystem.
    pub fn storage(fault: &StorageFault) -> ApiError {
        ApiError {
            status: StatusCode::INSUFFICIENT_STORAGE,
            kind: "storage",
            message: fault.to_string(),
            field: None,
            reason: Some(fault.problem.as_str()),
        }
    }

    pub fn unauthorized() -> ApiError {
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
            ModelError::BadChange(_) => ApiError::invalid(Some("snapshot"), message),
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

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

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
}
