//! Every text a person reads, in Vietnamese and English: one [Project Fluent] catalogue per
//! language (`locales/vi.ftl`, `locales/en.ftl`), compiled into the binary.
//!
//! Why Fluent: a translator edits one plain file per language, next to the other; plurals are
//! the language's own (`1 household`, `2 households`; Vietnamese has one form) without a match
//! per message in our code; the catalogue's parser and formatter are a well-kept library, not
//! template code of ours. The price — a message id is a string, so a typo is found at run time
//! — is paid by the tests: every message renders in both languages, with the same variables,
//! and every id the sources use is in both catalogues (`tests/catalogue.rs`).
//!
//! Numbers passed as numbers are written the language's way: `1.234` in Vietnamese, `1,234` in
//! English. Percentages, thresholds and dates come from [`crdt_model::text`] and [`date`] and
//! are passed in as text.
//!
//! [Project Fluent]: https://projectfluent.org

pub mod refusal;

use std::collections::HashMap;
use std::sync::{LazyLock, RwLock};

pub use crdt_model::Lang;
pub use crdt_model::text::{natural_cmp, op_threshold, percent, threshold};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::memoizer::MemoizerKind;
pub use fluent_bundle::{FluentArgs, FluentValue};
use fluent_bundle::{FluentResource, types::FluentNumber};

/// The Vietnamese catalogue's source.
pub const VI_FTL: &str = include_str!("../locales/vi.ftl");
/// The English catalogue's source.
pub const EN_FTL: &str = include_str!("../locales/en.ftl");

struct Catalogue {
    bundle: FluentBundle<FluentResource>,
    /// Messages without variables, formatted on first use and kept for the life of the
    /// process: [`text`] hands out `&'static str`.
    plain: RwLock<HashMap<String, &'static str>>,
}

// Each language is read on its first use only (a `kdc` run needs one of them).
static VI: LazyLock<Catalogue> = LazyLock::new(|| catalogue(Lang::Vi, VI_FTL));
static EN: LazyLock<Catalogue> = LazyLock::new(|| catalogue(Lang::En, EN_FTL));

fn catalogue(lang: Lang, source: &str) -> Catalogue {
    // The sources are ours and tested; a parse error here is a build that must not ship.
    let resource = FluentResource::try_new(source.to_string()).unwrap_or_else(|(_, errors)| {
        panic!("the {} catalogue does not parse: {errors:?}", code(lang));
    });
    let id: unic_langid::LanguageIdentifier = code(lang).parse().expect("a language code");
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // No Unicode isolation marks around values: both languages run left to right, and the
    // marks would end up in CSV cells and terminals.
    bundle.set_use_isolating(false);
    bundle.set_formatter(Some(match lang {
        Lang::Vi => format_vi,
        Lang::En => format_en,
    }));
    bundle.add_resource(resource).unwrap_or_else(|errors| panic!("the {} catalogue: {errors:?}", code(lang)));
    Catalogue { bundle, plain: RwLock::default() }
}

fn code(lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => "vi",
        Lang::En => "en",
    }
}

fn get(lang: Lang) -> &'static Catalogue {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}

/// A message without variables. An id missing from the catalogue (which the tests rule out)
/// shows as the id itself rather than failing the page or command.
pub fn text(lang: Lang, id: &str) -> &'static str {
    let catalogue = get(lang);
    if let Some(text) = catalogue.plain.read().unwrap_or_else(|p| p.into_inner()).get(id) {
        return text;
    }
    let text = match catalogue.bundle.get_message(id).and_then(|m| m.value()) {
        Some(pattern) => {
            let mut errors = Vec::new();
            let text = catalogue.bundle.format_pattern(pattern, None, &mut errors).into_owned();
            debug_assert!(errors.is_empty(), "message {id:?} in {} needs variables: {errors:?}", code(lang));
            text
        }
        None => {
            debug_assert!(false, "message {id:?} is not in the {} catalogue", code(lang));
            id.to_string()
        }
    };
    // Formatted once per id and process (the catalogue is finite).
    let text: &'static str = Box::leak(text.into_boxed_str());
    catalogue.plain.write().unwrap_or_else(|p| p.into_inner()).entry(id.to_string()).or_insert(text)
}

/// A message with its variables. Use [`t!`] rather than building the arguments by hand.
pub fn format(lang: Lang, id: &str, args: &FluentArgs) -> String {
    let catalogue = get(lang);
    let Some(pattern) = catalogue.bundle.get_message(id).and_then(|m| m.value()) else {
        debug_assert!(false, "message {id:?} is not in the {} catalogue", code(lang));
        return id.to_string();
    };
    let mut errors = Vec::new();
    let text = catalogue.bundle.format_pattern(pattern, Some(args), &mut errors);
    debug_assert!(errors.is_empty(), "message {id:?} in {}: {errors:?}", code(lang));
    text.into_owned()
}

/// `t!(lang, "id")` is the message (`&'static str`); `t!(lang, "id", name = value, …)` the
/// message with its variables (`String`). `lang` is anything that converts into [`Lang`];
/// values are anything a [`FluentValue`] is made from (text, numbers).
#[macro_export]
macro_rules! t {
    ($lang:expr, $id:literal) => {
        $crate::text(::core::convert::Into::<$crate::Lang>::into($lang), $id)
    };
    ($lang:expr, $id:literal, $($name:ident = $value:expr),+ $(,)?) => {{
        let mut args = $crate::FluentArgs::new();
        $( args.set(stringify!($name), $crate::FluentValue::from($value)); )+
        $crate::format(::core::convert::Into::<$crate::Lang>::into($lang), $id, &args)
    }};
}

/// `both!("id", name = value, …)`: the message in Vietnamese and in English, as a pair of
/// `String`s, for answers that carry both (the doctor's advice).
#[macro_export]
macro_rules! both {
    ($id:literal) => {
        ($crate::text($crate::Lang::Vi, $id).to_string(), $crate::text($crate::Lang::En, $id).to_string())
    };
    ($id:literal, $($name:ident = $value:expr),+ $(,)?) => {{
        let mut args = $crate::FluentArgs::new();
        $( args.set(stringify!($name), $crate::FluentValue::from($value)); )+
        ($crate::format($crate::Lang::Vi, $id, &args), $crate::format($crate::Lang::En, $id, &args))
    }};
}

fn format_vi<M: MemoizerKind>(value: &FluentValue, _: &M) -> Option<String> {
    number(value, '.', ',')
}

fn format_en<M: MemoizerKind>(value: &FluentValue, _: &M) -> Option<String> {
    number(value, ',', '.')
}

fn number(value: &FluentValue, thousands: char, decimal: char) -> Option<String> {
    let FluentValue::Number(FluentNumber { value, .. }) = value else { return None };
    Some(grouped(*value, thousands, decimal))
}

/// A number the language's way: `1.234` / `1,234`, and `2,5` / `2.5` when it has a fraction.
pub fn integer(lang: Lang, n: impl Into<f64>) -> String {
    match lang {
        Lang::Vi => grouped(n.into(), '.', ','),
        Lang::En => grouped(n.into(), ',', '.'),
    }
}

fn grouped(value: f64, thousands: char, decimal: char) -> String {
    let negative = value < 0.0;
    let abs = value.abs();
    let whole = abs.trunc() as u64;
    let digits = whole.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 4);
    if negative {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(thousands);
        }
        out.push(c);
    }
    let fraction = abs - abs.trunc();
    if fraction > 0.0 {
        let f = format!("{fraction:.2}");
        let f = f.trim_start_matches('0').trim_start_matches('.').trim_end_matches('0');
        if !f.is_empty() {
            out.push(decimal);
            out.push_str(f);
        }
    }
    out
}

/// Unix ms as `01/12/2026 14:05` in the device's local time zone, in both languages (a ward
/// reads the one way); `—` for a moment that cannot be.
pub fn datetime(ms: i64) -> String {
    use chrono::TimeZone;
    match chrono::Local.timestamp_millis_opt(ms).single() {
        Some(t) => t.format("%d/%m/%Y %H:%M").to_string(),
        None => "—".into(),
    }
}

/// An RFC 3339 text (as the model and the API give times) as [`datetime`]; a text that is not
/// one is shown as it is.
pub fn when(text: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| datetime(t.timestamp_millis()))
        .unwrap_or_else(|_| text.to_string())
}

/// A role's name (`head`, `member`, `ward`): one word per role on every screen.
pub fn role(lang: Lang, role: &str) -> &'static str {
    match role {
        "head" => t!(lang, "role-head"),
        "ward" => t!(lang, "role-ward"),
        _ => t!(lang, "role-member"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_the_languages_way() {
        assert_eq!(integer(Lang::Vi, 1234u32), "1.234");
        assert_eq!(integer(Lang::En, 1234u32), "1,234");
        assert_eq!(integer(Lang::Vi, 1_000_000u32), "1.000.000");
        assert_eq!(integer(Lang::Vi, 999u32), "999");
        assert_eq!(integer(Lang::Vi, 0u32), "0");
        assert_eq!(integer(Lang::Vi, 2.5), "2,5");
        assert_eq!(integer(Lang::En, -1234.0), "-1,234");
    }

    #[test]
    fn times_read_the_same_way_everywhere() {
        let t = when("2026-12-01T07:05:00Z");
        assert_eq!(t.len(), "01/12/2026 14:05".len(), "{t}");
        assert!(t.starts_with("01/12/2026") || t.starts_with("30/11/2026") || t.starts_with("02/12/2026"), "{t}");
        assert_eq!(when("not a time"), "not a time");
    }

    #[test]
    fn plurals_follow_the_language() {
        assert_eq!(t!(Lang::En, "households-count", count = 1), "1 household");
        assert_eq!(t!(Lang::En, "households-count", count = 3000), "3,000 households");
        assert_eq!(t!(Lang::Vi, "households-count", count = 3000), "3.000 hộ");
        assert_eq!(t!(Lang::Vi, "households-count", count = 1), "1 hộ");
    }

    #[test]
    fn roles_have_one_name() {
        assert_eq!(role(Lang::Vi, "head"), "Trưởng khu");
        assert_eq!(role(Lang::En, "head"), "Area head");
        assert_eq!(role(Lang::Vi, "member"), "Thành viên");
        assert_eq!(role(Lang::En, "ward"), "Ward office");
    }
}
