//! The roster and the relays: who is in the area, who may change what.

use super::*;

impl Area {
    /// The member roster, removed members included, sorted by peer id.
    pub fn members(&self) -> Vec<Member> {
        read_members(&self.doc, schema::members())
    }

    /// Whether `peer` is on the roster and not removed. Reads only that peer's keys.
    pub fn is_member(&self, peer: &str) -> bool {
        self.member(peer).is_some_and(|m| !m.removed)
    }

    /// One roster entry, removed or not.
    pub fn member(&self, peer: &str) -> Option<Member> {
        if peer.is_empty() || peer.contains('/') {
            return None;
        }
        read_members(&self.doc, schema::member_keys(peer)).into_iter().next()
    }

    /// Puts `peer` on the roster with `name` and `role` (`head`, `member` or `ward`).
    ///
    /// - A new peer gets every key: name, role, added_by = `by`, added_at = `now_ms`, removed = false.
    /// - A removed peer is added again: the same, so the roster says who re-added it and when.
    /// - An active member gets its name and role updated; when it was added stays as it was.
    ///
    /// Refused (nothing written) when the role is unknown, the name empty or too long, the peer
    /// id not usable as a key, or when the change would leave the area without an active head.
    /// Who may change the roster is the daemon's decision; the document only records it.
    pub fn add_member(&mut self, peer: &str, name: &str, role: &str, by: &str, now_ms: i64) -> Result<(), ModelError> {
        self.add_member_with(peer, name, role, None, by, now_ms)
    }

    /// [`Area::add_member`], also recording the member's age recipient (`age1…`): snapshot files
    /// exported from the area are then encrypted to it (a ward office's key).
    pub fn add_member_with(
        &mut self,
        peer: &str,
        name: &str,
        role: &str,
        recipient: Option<&str>,
        by: &str,
        now_ms: i64,
    ) -> Result<(), ModelError> {
        validate_peer_key(peer)?;
        if let Some(r) = recipient {
            validate_recipient(r)?;
        }
        check_text("name", name, true)?;
        if !ROLES.contains(&role) {
            return Err(ModelError::invalid("role", format!("{role:?} is not a role; allowed: {}", ROLES.join(", "))));
        }
        let current = self.member(peer).filter(|m| !m.removed);
        if role != "head" && current.as_ref().is_some_and(|m| m.role == "head") && self.active_heads() <= 1 {
            return Err(ModelError::invalid(
                "role",
                format!("{peer} is the area's last active head; make another member head first"),
            ));
        }
        let mut tx = self.doc.transaction();
        let m = |attr| schema::member(peer, attr);
        tx.put(ROOT, m(MemberAttr::Name), name.trim()).map_err(corrupt)?;
        tx.put(ROOT, m(MemberAttr::Role), role).map_err(corrupt)?;
        if current.is_none() {
            tx.put(ROOT, m(MemberAttr::AddedBy), by).map_err(corrupt)?;
            tx.put(ROOT, m(MemberAttr::AddedAt), automerge::ScalarValue::Timestamp(now_ms)).map_err(corrupt)?;
            tx.put(ROOT, m(MemberAttr::Removed), false).map_err(corrupt)?;
        }
        if let Some(r) = recipient {
            tx.put(ROOT, m(MemberAttr::Recipient), r.trim()).map_err(corrupt)?;
        }
        let verb = if current.is_some() { "update member" } else { "add member" };
        tx.commit_with(CommitOptions::default().with_time(now_ms / 1000).with_message(format!("{verb} {peer}")));
        Ok(())
    }

    /// Marks `peer` as removed. Its entry stays (history and conflicts still name it); only
    /// `removed` changes. Removing a removed member writes the flag again, which also settles a
    /// concurrent add/remove conflict. Refused when `peer` was never on the roster, and when it
    /// is the last active head.
    pub fn remove_member(&mut self, peer: &str, by: &str, now_ms: i64) -> Result<(), ModelError> {
        let member = self.member(peer).ok_or_else(|| ModelError::NotFound { what: "member", id: peer.to_string() })?;
        if !member.removed && member.role == "head" && self.active_heads() <= 1 {
            return Err(ModelError::invalid(
                "peer_id",
                format!("{peer} is the area's last active head and cannot be removed; make another member head first"),
            ));
        }
        let mut tx = self.doc.transaction();
        tx.put(ROOT, schema::member(peer, MemberAttr::Removed), true).map_err(corrupt)?;
        tx.commit_with(
            CommitOptions::default().with_time(now_ms / 1000).with_message(format!("remove member {peer} (by {by})")),
        );
        Ok(())
    }

    /// The area's relays (full multiaddrs ending in `/p2p/PEER`), sorted by peer id.
    pub fn relays(&self) -> Vec<String> {
        self.doc
            .map_range(ROOT, schema::relays())
            .filter_map(|item| match &item.value {
                ValueRef::Scalar(s) => scalar_str(s),
                _ => None,
            })
            .collect()
    }

    /// Adds a relay (`/…/p2p/PEER`). Adding one already there writes nothing. Who may change
    /// the relays is the daemon's decision (the head, like the roster).
    pub fn add_relay(&mut self, addr: &str, by: &str, now_ms: i64) -> Result<(), ModelError> {
        let addr = addr.trim();
        let peer = relay_peer(addr)?;
        validate_relay(addr, peer)?;
        if self.relays().iter().any(|r| r == addr) {
            return Ok(());
        }
        let requires = self.requires_put(crate::compat::Feature::Relays);
        let mut tx = self.doc.transaction();
        tx.put(ROOT, Key::Relay { peer }.to_string(), addr).map_err(corrupt)?;
        if let Some((k, v)) = requires {
            tx.put(ROOT, k, v).map_err(corrupt)?;
        }
        tx.commit_with(
            CommitOptions::default().with_time(now_ms / 1000).with_message(format!("add relay {addr} (by {by})")),
        );
        Ok(())
    }

    /// Removes a relay, given its address or its peer id. Refused when the area has no such relay.
    pub fn remove_relay(&mut self, addr: &str, by: &str, now_ms: i64) -> Result<(), ModelError> {
        let addr = addr.trim();
        let peer = relay_peer(addr).unwrap_or(addr);
        let key = Key::Relay { peer }.to_string();
        if peer.is_empty() || peer.contains('/') || self.doc.get(ROOT, &key).ok().flatten().is_none() {
            return Err(ModelError::NotFound { what: "relay", id: addr.to_string() });
        }
        let mut tx = self.doc.transaction();
        tx.delete(ROOT, key).map_err(corrupt)?;
        tx.commit_with(
            CommitOptions::default().with_time(now_ms / 1000).with_message(format!("remove relay {addr} (by {by})")),
        );
        Ok(())
    }

    /// The `meta/requires` put a change using `feature` carries, unless the document already
    /// states that release or a later one.
    pub(super) fn requires_put(&self, feature: crate::compat::Feature) -> Option<(String, automerge::ScalarValue)> {
        let since = feature.since();
        if self.stated_requires().is_some_and(|v| v >= since) {
            return None;
        }
        Some((schema::meta(Meta::Requires), since.to_string().into()))
    }
}

pub(super) fn read_members<R: std::ops::RangeBounds<String> + 'static>(doc: &Automerge, range: R) -> Vec<Member> {
    let mut out: BTreeMap<String, Member> = BTreeMap::new();
    for item in doc.map_range(ROOT, range) {
        let Some(Key::Member { peer, attr }) = Key::parse(&item.key) else { continue };
        let m = out.entry(peer.to_string()).or_insert_with(|| Member {
            peer_id: peer.to_string(),
            name: String::new(),
            role: "member".into(),
            added_by: None,
            added_at: None,
            removed: false,
            recipient: None,
            epoch: 0,
        });
        let ValueRef::Scalar(s) = &item.value else { continue };
        match attr {
            MemberAttr::Name => m.name = scalar_str(s).unwrap_or_default(),
            MemberAttr::Role => m.role = scalar_str(s).unwrap_or_else(|| "member".into()),
            MemberAttr::AddedBy => m.added_by = scalar_str(s),
            MemberAttr::AddedAt => m.added_at = scalar_time(s).map(rfc3339),
            MemberAttr::Removed => m.removed = matches!(s, ScalarValueRef::Boolean(true)),
            MemberAttr::Recipient => m.recipient = scalar_str(s),
            MemberAttr::Epoch => {
                if let ScalarValueRef::Uint(v) = s {
                    m.epoch = *v;
                }
            }
        }
    }
    out.into_values().collect()
}
