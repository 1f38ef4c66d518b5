//! The page shell every screen shares: `<html lang>`, the header with the area's tabs, the
//! language switch, and the live-update hook the script reads.

use axum::http::StatusCode;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::Ctx;
use super::assets;
use super::i18n::{L, Lang};

/// Which tab of an area is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Board,
    Worklist,
    New,
    Conflicts,
    Team,
    /// A household form (no tab of its own).
    Household,
}

/// How the script treats a change event: `replace` re-reads the page and swaps `<main>`;
/// `notify` only says that the data changed (a form being filled in is never replaced).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Live {
    Off,
    Replace,
    Notify,
}

/// The area a page belongs to, for its header.
pub struct AreaNav<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub tab: Tab,
    pub conflicts: usize,
}

/// A whole page.
pub fn page(ctx: &Ctx, title: &str, area: Option<AreaNav<'_>>, live: Live, events: &str, body: Markup) -> Markup {
    let l = ctx.l;
    let (mode, url) = match live {
        Live::Off => ("", ""),
        Live::Replace => ("replace", events),
        Live::Notify => ("notify", events),
    };
    html! {
        (DOCTYPE)
        html lang=(l.code()) {
            (head(title, true))
            body data-live=[(!mode.is_empty()).then_some(mode)] data-events=[(!url.is_empty()).then_some(url)]
                data-live-peers[area.as_ref().is_none_or(|a| a.tab == Tab::Team)] {
                a.skip href="#main" { (l.t("Bỏ qua đến nội dung", "Skip to content")) }
                header.top {
                    div.bar {
                        a.brand href="/" { (PreEscaped(assets::LOGO_SVG)) span { "KDC Sync" } }
                        (lang_switch(ctx))
                    }
                    @if let Some(a) = &area {
                        p.area-name { (a.name) }
                        form.search role="search" method="get" action=(format!("/a/{}/find", a.id)) {
                            label.sr for="q" { (l.t("Tìm mã nhà", "Find a house code")) }
                            input #q type="search" name="q" autocapitalize="characters" autocomplete="off" spellcheck="false"
                                enterkeyhint="search" placeholder=(l.t("Tìm mã nhà, ví dụ T3-045", "House code, e.g. T3-045"));
                            button type="submit" data-action="find" { (l.t("Tìm", "Find")) }
                        }
                        nav.tabs aria-label=(l.t("Khu dân cư", "Area")) {
                            (tab(a, Tab::Board, &format!("/a/{}", a.id), l.t("Tiến độ", "Progress")))
                            (tab(a, Tab::Worklist, &format!("/a/{}/worklist", a.id), l.t("Cần hỗ trợ", "Worklist")))
                            (tab(a, Tab::New, &format!("/a/{}/new", a.id), l.t("Thêm hộ", "Add")))
                            @if a.conflicts > 0 {
                                (tab(a, Tab::Conflicts, &format!("/a/{}/conflicts", a.id), &format!("{} ({})", l.t("Xung đột", "Conflicts"), a.conflicts)))
                            }
                            (tab(a, Tab::Team, &format!("/a/{}/team", a.id), l.t("Nhóm", "Team")))
                        }
                    }
                }
                p.offline hidden role="alert" data-offline {
                    "⚠ " (l.t("Ứng dụng trên máy đã dừng (mất kết nối với kdcd). Câu trả lời đang nhập vẫn được giữ trên trang này và sẽ tự gửi khi ứng dụng chạy lại. Trên điện thoại: mở Termux và chạy lại kdcd.",
                        "The app on this device has stopped (kdcd cannot be reached). What you typed is kept on this page and sent as soon as it runs again. On a phone: open Termux and start kdcd again."))
                }
                p.live-note hidden role="status" data-live-note { (l.t("Dữ liệu vừa được cập nhật từ thiết bị khác. ", "A teammate's change has arrived. ")) a href="" { (l.t("Tải lại", "Reload")) } }
                main #main { (body) }
            }
        }
    }
}

fn tab(a: &AreaNav<'_>, which: Tab, href: &str, label: &str) -> Markup {
    html! {
        @if a.tab == which {
            a href=(href) aria-current="page" { (label) }
        } @else {
            a href=(href) { (label) }
        }
    }
}

fn lang_switch(ctx: &Ctx) -> Markup {
    let base = ctx.path.split('?').next().unwrap_or("/");
    // Keep the other query parameters (a worklist's criterion) when switching.
    let rest: Vec<String> = ctx
        .path
        .split_once('?')
        .map(|(_, q)| {
            q.split('&').filter(|kv| !kv.starts_with("lang=") && !kv.is_empty()).map(str::to_string).collect()
        })
        .unwrap_or_default();
    let href = |code: &str| {
        let mut q = rest.clone();
        q.push(format!("lang={code}"));
        format!("{base}?{}", q.join("&"))
    };
    html! {
        @if ctx.l.0 == Lang::Vi {
            a.lang href=(href("en")) lang="en" hreflang="en" { "English" }
        } @else {
            a.lang href=(href("vi")) lang="vi" hreflang="vi" { "Tiếng Việt" }
        }
    }
}

/// `<head>`: the stylesheet always, the script only on pages that use it.
fn head(title: &str, script: bool) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · KDC Sync" }
            link rel="stylesheet" href=(assets::url("app.css"));
            link rel="icon" href=(assets::url("icon.svg")) type="image/svg+xml";
            @if script { script src=(assets::url("app.js")) defer {} }
        }
    }
}

/// A page that only says something (an error, a refusal).
pub fn message(l: L, status: StatusCode, text: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(l.code()) {
            (head(&status.as_u16().to_string(), false))
            body {
                header.top { div.bar { a.brand href="/" { (PreEscaped(assets::LOGO_SVG)) span { "KDC Sync" } } } }
                main #main {
                    div.card.refusal role="alert" data-status=(status.as_u16()) {
                        h1 { "⚠ " (status.canonical_reason().unwrap_or("Error")) }
                        p { (text) }
                        p { a href="/" { (l.t("Về trang chủ", "Home")) } }
                    }
                }
            }
        }
    }
}

/// The hidden CSRF field every form carries.
pub fn csrf(ctx: &Ctx) -> Markup {
    html! { input type="hidden" name="csrf" value=(ctx.csrf()); }
}

/// The inline error next to a field (contract hook `data-error-for`).
pub fn field_error(field: &str, error: Option<&(String, String)>) -> Markup {
    html! {
        @if let Some((f, message)) = error {
            @if f == field {
                p.error id=(format!("err-{field}")) data-error-for=(field) role="alert" { "⚠ " (message) }
            }
        }
    }
}

/// Status as icon plus text, never colour alone. Nothing recorded yet is said as such, never
/// as met.
pub fn met_badge(l: L, c: &crdt_model::eval::CriterionStatus) -> Markup {
    let (met, applicable) = (c.met, c.applicable);
    html! {
        @if c.no_data {
            span.badge.na data-no-data { "… " (l.t("Chưa có dữ liệu", "No data yet")) }
        } @else if !applicable {
            span.badge.na { "— " (l.t("Không áp dụng", "Not applicable")) }
        } @else if met {
            span.badge.ok { "✓ " (l.t("Đạt", "Met")) }
        } @else {
            span.badge.no { "✗ " (l.t("Chưa đạt", "Not met")) }
        }
    }
}
