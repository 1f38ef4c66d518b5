//! `kdc snapshot export|import|verify|merge`.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use anyhow::Context as _;
use crdt_model::area::{Area, AreaSummary};
use crdt_model::check::Passed;
use crdt_model::snapshot;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use super::{Ctx, emit};
use crate::args::SnapshotCmd;
use crate::error::usage;
use crate::i18n;
use crate::output::{self, Verified};
use crate::report;
use kdc_ward::seal;
use kdc_ward::ward::{Figures, describe_area};

/// Actor id for documents loaded only to be read; nothing is ever written with it.
const VERIFY_ACTOR: &str = "kdc-verify";

pub fn run(ctx: &Ctx, cmd: SnapshotCmd) -> anyhow::Result<()> {
    match cmd {
        SnapshotCmd::Export { area, output, plain } => export(ctx, &area, &output, plain),
        SnapshotCmd::Import { file } => import(ctx, &file),
        SnapshotCmd::Verify { file } => verify(ctx, &file),
        SnapshotCmd::Merge { output, files } => merge(ctx, &output, &files),
    }
}

// ---- export ---------------------------------------------------------------------------------

#[derive(Serialize)]
struct Exported<'a> {
    area: &'a str,
    file: String,
    bytes: usize,
    /// Encrypted with age to these ward recipients (and this device); empty: a plain file.
    encrypted_to: Vec<String>,
}

/// Writes the area's snapshot; when the area has ward members with a recipient (and not
/// `--plain`), encrypted to them and to this device's own key, so only they can open it.
fn export(ctx: &Ctx, area: &str, path: &Path, plain: bool) -> anyhow::Result<()> {
    let client = ctx.client()?;
    let bytes = client.export_snapshot(area)?;
    // Never write a file that `snapshot import` would refuse.
    snapshot::decode(&bytes)
        .map_err(|e| anyhow::anyhow!(i18n::daemon_sent_bad_snapshot(ctx.lang, area, &e.to_string())))?;
    let members: Vec<crdt_model::area::Member> = client.members(area)?;
    let ward: Vec<String> = members
        .into_iter()
        .filter(|m| !m.removed && m.role == "ward")
        .filter_map(|m| m.recipient)
        .filter(|r| seal::recipient(r).is_ok())
        .collect();
    let (bytes, encrypted_to) = if ward.is_empty() || plain {
        (bytes, Vec::new())
    } else {
        let own = seal::device_identity(&ctx.data_dir()?).map_err(|e| anyhow::anyhow!(e.to_string()))?;
        let mut recipients: Vec<seal::Recipient> = ward.iter().filter_map(|r| seal::recipient(r).ok()).collect();
        recipients.push(own.to_public());
        let sealed = seal::seal(&bytes, &recipients).map_err(|e| anyhow::anyhow!(e.to_string()))?;
        // What was written must open again with this device's key.
        seal::open(&sealed, &[own]).map_err(|e| anyhow::anyhow!(e.to_string()))?;
        (sealed, ward)
    };
    write_atomically(path, &bytes).with_context(|| i18n::cannot_write(ctx.lang, path))?;
    if ctx.json {
        let file = path.display().to_string();
        emit(&output::json(&Exported { area, file, bytes: bytes.len(), encrypted_to })?)
    } else {
        let mut text = format!("{}\n", i18n::snapshot_exported(ctx.lang, area, path, bytes.len()));
        text.push_str(&i18n::snapshot_encryption(ctx.lang, encrypted_to.len()));
        emit(&text)
    }
}

/// Writes `path` through a temporary file in the same directory, synced, then renamed over
/// `path`: readers see the old file or the whole new one, never a partial file. The temporary
/// file is removed on any failure.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "snapshot".into());
    let mut attempt = 0u32;
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!(".{name}.kdc-tmp-{}-{attempt}", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(e),
        }
    };
    let written = file.write_all(bytes).and_then(|()| file.sync_all()).and_then(|()| {
        drop(file);
        fs::rename(&tmp, path)
    });
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    // Make the rename itself durable; not all platforms can open a directory, so best effort.
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

// ---- merge ----------------------------------------------------------------------------------

/// Inputs from this many files, or this many bytes, on show a progress bar on a terminal.
const PROGRESS_MIN_FILES: usize = 8;
const PROGRESS_MIN_BYTES: u64 = 4 << 20;

/// Reads every file and merges their areas by id (no daemon), holding only a few files' bytes
/// at once (see [`decode_and_merge`]). Any unreadable or invalid file, or two different areas
/// sharing an id, is refused with exit 2 naming the file(s); the caller writes nothing then.
/// With large inputs a progress bar runs on stderr when it is a terminal.
pub fn read_and_merge(ctx: &Ctx, paths: &[PathBuf]) -> anyhow::Result<Vec<Area>> {
    let unreadable = |path: &Path, e: std::io::Error| usage(format!("{}: {e}", i18n::cannot_read(ctx.lang, path)));
    let mut total = 0u64;
    for path in paths {
        total += fs::metadata(path).map_err(|e| unreadable(path, e))?.len();
    }
    let bar = if paths.len() >= PROGRESS_MIN_FILES || total >= PROGRESS_MIN_BYTES {
        // Draws nothing when stderr is not a terminal (scripts, CI, pipes).
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} {msg}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let memory = ctx.door_memory();
    let merger = decode_and_merge(ctx, paths, &bar, memory.as_ref().map(|(_, p)| p))?;
    ctx.keep_door_memory(memory);
    bar.finish_and_clear();
    for s in merger.superseded() {
        eprintln!("{}", i18n::superseded_copy(ctx.lang, &s.file, &s.area, s.epoch, s.by_epoch));
    }
    merger.finish().map_err(|e| merge_error(ctx, e))
}

/// Runs `work` on each of `items` on as many threads as there are cores, and `take` on each
/// result in this thread as it comes (with its item's index), so that `take` may hold `&mut`
/// state. Bounded: at most two results per worker wait, so memory stays flat. On the first error,
/// from either, the workers take no new item and that error is returned.
fn on_every_core<I: Sync, T: Send>(
    items: &[I],
    work: impl Fn(&I) -> anyhow::Result<T> + Sync,
    mut take: impl FnMut(usize, T) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(items.len()).max(1);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let (tx, rx) = mpsc::sync_channel::<(usize, anyhow::Result<T>)>(workers * 2);
        for _ in 0..workers {
            let (tx, next, stop, work) = (tx.clone(), &next, &stop, &work);
            s.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    if tx.send((i, work(item))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for (i, result) in rx {
            if let Err(e) = result.and_then(|t| take(i, t)) {
                stop.store(true, Ordering::Relaxed);
                return Err(e);
            }
        }
        Ok(())
    })
}

/// Reads and decodes the files on as many threads as there are cores (decoding, i.e. loading
/// the Automerge documents, is most of the cost), and merges each file's areas as it comes:
/// merging is order-independent, so the result does not depend on which thread wins. On the
/// first bad file the others stop taking new files and that file is reported.
fn decode_and_merge(
    ctx: &Ctx,
    paths: &[PathBuf],
    bar: &ProgressBar,
    passed: Option<&Passed>,
) -> anyhow::Result<snapshot::Merger> {
    let mut merger = snapshot::Merger::default();
    on_every_core(
        paths,
        |path| {
            let bytes = ctx.snapshot_bytes(path)?;
            let areas = snapshot::Merger::decode(&path.display().to_string(), &bytes, passed)
                .map_err(|e| merge_error(ctx, e))?;
            Ok((bytes.len() as u64, areas))
        },
        |i, (len, areas)| {
            let name = paths[i].display().to_string();
            bar.set_message(name.clone());
            merger.add_decoded(&name, areas).map_err(|e| merge_error(ctx, e))?;
            bar.inc(len);
            Ok(())
        },
    )?;
    Ok(merger)
}

/// The report over `paths` without holding every area: a first pass reads each file's envelope
/// to count the copies of each area; then the files are decoded on every core, each area that
/// only one file carries is evaluated by the thread that decoded it and dropped, and the others
/// are merged until their last copy is in ([`report::Streaming`]). Errors as [`read_and_merge`].
pub fn read_and_report(ctx: &Ctx, paths: &[PathBuf]) -> anyhow::Result<report::Report> {
    if paths.is_empty() {
        return Err(merge_error(ctx, snapshot::MergeError::NoInput));
    }
    let mut copies: HashMap<String, usize> = HashMap::new();
    for path in paths {
        let bytes = ctx.snapshot_bytes(path)?;
        let info = snapshot::decode(&bytes).map_err(|error| {
            merge_error(ctx, snapshot::MergeError::BadFile { file: path.display().to_string(), error })
        })?;
        for area in info.areas {
            *copies.entry(area.id).or_default() += 1;
        }
    }
    let door = ctx.door_memory();
    let figures = door.as_ref().map(|(dir, _)| Figures::read(dir));
    let memory = Memory { passed: door.as_ref().map(|(_, p)| p), figures: figures.as_ref() };
    let mut streaming = report::Streaming::new(copies.clone());
    on_every_core(
        paths,
        |path| ctx.snapshot_bytes(path).and_then(|bytes| stream_file(ctx, path, &bytes, &copies, &memory)),
        |i, areas| streaming.add(&paths[i].display().to_string(), areas).map_err(|e| merge_error(ctx, e)),
    )?;
    if let (Some((dir, _)), Some(figures)) = (&door, &figures) {
        // A cache: failing to keep it costs time next run, not this report.
        let _ = figures.write(dir);
    }
    ctx.keep_door_memory(door);
    streaming.finish().map_err(|e| merge_error(ctx, e))
}

/// What a report remembers of the files it read before ([`Passed`], [`Figures`]).
struct Memory<'a> {
    passed: Option<&'a Passed>,
    figures: Option<&'a Figures>,
}

/// One file's areas for [`report::Streaming`]: an area no other file carries is evaluated here
/// (or its figures taken from [`Figures`] when this very document was evaluated before, without
/// loading it); the others are loaded for merging. The first bad area fails the file.
fn stream_file(
    ctx: &Ctx,
    path: &Path,
    bytes: &[u8],
    copies: &HashMap<String, usize>,
    memory: &Memory<'_>,
) -> anyhow::Result<Vec<report::StreamedArea>> {
    let bad = |error| merge_error(ctx, snapshot::MergeError::BadFile { file: path.display().to_string(), error });
    let info = snapshot::decode(bytes).map_err(bad)?;
    let mut out = Vec::with_capacity(info.areas.len());
    for entry in &info.areas {
        if !report::Streaming::wants_status(copies, &entry.id) {
            let area = snapshot::load_entry(entry, snapshot::MERGE_ACTOR, memory.passed).map_err(bad)?;
            out.push(report::StreamedArea::Loaded(Box::new(area)));
            continue;
        }
        let key = memory.figures.map(|_| Passed::key(&entry.doc));
        let known = memory.figures.zip(key.as_ref()).and_then(|(f, k)| f.get(k)).filter(|s| s.area == entry.id);
        let status = match known {
            Some(status) => status,
            None => {
                let status = snapshot::status_of_entry(entry, snapshot::MERGE_ACTOR, memory.passed).map_err(bad)?;
                if let (Some(figures), Some(key)) = (memory.figures, key) {
                    figures.insert(key, &status);
                }
                status
            }
        };
        out.push(report::StreamedArea::Evaluated(Box::new(status)));
    }
    Ok(out)
}

fn merge_error(ctx: &Ctx, e: snapshot::MergeError) -> anyhow::Error {
    match e {
        snapshot::MergeError::BadFile { file, error } => {
            usage(i18n::invalid_snapshot(ctx.lang, Path::new(&file), &error.to_string()))
        }
        snapshot::MergeError::DifferentAreas { id, first, second, .. } => {
            usage(i18n::different_areas_same_id(ctx.lang, &id, &first, &second))
        }
        other => usage(other.to_string()),
    }
}

#[derive(Serialize)]
struct Merged {
    file: String,
    inputs: usize,
    bytes: usize,
    areas: Vec<AreaSummary>,
}

fn merge(ctx: &Ctx, path: &Path, files: &[PathBuf]) -> anyhow::Result<()> {
    let areas = read_and_merge(ctx, files)?;
    let refs: Vec<&Area> = areas.iter().collect();
    let bytes = snapshot::encode(&refs);
    write_atomically(path, &bytes).with_context(|| i18n::cannot_write(ctx.lang, path))?;
    let summaries: Vec<AreaSummary> = areas.iter().map(Area::summary).collect();
    if ctx.json {
        let m = Merged { file: path.display().to_string(), inputs: files.len(), bytes: bytes.len(), areas: summaries };
        emit(&output::json(&m)?)
    } else {
        let mut text = i18n::snapshot_merged(ctx.lang, files.len(), path, areas.len());
        text.push('\n');
        for a in &summaries {
            text.push_str(&format!("  {} ({}): {}\n", a.name, a.id, i18n::households_line(ctx.lang, a.households)));
        }
        emit(&text)
    }
}

// ---- import ---------------------------------------------------------------------------------

/// Reads a snapshot file and checks it whole (envelope, checksum, every area document) so a
/// corrupt, truncated or foreign file is refused (exit 2) naming the file and the reason.
fn read_snapshot(ctx: &Ctx, path: &Path) -> anyhow::Result<(Vec<u8>, snapshot::SnapshotInfo, Vec<Area>)> {
    let bytes = ctx.snapshot_bytes(path)?;
    let invalid = |e: snapshot::SnapshotError| usage(i18n::invalid_snapshot(ctx.lang, path, &e.to_string()));
    let info = snapshot::decode(&bytes).map_err(invalid)?;
    let areas = snapshot::decode_areas(&bytes, VERIFY_ACTOR).map_err(invalid)?;
    Ok((bytes, info, areas))
}

fn import(ctx: &Ctx, path: &Path) -> anyhow::Result<()> {
    let (bytes, _, _) = read_snapshot(ctx, path)?;
    let client = ctx.client()?;
    let report = client.import_snapshot(&bytes)?;
    if ctx.json {
        return emit(&output::json(&report)?);
    }
    let text: String = report
        .areas
        .iter()
        .map(|a| i18n::snapshot_imported_area(ctx.lang, &a.id, a.created, a.households) + "\n")
        .collect();
    emit(&text)
}

// ---- verify ---------------------------------------------------------------------------------

fn verify(ctx: &Ctx, path: &Path) -> anyhow::Result<()> {
    let (_, info, areas) = read_snapshot(ctx, path)?;
    let verified = Verified {
        file: path.display().to_string(),
        valid: true,
        format_version: info.format_version,
        checksum: info.checksum,
        checksum_ok: true,
        areas: areas.iter().map(describe_area).collect(),
    };
    if ctx.json { emit(&output::json(&verified)?) } else { emit(&output::verified(ctx.lang, &verified)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crdt_model::{HouseholdWrite, NewArea};

    fn area() -> Area {
        let new =
            NewArea { id: "tam-giac-3".into(), name: "Tam Giác 3".into(), ward: "P7".into(), profile_toml: None };
        let mut a = Area::create(new, "peer-a", "máy A", 1_700_000_000_000).unwrap();
        for (i, hh) in ["H1", "H2", "H3"].iter().enumerate() {
            let w = HouseholdWrite {
                id: hh.to_string(),
                fields: vec![("members".into(), "3".into())],
                consent: Some(crdt_model::ConsentGiven::verbal()),
                ..Default::default()
            };
            a.add_household(w, "peer-a", 1_700_000_100_000 + i as i64 * 1000).unwrap();
        }
        a.archive_household("H3", "peer-a", 1_700_000_200_000).unwrap();
        a
    }

    #[test]
    fn describes_an_area() {
        let d = describe_area(&area());
        assert_eq!((d.households, d.archived, d.members), (2, 1, 1));
        assert_eq!(d.profile, "kdc-so-v1");
        assert_eq!(d.last_change.as_deref(), Some("2023-11-14T22:16:40Z"));
    }

    #[test]
    fn atomic_write_replaces_whole_file_and_leaves_no_temp() {
        let dir = std::env::temp_dir().join(format!("kdc-cli-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.kdcsnap");
        fs::write(&path, b"old").unwrap();
        write_atomically(&path, b"new content").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new content");
        let leftovers: Vec<_> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
        // A target that cannot be replaced (a directory) fails and leaves no temporary file.
        fs::create_dir_all(dir.join("sub")).unwrap();
        assert!(write_atomically(&dir.join("sub"), b"x").is_err());
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 2);
        fs::remove_dir_all(&dir).unwrap();
    }
}
