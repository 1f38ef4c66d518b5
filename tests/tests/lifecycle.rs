//! The daemon's files, its single-instance lock, its token, and graceful shutdown.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;

use kdc_tests::{Daemon, START_TIMEOUT, http, spawn_kdcd, wait_with_deadline};

#[test]
fn data_dir_files_and_single_instance() {
    let mut d = Daemon::start();
    for secret in ["api.token", "identity.key"] {
        let mode = std::fs::metadata(d.data_dir.join(secret)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{secret} must be private");
    }
    let addr = std::fs::read_to_string(d.data_dir.join("api.addr")).unwrap();
    assert!(addr.trim().starts_with("127.0.0.1:"), "{addr}");

    // A second daemon on the same directory refuses to start, and says why.
    let mut second = spawn_kdcd(&d.data_dir, &[]);
    let status = wait_with_deadline(&mut second, START_TIMEOUT).expect("second kdcd should exit");
    assert!(!status.success());
    let mut err = String::new();
    second.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(err.contains("already running"), "{err}");
    // ...and the first one still works.
    d.kdc(&["area", "list"]).ok();

    // The peer id is stable across restarts.
    let id1 = d.json(&["id"])["peer_id"].clone();
    assert_eq!(d.terminate().code(), Some(0));
    d.restart();
    assert_eq!(d.json(&["id"])["peer_id"], id1);
}

#[test]
fn control_api_needs_the_token() {
    let d = Daemon::start();
    let addr = std::fs::read_to_string(d.data_dir.join("api.addr")).unwrap();
    let token = std::fs::read_to_string(d.data_dir.join("api.token")).unwrap();
    let none = http(&addr, "GET /v1/areas HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(none.starts_with("HTTP/1.1 401"), "{none}");
    let wrong =
        http(&addr, "GET /v1/areas HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer 0000\r\nConnection: close\r\n\r\n");
    assert!(wrong.starts_with("HTTP/1.1 401"), "{wrong}");
    let right = http(
        &addr,
        &format!(
            "GET /v1/areas HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
            token.trim()
        ),
    );
    assert!(right.starts_with("HTTP/1.1 200"), "{right}");
}

/// How long a `kdc` call may take before it counts as hung: far above its own timeouts (2 s to
/// connect, 5 s for the network layer's part of an answer), far below the 20 s and more that a
/// hung call sat on a ward PC. A hang bound, not a speed target.
const HUNG_AFTER: std::time::Duration = std::time::Duration::from_secs(20);

/// Starts `kdc ARGS` on `dir` without waiting for it.
fn spawn_kdc(dir: &std::path::Path, args: &[&str]) -> std::process::Child {
    std::process::Command::new(kdc_tests::bin("kdc"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("LANG", "en_US.UTF-8")
        .env_remove("KDC_DATA_DIR")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn kdc")
}

/// Waits for a `kdc` call: its exit code and time, or a panic naming `what` if it hung.
fn finished(mut child: std::process::Child, started: std::time::Instant, what: &str) -> (i32, f64) {
    let status = wait_with_deadline(&mut child, HUNG_AFTER).unwrap_or_else(|| {
        let _ = child.kill();
        panic!("kdc hung for {} s {what}", HUNG_AFTER.as_secs())
    });
    (status.code().unwrap_or(-1), started.elapsed().as_secs_f64())
}

/// `kdc` never hangs, whatever `kdcd` is doing: started in the same instant as a first start on
/// a fresh data directory (making its keys and database), while it stops, and once it was killed
/// with `api.addr` left behind. Every call answers (0) or says the daemon is not running (3);
/// one stopping under it may also fail cleanly (1). 20 rounds; the slowest call is printed.
#[test]
fn kdc_never_hangs_whatever_kdcd_is_doing() {
    let (mut starting, mut stopping, mut gone) = (0.0f64, 0.0f64, 0.0f64);
    let mut answered = 0;
    for round in 0..20 {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        // Starting: kdcd and kdc at the same instant, and kdc again while it starts.
        let mut kdcd = spawn_kdcd(dir, &[]);
        let calls: Vec<_> = (0..4)
            .map(|i| {
                std::thread::sleep(std::time::Duration::from_millis(i * 15));
                (std::time::Instant::now(), spawn_kdc(dir, &["--json", if i % 2 == 0 { "id" } else { "peers" }]))
            })
            .collect();
        for (started, child) in calls {
            let (code, took) = finished(child, started, &format!("while kdcd made its first start (round {round})"));
            assert!(code == 0 || code == 3, "round {round}: kdc during the first start exited {code}");
            answered += usize::from(code == 0);
            starting = starting.max(took);
        }
        // Ready, then stopping: SIGTERM and kdc at the same instant.
        assert!(kdc_tests::wait_until(START_TIMEOUT, || kdc_tests::kdc(dir, &["id"]).code == 0), "round {round}");
        let started = std::time::Instant::now();
        let call = spawn_kdc(dir, &["--json", "area", "list"]);
        // SAFETY: signalling our own child.
        unsafe { libc::kill(kdcd.id() as libc::pid_t, libc::SIGTERM) };
        let (code, took) = finished(call, started, &format!("while kdcd stopped (round {round})"));
        assert!(matches!(code, 0 | 1 | 3), "round {round}: kdc while kdcd stopped exited {code}");
        stopping = stopping.max(took);
        assert_eq!(wait_with_deadline(&mut kdcd, START_TIMEOUT).and_then(|s| s.code()), Some(0), "round {round}");
        // Gone: killed, its api.addr left behind.
        let mut kdcd = spawn_kdcd(dir, &[]);
        assert!(kdc_tests::wait_until(START_TIMEOUT, || kdc_tests::kdc(dir, &["id"]).code == 0), "round {round}");
        kdcd.kill().unwrap();
        kdcd.wait().unwrap();
        assert!(dir.join("api.addr").exists(), "a killed kdcd leaves api.addr behind");
        let started = std::time::Instant::now();
        let (code, took) =
            finished(spawn_kdc(dir, &["id"]), started, &format!("after kdcd was killed (round {round})"));
        assert_eq!(code, 3, "round {round}: kdc after kdcd was killed");
        gone = gone.max(took);
    }
    eprintln!(
        "FIGURE kdc beside kdcd, 20 rounds: slowest call while kdcd starts {starting:.2} s ({answered} of 80 \
         answered, the rest exit 3), while it stops {stopping:.2} s, once it was killed {gone:.2} s"
    );
}
