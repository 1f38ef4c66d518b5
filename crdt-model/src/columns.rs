//! A whole document's operations, read from its columns for the door ([`crate::check`]).
//!
//! Automerge 0.12 rebuilds every change from a document's operations while loading it (to hash
//! them against the document's heads) and keeps none of them; `get_changes` rebuilds them all a
//! second time and the door then decodes each. For a document that arrives whole (a first sync,
//! a snapshot file, an epoch's document), the door instead reads the operation columns of the
//! very bytes Automerge loaded, assigns each operation to its change as Automerge's rebuilding
//! does, and checks each change's operations with the same rules (for 3,000 households, 13–17
//! ms against 71 ms; docs/PERFORMANCE.md).
//!
//! How Automerge stores them (its binary format): a document's operations are sorted by object,
//! key and id; a put or object creation is stored with its successors (the ids of the
//! operations that overwrote or deleted it); a delete is not stored, only named as a
//! successor. An operation with id `counter@actor` belongs to that actor's change whose
//! `start_op..=max_op` holds `counter`.
//!
//! A report needs no more of a snapshot file's area than its figures: [`Changes::Stored`] takes
//! the changes from the document's own change columns (as Automerge's loading computes them)
//! and reads the root map's standing values from the operations too, so
//! [`crate::Area::status_of_bytes`] checks and evaluates a document without loading it into
//! Automerge (the door and the reading cost about a fifth of a load; docs/PERFORMANCE.md).
//!
//! Invariant: [`read`] passes a document only when what it read agrees with Automerge's view
//! of the same bytes: every change (from `get_changes_meta`, in its order) gets exactly one
//! operation for each op id from its `start_op` to its `max_op`. Anything else it cannot read
//! gives [`Read::Unread`], and the door reads Automerge's rebuilt changes instead. An operation
//! that no change holds is refused: Automerge keeps it in the document's state without any
//! change making it, so no check of changes would ever see it.

use std::borrow::Cow;
use std::collections::HashMap;

use automerge::{Automerge, ObjType};

use crate::check::{Action, DoorOp, Put};
use crate::chunks::{leb128, sleb128};
use crate::error::BadChange;

/// Column specs (id << 4 | type) of a document's operations, as Automerge writes them.
mod spec {
    pub const OBJ_ACTOR: u64 = 1;
    pub const OBJ_CTR: u64 = 2;
    pub const KEY_ACTOR: u64 = 1 << 4 | 1;
    pub const KEY_CTR: u64 = 1 << 4 | 3;
    pub const KEY_STR: u64 = 1 << 4 | 5;
    pub const ID_ACTOR: u64 = 2 << 4 | 1;
    pub const ID_CTR: u64 = 2 << 4 | 3;
    pub const INSERT: u64 = 3 << 4 | 4;
    pub const ACTION: u64 = 4 << 4 | 2;
    pub const VAL_META: u64 = 5 << 4 | 6;
    pub const VAL_RAW: u64 = 5 << 4 | 7;
    pub const SUCC_NUM: u64 = 8 << 4;
    pub const SUCC_ACTOR: u64 = 8 << 4 | 1;
    pub const SUCC_CTR: u64 = 8 << 4 | 3;
}

/// Column specs of a document's changes, as Automerge writes them.
mod change_spec {
    pub const ACTOR: u64 = 1;
    pub const SEQ: u64 = 3;
    pub const MAX_OP: u64 = 1 << 4 | 3;
    pub const DEPS_COUNT: u64 = 4 << 4;
    pub const DEPS_VAL: u64 = 4 << 4 | 3;
}

/// Columns with their specs in Automerge's order (ascending, each once), deflated ones
/// inflated within what [`crate::chunks::check`] let through before; `None` otherwise.
fn inflated(columns: crate::chunks::Columns<'_>, limit: u64) -> Option<Vec<(u64, Cow<'_, [u8]>)>> {
    let mut out = Vec::with_capacity(columns.len());
    let mut last = None;
    for (spec, data) in columns {
        let normal = spec & !crate::chunks::DEFLATED;
        if last.is_some_and(|l| l >= normal) {
            return None;
        }
        last = Some(normal);
        let data = if spec & crate::chunks::DEFLATED != 0 {
            Cow::Owned(crate::chunks::inflate_within(data, limit)?)
        } else {
            Cow::Borrowed(data)
        };
        out.push((normal, data));
    }
    Some(out)
}

/// One change as the door reads it: its device's actor id, whether it has no dependencies, and
/// its operations in op id order.
pub(crate) struct ColumnChange<'a, 'o> {
    pub actor: &'a automerge::ActorId,
    pub no_deps: bool,
    pub ops: &'o [DoorOp<'a>],
    /// The newest `meta/requires` of the whole document newer than this release.
    pub requires: &'o dyn Fn() -> Option<semver::Version>,
}

/// The most successors one object and key may have pending before the walk gives up on the
/// columns (see [`read`]).
const MAX_PENDING: usize = 256;

/// What [`read`] found.
pub(crate) enum Read {
    /// The operations were read; the door ran over them with this result.
    Checked(Result<(), BadChange>),
    /// The bytes are not one document chunk read the way Automerge reads it: ask Automerge.
    Unread,
}

/// Reads the operations of `bytes` (one document chunk, exactly what `doc` was loaded from) and
/// hands each change, in Automerge's order, to `check`. `area`: the area's id, for a refusal.
pub(crate) fn read(
    bytes: &[u8],
    doc: &Automerge,
    area: &str,
    check: impl FnMut(ColumnChange<'_, '_>) -> Result<(), BadChange>,
) -> Read {
    let Some(parsed) = Document::parse(bytes) else { return Read::Unread };
    match parsed.read(Changes::Loaded(doc), area) {
        Ok(whole) => Read::Checked(whole.check(check)),
        Err(read) => read,
    }
}

/// Where a document's changes — each one's device and op ids — are learnt from.
pub(crate) enum Changes<'d> {
    /// Automerge's view of the same bytes, loaded (`get_changes_meta`, in its order).
    Loaded(&'d Automerge),
    /// The document's own change columns, read as Automerge's loading reads them (a change's
    /// first op id is one past the largest `max_op` of its dependencies), in their stored
    /// order, which must put every change after its dependencies. The root map's current
    /// values are read too ([`Whole::state`]).
    Stored,
}

/// One change of a [`Whole`]: its device (an index into [`Whole::actors`]), its op ids, and
/// whether it has no dependencies.
struct ChangeMeta {
    actor: usize,
    start_op: u64,
    max_op: u64,
    no_deps: bool,
}

/// A whole document read from its columns: every change's operations and, for
/// [`Changes::Stored`], the root map as it stands.
pub(crate) struct Whole<'a> {
    actors: Vec<automerge::ActorId>,
    changes: Vec<ChangeMeta>,
    /// Each change's operations, one change after the other, in op id order.
    ops: Vec<DoorOp<'a>>,
    /// Each root map key that holds a value now, sorted by key: the value Automerge shows (of
    /// the operations not overwritten or deleted, the one with the greatest op id) and whether
    /// another is concurrent with it. Empty for [`Changes::Loaded`].
    pub state: Vec<(&'a str, Put<'a>, bool)>,
}

impl Whole<'_> {
    /// Hands each change, in order, to `check`; the first refusal.
    pub(crate) fn check(
        &self,
        mut check: impl FnMut(ColumnChange<'_, '_>) -> Result<(), BadChange>,
    ) -> Result<(), BadChange> {
        let requires = || crate::check::newer_requires(self.ops.iter().map(crate::check::requires_value));
        let mut first = 0;
        for meta in &self.changes {
            let len = (meta.max_op - meta.start_op + 1) as usize;
            check(ColumnChange {
                actor: &self.actors[meta.actor],
                no_deps: meta.no_deps,
                ops: &self.ops[first..first + len],
                requires: &requires,
            })?;
            first += len;
        }
        Ok(())
    }

    /// The current value of root map key `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&Put<'_>> {
        let i = self.state.binary_search_by(|(k, _, _)| (*k).cmp(key)).ok()?;
        Some(&self.state[i].1)
    }
}

/// The current value of one object and key while its operations are walked: how many are
/// visible, and the greatest (counter, actor bytes, value) of them.
struct Visible<'a> {
    count: usize,
    best: Option<(u64, &'a [u8], Put<'a>)>,
}

impl<'a> Document<'a> {
    /// Every change's operations in their slots. `Err`: a verdict (operations in no change)
    /// or [`Read::Unread`].
    pub(crate) fn read(&self, source: Changes<'_>, area: &str) -> Result<Whole<'_>, Read> {
        let actors: Vec<automerge::ActorId> = self.actors.iter().map(|a| automerge::ActorId::from(*a)).collect();
        let changes = match source {
            Changes::Loaded(doc) => {
                let index: HashMap<&[u8], usize> = self.actors.iter().enumerate().map(|(i, a)| (*a, i)).collect();
                let mut out = Vec::new();
                for meta in doc.get_changes_meta(&[]) {
                    let Some(&actor) = index.get(meta.actor.to_bytes()) else { return Err(Read::Unread) };
                    let no_deps = meta.deps.is_empty();
                    out.push(ChangeMeta { actor, start_op: meta.start_op, max_op: meta.max_op, no_deps });
                }
                out
            }
            Changes::Stored => self.stored_changes().ok_or(Read::Unread)?,
        };
        let state_wanted = matches!(source, Changes::Stored);
        // Each change's op ids, by actor: (start, max, first slot), sorted by start.
        let mut ranges: Vec<Vec<(u64, u64, usize)>> = vec![Vec::new(); self.actors.len()];
        let mut total = 0usize;
        for meta in &changes {
            if meta.start_op == 0 || meta.max_op < meta.start_op {
                return Err(Read::Unread);
            }
            let Ok(len) = usize::try_from(meta.max_op - meta.start_op + 1) else { return Err(Read::Unread) };
            ranges[meta.actor].push((meta.start_op, meta.max_op, total));
            total = total.checked_add(len).ok_or(Read::Unread)?;
        }
        for r in &mut ranges {
            r.sort_unstable();
        }
        // More operations than the changes made: some are in no change. Counted from the runs
        // before anything is expanded; a few are read to name them, many are refused as they are.
        let Some(stored) = crate::chunks::entries(spec::ID_CTR & 0b111, self.column(spec::ID_CTR)) else {
            return Err(Read::Unread);
        };
        let stored = usize::try_from(stored).unwrap_or(usize::MAX);
        if stored > total.saturating_mul(2).saturating_add(16) {
            return Err(Read::Checked(Err(BadChange {
                area: area.to_string(),
                actor: "-".into(),
                key: String::new(),
                value: "-".into(),
                reason: format!(
                    "the document's state holds {stored} operations but its changes made only {total}: some are in none of its changes"
                ),
            })));
        }
        let Some(mut columns) = self.columns(total.max(stored)) else { return Err(Read::Unread) };
        let mut slots = Slots { ranges, slots: vec![None; total], actors: &self.actors, area };
        let mut state = Vec::new();
        // Successors not (yet) seen as operations of the current object and key: deletes, unless
        // an operation with that id follows under the same key.
        let mut pending: Vec<(u64, u64)> = Vec::new();
        let mut group: Option<GroupKey<'_>> = None;
        let mut group_op = DoorOp { root: true, insert: false, key: None, action: Action::Delete };
        let mut visible = Visible { count: 0, best: None };
        let mut succ = 0usize;
        for i in 0..columns.len {
            let key_str = columns.key_str.get(i);
            let this = (
                columns.obj_actor.get(i),
                columns.obj_ctr.get(i),
                columns.key_actor.get(i),
                columns.key_ctr.get(i),
                key_str,
            );
            let (Some(actor), Some(ctr)) = (columns.id_actor.get(i), columns.id_ctr.get(i)) else {
                return Err(Read::Unread);
            };
            let Ok(ctr) = u64::try_from(ctr) else { return Err(Read::Unread) };
            let Some(action) = columns.action(i) else { return Err(Read::Unread) };
            let op = DoorOp {
                root: this.0.is_none() && this.1.is_none(),
                insert: columns.insert.get(i),
                key: key_str,
                action,
            };
            if group != Some(this) {
                slots.deletes(&mut pending, group_op)?;
                if let (Some((_, _, value)), Some(key)) = (visible.best.take(), group_op.key.filter(|_| group_op.root))
                {
                    state.push((key, value, visible.count > 1));
                }
                visible.count = 0;
                group = Some(this);
                group_op = op;
            }
            pending.retain(|&p| p != (actor, ctr));
            slots.place(actor, ctr, op)?;
            let successors = columns.succ_num.get(i).unwrap_or(0);
            if state_wanted
                && successors == 0
                && op.root
                && !op.insert
                && let Action::Put(value) = action
            {
                let bytes = self.actors.get(actor as usize).copied().ok_or(Read::Unread)?;
                visible.count += 1;
                if visible.best.is_none_or(|(c, a, _)| (ctr, bytes) > (c, a)) {
                    visible.best = Some((ctr, bytes, value));
                }
            }
            for _ in 0..successors {
                let (Some(a), Some(c)) = (columns.succ_actor.get(succ), columns.succ_ctr.get(succ)) else {
                    return Err(Read::Unread);
                };
                let Ok(c) = u64::try_from(c) else { return Err(Read::Unread) };
                if !pending.contains(&(a, c)) {
                    // Honest documents keep a few here (each overwrite is the next operation of
                    // its key); a long list would make this walk quadratic: ask Automerge instead.
                    if pending.len() >= MAX_PENDING {
                        return Err(Read::Unread);
                    }
                    pending.push((a, c));
                }
                succ += 1;
            }
        }
        slots.deletes(&mut pending, group_op)?;
        if let (Some((_, _, value)), Some(key)) = (visible.best.take(), group_op.key.filter(|_| group_op.root)) {
            state.push((key, value, visible.count > 1));
        }
        if succ != columns.succ_actor.len || !columns.raw.is_empty() {
            return Err(Read::Unread);
        }
        let ops = slots.slots.into_iter().collect::<Option<Vec<DoorOp<'_>>>>().ok_or(Read::Unread)?;
        // Automerge keeps a map's keys in order; one key in two places is not a document it wrote.
        state.sort_unstable_by(|a, b| a.0.cmp(b.0));
        if state.windows(2).any(|w| w[0].0 == w[1].0) {
            return Err(Read::Unread);
        }
        Ok(Whole { actors, changes, ops, state })
    }

    /// The changes as the document's change columns give them ([`Changes::Stored`]); `None`
    /// when the columns do not decode, disagree in length, name an actor the document does
    /// not list, or put a change before one of its dependencies.
    fn stored_changes(&self) -> Option<Vec<ChangeMeta>> {
        let limit = usize::try_from(crate::chunks::column_limit(self.len)).unwrap_or(usize::MAX);
        let actor = Rle::decode(self.change_column(change_spec::ACTOR), limit, |d: &mut &[u8]| leb128(d))?;
        let seq = delta(self.change_column(change_spec::SEQ), limit)?;
        let max_op = delta(self.change_column(change_spec::MAX_OP), limit)?;
        let deps_count = Rle::decode(self.change_column(change_spec::DEPS_COUNT), limit, |d: &mut &[u8]| leb128(d))?;
        let deps = delta(self.change_column(change_spec::DEPS_VAL), limit)?;
        let len = actor.len();
        if seq.len() != len || max_op.len() != len || deps_count.len() != len {
            return None;
        }
        let mut max_ops = Vec::with_capacity(len);
        let mut out = Vec::with_capacity(len);
        let mut next_dep = 0;
        for i in 0..len {
            let actor = usize::try_from(actor.get(i)?).ok().filter(|&a| a < self.actors.len())?;
            let max = u64::try_from(max_op.get(i)?).ok()?;
            let n = usize::try_from(deps_count.get(i)?).ok()?;
            let mut after = 0;
            for _ in 0..n {
                let dep = usize::try_from(deps.get(next_dep)?).ok().filter(|&d| d < i)?;
                after = after.max(max_ops[dep]);
                next_dep += 1;
            }
            max_ops.push(max);
            out.push(ChangeMeta { actor, start_op: after.checked_add(1)?, max_op: max, no_deps: n == 0 });
        }
        (next_dep == deps.len()).then_some(out)
    }
}

/// An operation's object (actor, counter) and key (actor, counter, string): deletes are
/// named by the operations of one object and key, which are stored together.
type GroupKey<'a> = (Option<u64>, Option<u64>, Option<u64>, Option<i64>, Option<&'a str>);

/// Where each change's operations go: one slot per op id, changes one after the other.
struct Slots<'c, 'd> {
    /// Per actor index: (start op, max op, first slot) of each of its changes, by start op.
    ranges: Vec<Vec<(u64, u64, usize)>>,
    slots: Vec<Option<DoorOp<'c>>>,
    actors: &'d [&'d [u8]],
    area: &'d str,
}

impl<'c> Slots<'c, '_> {
    /// Puts `op` (id `ctr@actor`) in its change's slot. `Err`: the verdict or `Unread`.
    fn place(&mut self, actor: u64, ctr: u64, op: DoorOp<'c>) -> Result<(), Read> {
        let slot = usize::try_from(actor).ok().and_then(|a| self.ranges.get(a)).and_then(|r| {
            let i = r.partition_point(|&(start, _, _)| start <= ctr).checked_sub(1)?;
            let (start, max, first) = r[i];
            (ctr <= max).then(|| first + (ctr - start) as usize)
        });
        let Some(slot) = slot else {
            let who = self.actors.get(actor as usize).map(|a| crate::ids::actor_text(&automerge::ActorId::from(*a)));
            return Err(Read::Checked(Err(BadChange {
                area: self.area.to_string(),
                actor: who.unwrap_or_else(|| format!("actor {actor}")),
                key: op.key.unwrap_or_default().to_string(),
                value: match &op.action {
                    Action::Put(v) => crate::check::show(v),
                    _ => "-".into(),
                },
                reason: format!("operation {ctr} by this device is in the document's state but in none of its changes"),
            })));
        };
        match self.slots[slot] {
            Some(_) => Err(Read::Unread),
            None => {
                self.slots[slot] = Some(op);
                Ok(())
            }
        }
    }

    /// The successors still pending when an object and key's operations end: deletes of that
    /// key (`like`: an operation on it).
    fn deletes(&mut self, pending: &mut Vec<(u64, u64)>, like: DoorOp<'c>) -> Result<(), Read> {
        for (actor, ctr) in pending.drain(..) {
            self.place(actor, ctr, DoorOp { action: Action::Delete, insert: false, ..like })?;
        }
        Ok(())
    }
}

/// A document chunk's actors and its change and operation columns (inflated where deflated).
pub(crate) struct Document<'a> {
    actors: Vec<&'a [u8]>,
    changes: Vec<(u64, Cow<'a, [u8]>)>,
    ops: Vec<(u64, Cow<'a, [u8]>)>,
    /// The length of the bytes it was read from (the guard's budgets follow it).
    len: usize,
}

impl<'a> Document<'a> {
    /// `None` unless `bytes` is exactly one document chunk whose column specs are in
    /// Automerge's order (ascending, each once).
    pub(crate) fn parse(bytes: &'a [u8]) -> Option<Document<'a>> {
        let (kind, body, rest) = crate::chunks::chunk(bytes)?;
        if kind != 0 || !rest.is_empty() {
            return None;
        }
        let crate::chunks::DocumentBody { actors, changes, ops } = crate::chunks::document(body)?;
        let limit = crate::chunks::inflated_limit(bytes.len());
        Some(Document { actors, changes: inflated(changes, limit)?, ops: inflated(ops, limit)?, len: bytes.len() })
    }

    fn change_column(&self, spec: u64) -> &[u8] {
        self.changes.iter().find(|(s, _)| *s == spec).map(|(_, d)| &d[..]).unwrap_or_default()
    }

    fn column(&self, spec: u64) -> &[u8] {
        self.ops.iter().find(|(s, _)| *s == spec).map(|(_, d)| &d[..]).unwrap_or_default()
    }

    /// The columns, each at most `limit` entries long (the operations the changes hold;
    /// successors four times that), read front to back as the walk goes; `None` when one does
    /// not decode, is longer, or their lengths disagree.
    fn columns(&self, limit: usize) -> Option<Columns<'_>> {
        let succ_limit = limit.saturating_mul(4).saturating_add(16);
        let uint = |spec| Runs::new(self.column(spec), limit, |d: &mut &[u8]| leb128(d));
        let delta = |spec, limit| Runs::new(self.column(spec), limit, |d: &mut &[u8]| sleb128(d));
        let c = Columns {
            len: 0,
            obj_actor: uint(spec::OBJ_ACTOR)?,
            obj_ctr: uint(spec::OBJ_CTR)?,
            key_actor: uint(spec::KEY_ACTOR)?,
            key_ctr: delta(spec::KEY_CTR, limit)?,
            key_str: Runs::new(self.column(spec::KEY_STR), limit, |d: &mut &'_ [u8]| {
                let len = usize::try_from(leb128(d)?).ok()?;
                let s = std::str::from_utf8(d.get(..len)?).ok()?;
                *d = &d[len..];
                Some(s)
            })?,
            id_actor: uint(spec::ID_ACTOR)?,
            id_ctr: delta(spec::ID_CTR, limit)?,
            insert: Bools::new(self.column(spec::INSERT), limit)?,
            action: uint(spec::ACTION)?,
            val_meta: uint(spec::VAL_META)?,
            raw: self.column(spec::VAL_RAW),
            succ_num: uint(spec::SUCC_NUM)?,
            // A delete or an overwrite names each operation it replaces: a few per operation.
            succ_actor: Runs::new(self.column(spec::SUCC_ACTOR), succ_limit, |d: &mut &[u8]| leb128(d))?,
            succ_ctr: delta(spec::SUCC_CTR, succ_limit)?,
        };
        let c = Columns { len: c.id_ctr.len, ..c };
        // Every operation has an id; a column may stop early where only nulls (or falses) follow.
        let per_op = [
            c.obj_actor.len,
            c.obj_ctr.len,
            c.key_actor.len,
            c.key_ctr.len,
            c.key_str.len,
            c.id_actor.len,
            c.insert.len,
            c.action.len,
            c.val_meta.len,
            c.succ_num.len,
        ];
        if per_op.iter().any(|&n| n > c.len) || c.id_actor.len != c.len || c.action.len != c.len {
            return None;
        }
        if c.succ_actor.len != c.succ_ctr.len {
            return None;
        }
        Some(c)
    }
}

/// A document's operation columns, read front to back: each operation's entries once, in
/// order (the walk), without expanding the runs into memory.
struct Columns<'a> {
    len: usize,
    obj_actor: Runs<'a, u64>,
    obj_ctr: Runs<'a, u64>,
    key_actor: Runs<'a, u64>,
    key_ctr: Runs<'a, i64>,
    key_str: Runs<'a, &'a str>,
    id_actor: Runs<'a, u64>,
    id_ctr: Runs<'a, i64>,
    insert: Bools<'a>,
    action: Runs<'a, u64>,
    val_meta: Runs<'a, u64>,
    /// The values not read yet (each operation's takes the length its metadata gives).
    raw: &'a [u8],
    succ_num: Runs<'a, u64>,
    succ_actor: Runs<'a, u64>,
    succ_ctr: Runs<'a, i64>,
}

impl<'a> Columns<'a> {
    /// Operation `i`'s action, as Automerge's action codes give it, with its value; `None` for
    /// a code Automerge does not know (it refuses those itself) or a value that does not read.
    /// Called once for each operation, in order.
    fn action(&mut self, i: usize) -> Option<Action<'a>> {
        let meta = self.val_meta.get(i).unwrap_or(0);
        let len = usize::try_from(meta >> 4).ok()?;
        let bytes = self.raw.get(..len)?;
        self.raw = &self.raw[len..];
        let value = value(meta & 0xf, bytes)?;
        Some(match self.action.get(i).unwrap_or(0) {
            0 => Action::Make(ObjType::Map),
            1 => Action::Put(value),
            2 => Action::Make(ObjType::List),
            3 => Action::Delete,
            4 => Action::Make(ObjType::Text),
            5 => Action::Increment,
            6 => Action::Make(ObjType::Table),
            7 => Action::Mark,
            _ => return None,
        })
    }
}

/// An entry of a run-length column: delta columns (signed) hold differences, each value the
/// sum of those before it.
trait Entry: Copy {
    fn sum(self, total: &mut i64) -> Option<Self>;
}

impl Entry for u64 {
    fn sum(self, _: &mut i64) -> Option<u64> {
        Some(self)
    }
}

impl Entry for &str {
    fn sum(self, _: &mut i64) -> Option<Self> {
        Some(self)
    }
}

impl Entry for i64 {
    fn sum(self, total: &mut i64) -> Option<i64> {
        *total = total.checked_add(self)?;
        Some(*total)
    }
}

/// A run-length column read front to back: runs of a signed count, then one value repeated
/// that many times (> 0), that many literal values (< 0), or a count of nulls (0). Counted and
/// checked whole when made, so reading it on cannot fail.
struct Runs<'d, T> {
    rest: &'d [u8],
    value: fn(&mut &'d [u8]) -> Option<T>,
    /// Entries in the column.
    len: usize,
    /// The index of the next entry, and the entry before it.
    next: usize,
    last: Option<T>,
    /// Entries left in the current run; its value when it repeats one (or nulls), `None` when
    /// its values are literal.
    left: usize,
    repeat: Option<Option<T>>,
    total: i64,
}

impl<'d, T: Entry> Runs<'d, T> {
    fn new(data: &'d [u8], limit: usize, value: fn(&mut &'d [u8]) -> Option<T>) -> Option<Runs<'d, T>> {
        let mut runs =
            Runs { rest: data, value, len: usize::MAX, next: 0, last: None, left: 0, repeat: None, total: 0 };
        let mut n = 0usize;
        while runs.step()? {
            n += 1;
            if n > limit {
                return None;
            }
        }
        Some(Runs { rest: data, len: n, next: 0, last: None, left: 0, repeat: None, total: 0, ..runs })
    }

    /// Reads the next entry into `last`; `Some(false)` at the end, `None` when it does not read.
    fn step(&mut self) -> Option<bool> {
        while self.left == 0 {
            if self.rest.is_empty() {
                return Some(false);
            }
            let count = sleb128(&mut self.rest)?;
            let n = if count == 0 { leb128(&mut self.rest)? } else { count.unsigned_abs() };
            self.left = usize::try_from(n).ok()?;
            self.repeat = match count {
                0 => Some(None),
                c if c > 0 => Some(Some((self.value)(&mut self.rest)?)),
                _ => None,
            };
        }
        self.left -= 1;
        self.last = match self.repeat {
            Some(Some(v)) => Some(v.sum(&mut self.total)?),
            Some(None) => None,
            None => Some((self.value)(&mut self.rest)?.sum(&mut self.total)?),
        };
        self.next += 1;
        Some(true)
    }

    /// Entry `i` (`None`: null, or past the column's end). `i` never goes back more than one.
    fn get(&mut self, i: usize) -> Option<T> {
        if i >= self.len {
            return None;
        }
        while self.next <= i {
            if !self.step()? {
                return None;
            }
        }
        debug_assert_eq!(self.next, i + 1, "read front to back");
        self.last
    }
}

/// A boolean column read front to back: run lengths, alternately of false and true, starting
/// with false.
struct Bools<'d> {
    rest: &'d [u8],
    len: usize,
    next: usize,
    left: u64,
    value: bool,
}

impl<'d> Bools<'d> {
    fn new(data: &'d [u8], limit: usize) -> Option<Bools<'d>> {
        let mut rest = data;
        let mut n = 0usize;
        while !rest.is_empty() {
            n = n.checked_add(usize::try_from(leb128(&mut rest)?).ok()?)?;
            if n > limit {
                return None;
            }
        }
        // The first run is of falses; `value` flips as each run starts.
        Some(Bools { rest: data, len: n, next: 0, left: 0, value: true })
    }

    /// Entry `i`; false past the end. Read front to back, each once.
    fn get(&mut self, i: usize) -> bool {
        if i >= self.len {
            return false;
        }
        while self.next <= i {
            while self.left == 0 {
                let Some(n) = leb128(&mut self.rest) else { return false };
                self.left = n;
                self.value = !self.value;
            }
            self.left -= 1;
            self.next += 1;
        }
        self.value
    }
}

/// A decoded run-length column: one value (or null) per entry.
struct Rle<T>(Vec<Option<T>>);

impl<T: Copy> Rle<T> {
    /// Runs of a signed count, then one value repeated that many times (> 0), that many
    /// literal values (< 0), or a count of nulls (0). At most `limit` entries.
    fn decode<'d>(
        mut data: &'d [u8],
        limit: usize,
        mut value: impl FnMut(&mut &'d [u8]) -> Option<T>,
    ) -> Option<Rle<T>> {
        let mut out = Vec::new();
        while !data.is_empty() {
            let count = sleb128(&mut data)?;
            let n = usize::try_from(if count == 0 { leb128(&mut data)? } else { count.unsigned_abs() }).ok()?;
            if out.len().checked_add(n)? > limit {
                return None;
            }
            if count > 0 {
                let v = value(&mut data)?;
                out.extend(std::iter::repeat_n(Some(v), n));
            } else if count < 0 {
                for _ in 0..n {
                    out.push(Some(value(&mut data)?));
                }
            } else {
                out.extend(std::iter::repeat_n(None, n));
            }
        }
        Some(Rle(out))
    }

    fn get(&self, i: usize) -> Option<T> {
        self.0.get(i).copied().flatten()
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

/// A delta column: run-length signed differences, each value the sum of those before it.
fn delta(data: &[u8], limit: usize) -> Option<Rle<i64>> {
    let Rle(diffs) = Rle::decode(data, limit, sleb128)?;
    let mut sum = 0i64;
    let mut out = Vec::with_capacity(diffs.len());
    for d in diffs {
        out.push(match d {
            Some(d) => {
                sum = sum.checked_add(d)?;
                Some(sum)
            }
            None => None,
        });
    }
    Some(Rle(out))
}

/// A value from its type code (the low four bits of its metadata) and its bytes.
fn value(kind: u64, mut bytes: &[u8]) -> Option<Put<'_>> {
    let whole = |v: Option<i64>, rest: &[u8]| v.filter(|_| rest.is_empty());
    Some(match kind {
        0 => Put::Null,
        1 => Put::Boolean(false),
        2 => Put::Boolean(true),
        3 => {
            let v = leb128(&mut bytes)?;
            bytes.is_empty().then_some(Put::Uint(v))?
        }
        4 => Put::Int(whole(sleb128(&mut bytes), bytes)?),
        5 => Put::F64(f64::from_le_bytes(bytes.try_into().ok()?)),
        6 => Put::Str(std::str::from_utf8(bytes).ok()?),
        7 => Put::Bytes(bytes.len()),
        8 => Put::Counter(whole(sleb128(&mut bytes), bytes)?),
        9 => Put::Timestamp(whole(sleb128(&mut bytes), bytes)?),
        other => Put::Unknown(other as u8),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::area::{HouseholdWrite, NewArea};
    use crate::{Area, ConsentGiven};
    use automerge::transaction::Transactable;
    use automerge::{ActorId, ROOT, ReadDoc, ScalarValue};
    use proptest::prelude::*;

    /// Each change's operations as the columns give them, or why they were not read.
    fn from_columns(bytes: &[u8], doc: &Automerge) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        let read = read(bytes, doc, "a1", |c| {
            out.push(format!("{} {} {:?}", crate::ids::actor_text(c.actor), c.no_deps, c.ops));
            Ok(())
        });
        match read {
            Read::Checked(Ok(())) => Ok(out),
            Read::Checked(Err(e)) => Err(e.to_string()),
            Read::Unread => Err("unread".into()),
        }
    }

    /// Each change's operations as Automerge rebuilds them.
    fn from_changes(doc: &Automerge) -> Vec<String> {
        doc.get_changes(&[])
            .iter()
            .map(|c| {
                let ops = c.decode().operations;
                let ops: Vec<DoorOp<'_>> = ops.iter().map(DoorOp::from).collect();
                format!("{} {} {:?}", crate::ids::actor_text(c.actor_id()), c.deps().is_empty(), ops)
            })
            .collect()
    }

    fn same_ops(bytes: &[u8]) {
        let doc = Automerge::load(bytes).unwrap();
        assert_eq!(from_columns(bytes, &doc).unwrap(), from_changes(&doc));
    }

    /// Each change's operations and the root map's standing values, read with the changes
    /// the document's own columns give ([`Changes::Stored`]).
    fn from_stored(bytes: &[u8]) -> (Vec<String>, Vec<String>) {
        let parsed = Document::parse(bytes).expect("one document chunk");
        let Ok(whole) = parsed.read(Changes::Stored, "a1") else { panic!("not read from its change columns") };
        let mut changes = Vec::new();
        whole
            .check(|c| {
                changes.push(format!("{} {} {:?}", crate::ids::actor_text(c.actor), c.no_deps, c.ops));
                Ok(())
            })
            .unwrap();
        let state = whole.state.iter().map(|(k, v, conflict)| format!("{k} {v:?} {conflict}")).collect();
        (changes, state)
    }

    /// The root map's standing scalar values as Automerge shows them, and the keys where an
    /// object or a counter stands (left out: the door refuses both).
    fn standing(doc: &Automerge) -> (Vec<String>, Vec<String>) {
        let (mut plain, mut other) = (Vec::new(), Vec::new());
        for item in doc.map_range(ROOT, ..) {
            let all = doc.get_all(ROOT, &*item.key).unwrap();
            match doc.get(ROOT, &*item.key).unwrap() {
                Some((automerge::Value::Scalar(s), _))
                    if all.iter().all(|(v, _)| matches!(v, automerge::Value::Scalar(s) if !s.is_counter())) =>
                {
                    plain.push(format!("{} {:?} {}", item.key, Put::from(s.as_ref()), item.conflict))
                }
                _ => other.push(item.key.to_string()),
            }
        }
        (plain, other)
    }

    /// [`from_stored`] agrees with Automerge on the changes and on the standing values.
    fn same_when_stored(bytes: &[u8]) {
        let doc = Automerge::load(bytes).unwrap();
        let (changes, state) = from_stored(bytes);
        assert_eq!(changes, from_changes(&doc));
        let (shown, left_out) = standing(&doc);
        let state: Vec<String> =
            state.into_iter().filter(|s| !left_out.iter().any(|k| s.split(' ').next() == Some(k))).collect();
        assert_eq!(state, shown);
    }

    fn household(id: &str, members: u32) -> HouseholdWrite {
        HouseholdWrite {
            id: id.into(),
            group: Some("Tổ 1".into()),
            address: Some("Ngõ 5".into()),
            fields: vec![("members".into(), members.to_string()), ("internet".into(), "yes".into())],
            consent: Some(ConsentGiven::verbal()),
        }
    }

    /// An area by peer-a and peer-b: households written, overwritten concurrently, archived,
    /// a member removed; `n` households.
    fn area(n: usize) -> Area {
        let new = NewArea { id: "a1".into(), name: "Khu 1".into(), ward: "Phường 1".into(), profile_toml: None };
        let mut a = Area::create(new, "peer-a", "Lan", 1_000).unwrap();
        a.add_member("peer-b", "Huy", "member", "peer-a", 1_001).unwrap();
        a.add_member("peer-c", "Mai", "member", "peer-a", 1_002).unwrap();
        for i in 0..n {
            a.add_household(household(&format!("H{i}"), 3), "peer-a", 2_000 + i as i64).unwrap();
        }
        let mut b = Area::load(&a.save(), "peer-b").unwrap();
        a.set_household(household("H0", 5), "peer-a", 9_000).unwrap();
        b.set_household(household("H0", 6), "peer-b", 9_001).unwrap();
        b.archive_household("H1", "peer-b", 9_002).unwrap();
        a.merge(&b).unwrap();
        a.remove_member("peer-c", "peer-a", 9_003).unwrap();
        a
    }

    #[test]
    fn an_area_reads_from_its_columns_as_from_its_changes() {
        for n in [2, 40, 600] {
            let a = area(n);
            // Compressed columns (`save`) and plain ones.
            same_ops(&a.save());
            same_ops(&a.doc().save_nocompress());
            let bytes = a.save();
            let loaded = Area::load(&bytes, "reader").unwrap();
            assert!(matches!(read(&bytes, loaded.doc(), "a1", |_| Ok(())), Read::Checked(Ok(()))));
            loaded.check_whole(&bytes).unwrap();
        }
    }

    /// [`Area::status_of_bytes`] gives what loading the area gives.
    fn same_status(bytes: &[u8]) {
        let loaded = Area::load_checked(bytes, "reader", None).unwrap();
        assert_eq!(Area::status_of_bytes(bytes).unwrap(), Some(loaded.status()));
    }

    #[test]
    fn an_area_is_evaluated_from_its_columns_as_when_loaded() {
        for n in [2, 40, 600] {
            let mut a = area(n);
            same_status(&a.save());
            same_status(&a.doc().save_nocompress());
            same_when_stored(&a.save());
            // Refused and withdrawn consent, archived, a field written twice apart.
            for (i, hh) in ["H2", "H3", "H4"].into_iter().enumerate().filter(|&(i, _)| i + 2 >= n) {
                a.add_household(household(hh, 2), "peer-a", 39_000 + i as i64).unwrap();
            }
            a.record_consent("H2", crate::ConsentChange::decision(crate::ConsentState::Refused), "peer-a", 40_000)
                .unwrap();
            let mut b = Area::load(&a.save(), "peer-b").unwrap();
            a.record_consent("H3", crate::ConsentChange::decision(crate::ConsentState::Withdrawn), "peer-a", 40_001)
                .unwrap();
            a.set_household(household("H4", 7), "peer-a", 40_002).unwrap();
            b.set_household(household("H4", 8), "peer-b", 40_003).unwrap();
            a.merge(&b).unwrap();
            let (status, conflicts) = a.status_and_conflicts();
            assert!(status.evaluation.declined >= 2 && !conflicts.is_empty(), "{status:?}");
            same_status(&a.save());
            same_when_stored(&a.save());
        }
        let erased = area(20).erase(&["H3"], "peer-a", 20_000).unwrap();
        same_status(&erased.save());
    }

    #[test]
    fn what_is_not_read_from_the_columns_is_left_to_automerge() {
        let a = area(3);
        let mut more = a.save();
        more.extend(a.clone().save_after(&[]));
        assert_eq!(Area::status_of_bytes(&more).unwrap(), None, "two chunks");
        let mut bad_sum = a.save();
        bad_sum[5] ^= 1;
        assert_eq!(Area::status_of_bytes(&bad_sum).unwrap(), None, "checksum");
        assert!(Area::load(&bad_sum, "reader").is_err());
        let not_an_area = automerge::AutoCommit::new().save();
        assert!(Area::status_of_bytes(&not_an_area).is_err() || Area::status_of_bytes(&not_an_area).unwrap().is_none());
    }

    /// A document chunk followed by chunks of later changes (an area as a device stores it
    /// between compactions, and sends it whole in a first sync) gets the door's verdict from
    /// its columns and those changes: the one `check_whole` gives after loading.
    #[test]
    fn later_changes_after_a_document_are_judged_with_it() {
        use automerge::transaction::Transactable;
        let a = area(40);
        let later = |change: &dyn Fn(&mut Area)| {
            let mut more = a.clone();
            change(&mut more);
            [a.save(), more.save_after(&a.heads())].concat()
        };
        let verdict = |bytes: &[u8]| Area::door_verdict(bytes).map(|v| v.map_err(|e| e.to_string()));
        let loaded = |bytes: &[u8]| {
            let area = Area::load(bytes, "reader").unwrap();
            area.check_whole(bytes).map_err(|e| e.to_string())
        };
        // A member added, then writing; and two chunks of changes.
        let good = later(&|more| {
            more.add_member("peer-d", "Lan", "member", "peer-a", 50_000).unwrap();
            let mut d = Area::load(&more.save(), "peer-d").unwrap();
            d.set_household(household("H5", 4), "peer-d", 50_001).unwrap();
            more.merge(&d).unwrap();
        });
        assert!(good.len() > a.save().len() + 100, "changes follow the document");
        assert_eq!(verdict(&good), Some(Ok(())));
        assert_eq!(loaded(&good), Ok(()));
        let mut two = good.clone();
        let mut again = Area::load(&good, "peer-a").unwrap();
        let heads = again.heads();
        again.add_household(household("H90", 2), "peer-a", 50_002).unwrap();
        two.extend(again.save_after(&heads));
        assert_eq!(verdict(&two), Some(Ok(())));
        // A later change by a device never on the roster: refused in the same words.
        let stranger = later(&|more| {
            let mut doc = more.doc().clone().with_actor(automerge::ActorId::from(&b"peer-x"[..]));
            let mut tx = doc.transaction();
            tx.put(automerge::ROOT, "h/H1/phone", "0901").unwrap();
            tx.commit();
            *more = Area::load(&doc.save(), "peer-a").unwrap();
        });
        let refused = loaded(&stranger).unwrap_err();
        assert_eq!(verdict(&stranger), Some(Err(refused)));
        // A later change that writes the profile: the door would need the final one, so the
        // bytes are left to `check_whole`.
        let profile = later(&|more| {
            let text = format!("{}\n# the same profile, written again\n", more.profile().source());
            let mut doc = more.doc().clone().with_actor(automerge::ActorId::from(&b"peer-a"[..]));
            let mut tx = doc.transaction();
            tx.put(automerge::ROOT, "profile", text).unwrap();
            tx.commit();
            *more = Area::load(&doc.save(), "peer-a").unwrap();
        });
        assert_eq!(verdict(&profile), None);
        assert_eq!(loaded(&profile), Ok(()));
        // What follows the document is not a change.
        assert_eq!(verdict(&[a.save(), a.save()].concat()), None);
    }

    #[test]
    fn an_erased_area_reads_from_its_columns() {
        let a = area(20);
        let cut = a.erase(&["H3"], "peer-a", 20_000).unwrap();
        same_ops(&cut.save());
        let bytes = cut.save();
        Area::load(&bytes, "reader").unwrap().check_whole(&bytes).unwrap();
    }

    #[test]
    fn bytes_that_are_not_one_document_are_left_to_the_changes() {
        let a = area(2);
        let mut bytes = a.save();
        let heads = a.heads();
        let mut more = a.clone();
        more.add_household(household("H9", 2), "peer-a", 30_000).unwrap();
        bytes.extend(more.save_after(&heads));
        let doc = Automerge::load(&bytes).unwrap();
        assert!(matches!(read(&bytes, &doc, "a1", |_| Ok(())), Read::Unread));
        let loaded = Area::load(&bytes, "reader").unwrap();
        loaded.check_whole(&bytes).unwrap();
    }

    /// A document with one bad change: both doors refuse it with the same words.
    #[test]
    fn a_bad_change_is_refused_in_the_same_words_both_ways() {
        type Edit = Box<dyn Fn(&mut automerge::transaction::Transaction<'_>)>;
        let edits: Vec<(&[u8], Edit)> = vec![
            (b"peer-b", Box::new(|tx| tx.put(ROOT, "h/H1/members", 999u64).unwrap())),
            (b"peer-b", Box::new(|tx| tx.put(ROOT, "h/H1/phone", "0901").unwrap())),
            (b"peer-b", Box::new(|tx| tx.put(ROOT, "h/H1/members", 2.5f64).unwrap())),
            (b"peer-b", Box::new(|tx| tx.put(ROOT, "h/H1/members", ScalarValue::counter(1)).unwrap())),
            (b"peer-b", Box::new(|tx| tx.delete(ROOT, "meta/name").unwrap())),
            (b"peer-x", Box::new(|tx| tx.put(ROOT, "h/H1/internet", "no").unwrap())),
            (
                b"peer-b",
                Box::new(|tx| {
                    tx.put(ROOT, "meta/requires", "9.0.0").unwrap();
                    tx.put(ROOT, "z/new", "1").unwrap();
                }),
            ),
            (
                b"peer-b",
                Box::new(|tx| {
                    let t = tx.put_object(ROOT, "h/H2/@address", automerge::ObjType::Text).unwrap();
                    tx.splice_text(&t, 0, 0, "Số 5").unwrap();
                }),
            ),
            (
                b"peer-b",
                Box::new(|tx| {
                    let l = tx.put_object(ROOT, "h/H2/members", automerge::ObjType::List).unwrap();
                    tx.insert(&l, 0, 1u64).unwrap();
                }),
            ),
        ];
        for (actor, edit) in edits {
            let mut doc = Automerge::load(&area(3).save()).unwrap().with_actor(ActorId::from(actor));
            let mut tx = doc.transaction();
            edit(&mut tx);
            tx.commit();
            let bytes = doc.save();
            let loaded = Area::load(&bytes, "reader").unwrap();
            assert!(matches!(read(&bytes, loaded.doc(), "a1", |_| Ok(())), Read::Checked(Ok(()))));
            let whole = loaded.check_whole(&bytes).unwrap_err().to_string();
            let changes = loaded.check_all().unwrap_err().to_string();
            assert_eq!(whole, changes);
            assert_eq!(Area::status_of_bytes(&bytes).unwrap_err().to_string(), changes);
        }
    }

    fn sleb(v: i64, out: &mut Vec<u8>) {
        let mut v = v;
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            let done = (v == 0 && byte & 0x40 == 0) || (v == -1 && byte & 0x40 != 0);
            out.push(if done { byte } else { byte | 0x80 });
            if done {
                break;
            }
        }
    }

    /// A run-length column of `values` as Automerge writes one: equal neighbours as a run,
    /// nulls as a run of nulls, the rest as one literal run.
    fn rle<T: PartialEq>(values: &[Option<T>], write: impl Fn(&T, &mut Vec<u8>)) -> Vec<u8> {
        let mut out = Vec::new();
        let mut literal: Vec<&T> = Vec::new();
        let flush = |literal: &mut Vec<&T>, out: &mut Vec<u8>| {
            if !literal.is_empty() {
                sleb(-(literal.len() as i64), out);
                for v in literal.drain(..) {
                    write(v, out);
                }
            }
        };
        let mut i = 0;
        while i < values.len() {
            let run = values[i..].iter().take_while(|v| **v == values[i]).count();
            match &values[i] {
                None => {
                    flush(&mut literal, &mut out);
                    sleb(0, &mut out);
                    crate::chunks::tests::uleb(run as u64, &mut out);
                }
                Some(v) if run > 1 => {
                    flush(&mut literal, &mut out);
                    sleb(run as i64, &mut out);
                    write(v, &mut out);
                }
                Some(v) => literal.push(v),
            }
            i += run;
        }
        flush(&mut literal, &mut out);
        out
    }

    fn rle_uint(values: &[Option<u64>]) -> Vec<u8> {
        rle(values, |v, out| crate::chunks::tests::uleb(*v, out))
    }

    fn rle_delta(values: &[Option<i64>]) -> Vec<u8> {
        let mut last = 0;
        let diffs: Vec<Option<i64>> = values
            .iter()
            .map(|v| {
                v.map(|v| {
                    let d = v - last;
                    last = v;
                    d
                })
            })
            .collect();
        rle(&diffs, |v, out| sleb(*v, out))
    }

    /// `bytes` (a document saved without compression) with its last change taken out of the
    /// change columns and the heads, and its operations left in the operation columns: a
    /// document whose state holds operations that none of its changes made.
    fn without_last_change(bytes: &[u8], doc: &Automerge) -> Vec<u8> {
        let (kind, body, _) = crate::chunks::chunk(bytes).unwrap();
        assert_eq!(kind, 0);
        let crate::chunks::DocumentBody { actors, changes: change_data, ops } = crate::chunks::document(body).unwrap();
        assert!(
            change_data.iter().chain(&ops).all(|(spec, _)| spec & crate::chunks::DEFLATED == 0),
            "saved without compression"
        );

        let metas = doc.get_changes_meta(&[]);
        let n = metas.len();
        let dropped_deps = metas[n - 1].deps.len();
        let limit = 1 << 20;
        let mut new_cols = Vec::new();
        for (spec, data) in &change_data {
            let col = match spec {
                // actor, depsNum, extra metadata: run-length integers, one per change.
                1 | 64 | 86 => {
                    let mut v = Rle::decode(data, limit, |d: &mut &[u8]| leb128(d)).unwrap().0;
                    if *spec == 86 {
                        assert!(v[n - 1].unwrap_or(0) >> 4 == 0, "no extra bytes");
                    }
                    v.truncate(n - 1);
                    rle_uint(&v)
                }
                // seq, maxOp, time: deltas, one per change.
                3 | 19 | 35 => {
                    let mut v = delta(data, limit).unwrap().0;
                    v.truncate(n - 1);
                    rle_delta(&v)
                }
                // the dependencies, all changes' one after the other.
                67 => {
                    let mut v = delta(data, limit).unwrap().0;
                    v.truncate(v.len() - dropped_deps);
                    rle_delta(&v)
                }
                53 => {
                    let mut v = Rle::decode(data, limit, |d: &mut &[u8]| {
                        let len = leb128(d)? as usize;
                        let s: &[u8] = &d[..len];
                        *d = &d[len..];
                        Some(s)
                    })
                    .unwrap()
                    .0;
                    v.truncate(n - 1);
                    rle(&v, |s, out| {
                        crate::chunks::tests::uleb(s.len() as u64, out);
                        out.extend(*s);
                    })
                }
                87 => data.to_vec(),
                other => panic!("change column {other} not expected"),
            };
            new_cols.push((*spec, col));
        }
        // The heads without the last change: the others that no other change depends on.
        let kept = &metas[..n - 1];
        let mut heads: Vec<automerge::ChangeHash> =
            kept.iter().map(|m| m.hash).filter(|h| !kept.iter().any(|m| m.deps.contains(h))).collect();
        heads.sort();

        let uleb = crate::chunks::tests::uleb;
        let mut out = Vec::new();
        uleb(actors.len() as u64, &mut out);
        for a in &actors {
            uleb(a.len() as u64, &mut out);
            out.extend(*a);
        }
        uleb(heads.len() as u64, &mut out);
        for h in &heads {
            out.extend(h.0);
        }
        uleb(new_cols.len() as u64, &mut out);
        for (spec, col) in &new_cols {
            uleb(*spec, &mut out);
            uleb(col.len() as u64, &mut out);
        }
        uleb(ops.len() as u64, &mut out);
        for (spec, data) in &ops {
            uleb(*spec, &mut out);
            uleb(data.len() as u64, &mut out);
        }
        for (_, col) in &new_cols {
            out.extend(col);
        }
        for (_, data) in &ops {
            out.extend(*data);
        }
        for h in &heads {
            uleb(kept.iter().position(|m| m.hash == *h).unwrap() as u64, &mut out);
        }
        crate::chunks::tests::header(0, &out)
    }

    #[test]
    fn an_operation_in_no_change_is_refused() {
        // peer-b's last change puts a phone number under a key no area has.
        let mut doc = Automerge::load(&area(3).save()).unwrap().with_actor(ActorId::from(&b"peer-b"[..]));
        let mut tx = doc.transaction();
        tx.put(ROOT, "h/H1/phone", "0901234567").unwrap();
        tx.commit();
        let crafted = without_last_change(&doc.save_nocompress(), &doc);

        // Automerge takes it: the value is in the state, and no change made it.
        let loaded = Automerge::load(&crafted).expect("Automerge loads the crafted document");
        assert!(loaded.get(ROOT, "h/H1/phone").unwrap().is_some());
        assert_eq!(loaded.get_changes(&[]).len(), doc.get_changes(&[]).len() - 1);
        let area = Area::load(&crafted, "reader").unwrap();
        // Checking the changes sees nothing wrong; reading the columns does.
        area.check_all().expect("no change holds the operation");
        let err = area.check_whole(&crafted).unwrap_err().to_string();
        assert!(err.contains("none of its changes") && err.contains("phone = \"0901234567\""), "{err}");
        // The same with a good change after it, as a sync in two messages would bring it.
        let mut more = loaded.with_actor(ActorId::from(&b"peer-a"[..]));
        let heads = more.get_heads();
        let mut tx = more.transaction();
        tx.put(ROOT, "h/H0/internet", "no").unwrap();
        tx.commit();
        let two = [crafted.clone(), more.save_after(&heads)].concat();
        let area = Area::load(&two, "reader").unwrap();
        area.check_all().expect("no change holds the operation");
        let err = area.check_whole(&two).unwrap_err().to_string();
        assert!(err.contains("none of its changes"), "{err}");

        // With the change kept, both doors refuse the change itself.
        let whole = doc.save_nocompress();
        let area = Area::load(&whole, "reader").unwrap();
        let (columns, changes) = (area.check_whole(&whole).unwrap_err(), area.check_all().unwrap_err());
        assert_eq!(columns.to_string(), changes.to_string());
        assert!(changes.to_string().contains("phone"), "{changes}");
    }

    #[test]
    fn a_key_deleted_hundreds_of_times_is_left_to_the_changes() {
        let mut doc = Automerge::new();
        for i in 0..(MAX_PENDING as u64 + 10) {
            let mut tx = doc.transaction();
            tx.put(ROOT, "k", i).unwrap();
            tx.delete(ROOT, "k").unwrap();
            tx.commit();
        }
        let bytes = doc.save();
        assert!(matches!(read(&bytes, &doc, "a1", |_| Ok(())), Read::Unread));
        // Below the bound the same history is read from the columns, as Automerge rebuilds it.
        let mut doc = Automerge::new();
        for i in 0..(MAX_PENDING as u64 - 10) {
            let mut tx = doc.transaction();
            tx.put(ROOT, "k", i).unwrap();
            tx.delete(ROOT, "k").unwrap();
            tx.commit();
        }
        same_ops(&doc.save());
    }

    #[derive(Debug, Clone)]
    enum Step {
        Put(u8, u8, u8, u8),
        Delete(u8, u8),
        Make(u8, u8),
        Counter(u8, u8),
        Merge(u8, u8),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            4 => (0..3u8, 0..6u8, 0..7u8, any::<u8>()).prop_map(|(a, k, t, v)| Step::Put(a, k, t, v)),
            2 => (0..3u8, 0..6u8).prop_map(|(a, k)| Step::Delete(a, k)),
            1 => (0..3u8, 0..6u8).prop_map(|(a, k)| Step::Make(a, k)),
            1 => (0..3u8, 0..6u8).prop_map(|(a, k)| Step::Counter(a, k)),
            2 => (0..3u8, 0..3u8).prop_map(|(a, b)| Step::Merge(a, b)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any document three devices make (puts of every type, deletes, objects, counters,
        /// concurrent edits merged): each change's operations read from the columns are
        /// exactly Automerge's.
        #[test]
        fn any_document_reads_from_its_columns_as_from_its_changes(steps in proptest::collection::vec(step(), 1..60)) {
            let mut docs: Vec<Automerge> =
                (0..3u8).map(|i| Automerge::new().with_actor(ActorId::from(&[b'p', i][..]))).collect();
            for s in steps {
                match s {
                    Step::Put(a, k, t, v) => {
                        let mut tx = docs[a as usize].transaction();
                        let key = format!("k{k}");
                        let value = match t {
                            0 => ScalarValue::Uint(v as u64 * 1000),
                            1 => ScalarValue::Int(-(v as i64)),
                            2 => ScalarValue::Str(format!("s{v}").into()),
                            3 => ScalarValue::Boolean(v % 2 == 0),
                            4 => ScalarValue::F64(v as f64 / 3.0),
                            5 => ScalarValue::Timestamp(v as i64),
                            _ => ScalarValue::Bytes(vec![v; v as usize % 5]),
                        };
                        tx.put(ROOT, key, value).unwrap();
                        tx.commit();
                    }
                    Step::Delete(a, k) => {
                        let mut tx = docs[a as usize].transaction();
                        let _ = tx.delete(ROOT, format!("k{k}"));
                        tx.commit();
                    }
                    Step::Make(a, k) => {
                        let mut tx = docs[a as usize].transaction();
                        let m = tx.put_object(ROOT, format!("k{k}"), automerge::ObjType::Map).unwrap();
                        tx.put(&m, "inner", 1u64).unwrap();
                        tx.commit();
                    }
                    Step::Counter(a, k) => {
                        let mut tx = docs[a as usize].transaction();
                        let key = format!("c{k}");
                        tx.put(ROOT, &key, ScalarValue::counter(1)).unwrap();
                        tx.increment(ROOT, &key, 2).unwrap();
                        tx.commit();
                    }
                    Step::Merge(a, b) if a != b => {
                        let mut other = docs[b as usize].clone();
                        docs[a as usize].merge(&mut other).unwrap();
                    }
                    Step::Merge(..) => {}
                }
            }
            let mut all = docs[0].clone();
            for d in &mut docs[1..] {
                all.merge(d).unwrap();
            }
            if all.get_heads().is_empty() {
                return Ok(());
            }
            for bytes in [all.save(), all.save_nocompress()] {
                let doc = Automerge::load(&bytes).unwrap();
                prop_assert_eq!(from_columns(&bytes, &doc).unwrap(), from_changes(&doc));
                same_when_stored(&bytes);
            }
        }
    }
}
