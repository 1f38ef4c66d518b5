//! LAN discovery for real: three network namespaces on a Linux bridge, one daemon in each, mDNS
//! only (no addresses given anywhere). They must find each other and converge.
//!
//! Needs root (to create namespaces) and iproute2. Without root the test says that it skipped
//! and why; CI runs as root and installs iproute2, so there it runs.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use kdc_tests::{Json, bin, wait_until, wait_with_deadline};

const AREA: &str = "lan-area";

fn sh(args: &[&str]) {
    let out = Command::new(args[0]).args(&args[1..]).output().unwrap_or_else(|e| panic!("{args:?}: {e}"));
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// Namespaces and bridge, removed on drop even when the test fails.
struct Lan {
    bridge: String,
    namespaces: Vec<String>,
}

impl Lan {
    fn new(n: usize) -> Lan {
        let tag = std::process::id() % 100_000;
        let bridge = format!("kbr{tag}");
        let mut lan = Lan { bridge: bridge.clone(), namespaces: Vec::new() };
        sh(&["ip", "link", "add", &bridge, "type", "bridge"]);
        sh(&["ip", "link", "set", &bridge, "up"]);
        for i in 1..=n {
            let ns = format!("kdc{tag}n{i}");
            sh(&["ip", "netns", "add", &ns]);
            lan.namespaces.push(ns.clone());
            let (host, inner) = (format!("kv{tag}h{i}"), format!("kv{tag}i{i}"));
            sh(&["ip", "link", "add", &host, "type", "veth", "peer", "name", &inner]);
            sh(&["ip", "link", "set", &inner, "netns", &ns]);
            sh(&["ip", "link", "set", &host, "master", &bridge]);
            sh(&["ip", "link", "set", &host, "up"]);
            let addr = format!("10.77.{}.{i}/24", tag % 250);
            sh(&["ip", "netns", "exec", &ns, "ip", "addr", "add", &addr, "dev", &inner]);
            sh(&["ip", "netns", "exec", &ns, "ip", "link", "set", &inner, "up"]);
            sh(&["ip", "netns", "exec", &ns, "ip", "link", "set", "lo", "up"]);
            // mDNS sends to 224.0.0.251: give multicast a route out of the namespace.
            sh(&["ip", "netns", "exec", &ns, "ip", "route", "add", "224.0.0.0/4", "dev", &inner]);
        }
        lan
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        for ns in &self.namespaces {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
        let _ = Command::new("ip").args(["link", "del", &self.bridge]).status();
    }
}

struct NsDaemon {
    ns: String,
    dir: tempfile::TempDir,
    child: Child,
}

impl NsDaemon {
    fn start(ns: &str, name: &str) -> NsDaemon {
        let dir = tempfile::tempdir().unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", ns])
            .arg(bin("kdcd"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(["--api", "127.0.0.1:0", "--listen", "/ip4/0.0.0.0/tcp/0", "--name", name])
            .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let d = NsDaemon { ns: ns.to_string(), dir, child };
        assert!(wait_until(Duration::from_secs(30), || d.kdc(&["--json", "id"]).0 == 0), "kdcd in {ns} did not start");
        d
    }

    fn kdc(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.ns])
            .arg(bin("kdc"))
            .arg("--data-dir")
            .arg(self.dir.path())
            .args(args)
            .env("LANG", "C")
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into(),
            String::from_utf8_lossy(&out.stderr).into(),
        )
    }

    fn json(&self, args: &[&str]) -> Json {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        let (code, out, err) = self.kdc(&full);
        assert_eq!(code, 0, "{args:?}: {err}");
        serde_json::from_str(&out).unwrap()
    }

    fn status(&self) -> Option<Json> {
        let (code, out, _) = self.kdc(&["--json", "status", AREA]);
        // Without this device's view of its peers, which differs from device to device.
        (code == 0).then(|| {
            let mut v: Json = serde_json::from_str(&out).unwrap();
            v.as_object_mut().map(|o| o.remove("members_sync"));
            v
        })
    }
}

impl Drop for NsDaemon {
    fn drop(&mut self) {
        // SAFETY: signalling our own child (`ip netns exec` execs kdcd, so this is kdcd).
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        if wait_with_deadline(&mut self.child, Duration::from_secs(10)).is_none() {
            let _ = self.child.kill();
        }
    }
}

#[test]
fn daemons_on_a_lan_find_each_other_by_mdns_and_converge() {
    if unsafe { libc::geteuid() } != 0 {
        eprintln!(
            "SKIPPED daemons_on_a_lan_find_each_other_by_mdns_and_converge: creating network namespaces needs root (CI runs as root)"
        );
        return;
    }
    assert!(
        Path::new("/sbin/ip").exists() || Path::new("/usr/sbin/ip").exists() || Path::new("/bin/ip").exists(),
        "iproute2 (`ip`) is required: apt-get install iproute2"
    );
    let lan = Lan::new(3);
    let daemons: Vec<NsDaemon> =
        lan.namespaces.iter().zip(["An", "Bình", "Chi"]).map(|(ns, name)| NsDaemon::start(ns, name)).collect();
    let (a, rest) = daemons.split_first().unwrap();
    a.json(&["area", "create", AREA, "--name", "LAN", "--ward", "P"]);
    for (d, name) in rest.iter().zip(["Bình", "Chi"]) {
        let id = d.json(&["id"])["peer_id"].as_str().unwrap().to_string();
        a.json(&["member", "add", AREA, &id, "--name", name]);
    }
    // No --peer, no `peer add`: only mDNS brings them together.
    assert!(
        wait_until(Duration::from_secs(60), || rest.iter().all(|d| d.status().is_some())),
        "members did not receive the area over mDNS-discovered connections"
    );
    for (i, d) in daemons.iter().enumerate() {
        d.json(&["household", "add", AREA, &format!("H{i}"), "members=2", "internet=yes"]);
    }
    let converged = wait_until(Duration::from_secs(60), || {
        let s: Vec<Option<Json>> = daemons.iter().map(NsDaemon::status).collect();
        s[0].as_ref().is_some_and(|x| x["households"] == 3) && s.iter().all(|x| x == &s[0])
    });
    assert!(converged, "no convergence: {:?}", daemons.iter().map(NsDaemon::status).collect::<Vec<_>>());
}
