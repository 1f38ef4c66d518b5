//! Erasure by epochs, the model's half: a cut leaves the erased household out of the new
//! document (and out of its bytes), two devices cutting the same values make the same bytes, a
//! device that adopts the new epoch keeps its offline writes except the erased household's,
//! documents of different epochs never merge, and the door takes a cut only from its actor.

use crdt_model::consent::ConsentGiven;
use crdt_model::epoch::{epoch_actor, vietnam_day};
use crdt_model::history;
use crdt_model::{Area, HouseholdWrite, NewArea};

const DAY_MS: i64 = 86_400_000;
/// 2026-11-20 10:00 in Vietnam.
const T0: i64 = 1_795_143_600_000;
const MARKER: &str = "ZZERASE-so-9-ngo-4";

fn w(hh: &str, address: &str, fields: &[(&str, &str)]) -> HouseholdWrite {
    HouseholdWrite {
        id: hh.into(),
        group: Some("Tổ 1".into()),
        address: Some(address.into()),
        fields: fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        consent: Some(ConsentGiven::verbal()),
    }
}

fn set(hh: &str, fields: &[(&str, &str)]) -> HouseholdWrite {
    HouseholdWrite {
        id: hh.into(),
        fields: fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..Default::default()
    }
}

/// An area recorded over three days by two devices: H1 (to be erased, its address holds the
/// marker), H2 and H3.
fn area() -> Area {
    let new = NewArea { id: "khu-7".into(), name: "Khu 7".into(), ward: "Phường 1".into(), profile_toml: None };
    let mut a = Area::create(new, "peer-a", "Lan", T0).unwrap();
    a.add_member("peer-b", "Huy", "member", "peer-a", T0 + 1).unwrap();
    a.add_household(w("H1", MARKER, &[("members", "4"), ("internet", "yes")]), "peer-a", T0 + 10).unwrap();
    a.add_household(w("H2", "Số 2", &[("members", "2"), ("internet", "no")]), "peer-a", T0 + DAY_MS).unwrap();
    let mut b = Area::load(&a.save(), "peer-b").unwrap();
    b.add_household(w("H3", "Số 3", &[("members", "3"), ("internet", "yes")]), "peer-b", T0 + 2 * DAY_MS).unwrap();
    a.merge(&b).unwrap();
    a
}

fn holds(bytes: &[u8], needle: &str) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn a_cut_leaves_the_household_out_of_the_new_document_and_its_bytes() {
    let a = area();
    assert!(holds(&a.doc().save_nocompress(), MARKER), "control: the old document holds the marker");
    let cut_at = T0 + 3 * DAY_MS;
    let next = a.cut(&["H1"], cut_at).unwrap();
    assert_eq!(next.epoch(), 1);
    assert_eq!(next.uid(), a.uid());
    assert_eq!(next.erased().into_iter().collect::<Vec<_>>(), ["H1"]);
    assert!(next.household("H1").is_none());
    assert!(!holds(&next.doc().save_nocompress(), MARKER), "the marker is in the new epoch's bytes");
    assert!(!holds(&next.save(), MARKER));
    // Everything else is as it was: the other households, the roster, the profile, the name.
    for hh in ["H2", "H3"] {
        assert_eq!(next.household_view(hh).unwrap().fields, a.household_view(hh).unwrap().fields);
    }
    assert_eq!(next.members(), a.members());
    assert_eq!(next.profile(), a.profile());
    assert_eq!((next.id(), next.name(), next.ward()), (a.id(), a.name(), a.ward()));
    assert_eq!(next.status().households, 2);
    // One change, by the epoch's own actor, with the cut's time.
    let changes = next.doc().get_changes(&[]);
    assert_eq!(changes.len(), 1);
    assert_eq!(crdt_model::area::actor_text(changes[0].actor_id()), epoch_actor(&a.uid(), 1));
    assert_eq!(changes[0].timestamp(), cut_at / 1000);
    // As a document received whole (a snapshot file, a peer), it passes the door.
    Area::load(&next.save(), "peer-c").unwrap().check_all().unwrap();
    // Erasing what is gone, or what never was, is refused by name.
    assert!(next.cut(&["H1"], cut_at + 1).unwrap_err().to_string().contains("H1"));
    assert!(next.cut(&["H9"], cut_at + 1).unwrap_err().to_string().contains("H9"));
}

#[test]
fn two_devices_cutting_the_same_values_make_the_same_bytes() {
    let a = area();
    let b = Area::load(&a.save(), "peer-b").unwrap();
    let (na, nb) = (a.cut(&["H1"], T0 + 3 * DAY_MS).unwrap(), b.cut(&["H1"], T0 + 3 * DAY_MS).unwrap());
    assert_eq!(na.heads(), nb.heads());
    assert_eq!(na.save(), nb.save());
    assert_eq!(na.cut_hash(), nb.cut_hash());
    // A different cut (another time, another household) is another epoch 1: it never merges.
    let other = a.cut(&["H2"], T0 + 3 * DAY_MS).unwrap();
    assert_ne!(other.cut_hash(), na.cut_hash());
    let mut merged = na.clone();
    let err = merged.merge(&other).unwrap_err().to_string();
    assert!(err.contains("epoch 1") && err.contains("cut apart"), "{err}");
}

/// A cut is encoded whole as one change; it must be byte for byte the change a transaction
/// putting the same keys in order makes (what release 0.1.0 builds), so devices on either
/// version cutting the same values still make the same epoch.
#[test]
fn a_cut_is_the_change_a_transaction_makes() {
    use automerge::transaction::{CommitOptions, Transactable};
    use automerge::{ActorId, Automerge, ROOT, ReadDoc};
    let a = area();
    let cut_at = T0 + 3 * DAY_MS;
    let next = a.cut(&["H1"], cut_at).unwrap();
    let mut doc = Automerge::new().with_actor(ActorId::from(epoch_actor(&a.uid(), 1).as_bytes()));
    let mut tx = doc.transaction();
    let values: Vec<(String, automerge::ScalarValue)> = next
        .doc()
        .map_range(ROOT, ..)
        .map(|item| match automerge::Value::from(item.value) {
            automerge::Value::Scalar(v) => (item.key.to_string(), v.into_owned()),
            other => panic!("a cut holds scalars only, not {other:?}"),
        })
        .collect();
    assert!(values.len() > 20, "{values:?}");
    for (k, v) in values {
        tx.put(ROOT, k, v).unwrap();
    }
    tx.commit_with(CommitOptions::default().with_time(cut_at / 1000).with_message("epoch 1".to_string()));
    assert_eq!(next.heads(), doc.get_heads());
    assert_eq!(next.doc().save(), doc.save());
}

#[test]
fn documents_of_different_epochs_never_merge() {
    let a = area();
    let mut next = a.cut(&["H1"], T0 + 3 * DAY_MS).unwrap();
    let heads = next.heads();
    let err = next.merge(&a).unwrap_err().to_string();
    assert!(err.contains("epoch 1") && err.contains("epoch 0"), "{err}");
    assert_eq!(next.heads(), heads, "nothing merged");
    let mut old = a.clone();
    assert!(old.merge(&next).is_err());
    assert!(old.household("H1").is_some());
}

#[test]
fn adopting_the_new_epoch_keeps_offline_writes_except_the_erased_households() {
    let a = area();
    // Device B goes offline with the area as it is, and keeps recording.
    let mut b = Area::load(&a.save(), "peer-b").unwrap();
    b.set_household(set("H2", &[("internet", "yes")]), "peer-b", T0 + 3 * DAY_MS).unwrap();
    b.set_household(set("H1", &[("members", "5")]), "peer-b", T0 + 3 * DAY_MS + 1).unwrap();
    b.add_household(w("H4", "Số 4", &[("members", "1"), ("internet", "no")]), "peer-b", T0 + 3 * DAY_MS + 2).unwrap();
    // Meanwhile the head erases H1 and keeps writing on the new epoch.
    let mut next = a.cut(&["H1"], T0 + 3 * DAY_MS + 5).unwrap();
    next.set_household(set("H3", &[("internet", "no")]), "peer-a", T0 + 3 * DAY_MS + 6).unwrap();

    let adopted = b.adopt(&next, "peer-b", T0 + 4 * DAY_MS).unwrap();
    assert_eq!(adopted.epoch(), 1);
    assert!(adopted.household("H1").is_none(), "the erased household came back");
    assert_eq!(adopted.household_view("H2").unwrap().fields["internet"].to_string(), "yes");
    assert!(adopted.household("H4").is_some(), "an offline household was lost");
    assert_eq!(adopted.household_view("H3").unwrap().fields["internet"].to_string(), "no");
    assert!(!holds(&adopted.doc().save_nocompress(), MARKER));
    // It is the same epoch as the head's: they merge, both ways, and agree.
    let mut head = next.clone();
    head.merge(&adopted).unwrap();
    let mut back = adopted.clone();
    back.merge(&next).unwrap();
    assert_eq!(head.status(), back.status());
    assert!(head.household("H4").is_some() && head.household("H1").is_none());
    assert!(head.conflicts().is_empty(), "{:?}", head.conflicts());
    // A device with nothing new adopts the epoch as it is.
    let c = Area::load(&a.save(), "peer-c").unwrap();
    assert_eq!(c.adopt(&next, "peer-c", T0 + 4 * DAY_MS).unwrap().heads(), next.heads());
    // An epoch is adopted only by the epoch before it, of the same area.
    assert!(next.adopt(&next, "peer-c", T0).is_err());
}

#[test]
fn the_figures_of_the_days_before_the_cut_survive_it() {
    let a = area();
    let before = history::daily(&a, vietnam_day, None, None).unwrap();
    assert_eq!(before.len(), 3, "{before:?}");
    let next = a.cut(&["H1"], T0 + 3 * DAY_MS).unwrap();
    let after = history::daily(&next, vietnam_day, None, None).unwrap();
    assert_eq!(&after[..3], &before[..], "the days before the cut read as before");
    assert_eq!(after.len(), 4, "and the cut's own day follows: {after:?}");
    assert_eq!(after[3].evaluation.households, 2);
    // The next cut keeps them too.
    let third = next.cut(&["H2"], T0 + 5 * DAY_MS).unwrap();
    assert_eq!(third.epoch(), 2);
    let days = history::daily(&third, vietnam_day, None, None).unwrap();
    assert_eq!(&days[..3], &before[..]);
    assert_eq!(third.erased().into_iter().collect::<Vec<_>>(), ["H1", "H2"]);
}

#[test]
fn the_door_takes_epoch_keys_only_from_a_cut_by_its_actor() {
    use automerge::ReadDoc;
    use automerge::transaction::{CommitOptions, Transactable};
    let a = area();
    let next = a.cut(&["H1"], T0 + 3 * DAY_MS).unwrap();
    // A member writing a tombstone, a day's figures or the epoch in an ordinary change.
    for (key, value) in [
        ("x/H2", automerge::ScalarValue::Timestamp(T0)),
        ("meta/epoch", automerge::ScalarValue::Uint(5)),
        ("d/2026-11-20", automerge::ScalarValue::Str("{}".into())),
    ] {
        let mut doc = next.doc().clone().with_actor(automerge::ActorId::from("peer-b".as_bytes()));
        let mut tx = doc.transaction();
        tx.put(automerge::ROOT, key, value).unwrap();
        tx.commit_with(CommitOptions::default().with_time(T0 / 1000));
        let forged = Area::load(&doc.save(), "peer-c").unwrap();
        let err = forged.check_all().unwrap_err().to_string();
        assert!(err.contains(key) && (err.contains("cuts an epoch") || err.contains("written once")), "{key}: {err}");
    }
    // A cut made by another actor than the epoch's.
    let mut doc = automerge::Automerge::new().with_actor(automerge::ActorId::from("peer-b".as_bytes()));
    let mut tx = doc.transaction();
    for key in next.doc().keys(automerge::ROOT) {
        if let Some((automerge::Value::Scalar(v), _)) = next.doc().get(automerge::ROOT, key.as_str()).unwrap() {
            tx.put(automerge::ROOT, key, v.into_owned()).unwrap();
        }
    }
    tx.commit_with(CommitOptions::default().with_time(T0 / 1000));
    let err = Area::load(&doc.save(), "peer-c").unwrap().check_all().unwrap_err().to_string();
    assert!(err.contains("is made by epoch-1-"), "{err}");
}

/// Two heads erase apart (H1 on one copy, H2 on another): two different epochs 1. The rule
/// both sides apply (the cut with the smaller hash wins; the loser's own writes are replayed
/// onto it and what only the loser erased is erased again, in epoch 2) leaves both devices on
/// one epoch 2 with both households erased and every other write kept.
#[test]
fn two_erasures_made_apart_converge() {
    let a0 = area();
    let b0 = Area::load(&a0.save(), "peer-b").unwrap();
    let mut wa = a0.cut(&["H1"], T0 + 3 * DAY_MS).unwrap();
    wa.set_household(set("H3", &[("internet", "no")]), "peer-a", T0 + 3 * DAY_MS + 1).unwrap();
    let mut wb = b0.cut(&["H2"], T0 + 3 * DAY_MS + 2).unwrap();
    wb.set_household(set("H3", &[("members", "5")]), "peer-b", T0 + 3 * DAY_MS + 3).unwrap();
    assert_ne!(wa.cut_hash(), wb.cut_hash());
    assert!(wa.loses_to(&wb) != wb.loses_to(&wa), "exactly one wins");
    let ((loser, loser_actor), (winner, winner_actor)) =
        if wa.loses_to(&wb) { ((wa, "peer-a"), (wb, "peer-b")) } else { ((wb, "peer-b"), (wa, "peer-a")) };

    // The loser's device meets the winner's cut.
    let adopted = loser.adopt(&winner, loser_actor, T0 + 4 * DAY_MS).unwrap();
    let only_loser: Vec<String> = loser.erased().difference(&winner.erased()).cloned().collect();
    assert_eq!(only_loser.len(), 1);
    let refs: Vec<&str> = only_loser.iter().map(String::as_str).collect();
    let on_loser = adopted.cut(&refs, T0 + 4 * DAY_MS + 1).unwrap();
    assert_eq!(on_loser.epoch(), 2);
    // The winner's device then meets epoch 2 and adopts it.
    let on_winner = winner.adopt(&on_loser, winner_actor, T0 + 4 * DAY_MS + 2).unwrap();

    for doc in [&on_loser, &on_winner] {
        assert_eq!(doc.erased().into_iter().collect::<Vec<_>>(), ["H1", "H2"]);
        assert!(doc.household("H1").is_none() && doc.household("H2").is_none());
        assert!(!holds(&doc.doc().save_nocompress(), MARKER));
        let h3 = doc.household_view("H3").unwrap();
        assert_eq!((h3.fields["internet"].to_string(), h3.fields["members"].to_string()), ("no".into(), "5".into()));
    }
    let mut merged = on_loser.clone();
    merged.merge(&on_winner).unwrap();
    let mut other = on_winner.clone();
    other.merge(&on_loser).unwrap();
    assert_eq!(merged.status(), other.status());
    assert!(merged.conflicts().is_empty(), "{:?}", merged.conflicts());
}

#[test]
fn the_roster_says_which_devices_hold_the_current_epoch() {
    let a = area();
    let next = a.erase(&["H1"], "peer-a", T0 + 3 * DAY_MS).unwrap();
    let status = next.erasure_status();
    assert_eq!((status.epoch, status.pending, status.erased.clone()), (1, 1, vec!["H1".to_string()]));
    let by_peer =
        |s: &crdt_model::epoch::ErasureStatus, p: &str| s.members.iter().find(|m| m.peer_id == p).unwrap().adopted;
    assert!(by_peer(&status, "peer-a") && !by_peer(&status, "peer-b"));
    let b = Area::load(&a.save(), "peer-b").unwrap();
    let mut on_b = b.adopt(&next, "peer-b", T0 + 3 * DAY_MS + 5).unwrap();
    on_b.record_epoch("peer-b", T0 + 3 * DAY_MS + 5).unwrap();
    let status = on_b.erasure_status();
    assert_eq!(status.pending, 0, "{status:?}");
    // Only a head erases.
    let err = b.erase(&["H1"], "peer-b", T0).unwrap_err().to_string();
    assert!(err.contains("head"), "{err}");

    // A lost phone: removed before the erasure, it still holds H1.
    let mut lost = area();
    lost.add_member("peer-c", "Chi", "member", "peer-a", T0 + 2).unwrap();
    lost.remove_member("peer-c", "peer-a", T0 + 3).unwrap();
    assert!(lost.erasure_status().removed_behind.is_empty(), "nothing erased yet");
    let after = lost.erase(&["H1"], "peer-a", T0 + 3 * DAY_MS).unwrap().erasure_status();
    assert_eq!(after.removed_behind.iter().map(|m| m.peer_id.as_str()).collect::<Vec<_>>(), ["peer-c"]);
    assert!(after.members.iter().all(|m| m.peer_id != "peer-c"));
}
