//! `kdc join` on the joining side: invite redemptions waiting for the inviter's answer, then
//! for the area to arrive. Kept by the request's id, never by position: a late answer must find
//! its own join or none. And on the inviting side, join requests waiting for the joiner's
//! identify ([`Asked`]): the invite is spent only once the inviter knows the joiner's release.

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

/// How long an inviter waits for a joiner's identify (its release) before it answers the join
/// without it. Identify arrives with the connection, so this is a bound, not a delay.
pub const RELEASE_WAIT: Duration = Duration::from_secs(2);

/// Join requests that arrived before the joiner's identify, with what answers them (`C`, a
/// response channel in the swarm). IO-free: the swarm feeds identifies and ticks.
pub struct Asked<R, C> {
    waiting: Vec<(PeerId, R, C, Instant)>,
}

impl<R, C> Default for Asked<R, C> {
    fn default() -> Self {
        Asked { waiting: Vec::new() }
    }
}

impl<R, C> Asked<R, C> {
    pub fn wait(&mut self, peer: PeerId, request: R, channel: C, now: Instant) {
        self.waiting.push((peer, request, channel, now + RELEASE_WAIT));
    }

    /// The requests of `peer`, whose identify just arrived.
    pub fn identified(&mut self, peer: PeerId) -> Vec<(PeerId, R, C)> {
        self.take(|p, _| *p == peer)
    }

    /// The requests that waited long enough: answered with what is known.
    pub fn expired(&mut self, now: Instant) -> Vec<(PeerId, R, C)> {
        self.take(|_, until| *until <= now)
    }

    fn take(&mut self, done: impl Fn(&PeerId, &Instant) -> bool) -> Vec<(PeerId, R, C)> {
        let (ready, rest) = std::mem::take(&mut self.waiting).into_iter().partition(|(p, _, _, t)| done(p, t));
        self.waiting = rest;
        ready.into_iter().map(|(p, r, c, _)| (p, r, c)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_join_waits_for_its_joiners_identify_or_the_bound() {
        let (a, b) = (PeerId::random(), PeerId::random());
        let t = Instant::now();
        let mut asked = Asked::default();
        asked.wait(a, "a1", 1, t);
        asked.wait(b, "b1", 2, t + Duration::from_millis(500));
        assert!(asked.expired(t + Duration::from_millis(100)).is_empty());
        assert_eq!(asked.identified(b), vec![(b, "b1", 2)]);
        assert!(asked.identified(b).is_empty());
        assert!(asked.expired(t + RELEASE_WAIT - Duration::from_millis(1)).is_empty());
        assert_eq!(asked.expired(t + RELEASE_WAIT), vec![(a, "a1", 1)]);
        assert!(asked.expired(t + RELEASE_WAIT * 10).is_empty());
    }
}
