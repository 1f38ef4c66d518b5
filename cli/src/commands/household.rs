//! `kdc household add|set|consent|show|list|archive`.

use std::collections::BTreeSet;

use crdt_model::Lang;
use crdt_model::area::{HouseholdListItem, HouseholdView};
use crdt_model::consent::{ConsentChange, ConsentGiven, ConsentMethod, ConsentState};
use crdt_model::epoch::ErasureStatus;
use crdt_model::profile::Profile;
use crdt_model::profile::ProfileInfo;
use kdc_api::client::{Client, ClientError};
use kdc_api::types::{FieldValues, HouseholdPatch, HouseholdQuery, NewHousehold, field_values};

use kdc_text::t;

use super::Ctx;
use crate::args::{ConsentArgs, ConsentMethodArg, ConsentStateArg, HouseholdCmd};
use crate::error::usage;
use crate::{i18n, output};

pub fn run(ctx: &Ctx, cmd: HouseholdCmd) -> anyhow::Result<()> {
    match cmd {
        HouseholdCmd::Add { area, hh, address, group, consent, fields } => {
            let fields = to_field_values(fields)?;
            let client = ctx.client()?;
            let req = NewHousehold { id: hh, group, address, fields, consent: consent_given(consent) };
            let refused = |e| in_words(ctx, &client, &area, &req.fields, e);
            answer!(ctx, client.add_household(&area, &req).map_err(refused), |h: HouseholdView| i18n::household_added(
                ctx.lang, &h.area, &h.id
            ) + "\n")
        }
        HouseholdCmd::Set { area, hh, fields, address, group, consent } => {
            let fields = to_field_values(fields)?;
            let client = ctx.client()?;
            let req = HouseholdPatch { fields, group, address, consent: consent_given(consent) };
            let refused = |e| in_words(ctx, &client, &area, &req.fields, e);
            answer!(ctx, client.update_household(&area, &hh, &req).map_err(refused), |h: HouseholdView| {
                i18n::household_updated(ctx.lang, &h.area, &h.id) + "\n"
            })
        }
        HouseholdCmd::Consent { area, hh, state, method, reference, notice_version, group } => {
            let client = ctx.client()?;
            let state = match state {
                ConsentStateArg::Given => ConsentState::Given,
                ConsentStateArg::Refused => ConsentState::Refused,
                ConsentStateArg::Withdrawn => ConsentState::Withdrawn,
            };
            // `given` without --method: verbal, the usual case at the door.
            let method = method.map(method_of).or((state == ConsentState::Given).then_some(ConsentMethod::Verbal));
            let req = ConsentChange { state, method, reference, notice_version, group };
            answer!(ctx, client.record_consent(&area, &hh, &req), |h: HouseholdView| i18n::consent_recorded(
                ctx.lang,
                &h.area,
                &h.id,
                &h.consent.state
            ) + "\n")
        }
        HouseholdCmd::Show { area, hh } => {
            let client = ctx.client()?;
            // The control API does not serve an area's profile: labels are those of the
            // default profile; fields and criteria it does not know are shown by id.
            let profile = Profile::default_v1();
            answer!(ctx, client.household(&area, &hh), |h: HouseholdView| output::household(ctx.lang, &h, &profile))
        }
        HouseholdCmd::List { area, group, missing, archived } => {
            let client = ctx.client()?;
            let query = HouseholdQuery { group, missing: missing.clone(), archived };
            let label = missing.as_deref().map(|c| criterion_label(ctx, c));
            answer!(ctx, client.households(&area, &query), |items: Vec<HouseholdListItem>| output::household_list(
                ctx.lang,
                &items,
                label.as_deref()
            ))
        }
        HouseholdCmd::Erase { area, hh, yes } => {
            if !yes && !confirm(ctx, &area, &hh)? {
                return Err(usage(t!(ctx.lang, "cli-erase-cancelled")));
            }
            let client = ctx.client()?;
            answer!(ctx, client.erase_household(&area, &hh), |s: ErasureStatus| erasure_text(ctx, &s, Some(&hh)))
        }
        HouseholdCmd::Archive { area, hh } => {
            let client = ctx.client()?;
            answer!(ctx, client.archive_household(&area, &hh), |h: HouseholdView| i18n::household_archived(
                ctx.lang, &h.area, &h.id
            ) + "\n")
        }
    }
}

/// `kdc erasure status AREA`.
pub fn erasure_status(ctx: &Ctx, area: &str) -> anyhow::Result<()> {
    let client = ctx.client()?;
    answer!(ctx, client.erasure_status(area), |s: ErasureStatus| erasure_text(ctx, &s, None))
}

/// Asks on the terminal; without one, the answer is no (scripts give --yes).
fn confirm(ctx: &Ctx, area: &str, hh: &str) -> anyhow::Result<bool> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    let question = t!(ctx.lang, "cli-erase-confirm", hh = hh, area = area);
    eprint!("{question} ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim() == hh)
}

fn erasure_text(ctx: &Ctx, s: &ErasureStatus, erased: Option<&str>) -> String {
    let lang = ctx.lang;
    let (area, epoch) = (s.area.as_str(), s.epoch.to_string());
    let mut out = match erased {
        Some(hh) => t!(lang, "cli-erased", hh = hh, area = area, epoch = epoch),
        None => t!(lang, "cli-erasure-status", area = area, epoch = epoch, erased = s.erased.len()),
    };
    out.push('\n');
    for m in &s.members {
        let mark = if m.adopted { t!(lang, "cli-erasure-adopted") } else { t!(lang, "cli-erasure-not-adopted") };
        let role = kdc_text::role(lang, &m.role);
        out += &format!("  {mark:<24} {} ({role}) {} {}\n", m.name, m.peer_id, m.epoch);
    }
    for m in &s.removed_behind {
        let line = t!(
            lang,
            "cli-erasure-removed-behind",
            name = m.name.as_str(),
            peer = m.peer_id.as_str(),
            held = m.epoch.to_string()
        );
        out += &format!("  ! {line}\n");
    }
    if s.pending > 0 {
        out += &format!("{}\n", t!(lang, "cli-erasure-pending", count = s.pending));
    }
    out
}

fn method_of(m: ConsentMethodArg) -> ConsentMethod {
    match m {
        ConsentMethodArg::Verbal => ConsentMethod::Verbal,
        ConsentMethodArg::Written => ConsentMethod::Written,
    }
}

fn consent_given(c: ConsentArgs) -> Option<ConsentGiven> {
    c.consent.map(|m| ConsentGiven { method: method_of(m), reference: c.reference, notice_version: c.notice_version })
}

/// `FIELD=VALUE` pairs as the API body. A field given twice is refused here (exit 2): the
/// body is a map and would silently keep only the last value.
fn to_field_values(pairs: Vec<(String, String)>) -> anyhow::Result<FieldValues> {
    let mut seen = BTreeSet::new();
    for (field, _) in &pairs {
        if !seen.insert(field.as_str()) {
            return Err(usage(format!("{field}: given more than once")));
        }
    }
    Ok(field_values(pairs))
}

/// A refused field said in Vietnamese as the web form says it (what was typed, what the area's
/// profile allows), after the field's id; the daemon's own words are English, for scripts.
/// Anything else, and English, passes through unchanged.
fn in_words(ctx: &Ctx, client: &Client, area: &str, typed: &FieldValues, e: ClientError) -> ClientError {
    let ClientError::Api { status, kind, message, field: Some(field), reason } = e else { return e };
    if kind != "invalid_input" || ctx.lang != Lang::Vi {
        return ClientError::Api { status, kind, message, field: Some(field), reason };
    }
    let fields = client.profile::<ProfileInfo>(area).map(|p| p.fields).unwrap_or_default();
    let value_of = |id: &str| typed.get(id).and_then(|v| v.as_str()).map(str::to_string);
    let detail = message.strip_prefix(&format!("{field}: ")).unwrap_or(&message);
    let text = kdc_text::refusal::field(ctx.lang, &fields, &field, detail, &value_of);
    ClientError::Api { status, kind, message: format!("{field}: {text}"), field: Some(field), reason }
}

/// The worklist header names the criterion by its label (default profile) and id.
fn criterion_label(ctx: &Ctx, id: &str) -> String {
    match Profile::default_v1().criterion(id) {
        Some(c) if !c.label.get(ctx.lang).is_empty() => format!("{} ({id})", c.label.get(ctx.lang)),
        _ => id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_fields_are_refused() {
        let ok = to_field_values(vec![("members".into(), "4".into()), ("internet".into(), "có".into())]).unwrap();
        assert_eq!(ok.get("internet"), Some(&serde_json::Value::String("có".into())));
        assert_eq!(ok.get("members"), Some(&serde_json::Value::String("4".into())), "values are sent as typed strings");
        let err = to_field_values(vec![("members".into(), "4".into()), ("members".into(), "5".into())]).unwrap_err();
        assert_eq!(crate::error::exit_code(&err), 2);
        assert!(err.to_string().contains("members"), "{err}");
    }
}
