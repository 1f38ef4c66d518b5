use super::*;
use std::fs;
use std::fs::File;
use std::io::Write;

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
