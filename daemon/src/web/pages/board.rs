//! `/a/{area}`: the area board. Per criterion its figures, Đạt / Chưa đạt and exactly what is
//! still needed; per residential group the same; compliance over time as a chart. The script
//! re-reads the page when a teammate's change arrives by sync.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{Local, TimeZone};
use crdt_model::eval::CriterionStatus;
use crdt_model::history;
use maud::{Markup, html};
use serde::Deserialize;

use super::failed;
use crate::web::i18n::L;
use crate::web::layout::{self, AreaNav, Live, Tab, met_badge};
use crate::web::{Ctx, Form, WebState, page, see_other};

/// What the board shows, read in one go.
struct Board {
    status: crdt_model::Status,
    /// The newer built-in profile version this area may move to, and whether this device is
    /// its head (who may).
    upgrade: Option<(u32, bool)>,
    conflicts: usize,
    /// A short hash of the heads: the chart's version.
    version: String,
    /// Groups recorded under several spellings, shown to the head (who may merge them).
    duplicates: Vec<(String, Vec<(String, usize)>)>,
    /// House codes recorded in two cases, shown to the head.
    code_duplicates: Vec<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct BoardQuery {
    /// `need` (default: the groups that still need most first) or `name`.
    order: Option<String>,
}

/// How the groups are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    /// Most still needed first: required criteria not met, then households lacking the count
    /// the person criteria need, then unknown answers.
    Need,
    Name,
}

/// Orders the groups: by what they still need (most first), or by name as people read it.
fn sort_groups(groups: &mut [crdt_model::area::GroupStatus], order: Order) {
    groups.sort_by(|x, y| crate::web::i18n::natural_cmp(&x.group, &y.group));
    if order == Order::Need {
        let need = |g: &crdt_model::area::GroupStatus| {
            let e = &g.evaluation;
            let unknown: u64 = e.criteria.iter().filter(|c| c.required).map(|c| c.unknown).sum();
            (e.required_total - e.required_met.min(e.required_total), e.incomplete, unknown)
        };
        // Stable: equal needs keep the name order.
        groups.sort_by_key(|g| std::cmp::Reverse(need(g)));
    }
}

/// `GET /a/{area}`.
pub async fn show(
    State(ws): State<WebState>,
    ctx: Ctx,
    Path(area): Path<String>,
    Query(q): Query<BoardQuery>,
) -> Response {
    let me = ws.app.node.peer_id().to_string();
    let order = if q.order.as_deref() == Some("name") { Order::Name } else { Order::Need };
    let read = ws
        .app
        .node
        .with_area(area.clone(), move |a| {
            let (mut status, conflicts) = a.status_and_conflicts();
            sort_groups(&mut status.groups, order);
            let head = a.member(&me).is_some_and(|m| m.role == "head" && !m.removed);
            let upgrade = a.profile_upgrade().map(|p| (p.version(), head));
            let (duplicates, code_duplicates) =
                if head { (a.group_spellings(), a.code_duplicates()) } else { (Vec::new(), Vec::new()) };
            let version = heads_version(&a.heads());
            Ok(Board { status, conflicts: conflicts.len(), version, upgrade, duplicates, code_duplicates })
        })
        .await;
    match read {
        Ok(b) => page(render(&ctx, &area, &b, order)),
        Err(e) => failed(&ctx, e),
    }
}

/// `POST /a/{area}/groups`: the head merges the spellings of one group (`name`).
pub async fn merge_group(State(ws): State<WebState>, ctx: Ctx, Path(area): Path<String>, form: Form) -> Response {
    let name = form.get("name").unwrap_or("").to_string();
    match ws.app.node.merge_group(area.clone(), name).await {
        Ok(_) => see_other(&format!("/a/{area}#groups")),
        Err(e) => failed(&ctx, e),
    }
}

/// `POST /a/{area}/upgrade`: the head moves the area to the newer built-in profile.
pub async fn upgrade(State(ws): State<WebState>, ctx: Ctx, Path(area): Path<String>, _form: Form) -> Response {
    match ws.app.node.upgrade_profile(area.clone()).await {
        Ok(_) => see_other(&format!("/a/{area}")),
        Err(e) => failed(&ctx, e),
    }
}

fn heads_version(heads: &[automerge::ChangeHash]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for head in heads {
        h.update(head.0);
    }
    hex::encode(&h.finalize()[..6])
}

fn render(ctx: &Ctx, area: &str, b: &Board, order: Order) -> Markup {
    let l = ctx.l;
    let s = &b.status;
    let no_data = s.criteria.iter().filter(|c| c.required && c.no_data).count();
    let declined = crate::report::declined_line(l.0, s.declined, s.households);
    let body = html! {
        section.card.summary data-required-met=(s.required_met) data-required-total=(s.required_total) data-certified=(s.certified) {
            h1 { (s.name) }
            p.muted { (s.ward) " · " (l.int(s.households as f64)) " " (l.m("web-board-active-households")) }
            p.big {
                (l.m("web-met")) " " strong { (s.required_met) "/" (s.required_total) } " " (l.m("web-required-criteria"))
                @if no_data > 0 {
                    " · " span data-no-data-count=(no_data) { (kdc_text::t!(l, "web-board-no-data-count", count = no_data)) }
                }
            }
            p.declined data-declined=(s.declined) {
                @match &declined {
                    Some(line) => { "⊘ " (line) },
                    None => { (l.m("web-board-no-household-declined-the-survey")) },
                }
            }
            @if s.certified {
                p { span.badge.ok { "✓ " (l.m("web-board-meets-every-criterion-for-certification")) } }
            } @else {
                p { span.badge.no { "✗ " (l.m("web-not-yet-certifiable")) } }
            }
            @if let Some((version, head)) = b.upgrade {
                div.warn data-profile-upgrade=(version) {
                    p { "ℹ " (l.m("web-board-a-newer-criteria-profile-version")) (version) (l.m("web-board-asks-for-and-records-each")) }
                    @if head {
                        form method="post" action=(format!("/a/{area}/upgrade")) {
                            (crate::web::layout::csrf(ctx))
                            button type="submit" data-action="upgrade-profile" { (l.m("web-board-move-to-the-new-profile")) }
                        }
                    } @else {
                        p.muted { (l.m("web-board-the-area-s-head-can")) }
                    }
                }
            }
            @if s.incomplete > 0 {
                p.warn { "⚠ " (s.incomplete) " " (l.m("web-board-households-lack-the-count-of")) }
            }
        }
        @for codes in &b.code_duplicates {
            div.card.warn data-duplicate-house=(codes.join(" ")) {
                p { "⚠ " (l.m("web-board-one-house-is-recorded-under"))
                    @for (i, code) in codes.iter().enumerate() {
                        @if i > 0 { ", " }
                        a href=(format!("/a/{area}/h/{code}")) { (code) }
                    }
                }
                p.hint { (l.m("web-board-open-each-record-every-answer")) }
            }
        }
        h2 { (l.m("web-board-criteria")) }
        ul.criteria {
            @for c in &s.criteria {
                li { (criterion(l, area, c, true)) }
            }
        }
        @if !s.groups.is_empty() {
            h2 #groups { (l.m("web-board-by-residential-group")) }
            @for (name, spellings) in &b.duplicates {
                form.card.warn method="post" action=(format!("/a/{area}/groups")) data-duplicate-group=(name) {
                    (crate::web::layout::csrf(ctx))
                    input type="hidden" name="name" value=(name);
                    p { "⚠ " (l.m("web-board-one-group-is-written-several"))
                        @for (i, (g, n)) in spellings.iter().enumerate() { @if i > 0 { ", " } "“" (g) "” (" (n) " " (l.m("web-households")) ")" }
                        (l.m("web-board-the-figures-already-count-them")) }
                    button type="submit" data-action="merge-group" { (l.m("web-board-merge-as")) (name) "”" }
                }
            }
            p.order {
                (l.m("web-board-order"))
                @if order == Order::Need {
                    strong { (l.m("web-board-most-still-needed")) } " · "
                    a href=(format!("/a/{area}?order=name#groups")) data-order="name" { (l.m("web-board-group-name")) }
                } @else {
                    a href=(format!("/a/{area}#groups")) data-order="need" { (l.m("web-board-most-still-needed")) } " · "
                    strong { (l.m("web-board-group-name")) }
                }
            }
            @for g in &s.groups {
                @let e = &g.evaluation;
                details.card.group data-group=(g.group) data-keep=(format!("g:{}", g.group)) {
                    summary {
                        strong { @if g.group.is_empty() { (l.m("web-no-group")) } @else { (g.group) } }
                        " · " (l.int(e.households as f64)) " " (l.m("web-households"))
                        @if e.declined > 0 { " · " (e.declined) " " (l.m("web-declined")) }
                        " · " (l.m("web-met")) " " (e.required_met) "/" (e.required_total)
                        " " (if e.certified { "✓" } else { "✗" })
                        @if e.incomplete > 0 { " · " (e.incomplete) " " (l.m("web-board-lack-the-14-count")) }
                        svg.bar viewBox="0 0 100 6" preserveAspectRatio="none" aria-hidden="true" focusable="false" {
                            rect.track width="100" height="6" {}
                            rect class=(if e.certified { "fill ok" } else { "fill no" })
                                width=(format!("{:.2}", if e.required_total == 0 { 0.0 } else { e.required_met as f64 * 100.0 / e.required_total as f64 })) height="6" {}
                        }
                    }
                    ul.criteria.compact {
                        @for c in &g.evaluation.criteria {
                            li { (criterion(l, area, c, false)) }
                        }
                    }
                }
            }
        }
        h2 { (l.m("web-board-progress-over-time")) }
        figure.card.chart {
            img src=(format!("/a/{area}/chart.svg?v={}&lang={}", b.version, l.code())) width="320" height="160"
                alt=(l.m("web-board-chart-of-required-criteria-met"));
            figcaption.muted { (l.m("web-board-solid-required-criteria-met-dashed")) }
        }
    };
    let nav = AreaNav { id: area, name: &s.name, tab: Tab::Board, conflicts: b.conflicts };
    layout::page(ctx, &s.name, Some(nav), Live::Replace, &format!("/a/{area}/events"), body)
}

/// One criterion with the board's test hooks. `hooks` is false for the per-group copies, so
/// `data-criterion` stays one element per criterion.
fn criterion(l: L, area: &str, c: &CriterionStatus, hooks: bool) -> Markup {
    let fill =
        if c.denominator > 0 { (c.numerator as f64 / c.denominator as f64 * 100.0).clamp(0.0, 100.0) } else { 0.0 };
    let threshold = c.threshold * 100.0;
    let needed = if c.met || !c.applicable { None } else { c.needed };
    html! {
        article.crit
            data-criterion=[hooks.then_some(c.id.as_str())]
            data-met=[hooks.then_some(c.met)]
            data-applicable=[hooks.then_some(c.applicable)]
            data-numerator=[hooks.then_some(c.numerator)]
            data-denominator=[hooks.then_some(c.denominator)]
            data-needed=[needed.filter(|_| hooks)]
        {
            div.crit-head {
                h3 { (c.label.get(l.0)) }
                (met_badge(l, c))
            }
            @if !c.required { p.tag { (l.m("web-board-encouraged")) } }
            svg.bar viewBox="0 0 100 6" preserveAspectRatio="none" aria-hidden="true" focusable="false" {
                rect.track width="100" height="6" {}
                rect class=(if c.met { "fill ok" } else { "fill no" }) width=(format!("{fill:.2}")) height="6" {}
                line.thr x1=(format!("{threshold:.2}")) x2=(format!("{threshold:.2}")) y1="0" y2="6" {}
            }
            p.figures {
                @if c.no_data {
                    (l.m("web-board-nothing-recorded-in-scope-yet"))
                } @else if c.applicable {
                    strong { (l.int(c.numerator as f64)) "/" (l.int(c.denominator as f64)) } " · " (l.percent(c.numerator, c.denominator))
                } @else {
                    (l.m("web-board-no-household-in-scope"))
                }
                " · " (l.m("web-board-needs")) " " (l.op_threshold(&c.op, c.threshold))
                @if c.unknown > 0 { " · " (c.unknown) " " (l.m("web-board-unknown")) }
            }
            @if let Some(k) = needed {
                p.needed {
                    "→ " (l.needed(c.level, k)) " "
                    a href=(format!("/a/{area}/worklist?missing={}", c.id)) { (l.m("web-board-households")) }
                }
            }
        }
    }
}

/// `GET /a/{area}/chart.svg`: required criteria met and households recorded at the end of
/// each day that had changes (from the change log, as `kdc history` computes it).
pub async fn chart(State(ws): State<WebState>, ctx: Ctx, Path(area): Path<String>) -> Response {
    let pages = Arc::clone(&ws.pages);
    let lang = ctx.l;
    let read = ws
        .app
        .node
        .with_area(area.clone(), move |a| {
            let heads = a.heads();
            let key = (a.id(), lang.code());
            if let Some((h, svg)) = pages.charts.lock().unwrap_or_else(|p| p.into_inner()).get(&key)
                && *h == heads
            {
                return Ok(Arc::clone(svg));
            }
            let day_of = |secs: i64| Local.timestamp_opt(secs, 0).single().map(|t| t.date_naive()).unwrap_or_default();
            let days = history::daily(a, day_of, None, None)?;
            let svg: Arc<str> = draw(lang, &days).into();
            pages.charts.lock().unwrap_or_else(|p| p.into_inner()).insert(key, (heads, Arc::clone(&svg)));
            Ok(svg)
        })
        .await;
    match read {
        Ok(svg) => {
            let mut r = ([(header::CONTENT_TYPE, "image/svg+xml")], svg.to_string()).into_response();
            // Versioned by the heads in its URL.
            r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=31536000"));
            r
        }
        Err(e) => failed(&ctx, e),
    }
}

fn draw(l: L, days: &[history::DayStatus]) -> String {
    let (w, h, pad) = (320.0_f64, 160.0_f64, 24.0_f64);
    let n = days.len().max(1);
    let max_req = days.iter().map(|d| d.evaluation.required_total).max().unwrap_or(1).max(1) as f64;
    let max_hh = days.iter().map(|d| d.evaluation.households).max().unwrap_or(1).max(1) as f64;
    let x = |i: usize| if n == 1 { w / 2.0 } else { pad + (w - 2.0 * pad) * i as f64 / (n - 1) as f64 };
    let y = |v: f64, max: f64| h - pad - (h - 2.0 * pad) * v / max;
    let line = |f: &dyn Fn(&history::DayStatus) -> f64, max: f64| {
        days.iter().enumerate().map(|(i, d)| format!("{:.1},{:.1}", x(i), y(f(d), max))).collect::<Vec<_>>().join(" ")
    };
    let req = line(&|d| d.evaluation.required_met as f64, max_req);
    let hh = line(&|d| d.evaluation.households as f64, max_hh);
    let date = |d: &history::DayStatus| {
        let p: Vec<&str> = d.date.split('-').collect();
        if p.len() == 3 { format!("{}/{}", p[2], p[1]) } else { d.date.clone() }
    };
    let first = days.first().map(date).unwrap_or_default();
    let last = days.last().map(date).unwrap_or_default();
    let last_req = days.last().map_or(0, |d| d.evaluation.required_met);
    let last_hh = days.last().map_or(0, |d| d.evaluation.households);
    html! {
        svg xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {w} {h}")) width=(w) height=(h) font-family="sans-serif" font-size="11" {
            rect x="0" y="0" width=(w) height=(h) fill="#ffffff" {}
            line x1=(pad) y1=(h - pad) x2=(w - pad) y2=(h - pad) stroke="#555" stroke-width="1" {}
            line x1=(pad) y1=(pad) x2=(pad) y2=(h - pad) stroke="#555" stroke-width="1" {}
            @if days.is_empty() {
                text x=(w / 2.0) y=(h / 2.0) text-anchor="middle" fill="#333" { (l.m("web-no-data-yet")) }
            } @else {
                polyline points=(hh) fill="none" stroke="#6b4e00" stroke-width="2" stroke-dasharray="5 3" {}
                polyline points=(req) fill="none" stroke="#0b5cad" stroke-width="3" {}
                text x=(pad) y=(h - 6.0) fill="#333" { (first) }
                text x=(w - pad) y=(h - 6.0) text-anchor="end" fill="#333" { (last) }
                text x=(pad + 4.0) y=(pad - 8.0) fill="#0b5cad" { (l.m("web-board-criteria-met")) (last_req) "/" (max_req as u64) }
                text x=(w - pad) y=(pad - 8.0) text-anchor="end" fill="#6b4e00" { (l.m("web-board-households-2")) (last_hh) }
            }
        }
    }
    .into_string()
}
