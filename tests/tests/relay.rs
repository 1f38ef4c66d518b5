//! Beyond the LAN, for real: devices in network namespaces behind NAT routers (iptables
//! MASQUERADE, unsolicited inbound dropped), a `kdcd --relay` on a public bridge. The phones
//! share no network and are given nothing but an invite token.
//!
//! Needs root, iproute2 and iptables; under CI (`CI=true`) a test that cannot run fails.

use std::time::Duration;

use kdc_tests::Json;
use kdc_tests::netns::{NsDaemon, Wan, available, wait_on};

const AREA: &str = "khu-xa";
use kdc_tests::netns::RELAY_PORT;
/// Written into a household's address: no byte of it may reach the relay's disk.
const MARKER: &str = "MARKER-relay-sees-nothing-5c1e";

/// A relay on public host `i` of the WAN; answers it and its full address. Every packet it
/// receives is scanned for [`MARKER`] (iptables' string match; see [`marker_packets`]).
fn start_relay(wan: &Wan, i: usize) -> (NsDaemon, String) {
    start_relay_with(wan, i, &[])
}

fn start_relay_with(wan: &Wan, i: usize, extra: &[&str]) -> (NsDaemon, String) {
    let (relay, addr) = wan.start_relay(i, extra);
    let ns = &wan.public[i];
    kdc_tests::netns::sh(&[
        "ip", "netns", "exec", ns, "iptables", "-A", "INPUT", "-m", "string", "--string", MARKER, "--algo", "bm",
    ]);
    (relay, addr)
}

/// Packets the relay received that hold [`MARKER`] in clear.
fn marker_packets(ns: &str) -> u64 {
    let out =
        std::process::Command::new("ip").args(["netns", "exec", ns, "iptables", "-nvxL", "INPUT"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("STRING match"))
        .filter_map(|l| l.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

fn phone(ns: &str, name: &str) -> NsDaemon {
    NsDaemon::start_with(ns, name, &["--listen", "/ip4/0.0.0.0/tcp/0"])
}

fn relays(d: &NsDaemon) -> Json {
    d.json(&["area", "relay", "list", AREA])
}

fn reserved(d: &NsDaemon) -> bool {
    d.holds_reservation(AREA)
}

/// How `d` is connected to `peer` now (`"direct"`, `"relay"`), if it is.
fn via(d: &NsDaemon, peer: &str) -> Option<String> {
    d.via(peer)
}

fn households(d: &NsDaemon) -> i64 {
    d.status(AREA).map_or(-1, |s| s["households"].as_i64().unwrap_or(-1))
}

/// The head creates the area with `relay_addrs`, waits for its reservation, and invites the
/// member, who joins by the token alone.
fn team(head: &NsDaemon, member: &NsDaemon, relay_addrs: &[&str]) {
    head.json(&["area", "create", AREA, "--name", "Khu xa", "--ward", "P"]);
    for r in relay_addrs {
        head.json(&["area", "relay", "add", AREA, r]);
    }
    assert!(
        wait_on(&[head], Duration::from_secs(30), || reserved(head)),
        "head holds no reservation: {}",
        relays(head)
    );
    let token = head.json(&["invite", AREA])["token"].as_str().unwrap().to_string();
    let (code, out, err) = member.kdc(&["--json", "join", &token]);
    assert_eq!(code, 0, "join through the relay failed: {out} {err}");
    assert!(
        wait_on(&[member], Duration::from_secs(30), || reserved(member)),
        "member learnt no relay: {}",
        relays(member)
    );
}

/// Each side writes a household; both end with both.
fn converge_both_ways(a: &NsDaemon, b: &NsDaemon, n: usize) {
    let want = households(a).max(0) + 2;
    a.json(&["household", "add", "--consent", "verbal", AREA, &format!("A{n}"), "--address", MARKER, "members=3"]);
    b.json(&["household", "add", "--consent", "verbal", AREA, &format!("B{n}"), "members=2"]);
    let ok = wait_on(&[a, b], Duration::from_secs(60), || {
        let (x, y) = (households(a), households(b));
        x == want && y == want && a.status(AREA) == b.status(AREA)
    });
    assert!(ok, "no convergence: {:?} vs {:?}", a.status(AREA), b.status(AREA));
}

/// The relay holds no area, no byte of the marker is anywhere in its data directory, and no
/// packet it received held the marker in clear — while the same scan does see the marker sent
/// to it in clear from a home (so the scan works).
fn relay_saw_nothing(relay: &NsDaemon, wan: &Wan) {
    assert_eq!(marker_packets(&relay.ns), 0, "the marker crossed the relay in clear");
    let relay_ip = wan.public_ip(wan.public.iter().position(|p| *p == relay.ns).unwrap());
    let home = kdc_tests::netns::NsThread::new(&wan.homes[0]);
    home.run(move || {
        use std::io::Write;
        let mut s = std::net::TcpStream::connect(format!("{relay_ip}:{RELAY_PORT}")).unwrap();
        let _ = s.write_all(MARKER.as_bytes());
        std::thread::sleep(Duration::from_millis(200));
    });
    assert!(marker_packets(&relay.ns) > 0, "the scan does not see the marker even in clear");
    assert_eq!(relay.json(&["area", "list"]), serde_json::json!([]));
    for entry in walk(&relay.dir) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        assert!(!bytes.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()), "marker found in {}", entry.display());
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

#[test]
fn behind_two_port_keeping_nats_phones_join_through_the_relay_and_end_direct() {
    if !available("behind_two_port_keeping_nats_phones_join_through_the_relay_and_end_direct") {
        return;
    }
    let wan = Wan::new(1, 2, false);
    let (relay, raddr) = start_relay(&wan, 0);
    let a = phone(&wan.homes[0], "Lan");
    let b = phone(&wan.homes[1], "Huy");
    team(&a, &b, &[&raddr]);
    converge_both_ways(&a, &b, 1);
    let (pa, pb) = (a.peer_id(), b.peer_id());
    // Hole punching replaces the relayed connection with a direct one, on both sides.
    let direct = wait_on(&[&a, &b], Duration::from_secs(45), || {
        via(&a, &pb).as_deref() == Some("direct") && via(&b, &pa).as_deref() == Some("direct")
    });
    assert!(
        direct,
        "not direct: a sees {:?}, b sees {:?}; a's peers {}",
        via(&a, &pb),
        via(&b, &pa),
        a.json(&["peers"])
    );
    converge_both_ways(&a, &b, 2);
    relay_saw_nothing(&relay, &wan);
}

#[test]
fn behind_carrier_grade_nats_phones_stay_relayed_and_still_sync() {
    if !available("behind_carrier_grade_nats_phones_stay_relayed_and_still_sync") {
        return;
    }
    let wan = Wan::new(1, 2, true);
    let (relay, raddr) = start_relay(&wan, 0);
    let a = phone(&wan.homes[0], "Lan");
    let b = phone(&wan.homes[1], "Huy");
    team(&a, &b, &[&raddr]);
    converge_both_ways(&a, &b, 1);
    let pb = b.peer_id();
    assert_eq!(via(&a, &pb).as_deref(), Some("relay"), "{}", a.json(&["peers"]));
    // A few seconds on, still relayed (hole punching cannot pass a port-randomising NAT), and
    // edits still cross.
    std::thread::sleep(Duration::from_secs(5));
    converge_both_ways(&a, &b, 2);
    assert_eq!(via(&a, &pb).as_deref(), Some("relay"));
    // The doctor says how: the relay reserved, reachable from outside through it, the member
    // relayed and why, in plain words.
    let doctor = a.json(&["doctor", AREA]);
    assert_eq!(doctor["outside"], "relay", "{doctor}");
    assert_eq!(doctor["relays"][0]["reserved"], true, "{doctor}");
    let member = doctor["members"].as_array().unwrap().iter().find(|m| m["peer_id"] == pb.as_str()).unwrap();
    assert_eq!(member["via"], "relay", "{doctor}");
    assert_ne!(member["hole_punch"], "ok", "{doctor}");
    let relayed = doctor["advice"].as_array().unwrap().iter().find(|a| a["code"] == "relayed");
    assert!(relayed.is_some_and(|a| a["vi"].as_str().unwrap().contains("qua máy chuyển tiếp")), "{doctor}");
    relay_saw_nothing(&relay, &wan);
}

#[test]
fn a_phone_moves_from_the_community_wifi_to_mobile_data_and_back() {
    if !available("a_phone_moves_from_the_community_wifi_to_mobile_data_and_back") {
        return;
    }
    // Carrier-grade NATs on mobile data (so the relay, not hole punching, carries them there);
    // a shared Wi-Fi at the community house.
    let wan = Wan::new(1, 2, true);
    let wifi = wan.community_wifi(&[0, 1]);
    let (_relay, raddr) = start_relay(&wan, 0);
    let a = phone(&wan.homes[0], "Lan");
    let b = phone(&wan.homes[1], "Huy");
    team(&a, &b, &[&raddr]);
    let (pa, pb) = (a.peer_id(), b.peer_id());
    let both = |v: &str| via(&a, &pb).as_deref() == Some(v) && via(&b, &pa).as_deref() == Some(v);
    assert!(
        wait_on(&[&a, &b], Duration::from_secs(30), || both("direct")),
        "not direct on the Wi-Fi: {}",
        a.json(&["peers"])
    );
    converge_both_ways(&a, &b, 1);
    // A leaves the community house: its Wi-Fi link goes; it is still online through mobile data.
    kdc_tests::netns::sh(&["ip", "link", "set", &wifi[0], "down"]);
    assert!(
        wait_on(&[&a, &b], Duration::from_secs(45), || both("relay")),
        "not relayed after leaving: {}",
        a.json(&["peers"])
    );
    converge_both_ways(&a, &b, 2);
    // And back: direct again, the relayed connection gives way.
    kdc_tests::netns::sh(&["ip", "link", "set", &wifi[0], "up"]);
    assert!(
        wait_on(&[&a, &b], Duration::from_secs(90), || both("direct")),
        "not direct after coming back: {}",
        a.json(&["peers"])
    );
    converge_both_ways(&a, &b, 3);
}

#[test]
fn when_the_relay_vanishes_phones_fall_over_to_the_second_one() {
    if !available("when_the_relay_vanishes_phones_fall_over_to_the_second_one") {
        return;
    }
    // Carrier-grade NATs: the phones stay on a relay, so the relay's death matters.
    let wan = Wan::new(2, 2, true);
    let (mut r1, addr1) = start_relay(&wan, 0);
    let (_r2, addr2) = start_relay(&wan, 1);
    let a = phone(&wan.homes[0], "Lan");
    let b = phone(&wan.homes[1], "Huy");
    team(&a, &b, &[&addr1, &addr2]);
    converge_both_ways(&a, &b, 1);
    let before = households(&a);
    r1.stop(true);
    // What is written meanwhile is kept and crosses once both hold a reservation on the second.
    converge_both_ways(&a, &b, 2);
    assert_eq!(households(&a), before + 2);
    let on_second =
        |d: &NsDaemon| relays(d).as_array().unwrap().iter().any(|r| r["addr"] == addr2 && r["reserved"] == true);
    assert!(on_second(&a) && on_second(&b), "{} / {}", relays(&a), relays(&b));
}

#[test]
fn a_hub_carries_the_days_work_between_phones_never_online_together() {
    if !available("a_hub_carries_the_days_work_between_phones_never_online_together") {
        return;
    }
    let wan = Wan::new(1, 2, true);
    let ip = wan.public_ip(0);
    let external = format!("/ip4/{ip}/tcp/4002");
    // The always-on member: the area's head on a machine with a public address.
    let hub = NsDaemon::start_with(
        &wan.public[0],
        "Hub",
        &["--listen", "/ip4/0.0.0.0/tcp/4002", "--external-address", &external],
    );
    let mut a = phone(&wan.homes[0], "Lan");
    let mut b = phone(&wan.homes[1], "Huy");
    hub.json(&["area", "create", AREA, "--name", "Khu xa", "--ward", "P"]);
    for d in [&a, &b] {
        let token = hub.json(&["invite", AREA])["token"].as_str().unwrap().to_string();
        let (code, out, err) = d.kdc(&["--json", "join", &token]);
        assert_eq!(code, 0, "join at the hub failed: {out} {err}");
    }
    b.stop(false);
    a.json(&["household", "add", "--consent", "verbal", AREA, "A1", "members=3"]);
    assert!(wait_on(&[&hub], Duration::from_secs(30), || households(&hub) == 1), "the hub did not get A1");
    a.stop(false);
    b.start_again();
    assert!(wait_on(&[&b], Duration::from_secs(30), || households(&b) == 1), "B did not get A1 from the hub");
    b.json(&["household", "add", "--consent", "verbal", AREA, "B1", "members=2"]);
    assert!(wait_on(&[&hub], Duration::from_secs(30), || households(&hub) == 2));
    b.stop(false);
    a.start_again();
    assert!(wait_on(&[&a], Duration::from_secs(30), || households(&a) == 2), "A did not get B1 from the hub");
}

#[test]
fn fifty_strangers_at_the_relay_do_not_stop_the_team() {
    if !available("fifty_strangers_at_the_relay_do_not_stop_the_team") {
        return;
    }
    let wan = Wan::new(1, 3, true);
    let (relay, raddr) = start_relay(&wan, 0);
    let a = phone(&wan.homes[0], "Lan");
    let b = phone(&wan.homes[1], "Huy");
    team(&a, &b, &[&raddr]);
    converge_both_ways(&a, &b, 1);
    let rss = |pid: u32| {
        let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        text.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_string).unwrap_or_default()
    };
    let pid = relay.pid().unwrap();
    let before = rss(pid);
    // 50 unknown devices behind a third NAT reserve and open circuits among themselves.
    let crowd = kdc_tests::netns::NsThread::new(&wan.homes[2]);
    let r = raddr.clone();
    let held =
        crowd.start(move || kdc_tests::netns::strangers(&r, 50, Duration::from_secs(30), Duration::from_secs(5)));
    // Meanwhile the team's edits still cross the relay.
    converge_both_ways(&a, &b, 2);
    let (reserved, circuits) = held.recv().unwrap();
    eprintln!("relay RSS before: {before}; with 50 strangers: {}; reserved {reserved}, circuits {circuits}", rss(pid));
    assert_eq!(reserved, 50, "the relay turned strangers away below its caps");
    assert!(circuits >= 45, "circuits among strangers: {circuits}");
    // The relay still holds nothing of the area.
    relay_saw_nothing(&relay, &wan);
    converge_both_ways(&a, &b, 3);
}

#[test]
fn a_relay_for_one_ward_serves_only_its_devices() {
    if !available("a_relay_for_one_ward_serves_only_its_devices") {
        return;
    }
    let wan = Wan::new(1, 3, true);
    let a = phone(&wan.homes[0], "Lan");
    let b = phone(&wan.homes[1], "Huy");
    let (pa, pb) = (a.peer_id(), b.peer_id());
    let (_relay, raddr) = start_relay_with(&wan, 0, &["--relay-allow", &pa, "--relay-allow", &pb]);
    team(&a, &b, &[&raddr]);
    converge_both_ways(&a, &b, 1);
    let crowd = kdc_tests::netns::NsThread::new(&wan.homes[2]);
    let r = raddr.clone();
    let (reserved, circuits) =
        crowd.run(move || kdc_tests::netns::strangers(&r, 10, Duration::from_secs(5), Duration::from_secs(0)));
    assert_eq!((reserved, circuits), (0, 0), "a relay for one ward served strangers");
    // A peer id that is not one: kdcd refuses to start, naming the flag.
    let out = std::process::Command::new(kdc_tests::bin("kdcd"))
        .args(["--relay", "--relay-allow", "nobody"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--relay-allow"), "{out:?}");
}
