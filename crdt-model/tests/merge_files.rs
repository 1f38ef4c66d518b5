//! `snapshot::merge_files`: any set of snapshot files, in any order, repeated or not, merges to
//! the same areas (same status, same households); bad files and look-alike areas are refused.

use crdt_model::snapshot::{self, MergeError};
use crdt_model::{Area, HouseholdWrite, NewArea};
use proptest::prelude::*;

const AREAS: &[&str] = &["tam-giac-3", "dong-tho-1", "ba-dinh-7"];
const DEVICES: &[&str] = &["peer-a", "peer-b", "peer-c"];
const HOUSES: &[&str] = &["T1-001", "T1-002", "T2-001", "T3-045"];
const FIELDS: &[(&str, &[&str])] = &[
    ("members", &["2", "4", "6"]),
    ("members_14plus", &["1", "2"]),
    ("eid_accounts", &["0", "1", "2"]),
    ("smartphone_users", &["0", "1", "2"]),
    ("payment_accounts", &["0", "2"]),
    ("internet", &["yes", "no", "unknown"]),
    ("digital_signature", &["có", "không"]),
    ("business", &["yes", "no"]),
    ("ecommerce", &["yes", "unknown"]),
    ("qr_payment", &["yes", "no"]),
];

/// One household write on one device: (area, house, group, [(field, value)]).
type Visit = (usize, usize, u8, Vec<(usize, usize)>);

fn base(i: usize) -> Area {
    let new = NewArea {
        id: AREAS[i].into(),
        name: format!("Khu dân cư {}", AREAS[i]),
        ward: "Phường Hạc Thành".into(),
        profile_toml: None,
    };
    let mut area = Area::create(new, "peer-a", "máy A", 1_700_000_000_000 + i as i64).unwrap();
    for peer in &DEVICES[1..] {
        area.add_member(peer, peer, "member", "peer-a", 1_700_000_000_000).unwrap();
    }
    area
}

fn visit_write(hh: usize, group: u8, fields: &[(usize, usize)]) -> HouseholdWrite {
    HouseholdWrite {
        id: HOUSES[hh].into(),
        group: Some(format!("Tổ {group}")),
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

/// Builds each device's replicas of every area after its visits, then the files: each file is
/// one device's copy of 1–3 areas.
fn build_files(devices: usize, visits: &[Vec<Visit>], files: &[(usize, Vec<usize>)]) -> Vec<(String, Vec<u8>)> {
    let bases: Vec<Area> = (0..AREAS.len()).map(base).collect();
    let mut replicas: Vec<Vec<Area>> =
        (0..devices).map(|d| bases.iter().map(|b| Area::load(&b.save(), DEVICES[d]).unwrap()).collect()).collect();
    for (d, device_visits) in visits.iter().enumerate().take(devices) {
        for (step, (a, hh, group, fields)) in device_visits.iter().enumerate() {
            let area = &mut replicas[d][*a];
            let w = visit_write(*hh, *group, fields);
            let now = 1_700_000_100_000 + step as i64 * 1000;
            // A value the profile refuses (e.g. more eID accounts than residents 14+) is just
            // not written, as the CLI would refuse it.
            if area.household(HOUSES[*hh]).is_some() {
                let _ = area.set_household(w, DEVICES[d], now);
            } else {
                let _ = area.add_household(w, DEVICES[d], now);
            }
        }
    }
    files
        .iter()
        .enumerate()
        .map(|(i, (d, areas))| {
            let d = d % devices;
            let mut ids: Vec<usize> = areas.clone();
            ids.sort();
            ids.dedup();
            let refs: Vec<&Area> = ids.iter().map(|&a| &replicas[d][a]).collect();
            (format!("file-{i}-{}.kdcsnap", DEVICES[d]), snapshot::encode(&refs))
        })
        .collect()
}

fn report(areas: &[Area]) -> Vec<(String, String, String)> {
    areas
        .iter()
        .map(|a| (a.id(), serde_json::to_string(&a.status()).unwrap(), format!("{:?}", a.households())))
        .collect()
}

fn visit() -> impl Strategy<Value = Visit> {
    (0..AREAS.len(), 0..HOUSES.len(), 0u8..3, prop::collection::vec((0..FIELDS.len(), 0..3usize), 0..5))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn merge_is_order_independent_and_idempotent(
        devices in 2usize..=3,
        visits in prop::collection::vec(prop::collection::vec(visit(), 0..8), 3),
        files in prop::collection::vec((0usize..3, prop::collection::vec(0..AREAS.len(), 1..=3)), 1..6),
        order in prop::collection::vec(any::<prop::sample::Index>(), 1..12),
        seed in any::<u64>(),
    ) {
        let files = build_files(devices, &visits, &files);
        let once = snapshot::merge_files(files.clone()).unwrap();
        let expected = report(&once);
        // Ids come out sorted.
        let ids: Vec<String> = once.iter().map(|a| a.id()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        prop_assert_eq!(&ids, &sorted);

        // Every file at least once, plus random repeats, in a shuffled order.
        let mut shuffled = files.clone();
        shuffled.extend(order.iter().map(|i| files[i.index(files.len())].clone()));
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let again = snapshot::merge_files(shuffled).unwrap();
        prop_assert_eq!(&report(&again), &expected);

        // Merging the merged result again (a re-merge of the ward's own bundle) changes nothing.
        let refs: Vec<&Area> = again.iter().collect();
        let bundle = snapshot::encode(&refs);
        let mut with_bundle = files.clone();
        with_bundle.push(("merged.kdcsnap".into(), bundle));
        with_bundle.reverse();
        prop_assert_eq!(&report(&snapshot::merge_files(with_bundle).unwrap()), &expected);
    }
}

#[test]
fn a_bad_file_is_named() {
    let good = snapshot::encode(&[&base(0)]);
    let mut corrupt = good.clone();
    let n = corrupt.len();
    corrupt[n / 2] ^= 0xff;
    let err = snapshot::merge_files(vec![("good.kdcsnap".into(), good), ("bad.kdcsnap".into(), corrupt)]).unwrap_err();
    match &err {
        MergeError::BadFile { file, .. } => assert_eq!(file, "bad.kdcsnap"),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("bad.kdcsnap"), "{err}");
    assert!(snapshot::merge_files(vec![("x".into(), b"hello".to_vec())]).is_err());
    assert_eq!(snapshot::merge_files(vec![]).unwrap_err(), MergeError::NoInput);
}

#[test]
fn two_areas_sharing_an_id_are_refused() {
    let a = base(0);
    // The same id created apart on another device (different uid).
    let new = NewArea { id: AREAS[0].into(), name: "Khác".into(), ward: "Khác".into(), profile_toml: None };
    let b = Area::create(new, "peer-z", "máy Z", 1_700_000_500_000).unwrap();
    assert_ne!(a.uid(), b.uid());
    let err = snapshot::merge_files(vec![
        ("one.kdcsnap".into(), snapshot::encode(&[&a])),
        ("two.kdcsnap".into(), snapshot::encode(&[&b])),
    ])
    .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, MergeError::DifferentAreas { .. }), "{err:?}");
    assert!(text.contains("one.kdcsnap") && text.contains("two.kdcsnap"), "{text}");
}
