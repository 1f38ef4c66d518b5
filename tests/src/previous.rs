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

/// The newest release in CHANGELOG.md that has a commit (`## 0.1.0 — commit cbb117d`).
pub fn previous_in_changelog(changelog: &str) -> Option<(String, String)> {
    changelog.lines().filter_map(|l| l.strip_prefix("## ")).find_map(|l| {
        let (version, rest) = l.split_once(' ')?;
        let commit = rest.split_once("commit ")?.1.split_whitespace().next()?;
        Some((version.to_string(), commit.to_string()))
    })
}

/// The previous release, built if it is not yet (minutes, once). `Err` says why it cannot be.
pub fn previous() -> Result<Release, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace").to_path_buf();
    let changelog = std::fs::read_to_string(root.join("CHANGELOG.md")).map_err(|e| format!("CHANGELOG.md: {e}"))?;
    let (version, commit) = previous_in_changelog(&changelog).ok_or("CHANGELOG.md names no release with a commit")?;
    let base = root.join("target/compat").join(&version);
    let (src, target) = (base.join("src"), base.join("target"));
    let bins = target.join("debug");
    let release =
        Release { version: version.clone(), commit: commit.clone(), kdcd: bins.join("kdcd"), kdc: bins.join("kdc") };
    if release.kdcd.exists() && release.kdc.exists() {
        return Ok(release);
    }
    if !src.join("Cargo.toml").exists() {
        std::fs::create_dir_all(&base).map_err(|e| format!("{}: {e}", base.display()))?;
        let _ = Command::new("git").arg("-C").arg(&root).args(["worktree", "prune"]).status();
        let out = Command::new("git")
            .arg("-C")
            .arg(&root)
            .args(["worktree", "add", "--detach"])
            .arg(&src)
            .arg(&commit)
            .output()
            .map_err(|e| format!("git: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "git worktree add {commit} (release {version}): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    eprintln!("building release {version} (commit {commit}) in {} — once", base.display());
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&src)
        .args(["build", "--locked", "--bins", "-p", "kdc-daemon", "-p", "kdc-cli", "--target-dir"])
        .arg(&target)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("cargo: {e}"))?;
    if !status.success() || !release.kdcd.exists() {
        return Err(format!("the build of release {version} (commit {commit}) failed"));
    }
    Ok(release)
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_changelog_names_the_previous_release() {
        let text =
            "# Changelog\n\n## 0.3.0 — unreleased (main)\n\n## 0.2.0 — commit abc1234\n\n## 0.1.0 — commit cbb117d\n";
        assert_eq!(super::previous_in_changelog(text), Some(("0.2.0".into(), "abc1234".into())));
        let ours = include_str!("../../CHANGELOG.md");
        assert_eq!(super::previous_in_changelog(ours), Some(("0.1.0".into(), "cbb117d".into())));
    }
}
