//! `/`: this device's areas at a glance; create an area; join one with an invite token.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use crdt_model::NewArea;
use maud::{Markup, html};

use super::{failed, field_refusal};
use crate::web::layout::{self, Live, csrf, field_error};
use crate::web::{Ctx, Form, WebState, error_page, page, page_with, see_other};

/// One area's line on the home screen.
struct AreaLine {
    id: String,
    name: String,
    ward: String,
    households: u64,
    required_met: u64,
    required_total: u64,
    certified: bool,
    /// Unix ms of the last sync with any member.
    last_sync: Option<i64>,
    /// Other active members connected now / all other active members.
    connected: usize,
    others: usize,
}

async fn lines(ws: &WebState) -> Result<Vec<AreaLine>, crate::node::NodeError> {
    let mut out = Vec::new();
    for summary in ws.app.node.list_areas().await? {
        let me = ws.app.node.peer_id().to_string();
        let (status, members) = ws.app.node.with_area(summary.id.clone(), |a| Ok((a.status(), a.members()))).await?;
        let others: Vec<String> =
            members.into_iter().filter(|m| !m.removed && m.peer_id != me).map(|m| m.peer_id).collect();
        let last_sync = others.iter().filter_map(|p| ws.app.node.last_sync(&summary.id, p)).max();
        let connected = others.iter().filter(|p| ws.app.node.is_connected(p)).count();
        out.push(AreaLine {
            id: summary.id,
            name: summary.name,
            ward: summary.ward,
            households: status.households,
            required_met: status.required_met,
            required_total: status.required_total,
            certified: status.certified,
            last_sync,
            connected,
            others: others.len(),
        });
    }
    Ok(out)
}

/// `GET /`.
pub async fn show(State(ws): State<WebState>, ctx: Ctx, headers: HeaderMap) -> Response {
    let join = super::login::remembered_join(&headers);
    match lines(&ws).await {
        Ok(lines) => {
            let mut r = page(render(&ctx, &lines, &Form::default(), None, join.as_deref()));
            if join.is_some()
                && let Ok(v) = HeaderValue::from_str(&format!(
                    "{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict",
                    super::login::NEXT_COOKIE
                ))
            {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            r
        }
        Err(e) => failed(&ctx, e),
    }
}

/// `POST /`: create an area, then open its board.
pub async fn create_area(State(ws): State<WebState>, ctx: Ctx, form: Form) -> Response {
    let new = NewArea {
        id: form.get("id").unwrap_or("").to_string(),
        name: form.get("name").unwrap_or("").to_string(),
        ward: form.get("ward").unwrap_or("").to_string(),
        profile_toml: None,
    };
    let id = new.id.clone();
    match ws.app.node.create_area(new).await {
        Ok(_) => see_other(&format!("/a/{id}")),
        Err(e) => match field_refusal(e.into(), "id") {
            Ok(refusal) => match lines(&ws).await {
                Ok(lines) => {
                    page_with(StatusCode::UNPROCESSABLE_ENTITY, render(&ctx, &lines, &form, Some(refusal), None))
                }
                Err(e) => failed(&ctx, e),
            },
            Err(e) => error_page(ctx.l, e),
        },
    }
}

fn render(ctx: &Ctx, lines: &[AreaLine], form: &Form, error: Option<(String, String)>, join: Option<&str>) -> Markup {
    let l = ctx.l;
    // The model names the area id `area` in some messages.
    let error = error.map(|(f, m)| (if f == "area" { "id".to_string() } else { f }, m));
    let now = crate::node::now_ms();
    let body = html! {
        @if let Some(href) = join {
            p.card.saved data-continue-join {
                "→ " a href=(href) { (l.m("web-home-continue-joining-with-the-invite")) }
            }
        }
        h1 { (l.m("web-home-this-device-s-areas")) }
        @if lines.is_empty() {
            p.card { (l.m("web-home-no-area-yet-create-one")) }
        }
        ul.areas {
            @for a in lines {
                li.card data-area=(a.id) {
                    a.area-link href=(format!("/a/{}", a.id)) {
                        strong { (a.name) } " "
                        span.muted { (a.ward) }
                    }
                    p {
                        (a.households) " " (l.m("web-households")) " · "
                        span data-required-met=(a.required_met) data-required-total=(a.required_total) data-certified=(a.certified) {
                            (l.m("web-met")) " " (a.required_met) "/" (a.required_total) " " (l.m("web-required-criteria"))
                        }
                    }
                    p {
                        @if a.certified {
                            span.badge.ok { "✓ " (l.m("web-home-meets-certification")) }
                        } @else {
                            span.badge.no { "✗ " (l.m("web-not-yet-certifiable")) }
                        }
                    }
                    p.muted data-sync-state {
                        (l.sync_state(a.connected > 0, a.last_sync, now))
                        " · " (a.connected) "/" (a.others) " " (l.m("web-home-members-connected"))
                    }
                }
            }
        }
        section.card {
            h2 { (l.m("web-home-create-an-area")) }
            form method="post" action="/" novalidate {
                (csrf(ctx))
                label for="area-id" { (l.m("web-home-area-id-lower-case-letters")) }
                input #area-id name="id" type="text" autocapitalize="off" spellcheck="false" required pattern="[a-z0-9-]{1,64}" placeholder="tam-giac-3" value=(form.get("id").unwrap_or("")) aria-describedby=[error.as_ref().filter(|e| e.0 == "id").map(|_| "err-id")];
                (field_error("id", error.as_ref()))
                label for="area-name" { (l.m("web-home-name")) }
                input #area-name name="name" type="text" required placeholder=(l.m("web-home-tam-giac-3")) value=(form.get("name").unwrap_or(""));
                (field_error("name", error.as_ref()))
                label for="area-ward" { (l.m("web-ward")) }
                input #area-ward name="ward" type="text" required placeholder=(l.m("web-home-hac-thanh-ward")) value=(form.get("ward").unwrap_or(""));
                (field_error("ward", error.as_ref()))
                button.primary type="submit" data-action="create-area" { (l.m("web-home-create")) }
            }
        }
        section.card {
            h2 { (l.m("web-home-join-with-an-invite")) }
            form method="post" action="/join" novalidate {
                (csrf(ctx))
                label for="join-token" { (l.m("web-home-invite-token-starts-with-kdc1")) }
                textarea #join-token name="token" rows="3" autocapitalize="off" spellcheck="false" required {}
                button.primary type="submit" data-action="join" { (l.m("web-join")) }
            }
        }
        section.card {
            h2 { (l.m("web-home-ward-office")) }
            p { a href="/ward" data-link="ward" { (l.m("web-home-the-ward-s-report-from")) } }
        }
        form.logout method="post" action="/logout" {
            (csrf(ctx))
            button.link type="submit" { (l.m("web-home-log-this-browser-out")) }
        }
    };
    // A refusal on screen is not replaced by a live update.
    let live = if error.is_some() { Live::Notify } else { Live::Replace };
    layout::page(ctx, l.m("web-home-areas"), None, live, "/events", body)
}
