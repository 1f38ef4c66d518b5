//! The web app: what volunteers, area heads and ward staff see of `kdcd`.
//!
//! Pages are rendered on the server with maud from the same `crdt_model` values the CLI prints
//! (so every rule lives in the model), work with JavaScript off (plain forms, redirect after
//! POST), and take their assets from the binary ([`assets`]). A small script adds live updates
//! (server-sent events from [`Node::events`]) and conveniences (steppers, copy). One file per
//! screen in [`pages`]; each handler is thin over [`Node`] and [`AppState`].
//!
//! Safety, after Syncthing's GUI ([`guard`] runs before every page):
//! - the `Host` must be this daemon's own address, `127.0.0.1`, `localhost` or `[::1]` (or the
//!   `--ui-listen` address): a DNS-rebinding page gets 403;
//! - a request that changes state must come from this origin (`Origin`, else `Sec-Fetch-Site`)
//!   and carry the session's CSRF token ([`Form`]);
//! - every page but `/login` and `/assets/…` needs a session cookie (HttpOnly, SameSite=Strict),
//!   opened by a one-time login URL from `kdc ui` ([`session`]);
//! - responses carry a strict Content-Security-Policy: nothing from another origin, no inline
//!   script or style.
//!
//! Invariant: no page loads anything from another origin (the community house has no internet).
//! Invariant: the LAN listener (`--ui-listen`) serves the web app only, never `/v1`.
//!
//! [`Node`]: crate::node::Node
//! [`Node::events`]: crate::node::Node::events

pub mod assets;
pub mod i18n;
pub mod layout;
pub mod pages;
/// Browser sessions (shared with the control API's `kdc ui` endpoints).
pub use crate::session;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::Markup;

use crate::api::{ApiError, AppState};
use i18n::{L, Lang};
use session::Session;

/// The address a joining phone's own app has: invite QR codes link there (`/join?token=…`).
pub const DEFAULT_APP_URL: &str = "http://127.0.0.1:7420";

/// What the pages keep between requests (one for both listeners): drawn charts, the ward page's
/// results, the door's memory of files the ward page has read.
#[derive(Default)]
pub struct Pages {
    /// Board charts by area and language, with the heads they were drawn at (replaying history is the one
    /// slow read; the chart is drawn again only when the area changed).
    pub(crate) charts: Mutex<HashMap<(String, &'static str), (Vec<automerge::ChangeHash>, Arc<str>)>>,
    /// The ward page's last merges, for their downloads.
    pub(crate) ward: Mutex<pages::ward::WardResults>,
    /// The door's memory of the files the ward page has read ([`crate::ward::read_passed`]),
    /// read on the first upload.
    pub(crate) passed: std::sync::OnceLock<Arc<crdt_model::check::Passed>>,
}

/// The state of one listener's web app.
#[derive(Clone)]
pub struct WebState {
    pub app: AppState,
    /// This is the `--ui-listen` listener.
    pub lan: bool,
    /// The listener's port, in the session cookie's name: cookies are per host, not per port,
    /// so two daemons on one machine must not share one.
    pub cookie: Arc<str>,
    /// What the pages keep between requests.
    pub pages: Arc<Pages>,
}

impl WebState {
    /// The app at the control API's address.
    pub fn loopback(app: AppState, pages: Arc<Pages>) -> WebState {
        let cookie = format!("{}_{}", session::COOKIE, app.ui.api.port()).into();
        WebState { app, lan: false, cookie, pages }
    }

    /// The app at the `--ui-listen` address.
    pub fn lan(app: AppState, addr: SocketAddr, pages: Arc<Pages>) -> WebState {
        let cookie = format!("{}_{}", session::COOKIE, addr.port()).into();
        WebState { app, lan: true, cookie, pages }
    }
}

/// The web app's routes with their guard, compression and security headers.
pub fn router(state: WebState) -> Router {
    Router::new()
        .route("/", axum::routing::get(pages::home::show).post(pages::home::create_area))
        .route("/login", axum::routing::get(pages::login::show).post(pages::login::submit))
        .route("/logout", axum::routing::post(pages::login::logout))
        .route("/join", axum::routing::get(pages::join::show).post(pages::join::submit))
        .route("/events", axum::routing::get(pages::live::all))
        .route("/a/{area}", axum::routing::get(pages::board::show))
        .route("/a/{area}/chart.svg", axum::routing::get(pages::board::chart))
        .route("/a/{area}/upgrade", axum::routing::post(pages::board::upgrade))
        .route("/a/{area}/groups", axum::routing::post(pages::board::merge_group))
        .route("/a/{area}/events", axum::routing::get(pages::live::area))
        .route("/a/{area}/worklist", axum::routing::get(pages::worklist::show))
        .route("/a/{area}/find", axum::routing::get(pages::find::show))
        .route("/a/{area}/print", axum::routing::get(pages::print::show))
        .route("/a/{area}/new", axum::routing::get(pages::new_household::show).post(pages::new_household::submit))
        .route("/a/{area}/h/{hh}", axum::routing::get(pages::household::show).post(pages::household::submit))
        .route("/a/{area}/conflicts", axum::routing::get(pages::conflicts::show).post(pages::conflicts::submit))
        .route("/a/{area}/team", axum::routing::get(pages::team::show).post(pages::team::submit))
        .route("/a/{area}/doctor", axum::routing::get(pages::doctor::show))
        .route(
            "/ward",
            axum::routing::get(pages::ward::show)
                .post(pages::ward::upload)
                .layer(axum::extract::DefaultBodyLimit::max(pages::ward::UPLOAD_LIMIT)),
        )
        .route("/ward/settings", axum::routing::post(pages::ward::settings))
        .route("/ward/r/{id}", axum::routing::get(pages::ward::result))
        .route("/ward/r/{id}/import", axum::routing::post(pages::ward::import))
        .route("/ward/r/{id}/{file}", axum::routing::get(pages::ward::download))
        .route("/assets/{name}", axum::routing::get(assets::serve))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

/// Serves the web app alone (no `/v1`) on the `--ui-listen` listener until `shutdown`.
pub async fn serve_lan(
    listener: tokio::net::TcpListener,
    app: AppState,
    pages: Arc<Pages>,
    shutdown: tokio_util::sync::CancellationToken,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    axum::serve(listener, router(WebState::lan(app, addr, pages)))
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
}

// ---------------------------------------------------------------------------------------------
// The guard

/// What a page handler knows about its request (set by [`guard`]).
#[derive(Debug, Clone)]
pub struct Ctx {
    pub l: L,
    /// `None` only on public paths (`/login`, assets).
    pub session: Option<Session>,
    pub lan: bool,
    /// The request's path and query, to link the language switch.
    pub path: String,
}

impl Ctx {
    pub fn csrf(&self) -> &str {
        self.session.as_ref().map_or("", |s| s.csrf.as_str())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        parts.extensions.get::<Ctx>().cloned().ok_or_else(|| StatusCode::INTERNAL_SERVER_ERROR.into_response())
    }
}

/// The Content-Security-Policy of every page: this origin only, no inline script or style.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
    connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn is_public(path: &str) -> bool {
    path == "/login" || path.starts_with("/assets/")
}

/// Host check, language, session, same-origin check for writes, then the security headers.
async fn guard(State(ws): State<WebState>, mut request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let query_lang = query_param(request.uri().query().unwrap_or(""), "lang").and_then(|v| i18n::parse(&v));
    let lang =
        query_lang.or_else(|| cookie(headers, i18n::LANG_COOKIE).and_then(|v| i18n::parse(&v))).unwrap_or_default();
    let l = L(lang);
    let mut response = if !host_allowed(&ws, &host) {
        tracing::warn!(%host, "web request with a foreign Host refused");
        refusal(l, StatusCode::FORBIDDEN, l.m("web-mod-this-host-is-not-this"))
    } else if !is_safe(request.method()) && !same_origin(headers, &host) {
        tracing::warn!(%host, origin = ?headers.get(header::ORIGIN), "cross-origin write refused");
        refusal(l, StatusCode::FORBIDDEN, l.m("web-mod-a-request-from-another-site"))
    } else {
        let now = crate::node::now_ms();
        let session = cookie(headers, &ws.cookie).and_then(|secret| ws.app.sessions.get(&secret, now));
        let path = request.uri().path().to_string();
        if session.is_none() && !is_public(&path) {
            let pq = request.uri().path_and_query().map_or("/", |p| p.as_str()).to_string();
            pages::login::required(l, ws.lan, request.method(), &pq)
        } else {
            let path_q = request.uri().path_and_query().map_or(path.clone(), |p| p.as_str().to_string());
            request.extensions_mut().insert(Ctx { l, session, lan: ws.lan, path: path_q });
            next.run(request).await
        }
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Login and invite links carry secrets: never pass a URL to another origin. (Not
    // `no-referrer`: with it Chromium sends `Origin: null` on form posts, which the
    // same-origin check must refuse.)
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Some(lang) = query_lang {
        let v = format!("{}={}; Path=/; Max-Age=31536000; SameSite=Strict", i18n::LANG_COOKIE, L(lang).code());
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.append(header::SET_COOKIE, v);
        }
    }
    response
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The host part of a `Host` header: `127.0.0.1:7420` → `127.0.0.1`, `[::1]:7420` → `::1`.
fn host_name(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Whether `host` names this daemon: loopback names, the listener's own IP, or (when a
/// listener is on every interface) any IP literal — a rebinding attack needs a DNS name.
fn host_allowed(ws: &WebState, host: &str) -> bool {
    let name = host_name(host).to_ascii_lowercase();
    if name == "localhost" {
        return true;
    }
    let Ok(ip) = name.parse::<IpAddr>() else { return false };
    if ip.is_loopback() {
        return true;
    }
    let own: Vec<SocketAddr> = [Some(ws.app.ui.api), ws.app.ui.lan].into_iter().flatten().collect();
    own.iter().any(|a| a.ip() == ip || a.ip().is_unspecified())
}

/// A write from this origin: `Origin` equals `http://HOST`, or there is no `Origin` and the
/// browser does not say the request is cross-site.
fn same_origin(headers: &HeaderMap, host: &str) -> bool {
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(origin) => origin.eq_ignore_ascii_case(&format!("http://{host}")),
        None => !matches!(
            headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()),
            Some("cross-site") | Some("same-site")
        ),
    }
}

/// A cookie's value.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

/// A query parameter's decoded value.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    form_pairs(query.as_bytes()).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn form_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes).into_owned().collect()
}

// ---------------------------------------------------------------------------------------------
// Forms

/// A submitted form (`application/x-www-form-urlencoded`) whose CSRF token was checked.
#[derive(Debug, Clone, Default)]
pub struct Form(pub Vec<(String, String)>);

impl Form {
    /// The first value of `name`, trimmed; `None` when absent or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    }
}

/// Largest form: a household form is a few hundred bytes.
const FORM_LIMIT: usize = 64 * 1024;

impl FromRequest<WebState> for Form {
    type Rejection = Response;

    async fn from_request(request: Request, _: &WebState) -> Result<Self, Response> {
        let ctx = request.extensions().get::<Ctx>().cloned();
        let l = ctx.as_ref().map_or(L(Lang::Vi), |c| c.l);
        let bytes = axum::body::to_bytes(request.into_body(), FORM_LIMIT)
            .await
            .map_err(|_| refusal(l, StatusCode::PAYLOAD_TOO_LARGE, l.m("web-mod-the-form-is-too-large")))?;
        let form = Form(form_pairs(&bytes));
        // A public page's form (the login code) has no session and so no token.
        if let Some(session) = ctx.and_then(|c| c.session) {
            let presented = form.get("csrf").unwrap_or("");
            if !crate::api::auth::token_matches(presented, &session.csrf) {
                return Err(refusal(l, StatusCode::FORBIDDEN, l.m("web-the-form-is-stale-or")));
            }
        }
        Ok(form)
    }
}

// ---------------------------------------------------------------------------------------------
// Answers

/// A page, or an error page.
pub type WebResult = Result<Response, Response>;

/// A rendered page.
pub fn page(markup: Markup) -> Response {
    Html(markup.into_string()).into_response()
}

/// A rendered page with a status (a form with errors is 422, so scripts can tell).
pub fn page_with(status: StatusCode, markup: Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

/// Redirect after POST.
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// A short page that says why a request was refused.
pub fn refusal(l: L, status: StatusCode, message: &str) -> Response {
    page_with(status, layout::message(l, status, message))
}

/// An API error as an error page (not found, storage, internal).
pub fn error_page(l: L, e: ApiError) -> Response {
    let message = match e.kind {
        "not_found" => match e.field.as_deref().and_then(|what| kdc_text::refusal::not_found(l.0, what, &e.message)) {
            Some(said) => said,
            None => format!("{} ({})", l.m("web-mod-not-found"), e.message),
        },
        "storage" => {
            format!("{} {}", l.m("web-mod-this-device-cannot-store-data"), e.message)
        }
        _ => e.message,
    };
    refusal(l, e.status, &message)
}

async fn not_found(request: Request) -> Response {
    let l = request.extensions().get::<Ctx>().map_or(L(Lang::Vi), |c| c.l);
    refusal(l, StatusCode::NOT_FOUND, l.m("web-mod-there-is-no-such-page"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_and_cookies_parse() {
        assert_eq!(host_name("127.0.0.1:7420"), "127.0.0.1");
        assert_eq!(host_name("[::1]:7420"), "::1");
        assert_eq!(host_name("localhost"), "localhost");
        assert_eq!(host_name("evil.example:80"), "evil.example");
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; kdc_lang=en; b=2"));
        assert_eq!(cookie(&h, "kdc_lang").as_deref(), Some("en"));
        assert_eq!(cookie(&h, "c"), None);
        assert_eq!(query_param("lang=en&x=%C4%91", "x").as_deref(), Some("đ"));
    }

    #[test]
    fn writes_must_come_from_this_origin() {
        let mut h = HeaderMap::new();
        assert!(same_origin(&h, "127.0.0.1:7420"), "no Origin and no Sec-Fetch-Site: a non-browser client");
        h.insert(header::ORIGIN, HeaderValue::from_static("http://127.0.0.1:7420"));
        assert!(same_origin(&h, "127.0.0.1:7420"));
        h.insert(header::ORIGIN, HeaderValue::from_static("http://evil.example"));
        assert!(!same_origin(&h, "127.0.0.1:7420"));
        let mut h = HeaderMap::new();
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&h, "127.0.0.1:7420"));
    }
}
