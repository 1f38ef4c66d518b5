//! `/login`: the one-time login URL from `kdc ui` (`?code=…`), or the code typed in; and the
//! page every other path shows without a session.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use maud::html;
use serde::Deserialize;

use crate::session::LoginRefused;
use crate::web::i18n::L;
use crate::web::layout;
use crate::web::{Ctx, Form, WebState, cookie, page_with, see_other};

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    code: Option<String>,
}

/// The cookie that remembers an invite link (`/join?token=…`) a browser opened before it had a
/// session, so the home screen can offer to continue with it after logging in.
pub const NEXT_COOKIE: &str = "kdc_next";

/// The invite link remembered in `headers`, when it is one.
pub fn remembered_join(headers: &HeaderMap) -> Option<String> {
    cookie(headers, NEXT_COOKIE)
        .and_then(|v| form_urlencoded::parse(format!("n={v}").as_bytes()).next().map(|(_, v)| v.into_owned()))
        .filter(|p| p.starts_with("/join?token="))
}

/// `GET /login?code=…`: logs in and redirects to `/` (or the page asked for before); without
/// a code, asks for one. A `HEAD` or a prefetch (a chat app's link preview) does not use the
/// code up.
pub async fn show(
    State(ws): State<WebState>,
    ctx: Ctx,
    method: Method,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    let prefetch = ["sec-purpose", "purpose", "x-moz"]
        .iter()
        .any(|h| headers.get(*h).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("prefetch")));
    match q.code {
        Some(code) if method == Method::GET && !prefetch => redeem(&ws, &ctx, &headers, &code).await,
        _ if ctx.session.is_some() => see_other("/"),
        _ => ask(ctx.l, ctx.lan, StatusCode::OK, None),
    }
}

/// `POST /login`: the code typed in.
pub async fn submit(State(ws): State<WebState>, ctx: Ctx, headers: HeaderMap, form: Form) -> Response {
    let code = form.get("code").unwrap_or("").to_string();
    // A code may be typed with the URL around it.
    let code = code.rsplit("code=").next().unwrap_or("").trim().to_string();
    redeem(&ws, &ctx, &headers, &code).await
}

/// `POST /logout`: ends this browser's session.
pub async fn logout(State(ws): State<WebState>, ctx: Ctx, _form: Form) -> Response {
    if let Some(s) = &ctx.session {
        ws.app.sessions.revoke(&s.id);
        let sessions = ws.app.sessions.clone();
        let _ = tokio::task::spawn_blocking(move || sessions.persist()).await;
    }
    let mut r = see_other("/login");
    if let Ok(v) = HeaderValue::from_str(&format!("{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict", ws.cookie)) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

async fn redeem(ws: &WebState, ctx: &Ctx, headers: &HeaderMap, code: &str) -> Response {
    let l = ctx.l;
    let ua = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let secret = match ws.app.sessions.redeem(code, ws.lan, &ua, crate::node::now_ms()) {
        Ok(secret) => secret,
        Err(e) => {
            tracing::warn!(error = %e, "web login refused");
            // Already logged in (a second tap on the link): nothing lost, go on.
            if ctx.session.is_some() && cookie(headers, &ws.cookie).is_some() {
                return see_other("/");
            }
            return ask(l, ctx.lan, StatusCode::FORBIDDEN, Some(e));
        }
    };
    let sessions = ws.app.sessions.clone();
    match tokio::task::spawn_blocking(move || sessions.persist()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "cannot write the sessions file; this login lasts until kdcd stops"),
        Err(e) => tracing::warn!(error = %e, "sessions writer failed"),
    }
    tracing::info!(lan = ws.lan, "browser logged in");
    // Always `/` (the contract); the home screen offers to continue an invite opened before.
    let mut r = see_other("/");
    let v = format!("{}={secret}; Path=/; Max-Age=315360000; HttpOnly; SameSite=Strict", ws.cookie);
    if let Ok(v) = HeaderValue::from_str(&v) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// What a browser without a session sees on any page: how to log in. 401 for pages (an invite
/// link is remembered for ten minutes, see [`remembered_join`]); a write without a session is
/// refused outright.
pub fn required(l: L, lan: bool, method: &Method, path_and_query: &str) -> Response {
    if !matches!(*method, Method::GET | Method::HEAD) {
        return crate::web::refusal(l, StatusCode::FORBIDDEN, l.m("web-login-you-need-to-log-in"));
    }
    let mut r = ask(l, lan, StatusCode::UNAUTHORIZED, None);
    let remember = path_and_query.starts_with("/join?token=");
    if remember {
        let value: String = form_urlencoded::byte_serialize(path_and_query.as_bytes()).collect();
        if let Ok(v) =
            HeaderValue::from_str(&format!("{NEXT_COOKIE}={value}; Path=/; Max-Age=600; HttpOnly; SameSite=Strict"))
        {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

fn ask(l: L, lan: bool, status: StatusCode, refused: Option<LoginRefused>) -> Response {
    let body = html! {
        div.card data-login-required {
            h1 { (l.m("web-login-log-in")) }
            @if let Some(e) = refused {
                p.error role="alert" data-login-error { "⚠ " (match e {
                    LoginRefused::Unknown => l.m("web-login-this-login-link-cannot-be"),
                    LoginRefused::Expired => l.m("web-login-this-login-link-has-expired"),
                }) }
            }
            @if lan {
                p { (l.m("web-login-on-the-area-head-s")) code { "kdc ui --lan" } (l.m("web-login-and-scan-the-qr-code")) }
            } @else {
                p { (l.m("web-login-open-the-login-link-that")) code { "kdcd" } (l.m("web-login-printed-when-it-started-or")) code { "kdc ui" } "." }
            }
            form method="post" action="/login" {
                label for="code" { (l.m("web-login-login-code")) }
                input #code name="code" type="text" autocomplete="one-time-code" autocapitalize="off" spellcheck="false" required;
                button.primary type="submit" data-action="login" { (l.m("web-login-log-in")) }
            }
        }
    };
    let title = l.m("web-login-log-in");
    page_with(status, bare(l, title, body))
}

/// A page with no session: no area tabs, no live updates.
fn bare(l: L, title: &str, body: maud::Markup) -> maud::Markup {
    let ctx = Ctx { l, session: None, lan: false, path: "/login".into() };
    layout::page(&ctx, title, None, layout::Live::Off, "", body)
}
