//! The sync bookkeeping of the network task, as an IO-free state machine.
//!
//! [`Sessions`] keeps, per (peer, area), the Automerge sync session and what must happen to it:
//! lent to a blocking call or at home, something to send once it is back, a reset owed because
//! the link went down while it was out, messages that came meanwhile. It takes [`Input`]s (a
//! peer connected or went, a sync stream went down, a message or a refusal came, a lent session
//! came back, an area changed, the clock moved) and answers [`Action`]s (lend a session to
//! generate or receive, send a message or a refusal, mark a pair in sync, list the areas shared
//! with a peer, drop a flooding peer's stream). It does no IO, reads no clock (the time comes
//! with each input) and knows nothing of libp2p, Automerge or sled: the network task
//! ([`super::swarm`]) carries out the actions, and `daemon/tests/sync_sim.rs` drives many of
//! these machines with real Automerge documents through lossy, partitioned, restarting links.
//!
//! The rule all of it serves: **a session never believes a frame was delivered that may have
//! been lost.** Automerge's sync state remembers what it sent; if a frame is lost and the state
//! is kept, each side waits for the other forever. So:
//! - sessions are made when a peer's first connection is established and dropped with its last
//!   one, so every connection starts from fresh states;
//! - a sync stream that goes down (or is replaced by the peer) resets every session with that
//!   peer, and sync starts over [`RELINK_AFTER`] later;
//! - a session lent out when its pair is dropped never comes back into the new pair (pairs have
//!   ids), and one lent out when the link went down is reset when it comes back;
//! - a refused message (either way) resets that session, and it starts again
//!   [`RETRY_AFTER_REFUSAL`] later (else both sides may sit idle, apart).

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::hash::Hash;
use std::time::{Duration, Instant};

/// How soon sync with a connected peer starts over after its sync stream went down.
pub const RELINK_AFTER: Duration = Duration::from_secs(1);
/// How soon a session starts over after a message was refused, either way. A refusal for a
/// passing cause (the store could not write) must not leave both sides idle and apart; one for a
/// lasting cause (a bad change) costs one refused message per area this often.
pub const RETRY_AFTER_REFUSAL: Duration = Duration::from_secs(3);
/// Bytes of messages from one peer for one area waiting while its session is lent out; more and
/// the peer's stream is dropped. Whatever waits is applied in one go when the session is back,
/// so a member's burst (many edits, or TCP handing over at once what it held back while it
/// retransmitted a lost segment) is taken whole; only a peer sending faster than messages can be
/// applied fills this. One frame of the largest size fits (`codec::MAX_FRAME`).
pub const MAX_QUEUED_BYTES: usize = 64 * 1024 * 1024;
/// Messages waiting, however small (each costs a decode when applied).
pub const MAX_QUEUED: usize = 4096;
/// Areas a peer that shares none with this device may be sending at once (each is received into
/// memory until it reads as an area whose roster lists both devices).
pub const MAX_STRANGER_AREAS: usize = 4;

/// A sync session: Automerge's state and whatever else the node keeps per (peer, area).
pub trait Session: Default {
    /// Forgets everything about the peer's state.
    fn reset(&mut self);
}

/// Tells a pair from the one made after it for the same (peer, area).
pub type PairId = u64;

/// What the result of a lent `receive` says, as far as the bookkeeping is concerned.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The area changed here: pass it on to the other connected peers.
    pub changed: bool,
    /// The area was new to this device and is now stored.
    pub adopted: bool,
    /// The next message for the peer, if any.
    pub reply: Option<Vec<u8>>,
}

#[derive(Debug)]
pub enum Input<P, S> {
    /// The peer's first live connection: its sessions start fresh.
    Connected(P),
    /// The peer's last live connection went.
    Disconnected(P),
    /// A sync stream with the peer went down or was replaced: frames may have been lost.
    LinkDown(P),
    /// The peer is blocked (removed from every area it was on) or unblocked.
    Blocked(P, bool),
    /// The areas this device shares with the peer (the answer to [`Action::ListShared`]).
    Shared { peer: P, areas: Vec<String> },
    /// An area changed on this device: send it to every connected peer.
    Changed(String),
    /// Some changes were missed: start over with every connected peer.
    ChangedAll,
    /// A sync message from the peer. `stranger`: the peer is on no roster of this device.
    Message { peer: P, area: String, message: Vec<u8>, stranger: bool },
    /// The peer refused our last message about `area`.
    Refused { peer: P, area: String },
    /// A session lent by [`Action::Generate`] is back.
    Generated { peer: P, area: String, pair: PairId, session: S, result: Result<Option<Vec<u8>>, String> },
    /// A session lent by [`Action::Receive`] is back.
    Received { peer: P, area: String, pair: PairId, session: S, result: Result<Applied, String> },
    /// The clock moved.
    Tick,
}

#[derive(Debug)]
pub enum Action<P, S> {
    /// Lend `session` to a call that generates the next message for the peer, and give it
    /// back as [`Input::Generated`].
    Generate { peer: P, area: String, pair: PairId, session: S },
    /// Lend `session` to a call that applies the peer's messages, in order, and give it back as
    /// [`Input::Received`] (one answer for all of them: the reply to the last).
    Receive { peer: P, area: String, pair: PairId, session: S, messages: Vec<Vec<u8>> },
    /// Send a sync message to the peer.
    Send { peer: P, area: String, message: Vec<u8> },
    /// Tell the peer its message was refused (and note it: this device refused it).
    Refuse { peer: P, area: String, reason: String },
    /// The peer has everything this device has of the area.
    InSync { peer: P, area: String },
    /// Find the areas shared with the peer; answer with [`Input::Shared`].
    ListShared(P),
    /// The peer sends faster than its messages are applied: drop its inbound stream.
    DropStream(P),
    /// An area arrived from the peer and is stored now.
    Adopted { peer: P, area: String },
}

struct Pair<S> {
    id: PairId,
    /// `None` while lent out.
    session: Option<S>,
    /// Something may need sending once the session is back.
    dirty: bool,
    /// The session must start over once it is back.
    reset: bool,
    /// Messages that came while the session was lent out, oldest first, and their bytes.
    queued: VecDeque<Vec<u8>>,
    queued_bytes: usize,
}

/// The per-peer sync bookkeeping of one device (see the module documentation).
pub struct Sessions<P, S> {
    connected: HashSet<P>,
    blocked: HashSet<P>,
    pairs: HashMap<(P, String), Pair<S>>,
    /// Connected peers whose sync starts over at the given time.
    relink: HashMap<P, Instant>,
    /// Sessions to start again after a refusal, at the given time.
    retry: HashMap<(P, String), Instant>,
    in_sync: HashMap<P, BTreeSet<String>>,
    next_pair: PairId,
    out: Vec<Action<P, S>>,
}

impl<P, S> Default for Sessions<P, S> {
    fn default() -> Self {
        Sessions {
            connected: HashSet::new(),
            blocked: HashSet::new(),
            pairs: HashMap::new(),
            relink: HashMap::new(),
            retry: HashMap::new(),
            in_sync: HashMap::new(),
            next_pair: 0,
            out: Vec::new(),
        }
    }
}

impl<P: Copy + Eq + Hash + Ord + std::fmt::Debug, S: Session> Sessions<P, S> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one input; answers what to do, in order.
    pub fn handle(&mut self, input: Input<P, S>, now: Instant) -> Vec<Action<P, S>> {
        match input {
            Input::Connected(peer) => {
                self.connected.insert(peer);
                self.forget(peer);
                self.out.push(Action::ListShared(peer));
            }
            Input::Disconnected(peer) => {
                self.connected.remove(&peer);
                self.forget(peer);
            }
            Input::LinkDown(peer) => self.link_down(peer, now),
            Input::Blocked(peer, blocked) => {
                if blocked {
                    self.blocked.insert(peer);
                    self.forget(peer);
                } else {
                    self.blocked.remove(&peer);
                }
            }
            Input::Shared { peer, areas } => {
                for area in areas {
                    self.trigger(peer, area);
                }
            }
            Input::Changed(area) => {
                for peer in self.connected_peers() {
                    self.trigger(peer, area.clone());
                }
            }
            Input::ChangedAll => {
                for peer in self.connected_peers() {
                    self.out.push(Action::ListShared(peer));
                }
            }
            Input::Message { peer, area, message, stranger } => self.receive(peer, area, message, stranger, now),
            Input::Refused { peer, area } => {
                self.reset_pair(peer, &area);
                self.retry.insert((peer, area), now + RETRY_AFTER_REFUSAL);
            }
            Input::Generated { peer, area, pair, session, result } => {
                if self.session_returned(peer, &area, pair, session) {
                    match result {
                        Ok(Some(message)) => self.out.push(Action::Send { peer, area: area.clone(), message }),
                        Ok(None) => self.mark_in_sync(peer, &area),
                        Err(e) => tracing::debug!(?peer, %area, error = %e, "not syncing"),
                    }
                    self.after_return(peer, area);
                }
            }
            Input::Received { peer, area, pair, session, result } => {
                // What a message brought is stored either way; only a current session answers.
                let current = self.session_returned(peer, &area, pair, session);
                match result {
                    Ok(applied) => {
                        if applied.adopted {
                            self.out.push(Action::Adopted { peer, area: area.clone() });
                        }
                        if current {
                            match applied.reply {
                                Some(message) => self.out.push(Action::Send { peer, area: area.clone(), message }),
                                None => self.mark_in_sync(peer, &area),
                            }
                        }
                        if applied.changed {
                            // Pass it on to the other members (the sender has just been answered).
                            for other in self.connected_peers().into_iter().filter(|p| *p != peer) {
                                self.trigger(other, area.clone());
                            }
                        }
                    }
                    Err(reason) if current => {
                        tracing::warn!(?peer, %area, error = %reason, "sync message refused; session reset");
                        self.reset_pair(peer, &area);
                        self.retry.insert((peer, area.clone()), now + RETRY_AFTER_REFUSAL);
                        self.out.push(Action::Refuse { peer, area: area.clone(), reason });
                    }
                    Err(_) => {}
                }
                if current {
                    self.after_return(peer, area);
                }
            }
            Input::Tick => {
                let due: Vec<P> = self.relink.iter().filter(|(_, at)| **at <= now).map(|(p, _)| *p).collect();
                for peer in due {
                    self.relink.remove(&peer);
                    if self.connected.contains(&peer) {
                        self.out.push(Action::ListShared(peer));
                    }
                }
                let due: Vec<(P, String)> =
                    self.retry.iter().filter(|(_, at)| **at <= now).map(|(k, _)| k.clone()).collect();
                for (peer, area) in due {
                    self.retry.remove(&(peer, area.clone()));
                    self.trigger(peer, area);
                }
            }
        }
        std::mem::take(&mut self.out)
    }

    /// Areas synced with the peer since its sessions started.
    pub fn in_sync(&self, peer: &P) -> Vec<String> {
        self.in_sync.get(peer).map(|s| s.iter().cloned().collect()).unwrap_or_default()
    }

    /// Whether the peer is sending any area already (a stranger may send only a few).
    pub fn has_pair(&self, peer: &P, area: &str) -> bool {
        self.pairs.contains_key(&(*peer, area.to_string()))
    }

    /// Sessions lent out and not back yet.
    pub fn lent(&self) -> usize {
        self.pairs.values().filter(|p| p.session.is_none()).count()
    }

    /// When the next relink or retry is due, if any.
    pub fn next_due(&self) -> Option<Instant> {
        self.relink.values().chain(self.retry.values()).min().copied()
    }

    fn connected_peers(&self) -> Vec<P> {
        let mut peers: Vec<P> = self.connected.iter().copied().collect();
        peers.sort();
        peers
    }

    /// Drops every session with the peer (its state describes a connection that is gone).
    fn forget(&mut self, peer: P) {
        self.pairs.retain(|(p, _), _| *p != peer);
        self.retry.retain(|(p, _), _| *p != peer);
        self.relink.remove(&peer);
        self.in_sync.remove(&peer);
    }

    /// Sends the peer what it lacks of the area, unless the session is lent out (then when it
    /// is back).
    fn trigger(&mut self, peer: P, area: String) {
        if self.blocked.contains(&peer) || !self.connected.contains(&peer) {
            return;
        }
        let pair = self.pair(peer, &area);
        let Some(session) = pair.session.take() else {
            pair.dirty = true;
            return;
        };
        pair.dirty = false;
        let id = pair.id;
        self.out.push(Action::Generate { peer, area, pair: id, session });
    }

    /// Applies a message from the peer, in arrival order per (peer, area).
    fn receive(&mut self, peer: P, area: String, message: Vec<u8>, stranger: bool, now: Instant) {
        if self.blocked.contains(&peer) || !self.connected.contains(&peer) {
            return;
        }
        if stranger
            && !self.has_pair(&peer, &area)
            && self.pairs.keys().filter(|(p, _)| *p == peer).count() >= MAX_STRANGER_AREAS
        {
            tracing::warn!(?peer, %area, "too many areas from a peer that shares none with this device");
            let reason = format!("at most {MAX_STRANGER_AREAS} areas at once from a device that is on no roster here");
            self.out.push(Action::Refuse { peer, area, reason });
            return;
        }
        let pair = self.pair(peer, &area);
        let Some(session) = pair.session.take() else {
            if pair.queued.len() >= MAX_QUEUED || pair.queued_bytes + message.len() > MAX_QUEUED_BYTES {
                tracing::warn!(?peer, %area, "peer floods sync messages; its stream is dropped");
                pair.queued.clear();
                pair.queued_bytes = 0;
                self.out.push(Action::DropStream(peer));
                self.link_down(peer, now);
                return;
            }
            pair.queued_bytes += message.len();
            pair.queued.push_back(message);
            return;
        };
        let id = pair.id;
        self.out.push(Action::Receive { peer, area, pair: id, session, messages: vec![message] });
    }

    fn pair(&mut self, peer: P, area: &str) -> &mut Pair<S> {
        let next = &mut self.next_pair;
        self.pairs.entry((peer, area.to_string())).or_insert_with(|| {
            *next += 1;
            Pair {
                id: *next,
                session: Some(S::default()),
                dirty: false,
                reset: false,
                queued: VecDeque::new(),
                queued_bytes: 0,
            }
        })
    }

    /// Puts a session back into its pair. False when that pair is gone (the peer disconnected,
    /// and maybe reconnected: then the pair there now is another one).
    fn session_returned(&mut self, peer: P, area: &str, id: PairId, mut session: S) -> bool {
        let Some(pair) = self.pairs.get_mut(&(peer, area.to_string())).filter(|p| p.id == id) else {
            return false;
        };
        if std::mem::take(&mut pair.reset) {
            session.reset();
        }
        pair.session = Some(session);
        true
    }

    /// After a session came back: apply every queued message in one go, else send if dirty.
    fn after_return(&mut self, peer: P, area: String) {
        let Some(pair) = self.pairs.get_mut(&(peer, area.clone())) else { return };
        if !pair.queued.is_empty() {
            let Some(session) = pair.session.take() else { return };
            let messages: Vec<Vec<u8>> = pair.queued.drain(..).collect();
            pair.queued_bytes = 0;
            let id = pair.id;
            self.out.push(Action::Receive { peer, area, pair: id, session, messages });
        } else if pair.dirty {
            self.trigger(peer, area);
        }
    }

    fn mark_in_sync(&mut self, peer: P, area: &str) {
        self.in_sync.entry(peer).or_default().insert(area.to_string());
        self.out.push(Action::InSync { peer, area: area.to_string() });
    }

    /// Starts the session over, now or when it comes back.
    fn reset_pair(&mut self, peer: P, area: &str) {
        if let Some(pair) = self.pairs.get_mut(&(peer, area.to_string())) {
            match pair.session.as_mut() {
                Some(s) => s.reset(),
                None => pair.reset = true,
            }
        }
        if let Some(set) = self.in_sync.get_mut(&peer) {
            set.remove(area);
        }
    }

    /// Every session with the peer starts over, and sync with it restarts soon.
    fn link_down(&mut self, peer: P, now: Instant) {
        let areas: Vec<String> = self.pairs.keys().filter(|(p, _)| *p == peer).map(|(_, a)| a.clone()).collect();
        for area in &areas {
            self.reset_pair(peer, area);
        }
        if self.connected.contains(&peer) {
            self.relink.insert(peer, now + RELINK_AFTER);
        }
    }
}
