//! `kdc history` and `kdc status --at` against a running daemon: the same answers as on files,
//! from the daemon's own document.

use kdc_tests::Daemon;

#[test]
fn history_and_status_at_on_a_daemon() {
    let d = Daemon::start();
    d.kdc(&["area", "create", "tam-giac-3", "--name", "Tam Giác 3", "--ward", "P1"]).ok();
    d.kdc(&[
        "household",
        "add",
        "--consent",
        "verbal",
        "tam-giac-3",
        "T1-001",
        "--group",
        "Tổ 1",
        "members=4",
        "members_14plus=3",
        "eid_accounts=1",
    ])
    .ok();
    d.kdc(&["household", "add", "--consent", "verbal", "tam-giac-3", "T1-002", "members=2", "members_14plus=2"]).ok();
    d.kdc(&["household", "set", "tam-giac-3", "T1-001", "eid_accounts=3"]).ok();

    // Today's history: one line (today), with every change and both households.
    let h = d.json(&["history", "tam-giac-3"]);
    let days = h["days"].as_array().unwrap();
    assert_eq!(days.len(), 1, "{h}");
    assert_eq!(days[0]["households"], 2);
    assert_eq!(days[0]["changes"], 4); // create + 2 adds + 1 set
    let today = days[0]["date"].as_str().unwrap().to_string();

    // The status at the end of today is the status now.
    let mut now = d.figures("tam-giac-3");
    let mut at = d.json(&["status", "tam-giac-3", "--at", &today]);
    now.as_object_mut().unwrap().remove("members_sync");
    at.as_object_mut().unwrap().remove("members_sync");
    assert_eq!(at, now);

    // The day before, the area did not exist: exit 4, said plainly.
    let yesterday = chrono_free_yesterday(&today);
    let out = d.kdc(&["status", "tam-giac-3", "--at", &yesterday]);
    assert_eq!(out.code, 4, "{out:?}");
    assert!(out.stderr.contains("did not exist yet"), "{}", out.stderr);

    // The household's changes, with this device's name, old and new values.
    let hist = d.json(&["history", "tam-giac-3", "--household", "T1-001"]);
    let eid: Vec<(&str, &str, &str)> = hist["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["field"] == "eid_accounts")
        .map(|c| (c["name"].as_str().unwrap(), c["old"].as_str().unwrap_or("-"), c["new"].as_str().unwrap()))
        .collect();
    assert_eq!(eid, [("test-device", "-", "1"), ("test-device", "1", "3")]);

    // An unknown area or household: exit 4; a bad date: exit 2.
    assert_eq!(d.kdc(&["history", "nowhere"]).code, 4);
    assert_eq!(d.kdc(&["history", "tam-giac-3", "--household", "T9-999"]).code, 4);
    assert_eq!(d.kdc(&["history", "tam-giac-3", "--since", "yesterday"]).code, 2);
}

/// `YYYY-MM-DD` minus one day, by hand (the tests crate does not need a date library for this).
fn chrono_free_yesterday(date: &str) -> String {
    let p: Vec<u32> = date.split('-').map(|x| x.parse().unwrap()).collect();
    let (mut y, mut m, mut d) = (p[0], p[1], p[2]);
    if d > 1 {
        d -= 1;
    } else {
        m = if m == 1 { 12 } else { m - 1 };
        if m == 12 {
            y -= 1;
        }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        d = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][(m - 1) as usize];
    }
    format!("{y:04}-{m:02}-{d:02}")
}
