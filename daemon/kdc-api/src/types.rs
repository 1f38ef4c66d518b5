//! Request and response bodies of the control API (docs/API.md), shared by the server (`kdcd`)
//! and [`crate::client`]. Area-shaped answers (summaries, status, households, members, conflicts)
//! are `crdt_model`'s own serialisable types and are not repeated here.

pub use crdt_model::consent::{ConsentChange, ConsentGiven};
use serde::{Deserialize, Serialize};

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

// Answers of the peers, relays, doctor, web login, update and snapshot endpoints.

/// `kdc peers` row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeerInfo {
    pub peer_id: String,
    /// Name from an area roster, when the peer is on one.
    pub name: Option<String>,
    pub addrs: Vec<String>,
    pub connected: bool,
    /// The release it last announced (`"0.2.0"`); `null` when it never said.
    #[serde(default)]
    pub version: Option<String>,
    /// RFC 3339.
    pub last_seen: Option<String>,
    /// Areas this device has synced with the peer since it connected.
    pub areas_in_sync: Vec<String>,
    /// The last sync message refused between this device and the peer, either way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_refusal: Option<Refusal>,
    /// When mDNS last announced this peer on the local network (RFC 3339), if ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mdns_seen: Option<String>,
    /// The connection sync uses now: `"direct"` or `"relay"` (connected peers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// The last hole punch with this peer (DCUtR): `"ok"` or why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hole_punch: Option<String>,
    /// Sync stream bytes to and from the peer since the daemon started (frames with their
    /// length prefix; Noise, Yamux and TCP headers not counted).
    #[serde(default)]
    pub bytes_sent: u64,
    #[serde(default)]
    pub bytes_received: u64,
}

/// A sync message one side refused (a bad change, a non-member, a message that does not apply).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refusal {
    /// RFC 3339.
    pub at: String,
    pub area: String,
    /// `"this_device"` when this device refused the peer's message, `"peer"` the other way.
    pub by: String,
    pub reason: String,
}

/// `kdc area relay list` row, and the doctor's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelayInfo {
    pub addr: String,
    /// Whether this device reached the relay (`null`: not tried yet).
    pub reachable: Option<bool>,
    /// Whether this device holds a reservation there (members reach it through this relay).
    pub reserved: bool,
    /// The last refusal or failure, in the relay client's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Doctor {
    pub peer_id: String,
    /// Addresses this device listens on (loopback left out).
    pub listen: Vec<String>,
    /// mDNS discovery runs on this device.
    pub mdns: bool,
    /// Other devices mDNS has announced since the daemon started.
    pub mdns_peers_seen: usize,
    /// This kdcd runs under Termux on Android.
    pub termux: bool,
    /// This device's clock (RFC 3339).
    pub now: String,
    pub members: Vec<MemberCheck>,
    /// The relays of the areas checked, and this device's standing at each.
    #[serde(default)]
    pub relays: Vec<RelayCheck>,
    /// How others reach this device from outside its network: `"public"` (a public or
    /// `--external-address` address), `"relay"` (a reservation held) or `"no"`.
    #[serde(default)]
    pub outside: String,
    pub advice: Vec<Advice>,
}

/// One relay of one area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelayCheck {
    pub area: String,
    #[serde(flatten)]
    pub relay: RelayInfo,
}

/// One roster member of one area, as this device sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberCheck {
    pub area: String,
    pub peer_id: String,
    pub name: String,
    pub role: String,
    pub removed: bool,
    /// This device itself.
    pub this_device: bool,
    pub connected: bool,
    pub last_seen: Option<String>,
    pub addrs: Vec<String>,
    /// Whether one of `addrs` accepted a TCP connection just now; `null` when none is known.
    pub reachable: Option<bool>,
    pub last_refusal: Option<Refusal>,
    /// How it is connected now: `"direct"` or `"relay"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// The last hole punch with it: `"ok"` or why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hole_punch: Option<String>,
    /// The release it last announced (`null`: never heard, or this device).
    #[serde(default)]
    pub version: Option<String>,
    /// Its release cannot read the area as it is now: it sends its edits, receives none.
    #[serde(default)]
    pub behind: bool,
}

/// One piece of advice: a stable code, and the words in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advice {
    pub code: String,
    pub vi: String,
    pub en: String,
    /// The words for the web app (Vietnamese, English) where they differ: its places instead of
    /// `kdc` commands. Not part of the API's answer.
    #[serde(skip)]
    pub web: Option<(String, String)>,
}

/// `POST /v1/ui/logins` body.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LoginRequest {
    /// A URL for a browser on another device, at the `--ui-listen` address.
    #[serde(default)]
    pub lan: bool,
}

/// `POST /v1/ui/logins` answer (`kdc --json ui`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginInfo {
    pub url: String,
    /// RFC 3339.
    pub expires_at: String,
}

/// `GET /v1/update` (`kdc update --check`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateCheck {
    pub current: String,
    /// The archive target this device runs.
    pub target: String,
    /// Newer releases for this platform that connected teammates offer, newest first.
    pub offers: Vec<Offer>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    pub version: String,
    /// The peer id offering it.
    pub from: String,
    pub target: String,
    pub name: String,
    pub size: u64,
}

/// `POST /v1/update` and `/v1/update/rollback`: what was put in place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Installed {
    /// The release now in place.
    pub version: String,
    /// The release it replaced.
    pub previous: String,
    #[serde(default)]
    pub from: Option<String>,
    /// Bytes fetched from the peer for it (0 when resumed whole or rolled back).
    #[serde(default)]
    pub bytes_fetched: u64,
    /// `true`: kdcd restarts itself now on the new binary.
    pub restarting: bool,
}

/// An archive a device keeps and offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Archive {
    pub name: String,
    pub version: String,
    pub target: String,
    pub size: u64,
}

/// A logged-in browser, as `kdc ui --sessions` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Public id, for `kdc ui --revoke ID`; not a secret.
    pub id: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339; updated in memory, written with the next login or revocation.
    pub last_seen: String,
    /// Logged in through the `--ui-listen` (LAN) address.
    pub lan: bool,
    /// The browser's User-Agent at login, cut to 200 characters.
    pub user_agent: String,
}

/// One row of `POST /v1/snapshots`' answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedArea {
    pub id: String,
    /// `true` when this device did not have the area before.
    pub created: bool,
    /// Active households after the import.
    pub households: u64,
}
