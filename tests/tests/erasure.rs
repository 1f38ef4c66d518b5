//! Erasure end to end, on three real daemons: the head erases a household; the device online
//! adopts the new epoch at once; the device that was offline meanwhile comes back with writes
//! of its own at the old epoch, adopts the new epoch and keeps them (except the erased
//! household's); `kdc erasure status` tells the head who still holds the old data; no new
//! document holds the erased household's text; an old snapshot file is refused.

use std::time::Duration;

use automerge::Automerge;
use crdt_model::snapshot;
use kdc_tests::{Daemon, Json, files_holding, kdc};

const AREA: &str = "khu-xoa";
const MARKER: &str = "ZZERASED-so-9-ngo-4-Le-Loi";
const CONVERGE: Duration = Duration::from_secs(30);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn households(d: &Daemon) -> Vec<String> {
    let out = d.kdc(&["--json", "household", "list", AREA, "--archived"]);
    if out.code != 0 {
        return Vec::new();
    }
    out.json().as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_string()).collect()
}

fn field(d: &Daemon, hh: &str, name: &str) -> Option<String> {
    let out = d.kdc(&["--json", "household", "show", AREA, hh]);
    (out.code == 0).then(|| out.json()["fields"][name].to_string().trim_matches('"').to_string())
}

fn status(d: &Daemon) -> Json {
    d.json(&["erasure", "status", AREA])
}

/// The area's document as a device would export it, uncompressed: every value it holds, of
/// every change in its history, as plain bytes.
fn document_bytes(d: &Daemon, dir: &std::path::Path, name: &str) -> Vec<u8> {
    let path = dir.join(name);
    d.kdc(&["snapshot", "export", AREA, "-o", path.to_str().unwrap(), "--plain"]).ok();
    let file = snapshot::decode(&std::fs::read(&path).unwrap()).unwrap();
    Automerge::load(&file.areas[0].doc).unwrap().save_nocompress()
}

fn holds(bytes: &[u8], needle: &str) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn an_erased_household_leaves_every_device_and_offline_writes_survive() {
    let port = free_port();
    let mut a = Daemon::start_args(&["--listen", &format!("/ip4/127.0.0.1/tcp/{port}")]);
    let a_addr = format!("/ip4/127.0.0.1/tcp/{port}/p2p/{}", a.peer_id());
    let mut b = Daemon::start();
    let mut c = Daemon::start();
    let (b_id, c_id) = (b.peer_id(), c.peer_id());
    let files = tempfile::tempdir().unwrap();
    a.kdc(&["area", "create", AREA, "--name", "Khu xóa", "--ward", "Phường 1"]).ok();
    for (d, name) in [(&b, "Bình"), (&c, "Chi")] {
        a.kdc(&["member", "add", AREA, &d.peer_id(), "--name", name]).ok();
        d.kdc(&["peer", "add", &a_addr]).ok();
    }
    a.kdc(&["household", "add", "--consent", "verbal", AREA, "H1", "--address", MARKER, "members=4"]).ok();
    for hh in ["H2", "H3"] {
        a.kdc(&["household", "add", "--consent", "verbal", AREA, hh, "members=2", "internet=yes"]).ok();
    }
    assert!(
        kdc_tests::wait_on(&[&b, &c], CONVERGE, || households(&b).len() == 3 && households(&c).len() == 3),
        "the members did not receive the area"
    );
    assert!(holds(&document_bytes(&c, files.path(), "control.kdcsnap"), MARKER), "control: the marker is there");
    // An old file, from before the erasure, for later.
    let old = files.path().join("old.kdcsnap");
    a.kdc(&["snapshot", "export", AREA, "-o", old.to_str().unwrap(), "--plain"]).ok();

    // C goes offline; the head erases H1.
    assert!(c.terminate().success());
    let refused = b.kdc(&["household", "erase", AREA, "H1", "--yes"]);
    assert_eq!(refused.code, 2, "only the head erases: {refused:?}");
    let cancelled = a.kdc(&["household", "erase", AREA, "H1"]);
    assert_eq!(cancelled.code, 2, "no terminal, no --yes: nothing erased: {cancelled:?}");
    let erased = a.json(&["household", "erase", AREA, "H1", "--yes"]);
    assert_eq!(erased["epoch"], 1, "{erased}");
    assert_eq!(erased["erased"], serde_json::json!(["H1"]));
    assert!(!households(&a).contains(&"H1".to_string()));
    assert!(!a.data_dir.join(format!("keys/{AREA}.0")).exists(), "the old epoch's key is destroyed");

    // B, online, adopts the new epoch.
    assert!(kdc_tests::wait_on(&[&b], CONVERGE, || !households(&b).contains(&"H1".to_string())), "B kept H1");
    let peer =
        |s: &Json, id: &str| s["members"].as_array().unwrap().iter().find(|m| m["peer_id"] == id).unwrap().clone();
    assert!(
        kdc_tests::wait_on(&[&a], CONVERGE, || peer(&status(&a), &b_id)["adopted"] == true),
        "B's adoption never reached A"
    );
    let s = status(&a);
    assert_eq!((s["pending"].as_u64(), peer(&s, &c_id)["adopted"].clone()), (Some(1), serde_json::json!(false)), "{s}");
    assert!(!holds(&document_bytes(&b, files.path(), "b.kdcsnap"), MARKER));

    // Now A and B are away, and C comes back alone with the old epoch, and writes.
    assert!(a.terminate().success());
    assert!(b.terminate().success());
    c.restart();
    assert!(households(&c).contains(&"H1".to_string()), "C still holds the old epoch");
    c.kdc(&["household", "set", AREA, "H3", "internet=no"]).ok();
    c.kdc(&["household", "set", AREA, "H1", "members=5"]).ok();
    c.kdc(&["household", "add", "--consent", "verbal", AREA, "H9", "members=1"]).ok();

    // A comes back; C syncs the old epoch to it, is sent the new one, adopts it.
    a.restart();
    c.kdc(&["peer", "add", &a_addr]).ok();
    assert!(
        kdc_tests::wait_on(&[&c], CONVERGE, || {
            let hs = households(&c);
            !hs.contains(&"H1".to_string()) && hs.contains(&"H9".to_string())
        }),
        "C did not adopt the new epoch: {:?}",
        households(&c)
    );
    assert_eq!(field(&c, "H3", "internet").as_deref(), Some("no"), "C's offline write was lost");
    assert!(
        kdc_tests::wait_on(&[&a], CONVERGE, || households(&a).contains(&"H9".to_string())),
        "C's offline household never reached A"
    );
    assert!(kdc_tests::wait_on(&[&a], CONVERGE, || field(&a, "H3", "internet").as_deref() == Some("no")));
    assert!(!households(&a).contains(&"H1".to_string()), "H1 came back to A");
    assert!(kdc_tests::wait_on(&[&a], CONVERGE, || status(&a)["pending"] == 0), "{}", status(&a));
    for (d, name) in [(&a, "a2.kdcsnap"), (&c, "c2.kdcsnap")] {
        assert!(!holds(&document_bytes(d, files.path(), name), MARKER), "{name} holds the erased text");
    }
    assert!(!c.data_dir.join(format!("keys/{AREA}.0")).exists());
    // And in no byte of any device's data directory (sealed at rest, old epoch's keys gone).
    for d in [&a, &b, &c] {
        assert_eq!(files_holding(&d.data_dir, MARKER), Vec::<std::path::PathBuf>::new());
    }

    // The old file is never merged back, on any device.
    for d in [&a, &c] {
        let out = d.kdc(&["snapshot", "import", old.to_str().unwrap()]);
        assert_eq!(out.code, 2, "{out:?}");
        assert!(out.stderr.contains("epoch 0") && out.stderr.contains("epoch 1"), "{out:?}");
    }
    assert!(!households(&a).contains(&"H1".to_string()));
    // A new device given the old file gets the old epoch; on its first sync it would get the
    // new one (the same rule as C's); a ward merging old and new files keeps the new one.
    let fresh = tempfile::tempdir().unwrap();
    let out = kdc(
        fresh.path(),
        &["--lang", "en", "--json", "report", old.to_str().unwrap(), files.path().join("a2.kdcsnap").to_str().unwrap()],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("at epoch 0, superseded by epoch 1"), "{out:?}");
    assert_eq!(out.json()["areas"][0]["households"], 3, "{}", out.stdout);
}

/// Two heads, apart, each erase a household (H1 on A, H2 on B) and keep recording: two
/// different cuts of epoch 0. When they meet they settle on one epoch by the same rule on both
/// sides, with both households erased and both devices' later writes kept.
#[test]
fn erasures_made_apart_converge() {
    let (pa, pb) = (free_port(), free_port());
    let mut a = Daemon::start_args(&["--listen", &format!("/ip4/127.0.0.1/tcp/{pa}")]);
    let mut b = Daemon::start_args(&["--listen", &format!("/ip4/127.0.0.1/tcp/{pb}")]);
    let a_addr = format!("/ip4/127.0.0.1/tcp/{pa}/p2p/{}", a.peer_id());
    a.kdc(&["area", "create", AREA, "--name", "Khu xóa", "--ward", "Phường 1"]).ok();
    a.kdc(&["member", "add", AREA, &b.peer_id(), "--name", "Bình", "--role", "head"]).ok();
    b.kdc(&["peer", "add", &a_addr]).ok();
    for hh in ["H1", "H2", "H3"] {
        a.kdc(&[
            "household",
            "add",
            "--consent",
            "verbal",
            AREA,
            hh,
            "--address",
            &format!("{MARKER} {hh}"),
            "members=2",
        ])
        .ok();
    }
    assert!(kdc_tests::wait_on(&[&b], CONVERGE, || households(&b).len() == 3), "B did not receive the area");

    // Apart: A erases H1 and writes; then B, alone, erases H2 and writes.
    assert!(b.terminate().success());
    assert_eq!(a.json(&["household", "erase", AREA, "H1", "--yes"])["epoch"], 1);
    a.kdc(&["household", "set", AREA, "H3", "internet=no"]).ok();
    assert!(a.terminate().success());
    b.restart();
    assert_eq!(b.json(&["household", "erase", AREA, "H2", "--yes"])["epoch"], 1);
    b.kdc(&["household", "set", AREA, "H3", "members=5"]).ok();

    // They meet.
    a.restart();
    b.kdc(&["peer", "add", &a_addr]).ok();
    let settled = |d: &Daemon| {
        let hs = households(d);
        hs == ["H3"]
            && field(d, "H3", "internet").as_deref() == Some("no")
            && field(d, "H3", "members").as_deref() == Some("5")
    };
    assert!(
        kdc_tests::wait_on(&[&a, &b], CONVERGE, || settled(&a) && settled(&b)),
        "A: {:?} {:?}; B: {:?} {:?}",
        households(&a),
        status(&a),
        households(&b),
        status(&b)
    );
    assert!(kdc_tests::wait_on(&[&a, &b], CONVERGE, || {
        let (sa, sb) = (status(&a), status(&b));
        sa["epoch"] == sb["epoch"] && sa["pending"] == 0 && sb["pending"] == 0
    }));
    let s = status(&a);
    assert_eq!(s["erased"], serde_json::json!(["H1", "H2"]), "{s}");
    let files = tempfile::tempdir().unwrap();
    for (d, name) in [(&a, "a.kdcsnap"), (&b, "b.kdcsnap")] {
        let bytes = document_bytes(d, files.path(), name);
        assert!(!holds(&bytes, &format!("{MARKER} H1")) && !holds(&bytes, &format!("{MARKER} H2")), "{name}");
        assert!(holds(&bytes, &format!("{MARKER} H3")), "control: {name} holds H3's address");
    }
}
