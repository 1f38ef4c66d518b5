//! Automerge's sync protocol, applied to areas.
//!
//! Automerge's `sync` module is already an IO-free state machine: a [`SyncState`] per
//! (peer, area) remembers what the peer has, [`Area::generate_sync_message`] says what to send
//! next (or `None` when the peer is up to date), [`Area::receive_sync_message`] takes what the
//! peer sent. Carrying the bytes, keeping the states and persisting the result are the daemon's.
//!
//! A device that does not have an area yet receives it into an [`IncomingArea`]: an empty
//! document that becomes an [`Area`] once enough has arrived to read as one, and only if its
//! roster lets the sender give it and lists the receiver.

use automerge::sync::{Capability, ChunkList, Message, MessageVersion, SyncDoc};
use automerge::{ActorId, Automerge};

use crate::area::Area;
use crate::error::ModelError;

pub use automerge::sync::State as SyncState;

impl Area {
    /// The next message for a peer whose state is `state`, encoded; `None` when in sync.
    pub fn generate_sync_message(&self, state: &mut SyncState) -> Option<Vec<u8>> {
        self.doc.generate_sync_message(state).map(Message::encode)
    }

    /// [`Area::generate_sync_message`], where a message that carries the whole document (to a
    /// peer that has none of it: a first sync) carries `stored()` instead of a new save: the
    /// bytes this device keeps the document as, which must load as this document at its
    /// current heads (a save, possibly followed by chunks of later changes). `stored` is only
    /// called for such a message; `None` from it falls back to a save.
    ///
    /// Automerge's own message for that case is its save of the document with the heads, have,
    /// need and flags of the state; this asks Automerge for the same message without changes
    /// (as to a read-only peer, so the state's bookkeeping is Automerge's) and puts the stored
    /// bytes in. The only difference in the state is that the change hashes the message
    /// carries are not added to `sent_hashes` (listing them would cost a walk over every
    /// change): those only keep Automerge from sending a change twice while it is in flight,
    /// and a peer with no heads is always sent the whole document anyway.
    pub fn generate_sync_message_from(
        &self,
        state: &mut SyncState,
        stored: impl FnOnce() -> Option<Vec<u8>>,
    ) -> Option<Vec<u8>> {
        if !sends_whole_document(state) || self.doc.get_heads().is_empty() {
            return self.generate_sync_message(state);
        }
        state.peer_read_only = true;
        let message = self.doc.generate_sync_message(state);
        state.peer_read_only = false;
        let mut message = message?;
        // A peer that reads V2 messages is sent one, changes or not.
        debug_assert!(message.changes.is_empty() && message.version == MessageVersion::V2);
        message.changes = ChunkList::from(stored().unwrap_or_else(|| self.doc.save()));
        Some(message.encode())
    }

    /// Applies a peer's encoded message. Answers whether the document changed.
    ///
    /// On `Err` the message was refused (it does not decode, what it brings does not read as
    /// this area, or a change fails the check at the door, [`crate::check`]); the document may then hold part of it, so the caller must discard this
    /// `Area` and reload what it persisted, and reset the peer's `state`.
    pub fn receive_sync_message(&mut self, state: &mut SyncState, bytes: &[u8]) -> Result<bool, ModelError> {
        let message = decode_message(bytes)?;
        let before = self.doc.get_heads();
        // Read before applying: afterwards `meta/id` may already hold what the peer sent.
        let id_before = self.id();
        let roster = self.roster_ids();
        self.doc
            .receive_sync_message(state, message)
            .map_err(|e| ModelError::Corrupt(format!("sync message refused: {e}")))?;
        if self.doc.get_heads() == before {
            return Ok(false);
        }
        self.revalidate(&id_before)?;
        self.check_since(&before, roster)?;
        Ok(true)
    }

    /// Re-reads the schema and profile after changes arrived from elsewhere, and checks that the
    /// document still reads as area `id_before` (its id read before the changes were applied).
    fn revalidate(&mut self, id_before: &str) -> Result<(), ModelError> {
        let checked = Area::from_doc(std::mem::take(&mut self.doc))?;
        if checked.id() != id_before {
            return Err(ModelError::Corrupt(format!("changes turned area {id_before} into {}", checked.id())));
        }
        *self = checked;
        Ok(())
    }

    /// Whether `peer` is on the roster and not removed.
    pub fn is_active_member(&self, peer: &str) -> bool {
        self.members().iter().any(|m| m.peer_id == peer && !m.removed)
    }
}

/// Whether Automerge's next message to a peer in `state` carries the whole document (its
/// `generate_sync_message`: a peer that said it has no heads, reads V2 messages and is not
/// read-only), and would not be a reset instead (a peer that has synced before and names
/// heads this device does not know). The empty `last_sync` is stricter than Automerge's test,
/// so this is never true where Automerge would not send the document.
fn sends_whole_document(state: &SyncState) -> bool {
    let v2 = state.their_capabilities.as_ref().is_some_and(|caps| caps.contains(&Capability::MessageV2));
    v2 && !state.peer_read_only
        && state.their_heads.as_ref().is_some_and(|heads| heads.is_empty())
        && state.their_need.is_some()
        && state.their_have.as_ref().is_some_and(|have| have.iter().all(|h| h.last_sync.is_empty()))
}

/// Most probes a peer's Bloom filter may ask for. Automerge sends 7; every probe costs memory
/// and time for each change considered when answering.
const MAX_BLOOM_PROBES: u32 = 64;

/// Decodes a peer's sync message, refusing what Automerge would accept but not survive.
///
/// Automerge keeps a peer's Bloom filters as sent and uses their parameters when it generates
/// the next message: a filter with entries but no bits divides by zero there (a panic), and one
/// with billions of probes allocates and loops per probe. Both are refused here, before anything
/// is applied.
fn decode_message(bytes: &[u8]) -> Result<Message, ModelError> {
    let message = Message::decode(bytes).map_err(|e| ModelError::Corrupt(format!("bad sync message: {e}")))?;
    // What Automerge would parse without a bound ([`crate::chunks`]).
    for chunk in message.changes.iter() {
        crate::chunks::check(chunk).map_err(|e| ModelError::Corrupt(format!("bad sync message: {e}")))?;
    }
    for have in &message.have {
        // `to_bytes` is empty for a filter without entries, else: entries, bits per entry and
        // probes (LEB128), then the bits.
        let filter = have.bloom.to_bytes();
        if filter.is_empty() {
            continue;
        }
        let mut rest = filter.as_slice();
        let bad = |why: String| Err(ModelError::Corrupt(format!("bad sync message: a Bloom filter {why}")));
        let (Some(_entries), Some(_bits_per_entry), Some(probes)) =
            (leb128_u32(&mut rest), leb128_u32(&mut rest), leb128_u32(&mut rest))
        else {
            return bad("is malformed".into());
        };
        if rest.is_empty() {
            return bad("has entries but no bits".into());
        }
        if probes > MAX_BLOOM_PROBES {
            return bad(format!("asks for {probes} probes (at most {MAX_BLOOM_PROBES})"));
        }
    }
    Ok(message)
}

/// Reads one unsigned LEB128 number that fits a u32 and advances `bytes` past it.
fn leb128_u32(bytes: &mut &[u8]) -> Option<u32> {
    crate::chunks::leb128(bytes).and_then(|v| u32::try_from(v).ok())
}

/// An area arriving from a peer for the first time.
#[derive(Debug)]
pub struct IncomingArea {
    doc: Automerge,
    area: String,
    /// What the sender's messages carried (Automerge chunks, in order): loaded, they give the
    /// document, so once it is accepted the store keeps these bytes instead of saving it again.
    chunks: Vec<u8>,
    /// The door's verdict on `chunks`, read from their columns while Automerge applied them,
    /// when they are the one whole document a first message carries.
    verdict: Option<Result<(), ModelError>>,
}

/// An area received whole and accepted ([`IncomingArea::accept`]).
#[derive(Debug)]
pub struct Accepted {
    pub area: Area,
    /// The bytes it arrived as: [`Area::load`] of them gives the same document.
    pub bytes: Vec<u8>,
}

impl IncomingArea {
    /// `actor`: this device's peer id; `area`: the id the peer says it is sending.
    pub fn new(actor: &str, area: &str) -> IncomingArea {
        IncomingArea {
            doc: Automerge::new().with_actor(ActorId::from(actor.as_bytes())),
            area: area.to_string(),
            chunks: Vec::new(),
            verdict: None,
        }
    }

    pub fn generate_sync_message(&self, state: &mut SyncState) -> Option<Vec<u8>> {
        self.doc.generate_sync_message(state).map(Message::encode)
    }

    /// Applies a message. `Err` when it does not decode or apply; then drop this `IncomingArea`.
    pub fn receive_sync_message(&mut self, state: &mut SyncState, bytes: &[u8]) -> Result<(), ModelError> {
        let message = decode_message(bytes)?;
        let first = self.chunks.is_empty();
        for chunk in message.changes.iter() {
            self.chunks.extend_from_slice(chunk);
        }
        // The whole document in one message (how a first sync sends it): the door reads its
        // columns on another core while Automerge loads it. Anything more is checked at accept.
        let carried = message.changes.iter().count();
        let whole = first && carried == 1;
        let (doc, chunks) = (&mut self.doc, &self.chunks);
        let (applied, verdict) = std::thread::scope(|s| {
            let door = whole.then(|| s.spawn(|| crate::Area::door_verdict(chunks)));
            let applied = doc.receive_sync_message(state, message);
            (applied, door.and_then(|d| d.join().ok().flatten()))
        });
        if carried > 0 {
            self.verdict = verdict;
        }
        applied.map_err(|e| ModelError::Corrupt(format!("sync message refused: {e}")))
    }

    /// The area, once what arrived reads as one whose id is the announced one and whose roster
    /// lists both `sender` and `me` as active members; the document moves out of this
    /// `IncomingArea` then. `Ok(None)`: not complete yet. `Err`: complete but not acceptable
    /// (then drop it).
    pub fn accept(&mut self, sender: &str, me: &str) -> Result<Option<Accepted>, ModelError> {
        if self.doc.get_heads().is_empty() {
            return Ok(None);
        }
        let Ok(profile) = Area::read_profile(&self.doc) else {
            // Not everything has arrived yet (the first changes may still be on their way).
            return Ok(None);
        };
        let doc = std::mem::replace(&mut self.doc, Automerge::new());
        let area = Area { doc, profile };
        let bytes = std::mem::take(&mut self.chunks);
        if area.id() != self.area {
            return Err(ModelError::Corrupt(format!("announced area {} but sent area {}", self.area, area.id())));
        }
        match self.verdict.take() {
            Some(verdict) => verdict?,
            None => area.check_whole(&bytes)?,
        }
        if !area.is_active_member(sender) {
            return Err(ModelError::invalid("peer", format!("{sender} is not a member of area {}", self.area)));
        }
        if !area.is_active_member(me) {
            return Err(ModelError::invalid("peer", format!("this device is not a member of area {}", self.area)));
        }
        Ok(Some(Accepted { area, bytes }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::area::{HouseholdWrite, NewArea};

    /// Area a1, created by peer-a, with peer-b on its roster.
    fn area() -> Area {
        let mut a = Area::create(
            NewArea { id: "a1".into(), name: "A".into(), ward: "W".into(), profile_toml: None },
            "peer-a",
            "A",
            1,
        )
        .unwrap();
        a.add_member("peer-b", "B", "member", "peer-a", 1).unwrap();
        a
    }

    /// Household `id` with consent and `field` answered yes.
    fn yes(id: &str, field: &str) -> HouseholdWrite {
        HouseholdWrite {
            id: id.into(),
            fields: vec![(field.into(), "yes".into())],
            consent: Some(crate::ConsentGiven::verbal()),
            ..Default::default()
        }
    }

    /// Runs the protocol between two sides until neither has anything to say.
    fn exchange(a: &mut Area, sa: &mut SyncState, b: &mut Area, sb: &mut SyncState) -> usize {
        let mut rounds = 0;
        loop {
            let mut quiet = true;
            if let Some(m) = a.generate_sync_message(sa) {
                b.receive_sync_message(sb, &m).unwrap();
                quiet = false;
            }
            if let Some(m) = b.generate_sync_message(sb) {
                a.receive_sync_message(sa, &m).unwrap();
                quiet = false;
            }
            rounds += 1;
            if quiet || rounds > 20 {
                return rounds;
            }
        }
    }

    #[test]
    fn two_replicas_converge_through_messages() {
        let mut a = area();
        let mut b = Area::load(&a.save(), "peer-b").unwrap();
        a.add_household(yes("H1", "internet"), "peer-a", 2).unwrap();
        b.add_household(yes("H2", "mapped"), "peer-b", 3).unwrap();
        let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
        assert!(exchange(&mut a, &mut sa, &mut b, &mut sb) < 10);
        assert_eq!(a.households(), b.households());
        assert_eq!(a.households().len(), 2);
    }

    #[test]
    fn changes_of_another_area_are_refused() {
        // Another area's changes sent as this area: its `meta/id` wins the conflict (same
        // counter, greater actor), so the document now reads as the other area.
        let mut a = area();
        let mut other = Area::create(
            NewArea { id: "a2".into(), name: "B".into(), ward: "W".into(), profile_toml: None },
            "peer-z",
            "Z",
            1,
        )
        .unwrap();
        let (mut sa, mut so) = (SyncState::new(), SyncState::new());
        let first = a.generate_sync_message(&mut sa).unwrap();
        assert!(!other.receive_sync_message(&mut so, &first).unwrap());
        let changes = other.generate_sync_message(&mut so).unwrap();
        let err = a.receive_sync_message(&mut sa, &changes).unwrap_err();
        assert!(err.to_string().contains("turned area a1 into a2"), "{err}");
    }

    #[test]
    fn unusable_bloom_filters_are_refused() {
        // A message with no heads, no needs, one `have` (no last sync, the Bloom filter below)
        // and no changes. Automerge accepted these and then panicked (division by zero) or
        // allocated and looped per probe when generating the answer.
        let with_bloom = |bloom: &[u8]| {
            let mut m = vec![0x42, 0, 0, 1, 0, bloom.len() as u8];
            m.extend_from_slice(bloom);
            m.push(0);
            m
        };
        let no_bits = with_bloom(&[1, 0, 7]); // 1 entry, 0 bits per entry, 7 probes
        let many_probes = with_bloom(&[1, 10, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0]); // u32::MAX probes
        for bad in [no_bits, many_probes] {
            let mut a = area();
            let before = a.heads();
            let mut s = SyncState::new();
            let err = a.receive_sync_message(&mut s, &bad).unwrap_err();
            assert!(err.to_string().contains("Bloom filter"), "{err}");
            assert_eq!(a.heads(), before);
            let _ = a.generate_sync_message(&mut s);
            let mut incoming = IncomingArea::new("peer-b", "a1");
            let mut s = SyncState::new();
            assert!(incoming.receive_sync_message(&mut s, &bad).is_err());
            let _ = incoming.generate_sync_message(&mut s);
        }
        // The filters Automerge itself sends still pass.
        let mut a = area();
        let mut b = Area::load(&a.save(), "peer-b").unwrap();
        b.add_household(
            HouseholdWrite { id: "H1".into(), consent: Some(crate::ConsentGiven::verbal()), ..Default::default() },
            "peer-b",
            2,
        )
        .unwrap();
        let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
        exchange(&mut a, &mut sa, &mut b, &mut sb);
        assert_eq!(a.households(), b.households());
    }

    #[test]
    fn chunks_automerge_would_parse_without_bound_are_refused_before_applying() {
        let mut a = area();
        let heads = a.heads();
        // A bundle chunk (type 3), which no area's sync carries, in a well-formed message.
        let bundle = [&[0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 3, 1][..], &[0]].concat();
        let message = Message {
            heads: vec![],
            need: vec![],
            have: vec![],
            changes: vec![bundle].into(),
            flags: None,
            version: automerge::sync::MessageVersion::V1,
        };
        let bytes = message.encode();
        let err = a.receive_sync_message(&mut SyncState::new(), &bytes).unwrap_err().to_string();
        assert!(err.contains("bundle"), "{err}");
        assert_eq!(a.heads(), heads);
        let mut incoming = IncomingArea::new("peer-b", &a.id());
        assert!(incoming.receive_sync_message(&mut SyncState::new(), &bytes).is_err());
    }

    #[test]
    fn garbage_is_refused() {
        let mut a = area();
        let mut s = SyncState::new();
        assert!(a.receive_sync_message(&mut s, b"\x42garbage").is_err());
        assert!(a.receive_sync_message(&mut s, b"").is_err());
    }

    #[test]
    fn incoming_area_is_accepted_only_for_members() {
        let a = area();
        let mut state_a = SyncState::new();
        let mut incoming = IncomingArea::new("peer-c", "a1");
        let mut state_b = SyncState::new();
        for _ in 0..10 {
            if let Some(m) = a.generate_sync_message(&mut state_a) {
                incoming.receive_sync_message(&mut state_b, &m).unwrap();
            }
            if let Some(m) = incoming.generate_sync_message(&mut state_b) {
                let mut a2 = a.clone();
                a2.receive_sync_message(&mut state_a, &m).unwrap();
            }
        }
        // peer-c is not on the roster: refused even though the data arrived.
        let again = |incoming: &IncomingArea| IncomingArea {
            doc: incoming.doc.clone(),
            area: incoming.area.clone(),
            chunks: incoming.chunks.clone(),
            verdict: None,
        };
        assert!(again(&incoming).accept("peer-a", "peer-c").is_err());
        // A sender that is not on the roster may not give the area.
        assert!(again(&incoming).accept("peer-x", "peer-a").is_err());
        // As seen by the creator itself, it would be acceptable; the bytes it came as load as
        // the same document.
        let accepted = incoming.accept("peer-a", "peer-a").unwrap().unwrap();
        assert_eq!(Area::load(&accepted.bytes, "peer-c").unwrap().heads(), accepted.area.heads());
        assert_eq!(accepted.area.heads(), a.heads());
    }

    /// A peer with nothing of the area gets the whole document as the sender stores it: the
    /// same message Automerge makes (heads, need, have, flags, version) with the stored bytes
    /// as its changes, and the same bookkeeping but the sent hashes; the sync then ends as
    /// Automerge's does. Peers that have something get Automerge's own messages.
    #[test]
    fn a_whole_document_goes_as_stored() {
        let mut a = area();
        let stored_at = a.heads();
        let mut stored = a.save();
        a.add_household(yes("H1", "internet"), "peer-a", 2).unwrap();
        stored.extend(a.save_after(&stored_at));

        let (mut plain, mut from) = ((SyncState::new(), SyncState::new()), (SyncState::new(), SyncState::new()));
        let (mut in_plain, mut in_from) = (IncomingArea::new("peer-b", "a1"), IncomingArea::new("peer-b", "a1"));
        let asked = std::cell::Cell::new(0);
        let stored_bytes = || {
            asked.set(asked.get() + 1);
            Some(stored.clone())
        };
        for round in 0..4 {
            let m_plain = a.generate_sync_message(&mut plain.0);
            let m_from = a.generate_sync_message_from(&mut from.0, stored_bytes);
            assert_eq!(m_plain.is_some(), m_from.is_some(), "round {round}");
            if let (Some(p), Some(f)) = (&m_plain, &m_from) {
                let (p, f) = (Message::decode(p).unwrap(), Message::decode(f).unwrap());
                assert_eq!((&p.heads, &p.need, &p.have, &p.flags), (&f.heads, &f.need, &f.have, &f.flags));
                assert_eq!(p.version, f.version);
                if !f.changes.is_empty() {
                    assert_eq!(p.changes, ChunkList::from(a.save()), "Automerge sends its save");
                    assert_eq!(f.changes, ChunkList::from(stored.clone()), "sent as stored");
                }
                in_plain.receive_sync_message(&mut plain.1, &Message::encode(p)).unwrap();
                in_from.receive_sync_message(&mut from.1, &Message::encode(f)).unwrap();
            }
            let mut without_sent = plain.0.clone();
            without_sent.sent_hashes.clear();
            assert_eq!(without_sent, from.0, "round {round}");
            for (incoming, (sa, sb)) in [(&in_plain, &mut plain), (&in_from, &mut from)] {
                if let Some(m) = incoming.generate_sync_message(sb) {
                    a.receive_sync_message(sa, &m).unwrap();
                }
            }
        }
        assert_eq!(asked.get(), 1, "the stored bytes are read for the whole document only");
        let accepted = in_from.accept("peer-a", "peer-b").unwrap().unwrap();
        assert_eq!(accepted.area.heads(), a.heads());
        assert_eq!(accepted.bytes, stored);
        assert!(in_from.verdict.is_none(), "taken by accept");
        assert_eq!(in_plain.accept("peer-a", "peer-b").unwrap().unwrap().area.households(), accepted.area.households());

        // A peer that has the area (any heads) never gets the stored bytes.
        let mut b = Area::load(&stored, "peer-b").unwrap();
        let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
        a.add_household(yes("H2", "mapped"), "peer-a", 3).unwrap();
        for _ in 0..4 {
            if let Some(m) = a.generate_sync_message_from(&mut sa, || panic!("not a first sync")) {
                b.receive_sync_message(&mut sb, &m).unwrap();
            }
            if let Some(m) = b.generate_sync_message(&mut sb) {
                a.receive_sync_message(&mut sa, &m).unwrap();
            }
        }
        assert_eq!(b.heads(), a.heads());
    }

    /// A first sync's whole document is judged from its columns while Automerge loads it; the
    /// verdict is the door's, for a good document and for one with a bad change.
    #[test]
    fn a_whole_document_is_judged_while_it_loads() {
        use automerge::transaction::Transactable;
        let good = area();
        let mut doc = good.doc().clone().with_actor(ActorId::from(&b"peer-b"[..]));
        let mut tx = doc.transaction();
        tx.put(automerge::ROOT, "h/H1/phone", "0901").unwrap();
        tx.commit();
        let bad = Area::load(&doc.save(), "peer-a").unwrap();
        let expected = bad.check_all().unwrap_err().to_string();
        for (sent, refused) in [(good, None), (bad, Some(expected))] {
            let mut incoming = IncomingArea::new("peer-b", "a1");
            let (mut state_a, mut state_b) = (SyncState::new(), SyncState::new());
            for _ in 0..4 {
                if let Some(m) = sent.generate_sync_message(&mut state_a) {
                    incoming.receive_sync_message(&mut state_b, &m).unwrap();
                }
                if let Some(m) = incoming.generate_sync_message(&mut state_b) {
                    sent.clone().receive_sync_message(&mut state_a, &m).unwrap();
                }
            }
            assert!(incoming.verdict.is_some(), "judged from the columns");
            match (incoming.accept("peer-a", "peer-b"), refused) {
                (Ok(Some(accepted)), None) => assert_eq!(accepted.area.heads(), sent.heads()),
                (Err(e), Some(words)) => assert_eq!(e.to_string(), words),
                (other, _) => panic!("{other:?}"),
            }
        }
    }
}
