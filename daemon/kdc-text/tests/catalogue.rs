//! The catalogues are complete: every message is in both languages with the same variables,
//! renders without an error, is translated (or says why it reads the same), and every id the
//! workspace's sources ask for exists.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use fluent_syntax::ast;
use kdc_text::{EN_FTL, FluentArgs, FluentValue, Lang, VI_FTL};

struct Message {
    variables: BTreeSet<String>,
    /// The comment above it says the text is the same in both languages on purpose.
    same_on_purpose: bool,
}

fn messages(name: &str, source: &str) -> BTreeMap<String, Message> {
    let resource = match fluent_syntax::parser::parse(source) {
        Ok(r) => r,
        Err((_, errors)) => panic!("{name} does not parse: {errors:?}"),
    };
    let mut out = BTreeMap::new();
    for entry in &resource.body {
        if let ast::Entry::Message(m) = entry {
            let mut variables = BTreeSet::new();
            if let Some(p) = &m.value {
                pattern_variables(p, &mut variables);
            }
            assert!(m.value.is_some(), "{name}: message {} has no text", m.id.name);
            let same_on_purpose =
                m.comment.as_ref().is_some_and(|c| c.content.iter().any(|l| l.contains("Same in both languages")));
            let fresh = out.insert(m.id.name.to_string(), Message { variables, same_on_purpose });
            assert!(fresh.is_none(), "{name}: message {} is defined twice", m.id.name);
        }
    }
    out
}

fn pattern_variables(p: &ast::Pattern<&str>, out: &mut BTreeSet<String>) {
    for element in &p.elements {
        if let ast::PatternElement::Placeable { expression } = element {
            expression_variables(expression, out);
        }
    }
}

fn expression_variables(e: &ast::Expression<&str>, out: &mut BTreeSet<String>) {
    match e {
        ast::Expression::Select { selector, variants } => {
            inline_variables(selector, out);
            for v in variants {
                pattern_variables(&v.value, out);
            }
        }
        ast::Expression::Inline(i) => inline_variables(i, out),
    }
}

fn inline_variables(i: &ast::InlineExpression<&str>, out: &mut BTreeSet<String>) {
    match i {
        ast::InlineExpression::VariableReference { id } => {
            out.insert(id.name.to_string());
        }
        ast::InlineExpression::Placeable { expression } => expression_variables(expression, out),
        _ => {}
    }
}

fn render(lang: Lang, id: &str, variables: &BTreeSet<String>, value: FluentValue<'static>) -> String {
    let mut args = FluentArgs::new();
    for v in variables {
        args.set(v.clone(), value.clone());
    }
    kdc_text::format(lang, id, &args)
}

#[test]
fn every_message_is_in_both_languages_with_the_same_variables() {
    let vi = messages("vi.ftl", VI_FTL);
    let en = messages("en.ftl", EN_FTL);
    let only_vi: Vec<&String> = vi.keys().filter(|k| !en.contains_key(*k)).collect();
    let only_en: Vec<&String> = en.keys().filter(|k| !vi.contains_key(*k)).collect();
    assert!(only_vi.is_empty(), "messages missing from en.ftl: {only_vi:?}");
    assert!(only_en.is_empty(), "messages missing from vi.ftl: {only_en:?}");
    for (id, m) in &vi {
        assert_eq!(m.variables, en[id].variables, "message {id}: the languages use different variables");
    }
    assert!(vi.len() > 100, "the catalogue holds {} messages", vi.len());
}

#[test]
fn every_message_renders_and_is_translated() {
    let vi = messages("vi.ftl", VI_FTL);
    let mut untranslated = Vec::new();
    for (id, m) in &vi {
        // Numbers that pick each plural form, and a text that picks the default variant.
        for value in [FluentValue::from(0), FluentValue::from(1), FluentValue::from(2), FluentValue::from("x")] {
            for lang in [Lang::Vi, Lang::En] {
                let text = render(lang, id, &m.variables, value.clone());
                assert!(!text.trim().is_empty(), "message {id} renders empty in {lang:?}");
                assert!(!text.contains('\u{2068}'), "message {id}: isolation marks in {lang:?}");
            }
        }
        let (v, e) = (
            render(Lang::Vi, id, &m.variables, FluentValue::from(2)),
            render(Lang::En, id, &m.variables, FluentValue::from(2)),
        );
        if v == e && !m.same_on_purpose {
            untranslated.push(format!("{id} = {v}"));
        }
    }
    assert!(
        untranslated.is_empty(),
        "messages that read the same in both languages (translate them, or say \"Same in both languages\" in a comment): {untranslated:#?}"
    );
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if !matches!(name.to_str(), Some("target" | "node_modules" | ".git")) {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The ids in `t!(lang, "id"…)`, `both!("id"…)` and `.m("id")` calls, with whether the call passes variables.
fn used_ids() -> BTreeMap<String, (PathBuf, bool)> {
    let mut files = Vec::new();
    for dir in ["cli", "daemon", "crdt-model"] {
        rust_files(&workspace().join(dir), &mut files);
    }
    let mut out = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        // t!(lang, "id"…: not assert!( or print!(; the language expression holds no quote.
        for (i, _) in text.match_indices("t!(") {
            if text[..i].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let rest = &text[i + 3..];
            let Some(comma) = rest.find(',').filter(|c| !rest[..*c].contains('"')) else { continue };
            note_id(&mut out, &file, &text, i, &rest[comma + 1..]);
        }
        for (i, _) in text.match_indices("both!(") {
            note_id(&mut out, &file, &text, i, &text[i + 6..]);
        }
        for (i, _) in text.match_indices(".m(") {
            note_id(&mut out, &file, &text, i, &text[i + 3..]);
        }
    }
    out
}

/// Notes the id a call at `at` names, if `after` (what follows the call's other arguments)
/// starts with one: `"id"`, then `,` when variables follow.
fn note_id(out: &mut BTreeMap<String, (PathBuf, bool)>, file: &Path, text: &str, at: usize, after: &str) {
    if in_comment(text, at) {
        return;
    }
    let after = after.trim_start();
    let is_id =
        |id: &&str| !id.is_empty() && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if let Some(id) = after.strip_prefix('"').and_then(|s| s.split('"').next()).filter(is_id) {
        let with_variables = after[id.len() + 2..].trim_start().starts_with(',');
        out.insert(id.to_string(), (file.to_path_buf(), with_variables));
    }
}

fn in_comment(text: &str, at: usize) -> bool {
    let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
    text[line_start..at].trim_start().starts_with("//")
}

#[test]
fn every_id_the_sources_use_exists_and_every_message_is_used() {
    let vi = messages("vi.ftl", VI_FTL);
    let used = used_ids();
    let missing: Vec<String> = used
        .iter()
        .filter(|(id, _)| !vi.contains_key(*id))
        .map(|(id, (f, _))| format!("{id} ({})", f.display()))
        .collect();
    assert!(missing.is_empty(), "ids used in the sources but in no catalogue: {missing:#?}");
    // A message with variables asked for without them would print its placeholders' errors.
    let mismatched: Vec<String> = used
        .iter()
        .filter(|(id, (_, with))| vi.get(*id).is_some_and(|m| m.variables.is_empty() == *with))
        .map(|(id, (f, with))| {
            format!("{id} ({}, called {} variables)", f.display(), if *with { "with" } else { "without" })
        })
        .collect();
    assert!(mismatched.is_empty(), "messages called with the wrong arguments: {mismatched:#?}");
    let unused: Vec<&String> = vi.keys().filter(|id| !used.contains_key(*id)).collect();
    assert!(unused.is_empty(), "messages no source uses (remove them): {unused:#?}");
}
