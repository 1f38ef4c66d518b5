//! Durable storage of area documents in sled.
//!
//! # Layout
//! All keys are typed and big-endian so that sled's byte order is numeric order.
//!
//! | tree | key | value |
//! |---|---|---|
//! | `areas` | area id | current base generation `g`, u64 BE |
//! | `saves` | area id, `0x00`, generation u64 BE | a full Automerge save ([`crdt_model::Area::save`]) |
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
//! An area's document is `saves[(id, areas[id])]` followed by every chunk of the area in seq
//! order. A write appends one chunk and flushes before it is acknowledged.
//!
//! # Compaction, and why it is crash-safe
//! When an area has many chunks, its full save is rewritten:
//! 1. write the new save under generation `g+1`, flush;
//! 2. switch `areas[id] = g+1`, flush;
//! 3. delete every other save of the area and the chunks with `seq <= last`, where `last` is
//!    the last chunk the new save includes, in one atomic batch; flush.
//!
//! A crash before step 2 leaves `areas[id] = g`: the old save plus all chunks, as before (the
//! orphan save `g+1` is overwritten or deleted by the next compaction). A crash after step 2
//! leaves save `g+1` plus chunks it already contains. Loading that is still correct because
//! Automerge identifies changes by hash and ignores a change it already has: a save followed
//! by chunks of changes it includes loads to the same document. Chunks appended after the
//! compaction have higher seq numbers (seq keeps counting from the highest stored one), so they
//! are never deleted by mistake.
//!
//! Every method blocks (sled IO, possibly fsync): async callers use `spawn_blocking`.

use std::path::Path;

use sled::{Batch, Db, IVec, Tree};

/// Chunks per area before [`crate::node`] compacts it.
pub const DEFAULT_COMPACT_THRESHOLD: usize = 256;
/// sled page cache. The documents are small; the daemon runs on phones and old laptops.
pub const CACHE_CAPACITY: u64 = 8 * 1024 * 1024;

const SEP: u8 = 0x00;

/// Storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sled(#[from] sled::Error),
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

/// A cheap, cloneable handle on the process's one sled database.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    areas: Tree,
    saves: Tree,
    chunks: Tree,
    meta: Tree,
    invites: Tree,
}

impl Store {
    /// Opens (or creates) the database directory.
    pub fn open(path: &Path) -> Result<Store> {
        let db = sled::Config::new().path(path).cache_capacity(CACHE_CAPACITY).open()?;
        Ok(Store {
            areas: db.open_tree("areas")?,
            saves: db.open_tree("saves")?,
            chunks: db.open_tree("chunks")?,
            meta: db.open_tree("meta")?,
            invites: db.open_tree("invites")?,
            db,
        })
    }

    /// Ids of every stored area, sorted.
    pub fn area_ids(&self) -> Result<Vec<String>> {
        self.areas
            .iter()
            .keys()
            .map(|k| {
                let k = k?;
                String::from_utf8(k.to_vec())
                    .map_err(|_| StoreError::Corrupt("an area id in the database is not UTF-8".into()))
            })
            .collect()
    }

    pub fn contains(&self, area: &str) -> Result<bool> {
        Ok(self.areas.contains_key(area.as_bytes())?)
    }

    /// Stores a new area from its full save (generation 0), durably. Refuses an id that exists.
    pub fn create_area(&self, area: &str, save: &[u8]) -> Result<()> {
        check_id(area)?;
        if self.contains(area)? {
            return Err(StoreError::Exists(area.to_string()));
        }
        // Leftovers of an earlier, never-committed attempt (the save is written before the
        // `areas` entry) must not be mistaken for this area's chunks.
        self.delete_prefix(&self.chunks, area)?;
        self.delete_prefix(&self.saves, area)?;
        self.saves.insert(save_key(area, 0), save)?;
        self.db.flush()?;
        // The `areas` entry is what makes the area exist; it is written only once its save is
        // on disk.
        self.areas.insert(area.as_bytes(), &0u64.to_be_bytes())?;
        self.db.flush()?;
        Ok(())
    }

    /// Appends an incremental chunk to an area and flushes: when this returns `Ok`, the chunk
    /// is on disk. Returns the chunk's seq.
    ///
    /// Callers serialise writes per area (the node holds the area's mutex).
    pub fn append_chunk(&self, area: &str, bytes: &[u8]) -> Result<u64> {
        check_id(area)?;
        if !self.contains(area)? {
            return Err(StoreError::Corrupt(format!("chunk for unknown area {area}")));
        }
        let seq = match self.chunks.scan_prefix(prefix(area)).keys().next_back() {
            Some(key) => parse_suffix(&key?, area)?
                .checked_add(1)
                .ok_or_else(|| StoreError::Corrupt(format!("chunk seq overflow in area {area}")))?,
            None => 0,
        };
        self.chunks.insert(chunk_key(area, seq), bytes)?;
        self.db.flush()?;
        Ok(seq)
    }

    /// Reads an area: its current save and the chunks after it. `None` if the area is unknown.
    pub fn load(&self, area: &str) -> Result<Option<StoredArea>> {
        check_id(area)?;
        let Some(generation) = self.areas.get(area.as_bytes())? else {
            return Ok(None);
        };
        let generation = parse_u64(&generation)
            .ok_or_else(|| StoreError::Corrupt(format!("generation of area {area} is not a u64")))?;
        let save = self
            .saves
            .get(save_key(area, generation))?
            .ok_or_else(|| StoreError::Corrupt(format!("area {area}: save generation {generation} is missing")))?;
        let mut chunks = Vec::new();
        for item in self.chunks.scan_prefix(prefix(area)) {
            let (key, value) = item?;
            chunks.push((parse_suffix(&key, area)?, value.to_vec()));
        }
        Ok(Some(StoredArea { generation, save: save.to_vec(), chunks }))
    }

    /// Number of chunks stored after an area's save.
    pub fn chunk_count(&self, area: &str) -> Result<usize> {
        check_id(area)?;
        Ok(self.chunks.scan_prefix(prefix(area)).count())
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
        let current = self
            .areas
            .get(area.as_bytes())?
            .and_then(|g| parse_u64(&g))
            .ok_or_else(|| StoreError::Corrupt(format!("compacting unknown area {area}")))?;
        let next =
            current.checked_add(1).ok_or_else(|| StoreError::Corrupt(format!("generation overflow in area {area}")))?;

        // 1. The new save, durable before anything refers to it.
        self.saves.insert(save_key(area, next), save)?;
        self.db.flush()?;
        if steps < 2 {
            return Ok(());
        }
        // 2. Switch: from here on loads start from the new save.
        self.areas.insert(area.as_bytes(), &next.to_be_bytes())?;
        self.db.flush()?;
        if steps < 3 {
            return Ok(());
        }
        // 3. Garbage: other saves of the area (including orphans of interrupted compactions)
        // and the included chunks. Each batch is applied atomically.
        let mut saves = Batch::default();
        for key in self.saves.scan_prefix(prefix(area)).keys() {
            let key = key?;
            if parse_suffix(&key, area)? != next {
                saves.remove(key);
            }
        }
        self.saves.apply_batch(saves)?;
        if let Some(included) = included {
            let mut chunks = Batch::default();
            for key in self.chunks.range(chunk_key(area, 0)..=chunk_key(area, included)).keys() {
                chunks.remove(key?);
            }
            self.chunks.apply_batch(chunks)?;
        }
        self.db.flush()?;
        Ok(())
    }

    /// A small setting from the `meta` tree.
    pub fn meta_get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.meta.get(key.as_bytes())?.map(|v| v.to_vec()))
    }

    /// Sets a small setting, durably.
    pub fn meta_set(&self, key: &str, value: &[u8]) -> Result<()> {
        self.meta.insert(key.as_bytes(), value)?;
        self.db.flush()?;
        Ok(())
    }

    /// Stores a new invite under the hash of its secret, durably.
    pub fn invite_put(&self, hash: &[u8; 32], invite: &StoredInvite) -> Result<()> {
        self.invites.insert(hash, invite.encode())?;
        self.db.flush()?;
        Ok(())
    }

    /// The invite stored under `hash`, if any.
    pub fn invite_get(&self, hash: &[u8; 32]) -> Result<Option<StoredInvite>> {
        match self.invites.get(hash)? {
            None => Ok(None),
            Some(v) => StoredInvite::decode(&v)
                .map(Some)
                .ok_or_else(|| StoreError::Corrupt("an invite in the database is malformed".into())),
        }
    }

    /// Marks `current` (as read by [`Store::invite_get`]) used, durably. `false` when the
    /// stored invite is no longer `current` (another redemption won the race, or it is gone):
    /// then nothing was changed.
    pub fn invite_mark_used(&self, hash: &[u8; 32], current: &StoredInvite) -> Result<bool> {
        let used = StoredInvite { used: true, ..current.clone() };
        let swapped = self.invites.compare_and_swap(hash, Some(current.encode()), Some(used.encode()))?;
        if swapped.is_err() {
            return Ok(false);
        }
        self.db.flush()?;
        Ok(true)
    }

    /// Deletes invites that expired before `before_ms`; answers how many.
    pub fn invites_purge(&self, before_ms: i64) -> Result<usize> {
        let mut batch = Batch::default();
        let mut n = 0;
        for item in self.invites.iter() {
            let (key, value) = item?;
            // A malformed entry can never be redeemed either: it goes too.
            if StoredInvite::decode(&value).is_none_or(|i| i.expires_at_ms < before_ms) {
                batch.remove(key);
                n += 1;
            }
        }
        if n > 0 {
            self.invites.apply_batch(batch)?;
            self.db.flush()?;
        }
        Ok(n)
    }

    /// Flushes everything written so far to disk.
    pub fn flush(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }

    fn delete_prefix(&self, tree: &Tree, area: &str) -> Result<()> {
        let mut batch = Batch::default();
        for key in tree.scan_prefix(prefix(area)).keys() {
            batch.remove(key?);
        }
        tree.apply_batch(batch)?;
        Ok(())
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

fn save_key(area: &str, generation: u64) -> Vec<u8> {
    let mut key = prefix(area);
    key.extend_from_slice(&generation.to_be_bytes());
    key
}

fn chunk_key(area: &str, seq: u64) -> Vec<u8> {
    save_key(area, seq)
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
        assert_eq!(store.saves.scan_prefix(prefix("a")).count(), 1, "old saves are gone");
        drop(store);
        let store = open(tmp.path());
        assert_eq!(store.load("a").expect("load").expect("present").bytes(), b"S0+1+2+3+4");
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
        assert_eq!(store.saves.scan_prefix(prefix("a")).count(), 1);
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

    #[test]
    fn rejects_bad_keys() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let store = open(tmp.path());
        assert!(matches!(store.create_area("a\0b", b""), Err(StoreError::BadKey(_))));
        assert!(matches!(store.append_chunk("", b""), Err(StoreError::BadKey(_))));
        assert!(store.append_chunk("missing", b"x").is_err(), "chunk for unknown area");
    }
}
