//! `kdc join` on the joining side: invite redemptions waiting for the inviter's answer, then
//! for the area to arrive. Kept by the request's id, never by position: a late answer must find
//! its own join or none.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use libp2p::PeerId;
use libp2p::request_response::OutboundRequestId;
use tokio::sync::oneshot;

use super::NetError;

/// How long `kdc join` waits for the inviter's answer, and then again for the area.
pub const JOIN_TIMEOUT: Duration = Duration::from_secs(30);

struct PendingJoin {
    area: String,
    inviter: PeerId,
    reply: oneshot::Sender<Result<String, NetError>>,
    deadline: Instant,
    accepted: bool,
}

#[derive(Default)]
pub struct Joins {
    pending: HashMap<OutboundRequestId, PendingJoin>,
}

impl Joins {
    pub fn start(
        &mut self,
        id: OutboundRequestId,
        area: String,
        inviter: PeerId,
        reply: oneshot::Sender<Result<String, NetError>>,
        now: Instant,
    ) {
        self.pending.insert(id, PendingJoin { area, inviter, reply, deadline: now + JOIN_TIMEOUT, accepted: false });
    }

    /// Whether a join at `peer` is under way (its frames may be as large as a member's).
    pub fn waits_on(&self, peer: &PeerId) -> bool {
        self.pending.values().any(|j| j.inviter == *peer)
    }

    /// The inviter accepted: the join now waits for the area. Answers the area id.
    pub fn accepted(&mut self, id: OutboundRequestId, now: Instant) -> Option<String> {
        let j = self.pending.get_mut(&id)?;
        j.accepted = true;
        j.deadline = now + JOIN_TIMEOUT;
        Some(j.area.clone())
    }

    /// The inviter refused, or the request failed before an answer. A failure that comes after
    /// the inviter accepted does not end the join: it only waits for the area now.
    pub fn failed(&mut self, id: OutboundRequestId, error: NetError, after_accept_too: bool) {
        if self.pending.get(&id).is_some_and(|j| after_accept_too || !j.accepted)
            && let Some(j) = self.pending.remove(&id)
        {
            let _ = j.reply.send(Err(error));
        }
    }

    /// Completes the joins waiting for `area`.
    pub fn arrived(&mut self, area: &str) {
        let done: Vec<OutboundRequestId> =
            self.pending.iter().filter(|(_, j)| j.accepted && j.area == area).map(|(id, _)| *id).collect();
        for id in done {
            if let Some(j) = self.pending.remove(&id) {
                let _ = j.reply.send(Ok(j.area));
            }
        }
    }

    /// Ends the joins whose time is up.
    pub fn expire(&mut self, now: Instant) {
        let expired: Vec<OutboundRequestId> =
            self.pending.iter().filter(|(_, j)| j.deadline <= now).map(|(id, _)| *id).collect();
        for id in expired {
            if let Some(j) = self.pending.remove(&id) {
                let what = if j.accepted { "the area did not arrive" } else { "no answer from the inviter" };
                let _ = j.reply.send(Err(NetError::Unreachable(format!("{what} within {JOIN_TIMEOUT:?}"))));
            }
        }
    }
}
