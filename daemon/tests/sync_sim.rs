//! Many devices' sync bookkeeping ([`Sessions`]) driven in one process with real Automerge
//! documents and Automerge's own sync protocol, through links that lose frames, break, duplicate, reorder, partition and restart,
//! under seeded random schedules. After the chaos every link is healed; then every device must
//! reach the same document, without any further edit, within a bounded number of steps.
//!
//! What the harness models, and how it maps to the daemon:
//! - a *connection* between two devices, of which each side has its own view: it learns that a
//!   connection died at its own moment (ping), and a peer restarted behind its back shows up only
//!   as a replaced sync stream (`LinkDown`), never as a disconnect;
//! - one ordered *stream* per direction (libp2p-stream over Yamux over TCP): a stream that breaks
//!   loses what was in flight; the reader's side learns at once, the writer's side on its next
//!   write (it then opens a new stream, which replaces the old one at the reader);
//! - *blocking work* (generate, receive, list shared areas) completes later, in any order, and
//!   may complete after its peer went and came back;
//! - garbage frames, which the receiver refuses (the sender is told), and writes the store
//!   refuses (the node rolls back and refuses the message that brought them);
//! - frames delivered twice, and two frames of one stream swapped (not something TCP does; the
//!   protocol and the bookkeeping must still converge once the link is healed).
//!
//! Run more schedules: `KDC_SIM_SCHEDULES=20000 cargo test --release -p kdc-daemon --test sync_sim -- --nocapture`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use automerge::sync::{Message, State as SyncState, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{ActorId, Automerge, ROOT};
use kdc_daemon::network::sessions::{Action, Applied, Input, PairId, Session, Sessions};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const AREAS: &[&str] = &["khu-a", "khu-b"];
/// Keys written by the edits, in the flat shape of the area documents.
const KEYS: &[&str] = &["hh/T1-001/members", "hh/T1-001/internet", "hh/T1-002/members", "hh/T2-001/eid_accounts"];
const GARBAGE: &[u8] = &[0x42, 0x01, 0x02, 0x03];
const STORAGE_FAULT: &str = "storage fault";

#[derive(Default, Debug)]
struct Sess(SyncState);

impl Session for Sess {
    fn reset(&mut self) {
        self.0 = SyncState::new();
    }
}

type Machine = Sessions<usize, Sess>;

enum Work {
    Generate { peer: usize, area: String, pair: PairId, session: Sess },
    Receive { peer: usize, area: String, pair: PairId, session: Sess, message: Vec<u8> },
    List { peer: usize },
}

struct Device {
    actor: String,
    /// One Automerge document per area (what the device stored: sled is durable).
    areas: Vec<Automerge>,
    machine: Machine,
    work: Vec<Work>,
}

#[derive(Clone)]
enum Wire {
    Sync(String, Vec<u8>),
    Refused(String),
}

/// One direction of the sync stream between two devices.
#[derive(Default)]
struct Stream {
    frames: VecDeque<Wire>,
    /// Broken under the writer, who has not noticed yet.
    broken: bool,
}

struct World {
    rng: StdRng,
    now: Instant,
    devices: Vec<Device>,
    /// `streams[a][b]`: frames from a to b.
    streams: Vec<Vec<Stream>>,
    /// The connection exists (the devices can talk).
    up: Vec<Vec<bool>>,
    /// `view[a][b]`: a believes it is connected to b.
    view: Vec<Vec<bool>>,
    /// Garbage frames sent, and refusals of anything else (must stay zero).
    garbage: usize,
    /// Faults may happen (the chaos phase).
    chaos: bool,
    /// Print every input and action (`KDC_SIM_TRACE=1 KDC_SIM_SEED=… KDC_SIM_SCHEDULES=1`).
    trace: bool,
    bad_refusals: Vec<String>,
    steps: usize,
}

impl World {
    fn new(seed: u64, n: usize) -> World {
        let rng = StdRng::seed_from_u64(seed);
        let actors: Vec<String> = (0..n).map(|i| format!("peer-{i}")).collect();
        let saves: Vec<Vec<u8>> = AREAS
            .iter()
            .map(|id| {
                let mut doc = Automerge::new().with_actor(ActorId::from(actors[0].as_bytes()));
                let mut tx = doc.transaction();
                tx.put(ROOT, "meta/id", *id).unwrap();
                tx.commit();
                doc.save()
            })
            .collect();
        let devices = actors
            .iter()
            .map(|actor| Device {
                actor: actor.clone(),
                areas: saves
                    .iter()
                    .map(|s| Automerge::load(s).unwrap().with_actor(ActorId::from(actor.as_bytes())))
                    .collect(),
                machine: Machine::new(),
                work: Vec::new(),
            })
            .collect();
        let grid = |v: bool| vec![vec![v; n]; n];
        World {
            rng,
            now: Instant::now(),
            devices,
            streams: (0..n).map(|_| (0..n).map(|_| Stream::default()).collect()).collect(),
            up: grid(false),
            view: grid(false),
            garbage: 0,
            chaos: false,
            trace: std::env::var_os("KDC_SIM_TRACE").is_some(),
            bad_refusals: Vec::new(),
            steps: 0,
        }
    }

    fn n(&self) -> usize {
        self.devices.len()
    }

    /// Feeds one input to device `d` and carries out what it answers.
    fn input(&mut self, d: usize, input: Input<usize, Sess>) {
        if self.trace {
            println!("  {d} <- {}", describe_input(&input));
        }
        let actions = self.devices[d].machine.handle(input, self.now);
        for action in actions {
            if self.trace {
                println!("  {d} -> {}", describe_action(&action));
            }
            self.act(d, action);
        }
    }

    fn act(&mut self, d: usize, action: Action<usize, Sess>) {
        match action {
            Action::Generate { peer, area, pair, session } => {
                self.devices[d].work.push(Work::Generate { peer, area, pair, session })
            }
            Action::Receive { peer, area, pair, session, message } => {
                self.devices[d].work.push(Work::Receive { peer, area, pair, session, message })
            }
            Action::ListShared(peer) => self.devices[d].work.push(Work::List { peer }),
            Action::Send { peer, area, message } => self.send(d, peer, Wire::Sync(area, message)),
            Action::Refuse { peer, area, reason } => {
                if !reason.contains("bad sync message") && !reason.contains(STORAGE_FAULT) {
                    self.bad_refusals.push(format!("{} refused {peer}: {reason}", self.devices[d].actor));
                }
                self.send(d, peer, Wire::Refused(area))
            }
            Action::DropStream(peer) => self.streams[peer][d].broken = true,
            Action::InSync { .. } | Action::Adopted { .. } => {}
        }
    }

    /// What the daemon's `send_frame` does: only on a connection it believes live; a writer
    /// that finds its stream broken resets the peer's sessions and opens a new stream, which
    /// replaces the old one at the reader.
    fn send(&mut self, from: usize, to: usize, wire: Wire) {
        if !self.view[from][to] || !self.up[from][to] {
            // Believed live but gone: the bytes go nowhere, as into a dead TCP connection.
            return;
        }
        if std::mem::take(&mut self.streams[from][to].broken) {
            self.input(from, Input::LinkDown(to));
            self.streams[from][to].frames.clear();
            self.input(to, Input::LinkDown(from));
        }
        self.streams[from][to].frames.push_back(wire);
    }

    fn complete_work(&mut self, d: usize) {
        let i = self.rng.random_range(0..self.devices[d].work.len());
        let work = self.devices[d].work.swap_remove(i);
        match work {
            Work::List { peer } => {
                let areas = AREAS.iter().map(|a| (*a).to_string()).collect();
                self.input(d, Input::Shared { peer, areas });
            }
            Work::Generate { peer, area, pair, mut session } => {
                let doc = &self.devices[d].areas[area_index(&area)];
                let message = doc.generate_sync_message(&mut session.0).map(Message::encode);
                self.input(d, Input::Generated { peer, area, pair, session, result: Ok(message) });
            }
            Work::Receive { peer, area, pair, mut session, message } => {
                let fault = self.chaos && self.rng.random_bool(0.03);
                let doc = &mut self.devices[d].areas[area_index(&area)];
                let before = doc.get_heads();
                let result = if fault {
                    // The store refused the write: the node rolls back to what is on disk.
                    Err(format!("{STORAGE_FAULT}: no space left on device"))
                } else {
                    Message::decode(&message)
                        .map_err(|e| format!("bad sync message: {e}"))
                        .and_then(|m| doc.receive_sync_message(&mut session.0, m).map_err(|e| e.to_string()))
                        .map(|()| {
                            let reply = doc.generate_sync_message(&mut session.0).map(Message::encode);
                            Applied { changed: doc.get_heads() != before, adopted: false, reply }
                        })
                };
                let changed = result.as_ref().is_ok_and(|r| r.changed);
                self.input(d, Input::Received { peer, area: area.clone(), pair, session, result });
                if changed {
                    // The node's change feed, as `handle_change` hears it.
                    self.input(d, Input::Changed(area));
                }
            }
        }
    }

    fn deliver(&mut self, from: usize, to: usize, faults: bool) {
        let dup = faults && self.rng.random_bool(0.03);
        let swap = faults && self.streams[from][to].frames.len() >= 2 && self.rng.random_bool(0.03);
        if swap {
            self.streams[from][to].frames.swap(0, 1);
        }
        let wire = self.streams[from][to].frames.pop_front().expect("nonempty");
        if dup {
            self.streams[from][to].frames.push_front(wire.clone());
        }
        match wire {
            Wire::Sync(area, message) => self.input(to, Input::Message { peer: from, area, message, stranger: false }),
            Wire::Refused(area) => self.input(to, Input::Refused { peer: from, area }),
        }
    }

    /// The stream from `from` to `to` breaks: what was in flight is lost; the reader knows now.
    fn break_stream(&mut self, from: usize, to: usize) {
        let s = &mut self.streams[from][to];
        s.frames.clear();
        s.broken = true;
        self.input(to, Input::LinkDown(from));
    }

    /// The connection dies; each side finds out at its own moment (see `notice`).
    fn cut(&mut self, a: usize, b: usize) {
        self.up[a][b] = false;
        self.up[b][a] = false;
        for (x, y) in [(a, b), (b, a)] {
            self.streams[x][y] = Stream::default();
        }
    }

    /// `a` finds out its connection to `b` is gone.
    fn notice(&mut self, a: usize, b: usize) {
        self.view[a][b] = false;
        self.input(a, Input::Disconnected(b));
    }

    /// A new connection between `a` and `b`. A side that still believed in the old one sees
    /// only its streams replaced.
    fn connect(&mut self, a: usize, b: usize) {
        self.up[a][b] = true;
        self.up[b][a] = true;
        for (x, y) in [(a, b), (b, a)] {
            self.streams[x][y] = Stream::default();
            if self.view[x][y] {
                self.input(x, Input::LinkDown(y));
            } else {
                self.view[x][y] = true;
                self.input(x, Input::Connected(y));
            }
        }
    }

    /// Device `d`'s process dies and starts again: its documents are what it stored; its
    /// sessions, work and streams are gone. Its peers notice later, or not at all until it
    /// connects again.
    fn restart(&mut self, d: usize) {
        self.devices[d].machine = Machine::new();
        self.devices[d].work.clear();
        for other in 0..self.n() {
            if other != d && self.up[d][other] {
                self.cut(d, other);
            }
            self.view[d][other] = false;
        }
    }

    fn edit(&mut self, d: usize) {
        let key = KEYS[self.rng.random_range(0..KEYS.len())];
        let value = self.rng.random_range(0..6u64);
        let ai = self.rng.random_range(0..AREAS.len());
        let mut tx = self.devices[d].areas[ai].transaction();
        tx.put(ROOT, key, value).unwrap();
        tx.commit();
        self.input(d, Input::Changed(AREAS[ai].to_string()));
    }

    fn tick(&mut self) {
        self.now += Duration::from_millis(250);
        for d in 0..self.n() {
            self.input(d, Input::Tick);
        }
    }

    /// One random step among those possible now. `chaos`: faults and edits may happen.
    fn step(&mut self, chaos: bool) {
        self.steps += 1;
        self.chaos = chaos;
        let n = self.n();
        // (weight, event); events: 0 work, 1 deliver, 2 edit, 3 cut, 4 notice, 5 connect,
        // 6 restart, 7 garbage, 8 tick.
        let mut options: Vec<(u32, u8, usize, usize)> = Vec::new();
        for a in 0..n {
            if !self.devices[a].work.is_empty() {
                options.push((30, 0, a, a));
            }
            if chaos {
                options.push((2, 2, a, a));
                options.push((1, 6, a, a));
            }
            for b in (0..n).filter(|b| *b != a) {
                if !self.streams[a][b].frames.is_empty() {
                    options.push((30, 1, a, b));
                }
                if self.up[a][b] {
                    if chaos && a < b {
                        options.push((1, 3, a, b));
                    }
                    if chaos {
                        options.push((1, 7, a, b));
                    }
                } else {
                    if self.view[a][b] {
                        options.push((3, 4, a, b));
                    }
                    if a < b {
                        options.push((2, 5, a, b));
                    }
                }
            }
        }
        options.push((4, 8, 0, 0));
        let total: u32 = options.iter().map(|o| o.0).sum();
        let mut roll = self.rng.random_range(0..total);
        let &(_, event, a, b) = options
            .iter()
            .find(|o| {
                if roll < o.0 {
                    true
                } else {
                    roll -= o.0;
                    false
                }
            })
            .expect("roll below total");
        if self.trace {
            println!("step {} event {event} {a} {b}", self.steps);
        }
        match event {
            0 => self.complete_work(a),
            1 if chaos && self.rng.random_bool(0.05) => self.break_stream(a, b),
            1 => self.deliver(a, b, chaos),
            2 => self.edit(a),
            3 => self.cut(a, b),
            4 => self.notice(a, b),
            5 => self.connect(a, b),
            6 => self.restart(a),
            7 => {
                self.garbage += 1;
                self.send(a, b, Wire::Sync(AREAS[0].to_string(), GARBAGE.to_vec()));
            }
            _ => self.tick(),
        }
    }

    /// Nothing in flight anywhere, every connection up and believed, nothing due.
    fn quiet(&self) -> bool {
        let n = self.n();
        (0..n).all(|a| {
            self.devices[a].work.is_empty()
                && self.devices[a].machine.next_due().is_none()
                && (0..n).all(|b| a == b || (self.up[a][b] && self.view[a][b] && self.streams[a][b].frames.is_empty()))
        })
    }

    fn converged(&self) -> bool {
        (0..AREAS.len()).all(|ai| {
            let heads = self.devices[0].areas[ai].get_heads();
            self.devices.iter().all(|d| d.areas[ai].get_heads() == heads)
        })
    }
}

fn describe_input(input: &Input<usize, Sess>) -> String {
    match input {
        Input::Message { peer, area, message, .. } => format!("Message {peer} {area} {}B", message.len()),
        Input::Generated { peer, area, pair, result, .. } => {
            format!("Generated {peer} {area} #{pair} {:?}", result.as_ref().map(|m| m.as_ref().map(Vec::len)))
        }
        Input::Received { peer, area, pair, result, .. } => format!(
            "Received {peer} {area} #{pair} {:?}",
            result.as_ref().map(|r| (r.changed, r.reply.as_ref().map(Vec::len)))
        ),
        Input::Shared { peer, .. } => format!("Shared {peer}"),
        other => format!("{other:?}").chars().take(60).collect(),
    }
}

fn describe_action(action: &Action<usize, Sess>) -> String {
    match action {
        Action::Generate { peer, area, pair, .. } => format!("Generate {peer} {area} #{pair}"),
        Action::Receive { peer, area, pair, message, .. } => {
            format!("Receive {peer} {area} #{pair} {}B", message.len())
        }
        Action::Send { peer, area, message } => format!("Send {peer} {area} {}B", message.len()),
        other => format!("{other:?}").chars().take(80).collect(),
    }
}

fn area_index(area: &str) -> usize {
    AREAS.iter().position(|a| *a == area).expect("known area")
}

/// Runs one schedule; `Err` describes how it failed.
fn run(seed: u64) -> Result<usize, String> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
    let n = rng.random_range(2..=5);
    let chaos_steps = rng.random_range(50..400);
    let mut w = World::new(seed, n);
    for a in 0..n {
        for b in a + 1..n {
            if rng.random_bool(0.7) {
                w.connect(a, b);
            }
        }
    }
    for _ in 0..chaos_steps {
        w.step(true);
    }
    // Heal: faults and edits stop; every connection comes back (the redialler's job).
    let limit = w.steps + 20_000;
    while !(w.quiet() && w.converged()) {
        if w.steps > limit {
            let why = if w.quiet() { "every session is idle but the documents differ" } else { "still busy" };
            return Err(format!("seed {seed}: {n} devices, no convergence after healing: {why}"));
        }
        w.step(false);
    }
    if !w.bad_refusals.is_empty() {
        return Err(format!("seed {seed}: good messages refused: {:?}", w.bad_refusals));
    }
    Ok(w.steps)
}

#[test]
fn many_devices_converge_through_lossy_links_restarts_and_partitions() {
    let schedules: u64 = std::env::var("KDC_SIM_SCHEDULES").ok().and_then(|s| s.parse().ok()).unwrap_or(1500);
    let first: u64 = std::env::var("KDC_SIM_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    let start = Instant::now();
    let mut failures = Vec::new();
    let mut steps = 0;
    for seed in first..first + schedules {
        match run(seed) {
            Ok(s) => steps += s,
            Err(e) => failures.push(e),
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "sync simulation: {schedules} schedules, {steps} steps, {:.1} s: {:.0} schedules/s, {:.0} steps/s",
        secs,
        schedules as f64 / secs,
        steps as f64 / secs
    );
    assert!(failures.is_empty(), "{} of {schedules} schedules failed:\n{}", failures.len(), failures.join("\n"));
}

/// The harness is not vacuous: a machine that keeps sessions across a connection that died
/// (the mistake the rules exist to prevent) is caught.
#[test]
fn the_simulation_catches_sessions_that_outlive_their_connection() {
    // Forgetting nothing on disconnect is modelled by never telling the machines about it:
    // frames were lost with the connection, and the sessions still believe they were sent.
    let mut stalled = 0;
    for seed in 0..200 {
        let mut w = World::new(seed, 2);
        w.connect(0, 1);
        for _ in 0..40 {
            w.step(false);
        }
        w.edit(0);
        w.edit(1);
        // The messages carrying the edits are made and sent, then lost with the connection, and
        // both sides carry on with the same sessions.
        while !w.devices.iter().all(|d| d.work.is_empty()) {
            let d = w.devices.iter().position(|d| !d.work.is_empty()).unwrap();
            w.complete_work(d);
        }
        w.streams[0][1].frames.clear();
        w.streams[1][0].frames.clear();
        for _ in 0..5000 {
            // No faults, no link news: only work, delivery and time.
            w.step(false);
            if w.converged() && w.quiet() {
                break;
            }
        }
        if !w.converged() {
            stalled += 1;
        }
    }
    assert!(stalled > 0, "losing frames without telling the sessions should stall some schedules");
}
