//! `GET /v1/doctor[?area=AREA]` (`kdc doctor`): a connectivity check for the volunteer who says
//! "it doesn't sync". What this device listens on, whether mDNS runs and has seen anyone, and
//! for each member of the area (or of every area): connected, last seen, whether one of its
//! known addresses accepts a TCP connection now; then plain advice in Vietnamese and English.
//!
//! The diagnosis itself ([`advise`]) is a pure function of what was observed, so every rule is
//! tested without a network.

use std::time::Duration;

use libp2p::Multiaddr;
use libp2p::multiaddr::Protocol;

use crdt_model::Lang;
use kdc_text::both;

use super::{ApiResult, AppState};
use crate::network::PeerInfo;
#[cfg(test)]
use crate::network::relays::RelayInfo;
pub use kdc_api::types::{Advice, Doctor, MemberCheck, RelayCheck};

/// How long a reachability probe waits for a TCP connection.
const PROBE_TIMEOUT: Duration = Duration::from_millis(1500);
/// A change stamped this far after this device's clock means some clock is off.
const CLOCK_SKEW_MS: i64 = 10 * 60 * 1000;

/// What [`advise`] looks at, per area: this device's own roster entry and the newest change time.
#[derive(Debug, Clone, Default)]
pub struct AreaFacts {
    pub area: String,
    /// This device is an active member.
    pub active_here: bool,
    /// Newest household write (unix ms), by whatever device's clock.
    pub newest_write_ms: Option<i64>,
}

impl AppState {
    pub async fn doctor(&self, only: Option<String>) -> ApiResult<Doctor> {
        let me = self.node.peer_id().to_string();
        let areas: Vec<String> = match only {
            // An unknown area is not found (exit 4) when it is read below.
            Some(a) => vec![a],
            None => self.node.list_areas().await?.into_iter().map(|s| s.id).collect(),
        };
        let peers = self.peers().await?;
        let mdns = match &self.net {
            Some(net) => net.mdns_running().await.unwrap_or(false),
            None => false,
        };
        // Every address others may reach this device at, asked once: listening, external, relayed.
        let addrs = self.listen_addrs().await;
        let listen: Vec<String> = addrs.iter().filter(|a| !is_loopback(a)).map(ToString::to_string).collect();

        let mut members = Vec::new();
        let mut relays = Vec::new();
        let mut facts = Vec::new();
        let mut erasures = Vec::new();
        let mut behind = Vec::new();
        for area in &areas {
            let (roster, newest, erasure, requires) = self
                .node
                .with_area(area.clone(), |a| {
                    Ok((
                        a.members(),
                        a.households().iter().filter_map(|h| h.updated_at).max(),
                        a.erasure_status(),
                        a.requires(),
                    ))
                })
                .await?;
            erasures.push(erasure);
            relays.extend(
                self.relays(area.clone()).await?.into_iter().map(|relay| RelayCheck { area: area.clone(), relay }),
            );
            facts.push(AreaFacts {
                area: area.clone(),
                active_here: roster.iter().any(|m| m.peer_id == me && !m.removed),
                newest_write_ms: newest,
            });
            for m in roster {
                let info = peers.iter().find(|p| p.peer_id == m.peer_id);
                let addrs: Vec<String> = info.map(|p| p.addrs.clone()).unwrap_or_default();
                let version = info.and_then(|p| p.version.clone());
                let announced = version.as_deref().and_then(|v| semver::Version::parse(v).ok());
                let is_behind =
                    m.peer_id != me && !m.removed && announced.as_ref().is_some_and(|v| !requires.readable_by(v));
                if let (true, Some(v)) = (is_behind, &announced) {
                    behind.push(behind_advice(area, &m.name, v, &requires));
                }
                members.push(MemberCheck {
                    version,
                    behind: is_behind,
                    area: area.clone(),
                    this_device: m.peer_id == me,
                    connected: info.is_some_and(|p| p.connected),
                    last_seen: info.and_then(|p| p.last_seen.clone()),
                    last_refusal: info.and_then(|p| p.last_refusal.clone()),
                    reachable: None,
                    via: info.and_then(|p| p.via.clone()),
                    hole_punch: info.and_then(|p| p.hole_punch.clone()),
                    addrs,
                    peer_id: m.peer_id,
                    name: m.name,
                    role: m.role,
                    removed: m.removed,
                });
            }
        }
        // Probe every other active member's addresses at once.
        let probes = members.iter().map(|m| {
            let addrs = m.addrs.clone();
            let skip = m.this_device || m.removed || m.connected;
            async move { if skip || addrs.is_empty() { None } else { Some(reachable(&addrs).await) } }
        });
        let results = futures::future::join_all(probes).await;
        for (m, r) in members.iter_mut().zip(results) {
            m.reachable = if m.connected { Some(true) } else { r };
        }
        let mdns_peers_seen = peers.iter().filter(|p| p.mdns_seen.is_some()).count();
        let now_ms = crate::node::now_ms();
        let termux = on_termux();
        let outside = if addrs.iter().any(is_public) {
            "public"
        } else if relays.iter().any(|r| r.relay.reserved) {
            "relay"
        } else {
            "no"
        };
        let mut advice = advise(mdns, mdns_peers_seen, &listen, &members, &facts, &peers, now_ms);
        let beyond = relay_advice(&relays, &members, outside);
        if beyond.iter().any(|a| a.code != "relayed") {
            advice.retain(|a| a.code != "ok");
        }
        advice.extend(beyond);
        advice.extend(device_advice(termux));
        advice.extend(erasures.iter().flat_map(erasure_advice));
        if !behind.is_empty() {
            advice.retain(|a| a.code != "ok");
            advice.extend(behind);
        }
        Ok(Doctor {
            peer_id: me,
            listen,
            mdns,
            mdns_peers_seen,
            termux,
            now: crdt_model::area::rfc3339(now_ms),
            members,
            relays,
            outside: outside.to_string(),
            advice,
        })
    }
}

/// An address on the public internet (not loopback, private, carrier-grade NAT or link-local),
/// not through a relay.
fn is_public(addr: &Multiaddr) -> bool {
    !crate::addrs::is_relayed(addr)
        && addr.iter().any(|p| match p {
            Protocol::Ip4(ip) => {
                let o = ip.octets();
                !(ip.is_loopback()
                    || ip.is_private()
                    || ip.is_link_local()
                    || ip.is_unspecified()
                    || (o[0] == 100 && (64..128).contains(&o[1])))
            }
            Protocol::Ip6(ip) => !(ip.is_loopback() || ip.is_unspecified() || (ip.segments()[0] & 0xfe00) == 0xfc00),
            Protocol::Dns(_) | Protocol::Dns4(_) | Protocol::Dns6(_) => true,
            _ => false,
        })
}

/// The advice about relays and connections beyond the LAN. Pure.
pub fn relay_advice(relays: &[RelayCheck], members: &[MemberCheck], outside: &str) -> Vec<Advice> {
    let mut out = Vec::new();
    for r in relays {
        let relay = r.relay.addr.rsplit_once("/p2p/").map_or(r.relay.addr.as_str(), |(a, _)| a);
        let area = r.area.as_str();
        match (r.relay.reachable, &r.relay.error, r.relay.reserved) {
            (Some(false), _, _) => {
                out.push(advice("relay_unreachable", both!("doctor-relay-unreachable", relay = relay, area = area)))
            }
            (_, Some(e), false) => out.push(advice(
                "relay_refused",
                both!("doctor-relay-refused", relay = relay, area = area, error = e.as_str()),
            )),
            _ => {}
        }
    }
    if !relays.is_empty() && !relays.iter().any(|r| r.relay.reserved) && outside == "no" {
        out.push(advice("no_reservation", both!("doctor-no-reservation")));
    }
    let apart = members.iter().any(|m| !m.this_device && !m.removed && !m.connected);
    let areas_without: std::collections::BTreeSet<&str> = members
        .iter()
        .filter(|m| !m.this_device && !m.removed && !m.connected)
        .map(|m| m.area.as_str())
        .filter(|a| !relays.iter().any(|r| r.area == *a))
        .collect();
    if apart {
        for area in areas_without {
            out.push(advice_to("no_relay", |surface| both!("doctor-no-relay", area = area, surface = surface)));
        }
    }
    for m in members.iter().filter(|m| m.connected && m.via.as_deref() == Some("relay")) {
        let who = if m.name.is_empty() { short(&m.peer_id) } else { m.name.clone() };
        let direct = if m.hole_punch.as_deref().is_some_and(|h| h != "ok") { "failed" } else { "untried" };
        out.push(advice("relayed", both!("doctor-relayed", who = who, area = m.area.as_str(), direct = direct)));
    }
    out
}

fn is_loopback(addr: &Multiaddr) -> bool {
    addr.iter().any(|p| match p {
        Protocol::Ip4(ip) => ip.is_loopback(),
        Protocol::Ip6(ip) => ip.is_loopback(),
        _ => false,
    })
}

/// Whether a TCP connection to one of `addrs` (multiaddrs) opens within the probe timeout.
async fn reachable(addrs: &[String]) -> bool {
    let targets: Vec<std::net::SocketAddr> = addrs
        .iter()
        .filter_map(|a| a.parse::<Multiaddr>().ok())
        .filter_map(|a| {
            let mut ip = None;
            let mut port = None;
            for p in a.iter() {
                match p {
                    Protocol::Ip4(v) => ip = Some(std::net::IpAddr::V4(v)),
                    Protocol::Ip6(v) => ip = Some(std::net::IpAddr::V6(v)),
                    Protocol::Tcp(p) => port = Some(p),
                    _ => {}
                }
            }
            Some(std::net::SocketAddr::new(ip?, port?))
        })
        .collect();
    let tries = targets.into_iter().map(|t| async move {
        matches!(tokio::time::timeout(PROBE_TIMEOUT, tokio::net::TcpStream::connect(t)).await, Ok(Ok(_)))
    });
    futures::future::join_all(tries).await.into_iter().any(|ok| ok)
}

/// After an erasure: removed devices that may still hold what was erased (a lost phone), and
/// members whose devices have not adopted the new epoch yet.
pub fn erasure_advice(s: &crdt_model::epoch::ErasureStatus) -> Vec<Advice> {
    let mut out = Vec::new();
    for m in &s.removed_behind {
        out.push(advice(
            "erased-data-on-removed-device",
            both!(
                "doctor-erased-data-on-removed-device",
                area = s.area.as_str(),
                name = m.name.as_str(),
                peer = m.peer_id.as_str(),
                held = m.epoch.to_string(),
                epoch = s.epoch.to_string()
            ),
        ));
    }
    let pending: Vec<&str> = s.members.iter().filter(|m| !m.adopted).map(|m| m.name.as_str()).collect();
    if !pending.is_empty() {
        out.push(advice(
            "erasure-pending",
            both!(
                "doctor-erasure-pending",
                area = s.area.as_str(),
                names = pending.join(", "),
                epoch = s.epoch.to_string()
            ),
        ));
    }
    out
}

/// A member whose release cannot read the area as it is now.
pub fn behind_advice(
    area: &str,
    name: &str,
    version: &semver::Version,
    requires: &crdt_model::compat::Requirement,
) -> Advice {
    use crdt_model::compat::Feature;
    let missing = requires.missing_for(version);
    let why = |lang| {
        let words: Vec<&str> = missing
            .iter()
            .map(|f| match f {
                Feature::Relays => kdc_text::t!(lang, "feature-relays"),
                Feature::MaxDeclined => kdc_text::t!(lang, "feature-max-declined"),
            })
            .collect();
        words.join(", ")
    };
    let (vi, en) = (why(Lang::Vi), why(Lang::En));
    let text = |lang, why: String| {
        kdc_text::t!(
            lang,
            "doctor-member-behind",
            area = area,
            name = name,
            version = version.to_string(),
            need = requires.release.to_string(),
            why = why,
            reasons = missing.len()
        )
    };
    Advice { code: "member-behind".into(), vi: text(Lang::Vi, vi), en: text(Lang::En, en), web: None }
}

fn advice(code: &str, (vi, en): (String, String)) -> Advice {
    Advice { code: code.into(), vi, en, web: None }
}

/// Advice whose words name a place to go: a `kdc` command for `kdc doctor` (`surface = "cli"`),
/// the app's own page for the web app (`"web"`).
fn advice_to(code: &str, words: impl Fn(&str) -> (String, String)) -> Advice {
    let (vi, en) = words("cli");
    Advice { code: code.into(), vi, en, web: Some(words("web")) }
}

/// The advice for what was observed. Pure, so each rule is tested on its own.
pub fn advise(
    mdns: bool,
    mdns_peers_seen: usize,
    listen: &[String],
    members: &[MemberCheck],
    areas: &[AreaFacts],
    peers: &[PeerInfo],
    now_ms: i64,
) -> Vec<Advice> {
    let mut out = Vec::new();
    if listen.is_empty() {
        out.push(advice("no_network", both!("doctor-no-network")));
    }
    for a in areas.iter().filter(|a| !a.active_here) {
        out.push(advice("removed_here", both!("doctor-removed-here", area = a.area.as_str())));
    }
    let others: Vec<&MemberCheck> = members.iter().filter(|m| !m.this_device && !m.removed).collect();
    let apart: Vec<&&MemberCheck> = others.iter().filter(|m| !m.connected).collect();
    if !mdns {
        out.push(advice_to("mdns_off", |surface| both!("doctor-mdns-off", surface = surface)));
    } else if mdns_peers_seen == 0 && !apart.is_empty() {
        out.push(advice_to("mdns_silent", |surface| both!("doctor-mdns-silent", surface = surface)));
    }
    for m in &apart {
        let who = if m.name.is_empty() { m.peer_id.clone() } else { format!("{} ({})", m.name, short(&m.peer_id)) };
        let area = m.area.as_str();
        out.push(match m.reachable {
            None => advice_to("never_seen", |surface| {
                both!("doctor-never-seen", who = who.as_str(), area = area, surface = surface)
            }),
            Some(false) => advice("unreachable", both!("doctor-unreachable", who = who, area = area)),
            Some(true) => {
                advice("reachable_not_syncing", both!("doctor-reachable-not-syncing", who = who, area = area))
            }
        });
    }
    for p in peers {
        if let Some(r) = &p.last_refusal {
            let who = p.name.clone().unwrap_or_else(|| short(&p.peer_id));
            out.push(advice(
                "refused",
                both!("doctor-refused", who = who, area = r.area.as_str(), reason = r.reason.as_str()),
            ));
        }
    }
    for a in areas {
        if let Some(t) = a.newest_write_ms.filter(|t| *t > now_ms + CLOCK_SKEW_MS) {
            let minutes = (t - now_ms) / 60_000;
            out.push(advice("clock", both!("doctor-clock", area = a.area.as_str(), minutes = minutes)));
        }
    }
    if out.is_empty() {
        let all = others.len();
        out.push(advice("ok", both!("doctor-ok", all = all)));
    }
    out
}

/// Whether this process runs under Termux on Android: the Termux shell sets `TERMUX_VERSION`,
/// and a script started by Termux:Boot at least runs with Termux's `PREFIX`.
fn on_termux() -> bool {
    std::env::var_os("TERMUX_VERSION").is_some()
        || std::env::var("PREFIX").is_ok_and(|p| p.starts_with("/data/data/com.termux/"))
}

/// Advice about the device itself, whatever the network shows: on Android (Termux) mDNS
/// usually fails, since Termux cannot hold Android's multicast lock, and Android stops a
/// background Termux unless it holds a wake lock and is spared battery optimisation.
pub fn device_advice(termux: bool) -> Option<Advice> {
    termux.then(|| advice_to("termux", |surface| both!("doctor-termux", surface = surface)))
}

fn short(peer: &str) -> String {
    let n = peer.chars().count();
    peer.chars().skip(n.saturating_sub(8)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(peer: &str, connected: bool, reachable: Option<bool>) -> MemberCheck {
        MemberCheck {
            area: "khu-1".into(),
            peer_id: peer.into(),
            name: format!("máy {peer}"),
            role: "member".into(),
            removed: false,
            this_device: peer == "me",
            connected,
            last_seen: None,
            addrs: Vec::new(),
            reachable,
            last_refusal: None,
            via: None,
            hole_punch: None,
            version: None,
            behind: false,
        }
    }

    #[test]
    fn the_web_app_names_its_own_places_where_kdc_doctor_names_commands() {
        let listen = vec!["/ip4/192.168.1.5/tcp/4001".to_string()];
        let members = vec![member("me", true, None), member("a", false, None)];
        let mut all = advise(false, 0, &listen, &members, &[], &[], 0);
        all.extend(advise(true, 0, &listen, &members, &[], &[], 0));
        all.extend(relay_advice(&[], &members, "no"));
        all.extend(device_advice(true));
        let codes: Vec<&str> = all.iter().map(|a| a.code.as_str()).collect();
        for code in ["mdns_off", "mdns_silent", "never_seen", "no_relay", "termux"] {
            assert!(codes.contains(&code), "{code} not given: {codes:?}");
        }
        for a in all.iter().filter(|a| a.code != "ok") {
            let (vi, en) = a.web.as_ref().unwrap_or_else(|| panic!("{}: no words for the web app", a.code));
            for text in [vi, en] {
                assert!(!text.contains("kdc ") && !text.contains("kdcd") && !text.contains('`'), "{}: {text}", a.code);
            }
            if a.code != "termux" {
                assert!(
                    a.vi.contains("kdc") && a.en.contains("kdc"),
                    "{}: kdc doctor names the command: {a:?}",
                    a.code
                );
            }
        }
    }

    #[test]
    fn a_member_on_an_older_release_is_named_with_what_to_do() {
        let requires = crdt_model::compat::Requirement {
            release: semver::Version::new(0, 2, 0),
            features: vec![crdt_model::compat::Feature::Relays],
        };
        let a = behind_advice("khu-1", "Lan", &semver::Version::new(0, 1, 0), &requires);
        assert_eq!(a.code, "member-behind");
        assert!(a.vi.contains("máy của Lan dùng bản 0.1.0") && a.vi.contains("0.2.0"), "{}", a.vi);
        assert!(a.vi.contains("máy chuyển tiếp"), "{}", a.vi);
        assert!(a.en.contains("Lan's device runs 0.1.0") && a.en.contains("relays"), "{}", a.en);
    }

    fn facts() -> Vec<AreaFacts> {
        vec![AreaFacts { area: "khu-1".into(), active_here: true, newest_write_ms: Some(1_000) }]
    }

    fn codes(a: &[Advice]) -> Vec<&str> {
        a.iter().map(|a| a.code.as_str()).collect()
    }

    #[test]
    fn all_connected_is_all_well() {
        let m = [member("me", false, None), member("b", true, Some(true))];
        let a = advise(true, 1, &["/ip4/10.0.0.2/tcp/1".into()], &m, &facts(), &[], 2_000);
        assert_eq!(codes(&a), ["ok"]);
        assert!(a[0].en.contains("1 of 1"), "{a:?}");
    }

    #[test]
    fn each_problem_has_its_advice() {
        let listen = ["/ip4/10.0.0.2/tcp/1".to_string()];
        let m = [
            member("me", false, None),
            member("b", false, None),
            member("c", false, Some(false)),
            member("d", false, Some(true)),
        ];
        let a = advise(true, 0, &listen, &m, &facts(), &[], 2_000);
        assert_eq!(codes(&a), ["mdns_silent", "never_seen", "unreachable", "reachable_not_syncing"]);
        assert!(a[0].vi.contains("multicast") && a[0].en.contains("client"), "{a:?}");
        let a = advise(false, 0, &[], &m[..1], &facts(), &[], 2_000);
        assert_eq!(codes(&a), ["no_network", "mdns_off"]);
        let gone = [AreaFacts { area: "khu-1".into(), active_here: false, newest_write_ms: Some(30 * 60_000) }];
        let a = advise(true, 1, &listen, &m[..1], &gone, &[], 0);
        assert_eq!(codes(&a), ["removed_here", "clock"]);
        assert!(a[1].en.contains("30 minutes"), "{a:?}");
    }

    #[test]
    fn relays_and_relayed_members_get_their_words() {
        let relay = |reachable, reserved, error: Option<&str>| RelayCheck {
            area: "khu-1".into(),
            relay: RelayInfo {
                addr: "/ip4/203.0.113.7/tcp/4001/p2p/12D3KooWRelay".into(),
                reachable,
                reserved,
                error: error.map(String::from),
            },
        };
        let mut b = member("b", true, Some(true));
        b.via = Some("relay".into());
        b.hole_punch = Some("Giving up after 3 dial attempts".into());
        let m = [member("me", false, None), b.clone()];
        let a = relay_advice(&[relay(Some(true), true, None)], &m, "relay");
        assert_eq!(codes(&a), ["relayed"]);
        assert!(a[0].vi.contains("qua máy chuyển tiếp") && a[0].vi.contains("không nối thẳng"), "{a:?}");
        let a = relay_advice(&[relay(Some(false), false, None)], &m, "no");
        assert_eq!(codes(&a), ["relay_unreachable", "no_reservation", "relayed"]);
        assert!(a[0].vi.contains("/ip4/203.0.113.7/tcp/4001") && !a[0].vi.contains("12D3KooWRelay"), "{a:?}");
        let a = relay_advice(&[relay(Some(true), false, Some("resource limit exceeded"))], &m[..1], "public");
        assert_eq!(codes(&a), ["relay_refused"]);
        assert!(a[0].en.contains("resource limit exceeded"), "{a:?}");
        // A member apart in an area with no relay: the head is told what to add.
        let c = member("c", false, Some(false));
        let a = relay_advice(&[], &[member("me", false, None), c], "no");
        assert_eq!(codes(&a), ["no_relay"]);
        assert!(a[0].en.contains("kdc area relay add"), "{a:?}");
        assert!(is_public(&"/ip4/203.0.113.7/tcp/1".parse().unwrap()));
        for private in
            ["/ip4/10.1.2.3/tcp/1", "/ip4/100.64.1.2/tcp/1", "/ip4/192.168.1.2/tcp/1", "/ip4/127.0.0.1/tcp/1"]
        {
            assert!(!is_public(&private.parse().unwrap()), "{private}");
        }
    }

    #[test]
    fn termux_is_told_about_mdns_and_the_wake_lock() {
        assert_eq!(device_advice(false), None);
        let a = device_advice(true).unwrap();
        assert_eq!(a.code, "termux");
        assert!(a.vi.contains("mã mời") && a.vi.contains("termux-wake-lock"), "{a:?}");
        assert!(a.en.contains("invite") && a.en.contains("battery optimisation"), "{a:?}");
    }
}
