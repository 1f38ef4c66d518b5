//! Personal data: snapshot files only the ward office can open (age, to the ward members'
//! recipients on the roster and to the exporting device), and a marker written into a
//! household that a forwarded file does not show.

use kdc_tests::{Daemon, files_holding, kdc};

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

/// Encryption at rest: a marker written into household addresses, through enough writes that
/// the area is compacted, is in no byte of any file under the data directory, while the
/// device reads it back. (The control, that the same writes leave the text plainly on disk
/// without encryption, is the next test's: its directory from before holds its marker.)
#[test]
fn no_household_text_is_left_in_the_data_directory() {
    let mut device = Daemon::start();
    device.kdc(&["area", "create", AREA, "--name", "Khu 1", "--ward", "Phường 1"]).ok();
    device.kdc(&["household", "add", "--consent", "verbal", AREA, "T1-000", "--address", MARKER, "members=3"]).ok();
    // Past the compaction threshold (256 chunks): saves and chunks both hold the text.
    for i in 1..=270 {
        let hh = format!("T1-{i:03}");
        let address = format!("{MARKER} số {i}");
        device.kdc(&["household", "add", "--consent", "verbal", AREA, &hh, "--address", &address, "members=2"]).ok();
    }
    let shown = device.json(&["household", "show", AREA, "T1-270"]);
    assert_eq!(shown["address"], format!("{MARKER} số 270"));
    let listed = device.json(&["household", "list", AREA]);
    assert_eq!(listed.as_array().unwrap().len(), 271);
    let saves: Vec<_> =
        std::fs::read_dir(device.data_dir.join("saves")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(saves.iter().any(|n| n.to_string_lossy() != format!("{AREA}.0")), "compacted: {saves:?}");
    assert_eq!(files_holding(&device.data_dir, MARKER), Vec::<std::path::PathBuf>::new(), "while running");
    assert!(device.terminate().success());
    assert_eq!(files_holding(&device.data_dir, MARKER), Vec::<std::path::PathBuf>::new(), "after stopping");
    assert!(
        device.data_dir.join("keys/device.key").exists() && device.data_dir.join(format!("keys/{AREA}.0")).exists()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for key in ["keys/device.key", &format!("keys/{AREA}.0")] {
            let mode = std::fs::metadata(device.data_dir.join(key)).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{key} is readable by others: {mode:o}");
        }
    }
    // And it all comes back.
    device.restart();
    assert_eq!(device.json(&["household", "show", AREA, "T1-007"])["address"], format!("{MARKER} số 7"));
}

/// A data directory written before encryption at rest (tests/fixtures/legacy-datadir.tar.gz:
/// made by kdcd at a247320 with 300 households whose addresses hold ZZLEGACYMARKER, compacted
/// once) is sealed the first time kdcd opens it: every household reads as before, and the
/// marker that was plainly in the database is in no file any more.
#[test]
fn a_data_directory_from_before_encryption_is_sealed_when_opened() {
    const LEGACY: &str = "ZZLEGACYMARKER";
    let tmp = tempfile::tempdir().unwrap();
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/legacy-datadir.tar.gz");
    let untar = std::process::Command::new("tar").arg("xzf").arg(fixture).arg("-C").arg(tmp.path()).status().unwrap();
    assert!(untar.success());
    let data = tmp.path().join("data");
    assert!(!files_holding(&data, LEGACY).is_empty(), "control: the old directory holds the marker in plain");

    let mut device = Daemon::start_in(&data);
    let listed = device.json(&["household", "list", "cu-cu"]);
    assert_eq!(listed.as_array().unwrap().len(), 300);
    let shown = device.json(&["household", "show", "cu-cu", "T1-042"]);
    assert_eq!(shown["address"], format!("{LEGACY} 42 Ngõ Cũ"));
    assert_eq!(shown["fields"]["members"], 3);
    device.kdc(&["household", "set", "cu-cu", "T1-042", "internet=no"]).ok();
    assert!(device.terminate().success());
    assert_eq!(files_holding(&data, LEGACY), Vec::<std::path::PathBuf>::new());
    assert!(!data.join("db.plain").exists() && !data.join("db.sealing").exists());
    device.restart();
    let shown = device.json(&["household", "show", "cu-cu", "T1-042"]);
    assert_eq!(
        (shown["address"].as_str(), shown["fields"]["internet"].as_str()),
        (Some("ZZLEGACYMARKER 42 Ngõ Cũ"), Some("no"))
    );
}

/// A passphrase wraps the data key: given with --passphrase-fd it is set, from then on kdcd
/// does not start without it (exit 2, saying how to give it) or with a wrong one, and the
/// right one opens the data.
#[test]
fn a_passphrase_protects_the_data_key() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let pass = tmp.path().join("pass");
    std::fs::write(&pass, "rà từng ngõ, gõ từng nhà\n").unwrap();
    let flags = ["--passphrase-fd", "0"];
    {
        let device = Daemon::start_with_stdin(&data, &flags, Some(&pass));
        device.kdc(&["area", "create", AREA, "--name", "Khu 1", "--ward", "Phường 1"]).ok();
        device.kdc(&["household", "add", "--consent", "verbal", AREA, "T1-001", "--address", MARKER]).ok();
    }
    let key = std::fs::read_to_string(data.join("keys/device.key")).unwrap();
    assert!(key.contains("argon2id") && !key.contains("\nkey "), "{key}");

    let refused = |stdin: Option<&std::path::Path>, extra: &[&str]| {
        let mut child = kdc_tests::spawn_kdcd_with(&data, extra, stdin);
        let status = kdc_tests::wait_with_deadline(&mut child, std::time::Duration::from_secs(30)).expect("kdcd exits");
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        (status.code(), stderr)
    };
    let (code, stderr) = refused(None, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("passphrase") && stderr.contains("--passphrase-fd"), "{stderr}");
    let wrong = tmp.path().join("wrong");
    std::fs::write(&wrong, "gõ từng nhà\n").unwrap();
    let (code, stderr) = refused(Some(&wrong), &flags);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("does not open the data key"), "{stderr}");
    let empty = tmp.path().join("empty");
    std::fs::write(&empty, "").unwrap();
    let (code, stderr) = refused(Some(&empty), &flags);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("passphrase") && stderr.contains("empty"), "{stderr}");

    let device = Daemon::start_with_stdin(&data, &flags, Some(&pass));
    assert_eq!(device.json(&["household", "show", AREA, "T1-001"])["address"], MARKER);
}
