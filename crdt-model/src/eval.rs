//! Compliance evaluation: plain households in, a report out.
//!
//! The rules are the contract's, exactly: comparisons in integers, unknown never counts as met,
//! archived households count nowhere, declined households (consent refused or withdrawn) count
//! in no figure but their own, a criterion with denominator 0 is not applicable (and met) unless
//! nothing it could count was recorded at all ("no data": not met).
//! This module knows nothing of Automerge: [`crate::area::Area`] reads the document into
//! [`Household`] values and hands them here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::profile::{CriterionDef, Labels, Level, Op, Profile, Threshold};
use crate::value::{Answer, Value};

/// One household as read from the document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Household {
    pub id: String,
    pub group: Option<String>,
    pub address: Option<String>,
    pub archived: bool,
    pub fields: BTreeMap<String, Value>,
    /// Unix milliseconds of the last write that touched this household.
    pub updated_at: Option<i64>,
    /// Peer id of the device that made that write.
    pub updated_by: Option<String>,
    /// The resident's consent (refused or withdrawn: `fields` and `address` read empty).
    pub consent: crate::consent::Consent,
}

/// The figures of one criterion over a set of households.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionStatus {
    pub id: String,
    pub level: Level,
    pub required: bool,
    pub numerator: u64,
    pub denominator: u64,
    /// `numerator / denominator` rounded to 4 decimals; `null` when not applicable.
    pub ratio: Option<f64>,
    pub op: String,
    pub threshold: f64,
    pub met: bool,
    pub applicable: bool,
    /// Households in scope whose answer is not recorded or `unknown`.
    pub unknown: u64,
    /// The smallest number of further yes-answers (persons, for person criteria) among those
    /// counted in the denominator that would meet the criterion; `-1` when even all of them
    /// would not; `None` when it is met or not applicable. Exact, like `met`.
    #[serde(default)]
    pub needed: Option<i64>,
    /// Nothing this criterion could count has been recorded yet: not met, shown as "chưa có dữ
    /// liệu", never as met.
    #[serde(default)]
    pub no_data: bool,
    pub label: Labels,
}

/// The compliance of a set of households: a whole area or one residential group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Active households: neither archived nor declined.
    pub households: u64,
    /// Households whose consent is refused or withdrawn (not archived): in no other figure.
    #[serde(default)]
    pub declined: u64,
    pub certified: bool,
    /// Active households whose person-criteria denominator (e.g. `members_14plus`) is not recorded.
    pub incomplete: u64,
    pub required_met: u64,
    pub required_total: u64,
    pub criteria: Vec<CriterionStatus>,
}

/// Whether one household meets one criterion: `None` when the criterion does not apply to it
/// (a business criterion for a non-business household, a person criterion for a household with
/// no one in scope). Not recorded or `unknown` is `Some(false)`: someone needs to visit.
pub fn household_meets(profile: &Profile, c: &CriterionDef, h: &Household) -> Option<bool> {
    match c.level {
        Level::Household => Some(answer(h, &c.numerator) == Some(Answer::Yes)),
        Level::Business => {
            if !is_business(profile, h) {
                return None;
            }
            Some(answer(h, &c.numerator) == Some(Answer::Yes))
        }
        Level::Person => {
            let den_field = c.denominator.as_deref().unwrap_or_default();
            match count(h, den_field) {
                None => Some(false),
                Some(0) => None,
                Some(d) => Some(count(h, &c.numerator).is_some_and(|n| n >= d)),
            }
        }
    }
}

/// The criteria a household does not meet yet, in profile order. A declined household needs
/// nothing: nobody asks it again.
pub fn missing(profile: &Profile, h: &Household) -> Vec<String> {
    if h.consent.is_declined() {
        return Vec::new();
    }
    profile.criteria().iter().filter(|c| household_meets(profile, c, h) == Some(false)).map(|c| c.id.clone()).collect()
}

/// What one household lacks for one criterion, in its own figures (the worklist's chips).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Gap {
    /// A person criterion: this many residents in scope still lack it.
    Persons { criterion: String, persons: u32 },
    /// The field the criterion needs is not recorded yet (for person criteria, maybe the count
    /// in scope, e.g. `members_14plus`).
    NotRecorded { criterion: String, field: String },
    /// The answer is no.
    No { criterion: String },
    /// The answer is `unknown`.
    Unknown { criterion: String },
}

impl Gap {
    pub fn criterion(&self) -> &str {
        match self {
            Gap::Persons { criterion, .. }
            | Gap::NotRecorded { criterion, .. }
            | Gap::No { criterion }
            | Gap::Unknown { criterion } => criterion,
        }
    }
}

/// What a household lacks, criterion by criterion, in profile order (the criteria of
/// [`missing`]).
pub fn gaps(profile: &Profile, h: &Household) -> Vec<Gap> {
    if h.consent.is_declined() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for c in profile.criteria() {
        if household_meets(profile, c, h) != Some(false) {
            continue;
        }
        let criterion = c.id.clone();
        out.push(match c.level {
            Level::Person => {
                let den_field = c.denominator.as_deref().unwrap_or_default();
                match (count(h, den_field), count(h, &c.numerator)) {
                    (None, _) => Gap::NotRecorded { criterion, field: den_field.to_string() },
                    (Some(_), None) => Gap::NotRecorded { criterion, field: c.numerator.clone() },
                    (Some(d), Some(n)) => Gap::Persons { criterion, persons: d.saturating_sub(n) },
                }
            }
            Level::Household | Level::Business => match answer(h, &c.numerator) {
                Some(Answer::No) => Gap::No { criterion },
                Some(Answer::Unknown) => Gap::Unknown { criterion },
                _ => Gap::NotRecorded { criterion, field: c.numerator.clone() },
            },
        });
    }
    out
}

/// Evaluates every criterion over the active households of `households`.
pub fn evaluate<'a>(profile: &Profile, households: impl IntoIterator<Item = &'a Household>) -> Evaluation {
    let (declined, active): (Vec<&Household>, Vec<&Household>) =
        households.into_iter().filter(|h| !h.archived).partition(|h| h.consent.is_declined());
    let declined = declined.len() as u64;
    let criteria: Vec<CriterionStatus> = profile.criteria().iter().map(|c| criterion(profile, c, &active)).collect();
    let denominators: Vec<&str> = profile
        .criteria()
        .iter()
        .filter(|c| c.level == Level::Person)
        .filter_map(|c| c.denominator.as_deref())
        .collect();
    let incomplete = active.iter().filter(|h| denominators.iter().any(|d| count(h, d).is_none())).count() as u64;
    let required: Vec<&CriterionStatus> = criteria.iter().filter(|c| c.required).collect();
    let required_met = required.iter().filter(|c| c.met).count() as u64;
    let certified = !active.is_empty()
        && required_met == required.len() as u64
        && incomplete == 0
        && declined_within(profile, declined, active.len() as u64);
    Evaluation {
        households: active.len() as u64,
        declined,
        certified,
        incomplete,
        required_met,
        required_total: required.len() as u64,
        criteria,
    }
}

/// Whether `declined` of `declined + active` households is within the profile's largest share.
pub fn declined_within(profile: &Profile, declined: u64, active: u64) -> bool {
    match profile.max_declined() {
        None => true,
        Some(_) if declined == 0 => true,
        Some(max) => (declined as u128) * (max.den as u128) <= (max.num as u128) * ((declined + active) as u128),
    }
}

fn criterion(profile: &Profile, c: &CriterionDef, active: &[&Household]) -> CriterionStatus {
    let (mut numerator, mut denominator, mut unknown) = (0u64, 0u64, 0u64);
    // Whether anything this criterion could count is recorded (else: "no data", not met).
    let mut recorded = false;
    match c.level {
        Level::Household | Level::Business => {
            for h in active {
                if c.level == Level::Business {
                    let business = profile.business_field().and_then(|b| answer(h, b));
                    recorded |= business.is_some();
                    if business != Some(Answer::Yes) {
                        continue;
                    }
                } else {
                    recorded = true;
                }
                denominator += 1;
                match answer(h, &c.numerator) {
                    Some(Answer::Yes) => numerator += 1,
                    Some(Answer::No) => {}
                    Some(Answer::Unknown) | None => unknown += 1,
                }
            }
        }
        Level::Person => {
            let den_field = c.denominator.as_deref().unwrap_or_default();
            for h in active {
                let Some(d) = count(h, den_field) else {
                    unknown += 1;
                    continue;
                };
                recorded = true;
                denominator += d as u64;
                match count(h, &c.numerator) {
                    // A merge of two devices' visits can leave a part larger than its whole
                    // (one device lowered members_14plus while another raised eid_accounts);
                    // no household counts more people than it has in scope.
                    Some(n) => numerator += n.min(d) as u64,
                    None => unknown += 1,
                }
            }
        }
    }
    let no_data = !recorded;
    let applicable = denominator > 0 || no_data;
    let met = !no_data && (denominator == 0 || c.threshold.passes(c.op, numerator, denominator));
    let ratio = (denominator > 0).then(|| (numerator as f64 / denominator as f64 * 10_000.0).round() / 10_000.0);
    CriterionStatus {
        id: c.id.clone(),
        level: c.level,
        required: c.required,
        numerator,
        denominator,
        ratio,
        op: c.op.as_str().to_string(),
        threshold: c.threshold.as_f64(),
        met,
        applicable,
        unknown,
        needed: if met || no_data { None } else { Some(needed(c.threshold, c.op, numerator, denominator)) },
        no_data,
        label: c.label.clone(),
    }
}

/// The smallest `k` with `passes(op, numerator + k, denominator)` and `numerator + k <=
/// denominator`, or `-1` when there is none. For `>=`: `k = ceil(t·d) − n`; for `>`:
/// `k = floor(t·d) + 1 − n`, with `t = num/den`, all in integers.
pub fn needed(threshold: Threshold, op: Op, numerator: u64, denominator: u64) -> i64 {
    let (n, d) = (numerator as u128, denominator as u128);
    let (tn, td) = (threshold.num as u128, threshold.den as u128);
    let target = match op {
        Op::Ge => (tn * d).div_ceil(td),
        Op::Gt => tn * d / td + 1,
    };
    if target > d {
        return -1;
    }
    target.saturating_sub(n) as i64
}

fn answer(h: &Household, field: &str) -> Option<Answer> {
    h.fields.get(field).and_then(|v| v.answer())
}

fn count(h: &Household, field: &str) -> Option<u32> {
    h.fields.get(field).and_then(|v| v.count())
}

fn is_business(profile: &Profile, h: &Household) -> bool {
    profile.business_field().is_some_and(|b| answer(h, b) == Some(Answer::Yes))
}

/// The compliance of an area at the end of one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayStatus {
    /// The calendar day, `YYYY-MM-DD`.
    pub date: String,
    /// Changes made that day (on any device).
    pub changes: u64,
    /// The whole area's figures at the end of the day.
    #[serde(flatten)]
    pub evaluation: Evaluation,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hh(id: &str, pairs: &[(&str, Value)]) -> Household {
        Household {
            id: id.into(),
            fields: pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            ..Default::default()
        }
    }

    const Y: Value = Value::Answer(Answer::Yes);
    const N: Value = Value::Answer(Answer::No);
    const U: Value = Value::Answer(Answer::Unknown);

    fn crit<'a>(e: &'a Evaluation, id: &str) -> &'a CriterionStatus {
        e.criteria.iter().find(|c| c.id == id).unwrap()
    }

    #[test]
    fn ninety_of_a_hundred_is_not_over_ninety_percent() {
        let p = Profile::default_v1();
        // 10 households of 10 people aged 14+; 9 have VNeID in every household: 90/100.
        let mut hs: Vec<Household> = (0..10)
            .map(|i| {
                hh(
                    &format!("H{i}"),
                    &[
                        ("members", Value::Count(10)),
                        ("members_14plus", Value::Count(10)),
                        ("eid_accounts", Value::Count(9)),
                    ],
                )
            })
            .collect();
        let e = evaluate(&p, &hs);
        let c = crit(&e, "e_citizen");
        assert_eq!((c.numerator, c.denominator, c.met, c.ratio), (90, 100, false, Some(0.9)));
        hs[0].fields.insert("eid_accounts".into(), Value::Count(10));
        let c = crit(&evaluate(&p, &hs), "e_citizen").clone();
        assert_eq!((c.numerator, c.denominator, c.met), (91, 100, true));
    }

    #[test]
    fn unknown_missing_and_archived() {
        let p = Profile::default_v1();
        let mut archived = hh("A", &[("internet", N), ("members_14plus", Value::Count(5))]);
        archived.archived = true;
        let hs = vec![
            hh(
                "1",
                &[
                    ("internet", Y),
                    ("members", Value::Count(3)),
                    ("members_14plus", Value::Count(2)),
                    ("eid_accounts", Value::Count(2)),
                ],
            ),
            hh("2", &[("internet", U), ("members", Value::Count(2))]),
            hh("3", &[]),
            archived,
        ];
        let e = evaluate(&p, &hs);
        assert_eq!(e.households, 3);
        let internet = crit(&e, "internet");
        assert_eq!((internet.numerator, internet.denominator, internet.unknown, internet.met), (1, 3, 2, false));
        let eid = crit(&e, "e_citizen");
        // Households 2 and 3 have no members_14plus: out of both sums, counted as unknown.
        assert_eq!((eid.numerator, eid.denominator, eid.unknown, eid.met), (2, 2, 2, true));
        assert_eq!(e.incomplete, 2);
        assert!(!e.certified);
        // No household has `business` recorded: nothing to judge yet, never "met".
        let eco = crit(&e, "ecommerce");
        assert_eq!((eco.no_data, eco.applicable, eco.met, eco.ratio, eco.denominator), (true, true, false, None, 0));
        // Recorded as not a business everywhere: not applicable, and met.
        let homes = [hh("1", &[("business", N)]), hh("2", &[("business", N)])];
        let eco = crit(&evaluate(&p, &homes), "ecommerce").clone();
        assert_eq!((eco.no_data, eco.applicable, eco.met, eco.ratio), (false, false, true, None));
    }

    fn declined(id: &str) -> Household {
        let mut h = hh(id, &[]);
        h.consent.state = Some(crate::consent::ConsentState::Refused);
        h
    }

    fn full(id: &str) -> Household {
        hh(
            id,
            &[
                ("members", Value::Count(4)),
                ("members_14plus", Value::Count(3)),
                ("internet", Y),
                ("smartphone_users", Value::Count(3)),
                ("eid_accounts", Value::Count(3)),
                ("payment_accounts", Value::Count(3)),
                ("digital_signature", Y),
                ("online_public_service", Y),
                ("business", N),
            ],
        )
    }

    #[test]
    fn declined_households_count_only_as_declined() {
        let p = Profile::default_v1();
        let mut withdrawn = declined("W");
        withdrawn.consent.state = Some(crate::consent::ConsentState::Withdrawn);
        let hs = vec![full("1"), full("2"), declined("R"), withdrawn];
        let e = evaluate(&p, &hs);
        assert_eq!((e.households, e.declined, e.incomplete), (2, 2, 0));
        let internet = crit(&e, "internet");
        assert_eq!((internet.numerator, internet.denominator, internet.unknown), (2, 2, 0));
        assert!(e.certified, "declined households are not in the completeness rule: {e:?}");
        assert!(missing(&p, &hs[2]).is_empty(), "nobody asks a declined household again");
        // Only declined households: no data to judge anything.
        let e = evaluate(&p, [&hs[2]]);
        assert_eq!((e.households, e.declined, e.certified), (0, 1, false));
        assert!(e.criteria.iter().all(|c| c.no_data && !c.met));
    }

    #[test]
    fn a_profile_may_limit_the_declined_share() {
        let text = crate::profile::DEFAULT_PROFILE_TOML.replacen("\n", "\nmax_declined = \"0.25\"\n", 1);
        let p = Profile::from_toml(&text).expect("profile with max_declined");
        assert_eq!(p.max_declined().map(|t| t.as_f64()), Some(0.25));
        // 1 of 4 is 25 %: allowed; 2 of 5 is 40 %: not.
        let three = [full("1"), full("2"), full("3"), declined("R")];
        assert!(evaluate(&p, &three).certified);
        let mut more = three.to_vec();
        more.push(declined("S"));
        let e = evaluate(&p, &more);
        assert!(!e.certified && e.required_met == e.required_total, "{e:?}");
        let bad = crate::profile::DEFAULT_PROFILE_TOML.replacen("\n", "\nmax_declined = \"1.5\"\n", 1);
        let err = Profile::from_toml(&bad).unwrap_err();
        assert!(err.0.contains("max_declined"), "{}", err.0);
    }

    #[test]
    fn gaps_name_the_households_own_figures() {
        let p = Profile::default_v1();
        let h = hh(
            "1",
            &[
                ("members", Value::Count(4)),
                ("members_14plus", Value::Count(3)),
                ("eid_accounts", Value::Count(2)),
                ("internet", N),
                ("digital_signature", U),
            ],
        );
        let g = gaps(&p, &h);
        assert_eq!(g.iter().map(Gap::criterion).collect::<Vec<_>>(), missing(&p, &h));
        assert!(g.contains(&Gap::Persons { criterion: "e_citizen".into(), persons: 1 }));
        assert!(g.contains(&Gap::NotRecorded { criterion: "smartphone".into(), field: "smartphone_users".into() }));
        assert!(g.contains(&Gap::No { criterion: "internet".into() }));
        assert!(g.contains(&Gap::Unknown { criterion: "digital_signature".into() }));
        let blank = gaps(&p, &hh("2", &[]));
        assert!(blank.contains(&Gap::NotRecorded { criterion: "e_citizen".into(), field: "members_14plus".into() }));
    }

    #[test]
    fn an_empty_area_has_no_data_never_met() {
        let p = Profile::default_v1();
        let e = evaluate(&p, []);
        assert_eq!(e.required_met, 0);
        assert!(e.criteria.iter().all(|c| c.no_data && !c.met && c.applicable && c.needed.is_none()));
        // One blank household: household criteria are judged (unknown), person ones have no data.
        let e = evaluate(&p, [&hh("1", &[])]);
        assert!(!crit(&e, "internet").no_data && !crit(&e, "internet").met);
        assert!(crit(&e, "e_citizen").no_data);
    }

    #[test]
    fn business_criteria_and_missing_lists() {
        let p = Profile::default_v1();
        let shop = hh("S", &[("business", Y), ("ecommerce", Y), ("qr_payment", U)]);
        let home = hh("H", &[("business", N), ("members_14plus", Value::Count(0))]);
        let e = evaluate(&p, [&shop, &home]);
        let eco = crit(&e, "ecommerce");
        assert_eq!((eco.numerator, eco.denominator, eco.met), (1, 1, true));
        let qr = crit(&e, "qr_payment");
        assert_eq!((qr.numerator, qr.denominator, qr.unknown, qr.met), (0, 1, 1, false));
        assert!(missing(&p, &shop).contains(&"qr_payment".to_string()));
        assert!(missing(&p, &shop).contains(&"e_citizen".to_string()), "members_14plus not recorded");
        let home_missing = missing(&p, &home);
        assert!(!home_missing.contains(&"qr_payment".to_string()));
        assert!(!home_missing.contains(&"e_citizen".to_string()), "nobody aged 14+: nothing to do");
        assert!(home_missing.contains(&"internet".to_string()));
    }

    #[test]
    fn a_fully_digital_area_is_certified() {
        let p = Profile::default_v1();
        let full = full("1");
        let e = evaluate(&p, [&full]);
        assert!(e.certified, "{e:?}");
        assert_eq!((e.required_met, e.required_total), (8, 8));
        assert!(!crit(&e, "digital_map").met, "encouraged criteria do not block certification");
        assert!(!evaluate(&p, []).certified, "an empty area is not certified");
    }

    #[test]
    fn needed_is_the_smallest_count_that_meets_the_threshold() {
        let t = |x: &str| Threshold::parse(x).expect("threshold");
        // > 0.90 of 100: 91 meets, 90 does not.
        assert_eq!(needed(t("0.90"), Op::Gt, 90, 100), 1);
        assert_eq!(needed(t("0.90"), Op::Gt, 80, 100), 11);
        assert!(t("0.90").passes(Op::Gt, 91, 100) && !t("0.90").passes(Op::Gt, 90, 100));
        // >= 1.00: everyone.
        assert_eq!(needed(t("1.00"), Op::Ge, 7, 10), 3);
        // > 0.50 of 3: 2 meets.
        assert_eq!(needed(t("0.50"), Op::Gt, 0, 3), 2);
        // >= 0.50 of 3: 2 (1.5 rounds up).
        assert_eq!(needed(t("0.50"), Op::Ge, 1, 3), 1);
        // > 1.00 can never be met by answers alone.
        assert_eq!(needed(t("1.00"), Op::Gt, 3, 4), -1);
        // Exhaustive against `passes` on small figures.
        for (th, op) in
            [(t("0.90"), Op::Gt), (t("0.9"), Op::Ge), (t("0.5"), Op::Gt), (t("1"), Op::Ge), (t("0.333"), Op::Gt)]
        {
            for d in 1..=60u64 {
                for n in 0..=d {
                    let k = needed(th, op, n, d);
                    let best = (0..=d - n).find(|k| th.passes(op, n + k, d));
                    assert_eq!(k, best.map_or(-1, |k| k as i64), "{th:?} {op:?} {n}/{d}");
                }
            }
        }
    }

    #[test]
    fn evaluation_reports_needed_only_when_not_met() {
        let profile = Profile::default_v1();
        let hh = |id: &str, m14: u32, eid: u32| Household {
            id: id.into(),
            fields: [
                ("members".to_string(), Value::Count(m14)),
                ("members_14plus".to_string(), Value::Count(m14)),
                ("eid_accounts".to_string(), Value::Count(eid)),
            ]
            .into_iter()
            .collect(),
            ..Household::default()
        };
        let households = [hh("A", 10, 9), hh("B", 10, 9)];
        let e = evaluate(&profile, &households);
        let c = crit(&e, "e_citizen");
        // 18 of 20 = 0.90, not > 0.90: one more person.
        assert_eq!((c.numerator, c.denominator, c.met, c.needed), (18, 20, false, Some(1)));
        let households = [hh("A", 10, 10), hh("B", 10, 9)];
        let e = evaluate(&profile, &households);
        assert_eq!(crit(&e, "e_citizen").needed, None);
    }
}
