//! A refused field in words, the same on the web form and in `kdc`: what was typed and what is
//! allowed, said again from the area's profile (range, the count it is part of). The model's own
//! (English) words are for scripts; a volunteer reads these.

use crdt_model::Lang;
use crdt_model::profile::{FieldDef, FieldType};

use crate::t;

/// The refusal of `field` (one of the profile's `fields`) with the model's `message`. `value_of(id)` is what the form (or the
/// command line) holds for a field, typed or stored; the field's own value is `value_of(field)`
/// (or `value_of("value")`, the one-field form).
pub fn field(
    lang: Lang,
    fields: &[FieldDef],
    field: &str,
    message: &str,
    value_of: &dyn Fn(&str) -> Option<String>,
) -> String {
    let find = |id: &str| fields.iter().find(|f| f.id == id);
    let Some(def) = find(field) else {
        return other(lang, field, message);
    };
    let typed = value_of(field).or_else(|| value_of("value")).unwrap_or_default();
    // The figure a bound is held to, as the form has it.
    let figure = |id: &str| {
        value_of(id)
            .map(|v| v.trim().to_string())
            .filter(|v| v.parse::<u32>().is_ok())
            .map(|n| format!(" ({n})"))
            .unwrap_or_default()
    };
    let allowed = match def.kind {
        FieldType::Count => {
            let max = def.max.map_or("…".into(), |m| m.to_string());
            let mut a = t!(lang, "refusal-allowed-count", min = def.min.unwrap_or(0).to_string(), max = max);
            if let Some(parent) = def.part_of.as_deref().and_then(find) {
                a.push_str(&t!(lang, "refusal-not-above", label = parent.label.get(lang), figure = figure(&parent.id)));
            }
            // A whole lowered below one of its parts: the model names the part.
            for part in fields.iter().filter(|p| p.part_of.as_deref() == Some(def.id.as_str())) {
                if message.contains(part.id.as_str()) {
                    a.push_str(&t!(lang, "refusal-not-below", label = part.label.get(lang), figure = figure(&part.id)));
                }
            }
            a
        }
        FieldType::YesNo => t!(lang, "refusal-allowed-yes-no").into(),
        FieldType::YesNoUnknown => t!(lang, "refusal-allowed-yes-no-unknown").into(),
    };
    let mut text = t!(lang, "refusal-value", typed = typed, allowed = allowed);
    if def.business_only {
        text.push(' ');
        text.push_str(t!(lang, "refusal-business-only"));
    }
    text
}

/// The refusal of a field that is not a profile question (house code, group, address, consent).
pub fn other(lang: Lang, field: &str, message: &str) -> String {
    let text = |what: &str| t!(lang, "refusal-text-invalid", what = what);
    match field {
        "id" | "household" => t!(lang, "refusal-house-code").into(),
        "consent" => t!(lang, "refusal-consent-missing").into(),
        "method" => t!(lang, "refusal-consent-method").into(),
        "group" => text(t!(lang, "refusal-group")),
        "address" => text(t!(lang, "refusal-address")),
        "ref" => text(t!(lang, "refusal-consent-ref")),
        "notice_version" => text(t!(lang, "refusal-notice-version")),
        "fields" => t!(lang, "refusal-nothing-to-save").into(),
        _ => t!(lang, "refusal-not-accepted", detail = message),
    }
}

/// What the daemon did not find (`area`, `household`, `member`, `relay`), from its words
/// (`"area not found: khu-9"`); `None` when they are not in that shape.
pub fn not_found(lang: Lang, what: &str, message: &str) -> Option<String> {
    let which = message.strip_prefix(&format!("{what} not found: "))?;
    Some(t!(lang, "refusal-not-found", what = what, which = which))
}

/// What the daemon already has, from its words (`"household already exists: T1"`).
pub fn exists(lang: Lang, what: &str, message: &str) -> Option<String> {
    let which = message.strip_prefix(&format!("{what} already exists: "))?;
    Some(t!(lang, "refusal-exists", what = what, which = which))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crdt_model::profile::Profile;

    #[test]
    fn a_count_out_of_range_names_the_range_and_the_whole_it_is_part_of() {
        let profile = Profile::default_v1();
        let part = profile.fields().iter().find(|f| f.part_of.is_some()).expect("the default profile has parts");
        let whole = profile.field(part.part_of.as_deref().unwrap()).unwrap();
        let values = |id: &str| match id {
            id if id == part.id => Some("99".to_string()),
            id if id == whole.id => Some("4".to_string()),
            _ => None,
        };
        let vi = field(Lang::Vi, profile.fields(), &part.id, "too many", &values);
        assert!(vi.starts_with("Giá trị “99” không được nhận. Cho phép: số nguyên từ"), "{vi}");
        assert!(vi.contains(&format!("không lớn hơn “{}” (4)", whole.label.vi)), "{vi}");
        let en = field(Lang::En, profile.fields(), &part.id, "too many", &values);
        assert!(en.contains("The value “99” is not accepted. Allowed: a whole number from"), "{en}");
        assert!(en.contains(&format!("not more than “{}” (4)", whole.label.en)), "{en}");
    }

    #[test]
    fn missing_and_taken_things_are_named() {
        assert_eq!(
            not_found(Lang::Vi, "household", "household not found: T1-001").as_deref(),
            Some("không có hộ T1-001 trong khu này")
        );
        assert_eq!(not_found(Lang::Vi, "area", "something else"), None);
        assert!(exists(Lang::En, "area", "area already exists: k").unwrap().starts_with("area k already exists"));
    }

    #[test]
    fn other_fields_have_their_own_words() {
        assert!(other(Lang::Vi, "id", "bad").starts_with("Mã nhà không hợp lệ"));
        assert!(other(Lang::Vi, "group", "bad").starts_with("Tên tổ không hợp lệ"));
        assert_eq!(other(Lang::En, "zzz", "bad thing"), "Value not accepted (bad thing).");
    }
}
