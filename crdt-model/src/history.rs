//! History, read from the Automerge document's own change log.
//!
//! Every write is one Automerge change carrying its author (the device's actor id = its peer id)
//! and its time (seconds). Nothing else is kept: the history is exactly what the document
//! already holds, so it travels with sync and with snapshot files, and a ward office sees the
//! same history as the area's devices.
//!
//! - [`Area::as_of`]: the area as it was at a moment — the document made of the changes with a
//!   time before that moment. A change whose causal predecessors are not all in that set (a
//!   device whose clock ran behind) waits until they are, so the result is always a state some
//!   device could have seen.
//! - [`daily`]: the compliance at the end of every day that had changes, each read in place at
//!   the heads the day ended on (from the changes' metadata; nothing is replayed or copied).
//! - [`household_history`]: every write to one household: when, which device, which field, the
//!   value before (what the writer saw) and after.
//!
//! Day boundaries are the caller's: a function from unix seconds to a calendar date, so the CLI
//! uses the user's time zone and tests use a fixed one; the crate itself reads no clock.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use automerge::legacy::{Key, ObjectId, OpType};
use automerge::{Automerge, Change, ChangeHash, ROOT, ReadDoc, ScalarValue};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::area::{Area, rfc3339};
use crate::error::ModelError;
use crate::schema::{self, Slot};

pub use crate::eval::DayStatus;

/// One write to one household field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// When the write was made (RFC 3339, UTC), by the writing device's clock.
    pub at: String,
    /// The writing device.
    pub peer_id: String,
    /// That device's name on the roster, when it is on it.
    pub name: Option<String>,
    /// The profile field, or `group`, `address`, `archived`.
    pub field: String,
    /// What the writer saw before: `None` when the field was not recorded; several values
    /// (joined with `" | "`) when it was in conflict.
    pub old: Option<String>,
    /// The value after the write. Writing a field that is in conflict settles it: `new` is
    /// then the one value left.
    pub new: String,
}

/// What one device did to the area's households in two windows (today, this week), from the
/// change log: distinct households it recorded first (an add, or a refusal at the door) and
/// distinct others it changed (answers, consent, archiving).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Activity {
    pub peer_id: String,
    pub name: Option<String>,
    pub added_today: u64,
    pub updated_today: u64,
    pub added_week: u64,
    pub updated_week: u64,
    /// Unix seconds of its latest household write, by its own clock.
    pub last_write: Option<i64>,
}

impl Area {
    /// Who recorded or updated how many households since `today` and since `week` (unix
    /// seconds, the caller's day and week boundaries), per device, most active this week first.
    /// Read from the change log (each write's message names its household and kind; a household
    /// counts as new in the change that first wrote it), so every device that holds the same
    /// changes shows the same figures.
    pub fn activity(&self, today: i64, week: i64) -> Vec<Activity> {
        use std::collections::BTreeSet;
        #[derive(Default)]
        struct Sets {
            added_today: BTreeSet<String>,
            updated_today: BTreeSet<String>,
            added_week: BTreeSet<String>,
            updated_week: BTreeSet<String>,
            last: Option<i64>,
        }
        let from = today.min(week);
        // Roster writes share the verbs ("add PEER"): only codes of households count.
        let mut codes: BTreeSet<String> = BTreeSet::new();
        for item in self.doc.map_range(ROOT, schema::households()) {
            if let Some(schema::Key::Household { hh, .. }) = schema::Key::parse(&item.key)
                && codes.last().is_none_or(|last| last != hh)
            {
                codes.insert(hh.to_string());
            }
        }
        let mut by: BTreeMap<String, Sets> = BTreeMap::new();
        // A household is "new" in the change that first wrote it (add, or a refusal at the door).
        let mut seen: BTreeSet<String> = BTreeSet::new();
        // Change metadata only (message, time, actor): no change is rebuilt.
        for c in self.doc.get_changes_meta(&[]) {
            let Some(msg) = c.message.as_deref() else { continue };
            let mut words = msg.split(' ');
            let (Some(kind), Some(hh)) = (words.next(), words.next()) else { continue };
            if !matches!(kind, "add" | "set" | "consent" | "archive") || !codes.contains(hh) {
                continue;
            }
            let added = seen.insert(hh.to_string());
            let at = c.timestamp;
            if at < from {
                continue;
            }
            let sets = by.entry(crate::area::actor_text(&c.actor)).or_default();
            sets.last = sets.last.max(Some(at));
            for (since, added_set, updated_set) in [
                (today, &mut sets.added_today, &mut sets.updated_today),
                (week, &mut sets.added_week, &mut sets.updated_week),
            ] {
                if at >= since {
                    if added {
                        added_set.insert(hh.to_string())
                    } else {
                        updated_set.insert(hh.to_string())
                    };
                }
            }
        }
        let names: BTreeMap<String, String> = self.members().into_iter().map(|m| (m.peer_id, m.name)).collect();
        let mut out: Vec<Activity> = by
            .into_iter()
            .map(|(peer, s)| {
                // A household added in the window is not also counted as updated in it.
                let updated_today = s.updated_today.difference(&s.added_today).count() as u64;
                let updated_week = s.updated_week.difference(&s.added_week).count() as u64;
                Activity {
                    name: names.get(&peer).cloned(),
                    peer_id: peer,
                    added_today: s.added_today.len() as u64,
                    updated_today,
                    added_week: s.added_week.len() as u64,
                    updated_week,
                    last_write: s.last,
                }
            })
            .collect();
        out.sort_by(|a, b| {
            (b.added_week + b.updated_week).cmp(&(a.added_week + a.updated_week)).then(a.peer_id.cmp(&b.peer_id))
        });
        out
    }

    /// The area as it was just before `cutoff_secs` (unix seconds): the changes made before that
    /// moment, each only once all of its predecessors are in. `None` when the area did not exist
    /// yet then.
    pub fn as_of(&self, cutoff_secs: i64) -> Result<Option<Area>, ModelError> {
        let changes: Vec<Change> =
            self.doc.get_changes(&[]).into_iter().filter(|c| c.timestamp() < cutoff_secs).collect();
        let mut doc = Automerge::new().with_actor(self.doc.get_actor().clone());
        doc.apply_changes(changes).map_err(|e| ModelError::Corrupt(e.to_string()))?;
        if doc.get_heads().is_empty() {
            return Ok(None);
        }
        Area::from_doc(doc).map(Some)
    }
}

/// The area's compliance at the end of each day that had changes, oldest first, for the days
/// from `since` to `until` (both inclusive, both optional). `day_of` maps a change's unix
/// seconds to its calendar day in the user's time zone.
pub fn daily(
    area: &Area,
    day_of: impl Fn(i64) -> NaiveDate,
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
) -> Result<Vec<DayStatus>, ModelError> {
    // The changes' metadata only (no operations): which day each belongs to, and its deps.
    let mut days: BTreeMap<NaiveDate, Vec<automerge::ChangeMetadata<'_>>> = BTreeMap::new();
    for change in area.doc.get_changes_meta(&[]) {
        days.entry(day_of(change.timestamp)).or_default().push(change);
    }
    // The state at the end of a day is named by its heads: the changes of that day and before
    // whose predecessors are all in, as a device that received them in that order would hold.
    let mut included: HashSet<ChangeHash> = HashSet::new();
    let mut heads: BTreeSet<ChangeHash> = BTreeSet::new();
    let mut waiting: Vec<automerge::ChangeMetadata<'_>> = Vec::new();
    let mut ends: Vec<(NaiveDate, u64, Vec<ChangeHash>)> = Vec::new();
    for (date, changes) in days {
        if until.is_some_and(|u| date > u) {
            break;
        }
        let count = changes.len() as u64;
        waiting.extend(changes);
        loop {
            let before = waiting.len();
            waiting.retain(|c| {
                if !c.deps.iter().all(|d| included.contains(d)) {
                    return true;
                }
                for d in &c.deps {
                    heads.remove(d);
                }
                heads.insert(c.hash);
                included.insert(c.hash);
                false
            });
            if waiting.len() == before {
                break;
            }
        }
        if since.is_some_and(|s| date < s) {
            continue;
        }
        // A day whose changes all wait for predecessors from a later day leaves nothing to read.
        if heads.is_empty() {
            continue;
        }
        ends.push((date, count, heads.iter().copied().collect()));
    }
    // Each day is read on its own, so the days are shared out among the cores.
    let evaluated = crate::par::map(&ends, |(_, _, at)| area.evaluation_at(at));
    let mut out = Vec::with_capacity(ends.len());
    for ((date, count, _), evaluation) in ends.into_iter().zip(evaluated) {
        out.push(DayStatus { date: date.format("%Y-%m-%d").to_string(), changes: count, evaluation: evaluation? });
    }
    // Days before the epoch's cut are kept as figures (erasure left their changes behind).
    let kept: Vec<DayStatus> = area
        .kept_days()
        .into_iter()
        .filter(|d| out.first().is_none_or(|first| d.date < first.date))
        .filter(|d| {
            let date = NaiveDate::parse_from_str(&d.date, "%Y-%m-%d").ok();
            since.is_none_or(|s| date.is_some_and(|d| d >= s)) && until.is_none_or(|u| date.is_some_and(|d| d <= u))
        })
        .collect();
    if !kept.is_empty() {
        out.splice(0..0, kept);
    }
    Ok(out)
}

/// Every write to household `hh`, in causal order (a write always comes after what it saw).
/// Bookkeeping keys (`@at`, `@by`) are left out; their content is `at` and `peer_id`.
pub fn household_history(area: &Area, hh: &str) -> Result<Vec<FieldChange>, ModelError> {
    let names: BTreeMap<String, String> = area.members().into_iter().map(|m| (m.peer_id, m.name)).collect();
    let mut out = Vec::new();
    let mut seen = false;
    for change in area.doc.get_changes(&[]) {
        let expanded = change.decode();
        let mut at_ms = change.timestamp().saturating_mul(1000);
        let mut keys = Vec::new();
        for op in &expanded.operations {
            let (ObjectId::Root, Key::Map(key)) = (&op.obj, &op.key) else { continue };
            let Some(schema::Key::Household { hh: of, slot }) = schema::Key::parse(key) else { continue };
            if of != hh {
                continue;
            }
            seen = true;
            match (slot, &op.action) {
                (Slot::At, OpType::Put(ScalarValue::Timestamp(t) | ScalarValue::Int(t))) => at_ms = *t,
                (Slot::At | Slot::By | Slot::ConsentAt | Slot::ConsentBy | Slot::ConsentNotice, _) => {}
                // A put, or a delete: Automerge settles a conflict in favour of a value that is
                // already there by deleting the others. Either way the field's value after
                // this change is what the change's own heads show.
                (_, OpType::Put(_) | OpType::Delete) => keys.push((key.to_string(), slot.name().to_string())),
                _ => {}
            }
        }
        if keys.is_empty() {
            continue;
        }
        let peer_id = crate::area::actor_text(change.actor_id());
        let after = [change.hash()];
        for (key, field) in keys {
            let old = values_at(area, &key, change.deps());
            let new = values_at(area, &key, &after);
            out.push(FieldChange {
                at: rfc3339(at_ms),
                peer_id: peer_id.clone(),
                name: names.get(&peer_id).cloned(),
                field,
                old: if old.is_empty() { None } else { Some(old.join(" | ")) },
                new: new.join(" | "),
            });
        }
    }
    if !seen {
        return Err(ModelError::NotFound { what: "household", id: hh.to_string() });
    }
    Ok(out)
}

/// The values of root key `key` as of `heads`: one, or several when in conflict there.
fn values_at(area: &Area, key: &str, heads: &[automerge::ChangeHash]) -> Vec<String> {
    let values = area.doc.get_all_at(ROOT, key, heads).unwrap_or_default();
    values
        .iter()
        .filter_map(|(v, _)| match v {
            automerge::Value::Scalar(s) => Some(display(s.as_ref())),
            automerge::Value::Object(_) => None,
        })
        .collect()
}

fn display(value: &ScalarValue) -> String {
    match value {
        ScalarValue::Str(s) => s.to_string(),
        ScalarValue::Boolean(b) => if *b { "yes" } else { "no" }.to_string(),
        other => other.to_string(),
    }
}
