//! The web app in a real browser: web/tests/app.test.mjs drives Debian's Chromium through
//! playwright-core at a phone's size (360×800) against real `kdcd` processes, with the `kdc`
//! and `kdc-synth` built for this run.
//!
//! Needs Node.js, Chromium (`/usr/bin/chromium` or `$CHROMIUM`) and `npm ci` in `web/`;
//! `.ci/run` installs them. Without them the test says what is missing and fails under CI
//! (`CI=true`); elsewhere it says that it skipped and why.

use std::path::PathBuf;
use std::process::Command;

fn missing(web: &std::path::Path) -> Option<String> {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !std::path::Path::new(&chromium).exists() {
        return Some(format!("Chromium is not installed at {chromium} (apt-get install chromium)"));
    }
    if Command::new("node").arg("--version").output().map(|o| !o.status.success()).unwrap_or(true) {
        return Some("Node.js (`node`) is not installed".into());
    }
    if !web.join("node_modules/playwright-core").exists() || !web.join("node_modules/axe-core").exists() {
        return Some(format!("npm packages are missing: run `npm ci` in {}", web.display()));
    }
    None
}

#[test]
fn web_app_in_chromium_at_phone_size() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace").to_path_buf();
    let web = root.join("web");
    if !kdc_tests::can_run("web_app_in_chromium_at_phone_size", missing(&web).map_or(Ok(()), Err)) {
        return;
    }
    let status = Command::new("bash")
        .arg(web.join("tests/run.sh"))
        .env("KDCD", kdc_tests::bin("kdcd"))
        .env("KDC", kdc_tests::bin("kdc"))
        .env("KDC_SYNTH", env!("CARGO_BIN_EXE_kdc-synth"))
        .status()
        .expect("run web/tests/run.sh");
    assert!(status.success(), "the browser tests failed (their output is above; screenshots in web/tests/out/)");
}
