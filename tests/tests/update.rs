//! Updates from a teammate, end to end on loopback with the binaries this test run built: a
//! device playing an older release (`KDC_TEST_VERSION`, honoured by debug builds only) learns
//! that a teammate offers a newer one for its platform, refuses the archives it must refuse
//! (a tampered one, one whose signature is for another release, none offered at all) leaving
//! the running binaries as they were, then installs the good one on `kdc update --yes`
//! (fetched in chunks, signature checked with a key given through `KDC_TEST_RELEASE_KEY`, also
//! debug-only), restarts on it and syncs; `kdc update --rollback` puts the old binaries back.

use std::path::{Path, PathBuf};
use std::time::Duration;

use kdc_tests::previous::{OtherDaemon, Release};
use kdc_tests::{Daemon, Events, Json, bin, http, wait_until, web_get, web_login};

const AREA: &str = "khu-cap-nhat";
const WAIT: Duration = Duration::from_secs(30);
const OLD_MARK: &[u8] = b"\0KDC-TEST-OLD-BINARY\0";

fn tar_gz(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()));
    for (path, body) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o755);
        h.set_cksum();
        b.append_data(&mut h, path, &body[..]).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap()
}

/// This run's binary `name`, without its debug information when `strip` is there (a debug build
/// is several times the size of a release archive's).
fn binary(tmp: &Path, name: &str) -> Vec<u8> {
    let out = tmp.join(format!("{name}.stripped"));
    let stripped = std::process::Command::new("strip")
        .arg("--strip-debug")
        .arg("-o")
        .arg(&out)
        .arg(bin(name))
        .status()
        .is_ok_and(|s| s.success());
    std::fs::read(if stripped { out } else { bin(name) }).unwrap()
}

fn sign(pair: &minisign::KeyPair, bytes: &[u8], comment: &str) -> String {
    minisign::sign(None, &pair.sk, std::io::Cursor::new(bytes), Some(comment), None).unwrap().into_string()
}

/// Copies of this run's kdcd and kdc in `dir`; kdcd marked (trailing bytes it never reads).
fn install_dir(dir: &Path, mark: bool) -> Release {
    std::fs::create_dir_all(dir).unwrap();
    let (kdcd, kdc) = (dir.join("kdcd"), dir.join("kdc"));
    let mut body = std::fs::read(bin("kdcd")).unwrap();
    if mark {
        body.extend_from_slice(OLD_MARK);
    }
    std::fs::write(&kdcd, body).unwrap();
    std::fs::copy(bin("kdc"), &kdc).unwrap();
    #[cfg(unix)]
    for p in [&kdcd, &kdc] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    Release { version: "test".into(), commit: String::new(), kdcd, kdc }
}

/// This run's release archive for this platform, signed with `pair`, written in `dir`.
struct Signed {
    name: String,
    archive: Vec<u8>,
    path: PathBuf,
    signature: String,
}

fn signed_archive(dir: &Path, pair: &minisign::KeyPair) -> Signed {
    let (current, target) = (crdt_model::compat::RELEASE, kdc_daemon::update::this_target());
    let name = format!("kdc-sync-{current}-{target}.tar.gz");
    let folder = format!("kdc-sync-{current}-{target}");
    let archive = tar_gz(&[
        (format!("{folder}/kdcd"), binary(dir, "kdcd")),
        (format!("{folder}/kdc"), binary(dir, "kdc")),
        (format!("{folder}/README.txt"), b"readme".to_vec()),
    ]);
    let path = dir.join(&name);
    std::fs::write(&path, &archive).unwrap();
    let signature = sign(pair, &archive, &format!("kdc-sync {current} {target}"));
    std::fs::write(format!("{}.minisig", path.display()), &signature).unwrap();
    Signed { name, archive, path, signature }
}

fn marked(path: &PathBuf) -> bool {
    std::fs::read(path).unwrap().ends_with(OLD_MARK)
}

fn offers(d: &OtherDaemon) -> Vec<String> {
    let out = d.kdc(&["--json", "update", "--check"]);
    if out.code != 0 {
        return Vec::new();
    }
    out.json()["offers"].as_array().unwrap().iter().map(|o| o["version"].as_str().unwrap().to_string()).collect()
}

fn peer_version(d: &Daemon, peer: &str) -> Json {
    let peers = d.json(&["peers"]);
    peers.as_array().unwrap().iter().find(|p| p["peer_id"] == peer).map(|p| p["version"].clone()).unwrap_or_default()
}

#[test]
fn a_newer_release_travels_from_a_teammate_and_only_a_good_one_is_installed() {
    let pair = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    let pk = pair.pk.to_base64();
    let target = kdc_daemon::update::this_target();
    let current = crdt_model::compat::RELEASE;
    let tmp = tempfile::tempdir().unwrap();

    // The teammate on this release, keeping its signed archive to offer.
    let b = Daemon::start_args(&["--name", "Binh"]);
    let Signed { name, archive, path, signature: good_sig } = signed_archive(tmp.path(), &pair);
    // The teammate's kdcd takes only what its own key check passes: this one needs the test key.
    let refused = b.kdc(&["update", "--import", path.to_str().unwrap()]);
    assert_eq!(refused.code, 1, "signed with a key the release does not know: {refused:?}");
    drop(b);
    let b = Daemon::start_with_env_args(&[("KDC_TEST_RELEASE_KEY", &pk)], &["--name", "Binh"]);
    b.kdc(&["update", "--import", path.to_str().unwrap()]).ok();
    // And two bad archives put straight into its store (a device's store is not trusted).
    let releases = b.data_dir.join("releases");
    let tampered = format!("kdc-sync-9.0.0-{target}.tar.gz");
    let mut bad = archive.clone();
    let n = bad.len();
    bad[n / 2] ^= 0x55;
    std::fs::write(releases.join(&tampered), &bad).unwrap();
    std::fs::write(
        releases.join(format!("{tampered}.minisig")),
        sign(&pair, &archive, &format!("kdc-sync 9.0.0 {target}")),
    )
    .unwrap();
    let replayed = format!("kdc-sync-8.0.0-{target}.tar.gz");
    std::fs::write(releases.join(&replayed), &archive).unwrap();
    std::fs::write(releases.join(format!("{replayed}.minisig")), &good_sig).unwrap();

    // The device on an older release, in a folder of its own.
    let old_bin = install_dir(&tmp.path().join("a-bin"), true);
    let mut a = OtherDaemon::start_with_env(
        &old_bin,
        tmp.path(),
        "An",
        &[("KDC_TEST_VERSION", "0.1.9"), ("KDC_TEST_RELEASE_KEY", &pk)],
    );
    let a_id = a.json(&["id"])["peer_id"].as_str().unwrap().to_string();
    let pid = a.pid();
    b.kdc(&["area", "create", AREA, "--name", "Khu cập nhật", "--ward", "Phường 1"]).ok();
    b.kdc(&["member", "add", AREA, &a_id, "--name", "An"]).ok();
    a.kdc(&["peer", "add", &b.dial_addr()]).ok();
    // Waits look again after each event of either daemon (reconnecting across a's restarts).
    let events = Events::of_all(&[&a.data_dir, &b.data_dir]);
    assert!(events.wait_until(WAIT, || offers(&a).len() == 3), "offers never arrived: {:?}", offers(&a));
    assert_eq!(offers(&a), vec!["9.0.0".to_string(), "8.0.0".into(), current.to_string()]);
    assert_eq!(peer_version(&b, &a_id), "0.1.9");

    // The team page offers the newest, with a button; pressed, a bad archive is refused there.
    let url = a.json(&["ui", "--no-open"])["url"].as_str().unwrap().to_string();
    let (addr, cookie) = web_login(&a.data_dir, &url);
    let team = web_get(&addr, &cookie, &format!("/a/{AREA}/team?lang=en"));
    assert!(team.contains("data-update-offer=\"9.0.0\"") && team.contains("data-action=\"update\""), "{team}");
    let csrf = team.split("name=\"csrf\" value=\"").nth(1).and_then(|r| r.split('"').next()).unwrap().to_string();
    let form = format!("csrf={csrf}&action=update&release=9.0.0");
    let pressed = http(
        &addr,
        &format!(
            "POST /a/{AREA}/team?lang=en HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nContent-Type: \
             application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
            form.len()
        ),
    );
    assert!(pressed.starts_with("HTTP/1.1 422"), "{pressed}");
    assert!(
        pressed.contains("data-error-for=\"update\"") && pressed.contains("signature does not verify"),
        "{pressed}"
    );

    // Not without a yes, and the bad ones never.
    let no = a.kdc(&["update"]);
    assert_eq!(no.code, 2, "{no:?}");
    let t = a.kdc(&["update", "--yes", "--release", "9.0.0"]);
    assert_eq!(t.code, 1, "{t:?}");
    assert!(t.stderr.contains("signature does not verify"), "{t:?}");
    let r = a.kdc(&["update", "--yes", "--release", "8.0.0"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("signature is for"), "{r:?}");
    let none = a.kdc(&["update", "--yes", "--release", "0.1.0"]);
    assert_eq!(none.code, 1, "{none:?}");
    assert!(a.running() && a.pid() == pid && marked(&old_bin.kdcd), "a refused archive touched the device");
    assert!(!old_bin.kdcd.with_file_name("kdcd.previous").exists());
    assert_eq!(a.json(&["update", "--check"])["current"], "0.1.9");

    // The good one: fetched (resuming what an interrupted fetch left), checked, installed,
    // restarted in place, syncing.
    let resumed = 1_000_000;
    std::fs::create_dir_all(a.data_dir.join("releases")).unwrap();
    std::fs::write(a.data_dir.join("releases").join(format!("{name}.part")), &archive[..resumed]).unwrap();
    let started = std::time::Instant::now();
    let done = a.json(&["update", "--yes", "--release", current]);
    assert_eq!(done["version"], current, "{done}");
    assert_eq!(done["bytes_fetched"], archive.len() - resumed, "{done}");
    assert!(
        events.wait_until(WAIT, || peer_version(&b, &a_id) == current),
        "the device did not come back on {current}"
    );
    assert!(a.wait_ready(WAIT));
    assert!(a.running() && a.pid() == pid, "restarted in place");
    assert_eq!(a.json(&["update", "--check"])["current"], current);
    assert!(!marked(&old_bin.kdcd) && marked(&old_bin.kdcd.with_file_name("kdcd.previous")));
    b.kdc(&["household", "add", "--consent", "verbal", AREA, "H1", "members=2"]).ok();
    assert!(
        events.wait_until(WAIT, || a.kdc(&["--json", "household", "list", AREA]).stdout.contains("H1")),
        "the updated device does not sync"
    );
    eprintln!("update: from `kdc update` to the new release syncing: {} ms", started.elapsed().as_millis());
    // It now offers the release on to others.
    assert!(a.data_dir.join("releases").join(&name).exists());

    // And back.
    a.kdc(&["update", "--rollback"]).ok();
    assert!(wait_until(WAIT, || marked(&old_bin.kdcd)), "the previous kdcd is not back");
    assert!(a.wait_ready(WAIT) && a.running() && a.pid() == pid);
    eprintln!("update: {} bytes fetched for {name}", archive.len());
}

/// An update killed with SIGKILL at each of its steps (`KDC_TEST_KILL_AT`, debug builds on
/// Unix), as a phone's low-memory killer would: every time the device starts again, on whole
/// binaries (the old release or the new one, and never a new kdcd beside an old kdc); still on
/// the old one it is offered the new one again and finishes (resuming the fetch it had begun);
/// then it syncs on the new release.
#[cfg(unix)]
#[test]
fn an_update_killed_at_any_step_leaves_a_device_that_starts_and_finishes_it() {
    use kdc_daemon::update::{CHUNK, STEPS};
    let pair = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    let pk = pair.pk.to_base64();
    let current = crdt_model::compat::RELEASE;
    let tmp = tempfile::tempdir().unwrap();
    let Signed { archive, path, .. } = signed_archive(tmp.path(), &pair);
    let (new_kdcd, new_kdc) = (binary(tmp.path(), "kdcd"), binary(tmp.path(), "kdc"));
    let old_kdc = std::fs::read(bin("kdc")).unwrap();
    let b = Daemon::start_with_env_args(&[("KDC_TEST_RELEASE_KEY", &pk)], &["--name", "Binh"]);
    b.kdc(&["update", "--import", path.to_str().unwrap()]).ok();
    b.kdc(&["area", "create", AREA, "--name", "Khu cập nhật", "--ward", "Phường 1"]).ok();
    let old_env = [("KDC_TEST_VERSION", "0.1.9"), ("KDC_TEST_RELEASE_KEY", pk.as_str())];

    for (i, step) in STEPS.iter().enumerate() {
        let dir = tmp.path().join(format!("step-{i}"));
        let bins = install_dir(&dir.join("bin"), true);
        let mut env = old_env.to_vec();
        env.push(("KDC_TEST_KILL_AT", step));
        let mut a = OtherDaemon::start_with_env(&bins, &dir, "An", &env);
        let a_id = a.json(&["id"])["peer_id"].as_str().unwrap().to_string();
        b.kdc(&["member", "add", AREA, &a_id, "--name", &format!("An {i}")]).ok();
        a.kdc(&["peer", "add", &b.dial_addr()]).ok();
        let events = Events::of_all(&[&a.data_dir, &b.data_dir]);
        assert!(events.wait_until(WAIT, || offers(&a).contains(&current.to_string())), "{step}: no offer");
        // Binh's address is on disk (the address book is saved within 250 ms of a change).
        let b_id = b.peer_id();
        let book = a.data_dir.join("peers.json");
        assert!(wait_until(WAIT, || std::fs::read_to_string(&book).is_ok_and(|t| t.contains(&b_id))));
        let killed = a.kdc(&["update", "--yes", "--release", current]);
        assert_ne!(killed.code, 0, "{step}: the update went through: {killed:?}");
        assert!(wait_until(WAIT, || !a.running()), "{step}: kdcd was not killed");
        assert!(a.log_text().contains(&format!("killed at update step {step:?}")), "{step}: {}", a.log_text());
        drop(a);

        // Whole binaries, and a new daemon only beside the new kdc.
        let (kdcd, kdc) = (std::fs::read(&bins.kdcd).unwrap(), std::fs::read(&bins.kdc).unwrap());
        let old = kdcd.ends_with(OLD_MARK);
        assert!(old || kdcd == new_kdcd, "{step}: kdcd is neither release");
        assert!(kdc == old_kdc || kdc == new_kdc, "{step}: kdc is neither release");
        assert!(old || kdc == new_kdc, "{step}: the new kdcd beside the old kdc");

        // Started again as its boot script would: it answers, on either release.
        let env: Vec<(&str, &str)> = if old { old_env.to_vec() } else { vec![old_env[1]] };
        let a = OtherDaemon::start_with_env(&bins, &dir, "An", &env);
        let events = Events::of_all(&[&a.data_dir, &b.data_dir]);
        if old {
            assert!(
                events.wait_until(WAIT, || offers(&a).contains(&current.to_string())),
                "{step}: no offer again; peers {}; log {}",
                a.kdc(&["--json", "peers"]).stdout,
                a.log_text()
            );
            let done = a.json(&["update", "--yes", "--release", current]);
            assert_eq!(done["version"], current, "{step}: {done}");
            let fetched = done["bytes_fetched"].as_u64().unwrap();
            if *step == "fetch: first chunk written" {
                assert_eq!(fetched, archive.len() as u64 - CHUNK, "{step}: the fetch did not resume");
            }
            if ["checked", "kept to offer"].contains(step) || step.starts_with("kdc") {
                assert_eq!(fetched, 0, "{step}: fetched again what it had");
            }
            assert!(a.wait_ready(WAIT), "{step}: not back after the update");
        }
        assert!(events.wait_until(WAIT, || peer_version(&b, &a_id) == current), "{step}: not syncing on {current}");
        assert_eq!(a.json(&["update", "--check"])["current"], current, "{step}");
        assert_eq!(std::fs::read(&bins.kdcd).unwrap(), new_kdcd, "{step}");
        assert_eq!(std::fs::read(&bins.kdc).unwrap(), new_kdc, "{step}");
        eprintln!(
            "update: killed at {step:?}: started again on {}",
            if old { "the old release, finished it" } else { "the new release" }
        );
    }
}
