//! `/a/{area}/find?q=CODE`: the search box every area screen carries. A house code typed in
//! any case (or the start of one that only one house has) opens that household; otherwise the
//! houses whose code starts with, or holds, what was typed.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::html;
use serde::Deserialize;

use super::failed;
use crate::web::layout::{self, AreaNav, Live, Tab};
use crate::web::{Ctx, WebState, page, see_other};

/// Longest list a search shows.
const MAX_SHOWN: usize = 100;

#[derive(Debug, Deserialize)]
pub struct FindQuery {
    #[serde(default)]
    q: String,
}

/// What a search found.
enum Found {
    /// One house: open it.
    One(String),
    /// Several (or none): list them, with how many matched in all.
    Many { name: String, conflicts: usize, codes: Vec<(String, Option<String>)>, total: usize },
}

/// `GET /a/{area}/find`.
pub async fn show(
    State(ws): State<WebState>,
    ctx: Ctx,
    Path(area): Path<String>,
    Query(q): Query<FindQuery>,
) -> Response {
    let typed = q.q.trim().to_string();
    if typed.is_empty() {
        return see_other(&format!("/a/{area}/worklist"));
    }
    let wanted = typed.to_ascii_lowercase();
    let read = ws
        .app
        .node
        .with_area(area.clone(), move |a| {
            if crdt_model::ids::validate_household_id(&typed).is_ok()
                && let Some(code) = a.household_code(&typed)
            {
                return Ok(Found::One(code));
            }
            let households = a.households();
            let lower = |id: &str| id.to_ascii_lowercase();
            let mut hits: Vec<&crdt_model::eval::Household> =
                households.iter().filter(|h| lower(&h.id).starts_with(&wanted)).collect();
            if hits.is_empty() {
                hits = households.iter().filter(|h| lower(&h.id).contains(&wanted)).collect();
            }
            if let [one] = hits.as_slice() {
                return Ok(Found::One(one.id.clone()));
            }
            hits.sort_by(|x, y| crate::web::i18n::natural_cmp(&x.id, &y.id));
            let total = hits.len();
            let codes = hits.into_iter().take(MAX_SHOWN).map(|h| (h.id.clone(), h.group.clone())).collect();
            Ok(Found::Many { name: a.name(), conflicts: a.conflicts().len(), codes, total })
        })
        .await;
    let (name, conflicts, codes, total) = match read {
        Ok(Found::One(code)) => return see_other(&format!("/a/{area}/h/{code}")),
        Ok(Found::Many { name, conflicts, codes, total }) => (name, conflicts, codes, total),
        Err(e) => return failed(&ctx, e),
    };
    let l = ctx.l;
    let body = html! {
        h1 { (l.m("web-find-find-a-house")) }
        p.count data-found=(total) {
            @if total == 0 {
                (l.m("web-find-no-house-code-matches")) strong.code { (q.q.trim()) } "”. "
                a href=(format!("/a/{area}/new")) { (l.m("web-find-add-a-new-household")) }
            } @else {
                strong { (total) } " " (l.m("web-find-house-codes-match")) strong.code { (q.q.trim()) } "”"
                @if total > codes.len() { " · " (l.m("web-find-showing")) (codes.len()) (l.m("web-find-first-type-more-to-narrow")) }
            }
        }
        @if !codes.is_empty() {
            ul.households.card {
                @for (code, group) in &codes {
                    li { a.hh data-household=(code) href=(format!("/a/{area}/h/{code}")) { strong.code { (code) } @if let Some(g) = group { " " span.addr { (g) } } } }
                }
            }
        }
    };
    let nav = AreaNav { id: &area, name: &name, tab: Tab::Household, conflicts };
    page(layout::page(&ctx, l.m("web-find-find-a-house"), Some(nav), Live::Off, "", body))
}
