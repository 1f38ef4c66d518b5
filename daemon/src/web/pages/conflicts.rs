//! `/a/{area}/conflicts`: every field that two devices changed while apart, each settled in
//! place by choosing one value.

use axum::extract::{Path, State};
use axum::response::Response;
use crdt_model::area::Conflict;
use maud::html;

use super::failed;
use super::household::{conflict_form, resolve};
use crate::web::layout::{self, AreaNav, Live, Tab};
use crate::web::{Ctx, Form, WebState, error_page, page, see_other};

/// `GET /a/{area}/conflicts`.
pub async fn show(State(ws): State<WebState>, ctx: Ctx, Path(area): Path<String>) -> Response {
    let read = ws.app.node.with_area(area.clone(), |a| Ok((a.name(), a.conflicts(), a.profile().clone()))).await;
    let (name, conflicts, profile): (String, Vec<Conflict>, crdt_model::Profile) = match read {
        Ok(r) => r,
        Err(e) => return failed(&ctx, e),
    };
    let l = ctx.l;
    let action = format!("/a/{area}/conflicts");
    let body = html! {
        h1 { (l.m("web-conflicts")) }
        @if conflicts.is_empty() {
            p.card { "✓ " (l.m("web-conflicts-no-conflicts-every-device-agrees")) }
        } @else {
            p { (l.m("web-conflicts-two-devices-recorded-different-values")) }
            @for c in &conflicts {
                section.card {
                    h2 { a href=(format!("/a/{area}/h/{}", c.household)) { (l.m("web-household")) (c.household) } }
                    (conflict_form(&ctx, c, &action, &profile))
                }
            }
        }
    };
    let nav = AreaNav { id: &area, name: &name, tab: Tab::Conflicts, conflicts: conflicts.len() };
    page(layout::page(&ctx, l.m("web-conflicts"), Some(nav), Live::Replace, &format!("/a/{area}/events"), body))
}

/// `POST /a/{area}/conflicts`: `action=resolve`, `hh`, `field`, `value`.
pub async fn submit(State(ws): State<WebState>, ctx: Ctx, Path(area): Path<String>, form: Form) -> Response {
    let hh = form.get("hh").unwrap_or("").to_string();
    match resolve(&ws, &area, &hh, &form).await {
        Ok(_) => see_other(&format!("/a/{area}/conflicts")),
        Err(e) => error_page(ctx.l, e),
    }
}
