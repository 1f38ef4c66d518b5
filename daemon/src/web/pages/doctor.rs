//! `/a/{area}/doctor`: "why does it not sync?" — what `kdc doctor AREA` says, for the volunteer
//! who has no terminal: each member connected or not, reachable or not, and the advice.

use axum::extract::{Path, State};
use axum::response::Response;
use maud::html;

use crate::web::layout::{self, AreaNav, Live, Tab};
use crate::web::{Ctx, WebState, error_page, page};

/// `GET /a/{area}/doctor`.
pub async fn show(State(ws): State<WebState>, ctx: Ctx, Path(area): Path<String>) -> Response {
    let l = ctx.l;
    let names = ws.app.node.with_area(area.clone(), |a| Ok((a.name(), a.conflicts().len()))).await;
    let (name, conflicts) = match names {
        Ok(n) => n,
        Err(e) => return error_page(l, e.into()),
    };
    let d = match ws.app.doctor(Some(area.clone())).await {
        Ok(d) => d,
        Err(e) => return error_page(l, e),
    };
    let now = crate::node::now_ms();
    let body = html! {
        h1 { (l.m("web-doctor-connection-check")) }
        section.card {
            h2 { (l.m("web-doctor-advice")) }
            ul.advice {
                @for a in &d.advice {
                    li data-advice=(a.code) {
                        @if a.code == "ok" { "✓ " } @else { "⚠ " }
                        (match &a.web { Some((vi, en)) => l.pick(vi, en), None => l.pick(&a.vi, &a.en) })
                    }
                }
            }
        }
        section.card {
            h2 { (l.m("web-members")) }
            @if !d.members.iter().any(|m| !m.this_device && !m.removed) {
                p.muted { (l.m("web-doctor-this-area-has-no-other")) }
            }
            ul.members {
                @for m in d.members.iter().filter(|m| !m.this_device && !m.removed) {
                    li data-doctor-member=(m.peer_id) data-connected=(m.connected) data-reachable=[m.reachable] {
                        strong { (m.name) } br;
                        span class=(if m.connected { "badge ok" } else { "badge na" }) data-sync-state {
                            (l.sync_state(m.connected, ws.app.node.last_sync(&m.area, &m.peer_id), now))
                        }
                        " "
                        @match m.reachable {
                            Some(true) => span.muted { (l.m("web-doctor-answers")) },
                            Some(false) => span.muted { (l.m("web-doctor-does-not-answer")) },
                            None => span.muted { (l.m("web-doctor-no-address-known")) },
                        }
                        @if let Some(v) = &m.via {
                            " · "
                            span data-via=(v) {
                                @if v == "relay" { "⇄ " (l.m("web-through-the-relay")) }
                                @else { "↔ " (l.m("web-direct")) }
                            }
                        }
                    }
                }
            }
        }
        section.card data-outside=(d.outside) {
            h2 { (l.m("web-doctor-beyond-the-wi-fi")) }
            p { @match d.outside.as_str() {
                "public" => { "✓ " (l.m("web-doctor-this-device-has-a-public")) },
                "relay" => { "✓ " (l.m("web-doctor-members-elsewhere-reach-this-device")) },
                _ => { "⚠ " (l.m("web-doctor-members-elsewhere-cannot-reach-this")) },
            } }
            ul.relays {
                @for r in &d.relays {
                    li data-doctor-relay=(r.relay.addr) data-reserved=(r.relay.reserved) {
                        @match (r.relay.reserved, r.relay.reachable) {
                            (true, _) => span.badge.ok { "✓ " (l.m("web-doctor-reservation-held")) },
                            (false, Some(true)) => span.badge.ok { "✓ " (l.m("web-reachable")) },
                            (false, Some(false)) => span.badge.no { "✗ " (l.m("web-not-reachable")) },
                            (false, None) => span.badge.na { "… " (l.m("web-doctor-not-tried-yet")) },
                        }
                        br; code.peer { (r.relay.addr) }
                    }
                }
            }
        }
        details.card.advanced {
            summary { (l.m("web-doctor-advanced-this-device-s-addresses")) }
            h2 { (l.m("web-doctor-this-device")) }
            p { (l.m("web-doctor-listening-on"))
                @if d.listen.is_empty() { (l.m("web-doctor-this-device-only")) }
                @for a in &d.listen { br; code { (a) } } }
            p { "mDNS: " @if d.mdns { (l.m("web-doctor-on")) } @else { (l.m("web-doctor-off")) }
                " · " (l.m("web-doctor-devices-seen")) (d.mdns_peers_seen) }
        }
        p { a href=(format!("/a/{area}/doctor")) data-action="doctor-again" { (l.m("web-doctor-check-again")) } }
    };
    let nav = AreaNav { id: &area, name: &name, tab: Tab::Team, conflicts };
    page(layout::page(&ctx, l.m("web-doctor-connection-check"), Some(nav), Live::Off, "", body))
}
