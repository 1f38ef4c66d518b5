//! Request and response bodies of the control API (docs/API.md), shared by the server and
//! [`crate::client`]. Area-shaped answers (summaries, status, households, members, conflicts)
//! are `crdt_model`'s own serialisable types and are not repeated here.

use serde::{Deserialize, Serialize};

pub use crate::node::ImportedArea;

/// `GET /v1/id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdInfo {
    pub peer_id: String,
    pub name: String,
    /// Multiaddrs the device listens on for peers (empty until the network layer exists).
    pub listen: Vec<String>,
}

/// `POST /v1/areas`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateArea {
    pub id: String,
    pub name: String,
    pub ward: String,
    /// A criteria profile's TOML text; `null` for the default `kdc-so-v1`.
    #[serde(default)]
    pub profile: Option<String>,
}

/// Household field values as the user typed them: `{FIELD: "VALUE"}`. Numbers and booleans
/// are accepted too (a web form may send them) and read as their text; anything else is
/// refused naming the field.
pub type FieldValues = serde_json::Map<String, serde_json::Value>;

/// Builds [`FieldValues`] from `FIELD=VALUE` pairs as typed.
pub fn field_values<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> FieldValues {
    pairs.into_iter().map(|(k, v)| (k.into(), serde_json::Value::String(v.into()))).collect()
}

/// `POST /v1/areas/{area}/households`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewHousehold {
    pub id: String,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub fields: FieldValues,
}

/// `PATCH /v1/areas/{area}/households/{hh}`. `null`/absent group or address: unchanged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HouseholdPatch {
    #[serde(default)]
    pub fields: FieldValues,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
}

/// Query of `GET /v1/areas/{area}/households`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
    /// Include archived households.
    #[serde(default)]
    pub archived: bool,
}

/// `POST /v1/snapshots`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    pub areas: Vec<ImportedArea>,
}

/// The body of every error answer: `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// `invalid_input`, `unauthorized`, `not_found`, `conflict` or `internal`.
    pub kind: String,
    pub message: String,
    /// The field or argument at fault, when one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}
