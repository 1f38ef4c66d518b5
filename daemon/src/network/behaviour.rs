//! The libp2p side of the network task: transport, behaviours, and their settings.
//!
//! Transport: TCP + Noise + Yamux. Behaviours: a block list fed from the area rosters
//! (peers removed from an area and active in none), connection limits, identify, ping, mDNS
//! (tuned to find a peer in a meeting room within seconds), libp2p-stream carrying the sync
//! streams `/kdc/sync-stream/1` ([`super::link`]), and request-response carrying invite
//! redemptions `/kdc/join/1` ([`super::codec`]).
//!
//! Beyond the LAN: the relay client (circuit relay v2) keeps a reservation on one of the areas'
//! relays and dials members through it; DCUtR then punches a direct connection through both
//! NATs (TCP with port reuse: the relay and the hole-punching dials leave from the listening
//! port). With `--relay` the device also serves as a relay, with limits that fit sync
//! ([`relay_config`]).

use std::time::Duration;

use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::NetworkBehaviour;
use libp2p::swarm::behaviour::toggle::Toggle;
use std::num::NonZeroU32;

use libp2p::Transport as _;
use libp2p::{Swarm, allow_block_list, connection_limits, dcutr, identify, mdns, noise, ping, relay, tcp, yamux};

use super::NetError;
use super::codec;
use super::swarm::NetConfig;

/// mDNS query interval: a phone joining the community-house Wi-Fi is found within seconds.
pub const MDNS_QUERY_INTERVAL: Duration = Duration::from_secs(2);
/// Ping every so often on every connection: a dead link (Wi-Fi gone, peer restarted behind a
/// cut) is found in seconds instead of after TCP's retransmission backoff (see
/// [`super::peers::DEAD_AFTER`]).
const PING_INTERVAL: Duration = Duration::from_secs(2);
const PING_TIMEOUT: Duration = Duration::from_secs(3);
/// A dial (TCP, Noise, Yamux) that has not made a connection by then fails, so the next one
/// starts: a SYN sent into a cut link otherwise waits out TCP's retransmissions (1, 3, 7, 15 s…)
/// and the link, once back, is used only when that SYN is retried. (libp2p's default: 10 s.)
const CONNECT_TIMEOUT: Duration = Duration::from_secs(4);

#[derive(NetworkBehaviour)]
pub(super) struct Behaviour {
    pub blocked: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
    pub limits: connection_limits::Behaviour,
    pub identify: identify::Behaviour,
    pub ping: ping::Behaviour,
    pub mdns: Toggle<mdns::tokio::Behaviour>,
    pub streams: libp2p_stream::Behaviour,
    pub join: request_response::Behaviour<codec::Codec>,
    /// Release archives a device offers and a teammate fetches (`super::update`).
    pub update: request_response::Behaviour<super::update::UpdateCodec>,
    pub relay_client: relay::client::Behaviour,
    pub dcutr: dcutr::Behaviour,
    pub relay: Toggle<relay::Behaviour>,
}

/// Tunes a TCP connection for a Wi-Fi that loses packets: linear retransmission timeouts while
/// few segments are in flight (`TCP_THIN_LINEAR_TIMEOUTS`, Linux and Android).
///
/// Sync traffic is thin: a few small frames, then quiet. When such a segment or its ACK is lost,
/// nothing follows it to trigger a fast retransmission, so TCP waits out its retransmission
/// timeout, doubling it on every further loss: on a link losing 30 % of packets each way a
/// segment gets through (with its ACK) only one try in two, and five failures in a row (3 %)
/// cost 0.2 + 0.4 + … + 3.2 = 6.2 s, long enough for the pings to go unanswered and the
/// connection to be closed as dead ([`super::peers::DEAD_AFTER`]), then dialled again and
/// synced from the start. With linear timeouts the first six retries each wait one timeout
/// (about 0.2 s on a LAN): the same five failures cost about 1 s.
fn tune_tcp(stream: &tcp::tokio::TcpStream) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Err(e) = socket2::SockRef::from(&stream.0).set_tcp_thin_linear_timeouts(true) {
        tracing::debug!(error = %e, "TCP_THIN_LINEAR_TIMEOUTS not set");
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = stream;
}

/// A relay's limits, sized for sync rather than the crate's defaults (2 minutes and 128 KiB per
/// circuit would cut a first sync): a circuit lives for hours and carries a 3,000-household
/// first sync many times over; totals, per-peer caps and rate limits keep strangers bounded
/// (a reservation costs the relay a few hundred bytes; a circuit two buffers).
///
/// `allow`, when not empty: the only devices served (a relay for one ward's teams); others are
/// refused reservations and circuits.
pub fn relay_config(allow: &[libp2p::PeerId]) -> relay::Config {
    let n = |v: u32| NonZeroU32::new(v).expect("non-zero");
    let mut config = relay::Config {
        max_reservations: 1024,
        max_reservations_per_peer: 4,
        reservation_duration: Duration::from_secs(3600),
        max_circuits: 512,
        max_circuits_per_peer: 32,
        max_circuit_duration: Duration::from_secs(6 * 3600),
        max_circuit_bytes: 1 << 30,
        // Replaced below: the crate's per-IP limits (60 an hour) would turn away phones behind
        // one carrier-grade NAT.
        reservation_rate_limiters: Vec::new(),
        circuit_src_rate_limiters: Vec::new(),
    }
    // A reservation is renewed about every 45 minutes; a phone that reconnects may ask again.
    .reservation_rate_per_peer(n(30), Duration::from_secs(10))
    // Phones behind one carrier-grade NAT share an address.
    .reservation_rate_per_ip(n(240), Duration::from_secs(1))
    // A device dials each member it cannot reach at most every 15 s to 2 min (see `swarm`).
    .circuit_src_per_peer(n(60), Duration::from_secs(5))
    .circuit_src_per_ip(n(240), Duration::from_secs(1));
    if !allow.is_empty() {
        let only = |allow: Vec<libp2p::PeerId>| -> Box<dyn relay::RateLimiter> {
            Box::new(move |peer: libp2p::PeerId, _: &libp2p::Multiaddr, _: std::time::Instant| allow.contains(&peer))
        };
        config.reservation_rate_limiters.push(only(allow.to_vec()));
        config.circuit_src_rate_limiters.push(only(allow.to_vec()));
    }
    config
}

/// Builds the swarm and starts listening. Fails when a `--listen` address cannot be bound.
pub(super) fn build_swarm(config: &NetConfig) -> Result<Swarm<Behaviour>, NetError> {
    let local = config.keypair.public().to_peer_id();
    let mut swarm = libp2p::SwarmBuilder::with_existing_identity(config.keypair.clone())
        .with_tokio()
        // What `with_tcp` builds, with every TCP connection tuned for a lossy Wi-Fi first.
        .with_other_transport(|key| {
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(
                tcp::tokio::Transport::new(tcp::Config::default().nodelay(true))
                    .map(|stream, _| {
                        tune_tcp(&stream);
                        stream
                    })
                    .upgrade(libp2p::core::upgrade::Version::V1Lazy)
                    .authenticate(noise::Config::new(key)?)
                    .multiplex(yamux::Config::default()),
            )
        })
        .map_err(|e| NetError::Unreachable(format!("transport: {e}")))?
        .with_relay_client(noise::Config::new, yamux::Config::default)
        .map_err(|e| NetError::Unreachable(format!("relay transport: {e}")))?
        .with_behaviour(|key, relay_client| {
            let mdns = if config.mdns {
                let cfg = mdns::Config {
                    ttl: Duration::from_secs(60),
                    query_interval: MDNS_QUERY_INTERVAL,
                    ..mdns::Config::default()
                };
                match mdns::tokio::Behaviour::new(cfg, local) {
                    Ok(m) => Some(m),
                    Err(e) => {
                        tracing::warn!(error = %e, "mDNS is not available; only explicit peers will be found");
                        None
                    }
                }
            } else {
                None
            };
            Behaviour {
                blocked: allow_block_list::Behaviour::default(),
                limits: connection_limits::Behaviour::new(
                    connection_limits::ConnectionLimits::default()
                        .with_max_established(Some(if config.relay { 2048 } else { 128 }))
                        .with_max_established_per_peer(Some(4))
                        .with_max_pending_incoming(Some(if config.relay { 128 } else { 32 })),
                ),
                identify: identify::Behaviour::new(
                    identify::Config::new("/kdc/1".into(), key.public()).with_agent_version(format!(
                        "kdcd/{} ({})",
                        crate::update::current(),
                        config.name
                    )),
                ),
                ping: ping::Behaviour::new(ping::Config::new().with_interval(PING_INTERVAL).with_timeout(PING_TIMEOUT)),
                mdns: Toggle::from(mdns),
                streams: libp2p_stream::Behaviour::new(),
                join: request_response::Behaviour::new(
                    [(codec::JOIN_PROTOCOL, ProtocolSupport::Full)],
                    request_response::Config::default().with_request_timeout(Duration::from_secs(60)),
                ),
                update: request_response::Behaviour::new(
                    [(super::update::UPDATE_PROTOCOL, ProtocolSupport::Full)],
                    request_response::Config::default().with_request_timeout(Duration::from_secs(30)),
                ),
                relay_client,
                dcutr: dcutr::Behaviour::new(local),
                relay: Toggle::from(config.relay.then(|| {
                    let mut r = relay::Behaviour::new(local, relay_config(&config.relay_allow));
                    // Serve even before an external address is known (`--external-address` makes
                    // the reservations it hands out useful to others).
                    r.set_status(Some(relay::Status::Enable));
                    r
                })),
            }
        })
        .map_err(|e| NetError::Unreachable(format!("behaviour: {e}")))?
        // Members stay connected between edits so a change goes out at once.
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(3600)))
        .with_connection_timeout(CONNECT_TIMEOUT)
        .build();
    for addr in &config.external {
        swarm.add_external_address(addr.clone());
    }
    for addr in &config.listen {
        swarm.listen_on(addr.clone()).map_err(|e| NetError::Refused(format!("cannot listen on {addr}: {e}")))?;
    }
    Ok(swarm)
}

#[cfg(all(test, any(target_os = "linux", target_os = "android")))]
mod tests {
    /// Sync connections retransmit lost segments on linear timeouts (see [`super::tune_tcp`]).
    #[tokio::test]
    async fn tcp_connections_retransmit_on_linear_timeouts() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let stream = tokio::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let stream = libp2p::tcp::tokio::TcpStream(stream);
        assert!(!socket2::SockRef::from(&stream.0).tcp_thin_linear_timeouts().unwrap());
        super::tune_tcp(&stream);
        assert!(socket2::SockRef::from(&stream.0).tcp_thin_linear_timeouts().unwrap());
    }
}
