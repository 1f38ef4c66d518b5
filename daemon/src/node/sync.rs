//! The node's side of peer-to-peer sync: apply a peer's Automerge sync message to an area,
//! persist what it brought, and say what to send back.
//!
//! The network task owns one [`SyncSession`] per (peer, area) and lends it to these calls, which
//! run on blocking threads like every other Automerge or sled operation. Membership is checked on
//! every message, in both directions: a peer that is not an active member of the area (or an area
//! this device is not an active member of) gets nothing and gives nothing.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use crdt_model::ModelError;
use crdt_model::sync::{IncomingArea, SyncState};

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

impl crate::network::sessions::Session for SyncSession {
    fn reset(&mut self) {
        SyncSession::reset(self);
    }
}

/// What applying a message gave (the change, if any, is durable by then).
pub use crate::network::sessions::Applied as Received;

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
    pub async fn sync_generate(
        &self,
        area: String,
        peer: String,
        mut session: SyncSession,
    ) -> (SyncSession, Result<Option<Vec<u8>>>) {
        let result = self
            .blocking(move |inner| {
                let r = inner.sync_generate(&area, &peer, &mut session);
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
        mut session: SyncSession,
        message: Vec<u8>,
    ) -> (SyncSession, Result<Received>) {
        let result = self
            .blocking(move |inner| {
                let r = inner.sync_receive(&area, &peer, &mut session, &message);
                if r.is_err() {
                    session.reset();
                }
                Ok((session, r))
            })
            .await;
        match result {
            Ok(pair) => pair,
            Err(e) => (SyncSession::default(), Err(e)),
        }
    }
}

impl Inner {
    fn sync_generate(&self, area: &str, peer: &str, session: &mut SyncSession) -> Result<Option<Vec<u8>>> {
        if let Some(incoming) = &session.incoming {
            return Ok(incoming.generate_sync_message(&mut session.state));
        }
        let entry = self.entry(area)?;
        let e = self.lock(&entry, area)?;
        if !e.area.is_active_member(peer) || !e.area.is_active_member(&self.actor) {
            return Err(not_member(peer, area));
        }
        Ok(e.area.generate_sync_message(&mut session.state))
    }

    fn sync_receive(&self, area: &str, peer: &str, session: &mut SyncSession, message: &[u8]) -> Result<Received> {
        crdt_model::ids::validate_area_id(area)?;
        let known = super::read_map(&self.areas).get(area).cloned();
        let Some(entry) = known else {
            return self.receive_new(area, peer, session, message);
        };
        let mut e = self.lock(&entry, area)?;
        if !e.area.is_active_member(peer) || !e.area.is_active_member(&self.actor) {
            return Err(not_member(peer, area));
        }
        match e.area.receive_sync_message(&mut session.state, message) {
            Ok(changed) => {
                if changed {
                    self.persist(area, &mut e)?;
                }
                let reply = e.area.generate_sync_message(&mut session.state);
                Ok(Received { changed, adopted: false, reply })
            }
            Err(err) => {
                // Part of the message may be in memory: go back to what is on disk.
                self.rollback(area, &mut e);
                Err(err.into())
            }
        }
    }

    fn receive_new(&self, area: &str, peer: &str, session: &mut SyncSession, message: &[u8]) -> Result<Received> {
        let incoming = session.incoming.get_or_insert_with(|| IncomingArea::new(&self.actor, area));
        incoming.receive_sync_message(&mut session.state, message)?;
        match incoming.accept(peer, &self.actor)? {
            None => Ok(Received { reply: incoming.generate_sync_message(&mut session.state), ..Received::default() }),
            Some(new_area) => {
                let mut map = write_map(&self.areas);
                if map.contains_key(area) {
                    // Created meanwhile (an import, another peer): continue on the stored one.
                    drop(map);
                    session.incoming = None;
                    return self.sync_receive(area, peer, session, message);
                }
                if self.broken.contains_key(area) {
                    return Err(NodeError::Unavailable {
                        id: area.to_string(),
                        reason: "stored copy is damaged".into(),
                    });
                }
                self.store.create_area(area, &new_area.save())?;
                let reply = new_area.generate_sync_message(&mut session.state);
                map.insert(area.to_string(), Arc::new(Mutex::new(new_entry(new_area))));
                self.changed(area);
                session.incoming = None;
                tracing::info!(%area, %peer, "area received from a member");
                Ok(Received { changed: true, adopted: true, reply })
            }
        }
    }
}
