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
    check(&d, &["household", "add", AREA, "T9-001", "members=0"], 2, "members");
    check(&d, &["household", "add", AREA, "T9-001", "members=61"], 2, "1 to 60");
    check(&d, &["household", "add", AREA, "T9-001", "members=3", "members_14plus=4"], 2, "members_14plus");
    check(&d, &["household", "set", AREA, "T1-001", "eid_accounts=4"], 2, "eid_accounts");
    check(&d, &["household", "set", AREA, "T1-001", "members=2"], 2, "members");
    check(&d, &["household", "set", AREA, "T1-001", "pets=1"], 2, "pets");
    check(&d, &["household", "set", AREA, "T1-001", "internet=maybe"], 2, "internet");
    check(&d, &["household", "set", AREA, "T1-001", "members=-1"], 2, "members");
    check(&d, &["household", "set", AREA, "T1-001", "business=unknown"], 2, "business");
    check(&d, &["household", "set", AREA, "T1-001", "ecommerce=yes"], 2, "ecommerce");
    // One bad field spoils the whole write: the good one is not stored either.
    check(&d, &["household", "set", AREA, "T1-001", "internet=yes", "members=0"], 2, "members");
    check(&d, &["household", "set", AREA, "T1-001", "members"], 2, "FIELD=VALUE");
    check(&d, &["household", "set", AREA, "T1-001", "=5"], 2, "FIELD=VALUE");
    // Identifiers.
    check(&d, &["household", "add", AREA, "T9/001"], 2, "household");
    check(&d, &["household", "add", AREA, "T1-001"], 2, "exists");
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
    stranger.kdc(&["household", "add", AREA, "X-1", "members=1"]).ok();
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
