//! Sync streams: one long-lived `/kdc/sync-stream/1` stream per peer and direction, opened and
//! accepted through `libp2p-stream`.
//!
//! Each device opens one outbound stream to each connected peer and writes every sync frame for
//! that peer on it; the peer reads them from the matching inbound stream. So a connection pays
//! for one protocol negotiation, and a sync message costs its own bytes, a 4-byte length, and one
//! Yamux and one Noise frame header, instead of a new substream per message. Frames queued while
//! a write is under way go out together in the next write.
//!
//! A writer task owns the outbound stream; a reader task owns each inbound stream. Both report to
//! the event loop through [`LinkEvent`]s tagged with the stream's number, so a report about a
//! stream that has since been replaced is recognised and ignored. A writer also watches its
//! stream's reading side: the peer never writes there, so end of stream or an error means the
//! peer dropped the stream (it refused a frame, or went away) and the link is down at once.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::{AsyncReadExt, AsyncWriteExt};
use libp2p::{PeerId, Stream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::task::AbortHandle;

use super::codec::{self, Frame};

/// Largest batch of queued frames written in one go.
const MAX_BATCH: usize = 256 * 1024;

/// Largest frame from a peer not known to share an area with this device (not on any of its
/// rosters, not an explicit `--peer`, not the inviter of a join under way). Enough for the
/// first sync of an area of some ten thousand households from a member this device does not know
/// yet (it was added with `kdc member add` and has no area yet), far below [`codec::MAX_FRAME`].
pub const STRANGER_FRAME: usize = 4 * 1024 * 1024;

/// Bytes of frames from such peers held at once, over all of them (one frame of the largest
/// size): a frame is read only when its length fits in what is left, and its share is returned
/// once the event loop has taken it. Eight strangers sending oversized frames raised the
/// daemon's peak RSS from 19 to 29 MiB with this budget (41 MiB with twice as much).
pub const STRANGER_BUDGET: usize = 4 * 1024 * 1024;

/// How large a frame a reader takes from its peer; the event loop raises or lowers it as it
/// learns whether the peer shares an area. Strangers' frames also draw on a shared budget.
#[derive(Clone)]
pub struct FrameLimit {
    max: Arc<AtomicUsize>,
    strangers: Arc<Semaphore>,
}

impl FrameLimit {
    pub fn new(max: usize, strangers: Arc<Semaphore>) -> FrameLimit {
        FrameLimit { max: Arc::new(AtomicUsize::new(max)), strangers }
    }

    pub fn set(&self, max: usize) {
        self.max.store(max, Ordering::Relaxed);
    }

    pub fn get(&self) -> usize {
        self.max.load(Ordering::Relaxed)
    }
}

/// The budget [`FrameLimit`]s share.
pub fn stranger_budget() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(STRANGER_BUDGET))
}

/// What the stream tasks tell the event loop.
#[derive(Debug)]
pub enum LinkEvent {
    /// A frame from `peer`, read from inbound stream number `stream`. `budget` is its share of
    /// the strangers' budget, returned when the event is dropped.
    /// `size` is the frame's length on the stream (payload and length prefix).
    Frame { peer: PeerId, stream: u64, frame: Frame, size: usize, budget: Option<OwnedSemaphorePermit> },
    /// Inbound stream `stream` from `peer` ended: the peer closed it (`error` is `None`) or it
    /// broke or carried something that is not a frame (then the stream is dropped).
    InboundEnded { peer: PeerId, stream: u64, error: Option<String> },
    /// Outbound stream `stream` to `peer` could not be opened, or broke.
    OutboundDown { peer: PeerId, stream: u64, error: String, unsupported: bool },
}

/// The sending end of an outbound stream: frames queued here are written in order.
pub struct Outbound {
    pub stream: u64,
    tx: mpsc::UnboundedSender<Vec<u8>>,
}

impl Outbound {
    /// Queues a frame; the bytes it takes on the stream (payload and length prefix), or `None`
    /// when the writer has stopped (its `OutboundDown` is on its way).
    pub fn send(&self, frame: &Frame) -> Option<usize> {
        let payload = codec::encode_frame(frame);
        let size = payload.len() + 4;
        self.tx.send(payload).is_ok().then_some(size)
    }
}

/// The sync streams with every peer: ours to it (opened on first use) and its to us, each
/// numbered so that a report about a replaced stream is told apart. The event loop owns it.
pub struct Streams {
    outbound: HashMap<PeerId, Outbound>,
    /// The peer's stream to us: its number, its reader, and the reader's frame limit.
    inbound: HashMap<PeerId, (u64, AbortHandle, FrameLimit)>,
    /// What frames from peers that share no area with this device may hold, over all of them.
    stranger_budget: Arc<Semaphore>,
    next: u64,
    control: libp2p_stream::Control,
    events: mpsc::Sender<LinkEvent>,
}

/// What [`Streams::send`] did.
pub struct Sent {
    /// Bytes queued (payload and length prefix).
    pub size: usize,
    /// The old writer had stopped, losing what it had not written: the sessions that believe
    /// it sent must start over.
    pub restarted: bool,
}

impl Streams {
    pub fn new(control: libp2p_stream::Control, events: mpsc::Sender<LinkEvent>) -> Streams {
        Streams {
            outbound: HashMap::new(),
            inbound: HashMap::new(),
            stranger_budget: stranger_budget(),
            next: 0,
            control,
            events,
        }
    }

    /// Queues a frame on our stream to `peer`, opening the stream on first use (or again after
    /// its writer stopped).
    pub fn send(&mut self, peer: PeerId, frame: &Frame) -> Sent {
        match self.outbound.get(&peer).map(|out| out.send(frame)) {
            Some(Some(size)) => Sent { size, restarted: false },
            stopped_or_none => {
                self.next += 1;
                let out = spawn_writer(peer, self.next, self.control.clone(), self.events.clone());
                let size = out.send(frame).unwrap_or(0);
                self.outbound.insert(peer, out);
                Sent { size, restarted: stopped_or_none.is_some() }
            }
        }
    }

    /// A peer opened its sync stream to us; it replaces any earlier one from that peer. True
    /// when it did: the peer started over (its writer failed, or it is a new process on a new
    /// connection), so must we, and our writer, which may write to the old connection, goes
    /// too (the next frame opens a new stream).
    pub fn accept(&mut self, peer: PeerId, stream: Stream, max_frame: usize) -> bool {
        self.next += 1;
        let id = self.next;
        let limit = FrameLimit::new(max_frame, self.stranger_budget.clone());
        let reader = spawn_reader(peer, id, stream, limit.clone(), self.events.clone());
        match self.inbound.insert(peer, (id, reader, limit)) {
            Some((_, old, _)) => {
                old.abort();
                self.outbound.remove(&peer);
                true
            }
            None => false,
        }
    }

    /// Drops both streams with a peer.
    pub fn drop_peer(&mut self, peer: &PeerId) {
        self.outbound.remove(peer);
        self.drop_inbound(peer);
    }

    /// Drops the peer's stream to us (its reader stops).
    pub fn drop_inbound(&mut self, peer: &PeerId) {
        if let Some((_, reader, _)) = self.inbound.remove(peer) {
            reader.abort();
        }
    }

    /// Whether `stream` is the peer's current stream to us.
    pub fn is_inbound(&self, peer: &PeerId, stream: u64) -> bool {
        self.inbound.get(peer).is_some_and(|(id, _, _)| *id == stream)
    }

    /// Forgets the peer's stream to us if `stream` is the current one (it ended); whether it was.
    pub fn inbound_ended(&mut self, peer: &PeerId, stream: u64) -> bool {
        let current = self.is_inbound(peer, stream);
        if current {
            self.inbound.remove(peer);
        }
        current
    }

    /// Forgets our stream to the peer if `stream` is the current one (it went down); whether it was.
    pub fn outbound_down(&mut self, peer: &PeerId, stream: u64) -> bool {
        let current = self.outbound.get(peer).is_some_and(|o| o.stream == stream);
        if current {
            self.outbound.remove(peer);
        }
        current
    }

    /// Sets each reader's frame limit to what `limit_of` says of its peer.
    pub fn set_limits(&self, limit_of: impl Fn(&PeerId) -> usize) {
        for (peer, (_, _, limit)) in &self.inbound {
            limit.set(limit_of(peer));
        }
    }
}

/// Starts a writer: opens a stream to `peer` and writes what [`Outbound::send`] queues. It stops
/// when the `Outbound` is dropped (closing the stream) or the stream fails (reporting it).
pub fn spawn_writer(
    peer: PeerId,
    stream: u64,
    mut control: libp2p_stream::Control,
    events: mpsc::Sender<LinkEvent>,
) -> Outbound {
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
    tokio::spawn(async move {
        let (error, unsupported) = match control.open_stream(peer, codec::SYNC_PROTOCOL).await {
            Ok(s) => match write_loop(s, &mut rx).await {
                Ok(()) => return,
                Err(e) => (e, false),
            },
            Err(libp2p_stream::OpenStreamError::UnsupportedProtocol(p)) => {
                (format!("the peer does not speak {p} (an older kdcd?)"), true)
            }
            Err(e) => (e.to_string(), false),
        };
        let _ = events.send(LinkEvent::OutboundDown { peer, stream, error, unsupported }).await;
    });
    Outbound { stream, tx }
}

async fn write_loop(stream: Stream, rx: &mut mpsc::UnboundedReceiver<Vec<u8>>) -> Result<(), String> {
    let (mut read, mut write) = stream.split();
    let mut probe = [0u8; 1];
    let mut batch = Vec::new();
    loop {
        tokio::select! {
            payload = rx.recv() => {
                let Some(payload) = payload else {
                    let _ = write.close().await;
                    return Ok(());
                };
                batch.clear();
                codec::push_frame(&mut batch, &payload).map_err(|e| e.to_string())?;
                while batch.len() < MAX_BATCH {
                    let Ok(more) = rx.try_recv() else { break };
                    codec::push_frame(&mut batch, &more).map_err(|e| e.to_string())?;
                }
                write.write_all(&batch).await.map_err(|e| format!("write: {e}"))?;
                write.flush().await.map_err(|e| format!("write: {e}"))?;
            }
            // The peer never writes on our stream: any outcome means it is gone.
            r = read.read(&mut probe) => {
                return Err(match r {
                    Ok(0) => "the peer closed the stream".into(),
                    Ok(_) => "the peer wrote on our outbound stream".into(),
                    Err(e) => format!("read: {e}"),
                });
            }
        }
    }
}

/// Starts a reader for an inbound stream from `peer`; abort it (or let it end) to drop the stream.
pub fn spawn_reader(
    peer: PeerId,
    stream: u64,
    mut io: Stream,
    limit: FrameLimit,
    events: mpsc::Sender<LinkEvent>,
) -> AbortHandle {
    tokio::spawn(async move {
        let error = loop {
            let (payload, budget) = match read_limited(&mut io, &limit).await {
                Ok(p) => p,
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break None,
                Err(e) => break Some(e.to_string()),
            };
            let size = payload.len() + 4;
            match codec::decode_frame(&payload) {
                Ok(frame) => {
                    // A full channel holds the reader back, and with it the peer (backpressure).
                    if events.send(LinkEvent::Frame { peer, stream, frame, size, budget }).await.is_err() {
                        return;
                    }
                }
                Err(e) => break Some(e.to_string()),
            }
        };
        drop(io);
        let _ = events.send(LinkEvent::InboundEnded { peer, stream, error }).await;
    })
    .abort_handle()
}

/// Reads one frame within `limit`. The length is checked before anything else is read, and a
/// stranger's frame is read only into a share of the strangers' budget; a stream that asks for
/// more than is left is dropped (its peer opens a new one and tries again later).
async fn read_limited(io: &mut Stream, limit: &FrameLimit) -> io::Result<(Vec<u8>, Option<OwnedSemaphorePermit>)> {
    let mut len = [0u8; 4];
    io.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    let max = limit.get();
    if len > max {
        let whose = if max < codec::MAX_FRAME { " for a peer that shares no area with this device" } else { "" };
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("frame of {len} bytes exceeds the limit of {max} bytes{whose}"),
        ));
    }
    let budget = if max < codec::MAX_FRAME {
        let permits = u32::try_from(len.max(1)).unwrap_or(u32::MAX);
        match Arc::clone(&limit.strangers).try_acquire_many_owned(permits) {
            Ok(p) => Some(p),
            Err(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "frame of {len} bytes refused: peers that share no area with this device \
                         already hold {} bytes",
                        STRANGER_BUDGET - limit.strangers.available_permits()
                    ),
                ));
            }
        }
    } else {
        None
    };
    let mut buf = vec![0u8; len];
    io.read_exact(&mut buf).await?;
    Ok((buf, budget))
}
