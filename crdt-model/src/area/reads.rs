//! Reading an area: its households, their figures and conflicts, the groups' spellings.

use super::*;

impl Area {
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

    /// One household, archived or not.
    pub fn household(&self, hh: &str) -> Option<Household> {
        read_households(&self.doc, &self.profile, schema::household_keys(hh)).into_iter().next()
    }

    /// Every household, archived ones included, sorted by id.
    pub fn households(&self) -> Vec<Household> {
        read_households(&self.doc, &self.profile, schema::households())
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

    pub(super) fn status_of(&self, households: &[Household]) -> Status {
        status_of(&self.profile, self.id(), self.name(), self.ward(), households)
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

    pub(super) fn active_heads(&self) -> usize {
        self.members().iter().filter(|m| !m.removed && m.role == "head").count()
    }

    pub(super) fn member_names(&self) -> BTreeMap<String, String> {
        self.members().into_iter().map(|m| (m.peer_id, m.name)).collect()
    }

    /// Household fields (and group, address, archived) that hold concurrent values.
    /// Values that no profile field allows (written by another program, or before values were
    /// checked at the door) are listed too, with `invalid` saying why; they read as unknown.
    pub fn conflicts(&self) -> Vec<Conflict> {
        self.status_and_conflicts().1
    }

    /// The conflict of one household key, when its concurrent values differ.
    pub(super) fn conflict_at(&self, key: &str, names: &BTreeMap<String, String>) -> Option<Conflict> {
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

/// The evaluation of a whole area (`households`, archived ones included) and of each residential
/// group, under `profile`.
pub(super) fn status_of(profile: &Profile, id: String, name: String, ward: String, households: &[Household]) -> Status {
    let all = eval::evaluate(profile, households);
    // Spellings of one group that differ only in case or spacing are one group, under the
    // spelling most of its households use.
    let mut groups: BTreeMap<String, (BTreeMap<&str, usize>, Vec<&Household>)> = BTreeMap::new();
    for h in households.iter().filter(|h| !h.archived) {
        let name = h.group.as_deref().unwrap_or_default();
        let (spellings, members) = groups.entry(crate::ids::group_key(name)).or_default();
        *spellings.entry(name).or_default() += 1;
        members.push(h);
    }
    let mut groups: Vec<GroupStatus> = groups
        .into_values()
        .map(|(spellings, hs)| {
            let group = usual_spelling(&spellings).map(|g| g.to_string()).unwrap_or_default();
            GroupStatus { group, evaluation: eval::evaluate(profile, hs) }
        })
        .collect();
    // As people read them: "Tổ 2" before "Tổ 10".
    groups.sort_by(|a, b| crate::text::natural_cmp(&a.group, &b.group));
    Status {
        area: id,
        name,
        ward,
        profile: profile.id().to_string(),
        evaluation: all,
        groups,
        members_sync: Vec::new(),
    }
}

/// The spelling of a group most of its households use (ties: the first in order): the one the
/// figures show and a new write takes.
pub(super) fn usual_spelling<K: Ord + Clone>(spellings: &BTreeMap<K, usize>) -> Option<K> {
    spellings.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(g, _)| g.clone())
}

pub(super) fn read_households<R: std::ops::RangeBounds<String> + 'static>(
    doc: &Automerge,
    profile: &Profile,
    range: R,
) -> Vec<Household> {
    read_households_noting(doc, profile, range, None)
}

/// [`read_households`], also noting the keys that hold concurrent values or a value the profile
/// does not allow (which reads as not recorded). Keys of no known shape are skipped.
pub(super) fn read_households_noting<R: std::ops::RangeBounds<String> + 'static>(
    doc: &Automerge,
    profile: &Profile,
    range: R,
    noted: Option<&mut Vec<String>>,
) -> Vec<Household> {
    households_from(doc.map_range(ROOT, range), profile, noted)
}

/// The households a run of the root map's items holds (the current ones, or those at some
/// heads: [`Area::evaluation_at`]).
pub(super) fn households_from(
    items: automerge::iter::MapRange<'_>,
    profile: &Profile,
    noted: Option<&mut Vec<String>>,
) -> Vec<Household> {
    let mut out = Households::new(profile, noted);
    for item in items {
        let value = match &item.value {
            ValueRef::Scalar(s) => Some(crate::check::Scalar::from(s)),
            ValueRef::Object(_) => None,
        };
        out.add(&item.key, value, item.conflict);
    }
    out.finish()
}

/// Households built from the root map's keys in order: each key with its value (`None`: an
/// object) and whether it holds concurrent values. Keys of no household shape are skipped.
pub(super) struct Households<'p, 'n> {
    profile: &'p Profile,
    out: Vec<Household>,
    /// Where the keys that hold concurrent values or a value the profile does not allow (which
    /// reads as not recorded) are noted.
    noted: Option<&'n mut Vec<String>>,
}

impl<'p, 'n> Households<'p, 'n> {
    pub(super) fn new(profile: &'p Profile, noted: Option<&'n mut Vec<String>>) -> Self {
        Households { profile, out: Vec::new(), noted }
    }

    pub(super) fn add(&mut self, key: &str, value: Option<crate::check::Scalar<'_>>, conflict: bool) {
        use crate::check::Scalar;
        let Some(Key::Household { hh, slot }) = Key::parse(key) else { return };
        if self.out.last().is_none_or(|h| h.id != hh) {
            // Checked once per household (a bad code's keys are each skipped here).
            if crate::ids::validate_household_id(hh).is_err() {
                return;
            }
            self.out.push(Household { id: hh.to_string(), ..Default::default() });
        }
        let h = self.out.last_mut().expect("pushed above");
        let text = |s: &Scalar<'_>| match s {
            Scalar::Str(s) => Some(s.to_string()),
            _ => None,
        };
        let time = |s: &Scalar<'_>| match s {
            Scalar::Timestamp(t) | Scalar::Int(t) => Some(*t),
            _ => None,
        };
        let mut note = conflict;
        match (value, slot) {
            (Some(s), Slot::Group) => h.group = text(&s).filter(|g| !g.is_empty()),
            (Some(s), Slot::Address) => h.address = text(&s).filter(|a| !a.is_empty()),
            (Some(s), Slot::Archived) => h.archived = matches!(s, Scalar::Boolean(true)),
            (Some(s), Slot::At) => h.updated_at = time(&s),
            (Some(s), Slot::By) => h.updated_by = text(&s),
            (Some(s), Slot::Consent) => h.consent.state = text(&s).and_then(|v| ConsentState::parse(&v)),
            (Some(s), Slot::ConsentAt) => h.consent.at = time(&s),
            (Some(s), Slot::ConsentMethod) => h.consent.method = text(&s).and_then(|v| ConsentMethod::parse(&v)),
            (Some(s), Slot::ConsentRef) => h.consent.reference = text(&s),
            (Some(s), Slot::ConsentNotice) => h.consent.notice_version = text(&s),
            (Some(s), Slot::ConsentBy) => h.consent.by = text(&s),
            (Some(s), Slot::Field(f)) => match crate::check::field_value(self.profile, f, s) {
                Ok(v) => {
                    h.fields.insert(f.to_string(), v);
                }
                Err(_) => note = true,
            },
            (None, Slot::Field(_)) => note = true,
            (None, _) => {}
        }
        if note && let Some(n) = self.noted.as_mut() {
            n.push(key.to_string());
        }
    }

    pub(super) fn finish(self) -> Vec<Household> {
        let Households { mut out, mut noted, .. } = self;
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
}
