//! The control API end to end: a real daemon on port 0, driven through `client::Client`.

use std::path::Path;

use kdc_api::client::{Client, ClientError};
use kdc_daemon::api::types::{
    CreateArea, HouseholdPatch, HouseholdQuery, InviteInfo, InviteRequest, NewHousehold, NewMember, field_values,
};
use kdc_daemon::invite::InviteToken;
use kdc_daemon::{Config, RunningDaemon};
use serde_json::{Value, json};

fn start(dir: &Path) -> (RunningDaemon, Client) {
    let mut config = Config::new(dir);
    config.name = Some("tablet-1".into());
    // Loopback only and no mDNS: these tests are about the API, not about finding peers.
    config.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().expect("multiaddr")];
    config.mdns = false;
    let daemon = RunningDaemon::start(config).expect("daemon starts");
    let client = Client::from_data_dir(dir).expect("client");
    (daemon, client)
}

fn area(id: &str) -> CreateArea {
    CreateArea { id: id.into(), name: "Tam Giác 3".into(), ward: "Phường 7".into(), profile: None }
}

fn api_err(e: ClientError) -> (u16, String, Option<String>) {
    match e {
        ClientError::Api { status, kind, field, .. } => (status, kind, field),
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[test]
fn endpoints_round_trip() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (daemon, client) = start(tmp.path());

    let id = client.id().expect("id");
    assert_eq!(id.name, "tablet-1");
    assert!(id.peer_id.starts_with("12D3KooW"), "{}", id.peer_id);
    for addr in &id.listen {
        assert!(addr.starts_with("/ip4/127.0.0.1/tcp/"), "{addr}");
    }

    let summary: Value = client.create_area(&area("tam-giac-3")).expect("create");
    assert_eq!(
        summary,
        json!({"id": "tam-giac-3", "name": "Tam Giác 3", "ward": "Phường 7", "households": 0,
               "requires": crdt_model::compat::FIRST_RELEASE})
    );
    let (status, kind, _) = api_err(client.create_area::<Value>(&area("tam-giac-3")).expect_err("exists"));
    assert_eq!((status, kind.as_str()), (409, "conflict"));
    let (status, _, field) = api_err(client.create_area::<Value>(&area("Bad Id")).expect_err("bad id"));
    assert_eq!((status, field.as_deref()), (400, Some("area")));

    let new = NewHousehold {
        id: "T3-045".into(),
        group: Some("Tổ 3".into()),
        address: Some("45 Lê Lợi".into()),
        fields: field_values([("members", "5"), ("members_14plus", "4"), ("internet", "có")]),
        consent: None,
    };
    // The default profile records a household only with the resident's consent.
    let (status, _, field) = api_err(client.add_household::<Value>("tam-giac-3", &new).expect_err("no consent"));
    assert_eq!((status, field.as_deref()), (400, Some("consent")));
    let new = NewHousehold { consent: Some(crdt_model::ConsentGiven::verbal()), ..new };
    let hh: Value = client.add_household("tam-giac-3", &new).expect("add");
    assert_eq!(hh["consent"]["state"], json!("given"));
    assert_eq!(hh["consent"]["method"], json!("verbal"));
    assert_eq!(hh["fields"]["members"], json!(5));
    assert_eq!(hh["fields"]["internet"], json!("yes"));
    assert_eq!(hh["updated_by"], json!(id.peer_id));

    // A refused write names the field and stores nothing.
    let bad =
        HouseholdPatch { fields: field_values([("members", "5"), ("smartphone_users", "9")]), ..Default::default() };
    let err = client.update_household::<Value>("tam-giac-3", "T3-045", &bad).expect_err("refused");
    assert_eq!(err.exit_code(), 2);
    let (status, kind, field) = api_err(err);
    assert_eq!((status, kind.as_str(), field.as_deref()), (400, "invalid_input", Some("smartphone_users")));

    let ok = HouseholdPatch { fields: field_values([("smartphone_users", "3")]), ..Default::default() };
    let hh: Value = client.update_household("tam-giac-3", "T3-045", &ok).expect("patch");
    assert_eq!(hh["fields"]["smartphone_users"], json!(3));

    let typed: crdt_model::area::HouseholdView = client.household("tam-giac-3", "T3-045").expect("show");
    assert_eq!(typed.group.as_deref(), Some("Tổ 3"));
    let err = client.household::<Value>("tam-giac-3", "T9-999").expect_err("absent");
    assert_eq!(err.exit_code(), 4);
    let err = client.status::<Value>("nowhere").expect_err("absent area");
    assert_eq!(err.exit_code(), 4);

    let list: Value = client.households("tam-giac-3", &HouseholdQuery::default()).expect("list");
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    let status: crdt_model::Status = client.status("tam-giac-3").expect("status");
    assert_eq!((status.households, status.profile.as_str()), (1, "kdc-so-v1"));

    let archived: Value = client.archive_household("tam-giac-3", "T3-045").expect("archive");
    assert_eq!(archived["archived"], json!(true));
    let list: Vec<Value> = client.households("tam-giac-3", &HouseholdQuery::default()).expect("list");
    assert!(list.is_empty(), "archived households are hidden by default");
    let q = HouseholdQuery { archived: true, ..Default::default() };
    let list: Vec<Value> = client.households("tam-giac-3", &q).expect("list");
    assert_eq!(list.len(), 1);

    let members: Vec<Value> = client.members("tam-giac-3").expect("members");
    assert_eq!(members[0]["name"], json!("tablet-1"));
    let conflicts: Vec<Value> = client.conflicts("tam-giac-3").expect("conflicts");
    assert!(conflicts.is_empty());
    let areas: Vec<Value> = client.areas().expect("areas");
    assert_eq!(areas.len(), 1);

    // Snapshot to a second device: created there; importing again merges.
    let snap = client.export_snapshot("tam-giac-3").expect("export");
    let tmp2 = tempfile::tempdir().expect("tempdir");
    let (daemon2, client2) = start(tmp2.path());
    let report = client2.import_snapshot(&snap).expect("import");
    assert_eq!((report.areas.len(), report.areas[0].created), (1, true));
    let report = client2.import_snapshot(&snap).expect("import again");
    assert!(!report.areas[0].created);
    let (status, _, field) = api_err(client2.import_snapshot(b"not a snapshot").expect_err("bad file"));
    assert_eq!((status, field.as_deref()), (400, Some("snapshot")));
    daemon2.stop().expect("stop");

    daemon.stop().expect("stop");
    assert!(!tmp.path().join("api.addr").exists(), "api.addr is removed at shutdown");
    assert_eq!(Client::from_data_dir(tmp.path()).expect_err("stopped").exit_code(), 3);

    // Everything is still there after a restart.
    let (daemon, client) = start(tmp.path());
    let hh: Value = client.household("tam-giac-3", "T3-045").expect("show after restart");
    assert_eq!(hh["fields"]["smartphone_users"], json!(3));
    assert_eq!(client.id().expect("id").peer_id, id.peer_id, "identity is stable");
    daemon.stop().expect("stop");
}

#[test]
fn requests_need_the_token() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (daemon, _) = start(tmp.path());
    let wrong = Client::new(daemon.addr, &"0".repeat(64));
    let err = wrong.id().expect_err("wrong token");
    assert_eq!(err.exit_code(), 1);
    let (status, kind, _) = api_err(err);
    assert_eq!((status, kind.as_str()), (401, "unauthorized"));

    // Raw requests: no header, wrong scheme, unknown path with a wrong token.
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let base = format!("http://{}", daemon.addr);
    let token = std::fs::read_to_string(tmp.path().join("api.token")).expect("token");
    for (path, auth) in [
        ("/v1/id", None),
        ("/v1/id", Some(format!("Basic {}", token.trim()))),
        ("/v1/nothing", Some("Bearer nope".to_string())),
    ] {
        let mut req = agent.get(format!("{base}{path}"));
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let mut resp = req.call().expect("response");
        assert_eq!(resp.status().as_u16(), 401, "{path}");
        let body: Value = resp.body_mut().read_json().expect("json error body");
        assert_eq!(body["error"]["kind"], json!("unauthorized"));
    }

    // With the token: bad JSON and unknown paths are JSON errors too.
    let auth = format!("Bearer {}", token.trim());
    let mut resp =
        agent.post(format!("{base}/v1/areas")).header("Authorization", &auth).send("{not json").expect("response");
    assert_eq!(resp.status().as_u16(), 400);
    let body: Value = resp.body_mut().read_json().expect("json");
    assert_eq!(body["error"]["kind"], json!("invalid_input"));
    let mut resp = agent.get(format!("{base}/v1/nothing")).header("Authorization", &auth).call().expect("response");
    assert_eq!(resp.status().as_u16(), 404);
    let body: Value = resp.body_mut().read_json().expect("json");
    assert_eq!(body["error"]["kind"], json!("not_found"));
    daemon.stop().expect("stop");
}

#[test]
fn second_daemon_on_same_dir_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (daemon, _) = start(tmp.path());
    let err = RunningDaemon::start(Config::new(tmp.path())).expect_err("second daemon");
    assert!(err.to_string().contains("another kdcd is already running on"), "{err}");
    daemon.stop().expect("stop");
}

#[test]
fn oversized_bodies_are_refused_with_json() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (daemon, client) = start(tmp.path());
    client.create_area::<Value>(&area("a")).expect("create");
    let huge = NewHousehold {
        id: "H1".into(),
        group: None,
        address: Some("x".repeat(2 * 1024 * 1024)),
        consent: None,
        fields: Default::default(),
    };
    assert!(serde_json::to_vec(&huge).expect("json").len() > kdc_daemon::api::JSON_BODY_LIMIT);
    // Refused before sending: a daemon that stops reading mid-upload would show up as a
    // broken pipe instead of a clear message.
    let err = client.add_household::<Value>("a", &huge).expect_err("too large");
    assert!(matches!(err, ClientError::TooLarge { .. }), "{err:?}");
    assert_eq!(err.exit_code(), 2);
    let err = client.import_snapshot(&vec![0; 65 * 1024 * 1024]).expect_err("too large");
    assert!(matches!(err, ClientError::TooLarge { .. }), "{err:?}");

    // The daemon enforces the limit itself too (a body just over it; small enough that the
    // whole upload fits in the socket buffers, so the answer is read, not a broken pipe).
    let token = std::fs::read_to_string(tmp.path().join("api.token")).expect("token");
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let body = vec![b' '; kdc_daemon::api::JSON_BODY_LIMIT + 1];
    match agent
        .post(format!("http://{}/v1/areas", daemon.addr))
        .header("Authorization", format!("Bearer {}", token.trim()))
        .send(&body[..])
    {
        Ok(mut resp) => {
            assert_eq!(resp.status().as_u16(), 413);
            let body: Value = resp.body_mut().read_json().expect("json");
            assert_eq!(body["error"]["kind"], json!("invalid_input"));
        }
        // The race the client-side check avoids; acceptable here.
        Err(e) => eprintln!("upload cut short by the daemon: {e}"),
    }
    daemon.stop().expect("stop");
}

fn peer() -> String {
    libp2p::identity::Keypair::generate_ed25519().public().to_peer_id().to_string()
}

#[test]
fn members_are_added_and_removed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (daemon, client) = start(tmp.path());
    client.create_area::<Value>(&area("a")).expect("create");
    let b = peer();

    let req = NewMember { peer_id: b.clone(), name: "Minh".into(), role: "member".into(), recipient: None };
    let m: Value = client.add_member("a", &req).expect("add");
    assert_eq!(
        (m["peer_id"].as_str(), m["name"].as_str(), m["role"].as_str()),
        (Some(b.as_str()), Some("Minh"), Some("member"))
    );
    assert_eq!(m["removed"], json!(false));
    // The role is optional in the body and defaults to member.
    let raw: Value = serde_json::from_str(&format!(r#"{{"peer_id": "{}", "name": "Chi"}}"#, peer())).expect("json");
    let req: NewMember = serde_json::from_value(raw).expect("body");
    assert_eq!(req.role, "member");

    for (req, field) in [
        (
            NewMember { peer_id: "not-a-peer".into(), name: "X".into(), role: "member".into(), recipient: None },
            "peer_id",
        ),
        (NewMember { peer_id: peer(), name: "X".into(), role: "boss".into(), recipient: None }, "role"),
        (NewMember { peer_id: peer(), name: " ".into(), role: "ward".into(), recipient: None }, "name"),
    ] {
        let err = client.add_member::<Value>("a", &req).expect_err("refused");
        assert_eq!(err.exit_code(), 2);
        let (status, kind, f) = api_err(err);
        assert_eq!((status, kind.as_str(), f.as_deref()), (400, "invalid_input", Some(field)));
    }
    let req = NewMember { peer_id: peer(), name: "X".into(), role: "member".into(), recipient: None };
    assert_eq!(client.add_member::<Value>("nowhere", &req).expect_err("no area").exit_code(), 4);

    let removed: Value = client.remove_member("a", &b).expect("remove");
    assert_eq!(removed["removed"], json!(true));
    assert_eq!(client.remove_member::<Value>("a", &peer()).expect_err("never a member").exit_code(), 4);
    // The last head (this device) cannot be removed.
    let me = client.id().expect("id").peer_id;
    let (status, _, field) = api_err(client.remove_member::<Value>("a", &me).expect_err("last head"));
    assert_eq!((status, field.as_deref()), (400, Some("peer_id")));

    let members: Vec<crdt_model::area::Member> = client.members("a").expect("members");
    assert_eq!(members.len(), 2);
    assert!(members.iter().any(|m| m.peer_id == b && m.removed));
    daemon.stop().expect("stop");
}

#[test]
fn invites_carry_this_device_and_bad_tokens_are_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (daemon, client) = start(tmp.path());
    client.create_area::<Value>(&area("a")).expect("create");
    let id = client.id().expect("id");

    let before = chrono_now_ms();
    let info: InviteInfo = client.invite("a").expect("invite");
    let token = InviteToken::decode(&info.token).expect("the token decodes");
    assert_eq!((token.area.as_str(), token.inviter.to_string()), ("a", id.peer_id.clone()));
    let day = 24 * 3600 * 1000;
    assert!((token.expires_at_ms - before - day).abs() < 60_000, "expires {}", token.expires_at_ms);
    assert!(info.expires_at.ends_with('Z'), "{}", info.expires_at);
    for addr in &token.addrs {
        assert!(addr.to_string().starts_with("/ip4/127.0.0.1/tcp/"), "{addr}");
    }
    // Two invites never share a secret.
    let other: InviteInfo = client.invite("a").expect("invite");
    assert_ne!(InviteToken::decode(&other.token).expect("decodes").secret, token.secret);
    // As raw JSON: exactly what `kdc invite --json` prints.
    let raw: Value = client.create_invite("a", &InviteRequest { ttl_secs: Some(600) }).expect("invite");
    assert!(raw["token"].as_str().is_some_and(|t| t.starts_with("kdc1-")), "{raw}");
    assert!(raw["expires_at"].is_string(), "{raw}");

    let (status, _, field) =
        api_err(client.create_invite::<Value>("a", &InviteRequest { ttl_secs: Some(0) }).expect_err("bad ttl"));
    assert_eq!((status, field.as_deref()), (400, Some("ttl_secs")));
    assert_eq!(client.invite("nowhere").expect_err("no area").exit_code(), 4);

    // Tokens that do not decode are refused before anything is dialled.
    for bad in ["", "hello", "kdc1-@@@", &info.token[..info.token.len() - 5]] {
        let err = client.join::<Value>(bad).expect_err("bad token");
        assert_eq!(err.exit_code(), 2, "{bad}: {err}");
        let (status, kind, field) = api_err(err);
        assert_eq!((status, kind.as_str(), field.as_deref()), (400, "invalid_input", Some("token")), "{bad}");
    }
    // An expired token is refused without dialling.
    let expired = InviteToken { expires_at_ms: before - 1, ..token.clone() }.encode();
    let err = client.join::<Value>(&expired).expect_err("expired");
    assert!(err.to_string().contains("expired"), "{err}");
    assert_eq!(err.exit_code(), 2);

    // Peers: a list (nobody here), and bad addresses are refused naming the field.
    let peers: Vec<Value> = client.peers().expect("peers");
    assert!(peers.iter().all(|p| p["peer_id"].is_string()), "{peers:?}");
    let (status, _, field) = api_err(client.add_peer::<Value>("not an address").expect_err("bad addr"));
    assert_eq!((status, field.as_deref()), (400, Some("addr")));
    daemon.stop().expect("stop");
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
