//! Durable storage of area documents: sled for everything small, one file per full save.
//!
//! # Layout
//! sled keys are typed and big-endian so that sled's byte order is numeric order.
//!
//! | tree | key | value |
//! |---|---|---|
//! | `areas` | area id | current base generation `g`, u64 BE |
//! | `chunks` | area id, `0x00`, seq u64 BE | an incremental chunk ([`crdt_model::Area::save_after`]) |
//! | `meta` | name | small device settings (the device name) |
//! | `invites` | SHA-256 of an invite's secret (32 bytes) | used flag u8, expiry i64 BE (unix ms), area id |
//!
//! An invite is stored by the hash of its secret, never the secret itself: whoever reads the
//! database cannot redeem the invites in it. Marking one used is a compare-and-swap, so of two
//! redemptions racing for one invite exactly one wins.
//!
//! Area ids never contain `0x00` (they are `[a-z0-9-]`), so the `0x00` separator makes
//! `id ++ 0x00` a prefix of exactly one area's keys.
//!
//! Full saves ([`crdt_model::Area::save`]) are files `DATA_DIR/saves/ID.G`, written to
//! `ID.G.tmp`, synced, renamed, and the directory synced. They live outside sled because sled
//! keeps a replaced large value on disk until its log has moved on by a segment (half a
//! megabyte) and keeps the page that held it until the page is consolidated: right after a
//! compaction the old and the new save were both on disk. A file is deleted the moment it is
//! no longer needed. (Databases from before keep saves in a sled tree `saves`; opening one
//! moves them to files.)
//!
//! An area's document is the save `ID.areas[id]` followed by every chunk of the area in seq
//! order. A write appends one chunk and flushes before it is acknowledged.
//!
//! # Encryption at rest
//! Every chunk and every save file is sealed ([`crypt`]: XChaCha20-Poly1305, the area id, epoch
//! and generation or seq as associated data) under the data key of its area's epoch, which is
//! kept in `DATA_DIR/keys/ID.EPOCH` sealed by the device key of `DATA_DIR/keys/device.key`,
//! itself optionally wrapped by a passphrase ([`keys`]). sled's other trees hold no household
//! data (area ids and generations, the device name, hashes of invites) and stay as they are.
//! A data directory from before is sealed when first opened ([`migrate`]).
//!
//! Invariant: no household byte reaches the disk unsealed; a value that does not open (altered,
//! moved, another device's) is refused as [`StoreError::Corrupt`], never read as data.
//!
//! # Durability
//! [`Store`]'s flush is sled's `flush` followed by an `fdatasync` of sled's log file and of
//! any new blob file (values over 128 KiB). On Linux sled's `flush` only calls
//! `sync_file_range`, which writes the data but not the file's size and block map
//! (spacejam/sled#1452): on ext4 a crash, or the filesystem turning read-only after an error,
//! then loses writes sled reported flushed. sled writes blob files and its `conf` without any
//! sync at all. The extra `fdatasync` closes both gaps; directories are synced once at open.
//!
//! # Storage failures: a full disk, a read-only filesystem
//! sled 0.34.7 writes its log from background threads; the first IO error there (ENOSPC,
//! EROFS, EIO) is stored as the database's "global error" and from then on every write and
//! every flush of that `Db` fails with it, even once the disk has room again; only opening the
//! database again clears it. Reads keep working, and they see the refused write: its key is in
//! sled's memory although it never reached the disk.
//!
//! So the store turns IO errors into [`StorageFault`]s (disk full, read-only, other IO error,
//! naming the data directory) and, on the first one, closes the failed `Db` and refuses every
//! call with that fault. Each later call first checks whether the directory takes writes again
//! (a probe file of [`PROBE_BYTES`], synced and deleted); once it does, the database is opened
//! again, what the refused writes may have left on disk is removed (the chunk an append
//! refused, the entries of a refused area creation), and that is flushed before the call goes
//! on. No restart is needed, and a write reported as failed is never found stored later. The
//! handle stays the one `Db` of the process: every clone of a [`Store`] shares the reopened one.
//!
//! # Compaction, and why it is crash-safe
//! When an area has many chunks, its full save is rewritten:
//! 1. write the new save as generation `g+1` (a synced file);
//! 2. switch `areas[id] = g+1`, flush;
//! 3. delete the chunks with `seq <= last`, where `last` is the last chunk the new save
//!    includes, in one atomic batch, flush; delete every other save file of the area.
//!
//! A crash before step 2 leaves `areas[id] = g`: the old save plus all chunks, as before (the
//! orphan save `g+1` is deleted when the database is next opened, as is any save file that is
//! not the current generation of a stored area). A crash after step 2
//! leaves save `g+1` plus chunks it already contains. Loading that is still correct because
//! Automerge identifies changes by hash and ignores a change it already has: a save followed
//! by chunks of changes it includes loads to the same document. Chunks appended after the
//! compaction have higher seq numbers (seq keeps counting from the highest stored one), so they
//! are never deleted by mistake. A compaction stopped by a storage failure is the same as one
//! stopped by a crash.
//!
//! Every method blocks (sled IO, possibly fsync): async callers use `spawn_blocking`.

pub mod crypt;
mod encoding;
mod fault;
mod handles;
pub mod keys;
mod migrate;
mod recovery;
mod saves;
#[cfg(test)]
mod tests;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use sled::Batch;

use crypt::Place;
pub use encoding::StoredInvite;
use encoding::{Entry, check_id, chunk_key, parse_suffix, prefix};
use fault::storage_error;
pub use fault::{PROBE_BYTES, StorageFault, StorageProblem};
use handles::{Handles, delete_prefix};
pub use keys::{DeviceKey, KeyError, Passphrase, Protection};
use recovery::{State, Undo};

/// Chunks per area before [`crate::node`] compacts it.
pub const DEFAULT_COMPACT_THRESHOLD: usize = 256;
/// sled page cache. The documents are small; the daemon runs on phones and old laptops.
pub const CACHE_CAPACITY: u64 = 8 * 1024 * 1024;
/// The directory of save files, beside sled's (`DATA_DIR/saves`).
pub const SAVES_DIR: &str = "saves";

/// Storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data directory does not take writes (or cannot be read): a full disk, a read-only
    /// filesystem, an IO error. Not a bug, not corruption; the store recovers by itself once
    /// the cause is gone.
    #[error("{0}")]
    Storage(StorageFault),
    #[error("database error: {0}")]
    Sled(#[from] sled::Error),
    #[error("database file error: {0}")]
    Io(#[from] io::Error),
    #[error("database is inconsistent: {0}")]
    Corrupt(String),
    #[error("area id {0:?} cannot be used as a storage key")]
    BadKey(String),
    #[error("area {0} exists already in the database")]
    Exists(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An area as stored: its latest full save and the chunks after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredArea {
    pub generation: u64,
    /// The area's epoch (erasure by epochs): what its data key belongs to.
    pub epoch: u64,
    pub save: Vec<u8>,
    /// `(seq, bytes)` in seq order.
    pub chunks: Vec<(u64, Vec<u8>)>,
}

impl StoredArea {
    /// The save followed by every chunk: what [`crdt_model::Area::load`] reads.
    pub fn bytes(&self) -> Vec<u8> {
        let len = self.save.len() + self.chunks.iter().map(|(_, c)| c.len()).sum::<usize>();
        let mut out = Vec::with_capacity(len);
        out.extend_from_slice(&self.save);
        for (_, chunk) in &self.chunks {
            out.extend_from_slice(chunk);
        }
        out
    }

    /// The seq of the last chunk, if any.
    pub fn last_seq(&self) -> Option<u64> {
        self.chunks.last().map(|(seq, _)| *seq)
    }
}

/// A cheap, cloneable handle on the process's one sled database.
#[derive(Clone)]
pub struct Store {
    shared: Arc<Shared>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store").field("path", &self.shared.path).finish()
    }
}

struct Shared {
    /// The sled directory (`DATA_DIR/db`).
    path: PathBuf,
    /// The directory storage messages name: the one the user knows (`--data-dir`).
    data_dir: PathBuf,
    state: RwLock<State>,
    sealing: Sealing,
}

/// How values go to disk.
enum Sealing {
    /// Sealed under the area's data key: what kdcd does.
    Sealed(DeviceKey),
    /// As they are: only for the benchmark that measures what sealing costs.
    Plain,
}

impl Sealing {
    /// The data key of `area`, made if `create` and there is none.
    fn key(&self, area: &str, epoch: u64, create: bool) -> Result<Option<std::sync::Arc<crypt::AreaKey>>> {
        match self {
            Sealing::Sealed(device) => device.area_key(area, epoch, create).map(Some),
            Sealing::Plain => Ok(None),
        }
    }

    fn seal(&self, area: &str, epoch: u64, place: Place, plain: &[u8], create: bool) -> Result<Vec<u8>> {
        match self.key(area, epoch, create)? {
            Some(key) => key.seal(place, plain),
            None => Ok(plain.to_vec()),
        }
    }

    fn open(&self, area: &str, epoch: u64, place: Place, stored: Vec<u8>) -> Result<Vec<u8>> {
        match self.key(area, epoch, false)? {
            Some(key) => key.open(place, &stored),
            None if crypt::is_sealed(&stored) => {
                Err(StoreError::Corrupt(format!("area {area}: a sealed value in a store opened without keys")))
            }
            None => Ok(stored),
        }
    }
}

impl Store {
    /// Opens (or creates) the database directory `path` (`DATA_DIR/db`), sealing every value
    /// under data keys wrapped by `device` (see [`keys`]). A data directory from before
    /// encryption at rest is sealed first ([`migrate`]).
    pub fn open(path: &Path, device: DeviceKey) -> Result<Store> {
        Store::open_with(path, Sealing::Sealed(device))
    }

    /// Opens the database with values stored as they are. Only for the benchmark that
    /// measures what sealing costs; kdcd never does this.
    #[doc(hidden)]
    pub fn open_unsealed_for_benchmark(path: &Path) -> Result<Store> {
        Store::open_with(path, Sealing::Plain)
    }

    fn open_with(path: &Path, sealing: Sealing) -> Result<Store> {
        let data_dir = path.parent().unwrap_or(path).to_path_buf();
        let opened = (|| {
            migrate::finish_interrupted(path)?;
            let handles = Handles::open(path)?;
            match &sealing {
                Sealing::Sealed(device) => {
                    let handles = migrate::seal_plain(handles, device)?;
                    device.collect(|area, epoch| Ok(handles.entry(area)?.is_some_and(|e| e.epoch == epoch)))?;
                    handles.collect_old_epochs()?;
                    Ok(handles)
                }
                Sealing::Plain => {
                    handles.collect_old_epochs()?;
                    Ok(handles)
                }
            }
        })();
        // Only a full disk or a read-only filesystem gets the storage message here: "kdcd tries
        // again" would not be true of a daemon that does not start.
        let handles = opened.map_err(|e| match storage_error(&data_dir, e) {
            StoreError::Storage(fault) if fault.problem == StorageProblem::Io => {
                StoreError::Io(io::Error::other(fault.detail))
            }
            other => other,
        })?;
        Ok(Store {
            shared: Arc::new(Shared {
                path: path.to_path_buf(),
                data_dir,
                state: RwLock::new(State { db: Some(handles), failure: None }),
                sealing,
            }),
        })
    }

    /// How the device key is kept (`None`: values are not sealed).
    pub fn protection(&self) -> Option<Protection> {
        match &self.shared.sealing {
            Sealing::Sealed(device) => Some(device.protection()),
            Sealing::Plain => None,
        }
    }

    /// Ids of every stored area, sorted.
    pub fn area_ids(&self) -> Result<Vec<String>> {
        self.run(|h, _| {
            h.areas
                .iter()
                .keys()
                .map(|k| {
                    let k = k?;
                    String::from_utf8(k.to_vec())
                        .map_err(|_| StoreError::Corrupt("an area id in the database is not UTF-8".into()))
                })
                .collect()
        })
    }

    pub fn contains(&self, area: &str) -> Result<bool> {
        self.run(|h, _| h.contains(area))
    }

    /// Stores a new area from its full save (generation 0), durably. Refuses an id that exists.
    pub fn create_area(&self, area: &str, save: &[u8]) -> Result<()> {
        check_id(area)?;
        self.run(|h, undo| {
            if h.contains(area)? {
                return Err(StoreError::Exists(area.to_string()));
            }
            undo.push(Undo::Area(area.to_string()));
            // Leftovers of an earlier, never-committed attempt (the save is written before the
            // `areas` entry) must not be mistaken for this area's chunks.
            delete_prefix(&h.chunks, area)?;
            h.flush()?;
            h.remove_saves(area, None)?;
            h.write_save(area, 0, &self.shared.sealing.seal(area, 0, Place::Save(0), save, true)?)?;
            // The `areas` entry is what makes the area exist; it is written only once its save
            // is on disk.
            h.areas.insert(area.as_bytes(), &0u64.to_be_bytes())?;
            h.flush()?;
            Ok(())
        })
    }

    /// Appends an incremental chunk to an area and flushes: when this returns `Ok`, the chunk
    /// is on disk. Returns the chunk's seq.
    ///
    /// Callers serialise writes per area (the node holds the area's mutex).
    pub fn append_chunk(&self, area: &str, bytes: &[u8]) -> Result<u64> {
        check_id(area)?;
        self.run(|h, undo| {
            let Some(entry) = h.entry(area)? else {
                return Err(StoreError::Corrupt(format!("chunk for unknown area {area}")));
            };
            let seq = match h.chunks.scan_prefix(prefix(area)).keys().next_back() {
                Some(key) => parse_suffix(&key?, area)?
                    .checked_add(1)
                    .ok_or_else(|| StoreError::Corrupt(format!("chunk seq overflow in area {area}")))?,
                None => 0,
            }
            .max(entry.floor);
            undo.push(Undo::Chunk { area: area.to_string(), seq });
            let sealed = self.shared.sealing.seal(area, entry.epoch, Place::Chunk(seq), bytes, false)?;
            h.chunks.insert(chunk_key(area, seq), sealed)?;
            h.flush()?;
            Ok(seq)
        })
    }

    /// Reads an area: its current save and the chunks after it. `None` if the area is unknown.
    pub fn load(&self, area: &str) -> Result<Option<StoredArea>> {
        check_id(area)?;
        self.run(|h, _| {
            let Some(Entry { generation, epoch, floor }) = h.entry(area)? else {
                return Ok(None);
            };
            let save =
                self.shared.sealing.open(area, epoch, Place::Save(generation), h.read_save(area, generation)?)?;
            let mut chunks = Vec::new();
            for item in h.chunks.scan_prefix(prefix(area)) {
                let (key, value) = item?;
                let seq = parse_suffix(&key, area)?;
                if seq < floor {
                    continue;
                }
                chunks.push((seq, self.shared.sealing.open(area, epoch, Place::Chunk(seq), value.to_vec())?));
            }
            Ok(Some(StoredArea { generation, epoch, save, chunks }))
        })
    }

    /// Number of chunks stored after an area's save.
    pub fn chunk_count(&self, area: &str) -> Result<usize> {
        check_id(area)?;
        self.run(|h, _| Ok(h.chunks.scan_prefix(prefix(area)).count()))
    }

    /// Replaces an area's save with `save`, which must include every chunk with
    /// `seq <= included` (`None`: no chunk). See the module docs for the crash-safety argument.
    ///
    /// The caller must hold the area's lock so no chunk is appended meanwhile — not for
    /// correctness on disk (later chunks survive), but so that `save` is what it claims.
    pub fn compact(&self, area: &str, save: &[u8], included: Option<u64>) -> Result<()> {
        self.compact_steps(area, save, included, u8::MAX)
    }

    /// [`Store::compact`], stopping after `steps` steps (1..=3); for crash tests.
    fn compact_steps(&self, area: &str, save: &[u8], included: Option<u64>, steps: u8) -> Result<()> {
        check_id(area)?;
        self.run(|h, _| {
            let entry = h.entry(area)?.ok_or_else(|| StoreError::Corrupt(format!("compacting unknown area {area}")))?;
            let next = entry.next_generation(area)?;

            // 1. The new save, durable before anything refers to it.
            h.write_save(area, next, &self.shared.sealing.seal(area, entry.epoch, Place::Save(next), save, false)?)?;
            if steps < 2 {
                return Ok(());
            }
            // 2. Switch: from here on loads start from the new save.
            h.areas.insert(area.as_bytes(), Entry { generation: next, ..entry }.encode())?;
            h.flush()?;
            if steps < 3 {
                return Ok(());
            }
            // 3. Garbage: the included chunks (one atomic batch), then the other save files of
            // the area (the replaced one, orphans of interrupted compactions).
            if let Some(included) = included {
                let mut chunks = Batch::default();
                for key in h.chunks.range(chunk_key(area, 0)..=chunk_key(area, included)).keys() {
                    chunks.remove(key?);
                }
                h.chunks.apply_batch(chunks)?;
            }
            h.flush()?;
            h.remove_saves(area, Some(next))?;
            Ok(())
        })
    }

    /// Replaces an area's document by `save`, a new document (a new epoch of the area, erasure
    /// by epochs), under a new data key, and destroys what held the document before: its
    /// chunks, its save files and its data key (crypto-shredding: what sled's log or the flash
    /// may still hold of the old chunks no longer opens). The store counts its own key epochs
    /// (one per replacement); they need not be the document's epoch numbers (two cuts of one
    /// epoch replace each other too). Answers the new key epoch.
    ///
    /// Crash-safe like a compaction: the new epoch's key and save are durable before the
    /// `areas` entry points at them; the entry sets the chunk floor to the next seq, so chunks
    /// of the old epoch are never read again whether or not their deletion completed (what is
    /// left is deleted when the store is opened, as are the old key file and save).
    pub fn replace_epoch(&self, area: &str, save: &[u8]) -> Result<u64> {
        check_id(area)?;
        self.run(|h, _| {
            let entry = h.entry(area)?.ok_or_else(|| StoreError::Corrupt(format!("replacing unknown area {area}")))?;
            let epoch = entry
                .epoch
                .checked_add(1)
                .ok_or_else(|| StoreError::Corrupt(format!("epoch overflow in area {area}")))?;
            let next = entry.next_generation(area)?;
            let floor = match h.chunks.scan_prefix(prefix(area)).keys().next_back() {
                Some(key) => parse_suffix(&key?, area)? + 1,
                None => entry.floor,
            }
            .max(entry.floor);
            h.write_save(area, next, &self.shared.sealing.seal(area, epoch, Place::Save(next), save, true)?)?;
            h.areas.insert(area.as_bytes(), Entry { generation: next, epoch, floor }.encode())?;
            h.flush()?;
            delete_prefix(&h.chunks, area)?;
            h.flush()?;
            h.remove_saves(area, Some(next))?;
            if let Sealing::Sealed(device) = &self.shared.sealing {
                device.collect(|a, e| Ok(a != area || e == epoch))?;
            }
            Ok(epoch)
        })
    }

    /// A small setting from the `meta` tree.
    pub fn meta_get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.run(|h, _| Ok(h.meta.get(key.as_bytes())?.map(|v| v.to_vec())))
    }

    /// Sets a small setting, durably. Writes nothing when it already has that value.
    pub fn meta_set(&self, key: &str, value: &[u8]) -> Result<()> {
        self.run(|h, _| {
            if h.meta.get(key.as_bytes())?.is_some_and(|v| v == value) {
                return Ok(());
            }
            h.meta.insert(key.as_bytes(), value)?;
            h.flush()
        })
    }

    /// Stores a new invite under the hash of its secret, durably.
    pub fn invite_put(&self, hash: &[u8; 32], invite: &StoredInvite) -> Result<()> {
        self.run(|h, _| {
            h.invites.insert(hash, invite.encode())?;
            h.flush()
        })
    }

    /// The invite stored under `hash`, if any.
    pub fn invite_get(&self, hash: &[u8; 32]) -> Result<Option<StoredInvite>> {
        self.run(|h, _| match h.invites.get(hash)? {
            None => Ok(None),
            Some(v) => StoredInvite::decode(&v)
                .map(Some)
                .ok_or_else(|| StoreError::Corrupt("an invite in the database is malformed".into())),
        })
    }

    /// Marks `current` (as read by [`Store::invite_get`]) used, durably. `false` when the
    /// stored invite is no longer `current` (another redemption won the race, or it is gone):
    /// then nothing was changed.
    pub fn invite_mark_used(&self, hash: &[u8; 32], current: &StoredInvite) -> Result<bool> {
        self.run(|h, _| {
            let used = StoredInvite { used: true, ..current.clone() };
            let swapped = h.invites.compare_and_swap(hash, Some(current.encode()), Some(used.encode()))?;
            if swapped.is_err() {
                return Ok(false);
            }
            h.flush()?;
            Ok(true)
        })
    }

    /// Deletes invites that expired before `before_ms`; answers how many.
    pub fn invites_purge(&self, before_ms: i64) -> Result<usize> {
        self.run(|h, _| {
            let mut batch = Batch::default();
            let mut n = 0;
            for item in h.invites.iter() {
                let (key, value) = item?;
                // A malformed entry can never be redeemed either: it goes too.
                if StoredInvite::decode(&value).is_none_or(|i| i.expires_at_ms < before_ms) {
                    batch.remove(key);
                    n += 1;
                }
            }
            if n > 0 {
                h.invites.apply_batch(batch)?;
                h.flush()?;
            }
            Ok(n)
        })
    }

    /// Flushes everything written so far to disk.
    pub fn flush(&self) -> Result<()> {
        self.run(|h, _| h.flush())
    }
}

#[cfg(test)]
impl Store {
    fn count_saves(&self, area: &str) -> usize {
        self.run(|h, _| Ok(h.save_files()?.iter().filter(|(a, _, _)| a == area).count())).expect("count saves")
    }
}

#[cfg(test)]
/// Opens the store; after a drop in the same process, sled's background flusher may hold
/// the file lock a moment longer, so a reopen waits for it (bounded).
pub(crate) fn open_for_test(path: &Path) -> Store {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let device = DeviceKey::open(path.parent().unwrap_or(path), None).expect("device key");
        match Store::open(path, device) {
            Ok(store) => return store,
            Err(e) if std::time::Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("open store: {e}"),
        }
    }
}
