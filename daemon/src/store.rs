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

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use sled::{Batch, Db, IVec, Tree};

use crate::durable::{open_to_sync, sync_dir};

/// Chunks per area before [`crate::node`] compacts it.
pub const DEFAULT_COMPACT_THRESHOLD: usize = 256;
/// sled page cache. The documents are small; the daemon runs on phones and old laptops.
pub const CACHE_CAPACITY: u64 = 8 * 1024 * 1024;
/// After a storage failure, the database is opened again only once a probe file of this size
/// can be written and synced in its directory: room for sled to go on (its log grows by
/// segments of 512 KiB, written in pieces), not just for one more small write.
pub const PROBE_BYTES: usize = 256 * 1024;
/// The probe file, in the database directory (so it is on the database's filesystem).
const PROBE_FILE: &str = "kdcd.probe";
/// How long opening the database again waits for the threads of the failed one to let go of
/// sled's file lock.
const REOPEN_WAIT: Duration = Duration::from_secs(10);

const SEP: u8 = 0x00;
/// The directory of save files, beside sled's (`DATA_DIR/saves`).
pub const SAVES_DIR: &str = "saves";
/// Where databases from before save files kept them.
const LEGACY_SAVES_TREE: &[u8] = b"saves";

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

/// What is wrong with the data directory's storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageProblem {
    /// ENOSPC or EDQUOT.
    DiskFull,
    /// EROFS: mounted read-only, or turned read-only by the kernel after a disk error.
    ReadOnly,
    /// Any other IO error (EIO, ...).
    Io,
}

impl StorageProblem {
    pub fn of(kind: io::ErrorKind) -> StorageProblem {
        match kind {
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => StorageProblem::DiskFull,
            io::ErrorKind::ReadOnlyFilesystem => StorageProblem::ReadOnly,
            _ => StorageProblem::Io,
        }
    }

    /// The API's `reason` for it.
    pub fn as_str(self) -> &'static str {
        match self {
            StorageProblem::DiskFull => "disk_full",
            StorageProblem::ReadOnly => "read_only",
            StorageProblem::Io => "io_error",
        }
    }
}

/// A storage failure, with the data directory it is about; its text says what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageFault {
    pub problem: StorageProblem,
    pub data_dir: PathBuf,
    /// The operating system's words for it.
    pub detail: String,
}

impl StorageFault {
    pub fn new(data_dir: &Path, error: &io::Error) -> StorageFault {
        let problem = StorageProblem::of(error.kind());
        let detail = match problem {
            // sled hands on a copy of its first error whose text is a debug dump; the kind
            // says it all.
            StorageProblem::DiskFull => "no space left on device".to_string(),
            StorageProblem::ReadOnly => "read-only file system".to_string(),
            StorageProblem::Io => error.to_string(),
        };
        StorageFault { problem, data_dir: data_dir.to_path_buf(), detail }
    }

    /// The fault for `error` if it is a full disk or a read-only filesystem.
    pub fn full_or_read_only(data_dir: &Path, error: &io::Error) -> Option<StorageFault> {
        let fault = StorageFault::new(data_dir, error);
        (fault.problem != StorageProblem::Io).then_some(fault)
    }
}

impl StorageFault {
    /// The text for a daemon that cannot start because of it.
    pub fn at_start(&self) -> String {
        let (dir, detail) = (self.data_dir.display(), &self.detail);
        match self.problem {
            StorageProblem::DiskFull => format!(
                "the disk that holds the data directory {dir} is full ({detail}); free space on that disk, \
                 then start kdcd again"
            ),
            StorageProblem::ReadOnly => format!(
                "the data directory {dir} is read-only ({detail}); kdcd must be able to write there: remount \
                 the disk read-write (or repair it if the system made it read-only after a disk error), or \
                 give another --data-dir"
            ),
            StorageProblem::Io => format!("cannot write to the data directory {dir} ({detail})"),
        }
    }
}

impl fmt::Display for StorageFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (dir, detail) = (self.data_dir.display(), &self.detail);
        match self.problem {
            StorageProblem::DiskFull => write!(
                f,
                "the disk that holds the data directory {dir} is full ({detail}): nothing can be saved. \
                 Free space on that disk; kdcd saves changes again as soon as there is room, without a restart"
            ),
            StorageProblem::ReadOnly => write!(
                f,
                "the data directory {dir} is read-only ({detail}): nothing can be saved. Make it writable \
                 again (remount the disk read-write, or repair it if the system made it read-only after a \
                 disk error); kdcd saves changes again once it can write"
            ),
            StorageProblem::Io => write!(
                f,
                "cannot write to the data directory {dir} ({detail}): nothing can be saved; kdcd tries \
                 again with the next change"
            ),
        }
    }
}

impl std::error::Error for StorageFault {}

/// An area as stored: its latest full save and the chunks after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredArea {
    pub generation: u64,
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

/// An invite as the inviting device keeps it (the key is the hash of its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredInvite {
    pub area: String,
    pub expires_at_ms: i64,
    pub used: bool,
}

impl StoredInvite {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(9 + self.area.len());
        out.push(u8::from(self.used));
        out.extend_from_slice(&self.expires_at_ms.to_be_bytes());
        out.extend_from_slice(self.area.as_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Option<StoredInvite> {
        let used = match *bytes.first()? {
            0 => false,
            1 => true,
            _ => return None,
        };
        let expires_at_ms = i64::from_be_bytes(bytes.get(1..9)?.try_into().ok()?);
        let area = String::from_utf8(bytes.get(9..)?.to_vec()).ok()?;
        Some(StoredInvite { area, expires_at_ms, used })
    }
}

/// What a write that failed may have left in the database, to be removed when it is opened
/// again (the write was reported as failed, so it must not turn up later).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Undo {
    /// An appended chunk.
    Chunk { area: String, seq: u64 },
    /// A new area: its `areas` entry, saves and chunks.
    Area(String),
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
}

/// Either `db` is open and `failure` is `None`, or `failure` says why not.
struct State {
    db: Option<Handles>,
    failure: Option<Failure>,
}

struct Failure {
    /// Owed to the disk once the database is open again.
    undo: Vec<Undo>,
}

/// The open database.
struct Handles {
    path: PathBuf,
    db: Db,
    areas: Tree,
    /// `DATA_DIR/saves`: one file per full save.
    saves: PathBuf,
    chunks: Tree,
    meta: Tree,
    invites: Tree,
    /// sled's log file, for `fdatasync`.
    log: File,
    /// Blob files already synced.
    blobs: Mutex<BTreeSet<OsString>>,
}

impl Handles {
    fn open(path: &Path) -> Result<Handles> {
        let db = sled::Config::new().path(path).cache_capacity(CACHE_CAPACITY).open()?;
        // Writing is never done through this handle; Windows wants it to flush.
        let log = OpenOptions::new().read(true).write(cfg!(windows)).open(path.join("db"))?;
        let saves = path.parent().unwrap_or(path).join(SAVES_DIR);
        fs::create_dir_all(&saves)?;
        let handles = Handles {
            path: path.to_path_buf(),
            areas: db.open_tree("areas")?,
            saves,
            chunks: db.open_tree("chunks")?,
            meta: db.open_tree("meta")?,
            invites: db.open_tree("invites")?,
            db,
            log,
            blobs: Mutex::default(),
        };
        // sled creates its files and writes `conf` without syncing them or their directories.
        open_to_sync(&path.join("conf"))?.sync_all()?;
        sync_dir(&path.join("blobs"))?;
        sync_dir(&handles.saves)?;
        sync_dir(path)?;
        if let Some(parent) = path.parent() {
            sync_dir(parent)?;
        }
        handles.flush()?;
        handles.migrate_saves()?;
        handles.collect_saves()?;
        Ok(handles)
    }

    fn save_path(&self, area: &str, generation: u64) -> PathBuf {
        self.saves.join(format!("{area}.{generation}"))
    }

    /// Writes a full save durably: a temporary file, synced, renamed, directory synced.
    fn write_save(&self, area: &str, generation: u64, bytes: &[u8]) -> Result<()> {
        let tmp = self.saves.join(format!("{area}.{generation}.tmp"));
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_data()?;
        drop(file);
        fs::rename(&tmp, self.save_path(area, generation))?;
        sync_dir(&self.saves)?;
        Ok(())
    }

    fn read_save(&self, area: &str, generation: u64) -> Result<Vec<u8>> {
        fs::read(self.save_path(area, generation)).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => {
                StoreError::Corrupt(format!("area {area}: save generation {generation} is missing"))
            }
            _ => e.into(),
        })
    }

    /// Save files as (area, generation, is a temporary file), one per file in the directory.
    fn save_files(&self) -> Result<Vec<(String, Option<u64>, PathBuf)>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.saves)? {
            let path = entry?.path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            // Area ids have no dots: `ID.G` is a save, anything else (`ID.G.tmp`) is not one.
            let (area, rest) = name.split_once('.').unwrap_or((&name, ""));
            out.push((area.to_string(), rest.parse::<u64>().ok(), path));
        }
        Ok(out)
    }

    /// Deletes the save files for which `stale(area, generation)` holds (a temporary file has
    /// no generation), then syncs the directory if any went.
    fn remove_save_files(&self, mut stale: impl FnMut(&str, Option<u64>) -> Result<bool>) -> Result<()> {
        let mut removed = false;
        for (area, generation, path) in self.save_files()? {
            if stale(&area, generation)? {
                remove_file_if_present(&path)?;
                removed = true;
            }
        }
        if removed {
            sync_dir(&self.saves)?;
        }
        Ok(())
    }

    /// Deletes the save files of `area` other than generation `keep` (all with `None`).
    fn remove_saves(&self, area: &str, keep: Option<u64>) -> Result<()> {
        self.remove_save_files(|a, generation| Ok(a == area && (generation.is_none() || generation != keep)))
    }

    /// Deletes every save file that is not the current save of a stored area: orphans of an
    /// interrupted compaction or area creation, a replaced save, temporary files.
    fn collect_saves(&self) -> Result<()> {
        self.remove_save_files(|area, generation| {
            let current = self.areas.get(area.as_bytes())?.and_then(|g| parse_u64(&g));
            Ok(generation.is_none() || generation != current)
        })
    }

    /// Moves the saves of a database from before save files (sled tree `saves`) to files.
    fn migrate_saves(&self) -> Result<()> {
        if !self.db.tree_names().iter().any(|n| n.as_ref() == LEGACY_SAVES_TREE) {
            return Ok(());
        }
        let legacy = self.db.open_tree(LEGACY_SAVES_TREE)?;
        let mut moved = 0;
        for item in legacy.iter() {
            let (key, value) = item?;
            let Some(sep) = key.iter().position(|b| *b == SEP) else { continue };
            let area = String::from_utf8_lossy(&key[..sep]).into_owned();
            let generation = parse_suffix(&key, &area)?;
            let current = self.areas.get(area.as_bytes())?.and_then(|g| parse_u64(&g));
            if current == Some(generation) {
                self.write_save(&area, generation, &value)?;
                moved += 1;
            }
        }
        // Only now that every current save is a synced file.
        self.db.drop_tree(LEGACY_SAVES_TREE)?;
        self.flush()?;
        tracing::info!(saves = moved, "moved the saves out of the database into save files");
        Ok(())
    }

    /// [`Handles::open`], waiting (bounded) while the threads of a database closed a moment
    /// ago still hold sled's file lock.
    fn reopen(path: &Path) -> Result<Handles> {
        let deadline = Instant::now() + REOPEN_WAIT;
        loop {
            match Handles::open(path) {
                Err(StoreError::Sled(sled::Error::Io(e)))
                    if e.kind() == io::ErrorKind::Other
                        && e.to_string().contains("could not acquire lock")
                        && Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
                other => return other,
            }
        }
    }

    /// Makes everything written so far durable: see the module docs.
    fn flush(&self) -> Result<()> {
        self.db.flush()?;
        self.log.sync_data()?;
        self.sync_blobs()
    }

    fn sync_blobs(&self) -> Result<()> {
        let dir = self.path.join("blobs");
        let mut synced = self.blobs.lock().unwrap_or_else(|p| p.into_inner());
        let mut present = BTreeSet::new();
        let mut new = false;
        for entry in fs::read_dir(&dir)? {
            let name = entry?.file_name();
            if !synced.contains(&name) {
                match open_to_sync(&dir.join(&name)) {
                    Ok(file) => file.sync_data()?,
                    // Collected by sled meanwhile.
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(e.into()),
                }
                new = true;
            }
            present.insert(name);
        }
        if new {
            sync_dir(&dir)?;
        }
        *synced = present;
        Ok(())
    }

    /// Removes what refused writes may have left.
    fn undo(&self, items: &[Undo]) -> Result<()> {
        for item in items {
            match item {
                Undo::Chunk { area, seq } => {
                    self.chunks.remove(chunk_key(area, *seq))?;
                }
                Undo::Area(area) => {
                    self.areas.remove(area.as_bytes())?;
                    delete_prefix(&self.chunks, area)?;
                    self.remove_saves(area, None)?;
                }
            }
        }
        Ok(())
    }

    fn contains(&self, area: &str) -> Result<bool> {
        Ok(self.areas.contains_key(area.as_bytes())?)
    }
}

fn remove_file_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Can the directory take writes again? Writes, syncs and deletes [`PROBE_BYTES`].
fn probe(dir: &Path) -> io::Result<()> {
    let path = dir.join(PROBE_FILE);
    let written = (|| {
        let mut file = OpenOptions::new().write(true).create(true).truncate(true).open(&path)?;
        file.write_all(&vec![0u8; PROBE_BYTES])?;
        file.sync_data()
    })();
    let removed = match fs::remove_file(&path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    };
    written.and(removed)
}

/// Closes a database. sled flushes while dropping; a failed one only logs, but a panic there
/// must not take the caller down.
fn close(handles: Handles) {
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(handles))).is_err() {
        tracing::error!("closing the failed database panicked");
    }
}

fn delete_prefix(tree: &Tree, area: &str) -> Result<()> {
    let mut batch = Batch::default();
    for key in tree.scan_prefix(prefix(area)).keys() {
        batch.remove(key?);
    }
    tree.apply_batch(batch)?;
    Ok(())
}

impl Store {
    /// Opens (or creates) the database directory `path` (`DATA_DIR/db`).
    pub fn open(path: &Path) -> Result<Store> {
        let data_dir = path.parent().unwrap_or(path).to_path_buf();
        // Only a full disk or a read-only filesystem gets the storage message here: "kdcd tries
        // again" would not be true of a daemon that does not start.
        let handles = Handles::open(path).map_err(|e| match storage_error(&data_dir, e) {
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
            }),
        })
    }

    fn read_state(&self) -> RwLockReadGuard<'_, State> {
        self.shared.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write_state(&self) -> RwLockWriteGuard<'_, State> {
        self.shared.state.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `op` on the open database. After a storage failure, first tries to open it again
    /// (see the module docs). An IO error from `op` becomes a [`StorageFault`]: the database is
    /// closed and what `op` pushed onto its undo list is remembered for the reopen.
    fn run<T>(&self, op: impl FnOnce(&Handles, &mut Vec<Undo>) -> Result<T>) -> Result<T> {
        let state = self.ready()?;
        let Some(handles) = state.db.as_ref() else {
            return Err(StoreError::Corrupt("the database is not open".into()));
        };
        let mut undo = Vec::new();
        match op(handles, &mut undo) {
            Ok(value) => Ok(value),
            Err(e) => {
                let e = storage_error(&self.shared.data_dir, e);
                drop(state);
                if let StoreError::Storage(fault) = &e {
                    self.fail(fault.clone(), undo);
                }
                Err(e)
            }
        }
    }

    /// The state, with the database open and working.
    fn ready(&self) -> Result<RwLockReadGuard<'_, State>> {
        loop {
            let state = self.read_state();
            if state.failure.is_none() {
                return Ok(state);
            }
            drop(state);
            self.recover()?;
        }
    }

    fn fail(&self, fault: StorageFault, undo: Vec<Undo>) {
        let mut state = self.write_state();
        if let Some(handles) = state.db.take() {
            tracing::error!(error = %fault, "storage failed; writes are refused until it works again");
            close(handles);
        }
        match &mut state.failure {
            Some(failure) => failure.undo.extend(undo),
            None => state.failure = Some(Failure { undo }),
        }
    }

    /// Opens the database again if the data directory takes writes again; else answers why not.
    fn recover(&self) -> Result<()> {
        let mut state = self.write_state();
        let State { db, failure: slot } = &mut *state;
        let Some(failure) = slot.as_ref() else { return Ok(()) };
        let attempt = probe(&self.shared.path).map_err(StoreError::Io).and_then(|()| {
            if let Some(old) = db.take() {
                close(old);
            }
            let handles = Handles::reopen(&self.shared.path)?;
            match handles.undo(&failure.undo).and_then(|()| handles.flush()) {
                Ok(()) => Ok(handles),
                Err(e) => {
                    close(handles);
                    Err(e)
                }
            }
        });
        match attempt {
            Ok(handles) => {
                tracing::warn!(undone = failure.undo.len(), "storage works again; the database is open again");
                *db = Some(handles);
                *slot = None;
                Ok(())
            }
            // The undo list stays: it is still owed.
            Err(e) => Err(storage_error(&self.shared.data_dir, e)),
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
            h.write_save(area, 0, save)?;
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
            if !h.contains(area)? {
                return Err(StoreError::Corrupt(format!("chunk for unknown area {area}")));
            }
            let seq = match h.chunks.scan_prefix(prefix(area)).keys().next_back() {
                Some(key) => parse_suffix(&key?, area)?
                    .checked_add(1)
                    .ok_or_else(|| StoreError::Corrupt(format!("chunk seq overflow in area {area}")))?,
                None => 0,
            };
            undo.push(Undo::Chunk { area: area.to_string(), seq });
            h.chunks.insert(chunk_key(area, seq), bytes)?;
            h.flush()?;
            Ok(seq)
        })
    }

    /// Reads an area: its current save and the chunks after it. `None` if the area is unknown.
    pub fn load(&self, area: &str) -> Result<Option<StoredArea>> {
        check_id(area)?;
        self.run(|h, _| {
            let Some(generation) = h.areas.get(area.as_bytes())? else {
                return Ok(None);
            };
            let generation = parse_u64(&generation)
                .ok_or_else(|| StoreError::Corrupt(format!("generation of area {area} is not a u64")))?;
            let save = h.read_save(area, generation)?;
            let mut chunks = Vec::new();
            for item in h.chunks.scan_prefix(prefix(area)) {
                let (key, value) = item?;
                chunks.push((parse_suffix(&key, area)?, value.to_vec()));
            }
            Ok(Some(StoredArea { generation, save, chunks }))
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
            let current = h
                .areas
                .get(area.as_bytes())?
                .and_then(|g| parse_u64(&g))
                .ok_or_else(|| StoreError::Corrupt(format!("compacting unknown area {area}")))?;
            let next = current
                .checked_add(1)
                .ok_or_else(|| StoreError::Corrupt(format!("generation overflow in area {area}")))?;

            // 1. The new save, durable before anything refers to it.
            h.write_save(area, next, save)?;
            if steps < 2 {
                return Ok(());
            }
            // 2. Switch: from here on loads start from the new save.
            h.areas.insert(area.as_bytes(), &next.to_be_bytes())?;
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

/// An IO error (sled's or ours) as a [`StorageFault`] naming `data_dir`; other errors as they
/// are.
fn storage_error(data_dir: &Path, e: StoreError) -> StoreError {
    match e {
        StoreError::Sled(sled::Error::Io(io)) | StoreError::Io(io) => {
            StoreError::Storage(StorageFault::new(data_dir, &io))
        }
        other => other,
    }
}

fn check_id(area: &str) -> Result<()> {
    if area.is_empty() || area.as_bytes().contains(&SEP) {
        return Err(StoreError::BadKey(area.to_string()));
    }
    Ok(())
}

fn prefix(area: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(area.len() + 1 + 8);
    key.extend_from_slice(area.as_bytes());
    key.push(SEP);
    key
}

fn chunk_key(area: &str, seq: u64) -> Vec<u8> {
    let mut key = prefix(area);
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

fn parse_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}

/// The u64 after `area ++ 0x00` in a key.
fn parse_suffix(key: &IVec, area: &str) -> Result<u64> {
    key.get(area.len() + 1..)
        .and_then(parse_u64)
        .ok_or_else(|| StoreError::Corrupt(format!("malformed key in area {area}")))
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
        match Store::open(path) {
            Ok(store) => return store,
            Err(e) if std::time::Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("open store: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(dir: &Path) -> Store {
        open_for_test(&dir.join("db"))
    }

    #[test]
    fn append_load_reopen() {
        let tmp = tempfile::tempdir().expect("tempdir");
        {
            let store = open(tmp.path());
            assert_eq!(store.load("a").expect("load"), None);
            store.create_area("a", b"SAVE").expect("create");
            assert!(store.create_area("a", b"X").is_err(), "create twice is refused");
            assert_eq!(store.append_chunk("a", b"-one").expect("append"), 0);
            assert_eq!(store.append_chunk("a", b"-two").expect("append"), 1);
            store.create_area("ab", b"OTHER").expect("create");
            store.append_chunk("ab", b"!").expect("append");
            let a = store.load("a").expect("load").expect("present");
            assert_eq!(a.bytes(), b"SAVE-one-two");
            assert_eq!(a.last_seq(), Some(1));
            store.meta_set("name", b"dev").expect("meta");
        }
        // Dropped: everything must come back from disk.
        let store = open(tmp.path());
        assert_eq!(store.area_ids().expect("ids"), vec!["a".to_string(), "ab".to_string()]);
        assert_eq!(store.load("a").expect("load").expect("present").bytes(), b"SAVE-one-two");
        assert_eq!(store.load("ab").expect("load").expect("present").bytes(), b"OTHER!");
        assert_eq!(store.chunk_count("a").expect("count"), 2);
        assert_eq!(store.meta_get("name").expect("meta").as_deref(), Some(&b"dev"[..]));
    }

    #[test]
    fn compaction_replaces_included_chunks_only() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let store = open(tmp.path());
        store.create_area("a", b"S0").expect("create");
        store.append_chunk("a", b"+1").expect("append");
        store.append_chunk("a", b"+2").expect("append");
        store.compact("a", b"S0+1+2", Some(1)).expect("compact");
        let a = store.load("a").expect("load").expect("present");
        assert_eq!((a.generation, a.bytes()), (1, b"S0+1+2".to_vec()));
        // Seq keeps counting only from what is stored; no collision with deleted chunks.
        store.append_chunk("a", b"+3").expect("append");
        // A compaction that does not include the newest chunk keeps it.
        store.append_chunk("a", b"+4").expect("append");
        let last = store.load("a").expect("load").expect("present").last_seq();
        store.compact("a", b"S0+1+2+3", last.map(|s| s - 1)).expect("compact");
        let a = store.load("a").expect("load").expect("present");
        assert_eq!((a.generation, a.bytes()), (2, b"S0+1+2+3+4".to_vec()));
        assert_eq!(store.count_saves("a"), 1, "old saves are gone");
        drop(store);
        let store = open(tmp.path());
        assert_eq!(store.load("a").expect("load").expect("present").bytes(), b"S0+1+2+3+4");
    }

    /// Save files: exactly the current save of each area stays on disk; leftovers of interrupted
    /// writes go when the database is opened.
    #[test]
    fn one_save_file_per_area_and_leftovers_are_collected() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let saves = tmp.path().join(SAVES_DIR);
        let files = || {
            let mut names: Vec<String> = fs::read_dir(&saves)
                .expect("saves dir")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        let store = open(tmp.path());
        store.create_area("a", b"S").expect("create");
        store.append_chunk("a", b"+1").expect("append");
        store.compact("a", b"S+1", Some(0)).expect("compact");
        assert_eq!(files(), ["a.1"]);
        assert_eq!(fs::read(saves.join("a.1")).expect("save"), b"S+1");
        // A compaction stopped after writing its save leaves an orphan, as would a crash.
        store.compact_steps("a", b"S+1", Some(0), 1).expect("step 1");
        assert_eq!(files(), ["a.1", "a.2"]);
        drop(store);
        // And a crash mid-write, and an area creation that never committed.
        fs::write(saves.join("a.3.tmp"), b"half").expect("tmp");
        fs::write(saves.join("b.0"), b"never committed").expect("orphan");
        let store = open(tmp.path());
        assert_eq!(files(), ["a.1"]);
        assert_eq!(store.load("a").expect("load").expect("present").bytes(), b"S+1");
        assert_eq!(store.area_ids().expect("ids"), ["a"]);
    }

    /// A database from before save files (saves in the sled tree `saves`) opens with every area
    /// intact, and its saves become files.
    #[test]
    fn saves_kept_in_the_database_move_to_files() {
        let tmp = tempfile::tempdir().expect("tempdir");
        {
            let db = sled::Config::new().path(tmp.path().join("db")).open().expect("sled");
            let key = |area: &str, n: u64| [area.as_bytes(), &[SEP], &n.to_be_bytes()].concat();
            let (areas, saves, chunks) =
                (db.open_tree("areas").unwrap(), db.open_tree("saves").unwrap(), db.open_tree("chunks").unwrap());
            areas.insert("a", &1u64.to_be_bytes()).unwrap();
            saves.insert(key("a", 0), b"old".as_slice()).unwrap();
            saves.insert(key("a", 1), b"S".as_slice()).unwrap();
            chunks.insert(key("a", 4), b"+4".as_slice()).unwrap();
            areas.insert("b", &0u64.to_be_bytes()).unwrap();
            saves.insert(key("b", 0), b"T".as_slice()).unwrap();
            db.flush().unwrap();
        }
        let store = open(tmp.path());
        assert_eq!(store.load("a").expect("load").expect("present").bytes(), b"S+4");
        assert_eq!(store.load("b").expect("load").expect("present").bytes(), b"T");
        assert_eq!((store.count_saves("a"), store.count_saves("b")), (1, 1));
        let names = store.run(|h, _| Ok(h.db.tree_names())).expect("trees");
        assert!(!names.iter().any(|n| n.as_ref() == LEGACY_SAVES_TREE), "the old tree is gone");
        // Still there after another open (nothing depended on the tree).
        drop(store);
        let store = open(tmp.path());
        assert_eq!(store.load("a").expect("load").expect("present").bytes(), b"S+4");
    }

    #[test]
    fn interrupted_compaction_still_loads() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let store = open(tmp.path());
        store.create_area("a", b"S").expect("create");
        store.append_chunk("a", b"+1").expect("append");

        // Stopped after step 1: the old save and chunks are still what loads.
        store.compact_steps("a", b"S+1", Some(0), 1).expect("step 1");
        assert_eq!(store.load("a").expect("load").expect("present").bytes(), b"S+1");

        // Stopped after step 2: the new save plus the already-included chunk. With Automerge
        // the duplicate changes are ignored; see `interrupted_compaction_with_automerge`.
        store.compact_steps("a", b"S+1", Some(0), 2).expect("step 2");
        let a = store.load("a").expect("load").expect("present");
        assert_eq!(a.bytes(), b"S+1+1");

        // A later full compaction cleans up every leftover.
        store.append_chunk("a", b"+2").expect("append");
        store.compact("a", b"S+1+2", Some(1)).expect("compact");
        drop(store);
        let store = open(tmp.path());
        let a = store.load("a").expect("load").expect("present");
        assert_eq!(a.bytes(), b"S+1+2");
        assert_eq!(store.count_saves("a"), 1);
    }

    #[test]
    fn interrupted_compaction_with_automerge() {
        use automerge::transaction::Transactable;
        use automerge::{AutoCommit, ROOT, ReadDoc};

        let tmp = tempfile::tempdir().expect("tempdir");
        let store = open(tmp.path());
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "n", 1).expect("put");
        store.create_area("a", &doc.save()).expect("create");
        let mut heads = doc.get_heads();
        for n in 2..=4 {
            doc.put(ROOT, "n", n).expect("put");
            store.append_chunk("a", &doc.save_after(&heads)).expect("append");
            heads = doc.get_heads();
        }
        // Crash after the switch, before the garbage is removed.
        store.compact_steps("a", &doc.save(), Some(2), 2).expect("steps 1-2");
        let stored = store.load("a").expect("load").expect("present");
        assert_eq!(stored.chunks.len(), 3, "included chunks are still there");
        let loaded = automerge::Automerge::load(&stored.bytes()).expect("loads");
        assert_eq!(loaded.get_heads(), doc.get_heads());
        let n = loaded.get(ROOT, "n").expect("get").map(|(v, _)| v.to_string());
        assert_eq!(n.as_deref(), Some("4"));
    }

    #[test]
    fn invites_are_used_once_and_purged() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let hash = [3u8; 32];
        let invite = StoredInvite { area: "a".into(), expires_at_ms: 1_000, used: false };
        {
            let store = open(tmp.path());
            assert_eq!(store.invite_get(&hash).expect("get"), None);
            store.invite_put(&hash, &invite).expect("put");
        }
        let store = open(tmp.path());
        let stored = store.invite_get(&hash).expect("get").expect("present after reopen");
        assert_eq!(stored, invite);
        assert!(store.invite_mark_used(&hash, &stored).expect("use"));
        // A second redemption that read the invite before the first marked it loses.
        assert!(!store.invite_mark_used(&hash, &stored).expect("use again"));
        assert!(store.invite_get(&hash).expect("get").expect("present").used);
        store.invite_put(&[4u8; 32], &StoredInvite { expires_at_ms: 5_000, ..invite.clone() }).expect("put");
        assert_eq!(store.invites_purge(2_000).expect("purge"), 1);
        assert_eq!(store.invite_get(&hash).expect("get"), None);
        assert!(store.invite_get(&[4u8; 32]).expect("get").is_some());
    }

    /// A tmpfs mounted for one test; `None` (after saying why) when that is not possible.
    struct Tmpfs(tempfile::TempDir);

    impl Tmpfs {
        fn mount(test: &str, size: &str) -> Option<Tmpfs> {
            let dir = tempfile::tempdir().expect("tempdir");
            let out = std::process::Command::new("mount")
                .args(["-t", "tmpfs", "-o", &format!("size={size}"), "kdc-store-test"])
                .arg(dir.path())
                .output();
            match out {
                Ok(out) if out.status.success() => Some(Tmpfs(dir)),
                Ok(out) => {
                    let why = String::from_utf8_lossy(&out.stderr);
                    eprintln!("SKIPPED store::tests::{test}: cannot mount a tmpfs (needs root): {}", why.trim());
                    None
                }
                Err(e) => {
                    eprintln!("SKIPPED store::tests::{test}: cannot run mount: {e}");
                    None
                }
            }
        }
    }

    impl Drop for Tmpfs {
        fn drop(&mut self) {
            let ok = std::process::Command::new("umount").arg(self.0.path()).status().is_ok_and(|s| s.success());
            if !ok {
                let _ = std::process::Command::new("umount").arg("-l").arg(self.0.path()).status();
            }
        }
    }

    /// Fills the filesystem of `path` with `path` until it has no space left.
    fn fill(path: &Path) {
        let mut file = File::create(path).expect("filler");
        for size in [1 << 16, 4096, 512] {
            let block = vec![0xA5u8; size];
            while let Ok(n) = file.write(&block) {
                if n == 0 {
                    break;
                }
            }
        }
    }

    #[test]
    fn full_disk_refuses_then_recovers_without_reopening_by_hand() {
        let Some(fs) = Tmpfs::mount("full_disk_refuses_then_recovers_without_reopening_by_hand", "4m") else {
            return;
        };
        let db = fs.0.path().join("data").join("db");
        std::fs::create_dir_all(&db).expect("dir");
        let store = Store::open(&db).expect("open");
        store.create_area("a", b"SAVE").expect("create");
        let mut expected = b"SAVE".to_vec();
        let filler = fs.0.path().join("filler");
        fill(&filler);

        // Appends still fit until one needs a new page; that one is refused as a full disk.
        let mut refused = None;
        for i in 0..200 {
            let chunk = format!("[{i:04}:{}]", "x".repeat(700));
            match store.append_chunk("a", chunk.as_bytes()) {
                Ok(_) => expected.extend_from_slice(chunk.as_bytes()),
                Err(StoreError::Storage(fault)) => {
                    assert_eq!(fault.problem, StorageProblem::DiskFull, "{fault}");
                    assert_eq!(fault.data_dir, fs.0.path().join("data"));
                    assert!(fault.to_string().contains("is full"), "{fault}");
                    refused = Some(i);
                    break;
                }
                Err(e) => panic!("append {i}: {e}"),
            }
        }
        assert!(refused.is_some(), "no append was refused on a full disk");

        // While the disk is full every call is refused, reads too (sled would show the
        // refused chunk), and nothing changes.
        for _ in 0..3 {
            let e = store.append_chunk("a", b"[more]").expect_err("refused");
            assert!(matches!(&e, StoreError::Storage(f) if f.problem == StorageProblem::DiskFull), "{e}");
        }
        assert!(matches!(store.load("a"), Err(StoreError::Storage(_))));
        assert!(matches!(store.create_area("b", b"B"), Err(StoreError::Storage(_))));

        // Space returns: the same handle works again, without the refused writes.
        std::fs::remove_file(&filler).expect("remove filler");
        let a = store.load("a").expect("load").expect("present");
        assert_eq!(a.bytes(), expected, "exactly the acknowledged chunks");
        assert!(!store.contains("b").expect("contains"), "the refused area is not there");
        store.append_chunk("a", b"[after]").expect("append after recovery");
        expected.extend_from_slice(b"[after]");
        let clone = store.clone();
        drop(store);
        drop(clone);
        let store = open_for_test(&db);
        assert_eq!(store.load("a").expect("load").expect("present").bytes(), expected);
        assert_eq!(store.area_ids().expect("ids"), vec!["a".to_string()]);
    }

    #[test]
    fn rejects_bad_keys() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let store = open(tmp.path());
        assert!(matches!(store.create_area("a\0b", b""), Err(StoreError::BadKey(_))));
        assert!(matches!(store.append_chunk("", b""), Err(StoreError::BadKey(_))));
        assert!(store.append_chunk("missing", b"x").is_err(), "chunk for unknown area");
    }
}
