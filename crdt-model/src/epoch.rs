//! Erasure by epochs, the model's half (docs/ARCHITECTURE.md, "Erasure by epochs").
//!
//! Automerge keeps every value in its change log, so a household cannot be deleted from a
//! document, only left out of a new one. An area is a sequence of documents, its epochs, that
//! share `meta/uid`:
//! - [`Area::cut`] builds epoch *n+1* from the current values of epoch *n* without the erased
//!   households, as **one change by a fixed actor** (`epoch-{n+1}-{uid}`) at a fixed time with
//!   the keys in order: the same cut of the same values gives the same bytes on any device. It
//!   carries `meta/epoch`, `meta/cut` (for every earlier epoch, the last seq of each actor the
//!   cut included: a change is in the cut exactly when its seq is at most its actor's), a
//!   tombstone `x/{hh}` per erased household (house code only) and the area's figures per day
//!   before the cut (`d/{date}`, no household data), so the history chart survives.
//! - [`Area::adopt`] moves a device's document of epoch *n* onto epoch *n+1*: the writes the
//!   cut did not include (the device's own offline writes, and any other device's it carries)
//!   are replayed as new writes of the adopting device, except those of erased households.
//! - The door ([`crate::check`]) lets only the creating change of an epoch document write the
//!   epoch keys, and only with the epoch's actor; documents of different epochs never merge
//!   ([`Area::merge`] refuses, naming both epochs).
//!
//! IO-free like the rest of the crate: the caller passes the time and its actor.

use std::collections::{BTreeMap, BTreeSet};

use automerge::legacy::{Key as OpKey, ObjectId, Op, OpType, SortedVec};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Automerge, ChangeHash, PatchAction, ROOT, ReadDoc, ScalarValue};
use chrono::NaiveDate;

use crate::area::{Area, actor_text};
use crate::error::ModelError;
use crate::history::{self, DayStatus};
use crate::schema::{self, Key, Meta};

/// Days are Vietnam's (UTC+7, no daylight saving): the figures kept by a cut are per calendar
/// day where the programme runs, whatever the cutting device's time zone.
pub fn vietnam_day(secs: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp(secs + 7 * 3600, 0).map(|t| t.date_naive()).unwrap_or_default()
}

fn corrupt(e: automerge::AutomergeError) -> ModelError {
    ModelError::Corrupt(e.to_string())
}

/// Keys an epoch's cut owns: never copied from the epoch before, never replayed.
fn owned_by_cut(key: &Key<'_>) -> bool {
    matches!(key, Key::Meta(Meta::Epoch | Meta::Cut | Meta::CutAt) | Key::Erased { .. } | Key::Day { .. })
}

/// One active member's device and the epoch it holds: `kdc erasure status`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MemberEpoch {
    pub peer_id: String,
    pub name: String,
    pub role: String,
    /// The epoch this device last recorded holding.
    pub epoch: u64,
    /// It holds the current epoch: nothing erased before it is left on it.
    pub adopted: bool,
}

/// `kdc erasure status AREA --json`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ErasureStatus {
    pub area: String,
    pub epoch: u64,
    /// When the current epoch was cut (RFC 3339), if the area had an erasure.
    pub cut_at: Option<String>,
    /// House codes erased, in every epoch so far.
    pub erased: Vec<String>,
    pub members: Vec<MemberEpoch>,
    /// Active members whose device still holds an earlier epoch (data erased since).
    pub pending: usize,
    /// Removed members whose device last held an earlier epoch: it may still hold households
    /// erased since (a lost or stolen phone). Nothing of ours reaches it any more; the law's
    /// breach duties may apply.
    pub removed_behind: Vec<MemberEpoch>,
}

pub use crate::check::{CutClock, parse_cut};
pub use crate::ids::epoch_actor;

impl Area {
    /// Erases households (head only): the next epoch without them ([`Area::cut`]), with this
    /// device's adoption of it on the roster. The caller stores it in place of this one.
    pub fn erase(&self, erase: &[&str], by: &str, now_ms: i64) -> Result<Area, ModelError> {
        match self.member(by) {
            Some(m) if m.role == "head" && !m.removed => {}
            _ => return Err(ModelError::invalid("role", "only the area's head may erase a household")),
        }
        let mut next = self.cut(erase, now_ms)?;
        next.record_epoch(by, now_ms)?;
        Ok(next)
    }

    /// Writes on the roster that `by`'s device holds this epoch (nothing when it says so
    /// already, or when `by` is not on the roster).
    pub fn record_epoch(&mut self, by: &str, now_ms: i64) -> Result<(), ModelError> {
        let epoch = self.epoch();
        match self.member(by) {
            Some(m) if m.epoch != epoch => {}
            _ => return Ok(()),
        }
        let mut tx = self.doc.transaction();
        tx.put(ROOT, schema::member(by, crate::schema::MemberAttr::Epoch), ScalarValue::Uint(epoch))
            .map_err(corrupt)?;
        tx.commit_with(CommitOptions::default().with_time(now_ms.div_euclid(1000)).with_message("epoch adopted"));
        Ok(())
    }

    /// Which active members' devices hold the current epoch.
    pub fn erasure_status(&self) -> ErasureStatus {
        let epoch = self.epoch();
        let (active, removed): (Vec<_>, Vec<_>) = self.members().into_iter().partition(|m| !m.removed);
        let of = |m: crate::area::Member| MemberEpoch {
            adopted: m.epoch >= epoch,
            epoch: m.epoch,
            peer_id: m.peer_id,
            name: m.name,
            role: m.role,
        };
        let members: Vec<MemberEpoch> = active.into_iter().map(of).collect();
        let removed_behind: Vec<MemberEpoch> = removed.into_iter().map(of).filter(|m| !m.adopted).collect();
        let cut_at = match self.doc.get(ROOT, schema::meta(Meta::CutAt).as_str()).ok().flatten() {
            Some((automerge::Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Timestamp(ms) | ScalarValue::Int(ms) => Some(crate::area::rfc3339(*ms)),
                _ => None,
            },
            _ => None,
        };
        ErasureStatus {
            area: self.id(),
            epoch,
            cut_at,
            erased: self.erased().into_iter().collect(),
            pending: members.iter().filter(|m| !m.adopted).count(),
            members,
            removed_behind,
        }
    }

    /// Of two copies of this area, which epoch wins: the higher one; of two cuts of one epoch
    /// (erasures made apart), the one whose cut change has the smaller hash. `true` when
    /// `other` wins over `self`.
    pub fn loses_to(&self, other: &Area) -> bool {
        match other.epoch().cmp(&self.epoch()) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => match (other.cut_hash(), self.cut_hash()) {
                (Some(theirs), Some(mine)) => theirs < mine,
                _ => false,
            },
        }
    }

    /// The document's epoch: 0 until the area's first erasure.
    pub fn epoch(&self) -> u64 {
        match self.doc.get(ROOT, schema::meta(Meta::Epoch).as_str()).ok().flatten() {
            Some((automerge::Value::Scalar(s), _)) => s.as_u64().unwrap_or(0),
            _ => 0,
        }
    }

    /// What the cuts of the earlier epochs included (empty in epoch 0).
    pub fn cut_clock(&self) -> CutClock {
        match self.doc.get(ROOT, schema::meta(Meta::Cut).as_str()).ok().flatten() {
            Some((automerge::Value::Scalar(s), _)) => s.as_str().and_then(|t| parse_cut(t).ok()).unwrap_or_default(),
            _ => CutClock::new(),
        }
    }

    /// The hash of the change that cut this epoch (`None` in epoch 0): two documents of one
    /// area are the same epoch exactly when their epoch and this agree.
    pub fn cut_hash(&self) -> Option<ChangeHash> {
        if self.epoch() == 0 {
            return None;
        }
        // Change metadata only: rebuilding every change to read one hash cost 50 ms on 3,000
        // households, on every adoption, merge and store entry of an erased area.
        self.doc.get_changes_meta(&[]).into_iter().find(|c| c.deps.is_empty()).map(|c| c.hash)
    }

    /// House codes of the erased households.
    pub fn erased(&self) -> BTreeSet<String> {
        self.doc
            .keys(ROOT)
            .filter_map(|k| match Key::parse(&k) {
                Some(Key::Erased { hh }) => Some(hh.to_string()),
                _ => None,
            })
            .collect()
    }

    /// The figures per day kept by the cuts (days before the current epoch), oldest first.
    pub fn kept_days(&self) -> Vec<DayStatus> {
        self.doc
            .keys(ROOT)
            .filter(|k| k.starts_with("d/"))
            .filter_map(|k| match self.doc.get(ROOT, k.as_str()).ok().flatten() {
                Some((automerge::Value::Scalar(s), _)) => s.as_str().and_then(|t| serde_json::from_str(t).ok()),
                _ => None,
            })
            .collect()
    }

    /// Builds the next epoch from this document's current values without the households
    /// `erase` (see the module docs). `at_ms` is the cut's time; everything else is read from
    /// the document, so any device holding the same values builds the same bytes.
    pub fn cut(&self, erase: &[&str], at_ms: i64) -> Result<Area, ModelError> {
        let already = self.erased();
        let mut erase_set = BTreeSet::new();
        for hh in erase {
            if already.contains(*hh) {
                return Err(ModelError::invalid("household", format!("household {hh} is erased already")));
            }
            if self.household(hh).is_none() {
                return Err(ModelError::NotFound { what: "household", id: hh.to_string() });
            }
            erase_set.insert(hh.to_string());
        }
        let epoch = self.epoch() + 1;
        let uid = self.uid();

        // What this cut includes: every actor's last seq in this epoch.
        let mut clock = self.cut_clock();
        let mut included: BTreeMap<String, u64> = BTreeMap::new();
        for change in self.doc.get_changes_meta(&[]) {
            let seq = included.entry(actor_text(&change.actor)).or_default();
            *seq = (*seq).max(change.seq);
        }
        clock.insert(epoch - 1, included);
        let clock_text = serde_json::to_string(
            &clock.iter().map(|(e, c)| (e.to_string(), c)).collect::<BTreeMap<String, &BTreeMap<String, u64>>>(),
        )
        .map_err(|e| ModelError::Corrupt(e.to_string()))?;

        // The figures per day: those kept by earlier cuts, then this epoch's days before the cut.
        let cut_day = vietnam_day(at_ms.div_euclid(1000));
        let mut days: BTreeMap<String, DayStatus> = self.kept_days().into_iter().map(|d| (d.date.clone(), d)).collect();
        for day in history::daily(self, vietnam_day, None, cut_day.pred_opt())? {
            days.insert(day.date.clone(), day);
        }

        let mut puts: BTreeMap<String, ScalarValue> = BTreeMap::new();
        // One pass over the document's keys and winning values.
        for item in self.doc.map_range(ROOT, ..) {
            let Some(parsed) = Key::parse(&item.key) else { continue };
            if owned_by_cut(&parsed) && !matches!(parsed, Key::Erased { .. }) {
                continue;
            }
            if let Key::Household { hh, .. } = parsed
                && erase_set.contains(hh)
            {
                continue;
            }
            if let automerge::Value::Scalar(v) = automerge::Value::from(item.value) {
                puts.insert(item.key.into_owned(), v.into_owned());
            }
        }
        puts.insert(schema::meta(Meta::Epoch), ScalarValue::Uint(epoch));
        puts.insert(schema::meta(Meta::Cut), clock_text.into());
        puts.insert(schema::meta(Meta::CutAt), ScalarValue::Timestamp(at_ms));
        for hh in &erase_set {
            puts.insert(Key::Erased { hh }.to_string(), ScalarValue::Timestamp(at_ms));
        }
        for (date, day) in &days {
            let text = serde_json::to_string(day).map_err(|e| ModelError::Corrupt(e.to_string()))?;
            puts.insert(Key::Day { date }.to_string(), text.into());
        }

        // The one change, encoded whole: the bytes a transaction putting these keys in this
        // order makes (tests/erasure.rs compares them), without the transaction's cost per key.
        let actor = ActorId::from(epoch_actor(&uid, epoch).as_bytes());
        let operations = puts
            .into_iter()
            .map(|(k, v)| Op {
                action: OpType::Put(v),
                obj: ObjectId::Root,
                key: OpKey::Map(k.into()),
                pred: SortedVec::new(),
                insert: false,
            })
            .collect();
        let change = automerge::Change::from(automerge::ExpandedChange {
            operations,
            actor_id: actor.clone(),
            hash: None,
            seq: 1,
            start_op: std::num::NonZeroU64::MIN,
            time: at_ms.div_euclid(1000),
            message: Some(format!("epoch {epoch}")),
            deps: Vec::new(),
            extra_bytes: Vec::new(),
            author: None,
        });
        let mut doc = Automerge::new().with_actor(actor);
        doc.apply_changes([change]).map_err(corrupt)?;
        let own = self.doc.get_actor().clone();
        Area::from_doc(doc.with_actor(own))
    }

    /// This device's document (epoch *n*) moved onto `next` (epoch *n+1* of the same area):
    /// `next` plus, as one new change of `actor` at `now_ms`, every value this document holds
    /// that the cut did not include, except those of households erased in `next`. `None` when
    /// there was nothing to replay (then `next` as it is, with `actor`).
    pub fn adopt(&self, next: &Area, actor: &str, now_ms: i64) -> Result<Area, ModelError> {
        if next.uid() != self.uid() {
            return Err(ModelError::invalid("epoch", "the new epoch is of another area"));
        }
        if !self.loses_to(next) {
            return Err(ModelError::invalid(
                "epoch",
                format!("area {}: epoch {} does not follow epoch {}", self.id(), next.epoch(), self.epoch()),
            ));
        }
        let (base, erased) = if next.epoch() == self.epoch() {
            // Two cuts of one epoch: what this copy wrote after its own cut is replayed, and
            // nothing either cut erased comes back (the caller erases what only this one did).
            let mine: Vec<ChangeHash> = self.cut_hash().into_iter().collect();
            (mine, next.erased().union(&self.erased()).cloned().collect::<BTreeSet<_>>())
        } else {
            let clock = next.cut_clock();
            let Some(cut) = clock.get(&self.epoch()) else {
                return Err(ModelError::invalid(
                    "epoch",
                    format!("area {}: epoch {} keeps no cut of epoch {}", self.id(), next.epoch(), self.epoch()),
                ));
            };
            // The changes the cut included, and their heads: the state the cut was built
            // from, as far as this device holds it.
            let changes = self.doc.get_changes_meta(&[]);
            let inside: Vec<_> =
                changes.iter().filter(|c| c.seq <= cut.get(&actor_text(&c.actor)).copied().unwrap_or(0)).collect();
            let depended: BTreeSet<ChangeHash> = inside.iter().flat_map(|c| c.deps.iter().copied()).collect();
            (inside.iter().map(|c| c.hash).filter(|h| !depended.contains(h)).collect(), next.erased())
        };
        let mut out = next.clone();
        out.doc.set_actor(ActorId::from(actor.as_bytes()));
        let mut tx = out.doc.transaction();
        let mut replayed = 0usize;
        for patch in self.doc.diff(&base, &self.heads()) {
            if patch.obj != ROOT {
                continue;
            }
            let key = match &patch.action {
                PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } => key.clone(),
                _ => continue,
            };
            let Some(parsed) = Key::parse(&key) else { continue };
            if owned_by_cut(&parsed)
                || matches!(parsed, Key::Schema)
                || matches!(parsed, Key::Meta(m) if m.is_identity())
            {
                continue;
            }
            if let Key::Household { hh, .. } = parsed
                && erased.contains(hh)
            {
                continue;
            }
            let current = tx.get(ROOT, key.as_str()).map_err(corrupt)?.map(|(v, _)| v.into_owned());
            match patch.action {
                PatchAction::PutMap { value: (automerge::Value::Scalar(v), _), .. } => {
                    if current.as_ref().and_then(|c| c.as_scalar()) != Some(v.as_ref()) {
                        tx.put(ROOT, key, v.into_owned()).map_err(corrupt)?;
                        replayed += 1;
                    }
                }
                PatchAction::DeleteMap { .. } if current.is_some() => {
                    tx.delete(ROOT, key).map_err(corrupt)?;
                    replayed += 1;
                }
                _ => {}
            }
        }
        if replayed == 0 {
            tx.rollback();
        } else {
            tx.commit_with(
                CommitOptions::default()
                    .with_time(now_ms.div_euclid(1000))
                    .with_message(format!("writes replayed onto epoch {}", next.epoch())),
            );
        }
        Ok(out)
    }
}
