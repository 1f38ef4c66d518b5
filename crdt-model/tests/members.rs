//! The member roster: adding, re-adding, removing, the last-head rule, and how concurrent roster
//! changes merge.

use automerge::{ROOT, ReadDoc};
use crdt_model::{Area, ModelError, NewArea};

const T0: i64 = 1_763_900_000_000;

fn area() -> Area {
    Area::create(
        NewArea { id: "tam-giac-3".into(), name: "Tam Giác 3".into(), ward: "Phường 7".into(), profile_toml: None },
        "peer-a",
        "Lan",
        T0,
    )
    .unwrap()
}

fn invalid_field(e: &ModelError) -> Option<&str> {
    match e {
        ModelError::InvalidInput { field, .. } => Some(field),
        _ => None,
    }
}

#[test]
fn add_update_remove_and_readd() {
    let mut a = area();
    assert!(a.is_member("peer-a"));
    assert!(!a.is_member("peer-b"));

    a.add_member("peer-b", "  Minh ", "member", "peer-a", T0 + 1000).unwrap();
    let b = a.member("peer-b").unwrap();
    assert_eq!((b.name.as_str(), b.role.as_str(), b.removed), ("Minh", "member", false));
    assert_eq!(b.added_by.as_deref(), Some("peer-a"));
    assert_eq!(b.added_at.as_deref(), Some("2025-11-23T12:13:21Z"));
    assert!(a.is_member("peer-b"));

    // An active member: name and role change, when and by whom it was added does not.
    a.add_member("peer-b", "Minh (tổ 3)", "head", "peer-c", T0 + 5000).unwrap();
    let b = a.member("peer-b").unwrap();
    assert_eq!((b.name.as_str(), b.role.as_str()), ("Minh (tổ 3)", "head"));
    assert_eq!((b.added_by.as_deref(), b.added_at.as_deref()), (Some("peer-a"), Some("2025-11-23T12:13:21Z")));

    a.remove_member("peer-b", "peer-a", T0 + 6000).unwrap();
    assert!(!a.is_member("peer-b"));
    let b = a.member("peer-b").unwrap();
    assert!(b.removed, "a removed member stays on the roster, marked removed");
    assert_eq!(a.members().len(), 2);
    // Removing again is allowed (it settles a concurrent re-add).
    a.remove_member("peer-b", "peer-a", T0 + 6500).unwrap();

    // Re-adding records who re-added it and when.
    a.add_member("peer-b", "Minh", "ward", "peer-a", T0 + 7000).unwrap();
    let b = a.member("peer-b").unwrap();
    assert_eq!((b.role.as_str(), b.removed), ("ward", false));
    assert_eq!(b.added_at.as_deref(), Some("2025-11-23T12:13:27Z"));
    assert!(a.is_member("peer-b"));
}

#[test]
fn refused_roster_changes_write_nothing() {
    let mut a = area();
    let heads = a.heads();
    let e = a.add_member("peer-b", "Minh", "boss", "peer-a", T0).unwrap_err();
    assert_eq!(invalid_field(&e), Some("role"), "{e}");
    let e = a.add_member("peer-b", "  ", "member", "peer-a", T0).unwrap_err();
    assert_eq!(invalid_field(&e), Some("name"), "{e}");
    let e = a.add_member("peer-b", &"x".repeat(201), "member", "peer-a", T0).unwrap_err();
    assert_eq!(invalid_field(&e), Some("name"), "{e}");
    for bad in ["", "a/b", "peer b", "m/x", &"p".repeat(129)] {
        let e = a.add_member(bad, "X", "member", "peer-a", T0).unwrap_err();
        assert_eq!(invalid_field(&e), Some("peer_id"), "{bad:?}: {e}");
    }
    let e = a.remove_member("peer-zz", "peer-a", T0).unwrap_err();
    assert!(matches!(e, ModelError::NotFound { what: "member", .. }), "{e}");

    // The last active head can be neither removed nor demoted.
    let e = a.remove_member("peer-a", "peer-a", T0).unwrap_err();
    assert_eq!(invalid_field(&e), Some("peer_id"), "{e}");
    assert!(e.to_string().contains("last active head"), "{e}");
    let e = a.add_member("peer-a", "Lan", "member", "peer-a", T0).unwrap_err();
    assert_eq!(invalid_field(&e), Some("role"), "{e}");
    assert_eq!(a.heads(), heads, "refused changes left no change behind");
    assert!(!a.is_member("a/b") && !a.is_member("") && a.member("a/b").is_none());

    // With a second head, the first may go.
    a.add_member("peer-b", "Minh", "head", "peer-a", T0).unwrap();
    a.remove_member("peer-a", "peer-b", T0 + 1).unwrap();
    assert!(!a.is_member("peer-a"));
    let e = a.remove_member("peer-b", "peer-b", T0 + 2).unwrap_err();
    assert_eq!(invalid_field(&e), Some("peer_id"), "{e}");
}

#[test]
fn roster_survives_save_and_load() {
    let mut a = area();
    a.add_member("peer-b", "Minh", "member", "peer-a", T0).unwrap();
    a.remove_member("peer-b", "peer-a", T0 + 1).unwrap();
    let loaded = Area::load(&a.save(), "peer-c").unwrap();
    assert_eq!(loaded.members(), a.members());
    assert!(!loaded.is_member("peer-b"));
}

#[test]
fn concurrent_update_and_remove_the_removal_wins() {
    let mut a = area();
    a.add_member("peer-b", "Minh", "member", "peer-a", T0).unwrap();
    on_roster(&mut a, &["peer-x", "peer-y"]);
    let mut x = Area::load(&a.save(), "peer-x").unwrap();
    let mut y = Area::load(&a.save(), "peer-y").unwrap();
    x.remove_member("peer-b", "peer-x", T0 + 10).unwrap();
    // Renaming an active member touches only name and role, never `removed`.
    y.add_member("peer-b", "Minh B", "head", "peer-y", T0 + 20).unwrap();
    // Concurrently, each adds someone else: both additions survive.
    x.add_member("peer-c", "Chi", "member", "peer-x", T0 + 30).unwrap();
    y.add_member("peer-d", "Dũng", "ward", "peer-y", T0 + 40).unwrap();
    let mut xy = x.clone();
    xy.merge(&y).unwrap();
    let mut yx = y.clone();
    yx.merge(&x).unwrap();
    assert_eq!(xy.members(), yx.members(), "the same roster whatever the merge order");
    assert!(!xy.is_member("peer-b") && !yx.is_member("peer-b"));
    let b = xy.member("peer-b").unwrap();
    assert_eq!((b.name.as_str(), b.role.as_str(), b.removed), ("Minh B", "head", true));
    assert!(xy.is_member("peer-c") && xy.is_member("peer-d"));
}

#[test]
fn concurrent_readd_and_remove_merge_deterministically() {
    let mut a = area();
    a.add_member("peer-b", "Minh", "member", "peer-a", T0).unwrap();
    // Apart: x removes peer-b; y removes it too, then adds it back. (Writing a value a key
    // already holds is no change in Automerge, so this is how the two flags come to differ.)
    on_roster(&mut a, &["peer-x", "peer-y"]);
    let mut x = Area::load(&a.save(), "peer-x").unwrap();
    let mut y = Area::load(&a.save(), "peer-y").unwrap();
    x.remove_member("peer-b", "peer-x", T0 + 10).unwrap();
    y.remove_member("peer-b", "peer-y", T0 + 20).unwrap();
    y.add_member("peer-b", "Minh", "member", "peer-y", T0 + 30).unwrap();

    let mut xy = x.clone();
    xy.merge(&y).unwrap();
    let mut yx = y.clone();
    yx.merge(&x).unwrap();
    assert_eq!(xy.members(), yx.members(), "the same roster whatever the merge order");
    assert_eq!(xy.is_member("peer-b"), yx.is_member("peer-b"));
    // Which one wins is Automerge's choice (by operation id), the same on every replica.
    let winner = xy.is_member("peer-b");
    for _ in 0..3 {
        let mut again = y.clone();
        again.merge(&x).unwrap();
        assert_eq!(again.is_member("peer-b"), winner);
    }

    // `removed` holds both values; the loser stays readable on every replica.
    for replica in [&xy, &yx] {
        let values = replica.doc().get_all(ROOT, "m/peer-b/removed").unwrap();
        let flags: Vec<String> = values.iter().map(|(v, _)| v.to_string()).collect();
        assert_eq!(flags.len(), 2, "{flags:?}");
        assert!(flags.contains(&"true".to_string()) && flags.contains(&"false".to_string()), "{flags:?}");
    }

    // Writing the flag again settles it (whichever value was winning), and the settlement
    // merges everywhere.
    xy.remove_member("peer-b", "peer-x", T0 + 50).unwrap();
    assert_eq!(xy.doc().get_all(ROOT, "m/peer-b/removed").unwrap().len(), 1);
    yx.merge(&xy).unwrap();
    assert!(!yx.is_member("peer-b") && !xy.is_member("peer-b"));
    assert_eq!(yx.members(), xy.members());
    assert_eq!(yx.doc().get_all(ROOT, "m/peer-b/removed").unwrap().len(), 1);
}

/// Puts the devices that write in a test on the roster (changes from anyone else are refused).
fn on_roster(a: &mut Area, peers: &[&str]) {
    for p in peers {
        a.add_member(p, p, "head", "peer-a", T0).unwrap();
    }
}
