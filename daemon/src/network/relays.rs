//! The areas' relays as the network task sees them: which one holds this device's reservation,
//! which answered, why one refused, and when to try the next. No IO: the event loop feeds it
//! what the swarm reports and the time, and carries out what it answers (listen on a relay's
//! circuit address, stop listening on one that left the areas).
//!
//! Invariant: at most one reservation is held or being asked for at a time; when it goes (the
//! relay restarted, vanished, refused), the next relay in the list whose backoff has passed is
//! asked, so a device falls over to a second relay within [`RETRY_MIN`].

use std::time::{Duration, Instant};

use libp2p::core::transport::ListenerId;
use libp2p::multiaddr::Protocol;
use libp2p::{Multiaddr, PeerId};

pub use kdc_api::types::RelayInfo;

use super::peers::{circuit_addr, peer_of};

/// After a relay failed or went away, it is asked again after this long, doubling up to
/// [`RETRY_MAX`]; meanwhile the others are tried.
pub const RETRY_MIN: Duration = Duration::from_secs(2);
pub const RETRY_MAX: Duration = Duration::from_secs(60);
/// A member this device cannot reach directly is dialled through a relay at most this often at
/// first, doubling up to [`RELAY_DIAL_MAX`] (each dial costs the relay a circuit request; the
/// member dials us too when it comes online).
pub const RELAY_DIAL_MIN: Duration = Duration::from_secs(15);
pub const RELAY_DIAL_MAX: Duration = Duration::from_secs(120);
/// How many relays a dial to one member goes through at once.
const CIRCUITS_PER_DIAL: usize = 2;

#[derive(Debug)]
struct Relay {
    addr: Multiaddr,
    peer: PeerId,
    listener: Option<ListenerId>,
    reserved: bool,
    reachable: Option<bool>,
    error: Option<String>,
    retry_at: Option<Instant>,
    backoff: Duration,
}

/// What the loop must do.
#[derive(Debug, PartialEq)]
pub enum Todo {
    /// Listen on this circuit address (asks the relay for a reservation).
    Listen(Multiaddr),
    /// Stop listening (the relay left every area).
    Unlisten(ListenerId),
}

#[derive(Debug, Default)]
pub struct Relays {
    list: Vec<Relay>,
}

impl Relays {
    /// Sets the relays (from every area this device holds). Answers the listeners to close.
    pub fn set(&mut self, addrs: Vec<Multiaddr>) -> Vec<Todo> {
        let mut todo = Vec::new();
        self.list.retain(|r| {
            let keep = addrs.contains(&r.addr);
            if !keep && let Some(l) = r.listener {
                todo.push(Todo::Unlisten(l));
            }
            keep
        });
        for addr in addrs {
            if self.list.iter().any(|r| r.addr == addr) {
                continue;
            }
            let Some(peer) = peer_of(&addr) else { continue };
            self.list.push(Relay {
                addr,
                peer,
                listener: None,
                reserved: false,
                reachable: None,
                error: None,
                retry_at: None,
                backoff: RETRY_MIN,
            });
        }
        todo
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn is_relay(&self, peer: &PeerId) -> bool {
        self.list.iter().any(|r| r.peer == *peer)
    }

    /// Whether this device holds a reservation on any relay.
    pub fn reserved(&self) -> bool {
        self.list.iter().any(|r| r.reserved)
    }

    /// When no reservation is held or asked for: the first relay whose backoff has passed.
    pub fn next(&mut self, now: Instant) -> Option<Multiaddr> {
        if self.list.iter().any(|r| r.listener.is_some()) {
            return None;
        }
        let r = self.list.iter_mut().find(|r| r.retry_at.is_none_or(|t| t <= now))?;
        Some(r.addr.clone().with(Protocol::P2pCircuit))
    }

    /// The loop started listening on `addr` (a relay's circuit address) as `id`.
    pub fn listening(&mut self, addr: &Multiaddr, id: ListenerId) {
        let relay: Multiaddr = addr.iter().take_while(|p| !matches!(p, Protocol::P2pCircuit)).collect();
        if let Some(r) = self.list.iter_mut().find(|r| r.addr == relay) {
            r.listener = Some(id);
        }
    }

    /// The relay accepted (or renewed) the reservation.
    pub fn accepted(&mut self, relay: PeerId) {
        if let Some(r) = self.list.iter_mut().find(|r| r.peer == relay) {
            r.reserved = true;
            r.reachable = Some(true);
            r.error = None;
            r.backoff = RETRY_MIN;
        }
    }

    /// A connection to `peer` was made (`true`) or a dial to it failed (`false`).
    pub fn contact(&mut self, peer: PeerId, ok: bool) {
        if let Some(r) = self.list.iter_mut().find(|r| r.peer == peer) {
            r.reachable = Some(ok);
        }
    }

    /// The listener `id` closed: the reservation is gone (or was refused, `error`). The next
    /// relay is asked at once; this one after its backoff. Answers whether it was a relay's.
    pub fn closed(&mut self, id: ListenerId, error: Option<String>, now: Instant) -> bool {
        let Some(r) = self.list.iter_mut().find(|r| r.listener == Some(id)) else { return false };
        r.listener = None;
        r.reserved = false;
        if error.is_some() {
            r.error = error;
        }
        r.retry_at = Some(now + r.backoff);
        r.backoff = (r.backoff * 2).min(RETRY_MAX);
        // The one that failed goes to the back of the line.
        let i = self.list.iter().position(|r| r.listener.is_none() && r.retry_at.is_some_and(|t| t > now));
        if let Some(i) = i {
            let r = self.list.remove(i);
            self.list.push(r);
        }
        true
    }

    /// Addresses that reach `peer` through the relays (the one holding our reservation first:
    /// it answered last), at most [`CIRCUITS_PER_DIAL`].
    pub fn circuits_for(&self, peer: PeerId) -> Vec<Multiaddr> {
        let mut list: Vec<&Relay> = self.list.iter().filter(|r| r.peer != peer).collect();
        list.sort_by_key(|r| (!r.reserved, r.reachable == Some(false)));
        list.into_iter().take(CIRCUITS_PER_DIAL).map(|r| circuit_addr(&r.addr, peer)).collect()
    }

    /// Every relay's listening circuit address (`RELAY/p2p-circuit`), for invites.
    pub fn listen_addrs(&self) -> Vec<Multiaddr> {
        self.list.iter().map(|r| r.addr.clone().with(Protocol::P2pCircuit)).collect()
    }

    pub fn infos(&self) -> Vec<RelayInfo> {
        let mut out: Vec<RelayInfo> = self
            .list
            .iter()
            .map(|r| RelayInfo {
                addr: r.addr.to_string(),
                reachable: r.reachable,
                reserved: r.reserved,
                error: r.error.clone(),
            })
            .collect();
        out.sort_by(|a, b| a.addr.cmp(&b.addr));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relay() -> Multiaddr {
        format!("/ip4/203.0.113.1/tcp/4001/p2p/{}", PeerId::random()).parse().unwrap()
    }

    #[test]
    fn one_reservation_and_falling_over_to_the_next() {
        let (a, b) = (relay(), relay());
        let mut relays = Relays::default();
        assert!(relays.set(vec![a.clone(), b.clone()]).is_empty());
        let t = Instant::now();
        let first = relays.next(t).unwrap();
        assert_eq!(first, a.clone().with(Protocol::P2pCircuit));
        relays.listening(&first, ListenerId::next());
        assert_eq!(relays.next(t), None, "one reservation at a time");
        let l = relays.list[0].listener.unwrap();
        relays.accepted(peer_of(&a).unwrap());
        assert!(relays.reserved());
        // The relay goes away: the next one is asked at once, the first again after its backoff.
        assert!(relays.closed(l, Some("connection closed".into()), t));
        assert!(!relays.reserved());
        assert_eq!(relays.next(t), Some(b.clone().with(Protocol::P2pCircuit)));
        let peer = PeerId::random();
        let circuits = relays.circuits_for(peer);
        assert_eq!(circuits.len(), 2);
        assert!(circuits.iter().all(|c| peer_of(c) == Some(peer)));
        // The area drops the relay that holds the listener: stop listening there.
        let second = relays.next(t).unwrap();
        let id = ListenerId::next();
        relays.listening(&second, id);
        assert_eq!(relays.set(vec![a.clone()]), vec![Todo::Unlisten(id)]);
        assert_eq!(relays.infos().len(), 1);
        assert_eq!(relays.infos()[0].error.as_deref(), Some("connection closed"));
        assert_eq!(relays.next(t + RETRY_MIN), Some(a.with(Protocol::P2pCircuit)));
    }
}
