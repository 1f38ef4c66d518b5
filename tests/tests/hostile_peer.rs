//! A peer that sends garbage, oversized frames and undecodable sync messages: the daemon logs,
//! drops and resets that peer's session; it does not crash and its data does not change.

use std::time::Duration;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, StreamExt};
use kdc_tests::Daemon;
use libp2p::request_response::{self, OutboundRequestId, ProtocolSupport};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, StreamProtocol, noise, tcp, yamux};

const AREA: &str = "khu-1";
const PROTOCOL: StreamProtocol = StreamProtocol::new("/kdc/sync/1");

/// Writes requests byte for byte (no framing of ours), reads whatever comes back.
#[derive(Clone, Default)]
struct Raw;

impl request_response::Codec for Raw {
    type Protocol = StreamProtocol;
    type Request = Vec<u8>;
    type Response = Vec<u8>;

    async fn read_request<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> std::io::Result<Vec<u8>> {
        let mut buf = Vec::new();
        io.take(1 << 20).read_to_end(&mut buf).await?;
        Ok(buf)
    }
    async fn read_response<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> std::io::Result<Vec<u8>> {
        let mut buf = Vec::new();
        io.take(1 << 20).read_to_end(&mut buf).await?;
        Ok(buf)
    }
    async fn write_request<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: Vec<u8>,
    ) -> std::io::Result<()> {
        io.write_all(&req).await?;
        io.close().await
    }
    async fn write_response<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: Vec<u8>,
    ) -> std::io::Result<()> {
        io.write_all(&res).await?;
        io.close().await
    }
}

fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = (payload.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(payload);
    out
}

fn sync_request(area: &str, message: &[u8]) -> Vec<u8> {
    let mut payload = vec![1, area.len() as u8];
    payload.extend_from_slice(area.as_bytes());
    payload.extend_from_slice(message);
    frame(&payload)
}

#[test]
fn garbage_and_oversized_frames_do_not_hurt_the_daemon() {
    let a = Daemon::start();
    a.kdc(&["area", "create", AREA, "--name", "Khu 1", "--ward", "P1"]).ok();
    a.kdc(&["household", "add", AREA, "T1-001", "members=3", "internet=yes"]).ok();
    // What must not change (this device's view of its peers aside).
    let data = |d: &Daemon| {
        let mut s = d.json(&["status", AREA]);
        s.as_object_mut().map(|o| o.remove("members_sync"));
        (s, d.json(&["household", "list", AREA, "--archived"]), d.json(&["conflicts", AREA]))
    };
    let before = data(&a);
    let addr: Multiaddr = a.dial_addr().parse().unwrap();

    let rt = tokio::runtime::Runtime::new().unwrap();
    let outcomes = rt.block_on(async {
        let mut swarm = libp2p::SwarmBuilder::with_new_identity()
            .with_tokio()
            .with_tcp(tcp::Config::default(), noise::Config::new, yamux::Config::default)
            .unwrap()
            .with_behaviour(|_| {
                request_response::Behaviour::<Raw>::new(
                    [(PROTOCOL, ProtocolSupport::Full)],
                    request_response::Config::default().with_request_timeout(Duration::from_secs(10)),
                )
            })
            .unwrap()
            .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(60)))
            .build();
        let me = *swarm.local_peer_id();
        // Make the hostile peer a member, so its sync messages reach the document code too.
        a.kdc(&["member", "add", AREA, &me.to_string(), "--name", "Hostile"]).ok();
        swarm.dial(addr.clone()).unwrap();
        let peer = loop {
            match tokio::time::timeout(Duration::from_secs(20), swarm.select_next_some()).await.expect("connect") {
                SwarmEvent::ConnectionEstablished { peer_id, .. } => break peer_id,
                SwarmEvent::OutgoingConnectionError { error, .. } => panic!("dial failed: {error}"),
                _ => {}
            }
        };
        let requests: Vec<(&str, Vec<u8>)> = vec![
            ("garbage frame", frame(b"hello there")),
            ("no frame at all", b"\xff\xff".to_vec()),
            ("oversized length", {
                let mut v = 0xFFFF_FFF0u32.to_be_bytes().to_vec();
                v.extend_from_slice(&[0u8; 64]);
                v
            }),
            ("cut-short frame", {
                let mut v = 100u32.to_be_bytes().to_vec();
                v.extend_from_slice(b"short");
                v
            }),
            ("undecodable sync message", sync_request(AREA, b"\x42this is not automerge")),
            ("sync for an unknown area", sync_request("no-such-area", b"\x42junk")),
            ("invalid area id", sync_request("BAD/ID", b"")),
        ];
        let mut pending: Vec<(OutboundRequestId, &str)> = Vec::new();
        for (what, bytes) in requests {
            pending.push((swarm.behaviour_mut().send_request(&peer, bytes), what));
        }
        let mut outcomes = Vec::new();
        while outcomes.len() < pending.len() {
            let event = tokio::time::timeout(Duration::from_secs(30), swarm.select_next_some()).await.expect("outcome");
            let (id, outcome) = match event {
                SwarmEvent::Behaviour(request_response::Event::Message {
                    message: request_response::Message::Response { request_id, response },
                    ..
                }) => (request_id, format!("answered {} bytes", response.len())),
                SwarmEvent::Behaviour(request_response::Event::OutboundFailure { request_id, error, .. }) => {
                    (request_id, format!("failed: {error}"))
                }
                _ => continue,
            };
            let what = pending.iter().find(|(r, _)| *r == id).map(|(_, w)| *w).unwrap_or("?");
            outcomes.push((what.to_string(), outcome));
        }
        outcomes
    });
    eprintln!("hostile peer outcomes: {outcomes:#?}");
    // The undecodable message of a member was refused (answered with a refusal), not applied.
    assert!(outcomes.iter().any(|(w, o)| w == "undecodable sync message" && o.starts_with("answered")), "{outcomes:?}");

    // The daemon is alive, its data unchanged, and it still takes writes.
    assert_eq!(data(&a), before);
    a.kdc(&["household", "add", AREA, "T1-002", "members=1"]).ok();
    // And it still syncs with a real member.
    let b = Daemon::start();
    a.kdc(&["member", "add", AREA, &b.peer_id(), "--name", "B"]).ok();
    b.kdc(&["peer", "add", &a.dial_addr()]).ok();
    assert!(kdc_tests::wait_until(Duration::from_secs(30), || b.kdc(&["--json", "status", AREA]).code == 0
        && b.json(&["status", AREA])["households"] == 2));
}
