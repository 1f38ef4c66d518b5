//! Hosts on a LAN, on one machine: network namespaces on a Linux bridge, one `kdcd` in each.
//! For tests of what crosses a real network (mDNS discovery, cut links). Needs root and
//! iproute2; [`skip_reason`] says why a test cannot run, so it can print that and stop.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{Json, bin, wait_until, wait_with_deadline};

/// Why namespace tests cannot run here, or `None` when they can.
pub fn skip_reason() -> Option<&'static str> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("creating network namespaces needs root (CI runs as root)");
    }
    let has_ip =
        ["/sbin/ip", "/usr/sbin/ip", "/bin/ip", "/usr/bin/ip"].iter().any(|p| std::path::Path::new(p).exists());
    if !has_ip {
        return Some("iproute2 (`ip`) is not installed: apt-get install iproute2");
    }
    None
}

/// Whether a namespace test can run here. When it cannot, it says so on stderr and returns false
/// — except under CI (`CI=true`), where a test that cannot run fails instead of passing quietly.
pub fn available(test: &str) -> bool {
    crate::can_run(test, skip_reason().map_or(Ok(()), |why| Err(why.to_string())))
}

/// Runs a command, panicking with its stderr when it fails.
pub fn sh(args: &[&str]) {
    let out = Command::new(args[0]).args(&args[1..]).output().unwrap_or_else(|e| panic!("{args:?}: {e}"));
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// Namespaces and their bridge, removed on drop even when the test fails.
pub struct Lan {
    pub bridge: String,
    pub namespaces: Vec<String>,
    /// The bridge side of each namespace's veth pair: set it down to cut that host's link.
    pub host_links: Vec<String>,
    /// `kdc-impair` processes delaying packets (see [`Lan::delay_incoming`]).
    impairers: std::sync::Mutex<Vec<std::process::Child>>,
}

impl Lan {
    pub fn new(n: usize) -> Lan {
        // Unique per LAN, also between tests of one process running at once.
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let serial = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tag = (std::process::id() * 7 + serial * 1009) % 100_000;
        let bridge = format!("kbr{tag}");
        let mut lan = Lan {
            bridge: bridge.clone(),
            namespaces: Vec::new(),
            host_links: Vec::new(),
            impairers: std::sync::Mutex::new(Vec::new()),
        };
        sh(&["ip", "link", "add", &bridge, "type", "bridge"]);
        sh(&["ip", "link", "set", &bridge, "up"]);
        for i in 1..=n {
            let ns = format!("kdc{tag}n{i}");
            sh(&["ip", "netns", "add", &ns]);
            lan.namespaces.push(ns.clone());
            let (host, inner) = (format!("kv{tag}h{i}"), format!("kv{tag}i{i}"));
            sh(&["ip", "link", "add", &host, "type", "veth", "peer", "name", &inner]);
            lan.host_links.push(host.clone());
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

    /// Cuts (`up = false`) or restores host `i`'s link to the bridge.
    pub fn set_link(&self, i: usize, up: bool) {
        sh(&["ip", "link", "set", &self.host_links[i], if up { "up" } else { "down" }]);
    }

    /// Host `i` drops each packet it receives from the LAN (not loopback) with probability `share` (iptables' `statistic`
    /// match: this kernel has no netem). Given to every host, each direction of every link
    /// loses that share. Needs iptables.
    pub fn drop_incoming(&self, i: usize, share: f64) {
        let p = format!("{share}");
        self.filter_incoming(i, &["-m", "statistic", "--mode", "random", "--probability", &p, "-j", "DROP"]);
    }

    /// Appends an iptables INPUT rule for what host `i` receives from the LAN (not loopback).
    fn filter_incoming(&self, i: usize, rule: &[&str]) {
        let ns = &self.namespaces[i];
        let mut args = vec!["ip", "netns", "exec", ns, "iptables", "-A", "INPUT", "!", "-i", "lo"];
        args.extend_from_slice(rule);
        sh(&args);
    }
}

impl Lan {
    /// Host `i` holds each packet it receives from the LAN for `delay_ms` ± `jitter_ms` before
    /// taking it: iptables hands it to NFQUEUE, and `kdc-impair` (the user-space impairing
    /// link, tests/src/bin/kdc-impair.rs) accepts it when its time comes. Given to every host,
    /// each direction of every link gets that delay, and packets overtake each other. Call after
    /// [`Lan::drop_incoming`] so a dropped packet is not delayed first.
    pub fn delay_incoming(&self, i: usize, delay_ms: u64, jitter_ms: u64) {
        let ns = &self.namespaces[i];
        let queue = i.to_string();
        let child = Command::new("ip")
            .args(["netns", "exec", ns])
            .arg(crate::bin("kdc-impair"))
            .args(["--queue", &queue, "--delay-ms", &delay_ms.to_string(), "--jitter-ms", &jitter_ms.to_string()])
            .args(["--seed", &(i as u64 + 1).to_string()])
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn kdc-impair");
        self.impairers.lock().unwrap().push(child);
        // Bound to its queue before packets are sent there (else `--queue-bypass` lets them by).
        std::thread::sleep(std::time::Duration::from_millis(200));
        self.filter_incoming(i, &["-j", "NFQUEUE", "--queue-num", &queue, "--queue-bypass"]);
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        for child in self.impairers.get_mut().unwrap().iter_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
        for ns in &self.namespaces {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
        let _ = Command::new("ip").args(["link", "del", &self.bridge]).status();
    }
}

/// The internet in miniature: a public bridge with hosts on it (relays, a hub), and homes
/// behind NAT routers, each a router namespace and one device namespace behind it.
///
/// Each router masquerades what its device sends out (`MASQUERADE`: a port-keeping NAT, which
/// hole punching can pass; with `random_fully`, `--random-fully`: a new port per connection, as
/// carrier-grade NAT does, which it cannot) and drops every unsolicited packet from outside.
/// The TCP port relays listen on in [`Wan::start_relay`].
pub const RELAY_PORT: u16 = 4001;

pub struct Wan {
    pub bridge: String,
    /// `public[i]`: a namespace with an address on the public bridge ([`Wan::public_ip`]).
    pub public: Vec<String>,
    /// `homes[i]`: the device namespace behind router `routers[i]`.
    pub homes: Vec<String>,
    pub routers: Vec<String>,
    /// The public bridge side of each public host's and router's veth (set down to cut it).
    pub uplinks: Vec<String>,
    tag: u32,
    extra_bridges: std::sync::Mutex<Vec<String>>,
}

impl Wan {
    pub fn new(public: usize, homes: usize, random_fully: bool) -> Wan {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let serial = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tag = (std::process::id() * 13 + serial * 1013) % 100_000;
        let bridge = format!("kwb{tag}");
        let mut wan = Wan {
            bridge: bridge.clone(),
            public: vec![],
            homes: vec![],
            routers: vec![],
            uplinks: vec![],
            tag,
            extra_bridges: std::sync::Mutex::new(Vec::new()),
        };
        sh(&["ip", "link", "add", &bridge, "type", "bridge"]);
        sh(&["ip", "link", "set", &bridge, "up"]);
        let net = tag % 250;
        // Public hosts at .1…, routers at .101….
        let plug = |wan: &mut Wan, ns: &str, host_octet: usize, label: &str| {
            sh(&["ip", "netns", "add", ns]);
            let (outer, inner) = (format!("kw{tag}{label}o"), format!("kw{tag}{label}i"));
            sh(&["ip", "link", "add", &outer, "type", "veth", "peer", "name", &inner]);
            sh(&["ip", "link", "set", &inner, "netns", ns]);
            sh(&["ip", "link", "set", &outer, "master", &bridge]);
            sh(&["ip", "link", "set", &outer, "up"]);
            wan.uplinks.push(outer);
            let addr = format!("172.31.{net}.{host_octet}/24");
            sh(&["ip", "netns", "exec", ns, "ip", "addr", "add", &addr, "dev", &inner]);
            sh(&["ip", "netns", "exec", ns, "ip", "link", "set", &inner, "up"]);
            sh(&["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"]);
            inner
        };
        for i in 0..public {
            let ns = format!("kw{tag}p{i}");
            plug(&mut wan, &ns, 1 + i, &format!("p{i}"));
            wan.public.push(ns);
        }
        for i in 0..homes {
            let router = format!("kw{tag}r{i}");
            let wan_if = plug(&mut wan, &router, 101 + i, &format!("r{i}"));
            let home = format!("kw{tag}h{i}");
            sh(&["ip", "netns", "add", &home]);
            let (r_lan, h_lan) = (format!("kw{tag}l{i}r"), format!("kw{tag}l{i}h"));
            sh(&["ip", "link", "add", &r_lan, "type", "veth", "peer", "name", &h_lan]);
            sh(&["ip", "link", "set", &r_lan, "netns", &router]);
            sh(&["ip", "link", "set", &h_lan, "netns", &home]);
            let sub = format!("10.{}.{}", 100 + i, net);
            let ex = |ns: &str, args: &[&str]| {
                let mut full = vec!["ip", "netns", "exec", ns];
                full.extend_from_slice(args);
                sh(&full);
            };
            ex(&router, &["ip", "addr", "add", &format!("{sub}.1/24"), "dev", &r_lan]);
            ex(&router, &["ip", "link", "set", &r_lan, "up"]);
            ex(&router, &["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
            let mut nat = vec!["iptables", "-t", "nat", "-A", "POSTROUTING", "-o", &wan_if, "-j", "MASQUERADE"];
            if random_fully {
                nat.push("--random-fully");
            }
            ex(&router, &nat);
            ex(&router, &["iptables", "-A", "FORWARD", "-i", &r_lan, "-j", "ACCEPT"]);
            ex(
                &router,
                &["iptables", "-A", "FORWARD", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"],
            );
            ex(&router, &["iptables", "-P", "FORWARD", "DROP"]);
            // Nor does the router answer unsolicited packets itself (no RST from its own ports:
            // a home router stays silent).
            ex(
                &router,
                &[
                    "iptables",
                    "-A",
                    "INPUT",
                    "-i",
                    &wan_if,
                    "-m",
                    "conntrack",
                    "--ctstate",
                    "ESTABLISHED,RELATED",
                    "-j",
                    "ACCEPT",
                ],
            );
            ex(&router, &["iptables", "-A", "INPUT", "-i", &wan_if, "-j", "DROP"]);
            ex(&home, &["ip", "addr", "add", &format!("{sub}.2/24"), "dev", &h_lan]);
            ex(&home, &["ip", "link", "set", &h_lan, "up"]);
            ex(&home, &["ip", "link", "set", "lo", "up"]);
            ex(&home, &["ip", "route", "add", "default", "via", &format!("{sub}.1")]);
            wan.routers.push(router);
            wan.homes.push(home);
        }
        wan
    }

    /// Puts homes `homes` on one more network of their own (the community house's Wi-Fi:
    /// 192.168.77.0/24, a second interface beside each home's way out through its router).
    /// Answers the bridge side of each home's link there, to cut it.
    pub fn community_wifi(&self, homes: &[usize]) -> Vec<String> {
        let bridge = format!("kwc{}", self.tag);
        sh(&["ip", "link", "add", &bridge, "type", "bridge"]);
        sh(&["ip", "link", "set", &bridge, "up"]);
        let mut links = Vec::new();
        for &i in homes {
            let (outer, inner) = (format!("kw{}c{i}o", self.tag), format!("kw{}c{i}i", self.tag));
            sh(&["ip", "link", "add", &outer, "type", "veth", "peer", "name", &inner]);
            sh(&["ip", "link", "set", &inner, "netns", &self.homes[i]]);
            sh(&["ip", "link", "set", &outer, "master", &bridge]);
            sh(&["ip", "link", "set", &outer, "up"]);
            let ns = &self.homes[i];
            let addr = format!("192.168.77.{}/24", 10 + i);
            sh(&["ip", "netns", "exec", ns, "ip", "addr", "add", &addr, "dev", &inner]);
            sh(&["ip", "netns", "exec", ns, "ip", "link", "set", &inner, "up"]);
            sh(&["ip", "netns", "exec", ns, "ip", "route", "add", "224.0.0.0/4", "dev", &inner]);
            links.push(outer);
        }
        self.extra_bridges.lock().unwrap().push(bridge);
        links
    }

    /// A `kdcd --relay` on public host `i`, listening on TCP 4001 and announcing its public
    /// address (`extra`: more flags). Answers it and its full address (`…/p2p/PEER`).
    pub fn start_relay(&self, i: usize, extra: &[&str]) -> (NsDaemon, String) {
        let external = format!("/ip4/{}/tcp/{RELAY_PORT}", self.public_ip(i));
        let listen = format!("/ip4/0.0.0.0/tcp/{RELAY_PORT}");
        let mut args = vec!["--relay", "--listen", &listen, "--external-address", &external, "--no-mdns"];
        args.extend_from_slice(extra);
        let relay = NsDaemon::start_with(&self.public[i], &format!("relay{i}"), &args);
        let addr = format!("{external}/p2p/{}", relay.peer_id());
        (relay, addr)
    }

    /// The public address of public host `i`.
    pub fn public_ip(&self, i: usize) -> String {
        format!("172.31.{}.{}", self.tag % 250, 1 + i)
    }

    /// Cuts (`up = false`) or restores public host `i`'s link.
    pub fn set_public_link(&self, i: usize, up: bool) {
        sh(&["ip", "link", "set", &self.uplinks[i], if up { "up" } else { "down" }]);
    }
}

impl Drop for Wan {
    fn drop(&mut self) {
        for ns in self.public.iter().chain(&self.routers).chain(&self.homes) {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
        let _ = Command::new("ip").args(["link", "del", &self.bridge]).status();
        for b in self.extra_bridges.get_mut().unwrap().iter() {
            let _ = Command::new("ip").args(["link", "del", b]).status();
        }
    }
}

/// Waits until `cond` holds, checking it after each event of any of `daemons` (their
/// `/v1/events`, read from inside their namespaces) and at least every second.
pub fn wait_on(daemons: &[&NsDaemon], timeout: Duration, cond: impl FnMut() -> bool) -> bool {
    crate::Events::of_daemons(daemons.iter().map(|d| (d.dir.clone(), Some(d.ns.clone()))).collect())
        .wait_until(timeout, cond)
}

/// A `kdcd` inside a namespace, with mDNS on (as users run it), listening on all interfaces.
pub struct NsDaemon {
    pub ns: String,
    pub name: String,
    pub dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    child: Option<Child>,
    /// Arguments besides the data directory, API and name (default: listen on any port).
    pub args: Vec<String>,
}

impl NsDaemon {
    /// Starts a daemon in a new temporary data directory and waits until it answers.
    pub fn start(ns: &str, name: &str) -> NsDaemon {
        let d = NsDaemon::spawn_only(ns, name);
        d.wait_ready();
        d
    }

    /// Starts the daemon without waiting for it (to start several at the same moment); call
    /// [`NsDaemon::wait_ready`] before using it.
    pub fn spawn_only(ns: &str, name: &str) -> NsDaemon {
        NsDaemon::spawn_with(ns, name, &["--listen", "/ip4/0.0.0.0/tcp/0"])
    }

    /// Starts a daemon with these arguments (besides data directory, API and name) and waits.
    pub fn start_with(ns: &str, name: &str, args: &[&str]) -> NsDaemon {
        let d = NsDaemon::spawn_with(ns, name, args);
        d.wait_ready();
        d
    }

    fn spawn_with(ns: &str, name: &str, args: &[&str]) -> NsDaemon {
        let tmp = tempfile::tempdir().unwrap();
        let mut d = NsDaemon {
            ns: ns.into(),
            name: name.into(),
            dir: tmp.path().to_path_buf(),
            _tmp: Some(tmp),
            child: None,
            args: args.iter().map(|a| a.to_string()).collect(),
        };
        d.spawn_process();
        d
    }

    fn spawn(&mut self) {
        self.spawn_process();
        self.wait_ready();
    }

    fn spawn_process(&mut self) {
        let _ = std::fs::remove_file(self.dir.join("api.addr"));
        let child = Command::new("ip")
            .args(["netns", "exec", &self.ns])
            .arg(bin("kdcd"))
            .arg("--data-dir")
            .arg(&self.dir)
            .args(["--api", "127.0.0.1:0", "--name", &self.name])
            .args(&self.args)
            .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        self.child = Some(child);
    }

    /// Waits until the daemon answers.
    pub fn wait_ready(&self) {
        let ok = wait_until(Duration::from_secs(30), || {
            self.dir.join("api.addr").exists() && self.kdc(&["--json", "id"]).0 == 0
        });
        assert!(ok, "kdcd in {} did not start", self.ns);
    }

    /// This daemon's peer id.
    pub fn peer_id(&self) -> String {
        self.json(&["id"])["peer_id"].as_str().expect("peer_id").to_string()
    }

    /// `kdc` inside the namespace: (exit code, stdout, stderr).
    pub fn kdc(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.ns])
            .arg(bin("kdc"))
            .arg("--data-dir")
            .arg(&self.dir)
            .args(args)
            .env("LANG", "C")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into(),
            String::from_utf8_lossy(&out.stderr).into(),
        )
    }

    /// `kdc --json ARGS`, asserting success, parsed.
    pub fn json(&self, args: &[&str]) -> Json {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        let (code, out, err) = self.kdc(&full);
        assert_eq!(code, 0, "{args:?}: {err}");
        serde_json::from_str(&out).unwrap()
    }

    /// Whether this device holds a reservation at one of `area`'s relays.
    pub fn holds_reservation(&self, area: &str) -> bool {
        let (code, out, _) = self.kdc(&["--json", "area", "relay", "list", area]);
        code == 0
            && serde_json::from_str::<Json>(&out)
                .is_ok_and(|l| l.as_array().is_some_and(|l| l.iter().any(|r| r["reserved"] == true)))
    }

    /// How this device is connected to `peer` now (`"direct"`, `"relay"`), if it is.
    pub fn via(&self, peer: &str) -> Option<String> {
        let peers = self.json(&["peers"]);
        let p = peers.as_array()?.iter().find(|p| p["peer_id"] == peer && p["connected"] == true)?;
        p["via"].as_str().map(String::from)
    }

    /// The area's figures, without this device's view of its peers (which differs by device).
    pub fn status(&self, area: &str) -> Option<Json> {
        let (code, out, _) = self.kdc(&["--json", "status", area]);
        (code == 0).then(|| {
            let mut v: Json = serde_json::from_str(&out).unwrap();
            v.as_object_mut().map(|o| o.remove("members_sync"));
            v
        })
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn running(&self) -> bool {
        self.child.is_some()
    }

    /// SIGTERM (graceful) or SIGKILL (no chance to flush), then waits for the exit.
    pub fn stop(&mut self, kill: bool) {
        if let Some(mut c) = self.child.take() {
            let signal = if kill { libc::SIGKILL } else { libc::SIGTERM };
            // SAFETY: signalling our own child (`ip netns exec` execs kdcd, so this is kdcd).
            unsafe { libc::kill(c.id() as libc::pid_t, signal) };
            if wait_with_deadline(&mut c, Duration::from_secs(20)).is_none() {
                let _ = c.kill();
                let _ = c.wait();
                panic!("kdcd in {} did not stop within 20 s of {}", self.ns, if kill { "SIGKILL" } else { "SIGTERM" });
            }
        }
    }

    /// Starts the daemon again on its data directory.
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "still running");
        self.spawn();
    }
}

impl Drop for NsDaemon {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            // SAFETY: as in `stop`.
            unsafe { libc::kill(c.id() as libc::pid_t, libc::SIGTERM) };
            if wait_with_deadline(&mut c, Duration::from_secs(10)).is_none() {
                let _ = c.kill();
            }
        }
    }
}

/// A thread that lives in network namespace `ns` and runs what it is given there: a socket it
/// opens (an HTTP client's, a libp2p swarm's) belongs to that namespace. For measuring from
/// inside several namespaces at once with one clock.
pub struct NsThread {
    tx: std::sync::mpsc::Sender<Box<dyn FnOnce() + Send>>,
}

impl NsThread {
    pub fn new(ns: &str) -> NsThread {
        let (tx, rx) = std::sync::mpsc::channel::<Box<dyn FnOnce() + Send>>();
        let path = format!("/run/netns/{ns}");
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            use std::os::fd::AsRawFd;
            // SAFETY: setns with a namespace file this thread opened; it changes only this thread.
            let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "setns {path}: {}", std::io::Error::last_os_error());
            ready_tx.send(()).unwrap();
            for job in rx {
                job();
            }
        });
        ready_rx.recv().expect("namespace thread started");
        NsThread { tx }
    }

    /// Runs `f` in the namespace; answers at once with a receiver of its result.
    pub fn start<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> std::sync::mpsc::Receiver<T> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.tx
            .send(Box::new(move || {
                let _ = tx.send(f());
            }))
            .expect("namespace thread alive");
        rx
    }

    /// Runs `f` in the namespace and waits for its result.
    pub fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        self.start(f).recv().expect("namespace job finished")
    }
}

/// Strangers at a relay: `n` libp2p devices (relay client only) that each take a reservation at
/// `relay` and then open a circuit to the next one through it, as a crowd of unknown phones
/// would. Runs in the calling thread (put it in an [`NsThread`]); answers the reservations and
/// circuits the relay granted within `within`, and keeps the devices for `hold` before dropping them.
pub fn strangers(relay: &str, n: usize, within: Duration, hold: Duration) -> (usize, usize) {
    use futures::StreamExt;
    use libp2p::multiaddr::Protocol;
    use libp2p::swarm::SwarmEvent;
    use libp2p::{Multiaddr, noise, relay as r, tcp, yamux};
    let relay: Multiaddr = relay.parse().expect("relay address");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async move {
        let mut swarms = Vec::new();
        for _ in 0..n {
            let mut s = libp2p::SwarmBuilder::with_new_identity()
                .with_tokio()
                .with_tcp(tcp::Config::default(), noise::Config::new, yamux::Config::default)
                .unwrap()
                .with_relay_client(noise::Config::new, yamux::Config::default)
                .unwrap()
                .with_behaviour(|_, client| client)
                .unwrap()
                .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(600)))
                .build();
            s.listen_on(relay.clone().with(Protocol::P2pCircuit)).unwrap();
            swarms.push(s);
        }
        let ids: Vec<libp2p::PeerId> = swarms.iter().map(|s| *s.local_peer_id()).collect();
        let (mut reserved, mut circuits) = (0usize, 0usize);
        // Polls every swarm until `stop` says so or the time is up.
        async fn pump(
            swarms: &mut [libp2p::Swarm<r::client::Behaviour>],
            until: tokio::time::Instant,
            mut on: impl FnMut(&SwarmEvent<r::client::Event>) -> bool,
        ) {
            let mut events = futures::stream::select_all(
                swarms.iter_mut().map(|s| futures::stream::poll_fn(move |cx| s.poll_next_unpin(cx)).boxed()),
            );
            while let Ok(Some(event)) = tokio::time::timeout_at(until, events.next()).await {
                if on(&event) {
                    break;
                }
            }
        }
        let accepted = |e: &SwarmEvent<r::client::Event>| {
            matches!(e, SwarmEvent::Behaviour(r::client::Event::ReservationReqAccepted { renewal: false, .. }))
        };
        let opened = |e: &SwarmEvent<r::client::Event>| {
            matches!(e, SwarmEvent::Behaviour(r::client::Event::OutboundCircuitEstablished { .. }))
        };
        pump(&mut swarms, tokio::time::Instant::now() + within, |e| {
            reserved += usize::from(accepted(e));
            reserved >= n
        })
        .await;
        for (i, s) in swarms.iter_mut().enumerate() {
            let target = ids[(i + 1) % n];
            let _ = s.dial(relay.clone().with(Protocol::P2pCircuit).with(Protocol::P2p(target)));
        }
        pump(&mut swarms, tokio::time::Instant::now() + within, |e| {
            circuits += usize::from(opened(e));
            circuits >= n
        })
        .await;
        pump(&mut swarms, tokio::time::Instant::now() + hold, |_| false).await;
        (reserved, circuits)
    })
}
