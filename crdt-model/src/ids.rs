//! Identifiers and the short values that name things: area ids and household (house) codes,
//! peer ids and actors, relay addresses and ward recipients, roles, short texts, the actor of an
//! epoch's cut. The model's lowest layer: it depends on the error type only, so every module
//! (the area, the door, epochs) can check a value without importing another.

use automerge::ActorId;

use crate::error::ModelError;

/// Longest area id or house code, in bytes.
pub const MAX_ID_LEN: usize = 64;

/// Checks an area id: `[a-z0-9-]{1,64}`.
pub fn validate_area_id(s: &str) -> Result<(), ModelError> {
    validate(s, "area", "lower-case letters a-z, digits and '-'", |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
    })
}

/// Checks a household id (the house code on the area map, e.g. `T3-045`): `[A-Za-z0-9._-]{1,64}`.
pub fn validate_household_id(s: &str) -> Result<(), ModelError> {
    validate(s, "household", "letters A-Z a-z, digits, '.', '_' and '-'", |c| {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
    })
}

/// The form of a residential group's name two spellings share when they name one group: case
/// and spacing do not count ("tổ  3" is "Tổ 3").
pub fn group_key(name: &str) -> String {
    name.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>().join(" ")
}

fn validate(s: &str, what: &str, allowed: &str, ok: impl Fn(char) -> bool) -> Result<(), ModelError> {
    if s.is_empty() || s.len() > MAX_ID_LEN || !s.chars().all(ok) {
        return Err(ModelError::invalid(
            what,
            format!("{s:?} is not a valid {what} id; allowed: 1 to {MAX_ID_LEN} of {allowed}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_ids() {
        for ok in ["a", "tam-giac-3", "0", &"a".repeat(64)] {
            assert!(validate_area_id(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Tam", "a_b", "a b", "ấp", &"a".repeat(65), "a/b"] {
            let err = validate_area_id(bad).unwrap_err();
            assert_eq!(err.field(), Some("area"), "{bad}");
        }
    }

    #[test]
    fn group_keys_ignore_case_and_spacing() {
        assert_eq!(group_key(" Tổ  3 "), group_key("tổ 3"));
        assert_eq!(group_key("TỔ 3"), "tổ 3");
        assert_ne!(group_key("Tổ 3"), group_key("Tổ 13"));
    }

    #[test]
    fn household_ids() {
        for ok in ["T3-045", "a.b_c-d", "9"] {
            assert!(validate_household_id(ok).is_ok(), "{ok}");
        }
        for bad in ["", "T3/045", "T3 045", "nhà", &"x".repeat(65)] {
            assert!(validate_household_id(bad).is_err(), "{bad}");
        }
    }
}

/// Longest short text (a group, an address, a name), in characters.
pub(crate) const MAX_TEXT: usize = 200;

/// Longest peer id accepted as a roster key (libp2p's base58 ids are 52 characters or fewer).
pub(crate) const MAX_PEER_ID: usize = 128;

/// Roster roles: `head` leads the area's team, `member` records households, `ward` is the ward
/// office (reads and merges).
pub const ROLES: [&str; 3] = ["head", "member", "ward"];

/// A device id as text: the peer id this project's devices use as actor, or the actor's hex
/// when it is not printable text (a change made by another Automerge implementation).
pub fn actor_text(actor: &ActorId) -> String {
    match std::str::from_utf8(actor.to_bytes()) {
        Ok(s) if !s.is_empty() && s.chars().all(|c| c.is_ascii_graphic()) => s.to_string(),
        _ => actor.to_bytes().iter().map(|b| format!("{b:02x}")).collect(),
    }
}

/// An age X25519 recipient as the roster holds it: `age1` and lower-case bech32, at most 100
/// characters (the daemon parses it fully before encrypting to it).
pub(crate) fn validate_recipient(r: &str) -> Result<(), ModelError> {
    let r = r.trim();
    if !(r.starts_with("age1") && r.len() <= 100 && r.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())) {
        return Err(ModelError::invalid(
            "recipient",
            format!("{r:?} is not an age recipient; allowed: age1…, as printed by `kdc ward keygen`"),
        ));
    }
    Ok(())
}

/// The peer id a relay address ends in (`…/p2p/PEER`).
pub(crate) fn relay_peer(addr: &str) -> Result<&str, ModelError> {
    match addr.trim().rsplit_once("/p2p/") {
        Some((_, peer)) if !peer.is_empty() && !peer.contains('/') => Ok(peer),
        _ => Err(ModelError::invalid(
            "relay",
            format!("{addr:?} does not end in /p2p/PEER_ID; allowed: the relay's full address, as its kdcd prints it"),
        )),
    }
}

/// A relay's address as the area holds it: a multiaddr of at most 300 printable characters,
/// directly to the relay (no `/p2p-circuit`), ending in `/p2p/{peer}`. The daemon parses it fully
/// before storing it.
pub fn validate_relay(addr: &str, peer: &str) -> Result<(), ModelError> {
    let bad = |why: &str| {
        Err(ModelError::invalid(
            "relay",
            format!("{addr:?} is not a relay address: {why}; allowed: /ip4/…/tcp/…/p2p/PEER_ID"),
        ))
    };
    if !addr.starts_with('/') || addr.len() > 300 || !addr.bytes().all(|b| b.is_ascii_graphic()) {
        return bad("a multiaddr starts with '/' and holds at most 300 printable characters");
    }
    if addr.contains("/p2p-circuit") {
        return bad("a relay is reached directly, not through another relay");
    }
    match relay_peer(addr) {
        Ok(p) if p == peer => Ok(()),
        Ok(_) => bad("its /p2p/ peer id is not the one it is stored under"),
        Err(_) => bad("it does not end in /p2p/PEER_ID"),
    }
}

/// A peer id is a key segment: it must not be empty, hold a '/' (keys would not split) or
/// anything odd. libp2p peer ids (base58) always pass; the daemon checks the real syntax.
pub(crate) fn validate_peer_key(peer: &str) -> Result<(), ModelError> {
    if peer.is_empty()
        || peer.len() > MAX_PEER_ID
        || !peer.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(ModelError::invalid(
            "peer_id",
            format!("{peer:?} is not a peer id; allowed: 1 to {MAX_PEER_ID} of letters, digits, '.', '_' and '-'"),
        ));
    }
    Ok(())
}

pub(crate) fn check_text(field: &str, text: &str, required: bool) -> Result<(), ModelError> {
    if required && text.trim().is_empty() {
        return Err(ModelError::invalid(field, "must not be empty"));
    }
    if text.chars().count() > MAX_TEXT || text.chars().any(char::is_control) {
        return Err(ModelError::invalid(field, format!("at most {MAX_TEXT} characters, no control characters")));
    }
    Ok(())
}

/// The actor of the change that cuts epoch `epoch` of the area `uid`.
pub fn epoch_actor(uid: &str, epoch: u64) -> String {
    format!("epoch-{epoch}-{uid}")
}
