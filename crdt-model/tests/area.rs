//! Area documents: writes are validated and all-or-nothing; snapshots round-trip and refuse
//! anything damaged.

use crdt_model::snapshot::{self, SnapshotError};
use crdt_model::{Area, HouseholdWrite, ModelError, NewArea};

fn area(id: &str) -> Area {
    Area::create(
        NewArea {
            id: id.into(),
            name: "Khu dân cư Tam Giác 3".into(),
            ward: "Phường Hạc Thành".into(),
            profile_toml: None,
        },
        "peer-a",
        "Lan",
        1_763_900_000_000,
    )
    .unwrap()
}

fn w(hh: &str, fields: &[(&str, &str)]) -> HouseholdWrite {
    HouseholdWrite {
        id: hh.into(),
        group: Some("Tổ 1".into()),
        address: Some("Số 5, ngõ 12".into()),
        fields: fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        consent: Some(crdt_model::ConsentGiven::verbal()),
    }
}

#[test]
fn new_area_has_its_creator_as_head() {
    let a = area("tam-giac-3");
    let members = a.members();
    assert_eq!(members.len(), 1);
    assert_eq!(
        (members[0].peer_id.as_str(), members[0].name.as_str(), members[0].role.as_str()),
        ("peer-a", "Lan", "head")
    );
    assert_eq!(a.profile().id(), "kdc-so-v1");
    assert_eq!(a.summary().households, 0);
    assert_eq!(a.uid().len(), 16);
}

#[test]
fn refused_writes_change_nothing() {
    let mut a = area("a1");
    a.add_household(w("T1-001", &[("members", "4"), ("members_14plus", "3")]), "peer-a", 1).unwrap();
    let heads = a.heads();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("internet", "yes"), ("members", "0")], "members"),
        (&[("eid_accounts", "4")], "eid_accounts"),
        (&[("members", "2")], "members"),
        (&[("pets", "2")], "pets"),
        (&[("ecommerce", "yes")], "ecommerce"),
        (&[("internet", "perhaps")], "internet"),
        (&[("internet", "yes"), ("internet", "no")], "internet"),
    ];
    for (fields, field) in cases {
        let err = a.set_household(w("T1-001", fields), "peer-a", 2).unwrap_err();
        assert_eq!(err.field(), Some(*field), "{fields:?}: {err}");
        assert!(matches!(err, ModelError::InvalidInput { .. }));
        assert_eq!(a.heads(), heads, "{fields:?} left a change behind");
    }
    assert!(matches!(a.add_household(w("T1-001", &[]), "peer-a", 3), Err(ModelError::Exists { .. })));
    assert!(matches!(
        a.set_household(w("T9-999", &[("internet", "yes")]), "peer-a", 3),
        Err(ModelError::NotFound { .. })
    ));
    assert!(a.add_household(w("bad/id", &[]), "peer-a", 3).is_err());
    assert_eq!(a.heads(), heads);
}

#[test]
fn views_and_worklists() {
    let mut a = area("a1");
    a.add_household(
        w("T1-001", &[("members", "4"), ("members_14plus", "3"), ("eid_accounts", "2"), ("internet", "có")]),
        "peer-a",
        1_763_900_000_000,
    )
    .unwrap();
    a.add_household(
        HouseholdWrite {
            group: Some("Tổ 2".into()),
            consent: Some(crdt_model::ConsentGiven::verbal()),
            ..w("T2-001", &[("internet", "no")])
        },
        "peer-a",
        2,
    )
    .unwrap();
    let v = a.household_view("T1-001").unwrap();
    let json = serde_json::to_value(&v).unwrap();
    assert_eq!(json["fields"]["members"], 4);
    assert_eq!(json["fields"]["internet"], "yes");
    assert!(json["fields"].get("mapped").is_none(), "a field never recorded is absent");
    assert_eq!(json["criteria"]["internet"], true);
    assert_eq!(json["criteria"]["e_citizen"], false);
    assert_eq!(json["criteria"]["ecommerce"], serde_json::Value::Null);
    assert_eq!(json["updated_by"], "peer-a");
    assert_eq!(json["updated_at"], "2025-11-23T12:13:20Z");
    let list = a.household_list(None, Some("e_citizen"), false).unwrap();
    assert_eq!(list.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), ["T1-001", "T2-001"]);
    let list = a.household_list(Some("Tổ 2"), Some("internet"), false).unwrap();
    assert_eq!(list.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), ["T2-001"]);
    assert_eq!(a.household_list(None, Some("nope"), false).unwrap_err().field(), Some("missing"));
    a.archive_household("T2-001", "peer-a", 3).unwrap();
    assert_eq!(a.household_list(None, None, false).unwrap().len(), 1);
    assert_eq!(a.household_list(None, None, true).unwrap().len(), 2);
    let s = a.status();
    assert_eq!(s.households, 1);
    assert_eq!(s.groups.len(), 1);
    let internet = s.criteria.iter().find(|c| c.id == "internet").unwrap();
    assert_eq!((internet.numerator, internet.denominator, internet.met), (1, 1, true));
}

#[test]
fn snapshots_round_trip_and_refuse_damage() {
    let mut a = area("a1");
    a.add_household(w("T1-001", &[("members", "2")]), "peer-a", 1).unwrap();
    let b = area("b2");
    let bytes = snapshot::encode(&[&a, &b]);
    let back = snapshot::decode_areas(&bytes, "reader").unwrap();
    assert_eq!(back.iter().map(|x| x.id()).collect::<Vec<_>>(), ["a1", "b2"]);
    assert_eq!(back[0].households(), a.households());
    assert_eq!(back[0].uid(), a.uid());

    assert_eq!(snapshot::decode(b"PK\x03\x04 a zip file").unwrap_err(), SnapshotError::NotASnapshot);
    assert!(matches!(snapshot::decode(&bytes[..bytes.len() - 1]), Err(SnapshotError::Checksum)));
    assert!(matches!(snapshot::decode(&bytes[..20]), Err(SnapshotError::Truncated(_) | SnapshotError::Checksum)));
    for i in [9usize, 14, 40, bytes.len() / 2, bytes.len() - 1] {
        let mut bad = bytes.clone();
        bad[i] ^= 0x55;
        assert!(snapshot::decode_areas(&bad, "reader").is_err(), "flipped byte {i} accepted");
    }
    let mut newer = bytes.clone();
    newer[9] = 9;
    assert!(matches!(snapshot::decode(&newer), Err(SnapshotError::UnsupportedVersion(_))));
}

#[test]
fn one_house_one_code_and_one_group_one_name() {
    let mut a = area("a1");
    a.add_household(w("T3-045", &[]), "peer-a", 1).unwrap();
    match a.add_household(w("t3-045", &[]), "peer-a", 2).unwrap_err() {
        ModelError::Exists { id, .. } => assert_eq!(id, "T3-045", "the error names the recorded code"),
        e => panic!("{e}"),
    }
    assert_eq!(a.household_code("t3-045").as_deref(), Some("T3-045"));
    assert_eq!(a.household_code("T3-046"), None);
    // A group typed in another case or spacing is the group already there.
    let mut other = w("T3-046", &[]);
    other.group = Some("  tổ   1 ".into());
    a.add_household(other, "peer-a", 3).unwrap();
    assert_eq!(a.household_view("T3-046").unwrap().group.as_deref(), Some("Tổ 1"));
    let mut third = w("T3-047", &[]);
    third.group = Some("Tổ 2".into());
    a.add_household(third, "peer-a", 4).unwrap();
    let groups: Vec<(String, u64)> =
        a.status().groups.into_iter().map(|g| (g.group, g.evaluation.households)).collect();
    assert_eq!(groups, vec![("Tổ 1".to_string(), 2), ("Tổ 2".to_string(), 1)]);
    assert_eq!(a.household_list(Some("TỔ 1"), None, false).unwrap().len(), 2);
}

#[test]
fn the_head_merges_spellings_of_one_group() {
    let mut a = area("a1");
    // Spellings written before groups were matched (or by an older device) stay as they are
    // until the head merges them; the figures already count them as one group.
    let raw = |a: &mut Area, hh: &str, g: &str| {
        let mut write = w(hh, &[]);
        write.group = None;
        a.add_household(write, "peer-a", 1).unwrap();
        use automerge::transaction::Transactable;
        let mut doc = a.doc().clone();
        let mut tx = doc.transaction();
        tx.put(automerge::ROOT, crdt_model::schema::household(hh, crdt_model::schema::Slot::Group), g).unwrap();
        tx.commit();
        *a = Area::load(&doc.save(), "peer-a").unwrap();
    };
    raw(&mut a, "T1", "Tổ 3");
    raw(&mut a, "T2", "Tổ 3");
    raw(&mut a, "T3", "tổ  3");
    assert_eq!(a.status().groups.len(), 1);
    let dup = a.group_spellings();
    assert_eq!(dup.len(), 1);
    assert_eq!(dup[0].0, "Tổ 3");
    assert!(a.merge_group("Tổ 3", "peer-b", 2).is_err(), "only the head");
    assert_eq!(a.merge_group("Tổ 3", "peer-a", 2).unwrap(), 1);
    assert_eq!(a.household_view("T3").unwrap().group.as_deref(), Some("Tổ 3"));
    assert!(a.group_spellings().is_empty());
}

#[test]
fn house_codes_recorded_in_two_cases_are_listed_until_one_is_archived() {
    let mut a = area("a1");
    a.add_household(w("T3-045", &[]), "peer-a", 1).unwrap();
    a.add_member("peer-b", "Minh", "member", "peer-a", 1).unwrap();
    // An older device's copy (no case check) arrives by merge.
    let mut old = Area::load(&a.save(), "peer-b").unwrap();
    let mut doc = old.doc().clone();
    {
        use automerge::transaction::Transactable;
        let mut tx = doc.transaction();
        tx.put(automerge::ROOT, crdt_model::schema::household("t3-045", crdt_model::schema::Slot::Group), "Tổ 3")
            .unwrap();
        tx.commit();
    }
    old = Area::load(&doc.save(), "peer-b").unwrap();
    a.merge(&old).unwrap();
    assert_eq!(a.code_duplicates(), vec![vec!["T3-045".to_string(), "t3-045".to_string()]]);
    a.archive_household("t3-045", "peer-a", 2).unwrap();
    assert!(a.code_duplicates().is_empty());
}
