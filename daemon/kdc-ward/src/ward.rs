//! The ward office's work on snapshot files, shared by `kdc` and the web app's ward page
//! (`/ward`): describe what each file holds, merge the intact ones exactly as
//! `kdc snapshot merge` does ([`crdt_model::snapshot::Merger`]), leave out (and say why) the
//! ones that cannot be used, and tell which files are stale.
//!
//! `kdc snapshot merge` and `kdc report` stop at the first bad file (exit 2, nothing written);
//! the page instead leaves a bad file out and reports on the others ([`merge_leniently`]).
//! Pure: bytes in, values out — but for [`read_passed`] and [`write_passed`], which keep the
//! door's memory of files seen before in the data directory.

use std::collections::{BTreeMap, HashSet};

use automerge::{ChangeHash, ReadDoc};
use crdt_model::Lang;
use crdt_model::area::rfc3339;
use crdt_model::check::Passed;
use crdt_model::snapshot::{self, FORMAT_VERSION, MergeError, Merger, SnapshotError};
use crdt_model::{Area, Status};
use kdc_text::t;
use serde::Serialize;

/// The file in the data directory where the door remembers the documents it let through
/// ([`Passed`]), for `kdc report`, `kdc snapshot merge` and the ward page alike.
pub const PASSED_FILE: &str = "door-passed";

/// The door's memory kept in `data_dir`; empty when there is none yet or it does not read.
pub fn read_passed(data_dir: &std::path::Path) -> Passed {
    std::fs::read(data_dir.join(PASSED_FILE)).map(|b| Passed::from_bytes(&b)).unwrap_or_default()
}

/// Writes `passed` back to `data_dir` when it learnt something, through a temporary file renamed
/// over the old one (two writers at once: the last one wins, the other's news is checked again
/// next time). Nothing is written when `data_dir` does not exist.
pub fn write_passed(data_dir: &std::path::Path, passed: &Passed) -> std::io::Result<()> {
    if !passed.is_changed() || !data_dir.is_dir() {
        return Ok(());
    }
    replace_file(data_dir, PASSED_FILE, &passed.to_bytes())
}

/// Writes `data_dir/name` through a temporary file renamed over it (readers see the old file or
/// the new one whole); the temporary file is removed on failure.
fn replace_file(data_dir: &std::path::Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = data_dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let written = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, data_dir.join(name)));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// The file in the data directory where `kdc report` keeps the figures of area documents it
/// evaluated ([`Figures`]).
pub const FIGURES_FILE: &str = "report-figures";

/// What `kdc report` remembers of an area document that passed the door and was evaluated on
/// its own (no other file carried its area): its figures, by the document's key
/// ([`Passed::key`]), so a report over files seen before reads them without loading the
/// documents at all. A cache like [`Passed`]: salted with the release (the figures are this
/// release's evaluation), bounded (the newest [`FIGURES_MAX_BYTES`] kept), and one that does
/// not read is empty.
///
/// Invariant: a key's figures are the [`Status`] of exactly the document with that key, which
/// passed the door.
#[derive(Debug, Default)]
pub struct Figures {
    /// As read: key → the range of its JSON in `bytes`.
    known: std::collections::HashMap<[u8; 32], std::ops::Range<usize>>,
    bytes: Vec<u8>,
    /// Learnt in this run.
    fresh: std::sync::Mutex<Vec<([u8; 32], Vec<u8>)>>,
}

/// At most this many bytes of figures are kept (about 20,000 areas of 400 households).
pub const FIGURES_MAX_BYTES: usize = 64 << 20;

const FIGURES_MAGIC: &[u8; 8] = b"KDCFIG02";

impl Figures {
    /// Reads `data_dir`'s figures; empty when none, another release's, or not readable.
    pub fn read(data_dir: &std::path::Path) -> Figures {
        std::fs::read(data_dir.join(FIGURES_FILE)).map(Figures::from_bytes).unwrap_or_default()
    }

    fn from_bytes(bytes: Vec<u8>) -> Figures {
        let mut known = std::collections::HashMap::new();
        let Some(rest) = bytes.strip_prefix(FIGURES_MAGIC.as_slice()) else { return Figures::default() };
        if rest.len() < 32 || rest[..32] != Passed::salt() {
            return Figures::default();
        }
        let mut at = FIGURES_MAGIC.len() + 32;
        while at < bytes.len() {
            let Some(head) = bytes.get(at..at + 36) else { return Figures::default() };
            let key: [u8; 32] = head[..32].try_into().expect("32 bytes");
            let len = u32::from_be_bytes(head[32..].try_into().expect("4 bytes")) as usize;
            let start = at + 36;
            if bytes.len() < start + len {
                return Figures::default();
            }
            known.insert(key, start..start + len);
            at = start + len;
        }
        Figures { known, bytes, fresh: Default::default() }
    }

    /// The figures remembered for `key`, if any (and if they still read).
    pub fn get(&self, key: &[u8; 32]) -> Option<Status> {
        let range = self.known.get(key)?;
        serde_json::from_reader(flate2::read::DeflateDecoder::new(&self.bytes[range.clone()])).ok()
    }

    /// Remembers `status` as the figures of the document with `key`; call only for a document
    /// that passed the door whole and was evaluated alone.
    pub fn insert(&self, key: [u8; 32], status: &Status) {
        if self.known.contains_key(&key) {
            return;
        }
        // Deflated: a 400-household area's figures are 27 KB of JSON (every group's criteria),
        // a tenth of that deflated, and a province's worth is read into memory at once.
        // Written whole and deflated in one call: many small writes into the encoder cost as
        // much as evaluating the area.
        let Ok(json) = serde_json::to_vec(status) else { return };
        let mut deflate =
            flate2::write::DeflateEncoder::new(Vec::with_capacity(json.len() / 8), flate2::Compression::fast());
        if std::io::Write::write_all(&mut deflate, &json).is_ok()
            && let Ok(bytes) = deflate.finish()
        {
            self.fresh.lock().unwrap_or_else(|e| e.into_inner()).push((key, bytes));
        }
    }

    /// Writes what was read and what was learnt back to `data_dir` (newest first kept within
    /// the bound), when something was learnt; like [`write_passed`].
    pub fn write(&self, data_dir: &std::path::Path) -> std::io::Result<()> {
        let fresh = self.fresh.lock().unwrap_or_else(|e| e.into_inner());
        if fresh.is_empty() || !data_dir.is_dir() {
            return Ok(());
        }
        // Oldest first in the file: what was read (in its order), then what was learnt.
        let mut old: Vec<(&[u8; 32], &std::ops::Range<usize>)> = self.known.iter().collect();
        old.sort_by_key(|(_, r)| r.start);
        let mut entries: Vec<(&[u8; 32], &[u8])> = old.into_iter().map(|(k, r)| (k, &self.bytes[r.clone()])).collect();
        entries.extend(fresh.iter().map(|(k, j)| (k, j.as_slice())));
        let mut size = 0;
        let keep = entries.iter().rev().take_while(|(_, j)| {
            size += 36 + j.len();
            size <= FIGURES_MAX_BYTES
        });
        let keep: Vec<_> = keep.collect();
        let mut out = Vec::with_capacity(40 + size);
        out.extend_from_slice(FIGURES_MAGIC);
        out.extend_from_slice(&Passed::salt());
        for (key, json) in keep.into_iter().rev() {
            out.extend_from_slice(*key);
            out.extend_from_slice(&(json.len() as u32).to_be_bytes());
            out.extend_from_slice(json);
        }
        replace_file(data_dir, FIGURES_FILE, &out)
    }
}

/// What one area of a snapshot file holds (`kdc snapshot verify --json`, and the ward page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifiedArea {
    pub id: String,
    pub name: String,
    pub ward: String,
    pub profile: String,
    /// Active households.
    pub households: u64,
    pub archived: u64,
    /// Devices on the roster, removed ones not counted.
    pub members: u64,
    /// RFC 3339 time of the latest change, when any change has a time.
    pub last_change: Option<String>,
}

/// What an area holds, for `verify` and the ward page.
pub fn describe_area(area: &Area) -> VerifiedArea {
    let households = area.households();
    let archived = households.iter().filter(|h| h.archived).count() as u64;
    let last_write_ms = households.iter().filter_map(|h| h.updated_at).max();
    VerifiedArea {
        id: area.id(),
        name: area.name(),
        ward: area.ward(),
        profile: area.profile().id().to_string(),
        households: households.len() as u64 - archived,
        archived,
        members: area.members().iter().filter(|m| !m.removed).count() as u64,
        last_change: last_write_ms.max(last_change_ms(area)).map(rfc3339),
    }
}

/// The latest time of the document's head changes (seconds in the change; 0 means none
/// recorded), in ms. Every other change is an ancestor of a head, so made before it on a device
/// with a sane clock; a head is looked up by hash, where walking every change of a document
/// costs as much as loading it.
fn last_change_ms(area: &Area) -> Option<i64> {
    area.heads()
        .iter()
        .filter_map(|h| area.doc().get_change_by_hash(h).map(|c| c.timestamp()))
        .filter(|&t| t > 0)
        .max()
        .map(|s| s.saturating_mul(1000))
}

/// How one file's copy of an area compares with the other files' copies of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Staleness {
    /// No other file has this area.
    Only,
    /// Holds every change of this area that any file holds (the others may be deleted).
    Newest,
    /// Holds exactly what `file` holds.
    SameAs { file: String },
    /// Everything in it is also in `file`, which has more: this copy can be deleted.
    ContainedIn { file: String },
    /// Has changes no other single file has, and lacks some: keep it (merging gives the whole).
    Partial,
}

/// One area of one file.
#[derive(Debug, Clone)]
pub struct FileArea {
    pub area: VerifiedArea,
    pub staleness: Staleness,
    heads: Vec<ChangeHash>,
}

/// One input file: intact (its areas) or left out (why).
#[derive(Debug, Clone)]
pub struct FileReport {
    pub file: String,
    pub bytes: u64,
    pub areas: Vec<FileArea>,
    /// Why the file was left out ([`refusal_text`] says it in words); `None` when it was merged.
    pub refused: Option<MergeError>,
}

/// The result of [`merge_leniently`]: every file's report, in the order given, and the merged
/// areas of the intact ones (sorted by id).
#[derive(Debug)]
pub struct WardMerge {
    pub files: Vec<FileReport>,
    pub areas: Vec<Area>,
    /// Copies left out because another file holds a later epoch of their area (households
    /// were erased since): never merged back.
    pub superseded: Vec<crdt_model::snapshot::Superseded>,
    /// Area id → its document bytes as the one file that carried it holds them (areas several
    /// files carried are saved again for the bundle).
    saves: BTreeMap<String, Vec<u8>>,
}

impl WardMerge {
    /// Files left out.
    pub fn refused(&self) -> impl Iterator<Item = &FileReport> {
        self.files.iter().filter(|f| f.refused.is_some())
    }

    /// The merged areas as one snapshot file: what `kdc snapshot merge` writes.
    pub fn bundle(&self) -> Vec<u8> {
        let saved: Vec<(String, Vec<u8>)> = self
            .areas
            .iter()
            .map(|a| {
                let id = a.id();
                let doc = self.saves.get(&id).cloned().unwrap_or_else(|| a.save());
                (id, doc)
            })
            .collect();
        snapshot::encode_saved(&saved)
    }

    /// Each merged area's last change: a single copy's from its file's description, a merged
    /// one's read again.
    pub fn last_change(&self) -> BTreeMap<String, Option<String>> {
        let described: BTreeMap<&str, &Option<String>> = self
            .files
            .iter()
            .filter(|f| f.refused.is_none())
            .flat_map(|f| f.areas.iter())
            .filter(|a| self.saves.contains_key(&a.area.id))
            .map(|a| (a.area.id.as_str(), &a.area.last_change))
            .collect();
        self.areas
            .iter()
            .map(|a| {
                let id = a.id();
                let last = match described.get(id.as_str()) {
                    Some(t) => (*t).clone(),
                    None => describe_area(a).last_change,
                };
                (id, last)
            })
            .collect()
    }
}

/// One file decoded and described, not yet merged ([`LenientMerger::decode`]); decoding is the
/// costly part and needs no merger, so files may be decoded on several threads.
#[derive(Debug)]
pub struct DecodedFile {
    name: String,
    bytes: u64,
    result: Result<Vec<(Area, Vec<u8>, FileArea)>, MergeError>,
}

/// Decodes and merges every file it can, in order, with the same [`Merger`] as
/// `kdc snapshot merge`; a file that is corrupt, truncated, not a snapshot, or holds an area
/// that only shares an id with another file's area is left out with the reason, and changes
/// nothing of the merge. Then compares the copies of each area that several files carry.
pub fn merge_leniently(inputs: impl IntoIterator<Item = (String, Vec<u8>)>) -> WardMerge {
    let mut m = LenientMerger::default();
    for (name, bytes) in inputs {
        m.add(name, &bytes);
    }
    m.finish()
}

/// [`merge_leniently`] one file at a time, so a caller can drop each file's bytes as soon as
/// it is decoded (the page decodes uploads as they arrive).
#[derive(Debug, Default)]
pub struct LenientMerger {
    merger: Merger,
    files: Vec<FileReport>,
    /// Area id → (its document bytes from the first file that carried it, copies merged).
    saves: BTreeMap<String, (Vec<u8>, usize)>,
}

impl LenientMerger {
    pub fn add(&mut self, name: String, bytes: &[u8]) {
        self.add_decoded(LenientMerger::decode(name, bytes));
    }

    /// The decoding half of [`LenientMerger::add`].
    pub fn decode(name: String, bytes: &[u8]) -> DecodedFile {
        LenientMerger::decode_with(name, bytes, &[], None)
    }

    /// [`LenientMerger::decode`], opening an encrypted file with the first of `identities`
    /// that can (one that none opens is left out, saying so). `passed`: what the door remembers.
    pub fn decode_with(
        name: String,
        bytes: &[u8],
        identities: &[crate::seal::Identity],
        passed: Option<&Passed>,
    ) -> DecodedFile {
        let opened;
        let plain = if crate::seal::is_sealed(bytes) {
            match crate::seal::open(bytes, identities) {
                Ok(p) => {
                    opened = p;
                    &opened[..]
                }
                Err(e) => {
                    let reason = match e {
                        crate::seal::SealError::NoIdentity => "no key given here opens it".to_string(),
                        other => other.to_string(),
                    };
                    let error = SnapshotError::Encrypted(reason);
                    let result = Err(MergeError::BadFile { file: name.clone(), error });
                    return DecodedFile { name, bytes: bytes.len() as u64, result };
                }
            }
        } else {
            bytes
        };
        let result = Merger::decode_with_saves(&name, plain, passed).map(|areas| {
            areas
                .into_iter()
                .map(|(a, save)| {
                    let described = FileArea { area: describe_area(&a), staleness: Staleness::Only, heads: a.heads() };
                    (a, save, described)
                })
                .collect()
        });
        DecodedFile { name, bytes: bytes.len() as u64, result }
    }

    /// The merging half of [`LenientMerger::add`]; files are merged in the order this is called.
    pub fn add_decoded(&mut self, file: DecodedFile) {
        let DecodedFile { name, bytes, result } = file;
        let report = match result {
            Err(e) => FileReport { file: name, bytes, areas: Vec::new(), refused: Some(e) },
            Ok(decoded) => {
                let mut areas = Vec::with_capacity(decoded.len());
                let mut described = Vec::with_capacity(decoded.len());
                let mut saves = Vec::with_capacity(decoded.len());
                for (a, save, d) in decoded {
                    saves.push((a.id(), save));
                    areas.push(a);
                    described.push(d);
                }
                let refused = self.merger.add_decoded(&name, areas).err();
                for (id, save) in saves {
                    match (&refused, self.saves.get_mut(&id)) {
                        // Merged into an earlier copy (or maybe, if the file failed half-way):
                        // the bundle saves this area again.
                        (_, Some((_, n))) => *n += 1,
                        (None, None) => {
                            self.saves.insert(id, (save, 1));
                        }
                        (Some(_), None) => {}
                    }
                }
                FileReport { file: name, bytes, areas: described, refused }
            }
        };
        self.files.push(report);
    }

    /// Files given so far.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn finish(self) -> WardMerge {
        let LenientMerger { merger, mut files, saves } = self;
        let superseded = merger.superseded().to_vec();
        let areas = merger.finish().unwrap_or_default();
        compare_copies(&mut files, &areas);
        let saves = saves.into_iter().filter(|(_, (_, n))| *n == 1).map(|(id, (save, _))| (id, save)).collect();
        WardMerge { files, areas, superseded, saves }
    }
}

/// Why a file was left out, in words, without the file's own name (shown beside it).
pub fn refusal_text(lang: Lang, e: &MergeError) -> String {
    match e {
        MergeError::BadFile { error, .. } => match error {
            SnapshotError::NotASnapshot => t!(lang, "ward-not-a-snapshot").into(),
            SnapshotError::UnsupportedVersion(v) => {
                t!(lang, "ward-unsupported-version", version = v.to_string(), supported = FORMAT_VERSION.to_string())
            }
            SnapshotError::Truncated(detail) => t!(lang, "ward-truncated", detail = detail.as_str()),
            SnapshotError::Checksum => t!(lang, "ward-checksum").into(),
            SnapshotError::BadArea { id, reason } => {
                t!(lang, "ward-bad-area", id = id.as_str(), reason = reason.as_str())
            }
            SnapshotError::Empty => t!(lang, "ward-empty").into(),
            SnapshotError::Encrypted(_) => t!(lang, "ward-encrypted").into(),
        },
        MergeError::DifferentAreas { id, first, .. } => {
            t!(lang, "ward-different-areas", id = id.as_str(), first = first.as_str())
        }
        MergeError::Merge { id, reason, .. } => t!(lang, "ward-not-merged", id = id.as_str(), reason = reason.as_str()),
        MergeError::NoInput => t!(lang, "ward-no-input").into(),
    }
}

/// Sets each merged copy's [`Staleness`]: copy `f` is contained in copy `e` when none of `f`'s
/// heads is among the merged document's changes that are not in `e`'s history.
fn compare_copies(files: &mut [FileReport], merged: &[Area]) {
    // Area id → (file index, area index) of the merged copies.
    let mut copies: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
    for (fi, f) in files.iter().enumerate().filter(|(_, f)| f.refused.is_none()) {
        for (ai, a) in f.areas.iter().enumerate() {
            copies.entry(a.area.id.clone()).or_default().push((fi, ai));
        }
    }
    for (id, list) in copies {
        if list.len() < 2 {
            continue;
        }
        let Some(doc) = merged.iter().find(|a| a.id() == id) else { continue };
        let heads: Vec<Vec<ChangeHash>> = list.iter().map(|&(fi, ai)| sorted(&files[fi].areas[ai].heads)).collect();
        // For each copy, the merged document's changes it lacks.
        let lacks: Vec<HashSet<ChangeHash>> =
            heads.iter().map(|h| doc.doc().get_changes_meta(h).iter().map(|c| c.hash).collect()).collect();
        let contains = |e: usize, f: usize| heads[f].iter().all(|h| !lacks[e].contains(h));
        let names: Vec<String> = list.iter().map(|&(fi, _)| files[fi].file.clone()).collect();
        for (i, &(fi, ai)) in list.iter().enumerate() {
            let others: Vec<usize> = (0..list.len()).filter(|&j| j != i).collect();
            let state = if let Some(&j) = others.iter().find(|&&j| contains(j, i) && !contains(i, j)) {
                Staleness::ContainedIn { file: names[j].clone() }
            } else if others.iter().all(|&j| contains(i, j)) {
                match others.iter().find(|&&j| heads[j] == heads[i]) {
                    // Identical copies: the first one named is the one to keep.
                    Some(&j) if j < i => Staleness::SameAs { file: names[j].clone() },
                    _ => Staleness::Newest,
                }
            } else if let Some(&j) = others.iter().find(|&&j| heads[j] == heads[i]) {
                Staleness::SameAs { file: names[j].clone() }
            } else {
                Staleness::Partial
            };
            files[fi].areas[ai].staleness = state;
        }
    }
}

fn sorted(heads: &[ChangeHash]) -> Vec<ChangeHash> {
    let mut h = heads.to_vec();
    h.sort();
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crdt_model::snapshot::encode;
    use crdt_model::{HouseholdWrite, NewArea};

    fn area(id: &str) -> Area {
        let new =
            NewArea {
                id: id.into(), name: format!("Khu {id}"), ward: "Phường Thạc Gián".into(), profile_toml: None
            };
        Area::create(new, "peer-a", "máy A", 1_700_000_000_000).unwrap()
    }

    #[test]
    fn figures_are_kept_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (area("khu-a"), area("khu-b"));
        let (ka, kb) = (Passed::key(&a.save()), Passed::key(&b.save()));
        let figures = Figures::read(dir.path());
        assert!(figures.get(&ka).is_none());
        figures.insert(ka, &a.status());
        figures.write(dir.path()).unwrap();
        let back = Figures::read(dir.path());
        assert_eq!(back.get(&ka), Some(a.status()));
        assert!(back.get(&kb).is_none());
        back.insert(kb, &b.status());
        back.write(dir.path()).unwrap();
        let both = Figures::read(dir.path());
        assert_eq!((both.get(&ka), both.get(&kb)), (Some(a.status()), Some(b.status())));
        // Another release's file (another salt) or one cut short: empty.
        let mut bytes = std::fs::read(dir.path().join(FIGURES_FILE)).unwrap();
        bytes[9] ^= 1;
        assert!(Figures::from_bytes(bytes.clone()).get(&ka).is_none());
        bytes[9] ^= 1;
        bytes.pop();
        assert!(Figures::from_bytes(bytes).get(&ka).is_none());
    }

    fn add(a: &mut Area, hh: &str, t: i64) {
        let w = HouseholdWrite {
            id: hh.into(),
            fields: vec![("members".into(), "3".into())],
            consent: Some(crdt_model::ConsentGiven::verbal()),
            ..Default::default()
        };
        a.add_household(w, "peer-a", t).unwrap();
    }

    fn file(a: &Area) -> Vec<u8> {
        encode(&[a])
    }

    fn state<'a>(m: &'a WardMerge, file: &str, area: &str) -> &'a Staleness {
        let f = m.files.iter().find(|f| f.file == file).unwrap();
        &f.areas.iter().find(|a| a.area.id == area).unwrap().staleness
    }

    #[test]
    fn a_copy_of_a_superseded_epoch_is_left_out_and_named() {
        let mut x = area("khu-x");
        add(&mut x, "H1", 1_700_000_100_000);
        add(&mut x, "H2", 1_700_000_110_000);
        let old = file(&x);
        let next = x.erase(&["H1"], "peer-a", 1_700_000_200_000).unwrap();
        let new = file(&next);
        for order in [[("old.kdcsnap", &old), ("new.kdcsnap", &new)], [("new.kdcsnap", &new), ("old.kdcsnap", &old)]] {
            let m = merge_leniently(order.iter().map(|(n, b)| (n.to_string(), (*b).clone())));
            assert_eq!(m.areas.len(), 1);
            assert_eq!(m.areas[0].epoch(), 1);
            assert!(m.areas[0].household("H1").is_none() && m.areas[0].household("H2").is_some());
            assert_eq!(m.superseded.len(), 1);
            assert_eq!((m.superseded[0].file.as_str(), m.superseded[0].epoch), ("old.kdcsnap", 0));
            assert!(m.refused().next().is_none(), "no file is refused: the old one is superseded");
            let bundle = crdt_model::snapshot::decode_areas(&m.bundle(), "x").unwrap();
            assert!(bundle[0].household("H1").is_none(), "the bundle brings the erased household back");
        }
    }

    #[test]
    fn stale_repeated_partial_and_refused_files_are_told_apart() {
        let mut x = area("khu-x");
        add(&mut x, "H1", 1_700_000_100_000);
        let old = file(&x);
        add(&mut x, "H2", 1_700_000_200_000);
        let new = file(&x);
        // Two devices' copies of khu-y that each have a household the other lacks.
        let mut y1 = area("khu-y");
        y1.add_member("peer-b", "máy B", "member", "peer-a", 1_700_000_250_000).unwrap();
        let mut y2 = Area::load(&y1.save(), "peer-b").unwrap();
        add(&mut y1, "Y1", 1_700_000_300_000);
        let w = HouseholdWrite {
            id: "Y2".into(),
            fields: vec![("members".into(), "2".into())],
            consent: Some(crdt_model::ConsentGiven::verbal()),
            ..Default::default()
        };
        y2.add_household(w, "peer-b", 1_700_000_300_000).unwrap();
        let mut corrupt = new.clone();
        let n = corrupt.len();
        corrupt.truncate(n / 2);
        // Another khu-x, created apart on another device.
        let new_x =
            NewArea { id: "khu-x".into(), name: "Khu X".into(), ward: "Phường Khác".into(), profile_toml: None };
        let impostor = file(&Area::create(new_x, "peer-z", "máy Z", 1_700_000_500_000).unwrap());

        let m = merge_leniently([
            ("old.kdcsnap".to_string(), old),
            ("new.kdcsnap".to_string(), new.clone()),
            ("new-again.kdcsnap".to_string(), new),
            ("y1.kdcsnap".to_string(), file(&y1)),
            ("y2.kdcsnap".to_string(), file(&y2)),
            ("broken.kdcsnap".to_string(), corrupt),
            ("not-a-snapshot.txt".to_string(), b"hello".to_vec()),
            ("impostor.kdcsnap".to_string(), impostor),
        ]);
        let refused: Vec<&str> = m.refused().map(|f| f.file.as_str()).collect();
        assert_eq!(refused, ["broken.kdcsnap", "not-a-snapshot.txt", "impostor.kdcsnap"]);
        let why = m.files[7].refused.as_ref().unwrap();
        assert!(refusal_text(Lang::En, why).contains("different areas"), "{why:?}");
        assert!(refusal_text(Lang::Vi, why).contains("hai khu khác nhau"), "{why:?}");
        assert!(refusal_text(Lang::Vi, m.files[5].refused.as_ref().unwrap()).contains("hỏng"), "{:?}", m.files[5]);
        assert!(refusal_text(Lang::Vi, m.files[6].refused.as_ref().unwrap()).contains("KDCSNAP"), "{:?}", m.files[6]);
        assert_eq!(*state(&m, "old.kdcsnap", "khu-x"), Staleness::ContainedIn { file: "new.kdcsnap".into() });
        assert_eq!(*state(&m, "new.kdcsnap", "khu-x"), Staleness::Newest);
        assert_eq!(*state(&m, "new-again.kdcsnap", "khu-x"), Staleness::SameAs { file: "new.kdcsnap".into() });
        assert_eq!(*state(&m, "y1.kdcsnap", "khu-y"), Staleness::Partial);
        assert_eq!(*state(&m, "y2.kdcsnap", "khu-y"), Staleness::Partial);
        // The merge is what the intact files give, whatever was left out.
        let ids: Vec<String> = m.areas.iter().map(Area::id).collect();
        assert_eq!(ids, ["khu-x", "khu-y"]);
        assert_eq!(m.areas[0].households().len(), 2);
        assert_eq!(m.areas[1].households().len(), 2);
        assert_eq!(m.files[0].areas[0].area.households, 1);
        // The bundle holds the merged areas, whether saved again or taken from their one file.
        let again = snapshot::merge_files(vec![("bundle".into(), m.bundle())]).unwrap();
        let heads = |areas: &[Area]| areas.iter().map(|a| (a.id(), sorted(&a.heads()))).collect::<Vec<_>>();
        assert_eq!(heads(&again), heads(&m.areas));
        let last = m.last_change();
        assert_eq!(last.get("khu-x").cloned().flatten().as_deref(), Some("2023-11-14T22:16:40Z"));
        assert_eq!(m.files[1].areas[0].area.last_change.as_deref(), Some("2023-11-14T22:16:40Z"));
    }

    #[test]
    fn no_intact_file_gives_no_areas() {
        let m = merge_leniently([("a".to_string(), b"x".to_vec())]);
        assert!(m.areas.is_empty());
        assert_eq!(m.refused().count(), 1);
    }
}
