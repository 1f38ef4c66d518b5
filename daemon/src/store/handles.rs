//! The open sled database and the files beside it.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sled::{Batch, Db, Tree};

use super::encoding::{chunk_key, prefix};
use super::recovery::Undo;
use super::{CACHE_CAPACITY, Result, SAVES_DIR, StoreError};
use crate::durable::{open_to_sync, sync_dir};

/// How long opening the database again waits for the threads of the failed one to let go of
/// sled's file lock.
const REOPEN_WAIT: Duration = Duration::from_secs(10);

/// The open database.
pub(super) struct Handles {
    pub(super) path: PathBuf,
    pub(super) db: Db,
    pub(super) areas: Tree,
    /// `DATA_DIR/saves`: one file per full save.
    pub(super) saves: PathBuf,
    pub(super) chunks: Tree,
    pub(super) meta: Tree,
    pub(super) invites: Tree,
    /// sled's log file, for `fdatasync`.
    pub(super) log: File,
    /// Blob files already synced.
    pub(super) blobs: Mutex<BTreeSet<OsString>>,
}

impl Handles {
    pub(super) fn open(path: &Path) -> Result<Handles> {
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

    /// [`Handles::open`], waiting (bounded) while the threads of a database closed a moment
    /// ago still hold sled's file lock.
    pub(super) fn reopen(path: &Path) -> Result<Handles> {
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
    pub(super) fn flush(&self) -> Result<()> {
        self.db.flush()?;
        self.log.sync_data()?;
        self.sync_blobs()
    }

    pub(super) fn sync_blobs(&self) -> Result<()> {
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
    pub(super) fn undo(&self, items: &[Undo]) -> Result<()> {
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
    /// The `areas` entry of `area`, if it is stored.
    pub(super) fn entry(&self, area: &str) -> Result<Option<super::encoding::Entry>> {
        match self.areas.get(area.as_bytes())? {
            None => Ok(None),
            Some(bytes) => super::encoding::Entry::decode(&bytes)
                .map(Some)
                .ok_or_else(|| StoreError::Corrupt(format!("the entry of area {area} is malformed"))),
        }
    }

    /// Deletes the chunks below each area's floor (left by an interrupted epoch switch).
    pub(super) fn collect_old_epochs(&self) -> Result<()> {
        let mut batch = Batch::default();
        let mut any = false;
        for item in self.areas.iter() {
            let (area, entry) = item?;
            let Some(entry) = super::encoding::Entry::decode(&entry) else { continue };
            if entry.floor == 0 {
                continue;
            }
            let area = String::from_utf8_lossy(&area).into_owned();
            for key in self.chunks.range(chunk_key(&area, 0)..chunk_key(&area, entry.floor)).keys() {
                batch.remove(key?);
                any = true;
            }
        }
        if any {
            self.chunks.apply_batch(batch)?;
            self.flush()?;
        }
        Ok(())
    }

    pub(super) fn contains(&self, area: &str) -> Result<bool> {
        Ok(self.areas.contains_key(area.as_bytes())?)
    }
}

pub(super) fn remove_file_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Closes a database. sled flushes while dropping; a failed one only logs, but a panic there
/// must not take the caller down.
pub(super) fn close(handles: Handles) {
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(handles))).is_err() {
        tracing::error!("closing the failed database panicked");
    }
}

pub(super) fn delete_prefix(tree: &Tree, area: &str) -> Result<()> {
    let mut batch = Batch::default();
    for key in tree.scan_prefix(prefix(area)).keys() {
        batch.remove(key?);
    }
    tree.apply_batch(batch)?;
    Ok(())
}
