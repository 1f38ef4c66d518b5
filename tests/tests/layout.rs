//! The code's layout, as docs/ARCHITECTURE.md states it: no import circle between the top-level
//! modules of one crate, and `kdc` built without the daemon's libraries.
//!
//! A module "uses" another when its files (the module's own file and its submodules, tests
//! left out) name `crate::other` — directly, in a `use crate::{…}` group, or through a name the
//! crate root re-exports (`crate::Area` is `area`'s).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace").to_path_buf()
}

/// Every crate's `src/` in the workspace that has modules.
const CRATES: &[&str] = &["crdt-model/src", "daemon/src", "daemon/kdc-api/src", "daemon/kdc-ward/src", "cli/src"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text without line comments and without the trailing `#[cfg(test)] mod …` block.
fn code(text: &str) -> String {
    let without_tests = match text.find("#[cfg(test)]\nmod ") {
        Some(i) => &text[..i],
        None => text,
    };
    without_tests.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

fn ident_at(s: &str) -> &str {
    let end = s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(s.len());
    &s[..end]
}

/// Names the crate root re-exports (`pub use module::{A, B};`, `pub use module::A;`) → module.
fn reexports(src: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for file in ["lib.rs", "main.rs"] {
        let Ok(text) = std::fs::read_to_string(src.join(file)) else { continue };
        for line in code(&text).lines() {
            let Some(rest) = line.trim().strip_prefix("pub use ") else { continue };
            let rest = rest.strip_prefix("crate::").unwrap_or(rest);
            let module = ident_at(rest);
            let after = &rest[module.len()..];
            let Some(items) = after.strip_prefix("::") else { continue };
            let items = items.trim_end_matches(';').trim_start_matches('{').trim_end_matches('}');
            for item in items.split(',') {
                let name = ident_at(item.trim());
                if name.starts_with(|c: char| c.is_ascii_uppercase()) {
                    out.insert(name.to_string(), module.to_string());
                }
            }
        }
    }
    out
}

/// Top-level module → the top-level modules it names.
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let roots = reexports(src);
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(src).expect("under src");
        let first = rel.components().next().expect("a component").as_os_str().to_string_lossy().to_string();
        let top = first.trim_end_matches(".rs").to_string();
        if top == "lib" || top == "main" || top == "bin" {
            continue;
        }
        let text = code(&std::fs::read_to_string(&file).expect("read"));
        let uses = g.entry(top.clone()).or_default();
        let mut name = |n: &str| {
            let module = if n.starts_with(|c: char| c.is_ascii_uppercase()) {
                roots.get(n).cloned()
            } else {
                Some(n.to_string())
            };
            if let Some(m) = module.filter(|m| *m != top && !m.is_empty()) {
                uses.insert(m);
            }
        };
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                for item in group.split(',') {
                    name(ident_at(item.trim()));
                }
            } else {
                name(ident_at(rest));
            }
        }
    }
    // Only modules of this crate count (not `self`, `super`, macros…).
    let modules: BTreeSet<String> = g.keys().cloned().collect();
    for uses in g.values_mut() {
        uses.retain(|m| modules.contains(m));
    }
    g
}

/// The modules that can reach themselves, each with a path back to itself.
fn circles(g: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for start in g.keys() {
        // Breadth-first from `start`'s uses, remembering the way, until `start` comes back.
        let mut parent: BTreeMap<String, String> = BTreeMap::new();
        let mut queue: std::collections::VecDeque<String> = g[start].iter().cloned().collect();
        for m in &g[start] {
            parent.insert(m.clone(), start.clone());
        }
        while let Some(m) = queue.pop_front() {
            if m == *start {
                let mut way = vec![start.clone()];
                let mut at = parent[start].clone();
                while at != *start {
                    way.push(at.clone());
                    at = parent[&at].clone();
                }
                way.push(start.clone());
                way.reverse();
                found.push(way);
                break;
            }
            for next in g.get(&m).into_iter().flatten() {
                if !parent.contains_key(next) {
                    parent.insert(next.clone(), m.clone());
                    queue.push_back(next.clone());
                }
            }
        }
    }
    found
}

#[test]
fn no_crate_has_an_import_circle_between_its_modules() {
    let mut all = Vec::new();
    for krate in CRATES {
        let src = root().join(krate);
        let g = graph(&src);
        assert!(g.len() > 1 || *krate == "daemon/kdc-api/src", "{krate}: no modules found");
        for way in circles(&g) {
            all.push(format!("{krate}: {}", way.join(" → ")));
        }
    }
    assert!(all.is_empty(), "modules that import each other (in a circle):\n{}", all.join("\n"));
}

#[test]
fn the_circle_finder_finds_a_circle() {
    let g: BTreeMap<String, BTreeSet<String>> =
        [("a", vec!["b"]), ("b", vec!["c"]), ("c", vec!["a"]), ("d", vec!["a"])]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
            .collect();
    let found = circles(&g);
    assert!(found.contains(&vec!["a".to_string(), "b".into(), "c".into(), "a".into()]), "{found:?}");
    assert!(!found.iter().any(|w| w[0] == "d"), "{found:?}");
}

/// The crates `package` builds with (its normal dependencies, as `cargo tree` lists them).
fn dependencies(package: &str) -> (BTreeSet<String>, String) {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["tree", "-p", package, "-e", "normal", "--prefix", "none", "--offline", "--locked"])
        .current_dir(root())
        .output()
        .expect("cargo tree");
    assert!(out.status.success(), "cargo tree: {}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8_lossy(&out.stdout).into_owned();
    let crates = tree.lines().filter_map(|l| l.split_whitespace().next()).map(str::to_string).collect();
    (crates, tree)
}

#[test]
fn kdc_links_neither_the_daemon_nor_its_network_store_or_web_libraries() {
    let (crates, tree) = dependencies("kdc-cli");
    assert!(crates.contains("kdc-api") && crates.contains("kdc-ward"), "{crates:?}");
    for banned in ["kdc-daemon", "libp2p", "sled", "axum", "maud", "tokio"] {
        assert!(!crates.contains(banned), "kdc depends on {banned}:\n{tree}");
    }
}

#[test]
fn the_daemon_links_no_http_client() {
    let (crates, tree) = dependencies("kdc-daemon");
    assert!(crates.contains("kdc-api") && crates.contains("libp2p"), "{crates:?}");
    for banned in ["ureq", "reqwest"] {
        assert!(!crates.contains(banned), "kdcd depends on {banned}:\n{tree}");
    }
}
