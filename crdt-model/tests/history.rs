//! History against the document as it really was: two devices record households over several
//! days and now and then merge; at every day's end the test keeps the union of both devices'
//! documents (what the area "was" then). `Area::as_of` and `history::daily` must give exactly the
//! status of those kept documents, and `household_history` every write that was made.

use chrono::NaiveDate;
use crdt_model::history::{self, FieldChange};
use crdt_model::{Area, HouseholdWrite, NewArea};
use proptest::prelude::*;

const DAY: i64 = 86_400;
/// 2026-08-10T00:00:00Z.
const START: i64 = 1_786_320_000;
const HOUSES: &[&str] = &["T1-001", "T1-002", "T2-001"];
const FIELDS: &[(&str, &[&str])] = &[
    ("members", &["2", "4"]),
    ("members_14plus", &["1", "2"]),
    ("eid_accounts", &["0", "1", "2"]),
    ("internet", &["yes", "no"]),
    ("digital_signature", &["yes", "unknown"]),
];

#[derive(Debug, Clone)]
enum Op {
    /// Device `dev` writes household `hh` (added if new), after `minutes` more minutes.
    Write { dev: usize, hh: usize, fields: Vec<(usize, usize)>, minutes: i64 },
    /// The two devices sync.
    Sync,
    /// The day ends: the next op happens on a later day.
    NextDay { skip: i64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..2usize, 0..HOUSES.len(), prop::collection::vec((0..FIELDS.len(), 0..3usize), 1..3), 1..120i64)
            .prop_map(|(dev, hh, fields, minutes)| Op::Write { dev, hh, fields, minutes }),
        2 => Just(Op::Sync),
        2 => (0..3i64).prop_map(|skip| Op::NextDay { skip }),
    ]
}

fn utc_day(secs: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp(secs, 0).unwrap().date_naive()
}

fn devices() -> [Area; 2] {
    let new = NewArea { id: "tam-giac-3".into(), name: "Tam Giác 3".into(), ward: "P1".into(), profile_toml: None };
    let mut a = Area::create(new, "peer-a", "Lan", (START + 3600) * 1000).unwrap();
    a.add_member("peer-b", "Huy", "member", "peer-a", (START + 3600) * 1000).unwrap();
    let b = Area::load(&a.save(), "peer-b").unwrap();
    [a, b]
}

fn union(devs: &[Area; 2]) -> Area {
    let mut u = devs[0].clone();
    u.merge(&devs[1]).unwrap();
    u
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn history_equals_the_document_as_it_was(ops in prop::collection::vec(op(), 1..40)) {
        let mut devs = devices();
        let peers = ["peer-a", "peer-b"];
        // Day start (unix seconds) and minutes into the day of the last write.
        let mut day = START;
        let mut minute = 61;
        // (end of day, union of the devices at that moment)
        let mut kept: Vec<(i64, Area)> = Vec::new();
        let mut writes = 0usize;
        for op in ops {
            match op {
                Op::Write { dev, hh, fields, minutes } => {
                    minute = (minute + minutes).min(24 * 60 - 1);
                    let now_ms = (day + minute * 60) * 1000;
                    let w = HouseholdWrite {
                        id: HOUSES[hh].into(),
                        fields: fields.iter().map(|&(f, v)| (FIELDS[f].0.into(), FIELDS[f].1[v % FIELDS[f].1.len()].into())).collect(),
                        consent: Some(crdt_model::ConsentGiven::verbal()), ..Default::default()
                    };
                    let done = if devs[dev].household(HOUSES[hh]).is_some() {
                        devs[dev].set_household(w, peers[dev], now_ms)
                    } else {
                        devs[dev].add_household(w, peers[dev], now_ms)
                    };
                    if done.is_ok() {
                        writes += 1;
                    }
                }
                Op::Sync => {
                    let b = devs[1].clone();
                    devs[0].merge(&b).unwrap();
                    let a = devs[0].clone();
                    devs[1].merge(&a).unwrap();
                }
                Op::NextDay { skip } => {
                    kept.push((day + DAY, union(&devs)));
                    day += DAY * (1 + skip);
                    minute = 0;
                }
            }
        }
        kept.push((day + DAY, union(&devs)));
        let now = union(&devs);

        // The area as of each day's end is what the devices held then.
        for (end, then) in &kept {
            let as_of = now.as_of(*end).unwrap().expect("the area existed");
            prop_assert_eq!(as_of.status(), then.status());
            prop_assert_eq!(as_of.heads(), then.heads());
        }
        // Before the area was created there is nothing.
        prop_assert!(now.as_of(START).unwrap().is_none());

        // Each day that had changes shows the status at its end.
        let days = history::daily(&now, utc_day, None, None).unwrap();
        prop_assert!(!days.is_empty());
        for d in &days {
            let date = NaiveDate::parse_from_str(&d.date, "%Y-%m-%d").unwrap();
            let end = date.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp() + DAY;
            let then = kept.iter().find(|(e, _)| *e == end).map(|(_, a)| a.status()).expect("a kept day");
            prop_assert_eq!(d.evaluation.households, then.households);
            prop_assert_eq!(d.evaluation.certified, then.certified);
            prop_assert_eq!(d.evaluation.required_met, then.required_met);
            prop_assert_eq!(&d.evaluation.criteria, &then.criteria);
        }
        let total: u64 = days.iter().map(|d| d.changes).sum();
        prop_assert_eq!(total as usize, now.doc().get_changes(&[]).len());

        // The history of each household explains its current values: every recorded field has
        // a change that gave it the value the document shows (concurrent changes have no
        // order between them, so it need not be the last one listed), and every change names
        // one of the two devices.
        for h in now.households() {
            let changes = history::household_history(&now, &h.id).unwrap();
            prop_assert!(changes.iter().all(|c: &FieldChange| c.peer_id == "peer-a" || c.peer_id == "peer-b"));
            for (field, value) in &h.fields {
                let mut of_field = changes.iter().filter(|c| &c.field == field);
                let value = match value {
                    crdt_model::Value::Count(n) => n.to_string(),
                    crdt_model::Value::Answer(a) => a.as_str().to_string(),
                };
                prop_assert!(of_field.any(|c| c.new.split(" | ").any(|v| v == value)), "{} {field}: {value}", h.id);
            }
        }
        prop_assert!(writes == 0 || !now.households().is_empty());
        for hh in HOUSES {
            if now.household(hh).is_none() {
                let missing = matches!(history::household_history(&now, hh), Err(crdt_model::ModelError::NotFound { .. }));
                prop_assert!(missing);
            }
        }
    }
}

#[test]
fn household_history_names_device_field_old_and_new() {
    let [mut a, mut b] = devices();
    a.add_member("peer-b", "Minh", "member", "peer-a", START * 1000 + 3_700_000).unwrap();
    let t = |h: i64| (START + DAY + h * 3600) * 1000;
    let w = |fields: &[(&str, &str)]| HouseholdWrite {
        id: "T1-001".into(),
        fields: fields.iter().map(|(f, v)| (f.to_string(), v.to_string())).collect(),
        consent: Some(crdt_model::ConsentGiven::verbal()),
        ..Default::default()
    };
    a.add_household(w(&[("members", "4"), ("members_14plus", "3"), ("eid_accounts", "1")]), "peer-a", t(1)).unwrap();
    b.merge(&a).unwrap();
    // Apart: both change eid_accounts; a different field on b.
    a.set_household(w(&[("eid_accounts", "2")]), "peer-a", t(2)).unwrap();
    b.set_household(w(&[("eid_accounts", "3"), ("internet", "yes")]), "peer-b", t(3)).unwrap();
    a.merge(&b).unwrap();
    // Resolving the conflict sees both values as the old one.
    a.set_household(w(&[("eid_accounts", "3")]), "peer-a", t(4)).unwrap();
    a.archive_household("T1-001", "peer-a", t(5)).unwrap();

    let h = history::household_history(&a, "T1-001").unwrap();
    let rows: Vec<(&str, &str, Option<&str>, &str)> =
        h.iter().map(|c| (c.peer_id.as_str(), c.field.as_str(), c.old.as_deref(), c.new.as_str())).collect();
    let eid: Vec<_> = rows.iter().filter(|r| r.1 == "eid_accounts").collect();
    assert_eq!(eid.len(), 4, "{rows:?}");
    assert_eq!(*eid[0], ("peer-a", "eid_accounts", None, "1"));
    assert!(eid[1..3].contains(&&("peer-a", "eid_accounts", Some("1"), "2")), "{rows:?}");
    assert!(eid[1..3].contains(&&("peer-b", "eid_accounts", Some("1"), "3")), "{rows:?}");
    // Resolving the conflict: the writer saw both values; one is left.
    assert_eq!((eid[3].0, eid[3].3), ("peer-a", "3"));
    let mut old = eid[3].2.unwrap().split(" | ").collect::<Vec<_>>();
    old.sort();
    assert_eq!(old, ["2", "3"]);
    assert!(rows.contains(&("peer-b", "internet", None, "yes")), "{rows:?}");
    assert!(rows.contains(&("peer-a", "archived", None, "yes")), "{rows:?}");
    // Times are the writes' own (milliseconds from `@at`), names come from the roster.
    let b_row = h.iter().find(|c| c.peer_id == "peer-b").unwrap();
    assert_eq!(b_row.at, "2026-08-11T03:00:00Z");
    assert_eq!(b_row.name.as_deref(), Some("Minh"));
    assert!(matches!(history::household_history(&a, "T9-999"), Err(crdt_model::ModelError::NotFound { .. })));
}

#[test]
fn daily_respects_since_and_until() {
    let [mut a, _] = devices();
    for d in 1..=4 {
        let w = HouseholdWrite {
            id: format!("T1-00{d}"),
            fields: vec![("members".into(), "2".into())],
            consent: Some(crdt_model::ConsentGiven::verbal()),
            ..Default::default()
        };
        a.add_household(w, "peer-a", (START + d * DAY + 60) * 1000).unwrap();
    }
    let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let all = history::daily(&a, utc_day, None, None).unwrap();
    let dates: Vec<&str> = all.iter().map(|d| d.date.as_str()).collect();
    assert_eq!(dates, ["2026-08-10", "2026-08-11", "2026-08-12", "2026-08-13", "2026-08-14"]);
    assert_eq!(all.iter().map(|d| d.evaluation.households).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    let some = history::daily(&a, utc_day, Some(date("2026-08-12")), Some(date("2026-08-13"))).unwrap();
    assert_eq!(
        some.iter().map(|d| (d.date.as_str(), d.evaluation.households)).collect::<Vec<_>>(),
        [("2026-08-12", 2), ("2026-08-13", 3)]
    );
}

/// A device whose actor is not a peer id (another Automerge implementation, or multi-byte
/// text) is shown as hex, and nothing panics on it.
#[test]
fn foreign_actors_are_shown_as_hex() {
    let new = NewArea { id: "a1".into(), name: "A".into(), ward: "W".into(), profile_toml: None };
    let mut a = Area::create(new, "peer-a", "Máy A", START * 1000).expect("area");
    a.add_household(
        HouseholdWrite { id: "T1-001".into(), consent: Some(crdt_model::ConsentGiven::verbal()), ..Default::default() },
        "peer-a",
        START * 1000 + 1,
    )
    .expect("add");
    let mut foreign = Area::load(&a.save(), "máy lạ").expect("load");
    let w = HouseholdWrite {
        id: "T1-001".into(),
        fields: vec![("members".into(), "3".into())],
        consent: Some(crdt_model::ConsentGiven::verbal()),
        ..Default::default()
    };
    foreign.set_household(w, "máy lạ", START * 1000 + 2).expect("write");
    let changes = history::household_history(&foreign, "T1-001").expect("history");
    let by: Vec<&str> = changes.iter().map(|c| c.peer_id.as_str()).collect();
    let hex: String = "máy lạ".bytes().map(|b| format!("{b:02x}")).collect();
    assert!(by.contains(&hex.as_str()), "{by:?}");
}

#[test]
fn activity_counts_each_devices_households_today_and_this_week() {
    let new = NewArea { id: "a1".into(), name: "A".into(), ward: "W".into(), profile_toml: None };
    let ms = |secs: i64| secs * 1000;
    let mut a = Area::create(new, "peer-a", "Lan", ms(START)).unwrap();
    let write = |id: &str, fields: &[(&str, &str)]| HouseholdWrite {
        id: id.into(),
        fields: fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        consent: Some(crdt_model::ConsentGiven::verbal()),
        ..Default::default()
    };
    // Last week: T1 by Lan. Today: T2 and T3 added by Lan, T1 updated twice by her.
    a.add_household(write("T1", &[]), "peer-a", ms(START + 3600)).unwrap();
    let today = START + 8 * DAY;
    a.add_household(write("T2", &[]), "peer-a", ms(today + 60)).unwrap();
    a.add_household(write("T3", &[]), "peer-a", ms(today + 120)).unwrap();
    a.set_household(write("T1", &[("members", "3")]), "peer-a", ms(today + 180)).unwrap();
    a.set_household(write("T1", &[("members", "4")]), "peer-a", ms(today + 240)).unwrap();
    // Another device: adds T4 yesterday and sets T2 today.
    a.add_member("peer-b", "Minh", "member", "peer-a", ms(today)).unwrap();
    let mut b = Area::load(&a.save(), "peer-b").unwrap();
    b.add_household(write("T4", &[]), "peer-b", ms(today - 3600)).unwrap();
    b.set_household(write("T2", &[("internet", "yes")]), "peer-b", ms(today + 300)).unwrap();
    a.merge(&b).unwrap();
    let week = today - 6 * DAY;
    let act = a.activity(today, week);
    let lan = act.iter().find(|x| x.peer_id == "peer-a").expect("Lan's work");
    assert_eq!(lan.name.as_deref(), Some("Lan"));
    assert_eq!((lan.added_today, lan.updated_today, lan.added_week, lan.updated_week), (2, 1, 2, 1));
    let minh = act.iter().find(|x| x.peer_id == "peer-b").expect("Minh's work");
    assert_eq!((minh.added_today, minh.updated_today, minh.added_week, minh.updated_week), (0, 1, 1, 1));
    assert_eq!(minh.last_write, Some(today + 300));
    // The same figures on the other device once it holds the same changes.
    b.merge(&a).unwrap();
    assert_eq!(b.activity(today, week), act);
}
