//! The area registry: every area of this device, in memory, backed by the [`Store`].
//!
//! Each area is one [`Area`] (an Automerge document) behind its own `std::sync::Mutex`, so
//! writes to one area are serialised and different areas never wait for each other. A write:
//! 1. locks the area and applies the `crdt_model` operation, which validates everything before
//!    it changes the document (all or nothing);
//! 2. appends `save_after(last persisted heads)` to the store, which flushes before returning;
//! 3. only then records the new heads and answers. If the append fails, the in-memory document
//!    is rolled back to the persisted heads (from memory: after a storage failure the store
//!    may be unreadable, and sled may still show the refused change), so memory never holds a
//!    change the disk does not, and no later write or sync can pass a refused change on.
//!
//! Automerge and sled work is CPU- and IO-bound and must never run on the tokio reactor
//! threads: every public async method here runs its work inside `spawn_blocking`. The
//! `*_blocking` constructors are for code that is already off the reactor.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use automerge::ChangeHash;
use crdt_model::area::{AreaSummary, Conflict, HouseholdListItem, HouseholdView, Member, Status};
use crdt_model::epoch::ErasureStatus;
use crdt_model::ids::{validate_area_id, validate_household_id};
use crdt_model::snapshot::{self, SnapshotError};
use crdt_model::{Area, ConsentChange, HouseholdWrite, ModelError, NewArea};
use serde::{Deserialize, Serialize};

use crate::store::{Store, StoreError};
pub use kdc_api::types::ImportedArea;

pub mod members;
pub mod sync;

/// `meta` key of the device name.
const META_NAME: &str = "device_name";
/// Meta key of the last completed sync per (area, peer), so "Đồng bộ lần cuối" survives a
/// restart: JSON `[[area, peer, unix ms], …]`.
const META_LAST_SYNC: &str = "last_sync";
/// The last sync times are written at most this often (and at shutdown).
const LAST_SYNC_SAVE_MS: i64 = 30_000;

/// Why a node operation failed.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// Refused by the model: invalid input, not found, exists, bad profile, corrupt document.
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
    #[error("invalid snapshot: {0}")]
    Snapshot(#[from] SnapshotError),
    /// An invite was not accepted ([`members`]); the text is for the joiner.
    #[error("invite refused: {0}")]
    Invite(#[from] crate::invite::InviteRefusal),
    /// The area is in the database but could not be loaded at startup.
    #[error("area {id} could not be loaded from the database: {reason}")]
    Unavailable { id: String, reason: String },
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = NodeError> = std::result::Result<T, E>;

/// `POST /v1/areas/{area}/profile/upgrade`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileUpgraded {
    pub profile: String,
    pub version: u32,
}

/// An area and what of it is on disk.
struct AreaEntry {
    area: Area,
    /// Heads of the document as persisted; the next chunk is `save_after(heads)`.
    heads: Vec<ChangeHash>,
    /// Seq of the last chunk in the store (what a compaction includes).
    last_seq: Option<u64>,
    /// Chunks in the store after the area's save.
    chunks: usize,
    /// The document's epoch and the hash of the change that cut it (erasure by epochs): what
    /// every sync message carries, read once per document rather than once per message.
    epoch: (u64, Option<ChangeHash>),
}

type Entry = Arc<Mutex<AreaEntry>>;

struct Inner {
    store: Store,
    /// Peer id string: the Automerge actor and the `by` of every write.
    actor: String,
    name: String,
    compact_threshold: usize,
    areas: RwLock<HashMap<String, Entry>>,
    /// Areas in the database that failed to load, with the reason. They are kept out of
    /// reach (not overwritten, not listed) until an operator looks at them.
    broken: HashMap<String, String>,
    /// The id of every area whose document changed and was persisted (see [`Node::subscribe`]).
    changes: tokio::sync::broadcast::Sender<String>,
    /// (area, peer) -> unix ms of the last completed sync, reported by the network.
    last_sync: Mutex<HashMap<(String, String), i64>>,
    /// When `last_sync` was last written to the store (unix ms).
    last_sync_saved: Mutex<i64>,
    /// What a watcher of this device sees happen (see [`Node::events`]).
    events: tokio::sync::broadcast::Sender<NodeEvent>,
    /// Peers with at least one open connection, as the network reports them.
    connected: Mutex<std::collections::BTreeSet<String>>,
    /// (area, peer) pairs found on a release too old for the area, already said in the log.
    behind_noted: Mutex<std::collections::BTreeSet<(String, String)>>,
}

/// Something that happened on this device, for watchers (`GET /v1/events`, the web app's live
/// pages). Lossy by design: a watcher that lags is told so and re-reads what it shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum NodeEvent {
    /// The area's document changed and the change is durable (a local write, a sync, an import).
    AreaChanged { area: String },
    /// A peer's first connection opened (`connected`) or its last one closed.
    Peer { peer_id: String, connected: bool },
    /// The area is in sync with the peer (Automerge's protocol has nothing more to send).
    Synced { area: String, peer_id: String },
}

/// Cheap, cloneable handle on the registry.
#[derive(Clone)]
pub struct Node {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node").field("actor", &self.inner.actor).field("name", &self.inner.name).finish()
    }
}

/// Resolves the device name: `--name` wins and is stored; else the stored name; else a
/// default, which is stored so it stays stable even if the host is renamed. Blocking.
pub fn resolve_device_name(store: &Store, given: Option<&str>) -> Result<String, crate::DaemonError> {
    if let Some(name) = given {
        let name = crate::config::validate_device_name(name)?;
        store.meta_set(META_NAME, name.as_bytes())?;
        return Ok(name);
    }
    if let Some(stored) = store.meta_get(META_NAME)? {
        if let Ok(name) = String::from_utf8(stored)
            && let Ok(name) = crate::config::validate_device_name(&name)
        {
            return Ok(name);
        }
        tracing::warn!("stored device name is not valid; using the default");
    }
    let name = crate::config::default_device_name();
    store.meta_set(META_NAME, name.as_bytes())?;
    Ok(name)
}

impl Node {
    /// Loads every stored area. Blocking (sled reads and Automerge loads): call it from
    /// `spawn_blocking`. An area that fails to load is logged and kept out of reach instead
    /// of stopping the daemon, so one damaged area does not lock a ward out of the others.
    pub fn open_blocking(store: Store, actor: String, name: String, compact_threshold: usize) -> Result<Node> {
        let mut areas = HashMap::new();
        let mut broken = HashMap::new();
        for id in store.area_ids()? {
            match load_entry(&store, &id, &actor) {
                Ok(entry) => {
                    areas.insert(id, Arc::new(Mutex::new(entry)));
                }
                Err(e) => {
                    tracing::error!(area = %id, error = %e, "area could not be loaded; it is unavailable until repaired");
                    broken.insert(id, e.to_string());
                }
            }
        }
        tracing::info!(areas = areas.len(), unavailable = broken.len(), "areas loaded");
        let last_sync = load_last_sync(&store);
        let inner = Inner {
            store,
            actor,
            name,
            compact_threshold: compact_threshold.max(1),
            areas: RwLock::new(areas),
            broken,
            changes: tokio::sync::broadcast::channel(256).0,
            last_sync: Mutex::new(last_sync),
            last_sync_saved: Mutex::new(0),
            events: tokio::sync::broadcast::channel(256).0,
            connected: Mutex::new(std::collections::BTreeSet::new()),
            behind_noted: Mutex::default(),
        };
        let node = Node { inner: Arc::new(inner) };
        // Compact what a previous run left long (e.g. it crashed before compacting).
        for id in node.inner.area_ids() {
            if let Ok(entry) = node.inner.entry(&id)
                && let Ok(mut e) = node.inner.lock(&entry, &id)
                && e.chunks >= node.inner.compact_threshold
            {
                node.inner.compact_entry(&id, &mut e);
            }
        }
        crate::memory::release_freed();
        Ok(node)
    }

    /// Area ids, each sent after a change to that area is durable: local writes, imports,
    /// areas created or received. The network pushes them to peers. A slow receiver that lags
    /// behind is told so ([`tokio::sync::broadcast::error::RecvError::Lagged`]) and must then
    /// treat every area as changed.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<String> {
        self.inner.changes.subscribe()
    }

    /// Every [`NodeEvent`] from now on.
    pub fn events(&self) -> tokio::sync::broadcast::Receiver<NodeEvent> {
        self.inner.events.subscribe()
    }

    /// Records that `peer` now has a connection (`true`) or none any more (called by the network).
    pub fn peer_connection(&self, peer: &str, connected: bool) {
        let mut set = self.inner.connected.lock().unwrap_or_else(|p| p.into_inner());
        let changed = if connected { set.insert(peer.to_string()) } else { set.remove(peer) };
        drop(set);
        if changed {
            let _ = self.inner.events.send(NodeEvent::Peer { peer_id: peer.to_string(), connected });
        }
    }

    /// Whether `peer` has an open connection now.
    pub fn is_connected(&self, peer: &str) -> bool {
        self.inner.connected.lock().unwrap_or_else(|p| p.into_inner()).contains(peer)
    }

    /// Unix ms of the last completed sync of `area` with `peer` (kept across restarts).
    pub fn last_sync(&self, area: &str, peer: &str) -> Option<i64> {
        let map = self.inner.last_sync.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&(area.to_string(), peer.to_string())).copied()
    }

    /// Runs `f` on the area on a blocking thread and answers what it computes. For readers
    /// that need several views of one area at once (the web app's pages).
    pub async fn with_area<T, F>(&self, id: String, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Area) -> Result<T, ModelError> + Send + 'static,
    {
        self.blocking(move |inner| inner.read(&id, f)).await
    }

    /// The area's criteria profile.
    pub async fn profile(&self, id: String) -> Result<crdt_model::Profile> {
        self.with_area(id, |a| Ok(a.profile().clone())).await
    }

    /// This device's peer id.
    pub fn peer_id(&self) -> &str {
        &self.inner.actor
    }

    /// This device's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Runs `f` on a blocking thread: the only way work reaches the store or Automerge.
    async fn blocking<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || f(&inner))
            .await
            .map_err(|e| NodeError::Internal(format!("worker failed: {e}")))?
    }

    /// Summaries of every area, sorted by id.
    pub async fn list_areas(&self) -> Result<Vec<AreaSummary>> {
        self.blocking(|inner| {
            let mut out = Vec::new();
            for id in inner.area_ids() {
                // An area listed a moment ago is never removed, so `entry` cannot miss.
                out.push(inner.read(&id, |a| Ok(a.summary()))?);
            }
            Ok(out)
        })
        .await
    }

    pub async fn create_area(&self, new: NewArea) -> Result<AreaSummary> {
        self.blocking(move |inner| inner.create_area(new)).await
    }

    pub async fn area_summary(&self, id: String) -> Result<AreaSummary> {
        self.blocking(move |inner| inner.read(&id, |a| Ok(a.summary()))).await
    }

    pub async fn status(&self, id: String) -> Result<Status> {
        self.blocking(move |inner| {
            let (mut status, members) = inner.read(&id, |a| Ok((a.status(), a.members())))?;
            let synced = inner.last_sync.lock().unwrap_or_else(|p| p.into_inner());
            status.members_sync = members
                .into_iter()
                .filter(|m| !m.removed && m.peer_id != inner.actor)
                .map(|m| crdt_model::area::MemberSync {
                    last_sync: synced.get(&(id.clone(), m.peer_id.clone())).map(|ms| crdt_model::area::rfc3339(*ms)),
                    peer_id: m.peer_id,
                    name: m.name,
                })
                .collect();
            Ok(status)
        })
        .await
    }

    /// Records that the area is in sync with `peer` as of `now_ms` (called by the network).
    pub fn record_sync(&self, area: &str, peer: &str, now_ms: i64) {
        let mut map = self.inner.last_sync.lock().unwrap_or_else(|p| p.into_inner());
        map.insert((area.to_string(), peer.to_string()), now_ms);
        drop(map);
        let due = {
            let mut saved = self.inner.last_sync_saved.lock().unwrap_or_else(|p| p.into_inner());
            let due = now_ms - *saved >= LAST_SYNC_SAVE_MS;
            if due {
                *saved = now_ms;
            }
            due
        };
        if due && let Ok(rt) = tokio::runtime::Handle::try_current() {
            let inner = Arc::clone(&self.inner);
            // A sled write: off the reactor.
            rt.spawn_blocking(move || inner.save_last_sync());
        }
        let _ = self.inner.events.send(NodeEvent::Synced { area: area.to_string(), peer_id: peer.to_string() });
    }

    pub async fn household_list(
        &self,
        id: String,
        group: Option<String>,
        missing: Option<String>,
        include_archived: bool,
    ) -> Result<Vec<HouseholdListItem>> {
        self.blocking(move |inner| {
            inner.read(&id, |a| a.household_list(group.as_deref(), missing.as_deref(), include_archived))
        })
        .await
    }

    pub async fn household(&self, id: String, hh: String) -> Result<HouseholdView> {
        self.blocking(move |inner| {
            validate_household_id(&hh)?;
            inner.read(&id, |a| a.household_view(&hh))
        })
        .await
    }

    /// Adds a household; answers its view once durable.
    pub async fn add_household(&self, id: String, write: HouseholdWrite) -> Result<HouseholdView> {
        self.blocking(move |inner| {
            let hh = write.id.clone();
            let (by, now) = (inner.actor.clone(), now_ms());
            inner.write(&id, move |a| {
                a.add_household(write, &by, now)?;
                a.household_view(&hh)
            })
        })
        .await
    }

    /// Changes a household; answers its view once durable.
    pub async fn set_household(&self, id: String, write: HouseholdWrite) -> Result<HouseholdView> {
        self.blocking(move |inner| {
            let hh = write.id.clone();
            let (by, now) = (inner.actor.clone(), now_ms());
            inner.write(&id, move |a| {
                a.set_household(write, &by, now)?;
                a.household_view(&hh)
            })
        })
        .await
    }

    /// Moves the area to the newer built-in profile (head only); answers its version.
    pub async fn upgrade_profile(&self, id: String) -> Result<ProfileUpgraded> {
        self.blocking(move |inner| {
            let (by, now) = (inner.actor.clone(), now_ms());
            inner.write(&id, move |a| {
                let version = a.upgrade_profile(&by, now)?;
                Ok(ProfileUpgraded { profile: a.profile().id().to_string(), version })
            })
        })
        .await
    }

    /// Records a resident's consent decision; answers the household's view once durable.
    pub async fn record_consent(&self, id: String, hh: String, change: ConsentChange) -> Result<HouseholdView> {
        self.blocking(move |inner| {
            let (by, now) = (inner.actor.clone(), now_ms());
            inner.write(&id, move |a| {
                a.record_consent(&hh, change, &by, now)?;
                a.household_view(&hh)
            })
        })
        .await
    }

    pub async fn archive_household(&self, id: String, hh: String) -> Result<HouseholdView> {
        self.blocking(move |inner| {
            validate_household_id(&hh)?;
            let (by, now) = (inner.actor.clone(), now_ms());
            inner.write(&id, move |a| {
                a.archive_household(&hh, &by, now)?;
                a.household_view(&hh)
            })
        })
        .await
    }

    /// The head writes one spelling for every household of a group recorded under several.
    pub async fn merge_group(&self, id: String, name: String) -> Result<usize> {
        self.blocking(move |inner| {
            let (by, now) = (inner.actor.clone(), now_ms());
            inner.write(&id, move |a| a.merge_group(&name, &by, now))
        })
        .await
    }

    pub async fn members(&self, id: String) -> Result<Vec<Member>> {
        self.blocking(move |inner| inner.read(&id, |a| Ok(a.members()))).await
    }

    pub async fn conflicts(&self, id: String) -> Result<Vec<Conflict>> {
        self.blocking(move |inner| inner.read(&id, |a| Ok(a.conflicts()))).await
    }

    /// The area as a snapshot file.
    pub async fn export_snapshot(&self, id: String) -> Result<Vec<u8>> {
        self.blocking(move |inner| inner.read(&id, |a| Ok(snapshot::encode(&[a])))).await
    }

    /// Imports a snapshot file: creates the areas this device lacks and merges the others.
    /// Everything is validated (decoding, uids, merges) before anything changes.
    pub async fn import_snapshot(&self, bytes: Vec<u8>) -> Result<Vec<ImportedArea>> {
        let imported = self.blocking(move |inner| inner.import_snapshot(&bytes)).await;
        tokio::task::spawn_blocking(crate::memory::release_freed);
        imported
    }

    /// Erases a household (head only): the area moves to a new epoch without it, the old
    /// epoch's chunks, saves and data key are destroyed on this device, and every member's
    /// device adopts the new epoch when it next syncs. Answers the erasure status.
    pub async fn erase_household(&self, id: String, hh: String) -> Result<ErasureStatus> {
        self.blocking(move |inner| {
            validate_household_id(&hh)?;
            let entry = inner.entry(&id)?;
            let mut e = inner.lock(&entry, &id)?;
            let next = e.area.erase(&[hh.as_str()], &inner.actor, now_ms())?;
            inner.replace_document(&id, &mut e, next)?;
            tracing::info!(area = %id, epoch = e.epoch.0, "household erased: the area is on a new epoch");
            Ok(e.area.erasure_status())
        })
        .await
    }

    /// Which members' devices hold the area's current epoch.
    pub async fn erasure_status(&self, id: String) -> Result<ErasureStatus> {
        self.blocking(move |inner| inner.read(&id, |a| Ok(a.erasure_status()))).await
    }

    /// Compacts one area now.
    pub async fn compact(&self, id: String) -> Result<()> {
        self.blocking(move |inner| {
            let entry = inner.entry(&id)?;
            let mut e = inner.lock(&entry, &id)?;
            inner.compact_entry(&id, &mut e);
            Ok(())
        })
        .await
    }

    /// Flushes the store (every write already flushed; this is for shutdown), with the last
    /// sync times.
    pub async fn flush(&self) -> Result<()> {
        self.blocking(|inner| {
            inner.save_last_sync();
            Ok(inner.store.flush()?)
        })
        .await
    }
}

/// The last sync times a previous run left (none when absent or unreadable).
fn load_last_sync(store: &Store) -> HashMap<(String, String), i64> {
    let Ok(Some(bytes)) = store.meta_get(META_LAST_SYNC) else { return HashMap::new() };
    serde_json::from_slice::<Vec<(String, String, i64)>>(&bytes)
        .map(|rows| rows.into_iter().map(|(a, p, ms)| ((a, p), ms)).collect())
        .unwrap_or_default()
}

impl Inner {
    /// Writes the last sync times to the store. Blocking.
    fn save_last_sync(&self) {
        let rows: Vec<(String, String, i64)> = self
            .last_sync
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|((a, p), ms)| (a.clone(), p.clone(), *ms))
            .collect();
        let Ok(bytes) = serde_json::to_vec(&rows) else { return };
        if let Err(e) = self.store.meta_set(META_LAST_SYNC, &bytes) {
            tracing::warn!(error = %e, "the last sync times could not be stored");
        }
    }
}

impl Inner {
    /// Puts `next` (a new epoch of the area) in place of the document, on disk first.
    fn replace_document(&self, id: &str, e: &mut AreaEntry, next: Area) -> Result<()> {
        self.store.replace_epoch(id, &next.save())?;
        *e = new_entry(next);
        self.changed(id);
        Ok(())
    }

    /// This device's copy of the area moved onto `next`, when `next` wins by the epoch rule
    /// ([`Area::loses_to`]): the writes the cut did not include replayed, what only this copy
    /// erased erased again (two cuts of one epoch), this device's adoption on the roster.
    /// `None` when `next` does not win (nothing changes).
    fn adopted(&self, current: &Area, next: &Area) -> Result<Option<Area>> {
        if current.uid() != next.uid() {
            return Err(different_area(&current.id(), "in this epoch a different area"));
        }
        if !current.loses_to(next) {
            return Ok(None);
        }
        let now = now_ms();
        let mut adopted = current.adopt(next, &self.actor, now)?;
        if next.epoch() == current.epoch() {
            let only_mine: Vec<String> = current.erased().difference(&next.erased()).cloned().collect();
            if !only_mine.is_empty() {
                let refs: Vec<&str> = only_mine.iter().map(String::as_str).collect();
                adopted = adopted.cut(&refs, now)?;
            }
        }
        adopted.record_epoch(&self.actor, now)?;
        Ok(Some(adopted))
    }

    fn area_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = read_map(&self.areas).keys().cloned().collect();
        ids.sort();
        ids
    }

    fn entry(&self, id: &str) -> Result<Entry> {
        validate_area_id(id)?;
        if let Some(reason) = self.broken.get(id) {
            return Err(NodeError::Unavailable { id: id.to_string(), reason: reason.clone() });
        }
        read_map(&self.areas)
            .get(id)
            .cloned()
            .ok_or_else(|| ModelError::NotFound { what: "area", id: id.to_string() }.into())
    }

    /// Locks an area. A lock poisoned by a panic is recovered by reloading the area from the
    /// store, which holds exactly what was acknowledged.
    fn lock<'a>(&self, entry: &'a Entry, id: &str) -> Result<MutexGuard<'a, AreaEntry>> {
        match entry.lock() {
            Ok(guard) => Ok(guard),
            Err(poisoned) => {
                let mut guard = poisoned.into_inner();
                tracing::warn!(area = %id, "recovering area after a panic");
                *guard = load_entry(&self.store, id, &self.actor)?;
                entry.clear_poison();
                Ok(guard)
            }
        }
    }

    fn read<T>(&self, id: &str, f: impl FnOnce(&Area) -> Result<T, ModelError>) -> Result<T> {
        let entry = self.entry(id)?;
        let e = self.lock(&entry, id)?;
        Ok(f(&e.area)?)
    }

    /// Applies `f` and persists its changes before returning. On any error the area is left as
    /// it was persisted.
    fn write<T>(&self, id: &str, f: impl FnOnce(&mut Area) -> Result<T, ModelError>) -> Result<T> {
        let entry = self.entry(id)?;
        let mut e = self.lock(&entry, id)?;
        match f(&mut e.area) {
            Ok(value) => {
                self.persist(id, &mut e)?;
                Ok(value)
            }
            Err(err) => {
                // crdt_model validates before it writes, so this is a formality; but if a
                // refused operation ever did change the document, undo it.
                if !same_heads(&e.area.heads(), &e.heads) {
                    tracing::warn!(area = %id, "a refused operation changed the document; rolling back");
                    self.rollback(id, &mut e);
                }
                Err(err.into())
            }
        }
    }

    /// Writes the changes since the persisted heads as one chunk (flushed), then maybe compacts.
    fn persist(&self, id: &str, e: &mut AreaEntry) -> Result<()> {
        let heads = e.area.heads();
        if same_heads(&heads, &e.heads) {
            return Ok(()); // Nothing new (e.g. a merge of what we had).
        }
        let chunk = e.area.save_after(&e.heads);
        match self.store.append_chunk(id, &chunk) {
            Ok(seq) => {
                e.heads = heads;
                e.last_seq = Some(seq);
                e.chunks += 1;
                self.changed(id);
            }
            Err(err) => {
                // Not acknowledged, so it must not stay in memory either.
                self.rollback(id, e);
                return Err(err.into());
            }
        }
        if e.chunks >= self.compact_threshold {
            self.compact_entry(id, e);
        }
        Ok(())
    }

    /// Rewrites the area's full save. The write that triggered it is already durable, so a
    /// failure here is only logged: the chunks stay and the next write tries again.
    fn compact_entry(&self, id: &str, e: &mut AreaEntry) {
        // Only valid if memory holds exactly what is persisted (always true under the lock).
        debug_assert!(same_heads(&e.area.heads(), &e.heads));
        let save = e.area.save();
        match self.store.compact(id, &save, e.last_seq) {
            Ok(()) => {
                tracing::debug!(area = %id, chunks = e.chunks, bytes = save.len(), "area compacted");
                e.chunks = 0;
            }
            Err(err) => tracing::warn!(area = %id, error = %err, "compaction failed; will retry"),
        }
    }

    /// Tells subscribers that `id` changed (and the change is durable). No subscriber is fine.
    fn changed(&self, id: &str) {
        let _ = self.changes.send(id.to_string());
        let _ = self.events.send(NodeEvent::AreaChanged { area: id.to_string() });
    }

    fn reload(&self, id: &str, e: &mut AreaEntry) -> Result<()> {
        *e = load_entry(&self.store, id, &self.actor)?;
        Ok(())
    }

    /// Puts the document back to the persisted heads, dropping every change made after them
    /// (a write that was not stored, a sync message that did not apply or was not stored).
    /// Works from memory alone; only if that fails is the area reloaded from the store.
    fn rollback(&self, id: &str, e: &mut AreaEntry) {
        if same_heads(&e.area.heads(), &e.heads) {
            return;
        }
        let forked = e
            .area
            .doc()
            .fork_at(&e.heads)
            .map_err(|err| NodeError::from(ModelError::Corrupt(err.to_string())))
            .and_then(|doc| Ok(Area::load(&doc.save(), &self.actor)?));
        match forked {
            Ok(area) if same_heads(&area.heads(), &e.heads) => e.area = area,
            other => {
                let why = other.err().map_or_else(|| "heads differ".to_string(), |err| err.to_string());
                tracing::error!(area = %id, error = %why, "rolling back in memory failed; reloading from the store");
                if let Err(err) = self.reload(id, e) {
                    tracing::error!(area = %id, error = %err, "could not reload the area either");
                }
            }
        }
    }

    fn create_area(&self, new: NewArea) -> Result<AreaSummary> {
        validate_area_id(&new.id)?;
        // Held across the store write so two creates of one id cannot both pass the check.
        let mut map = write_map(&self.areas);
        if map.contains_key(&new.id) {
            return Err(ModelError::Exists { what: "area", id: new.id }.into());
        }
        if let Some(reason) = self.broken.get(&new.id) {
            return Err(NodeError::Unavailable { id: new.id, reason: reason.clone() });
        }
        let id = new.id.clone();
        let area = Area::create(new, &self.actor, &self.name, now_ms())?;
        self.store.create_area(&id, &area.save())?;
        let summary = area.summary();
        map.insert(id.clone(), Arc::new(Mutex::new(new_entry(area))));
        self.changed(&id);
        Ok(summary)
    }

    fn import_snapshot(&self, bytes: &[u8]) -> Result<Vec<ImportedArea>> {
        // 1. Decode and check the whole file (checksum, every document) first.
        let decoded = snapshot::decode_areas(bytes, &self.actor)?;
        let mut incoming: BTreeMap<String, Area> = BTreeMap::new();
        for area in decoded {
            let id = area.id();
            match incoming.get_mut(&id) {
                None => {
                    incoming.insert(id, area);
                }
                Some(first) if first.uid() == area.uid() => first.merge(&area)?,
                Some(_) => return Err(different_area(&id, "twice in the file, as two different areas")),
            }
        }

        // 2. With creation blocked, lock every affected area (sorted order: no lock cycles with
        // another import) and build the merged documents aside.
        let mut map = write_map(&self.areas);
        let mut existing: Vec<(String, Entry)> = Vec::new();
        for id in incoming.keys() {
            if let Some(reason) = self.broken.get(id) {
                return Err(NodeError::Unavailable { id: id.clone(), reason: reason.clone() });
            }
            if let Some(entry) = map.get(id) {
                existing.push((id.clone(), Arc::clone(entry)));
            }
        }
        let mut guards = Vec::with_capacity(existing.len());
        for (id, entry) in &existing {
            guards.push((id.as_str(), self.lock(entry, id)?));
        }
        let mut merged: HashMap<String, Area> = HashMap::new();
        let mut adopt: HashMap<String, Area> = HashMap::new();
        for (id, guard) in &guards {
            let theirs = &incoming[*id];
            if guard.area.uid() != theirs.uid() {
                return Err(different_area(id, "on this device already, as a different area"));
            }
            if guard.epoch.0 != theirs.epoch() || guard.epoch.1 != theirs.cut_hash() {
                match self.adopted(&guard.area, theirs)? {
                    Some(next) => {
                        adopt.insert(id.to_string(), next);
                        continue;
                    }
                    None => return Err(superseded(id, theirs.epoch(), guard.epoch.0)),
                }
            }
            let mut next = guard.area.clone();
            next.merge(theirs)?;
            merged.insert(id.to_string(), next);
        }

        // 3. Apply. Only storage failures can stop us now; each area stays consistent.
        let mut report = Vec::new();
        for (id, guard) in &mut guards {
            if let Some(next) = adopt.remove(*id) {
                self.replace_document(id, guard, next)?;
                report.push(ImportedArea {
                    id: id.to_string(),
                    created: false,
                    households: guard.area.summary().households,
                });
                continue;
            }
            if let Some(next) = merged.remove(*id) {
                guard.area = next;
                self.persist(id, guard)?;
                report.push(ImportedArea {
                    id: id.to_string(),
                    created: false,
                    households: guard.area.summary().households,
                });
            }
        }
        drop(guards);
        for (id, mut area) in incoming {
            if map.contains_key(&id) {
                continue;
            }
            if area.epoch() > 0 {
                area.record_epoch(&self.actor, now_ms())?;
            }
            self.store.create_area(&id, &area.save())?;
            report.push(ImportedArea { id: id.clone(), created: true, households: area.summary().households });
            map.insert(id.clone(), Arc::new(Mutex::new(new_entry(area))));
            self.changed(&id);
        }
        report.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(report)
    }
}

/// An old snapshot file of an area that moved on: never merged back.
fn superseded(id: &str, theirs: u64, mine: u64) -> NodeError {
    ModelError::InvalidInput {
        field: "epoch".into(),
        message: format!(
            "area {id}: the file holds epoch {theirs}, which this device's epoch {mine} supersedes (households were \
             erased since, or erased apart); nothing was imported. Export a new file from a device of the area"
        ),
    }
    .into()
}

fn different_area(id: &str, how: &str) -> NodeError {
    ModelError::InvalidInput {
        field: "snapshot".into(),
        message: format!(
            "area {id} is {how}: same id, created separately; nothing was imported \
             (export the other area under another id, or ask its ward which one is current)"
        ),
    }
    .into()
}

fn new_entry(area: Area) -> AreaEntry {
    AreaEntry { heads: area.heads(), epoch: (area.epoch(), area.cut_hash()), area, last_seq: None, chunks: 0 }
}

fn load_entry(store: &Store, id: &str, actor: &str) -> Result<AreaEntry> {
    let stored = store.load(id)?.ok_or_else(|| NodeError::Internal(format!("area {id} vanished from the database")))?;
    let area = Area::load(&stored.bytes(), actor)?;
    if area.id() != id {
        return Err(ModelError::Corrupt(format!("stored under {id} but the document is area {}", area.id())).into());
    }
    Ok(AreaEntry {
        heads: area.heads(),
        epoch: (area.epoch(), area.cut_hash()),
        area,
        last_seq: stored.last_seq(),
        chunks: stored.chunks.len(),
    })
}

/// Heads as sets: the order Automerge returns them in is not part of its contract.
fn same_heads(a: &[ChangeHash], b: &[ChangeHash]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort();
    b.sort();
    a == b
}

// The registry map is only ever held briefly and never across a panic-prone call, but a
// poisoned map must not take the whole daemon down: its data is still consistent.
fn read_map<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|p| p.into_inner())
}

fn write_map<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}

/// Unix milliseconds now ([`crdt_model::now_ms`], the one clock).
pub(crate) use crdt_model::now_ms;

#[cfg(test)]
mod tests {
    use super::*;

    const ACTOR: &str = "12D3KooWTestActor";

    fn node(dir: &std::path::Path, threshold: usize) -> Node {
        let store = crate::store::open_for_test(&dir.join("db"));
        Node::open_blocking(store, ACTOR.into(), "test".into(), threshold).expect("node")
    }

    fn new_area(id: &str) -> NewArea {
        NewArea { id: id.into(), name: "Tam Giác 3".into(), ward: "Phường X".into(), profile_toml: None }
    }

    fn write(hh: &str, fields: &[(&str, &str)]) -> HouseholdWrite {
        HouseholdWrite {
            id: hh.into(),
            group: None,
            address: None,
            fields: fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            consent: Some(crdt_model::ConsentGiven::verbal()),
        }
    }

    #[tokio::test]
    async fn the_last_sync_time_survives_a_restart() {
        let tmp = tempfile::tempdir().expect("tempdir");
        {
            let node = node(tmp.path(), 3);
            node.record_sync("a", "12D3KooWPeer", 1_800_000_000_000);
            node.flush().await.expect("flush");
        }
        let node = node(tmp.path(), 3);
        assert_eq!(node.last_sync("a", "12D3KooWPeer"), Some(1_800_000_000_000));
        assert_eq!(node.last_sync("a", "12D3KooWOther"), None);
    }

    #[tokio::test]
    async fn writes_survive_restart_and_compaction() {
        let tmp = tempfile::tempdir().expect("tempdir");
        {
            let node = node(tmp.path(), 3);
            node.create_area(new_area("a")).await.expect("create");
            for i in 0..7 {
                node.add_household("a".into(), write(&format!("H{i}"), &[("members", "4")])).await.expect("add");
            }
            node.set_household("a".into(), write("H0", &[("members", "5")])).await.expect("set");
            node.archive_household("a".into(), "H1".into()).await.expect("archive");
        }
        let node = node(tmp.path(), 3);
        let view = node.household("a".into(), "H0".into()).await.expect("view");
        assert_eq!(view.fields.get("members").and_then(|v| v.count()), Some(5));
        assert_eq!(node.area_summary("a".into()).await.expect("summary").households, 6);
    }

    #[tokio::test]
    async fn refused_write_changes_nothing() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let node = node(tmp.path(), 256);
        node.create_area(new_area("a")).await.expect("create");
        let err = node
            .add_household("a".into(), write("H1", &[("members", "5"), ("members_14plus", "7")]))
            .await
            .expect_err("must be refused");
        assert!(
            matches!(&err, NodeError::Model(ModelError::InvalidInput { field, .. }) if field == "members_14plus"),
            "{err}"
        );
        let err = node.household("a".into(), "H1".into()).await.expect_err("absent");
        assert!(matches!(err, NodeError::Model(ModelError::NotFound { .. })), "{err}");
        let err = node.create_area(new_area("a")).await.expect_err("exists");
        assert!(matches!(err, NodeError::Model(ModelError::Exists { .. })), "{err}");
    }

    #[tokio::test]
    async fn snapshot_import_creates_merges_and_refuses_foreign_uid() {
        let (tmp_a, tmp_b) = (tempfile::tempdir().expect("tempdir"), tempfile::tempdir().expect("tempdir"));
        let a = node(tmp_a.path(), 256);
        a.create_area(new_area("x")).await.expect("create");
        a.add_household("x".into(), write("H1", &[("members", "3")])).await.expect("add");
        let snap = a.export_snapshot("x".into()).await.expect("export");

        // Device b restores from it, then both edit, then b imports a's newer snapshot.
        let b = node(tmp_b.path(), 256);
        let report = b.import_snapshot(snap.clone()).await.expect("import");
        assert_eq!(report, vec![ImportedArea { id: "x".into(), created: true, households: 1 }]);
        a.add_household("x".into(), write("H2", &[])).await.expect("add");
        let report = b.import_snapshot(a.export_snapshot("x".into()).await.expect("export")).await.expect("import");
        assert_eq!(report, vec![ImportedArea { id: "x".into(), created: false, households: 2 }]);

        // A different area that happens to share the id is refused, and nothing changes.
        let tmp_c = tempfile::tempdir().expect("tempdir");
        let c = node(tmp_c.path(), 256);
        c.create_area(new_area("x")).await.expect("create");
        let err = b.import_snapshot(c.export_snapshot("x".into()).await.expect("export")).await.expect_err("refused");
        assert!(
            matches!(&err, NodeError::Model(ModelError::InvalidInput { field, .. }) if field == "snapshot"),
            "{err}"
        );
        assert_eq!(b.area_summary("x".into()).await.expect("summary").households, 2);

        let err = b.import_snapshot(b"garbage".to_vec()).await.expect_err("refused");
        assert!(matches!(err, NodeError::Snapshot(_)), "{err}");

        // b's state persisted.
        drop(b);
        let b = node(tmp_b.path(), 256);
        assert_eq!(b.area_summary("x".into()).await.expect("summary").households, 2);
    }

    /// A new member's first sync carries the area as the sender's store holds it (its save and
    /// the chunks after it), not a new save; the member ends with the sender's document, and
    /// so does one that joins after a compaction.
    #[tokio::test]
    async fn a_first_sync_sends_the_area_as_stored() {
        let joiner = libp2p::identity::Keypair::generate_ed25519().public().to_peer_id().to_string();
        let joiner = joiner.as_str();
        for threshold in [256, 2] {
            let (tmp_a, tmp_b) = (tempfile::tempdir().expect("tempdir"), tempfile::tempdir().expect("tempdir"));
            let a = node(tmp_a.path(), threshold);
            let b = Node::open_blocking(
                crate::store::open_for_test(&tmp_b.path().join("db")),
                joiner.into(),
                "b".into(),
                256,
            )
            .expect("node");
            a.create_area(new_area("x")).await.expect("create");
            for i in 0..5 {
                a.add_household("x".into(), write(&format!("H{i}"), &[("members", "4")])).await.expect("add");
            }
            a.add_member("x".into(), joiner.into(), "B".into(), "member".into()).await.expect("member");
            let stored = a.inner.store.load("x").expect("load").expect("stored");
            if threshold == 256 {
                assert!(!stored.chunks.is_empty(), "stored as a save and chunks");
            }
            let stored = stored.bytes();

            let (mut sa, mut sb) = (sync::SyncSession::default(), sync::SyncSession::default());
            let mut whole = 0;
            let mut to_b = None;
            for _ in 0..6 {
                let (s, m) = a.sync_generate("x".into(), joiner.into(), None, sa).await;
                sa = s;
                let Some(m) = m.expect("generate").or(to_b.take()) else { continue };
                let decoded = automerge::sync::Message::decode(&m).expect("a bare message at epoch 0");
                if !decoded.changes.is_empty() {
                    assert_eq!(decoded.changes, automerge::sync::ChunkList::from(stored.clone()), "as stored");
                    whole += 1;
                }
                let (s, r) = b.sync_receive("x".into(), ACTOR.into(), None, sb, vec![m]).await;
                sb = s;
                if let Some(reply) = r.expect("received").reply {
                    let (s, r) = a.sync_receive("x".into(), joiner.into(), None, sa, vec![reply]).await;
                    sa = s;
                    to_b = r.expect("answered").reply;
                }
            }
            assert_eq!(whole, 1, "the document went once");
            let (sum_a, sum_b) =
                (a.area_summary("x".into()).await.expect("a"), b.area_summary("x".into()).await.expect("b"));
            assert_eq!((sum_b.households, &sum_b.id), (sum_a.households, &sum_a.id));
            assert_eq!(sum_b.households, 5);
            let on_b = b.inner.store.load("x").expect("load").expect("stored on b").bytes();
            assert_eq!(on_b, stored, "b stores the bytes as they came");
        }
    }
}
