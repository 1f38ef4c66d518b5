//! A peer that sends garbage, oversized frames and undecodable sync messages on its sync stream:
//! the daemon drops the stream or refuses the message, resets that peer's sessions, does not
//! crash, and its data does not change.

use std::time::Duration;

use futures::{AsyncReadExt, AsyncWriteExt, StreamExt};
use kdc_daemon::network::codec::{self, Frame};
use kdc_tests::Daemon;
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, Stream, noise, tcp, yamux};

const AREA: &str = "khu-1";

fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = (payload.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(payload);
    out
}

fn sync_frame(area: &str, message: &[u8]) -> Vec<u8> {
    let mut payload = vec![1, area.len() as u8];
    payload.extend_from_slice(area.as_bytes());
    payload.extend_from_slice(message);
    frame(&payload)
}

/// Opens a sync stream to the daemon, writes `bytes`, optionally closes our side, and says how
/// the daemon ended the stream (it never writes on it).
async fn send_and_watch(control: &mut libp2p_stream::Control, peer: PeerId, bytes: &[u8], close: bool) -> String {
    let mut s: Stream = control.open_stream(peer, codec::SYNC_PROTOCOL).await.expect("open sync stream");
    s.write_all(bytes).await.expect("write");
    s.flush().await.expect("flush");
    if close {
        s.close().await.expect("close");
    }
    let mut buf = [0u8; 64];
    match tokio::time::timeout(Duration::from_secs(15), s.read(&mut buf)).await {
        Err(_) => "still open".into(),
        Ok(Ok(0)) => "closed by the daemon".into(),
        Ok(Ok(n)) => format!("the daemon wrote {n} bytes"),
        Ok(Err(e)) => format!("reset by the daemon: {e}"),
    }
}

/// A bare libp2p peer speaking the sync stream protocol, connected to `a`; its swarm runs in the
/// background. `before_dial` gets its peer id first. Returns its stream control, the streams the
/// daemon opens to it, and the daemon's peer id.
async fn connect_peer(
    a: &Daemon,
    before_dial: impl FnOnce(PeerId),
) -> (libp2p_stream::Control, libp2p_stream::IncomingStreams, PeerId) {
    let mut swarm = libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(tcp::Config::default(), noise::Config::new, yamux::Config::default)
        .unwrap()
        .with_behaviour(|_| libp2p_stream::Behaviour::new())
        .unwrap()
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(60)))
        .build();
    let me = *swarm.local_peer_id();
    let mut control = swarm.behaviour().new_control();
    let incoming = control.accept(codec::SYNC_PROTOCOL).unwrap();
    before_dial(me);
    let addr: Multiaddr = a.dial_addr().parse().unwrap();
    swarm.dial(addr).unwrap();
    let peer = loop {
        match tokio::time::timeout(Duration::from_secs(20), swarm.select_next_some()).await.expect("connect") {
            SwarmEvent::ConnectionEstablished { peer_id, .. } => break peer_id,
            SwarmEvent::OutgoingConnectionError { error, .. } => panic!("dial failed: {error}"),
            _ => {}
        }
    };
    tokio::spawn(async move {
        loop {
            swarm.select_next_some().await;
        }
    });
    (control, incoming, peer)
}

/// The next frame the daemon sends, on its current stream to us: when that stream ends (the
/// daemon starts over with a peer whose stream it dropped, and opens a new one), on the next.
async fn next_frame_on_any(s: &mut Stream, incoming: &mut libp2p_stream::IncomingStreams) -> Frame {
    loop {
        match read_within(s).await {
            Ok(payload) => return decode(&payload),
            Err(_) => {
                let (_, next) = tokio::time::timeout(Duration::from_secs(20), incoming.next())
                    .await
                    .expect("the daemon's next stream")
                    .unwrap();
                *s = next;
            }
        }
    }
}

/// The next frame on a stream, decoded, within 20 s.
async fn next_frame(s: &mut Stream) -> Frame {
    decode(&read_within(s).await.expect("a frame"))
}

/// The next frame's payload on a stream; it must come within 20 s.
async fn read_within(s: &mut Stream) -> std::io::Result<Vec<u8>> {
    tokio::time::timeout(Duration::from_secs(20), codec::read_frame(s)).await.expect("a frame in time")
}

fn decode(payload: &[u8]) -> Frame {
    codec::decode_frame(payload).expect("the daemon's frames decode")
}

/// A peer that drops the daemon's sync stream (as it does on a frame it cannot read) gets a new
/// stream and a sync from the start: the daemon takes the drop as frames lost, resets its
/// sessions with that peer and syncs again, without any new change to push.
#[test]
fn a_dropped_sync_stream_is_reopened_and_sync_starts_over() {
    let a = Daemon::start();
    a.kdc(&["area", "create", AREA, "--name", "Khu 1", "--ward", "P1"]).ok();
    a.kdc(&["household", "add", "--consent", "verbal", AREA, "T1-001", "members=3", "internet=yes"]).ok();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        // Connected first, a member second: one change, so exactly one reason to sync.
        let mut me = None;
        let (_control, mut incoming, peer) = connect_peer(&a, |p| me = Some(p)).await;
        a.kdc(&["member", "add", AREA, &me.unwrap().to_string(), "--name", "Peer"]).ok();
        let (from, mut first) =
            tokio::time::timeout(Duration::from_secs(20), incoming.next()).await.expect("the daemon's stream").unwrap();
        assert_eq!(from, peer);
        match next_frame(&mut first).await {
            Frame::Sync { area, .. } => assert_eq!(area, AREA),
            other => panic!("expected a sync message, got {other:?}"),
        }
        drop(first);
        let (from, mut second) = tokio::time::timeout(Duration::from_secs(20), incoming.next())
            .await
            .expect("a new stream after the first was dropped")
            .unwrap();
        assert_eq!(from, peer);
        match next_frame(&mut second).await {
            Frame::Sync { area, message } => {
                assert_eq!(area, AREA);
                // From the start: a fresh session announces its heads and asks for everything.
                let m = automerge::sync::Message::decode(&message).expect("an Automerge sync message");
                assert!(!m.heads.is_empty(), "{m:?}");
            }
            other => panic!("expected a sync message, got {other:?}"),
        }
    });
    // The daemon is fine.
    assert_eq!(a.json(&["status", AREA])["households"], 1);
}

#[test]
fn garbage_and_oversized_frames_do_not_hurt_the_daemon() {
    let a = Daemon::start();
    a.kdc(&["area", "create", AREA, "--name", "Khu 1", "--ward", "P1"]).ok();
    a.kdc(&["household", "add", "--consent", "verbal", AREA, "T1-001", "members=3", "internet=yes"]).ok();
    // What must not change (this device's view of its peers aside).
    let data = |d: &Daemon| {
        let mut s = d.json(&["status", AREA]);
        s.as_object_mut().map(|o| o.remove("members_sync"));
        (s, d.json(&["household", "list", AREA, "--archived"]), d.json(&["conflicts", AREA]))
    };
    let before = data(&a);

    let rt = tokio::runtime::Runtime::new().unwrap();
    let (dropped, refused) = rt.block_on(async {
        // A member, so its sync messages reach the document code too.
        let (mut control, mut incoming, peer) = connect_peer(&a, |me| {
            a.kdc(&["member", "add", AREA, &me.to_string(), "--name", "Hostile"]).ok();
        })
        .await;

        // Not frames: the daemon drops the stream (we keep our side open, so it is the daemon).
        let mut dropped = Vec::new();
        let oversized = {
            let mut v = 0xFFFF_FFF0u32.to_be_bytes().to_vec();
            v.extend_from_slice(&[0u8; 64]);
            v
        };
        for (what, bytes, close) in [
            ("garbage frame", frame(b"hello there"), false),
            ("oversized length", oversized, false),
            ("no frame at all", b"\xff\xff".to_vec(), true),
            ("cut-short frame", [&100u32.to_be_bytes()[..], b"short"].concat(), true),
        ] {
            dropped.push((what, send_and_watch(&mut control, peer, &bytes, close).await));
        }

        // Frames whose sync message is refused: the daemon answers on its own stream to us.
        let mut s = control.open_stream(peer, codec::SYNC_PROTOCOL).await.expect("open sync stream");
        for bytes in [
            sync_frame(AREA, b"\x42this is not automerge"),
            sync_frame("no-such-area", b"\x42junk"),
            sync_frame("BAD/ID", b""),
        ] {
            s.write_all(&bytes).await.unwrap();
        }
        s.flush().await.unwrap();
        let (_, mut from_daemon) =
            tokio::time::timeout(Duration::from_secs(20), incoming.next()).await.expect("daemon's stream").unwrap();
        let mut refused = Vec::new();
        while refused.len() < 3 {
            match next_frame_on_any(&mut from_daemon, &mut incoming).await {
                Frame::Refused { area, reason } => refused.push((area, reason)),
                Frame::Sync { .. } => {} // The daemon syncing the area with its new member.
            }
        }
        (dropped, refused)
    });
    eprintln!("hostile peer outcomes: {dropped:#?}\n{refused:#?}");
    for (what, outcome) in &dropped {
        assert!(outcome.contains("by the daemon"), "{what}: {outcome}");
    }
    // Refusals come as each is decided (the invalid id at once, the others after a decode).
    let mut areas: Vec<&str> = refused.iter().map(|(a, _)| a.as_str()).collect();
    areas.sort();
    assert_eq!(areas, ["BAD/ID", AREA, "no-such-area"], "{refused:?}");

    // The daemon is alive, its data unchanged, and it still takes writes.
    assert_eq!(data(&a), before);
    a.kdc(&["household", "add", "--consent", "verbal", AREA, "T1-002", "members=1"]).ok();
    // And it still syncs with a real member.
    let b = Daemon::start();
    a.kdc(&["member", "add", AREA, &b.peer_id(), "--name", "B"]).ok();
    b.kdc(&["peer", "add", &a.dial_addr()]).ok();
    assert!(kdc_tests::wait_on(&[&b], Duration::from_secs(30), || b.kdc(&["--json", "status", AREA]).code == 0
        && b.json(&["status", AREA])["households"] == 2));
}

/// A member whose sync messages carry a change the schema does not allow (made with Automerge
/// directly, as another program would): the message is refused whole, the member is told with
/// a refusal naming the field, `kdc peers` shows the refusal, and nothing of it is stored.
#[test]
fn a_members_bad_change_by_sync_is_refused() {
    use automerge::sync::{Message, State, SyncDoc};
    use automerge::transaction::Transactable;

    let a = Daemon::start();
    a.kdc(&["area", "create", AREA, "--name", "Khu 1", "--ward", "P1"]).ok();
    a.kdc(&["household", "add", "--consent", "verbal", AREA, "T1-001", "members=3", "internet=yes"]).ok();
    let before = a.json(&["household", "list", AREA]);
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (refusal, peer_id) = rt.block_on(async {
        let mut me = None;
        let (mut control, mut incoming, peer) = connect_peer(&a, |p| me = Some(p)).await;
        let me = me.unwrap().to_string();
        a.kdc(&["member", "add", AREA, &me, "--name", "Hostile"]).ok();
        // Our replica: the daemon's area, plus one bad change made as ourselves (a member).
        let file = dir.path().join("a.kdcsnap");
        a.kdc(&["snapshot", "export", AREA, "-o", &file.to_string_lossy()]).ok();
        let area = crdt_model::snapshot::decode_areas(&std::fs::read(&file).unwrap(), "x").unwrap().remove(0);
        let mut doc = automerge::Automerge::load(&area.save()).unwrap().with_actor(me.as_bytes().into());
        let mut tx = doc.transaction();
        tx.put(automerge::ROOT, "h/T1-002/members", 999u64).unwrap();
        tx.commit();

        let (_, mut from_daemon) =
            tokio::time::timeout(Duration::from_secs(20), incoming.next()).await.expect("daemon's stream").unwrap();
        let mut to_daemon = control.open_stream(peer, codec::SYNC_PROTOCOL).await.expect("open sync stream");
        let mut state = State::new();
        for _ in 0..20 {
            match next_frame(&mut from_daemon).await {
                Frame::Sync { message, .. } => {
                    doc.receive_sync_message(&mut state, Message::decode(&message).unwrap()).unwrap();
                    if let Some(m) = doc.generate_sync_message(&mut state) {
                        to_daemon.write_all(&sync_frame(AREA, &m.encode())).await.unwrap();
                        to_daemon.flush().await.unwrap();
                    }
                }
                Frame::Refused { area, reason } => return ((area, reason), me),
            }
        }
        panic!("no refusal from the daemon");
    });
    assert_eq!(refusal.0, AREA);
    assert!(refusal.1.contains("household T1-002, field members = 999"), "{refusal:?}");
    assert_eq!(a.json(&["household", "list", AREA]), before);
    let peers = a.json(&["peers"]);
    let entry =
        peers.as_array().unwrap().iter().find(|p| p["peer_id"] == peer_id.as_str()).expect("the peer is listed");
    assert_eq!(entry["last_refusal"]["by"], "this_device", "{entry}");
    assert!(entry["last_refusal"]["reason"].as_str().unwrap().contains("members = 999"), "{entry}");
}

/// The daemon's resident and peak memory, in KiB, from /proc.
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or_else(|| panic!("{name} in {status}"))
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Eight peers that share no area with the daemon announce 64 MiB frames and send 48 MiB of
/// them, then frames just under the strangers' limit: their frames are refused or drawn from a
/// small shared budget, so the daemon's peak memory stays near idle (it was 406 MiB with every
/// frame buffered before membership was checked). Then a member's large first sync still works.
#[test]
fn strangers_cannot_make_the_daemon_buffer_large_frames() {
    let a = Daemon::start();
    a.kdc(&["area", "create", AREA, "--name", "Khu 1", "--ward", "P1"]).ok();
    let pid = a.pid().expect("daemon pid");
    std::thread::sleep(Duration::from_secs(1));
    let (idle, _) = memory_kib(pid);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut tasks = Vec::new();
        for i in 0..8 {
            let (mut control, _incoming, peer) = connect_peer(&a, |_| {}).await;
            tasks.push(tokio::spawn(async move {
                let chunk = vec![0x5au8; 1024 * 1024];
                let mut sent = 0usize;
                for (announce, body) in [(64usize << 20, 48usize << 20), ((4 << 20) - 64, (4 << 20) - 64)] {
                    for _ in 0..3 {
                        let Ok(mut s) = control.open_stream(peer, codec::SYNC_PROTOCOL).await else { break };
                        let mut frame = (announce as u32).to_be_bytes().to_vec();
                        frame.extend_from_slice(&[1, AREA.len() as u8]);
                        frame.extend_from_slice(AREA.as_bytes());
                        if s.write_all(&frame).await.is_err() {
                            continue;
                        }
                        let mut left = body;
                        while left > 0 {
                            let n = left.min(chunk.len());
                            if s.write_all(&chunk[..n]).await.is_err() {
                                break;
                            }
                            sent += n;
                            left -= n;
                        }
                        let _ = s.flush().await;
                    }
                }
                (i, sent)
            }));
        }
        for t in tasks {
            let (i, sent) = tokio::time::timeout(Duration::from_secs(120), t).await.expect("stranger done").unwrap();
            eprintln!("stranger {i}: {} MiB written before the daemon dropped its streams", sent >> 20);
        }
    });
    std::thread::sleep(Duration::from_secs(1));
    let (now, peak) = memory_kib(pid);
    eprintln!("daemon RSS: idle {} MiB, after strangers {} MiB, peak {} MiB", idle >> 10, now >> 10, peak >> 10);
    assert!(peak < idle + 24 * 1024, "peak {peak} KiB vs idle {idle} KiB");
    assert!(a.kdc(&["--json", "status", AREA]).code == 0, "the daemon still answers");

    // A member's first sync still arrives.
    let b = Daemon::start();
    a.kdc(&["member", "add", AREA, &b.peer_id(), "--name", "B"]).ok();
    for i in 0..150 {
        let hh = format!("T-{i}");
        let cmd = [
            "household",
            "add",
            "--consent",
            "verbal",
            AREA,
            &hh,
            "members=5",
            "members_14plus=4",
            "internet=yes",
            "eid_accounts=3",
        ];
        a.kdc(&cmd).ok();
    }
    b.kdc(&["peer", "add", &a.dial_addr()]).ok();
    assert!(kdc_tests::wait_on(&[&b], Duration::from_secs(60), || b.kdc(&["--json", "status", AREA]).code == 0
        && b.json(&["status", AREA])["households"] == 150));
}
