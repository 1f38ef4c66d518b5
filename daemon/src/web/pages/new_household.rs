//! `/a/{area}/new`: a new household by house code, group and address. A code that exists
//! already opens that household instead of creating a duplicate.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use crdt_model::HouseholdWrite;
use crdt_model::consent::{ConsentChange, ConsentState};
use crdt_model::profile::ConsentDef;
use maud::{Markup, html};

use super::household::{ConsentChoice, consent_choice, consent_fieldset};
use super::{failed, field_refusal};
use crate::web::layout::{self, AreaNav, Live, Tab, csrf, field_error};
use crate::web::{Ctx, Form, WebState, error_page, page, page_with, see_other};

struct Area {
    name: String,
    conflicts: usize,
    groups: Vec<String>,
    consent: Option<ConsentDef>,
}

async fn read(ws: &WebState, area: &str) -> Result<Area, crate::node::NodeError> {
    ws.app
        .node
        .with_area(area.to_string(), |a| {
            let mut groups: Vec<String> = a.households().into_iter().filter_map(|h| h.group).collect();
            groups.sort_by(|x, y| crate::web::i18n::natural_cmp(x, y));
            groups.dedup();
            Ok(Area { name: a.name(), conflicts: a.conflicts().len(), groups, consent: a.profile().consent().cloned() })
        })
        .await
}

/// `GET /a/{area}/new`.
pub async fn show(State(ws): State<WebState>, ctx: Ctx, Path(area): Path<String>) -> Response {
    match read(&ws, &area).await {
        Ok(a) => page(render(&ctx, &area, &a, &Form::default(), None)),
        Err(e) => failed(&ctx, e),
    }
}

/// `POST /a/{area}/new`.
pub async fn submit(State(ws): State<WebState>, ctx: Ctx, Path(area): Path<String>, form: Form) -> Response {
    let id = form.get("id").unwrap_or("").trim().to_string();
    let group = form.get("group").map(str::trim).filter(|g| !g.is_empty()).map(str::to_string);
    let written = match consent_choice(&form) {
        // A refusal keeps the house code (and group) only: whatever else was typed is dropped.
        ConsentChoice::Refused => {
            let change = ConsentChange { group, ..ConsentChange::decision(ConsentState::Refused) };
            ws.app.node.record_consent(area.clone(), id.clone(), change).await
        }
        choice => {
            let write = HouseholdWrite {
                id: id.clone(),
                group,
                address: form.get("address").map(str::to_string),
                fields: Vec::new(),
                consent: match choice {
                    ConsentChoice::Given(c) => Some(c),
                    _ => None,
                },
            };
            ws.app.node.add_household(area.clone(), write).await
        }
    };
    match written {
        Ok(view) if view.consent.state == "refused" => see_other(&format!("/a/{area}/h/{id}")),
        Ok(_) => see_other(&format!("/a/{area}/h/{id}?created=1")),
        Err(e) => {
            let e = crate::api::ApiError::from(e);
            if e.kind == "conflict" {
                // The house is recorded already (maybe by a teammate, maybe typed in another
                // case): open it, under the code it was recorded with.
                let typed = id.clone();
                let code = ws.app.node.with_area(area.clone(), move |a| Ok(a.household_code(&typed))).await;
                let code = code.ok().flatten().unwrap_or(id);
                return see_other(&format!("/a/{area}/h/{code}?exists=1"));
            }
            match field_refusal(e, "id") {
                Ok((field, message)) => {
                    let field = if field == "household" { "id".to_string() } else { field };
                    let message = super::field_message(ctx.l, &field, &message);
                    match read(&ws, &area).await {
                        Ok(a) => page_with(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            render(&ctx, &area, &a, &form, Some((field, message))),
                        ),
                        Err(e) => failed(&ctx, e),
                    }
                }
                Err(e) => error_page(ctx.l, e),
            }
        }
    }
}

fn render(ctx: &Ctx, area: &str, a: &Area, form: &Form, error: Option<(String, String)>) -> Markup {
    let l = ctx.l;
    let error = error.as_ref();
    let body = html! {
        h1 { (l.m("web-new-household-new-household")) }
        @if let Some((field, _)) = error {
            // In sight at the top: what to fix, with a link to it.
            p.error role="alert" data-form-error {
                "⚠ " (l.m("web-new-household-not-saved-fix-the-marked"))
                a href=(format!("#f-{}", if field == "id" || field == "group" || field == "address" { field.as_str() } else { "consent-ref" })) { (l.m("web-new-household-go-to-it")) }
            }
        }
        form.card method="post" action=(format!("/a/{area}/new")) novalidate data-inplace data-draft {
            (csrf(ctx))
            label for="f-id" { (l.m("web-new-household-house-code-on-the-area")) }
            input #f-id name="id" type="text" autocapitalize="characters" autocomplete="off" spellcheck="false" required
                pattern="[A-Za-z0-9._-]{1,64}" value=(form.get("id").unwrap_or("")) aria-invalid=[error.filter(|e| e.0 == "id").map(|_| "true")];
            p.hint { (l.m("web-new-household-letters-digits-dot-underscore-hyphen")) }
            (field_error("id", error))
            label for="f-group" { (l.m("web-new-household-residential-group-pick-or-type")) }
            input #f-group name="group" type="text" list="groups" value=(form.get("group").unwrap_or(""));
            datalist #groups { @for g in &a.groups { option value=(g) {} } }
            (field_error("group", error))
            @if let Some(def) = &a.consent {
                (consent_fieldset(l, def, form.get("consent").unwrap_or(""), form.get("consent_ref").unwrap_or(""), error))
            }
            label for="f-address" { (l.m("web-new-household-address-house-number-lane-no")) }
            input #f-address name="address" type="text" value=(form.get("address").unwrap_or(""));
            (field_error("address", error))
            (field_error("fields", error))
            div.savebar { button.primary.save type="submit" data-action="save" { (l.m("web-new-household-add-household")) } }
        }
    };
    let nav = AreaNav { id: area, name: &a.name, tab: Tab::New, conflicts: a.conflicts };
    layout::page(ctx, l.m("web-new-household-new-household"), Some(nav), Live::Off, "", body)
}
