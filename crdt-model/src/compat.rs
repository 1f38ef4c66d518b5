//! Releases, and what an area document written by one may hold that an older one cannot read.
//!
//! Every release's door refuses a key it does not know (see [`crate::check`]), so a document
//! that uses a feature added in a later release cannot travel to a device of an earlier one. Two
//! things follow:
//! - a device learns each peer's release (libp2p identify's agent, `kdcd/VERSION (name)`) and
//!   does not send a peer changes its release would refuse ([`crate::Area::requires`] above the peer's
//!   release): the peer still sends this device its own edits, and is named, with what to do,
//!   until it updates;
//! - a document carries the oldest release that reads it in `meta/requires` (written with the
//!   first change that needs it, never removed), so a release that meets a key it does not know
//!   can say which release the area needs instead of calling the document malformed.
//!
//! Invariant: a feature listed here is written only together with `meta/requires` at least its
//! [`Feature::since`].

use std::fmt;

use semver::Version;

/// This release (`CARGO_PKG_VERSION`).
pub const RELEASE: &str = env!("CARGO_PKG_VERSION");

/// The first release (CHANGELOG.md): what a document without `meta/requires` needs.
pub const FIRST_RELEASE: &str = "0.1.0";

/// This release, parsed.
pub fn release() -> Version {
    Version::parse(RELEASE).expect("the crate version is semver")
}

/// A release number as a document or a peer states it (`0.2.0`).
pub fn parse_version(text: &str) -> Result<Version, String> {
    Version::parse(text.trim()).map_err(|e| format!("{text:?} is not a release number like 0.2.0 ({e})"))
}

/// The release a peer announced in its libp2p identify agent (`kdcd/0.2.0 (Lan)`), if it reads.
pub fn release_of_agent(agent: &str) -> Option<Version> {
    let rest = agent.strip_prefix("kdcd/")?;
    let number = rest.split_once(' ').map_or(rest, |(n, _)| n);
    Version::parse(number).ok()
}

/// A part of the area document that releases before [`Feature::since`] refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Feature {
    /// The area's relays (`r/{peer}`).
    Relays,
    /// A profile that limits the share of declined households (`max_declined`).
    MaxDeclined,
}

impl Feature {
    pub const ALL: [Feature; 2] = [Feature::Relays, Feature::MaxDeclined];

    /// The first release that reads it.
    pub fn since(self) -> Version {
        match self {
            Feature::Relays | Feature::MaxDeclined => Version::new(0, 2, 0),
        }
    }

    /// The feature in English, for errors (people read it from the catalogue, `feature-…`).
    pub fn words(self) -> &'static str {
        match self {
            Feature::Relays => "the area's relays",
            Feature::MaxDeclined => "a limit on declined households in the profile",
        }
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.words())
    }
}

/// What reading a document takes: the oldest release, and the features that make it so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub release: Version,
    /// Features this document uses that the first release cannot read (may be empty when only
    /// `meta/requires` says so: a later release's feature this one does not know).
    pub features: Vec<Feature>,
}

impl Requirement {
    /// Whether a device of `release` takes this document.
    pub fn readable_by(&self, release: &Version) -> bool {
        *release >= self.release
    }

    /// The features a device of `release` cannot read.
    pub fn missing_for(&self, release: &Version) -> Vec<Feature> {
        self.features.iter().copied().filter(|f| f.since() > *release).collect()
    }

    /// This requirement once the document also uses `feature`.
    pub fn with(&self, feature: Feature) -> Requirement {
        let mut features = self.features.clone();
        if !features.contains(&feature) {
            features.push(feature);
        }
        Requirement { release: self.release.clone().max(feature.since()), features }
    }

    /// Of `members` (name, announced release), those who read the document now but not once it
    /// uses `feature`: they stop receiving its changes until they update. The team page and
    /// `kdc area relay add` name them before the first relay.
    pub fn stopped_by<'a>(
        &self,
        feature: Feature,
        members: impl IntoIterator<Item = (&'a str, &'a Version)>,
    ) -> Vec<(String, String)> {
        let then = self.with(feature);
        members
            .into_iter()
            .filter(|(_, v)| self.readable_by(v) && !then.readable_by(v))
            .map(|(name, v)| (name.to_string(), v.to_string()))
            .collect()
    }
}

/// The door's refusal of a document that needs a newer release than this one.
pub fn newer_release_needed(needed: &Version) -> String {
    format!(
        "this area needs KDC Sync {needed} or newer and this device has {RELEASE}: update this device \
         (kdc update, or the new release's archive) to receive it"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_and_numbers() {
        assert_eq!(release_of_agent("kdcd/0.1.0 (Lan)"), Some(Version::new(0, 1, 0)));
        assert_eq!(release_of_agent("kdcd/0.2.0"), Some(Version::new(0, 2, 0)));
        assert_eq!(release_of_agent("js-libp2p/2.0.0"), None);
        assert_eq!(release_of_agent("kdcd/abc (x)"), None);
        assert!(parse_version("0.3.0").is_ok());
        assert!(parse_version("three").unwrap_err().contains("release number"));
        assert!(release() >= Version::parse(FIRST_RELEASE).unwrap());
    }
}
