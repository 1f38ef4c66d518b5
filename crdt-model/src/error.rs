//! The one error type of the crate boundary.
//!
//! An unmet criterion is not an error: it is a value in [`crate::eval::Status`]. `Err` is for
//! input we refuse and for documents that do not decode.

use crate::profile::ProfileError;

/// Why a model operation was refused or failed. Nothing is written when an operation returns
/// an error.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A value, identifier or flag the user gave is not allowed. `field` names what was wrong.
    #[error("{field}: {message}")]
    InvalidInput { field: String, message: String },
    /// The area, household, member or criterion does not exist.
    #[error("{what} not found: {id}")]
    NotFound { what: &'static str, id: String },
    /// The thing to create exists already.
    #[error("{what} already exists: {id}")]
    Exists { what: &'static str, id: String },
    /// The criteria profile is not valid.
    #[error("invalid criteria profile: {0}")]
    Profile(#[from] ProfileError),
    /// A change from elsewhere (a peer, a snapshot file) that the schema does not allow.
    #[error("{0}")]
    BadChange(#[from] crate::check::BadChange),
    /// The bytes are not a KDC area document.
    #[error("corrupt area document: {0}")]
    Corrupt(String),
}

impl ModelError {
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ModelError::InvalidInput { field: field.into(), message: message.into() }
    }

    /// The field or argument at fault, when one is.
    pub fn field(&self) -> Option<&str> {
        match self {
            ModelError::InvalidInput { field, .. } => Some(field),
            ModelError::Profile(_) => Some("profile"),
            _ => None,
        }
    }
}
