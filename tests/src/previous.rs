//! The previous release, built from its commit as CHANGELOG.md names it, to run beside this
//! one: a git worktree under `target/compat/VERSION/src` and a target directory of its own
//! (`target/compat/VERSION/target`), both kept, so only the first run pays for the build.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A built release.
pub struct Release {
    pub version: String,
    pub commit: String,
    pub kdcd: PathBuf,
    pub kdc: PathBuf,
}

/// The previous release, built if it is not yet (minutes, once, by `scripts/previous-release`,
/// which .ci/run also starts early). `Err` says why it cannot be.
pub fn previous() -> Result<Release, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace").to_path_buf();
    let out = Command::new("bash")
        .arg(root.join("scripts/previous-release"))
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("bash scripts/previous-release: {e}"))?;
    if !out.status.success() {
        return Err("scripts/previous-release failed (its message is above)".into());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut words = text.split_whitespace();
    let (Some(version), Some(commit), Some(dir)) = (words.next(), words.next(), words.next()) else {
        return Err(format!("scripts/previous-release printed {text:?}, not \"VERSION COMMIT DIR\""));
    };
    let dir = PathBuf::from(dir);
    Ok(Release { version: version.into(), commit: commit.into(), kdcd: dir.join("kdcd"), kdc: dir.join("kdc") })
}

/// A daemon of another release on a data directory: API on a free loopback port, no mDNS, its
/// log in `DATA_DIR/../NAME.log`, driven with that release's own `kdc`.
pub struct OtherDaemon {
    pub data_dir: PathBuf,
    pub log: PathBuf,
    kdc: PathBuf,
    child: Child,
}

impl OtherDaemon {
    pub fn start(release: &Release, dir: &Path, name: &str) -> OtherDaemon {
        OtherDaemon::start_with_env(release, dir, name, &[])
    }

    /// [`OtherDaemon::start`] with these environment variables.
    pub fn start_with_env(release: &Release, dir: &Path, name: &str, env: &[(&str, &str)]) -> OtherDaemon {
        let data_dir = dir.join(name);
        std::fs::create_dir_all(&data_dir).expect("data dir");
        let log = dir.join(format!("{name}.log"));
        let child = Command::new(&release.kdcd)
            .arg("--data-dir")
            .arg(&data_dir)
            .args(["--api", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns", "--name", name])
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("spawn the other release's kdcd");
        let d = OtherDaemon { data_dir, log, kdc: release.kdc.clone(), child };
        assert!(d.wait_ready(Duration::from_secs(30)), "the other release's kdcd did not answer");
        d
    }

    /// Waits until it answers `kdc id` (after a start or a restart).
    pub fn wait_ready(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while self.kdc(&["--json", "id"]).code != 0 {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        true
    }

    /// The process id (the same across a restart in place).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        self.child.try_wait().ok().flatten().is_none()
    }

    pub fn kdc(&self, args: &[&str]) -> crate::Output {
        let out = Command::new(&self.kdc)
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(args)
            .env("LANG", "en_US.UTF-8")
            .env_remove("KDC_DATA_DIR")
            .stdin(Stdio::null())
            .output()
            .expect("run the other release's kdc");
        crate::Output::from(out)
    }

    #[track_caller]
    pub fn json(&self, args: &[&str]) -> crate::Json {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        self.kdc(&full).ok().json()
    }

    /// What it logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for OtherDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
