//! `/ward`: the ward office. Staff choose (or drag) the areas' snapshot files; the page
//! verifies and merges them in memory with the code `kdc snapshot merge` uses
//! ([`crate::ward`]), says per file what it holds and whether it is intact, stale or left out,
//! and shows the ward's report ([`crate::report`], as `kdc report`), with downloads (XLSX, CSV,
//! JSON, the merged bundle) and a printable official form. Nothing is stored unless the user
//! presses "import into this device".
//!
//! A result lives in memory under a random id (`/ward/r/{id}`) so that its downloads and the
//! import need no second upload; the last [`KEEP`] results are kept.

use std::collections::VecDeque;
use std::sync::Arc;

use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Local};
use crdt_model::eval::CriterionStatus;
use maud::{Markup, html};

use crate::report::{self, LetterheadSettings, Report};
use crdt_model::check::Passed;

use crate::ward::{DecodedFile, FileReport, LenientMerger, Staleness, refusal_text};
use crate::web::i18n::L;
use crate::web::layout::{self, Live, csrf, met_badge};
use crate::web::{Ctx, Form, WebState, error_page, page, page_with, refusal, see_other};

/// Results kept in memory for their downloads.
pub const KEEP: usize = 4;
/// Largest upload: every file of a district at once.
pub const UPLOAD_LIMIT: usize = 512 * 1024 * 1024;
/// An area whose last change is older than this is marked as not having reported lately.
const QUIET_MS: i64 = 7 * 24 * 3600 * 1000;

/// One merge of uploaded files.
#[derive(Debug)]
pub struct WardResult {
    pub files: Vec<FileReport>,
    /// Copies left out for a later epoch of their area in another file.
    pub superseded: Vec<crdt_model::snapshot::Superseded>,
    pub report: Report,
    /// Area id → its latest change (RFC 3339), over every file.
    pub last_change: Vec<(String, Option<String>)>,
    /// The merged areas as one snapshot file.
    pub bundle: Vec<u8>,
    pub made_at_ms: i64,
}

/// The last results, newest last.
#[derive(Debug, Default)]
pub struct WardResults(VecDeque<(String, Arc<WardResult>)>);

impl WardResults {
    fn insert(&mut self, id: String, r: Arc<WardResult>) {
        self.0.push_back((id, r));
        while self.0.len() > KEEP {
            self.0.pop_front();
        }
    }

    fn get(&self, id: &str) -> Option<Arc<WardResult>> {
        self.0.iter().find(|(i, _)| i == id).map(|(_, r)| Arc::clone(r))
    }
}

/// The keys this device opens encrypted files with, read off the reactor.
async fn device_identities(ws: &WebState) -> Vec<crate::seal::Identity> {
    let Some(dir) = ws.app.ui.data_dir.clone() else { return Vec::new() };
    tokio::task::spawn_blocking(move || {
        let mut ids: Vec<crate::seal::Identity> = crate::seal::existing_device_identity(&dir).into_iter().collect();
        ids.extend(crate::seal::read_identity_file(&dir.join(crate::seal::WARD_IDENTITY_FILE)).unwrap_or_default());
        ids
    })
    .await
    .unwrap_or_default()
}

/// The door's memory of files read before (none without a data directory), read off the
/// reactor the first time.
async fn door_memory(ws: &WebState) -> Option<Arc<Passed>> {
    let dir = ws.app.ui.data_dir.clone()?;
    if let Some(passed) = ws.pages.passed.get() {
        return Some(passed.clone());
    }
    let read = tokio::task::spawn_blocking(move || crate::ward::read_passed(&dir)).await.unwrap_or_default();
    Some(ws.pages.passed.get_or_init(|| Arc::new(read)).clone())
}

/// The letterhead settings of this device, read off the reactor.
async fn load_settings(ws: &WebState) -> LetterheadSettings {
    let Some(dir) = ws.app.ui.data_dir.clone() else { return LetterheadSettings::default() };
    tokio::task::spawn_blocking(move || LetterheadSettings::load(&dir)).await.unwrap_or_default()
}

/// `GET /ward`.
pub async fn show(State(ws): State<WebState>, ctx: Ctx) -> Response {
    let settings = load_settings(&ws).await;
    let live = live_areas(&ws).await;
    page(form_page(&ctx, None, &settings, None, &live))
}

/// One area this device holds and syncs (a ward office that is a `ward` member of its areas
/// sees them here live, beside the files it is sent): its figures and its last sync.
struct LiveArea {
    status: crdt_model::area::Status,
    last_sync: Option<i64>,
}

async fn live_areas(ws: &WebState) -> Vec<LiveArea> {
    let Ok(list) = ws.app.node.list_areas().await else { return Vec::new() };
    let mut out = Vec::new();
    for a in list {
        // One read of the area for both its figures and its roster.
        if let Ok((status, members)) =
            ws.app.node.with_area(a.id.clone(), |area| Ok((area.status(), area.members()))).await
        {
            let last = members.iter().filter_map(|m| ws.app.node.last_sync(&a.id, &m.peer_id)).max();
            out.push(LiveArea { status, last_sync: last });
        }
    }
    out
}

/// The live areas' section of the ward page (nothing when this device holds no area).
fn live_section(ctx: &Ctx, live: &[LiveArea]) -> Markup {
    {
        if live.is_empty() {
            return html! {};
        }
        let l = ctx.l;
        let now = crate::node::now_ms();
        let section = html! {
            section.card.no-print #live-areas data-live-areas=(live.len()) {
                h2 { (l.m("web-ward-areas-this-device-syncs-live")) }
                p.muted { (l.m("web-ward-this-device-is-a-member")) }
                ul.areas {
                    @for a in live {
                        li data-live-area=(a.status.area) {
                            a href=(format!("/a/{}", a.status.area)) { strong { (a.status.name) } }
                            " · " (a.status.households) " " (l.m("web-households"))
                            " · " (l.m("web-ward-met")) (a.status.required_met) "/" (a.status.required_total)
                            (l.m("web-ward-required-criteria"))
                            br;
                            small.muted { (l.sync_state(false, a.last_sync, now)) }
                        }
                    }
                }
            }
        };
        section
    }
}

/// `POST /ward/settings`: the issuing body, place and signers, remembered on this device; back
/// to the page the form was on. A bad value is said next to its field and nothing is stored.
pub async fn settings(State(ws): State<WebState>, ctx: Ctx, form: Form) -> Response {
    let back = form.get("back").filter(|b| b.starts_with("/ward")).unwrap_or("/ward").to_string();
    let mut settings = LetterheadSettings::default();
    for field in LetterheadSettings::FIELDS {
        if let Err(message) = settings.set(field, form.get(field).unwrap_or("")) {
            let l = ctx.l;
            let message = format!("{} ({message})", l.m("web-ward-at-most-120-characters-no"));
            return page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                form_page(&ctx, None, &settings, Some((field.to_string(), message)), &[]),
            );
        }
    }
    let Some(dir) = ws.app.ui.data_dir.clone() else { return see_other(&back) };
    let saved = tokio::task::spawn_blocking(move || {
        let json = serde_json::to_vec_pretty(&settings).unwrap_or_default();
        crate::config::write_atomic(&dir.join(report::SETTINGS_FILE), &json, None)
    })
    .await;
    match saved {
        Ok(Ok(())) => see_other(&back),
        Ok(Err(e)) => refusal(ctx.l, StatusCode::INSUFFICIENT_STORAGE, &e.to_string()),
        Err(_) => {
            refusal(ctx.l, StatusCode::INTERNAL_SERVER_ERROR, &kdc_text::t!(ctx.l, "web-ward-failed", step = "saving"))
        }
    }
}

/// `POST /ward` (multipart): the CSRF field first, then the files. Each file is decoded as it
/// arrives, off the reactor, and its bytes dropped.
pub async fn upload(State(ws): State<WebState>, ctx: Ctx, mut multipart: Multipart) -> Response {
    let l = ctx.l;
    let stale_form = || refusal(l, StatusCode::FORBIDDEN, l.m("web-the-form-is-stale-or"));
    // Files are decoded as they arrive, on as many blocking threads as there are cores (the
    // permits bound the decoded files not yet merged), and merged in the order given.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let permits = Arc::new(tokio::sync::Semaphore::new(cores));
    let mut decoding: Vec<tokio::task::JoinHandle<DecodedFile>> = Vec::new();
    let mut csrf_ok = false;
    // Encrypted files open with this device's key, the ward's key kept on it (DATA_DIR/ward.key),
    // and a key file chosen on the form.
    let mut identities: Arc<Vec<crate::seal::Identity>> = Arc::new(device_identities(&ws).await);
    let passed = door_memory(&ws).await;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                let message = format!("{} ({e})", l.m("web-ward-the-files-did-not-arrive"));
                return page_with(
                    StatusCode::BAD_REQUEST,
                    form_page(&ctx, Some(message), &LetterheadSettings::default(), None, &[]),
                );
            }
        };
        match field.name() {
            Some("csrf") => {
                let presented = field.text().await.unwrap_or_default();
                let expected = ctx.session.as_ref().map(|s| s.csrf.clone()).unwrap_or_default();
                csrf_ok = !expected.is_empty() && crate::api::auth::token_matches(presented.trim(), &expected);
            }
            Some("identity") => {
                let text = field.text().await.unwrap_or_default();
                if text.trim().is_empty() {
                    continue;
                }
                match crate::seal::parse_identities(&text) {
                    Ok(ids) => identities = Arc::new(identities.iter().cloned().chain(ids).collect()),
                    Err(e) => {
                        let message = format!("{}: {e}", l.m("web-ward-the-key-file-cannot-be"));
                        let settings = load_settings(&ws).await;
                        return page_with(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            form_page(&ctx, Some(message), &settings, None, &[]),
                        );
                    }
                }
            }
            Some("files") => {
                if !csrf_ok {
                    return stale_form();
                }
                let name = field.file_name().unwrap_or("").to_string();
                let bytes = match field.bytes().await {
                    Ok(b) => b,
                    Err(e) => {
                        let message = format!("{name}: {} ({e})", l.m("web-ward-the-file-did-not-arrive"));
                        return page_with(
                            StatusCode::BAD_REQUEST,
                            form_page(&ctx, Some(message), &LetterheadSettings::default(), None, &[]),
                        );
                    }
                };
                // An empty file input still sends one part with no name and no bytes.
                if name.is_empty() && bytes.is_empty() {
                    continue;
                }
                let name = if name.is_empty() { format!("({})", decoding.len() + 1) } else { name };
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    return refusal(
                        l,
                        StatusCode::INTERNAL_SERVER_ERROR,
                        &kdc_text::t!(l, "web-ward-failed", step = "decoding"),
                    );
                };
                let (identities, passed) = (identities.clone(), passed.clone());
                decoding.push(tokio::task::spawn_blocking(move || {
                    let decoded = LenientMerger::decode_with(name, &bytes, &identities, passed.as_deref());
                    drop(permit);
                    decoded
                }));
            }
            _ => {}
        }
    }
    if !csrf_ok {
        return stale_form();
    }
    if decoding.is_empty() {
        let message = l.m("web-ward-choose-at-least-one-kdcsnap").to_string();
        let settings = load_settings(&ws).await;
        return page_with(StatusCode::UNPROCESSABLE_ENTITY, form_page(&ctx, Some(message), &settings, None, &[]));
    }
    let mut decoded = Vec::with_capacity(decoding.len());
    for task in decoding {
        match task.await {
            Ok(d) => decoded.push(d),
            Err(_) => {
                return refusal(
                    l,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &kdc_text::t!(l, "web-ward-failed", step = "decoding"),
                );
            }
        }
    }
    let data_dir = ws.app.ui.data_dir.clone();
    let result = tokio::task::spawn_blocking(move || {
        if let (Some(dir), Some(passed)) = (data_dir, passed)
            && let Err(e) = crate::ward::write_passed(&dir, &passed)
        {
            tracing::warn!("could not keep the door's memory of the files read: {e}");
        }
        let result = {
            let mut merger = LenientMerger::default();
            for d in decoded {
                merger.add_decoded(d);
            }
            let merged = merger.finish();
            let report = report::build(&merged.areas);
            let last_change = merged.last_change().into_iter().collect();
            let bundle = merged.bundle();
            WardResult {
                files: merged.files,
                superseded: merged.superseded,
                report,
                last_change,
                bundle,
                made_at_ms: crate::node::now_ms(),
            }
        };
        // The documents are dropped: what they held goes back to the system.
        crate::memory::release_freed();
        result
    })
    .await;
    let Ok(result) = result else {
        return refusal(l, StatusCode::INTERNAL_SERVER_ERROR, &kdc_text::t!(l, "web-ward-failed", step = "merging"));
    };
    let id = hex::encode(rand::random::<[u8; 12]>());
    ws.pages.ward.lock().unwrap_or_else(|p| p.into_inner()).insert(id.clone(), Arc::new(result));
    see_other(&format!("/ward/r/{id}"))
}

fn lookup(ws: &WebState, ctx: &Ctx, id: &str) -> Result<Arc<WardResult>, Response> {
    ws.pages.ward.lock().unwrap_or_else(|p| p.into_inner()).get(id).ok_or_else(|| {
        let l = ctx.l;
        refusal(l, StatusCode::NOT_FOUND, l.m("web-ward-this-report-is-no-longer"))
    })
}

/// `GET /ward/r/{id}`.
pub async fn result(State(ws): State<WebState>, ctx: Ctx, Path(id): Path<String>) -> Response {
    match lookup(&ws, &ctx, &id) {
        Ok(r) => {
            let settings = load_settings(&ws).await;
            page(result_page(&ctx, &id, &r, &settings, None))
        }
        Err(e) => e,
    }
}

/// `GET /ward/r/{id}/{file}`: `bao-cao.xlsx`, `bao-cao.csv`, `bao-cao.json` or
/// `phuong.kdcsnap` (the merged bundle).
pub async fn download(State(ws): State<WebState>, ctx: Ctx, Path((id, file)): Path<(String, String)>) -> Response {
    let r = match lookup(&ws, &ctx, &id) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let lang = ctx.l.0;
    let stamp = Local::now().format("%Y-%m-%d").to_string();
    let settings = load_settings(&ws).await;
    let made = tokio::task::spawn_blocking(move || -> Result<(&'static str, Vec<u8>, String), String> {
        Ok(match file.as_str() {
            "bao-cao.xlsx" => {
                let now = Local::now();
                let date = now.format("%d/%m/%Y").to_string();
                let head =
                    report::Letterhead::with_settings(lang, &r.report, (now.day(), now.month(), now.year()), &settings);
                let bytes = report::xlsx(lang, &r.report, &date, &head).map_err(|e| e.to_string())?;
                (
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    bytes,
                    format!("bao-cao-kdc-{stamp}.xlsx"),
                )
            }
            "bao-cao.csv" => {
                let bytes = report::csv(&r.report).map_err(|e| e.to_string())?;
                ("text/csv; charset=utf-8", bytes, format!("bao-cao-kdc-{stamp}.csv"))
            }
            "bao-cao.json" => {
                let text = report::json(&r.report).map_err(|e| e.to_string())?;
                ("application/json", text.into_bytes(), format!("bao-cao-kdc-{stamp}.json"))
            }
            "phuong.kdcsnap" => ("application/octet-stream", r.bundle.clone(), format!("phuong-{stamp}.kdcsnap")),
            _ => return Err(String::new()),
        })
    })
    .await;
    match made {
        Ok(Ok((ctype, bytes, name))) => {
            let mut resp = ([(header::CONTENT_TYPE, ctype)], bytes).into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
                resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            resp
        }
        Ok(Err(e)) if e.is_empty() => {
            refusal(ctx.l, StatusCode::NOT_FOUND, ctx.l.m("web-ward-there-is-no-such-download"))
        }
        Ok(Err(e)) => refusal(ctx.l, StatusCode::INTERNAL_SERVER_ERROR, &e),
        Err(_) => {
            refusal(ctx.l, StatusCode::INTERNAL_SERVER_ERROR, &kdc_text::t!(ctx.l, "web-ward-failed", step = "report"))
        }
    }
}

/// `POST /ward/r/{id}/import`: stores the merged areas on this device (creating the ones it
/// lacks), as `kdc snapshot import` of the bundle.
pub async fn import(State(ws): State<WebState>, ctx: Ctx, Path(id): Path<String>, _form: Form) -> Response {
    let r = match lookup(&ws, &ctx, &id) {
        Ok(r) => r,
        Err(e) => return e,
    };
    if r.report.areas.is_empty() {
        return see_other(&format!("/ward/r/{id}"));
    }
    match ws.app.node.import_snapshot(r.bundle.clone()).await {
        Ok(imported) => {
            let l = ctx.l;
            let note = html! {
                div.card.saved role="status" data-imported=(imported.len()) {
                    p { "✓ " (l.m("web-ward-stored-on-this-device")) }
                    ul {
                        @for a in &imported {
                            li { a href=(format!("/a/{}", a.id)) { (a.id) } " · " (a.households) " " (l.m("web-households"))
                                @if a.created { " · " (l.m("web-ward-new-on-this-device")) } }
                        }
                    }
                }
            };
            let settings = load_settings(&ws).await;
            page(result_page(&ctx, &id, &r, &settings, Some(note)))
        }
        Err(e) => error_page(ctx.l, e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering

fn form_page(
    ctx: &Ctx,
    error: Option<String>,
    settings: &LetterheadSettings,
    bad: Option<(String, String)>,
    live: &[LiveArea],
) -> Markup {
    let l = ctx.l;
    let body = html! {
        h1 { (l.m("web-ward-ward-office-the-areas-report")) }
        (live_section(ctx, live))
        (upload_form(ctx, error.as_deref()))
        (settings_form(ctx, settings, "/ward", bad.as_ref(), false))
    };
    layout::page(ctx, l.m("web-ward-ward"), None, Live::Off, "", body)
}

fn upload_form(ctx: &Ctx, error: Option<&str>) -> Markup {
    let l = ctx.l;
    html! {
        form.card.no-print method="post" action="/ward" enctype="multipart/form-data" {
            (csrf(ctx))
            label for="ward-key" { (l.m("web-ward-the-ward-s-key-for")) }
            input #ward-key type="file" name="identity" accept=".key,.txt,text/plain";
            label for="ward-files" { (l.m("web-ward-the-areas-snapshot-files-kdcsnap")) }
            input #ward-files type="file" name="files" multiple accept=".kdcsnap,application/octet-stream";
            @if let Some(message) = error {
                p.error data-error-for="files" role="alert" { "⚠ " (message) }
            }
            p.hint { (l.m("web-ward-choose-or-drop-every-file")) }
            div.savebar { button.primary type="submit" data-action="ward-report" { (l.m("web-ward-show-the-report")) } }
        }
    }
}

/// The letterhead settings: typed once, remembered on this device.
fn settings_form(ctx: &Ctx, s: &LetterheadSettings, back: &str, bad: Option<&(String, String)>, open: bool) -> Markup {
    let l = ctx.l;
    let fields = [
        ("issuer", l.m("web-ward-issuing-body-top-left"), "UBND PHƯỜNG THẠC GIÁN"),
        ("place", l.m("web-ward-place-on-the-date-line"), "Thạc Gián"),
        ("preparer_title", l.m("web-ward-preparer-s-title"), "NGƯỜI LẬP BIỂU"),
        ("preparer_name", l.m("web-ward-preparer-s-name"), ""),
        ("signer_title", l.m("web-ward-signer-s-title"), "CHỦ TỊCH"),
        ("signer_name", l.m("web-ward-signer-s-name"), ""),
    ];
    html! {
        details.card.no-print open[bad.is_some() || open] data-keep="ward-settings" {
            summary { (l.m("web-ward-what-the-printed-report-says")) }
            form method="post" action="/ward/settings" novalidate {
                (csrf(ctx))
                input type="hidden" name="back" value=(back);
                @for (name, label, example) in fields {
                    label for=(format!("ws-{name}")) { (label) }
                    input id=(format!("ws-{name}")) name=(name) type="text" maxlength="120" value=(s.get(name)) placeholder=(example);
                    (crate::web::layout::field_error(name, bad))
                }
                p.hint { (l.m("web-ward-leave-empty-for-the-default")) }
                button type="submit" data-action="ward-settings" { (l.m("web-save")) }
            }
        }
    }
}

fn staleness(l: L, s: &Staleness) -> Markup {
    html! {
        @match s {
            Staleness::Only => {}
            Staleness::Newest => { span.badge.ok { "✓ " (l.m("web-ward-newest-has-every-change-of")) } }
            Staleness::SameAs { file } => { span.badge.na { "= " (l.m("web-ward-same-as")) " " (file) " " (l.m("web-ward-one-may-be-deleted")) } }
            Staleness::ContainedIn { file } => { span.badge.no { "⚠ " (l.m("web-ward-stale-everything-is-also-in")) " " (file) " " (l.m("web-ward-may-be-deleted")) } }
            Staleness::Partial => { span.badge.na { "◐ " (l.m("web-ward-has-changes-of-its-own")) } }
        }
    }
}

/// The staleness as a stable hook (`data-staleness`).
fn staleness_code(s: &Staleness) -> &'static str {
    match s {
        Staleness::Only => "only",
        Staleness::Newest => "newest",
        Staleness::SameAs { .. } => "same_as",
        Staleness::ContainedIn { .. } => "contained_in",
        Staleness::Partial => "partial",
    }
}

fn last_change_cell(l: L, at: Option<&str>, now_ms: i64) -> Markup {
    let ms = at.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()).map(|t| t.timestamp_millis());
    html! {
        @match ms {
            None => { "—" }
            Some(ms) => {
                (l.datetime(ms))
                @if now_ms - ms > QUIET_MS {
                    " " span.badge.no data-quiet="true" { "⚠ " (l.m("web-ward-over-7-days-ago")) }
                }
            }
        }
    }
}

fn result_page(ctx: &Ctx, id: &str, r: &WardResult, settings: &LetterheadSettings, note: Option<Markup>) -> Markup {
    let l = ctx.l;
    let used = r.files.iter().filter(|f| f.refused.is_none()).count();
    let refused = r.files.len() - used;
    let households: u64 = r.report.areas.iter().map(|s| s.households).sum();
    let wards = report::wards(&r.report);
    let ward = if wards.len() == 1 { wards[0].to_string() } else { String::new() };
    let today = Local::now();
    let head = report::Letterhead::with_settings(l.0, &r.report, (today.day(), today.month(), today.year()), settings);
    // The default issuer of areas with no ward name is the bare "UBND".
    let issuer_missing = matches!(head.issuer.trim(), "" | "UBND");
    let criteria: Vec<&CriterionStatus> =
        r.report.areas.first().map(|s| s.criteria.iter().collect()).unwrap_or_default();
    let last = |area: &str| r.last_change.iter().find(|(a, _)| a == area).and_then(|(_, t)| t.as_deref());
    // A district's report: the areas under their wards.
    let mut ordered: Vec<&crdt_model::Status> = r.report.areas.iter().collect();
    let natural = crate::web::i18n::natural_cmp;
    ordered.sort_by(|a, b| natural(&a.ward, &b.ward).then_with(|| natural(&a.area, &b.area)));
    let now = crate::node::now_ms();
    let body = html! {
        h1.no-print { (l.m("web-ward-ward-office-the-areas-report")) }
        @if let Some(n) = note { (n) }
        section.card.no-print data-files-used=(used) data-files-refused=(refused) {
            h2 { (l.m("web-ward-the-files-chosen")) }
            p {
                (used) "/" (r.files.len()) " " (l.m("web-ward-files-used"))
                @if refused > 0 { " · " strong.warn { "⚠ " (refused) " " (l.m("web-ward-files-left-out-the-others")) } }
            }
            @for s in &r.superseded {
                p.muted data-superseded=(s.area) data-superseded-file=(s.file) {
                    "ⓘ " (s.file) ": " (l.m("web-ward-the-copy-of-area")) (s.area) (l.m("web-ward-at-epoch")) (s.epoch)
                    (l.m("web-ward-is-superseded-by-epoch")) (s.by_epoch)
                    (l.m("web-ward-households-were-erased-on-request"))
                }
            }
            ul.files {
                @for f in &r.files {
                    @if let Some(why) = &f.refused {
                        li.file data-file=(f.file) data-refused="true" {
                            strong { (f.file) } " "
                            span.badge.no { "✗ " (l.m("web-ward-left-out")) }
                            p.why { (refusal_text(l.0, why)) }
                            @for a in &f.areas { p.muted { (a.area.name) " (" (a.area.id) ")" } }
                        }
                    } @else {
                        @for a in &f.areas {
                            li.file data-file=(f.file) data-refused="false" data-file-area=(a.area.id) data-staleness=(staleness_code(&a.staleness)) {
                                strong { (f.file) } " " span.badge.ok { "✓ " (l.m("web-ward-intact")) }
                                p { (a.area.name) " " span.muted { "(" (a.area.id) ")" } " · " (a.area.households) " " (l.m("web-households")) " · " (a.area.members) " " (l.m("web-ward-devices")) }
                                p.muted { (l.m("web-ward-last-change")) (last_change_cell(l, a.area.last_change.as_deref(), now)) }
                                @if a.staleness != Staleness::Only { p { (staleness(l, &a.staleness)) } }
                            }
                        }
                    }
                }
            }
        }
        @if r.report.areas.is_empty() {
            p.card.warn role="alert" { "⚠ " (l.m("web-ward-no-file-could-be-used")) }
        } @else {
            section.card.no-print {
                h2 { (l.m("web-ward-download-and-store")) }
                p.downloads {
                    a.button href=(format!("/ward/r/{id}/bao-cao.xlsx")) data-download="xlsx" download { "⬇ Excel (XLSX)" } " "
                    a.button href=(format!("/ward/r/{id}/bao-cao.csv")) data-download="csv" download { "⬇ CSV" } " "
                    a.button href=(format!("/ward/r/{id}/bao-cao.json")) data-download="json" download { "⬇ JSON" } " "
                    a.button href=(format!("/ward/r/{id}/phuong.kdcsnap")) data-download="bundle" download { "⬇ " (l.m("web-ward-merged-file-kdcsnap")) }
                }
                p.hint { (l.m("web-ward-to-print-use-the-browser")) }
                button.secondary type="button" data-action="print" hidden { (l.m("web-ward-print-the-report")) }
                form method="post" action=(format!("/ward/r/{id}/import")) {
                    (csrf(ctx))
                    button type="submit" data-action="import" { (l.m("web-ward-store-on-this-device")) }
                }
            }
            @if issuer_missing {
                // Printed as well: a report without its issuing body is not an official document.
                p.warn role="alert" data-letterhead-missing {
                    "⚠ " (l.m("web-ward-no-issuing-body-yet-the"))
                    a href="#ws-issuer" { (l.m("web-ward-what-the-printed-report-says-2")) }
                    (l.m("web-ward-then-print"))
                }
            }
            section.report {
                div.print-only.letterhead data-print="letterhead" {
                    div.issuer { p { strong { (head.issuer) } } }
                    div.motto {
                        p { strong { (report::MOTTO[0]) } }
                        p { strong.u { (report::MOTTO[1]) } }
                        p.date { em { (head.place_and_date) } }
                    }
                }
                h2.title { (report::report_title(l.0)) }
                p.center {
                    @if !ward.is_empty() { (ward) " · " }
                    (r.report.areas.len()) " " (l.m("web-ward-areas")) " · " (households) " " (l.m("web-households")) " · "
                    strong data-certified-areas=(r.report.certified_areas) { (report::certified_areas_line(l.0, r.report.certified_areas, r.report.areas.len())) }
                }
                @if wards.len() > 1 {
                    h3 { (l.m("web-ward-by-ward")) }
                    div.scroll {
                        table.ward-report.by-ward {
                            thead {
                                tr {
                                    th { (l.m("web-ward-no")) } th { (l.m("web-ward")) } th { (l.m("web-ward-areas-2")) }
                                    th { (l.m("web-ward-households")) } th { (l.m("web-ward-certified-areas")) }
                                    @for c in &criteria { th.crit-col { (c.label.get(l.0)) } }
                                }
                            }
                            tbody {
                                @for (i, w) in r.report.wards.iter().enumerate() {
                                    tr data-ward=(w.ward) data-areas=(w.areas) data-ward-certified=(w.certified_areas) data-households=(w.households) {
                                        td.num { (i + 1) } td { (w.ward) } td.num { (w.areas) } td.num { (w.households) }
                                        td.num { (w.certified_areas) "/" (w.areas) }
                                        @for c in &criteria {
                                            @match w.criteria.iter().find(|x| x.id == c.id) {
                                                Some(x) if x.areas_applicable > 0 => { td data-ward-criterion=(x.id) data-areas-met=(x.areas_met) data-areas-applicable=(x.areas_applicable) { (x.areas_met) "/" (x.areas_applicable) " " (l.m("web-ward-areas-3")) } }
                                                _ => { td { "—" } }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    h3 { (l.m("web-ward-each-area")) }
                }
                div.scroll {
                    table.ward-report {
                        thead {
                            tr {
                                th rowspan="2" { (l.m("web-ward-no")) }
                                th rowspan="2" { (l.m("web-area")) }
                                th rowspan="2" { (l.m("web-ward-households")) }
                                @for c in &criteria { th.crit-col { (c.label.get(l.0)) @if !c.required { " (" (l.m("web-ward-encouraged")) ")" } } }
                                th.result rowspan="2" { (l.m("web-ward-result")) }
                                th.no-print rowspan="2" { (l.m("web-ward-last-change-2")) }
                            }
                            tr { @for c in &criteria { th.sub { (l.op_threshold(&c.op, c.threshold)) } } }
                        }
                        tbody {
                            @for (i, s) in ordered.iter().enumerate() {
                                @if wards.len() > 1 && (i == 0 || ordered[i - 1].ward != s.ward) {
                                    tr.ward-head data-ward-head=(s.ward) { td colspan=(criteria.len() + 5) { strong { (s.ward) } } }
                                }
                                tr data-area=(s.area) data-required-met=(s.required_met) data-required-total=(s.required_total) data-certified=(s.certified) {
                                    td.num { (i + 1) }
                                    td { (s.name) @if ward.is_empty() { br; span.muted { (s.ward) } } }
                                    td.num {
                                        (s.households)
                                        @if s.declined > 0 { br; span.muted data-declined=(s.declined) title=[report::declined_line(l.0, s.declined, s.households)] { "+" (s.declined) " " (l.m("web-declined")) } }
                                    }
                                    @for c in &s.criteria { (criterion_cell(l, c)) }
                                    td.result { @if s.certified { span.badge.ok { "✓ " (l.m("web-ward-certified")) } } @else { span.badge.no { "✗ " (l.m("web-ward-not-yet")) } } }
                                    td.no-print { (last_change_cell(l, last(&s.area), now)) }
                                }
                            }
                        }
                    }
                }
                @for s in ordered.iter().filter(|s| s.declined > 0) {
                    p.declined-note { (s.name) ": " (report::declined_line(l.0, s.declined, s.households).unwrap_or_default()) }
                }
                div.print-only.signatures data-print="signatures" {
                    @for signer in &head.signers {
                        div { p { strong { (signer.title) } } p.sign-hint { em { (signer.hint) } } p { strong { (signer.name) } } }
                    }
                }
            }
            section.no-print {
                h2 { (l.m("web-ward-each-area-by-residential-group")) }
                @for s in &r.report.areas {
                    details.card.group {
                        summary { strong { (s.name) } " · " (s.households) " " (l.m("web-households")) " · " (l.m("web-met")) " " (s.required_met) "/" (s.required_total) }
                        @if let Some(line) = report::declined_line(l.0, s.declined, s.households) { p.declined { "⊘ " (line) } }
                        div.scroll {
                            table.groups {
                                thead { tr { th { (l.m("web-group")) } th { (l.m("web-ward-households")) } @for c in &s.criteria { th { (c.label.get(l.0)) } } } }
                                tbody {
                                    @for g in &s.groups {
                                        tr data-group=(g.group) {
                                            td { @if g.group.is_empty() { (l.m("web-no-group")) } @else { (g.group) } }
                                            td.num { (g.evaluation.households) }
                                            @for c in &g.evaluation.criteria { td { (c.numerator) "/" (c.denominator) br; (l.percent(c.numerator, c.denominator)) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            (settings_form(ctx, settings, &format!("/ward/r/{id}"), None, issuer_missing))
            details.card.no-print {
                summary { (l.m("web-ward-choose-other-files")) }
                (upload_form(ctx, None))
            }
        }
    };
    layout::page(ctx, l.m("web-ward-ward-report"), None, Live::Off, "", body)
}

/// One criterion of one area, with the board's test hooks.
fn criterion_cell(l: L, c: &CriterionStatus) -> Markup {
    let needed = if c.met || !c.applicable { None } else { c.needed };
    html! {
        td.crit
            data-criterion=(c.id)
            data-met=(c.met)
            data-applicable=(c.applicable)
            data-numerator=(c.numerator)
            data-denominator=(c.denominator)
            data-needed=[needed]
        {
            @if c.applicable && !c.no_data {
                span.n { (c.numerator) "/" (c.denominator) } " "
                span.p { (l.percent(c.numerator, c.denominator)) } " "
            }
            (met_badge(l, c))
        }
    }
}
