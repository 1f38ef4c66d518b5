//! The task that owns the libp2p `Swarm`, and its event loop.
//!
//! Transport: TCP + Noise + Yamux. Behaviours: a block list fed from the area rosters
//! (peers removed from an area and active in none), connection limits, identify, ping, mDNS
//! (tuned to find a peer in a meeting room within seconds), libp2p-stream carrying the sync
//! streams `/kdc/sync-stream/1` ([`super::link`]), and request-response carrying invite
//! redemptions `/kdc/join/1` ([`super::codec`]).
//!
//! Sync: one [`SyncSession`] per (peer, area), created when the peer connects and dropped when
//! it disconnects or its sync stream goes down. Automerge's `sync::State` decides when there is
//! something to send; a change that comes while the session is lent out marks the pair dirty
//! and is sent when it returns. Automerge and sled work never runs here: sessions are lent to
//! [`Node`] calls on blocking threads and come back as [`Internal`] events.
//!
//! The loop handles, in this order of priority: shutdown, finished internal work, frames from
//! the sync streams, commands from the handle, local changes (debounced), timers, and swarm
//! events.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::{Duration, Instant};

use futures::StreamExt;
use libp2p::core::ConnectedPoint;
use libp2p::identity::Keypair;
use libp2p::request_response::{self, OutboundRequestId, ProtocolSupport, ResponseChannel};
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::swarm::{ConnectionId, NetworkBehaviour, SwarmEvent};
use libp2p::{Multiaddr, PeerId, Swarm};
use libp2p::{allow_block_list, connection_limits, identify, mdns, multiaddr::Protocol, noise, ping, tcp, yamux};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::codec::{self, Frame, Request, Response};
use super::link::{self, LinkEvent, Outbound};
use super::{Command, JoinRequest, NetError, PeerInfo, Refusal};
use crate::node::sync::{Received, SyncSession};
use crate::node::{Node, NodeError};

/// mDNS query interval: a phone joining the community-house Wi-Fi is found within seconds.
pub const MDNS_QUERY_INTERVAL: Duration = Duration::from_secs(2);
/// Redial backoff for `--peer` addresses and for roster members with known addresses. Short: on
/// a LAN a dial is one SYN, and a member whose Wi-Fi comes back must be found again within
/// seconds.
const REDIAL_MIN: Duration = Duration::from_millis(500);
const REDIAL_MAX: Duration = Duration::from_secs(2);
/// A peer found by mDNS is dialled at once by the device with the smaller peer id; the other
/// dials only if still not connected after this long (two dials at once cannot then collide).
const MDNS_DEFER: Duration = Duration::from_secs(3);
/// Ping every so often on every connection: a dead link (Wi-Fi gone, peer restarted behind a
/// cut) is found in seconds instead of after TCP's retransmission backoff (see [`DEAD_AFTER`]).
const PING_INTERVAL: Duration = Duration::from_secs(2);
const PING_TIMEOUT: Duration = Duration::from_secs(3);
/// A connection none of whose pings was answered for this long is closed. libp2p-ping itself
/// reports only the second failure in a row, and after the first one it renegotiates the
/// protocol under a 10 s timeout: left to it, a dead link took 16 s to be closed.
const DEAD_AFTER: Duration = Duration::from_secs(6);
/// Two connections to one peer established this close together are a simultaneous dial (both
/// alive): both devices keep the one dialled by the smaller peer id. Further apart, the newer
/// wins (the older one most likely leads to a process that is gone).
const SIMULTANEOUS: Duration = Duration::from_secs(2);
/// A dial (TCP, Noise, Yamux) that has not made a connection by then fails, so the next one
/// starts: a SYN sent into a cut link otherwise waits out TCP's retransmissions (1, 3, 7, 15 s…)
/// and the link, once back, is used only when that SYN is retried. (libp2p's default: 10 s.)
const CONNECT_TIMEOUT: Duration = Duration::from_secs(4);
/// How long `kdc join` waits for the area to arrive.
const JOIN_TIMEOUT: Duration = Duration::from_secs(30);
/// How soon sync with a connected peer starts over after its sync stream went down.
const RELINK_AFTER: Duration = Duration::from_secs(1);
/// Frames read from the sync streams and not yet handled (beyond this, readers wait).
const LINK_QUEUE: usize = 64;
/// File of peer addresses seen, kept across restarts.
pub const PEERS_FILE: &str = "peers.json";

/// Settings of the network task.
#[derive(Debug, Clone)]
pub struct NetConfig {
    pub keypair: Keypair,
    pub listen: Vec<Multiaddr>,
    pub peers: Vec<Multiaddr>,
    pub mdns: bool,
    pub name: String,
    pub data_dir: PathBuf,
}

#[derive(NetworkBehaviour)]
struct Behaviour {
    blocked: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
    limits: connection_limits::Behaviour,
    identify: identify::Behaviour,
    ping: ping::Behaviour,
    mdns: Toggle<mdns::tokio::Behaviour>,
    streams: libp2p_stream::Behaviour,
    join: request_response::Behaviour<codec::Codec>,
}

/// Results of work done off the loop.
enum Internal {
    Generated {
        peer: PeerId,
        area: String,
        pair: u64,
        session: SyncSession,
        result: Result<Option<Vec<u8>>, NodeError>,
    },
    Received {
        peer: PeerId,
        area: String,
        pair: u64,
        session: SyncSession,
        result: Result<Received, NodeError>,
    },
    Shared {
        peer: PeerId,
        areas: Vec<String>,
    },
    Redeemed {
        peer: PeerId,
        area: String,
        channel: ResponseChannel<Response>,
        result: Result<(), NodeError>,
    },
    Blocked(BTreeSet<String>),
    Names(Vec<(String, String)>),
}

/// Per (peer, area).
struct Pair {
    /// Which pair this is: a session lent out before its peer disconnected must not come back
    /// into the pair made for the reconnected peer (its state describes a connection that is gone).
    id: u64,
    /// `None` while lent to a blocking call.
    session: Option<SyncSession>,
    /// Something may need sending once the session is back.
    dirty: bool,
    /// The session must start over once it is back (the link went down while it was out).
    reset: bool,
    /// Inbound messages that came while the session was lent out.
    queued: Vec<Vec<u8>>,
}

impl Default for Pair {
    /// A fresh session, at home.
    fn default() -> Pair {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        Pair {
            id: NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            session: Some(SyncSession::default()),
            dirty: false,
            reset: false,
            queued: Vec::new(),
        }
    }
}

/// Messages from one peer for one area waiting while its session is lent out; more and the
/// peer's stream is dropped.
const MAX_QUEUED: usize = 32;
/// Areas a peer that shares none with this device may be sending at once (each is received into
/// memory until it reads as an area whose roster lists both devices).
const MAX_STRANGER_AREAS: usize = 4;

/// One open connection to a peer.
#[derive(Debug, Clone, Copy)]
struct Conn {
    id: ConnectionId,
    since: Instant,
    we_dialled: bool,
    /// When it last answered a ping (at first: when it was established); `None` once the peer
    /// said it does not speak ping (then it is never judged dead by ping).
    last_pong: Option<Instant>,
    /// Asked to close (no ping answered) and not closed yet: as good as gone.
    closing: bool,
}

#[derive(Default)]
struct PeerState {
    addrs: BTreeSet<Multiaddr>,
    last_seen_ms: Option<i64>,
    agent_name: Option<String>,
    in_sync: BTreeSet<String>,
    last_refusal: Option<Refusal>,
    /// Connected through an explicit `--peer` / `kdc peer add` address: the user vouches for it.
    explicit: bool,
    conns: Vec<Conn>,
    /// When to dial this peer next if it is a roster member and not connected, and the backoff.
    next_dial: Option<(Instant, Duration)>,
    /// When mDNS last announced it (unix ms).
    mdns_seen_ms: Option<i64>,
    /// Sync stream bytes (frames with their length prefix) since the daemon started.
    bytes_sent: u64,
    bytes_received: u64,
}

impl PeerState {
    /// A connection that is open and not being closed.
    fn has_live_connection(&self) -> bool {
        self.conns.iter().any(|c| !c.closing)
    }

    /// Dial again soon: the peer's last live connection just went.
    fn dial_soon(&mut self) {
        self.next_dial = Some((Instant::now() + REDIAL_MIN, REDIAL_MIN));
    }
}

struct Redial {
    next: Instant,
    backoff: Duration,
    connected: bool,
}

struct PendingJoin {
    area: String,
    inviter: PeerId,
    reply: oneshot::Sender<Result<String, NetError>>,
    deadline: Instant,
    accepted: bool,
}

struct EventLoop {
    swarm: Swarm<Behaviour>,
    node: Node,
    name: String,
    data_dir: PathBuf,
    internal_tx: mpsc::UnboundedSender<Internal>,
    pairs: HashMap<(PeerId, String), Pair>,
    control: libp2p_stream::Control,
    link_tx: mpsc::Sender<LinkEvent>,
    /// Our outbound sync stream to each peer (opened on first use).
    outbound: HashMap<PeerId, Outbound>,
    /// The peer's sync stream to us: its number, its reader, and the reader's frame limit.
    inbound: HashMap<PeerId, (u64, tokio::task::AbortHandle, link::FrameLimit)>,
    /// What frames from peers that share no area with this device may hold, over all of them.
    stranger_budget: std::sync::Arc<tokio::sync::Semaphore>,
    next_stream: u64,
    /// Connected peers whose sync starts over at the given time (after a link went down).
    relink: HashMap<PeerId, Instant>,
    /// Joins waiting for the inviter's answer or for the area, by the join request's id (never
    /// by position: a late answer must find its own join or none).
    joins: HashMap<OutboundRequestId, PendingJoin>,
    peers: HashMap<PeerId, PeerState>,
    names: HashMap<String, String>,
    redial: HashMap<Multiaddr, Redial>,
    dirty_areas: HashSet<String>,
    push_at: Option<Instant>,
    addrs_dirty: bool,
    blocked: BTreeSet<PeerId>,
}

/// Builds the swarm and starts listening. Fails when a `--listen` address cannot be bound.
fn build_swarm(config: &NetConfig) -> Result<Swarm<Behaviour>, NetError> {
    let local = config.keypair.public().to_peer_id();
    let mut swarm = libp2p::SwarmBuilder::with_existing_identity(config.keypair.clone())
        .with_tokio()
        .with_tcp(tcp::Config::default().nodelay(true), noise::Config::new, yamux::Config::default)
        .map_err(|e| NetError::Unreachable(format!("transport: {e}")))?
        .with_behaviour(|key| {
            let mdns = if config.mdns {
                let cfg = mdns::Config {
                    ttl: Duration::from_secs(60),
                    query_interval: MDNS_QUERY_INTERVAL,
                    ..mdns::Config::default()
                };
                match mdns::tokio::Behaviour::new(cfg, local) {
                    Ok(m) => Some(m),
                    Err(e) => {
                        tracing::warn!(error = %e, "mDNS is not available; only explicit peers will be found");
                        None
                    }
                }
            } else {
                None
            };
            Behaviour {
                blocked: allow_block_list::Behaviour::default(),
                limits: connection_limits::Behaviour::new(
                    connection_limits::ConnectionLimits::default()
                        .with_max_established(Some(128))
                        .with_max_established_per_peer(Some(4))
                        .with_max_pending_incoming(Some(32)),
                ),
                identify: identify::Behaviour::new(
                    identify::Config::new("/kdc/1".into(), key.public()).with_agent_version(format!(
                        "kdcd/{} ({})",
                        env!("CARGO_PKG_VERSION"),
                        config.name
                    )),
                ),
                ping: ping::Behaviour::new(ping::Config::new().with_interval(PING_INTERVAL).with_timeout(PING_TIMEOUT)),
                mdns: Toggle::from(mdns),
                streams: libp2p_stream::Behaviour::new(),
                join: request_response::Behaviour::new(
                    [(codec::JOIN_PROTOCOL, ProtocolSupport::Full)],
                    request_response::Config::default().with_request_timeout(Duration::from_secs(60)),
                ),
            }
        })
        .map_err(|e| NetError::Unreachable(format!("behaviour: {e}")))?
        // Members stay connected between edits so a change goes out at once.
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(3600)))
        .with_connection_timeout(CONNECT_TIMEOUT)
        .build();
    for addr in &config.listen {
        swarm.listen_on(addr.clone()).map_err(|e| NetError::Refused(format!("cannot listen on {addr}: {e}")))?;
    }
    Ok(swarm)
}

/// Starts the network task. It runs until `shutdown` is cancelled.
pub fn spawn(
    config: NetConfig,
    node: Node,
    shutdown: CancellationToken,
) -> Result<(super::NetHandle, tokio::task::JoinHandle<()>), NetError> {
    let swarm = build_swarm(&config)?;
    let mut control = swarm.behaviour().streams.new_control();
    let incoming = control
        .accept(codec::SYNC_PROTOCOL)
        .map_err(|e| NetError::Unreachable(format!("sync stream protocol: {e}")))?;
    let (tx, rx) = mpsc::channel(64);
    let (internal_tx, internal_rx) = mpsc::unbounded_channel();
    let (link_tx, link_rx) = mpsc::channel(LINK_QUEUE);
    let changes = node.subscribe();
    let mut ev = EventLoop {
        swarm,
        node,
        name: config.name.clone(),
        data_dir: config.data_dir.clone(),
        internal_tx,
        pairs: HashMap::new(),
        control,
        link_tx,
        outbound: HashMap::new(),
        inbound: HashMap::new(),
        stranger_budget: link::stranger_budget(),
        next_stream: 0,
        relink: HashMap::new(),
        joins: HashMap::new(),
        peers: HashMap::new(),
        names: HashMap::new(),
        redial: HashMap::new(),
        dirty_areas: HashSet::new(),
        push_at: None,
        addrs_dirty: false,
        blocked: BTreeSet::new(),
    };
    for addr in load_addresses(&config.data_dir) {
        ev.learn_address(addr.0, addr.1, false);
    }
    for addr in config.peers {
        ev.add_redial(addr);
    }
    let known: Vec<PeerId> = ev.peers.keys().copied().collect();
    for peer in known {
        ev.dial_peer(peer);
    }
    ev.refresh_rosters();
    let task = tokio::spawn(ev.run(rx, internal_rx, link_rx, incoming, changes, shutdown));
    Ok((super::NetHandle::new(tx), task))
}

impl EventLoop {
    async fn run(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        mut internal: mpsc::UnboundedReceiver<Internal>,
        mut links: mpsc::Receiver<LinkEvent>,
        mut incoming: libp2p_stream::IncomingStreams,
        mut changes: broadcast::Receiver<String>,
        shutdown: CancellationToken,
    ) {
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let push_at = self.push_at;
            // Every arm is cancel-safe: channel receives and the swarm's next event lose nothing
            // when another arm wins.
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => break,
                Some(event) = internal.recv() => self.handle_internal(event),
                Some(event) = links.recv() => self.handle_link(event),
                Some((peer, stream)) = incoming.next() => self.accept_stream(peer, stream),
                command = commands.recv() => match command {
                    Some(command) => self.handle_command(command),
                    None => break, // Every handle dropped.
                },
                change = changes.recv() => self.handle_change(change),
                _ = sleep_until(push_at), if push_at.is_some() => self.push_dirty(),
                _ = tick.tick() => self.handle_tick(),
                event = self.swarm.select_next_some() => self.handle_swarm(event),
            }
        }
        if self.addrs_dirty {
            self.save_addresses();
        }
        tracing::debug!("network task stopped");
    }

    // ---- local work -------------------------------------------------------------------------

    fn handle_change(&mut self, change: Result<String, broadcast::error::RecvError>) {
        match change {
            Ok(area) => {
                self.dirty_areas.insert(area);
            }
            Err(broadcast::error::RecvError::Lagged(_)) => {
                // Missed some: push every area to every peer; sync states make this cheap.
                for (_, area) in self.pairs.keys() {
                    self.dirty_areas.insert(area.clone());
                }
                self.refresh_connected();
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
        // At once: a session busy with an earlier push marks itself dirty and sends what came
        // meanwhile when it is back, so a burst of edits still goes out in few messages.
        self.push_dirty();
        self.refresh_rosters();
    }

    /// Sends every area changed since the last push to every connected peer.
    fn push_dirty(&mut self) {
        self.push_at = None;
        let areas: Vec<String> = self.dirty_areas.drain().collect();
        let connected: Vec<PeerId> = self.connected_peers();
        for area in &areas {
            for peer in &connected {
                self.trigger(*peer, area.clone());
            }
        }
    }

    fn handle_tick(&mut self) {
        let now = Instant::now();
        self.check_pongs(now);
        self.dial_due(now);
        let due: Vec<Multiaddr> =
            self.redial.iter().filter(|(_, r)| !r.connected && r.next <= now).map(|(a, _)| a.clone()).collect();
        for addr in due {
            if let Some(r) = self.redial.get_mut(&addr) {
                r.next = now + r.backoff;
                r.backoff = (r.backoff * 2).min(REDIAL_MAX);
            }
            tracing::debug!(%addr, "dialling");
            let opts = match peer_of(&addr) {
                Some(peer) => DialOpts::peer_id(peer)
                    .addresses(vec![strip_p2p(&addr)])
                    .condition(PeerCondition::DisconnectedAndNotDialing)
                    .allocate_new_port()
                    .build(),
                None => DialOpts::unknown_peer_id().address(addr.clone()).allocate_new_port().build(),
            };
            if let Err(e) = self.swarm.dial(opts) {
                tracing::debug!(%addr, error = %e, "dial failed");
            }
        }
        let expired: Vec<OutboundRequestId> =
            self.joins.iter().filter(|(_, j)| j.deadline <= now).map(|(id, _)| *id).collect();
        for id in expired {
            if let Some(j) = self.joins.remove(&id) {
                let what = if j.accepted { "the area did not arrive" } else { "no answer from the inviter" };
                let _ = j.reply.send(Err(NetError::Unreachable(format!("{what} within {JOIN_TIMEOUT:?}"))));
            }
        }
        let relink: Vec<PeerId> = self.relink.iter().filter(|(_, at)| **at <= now).map(|(p, _)| *p).collect();
        for peer in relink {
            self.relink.remove(&peer);
            if self.swarm.is_connected(&peer) {
                self.sync_shared(peer);
            }
        }
        if self.addrs_dirty {
            self.save_addresses();
        }
    }

    // ---- commands from the handle -----------------------------------------------------------

    fn handle_command(&mut self, command: Command) {
        match command {
            Command::ListenAddrs { reply } => {
                let _ = reply.send(self.swarm.listeners().cloned().collect());
            }
            Command::Peers { reply } => {
                let _ = reply.send(self.peer_infos());
            }
            Command::Mdns { reply } => {
                let _ = reply.send(self.swarm.behaviour().mdns.is_enabled());
            }
            Command::Dial { addr, reply } => {
                let result = self.swarm.dial(addr.clone()).map_err(|e| NetError::Unreachable(e.to_string()));
                if result.is_ok() {
                    self.add_redial(addr.clone());
                    if let Some(peer) = peer_of(&addr) {
                        self.learn_address(peer, strip_p2p(&addr), true);
                    }
                }
                let _ = reply.send(result);
            }
            Command::Join { request, reply } => self.start_join(request, reply),
        }
    }

    fn start_join(&mut self, request: JoinRequest, reply: oneshot::Sender<Result<String, NetError>>) {
        let JoinRequest { area, inviter, addrs, secret } = request;
        if inviter == *self.swarm.local_peer_id() {
            let _ = reply.send(Err(NetError::Refused("this token was made by this device".into())));
            return;
        }
        for addr in &addrs {
            self.learn_address(inviter, strip_p2p(addr), true);
        }
        if !self.swarm.is_connected(&inviter) {
            let opts = DialOpts::peer_id(inviter).addresses(addrs.iter().map(strip_p2p).collect()).build();
            if let Err(e) = self.swarm.dial(opts) {
                tracing::debug!(%inviter, error = %e, "dial to inviter failed; request-response will retry");
            }
        }
        let id = self
            .swarm
            .behaviour_mut()
            .join
            .send_request(&inviter, Request::Join { area: area.clone(), secret, name: self.name.clone() });
        self.joins
            .insert(id, PendingJoin { area, inviter, reply, deadline: Instant::now() + JOIN_TIMEOUT, accepted: false });
        self.update_limits();
    }

    /// Completes joins waiting for `area`.
    fn area_arrived(&mut self, area: &str) {
        let done: Vec<OutboundRequestId> =
            self.joins.iter().filter(|(_, j)| j.accepted && j.area == area).map(|(id, _)| *id).collect();
        for id in done {
            if let Some(j) = self.joins.remove(&id) {
                let _ = j.reply.send(Ok(j.area));
            }
        }
    }

    // ---- sync -------------------------------------------------------------------------------

    /// Sends `peer` what it lacks of `area`, unless the session is lent out (then when it returns).
    fn trigger(&mut self, peer: PeerId, area: String) {
        if self.blocked.contains(&peer) || !self.swarm.is_connected(&peer) {
            return;
        }
        let pair = self.pairs.entry((peer, area.clone())).or_default();
        let Some(session) = pair.session.take() else {
            pair.dirty = true;
            return;
        };
        pair.dirty = false;
        let (node, tx, id) = (self.node.clone(), self.internal_tx.clone(), pair.id);
        tokio::spawn(async move {
            let (session, result) = node.sync_generate(area.clone(), peer.to_string(), session).await;
            let _ = tx.send(Internal::Generated { peer, area, pair: id, session, result });
        });
    }

    /// Applies a sync message from `peer`, in arrival order per (peer, area).
    fn receive(&mut self, peer: PeerId, area: String, message: Vec<u8>) {
        let key = (peer, area.clone());
        if !self.pairs.contains_key(&key)
            && self.frame_limit(&peer) < codec::MAX_FRAME
            && self.pairs.keys().filter(|(p, _)| *p == peer).count() >= MAX_STRANGER_AREAS
        {
            tracing::warn!(%peer, %area, "too many areas from a peer that shares none with this device");
            let reason = format!("at most {MAX_STRANGER_AREAS} areas at once from a device that is on no roster here");
            self.send_frame(peer, Frame::Refused { area, reason });
            return;
        }
        let pair = self.pairs.entry(key).or_default();
        let Some(session) = pair.session.take() else {
            if pair.queued.len() >= MAX_QUEUED {
                // The peer sends faster than its messages can be applied: drop its stream (it
                // starts over) rather than hold an unbounded queue.
                tracing::warn!(%peer, %area, "peer floods sync messages; its stream is dropped");
                pair.queued.clear();
                if let Some((_, reader, _)) = self.inbound.remove(&peer) {
                    reader.abort();
                }
                self.link_down(peer);
                return;
            }
            pair.queued.push(message);
            return;
        };
        let (node, tx, id) = (self.node.clone(), self.internal_tx.clone(), pair.id);
        tokio::spawn(async move {
            let (session, result) = node.sync_receive(area.clone(), peer.to_string(), session, message).await;
            let _ = tx.send(Internal::Received { peer, area, pair: id, session, result });
        });
    }

    /// Puts a session back into its pair. False when that pair is gone (the peer disconnected,
    /// and maybe reconnected: then the pair there now is another one).
    fn session_returned(&mut self, peer: PeerId, area: &str, id: u64, mut session: SyncSession) -> bool {
        let Some(pair) = self.pairs.get_mut(&(peer, area.to_string())).filter(|p| p.id == id) else {
            return false;
        };
        if std::mem::take(&mut pair.reset) {
            session.reset();
        }
        pair.session = Some(session);
        true
    }

    fn handle_internal(&mut self, event: Internal) {
        match event {
            Internal::Generated { peer, area, pair, session, result } => {
                if !self.session_returned(peer, &area, pair, session) {
                    return;
                }
                match result {
                    Ok(Some(message)) => self.send_frame(peer, Frame::Sync { area: area.clone(), message }),
                    Ok(None) => self.mark_in_sync(peer, &area),
                    Err(e) => tracing::debug!(%peer, %area, error = %e, "not syncing"),
                }
                self.after_session_returned(peer, area);
            }
            Internal::Received { peer, area, pair, session, result } => {
                // What a message brought is stored either way; only a current session answers.
                let current = self.session_returned(peer, &area, pair, session);
                match result {
                    Ok(received) => {
                        if received.changed {
                            // Pass it on to the other members.
                            self.dirty_areas.insert(area.clone());
                            if self.push_at.is_none() {
                                self.push_at = Some(Instant::now());
                            }
                        }
                        if received.adopted {
                            self.refresh_rosters();
                            self.area_arrived(&area);
                        }
                        match received.reply {
                            _ if !current => {}
                            Some(message) => self.send_frame(peer, Frame::Sync { area: area.clone(), message }),
                            None => self.mark_in_sync(peer, &area),
                        }
                    }
                    Err(_) if !current => {}
                    Err(e) => {
                        tracing::warn!(%peer, %area, error = %e, "sync message refused; session reset");
                        self.note_refusal(peer, &area, "this_device", &e.to_string());
                        self.reset_pair(peer, &area);
                        self.send_frame(peer, Frame::Refused { area: area.clone(), reason: e.to_string() });
                    }
                }
                if current {
                    self.after_session_returned(peer, area);
                }
            }
            Internal::Shared { peer, areas } => {
                for area in areas {
                    self.trigger(peer, area);
                }
            }
            Internal::Redeemed { peer, area, channel, result } => match result {
                Ok(()) => {
                    tracing::info!(%peer, %area, "invite redeemed; new member added");
                    self.respond(channel, Response::Joined);
                    self.trigger(peer, area);
                }
                Err(e) => {
                    tracing::info!(%peer, %area, error = %e, "invite refused");
                    self.respond(channel, Response::Refused(e.to_string()));
                }
            },
            Internal::Blocked(peers) => self.update_blocked(peers),
            Internal::Names(names) => {
                self.names = names.into_iter().collect();
                self.update_limits();
            }
        }
    }

    /// After a session comes back: apply queued inbound messages, then send if dirty.
    fn after_session_returned(&mut self, peer: PeerId, area: String) {
        let key = (peer, area.clone());
        let Some(pair) = self.pairs.get_mut(&key) else { return };
        if !pair.queued.is_empty() {
            let message = pair.queued.remove(0);
            self.receive(peer, area, message);
            return;
        }
        if pair.dirty {
            self.trigger(peer, area);
        }
    }

    fn mark_in_sync(&mut self, peer: PeerId, area: &str) {
        self.node.record_sync(area, &peer.to_string(), now_ms());
        if let Some(p) = self.peers.get_mut(&peer) {
            p.in_sync.insert(area.to_string());
            p.last_seen_ms = Some(now_ms());
        }
    }

    /// Starts the (peer, area) session over, now or when it comes back from a blocking call.
    fn reset_pair(&mut self, peer: PeerId, area: &str) {
        if let Some(pair) = self.pairs.get_mut(&(peer, area.to_string())) {
            match pair.session.as_mut() {
                Some(s) => s.reset(),
                None => pair.reset = true,
            }
        }
        if let Some(p) = self.peers.get_mut(&peer) {
            p.in_sync.remove(area);
        }
    }

    // ---- sync streams -----------------------------------------------------------------------

    /// Queues a frame on our stream to `peer`, opening the stream on first use.
    fn send_frame(&mut self, peer: PeerId, frame: Frame) {
        if !self.live(&peer) {
            // Disconnected meanwhile: the reconnect starts fresh sessions.
            return;
        }
        let size = match self.outbound.get(&peer).map(|out| out.send(&frame)) {
            Some(Some(size)) => size,
            stopped_or_none => {
                if stopped_or_none.is_some() {
                    // The writer stopped: what it had not written is lost, so the sessions that
                    // believe it sent start over, now (its own report will name a stream no
                    // longer current).
                    self.link_down(peer);
                }
                self.next_stream += 1;
                let out = link::spawn_writer(peer, self.next_stream, self.control.clone(), self.link_tx.clone());
                let size = out.send(&frame).unwrap_or(0);
                self.outbound.insert(peer, out);
                size
            }
        };
        tracing::trace!(%peer, size, "frame sent");
        self.peers.entry(peer).or_default().bytes_sent += size as u64;
    }

    /// A peer opened its sync stream to us; it replaces any earlier one from that peer.
    fn accept_stream(&mut self, peer: PeerId, stream: libp2p::Stream) {
        if self.blocked.contains(&peer) {
            return; // Dropped: the connection is on its way out too.
        }
        self.next_stream += 1;
        let id = self.next_stream;
        let limit = link::FrameLimit::new(self.frame_limit(&peer), self.stranger_budget.clone());
        let reader = link::spawn_reader(peer, id, stream, limit.clone(), self.link_tx.clone());
        if let Some((_, old, _)) = self.inbound.insert(peer, (id, reader, limit)) {
            // The peer started over (its writer failed, or it is a new process on a new
            // connection): so do we, and our writer, which may write to the old connection,
            // goes too; the next frame opens a new stream.
            old.abort();
            self.outbound.remove(&peer);
            self.link_down(peer);
        }
    }

    fn handle_link(&mut self, event: LinkEvent) {
        match event {
            LinkEvent::Frame { peer, stream, frame, size, .. } => {
                if self.inbound.get(&peer).is_none_or(|(id, _, _)| *id != stream) {
                    return; // From a stream since replaced.
                }
                self.peers.entry(peer).or_default().bytes_received += size as u64;
                match frame {
                    Frame::Sync { area, message } => {
                        if crdt_model::ids::validate_area_id(&area).is_err() {
                            tracing::warn!(%peer, "sync message for an invalid area id refused");
                            self.send_frame(peer, Frame::Refused { area, reason: "invalid area id".into() });
                            return;
                        }
                        self.receive(peer, area, message);
                    }
                    Frame::Refused { area, reason } => {
                        tracing::info!(%peer, %area, %reason, "peer refused our sync message");
                        self.note_refusal(peer, &area, "peer", &reason);
                        self.reset_pair(peer, &area);
                    }
                }
            }
            LinkEvent::InboundEnded { peer, stream, error } => {
                if self.inbound.get(&peer).is_none_or(|(id, _, _)| *id != stream) {
                    return;
                }
                self.inbound.remove(&peer);
                match error {
                    // Garbage, an oversized frame: the stream is dropped; start over with this peer.
                    Some(e) => tracing::warn!(%peer, error = %e, "bad sync stream from peer; its sessions are reset"),
                    None => tracing::debug!(%peer, "peer closed its sync stream"),
                }
                self.link_down(peer);
            }
            LinkEvent::OutboundDown { peer, stream, error, unsupported } => {
                if self.outbound.get(&peer).is_none_or(|o| o.stream != stream) {
                    return;
                }
                self.outbound.remove(&peer);
                if unsupported {
                    tracing::warn!(%peer, %error, "cannot sync with this peer");
                    return;
                }
                tracing::debug!(%peer, %error, "sync stream to peer down; its sessions are reset");
                self.link_down(peer);
            }
        }
    }

    /// A sync stream with `peer` went down, so frames may have been lost: every session with it
    /// starts over (as Automerge's protocol requires), soon, if the peer is still connected.
    fn link_down(&mut self, peer: PeerId) {
        let areas: Vec<String> = self.pairs.keys().filter(|(p, _)| *p == peer).map(|(_, a)| a.clone()).collect();
        for area in &areas {
            self.reset_pair(peer, area);
        }
        if self.swarm.is_connected(&peer) {
            self.relink.insert(peer, Instant::now() + RELINK_AFTER);
        }
    }

    // ---- invites ----------------------------------------------------------------------------

    fn handle_join_event(&mut self, event: request_response::Event<Request, Response>) {
        use request_response::{Event, Message};
        match event {
            Event::Message { peer, message: Message::Request { request, channel, .. }, .. } => {
                let Request::Join { area, secret, name } = request;
                let (node, tx) = (self.node.clone(), self.internal_tx.clone());
                tokio::spawn(async move {
                    let result = node.redeem_invite(area.clone(), secret, peer.to_string(), name, now_ms()).await;
                    let _ = tx.send(Internal::Redeemed { peer, area, channel, result });
                });
            }
            Event::Message { peer, message: Message::Response { request_id, response }, .. } => {
                self.handle_join_answer(peer, request_id, response)
            }
            Event::OutboundFailure { peer, request_id, error, .. } => {
                tracing::debug!(%peer, error = %error, "join request failed");
                // An accepted join only waits for the area now; a late failure does not end it.
                if self.joins.get(&request_id).is_some_and(|j| !j.accepted)
                    && let Some(j) = self.joins.remove(&request_id)
                {
                    let _ = j.reply.send(Err(NetError::Unreachable(error.to_string())));
                }
            }
            Event::InboundFailure { peer, error, .. } => {
                tracing::warn!(%peer, error = %error, "bad or failed join request from peer");
            }
            Event::ResponseSent { .. } => {}
        }
    }

    fn handle_join_answer(&mut self, peer: PeerId, request_id: OutboundRequestId, response: Response) {
        match response {
            Response::Joined => {
                let Some(j) = self.joins.get_mut(&request_id) else { return };
                j.accepted = true;
                j.deadline = Instant::now() + JOIN_TIMEOUT;
                // The inviter now pushes the area; it may even be here already.
                let area = j.area.clone();
                let node = self.node.clone();
                let tx = self.internal_tx.clone();
                tokio::spawn(async move {
                    if node.shared_areas(peer.to_string()).await.is_ok_and(|a| a.contains(&area)) {
                        let _ = tx.send(Internal::Shared { peer, areas: vec![area] });
                    }
                });
            }
            Response::Refused(reason) => {
                if let Some(j) = self.joins.remove(&request_id) {
                    let _ = j.reply.send(Err(NetError::Refused(reason)));
                }
            }
        }
    }

    /// Answers a join request. The peer may be gone already; then there is nobody to tell.
    fn respond(&mut self, channel: ResponseChannel<Response>, response: Response) {
        let _ = self.swarm.behaviour_mut().join.send_response(channel, response);
    }

    // ---- swarm events -----------------------------------------------------------------------

    fn handle_swarm(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::Behaviour(BehaviourEvent::Join(e)) => self.handle_join_event(e),
            SwarmEvent::Behaviour(BehaviourEvent::Streams(())) => {}
            SwarmEvent::Behaviour(BehaviourEvent::Mdns(mdns::Event::Discovered(found))) => {
                for (peer, addr) in found {
                    if peer == *self.swarm.local_peer_id() || self.blocked.contains(&peer) {
                        continue;
                    }
                    self.learn_address(peer, addr, true);
                    self.peers.entry(peer).or_default().mdns_seen_ms = Some(now_ms());
                    if self.swarm.is_connected(&peer) {
                        continue;
                    }
                    // Both devices see each other at about the same moment: only one dials now.
                    let at =
                        if *self.swarm.local_peer_id() < peer { Instant::now() } else { Instant::now() + MDNS_DEFER };
                    let p = self.peers.entry(peer).or_default();
                    if p.next_dial.is_none_or(|(t, _)| t > at) {
                        p.next_dial = Some((at, REDIAL_MIN));
                    }
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Mdns(mdns::Event::Expired(_))) => {}
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received { peer_id, info, .. })) => {
                let name = info.agent_version.split_once(" (").map(|(_, n)| n.trim_end_matches(')').to_string());
                self.peers.entry(peer_id).or_default().agent_name = name;
                for addr in info.listen_addrs {
                    if is_dialable(&addr) {
                        self.learn_address(peer_id, addr, true);
                    }
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Identify(_)) => {}
            SwarmEvent::Behaviour(BehaviourEvent::Ping(ping::Event { peer, connection, result })) => match result {
                Ok(rtt) => {
                    tracing::trace!(%peer, ?rtt, "ping");
                    self.set_pong(peer, connection, Some(Instant::now()));
                }
                Err(ping::Failure::Unsupported) => self.set_pong(peer, connection, None),
                Err(e) => self.drop_dead_connection(peer, connection, &e.to_string()),
            },
            SwarmEvent::Behaviour(BehaviourEvent::Blocked(never)) => match never {},
            SwarmEvent::Behaviour(BehaviourEvent::Limits(never)) => match never {},
            SwarmEvent::ConnectionEstablished { peer_id, connection_id, endpoint, .. } => {
                tracing::info!(peer = %peer_id, addr = %endpoint.get_remote_address(), "connected");
                if let ConnectedPoint::Dialer { address, .. } = &endpoint {
                    self.learn_address(peer_id, strip_p2p(address), true);
                    for key in [address.clone(), strip_p2p(address)] {
                        if let Some(r) = self.redial.get_mut(&key) {
                            r.connected = true;
                            r.backoff = REDIAL_MIN;
                            self.peers.entry(peer_id).or_default().explicit = true;
                        }
                    }
                }
                let p = self.peers.entry(peer_id).or_default();
                p.last_seen_ms = Some(now_ms());
                p.next_dial = None;
                // The first live one: the only one, or one beside connections being closed.
                let first = !p.has_live_connection();
                let now = Instant::now();
                let we_dialled = endpoint.is_dialer();
                p.conns.push(Conn { id: connection_id, since: now, we_dialled, last_pong: Some(now), closing: false });
                if p.conns.len() > 1 {
                    self.keep_one_connection(peer_id);
                }
                if first {
                    self.node.peer_connection(&peer_id.to_string(), true);
                    // Sessions start with the connection: whatever a session of this peer's
                    // last connection believed it had sent is void.
                    self.pairs.retain(|(peer, _), _| *peer != peer_id);
                    self.sync_shared(peer_id);
                }
            }
            SwarmEvent::ConnectionClosed { peer_id, connection_id, endpoint, num_established, cause, .. } => {
                tracing::info!(peer = %peer_id, cause = ?cause.map(|c| c.to_string()), "connection closed");
                if let ConnectedPoint::Dialer { address, .. } = &endpoint {
                    for key in [address.clone(), strip_p2p(address)] {
                        if let Some(r) = self.redial.get_mut(&key) {
                            r.connected = false;
                            r.next = Instant::now() + r.backoff;
                        }
                    }
                }
                let p = self.peers.entry(peer_id).or_default();
                p.last_seen_ms = Some(now_ms());
                p.conns.retain(|c| c.id != connection_id);
                if num_established == 0 {
                    // A member that went away is dialled again soon (see `dial_due`).
                    p.dial_soon();
                    self.node.peer_connection(&peer_id.to_string(), false);
                    p.in_sync.clear();
                    // Fresh sync states on reconnect, as Automerge's protocol expects.
                    self.pairs.retain(|(peer, _), _| *peer != peer_id);
                    self.outbound.remove(&peer_id);
                    if let Some((_, reader, _)) = self.inbound.remove(&peer_id) {
                        reader.abort();
                    }
                    self.relink.remove(&peer_id);
                }
            }
            SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                tracing::debug!(peer = ?peer_id, error = %error, "outgoing connection failed");
            }
            SwarmEvent::IncomingConnectionError { error, .. } => {
                tracing::debug!(error = %error, "incoming connection failed");
            }
            SwarmEvent::NewListenAddr { address, .. } => tracing::info!(%address, "listening"),
            SwarmEvent::ExpiredListenAddr { address, .. } => tracing::info!(%address, "no longer listening"),
            SwarmEvent::ListenerClosed { addresses, reason, .. } => {
                tracing::warn!(?addresses, ?reason, "listener closed")
            }
            SwarmEvent::ListenerError { error, .. } => tracing::warn!(error = %error, "listener error"),
            _ => {}
        }
    }

    /// Starts syncing every area shared with a newly connected peer.
    fn sync_shared(&mut self, peer: PeerId) {
        let (node, tx) = (self.node.clone(), self.internal_tx.clone());
        tokio::spawn(async move {
            match node.shared_areas(peer.to_string()).await {
                Ok(areas) => {
                    let _ = tx.send(Internal::Shared { peer, areas });
                }
                Err(e) => tracing::warn!(%peer, error = %e, "could not list shared areas"),
            }
        });
    }

    fn refresh_connected(&mut self) {
        for peer in self.connected_peers() {
            self.sync_shared(peer);
        }
    }

    /// Re-reads the rosters: names for `kdc peers`, and the block list.
    fn refresh_rosters(&mut self) {
        let (node, tx) = (self.node.clone(), self.internal_tx.clone());
        tokio::spawn(async move {
            if let Ok(blocked) = node.blocked_peers().await {
                let _ = tx.send(Internal::Blocked(blocked));
            }
            if let Ok(names) = node.member_names().await {
                let _ = tx.send(Internal::Names(names));
            }
        });
    }

    fn update_blocked(&mut self, peers: BTreeSet<String>) {
        let wanted: BTreeSet<PeerId> = peers.iter().filter_map(|p| PeerId::from_str(p).ok()).collect();
        for peer in wanted.difference(&self.blocked) {
            tracing::info!(%peer, "removed member: connections refused");
            self.swarm.behaviour_mut().blocked.block_peer(*peer);
            self.pairs.retain(|(p, _), _| p != peer);
            self.outbound.remove(peer);
            if let Some((_, reader, _)) = self.inbound.remove(peer) {
                reader.abort();
            }
        }
        for peer in self.blocked.difference(&wanted) {
            self.swarm.behaviour_mut().blocked.unblock_peer(*peer);
        }
        self.blocked = wanted;
    }

    // ---- addresses --------------------------------------------------------------------------

    fn connected_peers(&self) -> Vec<PeerId> {
        self.swarm.connected_peers().copied().collect()
    }

    fn learn_address(&mut self, peer: PeerId, addr: Multiaddr, persist: bool) {
        if peer == *self.swarm.local_peer_id() {
            return;
        }
        self.swarm.add_peer_address(peer, addr.clone());
        if self.peers.entry(peer).or_default().addrs.insert(addr) && persist {
            self.addrs_dirty = true;
        }
    }

    /// Dials `peer` at its known addresses, unless connected or being dialled already. From a
    /// new port, never the listening one: two devices dialling each other at once from their
    /// listening ports meet in one TCP simultaneous open, on which both Noise handshakes fail.
    fn dial_peer(&mut self, peer: PeerId) {
        if self.live(&peer) {
            return;
        }
        let addrs: Vec<Multiaddr> =
            self.peers.get(&peer).map(|p| p.addrs.iter().cloned().collect()).unwrap_or_default();
        // A connection being closed does not count: dial past it.
        let condition = if self.swarm.is_connected(&peer) {
            PeerCondition::NotDialing
        } else {
            PeerCondition::DisconnectedAndNotDialing
        };
        let opts = DialOpts::peer_id(peer).addresses(addrs).condition(condition).allocate_new_port().build();
        if let Err(e) = self.swarm.dial(opts) {
            tracing::debug!(%peer, error = %e, "dial failed");
        }
    }

    /// Dials every peer whose turn has come: roster members with known addresses that are not
    /// connected (with a short backoff, so a member whose Wi-Fi comes back is found in seconds)
    /// and peers mDNS found.
    fn dial_due(&mut self, now: Instant) {
        let local = *self.swarm.local_peer_id();
        let members: Vec<PeerId> = self.names.keys().filter_map(|p| PeerId::from_str(p).ok()).collect();
        for peer in members {
            if peer == local || self.blocked.contains(&peer) || self.live(&peer) {
                continue;
            }
            let p = self.peers.entry(peer).or_default();
            if !p.addrs.is_empty() && p.next_dial.is_none() {
                p.next_dial = Some((now, REDIAL_MIN));
            }
        }
        let due: Vec<PeerId> = self
            .peers
            .iter()
            .filter(|(_, p)| p.next_dial.is_some_and(|(t, _)| t <= now))
            .map(|(peer, _)| *peer)
            .collect();
        for peer in due {
            let connected = self.live(&peer);
            let member = self.names.contains_key(&peer.to_string());
            let p = self.peers.get_mut(&peer).expect("listed above");
            let (_, backoff) = p.next_dial.expect("due");
            // Members are retried until connected; a peer mDNS found, once.
            p.next_dial = (member && !connected).then(|| (now + jitter(backoff), (backoff * 2).min(REDIAL_MAX)));
            if !connected && !self.blocked.contains(&peer) {
                self.dial_peer(peer);
            }
        }
    }

    /// Closes a connection that stopped answering pings. Closing waits to say goodbye over the
    /// dead link; meanwhile the connection is as good as gone: its streams are dropped and the
    /// peer may be dialled again at once.
    fn drop_dead_connection(&mut self, peer: PeerId, connection: ConnectionId, why: &str) {
        let p = self.peers.entry(peer).or_default();
        let Some(conn) = p.conns.iter_mut().find(|c| c.id == connection && !c.closing) else { return };
        tracing::info!(%peer, %why, "connection dead: closing it");
        if !self.swarm.close_connection(connection) {
            return;
        }
        conn.closing = true;
        if !p.has_live_connection() {
            p.dial_soon();
            self.outbound.remove(&peer);
            if let Some((_, reader, _)) = self.inbound.remove(&peer) {
                reader.abort();
            }
            self.link_down(peer);
        }
    }

    fn set_pong(&mut self, peer: PeerId, connection: ConnectionId, at: Option<Instant>) {
        if let Some(c) = self.peers.get_mut(&peer).and_then(|p| p.conns.iter_mut().find(|c| c.id == connection)) {
            c.last_pong = at;
        }
    }

    /// Closes connections whose last answered ping is older than [`DEAD_AFTER`].
    fn check_pongs(&mut self, now: Instant) {
        let dead: Vec<(PeerId, ConnectionId)> = self
            .peers
            .iter()
            .flat_map(|(peer, p)| p.conns.iter().map(move |c| (*peer, c)))
            .filter(|(_, c)| !c.closing && c.last_pong.is_some_and(|at| now.duration_since(at) > DEAD_AFTER))
            .map(|(peer, c)| (peer, c.id))
            .collect();
        for (peer, connection) in dead {
            self.drop_dead_connection(peer, connection, &format!("no ping answered for {DEAD_AFTER:?}"));
        }
    }

    /// Connected by a connection that is not being closed.
    fn live(&self, peer: &PeerId) -> bool {
        self.swarm.is_connected(peer) && self.peers.get(peer).is_none_or(PeerState::has_live_connection)
    }

    /// Keeps one connection to `peer` and closes the others (see [`SIMULTANEOUS`]). Both devices
    /// decide alike: the newest, unless the two newest came within [`SIMULTANEOUS`] of each other,
    /// then the one the smaller peer id dialled.
    fn keep_one_connection(&mut self, peer: PeerId) {
        let local = *self.swarm.local_peer_id();
        let Some(p) = self.peers.get(&peer) else { return };
        let mut conns: Vec<Conn> = p.conns.iter().filter(|c| !c.closing).copied().collect();
        if conns.len() < 2 {
            return;
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
        for c in conns.iter().filter(|c| c.id != keep) {
            tracing::info!(%peer, "a second connection to this peer: closing one");
            self.swarm.close_connection(c.id);
        }
    }

    fn add_redial(&mut self, addr: Multiaddr) {
        self.redial.entry(addr).or_insert(Redial { next: Instant::now(), backoff: REDIAL_MIN, connected: false });
    }

    fn peer_infos(&self) -> Vec<PeerInfo> {
        let mut out: Vec<PeerInfo> = self
            .peers
            .iter()
            .map(|(peer, p)| PeerInfo {
                peer_id: peer.to_string(),
                name: self.names.get(&peer.to_string()).cloned().or_else(|| p.agent_name.clone()),
                addrs: p.addrs.iter().map(ToString::to_string).collect(),
                connected: self.live(peer),
                last_seen: p.last_seen_ms.map(crdt_model::area::rfc3339),
                areas_in_sync: p.in_sync.iter().cloned().collect(),
                last_refusal: p.last_refusal.clone(),
                mdns_seen: p.mdns_seen_ms.map(crdt_model::area::rfc3339),
                bytes_sent: p.bytes_sent,
                bytes_received: p.bytes_received,
            })
            .collect();
        out.sort_by(|a, b| b.connected.cmp(&a.connected).then(a.peer_id.cmp(&b.peer_id)));
        out
    }

    /// The largest frame `peer` may send: a stranger's is small (see [`link::STRANGER_FRAME`]).
    fn frame_limit(&self, peer: &PeerId) -> usize {
        let known = self.names.contains_key(&peer.to_string())
            || self.peers.get(peer).is_some_and(|p| p.explicit)
            || self.joins.values().any(|j| j.inviter == *peer);
        if known { codec::MAX_FRAME } else { link::STRANGER_FRAME }
    }

    /// Applies what the rosters, explicit peers and joins say to every reader's frame limit.
    fn update_limits(&mut self) {
        let limits: Vec<(PeerId, usize)> = self.inbound.keys().map(|p| (*p, self.frame_limit(p))).collect();
        for (peer, max) in limits {
            if let Some((_, _, limit)) = self.inbound.get(&peer) {
                limit.set(max);
            }
        }
    }

    fn note_refusal(&mut self, peer: PeerId, area: &str, by: &str, reason: &str) {
        let reason: String = reason.chars().take(500).collect();
        let at = crdt_model::area::rfc3339(now_ms());
        self.peers.entry(peer).or_default().last_refusal =
            Some(Refusal { at, area: area.to_string(), by: by.to_string(), reason });
    }

    fn save_addresses(&mut self) {
        self.addrs_dirty = false;
        let book: BTreeMap<String, Vec<String>> = self
            .peers
            .iter()
            .filter(|(_, p)| !p.addrs.is_empty())
            .map(|(peer, p)| (peer.to_string(), p.addrs.iter().map(ToString::to_string).collect()))
            .collect();
        let path = self.data_dir.join(PEERS_FILE);
        // Small file, written rarely; off the reactor all the same.
        tokio::task::spawn_blocking(move || {
            let tmp = path.with_extension("json.tmp");
            let text = serde_json::to_vec_pretty(&book).unwrap_or_default();
            if let Err(e) = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, &path)) {
                tracing::warn!(error = %e, "could not save peer addresses");
            }
        });
    }
}

/// Reads the address book. A missing or unreadable file is an empty book. Called once at start.
fn load_addresses(dir: &std::path::Path) -> Vec<(PeerId, Multiaddr)> {
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

fn peer_of(addr: &Multiaddr) -> Option<PeerId> {
    addr.iter().find_map(|p| match p {
        Protocol::P2p(peer) => Some(peer),
        _ => None,
    })
}

fn strip_p2p(addr: &Multiaddr) -> Multiaddr {
    addr.iter().filter(|p| !matches!(p, Protocol::P2p(_))).collect()
}

/// Addresses worth remembering: not unspecified (0.0.0.0).
fn is_dialable(addr: &Multiaddr) -> bool {
    !addr.iter().any(|p| match p {
        Protocol::Ip4(ip) => ip.is_unspecified(),
        Protocol::Ip6(ip) => ip.is_unspecified(),
        _ => false,
    })
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `d` give or take a quarter, so devices that failed together do not retry in step.
fn jitter(d: Duration) -> Duration {
    d.mul_f64(rand::random_range(0.75..1.25))
}
