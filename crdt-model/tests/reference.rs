//! The evaluation checked against a deliberately naive reference: kdc-so-v1's rules written out
//! by hand over plain structs, thresholds as whole percentages, no profile machinery.

use crdt_model::eval::{evaluate, missing};
use crdt_model::{Answer, Household, Profile, Value};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Plain {
    archived: bool,
    /// Consent refused: in no figure but `declined`.
    declined: bool,
    members_14plus: Option<u32>,
    smartphone_users: Option<u32>,
    eid_accounts: Option<u32>,
    payment_accounts: Option<u32>,
    internet: Option<Answer>,
    digital_signature: Option<Answer>,
    online_public_service: Option<Answer>,
    smart_city_app: Option<Answer>,
    mapped: Option<Answer>,
    business: Option<bool>,
    ecommerce: Option<Answer>,
    qr_payment: Option<Answer>,
}

fn answer() -> impl Strategy<Value = Option<Answer>> {
    prop::option::of(prop_oneof![Just(Answer::Yes), Just(Answer::No), Just(Answer::Unknown)])
}

fn plain() -> impl Strategy<Value = Plain> {
    (
        (prop::bool::weighted(0.1), prop::bool::weighted(0.1)),
        prop::option::weighted(0.9, 0u32..6),
        (prop::option::of(0u32..7), prop::option::of(0u32..7), prop::option::of(0u32..7)),
        (answer(), answer(), answer(), answer(), answer()),
        (prop::option::of(any::<bool>()), answer(), answer()),
    )
        .prop_map(|((archived, declined), m14, (s, e, p), (i, d, o, c, mp), (b, ec, qr))| Plain {
            archived,
            declined,
            members_14plus: m14,
            smartphone_users: s,
            eid_accounts: e,
            payment_accounts: p,
            internet: i,
            digital_signature: d,
            online_public_service: o,
            smart_city_app: c,
            mapped: mp,
            business: b,
            ecommerce: ec,
            qr_payment: qr,
        })
}

fn to_household(i: usize, p: &Plain) -> Household {
    let mut h = Household { id: format!("H{i}"), archived: p.archived, ..Default::default() };
    if p.declined {
        h.consent.state = Some(crdt_model::consent::ConsentState::Refused);
    }
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            h.fields.insert(k.to_string(), v);
        }
    };
    put("members_14plus", p.members_14plus.map(Value::Count));
    put("smartphone_users", p.smartphone_users.map(Value::Count));
    put("eid_accounts", p.eid_accounts.map(Value::Count));
    put("payment_accounts", p.payment_accounts.map(Value::Count));
    put("internet", p.internet.map(Value::Answer));
    put("digital_signature", p.digital_signature.map(Value::Answer));
    put("online_public_service", p.online_public_service.map(Value::Answer));
    put("smart_city_app", p.smart_city_app.map(Value::Answer));
    put("mapped", p.mapped.map(Value::Answer));
    put("business", p.business.map(|b| Value::Answer(if b { Answer::Yes } else { Answer::No })));
    put("ecommerce", p.ecommerce.map(Value::Answer));
    put("qr_payment", p.qr_payment.map(Value::Answer));
    h
}

/// (numerator, denominator, met, unknown, no data) the slow, obvious way.
fn reference(id: &str, hs: &[Plain]) -> (u64, u64, bool, u64, bool) {
    let active: Vec<&Plain> = hs.iter().filter(|h| !h.archived && !h.declined).collect();
    let yes = |a: Option<Answer>| a == Some(Answer::Yes);
    let known = |a: Option<Answer>| matches!(a, Some(Answer::Yes | Answer::No));
    let household = |get: &dyn Fn(&Plain) -> Option<Answer>, pct: u64, strict: bool| {
        let n = active.iter().filter(|h| yes(get(h))).count() as u64;
        let d = active.len() as u64;
        let u = active.iter().filter(|h| !known(get(h))).count() as u64;
        let no_data = active.is_empty();
        (n, d, !no_data && meets(n, d, pct, strict), u, no_data)
    };
    let business = |get: &dyn Fn(&Plain) -> Option<Answer>, pct: u64, strict: bool| {
        let shops: Vec<&&Plain> = active.iter().filter(|h| h.business == Some(true)).collect();
        let n = shops.iter().filter(|h| yes(get(h))).count() as u64;
        let u = shops.iter().filter(|h| !known(get(h))).count() as u64;
        let no_data = active.iter().all(|h| h.business.is_none());
        (n, shops.len() as u64, !no_data && meets(n, shops.len() as u64, pct, strict), u, no_data)
    };
    let person = |get: &dyn Fn(&Plain) -> Option<u32>, pct: u64, strict: bool| {
        let (mut n, mut d, mut u) = (0u64, 0u64, 0u64);
        for h in &active {
            match h.members_14plus {
                None => u += 1,
                Some(m) => {
                    d += m as u64;
                    match get(h) {
                        None => u += 1,
                        Some(x) => n += std::cmp::min(x, m) as u64,
                    }
                }
            }
        }
        let no_data = active.iter().all(|h| h.members_14plus.is_none());
        (n, d, !no_data && meets(n, d, pct, strict), u, no_data)
    };
    match id {
        "internet" => household(&|h| h.internet, 100, false),
        "smartphone" => person(&|h| h.smartphone_users, 100, false),
        "e_citizen" => person(&|h| h.eid_accounts, 90, true),
        "cashless_account" => person(&|h| h.payment_accounts, 90, true),
        "ecommerce" => business(&|h| h.ecommerce, 50, true),
        "digital_map" => household(&|h| h.mapped, 100, false),
        "digital_signature" => household(&|h| h.digital_signature, 100, false),
        "online_public_service" => household(&|h| h.online_public_service, 90, false),
        "qr_payment" => business(&|h| h.qr_payment, 100, false),
        "smart_city_app" => household(&|h| h.smart_city_app, 50, false),
        other => panic!("unknown criterion {other}"),
    }
}

/// n/d against pct% in whole numbers: 100·n > pct·d, or >=.
fn meets(n: u64, d: u64, pct: u64, strict: bool) -> bool {
    if d == 0 {
        return true;
    }
    if strict { 100 * n > pct * d } else { 100 * n >= pct * d }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn evaluation_matches_the_reference(hs in prop::collection::vec(plain(), 0..30)) {
        let profile = Profile::default_v1();
        let households: Vec<Household> = hs.iter().enumerate().map(|(i, p)| to_household(i, p)).collect();
        let e = evaluate(&profile, &households);
        prop_assert_eq!(e.households, hs.iter().filter(|h| !h.archived && !h.declined).count() as u64);
        prop_assert_eq!(e.declined, hs.iter().filter(|h| !h.archived && h.declined).count() as u64);
        let mut required_all_met = true;
        for c in &e.criteria {
            let (n, d, met, u, no_data) = reference(&c.id, &hs);
            prop_assert_eq!((c.numerator, c.denominator, c.met, c.unknown, c.no_data), (n, d, met, u, no_data), "criterion {}", c.id);
            prop_assert_eq!(c.applicable, d > 0 || no_data);
            if c.required { required_all_met &= met; }
        }
        let all_recorded = hs.iter().filter(|h| !h.archived && !h.declined).all(|h| h.members_14plus.is_some());
        prop_assert_eq!(e.certified, required_all_met && all_recorded && e.households > 0);
        // A household is on the worklist of a household criterion exactly when it did not say yes.
        for (p, h) in hs.iter().zip(&households) {
            let m = missing(&profile, h);
            if p.declined {
                prop_assert!(m.is_empty(), "a declined household is on no worklist");
                continue;
            }
            prop_assert_eq!(m.contains(&"internet".to_string()), p.internet != Some(Answer::Yes));
            let shop = p.business == Some(true);
            prop_assert_eq!(m.contains(&"qr_payment".to_string()), shop && p.qr_payment != Some(Answer::Yes));
            let eid_missing = match p.members_14plus { None => true, Some(0) => false, Some(m14) => p.eid_accounts.is_none_or(|e| e < m14) };
            prop_assert_eq!(m.contains(&"e_citizen".to_string()), eid_missing);
        }
    }
}
