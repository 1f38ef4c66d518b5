//! `/a/{area}/print?group=G`: the worklist as door-to-door sheets, one A4 page per residential
//! group: house code, address and what each household still needs. Nothing else of a household
//! is printed (no answers, no consent details); declined households are left out.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use crdt_model::area::HouseholdListItem;
use maud::html;
use serde::Deserialize;

use super::failed;
use crate::web::layout::{self, AreaNav, Live, Tab};
use crate::web::{Ctx, WebState, page};

#[derive(Debug, Deserialize)]
pub struct PrintQuery {
    group: Option<String>,
}

struct Sheets {
    name: String,
    ward: String,
    conflicts: usize,
    profile: crdt_model::Profile,
    groups: Vec<String>,
    items: Vec<HouseholdListItem>,
}

/// `GET /a/{area}/print`.
pub async fn show(
    State(ws): State<WebState>,
    ctx: Ctx,
    Path(area): Path<String>,
    Query(q): Query<PrintQuery>,
) -> Response {
    let group = q.group.clone().filter(|g| !g.is_empty());
    let read = ws
        .app
        .node
        .with_area(area.clone(), move |a| {
            let items: Vec<HouseholdListItem> = a
                .household_list(group.as_deref(), None, false)?
                .into_iter()
                .filter(|h| !h.missing.is_empty())
                .collect();
            let mut groups: Vec<String> =
                a.status().groups.into_iter().map(|g| g.group).filter(|g| !g.is_empty()).collect();
            groups.sort_by(|x, y| crate::web::i18n::natural_cmp(x, y));
            Ok(Sheets {
                name: a.name(),
                ward: a.ward(),
                conflicts: a.conflicts().len(),
                profile: a.profile().clone(),
                groups,
                items,
            })
        })
        .await;
    let s = match read {
        Ok(s) => s,
        Err(e) => return failed(&ctx, e),
    };
    let l = ctx.l;
    let ordered = super::worklist::in_reading_order(&s.items);
    let by_group = super::worklist::by_group(&ordered);
    let chosen = q.group.as_deref().unwrap_or("");
    let label = |id: &str| s.profile.criterion(id).map_or(id.to_string(), |c| c.label.get(l.0).to_string());
    let today = chrono::Local::now().format("%d/%m/%Y").to_string();
    let body = html! {
        h1.no-print { (l.m("web-print-door-to-door-sheets")) }
        form.card.pick.no-print method="get" action=(format!("/a/{area}/print")) {
            label for="group" { (l.m("web-group-2")) }
            select #group name="group" {
                option value="" selected[chosen.is_empty()] { (l.m("web-print-every-group-a-page-each")) }
                @for g in &s.groups { option value=(g) selected[g == chosen] { (g) } }
            }
            button.primary type="submit" data-action="filter" { (l.m("web-print-show")) }
            p.hint { (l.m("web-print-to-print-the-browser-s")) }
        }
        @if by_group.is_empty() {
            p.card { "✓ " (l.m("web-print-no-household-left-to-visit")) }
        }
        @for (g, items) in &by_group {
            section.sheet data-sheet-group=(g) {
                h2 { (s.name) " · " @if g.is_empty() { (l.m("web-no-group")) } @else { (g) } }
                p.muted { (s.ward) " · " (l.m("web-print-printed")) (today) " · " (items.len()) " " (l.m("web-print-households-to-visit")) }
                table.sheet-table {
                    thead { tr {
                        th scope="col" { (l.m("web-print-house")) }
                        th scope="col" { (l.m("web-address")) }
                        th scope="col" { (l.m("web-print-needs")) }
                        th scope="col" { (l.m("web-print-visited")) }
                    } }
                    tbody {
                        @for item in items {
                            tr data-household=(item.id) {
                                td.code { (item.id) }
                                td { (item.address.as_deref().unwrap_or("")) }
                                td { (item.missing.iter().map(|m| label(m)).collect::<Vec<_>>().join("; ")) }
                                td { "☐" }
                            }
                        }
                    }
                }
            }
        }
    };
    let nav = AreaNav { id: &area, name: &s.name, tab: Tab::Worklist, conflicts: s.conflicts };
    page(layout::page(&ctx, l.m("web-print-door-to-door-sheets"), Some(nav), Live::Off, "", body))
}
