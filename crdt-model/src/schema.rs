//! The document's keys, in one place: typed builders for the writers, one parser for the
//! readers and for the check at the door ([`crate::check`]).
//!
//! | key | [`Key`] |
//! |---|---|
//! | `schema` | [`Key::Schema`] |
//! | `profile` | [`Key::Profile`] |
//! | `meta/{attr}` | [`Key::Meta`] |
//! | `m/{peer}/{attr}` | [`Key::Member`] |
//! | `h/{hh}/{field}`, `h/{hh}/@{slot}` | [`Key::Household`] |
//! | `x/{hh}` | [`Key::Erased`]: an erased household's tombstone (epochs, [`crate::epoch`]) |
//! | `d/{YYYY-MM-DD}` | [`Key::Day`]: a day's figures from before an epoch's cut |
//! | `r/{peer}` | [`Key::Relay`]: a relay the area's devices use beyond the LAN (its multiaddr) |
//!
//! Household ids and peer ids cannot contain `/`, so every key splits one way only, and the
//! byte ranges `h/{hh}/`..`h/{hh}0` and `m/{peer}/`..`m/{peer}0` hold exactly one household's or
//! one member's keys ('0' follows '/' in byte order).

use std::fmt;
use std::ops::Range;

/// The schema version written to `schema`.
pub const SCHEMA_VERSION: u64 = 1;

/// Area metadata attributes (`meta/…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meta {
    Id,
    Name,
    Ward,
    Uid,
    CreatedAt,
    CreatedBy,
    /// The document's epoch (absent: 0); written by the change that cuts it.
    Epoch,
    /// What each earlier epoch's cut included: `{epoch: {actor hex: last seq}}` as JSON.
    Cut,
    /// When the epoch was cut.
    CutAt,
    /// The oldest release that reads this document (`0.2.0`), written with the first change
    /// that uses a feature older releases refuse ([`crate::compat`]); never removed.
    Requires,
}

impl Meta {
    pub const ALL: [Meta; 10] = [
        Meta::Id,
        Meta::Name,
        Meta::Ward,
        Meta::Uid,
        Meta::CreatedAt,
        Meta::CreatedBy,
        Meta::Epoch,
        Meta::Cut,
        Meta::CutAt,
        Meta::Requires,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Meta::Id => "id",
            Meta::Name => "name",
            Meta::Ward => "ward",
            Meta::Uid => "uid",
            Meta::CreatedAt => "created_at",
            Meta::CreatedBy => "created_by",
            Meta::Epoch => "epoch",
            Meta::Cut => "cut",
            Meta::CutAt => "cut_at",
            Meta::Requires => "requires",
        }
    }

    /// Fixed when the area is created; never written again.
    pub fn is_identity(self) -> bool {
        !matches!(self, Meta::Name | Meta::Ward | Meta::Requires)
    }
}

/// Roster attributes (`m/{peer}/…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberAttr {
    Name,
    Role,
    AddedBy,
    AddedAt,
    Removed,
    /// An age recipient (`age1…`) snapshot files are encrypted to.
    Recipient,
    /// The epoch the member's device holds (erasure by epochs), written by that device.
    Epoch,
}

impl MemberAttr {
    pub const ALL: [MemberAttr; 7] = [
        MemberAttr::Name,
        MemberAttr::Role,
        MemberAttr::AddedBy,
        MemberAttr::AddedAt,
        MemberAttr::Removed,
        MemberAttr::Recipient,
        MemberAttr::Epoch,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MemberAttr::Name => "name",
            MemberAttr::Role => "role",
            MemberAttr::AddedBy => "added_by",
            MemberAttr::AddedAt => "added_at",
            MemberAttr::Removed => "removed",
            MemberAttr::Recipient => "recipient",
            MemberAttr::Epoch => "epoch",
        }
    }
}

/// What a household key holds: a profile field, or one of the `@` slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot<'a> {
    /// A profile field (`h/{hh}/{field}`).
    Field(&'a str),
    Group,
    Address,
    Archived,
    /// When the household was last written (`@at`).
    At,
    /// Which device last wrote it (`@by`).
    By,
    /// `given`, `refused` or `withdrawn` (`@consent`).
    Consent,
    /// When consent was recorded (`@consent_at`).
    ConsentAt,
    /// `verbal` or `written` (`@consent_method`).
    ConsentMethod,
    /// A paper-form reference (`@consent_ref`).
    ConsentRef,
    /// The notice version read to the resident (`@consent_notice`).
    ConsentNotice,
    /// The device that recorded it (`@consent_by`).
    ConsentBy,
}

impl<'a> Slot<'a> {
    fn parse(s: &'a str) -> Option<Slot<'a>> {
        Some(match s {
            "@group" => Slot::Group,
            "@address" => Slot::Address,
            "@archived" => Slot::Archived,
            "@at" => Slot::At,
            "@by" => Slot::By,
            "@consent" => Slot::Consent,
            "@consent_at" => Slot::ConsentAt,
            "@consent_method" => Slot::ConsentMethod,
            "@consent_ref" => Slot::ConsentRef,
            "@consent_notice" => Slot::ConsentNotice,
            "@consent_by" => Slot::ConsentBy,
            f if f.starts_with('@') || f.is_empty() || f.contains('/') => return None,
            f => Slot::Field(f),
        })
    }

    pub fn as_str(&self) -> &'a str {
        match self {
            Slot::Field(f) => f,
            Slot::Group => "@group",
            Slot::Address => "@address",
            Slot::Archived => "@archived",
            Slot::At => "@at",
            Slot::By => "@by",
            Slot::Consent => "@consent",
            Slot::ConsentAt => "@consent_at",
            Slot::ConsentMethod => "@consent_method",
            Slot::ConsentRef => "@consent_ref",
            Slot::ConsentNotice => "@consent_notice",
            Slot::ConsentBy => "@consent_by",
        }
    }

    /// The name users see: the field id, or the slot without its `@`.
    pub fn name(&self) -> &'a str {
        self.as_str().trim_start_matches('@')
    }
}

/// One root key of an area document, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key<'a> {
    Schema,
    Profile,
    Meta(Meta),
    Member {
        peer: &'a str,
        attr: MemberAttr,
    },
    Household {
        hh: &'a str,
        slot: Slot<'a>,
    },
    /// `x/{hh}`: household `hh` was erased (its house code only; the value is the cut's time).
    Erased {
        hh: &'a str,
    },
    /// `d/{YYYY-MM-DD}`: the area's figures at the end of a day before the epoch's cut.
    Day {
        date: &'a str,
    },
    /// `r/{peer}`: a relay (libp2p circuit relay v2) with peer id `peer`; the value is its full
    /// address, ending in `/p2p/{peer}`.
    Relay {
        peer: &'a str,
    },
}

impl<'a> Key<'a> {
    /// The key's meaning, or `None` for a key this schema does not have. Segments are only
    /// split here; whether a household or peer id is well formed is [`crate::check`]'s call.
    pub fn parse(key: &'a str) -> Option<Key<'a>> {
        match key {
            "schema" => return Some(Key::Schema),
            "profile" => return Some(Key::Profile),
            _ => {}
        }
        if let Some(attr) = key.strip_prefix("meta/") {
            return Meta::ALL.into_iter().find(|m| m.as_str() == attr).map(Key::Meta);
        }
        if let Some(rest) = key.strip_prefix("m/") {
            let (peer, attr) = rest.split_once('/')?;
            let attr = MemberAttr::ALL.into_iter().find(|a| a.as_str() == attr)?;
            return (!peer.is_empty()).then_some(Key::Member { peer, attr });
        }
        if let Some(rest) = key.strip_prefix("h/") {
            let (hh, slot) = rest.split_once('/')?;
            return (!hh.is_empty()).then_some(Key::Household { hh, slot: Slot::parse(slot)? });
        }
        if let Some(hh) = key.strip_prefix("x/") {
            return (!hh.is_empty() && !hh.contains('/')).then_some(Key::Erased { hh });
        }
        if let Some(peer) = key.strip_prefix("r/") {
            return (!peer.is_empty() && !peer.contains('/')).then_some(Key::Relay { peer });
        }
        if let Some(date) = key.strip_prefix("d/") {
            return (!date.is_empty() && !date.contains('/')).then_some(Key::Day { date });
        }
        None
    }
}

impl fmt::Display for Key<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Schema => f.write_str("schema"),
            Key::Profile => f.write_str("profile"),
            Key::Meta(m) => write!(f, "meta/{}", m.as_str()),
            Key::Member { peer, attr } => write!(f, "m/{peer}/{}", attr.as_str()),
            Key::Household { hh, slot } => write!(f, "h/{hh}/{}", slot.as_str()),
            Key::Erased { hh } => write!(f, "x/{hh}"),
            Key::Day { date } => write!(f, "d/{date}"),
            Key::Relay { peer } => write!(f, "r/{peer}"),
        }
    }
}

/// `meta/{attr}`.
pub fn meta(attr: Meta) -> String {
    Key::Meta(attr).to_string()
}

/// `m/{peer}/{attr}`.
pub fn member(peer: &str, attr: MemberAttr) -> String {
    Key::Member { peer, attr }.to_string()
}

/// `h/{hh}/{slot}`.
pub fn household(hh: &str, slot: Slot<'_>) -> String {
    Key::Household { hh, slot }.to_string()
}

/// Every household key.
pub fn households() -> Range<String> {
    "h/".to_string().."h0".to_string()
}

/// The keys of household `hh`.
pub fn household_keys(hh: &str) -> Range<String> {
    format!("h/{hh}/")..format!("h/{hh}0")
}

/// Every roster key.
pub fn members() -> Range<String> {
    "m/".to_string().."m0".to_string()
}

/// Every relay key.
pub fn relays() -> Range<String> {
    "r/".to_string().."r0".to_string()
}

/// The roster keys of `peer`.
pub fn member_keys(peer: &str) -> Range<String> {
    format!("m/{peer}/")..format!("m/{peer}0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        let keys = [
            Key::Schema,
            Key::Profile,
            Key::Meta(Meta::CreatedBy),
            Key::Member { peer: "12D3KooW", attr: MemberAttr::Removed },
            Key::Household { hh: "T3-045", slot: Slot::Field("eid_accounts") },
            Key::Household { hh: "T3-045", slot: Slot::Archived },
            Key::Relay { peer: "12D3KooW" },
        ];
        for key in keys {
            let text = key.to_string();
            assert_eq!(Key::parse(&text), Some(key), "{text}");
        }
    }

    #[test]
    fn foreign_keys_do_not_parse() {
        for bad in
            ["", "h", "h/", "h/x", "h//members", "h/x/", "h/x/@new", "h/x/a/b", "m/p", "m/p/colour", "meta/x", "other"]
        {
            assert_eq!(Key::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn ranges_hold_exactly_one_household() {
        let r = household_keys("A1");
        assert!(r.contains(&household("A1", Slot::Group)));
        assert!(!r.contains(&household("A1-2", Slot::Group)));
        assert!(!r.contains(&household("A", Slot::Group)));
    }
}
