//! A typed, blocking client of the control API, for `kdc` and the tests.
//!
//! [`Client::from_data_dir`] finds the daemon through `DATA_DIR/api.addr` and authenticates
//! with `DATA_DIR/api.token`. Every method is one endpoint of docs/API.md. Methods that answer
//! with an area-shaped document are generic in the answer type: ask for `serde_json::Value` to
//! print the daemon's JSON unchanged (`--json`), or for the `crdt_model` type to read fields:
//!
//! ```no_run
//! # use kdc_api::client::Client;
//! let client = Client::from_data_dir(std::path::Path::new("/tmp/kdc"))?;
//! let raw: serde_json::Value = client.status("tam-giac-3")?;
//! let typed: crdt_model::Status = client.status("tam-giac-3")?;
//! # Ok::<(), kdc_api::client::ClientError>(())
//! ```
//!
//! Errors carry the exit code `kdc` uses ([`ClientError::exit_code`]).

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use ureq::Agent;
use ureq::http::Response;

use crate::types::{
    CreateArea, ErrorBody, HouseholdPatch, HouseholdQuery, IdInfo, ImportReport, InviteInfo, InviteRequest, JoinBody,
    Joined, NewHousehold, NewMember, PeerAddr,
};
use crate::{ADDR_FILE, JSON_BODY_LIMIT, SNAPSHOT_BODY_LIMIT, TOKEN_FILE};

/// Time to establish the TCP connection: the daemon is local, so a slow connect means it is
/// not there.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Whole-request limit: a write waits for an fsync; a snapshot may be large.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// `join` waits for the inviter to be dialled, to accept, and for the area to arrive.
/// How long `kdc update` waits for the fetch, checks and install (a 10 MB archive from a
/// teammate on a slow Wi-Fi).
pub const UPDATE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);
pub const JOIN_TIMEOUT: Duration = Duration::from_secs(150);

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No daemon answers for this data directory.
    #[error("kdcd is not running for data directory {} ({reason}); start it with `kdcd --data-dir {}`", .data_dir.display(), .data_dir.display())]
    NotRunning { data_dir: PathBuf, reason: String },
    /// The daemon refused the request. `reason` comes with kind `storage` (`disk_full`,
    /// `read_only`, `io_error`).
    #[error("{message}")]
    Api { status: u16, kind: String, message: String, field: Option<String>, reason: Option<String> },
    /// The connection broke or timed out mid-request.
    #[error("talking to kdcd failed: {0}")]
    Transport(String),
    /// The daemon's answer is not what this client understands.
    #[error("unexpected answer from kdcd: {0}")]
    Decode(String),
    /// The request is larger than the daemon accepts; refused before sending (a daemon that
    /// stops reading mid-upload would otherwise show up as a broken connection).
    #[error("the {what} is {size} bytes; kdcd accepts at most {limit} bytes")]
    TooLarge { what: &'static str, size: usize, limit: usize },
}

impl ClientError {
    /// The `kdc` exit code for this error (CONTRACT.md): 1 runtime failure, 2 invalid input
    /// or conflict, 3 daemon not reachable, 4 not found.
    pub fn exit_code(&self) -> u8 {
        match self {
            ClientError::NotRunning { .. } => 3,
            ClientError::Api { status, kind, .. } => match kind.as_str() {
                "invalid_input" | "conflict" => 2,
                "not_found" => 4,
                // `unreachable`: the daemon runs but could not reach a peer. `storage`: its
                // disk is full or read-only.
                "unauthorized" | "internal" | "unreachable" | "storage" | "refused" => 1,
                // A kind added by a newer daemon: fall back on the status.
                _ => match status {
                    400 | 409 | 413 | 422 => 2,
                    404 => 4,
                    _ => 1,
                },
            },
            ClientError::TooLarge { .. } => 2,
            ClientError::Transport(_) | ClientError::Decode(_) => 1,
        }
    }

    /// The field or argument at fault, when the daemon named one.
    pub fn field(&self) -> Option<&str> {
        match self {
            ClientError::Api { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    /// The error kind: the API's `kind` for refusals (`invalid_input` for a request too
    /// large to send), else `not_running`, `transport` or `decode`.
    pub fn kind(&self) -> &str {
        match self {
            ClientError::NotRunning { .. } => "not_running",
            ClientError::Api { kind, .. } => kind,
            ClientError::TooLarge { .. } => "invalid_input",
            ClientError::Transport(_) => "transport",
            ClientError::Decode(_) => "decode",
        }
    }
}

pub type Result<T, E = ClientError> = std::result::Result<T, E>;

/// A connection to one daemon. Cheap to clone; `Send + Sync`; keeps connections alive.
#[derive(Debug, Clone)]
pub struct Client {
    agent: Agent,
    base: String,
    auth: String,
    /// For "not running" messages.
    data_dir: PathBuf,
}

impl Client {
    /// Finds the daemon of a data directory. `NotRunning` if it never started there or has
    /// stopped (files missing); a stale address is detected at the first request.
    pub fn from_data_dir(dir: &Path) -> Result<Client> {
        let not_running = |reason: String| ClientError::NotRunning { data_dir: dir.to_path_buf(), reason };
        let addr_text = read_file(&dir.join(ADDR_FILE)).map_err(|e| not_running(format!("no {ADDR_FILE}: {e}")))?;
        let token = read_file(&dir.join(TOKEN_FILE)).map_err(|e| not_running(format!("no {TOKEN_FILE}: {e}")))?;
        let addr: SocketAddr =
            addr_text.parse().map_err(|_| not_running(format!("{ADDR_FILE} holds {addr_text:?}, not an address")))?;
        Ok(Client::with_data_dir(addr, &token, dir))
    }

    /// A client for a known address and token.
    pub fn new(addr: SocketAddr, token: &str) -> Client {
        Client::with_data_dir(addr, token, Path::new("?"))
    }

    fn with_data_dir(addr: SocketAddr, token: &str, dir: &Path) -> Client {
        let config = Agent::config_builder()
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(REQUEST_TIMEOUT))
            // Error statuses carry a JSON body we want to read.
            .http_status_as_error(false)
            .build();
        Client {
            agent: config.into(),
            base: format!("http://{}", connectable(addr)),
            auth: format!("Bearer {}", token.trim()),
            data_dir: dir.to_path_buf(),
        }
    }

    /// The base URL, e.g. `http://127.0.0.1:7420`.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    // -- endpoints ---------------------------------------------------------------------------

    /// `GET /v1/id`.
    pub fn id(&self) -> Result<IdInfo> {
        self.get_json("/v1/id", &[])
    }

    /// `GET /v1/areas`: `[{"id","name","ward","households"}]`.
    pub fn areas<T: DeserializeOwned>(&self) -> Result<T> {
        self.get_json("/v1/areas", &[])
    }

    /// `POST /v1/areas/{area}/profile/upgrade`: `{"profile", "version"}`.
    pub fn upgrade_profile<T: DeserializeOwned>(&self, area: &str) -> Result<T> {
        let url = self.url(&format!("/v1/areas/{}/profile/upgrade", seg(area)));
        self.send_json(self.agent.post(url), &serde_json::json!({}))
    }

    /// `POST /v1/areas`: the new area's summary.
    pub fn create_area<T: DeserializeOwned>(&self, req: &CreateArea) -> Result<T> {
        self.send_json(self.agent.post(self.url("/v1/areas")), req)
    }

    /// `GET /v1/areas/{area}`: the area summary.
    pub fn area<T: DeserializeOwned>(&self, area: &str) -> Result<T> {
        self.get_json(&format!("/v1/areas/{}", seg(area)), &[])
    }

    /// `GET /v1/areas/{area}/profile`.
    pub fn profile<T: DeserializeOwned>(&self, area: &str) -> Result<T> {
        self.get_json(&format!("/v1/areas/{}/profile", seg(area)), &[])
    }

    /// `GET /v1/areas/{area}/status`.
    pub fn status<T: DeserializeOwned>(&self, area: &str) -> Result<T> {
        self.get_json(&format!("/v1/areas/{}/status", seg(area)), &[])
    }

    /// `GET /v1/areas/{area}/households?...`.
    pub fn households<T: DeserializeOwned>(&self, area: &str, query: &HouseholdQuery) -> Result<T> {
        let mut q: Vec<(&str, &str)> = Vec::new();
        if let Some(g) = &query.group {
            q.push(("group", g));
        }
        if let Some(m) = &query.missing {
            q.push(("missing", m));
        }
        if query.archived {
            q.push(("archived", "true"));
        }
        self.get_json(&format!("/v1/areas/{}/households", seg(area)), &q)
    }

    /// `POST /v1/areas/{area}/households`: the household as `GET` shows it.
    pub fn add_household<T: DeserializeOwned>(&self, area: &str, req: &NewHousehold) -> Result<T> {
        self.send_json(self.agent.post(self.url(&format!("/v1/areas/{}/households", seg(area)))), req)
    }

    /// `GET /v1/areas/{area}/households/{hh}`.
    pub fn household<T: DeserializeOwned>(&self, area: &str, hh: &str) -> Result<T> {
        self.get_json(&format!("/v1/areas/{}/households/{}", seg(area), seg(hh)), &[])
    }

    /// `PATCH /v1/areas/{area}/households/{hh}`: the household after the change.
    pub fn update_household<T: DeserializeOwned>(&self, area: &str, hh: &str, req: &HouseholdPatch) -> Result<T> {
        let url = self.url(&format!("/v1/areas/{}/households/{}", seg(area), seg(hh)));
        self.send_json(self.agent.patch(url), req)
    }

    /// `POST /v1/areas/{area}/households/{hh}/consent`: the household after the decision.
    pub fn record_consent<T: DeserializeOwned>(
        &self,
        area: &str,
        hh: &str,
        req: &crdt_model::ConsentChange,
    ) -> Result<T> {
        let url = self.url(&format!("/v1/areas/{}/households/{}/consent", seg(area), seg(hh)));
        self.send_json(self.agent.post(url), req)
    }

    /// `POST /v1/areas/{area}/households/{hh}/erase`: the area's erasure status after it.
    pub fn erase_household<T: DeserializeOwned>(&self, area: &str, hh: &str) -> Result<T> {
        let url = self.url(&format!("/v1/areas/{}/households/{}/erase", seg(area), seg(hh)));
        self.send_json(self.agent.post(url), &serde_json::json!({}))
    }

    /// `GET /v1/areas/{area}/erasure`: which members' devices hold the current epoch.
    pub fn erasure_status<T: DeserializeOwned>(&self, area: &str) -> Result<T> {
        self.get_json(&format!("/v1/areas/{}/erasure", seg(area)), &[])
    }

    /// `POST /v1/areas/{area}/households/{hh}/archive`: the household after archiving.
    pub fn archive_household<T: DeserializeOwned>(&self, area: &str, hh: &str) -> Result<T> {
        let url = self.url(&format!("/v1/areas/{}/households/{}/archive", seg(area), seg(hh)));
        let response = self.agent.post(url).header("Authorization", &self.auth).send_empty();
        self.json(response)
    }

    /// `GET /v1/areas/{area}/members`.
    pub fn members<T: DeserializeOwned>(&self, area: &str) -> Result<T> {
        self.get_json(&format!("/v1/areas/{}/members", seg(area)), &[])
    }

    /// `POST /v1/areas/{area}/members`: the roster entry as added or updated.
    pub fn add_member<T: DeserializeOwned>(&self, area: &str, req: &NewMember) -> Result<T> {
        self.send_json(self.agent.post(self.url(&format!("/v1/areas/{}/members", seg(area)))), req)
    }

    /// `DELETE /v1/areas/{area}/members/{peer_id}`: the roster entry, marked removed.
    pub fn remove_member<T: DeserializeOwned>(&self, area: &str, peer_id: &str) -> Result<T> {
        let url = self.url(&format!("/v1/areas/{}/members/{}", seg(area), seg(peer_id)));
        self.json(self.agent.delete(url).header("Authorization", &self.auth).call())
    }

    /// `GET /v1/areas/{area}/relays`: `[{"addr", "reachable", "reserved"}]`.
    pub fn relays<T: DeserializeOwned>(&self, area: &str) -> Result<T> {
        self.get_json(&format!("/v1/areas/{}/relays", seg(area)), &[])
    }

    /// `POST /v1/areas/{area}/relays`: the relays after adding `addr` (head only).
    pub fn add_relay<T: DeserializeOwned>(&self, area: &str, addr: &str) -> Result<T> {
        let req = PeerAddr { addr: addr.to_string() };
        self.send_json(self.agent.post(self.url(&format!("/v1/areas/{}/relays", seg(area)))), &req)
    }

    /// `POST /v1/areas/{area}/relays/remove`: the relays after removing `addr` (head only).
    pub fn remove_relay<T: DeserializeOwned>(&self, area: &str, addr: &str) -> Result<T> {
        let req = PeerAddr { addr: addr.to_string() };
        self.send_json(self.agent.post(self.url(&format!("/v1/areas/{}/relays/remove", seg(area)))), &req)
    }

    /// `POST /v1/areas/{area}/invites`: `{"token", "expires_at"}`.
    pub fn create_invite<T: DeserializeOwned>(&self, area: &str, req: &InviteRequest) -> Result<T> {
        self.send_json(self.agent.post(self.url(&format!("/v1/areas/{}/invites", seg(area)))), req)
    }

    /// [`Client::create_invite`] with the default validity, typed.
    pub fn invite(&self, area: &str) -> Result<InviteInfo> {
        self.create_invite(area, &InviteRequest::default())
    }

    /// `POST /v1/join`: redeems an invite token; answers once the area is on this device.
    /// Waits up to [`JOIN_TIMEOUT`].
    pub fn join<T: DeserializeOwned>(&self, token: &str) -> Result<T> {
        let request = self.agent.post(self.url("/v1/join")).config().timeout_global(Some(JOIN_TIMEOUT)).build();
        self.send_json(request, &JoinBody { token: token.to_string() })
    }

    /// [`Client::join`], typed: the id of the area joined.
    pub fn join_area(&self, token: &str) -> Result<String> {
        self.join::<Joined>(token).map(|j| j.area)
    }

    /// `GET /v1/peers`: `[{"peer_id", "name", "addrs", "connected", "last_seen", "areas_in_sync"}]`.
    pub fn peers<T: DeserializeOwned>(&self) -> Result<T> {
        self.get_json("/v1/peers", &[])
    }

    /// `GET /v1/update`: `{"current", "target", "offers": [{"version", "from", "target", "name", "size"}]}`.
    pub fn update_check<T: DeserializeOwned>(&self) -> Result<T> {
        self.get_json("/v1/update", &[])
    }

    /// `POST /v1/update`: fetches, checks and installs the newest release a teammate offers (or
    /// `version`); kdcd restarts once it has answered. Waits up to [`UPDATE_TIMEOUT`].
    pub fn update_install<T: DeserializeOwned>(&self, version: Option<&str>) -> Result<T> {
        let request = self.agent.post(self.url("/v1/update")).config().timeout_global(Some(UPDATE_TIMEOUT)).build();
        self.send_json(request, &serde_json::json!({ "version": version }))
    }

    /// `POST /v1/update/rollback`: the previous binaries back in place; kdcd restarts.
    pub fn update_rollback<T: DeserializeOwned>(&self) -> Result<T> {
        self.send_json(self.agent.post(self.url("/v1/update/rollback")), &serde_json::json!({}))
    }

    /// `POST /v1/update/import`: keeps a signed archive on this machine to offer to teammates.
    pub fn update_import<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.send_json(self.agent.post(self.url("/v1/update/import")), &serde_json::json!({ "path": path }))
    }

    /// `GET /v1/doctor[?area=AREA]`: the connectivity check of `kdc doctor`.
    pub fn doctor<T: DeserializeOwned>(&self, area: Option<&str>) -> Result<T> {
        match area {
            Some(a) => self.get_json("/v1/doctor", &[("area", a)]),
            None => self.get_json("/v1/doctor", &[]),
        }
    }

    /// `POST /v1/peers`: dials `addr` now and keeps redialling it.
    pub fn add_peer<T: DeserializeOwned>(&self, addr: &str) -> Result<T> {
        self.send_json(self.agent.post(self.url("/v1/peers")), &PeerAddr { addr: addr.to_string() })
    }

    /// `GET /v1/areas/{area}/conflicts`.
    pub fn conflicts<T: DeserializeOwned>(&self, area: &str) -> Result<T> {
        self.get_json(&format!("/v1/areas/{}/conflicts", seg(area)), &[])
    }

    /// `GET /v1/areas/{area}/snapshot`: the snapshot file's bytes.
    pub fn export_snapshot(&self, area: &str) -> Result<Vec<u8>> {
        let url = self.url(&format!("/v1/areas/{}/snapshot", seg(area)));
        let response = self.agent.get(url).header("Authorization", &self.auth).call();
        let mut response = self.check(response)?;
        response.body_mut().with_config().limit(SNAPSHOT_BODY_LIMIT as u64).read_to_vec().map_err(|e| self.transport(e))
    }

    /// `POST /v1/snapshots`: which areas were created or merged.
    pub fn import_snapshot(&self, bytes: &[u8]) -> Result<ImportReport> {
        if bytes.len() > SNAPSHOT_BODY_LIMIT {
            return Err(ClientError::TooLarge { what: "snapshot", size: bytes.len(), limit: SNAPSHOT_BODY_LIMIT });
        }
        let response = self
            .agent
            .post(self.url("/v1/snapshots"))
            .header("Authorization", &self.auth)
            .content_type("application/octet-stream")
            .send(bytes);
        self.json(response)
    }

    /// `POST /v1/ui/logins`: a one-time login URL for the web app (`lan`: at the `--ui-listen`
    /// address, for a browser on another device).
    pub fn ui_login<T: DeserializeOwned>(&self, lan: bool) -> Result<T> {
        self.send_json(self.agent.post(self.url("/v1/ui/logins")), &crate::types::LoginRequest { lan })
    }

    /// `GET /v1/ui/sessions`: the browsers logged in to the web app.
    pub fn ui_sessions<T: DeserializeOwned>(&self) -> Result<T> {
        self.get_json("/v1/ui/sessions", &[])
    }

    /// `DELETE /v1/ui/sessions/{id}`: logs that browser out.
    pub fn ui_revoke<T: DeserializeOwned>(&self, id: &str) -> Result<T> {
        let url = self.url(&format!("/v1/ui/sessions/{}", seg(id)));
        self.json(self.agent.delete(url).header("Authorization", &self.auth).call())
    }

    // -- plumbing ----------------------------------------------------------------------------

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn get_json<T: DeserializeOwned>(&self, path: &str, query: &[(&str, &str)]) -> Result<T> {
        let mut request = self.agent.get(self.url(path)).header("Authorization", &self.auth);
        for (k, v) in query {
            request = request.query(*k, *v);
        }
        self.json(request.call())
    }

    fn send_json<T: DeserializeOwned, B: Serialize>(
        &self,
        request: ureq::RequestBuilder<ureq::typestate::WithBody>,
        body: &B,
    ) -> Result<T> {
        let body =
            serde_json::to_vec(body).map_err(|e| ClientError::Decode(format!("cannot encode the request: {e}")))?;
        if body.len() > JSON_BODY_LIMIT {
            return Err(ClientError::TooLarge { what: "request", size: body.len(), limit: JSON_BODY_LIMIT });
        }
        let request = request.header("Authorization", &self.auth).content_type("application/json");
        self.json(request.send(&body[..]))
    }

    fn json<T: DeserializeOwned>(&self, response: Result<Response<ureq::Body>, ureq::Error>) -> Result<T> {
        let mut response = self.check(response)?;
        let bytes = response.body_mut().read_to_vec().map_err(|e| self.transport(e))?;
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode(e.to_string()))
    }

    /// Turns connection failures and error statuses into [`ClientError`]s.
    fn check(&self, response: Result<Response<ureq::Body>, ureq::Error>) -> Result<Response<ureq::Body>> {
        let mut response = response.map_err(|e| self.transport(e))?;
        let status = response.status().as_u16();
        if status < 400 {
            return Ok(response);
        }
        let bytes = response.body_mut().read_to_vec().unwrap_or_default();
        Err(match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => ClientError::Api {
                status,
                kind: body.error.kind,
                message: body.error.message,
                field: body.error.field,
                reason: body.error.reason,
            },
            // Not our daemon's error shape (e.g. another program took the port).
            Err(_) => ClientError::Api {
                status,
                kind: kind_for_status(status).to_string(),
                message: format!("HTTP {status}: {}", String::from_utf8_lossy(&bytes).trim()),
                field: None,
                reason: None,
            },
        })
    }

    /// Classifies a ureq error: failing to reach the daemon at all is `NotRunning`.
    fn transport(&self, e: ureq::Error) -> ClientError {
        let unreachable = match &e {
            ureq::Error::Io(io) => matches!(
                io.kind(),
                io::ErrorKind::ConnectionRefused
                    | io::ErrorKind::AddrNotAvailable
                    | io::ErrorKind::HostUnreachable
                    | io::ErrorKind::NetworkUnreachable
            ),
            ureq::Error::Timeout(ureq::Timeout::Connect) => true,
            ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => true,
            _ => false,
        };
        if unreachable {
            ClientError::NotRunning {
                data_dir: self.data_dir.clone(),
                reason: format!("{} does not answer: {e}", self.base),
            }
        } else {
            ClientError::Transport(e.to_string())
        }
    }
}

fn kind_for_status(status: u16) -> &'static str {
    match status {
        400 | 413 | 422 => "invalid_input",
        401 => "unauthorized",
        404 => "not_found",
        409 => "conflict",
        502 => "unreachable",
        507 => "storage",
        _ => "internal",
    }
}

fn read_file(path: &Path) -> io::Result<String> {
    let text = std::fs::read_to_string(path)?;
    let text = text.trim();
    if text.is_empty() {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "empty file"));
    }
    Ok(text.to_string())
}

/// A daemon bound to the unspecified address is reached on loopback.
fn connectable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::new(Ipv4Addr::LOCALHOST.into(), addr.port()),
        IpAddr::V6(ip) if ip.is_unspecified() => SocketAddr::new(Ipv6Addr::LOCALHOST.into(), addr.port()),
        _ => addr,
    }
}

/// Percent-encodes one path segment. Valid ids never need it, but an invalid one typed by a
/// user must reach the daemon intact to be refused with a clear message, not mangle the path.
fn seg(s: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    // RFC 3986's unreserved characters stay as they are.
    const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
    utf8_percent_encode(s, SEGMENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_api_table() {
        let api = |status, kind: &str| ClientError::Api {
            status,
            kind: kind.into(),
            message: String::new(),
            field: None,
            reason: None,
        };
        assert_eq!(api(400, "invalid_input").exit_code(), 2);
        assert_eq!(api(401, "unauthorized").exit_code(), 1);
        assert_eq!(api(404, "not_found").exit_code(), 4);
        assert_eq!(api(409, "conflict").exit_code(), 2);
        assert_eq!(api(500, "internal").exit_code(), 1);
        assert_eq!(api(404, "something_new").exit_code(), 4);
        assert_eq!(api(502, "unreachable").exit_code(), 1);
        assert_eq!(api(507, "storage").exit_code(), 1);
        let nr = ClientError::NotRunning { data_dir: PathBuf::from("/x"), reason: "r".into() };
        assert_eq!(nr.exit_code(), 3);
        assert_eq!(ClientError::Transport("t".into()).exit_code(), 1);
    }

    #[test]
    fn missing_files_mean_not_running() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let err = Client::from_data_dir(tmp.path()).expect_err("no files");
        assert_eq!(err.exit_code(), 3, "{err}");
    }

    #[test]
    fn refused_connection_means_not_running() {
        // Bind and drop a listener to get a port nobody listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
        let client = Client::new(SocketAddr::from(([127, 0, 0, 1], port)), "t");
        let err = client.id().expect_err("nobody listens");
        assert!(matches!(err, ClientError::NotRunning { .. }), "{err:?}");
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(seg("T3-045"), "T3-045");
        assert_eq!(seg("a/b c"), "a%2Fb%20c");
        assert_eq!(seg("Tổ~1_x.y"), "T%E1%BB%95~1_x.y");
        assert_eq!(connectable("0.0.0.0:7".parse().expect("addr")).to_string(), "127.0.0.1:7");
    }
}
