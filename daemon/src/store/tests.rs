use super::*;
use std::fs;
use std::fs::File;
use std::io::Write;

use std::path::PathBuf;

use super::crypt;
use super::encoding::SEP;
use super::saves::LEGACY_SAVES_TREE;

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
    let on_disk = fs::read(saves.join("a.1")).expect("save");
    assert!(crypt::is_sealed(&on_disk), "the save file is sealed");
    assert_eq!(on_disk.len(), b"S+1".len() + crypt::OVERHEAD);
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
                let why = format!("cannot mount a tmpfs (needs root): {}", why.trim());
                assert!(!kdc_skip::can_run(&format!("store::tests::{test}"), Err(why)));
                None
            }
            Err(e) => {
                assert!(!kdc_skip::can_run(&format!("store::tests::{test}"), Err(format!("cannot run mount: {e}"))));
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
    let store = Store::open(&db, DeviceKey::open(db.parent().unwrap(), None).expect("key")).expect("open");
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

/// Every file under `dir`, recursively, that holds `marker`.
fn files_holding(dir: &Path, marker: &[u8]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if fs::read(&path).expect("read").windows(marker.len()).any(|w| w == marker) {
                found.push(path);
            }
        }
    }
    found
}

/// A plain store (as every data directory was before encryption at rest) with household text
/// in its save and its chunks, compacted once so that sled's log holds replaced values too.
fn plain_store(dir: &Path) {
    let store = Store::open_unsealed_for_benchmark(&dir.join("db")).expect("open plain");
    store.create_area("a", b"SAVE ZZMARKER-0;").expect("create");
    for i in 1..=3 {
        store.append_chunk("a", format!("ZZMARKER-{i};").as_bytes()).expect("append");
    }
    store.compact("a", b"SAVE ZZMARKER-0;ZZMARKER-1;ZZMARKER-2;", Some(1)).expect("compact");
    store.append_chunk("a", b"ZZMARKER-4;").expect("append");
    store.create_area("b", b"B ZZMARKER-b;").expect("create b");
    store.meta_set("name", b"may-1").expect("meta");
    store.invite_put(&[7; 32], &StoredInvite { area: "a".into(), expires_at_ms: 9, used: false }).expect("invite");
    assert_eq!(store.protection(), None);
}

const A_BYTES: &[u8] = b"SAVE ZZMARKER-0;ZZMARKER-1;ZZMARKER-2;ZZMARKER-3;ZZMARKER-4;";

#[test]
fn a_plain_directory_is_sealed_when_opened_and_nothing_plain_is_left() {
    let tmp = tempfile::tempdir().expect("tempdir");
    plain_store(tmp.path());
    // The control: the marker is there to be found in a plain directory.
    assert!(!files_holding(tmp.path(), b"ZZMARKER").is_empty());

    let store = open(tmp.path());
    assert_eq!(store.protection(), Some(Protection::KeyFile));
    let a = store.load("a").expect("load").expect("a");
    assert_eq!(a.bytes(), A_BYTES);
    assert_eq!((a.generation, a.chunks.len()), (2, 0), "one sealed save of the next generation");
    assert_eq!(store.load("b").expect("load").expect("b").bytes(), b"B ZZMARKER-b;");
    assert_eq!(store.meta_get("name").expect("meta").as_deref(), Some(&b"may-1"[..]));
    assert!(store.invite_get(&[7; 32]).expect("invite").is_some());
    // Writes go on, sealed.
    store.append_chunk("a", b"ZZMARKER-5;").expect("append");
    drop(store);
    assert_eq!(files_holding(tmp.path(), b"ZZMARKER"), Vec::<PathBuf>::new());
    assert!(!tmp.path().join("db.plain").exists() && !tmp.path().join("db.sealing").exists());
    let mut saves: Vec<_> = fs::read_dir(tmp.path().join(SAVES_DIR)).unwrap().map(|e| e.unwrap().file_name()).collect();
    saves.sort();
    assert_eq!(saves, ["a.2", "b.1"]);
    let store = open(tmp.path());
    assert_eq!(store.load("a").expect("load").expect("a").bytes(), [A_BYTES, b"ZZMARKER-5;"].concat());
}

#[test]
fn a_sealing_interrupted_between_its_renames_is_finished() {
    let tmp = tempfile::tempdir().expect("tempdir");
    plain_store(tmp.path());
    let plain_db = tempfile::tempdir().expect("tempdir");
    copy_dir(&tmp.path().join("db"), plain_db.path());
    drop(open(tmp.path()));
    // The state after `db` → `db.plain`, before `db.sealing` → `db`.
    fs::rename(tmp.path().join("db"), tmp.path().join("db.sealing")).unwrap();
    copy_dir(plain_db.path(), &tmp.path().join("db.plain"));
    let store = open(tmp.path());
    assert_eq!(store.load("a").expect("load").expect("a").bytes(), A_BYTES);
    drop(store);
    assert!(!tmp.path().join("db.plain").exists() && !tmp.path().join("db.sealing").exists());
    assert_eq!(files_holding(tmp.path(), b"ZZMARKER"), Vec::<PathBuf>::new());
}

#[test]
fn a_sealing_interrupted_before_its_renames_starts_again() {
    let tmp = tempfile::tempdir().expect("tempdir");
    plain_store(tmp.path());
    // The state before the first rename: a half-built `db.sealing` and a sealed save that no
    // area points at yet.
    fs::create_dir_all(tmp.path().join("db.sealing")).unwrap();
    fs::write(tmp.path().join("db.sealing/db"), b"half").unwrap();
    fs::write(tmp.path().join(SAVES_DIR).join("a.2"), b"kdcS\x01orphan").unwrap();
    let store = open(tmp.path());
    assert_eq!(store.load("a").expect("load").expect("a").bytes(), A_BYTES);
    assert_eq!(store.load("b").expect("load").expect("b").bytes(), b"B ZZMARKER-b;");
    drop(store);
    assert!(!tmp.path().join("db.sealing").exists());
    assert_eq!(files_holding(tmp.path(), b"ZZMARKER"), Vec::<PathBuf>::new());
}

#[test]
fn another_devices_key_or_a_missing_key_file_is_named() {
    let tmp = tempfile::tempdir().expect("tempdir");
    {
        let store = open(tmp.path());
        store.create_area("a", b"S").expect("create");
        store.append_chunk("a", b"+1").expect("append");
    }
    // The data directory copied without its keys: a new device key, the area key does not open.
    fs::remove_file(tmp.path().join("keys/device.key")).unwrap();
    let err = open(tmp.path()).load("a").unwrap_err().to_string();
    assert!(err.contains("keys/a.0") && err.contains("does not open with this device's key"), "{err}");
    fs::remove_file(tmp.path().join("keys/a.0")).unwrap();
    let err = open(tmp.path()).load("a").unwrap_err().to_string();
    assert!(err.contains("keys/a.0") && err.contains("missing"), "{err}");
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn replacing_the_epoch_destroys_the_old_chunks_save_and_key() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = open(tmp.path());
    store.create_area("a", b"S0").expect("create");
    store.append_chunk("a", b"+old1").expect("append");
    let last = store.append_chunk("a", b"+old2").expect("append");
    assert!(tmp.path().join("keys/a.0").exists());
    assert_eq!(store.replace_epoch("a", b"E1").expect("replace"), 1);
    let a = store.load("a").expect("load").expect("a");
    assert_eq!((a.epoch, a.bytes()), (1, b"E1".to_vec()));
    assert!(!tmp.path().join("keys/a.0").exists(), "the old epoch's key is destroyed");
    assert!(tmp.path().join("keys/a.1").exists());
    // Seqs go on above the old ones; an older or equal epoch is refused.
    let seq = store.append_chunk("a", b"+new").expect("append");
    assert!(seq > last);
    store.compact("a", b"E1+new", Some(seq)).expect("compact");
    drop(store);
    let store = open(tmp.path());
    let a = store.load("a").expect("load").expect("a");
    assert_eq!((a.epoch, a.bytes()), (1, b"E1+new".to_vec()));
    let saves: Vec<_> = fs::read_dir(tmp.path().join(SAVES_DIR)).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(saves.len(), 1, "{saves:?}");
}
