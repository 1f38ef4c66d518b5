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
    let body = html! {
        h1 { (l.t("Kiểm tra kết nối", "Connection check")) }
        section.card {
            h2 { (l.t("Lời khuyên", "Advice")) }
            ul.advice {
                @for a in &d.advice {
                    li data-advice=(a.code) {
                        @if a.code == "ok" { "✓ " } @else { "⚠ " }
                        (l.t(&a.vi, &a.en))
                    }
                }
            }
        }
        section.card {
            h2 { (l.t("Thành viên", "Members")) }
            @if !d.members.iter().any(|m| !m.this_device && !m.removed) {
                p.muted { (l.t("Khu này chưa có thành viên nào khác.", "This area has no other member yet.")) }
            }
            ul.members {
                @for m in d.members.iter().filter(|m| !m.this_device && !m.removed) {
                    li data-doctor-member=(m.peer_id) data-connected=(m.connected) data-reachable=[m.reachable] {
                        strong { (m.name) } br;
                        @if m.connected { span.badge.ok { "● " (l.t("Đang kết nối", "Connected")) } }
                        @else { span.badge.na { "○ " (l.t("Không kết nối", "Not connected")) } }
                        " "
                        @match m.reachable {
                            Some(true) => span.muted { (l.t("trả lời được", "answers")) },
                            Some(false) => span.muted { (l.t("không trả lời", "does not answer")) },
                            None => span.muted { (l.t("chưa biết địa chỉ", "no address known")) },
                        }
                    }
                }
            }
        }
        section.card {
            h2 { (l.t("Thiết bị này", "This device")) }
            p { (l.t("Đang nghe tại: ", "Listening on: "))
                @if d.listen.is_empty() { (l.t("(chỉ trên chính máy này)", "(this device only)")) }
                @for a in &d.listen { br; code { (a) } } }
            p { "mDNS: " @if d.mdns { (l.t("bật", "on")) } @else { (l.t("tắt", "off")) }
                " · " (l.t("thiết bị đã thấy: ", "devices seen: ")) (d.mdns_peers_seen) }
        }
        p { a href=(format!("/a/{area}/doctor")) data-action="doctor-again" { (l.t("Kiểm tra lại", "Check again")) } }
    };
    let nav = AreaNav { id: &area, name: &name, tab: Tab::Team, conflicts };
    page(layout::page(&ctx, l.t("Kiểm tra kết nối", "Connection check"), Some(nav), Live::Off, "", body))
}
