//! Every rule of the contract that refuses input: the exit code, a message naming the field,
//! and nothing stored changes.

use kdc_tests::{Daemon, kdc};

const AREA: &str = "khu-1";

fn setup() -> Daemon {
    let d = Daemon::start();
    d.kdc(&["area", "create", AREA, "--name", "Khu 1", "--ward", "Phường 1"]).ok();
    d.kdc(&[
        "household",
        "add",
        "--consent",
        "verbal",
        AREA,
        "T1-001",
        "--group",
        "Tổ 1",
        "members=4",
        "members_14plus=3",
        "eid_accounts=2",
        "business=no",
    ])
    .ok();
    d
}

/// Runs `args`, expects `code` and `needle` in stderr, and checks nothing changed.
fn check(d: &Daemon, args: &[&str], code: i32, needle: &str) {
    let before = (d.json(&["status", AREA]), d.json(&["household", "show", AREA, "T1-001"]), d.json(&["area", "list"]));
    let out = d.kdc(args);
    assert_eq!(out.code, code, "{args:?}: {out:?}");
    assert!(out.stderr.to_lowercase().contains(&needle.to_lowercase()), "{args:?}: stderr lacks {needle:?}: {out:?}");
    let after = (d.json(&["status", AREA]), d.json(&["household", "show", AREA, "T1-001"]), d.json(&["area", "list"]));
    assert_eq!(before, after, "{args:?} changed stored data");
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let d = setup();
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();

    // Field values.
    check(&d, &["household", "add", "--consent", "verbal", AREA, "T9-001", "members=0"], 2, "members");
    check(&d, &["household", "add", "--consent", "verbal", AREA, "T9-001", "members=61"], 2, "1 to 60");
    check(
        &d,
        &["household", "add", "--consent", "verbal", AREA, "T9-001", "members=3", "members_14plus=4"],
        2,
        "members_14plus",
    );
    check(&d, &["household", "set", AREA, "T1-001", "eid_accounts=4"], 2, "eid_accounts");
    check(&d, &["household", "set", AREA, "T1-001", "members=2"], 2, "members");
    check(&d, &["household", "set", AREA, "T1-001", "pets=1"], 2, "pets");
    check(&d, &["household", "set", AREA, "T1-001", "internet=maybe"], 2, "internet");
    check(&d, &["household", "set", AREA, "T1-001", "members=-1"], 2, "members");
    check(&d, &["household", "set", AREA, "T1-001", "business=unknown"], 2, "business");
    check(&d, &["household", "set", AREA, "T1-001", "ecommerce=yes"], 2, "ecommerce");

    // In Vietnamese the refusal is Vietnamese, as on the web form: what was typed and what the
    // area's profile allows, after the field's id (no English sentence inside).
    check(
        &d,
        &["--lang", "vi", "household", "set", AREA, "T1-001", "members=61"],
        2,
        "members: Giá trị “61” không được nhận. Cho phép: số nguyên từ 1 đến 60",
    );
    check(
        &d,
        &["--lang", "vi", "household", "set", AREA, "T1-001", "eid_accounts=4"],
        2,
        "không lớn hơn “Nhân khẩu từ 14 tuổi”",
    );
    check(&d, &["--lang", "vi", "household", "set", AREA, "T1-001", "internet=maybe"], 2, "Có, Không hoặc Chưa rõ");
    let out = d.kdc(&["--lang", "vi", "household", "set", AREA, "T1-001", "members=61"]);
    assert!(!out.stderr.contains("allowed"), "English inside a Vietnamese refusal: {}", out.stderr);
    // One bad field spoils the whole write: the good one is not stored either.
    check(&d, &["household", "set", AREA, "T1-001", "internet=yes", "members=0"], 2, "members");
    check(&d, &["household", "set", AREA, "T1-001", "members"], 2, "FIELD=VALUE");
    check(&d, &["household", "set", AREA, "T1-001", "=5"], 2, "FIELD=VALUE");
    // Identifiers.
    check(&d, &["household", "add", "--consent", "verbal", AREA, "T9/001"], 2, "household");
    check(&d, &["household", "add", "--consent", "verbal", AREA, "T1-001"], 2, "exists");
    check(&d, &["area", "create", "Khu_1", "--name", "x", "--ward", "y"], 2, "area");
    check(&d, &["area", "create", AREA, "--name", "x", "--ward", "y"], 2, "exists");
    check(&d, &["household", "list", AREA, "--missing", "nope"], 2, "nope");
    // Not found.
    check(&d, &["household", "show", AREA, "T9-999"], 4, "T9-999");
    check(&d, &["household", "set", AREA, "T9-999", "members=1"], 4, "T9-999");
    check(&d, &["household", "archive", AREA, "T9-999"], 4, "T9-999");
    check(&d, &["status", "khu-9"], 4, "khu-9");
    // Usage.
    check(&d, &["status", AREA, "--bogus"], 2, "bogus");
    check(&d, &["--lang", "fr", "status", AREA], 2, "lang");

    // Profiles.
    std::fs::write(path("bad.toml"), crdt_model::profile::DEFAULT_PROFILE_TOML.replace("\"0.90\"", "\"1.90\""))
        .unwrap();
    check(
        &d,
        &["area", "create", "khu-2", "--name", "x", "--ward", "y", "--profile", &path("bad.toml")],
        2,
        "threshold",
    );
    check(
        &d,
        &["area", "create", "khu-2", "--name", "x", "--ward", "y", "--profile", &path("missing.toml")],
        2,
        "missing.toml",
    );

    // Snapshot files: garbage, truncated, one flipped byte, and a different area with our id.
    let good = path("good.kdcsnap");
    d.kdc(&["snapshot", "export", AREA, "-o", &good]).ok();
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(path("garbage.kdcsnap"), b"hello, this is not a snapshot").unwrap();
    std::fs::write(path("truncated.kdcsnap"), &bytes[..bytes.len() / 2]).unwrap();
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 1;
    std::fs::write(path("flipped.kdcsnap"), &flipped).unwrap();
    std::fs::write(path("empty.kdcsnap"), b"").unwrap();
    for name in ["garbage.kdcsnap", "truncated.kdcsnap", "flipped.kdcsnap", "empty.kdcsnap", "absent.kdcsnap"] {
        check(&d, &["snapshot", "import", &path(name)], 2, name);
    }
    let stranger = Daemon::start();
    stranger.kdc(&["area", "create", AREA, "--name", "Another area", "--ward", "Phường 9"]).ok();
    stranger.kdc(&["household", "add", "--consent", "verbal", AREA, "X-1", "members=1"]).ok();
    stranger.kdc(&["snapshot", "export", AREA, "-o", &path("foreign.kdcsnap")]).ok();
    check(&d, &["snapshot", "import", &path("foreign.kdcsnap")], 2, AREA);
    let verify = kdc(dir.path(), &["snapshot", "verify", &path("flipped.kdcsnap")]);
    assert_eq!(verify.code, 2, "{verify:?}");
    assert!(verify.stderr.contains("flipped.kdcsnap"), "{verify:?}");
}

#[test]
fn no_daemon_is_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let out = kdc(dir.path(), &["status", AREA]);
    assert_eq!(out.code, 3, "{out:?}");
    assert!(out.stderr.contains("kdcd"), "says how to start it: {out:?}");
    let out = kdc(dir.path(), &["--json", "area", "list"]);
    assert_eq!(out.code, 3, "{out:?}");
}

#[test]
fn kdcd_refuses_a_control_api_on_the_network_unless_told() {
    let dir = tempfile::tempdir().unwrap();
    for (args, fragment) in [
        (vec!["--api", "0.0.0.0:0"], "not a loopback address"),
        (vec!["--api", "127.0.0.1:0", "--ui-listen", "nowhere"], "--ui-listen"),
    ] {
        let out = std::process::Command::new(kdc_tests::bin("kdcd"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(&args)
            .args(["--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns"])
            .output()
            .expect("run kdcd");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(fragment), "{args:?}: {stderr}");
    }
    assert!(!dir.path().join("api.addr").exists(), "nothing was started");
}

/// A snapshot file whose document another program edited: each bad change is refused with
/// exit 2 naming the area, household, field and value, and nothing of the file is imported;
/// `verify` and `report` refuse it too. Two files with one actor and sequence number but
/// different changes are invalid input (exit 2), not an internal error.
#[test]
fn snapshot_files_with_bad_changes_are_refused() {
    use automerge::transaction::Transactable;
    use automerge::{ActorId, Automerge, ObjType, ROOT};

    let d = setup();
    let dir = tempfile::tempdir().unwrap();
    let path = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
    d.kdc(&["snapshot", "export", AREA, "-o", &path("good.kdcsnap")]).ok();
    let good = std::fs::read(path("good.kdcsnap")).unwrap();
    let area = crdt_model::snapshot::decode_areas(&good, "reader").unwrap().remove(0);
    let me = d.peer_id();
    // A file with one more change, made by `actor` with Automerge directly.
    let tamper = |name: &str, actor: &[u8], edit: &dyn Fn(&mut automerge::transaction::Transaction<'_>)| {
        let mut doc = Automerge::load(&area.save()).unwrap().with_actor(ActorId::from(actor));
        let mut tx = doc.transaction();
        edit(&mut tx);
        tx.commit();
        let edited = crdt_model::Area::load(&doc.save(), "reader").unwrap();
        std::fs::write(path(name), crdt_model::snapshot::encode(&[&edited])).unwrap();
        path(name)
    };
    let cases: Vec<(&str, Vec<u8>, Box<dyn Fn(&mut automerge::transaction::Transaction<'_>)>, &str)> = vec![
        (
            "members.kdcsnap",
            me.clone().into_bytes(),
            Box::new(|tx| tx.put(ROOT, "h/T1-001/members", 999u64).unwrap()),
            "members = 999",
        ),
        (
            "maybe.kdcsnap",
            me.clone().into_bytes(),
            Box::new(|tx| tx.put(ROOT, "h/T1-002/internet", "maybe").unwrap()),
            "internet = \"maybe\"",
        ),
        (
            "object.kdcsnap",
            me.clone().into_bytes(),
            Box::new(|tx| {
                tx.put_object(ROOT, "h/T1-001/eid_accounts", ObjType::Map).unwrap();
            }),
            "object",
        ),
        (
            "fraction.kdcsnap",
            me.clone().into_bytes(),
            Box::new(|tx| tx.put(ROOT, "h/T1-001/members", 2.5).unwrap()),
            "fraction",
        ),
        ("rootkey.kdcsnap", me.clone().into_bytes(), Box::new(|tx| tx.put(ROOT, "evil", 1u64).unwrap()), "evil"),
        (
            "stranger.kdcsnap",
            vec![0xff, 0x00, 0x7f],
            Box::new(|tx| tx.put(ROOT, "h/T1-003/members", 2u64).unwrap()),
            "ff007f",
        ),
    ];
    for (name, actor, edit, needle) in &cases {
        let file = tamper(name, actor, edit.as_ref());
        check(&d, &["snapshot", "import", &file], 2, needle);
        check(&d, &["snapshot", "import", &file], 2, &format!("area {AREA}"));
        for args in [vec!["snapshot", "verify", file.as_str()], vec!["report", file.as_str(), "--format", "json"]] {
            let out = kdc(dir.path(), &args);
            assert_eq!(out.code, 2, "{args:?}: {out:?}");
            assert!(out.stderr.contains(needle), "{args:?}: {out:?}");
        }
    }
    // The household named is named as such.
    let out = d.kdc(&["snapshot", "import", &path("members.kdcsnap")]);
    assert!(out.stderr.contains("household T1-001, field members = 999"), "{out:?}");

    // Same actor and sequence number, different changes: refused as input.
    let one = tamper("one.kdcsnap", me.as_bytes(), &|tx| tx.put(ROOT, "h/T1-001/internet", "yes").unwrap());
    let two = tamper("two.kdcsnap", me.as_bytes(), &|tx| tx.put(ROOT, "h/T1-001/internet", "no").unwrap());
    d.kdc(&["snapshot", "import", &one]).ok();
    let out = d.kdc(&["snapshot", "import", &two]);
    assert_eq!(out.code, 2, "{out:?}");
    let merged = kdc(dir.path(), &["snapshot", "merge", "-o", &path("m.kdcsnap"), &one, &two]);
    assert_eq!(merged.code, 2, "{merged:?}");
}

#[test]
fn consent_is_needed_and_a_refusal_or_withdrawal_keeps_only_the_house_code() {
    let d = setup();
    // The default profile asks for consent: without it nothing is stored (exit 2, naming it).
    check(&d, &["household", "add", AREA, "T9-001", "members=3"], 2, "consent");
    check(&d, &["household", "consent", AREA, "T9-404", "withdrawn"], 4, "T9-404");
    check(&d, &["household", "consent", AREA, "T1-001", "given", "--method", "sms"], 2, "method");
    check(&d, &["household", "consent", AREA, "T1-001", "refused", "--method", "verbal"], 2, "method");

    d.kdc(&["household", "add", AREA, "T9-002", "--consent", "written", "--ref", "P-017", "members=2"]).ok();
    let h = d.json(&["household", "show", AREA, "T9-002"]);
    assert_eq!((h["consent"]["state"].as_str(), h["consent"]["method"].as_str()), (Some("given"), Some("written")));
    assert_eq!(
        (h["consent"]["ref"].as_str(), h["consent"]["notice_version"].as_str()),
        (Some("P-017"), Some("2026-12"))
    );
    assert!(h["consent"]["at"].as_str().is_some_and(|t| t.ends_with('Z')) && h["consent"]["by"].is_string(), "{h}");

    // A refusal at the door: the house code and group, and "declined".
    d.kdc(&["household", "consent", AREA, "T9-003", "refused", "--group", "Tổ 2"]).ok();
    let h = d.json(&["household", "show", AREA, "T9-003"]);
    assert_eq!((h["consent"]["state"].as_str(), h["group"].as_str()), (Some("refused"), Some("Tổ 2")));
    assert_eq!(h["fields"], serde_json::json!({}));
    let out = d.kdc(&["household", "set", AREA, "T9-003", "members=3"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("consent"), "{out:?}");
    let list = d.kdc(&["--lang", "en", "household", "list", AREA]);
    assert!(list.stdout.contains("T9-003 (declined, do not ask again)"), "{list:?}");

    // Withdrawal deletes the answers; the household leaves every figure, counted as declined.
    let before = d.json(&["status", AREA]);
    d.kdc(&["household", "consent", AREA, "T9-002", "withdrawn"]).ok();
    let h = d.json(&["household", "show", AREA, "T9-002"]);
    assert_eq!((h["consent"]["state"].as_str(), h["fields"].clone()), (Some("withdrawn"), serde_json::json!({})));
    let status = d.json(&["status", AREA]);
    assert_eq!(status["households"].as_u64().unwrap() + 1, before["households"].as_u64().unwrap(), "{status}");
    assert_eq!(status["declined"].as_u64().unwrap(), before["declined"].as_u64().unwrap() + 1, "{status}");
}

#[test]
fn an_area_on_the_profile_from_before_consent_keeps_working_and_is_upgraded_by_its_head() {
    let d = setup();
    let dir = tempfile::tempdir().unwrap();
    let toml = crdt_model::profile::DEFAULT_PROFILE_TOML;
    let start = toml.find("\n[consent]\n").expect("consent table");
    let end = start + toml[start..].find("\n[[fields]]").expect("fields after it");
    let v1 = format!("{}{}", &toml[..start], &toml[end..]).replace("version = 2", "version = 1");
    let path = dir.path().join("v1.toml");
    std::fs::write(&path, v1).unwrap();
    d.kdc(&["area", "create", "khu-cu", "--name", "Khu cũ", "--ward", "Phường 1", "--profile", path.to_str().unwrap()])
        .ok();
    d.kdc(&["household", "add", "khu-cu", "C-001", "members=3"]).ok();
    d.kdc(&["household", "set", "khu-cu", "C-001", "members=4"]).ok();
    assert_eq!(d.json(&["household", "show", "khu-cu", "C-001"])["consent"]["state"], "none");

    let out = d.kdc(&["--json", "area", "upgrade", "khu-cu"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["version"], 2, "{out:?}");
    // The answers stay; changing them now needs the resident's consent.
    assert_eq!(d.json(&["household", "show", "khu-cu", "C-001"])["fields"]["members"], 4);
    let out = d.kdc(&["household", "set", "khu-cu", "C-001", "members=5"]);
    assert!(out.code == 2 && out.stderr.contains("consent"), "{out:?}");
    d.kdc(&["household", "set", "khu-cu", "C-001", "--consent", "verbal", "members=5"]).ok();
    let out = d.kdc(&["area", "upgrade", "khu-cu"]);
    assert!(out.code == 2 && out.stderr.contains("profile"), "{out:?}");
}

#[test]
fn relay_addresses_are_checked_at_the_door_and_only_the_head_changes_them() {
    let d = setup();
    let relay = "/ip4/203.0.113.7/tcp/4001/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN";
    let list = |d: &Daemon| d.json(&["area", "relay", "list", AREA]);
    assert_eq!(list(&d), serde_json::json!([]));
    for bad in [
        "/ip4/203.0.113.7/tcp/4001",
        "relay.example.org",
        "/ip4/203.0.113.7/tcp/4001/p2p/not-a-peer-id",
        "/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN",
        &format!("{relay}/p2p-circuit/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN"),
    ] {
        check(&d, &["area", "relay", "add", AREA, bad], 2, "relay");
        assert_eq!(list(&d), serde_json::json!([]), "{bad} was stored");
    }
    let added = d.json(&["area", "relay", "add", AREA, relay]);
    assert_eq!(added[0]["addr"], relay);
    assert_eq!(list(&d)[0]["addr"], relay);
    assert_eq!(list(&d)[0]["reserved"], false, "no relay answers at that address");
    check(
        &d,
        &[
            "area",
            "relay",
            "remove",
            AREA,
            "/ip4/1.2.3.4/tcp/1/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo",
        ],
        4,
        "relay",
    );
    check(&d, &["area", "relay", "add", "khu-9", relay], 4, "khu-9");

    // A member (not the head) may not change them.
    let member = Daemon::start();
    let pid = member.json(&["id"])["peer_id"].as_str().unwrap().to_string();
    d.json(&["member", "add", AREA, &pid, "--name", "Huy"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("area.kdcsnap");
    d.kdc(&["snapshot", "export", AREA, "-o", file.to_str().unwrap()]).ok();
    member.kdc(&["snapshot", "import", file.to_str().unwrap()]).ok();
    let out = member.kdc(&["area", "relay", "remove", AREA, relay]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("head"), "{out:?}");
    assert_eq!(member.json(&["area", "relay", "list", AREA])[0]["addr"], relay, "a member's refusal removed nothing");
    d.json(&["area", "relay", "remove", AREA, relay]);
    assert_eq!(list(&d), serde_json::json!([]));
}
