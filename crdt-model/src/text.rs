//! The formats every surface shares — the CLI's tables, the web pages, the reports: percentages,
//! thresholds and the order of group and house names, in Vietnamese (`66,67%`)
//! and English (`66.67%`). One function per thing, so the CLI and the web app cannot drift apart.

use std::cmp::Ordering;

use crate::profile::Lang;

fn pick(lang: Lang, vi: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

/// `numerator / denominator` as a percentage with two decimals, computed in integers and rounded
/// half up (the status JSON's 4-decimal `ratio` rounds the same way: 0.8889 is `88,89%`):
/// `80,00%` / `80.00%`. Whether a criterion is met is decided exactly by the model, never from
/// this text: 99,999 of 100,000 shows `100,00%` and "not met" against `≥ 100%`. `None` when the
/// denominator is 0.
pub fn percent(lang: Lang, numerator: u64, denominator: u64) -> Option<String> {
    if denominator == 0 {
        return None;
    }
    let (n, d) = (u128::from(numerator), u128::from(denominator));
    let hundredths = (n * 20_000 + d) / (2 * d);
    Some(format!("{}{}{:02}%", hundredths / 100, pick(lang, ",", "."), hundredths % 100))
}

/// A criterion's threshold such as 0.9 as `90%`, with a fraction only when it has one:
/// `50,5%` / `50.5%`.
pub fn threshold(lang: Lang, t: f64) -> String {
    let tenths = (t * 1000.0).round() as i64;
    if tenths % 10 == 0 {
        format!("{}%", tenths / 10)
    } else {
        format!("{}{}{}%", tenths / 10, pick(lang, ",", "."), tenths % 10)
    }
}

/// A comparison and its threshold: `> 90%`, `≥ 100%`.
pub fn op_threshold(lang: Lang, op: &str, t: f64) -> String {
    let sym = if op == ">" { ">" } else { "≥" };
    format!("{sym} {}", threshold(lang, t))
}

/// Orders names as people read them: `Tổ 2` before `Tổ 10`, `T2-004` before `T10-001`.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    fn key(s: &str) -> Vec<(String, u64)> {
        let mut out = Vec::new();
        let mut text = String::new();
        let mut digits = String::new();
        for c in s.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else {
                if !digits.is_empty() {
                    out.push((std::mem::take(&mut text), digits.parse().unwrap_or(u64::MAX)));
                    digits.clear();
                }
                text.push(c);
            }
        }
        out.push((text, digits.parse().unwrap_or(0)));
        out
    }
    key(a).cmp(&key(b)).then_with(|| a.cmp(b))
}

/// Unix milliseconds as RFC 3339 in UTC, e.g. `2026-11-23T14:05:09Z`.
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_are_exact_and_localised() {
        let (vi, en) = (Lang::Vi, Lang::En);
        for (n, d, text) in [
            (4, 5, "80,00%"),
            (275, 310, "88,71%"),
            (8, 9, "88,89%"),
            (1, 8, "12,50%"),
            (2, 3, "66,67%"),
            (1, 3, "33,33%"),
            (1, 32, "3,13%"),
            (0, 7, "0,00%"),
            (99_999, 100_000, "100,00%"),
            (u64::MAX, u64::MAX, "100,00%"),
        ] {
            assert_eq!(percent(vi, n, d).as_deref(), Some(text), "{n}/{d}");
            assert_eq!(percent(en, n, d), Some(text.replace(',', ".")), "{n}/{d}");
        }
        assert_eq!(percent(vi, 1, 0), None);
        assert_eq!(threshold(vi, 0.9), "90%");
        assert_eq!(threshold(vi, 0.505), "50,5%");
        assert_eq!(threshold(en, 0.505), "50.5%");
        assert_eq!(threshold(en, 0.0), "0%");
        assert_eq!(op_threshold(vi, ">", 0.9), "> 90%");
        assert_eq!(op_threshold(en, ">=", 1.0), "≥ 100%");
    }

    #[test]
    fn groups_sort_by_number() {
        let mut g = vec!["Tổ 10", "Tổ 2", "Tổ 1", "", "Tổ 1A", "Tổ 9"];
        g.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(g, vec!["", "Tổ 1", "Tổ 1A", "Tổ 2", "Tổ 9", "Tổ 10"]);
    }
}
