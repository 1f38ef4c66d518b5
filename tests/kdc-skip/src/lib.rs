//! The one rule for a test that cannot run on this machine (no root, no Chromium, no iptables…):
//! it says why on stderr, adds a line to the file `KDC_SKIPPED` names (set by `scripts/test`,
//! which lists them at the end of the run, where a person sees them — `cargo test` hides a
//! passing test's output), and under `CI=true` it fails instead of passing quietly.
//!
//! Every test crate of the workspace skips through [`can_run`]; nothing else decides.

use std::io::Write as _;

/// The environment variable naming the file skipped tests are listed in.
pub const SKIPPED_FILE: &str = "KDC_SKIPPED";

/// Whether `test` can run: `ready` is `Ok` when what it needs is here, else why not. A test
/// that gets `false` returns at once.
///
/// # Panics
/// When it cannot run and `CI` is `true`.
pub fn can_run(test: &str, ready: Result<(), String>) -> bool {
    let Err(why) = ready else { return true };
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{test} cannot run under CI: {why}");
    }
    eprintln!("SKIPPED {test}: {why}");
    if let Some(path) = std::env::var_os(SKIPPED_FILE) {
        // One line per skip, appended whole (tests run on many threads and processes).
        let line = format!("{test}: {}\n", why.replace('\n', " "));
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = f.write_all(line.as_bytes());
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_runs_and_a_skip_is_written_down() {
        assert!(can_run("ready", Ok(())));
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            let caught = std::panic::catch_unwind(|| can_run("t", Err("no tool".into())));
            assert!(caught.is_err(), "under CI a test that cannot run must fail");
            return;
        }
        let dir = std::env::temp_dir().join(format!("kdc-skip-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        // SAFETY: this test is the only one of this crate that touches the environment.
        unsafe { std::env::set_var(SKIPPED_FILE, &dir) };
        assert!(!can_run("some::test", Err("no\ntool".into())));
        let listed = std::fs::read_to_string(&dir).unwrap();
        assert_eq!(listed, "some::test: no tool\n");
        let _ = std::fs::remove_file(&dir);
    }
}
