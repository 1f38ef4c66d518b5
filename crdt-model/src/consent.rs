//! A household's consent (Law 91/2025/QH15): the record, and what each decision writes.
//!
//! The record is six `@consent…` slots of the household (see [`crate::schema::Slot`]). The rules
//! ([`crate::area::Area::record_consent`], and the checks in the household writers):
//! - on a profile that requires consent, an `add` carries consent and a `set` needs it `given`;
//! - a household `refused` or `withdrawn` keeps only its house code, group and consent slots:
//!   the decision deletes its fields and address, and reading ignores any field a concurrent
//!   write left, so a declined household reads as unknown everywhere.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The resident's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConsentState {
    Given,
    Refused,
    Withdrawn,
}

impl ConsentState {
    pub const ALL: [ConsentState; 3] = [ConsentState::Given, ConsentState::Refused, ConsentState::Withdrawn];

    pub fn as_str(self) -> &'static str {
        match self {
            ConsentState::Given => "given",
            ConsentState::Refused => "refused",
            ConsentState::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<ConsentState> {
        ConsentState::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Refused or withdrawn: nothing but the house code and group may be kept.
    pub fn is_declined(self) -> bool {
        self != ConsentState::Given
    }
}

impl fmt::Display for ConsentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How consent was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConsentMethod {
    Verbal,
    Written,
}

impl ConsentMethod {
    pub const ALL: [ConsentMethod; 2] = [ConsentMethod::Verbal, ConsentMethod::Written];

    pub fn as_str(self) -> &'static str {
        match self {
            ConsentMethod::Verbal => "verbal",
            ConsentMethod::Written => "written",
        }
    }

    pub fn parse(s: &str) -> Option<ConsentMethod> {
        ConsentMethod::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for ConsentMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A household's consent as read from the document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Consent {
    /// `None`: no consent recorded (a household written before consent was asked for).
    pub state: Option<ConsentState>,
    /// Unix milliseconds.
    pub at: Option<i64>,
    pub method: Option<ConsentMethod>,
    pub reference: Option<String>,
    pub notice_version: Option<String>,
    pub by: Option<String>,
}

impl Consent {
    pub fn is_given(&self) -> bool {
        self.state == Some(ConsentState::Given)
    }

    pub fn is_declined(&self) -> bool {
        self.state.is_some_and(ConsentState::is_declined)
    }

    /// `given`, `refused`, `withdrawn` or `none`.
    pub fn state_str(&self) -> &'static str {
        self.state.map_or("none", ConsentState::as_str)
    }
}

/// Consent given at the door, carried by a household write (`kdc household add --consent`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentGiven {
    pub method: ConsentMethod,
    /// A paper-form reference (written consent).
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The notice version read; the profile's current one when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_version: Option<String>,
}

impl ConsentGiven {
    pub fn verbal() -> ConsentGiven {
        ConsentGiven { method: ConsentMethod::Verbal, reference: None, notice_version: None }
    }
}

/// A decision recorded on its own (`kdc household consent AREA HH STATE`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentChange {
    pub state: ConsentState,
    /// Required when `state` is `given`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<ConsentMethod>,
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_version: Option<String>,
    /// The group of a household recorded for the first time by this decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

impl ConsentChange {
    /// A decision with nothing else: no method, reference, notice version or group.
    pub fn decision(state: ConsentState) -> ConsentChange {
        ConsentChange { state, method: None, reference: None, notice_version: None, group: None }
    }
}

/// `"consent"` of `kdc household show --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentView {
    /// `given`, `refused`, `withdrawn`, or `none` when not recorded.
    pub state: String,
    /// RFC 3339.
    pub at: Option<String>,
    pub method: Option<String>,
    /// The device (peer id) that recorded it.
    pub by: Option<String>,
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub notice_version: Option<String>,
}

impl From<&Consent> for ConsentView {
    fn from(c: &Consent) -> ConsentView {
        ConsentView {
            state: c.state_str().to_string(),
            at: c.at.map(crate::text::rfc3339),
            method: c.method.map(|m| m.as_str().to_string()),
            by: c.by.clone(),
            reference: c.reference.clone(),
            notice_version: c.notice_version.clone(),
        }
    }
}
