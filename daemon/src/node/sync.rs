//! The node's side of peer-to-peer sync: apply a peer's Automerge sync message to an area,
//! persist what it brought, and say what to send back.
//!
//! The network task owns one [`SyncSession`] per (peer, area) and lends it to these calls, which
//! run on blocking threads like every other Automerge or sled operation. Membership is checked on
//! every message, in both directions: a peer that is not an active member of the area (or an area
//! this device is not an active member of) gets nothing and gives nothing.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use automerge::ChangeHash;
use crdt_model::sync::{IncomingArea, SyncState};
use crdt_model::{Area, ModelError};

use super::{Inner, Node, NodeError, Result, new_entry, write_map};

/// What the network keeps per (peer, area) between messages.
#[derive(Debug, Default)]
pub struct SyncSession {
    pub state: SyncState,
    /// The area as it arrives, when this device does not have it yet.
    incoming: Option<IncomingArea>,
}

impl SyncSession {
    /// Forgets everything about the peer's state (after an error or a reconnect).
    pub fn reset(&mut self) {
        *self = SyncSession::default();
    }
}

/// What applying a message gave (the change, if any, is durable by then).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Received {
    /// The area changed here: pass it on to the other connected peers.
    pub changed: bool,
    /// The area was new to this device and is now stored.
    pub adopted: bool,
    /// The next message for the peer, if any.
    pub reply: Option<Vec<u8>>,
}

/// A sync message of an area past its first erasure starts with this, its epoch (u64 BE) and
/// the hash of the change that cut it (32 bytes), then the Automerge sync message. Areas at
/// epoch 0 send bare Automerge messages, as before epochs (and as third-party clients do).
const EPOCH_TAG: &[u8; 4] = b"kdE1";
/// The whole document of the sender's epoch (an Automerge save), sent instead of a sync
/// message to a peer on an epoch it supersedes: documents of two epochs never sync.
const EPOCH_DOC: &[u8; 4] = b"kdD1";

/// A peer's message as it arrived.
enum Incoming<'a> {
    Sync { epoch: u64, cut: Option<ChangeHash>, message: &'a [u8] },
    Document(&'a [u8]),
}

fn parse(message: &[u8]) -> Result<Incoming<'_>> {
    if let Some(doc) = message.strip_prefix(EPOCH_DOC.as_slice()) {
        return Ok(Incoming::Document(doc));
    }
    let Some(rest) = message.strip_prefix(EPOCH_TAG.as_slice()) else {
        return Ok(Incoming::Sync { epoch: 0, cut: None, message });
    };
    let bad = || {
        NodeError::from(ModelError::InvalidInput {
            field: "sync".into(),
            message: "an epoch header is cut short or malformed".into(),
        })
    };
    let epoch = u64::from_be_bytes(rest.get(..8).ok_or_else(bad)?.try_into().map_err(|_| bad())?);
    let cut = ChangeHash::try_from(rest.get(8..40).ok_or_else(bad)?).map_err(|_| bad())?;
    if epoch == 0 {
        return Err(bad());
    }
    Ok(Incoming::Sync { epoch, cut: Some(cut), message: &rest[40..] })
}

/// `message` as sent for a document at `epoch`.
fn tag(epoch: (u64, Option<ChangeHash>), message: Vec<u8>) -> Vec<u8> {
    match epoch {
        (0, _) | (_, None) => message,
        (n, Some(cut)) => [EPOCH_TAG.as_slice(), &n.to_be_bytes(), &cut.0, &message].concat(),
    }
}

/// Why a peer's message was not taken.
fn not_member(peer: &str, area: &str) -> NodeError {
    ModelError::InvalidInput { field: "peer".into(), message: format!("{peer} is not a member of area {area}") }.into()
}

impl Node {
    /// Areas that this device and `peer` are both active members of.
    pub async fn shared_areas(&self, peer: String) -> Result<Vec<String>> {
        self.blocking(move |inner| {
            let mut out = Vec::new();
            for id in inner.area_ids() {
                let shared = inner.read(&id, |a| Ok(a.is_active_member(&peer) && a.is_active_member(&inner.actor)))?;
                if shared {
                    out.push(id);
                }
            }
            Ok(out)
        })
        .await
    }

    /// Peers that were removed from some area and are an active member of none: the network
    /// refuses their connections outright.
    pub async fn blocked_peers(&self) -> Result<BTreeSet<String>> {
        self.blocking(|inner| {
            let (mut active, mut removed) = (BTreeSet::new(), BTreeSet::new());
            for id in inner.area_ids() {
                for m in inner.read(&id, |a| Ok(a.members()))? {
                    if m.removed {
                        removed.insert(m.peer_id)
                    } else {
                        active.insert(m.peer_id)
                    };
                }
            }
            Ok(removed.difference(&active).cloned().collect())
        })
        .await
    }

    /// Roster names by peer id, over every area.
    pub async fn member_names(&self) -> Result<Vec<(String, String)>> {
        self.blocking(|inner| {
            let mut out = Vec::new();
            for id in inner.area_ids() {
                for m in inner.read(&id, |a| Ok(a.members()))? {
                    out.push((m.peer_id, m.name));
                }
            }
            Ok(out)
        })
        .await
    }

    /// The next message for `peer` about `area`; `Ok(None)` when the peer is up to date.
    /// Refused when either side is not an active member.
    /// `release`: what the peer announced, if it did (see [`Inner::behind`]).
    pub async fn sync_generate(
        &self,
        area: String,
        peer: String,
        release: Option<semver::Version>,
        mut session: SyncSession,
    ) -> (SyncSession, Result<Option<Vec<u8>>>) {
        let result = self
            .blocking(move |inner| {
                let started = std::time::Instant::now();
                let r = inner.sync_generate(&area, &peer, release.as_ref(), &mut session);
                let bytes = r.as_ref().ok().and_then(|m| m.as_ref()).map_or(0, Vec::len);
                tracing::debug!(%area, %peer, bytes, elapsed = ?started.elapsed(), "sync message generated");
                Ok((session, r))
            })
            .await;
        match result {
            Ok(pair) => pair,
            Err(e) => (SyncSession::default(), Err(e)),
        }
    }

    /// Applies `peer`'s message about `area`, persisting what it brought before answering.
    /// An area this device lacks is received into the session until it reads as an area that
    /// lists both the peer and this device; then it is stored.
    pub async fn sync_receive(
        &self,
        area: String,
        peer: String,
        release: Option<semver::Version>,
        mut session: SyncSession,
        messages: Vec<Vec<u8>>,
    ) -> (SyncSession, Result<Received>) {
        let result = self
            .blocking(move |inner| {
                let started = std::time::Instant::now();
                let r = inner.sync_receive(&area, &peer, release.as_ref(), &mut session, &messages);
                tracing::debug!(
                    %area, %peer,
                    messages = messages.len(),
                    bytes = messages.iter().map(Vec::len).sum::<usize>(),
                    reply = r.as_ref().ok().and_then(|r| r.reply.as_ref()).map_or(0, Vec::len),
                    elapsed = ?started.elapsed(),
                    "sync messages applied"
                );
                if r.is_err() {
                    session.reset();
                }
                Ok((session, r))
            })
            .await;
        if let Ok((_, Ok(received))) = &result
            && received.adopted
        {
            // A whole area was read in (a first sync): its temporaries go back to the system.
            tokio::task::spawn_blocking(crate::memory::release_freed);
        }
        match result {
            Ok(pair) => pair,
            Err(e) => (SyncSession::default(), Err(e)),
        }
    }
}

impl Inner {
    /// The next message for a peer whose state is `state` on area `id`, tagged with its epoch.
    /// A message carrying the whole document (a first sync) carries it as the store keeps it,
    /// rather than a new save of it ([`Area::generate_sync_message_from`]).
    fn generate(&self, id: &str, e: &super::AreaEntry, state: &mut SyncState) -> Option<Vec<u8>> {
        e.area.generate_sync_message_from(state, || self.stored_document(id, e)).map(|m| tag(e.epoch, m))
    }

    /// The area's bytes as stored (its save and the chunks after it), when they hold exactly
    /// the document in memory: loading them gives it. Reading them back from sled costs a
    /// small part of a save of the document.
    fn stored_document(&self, id: &str, e: &super::AreaEntry) -> Option<Vec<u8>> {
        if !super::same_heads(&e.area.heads(), &e.heads) {
            return None;
        }
        match self.store.load(id) {
            Ok(stored) => stored.map(|s| s.bytes()),
            Err(err) => {
                tracing::warn!(area = %id, error = %err, "could not read the stored area; sending a new save of it");
                None
            }
        }
    }

    /// Whether `peer`, on `release`, cannot read `area` as this device holds it (a feature its
    /// release refuses, [`crdt_model::compat`]). Then this device sends it none of its changes
    /// (Automerge's own "peer is read-only" mode: heads and what this device has, no changes),
    /// so the peer refuses nothing and still sends its own edits; the doctor and the team page
    /// name it until it updates. Said once per (area, peer) in the log. An unknown release is
    /// not behind (the peer's identify comes with its first connection).
    fn behind(&self, id: &str, area: &Area, peer: &str, release: Option<&semver::Version>) -> bool {
        let Some(release) = release else { return false };
        let needs = area.requires();
        if needs.readable_by(release) {
            return false;
        }
        let mut noted = self.behind_noted.lock().unwrap_or_else(|e| e.into_inner());
        if noted.insert((id.to_string(), peer.to_string())) {
            tracing::info!(
                area = %id, %peer, %release, needs = %needs.release,
                "member on an older release: it sends its edits, and gets this device's once it updates"
            );
        }
        true
    }

    fn sync_generate(
        &self,
        area: &str,
        peer: &str,
        release: Option<&semver::Version>,
        session: &mut SyncSession,
    ) -> Result<Option<Vec<u8>>> {
        if let Some(incoming) = &session.incoming {
            return Ok(incoming.generate_sync_message(&mut session.state));
        }
        let entry = self.entry(area)?;
        let e = self.lock(&entry, area)?;
        if !e.area.is_active_member(peer) || !e.area.is_active_member(&self.actor) {
            return Err(not_member(peer, area));
        }
        if self.behind(area, &e.area, peer, release) {
            session.state.peer_read_only = true;
        }
        Ok(self.generate(area, &e, &mut session.state))
    }

    /// Applies a peer's messages in order, persists once what they brought, and answers once.
    /// A whole document or a message of another epoch ends the batch (the session starts over
    /// there; what the peer sent after it was meant for the session it had before).
    fn sync_receive(
        &self,
        area: &str,
        peer: &str,
        release: Option<&semver::Version>,
        session: &mut SyncSession,
        messages: &[Vec<u8>],
    ) -> Result<Received> {
        crdt_model::ids::validate_area_id(area)?;
        let known = super::read_map(&self.areas).get(area).cloned();
        let Some(entry) = known else {
            return self.receive_new(area, peer, session, messages);
        };
        let mut e = self.lock(&entry, area)?;
        if !e.area.is_active_member(peer) || !e.area.is_active_member(&self.actor) {
            return Err(not_member(peer, area));
        }
        let mut changed = false;
        for raw in messages {
            let message = match parse(raw) {
                Ok(Incoming::Sync { epoch, cut, message }) if (epoch, cut) == e.epoch => message,
                Ok(other) => {
                    if changed {
                        self.persist(area, &mut e)?;
                    }
                    let behind = self.behind(area, &e.area, peer, release);
                    let r = self.receive_other_epoch(area, peer, session, &mut e, other, behind)?;
                    return Ok(Received { changed: changed || r.changed, ..r });
                }
                Err(err) => {
                    self.rollback(area, &mut e);
                    return Err(err);
                }
            };
            match e.area.receive_sync_message(&mut session.state, message) {
                Ok(c) => changed |= c,
                Err(err) => {
                    // Part of the message may be in memory: go back to what is on disk.
                    self.rollback(area, &mut e);
                    return Err(err.into());
                }
            }
        }
        if changed {
            self.persist(area, &mut e)?;
        }
        let reply = if self.behind(area, &e.area, peer, release) {
            // Its messages reset the flag; and since its heads never reach this device's, each
            // side would answer the other forever: answer only what brought something (and the
            // session's first message).
            session.state.peer_read_only = true;
            let answered = session.state.have_responded;
            let reply = self.generate(area, &e, &mut session.state);
            if answered && !changed { None } else { reply }
        } else {
            self.generate(area, &e, &mut session.state)
        };
        Ok(Received { changed, adopted: false, reply })
    }

    /// A whole document, or a sync message of another epoch than the area's.
    fn receive_other_epoch(
        &self,
        area: &str,
        peer: &str,
        session: &mut SyncSession,
        e: &mut super::AreaEntry,
        message: Incoming<'_>,
        behind: bool,
    ) -> Result<Received> {
        match message {
            Incoming::Document(doc) => {
                // A newer epoch (or the winning cut of this one): adopt it.
                let next = Area::load_checked(doc, &self.actor, None)?;
                if next.id() != area || !next.is_active_member(peer) {
                    return Err(not_member(peer, area));
                }
                session.reset();
                let changed = match self.adopted(&e.area, &next)? {
                    Some(adopted) => {
                        self.replace_document(area, e, adopted)?;
                        tracing::info!(%area, %peer, epoch = e.epoch.0, "adopted the area's new epoch from a member");
                        true
                    }
                    None => false,
                };
                let reply = self.generate(area, e, &mut session.state);
                Ok(Received { changed, adopted: false, reply })
            }
            Incoming::Sync { epoch, cut, .. } => {
                // Documents of two epochs never sync. The side whose epoch wins sends its whole
                // document; the other starts over and waits for it.
                session.reset();
                let theirs_loses = epoch < e.epoch.0 || (epoch == e.epoch.0 && cut > e.epoch.1);
                let reply = if theirs_loses && behind {
                    // Its release would refuse the document: it gets it once it updates.
                    None
                } else if theirs_loses {
                    Some(
                        [EPOCH_DOC.as_slice(), &self.stored_document(area, e).unwrap_or_else(|| e.area.save())]
                            .concat(),
                    )
                } else {
                    self.generate(area, e, &mut session.state)
                };
                Ok(Received { changed: false, adopted: false, reply })
            }
        }
    }

    fn receive_new(&self, area: &str, peer: &str, session: &mut SyncSession, messages: &[Vec<u8>]) -> Result<Received> {
        for raw in messages {
            match parse(raw)? {
                Incoming::Sync { message, .. } => {
                    let incoming = session.incoming.get_or_insert_with(|| IncomingArea::new(&self.actor, area));
                    incoming.receive_sync_message(&mut session.state, message)?;
                }
                // The area at an epoch past an erasure, whole (this device asked with bare
                // messages, as a device without the area does).
                Incoming::Document(doc) => {
                    let next = Area::load_checked(doc, &self.actor, None)?;
                    if next.id() != area || !next.is_active_member(peer) || !next.is_active_member(&self.actor) {
                        return Err(not_member(peer, area));
                    }
                    session.reset();
                    return self.store_received(area, peer, session, next, None);
                }
            }
        }
        let Some(incoming) = session.incoming.as_mut() else { return Ok(Received::default()) };
        let started = std::time::Instant::now();
        let accepted = incoming.accept(peer, &self.actor)?;
        tracing::debug!(%area, complete = accepted.is_some(), elapsed = ?started.elapsed(), "incoming area read and checked at the door");
        match accepted {
            None => Ok(Received { reply: incoming.generate_sync_message(&mut session.state), ..Received::default() }),
            Some(accepted) => {
                session.incoming = None;
                self.store_received(area, peer, session, accepted.area, Some(accepted.bytes))
            }
        }
    }

    /// Stores an area received whole from `peer` (checked by the caller) as a new one. `bytes`:
    /// what it arrived as, when loading them gives the document (then they are stored as they
    /// are, instead of a save of the document).
    fn store_received(
        &self,
        area: &str,
        peer: &str,
        session: &mut SyncSession,
        mut new_area: Area,
        bytes: Option<Vec<u8>>,
    ) -> Result<Received> {
        let mut map = write_map(&self.areas);
        if map.contains_key(area) {
            // Created meanwhile (an import, another peer): the next message goes to the stored
            // one, from a fresh session.
            session.reset();
            return Ok(Received::default());
        }
        if self.broken.contains_key(area) {
            return Err(NodeError::Unavailable { id: area.to_string(), reason: "stored copy is damaged".into() });
        }
        let save = if new_area.epoch() > 0 {
            // Adopting the epoch is a change of this device's: the document is saved with it.
            new_area.record_epoch(&self.actor, super::now_ms())?;
            new_area.save()
        } else {
            bytes.unwrap_or_else(|| new_area.save())
        };
        let started = std::time::Instant::now();
        self.store.create_area(area, &save)?;
        tracing::debug!(%area, bytes = save.len(), elapsed = ?started.elapsed(), "received area stored");
        let entry = new_entry(new_area);
        let reply = self.generate(area, &entry, &mut session.state);
        map.insert(area.to_string(), Arc::new(Mutex::new(entry)));
        self.changed(area);
        tracing::info!(%area, %peer, "area received from a member");
        Ok(Received { changed: true, adopted: true, reply })
    }
}

/// The epoch wire format of sync messages, for the fuzz target `epoch_message`
/// (`fuzz/src/lib.rs`).
#[doc(hidden)]
pub mod fuzzing {
    use super::*;

    /// A parsed message: `(epoch, cut hash, sync message)` or a whole document.
    pub enum Parsed<'a> {
        Sync { epoch: u64, cut: Option<[u8; 32]>, message: &'a [u8] },
        Document(&'a [u8]),
    }

    pub fn parse(bytes: &[u8]) -> std::result::Result<Parsed<'_>, String> {
        match super::parse(bytes).map_err(|e| e.to_string())? {
            Incoming::Sync { epoch, cut, message } => Ok(Parsed::Sync { epoch, cut: cut.map(|c| c.0), message }),
            Incoming::Document(doc) => Ok(Parsed::Document(doc)),
        }
    }

    /// A sync message as sent at `epoch` with the cut `cut`.
    pub fn tag(epoch: u64, cut: Option<[u8; 32]>, message: Vec<u8>) -> Vec<u8> {
        super::tag((epoch, cut.map(ChangeHash)), message)
    }

    /// A whole document as sent to a peer on a superseded epoch.
    pub fn document(save: &[u8]) -> Vec<u8> {
        [EPOCH_DOC.as_slice(), save].concat()
    }
}
