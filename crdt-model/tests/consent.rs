//! Consent per household: nothing is written without it on a profile that asks for it; a
//! refusal or withdrawal keeps only the house code and group, also against concurrent writes.

use crdt_model::consent::{ConsentChange, ConsentGiven, ConsentMethod, ConsentState};
use crdt_model::profile::DEFAULT_PROFILE_TOML;
use crdt_model::{Area, HouseholdWrite, ModelError, NewArea};

const T0: i64 = 1_763_900_000_000;

fn area(profile_toml: Option<String>) -> Area {
    let new = NewArea { id: "a1".into(), name: "Khu 1".into(), ward: "Phường 1".into(), profile_toml };
    let mut a = Area::create(new, "peer-a", "Lan", T0).unwrap();
    a.add_member("peer-b", "Huy", "member", "peer-a", T0).unwrap();
    a
}

fn w(hh: &str, consent: Option<ConsentGiven>) -> HouseholdWrite {
    HouseholdWrite {
        id: hh.into(),
        group: Some("Tổ 1".into()),
        address: Some("Số 5, ngõ 12".into()),
        fields: vec![
            ("members".into(), "4".into()),
            ("members_14plus".into(), "3".into()),
            ("internet".into(), "yes".into()),
        ],
        consent,
    }
}

fn decision(state: ConsentState) -> ConsentChange {
    ConsentChange::decision(state)
}

fn invalid_field(e: ModelError) -> String {
    e.field().map(str::to_string).unwrap_or_else(|| panic!("not a field error: {e}"))
}

#[test]
fn the_default_profile_writes_nothing_without_consent() {
    let mut a = area(None);
    assert!(a.profile().requires_consent());
    assert_eq!(a.profile().consent().unwrap().notice_version, "2026-12");
    let heads = a.heads();
    let e = a.add_household(w("H1", None), "peer-a", T0 + 1).unwrap_err();
    assert_eq!(invalid_field(e), "consent");
    assert_eq!(a.heads(), heads, "a refused write changes nothing");

    let given = ConsentGiven { method: ConsentMethod::Written, reference: Some("P-017".into()), notice_version: None };
    a.add_household(w("H1", Some(given)), "peer-a", T0 + 2).unwrap();
    let v = a.household_view("H1").unwrap();
    assert_eq!(
        (v.consent.state.as_str(), v.consent.method.as_deref(), v.consent.reference.as_deref()),
        ("given", Some("written"), Some("P-017"))
    );
    assert_eq!((v.consent.notice_version.as_deref(), v.consent.by.as_deref()), (Some("2026-12"), Some("peer-a")));
    assert_eq!(v.consent.at.as_deref(), Some(crdt_model::area::rfc3339(T0 + 2).as_str()));
    let set =
        HouseholdWrite { id: "H1".into(), fields: vec![("eid_accounts".into(), "2".into())], ..Default::default() };
    a.set_household(set, "peer-a", T0 + 3).unwrap();
}

#[test]
fn a_refusal_keeps_the_house_code_and_group_and_counts_only_as_declined() {
    let mut a = area(None);
    a.add_household(w("H1", Some(ConsentGiven::verbal())), "peer-a", T0 + 1).unwrap();
    let refusal = ConsentChange { group: Some("Tổ 2".into()), ..decision(ConsentState::Refused) };
    a.record_consent("H2", refusal, "peer-a", T0 + 2).unwrap();
    let v = a.household_view("H2").unwrap();
    assert_eq!((v.consent.state.as_str(), v.group.as_deref(), v.address.as_deref()), ("refused", Some("Tổ 2"), None));
    assert!(v.fields.is_empty());
    let list = a.household_list(None, None, false).unwrap();
    assert_eq!(list.iter().find(|h| h.id == "H2").map(|h| h.consent.as_str()), Some("refused"));

    // The declined household is in no denominator and on no worklist: counted on its own.
    let status = a.status();
    assert_eq!((status.households, status.declined), (1, 1));
    let internet = status.criteria.iter().find(|c| c.id == "internet").unwrap();
    assert_eq!((internet.numerator, internet.denominator, internet.unknown), (1, 1, 0));
    let to_visit = a.household_list(None, Some("internet"), false).unwrap();
    assert!(to_visit.iter().all(|h| h.id != "H2"), "{to_visit:?}");
    assert!(list.iter().find(|h| h.id == "H2").is_some_and(|h| h.missing.is_empty()));
    // The same house typed in another case is the same house.
    let again = ConsentChange { group: Some("tổ  2".into()), ..decision(ConsentState::Refused) };
    match a.record_consent("h2", again, "peer-a", T0 + 2).unwrap_err() {
        crdt_model::ModelError::Exists { id, .. } => assert_eq!(id, "H2"),
        e => panic!("{e}"),
    }

    // Nothing more can be recorded for it until the resident consents.
    let set = HouseholdWrite { id: "H2".into(), fields: vec![("internet".into(), "yes".into())], ..Default::default() };
    assert_eq!(invalid_field(a.set_household(set.clone(), "peer-a", T0 + 3).unwrap_err()), "consent");
    let given = ConsentGiven::verbal();
    a.set_household(HouseholdWrite { consent: Some(given), ..set }, "peer-a", T0 + 4).unwrap();
    assert_eq!(a.household_view("H2").unwrap().consent.state, "given");
}

#[test]
fn withdrawal_deletes_the_answers_and_the_address() {
    let mut a = area(None);
    a.add_household(w("H1", Some(ConsentGiven::verbal())), "peer-a", T0 + 1).unwrap();
    a.record_consent("H1", decision(ConsentState::Withdrawn), "peer-a", T0 + 2).unwrap();
    let v = a.household_view("H1").unwrap();
    assert_eq!((v.consent.state.as_str(), v.address.as_deref(), v.fields.len()), ("withdrawn", None, 0));
    assert_eq!(v.group.as_deref(), Some("Tổ 1"));
    // The keys are gone from the current state, not only hidden.
    let keys: Vec<String> =
        automerge::ReadDoc::keys(a.doc(), automerge::ROOT).filter(|k| k.starts_with("h/H1/")).collect();
    assert!(!keys.iter().any(|k| k.ends_with("/members") || k.ends_with("/@address")), "{keys:?}");

    let e = a.record_consent("H9", decision(ConsentState::Withdrawn), "peer-a", T0 + 3).unwrap_err();
    assert!(matches!(e, ModelError::NotFound { .. }), "{e}");
    let e = a.record_consent("H9", decision(ConsentState::Given), "peer-a", T0 + 3).unwrap_err();
    assert_eq!(invalid_field(e), "method");
}

#[test]
fn a_write_concurrent_with_a_withdrawal_does_not_bring_the_data_back() {
    let mut a = area(None);
    a.add_household(w("H1", Some(ConsentGiven::verbal())), "peer-a", T0 + 1).unwrap();
    let mut b = Area::load(&a.save(), "peer-b").unwrap();
    // Apart: A records the withdrawal, B records a visit's answer and the address.
    a.record_consent("H1", decision(ConsentState::Withdrawn), "peer-a", T0 + 2).unwrap();
    let visit = HouseholdWrite {
        id: "H1".into(),
        address: Some("Số 7".into()),
        fields: vec![("eid_accounts".into(), "3".into())],
        ..Default::default()
    };
    b.set_household(visit, "peer-b", T0 + 3).unwrap();
    a.merge(&b).unwrap();
    b.merge(&a).unwrap();
    for r in [&a, &b] {
        let v = r.household_view("H1").unwrap();
        assert_eq!((v.consent.state.as_str(), v.fields.len(), v.address.as_deref()), ("withdrawn", 0, None));
        assert!(r.conflicts().iter().all(|c| c.household != "H1"), "{:?}", r.conflicts());
    }
}

#[test]
fn a_profile_without_consent_keeps_working() {
    let start = DEFAULT_PROFILE_TOML.find("\n[consent]\n").unwrap();
    let end = start + DEFAULT_PROFILE_TOML[start..].find("\n[[fields]]").unwrap();
    let old = format!("{}{}", &DEFAULT_PROFILE_TOML[..start], &DEFAULT_PROFILE_TOML[end..]);
    let mut a = area(Some(old));
    assert!(!a.profile().requires_consent());
    a.add_household(w("H1", None), "peer-a", T0 + 1).unwrap();
    assert_eq!(a.household_view("H1").unwrap().consent.state, "none");
    let set =
        HouseholdWrite { id: "H1".into(), fields: vec![("eid_accounts".into(), "2".into())], ..Default::default() };
    a.set_household(set, "peer-a", T0 + 2).unwrap();
}

#[test]
fn an_area_on_the_old_profile_is_offered_the_consent_profile_by_its_head_only() {
    let start = DEFAULT_PROFILE_TOML.find("\n[consent]\n").unwrap();
    let end = start + DEFAULT_PROFILE_TOML[start..].find("\n[[fields]]").unwrap();
    let v1 = format!("{}{}", &DEFAULT_PROFILE_TOML[..start], &DEFAULT_PROFILE_TOML[end..])
        .replace("version = 2", "version = 1");
    let mut a = area(Some(v1));
    a.add_household(w("H1", None), "peer-a", T0 + 1).unwrap();
    assert_eq!(a.profile_upgrade().map(|p| p.version()), Some(2));
    let mut b = Area::load(&a.save(), "peer-b").unwrap();
    assert_eq!(invalid_field(b.upgrade_profile("peer-b", T0 + 2).unwrap_err()), "role");
    assert_eq!(a.upgrade_profile("peer-a", T0 + 2).unwrap(), 2);
    assert!(a.profile().requires_consent() && a.profile_upgrade().is_none());
    // The answers stay; a change now needs the resident's consent.
    assert_eq!(a.household_view("H1").unwrap().fields.len(), 3);
    let set =
        HouseholdWrite { id: "H1".into(), fields: vec![("eid_accounts".into(), "2".into())], ..Default::default() };
    assert_eq!(invalid_field(a.set_household(set, "peer-a", T0 + 3).unwrap_err()), "consent");
    // Another device takes the new profile when it syncs.
    b.merge(&a).unwrap();
    assert!(b.profile().requires_consent());
}
