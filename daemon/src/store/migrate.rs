//! Sealing a data directory from before encryption at rest, when it is first opened.
//!
//! Every area's save and chunks (plain Automerge bytes) become one sealed save of the next
//! generation; then the database is **rebuilt** rather than edited, because sled keeps replaced
//! and deleted values in its log until it reuses the segment: a fresh database `db.sealing`
//! gets the `areas` entries of the new generations and the small trees (`meta`, `invites`: no
//! household data), no chunks; it is synced; then `db` → `db.plain`, `db.sealing` → `db`, and
//! `db.plain` is deleted. Opening the database then deletes the plain save files (they are no
//! longer the current generation).
//!
//! Crash safety: before the first rename `db` is the old database and everything new is an
//! orphan (`db.sealing` is deleted, the sealed saves are collected, the area keys are reused by
//! the next attempt). Between the renames `db.sealing` is complete (it was synced before), so
//! [`finish_interrupted`] moves it into place. After the second rename only `db.plain` is left
//! to delete.
//!
//! What this cannot do: the filesystem frees the blocks of the deleted files without
//! overwriting them (nor could we: flash storage remaps writes). Those blocks are out of reach
//! of anything that reads files, but not of someone who images the raw storage.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::crypt::{AreaKey, Place, is_sealed};
use super::encoding::{Entry, parse_suffix, prefix};
use super::handles::{Handles, close};
use super::keys::DeviceKey;
use super::{CACHE_CAPACITY, Result, StoreError};
use crate::durable::{open_to_sync, sync_dir};

/// How long a rename waits for the closed database's threads to let go of its files (Windows
/// refuses to rename a directory with open files).
const RENAME_WAIT: Duration = Duration::from_secs(10);

fn sibling(db: &Path, suffix: &str) -> PathBuf {
    let name = db.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "db".into());
    db.with_file_name(format!("{name}.{suffix}"))
}

fn parent(db: &Path) -> &Path {
    db.parent().unwrap_or(db)
}

/// Finishes or rolls back a sealing that a crash interrupted (see the module docs).
pub(super) fn finish_interrupted(db: &Path) -> Result<()> {
    let (sealing, plain) = (sibling(db, "sealing"), sibling(db, "plain"));
    if plain.exists() {
        if !db.exists() {
            if !sealing.exists() {
                return Err(StoreError::Corrupt(format!(
                    "{} is missing and {} is left from an interrupted sealing without its replacement",
                    db.display(),
                    plain.display()
                )));
            }
            rename(&sealing, db)?;
            sync_dir(parent(db))?;
        }
        fs::remove_dir_all(&plain)?;
        sync_dir(parent(db))?;
        tracing::info!("finished sealing the data directory after an interruption");
    } else if sealing.exists() {
        fs::remove_dir_all(&sealing)?;
        sync_dir(parent(db))?;
    }
    Ok(())
}

/// Does anything of the database hold plain values?
fn has_plain(h: &Handles) -> Result<bool> {
    for item in h.areas.iter() {
        let (area, entry) = item?;
        let area = String::from_utf8_lossy(&area).into_owned();
        let generation = Entry::decode(&entry)
            .ok_or_else(|| StoreError::Corrupt(format!("the entry of area {area} is malformed")))?
            .generation;
        if !is_sealed(&h.read_save(&area, generation)?) {
            return Ok(true);
        }
    }
    for item in h.chunks.iter().values() {
        if !is_sealed(&item?) {
            return Ok(true);
        }
    }
    Ok(false)
}

fn open_or_plain(key: &AreaKey, place: Place, bytes: Vec<u8>) -> Result<Vec<u8>> {
    if is_sealed(&bytes) { key.open(place, &bytes) } else { Ok(bytes) }
}

/// Seals every plain value of the database (see the module docs); answers the handles to use
/// from now on (the same ones when there was nothing to do).
pub(super) fn seal_plain(h: Handles, device: &DeviceKey) -> Result<Handles> {
    if !has_plain(&h)? {
        return Ok(h);
    }
    let started = Instant::now();
    let db = h.path.clone();
    let mut generations = Vec::new();
    for item in h.areas.iter() {
        let (area, entry) = item?;
        let area = String::from_utf8(area.to_vec())
            .map_err(|_| StoreError::Corrupt("an area id in the database is not UTF-8".into()))?;
        let entry = Entry::decode(&entry)
            .ok_or_else(|| StoreError::Corrupt(format!("the entry of area {area} is malformed")))?;
        let (generation, epoch, next) = (entry.generation, entry.epoch, entry.next_generation(&area)?);
        let key = device.area_key(&area, epoch, true)?;
        // A save followed by chunks is what Automerge loads: one sealed save holds it all.
        let mut bytes = open_or_plain(&key, Place::Save(generation), h.read_save(&area, generation)?)?;
        for item in h.chunks.scan_prefix(prefix(&area)) {
            let (k, v) = item?;
            bytes.extend(open_or_plain(&key, Place::Chunk(parse_suffix(&k, &area)?), v.to_vec())?);
        }
        generations.push((area.clone(), Entry { generation: next, epoch, floor: 0 }));
        h.write_save(&area, next, &key.seal(Place::Save(next), &bytes)?)?;
    }

    let sealing = sibling(&db, "sealing");
    if sealing.exists() {
        fs::remove_dir_all(&sealing)?;
    }
    {
        let new = sled::Config::new().path(&sealing).cache_capacity(CACHE_CAPACITY).open()?;
        let areas = new.open_tree("areas")?;
        for (area, generation) in &generations {
            areas.insert(area.as_bytes(), generation.encode())?;
        }
        new.open_tree("chunks")?;
        for name in ["meta", "invites"] {
            let (from, to) = (h.db.open_tree(name)?, new.open_tree(name)?);
            for item in from.iter() {
                let (k, v) = item?;
                to.insert(k, v)?;
            }
        }
        new.flush()?;
        open_to_sync(&sealing.join("db"))?.sync_data()?;
        open_to_sync(&sealing.join("conf"))?.sync_all()?;
        sync_dir(&sealing.join("blobs"))?;
        sync_dir(&sealing)?;
    }
    close(h);
    let plain = sibling(&db, "plain");
    rename(&db, &plain)?;
    sync_dir(parent(&db))?;
    rename(&sealing, &db)?;
    sync_dir(parent(&db))?;
    fs::remove_dir_all(&plain)?;
    sync_dir(parent(&db))?;
    tracing::info!(
        areas = generations.len(),
        ms = started.elapsed().as_millis() as u64,
        "sealed the data directory: every save and chunk is encrypted at rest from now on"
    );
    // Opening collects the plain save files: they are no longer any area's generation.
    Handles::reopen(&db)
}

/// `fs::rename`, waiting (bounded) while a closed database's threads still hold its files.
fn rename(from: &Path, to: &Path) -> Result<()> {
    let deadline = Instant::now() + RENAME_WAIT;
    loop {
        match fs::rename(from, to) {
            Err(e) if e.kind() != io::ErrorKind::NotFound && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return Ok(other?),
        }
    }
}
