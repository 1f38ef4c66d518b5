//! Request and response bodies of the control API (docs/API.md), shared by the server and
//! [`crate::client`]. Area-shaped answers (summaries, status, households, members, conflicts)
//! are `crdt_model`'s own serialisable types and are not repeated here.

pub use crdt_model::consent::{ConsentChange, ConsentGiven};
use serde::{Deserialize, Serialize};

pub use crate::network::PeerInfo;
pub use crate::node::ImportedArea;

/// `GET /v1/id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdInfo {
    pub peer_id: String,
    pub name: String,
    /// Multiaddrs the device listens on for peers (empty when the network layer is not running).
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
    /// The resident's consent, given at the door (needed when the area's profile asks for it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<ConsentGiven>,
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
    /// Consent given with this change (a household recorded before consent was asked for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<ConsentGiven>,
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
    /// `invalid_input`, `unauthorized`, `not_found`, `conflict`, `storage`, `unreachable` or
    /// `internal`.
    pub kind: String,
    pub message: String,
    /// The field or argument at fault, when one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// With `storage`: `disk_full`, `read_only` or `io_error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `POST /v1/areas/{area}/members`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMember {
    /// The device's libp2p peer id (`kdc id` on that device).
    pub peer_id: String,
    pub name: String,
    /// `head`, `member` or `ward`; absent: `member`.
    #[serde(default = "default_role")]
    pub role: String,
    /// An age recipient (`age1…`, from `kdc ward keygen`): snapshot files are encrypted to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
}

fn default_role() -> String {
    "member".into()
}

/// `POST /v1/areas/{area}/invites` (the body is optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteRequest {
    /// Validity in seconds; absent: 24 hours. At most 7 days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_secs: Option<u64>,
}

/// The answer of `POST /v1/areas/{area}/invites` (and `kdc invite --json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteInfo {
    /// `kdc1-…`, for `kdc join`.
    pub token: String,
    /// RFC 3339.
    pub expires_at: String,
}

/// `POST /v1/join`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinBody {
    pub token: String,
}

/// The answer of `POST /v1/join`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Joined {
    /// The area now on this device.
    pub area: String,
}

/// `POST /v1/peers`, and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerAddr {
    /// A multiaddr, e.g. `/ip4/192.168.1.20/tcp/41234`.
    pub addr: String,
}
