//! The daemon's files, its single-instance lock, its token, and graceful shutdown.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;

use kdc_tests::{Daemon, START_TIMEOUT, spawn_kdcd, wait_with_deadline};

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

/// Raw HTTP so the test does not trust our own client.
fn http(addr: &str, request: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr.trim()).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
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
