//! The one error type of the crate boundary.
//!
//! An unmet criterion is not an error: it is a value in [`crate::eval::Status`]. `Err` is for
//! input we refuse and for documents that do not decode.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::profile::ProfileError;
use crate::schema::Key;

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
    BadChange(#[from] BadChange),
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

/// A change refused at the door: which area, which device wrote it, which key and value, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub struct BadChange {
    pub area: String,
    /// The writing device: its peer id, or its actor's hex when that is not text.
    pub actor: String,
    /// The document key, e.g. `h/T3-045/members`.
    pub key: String,
    /// The value as written (`-` for an object or a delete).
    pub value: String,
    pub reason: String,
}

impl BadChange {
    /// The household the key belongs to, if any.
    pub fn household(&self) -> Option<&str> {
        match Key::parse(&self.key) {
            Some(Key::Household { hh, .. }) => Some(hh),
            _ => None,
        }
    }

    /// The field (or `group`, `address`, …) the key names, if it is a household key.
    pub fn field(&self) -> Option<&str> {
        match Key::parse(&self.key) {
            Some(Key::Household { slot, .. }) => Some(slot.name()),
            _ => None,
        }
    }
}

impl fmt::Display for BadChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "area {}: ", self.area)?;
        match (self.household(), self.field()) {
            _ if self.key.is_empty() => return write!(f, "a change by {}: {}", self.actor, self.reason),
            (Some(hh), Some(field)) => write!(f, "household {hh}, field {field} = {}", self.value)?,
            _ => write!(f, "key {:?} = {}", self.key, self.value)?,
        }
        write!(f, " (a change by {}): {}", self.actor, self.reason)
    }
}
