//! Storage faults: a full disk and a read-only data directory, on real filesystems.
//!
//! - A full disk: writes are refused (exit 1, a message that says the disk is full), reads keep
//!   working and show exactly what was stored, a peer never receives a refused change, and once
//!   space is freed the next write succeeds without a restart. After SIGTERM and a restart
//!   everything acknowledged is there and nothing refused is.
//! - A read-only data directory, three ways: `mount -o remount,ro` while kdcd runs (Linux
//!   refuses that while kdcd holds its files open for writing; the test says so when it
//!   happens), ext4 turning itself read-only after an error while kdcd runs (`errors=remount-ro`
//!   and `trigger_fs_error`: writes refused, reads work, nothing acknowledged lost after
//!   repair), and kdcd started on a read-only directory (refuses to start, clearly).
//!
//! Mounting needs root. Without it (or without tmpfs, a loop device or the ext4 tools) a test
//! prints that it skipped and why, and passes, except under `CI=true`, where it fails.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kdc_tests::{Daemon, Json, Output, START_TIMEOUT, bin, spawn_kdcd, wait_until, wait_with_deadline};

const AREA: &str = "faults";
const CONVERGE: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// Mounts

/// Answers why this test cannot mount, if it cannot.
fn not_root() -> Option<String> {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    (euid != 0).then(|| format!("it mounts filesystems, which needs root (running as uid {euid})"))
}

/// Says why a test did not run, so a skip is never silent; under `CI=true` it fails instead
/// ([`kdc_tests::can_run`], the one rule for every whole-system test).
fn skipped(test: &str, why: &str) {
    assert!(!kdc_tests::can_run(test, Err(why.to_string())));
}

fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{program} {}` failed with {}: {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// A filesystem mounted on a fresh temporary directory for the test; unmounted when dropped
/// (lazily if something still holds it).
struct Mount {
    dir: PathBuf,
    _parent: tempfile::TempDir,
}

impl Mount {
    fn tmpfs(size: &str) -> Result<Mount, String> {
        let parent = tempfile::tempdir().map_err(|e| e.to_string())?;
        let dir = parent.path().join("mnt");
        std::fs::create_dir(&dir).map_err(|e| e.to_string())?;
        let dir_s = dir.to_str().ok_or("temp path is not UTF-8")?;
        run("mount", &["-t", "tmpfs", "-o", &format!("size={size},mode=0755"), "kdc-faults", dir_s])?;
        Ok(Mount { dir, _parent: parent })
    }

    /// Mounts an ext4 image (through a loop device) with `errors=remount-ro`.
    fn ext4(image: &Path) -> Result<Mount, String> {
        let parent = tempfile::tempdir().map_err(|e| e.to_string())?;
        let dir = parent.path().join("mnt");
        std::fs::create_dir(&dir).map_err(|e| e.to_string())?;
        let (img, dir_s) = (image.to_str().ok_or("path is not UTF-8")?, dir.to_str().ok_or("path is not UTF-8")?);
        run("mount", &["-t", "ext4", "-o", "loop,errors=remount-ro", img, dir_s])?;
        Ok(Mount { dir, _parent: parent })
    }

    fn remount(&self, options: &str) -> Result<(), String> {
        run("mount", &["-o", &format!("remount,{options}"), self.path_str()])
    }

    fn path_str(&self) -> &str {
        self.dir.to_str().expect("UTF-8 temp path")
    }

    /// The device this is mounted from (`/dev/loop3`), from /proc/mounts.
    fn source(&self) -> Option<String> {
        let mounts = std::fs::read_to_string("/proc/mounts").ok()?;
        mounts.lines().rev().find_map(|line| {
            let mut parts = line.split_whitespace();
            let (source, target) = (parts.next()?, parts.next()?);
            (target == self.path_str()).then(|| source.to_string())
        })
    }

    fn unmount(&self) -> Result<(), String> {
        run("umount", &[self.path_str()])
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        if self.unmount().is_err() {
            let _ = run("umount", &["-l", self.path_str()]);
        }
    }
}

/// Writes a file until the filesystem has no space left; answers how many bytes it took.
fn fill(path: &Path) -> u64 {
    let mut file = File::create(path).expect("create filler");
    let mut total = 0u64;
    // Big blocks first, then small ones to take the last pages too.
    for size in [1 << 16, 4096, 512] {
        let block = vec![0xA5u8; size];
        loop {
            match file.write(&block) {
                Ok(0) => break,
                Ok(n) => total += n as u64,
                Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
                Err(e) => panic!("filling {}: {e}", path.display()),
            }
        }
    }
    total
}

// ---------------------------------------------------------------------------------------------
// kdc and kdcd

/// `kdc --data-dir DIR ARGS...` with the given `LANG`.
fn kdc_lang(data_dir: &Path, lang: &str, args: &[&str]) -> Output {
    let out = Command::new(bin("kdc"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("LANG", lang)
        .env_remove("LC_ALL")
        .env_remove("KDC_DATA_DIR")
        .stdin(Stdio::null())
        .output()
        .expect("run kdc");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn kdc(data_dir: &Path, args: &[&str]) -> Output {
    kdc_lang(data_dir, "C", args)
}

#[track_caller]
fn json(data_dir: &Path, args: &[&str]) -> Json {
    let mut full = vec!["--json"];
    full.extend_from_slice(args);
    let out = kdc(data_dir, &full);
    assert_eq!(out.code, 0, "kdc {args:?} failed: {out:?}");
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {out:?}"))
}

/// Asserts a write was refused as a storage failure: exit 1 and a message containing one of
/// `words` (lower case).
#[track_caller]
fn assert_refused(out: &Output, words: &[&str], what: &str) {
    assert_eq!(out.code, 1, "{what} must fail with exit 1 (runtime failure): {out:?}");
    let text = out.stderr.to_lowercase();
    assert!(words.iter().any(|w| text.contains(w)), "{what}: the message must say {words:?}: {out:?}");
    assert!(!text.contains("panicked"), "{what}: {out:?}");
}

/// A `kdcd` child whose stderr is kept (to check it never panicked) and that can be stopped
/// with SIGTERM and started again on the same data directory.
struct Kdcd {
    dir: PathBuf,
    child: Option<Child>,
    stderr: Arc<Mutex<String>>,
}

impl Kdcd {
    fn start(dir: &Path) -> Kdcd {
        let mut d = Kdcd { dir: dir.to_path_buf(), child: None, stderr: Arc::default() };
        d.spawn();
        d
    }

    fn spawn(&mut self) {
        let _ = std::fs::remove_file(self.dir.join("api.addr"));
        let mut child = spawn_kdcd(&self.dir, &[]);
        let mut pipe = child.stderr.take().expect("stderr piped");
        let sink = Arc::clone(&self.stderr);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        self.child = Some(child);
        let ready = wait_until(START_TIMEOUT, || {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                panic!("kdcd exited during start with {status}: {}", self.stderr());
            }
            self.dir.join("api.addr").exists() && kdc(&self.dir, &["--json", "id"]).code == 0
        });
        assert!(ready, "kdcd did not answer within {START_TIMEOUT:?}: {}", self.stderr());
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }

    /// SIGTERM; waits (bounded) for the exit.
    fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("kdcd running");
        // SAFETY: a signal to our own child.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
        let status = wait_with_deadline(&mut child, START_TIMEOUT);
        if status.is_none() {
            let _ = child.kill();
        }
        status.unwrap_or_else(|| panic!("kdcd did not stop within {START_TIMEOUT:?} of SIGTERM: {}", self.stderr()))
    }

    fn restart(&mut self) {
        assert!(self.child.is_none(), "terminate first");
        self.stderr.lock().unwrap().clear();
        self.spawn();
    }
}

impl Drop for Kdcd {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn create_area(dir: &Path, id: &str) -> Output {
    kdc(dir, &["area", "create", id, "--name", "Faults", "--ward", "W"])
}

fn add(dir: &Path, hh: &str) -> Output {
    kdc(
        dir,
        &[
            "household",
            "add",
            "--consent",
            "verbal",
            AREA,
            hh,
            "--group",
            "G",
            "members=4",
            "members_14plus=2",
            "internet=yes",
        ],
    )
}

/// Household ids on a device, archived ones too, sorted.
fn ids(dir: &Path) -> Vec<String> {
    let list = json(dir, &["household", "list", AREA, "--archived"]);
    let mut ids: Vec<String> =
        list.as_array().expect("list").iter().map(|h| h["id"].as_str().expect("id").to_string()).collect();
    ids.sort();
    ids
}

/// Everything a read shows about the area: the households as `show` prints them and the
/// status figures (without this device's view of its peers).
fn state(dir: &Path) -> Json {
    let mut households = serde_json::Map::new();
    for hh in ids(dir) {
        households.insert(hh.clone(), json(dir, &["household", "show", AREA, &hh]));
    }
    let mut status = json(dir, &["status", AREA]);
    status.as_object_mut().expect("status object").remove("members_sync");
    serde_json::json!({"households": households, "status": status})
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

// ---------------------------------------------------------------------------------------------
// Disk full

#[test]
fn disk_full_refuses_writes_keeps_reads_and_recovers() {
    const TEST: &str = "faults::disk_full_refuses_writes_keeps_reads_and_recovers";
    if let Some(why) = not_root() {
        return skipped(TEST, &why);
    }
    let fs = match Mount::tmpfs("8m") {
        Ok(m) => m,
        Err(e) => return skipped(TEST, &format!("cannot mount a tmpfs: {e}")),
    };
    let data = fs.dir.join("data");
    let filler = fs.dir.join("filler");
    let mut d = Kdcd::start(&data);

    // A second device on an ordinary disk, member of the area: it must only ever receive what
    // the first acknowledged.
    let peer = Daemon::start();
    create_area(&data, AREA).ok();
    let peer_id = peer.peer_id();
    kdc(&data, &["member", "add", AREA, &peer_id, "--name", "Peer"]).ok();
    peer.kdc(&["peer", "add", &dial_addr(&data)]).ok();
    assert!(
        kdc_tests::wait_on(&[&peer], CONVERGE, || peer.kdc(&["status", AREA]).code == 0),
        "the peer did not receive the area"
    );

    let mut acked: Vec<String> = Vec::new();
    for i in 0..5 {
        let hh = format!("HH-{i:03}");
        add(&data, &hh).ok();
        acked.push(hh);
    }
    kdc(&data, &["household", "set", AREA, "HH-001", "members=5"]).ok();

    // Fill the disk. A write may still fit in space the database already holds (that write is
    // stored and acknowledged, correctly); within a few writes one needs new space and fails.
    let filled = fill(&filler);
    eprintln!("disk full: filler took {filled} bytes");
    let mut refused: Vec<String> = Vec::new();
    for i in 0..40 {
        let hh = format!("FULL-{i:03}");
        let out = add(&data, &hh);
        if out.code == 0 {
            eprintln!("disk full: {hh} still fitted and was acknowledged");
            acked.push(hh);
            continue;
        }
        assert_refused(&out, &["disk", "full", "no space"], "household add on a full disk");
        assert!(out.stderr.contains("is full"), "{out:?}");
        assert!(out.stderr.contains(data.to_str().unwrap()), "the message names the data directory: {out:?}");
        refused.push(hh);
        break;
    }
    assert!(!refused.is_empty(), "no write was refused on a full disk");
    let stored = state(&data);

    // While the disk stays full, every write is refused, the same way, and changes nothing.
    let out = add(&data, "FULL-AGAIN");
    assert_refused(&out, &["is full"], "a second household add on a full disk");
    refused.push("FULL-AGAIN".into());
    let out = kdc(&data, &["household", "set", AREA, "HH-001", "members=6"]);
    assert_refused(&out, &["is full"], "household set on a full disk");
    let out = create_area(&data, "other-area");
    assert_refused(&out, &["is full"], "area create on a full disk");
    let out =
        kdc_lang(&data, "vi_VN.UTF-8", &["household", "add", "--consent", "verbal", AREA, "FULL-VI", "members=3"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.starts_with("lỗi: ") && out.stderr.contains("đã đầy"), "Vietnamese message: {out:?}");
    refused.push("FULL-VI".into());

    // The daemon is up and reads show exactly what was stored.
    assert!(d.running(), "kdcd must stay up on a full disk: {}", d.stderr());
    assert_eq!(state(&data), stored, "reads changed after refused writes");
    assert_eq!(ids(&data), sorted(acked.clone()));
    for hh in &refused {
        assert_eq!(kdc(&data, &["household", "show", AREA, hh]).code, 4, "refused {hh} must not be readable");
    }
    let hh1 = json(&data, &["household", "show", AREA, "HH-001"]);
    assert_eq!(hh1["fields"]["members"].to_string().trim_matches('"'), "5", "{hh1}");
    let areas = json(&data, &["area", "list"]);
    assert_eq!(areas.as_array().unwrap().len(), 1, "{areas}");

    // Space returns: the next write succeeds, without a restart.
    std::fs::remove_file(&filler).expect("remove filler");
    add(&data, "AFTER-1").ok();
    acked.push("AFTER-1".into());
    kdc(&data, &["household", "set", AREA, "HH-001", "members=7"]).ok();
    create_area(&data, "other-area").ok();
    assert!(d.running());

    // The peer converges on what was acknowledged, and never sees a refused change.
    let converged = peer.wait_until(CONVERGE, || {
        let out = peer.kdc(&["--json", "household", "list", AREA, "--archived"]);
        out.code == 0 && {
            let mut got: Vec<String> =
                out.json().as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_string()).collect();
            got.sort();
            got == sorted(acked.clone())
        }
    });
    assert!(converged, "the peer did not converge on the acknowledged households");
    assert!(
        kdc_tests::wait_on(&[&peer], CONVERGE, || peer.figures(AREA) == state(&data)["status"]),
        "the peer's status differs"
    );

    // SIGTERM and restart: everything acknowledged is there, nothing refused is.
    let status = d.terminate();
    assert!(status.success(), "kdcd stopped with {status}: {}", d.stderr());
    d.restart();
    assert_eq!(ids(&data), sorted(acked.clone()));
    let hh1 = json(&data, &["household", "show", AREA, "HH-001"]);
    assert_eq!(hh1["fields"]["members"].to_string().trim_matches('"'), "7", "{hh1}");
    for hh in &refused {
        assert_eq!(kdc(&data, &["household", "show", AREA, hh]).code, 4, "refused {hh} is stored after a restart");
    }
    let areas = json(&data, &["area", "list"]);
    assert_eq!(areas.as_array().unwrap().len(), 2, "{areas}");
    add(&data, "AFTER-RESTART").ok();
    assert!(!d.stderr().contains("panicked"), "{}", d.stderr());
}

/// A multiaddr of the daemon on `dir` that other daemons on this machine can dial.
fn dial_addr(dir: &Path) -> String {
    let id = json(dir, &["id"]);
    let listen = id["listen"].as_array().expect("listen");
    let addr = listen
        .iter()
        .filter_map(|a| a.as_str())
        .find(|a| a.starts_with("/ip4/127.0.0.1/tcp/"))
        .unwrap_or_else(|| panic!("no loopback listen address in {id}"));
    format!("{addr}/p2p/{}", id["peer_id"].as_str().unwrap())
}

// ---------------------------------------------------------------------------------------------
// Read-only

#[test]
fn read_only_data_directory() {
    const TEST: &str = "faults::read_only_data_directory";
    if let Some(why) = not_root() {
        return skipped(TEST, &why);
    }
    let fs = match Mount::tmpfs("16m") {
        Ok(m) => m,
        Err(e) => return skipped(TEST, &format!("cannot mount a tmpfs: {e}")),
    };
    let data = fs.dir.join("data");
    let mut d = Kdcd::start(&data);
    create_area(&data, AREA).ok();
    add(&data, "HH-001").ok();
    add(&data, "HH-002").ok();
    let stored = state(&data);

    // 1. Read-only while kdcd runs, by remount.
    match fs.remount("ro") {
        Ok(()) => {
            let out = add(&data, "RO-1");
            assert_refused(&out, &["read-only"], "household add on a read-only data directory");
            let out = kdc(&data, &["household", "set", AREA, "HH-001", "members=6"]);
            assert_refused(&out, &["read-only"], "household set on a read-only data directory");
            assert!(d.running());
            assert_eq!(state(&data), stored);
            fs.remount("rw").expect("remount rw");
            add(&data, "RW-1").ok();
        }
        Err(e) if e.contains("busy") => eprintln!(
            "read-only: `mount -o remount,ro` while kdcd runs is refused by the kernel ({e}): kdcd holds \
             its database and lock files open for writing, so a running kdcd cannot be put on a \
             read-only filesystem that way; the ext4 test below makes the filesystem turn read-only \
             under it instead"
        ),
        Err(e) => panic!("remount ro: {e}"),
    }
    let stored = state(&data);
    assert!(d.running());
    let status = d.terminate();
    assert!(status.success(), "kdcd stopped with {status}: {}", d.stderr());

    // 2. kdcd started on a read-only data directory (existing, and not yet created) refuses to
    // start: at once, with a clear message, a non-zero exit and no panic.
    fs.remount("ro").expect("remount ro with no kdcd running");
    for dir in [data.clone(), fs.dir.join("new-data")] {
        let mut child = spawn_kdcd(&dir, &[]);
        let status = wait_with_deadline(&mut child, START_TIMEOUT);
        if status.is_none() {
            let _ = child.kill();
        }
        let mut err = String::new();
        child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        let status = status.unwrap_or_else(|| panic!("kdcd on a read-only {} did not exit: {err}", dir.display()));
        assert!(!status.success(), "kdcd on a read-only directory exited with {status}: {err}");
        assert_eq!(status.code(), Some(1), "{err}");
        assert!(err.contains("read-only"), "the message must say read-only: {err}");
        assert!(err.contains(dir.to_str().unwrap()), "the message must name the directory: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }

    // Writable again: everything is there and writes work.
    fs.remount("rw").expect("remount rw");
    d.restart();
    assert_eq!(state(&data), stored);
    add(&data, "HH-003").ok();
}

/// ext4 with `errors=remount-ro` turns itself read-only after an error, under a running kdcd:
/// the realistic way a data directory becomes read-only at run time (a failing SD card or
/// disk). Writes are refused, reads work, kdcd stops cleanly, and after a repair every
/// acknowledged write is there.
#[test]
fn ext4_turning_read_only_under_kdcd() {
    const TEST: &str = "faults::ext4_turning_read_only_under_kdcd";
    if let Some(why) = not_root() {
        return skipped(TEST, &why);
    }
    for tool in ["mkfs.ext4", "e2fsck"] {
        if Command::new(tool).arg("-V").stdout(Stdio::null()).stderr(Stdio::null()).status().is_err() {
            return skipped(TEST, &format!("{tool} is not installed"));
        }
    }
    // The image lives on a tmpfs: no disk IO, and nothing left behind.
    let holder = match Mount::tmpfs("64m") {
        Ok(m) => m,
        Err(e) => return skipped(TEST, &format!("cannot mount a tmpfs: {e}")),
    };
    let image = holder.dir.join("ext4.img");
    File::create(&image).and_then(|f| f.set_len(48 << 20)).expect("image file");
    run("mkfs.ext4", &["-q", "-F", image.to_str().unwrap()]).expect("mkfs.ext4");
    let fs = match Mount::ext4(&image) {
        Ok(m) => m,
        Err(e) => return skipped(TEST, &format!("cannot mount an ext4 image through a loop device: {e}")),
    };
    let device = fs.source().expect("mounted device");
    let trigger = PathBuf::from("/sys/fs/ext4").join(Path::new(&device).file_name().unwrap()).join("trigger_fs_error");
    if !trigger.exists() {
        return skipped(TEST, &format!("{} does not exist (kernel without ext4 error injection)", trigger.display()));
    }

    let data = fs.dir.join("data");
    let mut d = Kdcd::start(&data);
    create_area(&data, AREA).ok();
    let mut acked = Vec::new();
    for i in 0..6 {
        let hh = format!("HH-{i:03}");
        add(&data, &hh).ok();
        acked.push(hh);
    }
    kdc(&data, &["household", "set", AREA, "HH-001", "members=5"]).ok();
    let stored = state(&data);

    // The filesystem fails and goes read-only, as the kernel does on a disk error.
    std::fs::write(&trigger, "kdc faults test").expect("trigger an ext4 error");
    let out = add(&data, "RO-1");
    assert_refused(&out, &["read-only"], "household add after ext4 went read-only");
    assert!(out.stderr.contains(data.to_str().unwrap()), "the message names the data directory: {out:?}");
    let out = kdc(&data, &["household", "set", AREA, "HH-001", "members=6"]);
    assert_refused(&out, &["read-only"], "household set after ext4 went read-only");
    let out = create_area(&data, "other-area");
    assert_refused(&out, &["read-only"], "area create after ext4 went read-only");
    let out = kdc_lang(&data, "vi_VN.UTF-8", &["household", "add", "--consent", "verbal", AREA, "RO-VI", "members=3"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("chỉ đọc"), "Vietnamese message: {out:?}");
    assert!(d.running(), "kdcd must stay up: {}", d.stderr());
    assert_eq!(state(&data), stored, "reads changed after refused writes");

    // Stopping must not hang or panic (exit 1 is fine: the final flush cannot write).
    let status = d.terminate();
    eprintln!("ext4 read-only: kdcd stopped with {status}");
    assert!(!d.stderr().contains("panicked"), "{}", d.stderr());

    // Repair as an operator would (unmount, fsck, mount), then start again.
    drop(fs);
    let out = Command::new("e2fsck").args(["-f", "-y", image.to_str().unwrap()]).output().expect("e2fsck");
    // 0: clean, 1: errors corrected.
    assert!(matches!(out.status.code(), Some(0 | 1)), "e2fsck: {out:?}");
    let fs = Mount::ext4(&image).expect("mount the repaired filesystem");
    let data = fs.dir.join("data");
    let mut d = Kdcd::start(&data);
    assert_eq!(ids(&data), sorted(acked), "acknowledged writes lost");
    assert_eq!(state(&data), stored, "what was stored changed");
    for hh in ["RO-1", "RO-VI"] {
        assert_eq!(kdc(&data, &["household", "show", AREA, hh]).code, 4, "refused {hh} is stored");
    }
    add(&data, "HH-AFTER").ok();
    let status = d.terminate();
    assert!(status.success(), "{status}: {}", d.stderr());
    drop(d);
    drop(fs);
    drop(holder);
}
