//! Many replicas, random visits, random merge orders: every replica must end with the same
//! households and the same compliance, and no field any replica wrote may be lost.

use std::collections::{BTreeMap, BTreeSet};

use crdt_model::{Area, HouseholdWrite, NewArea};
use proptest::prelude::*;

const HOUSES: &[&str] = &["T1-001", "T1-002", "T2-001", "T2-002"];
const FIELDS: &[(&str, &[&str])] = &[
    ("members", &["1", "3", "6"]),
    ("members_14plus", &["0", "1", "3"]),
    ("eid_accounts", &["0", "1", "2"]),
    ("smartphone_users", &["0", "1"]),
    ("internet", &["yes", "no", "unknown"]),
    ("mapped", &["có", "không"]),
    ("business", &["yes", "no"]),
    ("ecommerce", &["yes", "unknown"]),
];

#[derive(Debug, Clone)]
enum Op {
    Add { replica: usize, hh: usize, group: Option<u8>, fields: Vec<(usize, usize)> },
    Set { replica: usize, hh: usize, fields: Vec<(usize, usize)> },
    Archive { replica: usize, hh: usize },
    Merge { into: usize, from: usize },
}

fn op(replicas: usize) -> impl Strategy<Value = Op> {
    let r = 0..replicas;
    let hh = 0..HOUSES.len();
    let fields = prop::collection::vec((0..FIELDS.len(), 0..3usize), 0..4);
    prop_oneof![
        3 => (r.clone(), hh.clone(), prop::option::of(0u8..3), fields.clone())
            .prop_map(|(replica, hh, group, fields)| Op::Add { replica, hh, group, fields }),
        4 => (r.clone(), hh.clone(), fields).prop_map(|(replica, hh, fields)| Op::Set { replica, hh, fields }),
        1 => (r.clone(), hh).prop_map(|(replica, hh)| Op::Archive { replica, hh }),
        2 => (r.clone(), r).prop_map(|(into, from)| Op::Merge { into, from }),
    ]
}

fn write(hh: usize, group: Option<u8>, fields: &[(usize, usize)]) -> HouseholdWrite {
    HouseholdWrite {
        id: HOUSES[hh].to_string(),
        group: group.map(|g| format!("Tổ {g}")),
        address: None,
        fields: fields
            .iter()
            .map(|&(f, v)| {
                let (name, values) = FIELDS[f];
                (name.to_string(), values[v % values.len()].to_string())
            })
            .collect(),
        consent: Some(crdt_model::ConsentGiven::verbal()),
    }
}

fn replicas(n: usize) -> Vec<Area> {
    let base = Area::create(
        NewArea {
            id: "tam-giac-3".into(), name: "Tam Giác 3".into(), ward: "Phường Một".into(), profile_toml: None
        },
        "peer-0",
        "Máy 0",
        1_700_000_000_000,
    )
    .unwrap();
    let mut base = base;
    for i in 1..n {
        base.add_member(&format!("peer-{i}"), &format!("Máy {i}"), "member", "peer-0", 1_700_000_000_001).unwrap();
    }
    let bytes = base.save();
    (0..n).map(|i| Area::load(&bytes, &format!("peer-{i}")).unwrap()).collect()
}

/// Every household key as the replica reads it (fields, group, archived), for comparison.
fn households(area: &Area) -> Vec<crdt_model::Household> {
    area.households()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn replicas_converge_and_lose_nothing(n in 2usize..5, ops in prop::collection::vec(op(4), 1..40), order in prop::collection::vec(0usize..4, 0..8)) {
        let mut reps = replicas(n);
        // (household, field) -> every value some replica successfully wrote there.
        let mut written: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
        let mut archived: BTreeSet<String> = BTreeSet::new();
        let mut now = 1_700_000_000_000i64;
        for op in ops {
            now += 1000;
            match op {
                Op::Add { replica, hh, group, fields } => {
                    let r = replica % n;
                    let w = write(hh, group, &fields);
                    let before = reps[r].heads();
                    let peer = format!("peer-{r}");
                    match reps[r].add_household(w.clone(), &peer, now) {
                        Ok(()) => record(&reps[r], &w, &mut written),
                        Err(_) => prop_assert_eq!(reps[r].heads(), before, "a refused write changed the document"),
                    }
                }
                Op::Set { replica, hh, fields } => {
                    let r = replica % n;
                    let w = write(hh, None, &fields);
                    let before = reps[r].heads();
                    let peer = format!("peer-{r}");
                    match reps[r].set_household(w.clone(), &peer, now) {
                        Ok(()) => record(&reps[r], &w, &mut written),
                        Err(_) => prop_assert_eq!(reps[r].heads(), before, "a refused write changed the document"),
                    }
                }
                Op::Archive { replica, hh } => {
                    let r = replica % n;
                    let peer = format!("peer-{r}");
                    if reps[r].archive_household(HOUSES[hh], &peer, now).is_ok() {
                        archived.insert(HOUSES[hh].to_string());
                    }
                }
                Op::Merge { into, from } => {
                    let (into, from) = (into % n, from % n);
                    if into != from {
                        let other = reps[from].clone();
                        reps[into].merge(&other).unwrap();
                    }
                }
            }
        }
        // Bring everyone together, each replica merging the others in its own order.
        for i in 0..n {
            let mut sources: Vec<usize> = (0..n).filter(|&j| j != i).collect();
            let shift = order.get(i).copied().unwrap_or(0) % sources.len().max(1);
            sources.rotate_left(shift);
            for j in sources {
                let other = reps[j].clone();
                reps[i].merge(&other).unwrap();
            }
        }
        for i in 1..n {
            let other = reps[0].clone();
            reps[i].merge(&other).unwrap();
        }
        let first = households(&reps[0]);
        let status = reps[0].status();
        let conflicts = reps[0].conflicts();
        // The board's one-pass read gives the same as the two reads.
        prop_assert_eq!(reps[0].status_and_conflicts(), (status.clone(), conflicts.clone()));
        for r in &reps[1..] {
            prop_assert_eq!(&households(r), &first);
            prop_assert_eq!(&r.status(), &status);
            prop_assert_eq!(&r.conflicts(), &conflicts);
        }
        // No field anyone wrote is lost, and what stands is a value someone wrote.
        for ((hh, field), values) in &written {
            let h = first.iter().find(|h| &h.id == hh);
            prop_assert!(h.is_some(), "household {} vanished", hh);
            let v = h.unwrap().fields.get(field);
            prop_assert!(v.is_some(), "{}.{} was written but is gone", hh, field);
            prop_assert!(values.contains(&v.unwrap().to_string()), "{}.{} = {:?} is no written value", hh, field, v);
        }
        for hh in &archived {
            prop_assert!(first.iter().any(|h| &h.id == hh && h.archived), "archive of {} lost", hh);
        }
    }
}

fn record(area: &Area, w: &HouseholdWrite, written: &mut BTreeMap<(String, String), BTreeSet<String>>) {
    let h = area.household(&w.id).expect("just written");
    for (field, _) in &w.fields {
        let v = h.fields.get(field).expect("just written").to_string();
        written.entry((w.id.clone(), field.clone())).or_default().insert(v);
    }
}

/// The scenario the schema exists for: two volunteers record the same house while apart.
#[test]
fn same_household_recorded_apart_keeps_both_visits() {
    let mut reps = replicas(2);
    let a = HouseholdWrite {
        id: "T3-045".into(),
        group: Some("Tổ 3".into()),
        address: Some("12 ngõ 4".into()),
        fields: vec![("members".into(), "4".into()), ("internet".into(), "yes".into())],
        consent: Some(crdt_model::ConsentGiven::verbal()),
    };
    let b = HouseholdWrite {
        id: "T3-045".into(),
        group: None,
        address: None,
        fields: vec![
            ("eid_accounts".into(), "0".into()),
            ("internet".into(), "no".into()),
            ("mapped".into(), "yes".into()),
        ],
        consent: Some(crdt_model::ConsentGiven::verbal()),
    };
    reps[0].add_household(a, "peer-0", 1).unwrap();
    reps[1].add_household(b, "peer-1", 2).unwrap();
    reps[1].archive_household("T3-045", "peer-1", 3).unwrap();
    let (r0, r1) = (reps[0].clone(), reps[1].clone());
    reps[0].merge(&r1).unwrap();
    reps[1].merge(&r0).unwrap();
    let h0 = reps[0].household("T3-045").unwrap();
    assert_eq!(h0, reps[1].household("T3-045").unwrap());
    for f in ["members", "internet", "eid_accounts", "mapped"] {
        assert!(h0.fields.contains_key(f), "{f} lost: {h0:?}");
    }
    assert_eq!(h0.group.as_deref(), Some("Tổ 3"));
    assert_eq!(h0.address.as_deref(), Some("12 ngõ 4"));
    assert!(h0.archived, "the archive made concurrently with a visit stays");
    let conflicts = reps[0].conflicts();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    let c = &conflicts[0];
    assert_eq!((c.household.as_str(), c.field.as_str()), ("T3-045", "internet"));
    let mut peers: Vec<&str> = c.values.iter().map(|v| v.peer_id.as_str()).collect();
    peers.sort();
    assert_eq!(peers, ["peer-0", "peer-1"]);
    assert!(c.values.iter().any(|v| v.value == c.winner));
    // Writing the field again resolves the conflict everywhere.
    reps[0]
        .set_household(
            HouseholdWrite {
                id: "T3-045".into(),
                fields: vec![("internet".into(), "yes".into())],
                consent: Some(crdt_model::ConsentGiven::verbal()),
                ..Default::default()
            },
            "peer-0",
            4,
        )
        .unwrap();
    let r0 = reps[0].clone();
    reps[1].merge(&r0).unwrap();
    assert!(reps[1].conflicts().is_empty());
}
