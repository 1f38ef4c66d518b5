//! Extractors whose rejections are JSON errors naming the problem, rather than axum's plain text.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::types::FieldValues;
use super::{ApiError, ApiResult};

/// `Path` whose rejection is a JSON 400.
pub struct ApiPath<T>(pub T);

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
pub struct ApiQuery<T>(pub T);

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
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = body_bytes(request, state).await?;
        serde_json::from_slice(&bytes)
            .map(ApiJson)
            .map_err(|e| ApiError::invalid(None, format!("invalid JSON body: {e}")))
    }
}

pub async fn body_bytes<S: Send + Sync>(request: Request, state: &S) -> ApiResult<Bytes> {
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
pub fn field_pairs(fields: FieldValues) -> ApiResult<Vec<(String, String)>> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
