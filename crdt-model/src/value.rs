//! Household field values: counts and yes/no answers. Nothing else is ever stored about a
//! household, so no value can hold a name, an ID-card number or an account number.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A yes/no answer, or `unknown` when the household was asked but could not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Answer {
    Yes,
    No,
    Unknown,
}

impl Answer {
    /// Reads an answer as typed: English or Vietnamese, any case, with or without diacritics.
    pub fn parse(raw: &str) -> Option<Answer> {
        match raw.trim().to_lowercase().as_str() {
            "yes" | "y" | "có" | "co" => Some(Answer::Yes),
            "no" | "n" | "không" | "khong" => Some(Answer::No),
            "unknown" | "chưa rõ" | "chua ro" | "?" => Some(Answer::Unknown),
            _ => None,
        }
    }

    /// Reads an answer as stored in a document: exactly `yes`, `no` or `unknown`.
    pub fn parse_stored(raw: &str) -> Option<Answer> {
        match raw {
            "yes" => Some(Answer::Yes),
            "no" => Some(Answer::No),
            "unknown" => Some(Answer::Unknown),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Yes => "yes",
            Answer::No => "no",
            Answer::Unknown => "unknown",
        }
    }
}

/// A recorded field value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Count(u32),
    Answer(Answer),
}

impl Value {
    pub fn count(self) -> Option<u32> {
        match self {
            Value::Count(n) => Some(n),
            Value::Answer(_) => None,
        }
    }

    pub fn answer(self) -> Option<Answer> {
        match self {
            Value::Answer(a) => Some(a),
            Value::Count(_) => None,
        }
    }

    /// The Automerge scalar this value is stored as.
    pub(crate) fn to_scalar(self) -> automerge::ScalarValue {
        match self {
            Value::Count(n) => automerge::ScalarValue::Uint(n as u64),
            Value::Answer(a) => automerge::ScalarValue::Str(a.as_str().into()),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Count(n) => write!(f, "{n}"),
            Value::Answer(a) => f.write_str(a.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_in_both_languages() {
        assert_eq!(Answer::parse("Có"), Some(Answer::Yes));
        assert_eq!(Answer::parse("KHÔNG"), Some(Answer::No));
        assert_eq!(Answer::parse("chưa rõ"), Some(Answer::Unknown));
        assert_eq!(Answer::parse("maybe"), None);
        assert_eq!(serde_json::to_string(&Value::Answer(Answer::Unknown)).unwrap(), "\"unknown\"");
        assert_eq!(serde_json::to_string(&Value::Count(3)).unwrap(), "3");
    }
}
