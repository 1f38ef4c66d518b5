//! Peer-to-peer sync between real daemons on loopback: convergence, partition and heal,
//! invites, strangers and removed members. Every wait has a deadline.

use std::time::Duration;

use kdc_tests::{Daemon, Json, wait_on};

const AREA: &str = "tam-giac-3";
const CONVERGE: Duration = Duration::from_secs(30);

fn create_area(d: &Daemon) {
    d.kdc(&["area", "create", AREA, "--name", "Tam Giác 3", "--ward", "Phường 1"]).ok();
}

/// Adds `member` to the area on `head` and connects `member` to `head`.
fn add_member(head: &Daemon, member: &Daemon, name: &str) {
    head.kdc(&["member", "add", AREA, &member.peer_id(), "--name", name]).ok();
    member.kdc(&["peer", "add", &head.dial_addr()]).ok();
}

fn status(d: &Daemon) -> Option<Json> {
    let out = d.kdc(&["--json", "status", AREA]);
    // Without this device's view of its peers, which differs from device to device.
    (out.code == 0).then(|| without_sync(out.json()))
}

fn without_sync(mut v: Json) -> Json {
    if let Some(o) = v.as_object_mut() {
        o.remove("members_sync");
    }
    v
}

fn households(d: &Daemon) -> Vec<String> {
    let out = d.kdc(&["--json", "household", "list", AREA, "--archived"]);
    if out.code != 0 {
        return Vec::new();
    }
    out.json().as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_string()).collect()
}

fn has_household(d: &Daemon, hh: &str) -> bool {
    households(d).iter().any(|h| h == hh)
}

#[test]
fn three_daemons_writing_concurrently_converge() {
    let a = Daemon::start();
    let b = Daemon::start();
    let c = Daemon::start();
    create_area(&a);
    add_member(&a, &b, "Bình");
    add_member(&a, &c, "Chi");
    assert!(
        wait_on(&[&b, &c], CONVERGE, || status(&b).is_some() && status(&c).is_some()),
        "members did not receive the area"
    );

    // Each device records its own households at the same time.
    std::thread::scope(|s| {
        for (d, prefix) in [(&a, "A"), (&b, "B"), (&c, "C")] {
            s.spawn(move || {
                for i in 0..8 {
                    let hh = format!("{prefix}-{i:03}");
                    let members = format!("members={}", 2 + i % 4);
                    let eid = format!("eid_accounts={}", i % 2);
                    d.kdc(&[
                        "household",
                        "add",
                        "--consent",
                        "verbal",
                        AREA,
                        &hh,
                        "--group",
                        prefix,
                        &members,
                        "members_14plus=1",
                        &eid,
                        "internet=yes",
                    ])
                    .ok();
                }
            });
        }
    });
    let converged = wait_on(&[&a, &b, &c], CONVERGE, || {
        let (sa, sb, sc) = (status(&a), status(&b), status(&c));
        sa.is_some() && sa == sb && sb == sc && sa.as_ref().unwrap()["households"] == 24
    });
    assert!(converged, "no convergence: households {:?} / {:?} / {:?}", households(&a), households(&b), households(&c));
    let e =
        status(&a).unwrap()["criteria"].as_array().unwrap().iter().find(|c| c["id"] == "e_citizen").unwrap().clone();
    assert_eq!((e["numerator"].as_u64(), e["denominator"].as_u64()), (Some(12), Some(24)));

    // `kdc status` says when this device last synced the area with each member.
    let synced = a.json(&["status", AREA])["members_sync"].clone();
    let b_row = synced.as_array().unwrap().iter().find(|m| m["name"] == "Bình").expect("Bình listed");
    assert!(b_row["last_sync"].as_str().is_some_and(|t| t.ends_with('Z')), "{synced}");
    let human = a.kdc(&["--lang", "en", "status", AREA]).ok().stdout;
    assert!(human.contains("Last synced with this device") && human.contains("Bình"), "{human}");

    // `kdc peers` shows the members connected and in sync.
    let peers = a.json(&["peers"]);
    let b_id = b.peer_id();
    let row = peers.as_array().unwrap().iter().find(|p| p["peer_id"] == b_id.as_str()).expect("b in peers");
    assert_eq!(row["connected"], true);
}

#[test]
fn partition_and_heal_keeps_every_field_and_lists_conflicts() {
    let a = Daemon::start();
    let b = Daemon::start();
    create_area(&a);
    a.kdc(&["member", "add", AREA, &b.peer_id(), "--name", "Bình"]).ok();
    a.kdc(&["household", "add", "--consent", "verbal", AREA, "T1-001", "members=4"]).ok();
    // B gets the area by file, not by network: the two are apart.
    let file = a.data_dir.join("a.kdcsnap");
    a.kdc(&["snapshot", "export", AREA, "-o", file.to_str().unwrap()]).ok();
    b.kdc(&["snapshot", "import", file.to_str().unwrap()]).ok();

    // Both visit T1-001 and T2-009 while apart.
    a.kdc(&["household", "set", AREA, "T1-001", "internet=yes", "members_14plus=3"]).ok();
    b.kdc(&["household", "set", AREA, "T1-001", "internet=no", "eid_accounts=0", "mapped=yes"]).ok();
    a.kdc(&["household", "add", "--consent", "verbal", AREA, "T2-009", "members=2", "business=yes"]).ok();
    b.kdc(&["household", "add", "--consent", "verbal", AREA, "T2-009", "--group", "Tổ 2", "smart_city_app=yes"]).ok();

    // Heal.
    b.kdc(&["peer", "add", &a.dial_addr()]).ok();
    let show = |d: &Daemon, hh: &str| d.json(&["household", "show", AREA, hh]);
    assert!(
        wait_on(&[&a, &b], CONVERGE, || show(&a, "T1-001") == show(&b, "T1-001")
            && show(&a, "T2-009") == show(&b, "T2-009")),
        "no convergence after heal"
    );
    let t1 = show(&a, "T1-001");
    for f in ["members", "members_14plus", "internet", "eid_accounts", "mapped"] {
        assert!(t1["fields"].get(f).is_some(), "{f} lost: {t1}");
    }
    let t2 = show(&a, "T2-009");
    for f in ["members", "business", "smart_city_app"] {
        assert!(t2["fields"].get(f).is_some(), "{f} lost: {t2}");
    }
    assert_eq!(t2["group"], "Tổ 2");
    // Same conflicts on both, naming both devices.
    let (ca, cb) = (a.json(&["conflicts", AREA]), b.json(&["conflicts", AREA]));
    assert_eq!(ca, cb);
    let internet = ca
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["household"] == "T1-001" && c["field"] == "internet")
        .expect("conflict listed");
    let writers: Vec<&str> =
        internet["values"].as_array().unwrap().iter().map(|v| v["peer_id"].as_str().unwrap()).collect();
    assert!(writers.contains(&a.peer_id().as_str()) && writers.contains(&b.peer_id().as_str()), "{internet}");
}

#[test]
fn invite_works_once_and_strangers_and_removed_members_get_nothing() {
    let a = Daemon::start();
    let b = Daemon::start();
    let c = Daemon::start();
    let stranger = Daemon::start();
    create_area(&a);
    a.kdc(&["household", "add", "--consent", "verbal", AREA, "T1-001", "members=3"]).ok();

    let invite = a.json(&["invite", AREA]);
    let token = invite["token"].as_str().expect("token").to_string();
    assert!(invite["expires_at"].is_string());
    let joined = b.kdc(&["join", &token]);
    assert_eq!(joined.code, 0, "{joined:?}");
    assert!(has_household(&b, "T1-001"), "the joiner has the area once join returns");
    let members = a.json(&["member", "list", AREA]);
    assert!(members.as_array().unwrap().iter().any(|m| m["peer_id"] == b.peer_id().as_str()));
    // A second use of the same token fails, with a message.
    let again = c.kdc(&["join", &token]);
    assert_eq!(again.code, 2, "{again:?}");
    assert!(again.stderr.to_lowercase().contains("used"), "{again:?}");
    // A forged token: the real one with another secret.
    let forged = a.json(&["invite", AREA])["token"].as_str().unwrap().to_string();
    let mut chars: Vec<char> = forged.chars().collect();
    let i = chars.len() - 3;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    let forged: String = chars.into_iter().collect();
    assert_ne!(c.kdc(&["join", &forged]).code, 0);
    assert!(status(&c).is_none());

    // C joins properly; the stranger only connects.
    let token = a.json(&["invite", AREA])["token"].as_str().unwrap().to_string();
    c.kdc(&["join", &token]).ok();
    stranger.kdc(&["peer", "add", &a.dial_addr()]).ok();
    let a_id = a.peer_id();
    assert!(wait_on(&[&stranger], CONVERGE, || stranger
        .json(&["peers"])
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["peer_id"] == a_id.as_str() && p["connected"] == true)));
    a.kdc(&["household", "add", "--consent", "verbal", AREA, "T1-002", "members=2"]).ok();
    assert!(wait_on(&[&b, &c], CONVERGE, || has_household(&b, "T1-002") && has_household(&c, "T1-002")));
    assert!(status(&stranger).is_none(), "a stranger connected to a member got the area");
    assert_eq!(stranger.json(&["area", "list"]), serde_json::json!([]));

    // Remove C: later writes of A do not reach it, and its writes reach no one.
    a.kdc(&["member", "remove", AREA, &c.peer_id()]).ok();
    assert!(wait_on(&[&b], CONVERGE, || b
        .json(&["member", "list", AREA])
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["peer_id"] == c.peer_id().as_str() && m["removed"] == true)));
    c.kdc(&["household", "add", "--consent", "verbal", AREA, "C-LATE", "members=1"]).ok();
    a.kdc(&["household", "add", "--consent", "verbal", AREA, "T1-003", "members=2"]).ok();
    assert!(b.wait_until(CONVERGE, || has_household(&b, "T1-003")), "a member still gets new data");
    assert!(!has_household(&c, "T1-003"), "a removed member got data written after its removal");
    assert!(!has_household(&a, "C-LATE") && !has_household(&b, "C-LATE"), "a removed member's write reached others");
    // What C wrote before its removal stays (T1-001 etc. are A's; C wrote nothing before).
    assert!(has_household(&a, "T1-001"));
}

#[test]
fn addresses_seen_are_remembered_across_restarts() {
    let a = Daemon::start();
    let mut b = Daemon::start();
    create_area(&a);
    add_member(&a, &b, "Bình");
    assert!(b.wait_until(CONVERGE, || status(&b).is_some()));
    // B restarts with no address given: it must find A again from what it remembered.
    assert_eq!(b.terminate().code(), Some(0));
    assert!(b.data_dir.join("peers.json").exists(), "the address book is written");
    b.restart();
    a.kdc(&["household", "add", "--consent", "verbal", AREA, "T9-001", "members=1"]).ok();
    assert!(b.wait_until(CONVERGE, || has_household(&b, "T9-001")), "B did not reconnect to A after a restart");
}
