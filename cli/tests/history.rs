//! `kdc history`, `kdc status --at` and `kdc conflicts` on a snapshot file built here with
//! crdt-model, no daemon; the process runs with TZ=UTC so days are UTC days.

use std::path::Path;
use std::process::Command;

use crdt_model::{Area, HouseholdWrite, NewArea, Status, snapshot};

const DAY: i64 = 86_400_000;
/// 2026-08-10T00:00:00Z in milliseconds.
const D0: i64 = 1_786_320_000_000;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn kdc(dir: &Path, args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_kdc"))
        .current_dir(dir)
        .arg("--data-dir")
        .arg(dir.join("no-daemon"))
        .args(args)
        .env("LANG", "C")
        .env("TZ", "UTC")
        .env_remove("KDC_DATA_DIR")
        .output()
        .unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

fn w(id: &str, fields: &[(&str, &str)]) -> HouseholdWrite {
    HouseholdWrite {
        id: id.into(),
        group: Some("Tổ 1".into()),
        address: None,
        fields: fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        consent: Some(crdt_model::ConsentGiven::verbal()),
    }
}

/// Created 10/08 by device A; 11/08 two households; 13/08 device B (apart) and A both change
/// T1-001's eid_accounts, then they merge. Returns the file and the area's status at the end of
/// 11/08 and 13/08, kept as the documents were then.
fn fixture(dir: &Path) -> (std::path::PathBuf, Status, Status) {
    let new = NewArea { id: "tam-giac-3".into(), name: "Tam Giác 3".into(), ward: "P1".into(), profile_toml: None };
    let mut a = Area::create(new, "peer-a", "Lan", D0 + 3_600_000).unwrap();
    a.add_member("peer-b", "Minh", "member", "peer-a", D0 + 3_700_000).unwrap();
    let mut b = Area::load(&a.save(), "peer-b").unwrap();
    a.add_household(
        w("T1-001", &[("members", "4"), ("members_14plus", "3"), ("eid_accounts", "1")]),
        "peer-a",
        D0 + DAY + 9 * 3_600_000,
    )
    .unwrap();
    a.add_household(
        w("T1-002", &[("members", "2"), ("members_14plus", "2"), ("eid_accounts", "2")]),
        "peer-a",
        D0 + DAY + 10 * 3_600_000,
    )
    .unwrap();
    let day11 = a.status();
    b.merge(&a).unwrap();
    a.set_household(w("T1-001", &[("eid_accounts", "2")]), "peer-a", D0 + 3 * DAY + 8 * 3_600_000).unwrap();
    b.set_household(w("T1-001", &[("eid_accounts", "3")]), "peer-b", D0 + 3 * DAY + 9 * 3_600_000).unwrap();
    a.merge(&b).unwrap();
    let day13 = a.status();
    let file = dir.join("tg.kdcsnap");
    std::fs::write(&file, snapshot::encode(&[&a])).unwrap();
    (file, day11, day13)
}

#[test]
fn status_at_a_date_is_the_document_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let (file, day11, day13) = fixture(dir.path());
    let f = file.to_str().unwrap();
    for (date, expected) in
        [("2026-08-11", &day11), ("12/08/2026", &day11), ("2026-08-13", &day13), ("20/8/2026", &day13)]
    {
        let out = kdc(dir.path(), &["--json", "status", "tam-giac-3", "--at", date, "--snapshot", f]);
        assert_eq!(out.code, 0, "{date}: {}", out.stderr);
        let got: Status = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(&got, expected, "{date}");
    }
    // The human text says which day it is about.
    let out = kdc(dir.path(), &["--lang", "vi", "status", "tam-giac-3", "--at", "2026-08-11", "--snapshot", f]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("cuối ngày 11/08/2026"), "{}", out.stdout);
    // Before the area existed: not found.
    let out = kdc(dir.path(), &["status", "tam-giac-3", "--at", "2026-08-09", "--snapshot", f]);
    assert_eq!(out.code, 4, "{}", out.stderr);
    // A date that is not one: exit 2, naming the flag and the allowed forms.
    let out = kdc(dir.path(), &["status", "tam-giac-3", "--at", "31/02/2026", "--snapshot", f]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--at") && out.stderr.contains("DD/MM/YYYY"), "{}", out.stderr);
    // An area the file does not hold: exit 4, naming what it holds.
    let out = kdc(dir.path(), &["status", "dong-tho-1", "--snapshot", f]);
    assert_eq!(out.code, 4);
    assert!(out.stderr.contains("tam-giac-3"), "{}", out.stderr);
}

#[test]
fn history_by_day_in_json_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let (file, day11, day13) = fixture(dir.path());
    let f = file.to_str().unwrap();
    let out = kdc(dir.path(), &["--json", "history", "tam-giac-3", "--snapshot", f]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let days = v["days"].as_array().unwrap();
    let dates: Vec<&str> = days.iter().map(|d| d["date"].as_str().unwrap()).collect();
    assert_eq!(dates, ["2026-08-10", "2026-08-11", "2026-08-13"]);
    let changes: Vec<u64> = days.iter().map(|d| d["changes"].as_u64().unwrap()).collect();
    assert_eq!(changes, [2, 2, 2]);
    assert_eq!(days[1]["households"], 2);
    assert_eq!(days[1]["required_met"], day11.required_met);
    let e_citizen = |d: &serde_json::Value| {
        d["criteria"].as_array().unwrap().iter().find(|c| c["id"] == "e_citizen").unwrap()["numerator"].as_u64()
    };
    let expected = |s: &Status| s.criteria.iter().find(|c| c.id == "e_citizen").unwrap().numerator;
    assert_eq!(e_citizen(&days[1]), Some(expected(&day11)));
    assert_eq!(e_citizen(&days[2]), Some(expected(&day13)));

    let out = kdc(
        dir.path(),
        &[
            "history",
            "tam-giac-3",
            "--since",
            "11/08/2026",
            "--until",
            "2026-08-12",
            "--format",
            "csv",
            "--snapshot",
            f,
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = out.stdout.strip_prefix('\u{feff}').expect("CSV starts with a BOM");
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header = r.headers().unwrap().clone();
    assert_eq!(&header[0], "date");
    assert!(header.iter().any(|h| h == "e_citizen_numerator"));
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][0], "2026-08-11");

    let out = kdc(dir.path(), &["--lang", "en", "history", "tam-giac-3", "--snapshot", f]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("2026-08-13"), "{}", out.stdout);
    // Criteria not met are named by their labels, in the table's language.
    assert!(
        out.stdout.contains("Residents with an electronic citizen account") && !out.stdout.contains("e_citizen"),
        "{}",
        out.stdout
    );
    let vi = kdc(dir.path(), &["--lang", "vi", "history", "tam-giac-3", "--snapshot", f]);
    assert!(
        vi.stdout.contains("Người dân có tài khoản định danh điện tử") && !vi.stdout.contains("e_citizen"),
        "{}",
        vi.stdout
    );

    let out =
        kdc(dir.path(), &["history", "tam-giac-3", "--since", "2026-08-13", "--until", "2026-08-11", "--snapshot", f]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}

#[test]
fn household_history_and_conflicts_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let (file, _, _) = fixture(dir.path());
    let f = file.to_str().unwrap();
    let out = kdc(dir.path(), &["--json", "history", "tam-giac-3", "--household", "T1-001", "--snapshot", f]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let eid: Vec<(String, String, String, String)> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["field"] == "eid_accounts")
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or("-").to_string();
            (s("name"), s("old"), s("new"), s("at"))
        })
        .collect();
    assert_eq!(eid.len(), 3, "{eid:?}");
    assert_eq!(eid[0], ("Lan".into(), "-".into(), "1".into(), "2026-08-11T09:00:00Z".into()));
    assert!(eid.contains(&("Lan".into(), "1".into(), "2".into(), "2026-08-13T08:00:00Z".into())), "{eid:?}");
    assert!(eid.contains(&("Minh".into(), "1".into(), "3".into(), "2026-08-13T09:00:00Z".into())), "{eid:?}");

    let out = kdc(dir.path(), &["--lang", "vi", "history", "tam-giac-3", "--household", "T1-001", "--snapshot", f]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("13/08/2026 09:00") && out.stdout.contains("1 → 3"), "{}", out.stdout);

    let out = kdc(dir.path(), &["history", "tam-giac-3", "--household", "T9-999", "--snapshot", f]);
    assert_eq!(out.code, 4, "{}", out.stderr);

    // The concurrent eid_accounts values are a conflict, with both devices.
    let out = kdc(dir.path(), &["--json", "conflicts", "tam-giac-3", "--snapshot", f]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let c = &v.as_array().unwrap()[0];
    assert_eq!((c["household"].as_str(), c["field"].as_str()), (Some("T1-001"), Some("eid_accounts")));
    let mut peers: Vec<&str> = c["values"].as_array().unwrap().iter().map(|x| x["peer_id"].as_str().unwrap()).collect();
    peers.sort();
    assert_eq!(peers, ["peer-a", "peer-b"]);
}

#[test]
fn a_bad_file_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let (file, _, _) = fixture(dir.path());
    let mut bytes = std::fs::read(&file).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0xff;
    let bad = dir.path().join("hỏng.kdcsnap");
    std::fs::write(&bad, bytes).unwrap();
    for args in [
        &["history", "tam-giac-3", "--snapshot", bad.to_str().unwrap()][..],
        &["status", "tam-giac-3", "--at", "2026-08-11", "--snapshot", bad.to_str().unwrap()],
    ] {
        let out = kdc(dir.path(), args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains("hỏng.kdcsnap"), "{}", out.stderr);
    }
}
