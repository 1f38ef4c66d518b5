//! The app's static files, compiled into the binary from `web/assets/`: one stylesheet, one
//! small script, one icon. No fonts (the phone's own), nothing from another origin.
//!
//! URLs carry a hash of the content (`/assets/app.css?v=…`), so a browser keeps a file until
//! the binary changes it and never runs an old script against new pages.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

struct Asset {
    name: &'static str,
    mime: &'static str,
    body: &'static str,
}

const ASSETS: &[Asset] = &[
    Asset { name: "app.css", mime: "text/css; charset=utf-8", body: include_str!("../../../web/assets/app.css") },
    Asset { name: "app.js", mime: "text/javascript; charset=utf-8", body: include_str!("../../../web/assets/app.js") },
    Asset { name: "icon.svg", mime: "image/svg+xml", body: include_str!("../../../web/assets/icon.svg") },
];

/// The logo drawn in the header, inline (no request).
pub const LOGO_SVG: &str = r##"<svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false"><path d="M3 11 12 3l9 8v10h-6v-6H9v6H3z" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/><circle cx="12" cy="12" r="1.6" fill="currentColor"/></svg>"##;

fn versions() -> &'static Vec<String> {
    static V: OnceLock<Vec<String>> = OnceLock::new();
    V.get_or_init(|| ASSETS.iter().map(|a| hex::encode(&Sha256::digest(a.body.as_bytes())[..6])).collect())
}

/// The URL of an asset, with its content hash.
pub fn url(name: &str) -> String {
    match ASSETS.iter().position(|a| a.name == name) {
        Some(i) => format!("/assets/{name}?v={}", versions()[i]),
        None => format!("/assets/{name}"),
    }
}

/// `GET /assets/{name}`.
pub async fn serve(Path(name): Path<String>) -> Response {
    let Some(i) = ASSETS.iter().position(|a| a.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let a = &ASSETS[i];
    let mut response = ([(header::CONTENT_TYPE, a.mime)], a.body).into_response();
    let h = response.headers_mut();
    // Immutable under its hashed URL.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", versions()[i])) {
        h.insert(header::ETAG, etag);
    }
    response
}
