//! The web app's two languages and their number and date formats.
//!
//! Vietnamese is the default; `?lang=en` / `?lang=vi` switches and a cookie remembers it.
//! Texts are the catalogue's (`kdc-text`, `locales/{vi,en}.ftl`, ids `web-…`), shared with the
//! CLI and the reports; labels of fields and criteria come from the area's profile.
//! Vietnamese numbers use a decimal comma (`80,00%`); dates are `01/12/2026 14:05` in the
//! device's local time zone in both languages (English adds nothing a ward would misread).

use chrono::{Local, TimeZone};
pub use crdt_model::Lang;
use crdt_model::text;

/// The cookie that remembers the language.
pub const LANG_COOKIE: &str = "kdc_lang";

/// A language with its texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L(pub Lang);

impl From<L> for Lang {
    fn from(l: L) -> Lang {
        l.0
    }
}

impl L {
    /// The catalogue's message `id` (`kdc-text`'s `locales/*.ftl`, ids `web-…`), without
    /// variables; with variables, `kdc_text::t!(l, "id", name = value)`.
    pub fn m(self, id: &str) -> &'static str {
        kdc_text::text(self.0, id)
    }

    /// `vi` in Vietnamese, `en` in English: for texts that are data (a doctor's advice comes
    /// in both languages from the check that gives it).
    pub fn pick<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self.0 {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }

    /// The `lang` attribute.
    pub fn code(self) -> &'static str {
        match self.0 {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// `numerator / denominator` as a percentage with two decimals (`80,00%` / `80.00%`,
    /// [`crdt_model::text::percent`]). `—` when the denominator is 0.
    pub fn percent(self, numerator: u64, denominator: u64) -> String {
        text::percent(self.0, numerator, denominator).unwrap_or_else(|| "—".into())
    }

    /// A count the language's way: `1.234` / `1,234`.
    pub fn int(self, n: impl Into<f64>) -> String {
        kdc_text::integer(self.0, n)
    }

    /// A threshold such as 0.9 as `90%` (or `90,5%` when it has a fraction of a percent).
    pub fn threshold(self, t: f64) -> String {
        text::threshold(self.0, t)
    }

    /// Unix ms as `01/12/2026 14:05`, local time.
    pub fn datetime(self, ms: i64) -> String {
        kdc_text::datetime(ms)
    }

    /// How long ago `ms` was, from `now_ms`: "vừa xong", "5 phút trước", "2 giờ trước", then
    /// the date and time. The one wording of "last synced" on every screen.
    pub fn ago(self, ms: i64, now_ms: i64) -> String {
        let mins = (now_ms - ms).max(0) / 60_000;
        match mins {
            0 => self.m("web-ago-now").into(),
            1..=59 => kdc_text::t!(self, "web-ago-minutes", minutes = mins),
            60..=1439 => kdc_text::t!(self, "web-ago-hours", hours = mins / 60),
            _ => self.datetime(ms),
        }
    }

    /// A member's sync state, worded the same everywhere: "Đã kết nối" while connected, else
    /// "Đồng bộ lần cuối: 5 phút trước" (or "chưa đồng bộ").
    pub fn sync_state(self, connected: bool, last_sync: Option<i64>, now_ms: i64) -> String {
        match (connected, last_sync) {
            (true, Some(ms)) => kdc_text::t!(self, "web-sync-connected-last", ago = self.ago(ms, now_ms)),
            (true, None) => self.m("web-sync-connected").into(),
            (false, Some(ms)) => kdc_text::t!(self, "web-sync-last", ago = self.ago(ms, now_ms)),
            (false, None) => self.m("web-sync-never").into(),
        }
    }

    /// Unix ms as `14:05`, local time.
    pub fn time(self, ms: i64) -> String {
        match Local.timestamp_millis_opt(ms).single() {
            Some(t) => t.format("%H:%M").to_string(),
            None => "—".into(),
        }
    }

    /// An RFC 3339 text (as the model gives times) as [`L::datetime`].
    pub fn rfc3339(self, text: &str) -> String {
        kdc_text::when(text)
    }

    /// The comparison in words: `≥ 100%`, `> 90%`.
    pub fn op_threshold(self, op: &str, t: f64) -> String {
        text::op_threshold(self.0, op, t)
    }

    /// What is still needed for a criterion, exactly (see `CriterionStatus::needed`).
    pub fn needed(self, level: crdt_model::profile::Level, k: i64) -> String {
        use crdt_model::profile::Level;
        if k < 0 {
            return self.m("web-needed-unreachable").into();
        }
        match level {
            Level::Person => kdc_text::t!(self, "web-needed-residents", count = k),
            Level::Household => kdc_text::t!(self, "web-needed-households", count = k),
            Level::Business => kdc_text::t!(self, "web-needed-businesses", count = k),
        }
    }

    /// A yes/no answer's label.
    pub fn answer(self, value: &str) -> &'static str {
        match value {
            "yes" => self.m("answer-yes"),
            "no" => self.m("answer-no"),
            _ => self.m("answer-unknown"),
        }
    }
}

/// The language of a `lang` query value or cookie.
pub fn parse(value: &str) -> Option<Lang> {
    match value.trim() {
        "vi" => Some(Lang::Vi),
        "en" => Some(Lang::En),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_are_exact_and_localised() {
        let (vi, en) = (L(Lang::Vi), L(Lang::En));
        assert_eq!(vi.percent(4, 5), "80,00%");
        assert_eq!(en.percent(4, 5), "80.00%");
        assert_eq!(vi.percent(275, 310), "88,71%");
        assert_eq!(vi.percent(1, 8), "12,50%");
        assert_eq!(vi.percent(2, 3), "66,67%");
        assert_eq!(vi.percent(0, 0), "—");
        assert_eq!(vi.threshold(0.9), "90%");
        assert_eq!(vi.op_threshold(">", 0.9), "> 90%");
        assert_eq!(en.op_threshold(">=", 1.0), "≥ 100%");
    }

    #[test]
    fn ago_and_sync_state() {
        let now = 1_800_000_000_000;
        assert_eq!(L(Lang::Vi).ago(now - 5 * 60_000, now), "5 phút trước");
        assert_eq!(L(Lang::En).ago(now - 2 * 3_600_000, now), "2 hours ago");
        assert_eq!(L(Lang::Vi).ago(now, now), "vừa xong");
        assert_eq!(L(Lang::Vi).sync_state(true, None, now), "● Đã kết nối");
        assert_eq!(L(Lang::Vi).sync_state(false, Some(now - 300_000), now), "○ Đồng bộ lần cuối: 5 phút trước");
    }

    #[test]
    fn needed_in_words() {
        use crdt_model::profile::Level;
        assert_eq!(L(Lang::Vi).needed(Level::Person, 3), "Cần thêm 3 người");
        assert_eq!(L(Lang::En).needed(Level::Person, 3), "3 more residents");
        assert_eq!(L(Lang::En).needed(Level::Household, 1), "1 more household");
        assert!(L(Lang::En).needed(Level::Household, -1).contains("new households"));
    }
}

pub use crdt_model::text::natural_cmp;
