//! What release an area document needs ([`crate::compat`] names the releases and features).

use semver::Version;

use super::Area;
use crate::compat::{FIRST_RELEASE, Feature, Requirement};

impl Area {
    /// The oldest release that reads this document as it is now, and why.
    pub fn requires(&self) -> Requirement {
        let mut features = Vec::new();
        if !self.relays().is_empty() {
            features.push(Feature::Relays);
        }
        if self.profile().max_declined().is_some() {
            features.push(Feature::MaxDeclined);
        }
        let first = Version::parse(FIRST_RELEASE).expect("semver");
        let stated = self.stated_requires().unwrap_or_else(|| first.clone());
        let release = features.iter().map(|f| f.since()).chain([stated, first]).max().expect("not empty");
        Requirement { release, features }
    }

    /// `meta/requires`, when the document states it.
    pub(crate) fn stated_requires(&self) -> Option<Version> {
        let key = crate::schema::meta(crate::schema::Meta::Requires);
        match automerge::ReadDoc::get(&self.doc, automerge::ROOT, key).ok().flatten() {
            Some((automerge::Value::Scalar(s), _)) => s.as_str().and_then(|t| Version::parse(t).ok()),
            _ => None,
        }
    }
}
