//! `/a/{area}/team`: the roster (who is connected now, last sync with this device), inviting a
//! member (QR code plus the token), removing one, the peers, and adding a peer by address.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use crdt_model::area::Member;
use crdt_model::epoch::ErasureStatus;
use crdt_model::history::Activity;
use maud::{Markup, PreEscaped, html};

use super::field_refusal;
use crate::api::types::InviteInfo;
use crate::network::PeerInfo;
use crate::web::i18n::L;
use crate::web::layout::{self, AreaNav, Live, Tab, csrf, field_error};
use crate::web::{Ctx, DEFAULT_APP_URL, Form, WebState, error_page, page, page_with, see_other};

struct Team {
    name: String,
    conflicts: usize,
    members: Vec<Member>,
    peers: Vec<PeerInfo>,
    erasure: ErasureStatus,
    /// Who recorded or updated how many households today and this week.
    activity: Vec<Activity>,
    /// The household just erased (`?erased=HH`, after the household page's erase).
    erased: Option<String>,
    /// The area's relays and this device's standing at each.
    relays: Vec<crate::network::relays::RelayInfo>,
    /// The oldest release that reads the area as it is now.
    requires: crdt_model::compat::Requirement,
    /// Newer releases for this device that connected teammates offer.
    update: Option<crate::api::update::UpdateCheck>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct TeamQuery {
    erased: Option<String>,
}

async fn read(ws: &WebState, l: L, area: &str) -> Result<Team, Response> {
    let (today, week) = day_and_week_start();
    let (name, conflicts, members, erasure, activity, requires) = ws
        .app
        .node
        .with_area(area.to_string(), move |a| {
            Ok((a.name(), a.conflicts().len(), a.members(), a.erasure_status(), a.activity(today, week), a.requires()))
        })
        .await
        .map_err(|e| error_page(l, e.into()))?;
    let peers = ws.app.peers().await.unwrap_or_default();
    let relays = ws.app.relays(area.to_string()).await.map_err(|e| error_page(l, e))?;
    let update = ws.app.update_check().await.ok().filter(|u| !u.offers.is_empty());
    Ok(Team { name, conflicts, members, peers, erasure, activity, erased: None, relays, requires, update })
}

/// Unix seconds of today's start and of this week's (Monday), local time.
fn day_and_week_start() -> (i64, i64) {
    use chrono::{Datelike, Local, TimeZone};
    let now = Local::now();
    let midnight = |d: chrono::NaiveDate| {
        Local.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default()).earliest().map_or(0, |t| t.timestamp())
    };
    let today = now.date_naive();
    let monday = today - chrono::Days::new(u64::from(today.weekday().num_days_from_monday()));
    (midnight(today), midnight(monday))
}

/// `GET /a/{area}/team`.
pub async fn show(
    State(ws): State<WebState>,
    ctx: Ctx,
    Path(area): Path<String>,
    Query(q): Query<TeamQuery>,
) -> Response {
    match read(&ws, ctx.l, &area).await {
        Ok(mut t) => {
            t.erased = q.erased.filter(|hh| t.erasure.erased.contains(hh));
            page(render(&ctx, &ws, &area, &t, None, None, None))
        }
        Err(r) => r,
    }
}

/// `POST /a/{area}/team`: `action=invite`, `remove` (`peer_id`, `confirm=yes`), `add-peer`
/// (`addr`), `add-relay` (`relay`) or `remove-relay` (`relay`, `confirm=yes`).
pub async fn submit(State(ws): State<WebState>, ctx: Ctx, Path(area): Path<String>, form: Form) -> Response {
    let outcome: Result<Option<InviteInfo>, crate::api::ApiError> = match form.get("action").unwrap_or("") {
        "invite" => ws.app.invite(area.clone(), None).await.map(Some),
        "remove" => {
            if form.get("confirm") != Some("yes") {
                return see_other(&format!("/a/{area}/team"));
            }
            let peer = form.get("peer_id").unwrap_or("").to_string();
            ws.app.node.remove_member(area.clone(), peer).await.map(|_| None).map_err(Into::into)
        }
        "add-peer" => ws.app.add_peer(form.get("addr").unwrap_or("")).await.map(|_| None),
        "update" => {
            let body = crate::api::update::UpdateBody { version: form.get("release").map(str::to_string) };
            return match ws.app.update_install(body).await {
                Ok(done) => page(updating(&ctx, &area, &done)),
                Err(e) => match read(&ws, ctx.l, &area).await {
                    Ok(t) => page_with(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        render(&ctx, &ws, &area, &t, None, Some(("update".into(), e.message)), None),
                    ),
                    Err(r) => r,
                },
            };
        }
        "add-relay" => {
            let addr = form.get("relay").unwrap_or("").to_string();
            ws.app.node.add_relay(area.clone(), addr).await.map(|_| None).map_err(Into::into)
        }
        "remove-relay" => {
            if form.get("confirm") != Some("yes") {
                return see_other(&format!("/a/{area}/team"));
            }
            let addr = form.get("relay").unwrap_or("").to_string();
            ws.app.node.remove_relay(area.clone(), addr).await.map(|_| None).map_err(Into::into)
        }
        _ => return see_other(&format!("/a/{area}/team")),
    };
    match outcome {
        // The token is shown once, on this answer (not put in a URL).
        Ok(Some(invite)) => match read(&ws, ctx.l, &area).await {
            Ok(t) => page(render(&ctx, &ws, &area, &t, Some(&invite), None, None)),
            Err(r) => r,
        },
        Ok(None) => see_other(&format!("/a/{area}/team")),
        Err(e) => {
            let field = match form.get("action") {
                Some("add-peer") => "addr",
                Some("add-relay" | "remove-relay") => "relay",
                _ => "peer_id",
            };
            match field_refusal(e, field).map(|(f, m)| relay_message(ctx.l, f, m)) {
                Ok(refusal) => match read(&ws, ctx.l, &area).await {
                    Ok(t) => page_with(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        render(&ctx, &ws, &area, &t, None, Some(refusal), form.get("addr").or(form.get("relay"))),
                    ),
                    Err(r) => r,
                },
                Err(e) if e.kind == "unreachable" => match read(&ws, ctx.l, &area).await {
                    Ok(t) => page_with(
                        StatusCode::BAD_GATEWAY,
                        render(&ctx, &ws, &area, &t, None, Some(("addr".into(), e.message)), form.get("addr")),
                    ),
                    Err(r) => r,
                },
                Err(e) => error_page(ctx.l, e),
            }
        }
    }
}

/// A relay refusal in the page's language, from the catalogue (the model speaks to scripts).
fn relay_message(l: L, field: String, message: String) -> (String, String) {
    if field != "relay" {
        return (field, message);
    }
    let text = if message.contains("only the area's head") {
        l.m("web-team-relay-head-only").to_string()
    } else {
        kdc_text::t!(l, "web-team-relay-invalid", detail = message)
    };
    (field, text)
}

fn role(l: L, role: &str) -> &'static str {
    kdc_text::role(l.0, role)
}

/// The invite's QR code as SVG: a link to the joining phone's own app.
fn qr_svg(link: &str) -> Option<String> {
    let code = qrcode::QrCode::with_error_correction_level(link.as_bytes(), qrcode::EcLevel::L).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color>()
            .min_dimensions(240, 240)
            .quiet_zone(true)
            .dark_color(qrcode::render::svg::Color("#000000"))
            .light_color(qrcode::render::svg::Color("#ffffff"))
            .build(),
    )
}

/// After `action=update`: the release is in place and kdcd restarts; the page reloads itself.
fn updating(ctx: &Ctx, area: &str, done: &crate::api::update::Installed) -> Markup {
    let l = ctx.l;
    let body = html! {
        h1 { (l.m("web-team-updating")) }
        section.card data-updated=(done.version) {
            p.badge.ok { "✓ " (l.m("web-team-installed-release")) (done.version) (l.m("web-team-was")) (done.previous) ")." }
            p { (l.m("web-team-this-device-is-restarting-on")) }
            p { a href=(format!("/a/{area}/team")) data-action="reload" { (l.m("web-team-open-the-team-page-again")) } }
        }
    };
    layout::page(ctx, l.m("web-team-updating"), None, Live::Off, &format!("/a/{area}/events"), body)
}

/// The area's relays: how this device stands with each; the head adds and removes them.
fn relays_card(
    ctx: &Ctx,
    area: &str,
    relays: &[crate::network::relays::RelayInfo],
    head: bool,
    typed: &str,
    error: Option<&(String, String)>,
    stops: &[(String, String)],
) -> Markup {
    let l = ctx.l;
    let since = crdt_model::compat::Feature::Relays.since();
    html! {
        section.card #relays data-relays=(relays.len()) {
            h2 { (l.m("web-team-syncing-beyond-the-wi-fi")) }
            p.muted { (l.m("web-team-a-relay-lets-phones-on")) }
            @if relays.is_empty() {
                p data-no-relay { (l.m("web-team-no-relay-yet-devices-sync")) }
            }
            ul.relays {
                @for r in relays {
                    li data-relay=(r.addr) data-reachable=(r.reachable.map_or("unknown", |b| if b { "yes" } else { "no" })) data-reserved=(r.reserved) {
                        @match (r.reserved, r.reachable) {
                            (true, _) => span.badge.ok { "✓ " (l.m("web-team-in-use-members-reach-this")) },
                            (false, Some(true)) => span.badge.ok { "✓ " (l.m("web-reachable")) },
                            (false, Some(false)) => span.badge.no { "✗ " (l.m("web-not-reachable")) },
                            (false, None) => span.badge.na { "… " (l.m("web-team-not-tried-yet")) },
                        }
                        @if let Some(e) = &r.error { br; small.muted { (e) } }
                        details.advanced { summary { (l.m("web-address")) } code.peer { (r.addr) } }
                        @if head {
                            form.inline method="post" action=(format!("/a/{area}/team")) {
                                (csrf(ctx))
                                input type="hidden" name="action" value="remove-relay";
                                input type="hidden" name="relay" value=(r.addr);
                                details data-keep=(format!("rr:{}", r.addr)) {
                                    summary data-action="remove-relay" { (l.m("web-team-remove-relay")) }
                                    label.check { input type="checkbox" name="confirm" value="yes" required; " " (l.m("web-team-confirm-removing")) }
                                    button.danger type="submit" data-action="remove-relay-confirm" { (l.m("web-team-remove")) }
                                }
                            }
                        }
                    }
                }
            }
            @if head {
                form method="post" action=(format!("/a/{area}/team")) novalidate {
                    (csrf(ctx))
                    input type="hidden" name="action" value="add-relay";
                    label for="relay-addr" { (l.m("web-team-add-a-relay-its-full")) }
                    input #relay-addr name="relay" type="text" autocapitalize="off" spellcheck="false" placeholder="/ip4/203.0.113.7/tcp/4001/p2p/12D3KooW…" value=(typed);
                    @if relays.is_empty() && !stops.is_empty() {
                        p.warn data-relay-stops=(stops.len()) {
                            "⚠ " (l.m("web-team-once-the-area-has-a"))
                            (since) ": "
                            @for (i, (name, v)) in stops.iter().enumerate() {
                                @if i > 0 { ", " }
                                strong { (name) } " (" (l.m("web-team-release")) (v) ")"
                            }
                        }
                    }
                    (field_error("relay", error))
                    button.secondary type="submit" data-action="add-relay" { (l.m("web-team-add")) }
                }
            } @else {
                p.muted { (l.m("web-team-the-area-head-adds-and")) }
            }
        }
    }
}

fn render(
    ctx: &Ctx,
    ws: &WebState,
    area: &str,
    t: &Team,
    invite: Option<&InviteInfo>,
    error: Option<(String, String)>,
    typed: Option<&str>,
) -> Markup {
    let l = ctx.l;
    let me = ws.app.node.peer_id();
    let typed_addr = typed.unwrap_or("");
    let error = error.as_ref();
    let now = crate::node::now_ms();
    let head = t.members.iter().any(|m| m.peer_id == me && m.role == "head" && !m.removed);
    let via = |peer: &str| t.peers.iter().find(|p| p.peer_id == peer && p.connected).and_then(|p| p.via.clone());
    let typed_relay = if error.is_some_and(|e| e.0 == "relay") { typed_addr } else { "" };
    // The release each other member last announced, and whether it can read the area now.
    let release = |peer: &str| {
        t.peers
            .iter()
            .find(|p| p.peer_id == peer)
            .and_then(|p| p.version.as_deref())
            .and_then(|v| semver::Version::parse(v).ok())
    };
    let behind = |peer: &str| release(peer).filter(|v| !t.requires.readable_by(v));
    // Members a first relay would leave behind (told before the head adds it).
    let releases: Vec<(&str, semver::Version)> = t
        .members
        .iter()
        .filter(|m| !m.removed && m.peer_id != me)
        .filter_map(|m| Some((m.name.as_str(), release(&m.peer_id)?)))
        .collect();
    let stops = t.requires.stopped_by(crdt_model::compat::Feature::Relays, releases.iter().map(|(n, v)| (*n, v)));
    let typed_addr = if error.is_some_and(|e| e.0 == "addr") { typed_addr } else { "" };
    let body = html! {
        h1 { (l.m("web-team")) }
        @if let Some(u) = &t.update {
            @let o = &u.offers[0];
            @let from = t.members.iter().find(|m| m.peer_id == o.from).map_or(o.from.as_str(), |m| m.name.as_str());
            section.card.warn #update data-update-offer=(o.version) {
                h2 { "⬆ " (l.m("web-team-a-new-release")) (o.version) }
                p {
                    (from) (l.m("web-team-has-release")) strong { (o.version) }
                    (l.m("web-team-for-this-device-it-runs")) (u.current) "). "
                    (l.m("web-team-updating-takes-the-app-away"))
                }
                form method="post" action=(format!("/a/{area}/team")) {
                    (csrf(ctx))
                    input type="hidden" name="action" value="update";
                    input type="hidden" name="release" value=(o.version);
                    (field_error("update", error))
                    button.primary type="submit" data-action="update" { (l.m("web-team-update-to")) (o.version) }
                }
            }
        }
        section.card {
            h2 { (l.m("web-members")) }
            ul.members {
                @for m in t.members.iter().filter(|m| !m.removed) {
                    @let connected = m.peer_id == me || ws.app.node.is_connected(&m.peer_id);
                    li data-member=(m.peer_id) data-connected=(connected) {
                        strong { (m.name) } " · " (role(l, &m.role))
                        @if m.peer_id == me { " · " (l.m("web-team-this-device")) }
                        br;
                        @if m.peer_id != me {
                            span class=(if connected { "badge ok" } else { "badge na" }) data-sync-state {
                                (l.sync_state(connected, ws.app.node.last_sync(area, &m.peer_id), now))
                            }
                            @if let Some(v) = behind(&m.peer_id) {
                                " "
                                span.badge.no data-behind=(v) {
                                    "⚠ " (l.m("web-team-release-2")) (v) (l.m("web-team-receives-none-of-the-area")) (t.requires.release)
                                }
                            }
                            @if let Some(v) = via(&m.peer_id) {
                                " "
                                span.badge.na data-via=(v) {
                                    @if v == "relay" { "⇄ " (l.m("web-through-the-relay")) }
                                    @else { "↔ " (l.m("web-direct")) }
                                }
                            }
                            form.inline method="post" action=(format!("/a/{area}/team")) {
                                (csrf(ctx))
                                input type="hidden" name="action" value="remove";
                                input type="hidden" name="peer_id" value=(m.peer_id);
                                details data-keep=(format!("rm:{}", m.peer_id)) {
                                    summary data-action="remove-member" { (l.m("web-team-remove-2")) }
                                    label.check { input type="checkbox" name="confirm" value="yes" required; " " (l.m("web-team-confirm-removing-2")) (m.name) }
                                    button.danger type="submit" data-action="remove-member-confirm" { (l.m("web-team-remove-3")) }
                                }
                            }
                        }
                        details.advanced { summary { (l.m("web-team-device-id")) } code.peer { (m.peer_id) } }
                    }
                }
            }
            (field_error("peer_id", error))
        }
        section.card #activity data-activity {
            h2 { (l.m("web-team-the-team-s-work")) }
            @if t.activity.is_empty() {
                p.muted { (l.m("web-team-no-household-recorded-this-week")) }
            } @else {
                div.scroll {
                    table.activity {
                        thead { tr {
                            th scope="col" { (l.m("web-team-member")) }
                            th scope="col" { (l.m("web-team-today-new-updated")) }
                            th scope="col" { (l.m("web-team-this-week-new-updated")) }
                        } }
                        tbody {
                            @for a in &t.activity {
                                tr data-activity-member=(a.peer_id) data-added-today=(a.added_today) data-updated-today=(a.updated_today)
                                    data-added-week=(a.added_week) data-updated-week=(a.updated_week) {
                                    td { strong { (a.name.as_deref().unwrap_or(l.m("web-team-device-not-on-the-roster"))) }
                                        @if let Some(at) = a.last_write { br; span.muted { (l.m("web-team-last-write")) (l.ago(at * 1000, now)) } } }
                                    td.num { (a.added_today) " / " (a.updated_today) }
                                    td.num { (a.added_week) " / " (a.updated_week) }
                                }
                            }
                        }
                    }
                }
                p.hint { (l.m("web-team-from-the-area-s-change")) }
            }
            p { a href=(format!("/a/{area}/print")) data-action="print-sheets" { (l.m("web-team-print-door-to-door-sheets")) } }
        }
        section.card.invite {
            h2 { (l.m("web-team-invite-a-member")) }
            @if let Some(inv) = invite {
                @let link = format!("{DEFAULT_APP_URL}/join?token={}", inv.token);
                p { (l.m("web-team-on-the-new-member-s")) }
                div.qr data-invite-qr {
                    @if let Some(svg) = qr_svg(&link) { (PreEscaped(svg)) }
                }
                p { a data-invite-link href=(link) { (l.m("web-team-join-link")) } }
                label for="invite-token" { (l.m("web-team-or-send-this-token-single")) (l.rfc3339(&inv.expires_at)) "):" }
                textarea #invite-token readonly rows="4" data-invite-token { (inv.token) }
                button.secondary type="button" data-copy="invite-token" hidden { (l.m("web-team-copy-token")) }
            } @else {
                form method="post" action=(format!("/a/{area}/team")) {
                    (csrf(ctx))
                    input type="hidden" name="action" value="invite";
                    button.primary type="submit" data-action="invite" { (l.m("web-team-create-an-invite")) }
                }
            }
        }
        @if t.erasure.epoch > 0 || t.erased.is_some() {
            @let s = &t.erasure;
            section.card #erasure data-erasure-epoch=(s.epoch) data-erasure-pending=(s.pending) {
                h2 { (l.m("web-team-erasure-on-request")) }
                @if let Some(hh) = &t.erased {
                    p.badge.ok data-erased=(hh) { "✓ " (l.m("web-team-erased-household")) (hh) (l.m("web-team-on-this-device")) }
                }
                p { (l.m("web-team-current-epoch")) strong { (s.epoch) } " · " (l.m("web-team-households-erased")) (s.erased.len())
                    @if let Some(at) = &s.cut_at { " · " (l.m("web-team-latest-erasure")) (l.rfc3339(at)) } }
                ul.members {
                    @for m in &s.members {
                        li data-epoch-member=(m.peer_id) data-adopted=(m.adopted) {
                            @if m.adopted { span.badge.ok { "✓ " (l.m("web-team-adopted")) } }
                            @else { span.badge.na { "✗ " (l.m("web-team-still-holds-erased-data")) } }
                            " " strong { (m.name) } " · " (role(l, &m.role))
                        }
                    }
                }
                @if s.pending > 0 {
                    p.muted { (l.m("web-team-devices-not-there-yet-take")) }
                }
                @for m in &s.removed_behind {
                    p.badge.no data-removed-behind=(m.peer_id) { "! " (l.m("web-team-removed-device")) (m.name) (l.m("web-team-may-still-hold-erased-data")) }
                }
            }
        }
        (relays_card(ctx, area, &t.relays, head, typed_relay, error, &stops))
        p.card { a href=(format!("/a/{area}/doctor")) data-action="doctor" { (l.m("web-team-not-syncing-check-the-connection")) } }
        details.card.advanced data-keep="advanced" open[error.is_some_and(|e| e.0 == "addr")] {
            summary { (l.m("web-team-advanced-devices-on-the-network")) }
            h2 { (l.m("web-team-peers")) }
            @if t.peers.is_empty() { p.muted { (l.m("web-team-no-peer-seen-yet")) } }
            ul.peers {
                @for p in &t.peers {
                    li data-peer=(p.peer_id) data-connected=(p.connected) {
                        @if p.connected { "● " } @else { "○ " }
                        strong { (p.name.as_deref().unwrap_or("?")) } " "
                        code.peer { (p.peer_id) }
                        @for a in &p.addrs { br; code { (a) } }
                    }
                }
            }
            form method="post" action=(format!("/a/{area}/team")) novalidate {
                (csrf(ctx))
                input type="hidden" name="action" value="add-peer";
                label for="peer-addr" { (l.m("web-team-add-a-device-address")) }
                input #peer-addr name="addr" type="text" autocapitalize="off" spellcheck="false" placeholder="/ip4/192.168.1.20/tcp/41234" value=(typed_addr);
                (field_error("addr", error))
                button.secondary type="submit" data-action="add-peer" { (l.m("web-team-connect")) }
            }
        }
    };
    let nav = AreaNav { id: area, name: &t.name, tab: Tab::Team, conflicts: t.conflicts };
    // An invite on screen must not be replaced by a live update.
    let live = if invite.is_some() {
        Live::Off
    } else if error.is_some() {
        Live::Notify
    } else {
        Live::Replace
    };
    layout::page(ctx, l.m("web-team"), Some(nav), live, &format!("/a/{area}/events"), body)
}
