//! Updates from a teammate: release archives a device keeps, offers to its peers, fetches from
//! one, checks and installs. The pieces here do no networking: naming and checking an archive,
//! the store of archives a device offers (`DATA_DIR/releases/`), taking the binaries out of an
//! archive, and putting them in place with the previous ones kept for a rollback. The network
//! task serves and fetches the bytes (`network::update`); `api` drives it.
//!
//! An archive is installed only when all of this holds, checked in this order: its name reads
//! `kdc-sync-VERSION-TARGET.tar.gz|.zip`; TARGET is this device's platform; VERSION is newer than
//! this release; it is at most [`MAX_ARCHIVE`] bytes; its minisign signature verifies with a
//! release key compiled into this binary and its trusted (signed) comment is exactly
//! `kdc-sync VERSION TARGET`; it holds both `kdcd` and `kdc`. A peer can only offer: nothing is
//! fetched or installed until the person says yes (`kdc update`, the team page's button).
//!
//! Invariant: at every instant of an install each binary is either the old one or the new one
//! (the new file is written and synced beside it, then renamed over it); the old ones are kept as
//! `kdcd.previous` / `kdc.previous` for `kdc update --rollback`.

use std::io::Read;
use std::path::{Path, PathBuf};

use semver::Version;

pub use kdc_api::types::Archive;

static RESTART: std::sync::Mutex<Option<PathBuf>> = std::sync::Mutex::new(None);

/// After an install or a rollback: `kdcd` starts `exe` again once it has stopped.
pub fn request_restart(exe: PathBuf) {
    *RESTART.lock().unwrap_or_else(|e| e.into_inner()) = Some(exe);
}

/// The binary to start again after this daemon stopped, if an update asked for it.
pub fn restart_requested() -> Option<PathBuf> {
    RESTART.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The project's release key (minisign, key id B1E89C9452E2A23B). Archives signed with anything
/// else are refused.
pub const RELEASE_KEY: &str = "RWQ7ouJSlJzosfGActaN5LBt3YL5a0CatWmJtqonUW+pqEX3nkVOXsNZ";
/// Debug builds also take the key in this variable (tests sign with a key of their own); release
/// builds ignore it.
pub const TEST_KEY_VAR: &str = "KDC_TEST_RELEASE_KEY";
/// Largest archive fetched or kept (the release archives are about 10 MB).
pub const MAX_ARCHIVE: u64 = 64 * 1024 * 1024;
/// Bytes per request when fetching from a peer.
pub const CHUNK: u64 = 256 * 1024;
/// Where a device keeps the archives it offers (and the one it is fetching, as `.part`).
pub const RELEASES_DIR: &str = "releases";
/// Debug builds: the release this device says it is (tests play an older device with it).
pub const TEST_VERSION_VAR: &str = "KDC_TEST_VERSION";
/// Debug builds on Unix: the step of an update at which kdcd kills itself with SIGKILL, as a
/// phone's low-memory killer or a pulled battery would (`tests/tests/update.rs` goes through
/// every step in [`STEPS`]).
pub const TEST_KILL_VAR: &str = "KDC_TEST_KILL_AT";
/// The steps of an update, in order, for [`TEST_KILL_VAR`]: the fetch, the checks, the store,
/// each binary's three install steps ([`install_with`]), the last one before the restart.
pub const STEPS: &[&str] = &[
    "fetch: first chunk written",
    "fetch: last chunk written",
    "checked",
    "kept to offer",
    "kdc: new written",
    "kdc: previous kept",
    "kdc: replaced",
    "kdcd: new written",
    "kdcd: previous kept",
    "kdcd: replaced",
    "installed",
];

/// Where an update reaches `step`: a debug build whose [`TEST_KILL_VAR`] names it dies here.
pub fn reached(step: &str) {
    #[cfg(all(debug_assertions, unix))]
    if std::env::var(TEST_KILL_VAR).is_ok_and(|s| s == step) {
        eprintln!("kdcd: killed at update step {step:?} ({TEST_KILL_VAR})");
        // SAFETY: kill(2) on this process; no memory is touched.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
    #[cfg(not(all(debug_assertions, unix)))]
    let _ = step;
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UpdateError {
    #[error("{0}: not a release archive name (kdc-sync-VERSION-TARGET.tar.gz or .zip)")]
    Name(String),
    #[error("{name} is for {target}; this device runs {this}")]
    OtherPlatform { name: String, target: String, this: String },
    #[error("{name} is release {version}, not newer than this device's {current}")]
    NotNewer { name: String, version: Version, current: Version },
    #[error("{name} is {size} bytes, more than an archive may be ({MAX_ARCHIVE})")]
    TooLarge { name: String, size: u64 },
    #[error("{0} has no signature: not installed")]
    Unsigned(String),
    #[error("{name}: the signature does not verify with the project's release key ({why}): not installed")]
    BadSignature { name: String, why: String },
    #[error("{name}: the signature is for {signed:?}, not for this archive: not installed")]
    WrongRelease { name: String, signed: String },
    #[error("{name} does not open as an archive with kdcd and kdc ({why}): truncated or damaged")]
    Damaged { name: String, why: String },
    #[error("{0}")]
    Io(String),
}

fn io(e: std::io::Error, what: &Path) -> UpdateError {
    UpdateError::Io(format!("{}: {e}", what.display()))
}

/// This binary's release: the crate version, or in a debug build [`TEST_VERSION_VAR`].
pub fn current() -> Version {
    if cfg!(debug_assertions)
        && let Some(v) = std::env::var(TEST_VERSION_VAR).ok().and_then(|v| Version::parse(&v).ok())
    {
        return v;
    }
    crdt_model::compat::release()
}

/// The release archive target this device runs: what `scripts/dist` builds for its CPU and OS.
pub fn this_target() -> &'static str {
    match (std::env::consts::ARCH, std::env::consts::OS) {
        ("aarch64", "linux" | "android") => "aarch64-unknown-linux-musl",
        ("x86_64", "linux") => "x86_64-unknown-linux-musl",
        ("x86_64", "windows") => "x86_64-pc-windows-gnu",
        _ => "unsupported",
    }
}

/// `kdc-sync-0.2.0-x86_64-unknown-linux-musl.tar.gz` → (0.2.0, the target).
pub fn parse_name(name: &str) -> Result<(Version, String), UpdateError> {
    let bad = || UpdateError::Name(name.to_string());
    if name.contains(['/', '\\']) || name.starts_with('.') {
        return Err(bad());
    }
    let stem = name.strip_suffix(".tar.gz").or_else(|| name.strip_suffix(".zip")).ok_or_else(bad)?;
    let rest = stem.strip_prefix("kdc-sync-").ok_or_else(bad)?;
    // The version has no '-' of its own here (releases are plain X.Y.Z).
    let (version, target) = rest.split_once('-').ok_or_else(bad)?;
    let version = Version::parse(version).map_err(|_| bad())?;
    if target.is_empty() || !target.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(bad());
    }
    Ok((version, target.to_string()))
}

/// The signed comment of a release archive's signature.
pub fn trusted_comment(version: &Version, target: &str) -> String {
    format!("kdc-sync {version} {target}")
}

/// The keys a release archive's signature may verify with.
pub struct Keys(Vec<minisign_verify::PublicKey>);

impl Keys {
    /// The project's release key, and in a debug build the one in [`TEST_KEY_VAR`].
    pub fn release() -> Keys {
        let mut keys = vec![minisign_verify::PublicKey::from_base64(RELEASE_KEY).expect("the release key decodes")];
        if cfg!(debug_assertions)
            && let Some(k) =
                std::env::var(TEST_KEY_VAR).ok().and_then(|k| minisign_verify::PublicKey::from_base64(&k).ok())
        {
            keys.push(k);
        }
        Keys(keys)
    }

    /// Exactly these keys (base64 minisign public keys).
    pub fn only(keys: &[&str]) -> Keys {
        Keys(keys.iter().filter_map(|k| minisign_verify::PublicKey::from_base64(k).ok()).collect())
    }
}

/// Checks an archive's name, platform, version, size and signature (see the module
/// documentation). `current`: this device's release.
pub fn check(
    keys: &Keys,
    name: &str,
    bytes: &[u8],
    signature: Option<&str>,
    current: &Version,
) -> Result<(Version, String), UpdateError> {
    let (version, target) = parse_name(name)?;
    if target != this_target() {
        return Err(UpdateError::OtherPlatform { name: name.into(), target, this: this_target().into() });
    }
    if version <= *current {
        return Err(UpdateError::NotNewer { name: name.into(), version, current: current.clone() });
    }
    check_signed(keys, name, bytes, signature, &version, &target)?;
    Ok((version, target))
}

/// The size and signature half of [`check`]: what a device checks of an archive it keeps to
/// offer (any platform, any release).
pub fn check_signed(
    keys: &Keys,
    name: &str,
    bytes: &[u8],
    signature: Option<&str>,
    version: &Version,
    target: &str,
) -> Result<(), UpdateError> {
    if bytes.len() as u64 > MAX_ARCHIVE {
        return Err(UpdateError::TooLarge { name: name.into(), size: bytes.len() as u64 });
    }
    let text = signature.ok_or_else(|| UpdateError::Unsigned(name.into()))?;
    let bad = |why: String| UpdateError::BadSignature { name: name.into(), why };
    let sig = minisign_verify::Signature::decode(text).map_err(|e| bad(e.to_string()))?;
    let mut last = String::from("no release key");
    let verified = keys.0.iter().any(|k| match k.verify(bytes, &sig, false) {
        Ok(()) => true,
        Err(e) => {
            last = e.to_string();
            false
        }
    });
    if !verified {
        return Err(bad(last));
    }
    let expected = trusted_comment(version, target);
    if sig.trusted_comment() != expected {
        return Err(UpdateError::WrongRelease { name: name.into(), signed: sig.trusted_comment().to_string() });
    }
    Ok(())
}

/// The binaries in an archive: `kdcd` and `kdc` (with `.exe` on Windows), by file name
/// wherever they are in it.
pub fn extract(name: &str, bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, UpdateError> {
    let damaged = |why: String| UpdateError::Damaged { name: name.into(), why };
    let exe = if name.contains("windows") { ".exe" } else { "" };
    let wanted = [format!("kdcd{exe}"), format!("kdc{exe}")];
    let mut found: Vec<(String, Vec<u8>)> = Vec::new();
    let mut take = |path: &str, read: &mut dyn Read| -> Result<(), UpdateError> {
        let file = path.rsplit('/').next().unwrap_or(path);
        if wanted.iter().any(|w| w == file) && !found.iter().any(|(f, _)| f == file) {
            let mut body = Vec::new();
            read.take(MAX_ARCHIVE).read_to_end(&mut body).map_err(|e| damaged(e.to_string()))?;
            found.push((file.to_string(), body));
        }
        Ok(())
    };
    if name.ends_with(".zip") {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| damaged(e.to_string()))?;
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).map_err(|e| damaged(e.to_string()))?;
            let path = entry.name().map_err(|e| damaged(e.to_string()))?.to_string();
            take(&path, &mut entry)?;
        }
    } else {
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
        for entry in tar.entries().map_err(|e| damaged(e.to_string()))? {
            let mut entry = entry.map_err(|e| damaged(e.to_string()))?;
            let path = entry.path().map_err(|e| damaged(e.to_string()))?.to_string_lossy().into_owned();
            take(&path, &mut entry)?;
        }
    }
    for w in &wanted {
        match found.iter().find(|(f, _)| f == w) {
            Some((_, body)) if !body.is_empty() => {}
            _ => return Err(damaged(format!("{w} is missing"))),
        }
    }
    Ok(found)
}

/// Puts `files` (from [`extract`]) into `dir`, each replacing the binary of its name, the
/// replaced one kept as `NAME.previous`. Each step leaves a binary that starts: the new file is
/// written and synced as `NAME.new`, the old one hard-linked (or copied) to `NAME.previous`,
/// then the new one renamed over it. `kdcd` goes last: a device whose daemon runs the new
/// release has the new `kdc` too, and one stopped before that still runs the old release,
/// offered the new one again (the files already in place are not written twice).
pub fn install(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<(), UpdateError> {
    install_with(dir, files, &mut |_| Ok(()))
}

/// [`install`], calling `after` once each step is on disk (tests stop it there, as a kill would).
pub fn install_with(
    dir: &Path,
    files: &[(String, Vec<u8>)],
    after: &mut dyn FnMut(&str) -> Result<(), UpdateError>,
) -> Result<(), UpdateError> {
    let mut files: Vec<&(String, Vec<u8>)> = files.iter().collect();
    files.sort_by_key(|(file, _)| file.starts_with("kdcd"));
    for (file, body) in files {
        let path = dir.join(file);
        // Already in place (an install stopped half-way and run again): keep the real previous.
        if std::fs::read(&path).is_ok_and(|b| b == *body) {
            continue;
        }
        let new = dir.join(format!("{file}.new"));
        write_synced(&new, body)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&new, std::fs::Permissions::from_mode(0o755)).map_err(|e| io(e, &new))?;
        }
        after(&format!("{file}: new written"))?;
        keep_previous(&path)?;
        after(&format!("{file}: previous kept"))?;
        replace(&new, &path)?;
        after(&format!("{file}: replaced"))?;
    }
    sync_dir(dir);
    Ok(())
}

/// Puts the `.previous` binaries back (the current ones become `.previous`). Refused when there
/// is nothing to go back to.
pub fn rollback(dir: &Path, names: &[&str]) -> Result<(), UpdateError> {
    for name in names {
        if !dir.join(format!("{name}.previous")).exists() {
            return Err(UpdateError::Io(format!("no earlier release kept in {} ({name}.previous)", dir.display())));
        }
    }
    for name in names {
        let (path, previous) = (dir.join(name), dir.join(format!("{name}.previous")));
        let back = dir.join(format!("{name}.new"));
        std::fs::copy(&previous, &back).map_err(|e| io(e, &previous))?;
        if let Ok(f) = std::fs::File::open(&back) {
            let _ = f.sync_all();
        }
        keep_previous(&path)?;
        replace(&back, &path)?;
    }
    sync_dir(dir);
    Ok(())
}

fn keep_previous(path: &Path) -> Result<(), UpdateError> {
    if !path.exists() {
        return Ok(());
    }
    let previous = PathBuf::from(format!("{}.previous", path.display()));
    let tmp = PathBuf::from(format!("{}.previous.tmp", path.display()));
    let _ = std::fs::remove_file(&tmp);
    if std::fs::hard_link(path, &tmp).is_err() {
        std::fs::copy(path, &tmp).map_err(|e| io(e, path))?;
    }
    std::fs::rename(&tmp, &previous).map_err(|e| io(e, &previous))
}

fn replace(new: &Path, path: &Path) -> Result<(), UpdateError> {
    // Windows cannot rename over a running executable, but can rename the running one aside.
    if cfg!(windows) && path.exists() {
        let aside = PathBuf::from(format!("{}.old", path.display()));
        let _ = std::fs::remove_file(&aside);
        std::fs::rename(path, &aside).map_err(|e| io(e, path))?;
    }
    std::fs::rename(new, path).map_err(|e| io(e, path))
}

fn write_synced(path: &Path, body: &[u8]) -> Result<(), UpdateError> {
    use std::io::Write;
    let mut f = std::fs::File::create(path).map_err(|e| io(e, path))?;
    f.write_all(body).and_then(|()| f.sync_all()).map_err(|e| io(e, path))
}

fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// The archives a device keeps to offer: `DATA_DIR/releases/NAME` with `NAME.minisig`, each
/// checked when it was added.
pub struct Store {
    dir: PathBuf,
}

impl Store {
    pub fn new(data_dir: &Path) -> Store {
        Store { dir: data_dir.join(RELEASES_DIR) }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The archives kept with their signature (each was checked when it was added).
    pub fn list(&self) -> Vec<Archive> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return Vec::new() };
        let mut out: Vec<Archive> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let (version, target) = parse_name(&name).ok()?;
                let size = e.metadata().ok()?.len();
                self.signature(&name)?;
                Some(Archive { name, version: version.to_string(), target, size })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    pub fn signature(&self, name: &str) -> Option<String> {
        parse_name(name).ok()?;
        std::fs::read_to_string(self.dir.join(format!("{name}.minisig"))).ok()
    }

    /// `len` bytes of a kept archive from `offset`.
    pub fn read(&self, name: &str, offset: u64, len: u64) -> Result<Vec<u8>, UpdateError> {
        use std::io::{Seek, SeekFrom};
        parse_name(name)?;
        let path = self.dir.join(name);
        let mut f = std::fs::File::open(&path).map_err(|e| io(e, &path))?;
        f.seek(SeekFrom::Start(offset)).map_err(|e| io(e, &path))?;
        let mut out = Vec::new();
        f.take(len.min(CHUNK)).read_to_end(&mut out).map_err(|e| io(e, &path))?;
        Ok(out)
    }

    /// Keeps an archive to offer, after checking its name, size and signature.
    pub fn add(&self, keys: &Keys, name: &str, bytes: &[u8], signature: &str) -> Result<Archive, UpdateError> {
        let (version, target) = parse_name(name)?;
        check_signed(keys, name, bytes, Some(signature), &version, &target)?;
        std::fs::create_dir_all(&self.dir).map_err(|e| io(e, &self.dir))?;
        let sig_path = self.dir.join(format!("{name}.minisig"));
        let path = self.dir.join(name);
        write_synced(&self.dir.join(format!("{name}.tmp")), bytes)?;
        std::fs::rename(self.dir.join(format!("{name}.tmp")), &path).map_err(|e| io(e, &path))?;
        write_synced(&sig_path, signature.as_bytes())?;
        sync_dir(&self.dir);
        Ok(Archive { name: name.into(), version: version.to_string(), target, size: bytes.len() as u64 })
    }

    /// Where an archive being fetched is kept until it is whole (a fetch resumes from its length).
    pub fn partial(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.part"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keypair() -> (minisign::KeyPair, String) {
        let pair = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
        let pk = pair.pk.to_base64();
        (pair, pk)
    }

    fn sign(pair: &minisign::KeyPair, bytes: &[u8], comment: &str) -> String {
        minisign::sign(None, &pair.sk, std::io::Cursor::new(bytes), Some(comment), None).unwrap().into_string()
    }

    fn archive(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()));
        for (path, body) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(body.len() as u64);
            header.set_mode(0o755);
            header.set_cksum();
            builder.append_data(&mut header, path, *body).unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap()
    }

    /// The key compiled in is the one whose secret half signs releases (its public file is kept
    /// beside the signing tool).
    #[test]
    fn the_compiled_in_key_is_the_project_key() {
        let file = include_str!("../../scripts/release-sign/kdc-release.pub");
        assert_eq!(file.lines().nth(1), Some(RELEASE_KEY));
        assert!(minisign_verify::PublicKey::from_base64(RELEASE_KEY).is_ok());
    }

    #[test]
    fn names_say_release_and_platform() {
        let (v, t) = parse_name("kdc-sync-0.2.0-x86_64-unknown-linux-musl.tar.gz").unwrap();
        assert_eq!((v.to_string(), t.as_str()), ("0.2.0".into(), "x86_64-unknown-linux-musl"));
        assert!(parse_name("kdc-sync-0.2.0-x86_64-pc-windows-gnu.zip").is_ok());
        for bad in
            ["kdc-sync-0.2.0.tar.gz", "other-0.2.0-x.tar.gz", "kdc-sync-two-x.tar.gz", "../kdc-sync-0.2.0-x.tar.gz"]
        {
            assert!(parse_name(bad).is_err(), "{bad}");
        }
    }

    /// Every archive a device must refuse is refused with its own message; the good one passes;
    /// the project's key alone does not take a test key's signature.
    #[test]
    fn only_a_signed_newer_archive_for_this_platform_passes() {
        let (pair, pk) = keypair();
        let keys = Keys::only(&[&pk]);
        let current = Version::new(0, 2, 0);
        let target = this_target();
        let name = format!("kdc-sync-0.3.0-{target}.tar.gz");
        let bytes = archive(&[("kdc-sync-0.3.0/kdcd", b"new kdcd"), ("kdc-sync-0.3.0/kdc", b"new kdc")]);
        let good = sign(&pair, &bytes, &format!("kdc-sync 0.3.0 {target}"));
        assert_eq!(check(&keys, &name, &bytes, Some(&good), &current).unwrap().0, Version::new(0, 3, 0));
        assert!(matches!(
            check(&Keys::only(&[RELEASE_KEY]), &name, &bytes, Some(&good), &current),
            Err(UpdateError::BadSignature { .. })
        ));
        let files = extract(&name, &bytes).unwrap();
        assert_eq!(files.len(), 2);

        let mut tampered = bytes.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(matches!(check(&keys, &name, &tampered, Some(&good), &current), Err(UpdateError::BadSignature { .. })));
        assert!(matches!(check(&keys, &name, &bytes, None, &current), Err(UpdateError::Unsigned(_))));
        let (stranger, _) = keypair();
        let wrong = sign(&stranger, &bytes, &format!("kdc-sync 0.3.0 {target}"));
        assert!(matches!(check(&keys, &name, &bytes, Some(&wrong), &current), Err(UpdateError::BadSignature { .. })));
        // A good signature of another release, replayed under this name.
        let replay = sign(&pair, &bytes, &format!("kdc-sync 0.1.0 {target}"));
        assert!(matches!(check(&keys, &name, &bytes, Some(&replay), &current), Err(UpdateError::WrongRelease { .. })));
        let older = format!("kdc-sync-0.1.0-{target}.tar.gz");
        assert!(matches!(check(&keys, &older, &bytes, Some(&good), &current), Err(UpdateError::NotNewer { .. })));
        let other = if target.contains("windows") { "aarch64-unknown-linux-musl" } else { "x86_64-pc-windows-gnu" };
        let foreign = format!("kdc-sync-0.3.0-{other}.zip");
        assert!(matches!(
            check(&keys, &foreign, &bytes, Some(&good), &current),
            Err(UpdateError::OtherPlatform { .. })
        ));
        // Truncated: the signature fails first; and an archive cut short does not open.
        let cut = &bytes[..bytes.len() / 2];
        assert!(check(&keys, &name, cut, Some(&good), &current).is_err());
        assert!(matches!(extract(&name, cut), Err(UpdateError::Damaged { .. })));
        let lacking = archive(&[("kdc-sync-0.3.0/kdcd", b"only kdcd")]);
        assert!(matches!(extract(&name, &lacking), Err(UpdateError::Damaged { .. })));
    }

    #[test]
    fn install_keeps_the_previous_binaries_and_rolls_back() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("kdcd"), b"old kdcd").unwrap();
        std::fs::write(dir.path().join("kdc"), b"old kdc").unwrap();
        let files = vec![("kdcd".to_string(), b"new kdcd".to_vec()), ("kdc".to_string(), b"new kdc".to_vec())];
        install(dir.path(), &files).unwrap();
        assert_eq!(std::fs::read(dir.path().join("kdcd")).unwrap(), b"new kdcd");
        assert_eq!(std::fs::read(dir.path().join("kdcd.previous")).unwrap(), b"old kdcd");
        assert!(!dir.path().join("kdcd.new").exists());
        rollback(dir.path(), &["kdcd", "kdc"]).unwrap();
        assert_eq!(std::fs::read(dir.path().join("kdcd")).unwrap(), b"old kdcd");
        assert_eq!(std::fs::read(dir.path().join("kdc")).unwrap(), b"old kdc");
        assert_eq!(std::fs::read(dir.path().join("kdcd.previous")).unwrap(), b"new kdcd");
        let empty = tempfile::tempdir().unwrap();
        assert!(rollback(empty.path(), &["kdcd"]).is_err());
    }

    /// Stopped after any step (as a kill -9 would stop it), each binary is whole: the old one or
    /// the new one, never missing or half written; and installing again from there finishes.
    #[test]
    fn an_install_stopped_at_any_step_leaves_binaries_that_start() {
        let files = vec![("kdcd".to_string(), b"new kdcd".to_vec()), ("kdc".to_string(), b"new kdc".to_vec())];
        let mut steps = Vec::new();
        let probe = tempfile::tempdir().unwrap();
        install_with(probe.path(), &files, &mut |s| {
            steps.push(s.to_string());
            Ok(())
        })
        .unwrap();
        assert_eq!(steps.len(), 6);
        assert!(steps.iter().all(|s| STEPS.contains(&s.as_str())), "{steps:?} are not all in STEPS");
        for stop in 0..steps.len() {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("kdcd"), b"old kdcd").unwrap();
            std::fs::write(dir.path().join("kdc"), b"old kdc").unwrap();
            let mut n = 0;
            let stopped = install_with(dir.path(), &files, &mut |s| {
                n += 1;
                if n > stop { Err(UpdateError::Io(format!("killed after {s}"))) } else { Ok(()) }
            });
            assert!(stopped.is_err());
            for name in ["kdcd", "kdc"] {
                let body = std::fs::read(dir.path().join(name)).unwrap();
                assert!(body == format!("old {name}").as_bytes() || body == format!("new {name}").as_bytes(), "{stop}");
            }
            // A new daemon never runs beside an old kdc.
            if std::fs::read(dir.path().join("kdcd")).unwrap() == b"new kdcd" {
                assert_eq!(std::fs::read(dir.path().join("kdc")).unwrap(), b"new kdc", "{stop}");
            }
            install(dir.path(), &files).unwrap();
            assert_eq!(std::fs::read(dir.path().join("kdcd")).unwrap(), b"new kdcd");
            assert_eq!(std::fs::read(dir.path().join("kdcd.previous")).unwrap(), b"old kdcd", "{stop}");
        }
    }

    #[test]
    fn the_store_keeps_only_signed_archives() {
        let (pair, pk) = keypair();
        let keys = Keys::only(&[&pk]);
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let name = "kdc-sync-0.3.0-aarch64-unknown-linux-musl.tar.gz";
        let bytes = archive(&[("x/kdcd", b"a"), ("x/kdc", b"b")]);
        assert!(store.add(&keys, name, &bytes, "not a signature").is_err());
        assert!(store.list().is_empty());
        let sig = sign(&pair, &bytes, "kdc-sync 0.3.0 aarch64-unknown-linux-musl");
        store.add(&keys, name, &bytes, &sig).unwrap();
        assert_eq!(store.list().len(), 1);
        assert_eq!(store.read(name, 2, 5).unwrap(), bytes[2..7].to_vec());
        assert!(store.read("../etc/passwd", 0, 5).is_err());
    }
}
