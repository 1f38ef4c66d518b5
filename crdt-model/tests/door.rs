//! Changes from elsewhere are checked at the door. Each bad document here is made with
//! Automerge's own API, as another program would make it, and offered three ways: merged (what
//! `kdc snapshot import` and `merge` do), inside a snapshot file, and by the sync protocol.
//! Each must be refused whole, name what is wrong, and leave the receiving replica as it was.

use automerge::transaction::Transactable;
use automerge::{ActorId, Automerge, ObjType, ROOT, ScalarValue};
use crdt_model::snapshot;
use crdt_model::sync::SyncState;
use crdt_model::{Area, HouseholdWrite, ModelError, NewArea};

const T0: i64 = 1_763_900_000_000;

/// Area `a1` made by peer-a, with peer-b on the roster and household H1 recorded.
fn base() -> Area {
    let new = NewArea { id: "a1".into(), name: "Khu 1".into(), ward: "Phường 1".into(), profile_toml: None };
    let mut a = Area::create(new, "peer-a", "Lan", T0).unwrap();
    a.add_member("peer-b", "Huy", "member", "peer-a", T0).unwrap();
    let w = HouseholdWrite {
        id: "H1".into(),
        group: Some("Tổ 1".into()),
        address: None,
        fields: vec![("members".into(), "4".into()), ("members_14plus".into(), "3".into())],
        consent: Some(crdt_model::ConsentGiven::verbal()),
    };
    a.add_household(w, "peer-a", T0 + 1).unwrap();
    a
}

/// The base area with one more change made by `actor` with Automerge directly.
fn tampered(actor: &[u8], edit: impl FnOnce(&mut automerge::transaction::Transaction<'_>)) -> Area {
    let mut doc = Automerge::load(&base().save()).unwrap().with_actor(ActorId::from(actor));
    let mut tx = doc.transaction();
    edit(&mut tx);
    tx.commit();
    Area::load(&doc.save(), "reader").unwrap()
}

type Edit = Box<dyn Fn(&mut automerge::transaction::Transaction<'_>)>;

/// Every kind of bad change, with a word the refusal must contain.
fn bad_changes() -> Vec<(&'static str, &'static [u8], Edit, &'static str)> {
    let member: &[u8] = b"peer-b";
    vec![
        (
            "a later release's key",
            member,
            Box::new(|tx| {
                tx.put(ROOT, "meta/requires", "9.0.0").unwrap();
                tx.put(ROOT, "z/new-thing", "1").unwrap();
            }),
            "needs KDC Sync 9.0.0 or newer",
        ),
        (
            "a later release stated",
            member,
            Box::new(|tx| tx.put(ROOT, "meta/requires", "9.1.0").unwrap()),
            "needs KDC Sync 9.1.0 or newer",
        ),
        (
            "not a release number",
            member,
            Box::new(|tx| tx.put(ROOT, "meta/requires", "new").unwrap()),
            "release number",
        ),
        ("count out of range", member, Box::new(|tx| tx.put(ROOT, "h/H2/members", 999u64).unwrap()), "1 to 60"),
        ("not an answer", member, Box::new(|tx| tx.put(ROOT, "h/H1/internet", "maybe").unwrap()), "internet"),
        (
            "nested object",
            member,
            Box::new(|tx| {
                tx.put_object(ROOT, "h/H1/members", ObjType::Map).unwrap();
            }),
            "object",
        ),
        (
            "text object",
            member,
            Box::new(|tx| {
                let t = tx.put_object(ROOT, "h/H3/@address", ObjType::Text).unwrap();
                tx.splice_text(&t, 0, 0, "Số 5").unwrap();
            }),
            "object",
        ),
        ("fraction", member, Box::new(|tx| tx.put(ROOT, "h/H1/members", 2.5f64).unwrap()), "fraction"),
        ("new root key", member, Box::new(|tx| tx.put(ROOT, "households", 3u64).unwrap()), "not a key"),
        ("unknown field", member, Box::new(|tx| tx.put(ROOT, "h/H1/phone", "0901").unwrap()), "phone"),
        ("bad house code", member, Box::new(|tx| tx.put(ROOT, "h/H 1/members", 3u64).unwrap()), "household"),
        ("counter", member, Box::new(|tx| tx.put(ROOT, "h/H1/members", ScalarValue::counter(1)).unwrap()), "counter"),
        ("identity rewritten", member, Box::new(|tx| tx.put(ROOT, "meta/created_by", "peer-b").unwrap()), "identity"),
        ("role", member, Box::new(|tx| tx.put(ROOT, "m/peer-b/role", "king").unwrap()), "role"),
        ("consent state", member, Box::new(|tx| tx.put(ROOT, "h/H1/@consent", "maybe").unwrap()), "consent state"),
        ("consent method", member, Box::new(|tx| tx.put(ROOT, "h/H1/@consent_method", "sms").unwrap()), "method"),
        ("consent time", member, Box::new(|tx| tx.put(ROOT, "h/H1/@consent_at", "today").unwrap()), "consent_at"),
        ("relay not an address", member, Box::new(|tx| tx.put(ROOT, "r/QmRelay", "relay.example").unwrap()), "relay"),
        (
            "relay under another peer id",
            member,
            Box::new(|tx| tx.put(ROOT, "r/QmRelay", "/ip4/1.2.3.4/tcp/4001/p2p/QmOther").unwrap()),
            "stored under",
        ),
        (
            "relay through a relay",
            member,
            Box::new(|tx| tx.put(ROOT, "r/QmB", "/ip4/1.2.3.4/tcp/1/p2p/QmA/p2p-circuit/p2p/QmB").unwrap()),
            "directly",
        ),
        (
            "stranger",
            b"peer-x",
            Box::new(|tx| tx.put(ROOT, "h/H1/internet", "yes").unwrap()),
            "never on the area's roster",
        ),
        (
            "stranger adds itself",
            b"peer-x",
            Box::new(|tx| {
                tx.put(ROOT, "m/peer-x/name", "X").unwrap();
                tx.put(ROOT, "m/peer-x/role", "head").unwrap();
            }),
            "never on the area's roster",
        ),
        (
            "actor that is not text",
            &[0xff, 0xfe, 0x00, 0x80],
            Box::new(|tx| tx.put(ROOT, "h/H1/internet", "yes").unwrap()),
            "fffe0080",
        ),
    ]
}

#[test]
fn bad_changes_are_refused_by_merge_file_and_sync() {
    for (what, actor, edit, word) in bad_changes() {
        let bad = tampered(actor, edit);

        // Merged, as `kdc snapshot import` does: refused, nothing changed.
        let mut mine = base();
        let before = (mine.heads(), mine.households());
        let err = mine.merge(&bad).unwrap_err();
        assert!(matches!(err, ModelError::BadChange(_)), "{what}: {err:?}");
        assert!(err.to_string().contains(word), "{what}: {err}");
        assert!(err.to_string().contains("area a1"), "{what}: {err}");
        assert_eq!((mine.heads(), mine.households()), before, "{what}");

        // In a snapshot file: the file is refused as a whole.
        let file = snapshot::encode(&[&bad]);
        let err = snapshot::decode_areas(&file, "reader").unwrap_err();
        assert!(err.to_string().contains(word), "{what}: {err}");

        // By sync: the message that brings it is refused; the receiver keeps what it had.
        let mut mine = base();
        let before = mine.heads();
        let (mut s_bad, mut s_mine) = (SyncState::new(), SyncState::new());
        let mut refused = None;
        for _ in 0..10 {
            if let Some(m) = mine.generate_sync_message(&mut s_mine) {
                bad.clone().receive_sync_message(&mut s_bad, &m).unwrap();
            }
            if let Some(m) = bad.generate_sync_message(&mut s_bad) {
                let mut copy = mine.clone();
                match copy.receive_sync_message(&mut s_mine, &m) {
                    Ok(_) => mine = copy,
                    Err(e) => {
                        refused = Some(e);
                        break;
                    }
                }
            }
        }
        let err = refused.unwrap_or_else(|| panic!("{what}: sync took the bad change"));
        assert!(err.to_string().contains(word), "{what}: {err}");
        assert_eq!(mine.heads(), before, "{what}");
    }
}

#[test]
fn good_changes_from_another_program_pass() {
    // A member writing valid values with Automerge directly (an `Int` count, as JavaScript
    // writes numbers) is taken.
    let good = tampered(b"peer-b", |tx| {
        tx.put(ROOT, "h/H2/members", ScalarValue::Int(5)).unwrap();
        tx.put(ROOT, "h/H2/internet", "yes").unwrap();
        tx.put(ROOT, "h/H2/@group", "Tổ 2").unwrap();
    });
    let mut mine = base();
    mine.merge(&good).unwrap();
    let h2 = mine.household("H2").unwrap();
    assert_eq!(h2.fields["members"], crdt_model::Value::Count(5));
    assert!(snapshot::decode_areas(&snapshot::encode(&[&good]), "reader").is_ok());
}

#[test]
fn a_member_added_in_the_same_batch_may_write() {
    // peer-b adds peer-c, and peer-c writes: both arrive in one merge, in causal order.
    let mut b = Area::load(&base().save(), "peer-b").unwrap();
    b.add_member("peer-c", "Chi", "member", "peer-b", T0 + 5).unwrap();
    let mut c = Area::load(&b.save(), "peer-c").unwrap();
    c.add_household(
        HouseholdWrite { id: "H9".into(), consent: Some(crdt_model::ConsentGiven::verbal()), ..Default::default() },
        "peer-c",
        T0 + 6,
    )
    .unwrap();
    let mut mine = base();
    mine.merge(&c).unwrap();
    assert!(mine.household("H9").is_some());
}

#[test]
fn duplicate_sequence_numbers_are_invalid_input() {
    // Two different changes by one actor with the same sequence number.
    let one = tampered(b"peer-b", |tx| tx.put(ROOT, "h/H1/internet", "yes").unwrap());
    let two = tampered(b"peer-b", |tx| tx.put(ROOT, "h/H1/internet", "no").unwrap());
    let mut mine = one.clone();
    let err = mine.merge(&two).unwrap_err();
    assert!(matches!(err, ModelError::InvalidInput { .. }), "{err:?}");
    assert_eq!(mine.heads(), one.heads());
}

#[test]
fn values_stored_before_the_check_read_as_unknown_and_are_listed() {
    // A document that already holds a bad value (written before changes were checked): it
    // reads as not recorded, and `conflicts` lists it as invalid.
    let bad = tampered(b"peer-b", |tx| {
        tx.put(ROOT, "h/H1/members", 999u64).unwrap();
        tx.put(ROOT, "h/H1/internet", "maybe").unwrap();
    });
    let h1 = bad.household("H1").unwrap();
    assert!(!h1.fields.contains_key("members") && !h1.fields.contains_key("internet"), "{h1:?}");
    assert_eq!(h1.fields["members_14plus"], crdt_model::Value::Count(3));
    let conflicts = bad.conflicts();
    let invalid: Vec<(&str, &str)> =
        conflicts.iter().filter(|c| c.invalid.is_some()).map(|c| (c.field.as_str(), c.winner.as_str())).collect();
    assert_eq!(invalid, [("internet", "maybe"), ("members", "999")]);
    let history = crdt_model::history::household_history(&bad, "H1").unwrap();
    assert!(history.iter().any(|c| c.field == "members" && c.new == "999"));
}

#[test]
fn relays_are_area_data() {
    let mut a = base();
    let addr = "/ip4/203.0.113.7/tcp/4001/p2p/12D3KooWRelay";
    a.add_relay(addr, "peer-a", T0 + 2).unwrap();
    a.add_relay(addr, "peer-a", T0 + 3).unwrap(); // Twice: one relay.
    assert_eq!(a.relays(), vec![addr.to_string()]);
    // Another device learns it by merge; it crosses the door.
    let mut b = Area::load(&base().save(), "peer-b").unwrap();
    b.merge(&a).unwrap();
    assert_eq!(b.relays(), vec![addr.to_string()]);
    for bad in ["/ip4/203.0.113.7/tcp/4001", "relay.example/p2p/X", "/ip4/1.2.3.4/tcp/1/p2p/A/p2p-circuit/p2p/B"] {
        let e = a.add_relay(bad, "peer-a", T0).unwrap_err();
        assert!(matches!(e, ModelError::InvalidInput { .. }), "{bad}: {e}");
    }
    // Removed by address or by peer id; removing one that is not there is refused.
    a.remove_relay("12D3KooWRelay", "peer-a", T0 + 4).unwrap();
    assert!(a.relays().is_empty());
    assert!(matches!(a.remove_relay(addr, "peer-a", T0 + 5), Err(ModelError::NotFound { .. })));
    b.merge(&a).unwrap();
    assert!(b.relays().is_empty());
    // Saved and loaded, the relays stay.
    b.add_relay(addr, "peer-a", T0 + 6).unwrap();
    let reloaded = Area::load(&b.save(), "peer-c").unwrap();
    assert_eq!(reloaded.relays(), vec![addr.to_string()]);
}

#[test]
fn a_document_automerge_panics_on_is_read_as_corrupt() {
    // Found by the foreign_document fuzz target: Automerge 0.12 panics while loading it.
    let bytes = include_bytes!("../../fuzz/corpus/foreign_document/automerge-load-panic-fc79ef01");
    assert!(matches!(Area::load(bytes, "reader"), Err(ModelError::Corrupt(_))));
}

/// The door's memory: a document that passed is remembered by its bytes and not checked again;
/// one that failed is never remembered; another release's memory, or one that does not read,
/// is empty.
#[test]
fn the_door_remembers_only_what_passed_and_only_for_this_release() {
    use crdt_model::check::Passed;
    let passed = Passed::default();
    let good = base().save();
    let bad = tampered(b"peer-b", |tx| tx.put(ROOT, "h/H2/members", 999u64).unwrap()).save();

    let err = Area::load_checked(&bad, "reader", Some(&passed)).unwrap_err();
    assert!(err.to_string().contains("1 to 60"), "{err}");
    assert!(passed.is_empty(), "a refused document was remembered");

    let area = Area::load_checked(&good, "reader", Some(&passed)).unwrap();
    assert_eq!(area.households().len(), 1);
    assert_eq!(passed.len(), 1);
    assert!(passed.contains(&Passed::key(&good)));
    assert!(!passed.contains(&Passed::key(&bad)));

    // Remembered keys are trusted (that is the point): a memory that holds the bad document's key
    // lets it in unchecked, which shows the check is skipped, and that nothing but a pass may
    // ever put a key there.
    let forged = Passed::default();
    forged.insert(Passed::key(&bad));
    assert!(Area::load_checked(&bad, "reader", Some(&forged)).is_ok());
    // Without a memory everything is checked.
    assert!(Area::load_checked(&bad, "reader", None).is_err());

    // Kept and read back whole; written by another release (another salt), cut short, or not
    // a memory at all: empty.
    let bytes = passed.to_bytes();
    let back = Passed::from_bytes(&bytes);
    assert!(back.contains(&Passed::key(&good)) && back.len() == 1 && !back.is_changed());
    let mut other_release = bytes.clone();
    other_release[8] ^= 1;
    assert!(Passed::from_bytes(&other_release).is_empty());
    assert!(Passed::from_bytes(&bytes[..bytes.len() - 1]).is_empty());
    assert!(Passed::from_bytes(b"not a memory").is_empty());

    // Through a snapshot file: the good area is remembered, a file with a bad one refused.
    let in_file = Passed::default();
    let file = snapshot::encode(&[&base()]);
    assert_eq!(snapshot::decode_areas_with_saves(&file, "reader", Some(&in_file)).unwrap().len(), 1);
    assert_eq!(in_file.len(), 1);
    let bad_file = snapshot::encode(&[&Area::load(&bad, "reader").unwrap()]);
    assert!(snapshot::decode_areas_with_saves(&bad_file, "reader", Some(&in_file)).is_err());
    assert_eq!(in_file.len(), 1);
}

#[test]
fn the_door_forgets_the_oldest_beyond_its_bound() {
    use crdt_model::check::{MAX_REMEMBERED, Passed};
    let passed = Passed::default();
    for i in 0..MAX_REMEMBERED + 3 {
        passed.insert(Passed::key(&(i as u64).to_be_bytes()));
    }
    assert_eq!(passed.len(), MAX_REMEMBERED);
    assert!(!passed.contains(&Passed::key(&0u64.to_be_bytes())));
    assert!(passed.contains(&Passed::key(&((MAX_REMEMBERED + 2) as u64).to_be_bytes())));
    assert_eq!(Passed::from_bytes(&passed.to_bytes()).len(), MAX_REMEMBERED);
}
