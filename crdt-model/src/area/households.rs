//! Writing households: answers, consent, archiving, group spellings, the profile's version.

use super::*;

impl Area {
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
    pub(super) fn notice_version(&self, given: Option<&str>) -> Result<String, ModelError> {
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
    pub(super) fn write_household(
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
}

#[allow(clippy::too_many_arguments)]
pub(super) fn put_consent(
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

pub(super) fn stamp(
    tx: &mut automerge::transaction::Transaction<'_>,
    hh: &str,
    by: &str,
    now_ms: i64,
) -> Result<(), ModelError> {
    tx.put(ROOT, schema::household(hh, Slot::At), automerge::ScalarValue::Timestamp(now_ms)).map_err(corrupt)?;
    tx.put(ROOT, schema::household(hh, Slot::By), by).map_err(corrupt)?;
    Ok(())
}
