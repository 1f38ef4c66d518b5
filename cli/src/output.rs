//! Human output: tables and lines, in the chosen language. Every function returns the text
//! (so it can be tested); the commands print it. Machine output (`--json`) is [`json`].

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, ContentArrangement, Table};
use crdt_model::Lang;
use crdt_model::area::{AreaSummary, Conflict, HouseholdListItem, HouseholdView, Member, Status};
use crdt_model::eval::CriterionStatus;
use crdt_model::profile::Profile;
use crdt_model::value::{Answer, Value};
use kdc_api::types::PeerInfo;
use serde::Serialize;

use crate::i18n;
use crdt_model::text;
use kdc_text::t;

/// One JSON document on one line (as the daemon answers), with a trailing newline.
pub fn json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<String> {
    let mut text = serde_json::to_string(value)?;
    text.push('\n');
    Ok(text)
}

pub fn table(header: Vec<&str>) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic).set_header(header);
    t
}

pub fn right_align(t: &mut Table, columns: &[usize]) {
    for &i in columns {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
}

// ---- numbers --------------------------------------------------------------------------------

// ---- id and areas ---------------------------------------------------------------------------

pub fn id(lang: Lang, peer_id: &str, name: &str, listen: &[String]) -> String {
    let mut out = format!(
        "{}\n{}\n{}\n",
        i18n::peer_id_line(lang, peer_id),
        i18n::device_name_line(lang, name),
        i18n::listen_header(lang)
    );
    if listen.is_empty() {
        out.push_str(&format!("  {}\n", i18n::none_yet(lang)));
    }
    for addr in listen {
        out.push_str(&format!("  {addr}\n"));
    }
    out
}

pub fn area_list(lang: Lang, areas: &[AreaSummary]) -> String {
    if areas.is_empty() {
        return format!("{}\n", i18n::no_areas(lang));
    }
    let mut t =
        table(vec![i18n::col_area(lang), i18n::col_name(lang), i18n::col_ward(lang), i18n::col_households(lang)]);
    for a in areas {
        t.add_row(vec![a.id.clone(), a.name.clone(), a.ward.clone(), a.households.to_string()]);
    }
    right_align(&mut t, &[3]);
    format!("{t}\n")
}

// ---- status ---------------------------------------------------------------------------------

/// The label of a criterion in `lang`, falling back to its id.
/// A criterion id by its label in `profile` (the id itself when the profile does not know it).
fn criterion_name(lang: Lang, profile: &Profile, id: &str) -> String {
    profile.criterion(id).map(|c| c.label.get(lang)).filter(|l| !l.is_empty()).unwrap_or(id).to_string()
}

/// A criterion by its profile label in `lang` (its id when the profile has none).
pub(crate) fn criterion_label(lang: Lang, c: &CriterionStatus) -> String {
    let label = c.label.get(lang);
    if label.is_empty() { c.id.clone() } else { label.to_string() }
}

/// One row of the status table: label, n/d, percent, threshold, met, unknown.
pub fn criterion_row(lang: Lang, c: &CriterionStatus) -> Vec<String> {
    let mut label = criterion_label(lang, c);
    if !c.required {
        label = format!("{label} ({})", i18n::encouraged(lang));
    }
    let na = i18n::not_applicable(lang).to_string();
    let (pct, verdict) = if c.no_data {
        (na.clone(), i18n::no_data(lang).to_string())
    } else if c.applicable {
        let verdict = if c.met { i18n::met(lang) } else { i18n::not_met(lang) };
        (text::percent(lang, c.numerator, c.denominator).unwrap_or_else(|| na.clone()), verdict.to_string())
    } else {
        (na.clone(), na)
    };
    vec![
        label,
        format!("{}/{}", kdc_text::integer(lang, c.numerator as f64), kdc_text::integer(lang, c.denominator as f64)),
        pct,
        text::op_threshold(lang, &c.op, c.threshold),
        verdict,
        c.unknown.to_string(),
    ]
}

/// The last characters of a peer id, enough to tell devices apart in a table.
fn short_peer(peer: &str) -> &str {
    &peer[peer.len().saturating_sub(8)..]
}

pub fn status(lang: Lang, s: &Status) -> String {
    let mut out = String::new();
    out.push_str(&i18n::status_header(&s.name, &s.area));
    out.push('\n');
    out.push_str(&i18n::ward_line(lang, &s.ward));
    out.push('\n');
    out.push_str(&i18n::profile_line(lang, &s.profile));
    out.push('\n');
    out.push_str(&i18n::households_line(lang, s.households));
    out.push('\n');
    if let Some(line) = kdc_ward::report::declined_line(lang, s.declined, s.households) {
        out.push_str(&line);
        out.push('\n');
    }
    let mut t = table(vec![
        i18n::col_criterion(lang),
        i18n::col_result(lang),
        i18n::col_percent(lang),
        i18n::col_threshold(lang),
        i18n::col_met(lang),
        i18n::col_unknown(lang),
    ]);
    for c in &s.criteria {
        t.add_row(criterion_row(lang, c));
    }
    right_align(&mut t, &[1, 2, 5]);
    out.push_str(&format!("{t}\n"));
    out.push_str(&i18n::required_met_line(lang, s.required_met, s.required_total));
    let no_data = s.criteria.iter().filter(|c| c.required && c.no_data).count();
    if no_data > 0 {
        out.push_str(&i18n::no_data_line(lang, no_data));
    }
    out.push('\n');
    out.push_str(&i18n::certified_line(lang, s.certified));
    out.push('\n');
    if s.incomplete > 0 {
        out.push_str(&i18n::incomplete_line(lang, s.incomplete));
        out.push('\n');
    }
    if !s.members_sync.is_empty() {
        out.push('\n');
        let mut t = table(vec![i18n::col_member(lang), i18n::col_last_sync(lang)]);
        for m in &s.members_sync {
            let name =
                if m.name.is_empty() { m.peer_id.clone() } else { format!("{} ({})", m.name, short_peer(&m.peer_id)) };
            t.add_row(vec![name, m.last_sync.clone().unwrap_or_else(|| i18n::never_synced(lang).to_string())]);
        }
        out.push_str(&format!("{t}\n"));
    }
    // Per residential group, only when the area is divided into more than one.
    if s.groups.len() > 1 {
        out.push('\n');
        out.push_str(i18n::groups_header(lang));
        out.push('\n');
        let mut t = table(vec![
            i18n::col_group(lang),
            i18n::col_households(lang),
            i18n::col_required_met(lang),
            i18n::col_incomplete(lang),
        ]);
        for g in &s.groups {
            let name = if g.group.is_empty() { i18n::no_group(lang).to_string() } else { g.group.clone() };
            let e = &g.evaluation;
            t.add_row(vec![
                name,
                e.households.to_string(),
                format!("{}/{}", e.required_met, e.required_total),
                e.incomplete.to_string(),
            ]);
        }
        right_align(&mut t, &[1, 2, 3]);
        out.push_str(&format!("{t}\n"));
    }
    out
}

// ---- households -----------------------------------------------------------------------------

/// The door-to-door worklist (with `--missing`) or the household list.
pub fn household_list(lang: Lang, items: &[HouseholdListItem], missing_filter: Option<&str>) -> String {
    if items.is_empty() {
        return format!("{}\n", i18n::no_households(lang));
    }
    let mut header = vec![i18n::col_group(lang), i18n::col_house(lang), i18n::col_address(lang)];
    if missing_filter.is_none() {
        header.push(i18n::col_missing(lang));
    }
    let mut t = table(header);
    // The control API does not serve an area's profile: criteria are named by the default
    // profile's labels, and by id when it does not know them.
    let profile = Profile::default_v1();
    // Door to door: group by group (those without one last), house codes in order within.
    let mut sorted: Vec<&HouseholdListItem> = items.iter().collect();
    sorted.sort_by(|a, b| {
        (a.group.is_none().cmp(&b.group.is_none()))
            .then_with(|| text::natural_cmp(a.group.as_deref().unwrap_or(""), b.group.as_deref().unwrap_or("")))
            .then_with(|| text::natural_cmp(&a.id, &b.id))
    });
    for h in sorted {
        let mut code = h.id.clone();
        if h.archived {
            code = format!("{code} ({})", i18n::archived_mark(lang));
        }
        if h.consent == "refused" || h.consent == "withdrawn" {
            let mark = t!(lang, "cli-declined-do-not-ask-again");
            code = format!("{code} ({mark})");
        }
        let mut row = vec![h.group.clone().unwrap_or_default(), code, h.address.clone().unwrap_or_default()];
        if missing_filter.is_none() {
            row.push(h.missing.iter().map(|id| criterion_name(lang, &profile, id)).collect::<Vec<_>>().join(", "));
        }
        t.add_row(row);
    }
    let mut out = match missing_filter {
        Some(c) => format!("{}\n", i18n::worklist_header(lang, items.len(), c)),
        None => format!("{}\n", i18n::households_count(lang, items.len())),
    };
    out.push_str(&format!("{t}\n"));
    out
}

fn answer_text(lang: Lang, a: Answer) -> &'static str {
    match a {
        Answer::Yes => i18n::yes(lang),
        Answer::No => i18n::no(lang),
        Answer::Unknown => i18n::unknown_answer(lang),
    }
}

fn value_text(lang: Lang, v: &Value) -> String {
    match v {
        Value::Count(n) => n.to_string(),
        Value::Answer(a) => answer_text(lang, *a).to_string(),
    }
}

/// `household show`. Labels come from `profile` (the default profile when the area's own is
/// not known to the CLI); fields and criteria the profile does not name are shown by id.
pub fn household(lang: Lang, h: &HouseholdView, profile: &Profile) -> String {
    let mut out = format!("{}\n", i18n::household_header(lang, &h.id, &h.area));
    if let Some(g) = &h.group {
        out.push_str(&format!("{}\n", i18n::group_line(lang, g)));
    }
    if let Some(a) = &h.address {
        out.push_str(&format!("{}\n", i18n::address_line(lang, a)));
    }
    if h.archived {
        out.push_str(&format!("{}\n", i18n::archived_line(lang)));
    }
    out.push_str(&format!("{}\n", i18n::consent_line(lang, &h.consent)));
    let is_business =
        profile.business_field().and_then(|b| h.fields.get(b)).is_some_and(|v| v.answer() == Some(Answer::Yes));

    let mut t = table(vec![i18n::col_field(lang), i18n::col_value(lang)]);
    for f in profile.fields() {
        let value = match h.fields.get(&f.id) {
            Some(v) => value_text(lang, v),
            None if f.business_only && !is_business => continue,
            None => i18n::not_recorded(lang).to_string(),
        };
        let label = f.label.get(lang);
        let label = if label.is_empty() { f.id.clone() } else { format!("{label} ({})", f.id) };
        t.add_row(vec![label, value]);
    }
    for (id, v) in h.fields.iter().filter(|(id, _)| profile.field(id).is_none()) {
        t.add_row(vec![id.clone(), value_text(lang, v)]);
    }
    right_align(&mut t, &[1]);
    out.push_str(&format!("{t}\n"));

    let mut t = table(vec![i18n::col_criterion(lang), i18n::col_met(lang)]);
    let mut row = |id: &str, label: Option<&str>, meets: Option<bool>| {
        let label = label.filter(|l| !l.is_empty()).map_or_else(|| id.to_string(), str::to_string);
        let verdict = match meets {
            Some(true) => i18n::met(lang),
            Some(false) => i18n::not_met(lang),
            None => i18n::not_applicable(lang),
        };
        t.add_row(vec![label, verdict.to_string()]);
    };
    for c in profile.criteria() {
        if let Some(meets) = h.criteria.get(&c.id) {
            row(&c.id, Some(c.label.get(lang)), *meets);
        }
    }
    for (id, meets) in h.criteria.iter().filter(|(id, _)| profile.criterion(id).is_none()) {
        row(id, None, *meets);
    }
    out.push_str(&format!("{t}\n"));

    if let Some(at) = &h.updated_at {
        let by = match (&h.updated_by_name, &h.updated_by) {
            (Some(name), Some(peer)) if !name.is_empty() => format!("{name} ({peer})"),
            (_, Some(peer)) => peer.clone(),
            (Some(name), None) => name.clone(),
            (None, None) => "?".into(),
        };
        out.push_str(&format!("{}\n", i18n::updated_line(lang, &kdc_text::when(at), &by)));
    }
    out
}

// ---- members and conflicts ------------------------------------------------------------------

pub fn members(lang: Lang, members: &[Member]) -> String {
    if members.is_empty() {
        return format!("{}\n", i18n::no_members(lang));
    }
    let mut t = table(vec![
        i18n::col_name(lang),
        i18n::col_role(lang),
        i18n::col_peer_id(lang),
        i18n::col_added(lang),
        i18n::col_state(lang),
    ]);
    for m in members {
        let state = if m.removed { i18n::removed(lang) } else { i18n::active(lang) };
        t.add_row(vec![
            m.name.clone(),
            i18n::role(lang, &m.role),
            m.peer_id.clone(),
            m.added_at.as_deref().map(kdc_text::when).unwrap_or_default(),
            state.to_string(),
        ]);
    }
    format!("{t}\n")
}

pub fn relays(lang: Lang, relays: &[kdc_api::types::RelayInfo]) -> String {
    if relays.is_empty() {
        return format!("{}\n", i18n::no_relays(lang));
    }
    let mut t = table(vec![i18n::col_relay(lang), i18n::col_state(lang)]);
    for r in relays {
        let mut state = i18n::relay_state(lang, r.reachable, r.reserved).to_string();
        if let Some(e) = &r.error {
            state = format!("{state} ({e})");
        }
        t.add_row(vec![r.addr.clone(), state]);
    }
    format!("{t}\n")
}

pub fn conflicts(lang: Lang, conflicts: &[Conflict]) -> String {
    if conflicts.is_empty() {
        return format!("{}\n", i18n::no_conflicts(lang));
    }
    let mut t =
        table(vec![i18n::col_house(lang), i18n::col_field(lang), i18n::col_winner(lang), i18n::col_values(lang)]);
    for c in conflicts {
        let values: Vec<String> = c
            .values
            .iter()
            .map(|v| match &v.name {
                Some(name) if !name.is_empty() => format!("{} — {name} ({})", v.value, v.peer_id),
                _ => format!("{} — {}", v.value, v.peer_id),
            })
            .collect();
        let mut winner = c.winner.clone();
        if let Some(why) = &c.invalid {
            let note = t!(lang, "cli-invalid-counts-as-unknown");
            winner = format!("{winner}\n({note}: {why})");
        }
        t.add_row(vec![c.household.clone(), c.field.clone(), winner, values.join("\n")]);
    }
    format!("{t}\n{}\n", i18n::conflicts_hint(lang))
}

// ---- invites and peers ----------------------------------------------------------------------

/// `kdc invite` on a terminal: what the token is for, the token, its QR code and how to use it.
pub fn invite(lang: Lang, area: &str, token: &str, expires_at: &str, with_qr: bool) -> String {
    let mut out = format!("{}\n{token}\n", i18n::invite_header(lang, area, expires_at));
    if with_qr && let Some(code) = qr(token) {
        out.push('\n');
        out.push_str(&code);
        out.push('\n');
    }
    out.push_str(i18n::invite_hint(lang));
    out.push('\n');
    out
}

/// A QR code of `text` in Unicode half blocks, two modules per character cell, with the quiet
/// zone. Drawn light-on-dark: terminals are mostly dark, and phone scanners need the code's
/// dark modules to be the darker ones, so the light modules are the printed blocks. `None`
/// when the text does not fit in a QR code.
pub fn qr(text: &str) -> Option<String> {
    use qrcode::render::unicode::Dense1x2;
    use qrcode::{EcLevel, QrCode};
    // Low error correction: a screen is clean, and a smaller code is easier to scan.
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::L).ok()?;
    Some(code.render::<Dense1x2>().dark_color(Dense1x2::Light).light_color(Dense1x2::Dark).quiet_zone(true).build())
}

/// `kdc doctor`: this device, then each member, then the advice.
pub fn doctor(lang: Lang, d: &kdc_api::types::Doctor) -> String {
    let yes_no = |b: bool| if b { i18n::yes(lang) } else { i18n::no(lang) }.to_string();
    let mut out = String::new();
    out.push_str(&format!("{}: {}\n", t!(lang, "cli-this-device").to_string(), d.peer_id));
    let listen = if d.listen.is_empty() { t!(lang, "cli-none").to_string() } else { d.listen.join(", ") };
    out.push_str(&format!("{}: {listen}\n", t!(lang, "cli-listening-on").to_string()));
    out.push_str(&format!(
        "mDNS: {} · {}: {}\n",
        if d.mdns { t!(lang, "cli-on").to_string() } else { t!(lang, "cli-off").to_string() },
        t!(lang, "cli-devices-seen-by-mdns").to_string(),
        d.mdns_peers_seen
    ));
    out.push_str(&format!("{}: {}\n", t!(lang, "cli-this-device-s-clock").to_string(), d.now));
    let outside = match d.outside.as_str() {
        "public" => t!(lang, "cli-a-public-address").to_string(),
        "relay" => t!(lang, "cli-via-relay").to_string(),
        _ => t!(lang, "cli-no").to_string(),
    };
    out.push_str(&format!("{}: {outside}\n", t!(lang, "cli-reachable-from-other-networks").to_string()));
    for r in &d.relays {
        out.push_str(&format!(
            "{} ({}): {} — {}\n",
            i18n::col_relay(lang),
            r.area,
            r.relay.addr,
            i18n::relay_state(lang, r.relay.reachable, r.relay.reserved)
        ));
    }
    out.push('\n');
    let others: Vec<_> = d.members.iter().filter(|m| !m.this_device).collect();
    if !others.is_empty() {
        let (area_col, reach_col) = (t!(lang, "cli-col-area").to_string(), t!(lang, "cli-reachable").to_string());
        let mut tbl = table(vec![
            &area_col,
            i18n::col_name(lang),
            i18n::col_peer_id(lang),
            i18n::col_connected(lang),
            i18n::col_last_seen(lang),
            &reach_col,
        ]);
        for m in others {
            let reach = match m.reachable {
                None => t!(lang, "cli-no-address-known").to_string(),
                Some(b) => yes_no(b),
            };
            let name =
                if m.removed { format!("{} ({})", m.name, i18n::removed(lang).to_string()) } else { m.name.clone() };
            let mut connected = yes_no(m.connected);
            if m.connected && m.via.as_deref() == Some("relay") {
                connected = format!("{connected} ({})", i18n::via_relay(lang));
            }
            tbl.add_row(vec![
                m.area.clone(),
                name,
                m.peer_id.clone(),
                connected,
                m.last_seen.as_deref().map_or_else(|| i18n::not_applicable(lang).to_string(), kdc_text::when),
                reach,
            ]);
        }
        out.push_str(&format!("{tbl}\n\n"));
    }
    out.push_str(&t!(lang, "cli-advice").to_string());
    out.push('\n');
    for a in &d.advice {
        out.push_str(&format!("- {}\n", if lang == Lang::Vi { &a.vi } else { &a.en }));
    }
    out
}

/// `kdc peers`: connected peers first, then by name.
pub fn peers(lang: Lang, peers: &[PeerInfo]) -> String {
    if peers.is_empty() {
        return format!("{}\n", i18n::no_peers(lang));
    }
    let mut sorted: Vec<&PeerInfo> = peers.iter().collect();
    sorted.sort_by(|a, b| (!a.connected, &a.name, &a.peer_id).cmp(&(!b.connected, &b.name, &b.peer_id)));
    let mut t = table(vec![
        i18n::col_name(lang),
        i18n::col_peer_id(lang),
        i18n::col_connected(lang),
        i18n::col_version(lang),
        i18n::col_last_seen(lang),
        i18n::col_in_sync(lang),
        i18n::col_addresses(lang),
    ]);
    for p in sorted {
        let mut connected = if p.connected { i18n::yes(lang) } else { i18n::no(lang) }.to_string();
        if p.connected && p.via.as_deref() == Some("relay") {
            connected = format!("{connected} ({})", i18n::via_relay(lang));
        }
        t.add_row(vec![
            p.name.clone().unwrap_or_default(),
            p.peer_id.clone(),
            connected,
            p.version.clone().unwrap_or_else(|| i18n::not_applicable(lang).to_string()),
            p.last_seen.as_deref().map_or_else(|| i18n::not_applicable(lang).to_string(), kdc_text::when),
            p.areas_in_sync.join(", "),
            p.addrs.join("\n"),
        ]);
    }
    let mut out = format!("{t}\n");
    for p in peers {
        let Some(r) = &p.last_refusal else { continue };
        let who = p.name.as_deref().unwrap_or(&p.peer_id);
        let line = t!(
            lang,
            "cli-refusal",
            by = r.by.as_str(),
            who = who,
            area = r.area.as_str(),
            at = kdc_text::when(&r.at),
            reason = r.reason.as_str()
        );
        out.push_str(&line);
        out.push('\n');
    }
    out
}

// ---- snapshot verify ------------------------------------------------------------------------

/// `kdc snapshot verify --json`.
#[derive(Debug, Serialize)]
pub struct Verified {
    pub file: String,
    pub valid: bool,
    pub format_version: u16,
    pub checksum: String,
    pub checksum_ok: bool,
    pub areas: Vec<VerifiedArea>,
}

pub use kdc_ward::ward::VerifiedArea;

pub fn verified(lang: Lang, v: &Verified) -> String {
    let mut out = format!(
        "{}\n{}\n{}\n",
        i18n::verify_ok(lang, std::path::Path::new(&v.file)),
        i18n::format_version_line(lang, v.format_version),
        i18n::checksum_line(lang, &v.checksum)
    );
    let mut t = table(vec![
        i18n::col_area(lang),
        i18n::col_name(lang),
        i18n::col_ward(lang),
        i18n::col_profile(lang),
        i18n::col_households(lang),
        i18n::col_archived(lang),
        i18n::col_members(lang),
        i18n::col_last_change(lang),
    ]);
    for a in &v.areas {
        t.add_row(vec![
            a.id.clone(),
            a.name.clone(),
            a.ward.clone(),
            a.profile.clone(),
            a.households.to_string(),
            a.archived.to_string(),
            a.members.to_string(),
            a.last_change.clone().unwrap_or_else(|| i18n::not_applicable(lang).to_string()),
        ]);
    }
    right_align(&mut t, &[4, 5, 6]);
    out.push_str(&format!("{t}\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crdt_model::profile::{Labels, Level};

    fn crit(id: &str, n: u64, d: u64, op: &str, threshold: f64, met: bool, required: bool) -> CriterionStatus {
        CriterionStatus {
            id: id.into(),
            level: Level::Person,
            required,
            numerator: n,
            denominator: d,
            ratio: (d > 0).then(|| n as f64 / d as f64),
            op: op.into(),
            threshold,
            met,
            applicable: d > 0,
            unknown: 3,
            needed: None,
            no_data: false,
            label: Labels {
                vi: "Tài khoản định danh điện tử".into(), en: "Electronic citizen account".into()
            },
        }
    }

    #[test]
    fn the_status_row_speaks_the_language_of_the_table() {
        let c = crit("e_citizen", 8, 9, ">", 0.9, false, true);
        let vi = criterion_row(Lang::Vi, &c);
        assert_eq!((vi[2].as_str(), vi[3].as_str()), ("88,89%", "> 90%"));
        let en = criterion_row(Lang::En, &c);
        assert_eq!((en[2].as_str(), en[3].as_str()), ("88.89%", "> 90%"));
    }

    #[test]
    fn required_line_in_both_languages() {
        assert_eq!(i18n::required_met_line(Lang::Vi, 7, 8), "Đạt 7/8 tiêu chí bắt buộc");
        assert_eq!(i18n::required_met_line(Lang::En, 7, 8), "7 of 8 required criteria met");
    }

    #[test]
    fn criterion_rows() {
        let row = criterion_row(Lang::Vi, &crit("e_citizen", 275, 310, ">", 0.9, false, true));
        assert_eq!(row, ["Tài khoản định danh điện tử", "275/310", "88,71%", "> 90%", "Chưa đạt", "3"]);
        let row = criterion_row(Lang::En, &crit("e_citizen", 91, 100, ">", 0.9, true, true));
        assert_eq!(row, ["Electronic citizen account", "91/100", "91.00%", "> 90%", "met", "3"]);
        let row = criterion_row(Lang::En, &crit("qr_payment", 0, 0, ">=", 1.0, true, false));
        assert_eq!(row, ["Electronic citizen account (encouraged)", "0/0", "n/a", "≥ 100%", "n/a", "3"]);
        let row = criterion_row(Lang::Vi, &crit("qr_payment", 0, 0, ">=", 1.0, true, true));
        assert_eq!(row[2..5], ["—", "≥ 100%", "—"]);
    }

    #[test]
    fn status_text_has_summary_lines() {
        let s = Status {
            area: "tam-giac-3".into(),
            name: "Tam Giác 3".into(),
            ward: "Phường 7".into(),
            profile: "kdc-so-v1".into(),
            evaluation: crdt_model::eval::Evaluation {
                households: 120,
                declined: 3,
                certified: false,
                incomplete: 2,
                required_met: 7,
                required_total: 8,
                criteria: vec![crit("e_citizen", 275, 310, ">", 0.9, false, true)],
            },
            groups: vec![],
            members_sync: vec![],
        };
        let vi = status(Lang::Vi, &s);
        assert!(vi.starts_with("Tam Giác 3 (tam-giac-3)\nPhường/xã: Phường 7\n"), "{vi}");
        assert!(vi.contains("Đạt 7/8 tiêu chí bắt buộc"), "{vi}");
        assert!(vi.contains("3 hộ từ chối khảo sát (2,44%)"), "{vi}");
        assert!(vi.contains("88,71%") && vi.contains("Chưa đạt"), "{vi}");
        assert!(vi.contains("Còn 2 hộ chưa ghi"), "{vi}");
        let mut s = s;
        s.incomplete = 0;
        s.certified = true;
        s.required_met = 8;
        let en = status(Lang::En, &s);
        assert!(en.contains("8 of 8 required criteria met"), "{en}");
        assert!(en.contains("Certified as a digital residential area: yes"), "{en}");
        assert!(!en.contains("members_14plus"), "{en}");
    }

    #[test]
    fn worklist_columns() {
        let items = vec![HouseholdListItem {
            id: "T3-045".into(),
            group: Some("Tổ 3".into()),
            address: Some("12 Lê Lợi".into()),
            archived: false,
            missing: vec!["internet".into(), "e_citizen".into()],
            consent: "given".into(),
            gaps: vec![],
        }];
        let filtered = household_list(Lang::En, &items, Some("internet"));
        assert!(filtered.starts_with("1 household does not meet internet yet"), "{filtered}");
        assert!(filtered.contains("T3-045") && filtered.contains("12 Lê Lợi"), "{filtered}");
        assert!(!filtered.contains("e_citizen"), "{filtered}");
        let all = household_list(Lang::En, &items, None);
        assert!(all.contains("Households using the internet, Residents with an electronic citizen account"), "{all}");
        let vi = household_list(Lang::Vi, &items, None);
        assert!(vi.contains("Người dân có tài khoản định danh điện tử") && !vi.contains("e_citizen"), "{vi}");
        assert_eq!(household_list(Lang::Vi, &[], None), "Không có hộ nào.\n");
    }

    #[test]
    fn worklist_is_ordered_by_group() {
        let item = |id: &str, group: Option<&str>| HouseholdListItem {
            id: id.into(),
            group: group.map(str::to_string),
            address: None,
            archived: false,
            missing: vec![],
            consent: "none".into(),
            gaps: vec![],
        };
        let items =
            vec![item("A-9", Some("Tổ 2")), item("B-1", None), item("C-3", Some("Tổ 1")), item("A-1", Some("Tổ 2"))];
        let text = household_list(Lang::En, &items, None);
        let pos = |s: &str| text.find(s).unwrap_or_else(|| panic!("{s} missing in {text}"));
        assert!(pos("C-3") < pos("A-1") && pos("A-1") < pos("A-9") && pos("A-9") < pos("B-1"), "{text}");
    }

    #[test]
    fn invite_text_and_qr_code() {
        let token = format!("kdc1-{}", "A".repeat(260));
        let text = invite(Lang::En, "tam-giac-3", &token, "2026-11-24T14:05:09Z", true);
        assert!(text.starts_with("Invitation to area tam-giac-3 (one use, expires 2026-11-24T14:05:09Z):\n"), "{text}");
        assert!(text.contains(&format!("\n{token}\n")), "{text}");
        assert!(text.contains('\u{2588}') || text.contains('\u{2580}'), "the QR code is drawn: {text}");
        assert!(text.trim_end().ends_with("kdc join TOKEN"), "{text}");
        let plain = invite(Lang::Vi, "a", "kdc1-x", "t", false);
        assert!(!plain.contains('\u{2588}'), "{plain}");
        assert!(plain.contains("kdc join"), "{plain}");
        // Square: every line of the code is equally wide (in characters).
        let code = qr(&token).expect("fits");
        let widths: Vec<usize> = code.lines().map(|l| l.chars().count()).collect();
        assert!(widths.windows(2).all(|w| w[0] == w[1]), "{widths:?}");
        assert!(qr(&"x".repeat(8000)).is_none(), "too long for any QR code");
    }

    #[test]
    fn peer_table() {
        let p = |id: &str, name: Option<&str>, connected: bool| PeerInfo {
            peer_id: id.into(),
            name: name.map(str::to_string),
            addrs: vec!["/ip4/192.168.1.5/tcp/4001".into()],
            connected,
            last_seen: Some("2026-11-23T14:05:09Z".into()),
            areas_in_sync: vec!["tam-giac-3".into()],
            last_refusal: None,
            mdns_seen: None,
            bytes_sent: 0,
            bytes_received: 0,
            via: connected.then(|| "relay".into()),
            hole_punch: None,
            version: connected.then(|| "0.1.0".into()),
        };
        let text = peers(Lang::En, &[p("12D3KooB", None, false), p("12D3KooA", Some("Lan"), true)]);
        assert!(text.find("12D3KooA") < text.find("12D3KooB"), "connected first: {text}");
        assert!(text.contains("tam-giac-3") && text.contains("/ip4/192.168.1.5/tcp/4001"), "{text}");
        assert!(text.contains("Connected") && text.contains("yes (through a relay)"), "{text}");
        assert!(text.contains("Release") && text.contains("0.1.0"), "{text}");
        assert!(peers(Lang::Vi, &[]).starts_with("Chưa thấy thiết bị nào"));
    }

    #[test]
    fn conflicts_name_every_device() {
        use crdt_model::area::ConflictValue;
        let c = Conflict {
            household: "T3-045".into(),
            field: "members".into(),
            winner: "5".into(),
            values: vec![
                ConflictValue { value: "4".into(), peer_id: "12D3KooA".into(), name: Some("máy A".into()) },
                ConflictValue { value: "5".into(), peer_id: "12D3KooB".into(), name: None },
            ],
            invalid: None,
        };
        let text = conflicts(Lang::Vi, &[c]);
        assert!(text.contains("4 — máy A (12D3KooA)"), "{text}");
        assert!(text.contains("5 — 12D3KooB"), "{text}");
        assert!(text.contains("Giá trị đang dùng"), "{text}");
        assert_eq!(conflicts(Lang::En, &[]), "No conflicts.\n");
    }
}
