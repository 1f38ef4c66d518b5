//! `/a/{area}/worklist?missing=CRITERION&group=G`: the households that do not meet a criterion,
//! grouped by tổ, each linking to its form at that question. Without `missing`: every active
//! household with what it still lacks (the area's household list).

use axum::extract::{Path, Query, State};
use axum::response::Response;
use crdt_model::area::HouseholdListItem;
use maud::{Markup, html};
use serde::Deserialize;

use super::failed;
use crate::web::layout::{self, AreaNav, Live, Tab};
use crate::web::{Ctx, WebState, page};

/// Households on one page of the list: a 3,000-household area stays under 100 KB a page on a
/// phone's data.
pub const PAGE_SIZE: usize = 100;

#[derive(Debug, Deserialize)]
pub struct WorklistQuery {
    missing: Option<String>,
    group: Option<String>,
    /// 1-based.
    page: Option<usize>,
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
    // The whole list in reading order (group, then house code), then one page of it.
    let ordered = in_reading_order(&w.items);
    let pages = ordered.len().div_ceil(PAGE_SIZE).max(1);
    let page = q.page.unwrap_or(1).clamp(1, pages);
    let first = (page - 1) * PAGE_SIZE;
    let shown = &ordered[first.min(ordered.len())..(first + PAGE_SIZE).min(ordered.len())];
    let by_group = by_group(shown);
    let page_url = |p: usize| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("page", &p.to_string());
        if !missing.is_empty() {
            query.append_pair("missing", missing);
        }
        if !group.is_empty() {
            query.append_pair("group", group);
        }
        format!("/a/{area}/worklist?{}", query.finish())
    };
    let pager = html! {
        @if pages > 1 {
            nav.pager aria-label=(l.m("web-worklist-pages")) data-page=(page) data-pages=(pages) {
                @if page > 1 { a href=(page_url(page - 1)) rel="prev" data-action="page-prev" { "‹ " (l.m("web-worklist-previous")) } }
                span { (l.m("web-worklist-page")) (page) "/" (pages) }
                @if page < pages { a href=(page_url(page + 1)) rel="next" data-action="page-next" { (l.m("web-worklist-next")) " ›" } }
            }
        }
    };
    let gap_chip = |g: &crdt_model::eval::Gap| chip(l, &w.profile, g);
    let body = html! {
        h1 { (l.m("web-worklist-households-to-visit")) }
        form.card.pick method="get" action=(format!("/a/{area}/worklist")) {
            label for="missing" { (l.m("web-worklist-criterion-not-met")) }
            select #missing name="missing" {
                option value="" selected[missing.is_empty()] { (l.m("web-worklist-all-households")) }
                @for c in w.profile.criteria() {
                    option value=(c.id) selected[c.id == missing] { (c.label.get(l.0)) }
                }
            }
            @if let Some(e) = &w.error { p.error data-error-for="missing" role="alert" { "⚠ " (e) } }
            label for="group" { (l.m("web-group-2")) }
            select #group name="group" {
                option value="" selected[group.is_empty()] { (l.m("web-worklist-every-group")) }
                @for g in &w.groups {
                    option value=(g) selected[g == group] { (g) }
                }
            }
            button.primary type="submit" data-action="filter" { (l.m("web-worklist-show")) }
        }
        p.count { strong { (w.items.len()) } " " (l.m("web-households"))
            @if let Some(c) = criterion { " " (l.m("web-worklist-not-meeting")) (c.label.get(l.0)) }
            @if pages > 1 { " · " (l.m("web-worklist-households")) (first + 1) "–" (first + shown.len()) }
        }
        (pager)
        @for (g, items) in &by_group {
            section.card {
                h2 { @if g.is_empty() { (l.m("web-no-group")) } @else { (g) } " · " (items.len()) }
                ul.households {
                    @for item in items {
                        li {
                            a.hh data-household=(item.id) href=(format!("/a/{area}/h/{}{anchor}", item.id)) {
                                strong.code { (item.id) }
                                @if let Some(addr) = &item.address { " " span.addr { (addr) } }
                                @if !item.gaps.is_empty() {
                                    span.missing {
                                        @for g in item.gaps.iter().filter(|g| criterion.is_none_or(|c| c.id == g.criterion())) { (gap_chip(g)) }
                                    }
                                }
                                @if criterion.is_none() && item.missing.is_empty() {
                                    @if item.consent == "refused" || item.consent == "withdrawn" {
                                        span.chip data-declined-household { "⊘ " (l.m("web-worklist-declined-do-not-ask-again")) }
                                    } @else {
                                        span.chip.ok { "✓ " (l.m("web-worklist-all-met")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        (pager)
    };
    let nav = AreaNav { id: area, name: &w.name, tab: Tab::Worklist, conflicts: w.conflicts };
    layout::page(ctx, l.m("web-worklist-worklist"), Some(nav), Live::Replace, &format!("/a/{area}/events"), body)
}

/// One gap of one household, in its own figures: "Người dân có tài khoản định danh điện tử: còn
/// 1 người chưa có".
fn chip(l: crate::web::i18n::L, profile: &crdt_model::Profile, g: &crdt_model::eval::Gap) -> Markup {
    use crdt_model::eval::Gap;
    let label = profile.criterion(g.criterion()).map_or(g.criterion().to_string(), |c| c.label.get(l.0).to_string());
    let field = |f: &str| profile.field(f).map_or(f.to_string(), |d| d.label.get(l.0).to_string());
    let text = match g {
        Gap::Persons { persons, .. } => kdc_text::t!(l, "web-worklist-gap-persons", label = label, persons = *persons),
        Gap::NotRecorded { field: f, .. } => format!("{label}: {} {}", l.m("web-worklist-not-recorded"), field(f)),
        Gap::No { .. } => format!("✗ {label}"),
        Gap::Unknown { .. } => format!("? {label}: {}", l.m("web-worklist-unknown")),
    };
    html! { span.chip data-gap=(g.criterion()) { (text) } }
}

/// Households in the order people read a list: by group, then house code, naturally (`Tổ 2`
/// before `Tổ 10`).
pub fn in_reading_order(items: &[HouseholdListItem]) -> Vec<&HouseholdListItem> {
    let mut ordered: Vec<&HouseholdListItem> = items.iter().collect();
    ordered.sort_by(|x, y| {
        let (gx, gy) = (x.group.as_deref().unwrap_or(""), y.group.as_deref().unwrap_or(""));
        crate::web::i18n::natural_cmp(gx, gy).then_with(|| crate::web::i18n::natural_cmp(&x.id, &y.id))
    });
    ordered
}

/// Households in reading order cut into runs of one group each.
pub fn by_group<'a>(ordered: &[&'a HouseholdListItem]) -> Vec<(&'a str, Vec<&'a HouseholdListItem>)> {
    let mut out: Vec<(&str, Vec<&HouseholdListItem>)> = Vec::new();
    for item in ordered {
        let g = item.group.as_deref().unwrap_or("");
        match out.last_mut() {
            Some((last, items)) if *last == g => items.push(item),
            _ => out.push((g, vec![item])),
        }
    }
    out
}
