//! Snapshot files: one or more areas' Automerge saves in a self-describing, checksummed envelope.
//!
//! ```text
//! offset  size  content
//! 0       8     magic "KDCSNAP\0"
//! 8       2     format version, u16 big-endian (1)
//! 10      4     number of areas N, u32 big-endian
//!               N times:
//!         1       area id length L (1..=64)
//!         L       area id, ASCII [a-z0-9-]
//!         8       document length D, u64 big-endian
//!         D       Automerge save of the area document
//! end-32  32    SHA-256 of every byte before it
//! ```
//! Decoding checks the magic, the version, the checksum and every length before it touches an
//! Automerge byte, and then that each document is an area with the id its entry names: a
//! truncated, corrupt or foreign file is refused whole, never partly read.

use crate::Status;
use crate::area::Area;
use crate::check::Passed;
use crate::ids::validate_area_id;
use sha2::{Digest, Sha256};

pub const MAGIC: &[u8; 8] = b"KDCSNAP\0";
pub const FORMAT_VERSION: u16 = 1;
const HEADER: usize = 8 + 2 + 4;
const CHECKSUM: usize = 32;

/// Why a file is not a usable snapshot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("not a KDC snapshot file (it does not start with the KDCSNAP signature)")]
    NotASnapshot,
    #[error("snapshot format version {0} is not supported (this kdc reads version {FORMAT_VERSION}); update kdc")]
    UnsupportedVersion(u16),
    #[error("the file is truncated: {0}")]
    Truncated(String),
    #[error("the checksum does not match: the file is corrupt")]
    Checksum,
    #[error("area {id:?} in the file is not valid: {reason}")]
    BadArea { id: String, reason: String },
    #[error("the file holds no area")]
    Empty,
    /// An age-encrypted snapshot (only the ward office's key opens it) that was not opened.
    #[error("the file is encrypted: {0}")]
    Encrypted(String),
}

/// What an age-encrypted file starts with (a snapshot sealed for the ward office).
pub const AGE_MAGIC: &[u8] = b"age-encryption.org/v1\n";

/// One area entry of a snapshot, not yet loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotArea {
    pub id: String,
    pub doc: Vec<u8>,
}

/// What `kdc snapshot verify` reports of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotInfo {
    pub format_version: u16,
    pub checksum: String,
    pub areas: Vec<SnapshotArea>,
}

/// Writes the areas into one snapshot file's bytes, in the order given.
pub fn encode(areas: &[&Area]) -> Vec<u8> {
    let saved: Vec<(String, Vec<u8>)> = areas.iter().map(|a| (a.id(), a.save())).collect();
    encode_saved(&saved)
}

/// [`encode`] of documents saved already (`(area id, Automerge save)`), e.g. the entries of
/// another snapshot file: a document that has not changed need not be saved again.
pub fn encode_saved(areas: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out =
        Vec::with_capacity(HEADER + CHECKSUM + areas.iter().map(|(id, d)| 9 + id.len() + d.len()).sum::<usize>());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_be_bytes());
    out.extend_from_slice(&(areas.len() as u32).to_be_bytes());
    for (id, doc) in areas {
        out.push(id.len() as u8);
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(&(doc.len() as u64).to_be_bytes());
        out.extend_from_slice(doc);
    }
    let sum = Sha256::digest(&out);
    out.extend_from_slice(&sum);
    out
}

/// Reads the envelope: checks magic, version, checksum and lengths. Does not load documents.
pub fn decode(bytes: &[u8]) -> Result<SnapshotInfo, SnapshotError> {
    if bytes.starts_with(AGE_MAGIC) {
        return Err(SnapshotError::Encrypted("open it with the ward office's key (--identity FILE)".into()));
    }
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(SnapshotError::NotASnapshot);
    }
    if bytes.len() < HEADER + CHECKSUM {
        return Err(SnapshotError::Truncated(format!("{} bytes is shorter than the smallest snapshot", bytes.len())));
    }
    let version = u16::from_be_bytes([bytes[8], bytes[9]]);
    if version != FORMAT_VERSION {
        return Err(SnapshotError::UnsupportedVersion(version));
    }
    let (body, sum) = bytes.split_at(bytes.len() - CHECKSUM);
    if Sha256::digest(body).as_slice() != sum {
        return Err(SnapshotError::Checksum);
    }
    let count = u32::from_be_bytes([body[10], body[11], body[12], body[13]]) as usize;
    let mut rest = &body[HEADER..];
    let mut areas = Vec::with_capacity(count.min(1024));
    for i in 0..count {
        let truncated = || SnapshotError::Truncated(format!("area entry {} of {count} is cut short", i + 1));
        let (&len, tail) = rest.split_first().ok_or_else(truncated)?;
        let len = len as usize;
        if tail.len() < len + 8 {
            return Err(truncated());
        }
        let id = String::from_utf8_lossy(&tail[..len]).into_owned();
        validate_area_id(&id).map_err(|e| SnapshotError::BadArea { id: id.clone(), reason: e.to_string() })?;
        let doc_len = u64::from_be_bytes(tail[len..len + 8].try_into().expect("8 bytes"));
        let tail = &tail[len + 8..];
        if (tail.len() as u64) < doc_len {
            return Err(truncated());
        }
        let (doc, next) = tail.split_at(doc_len as usize);
        areas.push(SnapshotArea { id, doc: doc.to_vec() });
        rest = next;
    }
    if !rest.is_empty() {
        return Err(SnapshotError::Truncated(format!("{} unexpected bytes after the last area", rest.len())));
    }
    if areas.is_empty() {
        return Err(SnapshotError::Empty);
    }
    Ok(SnapshotInfo { format_version: version, checksum: hex(sum), areas })
}

/// Decodes a snapshot and loads every area in it. `actor` is the reading device's peer id.
pub fn decode_areas(bytes: &[u8], actor: &str) -> Result<Vec<Area>, SnapshotError> {
    Ok(decode_areas_with_saves(bytes, actor, None)?.into_iter().map(|(area, _)| area).collect())
}

/// [`decode_areas`], keeping each area's document bytes as the file holds them. Every area is
/// checked at the door unless `passed` remembers its bytes ([`Area::load_checked`]).
pub fn decode_areas_with_saves(
    bytes: &[u8],
    actor: &str,
    passed: Option<&Passed>,
) -> Result<Vec<(Area, Vec<u8>)>, SnapshotError> {
    let info = decode(bytes)?;
    info.areas
        .into_iter()
        .map(|entry| {
            let area = load_entry(&entry, actor, passed)?;
            Ok((area, entry.doc))
        })
        .collect()
}

/// One area of a decoded file, loaded and checked at the door (unless `passed` remembers it),
/// and refused when its document is not the area the envelope names.
pub fn load_entry(entry: &SnapshotArea, actor: &str, passed: Option<&Passed>) -> Result<Area, SnapshotError> {
    let area = Area::load_checked(&entry.doc, actor, passed)
        .map_err(|e| SnapshotError::BadArea { id: entry.id.clone(), reason: e.to_string() })?;
    if area.id() != entry.id {
        return Err(SnapshotError::BadArea {
            id: entry.id.clone(),
            reason: format!("the document inside is area {:?}", area.id()),
        });
    }
    Ok(area)
}

/// The figures of one area of a snapshot file, for a report: read from the document's own bytes
/// ([`Area::status_of_bytes`], which loads nothing into Automerge) or, when they are not read
/// that way, from the area [`load_entry`] loads. Refusals as [`load_entry`]'s.
pub fn status_of_entry(entry: &SnapshotArea, actor: &str, passed: Option<&Passed>) -> Result<Status, SnapshotError> {
    let bad = |reason: String| SnapshotError::BadArea { id: entry.id.clone(), reason };
    let status = match Area::status_of_bytes(&entry.doc).map_err(|e| bad(e.to_string()))? {
        Some(status) => status,
        None => return load_entry(entry, actor, passed).map(|a| a.status()),
    };
    if status.area != entry.id {
        return Err(bad(format!("the document inside is area {:?}", status.area)));
    }
    Ok(status)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Actor id used for areas loaded only to be merged: merging creates no change, so it is never
/// written into a document.
pub const MERGE_ACTOR: &str = "kdc-merge";

/// Why a set of snapshot files cannot be merged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error("{file}: {error}")]
    BadFile { file: String, error: SnapshotError },
    #[error(
        "area {id:?} in {first} and in {second} are two different areas that share an id (created apart: uid {first_uid} vs {second_uid})"
    )]
    DifferentAreas { id: String, first: String, second: String, first_uid: String, second_uid: String },
    #[error("area {id:?} from {file} cannot be merged: {reason}")]
    Merge { id: String, file: String, reason: String },
    #[error("no snapshot file given")]
    NoInput,
}

/// Merges the areas of any number of snapshot files (`(name, bytes)`, in any order, repeated or
/// not) by area id with Automerge's merge. Every file is decoded whole first; the first bad file
/// fails the merge. Two areas with one id but different [`Area::uid`] are refused, naming both
/// files. The result is sorted by area id.
pub fn merge_files(files: Vec<(String, Vec<u8>)>) -> Result<Vec<Area>, MergeError> {
    let mut merger = Merger::default();
    for (name, bytes) in files {
        merger.add(&name, &bytes)?;
    }
    merger.finish()
}

/// [`merge_files`] one file at a time, so a caller can read files lazily and show progress.
#[derive(Debug, Default)]
pub struct Merger {
    /// Area id → the merged area and the first file it came from.
    merged: std::collections::BTreeMap<String, (Area, String)>,
    files: usize,
    superseded: Vec<Superseded>,
}

/// A copy of an area left out of a merge because another file holds a later epoch of it
/// (households were erased since): it is never merged back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Superseded {
    pub area: String,
    /// The file whose copy was left out.
    pub file: String,
    pub epoch: u64,
    /// The epoch kept.
    pub by_epoch: u64,
}

impl Merger {
    /// Decodes one file whole and merges each of its areas into the result. On an error the
    /// merge so far is unchanged (areas of a bad file are never half merged).
    pub fn add(&mut self, name: &str, bytes: &[u8]) -> Result<(), MergeError> {
        let areas = Merger::decode(name, bytes, None)?;
        self.add_decoded(name, areas)
    }

    /// The decoding half of [`Merger::add`], which needs no merger: callers may decode files
    /// on several threads and merge the results in any order.
    /// `passed`: what the door remembers ([`Area::load_checked`]).
    pub fn decode(name: &str, bytes: &[u8], passed: Option<&Passed>) -> Result<Vec<Area>, MergeError> {
        Ok(Merger::decode_with_saves(name, bytes, passed)?.into_iter().map(|(area, _)| area).collect())
    }

    /// [`Merger::decode`], keeping each area's document bytes (see [`encode_saved`]).
    pub fn decode_with_saves(
        name: &str,
        bytes: &[u8],
        passed: Option<&Passed>,
    ) -> Result<Vec<(Area, Vec<u8>)>, MergeError> {
        decode_areas_with_saves(bytes, MERGE_ACTOR, passed)
            .map_err(|error| MergeError::BadFile { file: name.into(), error })
    }

    /// The merging half of [`Merger::add`]: the areas of one file, from [`Merger::decode`].
    pub fn add_decoded(&mut self, name: &str, areas: Vec<Area>) -> Result<(), MergeError> {
        // Check every area of the file before merging any of them.
        for area in &areas {
            if let Some((existing, first)) = self.merged.get(&area.id()) {
                if existing.uid() != area.uid() {
                    return Err(MergeError::DifferentAreas {
                        id: area.id(),
                        first: first.clone(),
                        second: name.into(),
                        first_uid: existing.uid(),
                        second_uid: area.uid(),
                    });
                }
            }
        }
        for area in areas {
            let id = area.id();
            match self.merged.get_mut(&id) {
                None => {
                    self.merged.insert(id, (area, name.into()));
                }
                Some((existing, first))
                    if existing.epoch() != area.epoch() || existing.loses_to(&area) || area.loses_to(existing) =>
                {
                    // Copies of two epochs: the later one is kept, the other left out whole.
                    if existing.loses_to(&area) {
                        self.superseded.push(Superseded {
                            area: id.clone(),
                            file: first.clone(),
                            epoch: existing.epoch(),
                            by_epoch: area.epoch(),
                        });
                        *existing = area;
                        *first = name.into();
                    } else {
                        self.superseded.push(Superseded {
                            area: id.clone(),
                            file: name.into(),
                            epoch: area.epoch(),
                            by_epoch: existing.epoch(),
                        });
                    }
                }
                Some((existing, _)) => {
                    existing.merge(&area).map_err(|e| MergeError::Merge {
                        id: id.clone(),
                        file: name.into(),
                        reason: e.to_string(),
                    })?;
                }
            }
        }
        self.files += 1;
        Ok(())
    }

    /// Takes one merged area out (when no further file will bring a copy of it), so a caller
    /// that evaluates areas as they complete need not hold them all.
    pub fn take(&mut self, id: &str) -> Option<Area> {
        self.merged.remove(id).map(|(area, _)| area)
    }

    /// Copies left out because another file holds a later epoch of their area.
    pub fn superseded(&self) -> &[Superseded] {
        &self.superseded
    }

    /// Files merged so far.
    pub fn files(&self) -> usize {
        self.files
    }

    /// The merged areas, sorted by id.
    pub fn finish(self) -> Result<Vec<Area>, MergeError> {
        if self.files == 0 {
            return Err(MergeError::NoInput);
        }
        Ok(self.merged.into_values().map(|(area, _)| area).collect())
    }
}
