//! The `kdc` binary's usage errors and exit codes, with no daemon involved.
//! (Having an integration test here also makes `cargo test` build the `kdc` binary that the
//! whole-system tests in `tests/` drive.)

use std::process::Command;

fn kdc(args: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kdc"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(args)
        .env("LANG", "C")
        .env_remove("KDC_DATA_DIR")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn help_is_success_and_lists_the_contract_commands() {
    let (code, stdout, _) = kdc(&["--help"]);
    assert_eq!(code, 0);
    for cmd in [
        "area",
        "household",
        "status",
        "member",
        "invite",
        "join",
        "peers",
        "snapshot",
        "report",
        "history",
        "conflicts",
    ] {
        assert!(stdout.contains(cmd), "--help lacks {cmd}: {stdout}");
    }
}

#[test]
fn usage_errors_exit_2() {
    for args in [&["frobnicate"][..], &["status"], &["household", "add"], &["--lang", "de", "area", "list"]] {
        let (code, _, stderr) = kdc(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
    }
}

#[test]
fn no_daemon_exits_3() {
    let (code, _, stderr) = kdc(&["area", "list"]);
    assert_eq!(code, 3, "{stderr}");
}

#[test]
fn verify_refuses_a_non_snapshot_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "not a snapshot").unwrap();
    let (code, _, stderr) = kdc(&["snapshot", "verify", file.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("notes.txt"), "{stderr}");
}
