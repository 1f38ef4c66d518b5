//! LAN discovery for real: three network namespaces on a Linux bridge, one daemon in each, mDNS
//! only (no addresses given anywhere). They must find each other and converge.
//!
//! Needs root (to create namespaces) and iproute2. Without root the test says that it skipped
//! and why; CI runs as root and installs iproute2, so there it runs.

use std::time::Duration;

use kdc_tests::Json;
use kdc_tests::netns::{Lan, NsDaemon, available, wait_on};

const AREA: &str = "lan-area";

#[test]
fn daemons_on_a_lan_find_each_other_by_mdns_and_converge() {
    if !available("daemons_on_a_lan_find_each_other_by_mdns_and_converge") {
        return;
    }
    let lan = Lan::new(3);
    let daemons: Vec<NsDaemon> =
        lan.namespaces.iter().zip(["An", "Bình", "Chi"]).map(|(ns, name)| NsDaemon::start(ns, name)).collect();
    let (a, rest) = daemons.split_first().unwrap();
    a.json(&["area", "create", AREA, "--name", "LAN", "--ward", "P"]);
    for d in rest {
        let id = d.json(&["id"])["peer_id"].as_str().unwrap().to_string();
        a.json(&["member", "add", AREA, &id, "--name", &d.name]);
    }
    // No --peer, no `peer add`: only mDNS brings them together.
    assert!(
        wait_on(&daemons.iter().collect::<Vec<_>>(), Duration::from_secs(60), || rest
            .iter()
            .all(|d| d.status(AREA).is_some())),
        "members did not receive the area over mDNS-discovered connections"
    );
    for (i, d) in daemons.iter().enumerate() {
        d.json(&["household", "add", "--consent", "verbal", AREA, &format!("H{i}"), "members=2", "internet=yes"]);
    }
    let converged = wait_on(&daemons.iter().collect::<Vec<_>>(), Duration::from_secs(60), || {
        let s: Vec<Option<Json>> = daemons.iter().map(|d| d.status(AREA)).collect();
        s[0].as_ref().is_some_and(|x| x["households"] == 3) && s.iter().all(|x| x == &s[0])
    });
    assert!(converged, "no convergence: {:?}", daemons.iter().map(|d| d.status(AREA)).collect::<Vec<_>>());
}
