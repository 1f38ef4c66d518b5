//! The roster and invites: who belongs to an area, and how a new device gets in.
//!
//! Roster changes are ordinary persisted writes of the area document (see the parent module),
//! so they reach the disk before they are answered, notify [`Node::subscribe`] and sync to the
//! other members like household writes.
//!
//! # Who may change the roster
//! Only a device that is itself an active member of the area with role `head` or `member` adds
//! or removes members and creates invites. A `ward` device (the ward office, which reads and
//! merges areas) and a device that was removed may not: on its own copy it could write anything,
//! but no member syncs with a removed device, and the ward role is for looking, not for bringing
//! people in. The check is made again when an invite is redeemed, so an invite dies with its
//! inviter's membership.
//!
//! # Invites
//! [`Node::create_invite`] draws a 16-byte secret, stores only its SHA-256 (with the area, the
//! expiry and a used flag, [`crate::store::StoredInvite`]) and hands the secret to the caller,
//! which puts it into the token ([`crate::invite`]). [`Node::redeem_invite`] is what the network
//! layer calls when a joiner presents a secret: it refuses with a precise
//! [`InviteRefusal`] or marks the invite used (a compare-and-swap, flushed) and then adds the
//! joiner to the roster as `member`. The invite is burnt before the roster write, never after,
//! so a crash in between can waste an invite but never let one be used twice; every check that
//! could fail is made before the invite is burnt.

use std::str::FromStr;
use std::time::Duration;

use crdt_model::area::{Member, rfc3339};
use crdt_model::{Area, ModelError};
use libp2p::PeerId;

use super::{Inner, Node, Result, now_ms};
use crate::invite::{self, InviteRefusal, SECRET_LEN};
use crate::store::StoredInvite;

/// How long an invite is valid when the caller does not say.
pub const DEFAULT_INVITE_TTL: Duration = Duration::from_secs(24 * 3600);
/// The longest validity an invite may be given.
pub const MAX_INVITE_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// Used and expired invites are kept this long after their expiry, so that presenting one
/// again is answered "used" or "expired" rather than "unknown"; then they are deleted.
const KEEP_EXPIRED_MS: i64 = 7 * 24 * 3600 * 1000;
/// Longest joiner name taken from a join request (as device names, `config::MAX_DEVICE_NAME`).
const MAX_JOINER_NAME: usize = crate::config::MAX_DEVICE_NAME;

impl Node {
    /// Adds `peer_id` to the area's roster, re-adds it if it was removed, or updates its name
    /// and role (see [`Area::add_member`]). Answers the roster entry once durable.
    pub async fn add_member(&self, area: String, peer_id: String, name: String, role: String) -> Result<Member> {
        self.add_member_with(area, peer_id, name, role, None).await
    }

    /// [`Node::add_member`] with the member's age recipient (a ward office's key, `age1…`),
    /// which exported snapshot files are then encrypted to.
    pub async fn add_member_with(
        &self,
        area: String,
        peer_id: String,
        name: String,
        role: String,
        recipient: Option<String>,
    ) -> Result<Member> {
        self.blocking(move |inner| {
            check_peer_id(&peer_id)?;
            if let Some(r) = &recipient {
                crate::seal::recipient(r)
                    .map_err(|e| ModelError::InvalidInput { field: "recipient".into(), message: e.to_string() })?;
            }
            let (by, now) = (inner.actor.clone(), now_ms());
            inner.write(&area, |a| {
                may_manage(a, &by)?;
                a.add_member_with(&peer_id, &name, &role, recipient.as_deref(), &by, now)?;
                a.member(&peer_id).ok_or_else(|| ModelError::Corrupt("the member just added is missing".into()))
            })
        })
        .await
    }

    /// Marks `peer_id` removed from the area's roster. Answers its entry once durable.
    pub async fn remove_member(&self, area: String, peer_id: String) -> Result<Member> {
        self.blocking(move |inner| {
            check_peer_id(&peer_id)?;
            let (by, now) = (inner.actor.clone(), now_ms());
            inner.write(&area, |a| {
                may_manage(a, &by)?;
                a.remove_member(&peer_id, &by, now)?;
                a.member(&peer_id).ok_or_else(|| ModelError::Corrupt("the member just removed is missing".into()))
            })
        })
        .await
    }

    /// The area's relays (full multiaddrs).
    pub async fn relays(&self, area: String) -> Result<Vec<String>> {
        self.blocking(move |inner| inner.read(&area, |a| Ok(a.relays()))).await
    }

    /// Adds a relay to the area (head only). `addr` must parse as a multiaddr to a relay and end
    /// in `/p2p/PEER_ID`. Answers the relays once durable.
    pub async fn add_relay(&self, area: String, addr: String) -> Result<Vec<String>> {
        self.blocking(move |inner| {
            let addr = crate::addrs::relay_address(&addr)
                .map_err(|message| ModelError::InvalidInput { field: "relay".into(), message })?
                .to_string();
            let (by, now) = (inner.actor.clone(), now_ms());
            inner.write(&area, |a| {
                may_change_relays(a, &by)?;
                a.add_relay(&addr, &by, now)?;
                Ok(a.relays())
            })
        })
        .await
    }

    /// Removes a relay (given by address or peer id) from the area (head only).
    pub async fn remove_relay(&self, area: String, addr: String) -> Result<Vec<String>> {
        self.blocking(move |inner| {
            let (by, now) = (inner.actor.clone(), now_ms());
            inner.write(&area, |a| {
                may_change_relays(a, &by)?;
                a.remove_relay(&addr, &by, now)?;
                Ok(a.relays())
            })
        })
        .await
    }

    /// Every relay of every area this device holds, each once.
    pub async fn all_relays(&self) -> Result<Vec<String>> {
        self.blocking(|inner| {
            let mut out = std::collections::BTreeSet::new();
            for id in inner.area_ids() {
                out.extend(inner.read(&id, |a| Ok(a.relays()))?);
            }
            Ok(out.into_iter().collect())
        })
        .await
    }

    /// Creates a one-time invite to `area`, valid for `ttl` (at most [`MAX_INVITE_TTL`]).
    /// Answers the secret (for the token; it is not kept here) and the expiry in unix ms.
    pub async fn create_invite(&self, area: String, ttl: Duration) -> Result<([u8; SECRET_LEN], i64)> {
        self.blocking(move |inner| inner.create_invite(&area, ttl, now_ms())).await
    }

    /// Redeems an invite presented by `joiner` (a peer id) named `joiner_name`, at time
    /// `now_ms`. On success the invite is used up and `joiner` is an active member of `area`
    /// (added as `member`, or left as it was when it already was one), durably.
    pub async fn redeem_invite(
        &self,
        area: String,
        secret_hex: String,
        joiner: String,
        joiner_name: String,
        joiner_release: Option<semver::Version>,
        now_ms: i64,
    ) -> Result<()> {
        self.blocking(move |inner| {
            inner.redeem_invite(&area, &secret_hex, &joiner, &joiner_name, joiner_release.as_ref(), now_ms)
        })
        .await
    }
}

impl Inner {
    fn create_invite(&self, area: &str, ttl: Duration, now: i64) -> Result<([u8; SECRET_LEN], i64)> {
        if ttl.is_zero() || ttl > MAX_INVITE_TTL {
            return Err(ModelError::InvalidInput {
                field: "ttl".into(),
                message: format!("an invite is valid for 1 second to {} hours", MAX_INVITE_TTL.as_secs() / 3600),
            }
            .into());
        }
        {
            let entry = self.entry(area)?;
            let e = self.lock(&entry, area)?;
            may_invite(&e.area, &self.actor)?;
        }
        if let Err(e) = self.store.invites_purge(now.saturating_sub(KEEP_EXPIRED_MS)) {
            tracing::warn!(error = %e, "could not delete old invites");
        }
        let secret = invite::new_secret();
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        let expires_at_ms = now.saturating_add(ttl_ms);
        let stored = StoredInvite { area: area.to_string(), expires_at_ms, used: false };
        self.store.invite_put(&invite::secret_hash(&secret), &stored)?;
        tracing::info!(%area, expires_at = %rfc3339(expires_at_ms), "invite created");
        Ok((secret, expires_at_ms))
    }

    fn redeem_invite(
        &self,
        area: &str,
        secret_hex: &str,
        joiner: &str,
        joiner_name: &str,
        joiner_release: Option<&semver::Version>,
        now: i64,
    ) -> Result<()> {
        // Anything that is not a secret this device made is simply unknown: no hint about why.
        let secret =
            hex::decode(secret_hex.trim()).ok().filter(|s| s.len() == SECRET_LEN).ok_or(InviteRefusal::Unknown)?;
        let hash = invite::secret_hash(&secret);
        let stored = self.store.invite_get(&hash)?.ok_or(InviteRefusal::Unknown)?;
        if stored.area != area {
            return Err(InviteRefusal::WrongArea { invited: stored.area, asked: area.to_string() }.into());
        }
        if stored.used {
            return Err(InviteRefusal::Used.into());
        }
        if now >= stored.expires_at_ms {
            return Err(InviteRefusal::Expired(rfc3339(stored.expires_at_ms)).into());
        }
        if let Err(e) = PeerId::from_str(joiner) {
            return Err(InviteRefusal::BadJoiner { field: "peer id", reason: e.to_string() }.into());
        }
        let name = joiner_display_name(joiner_name, joiner);

        // Under the area's lock, so the roster cannot change between the check and the write.
        let entry = self.entry(area)?;
        let mut e = self.lock(&entry, area)?;
        may_invite(&e.area, &self.actor)?;
        let needs = e.area.requires();
        if let Some(has) = joiner_release.filter(|r| !needs.readable_by(r)) {
            let why: Vec<&str> = needs.features.iter().map(|f| f.words()).collect();
            let why = if why.is_empty() { "a later release's feature".to_string() } else { why.join(", ") };
            return Err(InviteRefusal::OlderRelease {
                area: area.to_string(),
                needs: needs.release.to_string(),
                has: has.to_string(),
                why,
            }
            .into());
        }
        if !self.store.invite_mark_used(&hash, &stored)? {
            return Err(InviteRefusal::Used.into()); // Another redemption won the race.
        }
        if e.area.is_member(joiner) {
            tracing::info!(%area, %joiner, "invite redeemed by a device that is a member already");
            return Ok(());
        }
        if let Err(err) = e.area.add_member(joiner, &name, "member", &self.actor, now) {
            // Validated above, so not expected; the invite stays used (fail closed).
            tracing::error!(%area, %joiner, error = %err, "invite redeemed but the member could not be added");
            return Err(err.into());
        }
        self.persist(area, &mut e)?;
        tracing::info!(%area, %joiner, %name, "invite redeemed; member added");
        Ok(())
    }
}

/// A peer id as libp2p writes it (`12D3KooW…`); anything else is refused naming `peer_id`.
fn check_peer_id(peer: &str) -> Result<(), ModelError> {
    PeerId::from_str(peer).map(|_| ()).map_err(|e| ModelError::InvalidInput {
        field: "peer_id".into(),
        message: format!("{peer:?} is not a peer id ({e}); `kdc id` on the device shows its peer id"),
    })
}

/// Whether `actor` (this device) may change the roster of `area`; see the module docs.
fn may_manage(area: &Area, actor: &str) -> Result<(), ModelError> {
    manager_role_problem(area, actor).map_or(Ok(()), |reason| {
        Err(ModelError::InvalidInput {
            field: "area".into(),
            message: format!("this device may not change the roster of area {}: {reason}", area.id()),
        })
    })
}

/// Relays are the head's to change: they decide where the team's encrypted traffic goes.
fn may_change_relays(area: &Area, actor: &str) -> Result<(), ModelError> {
    match area.member(actor) {
        Some(m) if !m.removed && m.role == "head" => Ok(()),
        _ => Err(ModelError::InvalidInput {
            field: "relay".into(),
            message: format!("only the area's head may change the relays of area {}", area.id()),
        }),
    }
}

fn may_invite(area: &Area, actor: &str) -> Result<(), InviteRefusal> {
    manager_role_problem(area, actor)
        .map_or(Ok(()), |reason| Err(InviteRefusal::NotAllowed { area: area.id(), reason }))
}

fn manager_role_problem(area: &Area, actor: &str) -> Option<String> {
    match area.member(actor) {
        None => Some("it is not on the area's roster".into()),
        Some(m) if m.removed => Some("it was removed from the area's roster".into()),
        Some(m) if m.role == "head" || m.role == "member" => None,
        Some(m) => Some(format!("its role is {}; only a head or a member can", m.role)),
    }
}

/// The joiner's device name, made safe for the roster: trimmed, no control characters, at
/// most [`MAX_JOINER_NAME`] characters; a name that is empty then becomes "device …" and the
/// end of its peer id, so the roster never holds a blank row.
fn joiner_display_name(name: &str, peer: &str) -> String {
    let clean: String = name.chars().filter(|c| !c.is_control()).collect();
    let clean: String = clean.trim().chars().take(MAX_JOINER_NAME).collect();
    let clean = clean.trim().to_string();
    if clean.is_empty() {
        let tail: String = peer.chars().rev().take(6).collect::<Vec<_>>().into_iter().rev().collect();
        format!("device …{tail}")
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::NodeError;
    use crdt_model::NewArea;

    /// This device: a real peer id, since roster writes check the syntax.
    fn actor() -> String {
        let keypair = libp2p::identity::Keypair::ed25519_from_bytes([7u8; 32]).expect("key");
        keypair.public().to_peer_id().to_string()
    }

    fn node(dir: &std::path::Path, threshold: usize) -> Node {
        let store = crate::store::open_for_test(&dir.join("db"));
        Node::open_blocking(store, actor(), "test".into(), threshold).expect("node")
    }

    fn new_area(id: &str) -> NewArea {
        NewArea { id: id.into(), name: "Tam Giác 3".into(), ward: "Phường X".into(), profile_toml: None }
    }

    fn peer() -> String {
        libp2p::identity::Keypair::generate_ed25519().public().to_peer_id().to_string()
    }

    fn kind(e: &NodeError) -> Option<&InviteRefusal> {
        match e {
            NodeError::Invite(r) => Some(r),
            _ => None,
        }
    }

    #[tokio::test]
    async fn members_are_added_removed_and_persisted() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (b, c) = (peer(), peer());
        {
            let node = node(tmp.path(), 256);
            node.create_area(new_area("a")).await.expect("create");
            let mut changes = node.subscribe();
            let m = node.add_member("a".into(), b.clone(), "Minh".into(), "member".into()).await.expect("add");
            assert_eq!((m.name.as_str(), m.role.as_str(), m.removed), ("Minh", "member", false));
            assert_eq!(m.added_by.as_deref(), Some(actor().as_str()));
            assert_eq!(changes.try_recv().expect("a roster write is announced"), "a");
            node.add_member("a".into(), c.clone(), "Chi".into(), "ward".into()).await.expect("add");
            let m = node.remove_member("a".into(), b.clone()).await.expect("remove");
            assert!(m.removed);
        }
        let node = node(tmp.path(), 256);
        let members = node.members("a".into()).await.expect("members");
        assert_eq!(members.len(), 3);
        assert!(members.iter().any(|m| m.peer_id == b && m.removed));
        assert!(members.iter().any(|m| m.peer_id == c && !m.removed && m.role == "ward"));
    }

    #[tokio::test]
    async fn bad_roster_changes_are_refused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let node = node(tmp.path(), 256);
        node.create_area(new_area("a")).await.expect("create");
        let field = |e: NodeError| match e {
            NodeError::Model(ModelError::InvalidInput { field, .. }) => field,
            other => panic!("expected invalid input, got {other}"),
        };
        let e = node.add_member("a".into(), "peer-b".into(), "B".into(), "member".into()).await.unwrap_err();
        assert_eq!(field(e), "peer_id");
        let e = node.add_member("a".into(), peer(), "B".into(), "chief".into()).await.unwrap_err();
        assert_eq!(field(e), "role");
        let e = node.remove_member("a".into(), peer()).await.unwrap_err();
        assert!(matches!(e, NodeError::Model(ModelError::NotFound { what: "member", .. })), "{e}");
        let e = node.add_member("zz".into(), peer(), "B".into(), "member".into()).await.unwrap_err();
        assert!(matches!(e, NodeError::Model(ModelError::NotFound { what: "area", .. })), "{e}");
    }

    #[tokio::test]
    async fn invites_are_redeemed_once() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let node = node(tmp.path(), 256);
        node.create_area(new_area("a")).await.expect("create");
        node.create_area(new_area("b")).await.expect("create");
        let (secret, expires) = node.create_invite("a".into(), DEFAULT_INVITE_TTL).await.expect("invite");
        let now = now_ms();
        assert!((expires - now - 24 * 3600 * 1000).abs() < 60_000, "{expires} vs {now}");
        let hex = hex::encode(secret);
        let joiner = peer();

        // Wrong area, forged and malformed secrets, bad joiner: refused, the invite stays good.
        let e =
            node.redeem_invite("b".into(), hex.clone(), joiner.clone(), "Minh".into(), None, now).await.unwrap_err();
        assert!(matches!(kind(&e), Some(InviteRefusal::WrongArea { .. })), "{e}");
        for forged in [hex::encode([0u8; 16]), "zz".into(), String::new(), hex[..30].to_string()] {
            let e = node.redeem_invite("a".into(), forged, joiner.clone(), "Minh".into(), None, now).await.unwrap_err();
            assert_eq!(kind(&e), Some(&InviteRefusal::Unknown), "{e}");
        }
        let e =
            node.redeem_invite("a".into(), hex.clone(), "nobody".into(), "Minh".into(), None, now).await.unwrap_err();
        assert!(matches!(kind(&e), Some(InviteRefusal::BadJoiner { .. })), "{e}");

        let mut changes = node.subscribe();
        node.redeem_invite("a".into(), hex.clone(), joiner.clone(), " Minh\n".into(), None, now).await.expect("redeem");
        assert_eq!(changes.try_recv().expect("announced"), "a");
        let members = node.members("a".into()).await.expect("members");
        let m = members.iter().find(|m| m.peer_id == joiner).expect("joiner on the roster");
        assert_eq!((m.name.as_str(), m.role.as_str(), m.removed), ("Minh", "member", false));
        assert_eq!(m.added_by.as_deref(), Some(actor().as_str()));

        // Used twice: refused, whoever presents it.
        let e =
            node.redeem_invite("a".into(), hex.clone(), joiner.clone(), "Minh".into(), None, now).await.unwrap_err();
        assert_eq!(kind(&e), Some(&InviteRefusal::Used), "{e}");
        let e = node.redeem_invite("a".into(), hex, peer(), "Other".into(), None, now).await.unwrap_err();
        assert_eq!(kind(&e), Some(&InviteRefusal::Used), "{e}");
        assert!(e.to_string().contains("already used"), "{e}");
    }

    #[tokio::test]
    async fn a_joiner_on_a_release_that_cannot_read_the_area_is_refused_and_the_invite_kept() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let node = node(tmp.path(), 256);
        node.create_area(new_area("a")).await.expect("create");
        let (secret, _) = node.create_invite("a".into(), DEFAULT_INVITE_TTL).await.expect("invite");
        let old = semver::Version::new(0, 1, 0);
        // Nothing in the area needs more than the first release yet: 0.1.0 may join.
        let (first, _) = node.create_invite("a".into(), DEFAULT_INVITE_TTL).await.expect("invite");
        node.redeem_invite("a".into(), hex::encode(first), peer(), "Lan".into(), Some(old.clone()), now_ms())
            .await
            .expect("0.1.0 reads an area without relays");
        let relay = format!("/ip4/127.0.0.1/tcp/9/p2p/{}", peer());
        node.add_relay("a".into(), relay).await.expect("relay");
        let e = node
            .redeem_invite("a".into(), hex::encode(secret), peer(), "Minh".into(), Some(old), now_ms())
            .await
            .unwrap_err();
        assert!(matches!(kind(&e), Some(InviteRefusal::OlderRelease { .. })), "{e}");
        let text = e.to_string();
        assert!(text.contains("0.2.0 or newer") && text.contains("has 0.1.0") && text.contains("relays"), "{text}");
        // Updated, the same invite works.
        let now = crdt_model::compat::release();
        node.redeem_invite("a".into(), hex::encode(secret), peer(), "Minh".into(), Some(now), now_ms())
            .await
            .expect("the invite was kept");
    }

    #[tokio::test]
    async fn expired_invites_are_refused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let node = node(tmp.path(), 256);
        node.create_area(new_area("a")).await.expect("create");
        let (secret, expires) = node.create_invite("a".into(), Duration::from_secs(60)).await.expect("invite");
        let e = node
            .redeem_invite("a".into(), hex::encode(secret), peer(), "Minh".into(), None, expires)
            .await
            .unwrap_err();
        assert!(matches!(kind(&e), Some(InviteRefusal::Expired(_))), "{e}");
        assert!(e.to_string().contains("expired"), "{e}");
        // Just before the expiry it still works.
        node.redeem_invite("a".into(), hex::encode(secret), peer(), "Minh".into(), None, expires - 1)
            .await
            .expect("redeem");
        let e = node.create_invite("a".into(), Duration::ZERO).await.unwrap_err();
        assert!(matches!(&e, NodeError::Model(ModelError::InvalidInput { field, .. }) if field == "ttl"), "{e}");
        let e = node.create_invite("nowhere".into(), DEFAULT_INVITE_TTL).await.unwrap_err();
        assert!(matches!(e, NodeError::Model(ModelError::NotFound { .. })), "{e}");
    }

    #[tokio::test]
    async fn only_heads_and_members_manage_the_roster() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let node = node(tmp.path(), 256);
        node.create_area(new_area("a")).await.expect("create");
        let (secret, _) = node.create_invite("a".into(), DEFAULT_INVITE_TTL).await.expect("invite");
        // This device hands the area to another head and becomes a ward observer.
        let other = peer();
        node.add_member("a".into(), other.clone(), "Head 2".into(), "head".into()).await.expect("add");
        node.add_member("a".into(), actor(), "test".into(), "ward".into()).await.expect("demote self");
        let e = node.create_invite("a".into(), DEFAULT_INVITE_TTL).await.unwrap_err();
        assert!(matches!(kind(&e), Some(InviteRefusal::NotAllowed { .. })), "{e}");
        // An invite made earlier dies with the inviter's right to invite.
        let e =
            node.redeem_invite("a".into(), hex::encode(secret), peer(), "X".into(), None, now_ms()).await.unwrap_err();
        assert!(matches!(kind(&e), Some(InviteRefusal::NotAllowed { .. })), "{e}");
        let e = node.remove_member("a".into(), other).await.unwrap_err();
        assert!(matches!(&e, NodeError::Model(ModelError::InvalidInput { field, .. }) if field == "area"), "{e}");
    }

    #[test]
    fn joiner_names_are_cleaned() {
        assert_eq!(joiner_display_name("  Minh \u{7}", "12D3KooWabcdef"), "Minh");
        assert_eq!(joiner_display_name("\n", "12D3KooWabcdef"), "device …abcdef");
        assert_eq!(joiner_display_name(&"x".repeat(100), "p").chars().count(), MAX_JOINER_NAME);
    }
}
