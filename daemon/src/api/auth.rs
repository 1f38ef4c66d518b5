//! The bearer token of the control API: `kdc` reads it from `DATA_DIR/api.token`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::ApiError;

/// Answers 401 unless the request carries `Authorization: Bearer TOKEN`.
pub async fn require_token(State(token): State<Arc<str>>, request: Request, next: Next) -> Response {
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
pub(crate) fn token_matches(presented: &str, expected: &str) -> bool {
    bool::from(presented.as_bytes().ct_eq(expected.as_bytes()))
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
}
