//! `kdc history`: the area's compliance day by day, and one household's changes, as a table,
//! JSON or CSV. Pure: values from [`crdt_model::history`] in, text or bytes out.

use chrono::{DateTime, Local, NaiveDate};
use crdt_model::Lang;
use crdt_model::history::{DayStatus, FieldChange};
use serde::Serialize;

use crate::i18n;
use crate::output::{criterion_label, right_align, table};
use crate::report::BOM;

/// `kdc history AREA --json`.
#[derive(Debug, Serialize)]
pub struct AreaHistory {
    pub area: String,
    pub name: String,
    pub profile: String,
    pub days: Vec<DayStatus>,
}

/// `kdc history AREA --household HH --json`.
#[derive(Debug, Serialize)]
pub struct HouseholdHistory {
    pub area: String,
    pub household: String,
    pub changes: Vec<FieldChange>,
}

fn day_text(lang: Lang, iso: &str) -> String {
    NaiveDate::parse_from_str(iso, "%Y-%m-%d").map(|d| i18n::date(lang, d)).unwrap_or_else(|_| iso.to_string())
}

/// An RFC 3339 time in the user's time zone: `15/08/2026 14:05` or `2026-08-15 14:05`.
fn time_text(lang: Lang, rfc3339: &str) -> String {
    let format = match lang {
        Lang::Vi => "%d/%m/%Y %H:%M",
        Lang::En => "%Y-%m-%d %H:%M",
    };
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&Local).format(format).to_string())
        .unwrap_or_else(|_| rfc3339.to_string())
}

/// One line per day: date, changes, households, required criteria met, certified, and the
/// required criteria still not met.
pub fn days_table(lang: Lang, h: &AreaHistory) -> String {
    let mut out = format!("{}\n", i18n::history_header(lang, &h.name, &h.area));
    if h.days.is_empty() {
        out.push_str(i18n::no_history(lang));
        out.push('\n');
        return out;
    }
    let mut t = table(vec![
        i18n::col_date(lang),
        i18n::col_changes(lang),
        i18n::col_households(lang),
        i18n::col_required_met(lang),
        i18n::col_certified(lang),
        i18n::col_not_met(lang),
    ]);
    for d in &h.days {
        let e = &d.evaluation;
        let not_met: Vec<String> =
            e.criteria.iter().filter(|c| c.required && !c.met).map(|c| criterion_label(lang, c)).collect();
        t.add_row(vec![
            day_text(lang, &d.date),
            d.changes.to_string(),
            e.households.to_string(),
            format!("{}/{}", e.required_met, e.required_total),
            if e.certified { i18n::yes(lang) } else { i18n::no(lang) }.to_string(),
            not_met.join(", "),
        ]);
    }
    right_align(&mut t, &[1, 2, 3]);
    out.push_str(&format!("{t}\n"));
    out
}

/// One row per day; per criterion its numerator, denominator and whether it is met. UTF-8 with
/// a BOM (Excel), ISO dates (Excel reads them as dates in any locale).
pub fn days_csv(h: &AreaHistory) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(BOM.to_vec());
    let mut header: Vec<String> =
        ["date", "changes", "households", "incomplete", "required_met", "required_total", "certified"]
            .map(String::from)
            .to_vec();
    // Every day of one area has the same criteria (the profile is part of the document); take
    // the columns from the last day, which has the newest profile.
    let ids: Vec<String> =
        h.days.last().map(|d| d.evaluation.criteria.iter().map(|c| c.id.clone()).collect()).unwrap_or_default();
    for id in &ids {
        header.extend([format!("{id}_numerator"), format!("{id}_denominator"), format!("{id}_met")]);
    }
    w.write_record(&header)?;
    for d in &h.days {
        let e = &d.evaluation;
        let mut row = vec![
            d.date.clone(),
            d.changes.to_string(),
            e.households.to_string(),
            e.incomplete.to_string(),
            e.required_met.to_string(),
            e.required_total.to_string(),
            e.certified.to_string(),
        ];
        for id in &ids {
            match e.criteria.iter().find(|c| &c.id == id) {
                Some(c) => row.extend([c.numerator.to_string(), c.denominator.to_string(), c.met.to_string()]),
                None => row.extend([String::new(), String::new(), String::new()]),
            }
        }
        w.write_record(&row)?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{}", e.error()))
}

fn value_text(lang: Lang, v: &str) -> String {
    match v {
        "yes" => i18n::yes(lang).to_string(),
        "no" => i18n::no(lang).to_string(),
        "unknown" => i18n::unknown_answer(lang).to_string(),
        other => other.to_string(),
    }
}

/// The last 8 characters of a device id, for a narrow column. Characters, not bytes: an actor
/// written by another Automerge implementation need not be ASCII (or a peer id at all).
fn short_id(id: &str) -> String {
    let n = id.chars().count();
    id.chars().skip(n.saturating_sub(8)).collect()
}

/// Every change of one household: when, which device (and member name), field, old → new.
pub fn household_table(lang: Lang, h: &HouseholdHistory) -> String {
    let mut out = format!("{}\n", i18n::household_history_header(lang, &h.household, &h.area));
    let mut t =
        table(vec![i18n::col_time(lang), i18n::col_device(lang), i18n::col_field(lang), i18n::col_change(lang)]);
    for c in &h.changes {
        let short = short_id(&c.peer_id);
        let device = match &c.name {
            Some(name) if !name.is_empty() => format!("{name} ({short})"),
            _ => c.peer_id.clone(),
        };
        let old = c.old.as_deref().map(|o| value_text(lang, o)).unwrap_or_else(|| "—".into());
        t.add_row(vec![
            time_text(lang, &c.at),
            device,
            c.field.clone(),
            format!("{old} → {}", value_text(lang, &c.new)),
        ]);
    }
    out.push_str(&format!("{t}\n"));
    out
}

pub fn household_csv(h: &HouseholdHistory) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(BOM.to_vec());
    w.write_record(["at", "peer_id", "name", "field", "old", "new"])?;
    for c in &h.changes {
        w.write_record([
            c.at.as_str(),
            c.peer_id.as_str(),
            c.name.as_deref().unwrap_or_default(),
            c.field.as_str(),
            c.old.as_deref().unwrap_or_default(),
            c.new.as_str(),
        ])?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{}", e.error()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_ids_cut_on_characters() {
        assert_eq!(super::short_id("12D3KooWABCDEFGH12345678"), "12345678");
        assert_eq!(super::short_id("ab"), "ab");
        // A foreign actor decoded lossily holds multi-byte characters: no panic, 8 characters.
        assert_eq!(
            super::short_id("\u{fffd}\u{fffd}\u{fffd}xyz\u{fffd}\u{fffd}\u{fffd}\u{fffd}\u{fffd}"),
            "xyz\u{fffd}\u{fffd}\u{fffd}\u{fffd}\u{fffd}"
        );
    }
}
