//! The README's walk-through, run for real: create an area, record households, read the status,
//! and check every figure against the contract's rules worked out by hand.

use kdc_tests::{Daemon, Json};

const AREA: &str = "tam-giac-3";

/// Five households; T2-003 is archived. The expected figures below are computed by hand from
/// these rows (see the comments on each criterion).
const HOUSEHOLDS: &[(&str, &str, &[&str])] = &[
    (
        "T1-001",
        "Tổ 1",
        &[
            "members=4",
            "members_14plus=3",
            "internet=yes",
            "smartphone_users=3",
            "eid_accounts=3",
            "payment_accounts=2",
            "digital_signature=yes",
            "online_public_service=yes",
            "mapped=yes",
            "business=no",
            "smart_city_app=yes",
        ],
    ),
    (
        "T1-002",
        "Tổ 1",
        &[
            "members=2",
            "members_14plus=2",
            "internet=có",
            "smartphone_users=2",
            "eid_accounts=1",
            "payment_accounts=2",
            "digital_signature=no",
            "online_public_service=yes",
            "mapped=no",
            "business=yes",
            "ecommerce=yes",
            "qr_payment=yes",
        ],
    ),
    (
        "T2-001",
        "Tổ 2",
        &[
            "members=5",
            "members_14plus=4",
            "internet=không",
            "smartphone_users=3",
            "eid_accounts=4",
            "payment_accounts=4",
            "digital_signature=unknown",
            "online_public_service=no",
            "business=yes",
            "ecommerce=no",
            "qr_payment=yes",
        ],
    ),
    ("T2-002", "Tổ 2", &["members=3", "internet=yes"]),
    ("T2-003", "Tổ 2", &["members=1", "members_14plus=1", "internet=no"]),
];

pub fn populate(d: &Daemon) {
    d.kdc(&["area", "create", AREA, "--name", "Khu dân cư Tam Giác 3", "--ward", "Phường Hạc Thành"]).ok();
    for (hh, group, fields) in HOUSEHOLDS {
        let mut args =
            vec!["household", "add", "--consent", "verbal", AREA, hh, "--group", group, "--address", "ngõ 4"];
        args.extend_from_slice(fields);
        d.kdc(&args).ok();
    }
    d.kdc(&["household", "archive", AREA, "T2-003"]).ok();
}

fn criterion<'a>(status: &'a Json, id: &str) -> &'a Json {
    status["criteria"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no {id}"))
}

/// (id, numerator, denominator, ratio, met, unknown)
type Row = (&'static str, u64, u64, Option<f64>, bool, u64);

fn check(status: &Json, rows: &[Row]) {
    for &(id, n, d, ratio, met, unknown) in rows {
        let c = criterion(status, id);
        let got = (
            c["numerator"].as_u64().unwrap(),
            c["denominator"].as_u64().unwrap(),
            c["ratio"].as_f64(),
            c["met"].as_bool().unwrap(),
            c["unknown"].as_u64().unwrap(),
        );
        assert_eq!(got, (n, d, ratio, met, unknown), "criterion {id}: {c}");
    }
}

#[test]
fn walkthrough_gives_the_contracts_figures() {
    let d = Daemon::start();
    populate(&d);
    let status = d.json(&["status", AREA]);
    assert_eq!(status["area"], AREA);
    assert_eq!(status["profile"], "kdc-so-v1");
    assert_eq!(status["households"], 4, "the archived household counts nowhere");
    assert_eq!(status["certified"], false);
    check(
        &status,
        &[
            // yes: T1-001, T1-002, T2-002 of 4 active households.
            ("internet", 3, 4, Some(0.75), false, 0),
            // T2-002 has no members_14plus: out of both sums, counted unknown. 3+2+3 of 3+2+4.
            ("smartphone", 8, 9, Some(0.8889), false, 1),
            ("e_citizen", 8, 9, Some(0.8889), false, 1),
            ("cashless_account", 8, 9, Some(0.8889), false, 1),
            // Business households T1-002 (yes) and T2-001 (no): 1/2 is not > 0.50.
            ("ecommerce", 1, 2, Some(0.5), false, 0),
            ("digital_map", 1, 4, Some(0.25), false, 2),
            ("digital_signature", 1, 4, Some(0.25), false, 2),
            ("online_public_service", 2, 4, Some(0.5), false, 1),
            ("qr_payment", 2, 2, Some(1.0), true, 0),
            ("smart_city_app", 1, 4, Some(0.25), false, 3),
        ],
    );
    let c = criterion(&status, "e_citizen");
    assert_eq!(
        (c["op"].as_str(), c["threshold"].as_f64(), c["level"].as_str()),
        (Some(">"), Some(0.9), Some("person"))
    );
    assert_eq!(c["applicable"], true);
    assert_eq!(c["required"], true);

    // The door-to-door worklist for VNeID: T1-002 (1 of 2) and T2-002 (members_14plus unknown).
    let list = d.json(&["household", "list", AREA, "--missing", "e_citizen"]);
    let ids: Vec<&str> = list.as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["T1-002", "T2-002"]);
    assert_eq!(list[0]["group"], "Tổ 1");
    assert_eq!(list[0]["address"], "ngõ 4");
    assert_eq!(list[0]["archived"], false);
    let human = d.kdc(&["household", "list", AREA, "--missing", "e_citizen"]).ok();
    assert!(
        human.stdout.contains("T1-002") && human.stdout.contains("T2-002") && !human.stdout.contains("T1-001"),
        "{}",
        human.stdout
    );

    // One more visit: T2-001 now sells online; ecommerce is 2/2 and met.
    d.kdc(&["household", "set", AREA, "T2-001", "ecommerce=yes"]).ok();
    let status = d.json(&["status", AREA]);
    check(&status, &[("ecommerce", 2, 2, Some(1.0), true, 0)]);

    // Human output, both languages.
    let en = d.kdc(&["--lang", "en", "status", AREA]).ok();
    assert!(en.stdout.contains("2 of 8 required criteria met"), "{}", en.stdout);
    let vi = d.kdc(&["--lang", "vi", "status", AREA]).ok();
    assert!(vi.stdout.contains("Đạt 2/8 tiêu chí bắt buộc"), "{}", vi.stdout);
    assert!(vi.stdout.contains("88,89%"), "percentages with two decimals, Vietnamese style: {}", vi.stdout);
    assert!(en.stdout.contains("88.89%"), "percentages with two decimals: {}", en.stdout);

    // household show: the contract's shape.
    let show = d.json(&["household", "show", AREA, "T1-002"]);
    assert_eq!(show["id"], "T1-002");
    assert_eq!(show["area"], AREA);
    assert_eq!(show["fields"]["members"], 2);
    assert_eq!(show["fields"]["internet"], "yes");
    assert!(show["fields"].get("smart_city_app").is_none());
    assert_eq!(show["criteria"]["e_citizen"], false);
    assert_eq!(show["criteria"]["qr_payment"], true);
    assert!(show["updated_at"].as_str().unwrap().ends_with('Z'));
    let id = d.json(&["id"]);
    assert_eq!(show["updated_by"], id["peer_id"]);

    // area list
    let areas = d.json(&["area", "list"]);
    assert_eq!(areas[0]["id"], AREA);
    assert_eq!(areas[0]["households"], 4);
    assert_eq!(areas[0]["ward"], "Phường Hạc Thành");
}

#[test]
fn figures_survive_restart_and_snapshot_restore() {
    let mut d = Daemon::start();
    populate(&d);
    let before = d.figures(AREA);
    let list_before = d.json(&["household", "list", AREA, "--archived"]);
    let file = d.data_dir.join("backup.kdcsnap");
    d.kdc(&["snapshot", "export", AREA, "-o", file.to_str().unwrap()]).ok();

    // Graceful stop and restart: same figures.
    assert_eq!(d.terminate().code(), Some(0), "SIGTERM exits 0");
    d.restart();
    assert_eq!(d.figures(AREA), before);
    assert_eq!(d.json(&["household", "list", AREA, "--archived"]), list_before);

    // Restore on a new device: import creates the area with the same figures.
    let other = Daemon::start();
    let imported = other.kdc(&["snapshot", "import", file.to_str().unwrap()]).ok();
    assert!(imported.code == 0);
    assert_eq!(other.figures(AREA), before);
    // Importing twice changes nothing.
    other.kdc(&["snapshot", "import", file.to_str().unwrap()]).ok();
    assert_eq!(other.figures(AREA), before);

    // Verify works with no daemon at all and says what the file holds.
    let verify =
        kdc_tests::kdc(&other.data_dir.join("nowhere"), &["--json", "snapshot", "verify", file.to_str().unwrap()])
            .ok()
            .json();
    let text = verify.to_string();
    assert!(text.contains(AREA), "{text}");
}
