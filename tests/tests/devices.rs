//! The release binaries on the devices people have, under emulation: an aarch64 `kdcd` (the
//! Android phone under Termux, the Raspberry Pi) run by qemu-user syncs an area with an x86_64
//! `kdcd` on loopback — invite, join, 300 households, writes both ways, identical status.
//!
//! Needs the aarch64 archive's binaries (`DIST_TARGETS=aarch64-unknown-linux-musl scripts/dist`,
//! or `KDC_AARCH64_DIR`) and `qemu-aarch64-static` (Debian's qemu-user-static). `.ci/run`
//! builds and installs both. Without them the test says so and stops, except under CI
//! (`CI=true`), where it fails — unless `.ci/run` found it cannot fetch the Rust target for the
//! build (`KDC_CROSS_UNAVAILABLE`), which it then reports loudly.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kdc_tests::{Daemon, bin, can_run, kdc, wait_until};

fn aarch64_dir() -> PathBuf {
    std::env::var_os("KDC_AARCH64_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/aarch64-unknown-linux-musl/dist"))
}

fn ready() -> Result<(), String> {
    if Command::new("qemu-aarch64-static").arg("--version").output().is_err() {
        return Err("qemu-aarch64-static is not installed: apt-get install qemu-user-static".into());
    }
    for b in ["kdcd", "kdc"] {
        if !aarch64_dir().join(b).exists() {
            return Err(format!(
                "{} is missing: run DIST_TARGETS=aarch64-unknown-linux-musl scripts/dist",
                aarch64_dir().join(b).display()
            ));
        }
    }
    Ok(())
}

/// `kdcd` for aarch64 under qemu-user, on its own data directory.
struct Emulated {
    dir: tempfile::TempDir,
    child: Child,
}

impl Emulated {
    fn start(name: &str) -> Emulated {
        let dir = tempfile::tempdir().unwrap();
        let child = Command::new("qemu-aarch64-static")
            .arg(aarch64_dir().join("kdcd"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(["--api", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns", "--name", name])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn qemu-aarch64-static kdcd");
        let e = Emulated { dir, child };
        let up = wait_until(Duration::from_secs(120), || kdc(e.dir.path(), &["--json", "id"]).code == 0);
        assert!(up, "the emulated kdcd did not answer within 120 s");
        e
    }

    /// The aarch64 `kdc`, emulated too.
    fn kdc(&self, args: &[&str]) -> kdc_tests::Output {
        let out = Command::new("qemu-aarch64-static")
            .arg(aarch64_dir().join("kdc"))
            .arg("--data-dir")
            .arg(self.dir.path())
            .args(args)
            .env("LANG", "en_US.UTF-8")
            .env_remove("KDC_DATA_DIR")
            .output()
            .expect("run the emulated kdc");
        kdc_tests::Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Drop for Emulated {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn an_aarch64_kdcd_under_qemu_syncs_with_an_x86_64_kdcd() {
    if let Ok(why) = std::env::var("KDC_CROSS_UNAVAILABLE") {
        // Set by .ci/run when this machine could not build the aarch64 binaries; it says so
        // loudly there too.
        eprintln!("NOT CHECKED: an aarch64 kdcd under qemu-user: {why}");
        return;
    }
    if !can_run("an_aarch64_kdcd_under_qemu_syncs_with_an_x86_64_kdcd", ready()) {
        return;
    }
    let started = Instant::now();
    let phone = Emulated::start("phone");
    eprintln!("FIGURE aarch64 kdcd under qemu-user: start → ready {:.1} s", started.elapsed().as_secs_f64());
    let pc = Daemon::start_args(&["--name", "pc"]);

    // A 300-household area made by the x86_64 device, which is its head.
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("area.kdcsnap");
    let out = Command::new(bin("kdc-synth"))
        .args(["--seed", "11", "--households", "300", "--id", "khu-qemu", "--peer", &pc.peer_id(), "-o"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "kdc-synth: {}", String::from_utf8_lossy(&out.stderr));
    pc.kdc(&["snapshot", "import", file.to_str().unwrap()]).ok();

    // The phone joins with an invite, through its own (emulated) kdc.
    let token = pc.json(&["invite", "khu-qemu"])["token"].as_str().unwrap().to_string();
    let started = Instant::now();
    let joined = phone.kdc(&["join", &token]);
    assert_eq!(joined.code, 0, "{joined:?}");
    let households = |dir: &Path| kdc(dir, &["--json", "status", "khu-qemu"]).json()["households"].as_u64();
    assert!(wait_until(Duration::from_secs(300), || households(phone.dir.path()) == Some(300)), "first sync");
    eprintln!(
        "FIGURE aarch64 kdcd under qemu-user: first sync of 300 households with an x86_64 peer {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Writes both ways; then both devices show the same status (but for `members_sync`, each
    // device's own view of when it last synced with the others).
    let status = |json: serde_json::Value| {
        let mut json = json;
        json.as_object_mut().unwrap().remove("members_sync");
        json
    };
    let w = phone.kdc(&["household", "add", "khu-qemu", "Q9-001", "members=3", "internet=yes"]);
    assert_eq!(w.code, 0, "{w:?}");
    pc.kdc(&["household", "add", "khu-qemu", "Q9-002", "members=2", "internet=no"]).ok();
    let same = wait_until(Duration::from_secs(120), || {
        let a = status(pc.json(&["status", "khu-qemu"]));
        let b = status(kdc(phone.dir.path(), &["--json", "status", "khu-qemu"]).json());
        a["households"] == 302 && a == b
    });
    let a = status(pc.json(&["status", "khu-qemu"]));
    let b = status(kdc(phone.dir.path(), &["--json", "status", "khu-qemu"]).json());
    assert!(same, "the two devices did not converge:\nx86_64: {a}\naarch64: {b}");
    // The emulated CLI reads the same figures as the native one.
    let native = kdc(phone.dir.path(), &["--json", "status", "khu-qemu"]).json();
    let emulated = phone.kdc(&["--json", "status", "khu-qemu"]).json();
    assert_eq!(native, emulated);
}
