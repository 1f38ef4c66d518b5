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
        h1 { (l.t("Kiểm tra kết nối", "Connection check")) }
        section.card {
            h2 { (l.t("Lời khuyên", "Advice")) }
            ul.advice {
                @for a in &d.advice {
                    li data-advice=(a.code) {
                        @if a.code == "ok" { "✓ " } @else { "⚠ " }
                        (for_volunteers(l.t(&a.vi, &a.en)))
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
                        span class=(if m.connected { "badge ok" } else { "badge na" }) data-sync-state {
                            (l.sync_state(m.connected, ws.app.node.last_sync(&m.area, &m.peer_id), now))
                        }
                        " "
                        @match m.reachable {
                            Some(true) => span.muted { (l.t("trả lời được", "answers")) },
                            Some(false) => span.muted { (l.t("không trả lời", "does not answer")) },
                            None => span.muted { (l.t("chưa biết địa chỉ", "no address known")) },
                        }
                        @if let Some(v) = &m.via {
                            " · "
                            span data-via=(v) {
                                @if v == "relay" { "⇄ " (l.t("qua máy chuyển tiếp", "through the relay")) }
                                @else { "↔ " (l.t("trực tiếp", "direct")) }
                            }
                        }
                    }
                }
            }
        }
        section.card data-outside=(d.outside) {
            h2 { (l.t("Ngoài Wi-Fi", "Beyond the Wi-Fi")) }
            p { @match d.outside.as_str() {
                "public" => { "✓ " (l.t("Máy này có địa chỉ công khai: thành viên ở mạng khác kết nối thẳng được.", "This device has a public address: members elsewhere reach it directly.")) },
                "relay" => { "✓ " (l.t("Thành viên ở mạng khác kết nối được máy này qua máy chuyển tiếp.", "Members elsewhere reach this device through the relay.")) },
                _ => { "⚠ " (l.t("Thành viên ở mạng khác chưa kết nối được máy này.", "Members elsewhere cannot reach this device yet.")) },
            } }
            ul.relays {
                @for r in &d.relays {
                    li data-doctor-relay=(r.relay.addr) data-reserved=(r.relay.reserved) {
                        @match (r.relay.reserved, r.relay.reachable) {
                            (true, _) => span.badge.ok { "✓ " (l.t("Đang giữ chỗ", "Reservation held")) },
                            (false, Some(true)) => span.badge.ok { "✓ " (l.t("Kết nối được", "Reachable")) },
                            (false, Some(false)) => span.badge.no { "✗ " (l.t("Không kết nối được", "Not reachable")) },
                            (false, None) => span.badge.na { "… " (l.t("Chưa thử", "Not tried yet")) },
                        }
                        br; code.peer { (r.relay.addr) }
                    }
                }
            }
        }
        details.card.advanced {
            summary { (l.t("Nâng cao: địa chỉ của thiết bị này", "Advanced: this device's addresses")) }
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

/// The doctor's advice as a volunteer reads it in the web app: the same advice `kdc doctor`
/// prints, with its command-line hints turned into the app's own places.
fn for_volunteers(text: &str) -> String {
    [
        ("`kdc peer add ĐỊA_CHỈ`", "mục “Nâng cao” của trang Nhóm (thêm địa chỉ thiết bị)"),
        ("`kdc peer add ADDRESS`", "“Advanced” on the Team page (add a device address)"),
        ("bằng `kdc peer add`", "ở mục “Nâng cao” của trang Nhóm"),
        ("with `kdc peer add`", "under “Advanced” on the Team page"),
        ("(hoặc `kdc area relay add`)", ""),
        ("(or `kdc area relay add`)", ""),
        ("`termux-wake-lock`", "termux-wake-lock (trong Termux)"),
        ("mở kdcd", "mở ứng dụng KDC Sync"),
        ("run kdcd", "open the KDC Sync app"),
        ("chạy kdcd", "chạy ứng dụng KDC Sync"),
        ("This kdcd runs", "This device runs KDC Sync"),
    ]
    .iter()
    .fold(text.to_string(), |t, (from, to)| t.replace(from, to))
}

#[cfg(test)]
mod tests {
    #[test]
    fn advice_for_volunteers_names_no_command() {
        let vi = super::for_volunteers(
            "Chưa từng thấy Lan trong khu a: nhờ họ mở kdcd trên cùng Wi-Fi, hoặc thêm địa chỉ của họ bằng `kdc peer add`.",
        );
        assert!(!vi.contains("kdc"), "{vi}");
        let en = super::for_volunteers("Use an invite or `kdc peer add ADDRESS`.");
        assert!(!en.contains("kdc"), "{en}");
    }
}
