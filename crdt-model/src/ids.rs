//! Identifiers users type: area ids and household (house) codes.

use crate::error::ModelError;

/// Longest area id or house code, in bytes.
pub const MAX_ID_LEN: usize = 64;

/// Checks an area id: `[a-z0-9-]{1,64}`.
pub fn validate_area_id(s: &str) -> Result<(), ModelError> {
    validate(s, "area", "lower-case letters a-z, digits and '-'", |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
    })
}

/// Checks a household id (the house code on the area map, e.g. `T3-045`): `[A-Za-z0-9._-]{1,64}`.
pub fn validate_household_id(s: &str) -> Result<(), ModelError> {
    validate(s, "household", "letters A-Z a-z, digits, '.', '_' and '-'", |c| {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
    })
}

/// The form of a residential group's name two spellings share when they name one group: case
/// and spacing do not count ("tổ  3" is "Tổ 3").
pub fn group_key(name: &str) -> String {
    name.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>().join(" ")
}

fn validate(s: &str, what: &str, allowed: &str, ok: impl Fn(char) -> bool) -> Result<(), ModelError> {
    if s.is_empty() || s.len() > MAX_ID_LEN || !s.chars().all(ok) {
        return Err(ModelError::invalid(
            what,
            format!("{s:?} is not a valid {what} id; allowed: 1 to {MAX_ID_LEN} of {allowed}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_ids() {
        for ok in ["a", "tam-giac-3", "0", &"a".repeat(64)] {
            assert!(validate_area_id(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Tam", "a_b", "a b", "ấp", &"a".repeat(65), "a/b"] {
            let err = validate_area_id(bad).unwrap_err();
            assert_eq!(err.field(), Some("area"), "{bad}");
        }
    }

    #[test]
    fn group_keys_ignore_case_and_spacing() {
        assert_eq!(group_key(" Tổ  3 "), group_key("tổ 3"));
        assert_eq!(group_key("TỔ 3"), "tổ 3");
        assert_ne!(group_key("Tổ 3"), group_key("Tổ 13"));
    }

    #[test]
    fn household_ids() {
        for ok in ["T3-045", "a.b_c-d", "9"] {
            assert!(validate_household_id(ok).is_ok(), "{ok}");
        }
        for bad in ["", "T3/045", "T3 045", "nhà", &"x".repeat(65)] {
            assert!(validate_household_id(bad).is_err(), "{bad}");
        }
    }
}
