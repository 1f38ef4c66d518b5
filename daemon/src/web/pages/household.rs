//! `/a/{area}/h/{hh}`: the household form, generated from the area's profile, with the
//! household's conflicts (one tap settles one), its history, and archiving.
//!
//! The form sends, beside each question, the value it showed (`was:FIELD`); a save writes only
//! the questions the volunteer changed. Writing an unchanged question again would be a new
//! Automerge change that silently settles a concurrent edit a teammate made meanwhile.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use crdt_model::area::{Conflict, HouseholdView};
use crdt_model::consent::{ConsentChange, ConsentGiven, ConsentMethod, ConsentState, ConsentView};
use crdt_model::history::{self, FieldChange};
use crdt_model::profile::ConsentDef;
use crdt_model::profile::{FieldDef, FieldType};
use crdt_model::{HouseholdWrite, Profile, Value};
use maud::{Markup, html};
use serde::Deserialize;

use super::{failed, field_refusal};
use crate::web::i18n::L;
use crate::web::layout::{self, AreaNav, Live, Tab, csrf, field_error};
use crate::web::{Ctx, Form, WebState, error_page, page, page_with, see_other};

#[derive(Debug, Deserialize)]
pub struct FormQuery {
    /// Unix ms of the save just made (redirect after POST).
    saved: Option<i64>,
    /// The household was just created.
    created: Option<u8>,
    /// Show the history (replaying the change log is the one slow read: about 50 ms for a
    /// 3,000-household area, so the form loads it on request).
    history: Option<u8>,
}

/// Everything the form shows, read in one go.
pub struct Household {
    pub name: String,
    pub area_conflicts: usize,
    pub profile: Profile,
    pub view: HouseholdView,
    pub conflicts: Vec<Conflict>,
    /// `None` when not asked for.
    pub history: Option<Vec<FieldChange>>,
    pub groups: Vec<String>,
    /// This device is the area's head (who may erase a household).
    pub head: bool,
}

/// Reads a household and what its form needs.
pub async fn read(ws: &WebState, area: &str, hh: &str) -> Result<Household, crate::node::NodeError> {
    read_with(ws, area, hh, false).await
}

/// [`read`], with the household's history when `history`.
pub async fn read_with(
    ws: &WebState,
    area: &str,
    hh: &str,
    history: bool,
) -> Result<Household, crate::node::NodeError> {
    let hh = hh.to_string();
    crdt_model::ids::validate_household_id(&hh)?;
    let me = ws.app.node.peer_id().to_string();
    ws.app
        .node
        .with_area(area.to_string(), move |a| {
            let view = a.household_view(&hh)?;
            // One pass over the households' keys gives the groups and the conflicts.
            let (status, all) = a.status_and_conflicts();
            let area_conflicts = all.len();
            let conflicts = all.into_iter().filter(|c| c.household == hh).collect();
            let history = if history { Some(history::household_history(a, &hh)?) } else { None };
            let mut groups: Vec<String> =
                status.groups.into_iter().map(|g| g.group).filter(|g| !g.is_empty()).collect();
            groups.sort_by(|x, y| crate::web::i18n::natural_cmp(x, y));
            Ok(Household {
                name: a.name(),
                area_conflicts,
                profile: a.profile().clone(),
                view,
                conflicts,
                history,
                groups,
                head: a.member(&me).is_some_and(|m| m.role == "head" && !m.removed),
            })
        })
        .await
}

/// A stored value as the form shows it.
pub fn shown(v: &Value) -> String {
    match v {
        Value::Count(n) => n.to_string(),
        Value::Answer(a) => a.as_str().to_string(),
    }
}

/// `GET /a/{area}/h/{hh}`.
pub async fn show(
    State(ws): State<WebState>,
    ctx: Ctx,
    Path((area, hh)): Path<(String, String)>,
    Query(q): Query<FormQuery>,
) -> Response {
    match read_with(&ws, &area, &hh, q.history.is_some()).await {
        Ok(h) => {
            let values = stored_values(&h.view);
            page(render(&ctx, &area, &h, &values, &values, None, q.saved, q.created.is_some()))
        }
        Err(e) => failed(&ctx, e),
    }
}

fn stored_values(view: &HouseholdView) -> BTreeMap<String, String> {
    let mut values: BTreeMap<String, String> = view.fields.iter().map(|(k, v)| (k.clone(), shown(v))).collect();
    values.insert("group".into(), view.group.clone().unwrap_or_default());
    values.insert("address".into(), view.address.clone().unwrap_or_default());
    values
}

/// `POST /a/{area}/h/{hh}`: `action=save` (the default), `resolve` (a conflict) or `archive`.
pub async fn submit(
    State(ws): State<WebState>,
    ctx: Ctx,
    Path((area, hh)): Path<(String, String)>,
    form: Form,
) -> Response {
    match form.get("action").unwrap_or("save") {
        "archive" => archive(&ws, &ctx, &area, &hh, &form).await,
        "withdraw" => withdraw(&ws, &ctx, &area, &hh, &form).await,
        "erase" => erase(&ws, &ctx, &area, &hh, &form).await,
        "resolve" => match resolve(&ws, &area, &hh, &form).await {
            Ok(saved) => see_other(&format!("/a/{area}/h/{hh}?saved={saved}")),
            // The chosen value is refused now (e.g. larger than the count it is part of):
            // the form says so next to that question.
            Err(e) => match (field_refusal(e, "fields"), read(&ws, &area, &hh).await) {
                (Ok(refusal), Ok(h)) => {
                    let refusal = localise(ctx.l, &h.profile, &form, refusal);
                    let values = stored_values(&h.view);
                    page_with(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        render(&ctx, &area, &h, &values, &values, Some(refusal), None, false),
                    )
                }
                (Err(e), _) => error_page(ctx.l, e),
                (_, Err(e)) => failed(&ctx, e),
            },
        },
        _ => save(&ws, &ctx, &area, &hh, &form).await,
    }
}

/// Settles one conflict by writing the chosen value (also used by the conflicts screen).
/// Answers the write's time.
pub async fn resolve(ws: &WebState, area: &str, hh: &str, form: &Form) -> Result<i64, crate::api::ApiError> {
    let field = form.get("field").unwrap_or("").to_string();
    let value = form.get("value").unwrap_or("").to_string();
    let mut write = HouseholdWrite { id: hh.to_string(), ..HouseholdWrite::default() };
    match field.as_str() {
        "group" => write.group = Some(value),
        "address" => write.address = Some(value),
        _ => write.fields = vec![(field, value)],
    }
    let view = ws.app.node.set_household(area.to_string(), write).await?;
    Ok(updated_ms(&view))
}

fn updated_ms(view: &HouseholdView) -> i64 {
    view.updated_at
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or_else(crate::node::now_ms, |t| t.timestamp_millis())
}

async fn save(ws: &WebState, ctx: &Ctx, area: &str, hh: &str, form: &Form) -> Response {
    // What the write needs: the profile's fields and the stored household. The form's other
    // parts are read only if it has to be shown again.
    let stored = {
        let hh = hh.to_string();
        ws.app.node.with_area(area.to_string(), move |a| Ok((a.profile().clone(), a.household_view(&hh)?))).await
    };
    let (profile, view) = match stored {
        Ok(s) => s,
        Err(e) => return failed(ctx, e),
    };
    // Only what the volunteer changed: a question whose value differs from the one the form
    // showed. An emptied count cannot delete a recorded value; it is left as it is.
    let submitted = |name: &str| form.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_string());
    let mut write = HouseholdWrite { id: hh.to_string(), ..HouseholdWrite::default() };
    for f in profile.fields() {
        let Some(new) = submitted(&f.id).filter(|v| !v.is_empty()) else { continue };
        let was = submitted(&format!("was:{}", f.id)).unwrap_or_default();
        if new != was {
            write.fields.push((f.id.clone(), new));
        }
    }
    for (name, slot) in [("group", &mut write.group), ("address", &mut write.address)] {
        if let Some(new) = submitted(name)
            && new != submitted(&format!("was:{name}")).unwrap_or_default()
            && !new.is_empty()
        {
            *slot = Some(new);
        }
    }
    let written = match consent_choice(form) {
        ConsentChoice::Refused if view.consent.state != "given" => {
            let change = ConsentChange::decision(ConsentState::Refused);
            ws.app.node.record_consent(area.to_string(), hh.to_string(), change).await
        }
        choice => {
            if let ConsentChoice::Given(c) = choice
                && view.consent.state != "given"
            {
                write.consent = Some(c);
            }
            if write.fields.is_empty() && write.group.is_none() && write.address.is_none() && write.consent.is_none() {
                // Nothing changed: what is shown is what is stored.
                return see_other(&format!("/a/{area}/h/{hh}?saved={}", updated_ms(&view)));
            }
            ws.app.node.set_household(area.to_string(), write).await
        }
    };
    match written {
        Ok(view) => see_other(&format!("/a/{area}/h/{hh}?saved={}", updated_ms(&view))),
        Err(e) => match field_refusal(e.into(), "fields") {
            Ok(refusal) => {
                let current = match read(ws, area, hh).await {
                    Ok(h) => h,
                    Err(e) => return failed(ctx, e),
                };
                let refusal = localise(ctx.l, &current.profile, form, refusal);
                // Show what was typed, with the message next to the field; nothing was stored.
                let mut values = stored_values(&current.view);
                let mut was = values.clone();
                for (k, v) in &form.0 {
                    if let Some(f) = k.strip_prefix("was:") {
                        was.insert(f.to_string(), v.clone());
                    } else if k != "csrf" && k != "action" {
                        values.insert(k.clone(), v.trim().to_string());
                    }
                }
                page_with(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    render(ctx, area, &current, &values, &was, Some(refusal), None, false),
                )
            }
            Err(e) => error_page(ctx.l, e),
        },
    }
}

/// The model's refusal in the page's language ([`kdc_text::refusal::field`]).
fn localise(l: L, profile: &Profile, form: &Form, (field, message): (String, String)) -> (String, String) {
    let text =
        kdc_text::refusal::field(l.0, profile.fields(), &field, &message, &|id| form.get(id).map(str::to_string));
    (field, text)
}

async fn withdraw(ws: &WebState, ctx: &Ctx, area: &str, hh: &str, form: &Form) -> Response {
    if form.get("confirm") != Some("yes") {
        return see_other(&format!("/a/{area}/h/{hh}"));
    }
    let change = ConsentChange::decision(ConsentState::Withdrawn);
    match ws.app.node.record_consent(area.to_string(), hh.to_string(), change).await {
        Ok(view) => see_other(&format!("/a/{area}/h/{hh}?saved={}", updated_ms(&view))),
        Err(e) => failed(ctx, e),
    }
}

/// The resident asked for deletion: the household leaves the area's data and history on every
/// device (a new epoch). The team page then shows which devices have taken it.
async fn erase(ws: &WebState, ctx: &Ctx, area: &str, hh: &str, form: &Form) -> Response {
    if form.get("confirm") != Some("yes") {
        return see_other(&format!("/a/{area}/h/{hh}"));
    }
    match ws.app.node.erase_household(area.to_string(), hh.to_string()).await {
        Ok(_) => see_other(&format!("/a/{area}/team?erased={hh}#erasure")),
        Err(e) => failed(ctx, e),
    }
}

async fn archive(ws: &WebState, ctx: &Ctx, area: &str, hh: &str, form: &Form) -> Response {
    if form.get("confirm") != Some("yes") {
        return see_other(&format!("/a/{area}/h/{hh}"));
    }
    match ws.app.node.archive_household(area.to_string(), hh.to_string()).await {
        Ok(view) => see_other(&format!("/a/{area}/h/{hh}?saved={}", updated_ms(&view))),
        Err(e) => failed(ctx, e),
    }
}

#[allow(clippy::too_many_arguments)]
fn render(
    ctx: &Ctx,
    area: &str,
    h: &Household,
    values: &BTreeMap<String, String>,
    was: &BTreeMap<String, String>,
    error: Option<(String, String)>,
    saved: Option<i64>,
    created: bool,
) -> Markup {
    let l = ctx.l;
    let v = &h.view;
    let business = h.profile.business_field().map(|b| values.get(b).map(String::as_str) == Some("yes"));
    let error = error.as_ref();
    let body = html! {
        div.card.hh-head {
            h1 { (l.m("web-household")) span.code { (v.id) } }
            p.muted {
                @if let Some(g) = &v.group { (g) } @if v.group.is_some() && v.address.is_some() { " · " }
                @if let Some(a) = &v.address { (a) }
            }
            @if v.archived { p.badge.na { "🗄 " (l.m("web-household-archived-moved-away-counts-nowhere")) } }
            p.muted {
                (l.m("web-household-last-changed"))
                @match &v.updated_at { Some(t) => (l.rfc3339(t)), None => "—" }
                @if let Some(by) = v.updated_by_name.as_ref().or(v.updated_by.as_ref()) { " · " (by) }
            }
            @if let Some(ms) = saved {
                p.saved role="status" data-saved-at=(crdt_model::area::rfc3339(ms)) { "✓ " (l.m("web-household-saved-at")) (l.time(ms)) }
            }
            @if created { p.saved role="status" { "✓ " (l.m("web-household-household-added-record-the-answers")) } }
            @if error.is_some() { p.error role="alert" { "⚠ " (l.m("web-household-not-saved-fix-the-marked")) } }
            @if h.profile.consent().is_some() || v.consent.state != "none" { (consent_state(l, &v.consent)) }
        }
        // Replaced by the script when a teammate's change arrives, so a choice settled elsewhere
        // disappears from an open form.
        @if h.conflicts.is_empty() {
            div data-live-part="conflicts" {}
        } @else {
            section.card.conflicts data-live-part="conflicts" {
                h2 { "⚠ " (l.m("web-household-different-values-from-two-devices")) }
                @for c in &h.conflicts { (conflict_form(ctx, c, &format!("/a/{area}/h/{}", v.id), &h.profile)) }
            }
        }
        form.hh-form method="post" action=(format!("/a/{area}/h/{}", v.id)) novalidate data-inplace data-draft data-business-field=[h.profile.business_field()] {
            (csrf(ctx))
            @if let Some(def) = h.profile.consent().filter(|_| v.consent.state != "given") {
                (consent_fieldset(l, def, values.get("consent").map_or("", String::as_str), values.get("consent_ref").map_or("", String::as_str), error))
            }
            @for f in h.profile.fields() {
                @if f.business_only {
                    @let on = business.unwrap_or(true);
                    fieldset.biz data-business-only hidden[!on] disabled[!on] {
                        (question(l, f, values, was, error))
                    }
                } @else {
                    (question(l, f, values, was, error))
                }
            }
            details.card.place open[error.is_some_and(|e| e.0 == "group" || e.0 == "address")] {
                summary { (l.m("web-household-group-and-address")) }
                label for="f-group" { (l.m("web-household-residential-group")) }
                input #f-group name="group" type="text" list="groups" value=(values.get("group").map_or("", String::as_str));
                input type="hidden" name="was:group" value=(was.get("group").map_or("", String::as_str));
                (field_error("group", error))
                label for="f-address" { (l.m("web-household-address-no-names")) }
                input #f-address name="address" type="text" value=(values.get("address").map_or("", String::as_str));
                input type="hidden" name="was:address" value=(was.get("address").map_or("", String::as_str));
                (field_error("address", error))
                (field_error("fields", error))
            }
            datalist #groups { @for g in &h.groups { option value=(g) {} } }
            div.savebar {
                button.primary.save type="submit" name="action" value="save" data-action="save" { (l.m("web-save")) }
            }
        }
        @if let Some(history) = &h.history {
            details.card.history #history open {
                summary { (l.m("web-household-history")) " (" (history.len()) ")" }
                ol reversed {
                    @for c in history.iter().rev().take(50) {
                        li {
                            span.muted { (l.rfc3339(&c.at)) " · " (c.name.as_deref().unwrap_or(&c.peer_id)) } br;
                            (field_label(l, &h.profile, &c.field)) ": "
                            (c.old.as_deref().map_or("—".to_string(), |o| display(l, &h.profile, &c.field, o))) " → " strong { (display(l, &h.profile, &c.field, &c.new)) }
                        }
                    }
                }
            }
        }
        @if h.history.is_none() {
            p.card { a href=(format!("/a/{area}/h/{}?history=1#history", v.id)) data-action="history" { (l.m("web-household-show-the-history")) } }
        }
        @if v.consent.state == "given" {
            form.card.archive method="post" action=(format!("/a/{area}/h/{}", v.id)) {
                (csrf(ctx))
                input type="hidden" name="action" value="withdraw";
                details {
                    summary data-action="withdraw" { (l.m("web-household-the-household-withdraws-consent")) }
                    p { (l.m("web-household-every-answer-and-the-address")) }
                    label.check { input type="checkbox" name="confirm" value="yes" required; " " (l.m("web-household-i-confirm-that-this-household")) (v.id) }
                    button.danger type="submit" data-action="withdraw-confirm" { (l.m("web-household-delete-the-answers")) }
                }
            }
        }
        @if h.head {
            form.card.archive method="post" action=(format!("/a/{area}/h/{}", v.id)) data-erase {
                (csrf(ctx))
                input type="hidden" name="action" value="erase";
                details {
                    summary data-action="erase" { (l.m("web-household-the-resident-asks-for-deletion")) }
                    p { (l.m("web-household-the-household-leaves-the-area")) }
                    label.check { input type="checkbox" name="confirm" value="yes" required; " " (l.m("web-household-i-confirm-erasing-household")) (v.id) }
                    button.danger type="submit" data-action="erase-confirm" { (l.m("web-household-erase")) }
                }
            }
        }
        @if !v.archived {
            form.card.archive method="post" action=(format!("/a/{area}/h/{}", v.id)) {
                (csrf(ctx))
                input type="hidden" name="action" value="archive";
                details {
                    summary data-action="archive" { (l.m("web-household-archive-this-household-moved-away")) }
                    p { (l.m("web-household-an-archived-household-leaves-every")) }
                    label.check { input type="checkbox" name="confirm" value="yes" required; " " (l.m("web-household-i-confirm-archiving")) (v.id) }
                    button.danger type="submit" data-action="archive-confirm" { (l.m("web-household-archive")) }
                }
            }
        }
    };
    let nav = AreaNav { id: area, name: &h.name, tab: Tab::Household, conflicts: h.area_conflicts };
    let title = format!("{} {}", l.m("web-household-household"), v.id);
    layout::page(ctx, &title, Some(nav), Live::Notify, &format!("/a/{area}/events"), body)
}

/// The consent question (`name="consent"`: `verbal`, `written`, `refused`) with the notice read
/// to the resident before it, as the profile words it; and the paper form's reference.
pub fn consent_fieldset(
    l: L,
    def: &ConsentDef,
    chosen: &str,
    reference: &str,
    error: Option<&(String, String)>,
) -> Markup {
    let invalid = error.is_some_and(|e| e.0 == "consent" || e.0 == "method");
    html! {
        fieldset.card.consent.invalid[invalid] #q-consent aria-describedby=[invalid.then_some("err-consent")] {
            legend { (l.m("web-household-consent")) }
            p.hint { (l.m("web-household-read-this-to-the-resident")) }
            blockquote.notice data-notice-version=(def.notice_version) { (def.notice.get(l.0)) }
            @for (value, text) in [
                ("verbal", l.m("web-household-consent-verbal")),
                ("written", l.m("web-household-consent-written")),
                ("refused", l.m("web-household-consent-refused")),
            ] {
                div.choices {
                    label.choice { input type="radio" name="consent" value=(value) checked[chosen == value]; span { (text) } }
                }
            }
            label for="f-consent-ref" { (l.m("web-household-consent-form-number-if-any")) }
            input #f-consent-ref name="consent_ref" type="text" autocomplete="off" value=(reference);
            (field_error("consent", error))
            (field_error("method", error))
            (field_error("ref", error))
        }
    }
}

/// What the consent radio asks for: consent given with the write, or a refusal on its own.
pub enum ConsentChoice {
    None,
    Given(ConsentGiven),
    Refused,
}

pub fn consent_choice(form: &Form) -> ConsentChoice {
    let reference = form.get("consent_ref").map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
    let given =
        |method| ConsentChoice::Given(ConsentGiven { method, reference: reference.clone(), notice_version: None });
    match form.get("consent") {
        Some("verbal") => given(ConsentMethod::Verbal),
        Some("written") => given(ConsentMethod::Written),
        Some("refused") => ConsentChoice::Refused,
        _ => ConsentChoice::None,
    }
}

/// A declined or consenting household's consent line.
fn consent_state(l: L, c: &ConsentView) -> Markup {
    let when = c.at.as_deref().map(|t| l.rfc3339(t)).unwrap_or_default();
    html! {
        @match c.state.as_str() {
            "given" => p.badge.ok.consent-state data-consent="given" { "✓ " (l.m("web-household-consent-given"))
                @match c.method.as_deref() { Some("written") => (l.m("web-household-signed-form")), Some(_) => (l.m("web-household-verbally")), None => "" }
                @if let Some(r) = &c.reference { " · " (r) }
                " · " (when) },
            "refused" => p.badge.na.consent-state data-consent="refused" { "✗ " (l.m("web-household-the-household-declined-do-not")) " · " (when) },
            "withdrawn" => p.badge.na.consent-state data-consent="withdrawn" { "✗ " (l.m("web-household-the-household-withdrew-consent-its")) " · " (when) },
            _ => p.badge.na.consent-state data-consent="none" { "? " (l.m("web-household-no-consent-recorded")) },
        }
    }
}

/// One question of the form, generated from its profile field.
fn question(
    l: L,
    f: &FieldDef,
    values: &BTreeMap<String, String>,
    was: &BTreeMap<String, String>,
    error: Option<&(String, String)>,
) -> Markup {
    let value = values.get(&f.id).map_or("", String::as_str);
    let was_value = was.get(&f.id).map_or("", String::as_str);
    let invalid = error.is_some_and(|e| e.0 == f.id);
    let err_id = format!("err-{}", f.id);
    html! {
        @match f.kind {
            FieldType::Count => {
                div.q.count.invalid[invalid] id=(format!("q-{}", f.id)) {
                    label for=(format!("f-{}", f.id)) { (f.label.get(l.0)) }
                    span.hint { (f.min.unwrap_or(0)) "–" (f.max.map_or("…".to_string(), |m| m.to_string())) }
                    div.stepper {
                        button.step type="button" data-step="-1" aria-label=(format!("{} −1", f.label.get(l.0))) hidden { "−" }
                        // Text with a numeric keyboard, not type=number: what was typed reaches the
                        // server and is judged there (a number input drops "e" without a word).
                        input id=(format!("f-{}", f.id)) name=(f.id) type="text" inputmode="numeric" autocomplete="off"
                            data-min=(f.min.unwrap_or(0)) data-max=[f.max] data-part-of=[f.part_of.as_deref()]
                            value=(value) aria-invalid=[invalid.then_some("true")] aria-describedby=[invalid.then_some(err_id.as_str())];
                        button.step type="button" data-step="1" aria-label=(format!("{} +1", f.label.get(l.0))) hidden { "+" }
                    }
                    input type="hidden" name=(format!("was:{}", f.id)) value=(was_value);
                    (field_error(&f.id, error))
                }
            }
            FieldType::YesNo | FieldType::YesNoUnknown => {
                fieldset.q.yesno.invalid[invalid] id=(format!("q-{}", f.id)) aria-describedby=[invalid.then_some(err_id.as_str())] {
                    legend { (f.label.get(l.0)) }
                    div.choices {
                        @for (opt, icon) in [("yes", "✓"), ("no", "✗"), ("unknown", "?")] {
                            @if opt != "unknown" || f.kind == FieldType::YesNoUnknown {
                                label.choice {
                                    input type="radio" name=(f.id) value=(opt) checked[value == opt];
                                    span { (icon) " " (l.answer(opt)) }
                                }
                            }
                        }
                    }
                    input type="hidden" name=(format!("was:{}", f.id)) value=(was_value);
                    (field_error(&f.id, error))
                }
            }
        }
    }
}

fn field_label(l: L, profile: &Profile, field: &str) -> String {
    match field {
        "group" => l.m("web-group").into(),
        "address" => l.m("web-address").into(),
        "archived" => l.m("web-household-archived").into(),
        f => profile.field(f).map_or(f.to_string(), |d| d.label.get(l.0).to_string()),
    }
}

fn display(l: L, profile: &Profile, field: &str, value: &str) -> String {
    match profile.field(field).map(|f| f.kind) {
        Some(FieldType::YesNo | FieldType::YesNoUnknown) => l.answer(value).to_string(),
        _ => value.to_string(),
    }
}

/// One conflicted field with a button per value (contract hook `data-conflict`). `action` is
/// where the choice is posted.
pub fn conflict_form(ctx: &Ctx, c: &Conflict, action: &str, profile: &Profile) -> Markup {
    let l = ctx.l;
    let settable = c.field != "archived" && c.invalid.is_none();
    html! {
        form.conflict method="post" action=(action) data-conflict=(format!("{}/{}", c.household, c.field)) {
            (csrf(ctx))
            input type="hidden" name="action" value="resolve";
            input type="hidden" name="hh" value=(c.household);
            input type="hidden" name="field" value=(c.field);
            p { strong { (field_label(l, profile, &c.field)) } " — " (l.m("web-household-shown-now")) (display(l, profile, &c.field, &c.winner)) }
            @if let Some(why) = &c.invalid {
                p.field-error data-invalid=(c.field) {
                    "⚠ " (l.m("web-household-not-a-valid-value-it")) (why) ". "
                    a href=(format!("{}#f-{}", action.replace("/conflicts", &format!("/h/{}", c.household)), c.field)) {
                        (l.m("web-household-record-the-right-value"))
                    }
                }
            }
            ul.values {
                @for v in &c.values {
                    li {
                        @if settable {
                            button.choice-btn type="submit" name="value" value=(v.value) data-action="resolve" {
                                (l.m("web-household-keep")) strong { (display(l, profile, &c.field, &v.value)) }
                            }
                        } @else {
                            strong { (display(l, profile, &c.field, &v.value)) }
                        }
                        " " span.muted { (l.m("web-household-by")) (v.name.as_deref().unwrap_or(&v.peer_id)) }
                    }
                }
            }
        }
    }
}
