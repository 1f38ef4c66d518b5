//! `kdc doctor`: what it sees and what it advises, with real daemons on loopback.

use std::time::Duration;

use kdc_tests::Daemon;

const AREA: &str = "khu-1";

#[test]
fn doctor_names_connected_unreachable_and_unknown_members() {
    let a = Daemon::start();
    let b = Daemon::start();
    let mut c = Daemon::start();
    a.kdc(&["area", "create", AREA, "--name", "Khu 1", "--ward", "P1"]).ok();
    a.kdc(&["member", "add", AREA, &b.peer_id(), "--name", "Bình"]).ok();
    a.kdc(&["member", "add", AREA, &c.peer_id(), "--name", "Chi"]).ok();
    // Dũng is on the roster but has never been seen: no address known.
    a.kdc(&["member", "add", AREA, "12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo", "--name", "Dũng"]).ok();
    b.kdc(&["peer", "add", &a.dial_addr()]).ok();
    c.kdc(&["peer", "add", &a.dial_addr()]).ok();
    assert!(kdc_tests::wait_on(&[&b, &c], Duration::from_secs(30), || [&b, &c]
        .iter()
        .all(|d| d.kdc(&["--json", "status", AREA]).code == 0)));
    // Chi's device goes away: A knows its address, which no longer answers.
    c.kill();
    let member = |d: &serde_json::Value, name: &str| {
        d["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} in {d}"))
    };
    let mut doctor = serde_json::Value::Null;
    let settled = kdc_tests::wait_on(&[&a], Duration::from_secs(30), || {
        doctor = a.json(&["doctor", AREA]);
        member(&doctor, "Chi")["connected"] == false
    });
    assert!(settled, "{doctor}");
    assert_eq!(member(&doctor, "Bình")["connected"], true, "{doctor}");
    assert_eq!(member(&doctor, "Bình")["reachable"], true, "{doctor}");
    assert_eq!(member(&doctor, "Chi")["reachable"], false, "{doctor}");
    assert!(member(&doctor, "Dũng")["reachable"].is_null(), "{doctor}");
    let codes: Vec<&str> = doctor["advice"].as_array().unwrap().iter().map(|a| a["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"unreachable") && codes.contains(&"never_seen"), "{codes:?}");
    // Test daemons listen on loopback only, with mDNS off: both are said.
    assert!(doctor["listen"].as_array().unwrap().is_empty(), "{doctor}");
    assert!(codes.contains(&"no_network") && codes.contains(&"mdns_off"), "{codes:?}");

    // Human output in both languages names the members and gives the advice.
    let vi = a.kdc(&["--lang", "vi", "doctor", AREA]).ok();
    assert!(vi.stdout.contains("Lời khuyên") && vi.stdout.contains("Không kết nối được tới Chi"), "{}", vi.stdout);
    let en = a.kdc(&["--lang", "en", "doctor"]).ok();
    assert!(en.stdout.contains("Cannot reach Chi") && en.stdout.contains("never been seen"), "{}", en.stdout);
    // An unknown area is "not found".
    assert_eq!(a.kdc(&["doctor", "khong-co"]).code, 4);
    // A device alone in its area has nothing to say about members (the network advice stays).
    let lone = Daemon::start();
    lone.kdc(&["area", "create", "khu-2", "--name", "Khu 2", "--ward", "P1"]).ok();
    let d = lone.json(&["doctor", "khu-2"]);
    let codes: Vec<&str> = d["advice"].as_array().unwrap().iter().map(|a| a["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["no_network", "mdns_off"], "{d}");
}
