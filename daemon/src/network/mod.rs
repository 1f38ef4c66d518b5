//! Peer-to-peer sync over libp2p.
//!
//! One task owns the `Swarm`; the rest of the daemon talks to it through a cloneable
//! [`NetHandle`]: a bounded channel of [`Command`]s, each with a oneshot reply.

use libp2p::{Multiaddr, PeerId};
use tokio::sync::{mpsc, oneshot};

pub use kdc_api::types::{PeerInfo, Refusal};

/// Why a network command failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum NetError {
    /// The other side (or this side) refused: bad, used or expired token, not a member...
    /// Maps to invalid input (exit 2).
    #[error("{0}")]
    Refused(String),
    /// Could not reach the peer in time.
    #[error("could not reach the peer: {0}")]
    Unreachable(String),
    /// The network task has stopped (daemon shutting down).
    #[error("the network layer is not running")]
    Stopped,
    /// The network task did not answer within [`ANSWER_WITHIN`] (starting, or stuck).
    #[error("the network layer did not answer within {} s (kdcd may still be starting); try again", ANSWER_WITHIN.as_secs())]
    Busy,
}

/// How long a question to the network task (addresses, peers, relays, a dial) may wait. It
/// answers in microseconds unless its task is held up; then the control API answers with
/// [`NetError::Busy`] (or without the network's part) instead of making `kdc` wait.
pub const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);

pub use crate::invite::JoinRequest;

#[derive(Debug)]
pub enum Command {
    ListenAddrs {
        reply: oneshot::Sender<Vec<Multiaddr>>,
    },
    Peers {
        reply: oneshot::Sender<Vec<PeerInfo>>,
    },
    /// Whether mDNS discovery runs (it may be off by flag or fail to start).
    Mdns {
        reply: oneshot::Sender<bool>,
    },
    Dial {
        addr: Multiaddr,
        reply: oneshot::Sender<Result<(), NetError>>,
    },
    /// The areas' relays and this device's standing with each.
    Relays {
        reply: oneshot::Sender<Vec<relays::RelayInfo>>,
    },
    /// Dial the inviter, present the secret, wait until the area has arrived; answers the area id.
    Join {
        request: JoinRequest,
        reply: oneshot::Sender<Result<String, NetError>>,
    },
    /// The release archives connected peers offer (asked of each peer on a newer release).
    UpdateOffers {
        reply: oneshot::Sender<Vec<(PeerId, crate::update::Archive)>>,
    },
    /// One `/kdc/update/1` request to a peer, answered with its response.
    UpdateRequest {
        peer: PeerId,
        request: update::UpdateRequest,
        reply: oneshot::Sender<Result<update::UpdateResponse, NetError>>,
    },
}

/// Cloneable handle on the network task.
#[derive(Debug, Clone)]
pub struct NetHandle {
    tx: mpsc::Sender<Command>,
}

impl NetHandle {
    pub fn new(tx: mpsc::Sender<Command>) -> NetHandle {
        NetHandle { tx }
    }

    /// Asks the network task, waiting at most [`ANSWER_WITHIN`].
    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Command) -> Result<T, NetError> {
        tokio::time::timeout(ANSWER_WITHIN, self.ask_unbounded(make)).await.map_err(|_| NetError::Busy)?
    }

    /// Asks the network task and waits for as long as its answer takes (a join has its own bounds).
    async fn ask_unbounded<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Command) -> Result<T, NetError> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(make(reply)).await.map_err(|_| NetError::Stopped)?;
        rx.await.map_err(|_| NetError::Stopped)
    }

    /// Addresses the swarm listens on (with `/p2p/` left off).
    pub async fn listen_addrs(&self) -> Result<Vec<Multiaddr>, NetError> {
        self.ask(|reply| Command::ListenAddrs { reply }).await
    }

    pub async fn peers(&self) -> Result<Vec<PeerInfo>, NetError> {
        self.ask(|reply| Command::Peers { reply }).await
    }

    pub async fn mdns_running(&self) -> Result<bool, NetError> {
        self.ask(|reply| Command::Mdns { reply }).await
    }

    /// Dials an address now and keeps redialling it with backoff; remembered across restarts.
    pub async fn dial(&self, addr: Multiaddr) -> Result<(), NetError> {
        self.ask(|reply| Command::Dial { addr, reply }).await?
    }

    pub async fn relays(&self) -> Result<Vec<relays::RelayInfo>, NetError> {
        self.ask(|reply| Command::Relays { reply }).await
    }

    /// What connected peers on newer releases offer (asked when each said its release).
    pub async fn update_offers(&self) -> Result<Vec<(PeerId, crate::update::Archive)>, NetError> {
        self.ask(|reply| Command::UpdateOffers { reply }).await
    }

    /// One request to a peer's `/kdc/update/1` (its own 30 s timeout).
    pub async fn update_request(
        &self,
        peer: PeerId,
        request: update::UpdateRequest,
    ) -> Result<update::UpdateResponse, NetError> {
        self.ask_unbounded(|reply| Command::UpdateRequest { peer, request, reply }).await?
    }

    /// Redeems an invite at the inviter; answers the area id once it is stored here.
    pub async fn join(&self, request: JoinRequest) -> Result<String, NetError> {
        self.ask_unbounded(|reply| Command::Join { request, reply }).await?
    }
}

pub mod behaviour;
pub mod codec;
pub mod joins;
pub mod link;
pub mod peers;
pub mod relays;
pub mod sessions;
pub mod swarm;
pub mod update;

pub use swarm::{NetConfig, spawn};
