//! Full saves as files `DATA_DIR/saves/ID.G`, outside sled (see [`super`]).

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::PathBuf;

use super::encoding::{SEP, parse_suffix};
use super::handles::{Handles, remove_file_if_present};
use super::{Result, StoreError};
use crate::durable::sync_dir;

/// Where databases from before save files kept them.
pub(super) const LEGACY_SAVES_TREE: &[u8] = b"saves";

impl Handles {
    pub(super) fn save_path(&self, area: &str, generation: u64) -> PathBuf {
        self.saves.join(format!("{area}.{generation}"))
    }

    /// Writes a full save durably: a temporary file, synced, renamed, directory synced.
    pub(super) fn write_save(&self, area: &str, generation: u64, bytes: &[u8]) -> Result<()> {
        let tmp = self.saves.join(format!("{area}.{generation}.tmp"));
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_data()?;
        drop(file);
        fs::rename(&tmp, self.save_path(area, generation))?;
        sync_dir(&self.saves)?;
        Ok(())
    }

    pub(super) fn read_save(&self, area: &str, generation: u64) -> Result<Vec<u8>> {
        fs::read(self.save_path(area, generation)).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => {
                StoreError::Corrupt(format!("area {area}: save generation {generation} is missing"))
            }
            _ => e.into(),
        })
    }

    /// Save files as (area, generation, is a temporary file), one per file in the directory.
    pub(super) fn save_files(&self) -> Result<Vec<(String, Option<u64>, PathBuf)>> {
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
    pub(super) fn remove_save_files(&self, mut stale: impl FnMut(&str, Option<u64>) -> Result<bool>) -> Result<()> {
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
    pub(super) fn remove_saves(&self, area: &str, keep: Option<u64>) -> Result<()> {
        self.remove_save_files(|a, generation| Ok(a == area && (generation.is_none() || generation != keep)))
    }

    /// Deletes every save file that is not the current save of a stored area: orphans of an
    /// interrupted compaction or area creation, a replaced save, temporary files.
    pub(super) fn collect_saves(&self) -> Result<()> {
        self.remove_save_files(|area, generation| {
            let current = self.entry(area)?.map(|e| e.generation);
            Ok(generation.is_none() || generation != current)
        })
    }

    /// Moves the saves of a database from before save files (sled tree `saves`) to files.
    pub(super) fn migrate_saves(&self) -> Result<()> {
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
            let current = self.entry(&area)?.map(|e| e.generation);
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
}
