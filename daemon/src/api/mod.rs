//! The control API (docs/API.md) and the web app, on one local HTTP/1.1 port.
//!
//! - `/v1/…`: JSON for `kdc` and scripts, bearer-token auth ([`auth`]); every error answer is
//!   `{"error": {"kind", "message", "field"?}}` ([`error`]), including the ones axum's own
//!   extractors would give as plain text ([`extract`]). Endpoints are in [`routes`].
//! - everything else: the web app ([`crate::web`]), session-cookie auth.
//!
//! Handlers are thin: they parse the request, hand the work to [`Node`] (which runs it on a
//! blocking thread) and map the result. Operations that both faces need (invites, joining,
//! peers) are methods of [`AppState`], so the rule lives once.

pub mod auth;
pub mod doctor;
pub mod error;
pub mod events;
pub mod extract;
pub mod routes;
pub mod ui;
pub mod update;

pub use error::{ApiError, ApiResult};

use crate::invite::InviteToken;
use crate::network::{NetError, NetHandle, PeerInfo};
use crate::node::members::{DEFAULT_INVITE_TTL, MAX_INVITE_TTL};
use types::InviteInfo;

pub use crate::state::AppState;
/// The API's request and answer bodies (crate `kdc-api`, shared with `kdc`).
pub use kdc_api::types;
pub use kdc_api::{JSON_BODY_LIMIT, SNAPSHOT_BODY_LIMIT};

impl AppState {
    /// Where peers can reach this device: the swarm's listen addresses, or `listen` without one.
    /// A network layer that has stopped (shutting down) listens nowhere.
    pub async fn listen_addrs(&self) -> Vec<libp2p::Multiaddr> {
        match &self.net {
            Some(net) => net.listen_addrs().await.unwrap_or_default(),
            None => self.listen.iter().filter_map(|a| a.parse().ok()).collect(),
        }
    }

    fn network(&self) -> ApiResult<&NetHandle> {
        self.net.as_ref().ok_or_else(|| ApiError::internal(NetError::Stopped.to_string()))
    }

    /// A one-time invitation to `area`, valid `ttl_secs` (default one day).
    pub async fn invite(&self, area: String, ttl_secs: Option<u64>) -> ApiResult<InviteInfo> {
        let ttl = match ttl_secs {
            None => DEFAULT_INVITE_TTL,
            Some(secs) if (1..=MAX_INVITE_TTL.as_secs()).contains(&secs) => std::time::Duration::from_secs(secs),
            Some(secs) => {
                return Err(ApiError::invalid(
                    Some("ttl_secs"),
                    format!("ttl_secs: {secs} is out of range; allowed: 1..={}", MAX_INVITE_TTL.as_secs()),
                ));
            }
        };
        let inviter: libp2p::PeerId = self
            .node
            .peer_id()
            .parse()
            .map_err(|e| ApiError::internal(format!("this device's peer id does not parse: {e}")))?;
        let (secret, expires_at_ms) = self.node.create_invite(area.clone(), ttl).await?;
        let addrs = self.listen_addrs().await;
        let token = InviteToken { area, inviter, addrs, secret, expires_at_ms };
        Ok(InviteInfo { token: token.encode(), expires_at: crdt_model::area::rfc3339(expires_at_ms) })
    }

    /// Joins the area of an invite token; answers the area id once the area is here.
    pub async fn join(&self, token: &str) -> ApiResult<String> {
        let token = InviteToken::decode(token.trim()).map_err(|e| ApiError::invalid(Some("token"), e.to_string()))?;
        if token.expires_at_ms <= crate::node::now_ms() {
            // The inviter would refuse it too; saying so here spares a dial that cannot succeed.
            return Err(ApiError::invalid(
                Some("token"),
                format!(
                    "invite refused: the invite expired at {}; ask for a new one",
                    crdt_model::area::rfc3339(token.expires_at_ms)
                ),
            ));
        }
        self.network()?.join(token.join_request()).await.map_err(|e| ApiError::net(e, "token"))
    }

    /// Every peer this device knows of.
    pub async fn peers(&self) -> ApiResult<Vec<PeerInfo>> {
        match &self.net {
            Some(net) => net.peers().await.map_err(|e| ApiError::net(e, "peer")),
            None => Ok(Vec::new()),
        }
    }

    /// The area's relays with this device's standing at each (`kdc area relay list`).
    pub async fn relays(&self, area: String) -> ApiResult<Vec<crate::network::relays::RelayInfo>> {
        let addrs = self.node.relays(area).await?;
        let known = match &self.net {
            Some(net) => net.relays().await.unwrap_or_default(),
            None => Vec::new(),
        };
        Ok(addrs
            .into_iter()
            .map(|addr| {
                known.iter().find(|r| r.addr == addr).cloned().unwrap_or(crate::network::relays::RelayInfo {
                    addr,
                    reachable: None,
                    reserved: false,
                    error: None,
                })
            })
            .collect())
    }

    /// Dials `addr` (a multiaddr as text) and keeps redialling it.
    pub async fn add_peer(&self, addr: &str) -> ApiResult<libp2p::Multiaddr> {
        let parsed: libp2p::Multiaddr = addr.trim().parse().map_err(|e| {
            ApiError::invalid(
                Some("addr"),
                format!("addr: {addr:?} is not a multiaddr ({e}); e.g. /ip4/192.168.1.20/tcp/41234"),
            )
        })?;
        self.network()?.dial(parsed.clone()).await.map_err(|e| ApiError::net(e, "addr"))?;
        Ok(parsed)
    }
}
