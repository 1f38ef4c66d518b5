//! Changes checked at the door: every change that arrives from elsewhere (a sync message, a
//! snapshot file) is read operation by operation before it may stay in a document.
//!
//! What the flat schema promises ([`crate::schema`]), and what is checked here:
//! - every operation is on the root map, under a key of a known shape, with a well-formed
//!   household or peer id;
//! - no objects (maps, lists, text), counters, increments or marks: only scalar puts, and
//!   deletes of household and roster keys;
//! - each value has its key's type: profile fields of the area's profile, of the field's type and
//!   within its range; group and address short text; flags booleans; times timestamps;
//! - the area's identity (`schema`, `meta/id`, `uid`, `created_at`, `created_by`) is written only
//!   by the change that creates the area, and `created_by` is that change's own device;
//! - every change is made by a device that was on the roster already, or that a change checked
//!   before it put on the roster (changes are read in causal order, so an added member's first
//!   write always comes after the change that added it).
//!
//! Cross-field rules (a count not above the count it is part of, business-only fields) are
//! the writer's checks only: two concurrent visits may break them together without either being
//! wrong, and readers evaluate such a household as it is.

use std::collections::{BTreeMap, BTreeSet};

use automerge::legacy::{Key as OpKey, ObjectId, Op, OpType};
use automerge::{Change, ScalarValue, ScalarValueRef};
use chrono::NaiveDate;

use crate::consent::{ConsentMethod, ConsentState};
use crate::eval::DayStatus;
use crate::ids::{ROLES, actor_text, check_text, epoch_actor, validate_peer_key};
use crate::ids::{validate_area_id, validate_household_id};
use crate::profile::{FieldType, Profile};
use crate::schema::{self, Key, MemberAttr, Meta, Slot};
use crate::value::{Answer, Value};

pub use crate::error::BadChange;

/// What a checked batch of changes may assume.
#[derive(Debug, Clone)]
pub(crate) struct Door<'a> {
    pub area: String,
    /// The profile the values are read with (the document's, after the changes).
    pub profile: &'a Profile,
    /// Peers on the roster before these changes (removed ones too: their old writes stay valid).
    pub roster: BTreeSet<String>,
    /// The document is new: its creating change is among these changes.
    pub genesis: bool,
}

impl Door<'_> {
    /// Checks `changes` (in causal order) and returns the first refusal.
    pub fn check(mut self, changes: &[Change]) -> Result<(), BadChange> {
        self.check_more(changes)
    }

    /// [`Door::check`], keeping the door (its roster) for changes that come after these.
    pub(crate) fn check_more(&mut self, changes: &[Change]) -> Result<(), BadChange> {
        let requires = || {
            newer_requires(changes.iter().flat_map(|c| c.decode().operations).map(|op| {
                let op = DoorOp::from(&op);
                requires_value(&op).map(str::to_string)
            }))
        };
        for change in changes {
            let expanded = change.decode();
            let ops: Vec<DoorOp<'_>> = expanded.operations.iter().map(DoorOp::from).collect();
            self.change(actor_text(change.actor_id()), change.deps().is_empty(), &ops, &requires)?;
        }
        Ok(())
    }

    /// Checks one change: its device (`actor`), whether it has no dependencies, and its
    /// operations in order. `requires`: the newest `meta/requires` of the whole batch newer than
    /// this release (read only for a refusal's reason).
    pub(crate) fn change(
        &mut self,
        actor: String,
        no_deps: bool,
        ops: &[DoorOp<'_>],
        requires: &dyn Fn() -> Option<semver::Version>,
    ) -> Result<(), BadChange> {
        let creates = self.genesis && no_deps && self.roster.is_empty();
        let bad = |key: &str, value: String, reason: String| BadChange {
            area: self.area.clone(),
            actor: actor.clone(),
            key: key.to_string(),
            value,
            reason,
        };
        if !creates && !self.roster.contains(&actor) {
            return Err(bad("", String::new(), "this device was never on the area's roster".into()));
        }
        // The change that cuts an epoch ([`crate::epoch`]) creates its document, by the
        // epoch's own actor, and alone writes the epoch's keys.
        let cut = creates && cut_epoch_of(ops).is_some();
        if cut && let Err(reason) = check_cut_actor(ops, &actor) {
            return Err(bad("meta/epoch", "-".into(), reason));
        }
        let mut added = Vec::new();
        for op in ops {
            let Some(key) = op.key else {
                return Err(bad("", "-".into(), "list operations are not part of an area document".into()));
            };
            // Only a refusal shows the value: formatting every value would cost more than
            // the check itself.
            let shown = || match &op.action {
                Action::Put(v) => show(v),
                _ => "-".into(),
            };
            if !op.root || op.insert {
                return Err(bad(key, shown(), "only the document's root map holds values".into()));
            }
            let Some(parsed) = Key::parse(key) else {
                // A later release's key: say which release the area needs, when it says.
                let reason = match requires() {
                    Some(needed) => crate::compat::newer_release_needed(&needed),
                    None => "not a key of an area document".into(),
                };
                return Err(bad(key, shown(), reason));
            };
            match op.action {
                Action::Put(value) => {
                    check_put(&parsed, Scalar::from(&value), self.profile, creates, cut, &actor)
                        .map_err(|r| bad(key, shown(), r))?;
                }
                Action::Delete if matches!(parsed, Key::Household { .. } | Key::Member { .. } | Key::Relay { .. }) => {}
                Action::Delete => return Err(bad(key, shown(), "this key is never deleted".into())),
                Action::Make(automerge::ObjType::Text) => {
                    return Err(bad(
                        key,
                        shown(),
                        "creates a text object; values are scalars only (JavaScript Automerge 3 makes \
                         a plain string text: write an ImmutableString)"
                            .into(),
                    ));
                }
                Action::Make(kind) => {
                    return Err(bad(key, shown(), format!("creates an object ({kind}); values are scalars only")));
                }
                Action::Increment => return Err(bad(key, shown(), "counters are not used".into())),
                Action::Mark => return Err(bad(key, shown(), "marks are not used".into())),
            }
            if let Key::Member { peer, .. } = parsed {
                added.push(peer.to_string());
            }
        }
        if creates {
            self.roster.insert(actor);
        }
        self.roster.extend(added);
        Ok(())
    }
}

/// One operation as the door reads it: from a change Automerge rebuilt, or from a document's
/// columns ([`crate::columns`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct DoorOp<'a> {
    /// On the document's root map.
    pub root: bool,
    /// Inserts into a list.
    pub insert: bool,
    /// The map key; `None` for a list element.
    pub key: Option<&'a str>,
    pub action: Action<'a>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Action<'a> {
    Put(Put<'a>),
    Delete,
    Make(automerge::ObjType),
    Increment,
    Mark,
}

/// A value put, as stored: everything Automerge can store, so that a refusal can show it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Put<'a> {
    Str(&'a str),
    Uint(u64),
    Int(i64),
    Timestamp(i64),
    Boolean(bool),
    F64(f64),
    Bytes(usize),
    Counter(i64),
    Null,
    Unknown(u8),
}

impl<'a> From<&'a Op> for DoorOp<'a> {
    fn from(op: &'a Op) -> DoorOp<'a> {
        let action = match &op.action {
            OpType::Put(v) => Action::Put(Put::from(v)),
            OpType::Delete => Action::Delete,
            OpType::Make(kind) => Action::Make(*kind),
            OpType::Increment(_) => Action::Increment,
            OpType::MarkBegin(..) | OpType::MarkEnd(_) => Action::Mark,
        };
        let key = match &op.key {
            OpKey::Map(k) => Some(k.as_str()),
            OpKey::Seq(_) => None,
        };
        DoorOp { root: op.obj == ObjectId::Root, insert: op.insert, key, action }
    }
}

impl<'a> From<&'a ScalarValue> for Put<'a> {
    fn from(v: &'a ScalarValue) -> Put<'a> {
        match v {
            ScalarValue::Str(s) => Put::Str(s),
            ScalarValue::Uint(n) => Put::Uint(*n),
            ScalarValue::Int(n) => Put::Int(*n),
            ScalarValue::Timestamp(t) => Put::Timestamp(*t),
            ScalarValue::Boolean(b) => Put::Boolean(*b),
            ScalarValue::F64(f) => Put::F64(*f),
            ScalarValue::Bytes(b) => Put::Bytes(b.len()),
            ScalarValue::Counter(c) => Put::Counter(i64::from(c)),
            ScalarValue::Null => Put::Null,
            ScalarValue::Unknown { type_code, .. } => Put::Unknown(*type_code),
        }
    }
}

impl<'a> From<&Put<'a>> for Scalar<'a> {
    fn from(v: &Put<'a>) -> Scalar<'a> {
        match *v {
            Put::Str(s) => Scalar::Str(s),
            Put::Uint(n) => Scalar::Uint(n),
            Put::Int(n) => Scalar::Int(n),
            Put::Timestamp(t) => Scalar::Timestamp(t),
            Put::Boolean(b) => Scalar::Boolean(b),
            _ => Scalar::Other,
        }
    }
}

/// The version an operation writes to `meta/requires`, if it does.
pub(crate) fn requires_value<'a>(op: &DoorOp<'a>) -> Option<&'a str> {
    match (op.key, op.action) {
        (Some(k), Action::Put(Put::Str(v))) if k == crate::schema::meta(Meta::Requires) => Some(v),
        _ => None,
    }
}

/// The newest of `written` (the `meta/requires` values of a batch) that is newer than this
/// release, if any: what a key this release does not know was most likely written for.
pub(crate) fn newer_requires<S: AsRef<str>>(written: impl Iterator<Item = Option<S>>) -> Option<semver::Version> {
    let this = crate::compat::release();
    written.flatten().filter_map(|v| crate::compat::parse_version(v.as_ref()).ok()).filter(|v| *v > this).max()
}

/// Whether `value` may be stored under `key`. `creates`: the change creates the area (the only
/// one that may write its identity); `actor`: the writing device.
fn check_put(
    key: &Key<'_>,
    value: Scalar<'_>,
    profile: &Profile,
    creates: bool,
    cut: bool,
    actor: &str,
) -> Result<(), String> {
    let text = || match value {
        Scalar::Str(s) => Ok(s),
        _ => Err("must be text".to_string()),
    };
    let timestamp = || match value {
        Scalar::Timestamp(_) | Scalar::Int(_) => Ok(()),
        _ => Err("must be a time".to_string()),
    };
    let boolean = || match value {
        Scalar::Boolean(_) => Ok(()),
        _ => Err("must be true or false".to_string()),
    };
    let identity = |ok: bool| {
        if ok { Ok(()) } else { Err("the area's identity is written once, when the area is created".to_string()) }
    };
    let model = |e: crate::ModelError| match e {
        crate::ModelError::InvalidInput { message, .. } => message,
        other => other.to_string(),
    };
    match key {
        Key::Schema => {
            identity(creates)?;
            match value {
                Scalar::Uint(v) if v == crate::schema::SCHEMA_VERSION => Ok(()),
                _ => Err(format!("must be {}", crate::schema::SCHEMA_VERSION)),
            }
        }
        Key::Profile => {
            Profile::from_toml(text()?).map_err(|e| format!("not a valid criteria profile: {e}"))?;
            Ok(())
        }
        Key::Meta(m) if m.is_identity() => {
            identity(creates)?;
            match m {
                Meta::Id => validate_area_id(text()?).map_err(model),
                Meta::Uid => check_text("uid", text()?, true).map_err(model),
                Meta::CreatedAt => timestamp(),
                // A cut copies the area's creator.
                Meta::CreatedBy if cut => validate_peer_key(text()?).map_err(model),
                Meta::CreatedBy if text()? == actor => Ok(()),
                Meta::CreatedBy => Err("must be the creating device".into()),
                Meta::Epoch | Meta::Cut | Meta::CutAt if !cut => {
                    Err("written only by the change that cuts an epoch".into())
                }
                Meta::Epoch => match value {
                    Scalar::Uint(v) if v >= 1 => Ok(()),
                    _ => Err("must be a whole number from 1".into()),
                },
                Meta::Cut => parse_cut(text()?).map(|_| ()),
                Meta::CutAt => timestamp(),
                Meta::Name | Meta::Ward | Meta::Requires => unreachable!("not identity"),
            }
        }
        Key::Erased { .. } | Key::Day { .. } if !cut => Err("written only by the change that cuts an epoch".into()),
        Key::Erased { hh } => {
            validate_household_id(hh).map_err(model)?;
            timestamp()
        }
        Key::Day { date } => check_day(date, text()?),
        Key::Relay { peer } => {
            validate_peer_key(peer).map_err(model)?;
            crate::ids::validate_relay(text()?, peer).map_err(model)
        }
        Key::Meta(Meta::Requires) => {
            let needed = crate::compat::parse_version(text()?)?;
            if needed > crate::compat::release() {
                return Err(crate::compat::newer_release_needed(&needed));
            }
            Ok(())
        }
        Key::Meta(m) => check_text(m.as_str(), text()?, true).map_err(model),
        Key::Member { peer, attr } => {
            validate_peer_key(peer).map_err(model)?;
            match attr {
                MemberAttr::Name => check_text("name", text()?, true).map_err(model),
                MemberAttr::Role if ROLES.contains(&text()?) => Ok(()),
                MemberAttr::Role => Err(format!("not a role; allowed: {}", ROLES.join(", "))),
                MemberAttr::AddedBy => validate_peer_key(text()?).map_err(model),
                MemberAttr::AddedAt => timestamp(),
                MemberAttr::Removed => boolean(),
                MemberAttr::Recipient => crate::ids::validate_recipient(text()?).map_err(model),
                MemberAttr::Epoch => match value {
                    Scalar::Uint(_) => Ok(()),
                    _ => Err("must be a whole number".into()),
                },
            }
        }
        Key::Household { hh, slot } => {
            validate_household_id(hh).map_err(model)?;
            match slot {
                Slot::Field(field) => field_value(profile, field, value).map(|_| ()),
                Slot::Group => check_text("group", text()?, false).map_err(model),
                Slot::Address => check_text("address", text()?, false).map_err(model),
                Slot::Archived => boolean(),
                Slot::At => timestamp(),
                Slot::By | Slot::ConsentBy => validate_peer_key(text()?).map_err(model),
                Slot::Consent if ConsentState::parse(text()?).is_some() => Ok(()),
                Slot::Consent => Err("not a consent state; allowed: given, refused, withdrawn".into()),
                Slot::ConsentAt => timestamp(),
                Slot::ConsentMethod if ConsentMethod::parse(text()?).is_some() => Ok(()),
                Slot::ConsentMethod => Err("not a consent method; allowed: verbal, written".into()),
                Slot::ConsentRef => check_text("consent_ref", text()?, false).map_err(model),
                Slot::ConsentNotice => check_text("consent_notice", text()?, false).map_err(model),
            }
        }
    }
}

/// The value of profile field `field`, if `value` is one it allows: a whole number within the
/// field's range for a count (stored as Automerge `Uint`, `Int` from other writers), `"yes"`,
/// `"no"` (or `"unknown"` where allowed) for a yes/no question.
pub fn field_value(profile: &Profile, field: &str, value: Scalar<'_>) -> Result<Value, String> {
    let def = profile.field(field).ok_or_else(|| format!("{field:?} is not a field of profile {}", profile.id()))?;
    let bad = || format!("not allowed; allowed: {}", def.allowed());
    match def.kind {
        FieldType::Count => {
            let n = match value {
                Scalar::Uint(n) => u32::try_from(n).map_err(|_| bad())?,
                Scalar::Int(n) => u32::try_from(n).map_err(|_| bad())?,
                _ => return Err(bad()),
            };
            let (min, max) = (def.min.unwrap_or(0), def.max.unwrap_or(u32::MAX));
            if n < min || n > max {
                return Err(bad());
            }
            Ok(Value::Count(n))
        }
        FieldType::YesNo | FieldType::YesNoUnknown => {
            let Scalar::Str(s) = value else { return Err(bad()) };
            match Answer::parse_stored(s) {
                Some(Answer::Unknown) if def.kind == FieldType::YesNo => Err(bad()),
                Some(a) => Ok(Value::Answer(a)),
                None => Err(bad()),
            }
        }
    }
}

/// A scalar as the checks see it, borrowed from either of Automerge's two scalar types.
#[derive(Debug, Clone, Copy)]
pub enum Scalar<'a> {
    Str(&'a str),
    Uint(u64),
    Int(i64),
    Timestamp(i64),
    Boolean(bool),
    /// Bytes, floats, counters, null, unknown types: never valid here.
    Other,
}

impl<'a> From<&'a ScalarValue> for Scalar<'a> {
    fn from(v: &'a ScalarValue) -> Scalar<'a> {
        Scalar::from(&Put::from(v))
    }
}

impl<'a> From<&'a ScalarValueRef<'_>> for Scalar<'a> {
    fn from(v: &'a ScalarValueRef<'_>) -> Scalar<'a> {
        match v {
            ScalarValueRef::Str(s) => Scalar::Str(s),
            ScalarValueRef::Uint(n) => Scalar::Uint(*n),
            ScalarValueRef::Int(n) => Scalar::Int(*n),
            ScalarValueRef::Timestamp(t) => Scalar::Timestamp(*t),
            ScalarValueRef::Boolean(b) => Scalar::Boolean(*b),
            _ => Scalar::Other,
        }
    }
}

pub(crate) fn show(value: &Put<'_>) -> String {
    let shown = match *value {
        Put::Str(s) => format!("{s:?}"),
        Put::Bytes(n) => format!("{n} bytes"),
        Put::F64(f) => format!("{f} (a fraction)"),
        Put::Counter(_) => "a counter".into(),
        Put::Uint(n) => n.to_string(),
        Put::Int(n) => n.to_string(),
        Put::Timestamp(t) => format!("Timestamp: {t}"),
        Put::Boolean(b) => b.to_string(),
        Put::Null => "null".into(),
        Put::Unknown(code) => format!("unknown type {code}"),
    };
    shown.chars().take(80).collect()
}

/// What the door remembers having let through: the SHA-256 of whole documents (an area as a
/// snapshot file carries it) that were checked from their first change and passed. A document
/// whose exact bytes are remembered is loaded without being checked again, so a ward office that
/// reads the same files week after week pays for the door once per file.
///
/// Invariant: a key is remembered only after [`crate::Area::check_all`] passed on exactly
/// those bytes, and keys are salted with this release's version and [`DOOR_RULES`]: another
/// release's door (stricter or laxer) checks everything again.
///
/// Shared by threads (decoding runs on every core); callers keep it where they like
/// ([`Passed::to_bytes`], [`Passed::from_bytes`]) — it is a cache: losing it costs time only.
#[derive(Debug, Default)]
pub struct Passed {
    inner: std::sync::RwLock<PassedInner>,
}

#[derive(Debug, Default)]
struct PassedInner {
    keys: std::collections::HashSet<[u8; 32]>,
    /// Oldest first: the order they are kept in and dropped from.
    order: std::collections::VecDeque<[u8; 32]>,
    changed: bool,
}

/// Bump when the door's rules change within one release.
pub const DOOR_RULES: u32 = 1;

/// At most this many documents are remembered (3.2 MB on disk); the oldest are forgotten first.
pub const MAX_REMEMBERED: usize = 100_000;

const PASSED_MAGIC: &[u8; 8] = b"KDCPASS1";

impl Passed {
    /// The salt every key is made with: this release and these rules. What is remembered
    /// beside a key (the figures `kdc report` keeps) is salted with it too.
    pub fn salt() -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(b"kdc-door\0");
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        h.update(DOOR_RULES.to_be_bytes());
        h.finalize().into()
    }

    /// The key a document's bytes are remembered by.
    pub fn key(document: &[u8]) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(Passed::salt());
        h.update(document);
        h.finalize().into()
    }

    pub fn contains(&self, key: &[u8; 32]) -> bool {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).keys.contains(key)
    }

    /// Remembers `key`: call only once the document it was made from passed the door whole.
    pub fn insert(&self, key: [u8; 32]) {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if inner.keys.insert(key) {
            inner.order.push_back(key);
            inner.changed = true;
            while inner.order.len() > MAX_REMEMBERED {
                let oldest = inner.order.pop_front().expect("not empty");
                inner.keys.remove(&oldest);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether anything was remembered since it was read (worth writing back).
    pub fn is_changed(&self) -> bool {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).changed
    }

    /// Reads what [`Passed::to_bytes`] wrote. Bytes of another release, or that do not read
    /// (cut short, another file), give an empty memory: the door then checks everything.
    pub fn from_bytes(bytes: &[u8]) -> Passed {
        let passed = Passed::default();
        let Some(rest) = bytes.strip_prefix(PASSED_MAGIC.as_slice()) else { return passed };
        if rest.len() < 32 || rest[..32] != Passed::salt() || (rest.len() - 32) % 32 != 0 {
            return passed;
        }
        {
            let mut inner = passed.inner.write().unwrap_or_else(|e| e.into_inner());
            for key in rest[32..].chunks_exact(32) {
                let key: [u8; 32] = key.try_into().expect("32 bytes");
                if inner.keys.insert(key) {
                    inner.order.push_back(key);
                }
            }
            while inner.order.len() > MAX_REMEMBERED {
                let oldest = inner.order.pop_front().expect("not empty");
                inner.keys.remove(&oldest);
            }
        }
        passed
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::with_capacity(40 + inner.order.len() * 32);
        out.extend_from_slice(PASSED_MAGIC);
        out.extend_from_slice(&Passed::salt());
        for key in &inner.order {
            out.extend_from_slice(key);
        }
        out
    }
}

/// What each earlier epoch's cut included: epoch → actor (as [`actor_text`]) → last seq.
pub type CutClock = BTreeMap<u64, BTreeMap<String, u64>>;

/// `meta/cut` as read: refuses anything but `{"epoch": {"actor": seq}}` with numeric epochs.
pub fn parse_cut(text: &str) -> Result<CutClock, String> {
    let raw: BTreeMap<String, BTreeMap<String, u64>> =
        serde_json::from_str(text).map_err(|e| format!("not a cut clock ({e})"))?;
    raw.into_iter()
        .map(|(epoch, clock)| {
            let epoch = epoch.parse::<u64>().map_err(|_| format!("epoch {epoch:?} is not a number"))?;
            if clock.keys().any(|a| a.is_empty() || a.len() > 256) {
                return Err("an actor of the cut clock is empty or too long".to_string());
            }
            Ok((epoch, clock))
        })
        .collect()
}

/// A `d/{date}` value: the day's figures as [`DayStatus`] JSON, for that date.
pub(crate) fn check_day(date: &str, text: &str) -> Result<(), String> {
    NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| format!("{date:?} is not a date YYYY-MM-DD"))?;
    let day: DayStatus = serde_json::from_str(text).map_err(|e| format!("not a day's figures ({e})"))?;
    if day.date != date {
        return Err(format!("the figures are of {}, not {date}", day.date));
    }
    Ok(())
}

/// The epoch a change's operations cut, if they write `meta/epoch`.
pub(crate) fn cut_epoch_of(ops: &[DoorOp<'_>]) -> Option<u64> {
    let key = schema::meta(Meta::Epoch);
    ops.iter().find_map(|op| match (op.key, op.action) {
        // As Automerge's `as_u64` reads it.
        (Some(k), Action::Put(v)) if k == key => match v {
            Put::Uint(n) => Some(n),
            Put::Int(n) | Put::Timestamp(n) | Put::Counter(n) => Some(n as u64),
            Put::F64(f) => Some(f as u64),
            _ => Some(0),
        },
        _ => None,
    })
}

/// A cut must be made by its epoch's actor (so that two devices making the same cut make the
/// same change).
pub(crate) fn check_cut_actor(ops: &[DoorOp<'_>], actor: &str) -> Result<(), String> {
    let uid_key = schema::meta(Meta::Uid);
    let uid = ops.iter().find_map(|op| match (op.key, op.action) {
        (Some(k), Action::Put(Put::Str(v))) if k == uid_key => Some(v.to_string()),
        _ => None,
    });
    let (Some(uid), Some(epoch)) = (uid, cut_epoch_of(ops)) else {
        return Err("a cut carries the area's uid and its epoch".into());
    };
    let expected = epoch_actor(&uid, epoch);
    if actor == expected { Ok(()) } else { Err(format!("a cut of epoch {epoch} is made by {expected}, not {actor}")) }
}
