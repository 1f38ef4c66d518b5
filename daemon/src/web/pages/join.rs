//! `/join?token=…`: join an area with an invite. The invite's QR code links here, on the
//! joining phone's own app, so the camera opens this screen with the token filled in.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use super::field_refusal;
use crate::web::layout::{self, Live, csrf, field_error};
use crate::web::{Ctx, Form, WebState, error_page, page, page_with, see_other};

#[derive(Debug, Deserialize)]
pub struct JoinQuery {
    token: Option<String>,
}

/// `GET /join?token=…`.
pub async fn show(ctx: Ctx, Query(q): Query<JoinQuery>) -> Response {
    page(render(&ctx, q.token.as_deref().unwrap_or(""), None))
}

/// `POST /join`: dials the inviter, waits for the area, opens its board.
pub async fn submit(State(ws): State<WebState>, ctx: Ctx, form: Form) -> Response {
    let token = form.get("token").unwrap_or("").to_string();
    // A token may be pasted as the whole link from the QR code.
    let token = token.rsplit("token=").next().unwrap_or("").trim().to_string();
    if token.is_empty() {
        let message = ctx.l.m("web-join-paste-the-invite-token-it").to_string();
        return page_with(StatusCode::UNPROCESSABLE_ENTITY, render(&ctx, "", Some(("token".into(), message))));
    }
    match ws.app.join(&token).await {
        Ok(area) => see_other(&format!("/a/{area}")),
        Err(e) if e.kind == "unreachable" => {
            let message = format!("{} ({})", ctx.l.m("web-join-cannot-reach-the-inviting-device"), e.message);
            page_with(StatusCode::BAD_GATEWAY, render(&ctx, &token, Some(("token".into(), message))))
        }
        Err(e) => match field_refusal(e, "token") {
            Ok(refusal) => page_with(StatusCode::UNPROCESSABLE_ENTITY, render(&ctx, &token, Some(refusal))),
            Err(e) => error_page(ctx.l, e),
        },
    }
}

fn render(ctx: &Ctx, token: &str, error: Option<(String, String)>) -> Markup {
    let l = ctx.l;
    let body = html! {
        h1 { (l.m("web-join-join-an-area")) }
        form.card method="post" action="/join" novalidate {
            (csrf(ctx))
            label for="join-token" { (l.m("web-join-invite-token")) }
            textarea #join-token name="token" rows="4" autocapitalize="off" spellcheck="false" required { (token) }
            (field_error("token", error.as_ref()))
            p.hint { (l.m("web-join-this-device-connects-to-the")) }
            div.savebar { button.primary type="submit" data-action="join" { (l.m("web-join")) } }
        }
    };
    layout::page(ctx, l.m("web-join"), None, Live::Off, "", body)
}
