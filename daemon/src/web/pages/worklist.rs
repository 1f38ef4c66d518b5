//! `/a/{area}/worklist?missing=CRITERION&group=G`: the households that do not meet a criterion,
//! grouped by tổ, each linking to its form at that question. Without `missing`: every active
//! household with what it still lacks (the area's household list).

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use crdt_model::area::HouseholdListItem;
use maud::{Markup, html};
use serde::Deserialize;

use super::failed;
use crate::web::layout::{self, AreaNav, Live, Tab};
use crate::web::{Ctx, WebState, page};

#[derive(Debug, Deserialize)]
pub struct WorklistQuery {
    missing: Option<String>,
    group: Option<String>,
}

struct Worklist {
    name: String,
    conflicts: usize,
    profile: crdt_model::Profile,
    groups: Vec<String>,
    items: Vec<HouseholdListItem>,
    /// The model's refusal of `missing` (an unknown criterion), shown next to the picker.
    error: Option<String>,
}

/// `GET /a/{area}/worklist`.
pub async fn show(
    State(ws): State<WebState>,
    ctx: Ctx,
    Path(area): Path<String>,
    Query(q): Query<WorklistQuery>,
) -> Response {
    let missing = q.missing.clone().filter(|m| !m.is_empty());
    let group = q.group.clone().filter(|g| !g.is_empty());
    let read = ws
        .app
        .node
        .with_area(area.clone(), move |a| {
            let (items, error) = match a.household_list(group.as_deref(), missing.as_deref(), false) {
                Ok(items) => (items, None),
                Err(e @ crdt_model::ModelError::InvalidInput { .. }) => (Vec::new(), Some(e.to_string())),
                Err(e) => return Err(e),
            };
            let (status, conflicts) = a.status_and_conflicts();
            let mut groups: Vec<String> =
                status.groups.into_iter().map(|g| g.group).filter(|g| !g.is_empty()).collect();
            groups.sort_by(|x, y| crate::web::i18n::natural_cmp(x, y));
            Ok(Worklist {
                name: a.name(),
                conflicts: conflicts.len(),
                profile: a.profile().clone(),
                groups,
                items,
                error,
            })
        })
        .await;
    match read {
        Ok(w) => page(render(&ctx, &area, &q, &w)),
        Err(e) => failed(&ctx, e),
    }
}

fn render(ctx: &Ctx, area: &str, q: &WorklistQuery, w: &Worklist) -> Markup {
    let l = ctx.l;
    let missing = q.missing.as_deref().unwrap_or("");
    let group = q.group.as_deref().unwrap_or("");
    let criterion = w.profile.criterion(missing);
    // The question to open: the criterion's numerator field (for person criteria, its count).
    let anchor = criterion.map(|c| format!("#q-{}", c.numerator)).unwrap_or_default();
    let mut by_group: BTreeMap<&str, Vec<&HouseholdListItem>> = BTreeMap::new();
    for item in &w.items {
        by_group.entry(item.group.as_deref().unwrap_or("")).or_default().push(item);
    }
    let mut by_group: Vec<(&str, Vec<&HouseholdListItem>)> = by_group.into_iter().collect();
    by_group.sort_by(|x, y| crate::web::i18n::natural_cmp(x.0, y.0));
    for (_, items) in &mut by_group {
        items.sort_by(|x, y| crate::web::i18n::natural_cmp(&x.id, &y.id));
    }
    let label = |id: &str| w.profile.criterion(id).map_or(id.to_string(), |c| c.label.get(l.0).to_string());
    let body = html! {
        h1 { (l.t("Hộ cần hỗ trợ", "Households to visit")) }
        form.card.pick method="get" action=(format!("/a/{area}/worklist")) {
            label for="missing" { (l.t("Tiêu chí chưa đạt", "Criterion not met")) }
            select #missing name="missing" {
                option value="" selected[missing.is_empty()] { (l.t("— Tất cả hộ —", "— All households —")) }
                @for c in w.profile.criteria() {
                    option value=(c.id) selected[c.id == missing] { (c.label.get(l.0)) }
                }
            }
            @if let Some(e) = &w.error { p.error data-error-for="missing" role="alert" { "⚠ " (e) } }
            label for="group" { (l.t("Tổ dân phố", "Group")) }
            select #group name="group" {
                option value="" selected[group.is_empty()] { (l.t("— Mọi tổ —", "— Every group —")) }
                @for g in &w.groups {
                    option value=(g) selected[g == group] { (g) }
                }
            }
            button.primary type="submit" data-action="filter" { (l.t("Xem danh sách", "Show")) }
        }
        p.count { strong { (w.items.len()) } " " (l.t("hộ", "households"))
            @if let Some(c) = criterion { " " (l.t("chưa đạt: ", "not meeting: ")) (c.label.get(l.0)) } }
        @for (g, items) in &by_group {
            section.card {
                h2 { @if g.is_empty() { (l.t("(chưa ghi tổ)", "(no group)")) } @else { (g) } " · " (items.len()) }
                ul.households {
                    @for item in items {
                        li {
                            a.hh data-household=(item.id) href=(format!("/a/{area}/h/{}{anchor}", item.id)) {
                                strong.code { (item.id) }
                                @if let Some(addr) = &item.address { " " span.addr { (addr) } }
                                @if criterion.is_none() && !item.missing.is_empty() {
                                    span.missing { @for m in &item.missing { span.chip { (label(m)) } } }
                                }
                                @if criterion.is_none() && item.missing.is_empty() {
                                    @if item.consent == "refused" || item.consent == "withdrawn" {
                                        span.chip data-declined-household { "⊘ " (l.t("Từ chối khảo sát — không hỏi lại", "Declined — do not ask again")) }
                                    } @else {
                                        span.chip.ok { "✓ " (l.t("Đạt hết", "All met")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let nav = AreaNav { id: area, name: &w.name, tab: Tab::Worklist, conflicts: w.conflicts };
    layout::page(ctx, l.t("Hộ cần hỗ trợ", "Worklist"), Some(nav), Live::Replace, &format!("/a/{area}/events"), body)
}
