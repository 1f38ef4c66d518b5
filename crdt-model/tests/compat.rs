//! What an area needs of a release: features older releases refuse make the document state the
//! release that reads it, and a release this one does not know is named, not misread.

use automerge::transaction::Transactable;
use automerge::{ActorId, Automerge, ROOT};
use crdt_model::compat::{self, Feature};
use crdt_model::{Area, NewArea};
use semver::Version;

const T0: i64 = 1_763_900_000_000;
const RELAY: &str = "/ip4/203.0.113.7/tcp/4001/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN";

fn area(profile_toml: Option<String>) -> Area {
    let new = NewArea { id: "a1".into(), name: "Khu 1".into(), ward: "Phường 1".into(), profile_toml };
    let mut a = Area::create(new, "peer-a", "Lan", T0).unwrap();
    a.add_member("peer-b", "Huy", "member", "peer-a", T0).unwrap();
    a
}

fn v(text: &str) -> Version {
    Version::parse(text).unwrap()
}

#[test]
fn a_plain_area_is_read_by_the_first_release() {
    let a = area(None);
    let r = a.requires();
    assert_eq!(r.release, v(compat::FIRST_RELEASE));
    assert!(r.features.is_empty());
    assert!(r.readable_by(&v("0.1.0")));
}

#[test]
fn relays_need_the_release_that_reads_them_and_say_so_for_good() {
    let mut a = area(None);
    a.add_relay(RELAY, "peer-a", T0 + 1).unwrap();
    let r = a.requires();
    assert_eq!(r.release, Feature::Relays.since());
    assert_eq!(r.features, vec![Feature::Relays]);
    assert!(!r.readable_by(&v("0.1.0")));
    assert_eq!(r.missing_for(&v("0.1.0")), vec![Feature::Relays]);
    assert!(r.missing_for(&Feature::Relays.since()).is_empty());

    // The document states it, and keeps stating it once the relay is gone (its history holds it).
    a.remove_relay(RELAY, "peer-a", T0 + 2).unwrap();
    let r = a.requires();
    assert_eq!(r.release, Feature::Relays.since());
    assert!(r.features.is_empty());
    // A document that reads the statement back from bytes says the same, and passes this door.
    let again = Area::load_checked(&a.save(), "reader", None).unwrap();
    assert_eq!(again.requires().release, Feature::Relays.since());
}

#[test]
fn the_members_a_first_relay_stops_are_those_it_leaves_behind() {
    let a = area(None);
    let (old, new, behind) = (v("0.1.0"), Feature::Relays.since(), v("0.0.9"));
    let members = [("Lan", &old), ("Huy", &new)];
    assert_eq!(a.requires().stopped_by(Feature::Relays, members), vec![("Lan".to_string(), "0.1.0".to_string())]);
    // Already behind (the area needs more than it reads): not stopped by this, named elsewhere.
    let needs_more = a.requires().with(Feature::MaxDeclined);
    assert!(needs_more.stopped_by(Feature::Relays, [("Lan", &old)]).is_empty());
    assert!(a.requires().stopped_by(Feature::Relays, [("Tu", &behind)]).is_empty());
    // Once relays are there, a further relay stops nobody new.
    let mut b = area(None);
    b.add_relay(RELAY, "peer-a", T0 + 1).unwrap();
    assert!(b.requires().stopped_by(Feature::Relays, [("Lan", &old), ("Huy", &new)]).is_empty());
    assert_eq!(b.summary().requires, new.to_string());
    assert_eq!(a.summary().requires, compat::FIRST_RELEASE);
}

#[test]
fn a_profile_that_limits_declined_households_needs_its_release() {
    let toml = Area::create(
        NewArea { id: "x".into(), name: "x".into(), ward: "x".into(), profile_toml: None },
        "peer-a",
        "Lan",
        T0,
    )
    .unwrap()
    .profile()
    .source()
    .to_string();
    let limited = format!("max_declined = 0.1\n{toml}");
    let a = area(Some(limited));
    let r = a.requires();
    assert_eq!(r.release, Feature::MaxDeclined.since());
    assert_eq!(r.features, vec![Feature::MaxDeclined]);
    Area::load_checked(&a.save(), "reader", None).unwrap();
}

#[test]
fn a_document_of_a_later_release_is_refused_naming_it() {
    let mut doc = Automerge::load(&area(None).save()).unwrap().with_actor(ActorId::from(&b"peer-b"[..]));
    let mut tx = doc.transaction();
    tx.put(ROOT, "z/from-the-future", "1").unwrap();
    tx.put(ROOT, "meta/requires", "7.3.0").unwrap();
    tx.commit();
    let err = Area::load_checked(&doc.save(), "reader", None).unwrap_err().to_string();
    assert!(err.contains("needs KDC Sync 7.3.0 or newer"), "{err}");
    assert!(err.contains(compat::RELEASE), "{err}");
}
