//! The web app in a real browser: web/tests/app.test.mjs drives Debian's Chromium through
//! playwright-core at a phone's size (360×800) against real `kdcd` processes, with the `kdc`
//! and `kdc-synth` built for this run.
//!
//! Needs Node.js and Chromium (`/usr/bin/chromium` or `$CHROMIUM`; `.ci/run` installs both);
//! runs `npm ci` in `web/` when its packages are missing. Without them the test says what is
//! missing and fails under CI (`CI=true`); elsewhere it says that it skipped and why.

use std::path::PathBuf;
use std::process::Command;

/// What the browser tests need: Chromium, Node.js and the web folder's npm packages (installed
/// here with `npm ci` when missing).
fn ready() -> Result<PathBuf, String> {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !std::path::Path::new(&chromium).exists() {
        return Err(format!("Chromium is not installed at {chromium} (apt-get install chromium)"));
    }
    kdc_tests::web_packages()
}

#[test]
fn web_app_in_chromium_at_phone_size() {
    let ready = ready();
    let Ok(web) = ready.clone() else {
        assert!(!kdc_tests::can_run("web_app_in_chromium_at_phone_size", ready.map(|_| ())));
        return;
    };
    let status = Command::new("bash")
        .arg(web.join("tests/run.sh"))
        .env("KDCD", kdc_tests::bin("kdcd"))
        .env("KDC", kdc_tests::bin("kdc"))
        .env("KDC_SYNTH", env!("CARGO_BIN_EXE_kdc-synth"))
        .status()
        .expect("run web/tests/run.sh");
    assert!(status.success(), "the browser tests failed (their output is above; screenshots in web/tests/out/)");
}
