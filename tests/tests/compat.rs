//! A team on two releases: this `kdcd` beside the previous release's, built from its commit
//! (CHANGELOG.md; `kdc_tests::previous`), in one area on loopback. Ordinary edits cross both
//! ways, an invite made on either side is redeemed on the other, snapshot files cross both ways,
//! an erasure made here is adopted there. Once the head gives the area a relay (which the
//! previous release's door refuses), the older device keeps sending its edits and gets none of
//! this device's, nothing is refused in a loop on either side, and the head is told beforehand
//! and by `kdc doctor` afterwards, naming the member and its release.

use std::time::Duration;

use kdc_tests::previous::{OtherDaemon, previous};
use kdc_tests::{Daemon, Events, can_run, web_get, web_login};

const CONVERGE: Duration = Duration::from_secs(30);
const RELAY: &str = "/ip4/127.0.0.1/tcp/9/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN";

fn ids(list: &kdc_tests::Json) -> Vec<String> {
    list.as_array().map(|a| a.iter().map(|h| h["id"].as_str().unwrap_or("").to_string()).collect()).unwrap_or_default()
}

fn new_households(d: &Daemon, area: &str) -> Vec<String> {
    let out = d.kdc(&["--json", "household", "list", area]);
    if out.code == 0 { ids(&out.json()) } else { Vec::new() }
}

fn old_households(d: &OtherDaemon, area: &str) -> Vec<String> {
    let out = d.kdc(&["--json", "household", "list", area]);
    if out.code == 0 { ids(&out.json()) } else { Vec::new() }
}

fn has(list: Vec<String>, hh: &str) -> bool {
    list.iter().any(|h| h == hh)
}

/// The team page of `area` on `d`, in English, after logging in with a one-time link.
fn team_page(d: &Daemon, area: &str) -> String {
    let url = d.json(&["ui", "--no-open"])["url"].as_str().unwrap().to_string();
    let (addr, cookie) = web_login(&d.data_dir, &url);
    web_get(&addr, &cookie, &format!("/a/{area}/team?lang=en"))
}

fn refusals(log: &str) -> usize {
    log.lines().filter(|l| l.contains("refused")).count()
}

#[test]
fn a_team_on_two_releases_keeps_working() {
    let release = match previous() {
        Ok(r) => r,
        Err(why) => {
            assert!(!can_run("a_team_on_two_releases_keeps_working", Err(why)));
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let new = Daemon::start_args(&["--name", "Moi"]);
    let old = OtherDaemon::start(&release, dir.path(), "Lan");
    // Each wait looks again after each event of either daemon (the older release has
    // /v1/events too) instead of starting a kdc every 10 ms.
    let events = Events::of_all(&[&new.data_dir, &old.data_dir]);
    let old_id = old.json(&["id"])["peer_id"].as_str().unwrap().to_string();
    assert_eq!(old.kdc(&["--version"]).stdout.split_whitespace().last(), Some(release.version.as_str()));

    // An invite made here, redeemed on the older device.
    new.kdc(&["area", "create", "khu-moi", "--name", "Khu mới", "--ward", "Phường 1"]).ok();
    new.kdc(&["household", "add", "--consent", "verbal", "khu-moi", "N1", "members=3", "internet=yes"]).ok();
    let token = new.json(&["invite", "khu-moi"])["token"].as_str().unwrap().to_string();
    old.kdc(&["join", &token]).ok();
    assert!(
        events.wait_until(CONVERGE, || has(old_households(&old, "khu-moi"), "N1")),
        "the older device did not receive the area"
    );
    // It says its release.
    let peers = new.json(&["peers"]);
    let seen = peers.as_array().unwrap().iter().find(|p| p["peer_id"] == old_id.as_str()).cloned().unwrap_or_default();
    assert_eq!(seen["version"], release.version.as_str(), "{peers}");

    // Edits both ways.
    old.kdc(&["household", "add", "--consent", "verbal", "khu-moi", "L1", "members=2"]).ok();
    new.kdc(&["household", "set", "khu-moi", "N1", "internet=no"]).ok();
    assert!(
        events.wait_until(CONVERGE, || has(new_households(&new, "khu-moi"), "L1")),
        "the older device's edit did not arrive"
    );
    assert!(
        events.wait_until(CONVERGE, || old
            .kdc(&["--json", "household", "show", "khu-moi", "N1"])
            .stdout
            .contains("\"no\"")),
        "this device's edit did not reach the older one"
    );

    // An invite made on the older device, redeemed here.
    old.kdc(&["area", "create", "khu-cu", "--name", "Khu cũ", "--ward", "Phường 1"]).ok();
    old.kdc(&["household", "add", "--consent", "verbal", "khu-cu", "C1", "members=4"]).ok();
    let token = old.json(&["invite", "khu-cu"])["token"].as_str().unwrap().to_string();
    new.kdc(&["join", &token]).ok();
    assert!(
        events.wait_until(CONVERGE, || has(new_households(&new, "khu-cu"), "C1")),
        "this device did not receive the older one's area"
    );
    new.kdc(&["household", "add", "--consent", "verbal", "khu-cu", "C2", "members=1"]).ok();
    assert!(
        events.wait_until(CONVERGE, || has(old_households(&old, "khu-cu"), "C2")),
        "an edit here did not reach the older head"
    );

    // Snapshot files both ways.
    let here = dir.path().join("moi.kdcsnap");
    let there = dir.path().join("cu.kdcsnap");
    new.kdc(&["snapshot", "export", "khu-moi", "-o", here.to_str().unwrap()]).ok();
    old.kdc(&["snapshot", "export", "khu-cu", "-o", there.to_str().unwrap()]).ok();
    old.kdc(&["snapshot", "import", here.to_str().unwrap()]).ok();
    new.kdc(&["snapshot", "import", there.to_str().unwrap()]).ok();
    new.kdc(&["snapshot", "verify", there.to_str().unwrap()]).ok();
    old.kdc(&["snapshot", "verify", here.to_str().unwrap()]).ok();

    // An erasure here is adopted there.
    new.kdc(&["household", "add", "--consent", "verbal", "khu-moi", "X1", "members=1"]).ok();
    assert!(events.wait_until(CONVERGE, || has(old_households(&old, "khu-moi"), "X1")));
    new.kdc(&["household", "erase", "khu-moi", "X1", "--yes"]).ok();
    assert!(
        events.wait_until(CONVERGE, || !has(old_households(&old, "khu-moi"), "X1")),
        "the older device kept the erased household"
    );
    old.kdc(&["household", "add", "--consent", "verbal", "khu-moi", "L2", "members=2"]).ok();
    assert!(
        events.wait_until(CONVERGE, || has(new_households(&new, "khu-moi"), "L2")),
        "the older device's edit after the erasure did not arrive"
    );
    let refused_before = refusals(&old.log_text());

    // The head adds a relay: told first who will stop receiving (the team page, beside the form).
    let team = team_page(&new, "khu-moi");
    assert!(team.contains("data-relay-stops=\"1\"") && team.contains("Lan</strong> (release 0.1.0)"), "{team}");
    let added = new.kdc(&["area", "relay", "add", "khu-moi", RELAY]).ok();
    assert!(added.stderr.contains("Lan (0.1.0)") && added.stderr.contains("0.2.0"), "{added:?}");
    new.kdc(&["household", "add", "--consent", "verbal", "khu-moi", "N2", "members=2"]).ok();
    old.kdc(&["household", "add", "--consent", "verbal", "khu-moi", "L3", "members=2"]).ok();
    // What the older device can still give, it gives; what it cannot take, it is not sent.
    assert!(
        events.wait_until(CONVERGE, || has(new_households(&new, "khu-moi"), "L3")),
        "the older device's edit stopped arriving"
    );
    std::thread::sleep(Duration::from_secs(8));
    assert!(!has(old_households(&old, "khu-moi"), "N2"), "the older device cannot have read the area with a relay");
    assert!(has(old_households(&old, "khu-moi"), "L3"), "the older device lost its own edit");
    let old_log = old.log_text();
    assert!(refusals(&old_log) <= refused_before + 1, "the older device refused messages in a loop:\n{old_log}");

    // The team page marks the member; the doctor names it, its release and what to do; the
    // older area still syncs.
    let team = team_page(&new, "khu-moi");
    assert!(team.contains("data-behind=\"0.1.0\""), "{team}");
    assert!(!team.contains("data-relay-stops"), "{team}");
    let doctor = new.json(&["doctor", "khu-moi"]);
    let advice: Vec<&kdc_tests::Json> =
        doctor["advice"].as_array().unwrap().iter().filter(|a| a["code"] == "member-behind").collect();
    assert_eq!(advice.len(), 1, "{doctor}");
    let en = advice[0]["en"].as_str().unwrap();
    assert!(en.contains("Lan's device runs 0.1.0") && en.contains("0.2.0") && en.contains("relays"), "{en}");
    let vi = advice[0]["vi"].as_str().unwrap();
    assert!(vi.contains("máy của Lan dùng bản 0.1.0"), "{vi}");
    new.kdc(&["household", "add", "--consent", "verbal", "khu-cu", "C3", "members=1"]).ok();
    assert!(
        events.wait_until(CONVERGE, || has(old_households(&old, "khu-cu"), "C3")),
        "the area without relays stopped syncing"
    );
    assert!(new.json(&["doctor", "khu-cu"])["advice"].as_array().unwrap().iter().all(|a| a["code"] != "member-behind"));

    // A file of the area with a relay is refused by the older release, which keeps what it had.
    let with_relay = dir.path().join("relay.kdcsnap");
    new.kdc(&["snapshot", "export", "khu-moi", "-o", with_relay.to_str().unwrap()]).ok();
    let refused = old.kdc(&["snapshot", "import", with_relay.to_str().unwrap()]);
    assert_ne!(refused.code, 0, "{refused:?}");
    assert!(has(old_households(&old, "khu-moi"), "L3"));
    eprintln!("the older release's refusal of the file: {}", refused.stderr.trim());

    // A new teammate on the older release, invited to the area with a relay: refused at once,
    // told which release it needs; the invite is not spent and the roster unchanged.
    let late = OtherDaemon::start(&release, dir.path(), "Tu");
    let members_before = new.json(&["member", "list", "khu-moi"]).as_array().unwrap().len();
    let token = new.json(&["invite", "khu-moi"])["token"].as_str().unwrap().to_string();
    let asked = std::time::Instant::now();
    let join = late.kdc(&["join", &token]);
    let took = asked.elapsed();
    assert_ne!(join.code, 0, "{join:?}");
    assert!(join.stderr.contains("needs KDC Sync 0.2.0 or newer") && join.stderr.contains("has 0.1.0"), "{join:?}");
    assert_eq!(new.json(&["member", "list", "khu-moi"]).as_array().unwrap().len(), members_before);
    eprintln!(
        "the older release's join of the area with a relay, refused in {} ms: {}",
        took.as_millis(),
        join.stderr.trim()
    );
    let (here, there) = (new_households(&new, "khu-moi"), old_households(&old, "khu-moi"));
    let (here_c, there_c) = (new_households(&new, "khu-cu"), old_households(&old, "khu-cu"));
    eprintln!(
        "compat figures: khu-moi (relay) here {} households {:?}, on {} {} {:?}; khu-cu here {} on {} {}; \
         refusals logged by {}: {} before the relay, {} after",
        here.len(),
        here,
        release.version,
        there.len(),
        there,
        here_c.len(),
        release.version,
        there_c.len(),
        release.version,
        refused_before,
        refusals(&old.log_text())
    );
}
