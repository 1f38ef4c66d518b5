//! The task that owns the libp2p `Swarm`, and its event loop.
//!
//! The loop owns the swarm ([`super::behaviour`]), what it knows of each peer
//! ([`super::peers`]), the joins under way ([`super::joins`]), the sync streams
//! ([`super::link`]) and the sync bookkeeping ([`super::sessions`], an IO-free state machine).
//! It turns swarm events, stream frames, finished blocking work and local changes into inputs of
//! that machine and carries out the actions it answers: lend a session to a [`Node`] call on a
//! blocking thread (Automerge and sled work never runs here), send a frame, list the areas shared
//! with a peer.
//!
//! The loop handles, in this order of priority: shutdown, finished internal work, frames from
//! the sync streams, commands from the handle, local changes, timers, and swarm events.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::{Duration, Instant};

use futures::StreamExt;
use libp2p::core::ConnectedPoint;
use libp2p::identity::Keypair;
use libp2p::request_response::{self, OutboundRequestId, ResponseChannel};
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::swarm::{ConnectionId, SwarmEvent};
use libp2p::{Multiaddr, PeerId, Swarm};
use libp2p::{dcutr, identify, mdns, ping, relay};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::behaviour::{Behaviour, BehaviourEvent, build_swarm};
use super::codec::{self, Frame, Request, Response};
use super::joins::{Asked, Joins};
use super::link::{self, LinkEvent};
use super::peers::{
    self, Conn, MDNS_DEFER, PeerState, REDIAL_MAX, REDIAL_MIN, Redial, is_dialable, is_relayed, jitter, now_ms,
    peer_of, strip_p2p,
};
use super::relays::{RELAY_DIAL_MAX, RELAY_DIAL_MIN, Relays, Todo};
use super::sessions::{Action, Applied, Input, PairId, Sessions};
use super::update::{UpdateRequest, UpdateResponse};
use super::{Command, JoinRequest, NetError, PeerInfo, Refusal};
use crate::node::sync::{Received, SyncSession};
use crate::node::{Node, NodeError};

/// A relayed connection a direct one replaced stays this long, so what is under way on it (an
/// invite's answer, a sync message) arrives; then it is closed and sync goes on directly.
const RELAYED_GRACE: Duration = Duration::from_secs(3);

/// Frames read from the sync streams and not yet handled (beyond this, readers wait).
const LINK_QUEUE: usize = 64;

/// Settings of the network task.
#[derive(Debug, Clone)]
pub struct NetConfig {
    pub keypair: Keypair,
    pub listen: Vec<Multiaddr>,
    pub peers: Vec<Multiaddr>,
    pub mdns: bool,
    /// Also serve circuit relay v2.
    pub relay: bool,
    /// With `relay`: the only devices it serves (empty: any).
    pub relay_allow: Vec<PeerId>,
    /// Addresses others reach this device at.
    pub external: Vec<Multiaddr>,
    pub name: String,
    pub data_dir: PathBuf,
}

/// Results of work done off the loop.
enum Internal {
    Generated {
        peer: PeerId,
        area: String,
        pair: PairId,
        session: SyncSession,
        result: Result<Option<Vec<u8>>, NodeError>,
    },
    Received {
        peer: PeerId,
        area: String,
        pair: PairId,
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
    Relays(Vec<Multiaddr>),
    /// The answer to a peer's `/kdc/update/1` request, read from the store off the reactor.
    UpdateAnswer {
        channel: ResponseChannel<UpdateResponse>,
        response: UpdateResponse,
    },
}

/// Who waits for an outbound `/kdc/update/1` request.
enum UpdatePending {
    /// This task asked a peer on a newer release what it offers.
    Offers(PeerId),
    /// The control API asked (a fetch); it gets the answer.
    Reply(oneshot::Sender<Result<UpdateResponse, NetError>>),
}

struct EventLoop {
    swarm: Swarm<Behaviour>,
    node: Node,
    name: String,
    data_dir: PathBuf,
    internal_tx: mpsc::UnboundedSender<Internal>,
    /// Per (peer, area) sync bookkeeping.
    sessions: Sessions<PeerId, SyncSession>,
    /// The sync streams with each peer.
    streams: link::Streams,
    joins: Joins,
    /// Join requests waiting for the joiner's release (its identify).
    asked: Asked<Request, ResponseChannel<Response>>,
    /// Peers whose identify arrived on their current connections.
    identified: HashSet<PeerId>,
    peers: HashMap<PeerId, PeerState>,
    names: HashMap<String, String>,
    redial: HashMap<Multiaddr, Redial>,
    addrs_dirty: bool,
    blocked: BTreeSet<PeerId>,
    /// The areas' relays: the reservation this device holds, and how each answered.
    relays: Relays,
    /// Relayed connections a direct one replaced, and when to close them.
    retiring: Vec<(Instant, ConnectionId)>,
    /// What each peer on a newer release offers (asked when it says its release).
    update_offers: HashMap<PeerId, Vec<crate::update::Archive>>,
    update_pending: HashMap<OutboundRequestId, UpdatePending>,
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
        sessions: Sessions::new(),
        streams: link::Streams::new(control, link_tx),
        joins: Joins::default(),
        asked: Asked::default(),
        identified: HashSet::new(),
        peers: HashMap::new(),
        names: HashMap::new(),
        redial: HashMap::new(),
        addrs_dirty: false,
        blocked: BTreeSet::new(),
        relays: Relays::default(),
        retiring: Vec::new(),
        update_offers: HashMap::new(),
        update_pending: HashMap::new(),
    };
    for addr in peers::load_addresses(&config.data_dir) {
        ev.learn_address(addr.0, addr.1, false);
    }
    for (peer, version) in peers::load_versions(&config.data_dir) {
        ev.peers.entry(peer).or_default().version = Some(version);
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
                _ = tick.tick() => self.handle_tick(),
                event = self.swarm.select_next_some() => self.handle_swarm(event),
            }
        }
        if self.addrs_dirty {
            self.save_addresses();
        }
        tracing::debug!("network task stopped");
    }

    // ---- the sync bookkeeping ---------------------------------------------------------------

    /// Gives the sync state machine an input and carries out what it answers.
    fn feed(&mut self, input: Input<PeerId, SyncSession>) {
        for action in self.sessions.handle(input, Instant::now()) {
            self.perform(action);
        }
    }

    fn perform(&mut self, action: Action<PeerId, SyncSession>) {
        match action {
            Action::Generate { peer, area, pair, session } => {
                let (node, tx) = (self.node.clone(), self.internal_tx.clone());
                let release = self.peers.get(&peer).and_then(|p| p.version.clone());
                tokio::spawn(async move {
                    let (session, result) = node.sync_generate(area.clone(), peer.to_string(), release, session).await;
                    let _ = tx.send(Internal::Generated { peer, area, pair, session, result });
                });
            }
            Action::Receive { peer, area, pair, session, messages } => {
                let (node, tx) = (self.node.clone(), self.internal_tx.clone());
                let release = self.peers.get(&peer).and_then(|p| p.version.clone());
                tokio::spawn(async move {
                    let (session, result) =
                        node.sync_receive(area.clone(), peer.to_string(), release, session, messages).await;
                    let _ = tx.send(Internal::Received { peer, area, pair, session, result });
                });
            }
            Action::Send { peer, area, message } => self.send_frame(peer, Frame::Sync { area, message }),
            Action::Refuse { peer, area, reason } => {
                self.note_refusal(peer, &area, "this_device", &reason);
                self.send_frame(peer, Frame::Refused { area, reason });
            }
            Action::InSync { peer, area } => {
                self.node.record_sync(&area, &peer.to_string(), now_ms());
                if let Some(p) = self.peers.get_mut(&peer) {
                    p.last_seen_ms = Some(now_ms());
                }
            }
            Action::ListShared(peer) => self.sync_shared(peer),
            Action::DropStream(peer) => self.streams.drop_inbound(&peer),
            Action::Adopted { area, .. } => {
                self.refresh_rosters();
                self.joins.arrived(&area);
            }
        }
    }

    /// Lists the areas shared with a peer, off the loop; they come back as [`Internal::Shared`].
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

    // ---- local work -------------------------------------------------------------------------

    fn handle_change(&mut self, change: Result<String, broadcast::error::RecvError>) {
        match change {
            // At once: a session busy with an earlier push marks itself dirty and sends what
            // came meanwhile when it is back, so a burst of edits still goes out in few messages.
            Ok(area) => self.feed(Input::Changed(area)),
            // Missed some: start over with every peer; sync states make this cheap.
            Err(broadcast::error::RecvError::Lagged(_)) => self.feed(Input::ChangedAll),
            Err(broadcast::error::RecvError::Closed) => return,
        }
        self.refresh_rosters();
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
        self.keep_reservation(now);
        let (due, later): (Vec<_>, Vec<_>) = self.retiring.drain(..).partition(|(at, _)| *at <= now);
        self.retiring = later;
        for (_, id) in due {
            self.swarm.close_connection(id);
        }
        self.joins.expire(now);
        for (peer, request, channel) in self.asked.expired(now) {
            self.redeem(peer, request, channel);
        }
        self.feed(Input::Tick);
        if self.addrs_dirty {
            self.save_addresses();
        }
    }

    fn handle_internal(&mut self, event: Internal) {
        match event {
            Internal::Generated { peer, area, pair, session, result } => {
                let result = result.map_err(|e| e.to_string());
                self.feed(Input::Generated { peer, area, pair, session, result });
            }
            Internal::Received { peer, area, pair, session, result } => {
                let result = result
                    .map(|r| Applied { changed: r.changed, adopted: r.adopted, reply: r.reply })
                    .map_err(|e| e.to_string());
                self.feed(Input::Received { peer, area, pair, session, result });
            }
            Internal::Shared { peer, areas } => self.feed(Input::Shared { peer, areas }),
            Internal::Redeemed { peer, area, channel, result } => match result {
                Ok(()) => {
                    tracing::info!(%peer, %area, "invite redeemed; new member added");
                    self.respond(channel, Response::Joined);
                    self.feed(Input::Shared { peer, areas: vec![area] });
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
            Internal::Relays(addrs) => {
                let had = !self.relays.is_empty();
                for todo in self.relays.set(addrs) {
                    if let Todo::Unlisten(id) = todo {
                        self.swarm.remove_listener(id);
                    }
                }
                if !had && !self.relays.is_empty() {
                    self.keep_reservation(Instant::now());
                }
            }
            Internal::UpdateAnswer { channel, response } => {
                let _ = self.swarm.behaviour_mut().update.send_response(channel, response);
            }
        }
    }

    /// Asks a relay for a reservation when none is held or asked for (at start, when the areas
    /// gain one, when the one held goes).
    fn keep_reservation(&mut self, now: Instant) {
        while let Some(addr) = self.relays.next(now) {
            match self.swarm.listen_on(addr.clone()) {
                Ok(id) => {
                    tracing::info!(relay = %addr, "asking the relay for a reservation");
                    self.relays.listening(&addr, id);
                    return;
                }
                Err(e) => {
                    tracing::warn!(relay = %addr, error = %e, "cannot listen through the relay");
                    let id = libp2p::core::transport::ListenerId::next();
                    self.relays.listening(&addr, id);
                    self.relays.closed(id, Some(e.to_string()), now);
                }
            }
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
            if let Ok(relays) = node.all_relays().await {
                let _ = tx.send(Internal::Relays(relays.iter().filter_map(|r| r.parse().ok()).collect()));
            }
        });
    }

    fn update_blocked(&mut self, peers: BTreeSet<String>) {
        let wanted: BTreeSet<PeerId> = peers.iter().filter_map(|p| PeerId::from_str(p).ok()).collect();
        let newly: Vec<PeerId> = wanted.difference(&self.blocked).copied().collect();
        for peer in newly {
            tracing::info!(%peer, "removed member: connections refused");
            self.swarm.behaviour_mut().blocked.block_peer(peer);
            self.feed(Input::Blocked(peer, true));
            self.drop_streams(peer);
        }
        let lifted: Vec<PeerId> = self.blocked.difference(&wanted).copied().collect();
        for peer in lifted {
            self.swarm.behaviour_mut().blocked.unblock_peer(peer);
            self.feed(Input::Blocked(peer, false));
        }
        self.blocked = wanted;
    }

    // ---- commands from the handle -----------------------------------------------------------

    fn handle_command(&mut self, command: Command) {
        match command {
            Command::ListenAddrs { reply } => {
                // Where others reach this device: its listeners (a relay's circuit among them once
                // reserved), its external addresses, and every relay of its areas.
                let mut addrs: Vec<Multiaddr> = Vec::new();
                let relayed = self.relays.listen_addrs();
                for a in relayed.iter().chain(self.swarm.external_addresses()).chain(self.swarm.listeners()) {
                    let a = strip_p2p(a);
                    if !addrs.contains(&a) {
                        addrs.push(a);
                    }
                }
                let _ = reply.send(addrs);
            }
            Command::Relays { reply } => {
                let _ = reply.send(self.relays.infos());
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
            Command::UpdateOffers { reply } => {
                let mut offers: Vec<(PeerId, crate::update::Archive)> =
                    self.update_offers.iter().flat_map(|(p, list)| list.iter().map(move |a| (*p, a.clone()))).collect();
                offers.sort_by(|a, b| a.1.name.cmp(&b.1.name).then(a.0.cmp(&b.0)));
                let _ = reply.send(offers);
            }
            Command::UpdateRequest { peer, request, reply } => {
                if !self.live(&peer) {
                    let _ = reply.send(Err(NetError::Unreachable(format!("{peer} is not connected"))));
                    return;
                }
                let id = self.swarm.behaviour_mut().update.send_request(&peer, request);
                self.update_pending.insert(id, UpdatePending::Reply(reply));
            }
        }
    }

    // ---- updates from a teammate ------------------------------------------------------------

    /// A peer said its release: one newer than this device's is asked what it offers.
    fn ask_offers_if_newer(&mut self, peer: PeerId) {
        let newer =
            self.peers.get(&peer).and_then(|p| p.version.as_ref()).is_some_and(|v| *v > crate::update::current());
        if newer && self.live(&peer) {
            let id = self.swarm.behaviour_mut().update.send_request(&peer, UpdateRequest::Offers);
            self.update_pending.insert(id, UpdatePending::Offers(peer));
        }
    }

    fn handle_update_event(&mut self, event: request_response::Event<UpdateRequest, UpdateResponse>) {
        use request_response::{Event, Message};
        match event {
            Event::Message { peer, message: Message::Request { request, channel, .. }, .. } => {
                // Offered to teammates only: a device on no roster of this one gets nothing.
                let known =
                    self.names.contains_key(&peer.to_string()) || self.peers.get(&peer).is_some_and(|p| p.explicit);
                if !known {
                    let refused = UpdateResponse::Refused("this device offers releases to its teammates only".into());
                    let _ = self.swarm.behaviour_mut().update.send_response(channel, refused);
                    return;
                }
                let (store, tx) = (crate::update::Store::new(&self.data_dir), self.internal_tx.clone());
                tokio::task::spawn_blocking(move || {
                    let response = match request {
                        UpdateRequest::Offers => UpdateResponse::Offers(store.list()),
                        UpdateRequest::Chunk { name, offset } => match store.signature(&name) {
                            None => UpdateResponse::Refused(format!("{name} is not offered here")),
                            Some(_) => match store.read(&name, offset, crate::update::CHUNK) {
                                Ok(bytes) => UpdateResponse::Chunk(bytes),
                                Err(e) => UpdateResponse::Refused(e.to_string()),
                            },
                        },
                        UpdateRequest::Signature { name } => match store.signature(&name) {
                            Some(sig) => UpdateResponse::Signature(sig),
                            None => UpdateResponse::Refused(format!("{name} is not offered here")),
                        },
                    };
                    let _ = tx.send(Internal::UpdateAnswer { channel, response });
                });
            }
            Event::Message { peer, message: Message::Response { request_id, response }, .. } => {
                match (self.update_pending.remove(&request_id), response) {
                    (Some(UpdatePending::Offers(p)), UpdateResponse::Offers(list)) if p == peer => {
                        tracing::info!(%peer, offers = list.len(), "a teammate offers releases");
                        self.update_offers.insert(peer, list);
                    }
                    (Some(UpdatePending::Offers(_)), _) => {}
                    (Some(UpdatePending::Reply(reply)), response) => {
                        let _ = reply.send(Ok(response));
                    }
                    (None, _) => {}
                }
            }
            Event::OutboundFailure { peer, request_id, error, .. } => {
                tracing::debug!(%peer, error = %error, "update request failed");
                if let Some(UpdatePending::Reply(reply)) = self.update_pending.remove(&request_id) {
                    let _ = reply.send(Err(NetError::Unreachable(error.to_string())));
                }
            }
            Event::InboundFailure { peer, error, .. } => {
                tracing::debug!(%peer, error = %error, "bad or failed update request from peer");
            }
            Event::ResponseSent { .. } => {}
        }
    }

    // ---- invites ----------------------------------------------------------------------------

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
        self.joins.start(id, area, inviter, reply, Instant::now());
        self.update_limits();
    }

    fn handle_join_event(&mut self, event: request_response::Event<Request, Response>) {
        use request_response::{Event, Message};
        match event {
            Event::Message { peer, message: Message::Request { request, channel, .. }, .. } => {
                if self.identified.contains(&peer) {
                    self.redeem(peer, request, channel);
                } else {
                    self.asked.wait(peer, request, channel, Instant::now());
                }
            }
            Event::Message { peer, message: Message::Response { request_id, response }, .. } => {
                self.handle_join_answer(peer, request_id, response)
            }
            Event::OutboundFailure { peer, request_id, error, .. } => {
                tracing::debug!(%peer, error = %error, "join request failed");
                self.joins.failed(request_id, NetError::Unreachable(error.to_string()), false);
            }
            Event::InboundFailure { peer, error, .. } => {
                tracing::warn!(%peer, error = %error, "bad or failed join request from peer");
            }
            Event::ResponseSent { .. } => {}
        }
    }

    /// Redeems a join request, telling the node the joiner's announced release (a release that
    /// cannot read the area is refused, and the invite kept).
    fn redeem(&mut self, peer: PeerId, request: Request, channel: ResponseChannel<Response>) {
        let Request::Join { area, secret, name } = request;
        let release = self.peers.get(&peer).and_then(|p| p.version.clone());
        let (node, tx) = (self.node.clone(), self.internal_tx.clone());
        tokio::spawn(async move {
            let result = node.redeem_invite(area.clone(), secret, peer.to_string(), name, release, now_ms()).await;
            let _ = tx.send(Internal::Redeemed { peer, area, channel, result });
        });
    }

    fn handle_join_answer(&mut self, peer: PeerId, request_id: OutboundRequestId, response: Response) {
        match response {
            Response::Joined => {
                let Some(area) = self.joins.accepted(request_id, Instant::now()) else { return };
                // The inviter now pushes the area; it may even be here already.
                let (node, tx) = (self.node.clone(), self.internal_tx.clone());
                tokio::spawn(async move {
                    if node.shared_areas(peer.to_string()).await.is_ok_and(|a| a.contains(&area)) {
                        let _ = tx.send(Internal::Shared { peer, areas: vec![area] });
                    }
                });
            }
            Response::Refused(reason) => self.joins.failed(request_id, NetError::Refused(reason), true),
        }
    }

    /// Answers a join request. The peer may be gone already; then there is nobody to tell.
    fn respond(&mut self, channel: ResponseChannel<Response>, response: Response) {
        let _ = self.swarm.behaviour_mut().join.send_response(channel, response);
    }

    // ---- sync streams -----------------------------------------------------------------------

    /// Queues a frame on our stream to `peer`, opening the stream on first use.
    fn send_frame(&mut self, peer: PeerId, frame: Frame) {
        if !self.live(&peer) {
            // Disconnected meanwhile: the reconnect starts fresh sessions.
            return;
        }
        let link::Sent { size, restarted } = self.streams.send(peer, &frame);
        if restarted {
            // The writer stopped: what it had not written is lost, so the sessions that believe
            // it sent start over, now (its own report will name a stream no longer current).
            self.feed(Input::LinkDown(peer));
        }
        tracing::trace!(%peer, size, "frame sent");
        self.peers.entry(peer).or_default().bytes_sent += size as u64;
    }

    /// Drops both sync streams with a peer (its sessions are the state machine's business).
    fn drop_streams(&mut self, peer: PeerId) {
        self.streams.drop_peer(&peer);
    }

    /// A peer opened its sync stream to us; it replaces any earlier one from that peer.
    fn accept_stream(&mut self, peer: PeerId, stream: libp2p::Stream) {
        if self.blocked.contains(&peer) {
            return; // Dropped: the connection is on its way out too.
        }
        if self.streams.accept(peer, stream, self.frame_limit(&peer)) {
            self.feed(Input::LinkDown(peer));
        }
    }

    fn handle_link(&mut self, event: LinkEvent) {
        match event {
            LinkEvent::Frame { peer, stream, frame, size, .. } => {
                if !self.streams.is_inbound(&peer, stream) {
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
                        let stranger = self.frame_limit(&peer) < codec::MAX_FRAME;
                        self.feed(Input::Message { peer, area, message, stranger });
                    }
                    Frame::Refused { area, reason } => {
                        tracing::info!(%peer, %area, %reason, "peer refused our sync message");
                        self.note_refusal(peer, &area, "peer", &reason);
                        self.feed(Input::Refused { peer, area });
                    }
                }
            }
            LinkEvent::InboundEnded { peer, stream, error } => {
                if !self.streams.inbound_ended(&peer, stream) {
                    return;
                }
                match error {
                    // Garbage, an oversized frame: the stream is dropped; start over with this peer.
                    Some(e) => tracing::warn!(%peer, error = %e, "bad sync stream from peer; its sessions are reset"),
                    None => tracing::debug!(%peer, "peer closed its sync stream"),
                }
                self.feed(Input::LinkDown(peer));
            }
            LinkEvent::OutboundDown { peer, stream, error, unsupported } => {
                if !self.streams.outbound_down(&peer, stream) {
                    return;
                }
                if unsupported {
                    tracing::warn!(%peer, %error, "cannot sync with this peer");
                    return;
                }
                tracing::debug!(%peer, %error, "sync stream to peer down; its sessions are reset");
                self.feed(Input::LinkDown(peer));
            }
        }
    }

    // ---- swarm events -----------------------------------------------------------------------

    fn handle_swarm(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::Behaviour(BehaviourEvent::Join(e)) => self.handle_join_event(e),
            SwarmEvent::Behaviour(BehaviourEvent::Update(e)) => self.handle_update_event(e),
            SwarmEvent::Behaviour(BehaviourEvent::Streams(())) => {}
            SwarmEvent::Behaviour(BehaviourEvent::Mdns(mdns::Event::Discovered(found))) => {
                for (peer, addr) in found {
                    if peer == *self.swarm.local_peer_id() || self.blocked.contains(&peer) {
                        continue;
                    }
                    self.learn_address(peer, addr, true);
                    self.peers.entry(peer).or_default().mdns_seen_ms = Some(now_ms());
                    if self.direct(&peer) {
                        continue;
                    }
                    if self.live(&peer) {
                        // Back on the same network while connected through a relay: go direct
                        // (the relayed connection then gives way, see `surplus_connections`).
                        self.dial_direct(peer);
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
                let version = crdt_model::compat::release_of_agent(&info.agent_version);
                let p = self.peers.entry(peer_id).or_default();
                p.agent_name = name;
                if version.is_some() && p.version != version {
                    tracing::info!(peer = %peer_id, version = %version.as_ref().expect("some"), "peer's release");
                    p.version = version;
                    self.addrs_dirty = true;
                }
                self.ask_offers_if_newer(peer_id);
                self.identified.insert(peer_id);
                for (peer, request, channel) in self.asked.identified(peer_id) {
                    self.redeem(peer, request, channel);
                }
                for addr in info.listen_addrs {
                    // Circuit addresses are made from the areas' relays, not remembered.
                    if is_dialable(&addr) && !is_relayed(&addr) {
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
            SwarmEvent::Behaviour(BehaviourEvent::RelayClient(e)) => self.handle_relay_client(e),
            SwarmEvent::Behaviour(BehaviourEvent::Dcutr(dcutr::Event { remote_peer_id, result })) => {
                let outcome = match &result {
                    Ok(_) => {
                        tracing::info!(peer = %remote_peer_id, "hole punched: direct connection");
                        "ok".to_string()
                    }
                    Err(e) => {
                        tracing::info!(peer = %remote_peer_id, error = %e, "hole punching failed; staying on the relay");
                        e.to_string()
                    }
                };
                self.peers.entry(remote_peer_id).or_default().hole_punch = Some(outcome);
            }
            SwarmEvent::Behaviour(BehaviourEvent::Relay(e)) => tracing::debug!(event = ?e, "relay server"),
            SwarmEvent::Behaviour(BehaviourEvent::Blocked(never)) => match never {},
            SwarmEvent::Behaviour(BehaviourEvent::Limits(never)) => match never {},
            SwarmEvent::ConnectionEstablished { peer_id, connection_id, endpoint, .. } => {
                let relayed = endpoint.is_relayed();
                tracing::info!(peer = %peer_id, addr = %endpoint.get_remote_address(), relayed, "connected");
                self.relays.contact(peer_id, true);
                if let ConnectedPoint::Dialer { address, .. } = &endpoint
                    && !relayed
                {
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
                p.next_relay_dial = None;
                p.conns.push(Conn {
                    id: connection_id,
                    since: now,
                    we_dialled,
                    last_pong: Some(now),
                    closing: false,
                    relayed,
                });
                let relayed_ids: Vec<ConnectionId> = p.conns.iter().filter(|c| c.relayed).map(|c| c.id).collect();
                for surplus in p.surplus_connections(*self.swarm.local_peer_id(), peer_id) {
                    if relayed_ids.contains(&surplus) {
                        // What is under way on it (a join's answer, a sync message) finishes first.
                        tracing::info!(peer = %peer_id, "direct connection made: the relayed one closes shortly");
                        self.retiring.push((now + RELAYED_GRACE, surplus));
                    } else {
                        tracing::info!(peer = %peer_id, "a second connection to this peer: closing one");
                        self.swarm.close_connection(surplus);
                    }
                }
                if first {
                    self.node.peer_connection(&peer_id.to_string(), true);
                    // Sessions start with the connection: whatever a session of this peer's
                    // last connection believed it had sent is void.
                    self.feed(Input::Connected(peer_id));
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
                    p.dial_soon(Instant::now());
                    self.node.peer_connection(&peer_id.to_string(), false);
                    self.update_offers.remove(&peer_id);
                    self.identified.remove(&peer_id);
                    self.feed(Input::Disconnected(peer_id));
                    self.drop_streams(peer_id);
                }
            }
            SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                tracing::debug!(peer = ?peer_id, error = %error, "outgoing connection failed");
                if let Some(peer) = peer_id
                    && self.relays.is_relay(&peer)
                {
                    self.relays.contact(peer, false);
                }
            }
            SwarmEvent::IncomingConnectionError { error, .. } => {
                tracing::debug!(error = %error, "incoming connection failed");
            }
            SwarmEvent::NewListenAddr { address, .. } => tracing::info!(%address, "listening"),
            SwarmEvent::ExpiredListenAddr { address, .. } => tracing::info!(%address, "no longer listening"),
            SwarmEvent::ListenerClosed { listener_id, addresses, reason } => {
                let error = reason.as_ref().err().map(|e| error_chain(e));
                if self.relays.closed(listener_id, error.clone(), Instant::now()) {
                    tracing::info!(?error, "reservation at the relay ended; trying the next relay");
                    self.keep_reservation(Instant::now());
                } else {
                    tracing::warn!(?addresses, ?reason, "listener closed")
                }
            }
            SwarmEvent::ListenerError { error, .. } => tracing::warn!(error = %error, "listener error"),
            _ => {}
        }
    }

    // ---- peers, addresses, connections ------------------------------------------------------

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
    ///
    /// Through the areas' relays too, at most every [`RELAY_DIAL_MIN`] to [`RELAY_DIAL_MAX`]:
    /// all addresses are dialled at once and the first connection wins (on a LAN, the direct
    /// one; behind NATs, the relayed one, which hole punching then replaces).
    fn dial_peer(&mut self, peer: PeerId) {
        if self.live(&peer) {
            return;
        }
        let circuits = if self.relays.is_relay(&peer) { Vec::new() } else { self.relays.circuits_for(peer) };
        let p = self.peers.entry(peer).or_default();
        let addrs = peers::dial_addresses(p, &circuits, (RELAY_DIAL_MIN, RELAY_DIAL_MAX), Instant::now(), jitter);
        if addrs.is_empty() {
            return;
        }
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

    /// Dials `peer` at its direct addresses while connected to it through a relay.
    fn dial_direct(&mut self, peer: PeerId) {
        let addrs: Vec<Multiaddr> =
            self.peers.get(&peer).map(|p| p.addrs.iter().cloned().collect()).unwrap_or_default();
        let opts =
            DialOpts::peer_id(peer).addresses(addrs).condition(PeerCondition::NotDialing).allocate_new_port().build();
        if let Err(e) = self.swarm.dial(opts) {
            tracing::debug!(%peer, error = %e, "direct dial failed");
        }
    }

    fn handle_relay_client(&mut self, event: relay::client::Event) {
        match event {
            relay::client::Event::ReservationReqAccepted { relay_peer_id, renewal, .. } => {
                self.relays.accepted(relay_peer_id);
                if !renewal {
                    tracing::info!(relay = %relay_peer_id, "reservation held: members can reach this device through the relay");
                    // Members that could not be reached may now be reachable (they hold
                    // reservations too): dial them through the relay at once.
                    for p in self.peers.values_mut() {
                        p.next_relay_dial = None;
                    }
                    let now = Instant::now();
                    let members: Vec<PeerId> = self.names.keys().filter_map(|p| PeerId::from_str(p).ok()).collect();
                    for peer in members {
                        if !self.live(&peer) && peer != *self.swarm.local_peer_id() && !self.blocked.contains(&peer) {
                            self.peers.entry(peer).or_default().next_dial = Some((now, REDIAL_MIN));
                        }
                    }
                }
            }
            relay::client::Event::OutboundCircuitEstablished { relay_peer_id, .. } => {
                tracing::debug!(relay = %relay_peer_id, "circuit through the relay opened");
            }
            relay::client::Event::InboundCircuitEstablished { src_peer_id, .. } => {
                tracing::debug!(peer = %src_peer_id, "a peer reached this device through the relay");
            }
        }
    }

    /// Dials every peer whose turn has come: roster members with known addresses that are not
    /// connected (with a short backoff, so a member whose Wi-Fi comes back is found in seconds)
    /// and peers mDNS found.
    fn dial_due(&mut self, now: Instant) {
        let local = *self.swarm.local_peer_id();
        let members: Vec<PeerId> = self.names.keys().filter_map(|p| PeerId::from_str(p).ok()).collect();
        let live: BTreeSet<PeerId> =
            members.iter().chain(self.peers.keys()).filter(|p| self.live(p)).copied().collect();
        let blocked = &self.blocked;
        let relays = !self.relays.is_empty();
        let skip = |p: &PeerId| *p == local || blocked.contains(p);
        for peer in peers::due_dials(&mut self.peers, &members, skip, &live, relays, now, jitter) {
            self.dial_peer(peer);
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
            p.dial_soon(Instant::now());
            self.drop_streams(peer);
            self.update_offers.remove(&peer);
            self.feed(Input::Disconnected(peer));
        }
    }

    fn set_pong(&mut self, peer: PeerId, connection: ConnectionId, at: Option<Instant>) {
        if let Some(c) = self.peers.get_mut(&peer).and_then(|p| p.conns.iter_mut().find(|c| c.id == connection)) {
            c.last_pong = at;
        }
    }

    /// Closes connections whose last answered ping is older than [`peers::DEAD_AFTER`].
    fn check_pongs(&mut self, now: Instant) {
        for (peer, connection) in peers::dead_connections(&self.peers, now) {
            self.drop_dead_connection(peer, connection, &format!("no ping answered for {:?}", peers::DEAD_AFTER));
        }
    }

    /// Connected by a live connection that does not go through a relay.
    fn direct(&self, peer: &PeerId) -> bool {
        self.swarm.is_connected(peer) && self.peers.get(peer).is_some_and(PeerState::has_direct_connection)
    }

    /// Connected by a connection that is not being closed.
    fn live(&self, peer: &PeerId) -> bool {
        self.swarm.is_connected(peer) && self.peers.get(peer).is_none_or(PeerState::has_live_connection)
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
                areas_in_sync: self.sessions.in_sync(peer),
                last_refusal: p.last_refusal.clone(),
                mdns_seen: p.mdns_seen_ms.map(crdt_model::area::rfc3339),
                bytes_sent: p.bytes_sent,
                bytes_received: p.bytes_received,
                via: self.live(peer).then(|| p.via().unwrap_or("direct").to_string()),
                hole_punch: p.hole_punch.clone(),
                version: p.version.as_ref().map(ToString::to_string),
            })
            .collect();
        out.sort_by(|a, b| b.connected.cmp(&a.connected).then(a.peer_id.cmp(&b.peer_id)));
        out
    }

    /// The largest frame `peer` may send: a stranger's is small (see [`link::STRANGER_FRAME`]).
    fn frame_limit(&self, peer: &PeerId) -> usize {
        let known = self.names.contains_key(&peer.to_string())
            || self.peers.get(peer).is_some_and(|p| p.explicit)
            || self.joins.waits_on(peer);
        if known { codec::MAX_FRAME } else { link::STRANGER_FRAME }
    }

    /// Applies what the rosters, explicit peers and joins say to every reader's frame limit.
    fn update_limits(&mut self) {
        self.streams.set_limits(|peer| self.frame_limit(peer));
    }

    fn note_refusal(&mut self, peer: PeerId, area: &str, by: &str, reason: &str) {
        let reason: String = reason.chars().take(500).collect();
        let at = crdt_model::area::rfc3339(now_ms());
        self.peers.entry(peer).or_default().last_refusal =
            Some(Refusal { at, area: area.to_string(), by: by.to_string(), reason });
    }

    fn save_addresses(&mut self) {
        self.addrs_dirty = false;
        peers::save_addresses(&self.data_dir, &self.peers);
    }
}

/// An error and its sources, in one line (the relay client's refusal is in the source).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The bookkeeping lends the node's per-(peer, area) sync state to its calls.
impl super::sessions::Session for SyncSession {
    fn reset(&mut self) {
        SyncSession::reset(self);
    }
}
