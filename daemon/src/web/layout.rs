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
                a.skip href="#main" { (l.m("web-layout-skip-to-content")) }
                header.top {
                    div.bar {
                        a.brand href="/" { (PreEscaped(assets::LOGO_SVG)) span { "KDC Sync" } }
                        (lang_switch(ctx))
                    }
                    @if let Some(a) = &area {
                        p.area-name { (a.name) }
                        form.search role="search" method="get" action=(format!("/a/{}/find", a.id)) {
                            label.sr for="q" { (l.m("web-layout-find-a-house-code")) }
                            input #q type="search" name="q" autocapitalize="characters" autocomplete="off" spellcheck="false"
                                enterkeyhint="search" placeholder=(l.m("web-layout-house-code-e-g-t3"));
                            button type="submit" data-action="find" { (l.m("web-layout-find")) }
                        }
                        nav.tabs aria-label=(l.m("web-area")) {
                            (tab(a, Tab::Board, &format!("/a/{}", a.id), l.m("web-layout-progress")))
                            (tab(a, Tab::Worklist, &format!("/a/{}/worklist", a.id), l.m("web-layout-worklist")))
                            (tab(a, Tab::New, &format!("/a/{}/new", a.id), l.m("web-layout-add")))
                            @if a.conflicts > 0 {
                                (tab(a, Tab::Conflicts, &format!("/a/{}/conflicts", a.id), &format!("{} ({})", l.m("web-conflicts"), a.conflicts)))
                            }
                            (tab(a, Tab::Team, &format!("/a/{}/team", a.id), l.m("web-team")))
                        }
                    }
                }
                p.offline hidden role="alert" data-offline {
                    "⚠ " (l.m("web-layout-the-app-on-this-device"))
                }
                p.live-note hidden role="status" data-live-note { (l.m("web-layout-a-teammate-s-change-has")) a href="" { (l.m("web-layout-reload")) } }
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
                        p { a href="/" { (l.m("web-layout-home")) } }
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
            span.badge.na data-no-data { "… " (l.m("web-no-data-yet")) }
        } @else if !applicable {
            span.badge.na { "— " (l.m("web-layout-not-applicable")) }
        } @else if met {
            span.badge.ok { "✓ " (l.m("web-met")) }
        } @else {
            span.badge.no { "✗ " (l.m("web-layout-not-met")) }
        }
    }
}
