//! One area = one Automerge document.
//!
//! # Schema
//! The document is a single flat map at the root holding scalars only. No write ever creates an
//! object, so no two devices can ever create "the same" object concurrently: in Automerge two
//! concurrent `put_object` calls on one key create two objects and one hides the other, which
//! in a nested `households/{id}/{field}` schema would silently drop a whole visit. Here every
//! field of every household is its own key:
//!
//! | key | value |
//! |---|---|
//! | `schema` | `1` |
//! | `profile` | the criteria profile's TOML text |
//! | `meta/id`, `meta/name`, `meta/ward`, `meta/uid`, `meta/created_at`, `meta/created_by` | area metadata |
//! | `m/{peer}/name`, `m/{peer}/role`, `m/{peer}/added_by`, `m/{peer}/added_at`, `m/{peer}/removed` | the member roster |
//! | `h/{hh}/{field}` | a profile field: `Uint` count or `"yes"`/`"no"`/`"unknown"` |
//! | `h/{hh}/@group`, `h/{hh}/@address`, `h/{hh}/@archived` | where the house is; archived or not |
//! | `h/{hh}/@at`, `h/{hh}/@by` | when and by which device the household was last written |
//! | `h/{hh}/@consent`, `@consent_at`, `@consent_method`, `@consent_ref`, `@consent_notice`, `@consent_by` | the resident's consent ([`crate::consent`]) |
//!
//! So: concurrent edits of different fields touch different keys and both survive; concurrent
//! edits of one field are an ordinary Automerge conflict, with the same winner on every replica
//! and the loser still readable through `get_all` ([`Area::conflicts`]); archiving sets one key
//! and leaves every field as it was. Household ids cannot contain `/`, so keys split unambiguously,
//! and `map_range` over `h/{hh}/` reads one household without scanning the others.
//!
//! The roster follows the same rule: a member is five scalar keys, and removing one sets only
//! `m/{peer}/removed`, so a member's entry (and whatever it wrote) stays readable. A removal
//! concurrent with a re-add is a conflict on that one key: every replica shows the same winner,
//! the other value stays readable, and writing the flag again settles it.
//!
//! The Automerge actor id of a device is the UTF-8 bytes of its peer id, so the history and the
//! conflicts say which device wrote what.

use std::collections::BTreeMap;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Automerge, ChangeHash, ObjId, ROOT, ReadDoc, ScalarValueRef, ValueRef};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::consent::{ConsentChange, ConsentGiven, ConsentMethod, ConsentState, ConsentView};
use crate::error::ModelError;
use crate::eval::{self, Evaluation, Household};
use crate::ids::{validate_area_id, validate_household_id};
use crate::profile::Profile;
use crate::schema::{self, Key, MemberAttr, Meta, Slot};
use crate::value::Value;

mod households;
mod reads;
mod requires;
mod roster;

pub use crate::ids::{ROLES, actor_text, validate_relay};
pub(crate) use crate::ids::{check_text, relay_peer, validate_peer_key, validate_recipient};
pub use crate::schema::SCHEMA_VERSION;
pub use crate::text::rfc3339;

/// What `kdc area create` gives.
#[derive(Debug, Clone)]
pub struct NewArea {
    pub id: String,
    pub name: String,
    pub ward: String,
    /// A profile's TOML text; `None` for `kdc-so-v1`.
    pub profile_toml: Option<String>,
}

/// A household write as the user typed it: values are parsed against the area's profile.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HouseholdWrite {
    pub id: String,
    pub group: Option<String>,
    pub address: Option<String>,
    pub fields: Vec<(String, String)>,
    /// Consent given with this write (required by an `add` on a profile that asks for consent,
    /// and by a `set` of a household whose consent is not given yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<ConsentGiven>,
}

/// `kdc area list` row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaSummary {
    pub id: String,
    pub name: String,
    pub ward: String,
    pub households: u64,
    /// The oldest release that reads the area as it is ([`crate::compat`]); absent from a
    /// release that did not say.
    #[serde(default)]
    pub requires: String,
}

/// `kdc status --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub area: String,
    pub name: String,
    pub ward: String,
    pub profile: String,
    /// The whole area's figures (households, declined, certified, incomplete, required
    /// met/total, criteria), at the top level of the JSON as before; `status.households` reads
    /// through ([`std::ops::Deref`]).
    #[serde(flatten)]
    pub evaluation: Evaluation,
    pub groups: Vec<GroupStatus>,
    /// When this device last synced the area with each other active member (filled in by the
    /// daemon, which knows; empty when read from a file).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members_sync: Vec<MemberSync>,
}

/// A status is its area's [`Evaluation`] with the area's names, groups and syncs.
impl std::ops::Deref for Status {
    type Target = Evaluation;
    fn deref(&self) -> &Evaluation {
        &self.evaluation
    }
}

impl std::ops::DerefMut for Status {
    fn deref_mut(&mut self) -> &mut Evaluation {
        &mut self.evaluation
    }
}

/// One member's last sync with this device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberSync {
    pub peer_id: String,
    pub name: String,
    /// RFC 3339; `null` when never synced (kept across restarts).
    pub last_sync: Option<String>,
}

/// The figures of one residential group (tổ dân phố).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupStatus {
    /// The group name; `""` for households recorded without one.
    pub group: String,
    #[serde(flatten)]
    pub evaluation: Evaluation,
}

/// `kdc household show --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HouseholdView {
    pub id: String,
    pub area: String,
    pub group: Option<String>,
    pub address: Option<String>,
    pub archived: bool,
    pub fields: BTreeMap<String, Value>,
    pub criteria: BTreeMap<String, Option<bool>>,
    pub updated_at: Option<String>,
    pub updated_by: Option<String>,
    /// Name of the updating device on the roster, when known.
    pub updated_by_name: Option<String>,
    pub consent: ConsentView,
}

/// `kdc household list --json` row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HouseholdListItem {
    pub id: String,
    pub group: Option<String>,
    pub address: Option<String>,
    pub archived: bool,
    pub missing: Vec<String>,
    /// `given`, `refused`, `withdrawn` or `none`: a declined household is not visited again.
    pub consent: String,
    /// What it lacks for each criterion of `missing`, in its own figures.
    #[serde(default)]
    pub gaps: Vec<eval::Gap>,
}

/// A roster entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub peer_id: String,
    pub name: String,
    pub role: String,
    pub added_by: Option<String>,
    pub added_at: Option<String>,
    pub removed: bool,
    /// The member's age recipient (a ward office's key): exported snapshot files are encrypted
    /// to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    /// The epoch of the area this member's device last said it holds (erasure by epochs).
    #[serde(default)]
    pub epoch: u64,
}

/// Concurrent values of one household field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conflict {
    pub household: String,
    pub field: String,
    /// The value every replica shows.
    pub winner: String,
    pub values: Vec<ConflictValue>,
    /// Set when the value every replica shows is not one the profile allows (it then reads as
    /// unknown): why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictValue {
    pub value: String,
    pub peer_id: String,
    pub name: Option<String>,
}

/// An area registry document with its parsed profile.
#[derive(Debug, Clone)]
pub struct Area {
    pub(crate) doc: Automerge,
    pub(crate) profile: Profile,
}

impl Area {
    /// Creates a new area document. `actor` is this device's peer id; `now_ms` unix millis.
    /// The creating device becomes the first member, with role `head`.
    pub fn create(new: NewArea, actor: &str, device_name: &str, now_ms: i64) -> Result<Area, ModelError> {
        validate_area_id(&new.id)?;
        check_text("name", &new.name, true)?;
        check_text("ward", &new.ward, true)?;
        let profile = match &new.profile_toml {
            Some(text) => Profile::from_toml(text)?,
            None => Profile::default_v1(),
        };
        let mut hasher = Sha256::new();
        hasher.update(new.id.as_bytes());
        hasher.update(actor.as_bytes());
        hasher.update(now_ms.to_be_bytes());
        let uid = hex_prefix(&hasher.finalize(), 16);
        let mut doc = Automerge::new().with_actor(ActorId::from(actor.as_bytes()));
        let mut tx = doc.transaction();
        let m = |attr| schema::member(actor, attr);
        let mut puts: Vec<(String, automerge::ScalarValue)> = vec![
            (Key::Schema.to_string(), SCHEMA_VERSION.into()),
            (Key::Profile.to_string(), profile.source().into()),
            (schema::meta(Meta::Id), new.id.as_str().into()),
            (schema::meta(Meta::Name), new.name.trim().into()),
            (schema::meta(Meta::Ward), new.ward.trim().into()),
            (schema::meta(Meta::Uid), uid.into()),
            (schema::meta(Meta::CreatedAt), automerge::ScalarValue::Timestamp(now_ms)),
            (schema::meta(Meta::CreatedBy), actor.into()),
            (m(MemberAttr::Name), device_name.into()),
            (m(MemberAttr::Role), "head".into()),
            (m(MemberAttr::AddedBy), actor.into()),
            (m(MemberAttr::AddedAt), automerge::ScalarValue::Timestamp(now_ms)),
            (m(MemberAttr::Removed), false.into()),
        ];
        if profile.max_declined().is_some() {
            let since = crate::compat::Feature::MaxDeclined.since().to_string();
            puts.push((schema::meta(Meta::Requires), since.into()));
        }
        for (k, v) in puts {
            tx.put(ROOT, k, v).map_err(corrupt)?;
        }
        tx.commit_with(CommitOptions::default().with_time(now_ms / 1000).with_message("create area"));
        Ok(Area { doc, profile })
    }

    /// Loads a document saved by [`Area::save`], optionally followed by chunks from
    /// [`Area::save_after`]. `actor` is this device's peer id.
    ///
    /// Automerge 0.12 can panic on some malformed documents (found by the `foreign_document`
    /// fuzz target: a column that runs past its slab); that panic is contained here and read as
    /// a corrupt document, like any other decoding error.
    pub fn load(bytes: &[u8], actor: &str) -> Result<Area, ModelError> {
        crate::chunks::check(bytes)?;
        let loaded = std::panic::catch_unwind(|| Automerge::load(bytes))
            .map_err(|_| ModelError::Corrupt("the document does not decode (Automerge failed on it)".into()))?;
        let doc = loaded.map_err(|e| ModelError::Corrupt(e.to_string()))?;
        Area::from_doc(doc.with_actor(ActorId::from(actor.as_bytes())))
    }

    /// [`Area::load`] of a whole document from elsewhere (a snapshot file), every change
    /// checked at the door ([`Area::check_all`]) — unless `passed` remembers these exact bytes
    /// passing this door before; bytes that pass are remembered there.
    pub fn load_checked(bytes: &[u8], actor: &str, passed: Option<&crate::check::Passed>) -> Result<Area, ModelError> {
        let key = passed.map(|_| crate::check::Passed::key(bytes));
        match (passed, key) {
            (Some(passed), Some(key)) if passed.contains(&key) => Area::load(bytes, actor),
            (passed, key) => {
                let area = Area::load_and_check(bytes, actor)?;
                if let (Some(passed), Some(key)) = (passed, key) {
                    passed.insert(key);
                }
                Ok(area)
            }
        }
    }

    /// The figures of a whole document from elsewhere (an area of a snapshot file), read from
    /// its own bytes without loading it into Automerge: its changes checked at the door as
    /// [`Area::load_checked`] checks them, its households read from the operations that stand
    /// (`columns.rs`). What Automerge's loading alone would find wrong (a checksum, heads that
    /// are not the changes' hashes) is not looked for: a caller that keeps, merges or passes on
    /// the document loads it. `Ok(None)`: the bytes are not read this way (not one document
    /// chunk, a checksum that does not match, changes stored before their dependencies, an
    /// operation in no change…): load them, and Automerge and the door say why.
    ///
    /// Invariant: when [`Area::load_checked`] takes the bytes, this gives `None` or the same
    /// [`Area::status`]; when the door refuses them, this gives `None` or the same refusal.
    pub fn status_of_bytes(bytes: &[u8]) -> Result<Option<Status>, ModelError> {
        crate::chunks::check(bytes)?;
        Area::door_on_bytes(bytes, |whole, profile, id, _| {
            let mut households = reads::Households::new(profile, None);
            for (key, value, conflict) in &whole.state {
                households.add(key, Some(crate::check::Scalar::from(value)), *conflict);
            }
            let households = households.finish();
            let text = |key: &str| match whole.get(key) {
                Some(crate::check::Put::Str(s)) => s.to_string(),
                _ => String::new(),
            };
            let (name, ward) = (text(&schema::meta(Meta::Name)), text(&schema::meta(Meta::Ward)));
            reads::status_of(profile, id, name, ward, &households)
        })
    }

    /// The door's verdict on a whole document from its bytes alone, as [`Area::status_of_bytes`]
    /// reads them (it needs no Automerge, so it can run beside Automerge's load of the same
    /// bytes). The document chunk may be followed by chunks of later changes (how a device
    /// stores an area between compactions, and sends it whole in a first sync): those are
    /// checked after it, in order, as [`Area::check_whole`] checks them. `None`: not read this
    /// way — the bytes do not start with one document chunk the columns read, do not read as
    /// an area, or a later change writes the profile or schema (the door then needs the
    /// document's final profile) — ask [`Area::check_whole`].
    pub(crate) fn door_verdict(bytes: &[u8]) -> Option<Result<(), ModelError>> {
        // What Automerge's parser (the later changes') must not see; it runs beside the load,
        // whose own guard may not have refused them yet.
        crate::chunks::check(bytes).ok()?;
        let (_, _, mut rest) = crate::chunks::chunk(bytes)?;
        let document = &bytes[..bytes.len() - rest.len()];
        let mut later = Vec::new();
        while !rest.is_empty() {
            let (_, _, next) = crate::chunks::chunk(rest)?;
            later.push(automerge::Change::try_from(&rest[..rest.len() - next.len()]).ok()?);
            rest = next;
        }
        let (profile, schema) = (Key::Profile.to_string(), Key::Schema.to_string());
        let rewrites = |c: &automerge::Change| {
            c.decode().operations.iter().any(|op| {
                let op = crate::check::DoorOp::from(op);
                op.root && op.key.is_some_and(|k| k == profile || k == schema)
            })
        };
        if later.iter().any(rewrites) {
            return None;
        }
        match Area::door_on_bytes(document, |_, _, _, door| door.check_more(&later)) {
            Ok(Some(Ok(()))) => Some(Ok(())),
            Ok(Some(Err(bad))) | Err(ModelError::BadChange(bad)) => Some(Err(ModelError::BadChange(bad))),
            _ => None,
        }
    }

    /// [`Area::load`] and the door on a whole document from elsewhere, the two side by side:
    /// the door reads the bytes' own columns ([`Area::door_verdict`]) while Automerge loads
    /// them, and [`Area::check_whole`] runs after the load only when those do not read.
    fn load_and_check(bytes: &[u8], actor: &str) -> Result<Area, ModelError> {
        let (area, verdict) = std::thread::scope(|s| {
            let door = s.spawn(|| Area::door_verdict(bytes));
            let area = Area::load(bytes, actor);
            (area, door.join().ok().flatten())
        });
        let area = area?;
        match verdict {
            Some(verdict) => verdict?,
            None => area.check_whole(bytes)?,
        }
        Ok(area)
    }

    /// Reads a whole document's bytes without Automerge ([`crate::columns::Changes::Stored`]),
    /// reads its profile and id, runs the door over every change and hands what it read to
    /// `then`. `Ok(None)`: not read this way.
    fn door_on_bytes<T>(
        bytes: &[u8],
        then: impl FnOnce(&crate::columns::Whole<'_>, &Profile, String, &mut crate::check::Door<'_>) -> T,
    ) -> Result<Option<T>, ModelError> {
        let Some(parsed) = crate::columns::Document::parse(bytes) else { return Ok(None) };
        if !crate::chunks::checksum_valid(bytes) {
            return Ok(None);
        }
        let Ok(whole) = parsed.read(crate::columns::Changes::Stored, "") else { return Ok(None) };
        let text = |key: &str| match whole.get(key) {
            Some(crate::check::Put::Str(s)) => Some(*s),
            _ => None,
        };
        // As Automerge's `ScalarValue::as_u64` reads it.
        let schema = whole.get(&Key::Schema.to_string()).and_then(|v| match *v {
            crate::check::Put::Uint(n) => Some(n),
            crate::check::Put::Int(n) | crate::check::Put::Counter(n) | crate::check::Put::Timestamp(n) => {
                Some(n as u64)
            }
            crate::check::Put::F64(n) => Some(n as u64),
            _ => None,
        });
        let id = text(&schema::meta(Meta::Id));
        let profile = profile_of(schema, text(&Key::Profile.to_string()), id)?;
        let id = id.unwrap_or_default().to_string();
        let mut door =
            crate::check::Door { area: id.clone(), profile: &profile, roster: Default::default(), genesis: true };
        whole
            .check(|c| door.change(crate::ids::actor_text(c.actor), c.no_deps, c.ops, c.requires))
            .map_err(ModelError::BadChange)?;
        Ok(Some(then(&whole, &profile, id, &mut door)))
    }

    pub(crate) fn from_doc(doc: Automerge) -> Result<Area, ModelError> {
        let profile = Area::read_profile(&doc)?;
        Ok(Area { doc, profile })
    }

    /// What [`Area::from_doc`] reads, without taking the document: its profile, once the
    /// document reads as an area (schema version, profile, a valid id).
    pub(crate) fn read_profile(doc: &Automerge) -> Result<Profile, ModelError> {
        let schema = match doc.get(ROOT, "schema").map_err(corrupt)? {
            Some((automerge::Value::Scalar(s), _)) => s.as_u64(),
            _ => None,
        };
        let profile = get_str(doc, &Key::Profile.to_string());
        let id = get_str(doc, &schema::meta(Meta::Id));
        profile_of(schema, profile.as_deref(), id.as_deref())
    }

    /// Applies a chunk of changes (from [`Area::save_after`] or a snapshot). Changes already
    /// present are ignored, so applying a chunk twice is harmless.
    pub fn load_incremental(&mut self, bytes: &[u8]) -> Result<(), ModelError> {
        crate::chunks::check(bytes)?;
        let mut next = self.doc.clone();
        next.load_incremental(bytes).map_err(|e| ModelError::Corrupt(e.to_string()))?;
        self.replace_doc(next)
    }

    /// Merges another replica of this area into this one. What it brings is checked at the door
    /// ([`crate::check`]) against this replica's roster; on an error nothing changes.
    pub fn merge(&mut self, other: &Area) -> Result<(), ModelError> {
        let (mine, theirs) = (self.epoch(), other.epoch());
        if mine != theirs || (mine > 0 && self.cut_hash() != other.cut_hash()) {
            return Err(ModelError::InvalidInput {
                field: "epoch".into(),
                message: format!(
                    "area {}: this copy is of epoch {mine} and the other of epoch {theirs}{}; copies of different \
                     epochs never merge (a household was erased in between)",
                    self.id(),
                    if mine == theirs { ", cut apart" } else { "" }
                ),
            });
        }
        let mut next = self.doc.clone();
        let mut theirs = other.doc.clone();
        let before = self.heads();
        let roster = self.roster_ids();
        next.merge(&mut theirs).map_err(|e| ModelError::InvalidInput {
            field: "snapshot".into(),
            message: format!("area {}: the documents cannot be merged: {e}", self.id()),
        })?;
        let next = Area::from_doc(next)?;
        next.check_since(&before, roster)?;
        *self = next;
        Ok(())
    }

    /// Checks every change after `before` at the door. `roster`: the peers on the roster as of
    /// `before` (empty, with `before` empty, for a document received whole).
    pub(crate) fn check_since(
        &self,
        before: &[ChangeHash],
        roster: std::collections::BTreeSet<String>,
    ) -> Result<(), ModelError> {
        let changes = self.doc.get_changes(before);
        crate::check::Door { area: self.id(), profile: &self.profile, roster, genesis: before.is_empty() }
            .check(&changes)
            .map_err(ModelError::BadChange)
    }

    /// Checks the whole document at the door, as received from elsewhere: from the change that
    /// created it, every change must follow the schema and be made by a device on the roster.
    pub fn check_all(&self) -> Result<(), ModelError> {
        self.check_since(&[], Default::default())
    }

    /// [`Area::check_all`] of a document loaded from `bytes` (exactly those: a document chunk as
    /// [`Area::save`] writes, possibly followed by chunks of changes): the door reads the
    /// document chunk's operations from its columns ([`crate::columns`]) rather than from
    /// changes Automerge rebuilds, then the changes after it; bytes it cannot read that way are
    /// checked change by change.
    pub fn check_whole(&self, bytes: &[u8]) -> Result<(), ModelError> {
        let Some((0, _, rest)) = crate::chunks::chunk(bytes) else { return self.check_all() };
        let first = &bytes[..bytes.len() - rest.len()];
        // The document chunk alone, when changes follow it (what a sync can bring in several
        // messages): the operations it holds are only in its own columns.
        let alone;
        let doc = if rest.is_empty() {
            &self.doc
        } else {
            match std::panic::catch_unwind(|| Automerge::load(first)) {
                Ok(Ok(doc)) => {
                    alone = doc;
                    &alone
                }
                _ => return self.check_all(),
            }
        };
        let area = self.id();
        let mut door = crate::check::Door {
            area: area.clone(),
            profile: &self.profile,
            roster: Default::default(),
            genesis: true,
        };
        let read = crate::columns::read(first, doc, &area, |c| {
            door.change(crate::ids::actor_text(c.actor), c.no_deps, c.ops, c.requires)
        });
        match read {
            crate::columns::Read::Checked(Err(bad)) => Err(ModelError::BadChange(bad)),
            crate::columns::Read::Checked(Ok(())) if rest.is_empty() => Ok(()),
            crate::columns::Read::Checked(Ok(())) => self.check_since(&doc.get_heads(), door.roster),
            crate::columns::Read::Unread => self.check_all(),
        }
    }

    /// Every peer ever on the roster, removed ones included.
    pub(crate) fn roster_ids(&self) -> std::collections::BTreeSet<String> {
        self.members().into_iter().map(|m| m.peer_id).collect()
    }

    /// Takes a changed document only if it still reads as an area; otherwise keeps the old one.
    fn replace_doc(&mut self, next: Automerge) -> Result<(), ModelError> {
        let checked = Area::from_doc(next)?;
        *self = checked;
        Ok(())
    }

    pub fn save(&self) -> Vec<u8> {
        self.doc.save()
    }

    pub fn heads(&self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// The changes made since `heads`, as a chunk for [`Area::load_incremental`].
    pub fn save_after(&self, heads: &[ChangeHash]) -> Vec<u8> {
        self.doc.save_after(heads)
    }

    /// The underlying document, for the sync protocol and history.
    pub fn doc(&self) -> &Automerge {
        &self.doc
    }

    pub fn id(&self) -> String {
        get_str(&self.doc, &schema::meta(Meta::Id)).unwrap_or_default()
    }

    pub fn name(&self) -> String {
        get_str(&self.doc, &schema::meta(Meta::Name)).unwrap_or_default()
    }

    pub fn ward(&self) -> String {
        get_str(&self.doc, &schema::meta(Meta::Ward)).unwrap_or_default()
    }

    /// A random-looking id fixed at creation: two areas created apart with the same id differ here.
    pub fn uid(&self) -> String {
        get_str(&self.doc, &schema::meta(Meta::Uid)).unwrap_or_default()
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    pub fn summary(&self) -> AreaSummary {
        let households = self.households().iter().filter(|h| !h.archived).count() as u64;
        AreaSummary {
            id: self.id(),
            name: self.name(),
            ward: self.ward(),
            households,
            requires: self.requires().release.to_string(),
        }
    }
}

/// The profile of a document whose root map holds `schema` (as Automerge's `as_u64` reads it),
/// `profile` and `meta/id` (as strings): what makes it read as an area.
fn profile_of(schema: Option<u64>, profile: Option<&str>, id: Option<&str>) -> Result<Profile, ModelError> {
    if schema.is_none_or(|v| v < 1) {
        return Err(ModelError::Corrupt("not a KDC area document (no schema version)".into()));
    }
    let profile_text = profile.ok_or_else(|| ModelError::Corrupt("the document holds no criteria profile".into()))?;
    let profile = Profile::from_toml(profile_text)?;
    let id = id.ok_or_else(|| ModelError::Corrupt("the document has no area id".into()))?;
    validate_area_id(id).map_err(|e| ModelError::Corrupt(e.to_string()))?;
    Ok(profile)
}

fn get_str(doc: &Automerge, key: &str) -> Option<String> {
    match doc.get(ROOT, key).ok().flatten() {
        Some((automerge::Value::Scalar(s), _)) => s.as_str().map(str::to_string),
        _ => None,
    }
}

fn scalar_str(s: &ScalarValueRef<'_>) -> Option<String> {
    match s {
        ScalarValueRef::Str(s) => Some(s.to_string()),
        _ => None,
    }
}

fn scalar_time(s: &ScalarValueRef<'_>) -> Option<i64> {
    match s {
        ScalarValueRef::Timestamp(t) | ScalarValueRef::Int(t) => Some(*t),
        _ => None,
    }
}

fn display_value(v: &automerge::Value<'_>) -> String {
    match v {
        automerge::Value::Scalar(s) => match s.as_ref() {
            automerge::ScalarValue::Str(s) => s.to_string(),
            automerge::ScalarValue::Boolean(b) => if *b { "yes" } else { "no" }.to_string(),
            other => other.to_string(),
        },
        automerge::Value::Object(_) => String::new(),
    }
}

fn corrupt(e: automerge::AutomergeError) -> ModelError {
    ModelError::Corrupt(e.to_string())
}

fn hex_prefix(bytes: &[u8], n: usize) -> String {
    bytes.iter().take(n / 2).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod actor_tests {
    use automerge::ActorId;

    #[test]
    fn actors_are_peer_ids_or_hex() {
        assert_eq!(super::actor_text(&ActorId::from(b"12D3KooWAbc".as_slice())), "12D3KooWAbc");
        assert_eq!(super::actor_text(&ActorId::from([0xff, 0x00, 0x10].as_slice())), "ff0010");
        assert_eq!(super::actor_text(&ActorId::from("tên máy".as_bytes())), hexed("tên máy"));
    }

    fn hexed(s: &str) -> String {
        s.bytes().map(|b| format!("{b:02x}")).collect()
    }
}
