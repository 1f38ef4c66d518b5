//! The daemon's configuration and its data directory.
//!
//! A data directory belongs to exactly one running `kdcd`. It holds:
//!
//! | file | content |
//! |---|---|
//! | `kdcd.lock` | held with an exclusive OS lock for the process lifetime; holds the pid |
//! | `identity.key` | the libp2p ed25519 keypair, protobuf encoding, mode 0600 |
//! | `api.token` | 64 hex characters (32 random bytes), mode 0600 |
//! | `api.addr` | the control API address actually bound, e.g. `127.0.0.1:43123` |
//! | `db/` | the sled database (see [`crate::store`]) |
//!
//! Secrets are written to a temporary file that is created with mode 0600 and then renamed
//! into place, so a crash never leaves a half-written key or token, and the secret is never
//! readable by others, not even for an instant. `api.addr` is replaced the same way because the
//! CLI may read it at any moment.
//!
//! Everything here is blocking file IO: call it from `spawn_blocking` or before the runtime.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use libp2p::identity::Keypair;
use libp2p::{Multiaddr, PeerId};
use rand::RngCore;

/// Name of the lock file inside the data directory.
pub const LOCK_FILE: &str = "kdcd.lock";
/// Name of the identity key file.
pub const IDENTITY_FILE: &str = "identity.key";
pub use kdc_api::{ADDR_FILE, TOKEN_FILE, default_data_dir};
/// Name of the sled database directory.
pub const DB_DIR: &str = "db";
/// The device name used when neither `--name` nor a stored name exists and the host name is
/// not readable.
pub const DEFAULT_DEVICE_NAME: &str = "kdc-device";
/// Longest accepted device name, in characters (it ends up in every area's member roster).
pub const MAX_DEVICE_NAME: usize = 64;

/// What `kdcd` is started with. `main.rs` builds it from the command line; tests build it
/// with [`Config::new`].
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    /// `--name`: overrides (and replaces) the stored device name.
    pub name: Option<String>,
    /// `--listen`: libp2p listen addresses, kept for the network layer.
    pub listen: Vec<Multiaddr>,
    /// `--peer`: addresses to dial, kept for the network layer.
    pub peers: Vec<Multiaddr>,
    /// `false` with `--no-mdns`.
    pub mdns: bool,
    /// `--relay`: also serve libp2p circuit relay v2 to other devices.
    pub relay: bool,
    /// `--relay-allow`: the only devices the relay serves (empty: any).
    pub relay_allow: Vec<libp2p::PeerId>,
    /// `--external-address`: addresses others reach this device at (public or port-forwarded).
    pub external: Vec<Multiaddr>,
    /// Incremental chunks per area before the store compacts it into one full save.
    pub compact_threshold: usize,
    /// `--ui-listen`: also serve the web app (only) on this address, for browsers on the LAN.
    pub ui_listen: Option<std::net::SocketAddr>,
    /// Print a one-time login URL for the web app on stdout once the API is ready (`kdcd`
    /// started on a terminal).
    pub print_login_url: bool,
    /// `--passphrase-fd` / `--ask-passphrase`: the passphrase that wraps the device key
    /// (encryption at rest). Given to a device whose key has none, it sets it.
    pub passphrase: Option<crate::store::Passphrase>,
}

impl Config {
    /// A configuration with the contract's defaults for the given data directory.
    pub fn new(data_dir: impl Into<PathBuf>) -> Config {
        Config {
            data_dir: data_dir.into(),
            name: None,
            listen: vec![default_listen()],
            peers: Vec::new(),
            mdns: true,
            relay: false,
            relay_allow: Vec::new(),
            external: Vec::new(),
            compact_threshold: crate::store::DEFAULT_COMPACT_THRESHOLD,
            ui_listen: None,
            print_login_url: false,
            passphrase: None,
        }
    }
}

/// The contract's default `--listen` address, `/ip4/0.0.0.0/tcp/0`.
pub fn default_listen() -> Multiaddr {
    // A literal that always parses; building it from protocols avoids an `expect`.
    Multiaddr::empty()
        .with(libp2p::multiaddr::Protocol::Ip4(std::net::Ipv4Addr::UNSPECIFIED))
        .with(libp2p::multiaddr::Protocol::Tcp(0))
}

/// Why the data directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("another kdcd is already running on {}", .dir.display())]
    AlreadyRunning { dir: PathBuf },
    #[error("cannot use data directory {}: {source}", .dir.display())]
    DataDir { dir: PathBuf, source: io::Error },
    #[error("cannot {action} {}: {source}", .path.display())]
    Io { action: &'static str, path: PathBuf, source: io::Error },
    #[error("{} is not a valid identity key ({reason}); move it away to create a new identity", .path.display())]
    BadIdentity { path: PathBuf, reason: String },
    #[error("invalid device name: {0}")]
    BadName(String),
    /// The data directory is read-only or its disk is full.
    #[error("{}", .0.at_start())]
    Storage(crate::store::StorageFault),
}

/// An IO error on a file in the data directory; a full disk or a read-only filesystem is said
/// as such.
fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> ConfigError + 'a {
    move |source| match crate::store::StorageFault::full_or_read_only(path.parent().unwrap_or(path), &source) {
        Some(fault) => ConfigError::Storage(fault),
        None => ConfigError::Io { action, path: path.to_path_buf(), source },
    }
}

/// An IO error on the data directory itself.
fn dir_err(dir: &Path) -> impl FnOnce(io::Error) -> ConfigError + '_ {
    move |source| match crate::store::StorageFault::full_or_read_only(dir, &source) {
        Some(fault) => ConfigError::Storage(fault),
        None => ConfigError::DataDir { dir: dir.to_path_buf(), source },
    }
}

/// An opened, locked data directory. The lock is released when this value is dropped.
#[derive(Debug)]
pub struct DataDir {
    path: PathBuf,
    keypair: Keypair,
    peer_id: PeerId,
    token: String,
    // Held only for its lock; never read.
    _lock: File,
}

impl DataDir {
    /// Creates the directory if missing, takes the lock, and loads (or creates) the identity
    /// key and the API token.
    pub fn open(dir: &Path) -> Result<DataDir, ConfigError> {
        fs::create_dir_all(dir).map_err(dir_err(dir))?;
        // Canonical so that messages and api.addr consumers see one spelling of the path.
        let dir = dir.canonicalize().map_err(dir_err(dir))?;
        let lock = acquire_lock(&dir)?;
        let keypair = load_or_create_identity(&dir.join(IDENTITY_FILE))?;
        let token = load_or_create_token(&dir.join(TOKEN_FILE))?;
        let peer_id = keypair.public().to_peer_id();
        Ok(DataDir { path: dir, keypair, peer_id, token, _lock: lock })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn keypair(&self) -> &Keypair {
        &self.keypair
    }

    pub fn peer_id(&self) -> PeerId {
        self.peer_id
    }

    /// The control API bearer token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Where the sled database lives.
    pub fn db_path(&self) -> PathBuf {
        self.path.join(DB_DIR)
    }

    /// Publishes the bound API address for clients (temp file + rename: readers never see a
    /// partial address).
    pub fn write_api_addr(&self, addr: SocketAddr) -> Result<(), ConfigError> {
        write_atomic(&self.path.join(ADDR_FILE), addr.to_string().as_bytes(), None)
    }

    /// Removes `api.addr` at shutdown so clients report "not running" at once instead of
    /// trying a dead port.
    pub fn remove_api_addr(&self) -> Result<(), ConfigError> {
        let path = self.path.join(ADDR_FILE);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err("remove", &path)(e)),
        }
    }
}

fn acquire_lock(dir: &Path) -> Result<File, ConfigError> {
    let path = dir.join(LOCK_FILE);
    // Not truncated on open: the file may belong to a running daemon; we only write after
    // we own the lock.
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io_err("open", &path))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Err(ConfigError::AlreadyRunning { dir: dir.to_path_buf() }),
        Err(TryLockError::Error(e)) => return Err(io_err("lock", &path)(e)),
    }
    // The pid is informational (who holds the lock); failing to write it is not fatal.
    let _ = file.set_len(0).and_then(|()| writeln!(file, "{}", std::process::id()));
    Ok(file)
}

fn load_or_create_identity(path: &Path) -> Result<Keypair, ConfigError> {
    match fs::read(path) {
        Ok(bytes) => {
            restrict_mode(path)?;
            Keypair::from_protobuf_encoding(&bytes)
                .map_err(|e| ConfigError::BadIdentity { path: path.to_path_buf(), reason: e.to_string() })
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let mut secret = [0u8; 32];
            rand::rng().fill_bytes(&mut secret);
            // `ed25519_from_bytes` zeroes `secret` after reading it.
            let keypair = Keypair::ed25519_from_bytes(&mut secret)
                .map_err(|e| ConfigError::BadIdentity { path: path.to_path_buf(), reason: e.to_string() })?;
            let encoded = keypair
                .to_protobuf_encoding()
                .map_err(|e| ConfigError::BadIdentity { path: path.to_path_buf(), reason: e.to_string() })?;
            write_atomic(path, &encoded, Some(0o600))?;
            tracing::info!(path = %path.display(), peer_id = %keypair.public().to_peer_id(), "created a new device identity");
            Ok(keypair)
        }
        Err(e) => Err(io_err("read", path)(e)),
    }
}

fn load_or_create_token(path: &Path) -> Result<String, ConfigError> {
    match fs::read_to_string(path) {
        Ok(text) => {
            let token = text.trim();
            if token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()) {
                restrict_mode(path)?;
                return Ok(token.to_string());
            }
            // A token is only a shared secret between this daemon and its clients, who read
            // the file anew: replacing a damaged one loses nothing.
            tracing::warn!(path = %path.display(), "api.token is not 64 hex characters; replacing it");
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) if e.kind() == io::ErrorKind::InvalidData => {
            tracing::warn!(path = %path.display(), "api.token is not text; replacing it");
        }
        Err(e) => return Err(io_err("read", path)(e)),
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    write_atomic(path, token.as_bytes(), Some(0o600))?;
    Ok(token)
}

/// Tightens a secret file that was made readable by others (e.g. copied with a loose umask).
fn restrict_mode(path: &Path) -> Result<(), ConfigError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = fs::metadata(path).map_err(io_err("stat", path))?;
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "secret file was readable by others; setting mode 0600");
            fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(io_err("chmod", path))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Writes `path` via a temporary sibling and a rename, syncing the file first so the rename
/// never exposes an empty file after a crash.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], mode: Option<u32>) -> Result<(), ConfigError> {
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{file_name}.tmp-{}", std::process::id()));
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode.unwrap_or(0o644));
    }
    #[cfg(not(unix))]
    let _ = mode;
    let result = (|| {
        let mut file = options.open(&tmp).map_err(io_err("create", &tmp))?;
        file.write_all(bytes).map_err(io_err("write", &tmp))?;
        file.sync_all().map_err(io_err("sync", &tmp))?;
        fs::rename(&tmp, path).map_err(io_err("rename into", path))?;
        // Make the rename itself durable: a freshly created identity must survive a power cut
        // that follows the first start. Best effort: not every filesystem supports it.
        if let Some(parent) = path.parent() {
            let _ = crate::durable::sync_dir(parent);
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Checks a device name and trims it.
pub fn validate_device_name(name: &str) -> Result<String, ConfigError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ConfigError::BadName("must not be empty".into()));
    }
    if name.chars().count() > MAX_DEVICE_NAME || name.chars().any(char::is_control) {
        return Err(ConfigError::BadName(format!(
            "{name:?}: at most {MAX_DEVICE_NAME} characters, no control characters"
        )));
    }
    Ok(name.to_string())
}

/// A reasonable default device name: the host name when it can be read, else `kdc-device`.
pub fn default_device_name() -> String {
    let from_file = |p: &str| fs::read_to_string(p).ok();
    from_file("/proc/sys/kernel/hostname")
        .or_else(|| from_file("/etc/hostname"))
        .or_else(|| std::env::var("HOSTNAME").ok())
        .and_then(|n| validate_device_name(&n).ok())
        .unwrap_or_else(|| DEFAULT_DEVICE_NAME.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_identity_and_token_once() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (peer, token) = {
            let dd = DataDir::open(tmp.path()).expect("open");
            (dd.peer_id(), dd.token().to_string())
        };
        assert_eq!(token.len(), 64);
        let dd = DataDir::open(tmp.path()).expect("reopen");
        assert_eq!(dd.peer_id(), peer, "identity is stable across restarts");
        assert_eq!(dd.token(), token, "token is created once");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for f in [IDENTITY_FILE, TOKEN_FILE] {
                let mode = fs::metadata(tmp.path().join(f)).expect("stat").permissions().mode();
                assert_eq!(mode & 0o777, 0o600, "{f}");
            }
        }
    }

    #[test]
    fn second_open_is_refused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let _first = DataDir::open(tmp.path()).expect("open");
        let err = DataDir::open(tmp.path()).expect_err("second open must fail");
        assert!(matches!(err, ConfigError::AlreadyRunning { .. }), "{err}");
        assert!(err.to_string().starts_with("another kdcd is already running on "), "{err}");
    }

    #[test]
    fn api_addr_is_written_and_removed() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dd = DataDir::open(tmp.path()).expect("open");
        let addr: SocketAddr = "127.0.0.1:43123".parse().expect("addr");
        dd.write_api_addr(addr).expect("write");
        let text = fs::read_to_string(tmp.path().join(ADDR_FILE)).expect("read");
        assert_eq!(text.trim(), "127.0.0.1:43123");
        dd.remove_api_addr().expect("remove");
        assert!(!tmp.path().join(ADDR_FILE).exists());
    }

    #[test]
    fn device_names() {
        assert_eq!(validate_device_name("  Tổ 3 phone ").expect("ok"), "Tổ 3 phone");
        assert!(validate_device_name("  ").is_err());
        assert!(validate_device_name("a\nb").is_err());
        assert!(!default_device_name().is_empty());
    }
}
