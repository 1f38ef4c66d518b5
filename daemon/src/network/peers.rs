//! What the network task knows of each peer: addresses (kept across restarts in
//! [`PEERS_FILE`]), open connections and their pings, when to dial it next, and the figures
//! `kdc peers` shows. The decisions about connections (which one to keep of two, which is dead)
//! are plain functions of these records and the time, so both devices of a pair decide alike.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, Instant};

pub use crate::addrs::{is_relayed, relay_address};
use libp2p::swarm::ConnectionId;
use libp2p::{Multiaddr, PeerId, multiaddr::Protocol};

use super::Refusal;

/// File of peer addresses seen, kept across restarts.
pub const PEERS_FILE: &str = "peers.json";
/// File of the release each peer last announced (`{peer id: "0.2.0"}`), kept across restarts
/// so the doctor and the team page name a member on an older release while it is away. A file
/// of its own: an older release reading `peers.json` after a rollback finds it as it wrote it.
pub const VERSIONS_FILE: &str = "peer-versions.json";
/// Redial backoff for `--peer` addresses and for roster members with known addresses. Short: on
/// a LAN a dial is one SYN, and a member whose Wi-Fi comes back must be found again within
/// seconds.
pub const REDIAL_MIN: Duration = Duration::from_millis(500);
pub const REDIAL_MAX: Duration = Duration::from_secs(2);
/// A peer found by mDNS is dialled at once by the device with the smaller peer id; the other
/// dials only if still not connected after this long (two dials at once cannot then collide).
pub const MDNS_DEFER: Duration = Duration::from_secs(3);
/// A connection none of whose pings was answered for this long is closed. libp2p-ping itself
/// reports only the second failure in a row, and after the first one it renegotiates the
/// protocol under a 10 s timeout: left to it, a dead link took 16 s to be closed.
pub const DEAD_AFTER: Duration = Duration::from_secs(6);
/// Two connections to one peer established this close together are a simultaneous dial (both
/// alive): both devices keep the one dialled by the smaller peer id. Further apart, the newer
/// wins (the older one most likely leads to a process that is gone).
pub const SIMULTANEOUS: Duration = Duration::from_secs(2);

/// One open connection to a peer.
#[derive(Debug, Clone, Copy)]
pub struct Conn {
    pub id: ConnectionId,
    pub since: Instant,
    pub we_dialled: bool,
    /// When it last answered a ping (at first: when it was established); `None` once the peer
    /// said it does not speak ping (then it is never judged dead by ping).
    pub last_pong: Option<Instant>,
    /// Asked to close (no ping answered) and not closed yet: as good as gone.
    pub closing: bool,
    /// Through a relay (`/p2p-circuit`).
    pub relayed: bool,
}

#[derive(Default)]
pub struct PeerState {
    pub addrs: BTreeSet<Multiaddr>,
    pub last_seen_ms: Option<i64>,
    pub agent_name: Option<String>,
    /// The release it last announced (libp2p identify's agent), kept across restarts.
    pub version: Option<semver::Version>,
    pub last_refusal: Option<Refusal>,
    /// Connected through an explicit `--peer` / `kdc peer add` address: the user vouches for it.
    pub explicit: bool,
    pub conns: Vec<Conn>,
    /// When to dial this peer next if it is a roster member and not connected, and the backoff.
    pub next_dial: Option<(Instant, Duration)>,
    /// When mDNS last announced it (unix ms).
    pub mdns_seen_ms: Option<i64>,
    /// Sync stream bytes (frames with their length prefix) since the daemon started.
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// Not before then through a relay again, and the backoff after that
    /// (see [`super::relays::RELAY_DIAL_MIN`]).
    pub next_relay_dial: Option<(Instant, Duration)>,
    /// The last hole punch with this peer: `"ok"` or why it failed.
    pub hole_punch: Option<String>,
}

impl PeerState {
    /// A connection that is open and not being closed.
    pub fn has_live_connection(&self) -> bool {
        self.conns.iter().any(|c| !c.closing)
    }

    /// A live connection that does not go through a relay.
    pub fn has_direct_connection(&self) -> bool {
        self.conns.iter().any(|c| !c.closing && !c.relayed)
    }

    /// `"direct"` or `"relay"`: the kind of the connection sync uses (none: not connected).
    pub fn via(&self) -> Option<&'static str> {
        if self.has_direct_connection() {
            Some("direct")
        } else if self.has_live_connection() {
            Some("relay")
        } else {
            None
        }
    }

    /// Dial again soon: the peer's last live connection just went.
    pub fn dial_soon(&mut self, now: Instant) {
        self.next_dial = Some((now + REDIAL_MIN, REDIAL_MIN));
    }

    /// The connections to close so that one stays (see [`SIMULTANEOUS`]). Both devices decide
    /// alike: a direct connection over any relayed one (hole punching or the LAN took over);
    /// then the newest, unless the two newest came within [`SIMULTANEOUS`] of each other, then
    /// the one the smaller peer id dialled.
    pub fn surplus_connections(&self, local: PeerId, peer: PeerId) -> Vec<ConnectionId> {
        let direct = self.has_direct_connection();
        let live = self.conns.iter().filter(|c| !c.closing);
        let mut surplus: Vec<ConnectionId> = live.clone().filter(|c| direct && c.relayed).map(|c| c.id).collect();
        let mut conns: Vec<Conn> = live.filter(|c| !(direct && c.relayed)).copied().collect();
        if conns.len() < 2 {
            return surplus;
        }
        conns.sort_by_key(|c| c.since);
        let newest = conns[conns.len() - 1];
        let second = conns[conns.len() - 2];
        let keep = if newest.since.duration_since(second.since) < SIMULTANEOUS {
            let dialled_by_smaller = |c: &Conn| (local < peer) == c.we_dialled;
            if dialled_by_smaller(&newest) || !dialled_by_smaller(&second) { newest.id } else { second.id }
        } else {
            newest.id
        };
        surplus.extend(conns.iter().filter(|c| c.id != keep).map(|c| c.id));
        surplus
    }
}

/// Connections whose last answered ping is older than [`DEAD_AFTER`].
pub fn dead_connections(peers: &HashMap<PeerId, PeerState>, now: Instant) -> Vec<(PeerId, ConnectionId)> {
    peers
        .iter()
        .flat_map(|(peer, p)| p.conns.iter().map(move |c| (*peer, c)))
        .filter(|(_, c)| !c.closing && c.last_pong.is_some_and(|at| now.duration_since(at) > DEAD_AFTER))
        .map(|(peer, c)| (peer, c.id))
        .collect()
}

/// The dial policy: which peers to dial now. Roster `members` that are not connected and have
/// an address (or relays to be reached through) get a turn at once; a member is then retried
/// with a backoff doubling from [`REDIAL_MIN`] to [`REDIAL_MAX`] (through `jitter`) until
/// connected, a peer mDNS found is tried once. `skip` are this device and blocked peers,
/// `live` the peers with a live connection.
pub fn due_dials(
    peers: &mut HashMap<PeerId, PeerState>,
    members: &[PeerId],
    skip: impl Fn(&PeerId) -> bool,
    live: &BTreeSet<PeerId>,
    relays: bool,
    now: Instant,
    jitter: impl Fn(Duration) -> Duration,
) -> Vec<PeerId> {
    for peer in members {
        if skip(peer) || live.contains(peer) {
            continue;
        }
        let p = peers.entry(*peer).or_default();
        if (!p.addrs.is_empty() || relays) && p.next_dial.is_none() {
            p.next_dial = Some((now, REDIAL_MIN));
        }
    }
    let mut due = Vec::new();
    for (peer, p) in peers.iter_mut() {
        let Some((_, backoff)) = p.next_dial.filter(|(t, _)| *t <= now) else { continue };
        let connected = live.contains(peer);
        p.next_dial =
            (members.contains(peer) && !connected).then(|| (now + jitter(backoff), (backoff * 2).min(REDIAL_MAX)));
        if !connected && !skip(peer) {
            due.push(*peer);
        }
    }
    due.sort();
    due
}

/// The addresses to dial `p` at: its direct ones, and the areas' relay `circuits` when their
/// turn has come (at most every `backoff_min` to `backoff_max`, doubling; each dial costs the
/// relay a circuit request). All are dialled at once and the first connection wins.
pub fn dial_addresses(
    p: &mut PeerState,
    circuits: &[Multiaddr],
    (backoff_min, backoff_max): (Duration, Duration),
    now: Instant,
    jitter: impl Fn(Duration) -> Duration,
) -> Vec<Multiaddr> {
    let mut addrs: Vec<Multiaddr> = p.addrs.iter().cloned().collect();
    if !circuits.is_empty() && p.next_relay_dial.is_none_or(|(t, _)| t <= now) {
        let backoff = p.next_relay_dial.map_or(backoff_min, |(_, b)| b);
        p.next_relay_dial = Some((now + jitter(backoff), (backoff * 2).min(backoff_max)));
        addrs.extend(circuits.iter().map(strip_p2p));
    }
    addrs
}

/// An explicit `--peer` address and when to dial it next.
pub struct Redial {
    pub next: Instant,
    pub backoff: Duration,
    pub connected: bool,
}

/// Reads the address book. A missing or unreadable file is an empty book. Called once at start.
pub fn load_addresses(dir: &Path) -> Vec<(PeerId, Multiaddr)> {
    let Ok(text) = std::fs::read(dir.join(PEERS_FILE)) else { return Vec::new() };
    let book: BTreeMap<String, Vec<String>> = match serde_json::from_slice(&text) {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "peer address book is not readable; starting empty");
            return Vec::new();
        }
    };
    book.into_iter()
        .filter_map(|(peer, addrs)| PeerId::from_str(&peer).ok().map(|p| (p, addrs)))
        .flat_map(|(peer, addrs)| addrs.into_iter().filter_map(move |a| a.parse().ok().map(|a| (peer, a))))
        .collect()
}

/// Reads the releases peers last announced. A missing or unreadable file is empty.
pub fn load_versions(dir: &Path) -> Vec<(PeerId, semver::Version)> {
    let Ok(text) = std::fs::read(dir.join(VERSIONS_FILE)) else { return Vec::new() };
    let book: BTreeMap<String, String> = serde_json::from_slice(&text).unwrap_or_default();
    book.into_iter()
        .filter_map(|(peer, v)| Some((PeerId::from_str(&peer).ok()?, semver::Version::parse(&v).ok()?)))
        .collect()
}

/// Writes the address book and the peers' releases (atomically, off the reactor).
pub fn save_addresses(dir: &Path, peers: &HashMap<PeerId, PeerState>) {
    let book: BTreeMap<String, Vec<String>> = peers
        .iter()
        .filter(|(_, p)| !p.addrs.is_empty())
        .map(|(peer, p)| (peer.to_string(), p.addrs.iter().map(ToString::to_string).collect()))
        .collect();
    let versions: BTreeMap<String, String> =
        peers.iter().filter_map(|(peer, p)| Some((peer.to_string(), p.version.as_ref()?.to_string()))).collect();
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let write = |name: &str, text: Vec<u8>| {
            let path = dir.join(name);
            let tmp = path.with_extension("json.tmp");
            if let Err(e) = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, &path)) {
                tracing::warn!(error = %e, file = name, "could not save what is known of peers");
            }
        };
        write(PEERS_FILE, serde_json::to_vec_pretty(&book).unwrap_or_default());
        write(VERSIONS_FILE, serde_json::to_vec_pretty(&versions).unwrap_or_default());
    });
}

/// The peer an address leads to: its last `/p2p/` component, or for a relayed address
/// (`RELAY/p2p-circuit/p2p/PEER`) the one after `/p2p-circuit` (`None` when there is none:
/// such an address names only the relay).
pub fn peer_of(addr: &Multiaddr) -> Option<PeerId> {
    let mut peer = None;
    for p in addr.iter() {
        match p {
            Protocol::P2p(id) => peer = Some(id),
            Protocol::P2pCircuit => peer = None,
            _ => {}
        }
    }
    peer
}

/// The address without the `/p2p/` of the peer it leads to: `/ip4/…/tcp/…/p2p/PEER` gives
/// `/ip4/…/tcp/…`, `RELAY/p2p/R/p2p-circuit/p2p/PEER` gives `RELAY/p2p/R/p2p-circuit` (the
/// relay's own id stays: the circuit needs it).
pub fn strip_p2p(addr: &Multiaddr) -> Multiaddr {
    let mut out = addr.clone();
    if matches!(out.iter().last(), Some(Protocol::P2p(_))) && peer_of(addr).is_some() {
        out.pop();
    }
    out
}

/// The address at which `peer` is reached through `relay` (`RELAY/p2p-circuit/p2p/PEER`).
pub fn circuit_addr(relay: &Multiaddr, peer: PeerId) -> Multiaddr {
    relay.clone().with(Protocol::P2pCircuit).with(Protocol::P2p(peer))
}

/// Addresses worth remembering: not unspecified (0.0.0.0).
pub fn is_dialable(addr: &Multiaddr) -> bool {
    !addr.iter().any(|p| match p {
        Protocol::Ip4(ip) => ip.is_unspecified(),
        Protocol::Ip6(ip) => ip.is_unspecified(),
        _ => false,
    })
}

/// `d` give or take a quarter, so devices that failed together do not retry in step.
pub fn jitter(d: Duration) -> Duration {
    d.mul_f64(rand::random_range(0.75..1.25))
}

pub(crate) use crdt_model::now_ms;

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(id: usize, since: Instant, we_dialled: bool) -> Conn {
        Conn {
            id: ConnectionId::new_unchecked(id),
            since,
            we_dialled,
            last_pong: Some(since),
            closing: false,
            relayed: false,
        }
    }

    #[test]
    fn both_devices_keep_the_same_connection() {
        let (a, b) = (PeerId::random(), PeerId::random());
        let t = Instant::now();
        // A simultaneous dial: connection 1 dialled by a, connection 2 dialled by b, 100 ms apart.
        // Each side records the other's dial as not its own.
        let on_a = PeerState {
            conns: vec![conn(1, t, true), conn(2, t + Duration::from_millis(100), false)],
            ..Default::default()
        };
        let on_b = PeerState {
            conns: vec![conn(1, t, false), conn(2, t + Duration::from_millis(100), true)],
            ..Default::default()
        };
        let closed_a = on_a.surplus_connections(a, b);
        let closed_b = on_b.surplus_connections(b, a);
        assert_eq!(closed_a, closed_b);
        let smaller_dialled = if a < b { 1 } else { 2 };
        assert_eq!(closed_a, vec![ConnectionId::new_unchecked(3 - smaller_dialled)]);
        // Far apart: the newer stays, whoever dialled it.
        let late = PeerState {
            conns: vec![conn(1, t, true), conn(2, t + Duration::from_secs(30), false)],
            ..Default::default()
        };
        assert_eq!(late.surplus_connections(a, b), vec![ConnectionId::new_unchecked(1)]);
        // A relayed connection gives way to a direct one, older or newer, on both devices.
        let mut relayed = conn(3, t + Duration::from_secs(40), true);
        relayed.relayed = true;
        let mixed = PeerState { conns: vec![conn(1, t, true), relayed], ..Default::default() };
        assert_eq!(mixed.surplus_connections(a, b), vec![ConnectionId::new_unchecked(3)]);
        assert_eq!(mixed.via(), Some("direct"));
        let only_relayed = PeerState { conns: vec![relayed], ..Default::default() };
        assert!(only_relayed.surplus_connections(a, b).is_empty());
        assert_eq!(only_relayed.via(), Some("relay"));
    }

    #[test]
    fn addresses_through_a_relay() {
        let (relay, peer) = (PeerId::random(), PeerId::random());
        let direct: Multiaddr = format!("/ip4/10.0.0.2/tcp/4001/p2p/{peer}").parse().unwrap();
        assert_eq!(peer_of(&direct), Some(peer));
        assert_eq!(strip_p2p(&direct).to_string(), "/ip4/10.0.0.2/tcp/4001");
        let r: Multiaddr = format!("/ip4/203.0.113.1/tcp/4001/p2p/{relay}").parse().unwrap();
        let circuit = circuit_addr(&r, peer);
        assert!(is_relayed(&circuit) && !is_relayed(&direct));
        assert_eq!(peer_of(&circuit), Some(peer));
        assert_eq!(strip_p2p(&circuit).to_string(), format!("/ip4/203.0.113.1/tcp/4001/p2p/{relay}/p2p-circuit"));
        // A listening circuit address names only the relay: no peer, nothing stripped.
        let listening = r.clone().with(Protocol::P2pCircuit);
        assert_eq!(peer_of(&listening), None);
        assert_eq!(strip_p2p(&listening), listening);
        assert_eq!(relay_address(&r.to_string()).unwrap(), r);
        for bad in ["/ip4/203.0.113.1/tcp/4001", "relay", "/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN"] {
            assert!(relay_address(bad).is_err(), "{bad}");
        }
        assert!(relay_address(&circuit.to_string()).is_err());
    }

    #[test]
    fn a_connection_without_pongs_is_dead_after_six_seconds() {
        let peer = PeerId::random();
        let t = Instant::now();
        let mut peers = HashMap::new();
        peers.insert(peer, PeerState { conns: vec![conn(7, t, true)], ..Default::default() });
        assert!(dead_connections(&peers, t + Duration::from_secs(5)).is_empty());
        assert_eq!(dead_connections(&peers, t + Duration::from_secs(7)), vec![(peer, ConnectionId::new_unchecked(7))]);
        peers.get_mut(&peer).unwrap().conns[0].last_pong = None; // Does not speak ping.
        assert!(dead_connections(&peers, t + Duration::from_secs(60)).is_empty());
    }

    fn addr(port: u16) -> Multiaddr {
        format!("/ip4/10.0.0.1/tcp/{port}").parse().unwrap()
    }

    #[test]
    fn members_are_redialled_with_a_doubling_backoff_and_mdns_peers_once() {
        let t0 = Instant::now();
        let (member, found, blocked, bare) = (PeerId::random(), PeerId::random(), PeerId::random(), PeerId::random());
        let mut peers: HashMap<PeerId, PeerState> = HashMap::new();
        peers.entry(member).or_default().addrs.insert(addr(1));
        peers.entry(blocked).or_default().addrs.insert(addr(2));
        // mDNS found it: one turn, now.
        peers.entry(found).or_default().next_dial = Some((t0, REDIAL_MIN));
        let members = [member, blocked, bare];
        let skip = |p: &PeerId| *p == blocked;
        let live = BTreeSet::new();
        let same = |d: Duration| d;
        let mut due = due_dials(&mut peers, &members, skip, &live, false, t0, same);
        due.sort();
        let mut want = vec![member, found];
        want.sort();
        assert_eq!(
            due, want,
            "the member with an address and the peer mDNS found; not the blocked one, not one with no address"
        );
        assert_eq!(peers[&member].next_dial, Some((t0 + REDIAL_MIN, REDIAL_MIN * 2)), "a member is retried");
        assert_eq!(peers[&found].next_dial, None, "a peer mDNS found is tried once");
        // Before its turn, nothing; at its turn, again, with the backoff doubled up to the cap.
        assert!(due_dials(&mut peers, &members, skip, &live, false, t0 + REDIAL_MIN / 2, same).is_empty());
        assert_eq!(due_dials(&mut peers, &members, skip, &live, false, t0 + REDIAL_MIN, same), vec![member]);
        assert_eq!(peers[&member].next_dial.unwrap().1, REDIAL_MAX.min(REDIAL_MIN * 4));
        // Connected: its turn passes without a dial and no next turn is set.
        let live: BTreeSet<PeerId> = [member].into();
        let later = t0 + Duration::from_secs(60);
        assert!(due_dials(&mut peers, &members, skip, &live, false, later, same).is_empty());
        assert_eq!(peers[&member].next_dial, None);
        // With relays, a member with no address is dialled too (through them).
        assert_eq!(due_dials(&mut peers, &members, skip, &BTreeSet::new(), true, later, same).len(), 2);
    }

    #[test]
    fn relay_circuits_are_dialled_at_most_on_their_own_backoff() {
        let t0 = Instant::now();
        let mut p = PeerState::default();
        p.addrs.insert(addr(1));
        let relay: Multiaddr =
            "/ip4/203.0.113.7/tcp/4001/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN/p2p-circuit"
                .parse()
                .unwrap();
        let bounds = (Duration::from_secs(15), Duration::from_secs(120));
        let first = dial_addresses(&mut p, std::slice::from_ref(&relay), bounds, t0, |d| d);
        assert_eq!(first.len(), 2, "direct and through the relay: {first:?}");
        let soon = dial_addresses(&mut p, std::slice::from_ref(&relay), bounds, t0 + Duration::from_secs(5), |d| d);
        assert_eq!(soon, vec![addr(1)], "the relay again only after its backoff");
        let later = dial_addresses(&mut p, std::slice::from_ref(&relay), bounds, t0 + Duration::from_secs(15), |d| d);
        assert_eq!(later.len(), 2);
        assert_eq!(p.next_relay_dial.unwrap().1, Duration::from_secs(60), "15 s, then 30 s, then 60 s");
    }
}
