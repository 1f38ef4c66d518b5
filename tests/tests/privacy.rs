//! Personal data: snapshot files only the ward office can open (age, to the ward members'
//! recipients on the roster and to the exporting device), and a marker written into a
//! household that a forwarded file does not show.

use kdc_tests::{Daemon, kdc};

const AREA: &str = "khu-1";
const MARKER: &str = "MARKER-ngo-77-Tran-Hung-Dao";

#[test]
fn an_exported_file_opens_only_with_the_wards_key_or_the_exporting_device() {
    let area = Daemon::start();
    let ward = Daemon::start();
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    area.kdc(&["area", "create", AREA, "--name", "Khu 1", "--ward", "Phường 1"]).ok();
    area.kdc(&["household", "add", "--consent", "verbal", AREA, "T1-001", "--address", MARKER, "members=3"]).ok();

    // No ward key on the roster yet: a plain file, and the command says so.
    let plain = area.kdc(&["--lang", "en", "snapshot", "export", AREA, "-o", &path("plain.kdcsnap")]).ok();
    assert!(plain.stdout.contains("Not encrypted"), "{plain:?}");

    // The ward office makes its key; the area's head puts the ward device on the roster with it.
    let made = kdc(&ward.data_dir, &["--json", "ward", "keygen", "-o", &path("ward.key")]).ok().json();
    let recipient = made["recipient"].as_str().unwrap().to_string();
    assert!(recipient.starts_with("age1"), "{made}");
    let again = kdc(&ward.data_dir, &["ward", "keygen", "-o", &path("ward.key")]);
    assert_eq!(again.code, 2, "an existing key was overwritten: {again:?}");
    let bad = area.kdc(&[
        "member",
        "add",
        AREA,
        &ward.peer_id(),
        "--name",
        "UBND",
        "--role",
        "ward",
        "--recipient",
        "age1nope",
    ]);
    assert!(bad.code == 2 && bad.stderr.contains("recipient"), "{bad:?}");
    area.kdc(&["member", "add", AREA, &ward.peer_id(), "--name", "UBND", "--role", "ward", "--recipient", &recipient])
        .ok();
    let roster = area.json(&["member", "list", AREA]);
    assert!(roster.to_string().contains(&recipient), "{roster}");

    let exported = area.json(&["snapshot", "export", AREA, "-o", &path("sealed.kdcsnap")]);
    assert_eq!(exported["encrypted_to"], serde_json::json!([recipient]), "{exported}");
    let sealed = std::fs::read(path("sealed.kdcsnap")).unwrap();
    assert!(sealed.starts_with(b"age-encryption.org/v1\n"));
    let contains = |bytes: &[u8], needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(!contains(&sealed, MARKER) && !contains(&sealed, "KDCSNAP"), "household data readable in the file");

    // A finder (any device without the key) gets nothing, and is told why.
    let finder = tempfile::tempdir().unwrap();
    for args in [
        vec!["snapshot", "verify", "FILE"],
        vec!["report", "FILE", "--format", "json"],
        vec!["snapshot", "merge", "-o", "OUT", "FILE"],
    ] {
        let out_file = path("merged.kdcsnap");
        let args: Vec<&str> = args
            .iter()
            .map(|a| if *a == "FILE" { "SEALED" } else { a })
            .map(|a| if a == "OUT" { out_file.as_str() } else { a })
            .collect();
        let sealed_path = path("sealed.kdcsnap");
        let args: Vec<&str> = args.iter().map(|a| if *a == "SEALED" { sealed_path.as_str() } else { a }).collect();
        let out = kdc(finder.path(), &["--lang", "en"].iter().chain(args.iter()).copied().collect::<Vec<_>>());
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(out.stderr.contains("encrypted") && out.stderr.contains("--identity"), "{args:?}: {out:?}");
        // With the ward's key it opens.
        let key = path("ward.key");
        let with_key: Vec<&str> = ["--identity", key.as_str()].iter().chain(args.iter()).copied().collect();
        let out = kdc(finder.path(), &with_key);
        assert_eq!(out.code, 0, "{with_key:?}: {out:?}");
    }
    // What the key opens is the area, marker included (Automerge compresses its columns, so
    // the marker's absence from the bytes alone would prove little).
    let merged = std::fs::read(path("merged.kdcsnap")).unwrap();
    let areas = crdt_model::snapshot::decode_areas(&merged, "test").unwrap();
    assert_eq!(areas[0].household("T1-001").and_then(|h| h.address).as_deref(), Some(MARKER));
    // The exporting device reads its own file with its own key.
    area.kdc(&["snapshot", "verify", &path("sealed.kdcsnap")]).ok();
    // The ward imports it into its daemon with its key.
    let imported = kdc(
        &ward.data_dir,
        &["--json", "--identity", &path("ward.key"), "snapshot", "import", &path("sealed.kdcsnap")],
    )
    .ok()
    .json();
    assert_eq!(imported["areas"][0]["id"], AREA, "{imported}");
    // `--plain` still writes an unencrypted file when asked.
    let forced = area.json(&["snapshot", "export", AREA, "-o", &path("forced.kdcsnap"), "--plain"]);
    assert_eq!(forced["encrypted_to"], serde_json::json!([]), "{forced}");
    assert!(contains(&std::fs::read(path("forced.kdcsnap")).unwrap(), "KDCSNAP"));
}
