//! Seeded synthetic areas with the shapes real ones have, for benchmarks, the demo and soak runs.
//!
//! - An area has 50–400 households in 4–12 residential groups (tổ dân phố); a household 1–8
//!   residents, most of them 14 or older.
//! - Answer rates and yes/no shares vary by area: a "leading" area answers almost everything and
//!   mostly yes, a lagging one leaves more unknown and more no.
//! - About one business household in seven.
//! - A share of households (5–15 %) is visited twice, by a second device, apart from the first:
//!   the document then has concurrent changes, as in the field.
//!
//! The same seed gives the same households, field for field (`rand`'s `StdRng` is seeded here and
//! never from the OS).

use crdt_model::{Area, HouseholdWrite, NewArea};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Unix milliseconds of the first write in a synthetic area (2026-08-01T01:00:00Z).
pub const T0_MS: i64 = 1_785_546_000_000;

/// How one area answers: drawn once per area.
#[derive(Debug, Clone)]
pub struct Shape {
    pub households: usize,
    pub groups: usize,
    /// Probability that a yes/no question has an answer at all.
    pub answer_rate: f64,
    /// Probability that an answered question (or a counted resident) is "yes".
    pub yes_share: f64,
    /// Share of households visited a second time by another device, apart from the first.
    pub revisit_share: f64,
}

impl Shape {
    /// A random shape within the ranges above.
    pub fn random(rng: &mut StdRng) -> Shape {
        Shape {
            households: rng.random_range(50..=400),
            groups: rng.random_range(4..=12),
            answer_rate: rng.random_range(0.80..=1.0),
            yes_share: rng.random_range(0.75..=0.99),
            revisit_share: rng.random_range(0.05..=0.15),
        }
    }

    /// The same shape with exactly `households` households (and groups scaled to match).
    pub fn with_households(mut self, households: usize) -> Shape {
        self.households = households;
        self.groups = (households / 30).clamp(4, 12);
        self
    }
}

/// The answers of one household as `FIELD=VALUE` pairs, the way `kdc household add` takes them.
pub fn household_fields(rng: &mut StdRng, shape: &Shape, business: bool) -> Vec<(String, String)> {
    let members: u32 = rng.random_range(1..=8);
    let children = rng.random_range(0..=members.saturating_sub(1).min(3));
    let adults = members - children;
    let count = |rng: &mut StdRng| (0..adults).filter(|_| rng.random_bool(shape.yes_share)).count();
    let yes_no = |rng: &mut StdRng| -> &'static str {
        if !rng.random_bool(shape.answer_rate) {
            "unknown"
        } else if rng.random_bool(shape.yes_share) {
            "yes"
        } else {
            "no"
        }
    };
    let f: Vec<(String, String)> = vec![
        ("members".into(), members.to_string()),
        ("members_14plus".into(), adults.to_string()),
        ("internet".into(), yes_no(rng).into()),
        ("smartphone_users".into(), count(rng).to_string()),
        ("eid_accounts".into(), count(rng).to_string()),
        ("payment_accounts".into(), count(rng).to_string()),
        ("digital_signature".into(), yes_no(rng).into()),
        ("online_public_service".into(), yes_no(rng).into()),
        ("smart_city_app".into(), yes_no(rng).into()),
        ("mapped".into(), yes_no(rng).into()),
    ];
    // Not every visit records everything: drop a few answers (never the residents' counts,
    // which the person criteria need).
    let keep = 0.5 + shape.answer_rate / 2.0;
    let mut kept: Vec<(String, String)> =
        f.into_iter().enumerate().filter(|(i, _)| *i < 2 || rng.random_bool(keep)).map(|(_, x)| x).collect();
    kept.push(("business".into(), if business { "yes" } else { "no" }.into()));
    if business {
        kept.push(("ecommerce".into(), yes_no(rng).into()));
        kept.push(("qr_payment".into(), yes_no(rng).into()));
    }
    kept
}

/// House code `T{group}-{number}` and group name `Tổ {group}` of household `i`.
pub fn house(shape: &Shape, i: usize) -> (String, String) {
    let g = 1 + i % shape.groups;
    (format!("T{g}-{:03}", i / shape.groups + 1), format!("Tổ {g}"))
}

/// A whole area written by two devices (`peer-a` records everything; `peer-b`, apart, revisits
/// a share of the houses), merged. `index` names it (`khu-{index}`).
pub fn area(seed: u64, index: usize, shape: &Shape) -> Area {
    area_by(seed, index, shape, ["peer-a", "peer-b"])
}

/// [`area`] recorded by the devices `peers` (the first one creates it and is its head), e.g.
/// real daemons' peer ids so that a daemon that imports it may invite others.
pub fn area_by(seed: u64, index: usize, shape: &Shape, peers: [&str; 2]) -> Area {
    area_with_id(seed, index, shape, peers, &format!("khu-{index:03}"))
}

/// [`area_by`] with the area id `id` (the households are the same as with the default id).
pub fn area_with_id(seed: u64, index: usize, shape: &Shape, peers: [&str; 2], id: &str) -> Area {
    let [pa, pb] = peers;
    let mut rng = StdRng::seed_from_u64(seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let id = id.to_string();
    let new = NewArea {
        id: id.clone(),
        name: format!("Khu dân cư số {index}"),
        ward: format!("Phường {}", 1 + index % 5),
        profile_toml: None,
    };
    let mut a = Area::create(new, pa, "Máy A", T0_MS).expect("valid area");
    a.add_member(pb, "Máy B", "member", pa, T0_MS + 1).expect("valid member");
    let mut b = Area::load(&a.save(), pb).expect("own save loads");
    let mut now = T0_MS + 1000;
    for i in 0..shape.households {
        let (hh, group) = house(shape, i);
        let business = rng.random_ratio(1, 7);
        let w = HouseholdWrite {
            id: hh.clone(),
            group: Some(group),
            address: None,
            fields: household_fields(&mut rng, shape, business),
            consent: Some(crdt_model::ConsentGiven::verbal()),
        };
        now += rng.random_range(30_000..=300_000);
        a.add_household(w, pa, now).expect("generated values are valid");
    }
    // The second device has the first visits (synced at the community house) and goes back
    // to some houses, while the first device also corrects a few: concurrent edits.
    b.merge(&a).expect("same area");
    for i in 0..shape.households {
        if !rng.random_bool(shape.revisit_share) {
            continue;
        }
        let (hh, _) = house(shape, i);
        let current = b.household(&hh).expect("recorded above");
        let adults = match current.fields.get("members_14plus") {
            Some(crdt_model::Value::Count(n)) => *n,
            _ => 0,
        };
        now += rng.random_range(30_000..=300_000);
        let fields = vec![("eid_accounts".into(), adults.to_string()), ("internet".into(), "yes".into())];
        b.set_household(HouseholdWrite { id: hh.clone(), fields, ..Default::default() }, pb, now)
            .expect("revisit values are valid");
        if rng.random_bool(0.3) {
            let fields = vec![("mapped".into(), "yes".into())];
            a.set_household(HouseholdWrite { id: hh, fields, ..Default::default() }, pa, now + 1).expect("valid");
        }
    }
    a.merge(&b).expect("same area");
    a
}

/// `n` areas with random shapes.
pub fn areas(seed: u64, n: usize) -> Vec<Area> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|i| area(seed, i, &Shape::random(&mut rng))).collect()
}

/// `n` areas holding `total` households between them (split evenly; shapes otherwise random).
pub fn areas_with_total(seed: u64, n: usize, total: usize) -> Vec<Area> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            let households = total / n + usize::from(i < total % n);
            area(seed, i, &Shape::random(&mut rng).with_households(households))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_area_and_shapes_in_range() {
        let a = areas(7, 3);
        let b = areas(7, 3);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.households(), y.households());
            let n = x.households().len();
            assert!((50..=400).contains(&n), "{n} households");
            let groups: std::collections::BTreeSet<_> = x.households().into_iter().filter_map(|h| h.group).collect();
            assert!((4..=12).contains(&groups.len()), "{} groups", groups.len());
        }
        assert_ne!(a[0].households(), a[1].households());
        // Revisits made concurrent changes on two devices.
        let authors: std::collections::BTreeSet<Vec<u8>> =
            a[0].doc().get_changes(&[]).iter().map(|c| c.actor_id().to_bytes().to_vec()).collect();
        assert_eq!(authors.len(), 2);
    }

    #[test]
    fn total_is_exact() {
        let a = areas_with_total(1, 3, 200);
        assert_eq!(a.iter().map(|x| x.summary().households).sum::<u64>(), 200);
    }
}
