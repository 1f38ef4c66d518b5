//! Documents edited by another Automerge implementation, the official JavaScript one
//! (`@automerge/automerge` 3, run by `web/tests/foreign.mjs`), offered to kdcd as snapshot files:
//! what a roster member writes the way kdcd does is imported; every other kind of change is
//! refused with exit 2 naming the key and why, and nothing of the file is stored.
//!
//! Needs Node (`.ci/run` installs it); runs `npm ci` in `web/` when its packages are missing.
//! Without them it says so and stops, except under CI (`CI=true`), where it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use kdc_tests::{Daemon, can_run, kdc};

const AREA: &str = "khu-1";

fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../web")
}

fn node_ready() -> Result<(), String> {
    kdc_tests::web_packages().map(|_| ())
}

#[test]
fn changes_made_by_javascript_automerge_pass_or_are_refused_at_the_door() {
    if !can_run("changes_made_by_javascript_automerge_pass_or_are_refused_at_the_door", node_ready()) {
        return;
    }
    let d = Daemon::start();
    d.kdc(&["area", "create", AREA, "--name", "Khu 1", "--ward", "Phường 1"]).ok();
    d.kdc(&[
        "household",
        "add",
        "--consent",
        "verbal",
        AREA,
        "T1-001",
        "--group",
        "Tổ 1",
        "members=4",
        "members_14plus=3",
        "internet=no",
    ])
    .ok();
    let dir = tempfile::tempdir().unwrap();
    let path = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
    d.kdc(&["snapshot", "export", AREA, "-o", &path("base.kdcsnap")]).ok();
    let area =
        crdt_model::snapshot::decode_areas(&std::fs::read(path("base.kdcsnap")).unwrap(), "reader").unwrap().remove(0);
    std::fs::write(path("base.automerge"), area.save()).unwrap();

    let out = Command::new("node")
        .arg(web_dir().join("tests/foreign.mjs"))
        .args([&path("base.automerge"), &path(""), &d.peer_id()])
        .output()
        .unwrap();
    assert!(out.status.success(), "foreign.mjs: {}", String::from_utf8_lossy(&out.stderr));
    let cases: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect();
    // Each JavaScript document, wrapped into a snapshot file as kdcd writes them.
    let file = |case: &str| {
        let bytes = std::fs::read(path(&format!("{case}.automerge"))).unwrap();
        let doc = crdt_model::Area::load(&bytes, "reader").unwrap_or_else(|e| panic!("{case}: {e}"));
        let name = path(&format!("{case}.kdcsnap"));
        std::fs::write(&name, crdt_model::snapshot::encode(&[&doc])).unwrap();
        name
    };

    let refused: &[(&str, &str)] = &[
        ("plain-string", "write an ImmutableString"),
        ("out-of-range", "members = 999"),
        ("fraction", "members"),
        ("not-an-answer", "\"maybe\""),
        ("nested-object", "object"),
        ("list", "object"),
        ("counter", "eid_accounts"),
        ("root-key", "evil"),
        ("identity", "identity"),
        ("delete-meta", "never deleted"),
        ("stranger", "never on the area's roster"),
    ];
    assert_eq!(cases.len(), refused.len() + 1, "cases written: {cases:?}");
    let before = (d.json(&["status", AREA]), d.json(&["household", "show", AREA, "T1-001"]));
    for (case, needle) in refused {
        let f = file(case);
        for args in [vec!["snapshot", "import", f.as_str()], vec!["snapshot", "verify", f.as_str()]] {
            let out = if args[1] == "import" { d.kdc(&args) } else { kdc(dir.path(), &args) };
            assert_eq!(out.code, 2, "{case}: {args:?}: {out:?}");
            assert!(out.stderr.contains(needle), "{case}: {args:?}: stderr lacks {needle:?}: {out:?}");
            // (A file whose change renames the area is named by the id it now claims.)
            let area = if *case == "identity" { "area khu-khac" } else { "area khu-1" };
            assert!(out.stderr.contains(area), "{case}: {out:?}");
        }
    }
    let after = (d.json(&["status", AREA]), d.json(&["household", "show", AREA, "T1-001"]));
    assert_eq!(before, after, "a refused file changed what is stored");

    // What a member writes the way kdcd does is taken, and reads back.
    let out = d.kdc(&["snapshot", "import", &file("good")]);
    assert_eq!(out.code, 0, "{out:?}");
    let hh = d.json(&["household", "show", AREA, "T1-001"]);
    let text = hh.to_string();
    assert!(text.contains("\"members\":5") || text.contains("\"members\":\"5\""), "{text}");
    assert!(text.contains("yes"), "{text}");
    let new = d.json(&["household", "show", AREA, "T9-001"]).to_string();
    assert!(new.contains("Tổ 9"), "{new}");
    assert_eq!(d.json(&["status", AREA])["households"], 2);
}
