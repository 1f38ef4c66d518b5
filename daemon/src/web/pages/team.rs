//! `/a/{area}/team`: the roster (who is connected now, last sync with this device), inviting a
//! member (QR code plus the token), removing one, the peers, and adding a peer by address.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use crdt_model::area::Member;
use crdt_model::epoch::ErasureStatus;
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
    /// The household just erased (`?erased=HH`, after the household page's erase).
    erased: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct TeamQuery {
    erased: Option<String>,
}

async fn read(ws: &WebState, l: L, area: &str) -> Result<Team, Response> {
    let (name, conflicts, members, erasure) = ws
        .app
        .node
        .with_area(area.to_string(), |a| Ok((a.name(), a.conflicts().len(), a.members(), a.erasure_status())))
        .await
        .map_err(|e| error_page(l, e.into()))?;
    let peers = ws.app.peers().await.unwrap_or_default();
    Ok(Team { name, conflicts, members, peers, erasure, erased: None })
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

/// `POST /a/{area}/team`: `action=invite`, `remove` (`peer_id`, `confirm=yes`) or `add-peer`
/// (`addr`).
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
            let field = if form.get("action") == Some("add-peer") { "addr" } else { "peer_id" };
            match field_refusal(e, field) {
                Ok(refusal) => match read(&ws, ctx.l, &area).await {
                    Ok(t) => page_with(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        render(&ctx, &ws, &area, &t, None, Some(refusal), form.get("addr")),
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

fn role(l: L, role: &str) -> &'static str {
    match role {
        "head" => l.t("Trưởng khu", "Area head"),
        "ward" => l.t("Phường", "Ward office"),
        _ => l.t("Thành viên", "Member"),
    }
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
    let body = html! {
        h1 { (l.t("Nhóm", "Team")) }
        section.card {
            h2 { (l.t("Thành viên", "Members")) }
            ul.members {
                @for m in t.members.iter().filter(|m| !m.removed) {
                    @let connected = m.peer_id == me || ws.app.node.is_connected(&m.peer_id);
                    li data-member=(m.peer_id) data-connected=(connected) {
                        strong { (m.name) } " · " (role(l, &m.role))
                        @if m.peer_id == me { " · " (l.t("thiết bị này", "this device")) }
                        br;
                        @if m.peer_id != me {
                            @if connected { span.badge.ok { "● " (l.t("Đang kết nối", "Connected")) } }
                            @else { span.badge.na { "○ " (l.t("Không kết nối", "Not connected")) } }
                            " "
                            span.muted { (l.t("Đồng bộ lần cuối: ", "Last sync: "))
                                @match ws.app.node.last_sync(area, &m.peer_id) { Some(ms) => (l.datetime(ms)), None => (l.t("chưa có", "not yet")) } }
                            form.inline method="post" action=(format!("/a/{area}/team")) {
                                (csrf(ctx))
                                input type="hidden" name="action" value="remove";
                                input type="hidden" name="peer_id" value=(m.peer_id);
                                details data-keep=(format!("rm:{}", m.peer_id)) {
                                    summary data-action="remove-member" { (l.t("Xoá khỏi khu…", "Remove…")) }
                                    label.check { input type="checkbox" name="confirm" value="yes" required; " " (l.t("Xác nhận xoá ", "Confirm removing ")) (m.name) }
                                    button.danger type="submit" data-action="remove-member-confirm" { (l.t("Xoá", "Remove")) }
                                }
                            }
                        }
                        code.peer { (m.peer_id) }
                    }
                }
            }
            (field_error("peer_id", error))
        }
        section.card.invite {
            h2 { (l.t("Mời thành viên", "Invite a member")) }
            @if let Some(inv) = invite {
                @let link = format!("{DEFAULT_APP_URL}/join?token={}", inv.token);
                p { (l.t("Trên điện thoại của thành viên mới (đang chạy kdcd), quét mã này bằng camera:", "On the new member's phone (running kdcd), scan this with the camera:")) }
                div.qr data-invite-qr {
                    @if let Some(svg) = qr_svg(&link) { (PreEscaped(svg)) }
                }
                p { a data-invite-link href=(link) { (l.t("Đường dẫn tham gia", "Join link")) } }
                label for="invite-token" { (l.t("Hoặc gửi mã mời này (dùng một lần, hết hạn lúc ", "Or send this token (single use, expires ")) (l.rfc3339(&inv.expires_at)) "):" }
                textarea #invite-token readonly rows="4" data-invite-token { (inv.token) }
                button.secondary type="button" data-copy="invite-token" hidden { (l.t("Sao chép mã", "Copy token")) }
            } @else {
                form method="post" action=(format!("/a/{area}/team")) {
                    (csrf(ctx))
                    input type="hidden" name="action" value="invite";
                    button.primary type="submit" data-action="invite" { (l.t("Tạo mã mời", "Create an invite")) }
                }
            }
        }
        @if t.erasure.epoch > 0 || t.erased.is_some() {
            @let s = &t.erasure;
            section.card #erasure data-erasure-epoch=(s.epoch) data-erasure-pending=(s.pending) {
                h2 { (l.t("Xóa dữ liệu theo yêu cầu", "Erasure on request")) }
                @if let Some(hh) = &t.erased {
                    p.badge.ok data-erased=(hh) { "✓ " (l.t("Đã xóa hộ ", "Erased household ")) (hh) (l.t(" trên máy này.", " on this device.")) }
                }
                p { (l.t("Kỳ dữ liệu hiện tại: ", "Current epoch: ")) strong { (s.epoch) } " · " (l.t("số hộ đã xóa: ", "households erased: ")) (s.erased.len())
                    @if let Some(at) = &s.cut_at { " · " (l.t("lần xóa gần nhất: ", "latest erasure: ")) (l.rfc3339(at)) } }
                ul.members {
                    @for m in &s.members {
                        li data-epoch-member=(m.peer_id) data-adopted=(m.adopted) {
                            @if m.adopted { span.badge.ok { "✓ " (l.t("Đã nhận kỳ mới", "Adopted")) } }
                            @else { span.badge.na { "✗ " (l.t("Còn giữ dữ liệu cũ", "Still holds erased data")) } }
                            " " strong { (m.name) } " · " (role(l, &m.role))
                        }
                    }
                }
                @if s.pending > 0 {
                    p.muted { (l.t("Máy chưa nhận sẽ nhận khi đồng bộ. Luật yêu cầu xóa trong 15 ngày: máy không quay lại thì gỡ khỏi khu.", "Devices not there yet take it when they next sync. The law asks for deletion within 15 days: remove a device that never returns.")) }
                }
                @for m in &s.removed_behind {
                    p.badge.no data-removed-behind=(m.peer_id) { "! " (l.t("Máy đã gỡ ", "Removed device ")) (m.name) (l.t(" có thể còn dữ liệu đã xóa (máy mất: báo vi phạm trong 72 giờ).", " may still hold erased data (a lost phone: report the breach within 72 hours).")) }
                }
            }
        }
        p.card { a href=(format!("/a/{area}/doctor")) data-action="doctor" { (l.t("Vì sao chưa đồng bộ? Kiểm tra kết nối", "Not syncing? Check the connection")) } }
        section.card {
            h2 { (l.t("Thiết bị ngang hàng", "Peers")) }
            @if t.peers.is_empty() { p.muted { (l.t("Chưa thấy thiết bị nào.", "No peer seen yet.")) } }
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
                label for="peer-addr" { (l.t("Thêm địa chỉ thiết bị (multiaddr)", "Add a peer address (multiaddr)")) }
                input #peer-addr name="addr" type="text" autocapitalize="off" spellcheck="false" placeholder="/ip4/192.168.1.20/tcp/41234" value=(typed_addr);
                (field_error("addr", error))
                button.secondary type="submit" data-action="add-peer" { (l.t("Kết nối", "Connect")) }
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
    layout::page(ctx, l.t("Nhóm", "Team"), Some(nav), live, &format!("/a/{area}/events"), body)
}
