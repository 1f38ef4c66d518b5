//! Criteria profiles: which fields a household has and which criteria an area must meet.
//!
//! A profile is data, read from TOML (see `profiles/kdc-so-v1.toml` for the format, with
//! comments). [`Profile::from_toml`] refuses a profile that could not be evaluated and names the
//! problem. Thresholds are decimals kept as exact fractions, so "> 0.90" is decided in integers.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::value::{Answer, Value};

/// The text of the default profile, `kdc-so-v1`.
pub const DEFAULT_PROFILE_TOML: &str = include_str!("../profiles/kdc-so-v1.toml");

/// Names of household keys that are not profile fields; a profile may not use them.
pub const RESERVED_FIELDS: &[&str] = &["id", "group", "address", "archived", "households", "business_households"];

/// A profile that does not make sense. The message names the field or criterion at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProfileError(pub String);

/// Human output language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Vi,
    En,
}

/// A text in Vietnamese and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Labels {
    pub vi: String,
    pub en: String,
}

impl Labels {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Vi => &self.vi,
            Lang::En => &self.en,
        }
    }
}

/// What kind of value a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// An integer in `min..=max`.
    Count,
    /// `yes` or `no`.
    YesNo,
    /// `yes`, `no` or `unknown`.
    YesNoUnknown,
}

/// One household field of a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: FieldType,
    #[serde(default)]
    pub min: Option<u32>,
    #[serde(default)]
    pub max: Option<u32>,
    /// The count this count is part of (can never exceed).
    #[serde(default)]
    pub part_of: Option<String>,
    /// May only be recorded on a business household.
    #[serde(default)]
    pub business_only: bool,
    #[serde(default)]
    pub label: Labels,
}

impl FieldDef {
    fn range(&self) -> (u32, u32) {
        (self.min.unwrap_or(0), self.max.unwrap_or(u32::MAX))
    }

    /// What values are allowed, in words, for error messages.
    pub fn allowed(&self) -> String {
        match self.kind {
            FieldType::Count => {
                let (min, max) = self.range();
                format!("an integer from {min} to {max}")
            }
            FieldType::YesNo => "yes or no (có, không)".into(),
            FieldType::YesNoUnknown => "yes, no or unknown (có, không, chưa rõ)".into(),
        }
    }
}

/// Whose answers a criterion counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Households answering yes, over active households.
    Household,
    /// A count summed over households, over another count summed over households.
    Person,
    /// Business households answering yes, over active business households.
    Business,
}

/// The comparison of a criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }
}

/// A threshold from 0 to 1 kept as the exact fraction `num / den` of the decimal that was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threshold {
    pub num: u64,
    pub den: u64,
}

impl Threshold {
    /// Parses a decimal such as `0.90`, `1`, `1.00` or a percentage `90%`.
    pub fn parse(text: &str) -> Result<Threshold, String> {
        let t = text.trim();
        let (digits, scale_extra) = match t.strip_suffix('%') {
            Some(p) => (p.trim(), 2u32),
            None => (t, 0u32),
        };
        let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
        if int_part.is_empty() && frac_part.is_empty()
            || !int_part.chars().all(|c| c.is_ascii_digit())
            || !frac_part.chars().all(|c| c.is_ascii_digit())
            || frac_part.len() > 9
            || int_part.len() > 3
        {
            return Err(format!("{text:?} is not a decimal number such as 0.90 or 90%"));
        }
        let scale = frac_part.len() as u32 + scale_extra;
        let den = 10u64.pow(scale);
        let int: u64 =
            if int_part.is_empty() { 0 } else { int_part.parse().map_err(|_| format!("{text:?} is too large"))? };
        let frac: u64 = if frac_part.is_empty() {
            0
        } else {
            frac_part.parse().map_err(|_| format!("{text:?} is not a number"))?
        };
        let num = int * 10u64.pow(frac_part.len() as u32) + frac;
        if num > den {
            return Err(format!("{text:?} is larger than 1 (100%)"));
        }
        let g = gcd(num, den).max(1);
        Ok(Threshold { num: num / g, den: den / g })
    }

    pub fn as_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// Whether `numerator / denominator` passes `op` against this threshold, in exact integers.
    /// `denominator` must not be 0.
    pub fn passes(self, op: Op, numerator: u64, denominator: u64) -> bool {
        let lhs = numerator as u128 * self.den as u128;
        let rhs = self.num as u128 * denominator as u128;
        match op {
            Op::Gt => lhs > rhs,
            Op::Ge => lhs >= rhs,
        }
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The profile's `[consent]` table: whether a household's data may be written only with the
/// resident's recorded consent, and the notice read to the resident before the first question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentDef {
    /// Writing a field or an address needs consent `given`.
    #[serde(default = "yes")]
    pub required: bool,
    /// Recorded with each consent, so it is known which text the resident heard.
    pub notice_version: String,
    /// The notice, Vietnamese and English.
    pub notice: Labels,
}

/// One criterion of a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriterionDef {
    pub id: String,
    pub level: Level,
    /// A yes/no field (household, business) or a count field (person).
    pub numerator: String,
    /// The count field summed as the denominator (person level only).
    pub denominator: Option<String>,
    pub op: Op,
    pub threshold: Threshold,
    pub required: bool,
    pub label: Labels,
}

/// A profile as the API gives it (`GET /v1/areas/{area}/profile`): everything a client needs to
/// build a form and explain the criteria, with thresholds as numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileInfo {
    pub id: String,
    pub version: u32,
    pub label: Labels,
    pub business_field: Option<String>,
    pub fields: Vec<FieldDef>,
    pub criteria: Vec<CriterionInfo>,
    /// `null` for a profile without a `[consent]` table.
    #[serde(default)]
    pub consent: Option<ConsentDef>,
}

/// One criterion of a [`ProfileInfo`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionInfo {
    pub id: String,
    pub level: Level,
    pub numerator: String,
    pub denominator: Option<String>,
    pub op: String,
    pub threshold: f64,
    pub required: bool,
    pub label: Labels,
}

/// A parsed, checked criteria profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    id: String,
    version: u32,
    label: Labels,
    business_field: Option<String>,
    fields: Vec<FieldDef>,
    criteria: Vec<CriterionDef>,
    consent: Option<ConsentDef>,
    /// The largest share of declined households (consent refused or withdrawn) an area may
    /// have and still be certified: the ward's policy; `None` sets no limit.
    max_declined: Option<Threshold>,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    id: String,
    #[serde(default = "one")]
    version: u32,
    #[serde(default)]
    label: Labels,
    #[serde(default)]
    business_field: Option<String>,
    #[serde(default)]
    fields: Vec<FieldDef>,
    #[serde(default)]
    criteria: Vec<RawCriterion>,
    #[serde(default)]
    consent: Option<ConsentDef>,
    #[serde(default)]
    max_declined: Option<toml::Value>,
}

fn one() -> u32 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCriterion {
    id: String,
    level: Level,
    numerator: String,
    #[serde(default)]
    denominator: Option<String>,
    op: Op,
    threshold: toml::Value,
    #[serde(default = "yes")]
    required: bool,
    #[serde(default)]
    label: Labels,
}

/// A threshold written as a number or a string (`0.9`, `"0.90"`, `1`).
fn threshold_of(v: &toml::Value) -> Result<Threshold, String> {
    let text = match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Float(f) => format!("{f}"),
        toml::Value::Integer(i) => format!("{i}"),
        other => return Err(format!("{other} is not a number")),
    };
    Threshold::parse(&text)
}

fn yes() -> bool {
    true
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Profile {
    /// The default profile, `kdc-so-v1`.
    pub fn default_v1() -> Profile {
        Profile::from_toml(DEFAULT_PROFILE_TOML).expect("the built-in profile is valid")
    }

    /// Parses and checks a profile.
    pub fn from_toml(text: &str) -> Result<Profile, ProfileError> {
        // Every area document carries its profile's text, nearly always the same one: a report
        // over thousands of files parses it once per thread, not once per file.
        thread_local! {
            static LAST: std::cell::RefCell<Option<(String, Profile)>> = const { std::cell::RefCell::new(None) };
        }
        let known = LAST.with_borrow(|last| last.as_ref().filter(|(t, _)| t == text).map(|(_, p)| p.clone()));
        if let Some(profile) = known {
            return Ok(profile);
        }
        let profile = Profile::parse_toml(text)?;
        LAST.set(Some((text.to_string(), profile.clone())));
        Ok(profile)
    }

    fn parse_toml(text: &str) -> Result<Profile, ProfileError> {
        let raw: RawProfile =
            toml::from_str(text).map_err(|e| ProfileError(format!("not a valid profile file: {e}")))?;
        let err = |m: String| Err(ProfileError(m));
        if !is_identifier_dash(&raw.id) {
            return err(format!("id {:?}: use 1 to 64 of a-z, 0-9, '-' and '_'", raw.id));
        }
        let mut ids = BTreeSet::new();
        for f in &raw.fields {
            if !is_identifier(&f.id) {
                return err(format!("field {:?}: a field id is 1 to 64 of a-z, 0-9 and '_'", f.id));
            }
            if RESERVED_FIELDS.contains(&f.id.as_str()) {
                return err(format!("field {:?}: this name is reserved", f.id));
            }
            if !ids.insert(f.id.as_str()) {
                return err(format!("field {:?} is defined twice", f.id));
            }
            match f.kind {
                FieldType::Count => {
                    let (min, max) = f.range();
                    if min > max {
                        return err(format!("field {:?}: min {min} is larger than max {max}", f.id));
                    }
                    if f.max.is_none() {
                        return err(format!("field {:?}: a count needs a max", f.id));
                    }
                }
                _ => {
                    if f.min.is_some() || f.max.is_some() || f.part_of.is_some() {
                        return err(format!("field {:?}: min, max and part_of are for counts only", f.id));
                    }
                }
            }
        }
        let by_id: BTreeMap<&str, &FieldDef> = raw.fields.iter().map(|f| (f.id.as_str(), f)).collect();
        for f in &raw.fields {
            if let Some(parent) = &f.part_of {
                match by_id.get(parent.as_str()) {
                    Some(p) if p.kind == FieldType::Count => {}
                    Some(_) => return err(format!("field {:?}: part_of {parent:?} is not a count", f.id)),
                    None => return err(format!("field {:?}: part_of {parent:?} is not a field", f.id)),
                }
                // A chain of part_of must end: walk it and refuse a cycle.
                let mut seen = BTreeSet::from([f.id.as_str()]);
                let mut cur = parent.as_str();
                loop {
                    if !seen.insert(cur) {
                        return err(format!("field {:?}: part_of forms a cycle", f.id));
                    }
                    match by_id.get(cur).and_then(|d| d.part_of.as_deref()) {
                        Some(next) => cur = next,
                        None => break,
                    }
                }
            }
        }
        if let Some(b) = &raw.business_field {
            match by_id.get(b.as_str()) {
                Some(d) if d.kind == FieldType::YesNo => {}
                Some(_) => return err(format!("business_field {b:?} must be a yes_no field")),
                None => return err(format!("business_field {b:?} is not a field")),
            }
        }
        if raw.fields.iter().any(|f| f.business_only) && raw.business_field.is_none() {
            return err("a field is business_only but the profile has no business_field".into());
        }
        let mut criteria = Vec::new();
        let mut cids = BTreeSet::new();
        for c in raw.criteria {
            if !is_identifier(&c.id) {
                return err(format!("criterion {:?}: an id is 1 to 64 of a-z, 0-9 and '_'", c.id));
            }
            if !cids.insert(c.id.clone()) {
                return err(format!("criterion {:?} is defined twice", c.id));
            }
            let kind_of = |name: &str| by_id.get(name).map(|d| d.kind);
            let answer = |k: Option<FieldType>| matches!(k, Some(FieldType::YesNo | FieldType::YesNoUnknown));
            match c.level {
                Level::Household | Level::Business => {
                    if !answer(kind_of(&c.numerator)) {
                        return err(format!(
                            "criterion {:?}: numerator {:?} must be a yes/no field",
                            c.id, c.numerator
                        ));
                    }
                    let expected = if c.level == Level::Household { "households" } else { "business_households" };
                    if let Some(d) = &c.denominator {
                        if d != expected {
                            return err(format!(
                                "criterion {:?}: a {} criterion's denominator is {expected:?}",
                                c.id,
                                level_name(c.level)
                            ));
                        }
                    }
                    if c.level == Level::Business && raw.business_field.is_none() {
                        return err(format!("criterion {:?}: a business criterion needs business_field", c.id));
                    }
                }
                Level::Person => {
                    if kind_of(&c.numerator) != Some(FieldType::Count) {
                        return err(format!("criterion {:?}: numerator {:?} must be a count field", c.id, c.numerator));
                    }
                    match c.denominator.as_deref() {
                        Some(d) if kind_of(d) == Some(FieldType::Count) => {}
                        Some(d) => {
                            return err(format!("criterion {:?}: denominator {d:?} must be a count field", c.id));
                        }
                        None => return err(format!("criterion {:?}: a person criterion needs a denominator", c.id)),
                    }
                }
            }
            let threshold =
                threshold_of(&c.threshold).map_err(|m| ProfileError(format!("criterion {:?}: threshold {m}", c.id)))?;
            criteria.push(CriterionDef {
                id: c.id,
                level: c.level,
                numerator: c.numerator,
                denominator: c.denominator.filter(|_| c.level == Level::Person),
                op: c.op,
                threshold,
                required: c.required,
                label: c.label,
            });
        }
        if criteria.is_empty() {
            return err("the profile has no criteria".into());
        }
        if let Some(c) = &raw.consent {
            let v = &c.notice_version;
            if v.trim().is_empty() || v.chars().count() > 32 || v.chars().any(char::is_control) {
                return err(format!("consent.notice_version {v:?}: 1 to 32 characters, no control characters"));
            }
            for (lang, text) in [("vi", &c.notice.vi), ("en", &c.notice.en)] {
                if text.trim().is_empty() || text.chars().count() > 4000 {
                    return err(format!("consent.notice.{lang}: the notice text, 1 to 4000 characters"));
                }
            }
        }
        let max_declined = match &raw.max_declined {
            None => None,
            Some(v) => Some(threshold_of(v).map_err(|m| ProfileError(format!("max_declined {m}")))?),
        };
        Ok(Profile {
            id: raw.id,
            version: raw.version,
            label: raw.label,
            business_field: raw.business_field,
            fields: raw.fields,
            criteria,
            consent: raw.consent,
            max_declined,
            source: text.to_string(),
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// The profile as plain data for clients.
    pub fn describe(&self) -> ProfileInfo {
        ProfileInfo {
            id: self.id.clone(),
            version: self.version,
            label: self.label.clone(),
            business_field: self.business_field.clone(),
            fields: self.fields.clone(),
            criteria: self
                .criteria
                .iter()
                .map(|c| CriterionInfo {
                    id: c.id.clone(),
                    level: c.level,
                    numerator: c.numerator.clone(),
                    denominator: c.denominator.clone(),
                    op: c.op.as_str().to_string(),
                    threshold: c.threshold.as_f64(),
                    required: c.required,
                    label: c.label.clone(),
                })
                .collect(),
            consent: self.consent.clone(),
        }
    }

    /// The `[consent]` table, if the profile has one.
    pub fn consent(&self) -> Option<&ConsentDef> {
        self.consent.as_ref()
    }

    /// The largest share of declined households a certified area may have (`None`: no limit).
    pub fn max_declined(&self) -> Option<Threshold> {
        self.max_declined
    }

    /// Whether writing a household's data needs its consent `given`.
    pub fn requires_consent(&self) -> bool {
        self.consent.as_ref().is_some_and(|c| c.required)
    }

    pub fn version(&self) -> u32 {
        self.version
    }

    pub fn label(&self) -> &Labels {
        &self.label
    }

    /// The TOML text this profile was read from; stored in the area document.
    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn fields(&self) -> &[FieldDef] {
        &self.fields
    }

    pub fn field(&self, id: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.id == id)
    }

    pub fn criteria(&self) -> &[CriterionDef] {
        &self.criteria
    }

    pub fn criterion(&self, id: &str) -> Option<&CriterionDef> {
        self.criteria.iter().find(|c| c.id == id)
    }

    /// The yes/no field that marks a business household.
    pub fn business_field(&self) -> Option<&str> {
        self.business_field.as_deref()
    }

    /// Parses a value as the user typed it for `field`, and checks its range.
    pub fn parse_value(&self, field: &str, raw: &str) -> Result<Value, (String, String)> {
        let Some(def) = self.field(field) else {
            let names: Vec<&str> = self.fields.iter().map(|f| f.id.as_str()).collect();
            return Err((field.to_string(), format!("unknown field; allowed fields: {}", names.join(", "))));
        };
        let bad = || (field.to_string(), format!("{raw:?} is not allowed; allowed: {}", def.allowed()));
        match def.kind {
            FieldType::Count => {
                let n: u32 = raw.trim().parse().map_err(|_| bad())?;
                let (min, max) = def.range();
                if n < min || n > max {
                    return Err(bad());
                }
                Ok(Value::Count(n))
            }
            FieldType::YesNo => match Answer::parse(raw) {
                Some(Answer::Unknown) | None => Err(bad()),
                Some(a) => Ok(Value::Answer(a)),
            },
            FieldType::YesNoUnknown => Answer::parse(raw).map(Value::Answer).ok_or_else(bad),
        }
    }

    /// Checks that `fields` after `updates` keeps every count within the count it is part of,
    /// and that business-only fields are written only on business households. Only rules that
    /// involve an updated field are checked: a merge may have left an older inconsistency, and
    /// that must not block an unrelated visit from being recorded.
    pub fn check_write(
        &self,
        fields: &BTreeMap<String, Value>,
        updates: &BTreeMap<String, Value>,
    ) -> Result<(), (String, String)> {
        let merged = |name: &str| updates.get(name).or_else(|| fields.get(name));
        for def in &self.fields {
            let Some(parent) = &def.part_of else { continue };
            if !updates.contains_key(&def.id) && !updates.contains_key(parent) {
                continue;
            }
            if let (Some(Value::Count(v)), Some(Value::Count(limit))) = (merged(&def.id), merged(parent)) {
                if v > limit {
                    let field = if updates.contains_key(&def.id) { &def.id } else { parent };
                    return Err((
                        field.clone(),
                        format!(
                            "{} ({v}) may not be larger than {parent} ({limit}); allowed: {} from 0 to {limit}",
                            def.id, def.id
                        ),
                    ));
                }
            }
        }
        if let Some(bf) = &self.business_field {
            let is_business = matches!(merged(bf), Some(Value::Answer(Answer::Yes)));
            for name in updates.keys() {
                if self.field(name).is_some_and(|d| d.business_only) && !is_business {
                    return Err((
                        name.clone(),
                        format!("only for business households; record {bf}=yes first (in the same command or before)"),
                    ));
                }
            }
        }
        Ok(())
    }
}

fn is_identifier_dash(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

pub(crate) fn level_name(level: Level) -> &'static str {
    match level {
        Level::Household => "household",
        Level::Person => "person",
        Level::Business => "business",
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(level_name(*self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_profile_matches_the_contract() {
        let p = Profile::default_v1();
        assert_eq!(p.id(), "kdc-so-v1");
        let table: Vec<(&str, Level, &str, Op, (u64, u64), bool)> = p
            .criteria()
            .iter()
            .map(|c| {
                (c.id.as_str(), c.level, c.numerator.as_str(), c.op, (c.threshold.num, c.threshold.den), c.required)
            })
            .collect();
        assert_eq!(
            table,
            vec![
                ("internet", Level::Household, "internet", Op::Ge, (1, 1), true),
                ("smartphone", Level::Person, "smartphone_users", Op::Ge, (1, 1), true),
                ("e_citizen", Level::Person, "eid_accounts", Op::Gt, (9, 10), true),
                ("cashless_account", Level::Person, "payment_accounts", Op::Gt, (9, 10), true),
                ("ecommerce", Level::Business, "ecommerce", Op::Gt, (1, 2), true),
                ("digital_map", Level::Household, "mapped", Op::Ge, (1, 1), false),
                ("digital_signature", Level::Household, "digital_signature", Op::Ge, (1, 1), true),
                ("online_public_service", Level::Household, "online_public_service", Op::Ge, (9, 10), true),
                ("qr_payment", Level::Business, "qr_payment", Op::Ge, (1, 1), true),
                ("smart_city_app", Level::Household, "smart_city_app", Op::Ge, (1, 2), false),
            ]
        );
        for c in p.criteria() {
            if c.level == Level::Person {
                assert_eq!(c.denominator.as_deref(), Some("members_14plus"));
            }
            assert!(!c.label.vi.is_empty() && !c.label.en.is_empty());
        }
        assert_eq!(p.field("members").unwrap().range(), (1, 60));
        assert_eq!(p.field("smartphone_users").unwrap().part_of.as_deref(), Some("members_14plus"));
    }

    #[test]
    fn exact_thresholds() {
        let t = Threshold::parse("0.90").unwrap();
        assert!(!t.passes(Op::Gt, 90, 100));
        assert!(t.passes(Op::Gt, 91, 100));
        assert!(t.passes(Op::Ge, 9, 10));
        assert_eq!(Threshold::parse("90%").unwrap(), t);
        assert_eq!(Threshold::parse("1").unwrap(), Threshold { num: 1, den: 1 });
        assert!(Threshold::parse("1.5").is_err());
        assert!(Threshold::parse("abc").is_err());
        assert!(Threshold::parse("").is_err());
        // A float in the file is read through its shortest decimal form: 0.9 is 9/10 exactly.
        let p = Profile::from_toml(&DEFAULT_PROFILE_TOML.replace("threshold = \"0.90\"", "threshold = 0.9")).unwrap();
        assert_eq!(p.criterion("e_citizen").unwrap().threshold, t);
    }

    #[test]
    fn invalid_profiles_are_refused_with_the_reason() {
        let cases = [
            ("threshold = \"0.90\"", "threshold = \"1.90\"", "larger than 1"),
            ("numerator = \"eid_accounts\"", "numerator = \"eid\"", "numerator \"eid\""),
            ("part_of = \"members\"", "part_of = \"nobody\"", "part_of \"nobody\""),
            ("id = \"members\"", "id = \"group\"", "reserved"),
            ("op = \">\"", "op = \"<\"", "not a valid profile file"),
            ("business_field = \"business\"", "business_field = \"internet\"", "yes_no field"),
        ];
        for (from, to, expect) in cases {
            let text = DEFAULT_PROFILE_TOML.replacen(from, to, 1);
            assert_ne!(text, DEFAULT_PROFILE_TOML, "{from}");
            let err = Profile::from_toml(&text).unwrap_err();
            assert!(err.0.contains(expect), "{from} -> {err}");
        }
        assert!(Profile::from_toml("not toml [").is_err());
        assert!(Profile::from_toml("id = \"x\"").unwrap_err().0.contains("no criteria"));
    }

    #[test]
    fn values_are_parsed_and_ranged() {
        let p = Profile::default_v1();
        assert_eq!(p.parse_value("members", "5"), Ok(Value::Count(5)));
        assert_eq!(p.parse_value("internet", "có"), Ok(Value::Answer(Answer::Yes)));
        assert_eq!(p.parse_value("internet", "chưa rõ"), Ok(Value::Answer(Answer::Unknown)));
        let (field, msg) = p.parse_value("members", "0").unwrap_err();
        assert_eq!(field, "members");
        assert!(msg.contains("from 1 to 60"), "{msg}");
        assert!(p.parse_value("members", "61").is_err());
        assert!(p.parse_value("members", "-1").is_err());
        assert!(p.parse_value("business", "unknown").unwrap_err().1.contains("yes or no"));
        assert!(p.parse_value("pets", "1").unwrap_err().1.contains("unknown field"));
    }

    #[test]
    fn cross_field_rules() {
        let p = Profile::default_v1();
        let f = |pairs: &[(&str, Value)]| pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect::<BTreeMap<_, _>>();
        let have = f(&[("members", Value::Count(4)), ("members_14plus", Value::Count(3))]);
        assert!(p.check_write(&have, &f(&[("eid_accounts", Value::Count(3))])).is_ok());
        let (field, msg) = p.check_write(&have, &f(&[("eid_accounts", Value::Count(4))])).unwrap_err();
        assert_eq!(field, "eid_accounts");
        assert!(msg.contains("from 0 to 3"), "{msg}");
        assert_eq!(p.check_write(&have, &f(&[("members", Value::Count(2))])).unwrap_err().0, "members");
        let (field, _) = p.check_write(&have, &f(&[("ecommerce", Value::Answer(Answer::Yes))])).unwrap_err();
        assert_eq!(field, "ecommerce");
        assert!(
            p.check_write(
                &have,
                &f(&[("business", Value::Answer(Answer::Yes)), ("ecommerce", Value::Answer(Answer::No))])
            )
            .is_ok()
        );
    }
}
