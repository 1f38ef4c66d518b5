//! Helpers for whole-system tests: real `kdcd` processes in temporary data directories, driven
//! through the real `kdc` binary.
//!
//! The binaries are the ones `cargo test --workspace` builds next to the test executables
//! (`target/<profile>/kdcd`, `target/<profile>/kdc`); the daemon and CLI packages have
//! integration tests of their own, which makes cargo build their binaries before any test runs.
//! Every wait has a deadline; nothing sleeps for a fixed time and hopes.

pub mod netns;
pub mod previous;
pub mod synth;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use serde_json::Value as Json;

/// How long a daemon may take to start or stop before a test fails.
pub const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Path of a workspace binary built by cargo for this test run. Panics when it is missing, or
/// older than the sources it is built from: `cargo test -p kdc-tests` alone does not rebuild
/// `kdcd` and `kdc`, and a test of a stale binary passes or fails for the wrong reasons.
/// Checked once per process: a long run (the benchmark) is not stopped half-way because a
/// source was edited after it started.
pub fn bin(name: &str) -> PathBuf {
    static CHECKED: std::sync::Mutex<Vec<(String, PathBuf)>> = std::sync::Mutex::new(Vec::new());
    let mut checked = CHECKED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, path)) = checked.iter().find(|(n, _)| n == name) {
        return path.clone();
    }
    let path = check_bin(name);
    checked.push((name.to_string(), path.clone()));
    path
}

fn check_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // Tests run from target/<profile>/deps/<test>-<hash>, the demo from target/<profile>/.
    let deps = exe.parent().expect("target directory");
    let dir = if deps.ends_with("deps") { deps.parent().expect("profile directory") } else { deps };
    let path = dir.join(name);
    let built = std::fs::metadata(&path).and_then(|m| m.modified()).unwrap_or_else(|_| {
        panic!(
            "{} not found: run the tests with `cargo test --workspace`, which builds kdcd and kdc first",
            path.display()
        )
    });
    if let Some((source, changed)) = newest_source(name) {
        assert!(
            built >= *changed,
            "{} is older than {}: run `cargo test --workspace` (or `cargo build -p kdc-daemon -p kdc-cli`) to rebuild it",
            path.display(),
            source.display()
        );
    }
    path
}

/// The most recently modified source file of the crates `kdcd` and `kdc` are built from.
/// The newest source file `name` is built from (`kdcd` does not depend on the CLI's sources).
fn newest_source(name: &str) -> Option<&'static (PathBuf, std::time::SystemTime)> {
    type Newest = std::sync::OnceLock<Option<(PathBuf, std::time::SystemTime)>>;
    static DAEMON: Newest = std::sync::OnceLock::new();
    static CLI: Newest = std::sync::OnceLock::new();
    static ALL: Newest = std::sync::OnceLock::new();
    // What each binary is built from (kdc links neither the daemon nor its assets).
    const SHARED: [&str; 6] = [
        "crdt-model/src",
        "crdt-model/profiles",
        "daemon/kdc-api/src",
        "daemon/kdc-ward/src",
        "daemon/kdc-text/src",
        "daemon/kdc-text/locales",
    ];
    let (cell, own): (&Newest, &[&str]) = match name {
        "kdcd" => (&DAEMON, &["daemon/src", "web/assets"]),
        "kdc" => (&CLI, &["cli/src"]),
        _ => (&ALL, &["daemon/src", "web/assets", "cli/src"]),
    };
    let dirs: Vec<&str> = SHARED.iter().chain(own).copied().collect();
    cell.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?.to_path_buf();
        let mut stack: Vec<PathBuf> = dirs.iter().map(|d| root.join(d)).collect();
        let mut newest: Option<(PathBuf, std::time::SystemTime)> = None;
        while let Some(p) = stack.pop() {
            let Ok(meta) = std::fs::metadata(&p) else { continue };
            if meta.is_dir() {
                stack.extend(std::fs::read_dir(&p).into_iter().flatten().flatten().map(|e| e.path()));
            } else if let Ok(t) = meta.modified()
                // A module of unit tests is not in the binary (cargo does not relink for it).
                && p.file_name().is_none_or(|n| n != "tests.rs")
                && newest.as_ref().is_none_or(|(_, n)| t > *n)
            {
                newest = Some((p, t));
            }
        }
        newest
    })
    .as_ref()
}

/// What a `kdc` run gave.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Output {
    fn from(out: std::process::Output) -> Output {
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Output {
    /// stdout as JSON; panics with the whole output if it is not.
    pub fn json(&self) -> Json {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }

    /// Asserts success and returns self.
    #[track_caller]
    pub fn ok(self) -> Output {
        assert_eq!(self.code, 0, "kdc failed: {self:?}");
        self
    }
}

/// Whether a test that needs a tool (root, Node, qemu…) can run: `ready` says why not. When it
/// cannot, it says so on stderr and answers false — except under CI (`CI=true`), where a test
/// that cannot run fails instead of passing quietly.
pub fn can_run(test: &str, ready: Result<(), String>) -> bool {
    kdc_skip::can_run(test, ready)
}

/// The web folder's npm packages (playwright-core, axe-core, the official JavaScript
/// Automerge), installed with `npm ci` from the committed lock file when they are not there yet,
/// so that `cargo test --workspace` on a fresh checkout runs the browser and JavaScript tests
/// instead of skipping them. `Err` says what is missing (Node.js, npm, or the install failed).
pub fn web_packages() -> Result<PathBuf, String> {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace").join("web");
    if Command::new("node").arg("--version").output().map(|o| !o.status.success()).unwrap_or(true) {
        return Err("Node.js (`node`) is not installed (apt-get install nodejs npm)".into());
    }
    let ready = |w: &Path| {
        ["playwright-core", "axe-core", "@automerge/automerge"].iter().all(|p| w.join("node_modules").join(p).exists())
    };
    if ready(&web) {
        return Ok(web);
    }
    eprintln!("installing the web folder's npm packages (npm ci in {}), once", web.display());
    let out = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&web)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("npm is not installed ({e}): apt-get install npm, then npm ci in {}", web.display()))?;
    if !out.status.success() || !ready(&web) {
        return Err(format!(
            "npm ci in {} failed: {}",
            web.display(),
            String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")
        ));
    }
    Ok(web)
}

/// Runs `kdc --data-dir DIR ARGS...` with English messages.
pub fn kdc(data_dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(bin("kdc"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("LANG", "en_US.UTF-8")
        .env_remove("KDC_DATA_DIR")
        .stdin(Stdio::null())
        .output()
        .expect("run kdc");
    Output::from(out)
}

/// A `kdcd` child process on a data directory, API on a free loopback port, no mDNS.
pub struct Daemon {
    pub data_dir: PathBuf,
    child: Option<Child>,
    _tmp: Option<tempfile::TempDir>,
    extra: Vec<String>,
    /// A file given to kdcd as its standard input (a passphrase for `--passphrase-fd 0`).
    stdin: Option<PathBuf>,
    /// Environment variables kdcd is started with.
    env: Vec<(String, String)>,
}

impl Daemon {
    /// Starts a daemon in a new temporary directory.
    pub fn start() -> Daemon {
        let tmp = tempfile::tempdir().expect("temp dir");
        let mut d = Daemon::start_in(tmp.path());
        d._tmp = Some(tmp);
        d
    }

    /// Starts a daemon on an existing data directory (e.g. after a crash) and waits until its
    /// control API answers.
    pub fn start_in(data_dir: &Path) -> Daemon {
        Daemon::start_with(data_dir, &[])
    }

    /// Starts a daemon in a new temporary directory with extra `kdcd` flags.
    pub fn start_args(extra: &[&str]) -> Daemon {
        let tmp = tempfile::tempdir().expect("temp dir");
        let mut d = Daemon::start_with(tmp.path(), extra);
        d._tmp = Some(tmp);
        d
    }

    /// [`Daemon::start_args`] with these environment variables (kept for restarts).
    pub fn start_with_env_args(env: &[(&str, &str)], extra: &[&str]) -> Daemon {
        let tmp = tempfile::tempdir().expect("temp dir");
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let extra_s: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        let _ = std::fs::remove_file(tmp.path().join("api.addr"));
        let child = spawn_kdcd_env(tmp.path(), extra, None, &env);
        let mut d = Daemon {
            data_dir: tmp.path().to_path_buf(),
            child: Some(child),
            _tmp: Some(tmp),
            extra: extra_s,
            stdin: None,
            env,
        };
        d.wait_ready();
        d
    }

    fn start_with(data_dir: &Path, extra: &[&str]) -> Daemon {
        Daemon::start_with_stdin(data_dir, extra, None)
    }

    /// Starts a daemon on `data_dir` with extra flags and `stdin` as its standard input (and
    /// on every [`Daemon::restart`]).
    pub fn start_with_stdin(data_dir: &Path, extra: &[&str], stdin: Option<&Path>) -> Daemon {
        let _ = std::fs::remove_file(data_dir.join("api.addr"));
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        let child = spawn_kdcd_with(data_dir, &extra.iter().map(String::as_str).collect::<Vec<_>>(), stdin);
        let mut d = Daemon {
            data_dir: data_dir.to_path_buf(),
            child: Some(child),
            _tmp: None,
            extra,
            stdin: stdin.map(Path::to_path_buf),
            env: Vec::new(),
        };
        d.wait_ready();
        d
    }

    /// This daemon's peer id.
    pub fn peer_id(&self) -> String {
        self.json(&["id"])["peer_id"].as_str().expect("peer_id").to_string()
    }

    /// A multiaddr other daemons on this machine can dial, with `/p2p/PEER_ID`.
    pub fn dial_addr(&self) -> String {
        let id = self.json(&["id"]);
        let listen = id["listen"].as_array().expect("listen");
        let addr = listen
            .iter()
            .filter_map(|a| a.as_str())
            .find(|a| a.starts_with("/ip4/127.0.0.1/tcp/"))
            .unwrap_or_else(|| panic!("no loopback listen address in {id}"));
        format!("{addr}/p2p/{}", id["peer_id"].as_str().unwrap())
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                panic!("kdcd exited during start with {status}");
            }
            if self.data_dir.join("api.addr").exists() && kdc(&self.data_dir, &["--json", "id"]).code == 0 {
                return;
            }
            assert!(Instant::now() < deadline, "kdcd did not answer within {START_TIMEOUT:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until `cond` holds, checking it after each of this daemon's events ([`Events`]).
    pub fn wait_until(&self, timeout: Duration, cond: impl FnMut() -> bool) -> bool {
        wait_on(&[self], timeout, cond)
    }

    /// `kdc` against this daemon.
    pub fn kdc(&self, args: &[&str]) -> Output {
        kdc(&self.data_dir, args)
    }

    /// `kdc --json ...`, asserting success, parsed.
    #[track_caller]
    pub fn json(&self, args: &[&str]) -> Json {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        self.kdc(&full).ok().json()
    }

    /// Starts the daemon again on the same data directory (after [`Daemon::kill`] or
    /// [`Daemon::terminate`], or killing it first if it still runs).
    pub fn restart(&mut self) {
        self.kill();
        let _ = std::fs::remove_file(self.data_dir.join("api.addr"));
        let extra: Vec<&str> = self.extra.iter().map(String::as_str).collect();
        self.child = Some(spawn_kdcd_env(&self.data_dir, &extra, self.stdin.as_deref(), &self.env));
        self.wait_ready();
    }

    /// `kdc status AREA --json` without `members_sync` (this device's view of its peers, which
    /// differs from device to device): the area's figures only.
    pub fn figures(&self, area: &str) -> Json {
        let mut status = self.json(&["status", area]);
        if let Some(o) = status.as_object_mut() {
            o.remove("members_sync");
        }
        status
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM, then waits for the exit status.
    pub fn terminate(&mut self) -> ExitStatus {
        let mut c = self.child.take().expect("daemon running");
        // SAFETY: sending a signal to our own child process id.
        unsafe { libc::kill(c.id() as libc::pid_t, libc::SIGTERM) };
        wait_with_deadline(&mut c, START_TIMEOUT).expect("kdcd did not stop after SIGTERM")
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Spawns `kdcd` on `data_dir` with a free API port and no discovery, plus `extra` flags.
pub fn spawn_kdcd(data_dir: &Path, extra: &[&str]) -> Child {
    spawn_kdcd_with(data_dir, extra, None)
}

/// [`spawn_kdcd`] with `stdin` (a file) as standard input instead of nothing.
pub fn spawn_kdcd_with(data_dir: &Path, extra: &[&str], stdin: Option<&Path>) -> Child {
    spawn_kdcd_env(data_dir, extra, stdin, &[])
}

fn spawn_kdcd_env(data_dir: &Path, extra: &[&str], stdin: Option<&Path>, env: &[(String, String)]) -> Child {
    let stdin = match stdin {
        Some(path) => Stdio::from(std::fs::File::open(path).expect("stdin file")),
        None => Stdio::null(),
    };
    Command::new(bin("kdcd"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--api", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns"])
        .args(if extra.contains(&"--name") { &[][..] } else { &["--name", "test-device"][..] })
        .args(extra)
        .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(stdin)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kdcd")
}

/// Polls `cond` until it holds or `timeout` passes; answers whether it held. For waiting on
/// something another process does (a sync arriving), with a deadline instead of a fixed sleep.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A daemon's `/v1/events` as a count that grows with every event (an area changed, a peer came
/// or went, an area is in sync with a peer), read by a thread of its own: a test waits for what
/// it expects on the next event instead of starting a `kdc` every 10 ms.
pub struct Events {
    seen: Arc<(std::sync::Mutex<u64>, std::sync::Condvar)>,
}

impl Events {
    /// Subscribes to the daemons of `data_dirs` (reconnecting while one restarts); an event of
    /// any of them counts.
    pub fn of_all(data_dirs: &[&Path]) -> Events {
        Events::of_daemons(data_dirs.iter().map(|d| (d.to_path_buf(), None)).collect())
    }

    /// As [`Events::of_all`], for daemons each of which may run in a network namespace (its API
    /// is on that namespace's loopback: the reader thread enters the namespace first).
    pub fn of_daemons(daemons: Vec<(PathBuf, Option<String>)>) -> Events {
        let seen = Arc::new((std::sync::Mutex::new(0u64), std::sync::Condvar::new()));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
        let count = daemons.len();
        for (dir, netns) in daemons {
            let (counter, ready_tx) = (Arc::downgrade(&seen), ready_tx.clone());
            std::thread::spawn(move || {
                if let Some(ns) = netns
                    && let Err(e) = enter_netns(&ns)
                {
                    eprintln!("events of {}: cannot enter network namespace {ns}: {e}", dir.display());
                    return;
                }
                let mut ready = Some(ready_tx);
                // Ends once the `Events` is dropped (after the connection's next event or
                // keep-alive), or with the test process.
                while counter.strong_count() > 0 {
                    if read_events(&dir, &counter, &mut ready).is_err() {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                }
            });
        }
        drop(ready_tx);
        // Each connected (or given up after a second: the waits also look every second).
        let deadline = Instant::now() + Duration::from_secs(1);
        for _ in 0..count {
            let left = deadline.saturating_duration_since(Instant::now());
            if ready_rx.recv_timeout(left).is_err() {
                break;
            }
        }
        Events { seen }
    }

    fn count(&self) -> u64 {
        *self.seen.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until `cond` holds: checks it now, then after each event (and at least every
    /// second, in case an event came before the subscription). `false` after `timeout`.
    pub fn wait_until(&self, timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let before = self.count();
            if cond() {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            let wait = (deadline - now).min(Duration::from_secs(1));
            let (lock, changed) = &*self.seen;
            let guard = lock.lock().unwrap_or_else(|p| p.into_inner());
            let _ = changed.wait_timeout_while(guard, wait, |n| *n == before);
        }
    }
}

/// Moves this thread into the network namespace `ns` (made by `ip netns add`); other threads
/// stay where they are.
fn enter_netns(ns: &str) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let f = std::fs::File::open(Path::new("/var/run/netns").join(ns))?;
    // SAFETY: setns on an open namespace file descriptor; it changes only this thread.
    if unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Reads one connection's events into `counter` until it ends or `counter` is dropped (seen
/// at the next event or keep-alive comment).
fn read_events(
    dir: &Path,
    counter: &std::sync::Weak<(std::sync::Mutex<u64>, std::sync::Condvar)>,
    ready: &mut Option<std::sync::mpsc::Sender<()>>,
) -> std::io::Result<()> {
    use std::io::{BufRead, BufReader, Write};
    let addr = std::fs::read_to_string(dir.join("api.addr"))?;
    let token = std::fs::read_to_string(dir.join("api.token"))?;
    let mut stream = std::net::TcpStream::connect(addr.trim())?;
    write!(
        stream,
        "GET /v1/events HTTP/1.0\r\nHost: {}\r\nAuthorization: Bearer {}\r\nAccept: text/event-stream\r\n\r\n",
        addr.trim(),
        token.trim()
    )?;
    let mut lines = BufReader::new(stream).lines();
    let status = lines.next().transpose()?.unwrap_or_default();
    if !status.contains(" 200 ") {
        return Err(std::io::Error::other(format!("/v1/events answered {status:?}")));
    }
    if let Some(tx) = ready.take() {
        let _ = tx.send(());
    }
    for line in lines {
        let line = line?;
        let Some(counter) = counter.upgrade() else { return Ok(()) };
        if line.starts_with("data:") {
            let (lock, changed) = &*counter;
            *lock.lock().unwrap_or_else(|p| p.into_inner()) += 1;
            changed.notify_all();
        }
    }
    Ok(())
}

/// Waits until `cond` holds, checking it after each event of any of `daemons` ([`Events`]).
pub fn wait_on(daemons: &[&Daemon], timeout: Duration, cond: impl FnMut() -> bool) -> bool {
    let dirs: Vec<&Path> = daemons.iter().map(|d| d.data_dir.as_path()).collect();
    Events::of_all(&dirs).wait_until(timeout, cond)
}

/// Waits for a child to exit, up to `timeout`.
pub fn wait_with_deadline(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Builds `kdcd` and `kdc` in the profile the calling binary runs in (the demo, the bench), so
/// that `cargo run -p kdc-tests --bin …` alone suffices.
pub fn build_binaries() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let release = std::env::current_exe().is_ok_and(|p| p.components().any(|c| c.as_os_str() == "release"));
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "-q", "-p", "kdc-daemon", "-p", "kdc-cli", "--bins"]);
    if release {
        cmd.arg("--release");
    } else {
        eprintln!("not a release build: figures will be slow (use cargo run --release)");
    }
    let status = cmd.status().expect("run cargo build");
    assert!(status.success(), "building kdcd and kdc failed");
}

/// Every file under `dir`, recursively, whose bytes hold `needle`: what the privacy and
/// erasure tests search a data directory with.
pub fn files_holding(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if std::fs::read(&path).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes())) {
                found.push(path);
            }
        }
    }
    found
}

/// Raw HTTP/1.1 to a daemon (tests do not trust our own client): the whole answer as text.
pub fn http(addr: &str, request: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr.trim()).expect("connect");
    s.write_all(request.as_bytes()).expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    out
}

/// Logs in to the web app of the daemon on `data_dir` with the one-time link `url` (from
/// `kdc --json ui --no-open`); answers its address and the session cookie (`name=value`).
pub fn web_login(data_dir: &Path, url: &str) -> (String, String) {
    let addr = std::fs::read_to_string(data_dir.join("api.addr")).expect("api.addr").trim().to_string();
    let path = &url[url.find("/login").expect("a login link")..];
    let answer = http(&addr, &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"));
    let cookie = answer
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("no session cookie: {answer}"))
        .to_string();
    (addr, cookie)
}

/// `GET path` on the web app with the session cookie, in English.
pub fn web_get(addr: &str, cookie: &str, path: &str) -> String {
    http(
        addr,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nAccept-Language: en\r\nConnection: close\r\n\r\n"
        ),
    )
}
