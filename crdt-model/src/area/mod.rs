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

mod requires;

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
        let area = Area::load(bytes, actor)?;
        match (passed, key) {
            (Some(passed), Some(key)) if passed.contains(&key) => {}
            (passed, key) => {
                area.check_all()?;
                if let (Some(passed), Some(key)) = (passed, key) {
                    passed.insert(key);
                }
            }
        }
        Ok(area)
    }

    pub(crate) fn from_doc(doc: Automerge) -> Result<Area, ModelError> {
        let profile = Area::read_profile(&doc)?;
        Ok(Area { doc, profile })
    }

    /// What [`Area::from_doc`] reads, without taking the document: its profile, once the
    /// document reads as an area (schema version, profile, a valid id).
    pub(crate) fn read_profile(doc: &Automerge) -> Result<Profile, ModelError> {
        match doc.get(ROOT, "schema").map_err(corrupt)? {
            Some((automerge::Value::Scalar(s), _)) if s.as_u64().is_some_and(|v| v >= 1) => {}
            _ => return Err(ModelError::Corrupt("not a KDC area document (no schema version)".into())),
        }
        let profile_text = get_str(&doc, &Key::Profile.to_string())
            .ok_or_else(|| ModelError::Corrupt("the document holds no criteria profile".into()))?;
        let profile = Profile::from_toml(&profile_text)?;
        let id = get_str(&doc, &schema::meta(Meta::Id))
            .ok_or_else(|| ModelError::Corrupt("the document has no area id".into()))?;
        validate_area_id(&id).map_err(|e| ModelError::Corrupt(e.to_string()))?;
        Ok(profile)
    }

    /// Applies a chunk of changes (from [`Area::save_after`] or a snapshot). Changes already
    /// present are ignored, so applying a chunk twice is harmless.
    pub fn load_incremental(&mut self, bytes: &[u8]) -> Result<(), ModelError> {
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

    /// One household, archived or not.
    pub fn household(&self, hh: &str) -> Option<Household> {
        read_households(&self.doc, &self.profile, schema::household_keys(hh)).into_iter().next()
    }

    /// Every household, archived ones included, sorted by id.
    pub fn households(&self) -> Vec<Household> {
        read_households(&self.doc, &self.profile, schema::households())
    }

    /// The whole area's figures as they were at `heads` (a past state of this document), with
    /// the profile it held then; read in place, without building that state.
    pub(crate) fn evaluation_at(&self, heads: &[ChangeHash]) -> Result<Evaluation, ModelError> {
        let text = match self.doc.get_at(ROOT, "profile", heads).map_err(corrupt)? {
            Some((automerge::Value::Scalar(s), _)) => s.as_str().map(str::to_string),
            _ => None,
        }
        .ok_or_else(|| ModelError::Corrupt("the document holds no criteria profile then".into()))?;
        let profile = Profile::from_toml(&text)?;
        let households = households_from(self.doc.map_range_at(ROOT, schema::households(), heads), &profile, None);
        Ok(eval::evaluate(&profile, &households))
    }

    /// The evaluation of the whole area and of each residential group.
    pub fn status(&self) -> Status {
        self.status_of(&self.households())
    }

    /// [`Area::status`] and [`Area::conflicts`] from one pass over the households' keys (what a
    /// board shows; reading the keys is most of the cost of either).
    pub fn status_and_conflicts(&self) -> (Status, Vec<Conflict>) {
        let mut conflicted = Vec::new();
        let households = read_households_noting(&self.doc, &self.profile, schema::households(), Some(&mut conflicted));
        let names = self.member_names();
        let conflicts = conflicted.iter().filter_map(|key| self.conflict_at(key, &names)).collect();
        (self.status_of(&households), conflicts)
    }

    fn status_of(&self, households: &[Household]) -> Status {
        let all = eval::evaluate(&self.profile, households);
        // Spellings of one group that differ only in case or spacing are one group, under the
        // spelling most of its households use.
        let mut groups: BTreeMap<String, (BTreeMap<&str, usize>, Vec<&Household>)> = BTreeMap::new();
        for h in households.iter().filter(|h| !h.archived) {
            let name = h.group.as_deref().unwrap_or_default();
            let (spellings, members) = groups.entry(crate::ids::group_key(name)).or_default();
            *spellings.entry(name).or_default() += 1;
            members.push(h);
        }
        let groups = groups
            .into_values()
            .map(|(spellings, hs)| {
                let group = usual_spelling(&spellings).map(|g| g.to_string()).unwrap_or_default();
                GroupStatus { group, evaluation: eval::evaluate(&self.profile, hs) }
            })
            .collect();
        Status {
            area: self.id(),
            name: self.name(),
            ward: self.ward(),
            profile: self.profile.id().to_string(),
            evaluation: all,
            groups,
            members_sync: Vec::new(),
        }
    }

    pub fn household_view(&self, hh: &str) -> Result<HouseholdView, ModelError> {
        let h = self.household(hh).ok_or_else(|| ModelError::NotFound { what: "household", id: hh.to_string() })?;
        let criteria = self
            .profile
            .criteria()
            .iter()
            .map(|c| (c.id.clone(), eval::household_meets(&self.profile, c, &h)))
            .collect();
        let names = self.member_names();
        Ok(HouseholdView {
            id: h.id,
            area: self.id(),
            group: h.group,
            address: h.address,
            archived: h.archived,
            fields: h.fields,
            criteria,
            updated_at: h.updated_at.map(rfc3339),
            updated_by_name: h.updated_by.as_ref().and_then(|p| names.get(p).cloned()),
            updated_by: h.updated_by,
            consent: ConsentView::from(&h.consent),
        })
    }

    /// The worklist: households (in a group, not meeting a criterion) with what they miss.
    pub fn household_list(
        &self,
        group: Option<&str>,
        missing: Option<&str>,
        include_archived: bool,
    ) -> Result<Vec<HouseholdListItem>, ModelError> {
        if let Some(c) = missing {
            if self.profile.criterion(c).is_none() {
                let ids: Vec<&str> = self.profile.criteria().iter().map(|c| c.id.as_str()).collect();
                return Err(ModelError::invalid(
                    "missing",
                    format!("unknown criterion {c:?}; allowed: {}", ids.join(", ")),
                ));
            }
        }
        Ok(self
            .households()
            .into_iter()
            .filter(|h| include_archived || !h.archived)
            .filter(|h| {
                group.is_none_or(|g| {
                    crate::ids::group_key(h.group.as_deref().unwrap_or_default()) == crate::ids::group_key(g)
                })
            })
            .map(|h| {
                let gaps = if h.archived { Vec::new() } else { eval::gaps(&self.profile, &h) };
                let missing = gaps.iter().map(|g| g.criterion().to_string()).collect();
                let consent = h.consent.state_str().to_string();
                HouseholdListItem {
                    id: h.id,
                    group: h.group,
                    address: h.address,
                    archived: h.archived,
                    missing,
                    consent,
                    gaps,
                }
            })
            .filter(|item| missing.is_none_or(|c| item.missing.iter().any(|m| m == c)))
            .collect())
    }

    /// Records a new household. Refused if the id exists on this device already.
    pub fn add_household(&mut self, w: HouseholdWrite, by: &str, now_ms: i64) -> Result<(), ModelError> {
        validate_household_id(&w.id)?;
        // One house, one code, whatever its case: "t3-045" where "T3-045" exists is T3-045.
        if let Some(existing) = self.household_code(&w.id) {
            return Err(ModelError::Exists { what: "household", id: existing });
        }
        let mut w = w;
        w.group = w.group.map(|g| self.group_name(&g));
        if w.consent.is_none() && self.profile.requires_consent() {
            return Err(ModelError::invalid(
                "consent",
                "this area records a household only with the resident's consent: give it (verbal or written) \
                 with the household, or record the refusal on its own",
            ));
        }
        self.write_household(&Household::default(), w, by, now_ms, true)
    }

    /// Changes fields of an existing household. Writing a field that is in conflict resolves it.
    pub fn set_household(&mut self, w: HouseholdWrite, by: &str, now_ms: i64) -> Result<(), ModelError> {
        validate_household_id(&w.id)?;
        let current =
            self.household(&w.id).ok_or_else(|| ModelError::NotFound { what: "household", id: w.id.clone() })?;
        if w.fields.is_empty() && w.group.is_none() && w.address.is_none() && w.consent.is_none() {
            return Err(ModelError::invalid("fields", "nothing to set; give FIELD=VALUE pairs"));
        }
        let mut w = w;
        w.group = w.group.map(|g| self.group_name(&g));
        if w.consent.is_none()
            && !current.consent.is_given()
            && (current.consent.is_declined() || self.profile.requires_consent())
        {
            return Err(ModelError::invalid(
                "consent",
                format!(
                    "household {} has no consent given (consent: {}); nothing can be recorded until the resident gives it",
                    w.id,
                    current.consent.state_str()
                ),
            ));
        }
        self.write_household(&current, w, by, now_ms, false)
    }

    /// The house code recorded for `hh` whatever its case (`t3-045` finds `T3-045`), if any.
    pub fn household_code(&self, hh: &str) -> Option<String> {
        if self.doc.map_range(ROOT, schema::household_keys(hh)).next().is_some() {
            return Some(hh.to_string());
        }
        let mut last = String::new();
        for item in self.doc.map_range(ROOT, schema::households()) {
            let Some(Key::Household { hh: code, .. }) = Key::parse(&item.key) else { continue };
            if code != last {
                if code.eq_ignore_ascii_case(hh) {
                    return Some(code.to_string());
                }
                last.clear();
                last.push_str(code);
            }
        }
        None
    }

    /// The spelling of the area's group that `name` names (ignoring case and spacing), or
    /// `name` trimmed when it is a new group.
    pub fn group_name(&self, name: &str) -> String {
        let key = crate::ids::group_key(name);
        let mut spellings: BTreeMap<String, usize> = BTreeMap::new();
        for item in self.doc.map_range(ROOT, schema::households()) {
            if let Some(Key::Household { slot: Slot::Group, .. }) = Key::parse(&item.key)
                && let ValueRef::Scalar(s) = &item.value
                && let Some(g) = scalar_str(s)
                && crate::ids::group_key(&g) == key
            {
                *spellings.entry(g).or_default() += 1;
            }
        }
        usual_spelling(&spellings).unwrap_or_else(|| name.trim().to_string())
    }

    /// House codes that name one house in different cases (recorded before codes were matched
    /// whatever their case, or by an older device), each set sorted: what the head resolves by
    /// keeping one household and archiving the others.
    pub fn code_duplicates(&self) -> Vec<Vec<String>> {
        let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for h in self.households().into_iter().filter(|h| !h.archived) {
            by_key.entry(h.id.to_ascii_lowercase()).or_default().push(h.id);
        }
        by_key.into_values().filter(|ids| ids.len() > 1).collect()
    }

    /// Groups recorded under more than one spelling (case or spacing): for each, the spelling
    /// the figures use (the most common) and every spelling with its number of households.
    pub fn group_spellings(&self) -> Vec<(String, Vec<(String, usize)>)> {
        let mut by_key: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        for h in self.households() {
            if let Some(g) = h.group {
                *by_key.entry(crate::ids::group_key(&g)).or_default().entry(g).or_default() += 1;
            }
        }
        by_key
            .into_values()
            .filter(|s| s.len() > 1)
            .map(|s| (usual_spelling(&s).unwrap_or_default(), s.into_iter().collect()))
            .collect()
    }

    /// Writes `name` as the group of every household whose group differs from it only in case
    /// or spacing, in one change; answers how many changed. Only the area's head may.
    pub fn merge_group(&mut self, name: &str, by: &str, now_ms: i64) -> Result<usize, ModelError> {
        match self.member(by) {
            Some(m) if m.role == "head" && !m.removed => {}
            _ => return Err(ModelError::invalid("role", "only the area's head may merge groups")),
        }
        check_text("group", name, true)?;
        let name = name.trim();
        let key = crate::ids::group_key(name);
        let to_change: Vec<String> = self
            .households()
            .into_iter()
            .filter(|h| h.group.as_deref().is_some_and(|g| g != name && crate::ids::group_key(g) == key))
            .map(|h| h.id)
            .collect();
        if to_change.is_empty() {
            return Ok(0);
        }
        let mut tx = self.doc.transaction();
        for hh in &to_change {
            tx.put(ROOT, schema::household(hh, Slot::Group), name).map_err(corrupt)?;
        }
        tx.commit_with(CommitOptions::default().with_time(now_ms / 1000).with_message(format!("merge group {name}")));
        Ok(to_change.len())
    }

    /// The built-in profile this area may move to: the default profile's newer version, when
    /// the area uses an older version of it (e.g. version 1, from before consent was asked).
    pub fn profile_upgrade(&self) -> Option<Profile> {
        let newest = Profile::default_v1();
        (self.profile.id() == newest.id() && self.profile.version() < newest.version()).then_some(newest)
    }

    /// Moves the area to [`Area::profile_upgrade`]: one write of the `profile` key, so every
    /// device evaluates the new rules once it has synced. Only the area's head may. Households
    /// recorded before keep their answers; on a profile that asks for consent they cannot be
    /// changed until the resident's consent is recorded.
    pub fn upgrade_profile(&mut self, by: &str, now_ms: i64) -> Result<u32, ModelError> {
        match self.member(by) {
            Some(m) if m.role == "head" && !m.removed => {}
            _ => return Err(ModelError::invalid("role", "only the area's head may change its criteria profile")),
        }
        let Some(newest) = self.profile_upgrade() else {
            return Err(ModelError::invalid(
                "profile",
                format!(
                    "profile {} version {} has no newer built-in version",
                    self.profile.id(),
                    self.profile.version()
                ),
            ));
        };
        let requires = newest.max_declined().and_then(|_| self.requires_put(crate::compat::Feature::MaxDeclined));
        let mut tx = self.doc.transaction();
        tx.put(ROOT, Key::Profile.to_string(), newest.source()).map_err(corrupt)?;
        if let Some((k, v)) = requires {
            tx.put(ROOT, k, v).map_err(corrupt)?;
        }
        let version = newest.version();
        tx.commit_with(
            CommitOptions::default()
                .with_time(now_ms / 1000)
                .with_message(format!("profile {} version {version}", newest.id())),
        );
        self.profile = newest;
        Ok(version)
    }

    /// Records a resident's decision. `given` needs a method and may create the household;
    /// `refused` may create it; both `refused` and `withdrawn` delete the household's fields and
    /// address in the same change, keeping its house code, group and the decision.
    pub fn record_consent(&mut self, hh: &str, c: ConsentChange, by: &str, now_ms: i64) -> Result<(), ModelError> {
        validate_household_id(hh)?;
        let current = self.household(hh);
        if current.is_none() && c.state == ConsentState::Withdrawn {
            return Err(ModelError::NotFound { what: "household", id: hh.to_string() });
        }
        if current.is_none()
            && let Some(existing) = self.household_code(hh)
        {
            return Err(ModelError::Exists { what: "household", id: existing });
        }
        let mut c = c;
        c.group = c.group.map(|g| self.group_name(&g));
        if c.state == ConsentState::Given && c.method.is_none() {
            return Err(ModelError::invalid("method", "how consent was given is needed; allowed: verbal, written"));
        }
        if c.state != ConsentState::Given && (c.method.is_some() || c.reference.is_some()) {
            return Err(ModelError::invalid("method", "a method and a form reference go with consent given only"));
        }
        if let Some(r) = &c.reference {
            check_text("ref", r, false)?;
        }
        let notice = self.notice_version(c.notice_version.as_deref())?;
        if let Some(g) = &c.group {
            check_text("group", g, false)?;
        }
        let mut tx = self.doc.transaction();
        if c.state.is_declined() {
            // Every field and the address go; the house code, group and decision stay.
            let keys: Vec<String> = tx
                .map_range(ROOT, schema::household_keys(hh))
                .filter(|item| {
                    matches!(
                        Key::parse(&item.key),
                        Some(Key::Household {
                            slot: Slot::Field(_) | Slot::Address | Slot::ConsentMethod | Slot::ConsentRef,
                            ..
                        })
                    )
                })
                .map(|item| item.key.to_string())
                .collect();
            for key in keys {
                tx.delete(ROOT, key.as_str()).map_err(corrupt)?;
            }
        }
        if let Some(g) = &c.group {
            tx.put(ROOT, schema::household(hh, Slot::Group), g.trim()).map_err(corrupt)?;
        }
        put_consent(&mut tx, hh, c.state, c.method, c.reference.as_deref(), &notice, by, now_ms)?;
        stamp(&mut tx, hh, by, now_ms)?;
        tx.commit_with(
            CommitOptions::default().with_time(now_ms / 1000).with_message(format!("consent {hh} {}", c.state)),
        );
        Ok(())
    }

    /// The notice version a consent records: the one given (checked), else the profile's.
    fn notice_version(&self, given: Option<&str>) -> Result<String, ModelError> {
        match given {
            Some(v) => {
                check_text("notice_version", v, true)?;
                Ok(v.trim().to_string())
            }
            None => Ok(self.profile.consent().map(|c| c.notice_version.clone()).unwrap_or_default()),
        }
    }

    /// Marks a household as moved away or demolished: it leaves every figure, its fields stay.
    pub fn archive_household(&mut self, hh: &str, by: &str, now_ms: i64) -> Result<(), ModelError> {
        if self.household(hh).is_none() {
            return Err(ModelError::NotFound { what: "household", id: hh.to_string() });
        }
        let mut tx = self.doc.transaction();
        tx.put(ROOT, schema::household(hh, Slot::Archived), true).map_err(corrupt)?;
        stamp(&mut tx, hh, by, now_ms)?;
        tx.commit_with(CommitOptions::default().with_time(now_ms / 1000).with_message(format!("archive {hh}")));
        Ok(())
    }

    /// Validates everything first, then writes every key in one change: all or nothing.
    fn write_household(
        &mut self,
        current: &Household,
        w: HouseholdWrite,
        by: &str,
        now_ms: i64,
        new: bool,
    ) -> Result<(), ModelError> {
        let mut updates = BTreeMap::new();
        for (field, raw) in &w.fields {
            let value = self.profile.parse_value(field, raw).map_err(|(f, m)| ModelError::invalid(f, m))?;
            if updates.insert(field.clone(), value).is_some() {
                return Err(ModelError::invalid(field.clone(), "given more than once"));
            }
        }
        self.profile.check_write(&current.fields, &updates).map_err(|(f, m)| ModelError::invalid(f, m))?;
        if let Some(g) = &w.group {
            check_text("group", g, false)?;
        }
        if let Some(a) = &w.address {
            check_text("address", a, false)?;
        }
        let notice = match &w.consent {
            Some(c) => {
                if let Some(r) = &c.reference {
                    check_text("ref", r, false)?;
                }
                Some(self.notice_version(c.notice_version.as_deref())?)
            }
            None => None,
        };
        let hh = &w.id;
        // A transaction dropped on an error is rolled back: nothing of the write stays.
        let mut tx = self.doc.transaction();
        for (field, value) in updates {
            tx.put(ROOT, schema::household(hh, Slot::Field(&field)), value.to_scalar()).map_err(corrupt)?;
        }
        if let Some(g) = &w.group {
            tx.put(ROOT, schema::household(hh, Slot::Group), g.trim()).map_err(corrupt)?;
        }
        if let Some(a) = &w.address {
            tx.put(ROOT, schema::household(hh, Slot::Address), a.trim()).map_err(corrupt)?;
        }
        if let (Some(c), Some(notice)) = (&w.consent, &notice) {
            put_consent(&mut tx, hh, ConsentState::Given, Some(c.method), c.reference.as_deref(), notice, by, now_ms)?;
        }
        stamp(&mut tx, hh, by, now_ms)?;
        let verb = if new { "add" } else { "set" };
        tx.commit_with(CommitOptions::default().with_time(now_ms / 1000).with_message(format!("{verb} {hh}")));
        Ok(())
    }

    /// The member roster, removed members included, sorted by peer id.
    pub fn members(&self) -> Vec<Member> {
        read_members(&self.doc, schema::members())
    }

    /// Whether `peer` is on the roster and not removed. Reads only that peer's keys.
    pub fn is_member(&self, peer: &str) -> bool {
        self.member(peer).is_some_and(|m| !m.removed)
    }

    /// One roster entry, removed or not.
    pub fn member(&self, peer: &str) -> Option<Member> {
        if peer.is_empty() || peer.contains('/') {
            return None;
        }
        read_members(&self.doc, schema::member_keys(peer)).into_iter().next()
    }

    /// Puts `peer` on the roster with `name` and `role` (`head`, `member` or `ward`).
    ///
    /// - A new peer gets every key: name, role, added_by = `by`, added_at = `now_ms`, removed = false.
    /// - A removed peer is added again: the same, so the roster says who re-added it and when.
    /// - An active member gets its name and role updated; when it was added stays as it was.
    ///
    /// Refused (nothing written) when the role is unknown, the name empty or too long, the peer
    /// id not usable as a key, or when the change would leave the area without an active head.
    /// Who may change the roster is the daemon's decision; the document only records it.
    pub fn add_member(&mut self, peer: &str, name: &str, role: &str, by: &str, now_ms: i64) -> Result<(), ModelError> {
        self.add_member_with(peer, name, role, None, by, now_ms)
    }

    /// [`Area::add_member`], also recording the member's age recipient (`age1…`): snapshot files
    /// exported from the area are then encrypted to it (a ward office's key).
    pub fn add_member_with(
        &mut self,
        peer: &str,
        name: &str,
        role: &str,
        recipient: Option<&str>,
        by: &str,
        now_ms: i64,
    ) -> Result<(), ModelError> {
        validate_peer_key(peer)?;
        if let Some(r) = recipient {
            validate_recipient(r)?;
        }
        check_text("name", name, true)?;
        if !ROLES.contains(&role) {
            return Err(ModelError::invalid("role", format!("{role:?} is not a role; allowed: {}", ROLES.join(", "))));
        }
        let current = self.member(peer).filter(|m| !m.removed);
        if role != "head" && current.as_ref().is_some_and(|m| m.role == "head") && self.active_heads() <= 1 {
            return Err(ModelError::invalid(
                "role",
                format!("{peer} is the area's last active head; make another member head first"),
            ));
        }
        let mut tx = self.doc.transaction();
        let m = |attr| schema::member(peer, attr);
        tx.put(ROOT, m(MemberAttr::Name), name.trim()).map_err(corrupt)?;
        tx.put(ROOT, m(MemberAttr::Role), role).map_err(corrupt)?;
        if current.is_none() {
            tx.put(ROOT, m(MemberAttr::AddedBy), by).map_err(corrupt)?;
            tx.put(ROOT, m(MemberAttr::AddedAt), automerge::ScalarValue::Timestamp(now_ms)).map_err(corrupt)?;
            tx.put(ROOT, m(MemberAttr::Removed), false).map_err(corrupt)?;
        }
        if let Some(r) = recipient {
            tx.put(ROOT, m(MemberAttr::Recipient), r.trim()).map_err(corrupt)?;
        }
        let verb = if current.is_some() { "update member" } else { "add member" };
        tx.commit_with(CommitOptions::default().with_time(now_ms / 1000).with_message(format!("{verb} {peer}")));
        Ok(())
    }

    /// Marks `peer` as removed. Its entry stays (history and conflicts still name it); only
    /// `removed` changes. Removing a removed member writes the flag again, which also settles a
    /// concurrent add/remove conflict. Refused when `peer` was never on the roster, and when it
    /// is the last active head.
    pub fn remove_member(&mut self, peer: &str, by: &str, now_ms: i64) -> Result<(), ModelError> {
        let member = self.member(peer).ok_or_else(|| ModelError::NotFound { what: "member", id: peer.to_string() })?;
        if !member.removed && member.role == "head" && self.active_heads() <= 1 {
            return Err(ModelError::invalid(
                "peer_id",
                format!("{peer} is the area's last active head and cannot be removed; make another member head first"),
            ));
        }
        let mut tx = self.doc.transaction();
        tx.put(ROOT, schema::member(peer, MemberAttr::Removed), true).map_err(corrupt)?;
        tx.commit_with(
            CommitOptions::default().with_time(now_ms / 1000).with_message(format!("remove member {peer} (by {by})")),
        );
        Ok(())
    }

    /// The area's relays (full multiaddrs ending in `/p2p/PEER`), sorted by peer id.
    pub fn relays(&self) -> Vec<String> {
        self.doc
            .map_range(ROOT, schema::relays())
            .filter_map(|item| match &item.value {
                ValueRef::Scalar(s) => scalar_str(s),
                _ => None,
            })
            .collect()
    }

    /// Adds a relay (`/…/p2p/PEER`). Adding one already there writes nothing. Who may change
    /// the relays is the daemon's decision (the head, like the roster).
    pub fn add_relay(&mut self, addr: &str, by: &str, now_ms: i64) -> Result<(), ModelError> {
        let addr = addr.trim();
        let peer = relay_peer(addr)?;
        validate_relay(addr, peer)?;
        if self.relays().iter().any(|r| r == addr) {
            return Ok(());
        }
        let requires = self.requires_put(crate::compat::Feature::Relays);
        let mut tx = self.doc.transaction();
        tx.put(ROOT, Key::Relay { peer }.to_string(), addr).map_err(corrupt)?;
        if let Some((k, v)) = requires {
            tx.put(ROOT, k, v).map_err(corrupt)?;
        }
        tx.commit_with(
            CommitOptions::default().with_time(now_ms / 1000).with_message(format!("add relay {addr} (by {by})")),
        );
        Ok(())
    }

    /// Removes a relay, given its address or its peer id. Refused when the area has no such relay.
    pub fn remove_relay(&mut self, addr: &str, by: &str, now_ms: i64) -> Result<(), ModelError> {
        let addr = addr.trim();
        let peer = relay_peer(addr).unwrap_or(addr);
        let key = Key::Relay { peer }.to_string();
        if peer.is_empty() || peer.contains('/') || self.doc.get(ROOT, &key).ok().flatten().is_none() {
            return Err(ModelError::NotFound { what: "relay", id: addr.to_string() });
        }
        let mut tx = self.doc.transaction();
        tx.delete(ROOT, key).map_err(corrupt)?;
        tx.commit_with(
            CommitOptions::default().with_time(now_ms / 1000).with_message(format!("remove relay {addr} (by {by})")),
        );
        Ok(())
    }

    /// The `meta/requires` put a change using `feature` carries, unless the document already
    /// states that release or a later one.
    fn requires_put(&self, feature: crate::compat::Feature) -> Option<(String, automerge::ScalarValue)> {
        let since = feature.since();
        if self.stated_requires().is_some_and(|v| v >= since) {
            return None;
        }
        Some((schema::meta(Meta::Requires), since.to_string().into()))
    }

    fn active_heads(&self) -> usize {
        self.members().iter().filter(|m| !m.removed && m.role == "head").count()
    }

    fn member_names(&self) -> BTreeMap<String, String> {
        self.members().into_iter().map(|m| (m.peer_id, m.name)).collect()
    }

    /// Household fields (and group, address, archived) that hold concurrent values.
    /// Values that no profile field allows (written by another program, or before values were
    /// checked at the door) are listed too, with `invalid` saying why; they read as unknown.
    pub fn conflicts(&self) -> Vec<Conflict> {
        self.status_and_conflicts().1
    }

    /// The conflict of one household key, when its concurrent values differ.
    fn conflict_at(&self, key: &str, names: &BTreeMap<String, String>) -> Option<Conflict> {
        let Some(Key::Household { hh, slot }) = Key::parse(key) else { return None };
        if matches!(slot, Slot::At | Slot::By | Slot::ConsentAt | Slot::ConsentBy) {
            return None; // Bookkeeping: every concurrent visit writes these.
        }
        let all = self.doc.get_all(ROOT, key).ok()?;
        let values: Vec<ConflictValue> = all
            .iter()
            .map(|(v, id)| {
                let peer_id = match id {
                    ObjId::Id(_, actor, _) => actor_text(actor),
                    ObjId::Root => String::new(),
                };
                ConflictValue { value: display_value(v), name: names.get(&peer_id).cloned(), peer_id }
            })
            .collect();
        let (winner, _) = self.doc.get(ROOT, key).ok()??;
        let invalid = match (slot, &winner) {
            (Slot::Field(f), automerge::Value::Scalar(s)) => {
                crate::check::field_value(&self.profile, f, crate::check::Scalar::from(s.as_ref())).err()
            }
            (Slot::Field(_), automerge::Value::Object(_)) => Some("an object, not a value".to_string()),
            _ => None,
        };
        // Two visits that wrote the same value agree: nothing for anyone to resolve.
        if invalid.is_none() && (values.len() < 2 || values.iter().all(|v| v.value == values[0].value)) {
            return None;
        }
        let winner = display_value(&winner);
        Some(Conflict { household: hh.to_string(), field: slot.name().to_string(), winner, values, invalid })
    }
}

/// The spelling of a group most of its households use (ties: the first in order): the one the
/// figures show and a new write takes.
fn usual_spelling<K: Ord + Clone>(spellings: &BTreeMap<K, usize>) -> Option<K> {
    spellings.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(g, _)| g.clone())
}

fn read_households<R: std::ops::RangeBounds<String> + 'static>(
    doc: &Automerge,
    profile: &Profile,
    range: R,
) -> Vec<Household> {
    read_households_noting(doc, profile, range, None)
}

/// [`read_households`], also noting the keys that hold concurrent values or a value the profile
/// does not allow (which reads as not recorded). Keys of no known shape are skipped.
fn read_households_noting<R: std::ops::RangeBounds<String> + 'static>(
    doc: &Automerge,
    profile: &Profile,
    range: R,
    noted: Option<&mut Vec<String>>,
) -> Vec<Household> {
    households_from(doc.map_range(ROOT, range), profile, noted)
}

/// The households a run of the root map's items holds (the current ones, or those at some
/// heads: [`Area::evaluation_at`]).
fn households_from(
    items: automerge::iter::MapRange<'_>,
    profile: &Profile,
    mut noted: Option<&mut Vec<String>>,
) -> Vec<Household> {
    let mut out: Vec<Household> = Vec::new();
    for item in items {
        let Some(Key::Household { hh, slot }) = Key::parse(&item.key) else { continue };
        if out.last().is_none_or(|h| h.id != hh) {
            // Checked once per household (a bad code's keys are each skipped here).
            if crate::ids::validate_household_id(hh).is_err() {
                continue;
            }
            out.push(Household { id: hh.to_string(), ..Default::default() });
        }
        let h = out.last_mut().expect("pushed above");
        let mut note = item.conflict;
        match (&item.value, slot) {
            (ValueRef::Scalar(s), Slot::Group) => h.group = scalar_str(s).filter(|g| !g.is_empty()),
            (ValueRef::Scalar(s), Slot::Address) => h.address = scalar_str(s).filter(|a| !a.is_empty()),
            (ValueRef::Scalar(s), Slot::Archived) => h.archived = matches!(s, ScalarValueRef::Boolean(true)),
            (ValueRef::Scalar(s), Slot::At) => h.updated_at = scalar_time(s),
            (ValueRef::Scalar(s), Slot::By) => h.updated_by = scalar_str(s),
            (ValueRef::Scalar(s), Slot::Consent) => {
                h.consent.state = scalar_str(s).and_then(|v| ConsentState::parse(&v));
            }
            (ValueRef::Scalar(s), Slot::ConsentAt) => h.consent.at = scalar_time(s),
            (ValueRef::Scalar(s), Slot::ConsentMethod) => {
                h.consent.method = scalar_str(s).and_then(|v| ConsentMethod::parse(&v));
            }
            (ValueRef::Scalar(s), Slot::ConsentRef) => h.consent.reference = scalar_str(s),
            (ValueRef::Scalar(s), Slot::ConsentNotice) => h.consent.notice_version = scalar_str(s),
            (ValueRef::Scalar(s), Slot::ConsentBy) => h.consent.by = scalar_str(s),
            (ValueRef::Scalar(s), Slot::Field(f)) => match crate::check::field_value(profile, f, s.into()) {
                Ok(v) => {
                    h.fields.insert(f.to_string(), v);
                }
                Err(_) => note = true,
            },
            (ValueRef::Object(_), Slot::Field(_)) => note = true,
            (ValueRef::Object(_), _) => {}
        }
        if note && let Some(n) = noted.as_mut() {
            n.push(item.key.to_string());
        }
    }
    // A declined household keeps nothing, whatever a concurrent write left behind.
    if out.iter().any(|h| h.consent.is_declined()) {
        for h in out.iter_mut().filter(|h| h.consent.is_declined()) {
            h.fields.clear();
            h.address = None;
        }
        if let Some(n) = noted.as_mut() {
            let declined: std::collections::BTreeSet<&str> =
                out.iter().filter(|h| h.consent.is_declined()).map(|h| h.id.as_str()).collect();
            n.retain(|key| match Key::parse(key) {
                Some(Key::Household { hh, slot: Slot::Field(_) | Slot::Address }) => !declined.contains(hh),
                _ => true,
            });
        }
    }
    out
}

fn read_members<R: std::ops::RangeBounds<String> + 'static>(doc: &Automerge, range: R) -> Vec<Member> {
    let mut out: BTreeMap<String, Member> = BTreeMap::new();
    for item in doc.map_range(ROOT, range) {
        let Some(Key::Member { peer, attr }) = Key::parse(&item.key) else { continue };
        let m = out.entry(peer.to_string()).or_insert_with(|| Member {
            peer_id: peer.to_string(),
            name: String::new(),
            role: "member".into(),
            added_by: None,
            added_at: None,
            removed: false,
            recipient: None,
            epoch: 0,
        });
        let ValueRef::Scalar(s) = &item.value else { continue };
        match attr {
            MemberAttr::Name => m.name = scalar_str(s).unwrap_or_default(),
            MemberAttr::Role => m.role = scalar_str(s).unwrap_or_else(|| "member".into()),
            MemberAttr::AddedBy => m.added_by = scalar_str(s),
            MemberAttr::AddedAt => m.added_at = scalar_time(s).map(rfc3339),
            MemberAttr::Removed => m.removed = matches!(s, ScalarValueRef::Boolean(true)),
            MemberAttr::Recipient => m.recipient = scalar_str(s),
            MemberAttr::Epoch => {
                if let ScalarValueRef::Uint(v) = s {
                    m.epoch = *v;
                }
            }
        }
    }
    out.into_values().collect()
}

#[allow(clippy::too_many_arguments)]
fn put_consent(
    tx: &mut automerge::transaction::Transaction<'_>,
    hh: &str,
    state: ConsentState,
    method: Option<ConsentMethod>,
    reference: Option<&str>,
    notice: &str,
    by: &str,
    now_ms: i64,
) -> Result<(), ModelError> {
    let key = |slot| schema::household(hh, slot);
    tx.put(ROOT, key(Slot::Consent), state.as_str()).map_err(corrupt)?;
    tx.put(ROOT, key(Slot::ConsentAt), automerge::ScalarValue::Timestamp(now_ms)).map_err(corrupt)?;
    tx.put(ROOT, key(Slot::ConsentBy), by).map_err(corrupt)?;
    if !notice.is_empty() {
        tx.put(ROOT, key(Slot::ConsentNotice), notice).map_err(corrupt)?;
    }
    if let Some(m) = method {
        tx.put(ROOT, key(Slot::ConsentMethod), m.as_str()).map_err(corrupt)?;
    }
    match reference.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => tx.put(ROOT, key(Slot::ConsentRef), r).map_err(corrupt)?,
        // A new consent without a reference leaves no reference of an earlier one behind.
        None => {
            if tx.get(ROOT, key(Slot::ConsentRef)).map_err(corrupt)?.is_some() {
                tx.delete(ROOT, key(Slot::ConsentRef)).map_err(corrupt)?;
            }
        }
    }
    Ok(())
}

fn stamp(tx: &mut automerge::transaction::Transaction<'_>, hh: &str, by: &str, now_ms: i64) -> Result<(), ModelError> {
    tx.put(ROOT, schema::household(hh, Slot::At), automerge::ScalarValue::Timestamp(now_ms)).map_err(corrupt)?;
    tx.put(ROOT, schema::household(hh, Slot::By), by).map_err(corrupt)?;
    Ok(())
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
