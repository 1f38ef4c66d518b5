//! The web app's safety rules and forms over plain HTTP, against a real daemon on port 0: the
//! one-time login URL, the Host check, same-origin and CSRF checks on writes, LAN mode, and
//! that a form writes exactly what was changed (and nothing when a value is refused).
//! (The same screens in a real browser: web/tests/, run by tests/tests/browser.rs.)

use std::net::SocketAddr;
use std::path::Path;

use kdc_api::client::Client;
use kdc_daemon::api::ui::LoginInfo;
use kdc_daemon::web::session::SessionInfo;
use kdc_daemon::{Config, RunningDaemon};
use serde_json::Value;

fn config(dir: &Path) -> Config {
    let mut config = Config::new(dir);
    config.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().expect("multiaddr")];
    config.mdns = false;
    config
}

fn free_port(ip: &str) -> SocketAddr {
    let l = std::net::TcpListener::bind((ip, 0)).expect("bind");
    l.local_addr().expect("addr")
}

/// A browser-like HTTP client: keeps no cookies by itself and never follows redirects.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into()
}

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

fn get(url: &str, cookie: Option<&str>, host: Option<&str>) -> Resp {
    let mut req = agent().get(url);
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    if let Some(h) = host {
        req = req.header("Host", h);
    }
    read(req.call().expect("response"))
}

fn post(url: &str, cookie: Option<&str>, origin: Option<&str>, form: &[(&str, &str)]) -> Resp {
    let mut req = agent().post(url).header("Content-Type", "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    if let Some(o) = origin {
        req = req.header("Origin", o);
    }
    let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    read(req.send(body).expect("response"))
}

fn read(mut r: ureq::http::Response<ureq::Body>) -> Resp {
    let status = r.status().as_u16();
    let headers = r.headers().iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string())).collect();
    let body = r.body_mut().read_to_string().unwrap_or_default();
    Resp { status, headers, body }
}

/// Logs in by a fresh one-time URL; answers the `Cookie` header value.
fn login(client: &Client) -> String {
    let info: LoginInfo = client.ui_login(false).expect("login url");
    let r = get(&info.url, None, None);
    assert_eq!(r.status, 303, "the login URL redirects: {}", r.body);
    assert_eq!(r.header("location"), Some("/"));
    let set = r.header("set-cookie").expect("a session cookie").to_string();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
    set.split(';').next().expect("name=value").to_string()
}

/// The value of `name="csrf"` in a page.
fn csrf(page: &str) -> String {
    let i = page.find("name=\"csrf\" value=\"").expect("a form with a CSRF token") + 19;
    page[i..i + page[i..].find('"').expect("end")].to_string()
}

#[test]
fn login_url_is_single_use_and_pages_need_a_session() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let daemon = RunningDaemon::start(config(tmp.path())).expect("daemon");
    let client = Client::from_data_dir(tmp.path()).expect("client");
    let base = format!("http://{}", daemon.addr);

    let r = get(&format!("{base}/"), None, None);
    assert_eq!(r.status, 401);
    assert!(r.body.contains("data-login-required") && !r.body.contains("data-area"), "{}", r.body);

    let info: LoginInfo = client.ui_login(false).expect("login url");
    assert!(info.url.starts_with(&format!("{base}/login?code=")), "{}", info.url);
    let first = get(&info.url, None, None);
    assert_eq!(first.status, 303);
    let second = get(&info.url, None, None);
    assert_eq!(second.status, 403, "a second use is refused");
    assert!(second.body.contains("data-login-error"));
    assert!(second.header("set-cookie").is_none());

    let cookie = login(&client);
    let home = get(&format!("{base}/"), Some(&cookie), None);
    assert_eq!(home.status, 200);
    let csp = home.header("content-security-policy").expect("CSP");
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"), "{csp}");
    assert!(home.body.starts_with("<!DOCTYPE html><html lang=\"vi\">"));

    // The bearer API is unchanged, and does not take a session cookie instead of the token.
    let r = get(&format!("{base}/v1/id"), Some(&cookie), None);
    assert_eq!(r.status, 401);
    client.id().expect("kdc still works");

    // Sessions outlive a restart; a revoked one is gone.
    daemon.stop().expect("stop");
    let daemon = RunningDaemon::start(config(tmp.path())).expect("restart");
    let client = Client::from_data_dir(tmp.path()).expect("client");
    let base = format!("http://{}", daemon.addr);
    // The cookie is named after the port; the new port gets the same secret under its name.
    let secret = cookie.split_once('=').expect("cookie").1;
    let cookie = format!("kdc_session_{}={secret}", daemon.addr.port());
    assert_eq!(get(&format!("{base}/"), Some(&cookie), None).status, 200, "the session survived the restart");
    let sessions: Vec<SessionInfo> = client.ui_sessions().expect("sessions");
    assert_eq!(sessions.len(), 2, "two logins above: {sessions:?}");
    for s in &sessions {
        let _: SessionInfo = client.ui_revoke(&s.id).expect("revoke");
    }
    assert_eq!(get(&format!("{base}/"), Some(&cookie), None).status, 401, "revoked");
    let err = client.ui_revoke::<Value>("nope").expect_err("unknown session");
    assert_eq!(err.exit_code(), 4);
    daemon.stop().expect("stop");
}

#[test]
fn foreign_hosts_and_cross_origin_writes_are_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let daemon = RunningDaemon::start(config(tmp.path())).expect("daemon");
    let client = Client::from_data_dir(tmp.path()).expect("client");
    let base = format!("http://{}", daemon.addr);
    let cookie = login(&client);
    let port = daemon.addr.port();

    for host in ["evil.example", "evil.example:7420", "127.0.0.1.nip.io", "kdc.local"] {
        assert_eq!(get(&format!("{base}/"), Some(&cookie), Some(host)).status, 403, "Host {host}");
    }
    for host in [format!("127.0.0.1:{port}"), format!("localhost:{port}"), format!("[::1]:{port}")] {
        assert_eq!(get(&format!("{base}/"), Some(&cookie), Some(&host)).status, 200, "Host {host}");
    }

    let home = get(&format!("{base}/"), Some(&cookie), None);
    let token = csrf(&home.body);
    let form = [("csrf", token.as_str()), ("id", "evil-area"), ("name", "X"), ("ward", "Y")];
    let r = post(&format!("{base}/"), Some(&cookie), Some("http://evil.example"), &form);
    assert_eq!(r.status, 403, "cross-origin POST");
    let r = post(
        &format!("{base}/"),
        Some(&cookie),
        Some(&format!("http://127.0.0.1:{port}")),
        &[("id", "no-token"), ("name", "X"), ("ward", "Y")],
    );
    assert_eq!(r.status, 403, "a POST without the CSRF token");
    let r = post(&format!("{base}/"), None, Some(&format!("http://127.0.0.1:{port}")), &form);
    assert_eq!(r.status, 403, "a POST without a session");
    let areas: Vec<Value> = client.areas().expect("areas");
    assert!(areas.is_empty(), "nothing was created: {areas:?}");

    let r = post(&format!("{base}/"), Some(&cookie), Some(&format!("http://127.0.0.1:{port}")), &form);
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/a/evil-area"));
    daemon.stop().expect("stop");
}

#[test]
fn the_household_form_writes_what_changed_and_nothing_when_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let daemon = RunningDaemon::start(config(tmp.path())).expect("daemon");
    let client = Client::from_data_dir(tmp.path()).expect("client");
    let base = format!("http://{}", daemon.addr);
    let cookie = login(&client);
    let origin = format!("http://{}", daemon.addr);
    let home = get(&format!("{base}/"), Some(&cookie), None);
    let token = csrf(&home.body);
    let r = post(
        &format!("{base}/"),
        Some(&cookie),
        Some(&origin),
        &[("csrf", &token), ("id", "a1"), ("name", "A"), ("ward", "W")],
    );
    assert_eq!(r.status, 303);

    // The new-household screen reads the notice and asks for consent; without it nothing is
    // stored and the message stands next to the consent question.
    let screen = get(&format!("{base}/a/a1/new"), Some(&cookie), None);
    assert!(screen.body.contains("data-notice-version=\"2026-12\""), "{}", screen.body);
    for v in ["verbal", "written", "refused"] {
        assert!(screen.body.contains(&format!("name=\"consent\" value=\"{v}\"")), "{v}: {}", screen.body);
    }
    let without = [("csrf", token.as_str()), ("id", "T1-001"), ("group", "Tổ 1"), ("address", "Số 5")];
    let r = post(&format!("{base}/a/a1/new"), Some(&cookie), Some(&origin), &without);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("data-error-for=\"consent\""), "{}", r.body);
    assert!(client.household::<Value>("a1", "T1-001").is_err(), "nothing stored without consent");

    // A refusal keeps the house code and group only, whatever else was typed.
    let refused =
        [("csrf", token.as_str()), ("id", "T1-099"), ("group", "Tổ 1"), ("address", "Số 99"), ("consent", "refused")];
    let r = post(&format!("{base}/a/a1/new"), Some(&cookie), Some(&origin), &refused);
    assert_eq!(r.status, 303, "{}", r.body);
    let declined: Value = client.household("a1", "T1-099").expect("declined household");
    assert_eq!(declined["consent"]["state"], "refused");
    assert_eq!((declined["address"].is_null(), declined["group"].as_str()), (true, Some("Tổ 1")));
    let page = get(&format!("{base}/a/a1/h/T1-099"), Some(&cookie), None);
    assert!(page.body.contains("data-consent=\"refused\""), "{}", page.body);

    // New household; the same code again opens it instead of a duplicate.
    let new =
        [("csrf", token.as_str()), ("id", "T1-001"), ("group", "Tổ 1"), ("address", "Số 5"), ("consent", "verbal")];
    let r = post(&format!("{base}/a/a1/new"), Some(&cookie), Some(&origin), &new);
    assert_eq!((r.status, r.header("location")), (303, Some("/a/a1/h/T1-001?created=1")));
    let r = post(&format!("{base}/a/a1/new"), Some(&cookie), Some(&origin), &new);
    assert_eq!((r.status, r.header("location")), (303, Some("/a/a1/h/T1-001?exists=1")));
    // In another case, with spaces around: the same house.
    let lower = [("csrf", token.as_str()), ("id", " t1-001 "), ("consent", "verbal")];
    let r = post(&format!("{base}/a/a1/new"), Some(&cookie), Some(&origin), &lower);
    assert_eq!((r.status, r.header("location")), (303, Some("/a/a1/h/T1-001?exists=1")));
    let r = post(&format!("{base}/a/a1/new"), Some(&cookie), Some(&origin), &[("csrf", &token), ("id", "bad/code")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("data-error-for=\"id\""), "{}", r.body);

    let form = get(&format!("{base}/a/a1/h/T1-001"), Some(&cookie), None);
    assert!(form.body.contains("name=\"eid_accounts\"") && form.body.contains("data-action=\"save\""));
    let save = |pairs: &[(&str, &str)]| {
        let mut all = vec![("csrf", token.as_str()), ("action", "save")];
        all.extend_from_slice(pairs);
        post(&format!("{base}/a/a1/h/T1-001"), Some(&cookie), Some(&origin), &all)
    };
    let r = save(&[
        ("members", "4"),
        ("was:members", ""),
        ("members_14plus", "3"),
        ("was:members_14plus", ""),
        ("internet", "yes"),
        ("was:internet", ""),
    ]);
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.header("location").expect("redirect").to_string();
    assert!(location.starts_with("/a/a1/h/T1-001?saved="), "{location}");
    let saved = get(&format!("{base}{location}"), Some(&cookie), None);
    assert!(saved.body.contains("data-saved-at=\""), "the form says it was saved");
    let shown: Value = client.household("a1", "T1-001").expect("household");
    assert_eq!((shown["fields"]["members"].as_u64(), shown["fields"]["internet"].as_str()), (Some(4), Some("yes")));

    // A refused value: the message is next to the field, and nothing is stored.
    let before: Value = client.household("a1", "T1-001").expect("household");
    let r = save(&[
        ("members", "4"),
        ("was:members", "4"),
        ("members_14plus", "9"),
        ("was:members_14plus", "3"),
        ("eid_accounts", "2"),
        ("was:eid_accounts", ""),
    ]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("data-error-for=\"members_14plus\""), "{}", r.body);
    assert!(r.body.contains("value=\"9\""), "what was typed is shown again");
    let after: Value = client.household("a1", "T1-001").expect("household");
    assert_eq!(before, after, "a refused form stores nothing");
    let r = save(&[("members", "99"), ("was:members", "4")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("data-error-for=\"members\"") && r.body.contains("60"), "names the range: {}", r.body);

    // Only the changed question is written: a teammate's concurrent value of another field
    // stays (here: a value written through the API after the form was loaded).
    let _: Value = client
        .update_household(
            "a1",
            "T1-001",
            &kdc_daemon::api::types::HouseholdPatch {
                fields: kdc_daemon::api::types::field_values([("internet", "no")]),
                group: None,
                address: None,
                consent: None,
            },
        )
        .expect("teammate's write");
    let r = save(&[
        ("members", "4"),
        ("was:members", "4"),
        ("internet", "yes"),
        ("was:internet", "yes"),
        ("eid_accounts", "3"),
        ("was:eid_accounts", ""),
    ]);
    assert_eq!(r.status, 303, "{}", r.body);
    let now: Value = client.household("a1", "T1-001").expect("household");
    assert_eq!(now["fields"]["internet"].as_str(), Some("no"), "an unchanged question is not written again");
    assert_eq!(now["fields"]["eid_accounts"].as_u64(), Some(3));

    // The history is one tap away on the same path.
    let form = get(&format!("{base}/a/a1/h/T1-001"), Some(&cookie), None);
    assert!(form.body.contains("data-action=\"history\"") && !form.body.contains("id=\"history\""));
    let with_history = get(&format!("{base}/a/a1/h/T1-001?history=1"), Some(&cookie), None);
    assert!(with_history.body.contains("id=\"history\""), "{}", with_history.body);
    assert!(
        with_history.body.contains("→ <strong>3</strong>"),
        "the eid_accounts write is listed: {}",
        with_history.body
    );

    // The board carries the status' figures.
    let board = get(&format!("{base}/a/a1"), Some(&cookie), None);
    let status: Value = client.status("a1").expect("status");
    for c in status["criteria"].as_array().expect("criteria") {
        let hook = format!(
            "data-criterion=\"{}\" data-met=\"{}\" data-applicable=\"{}\" data-numerator=\"{}\" data-denominator=\"{}\"",
            c["id"].as_str().expect("id"),
            c["met"],
            c["applicable"],
            c["numerator"],
            c["denominator"]
        );
        assert!(board.body.contains(&hook), "{hook} in the board");
        if let Some(k) = c["needed"].as_i64() {
            assert!(board.body.contains(&format!("{hook} data-needed=\"{k}\"")), "needed {k} for {}", c["id"]);
        }
    }
    daemon.stop().expect("stop");
}

#[test]
fn lan_mode_serves_the_app_only_and_only_to_logged_in_browsers() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let lan = free_port("127.0.0.2");
    let mut cfg = config(tmp.path());
    cfg.ui_listen = Some(lan);
    let daemon = RunningDaemon::start(cfg).expect("daemon");
    let client = Client::from_data_dir(tmp.path()).expect("client");
    let _: Value = client
        .create_area(&kdc_daemon::api::types::CreateArea {
            id: "a1".into(),
            name: "A".into(),
            ward: "W".into(),
            profile: None,
        })
        .expect("area");
    let base = format!("http://{lan}");
    for path in ["/", "/a/a1", "/a/a1/worklist", "/a/a1/team"] {
        let r = get(&format!("{base}{path}"), None, None);
        assert_eq!(r.status, 401, "{path}");
        assert!(!r.body.contains("data-area") && !r.body.contains("data-criterion"), "{path}: {}", r.body);
    }
    let token = std::fs::read_to_string(tmp.path().join("api.token")).expect("token");
    let r = agent()
        .get(format!("{base}/v1/id"))
        .header("Authorization", format!("Bearer {}", token.trim()))
        .call()
        .expect("resp");
    assert_ne!(r.status().as_u16(), 200, "the LAN listener does not serve the control API");

    let info: LoginInfo = client.ui_login(true).expect("lan login");
    assert!(info.url.starts_with(&format!("{base}/login?code=")), "{}", info.url);
    let r = get(&info.url, None, None);
    assert_eq!(r.status, 303);
    let cookie = r.header("set-cookie").expect("cookie").split(';').next().expect("kv").to_string();
    let home = get(&format!("{base}/"), Some(&cookie), None);
    assert!(home.body.contains("data-area=\"a1\""), "{}", home.body);
    let sessions: Vec<SessionInfo> = client.ui_sessions().expect("sessions");
    assert!(sessions.iter().any(|s| s.lan), "{sessions:?}");
    daemon.stop().expect("stop");

    // Without --ui-listen, a LAN URL is refused with a reason.
    let daemon = RunningDaemon::start(config(tmp.path())).expect("daemon");
    let client = Client::from_data_dir(tmp.path()).expect("client");
    let err = client.ui_login::<Value>(true).expect_err("no LAN mode");
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("--ui-listen"), "{err}");
    daemon.stop().expect("stop");
}

#[test]
fn an_invite_opened_before_login_is_offered_after_it_and_previews_do_not_use_the_code() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let daemon = RunningDaemon::start(config(tmp.path())).expect("daemon");
    let client = Client::from_data_dir(tmp.path()).expect("client");
    let base = format!("http://{}", daemon.addr);

    // An invite's QR opened on a phone that has no session yet.
    let r = get(&format!("{base}/join?token=kdc1-abc"), None, None);
    assert_eq!(r.status, 401);
    let next =
        r.header("set-cookie").expect("the page asked for is remembered").split(';').next().expect("kv").to_string();
    assert!(next.starts_with("kdc_next="), "{next}");

    let info: LoginInfo = client.ui_login(false).expect("login url");
    // A link preview (HEAD, or a prefetch) leaves the code usable.
    let head = read(agent().head(&info.url).call().expect("HEAD"));
    assert!(head.header("set-cookie").is_none(), "HEAD opened no session");
    let mut req = agent().get(&info.url).header("Sec-Purpose", "prefetch");
    req = req.header("Cookie", &next);
    let prefetch = read(req.call().expect("prefetch"));
    assert_eq!(prefetch.status, 200);
    let r = get(&info.url, Some(&next), None);
    assert_eq!(r.status, 303, "the code still works: {}", r.body);
    assert_eq!(r.header("location"), Some("/"), "the contract: logging in lands on /");
    let cookie = r.header("set-cookie").expect("session").split(';').next().expect("kv").to_string();
    let home = get(&format!("{base}/"), Some(&format!("{cookie}; {next}")), None);
    assert!(
        home.body.contains("data-continue-join") && home.body.contains("href=\"/join?token=kdc1-abc\""),
        "{}",
        home.body
    );
    daemon.stop().expect("stop");
}
