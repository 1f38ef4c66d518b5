//! The keys of encryption at rest.
//!
//! - `DATA_DIR/keys/device.key` (mode 0600) holds the **device key**, 32 random bytes, either as
//!   they are or wrapped by a passphrase: Argon2id (m = 19 MiB, t = 2, p = 1, the OWASP
//!   minimum, a second on a cheap phone) turns the passphrase and a random salt into the key of
//!   an XChaCha20-Poly1305 seal of the device key. The file is text, so a person who opens it
//!   sees what it is.
//! - `DATA_DIR/keys/AREA.EPOCH` (mode 0600) holds the **data key** of one area's epoch, sealed
//!   by the device key. Every chunk and save of the area is sealed by it ([`super::crypt`]).
//!   Keys per (area, epoch) are what lets erasure destroy an old epoch's remaining bytes by
//!   deleting one small file; changing the passphrase rewrites `device.key` only.
//!
//! Invariant: no key file is ever written in place: a new one is a synced temporary file
//! renamed over the old, and the directory is synced.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use super::crypt::{AreaKey, RawKey, random_key};
use super::{Result, StoreError};
use crate::durable::sync_dir;

/// The directory of key files, in the data directory.
pub const KEYS_DIR: &str = "keys";
/// The device key's file in [`KEYS_DIR`].
pub const DEVICE_KEY_FILE: &str = "device.key";
const HEADER: &str = "kdc device key v1";
const DEVICE_KEY_AD: &[u8] = b"kdc-device-key-v1";
const AREA_KEY_MAGIC: &[u8; 5] = b"kdcK\x01";
/// Argon2id cost: memory in KiB, passes, lanes.
const ARGON2_M_KIB: u32 = 19 * 1024;
const ARGON2_T: u32 = 2;
const ARGON2_P: u32 = 1;
/// The longest passphrase taken, in bytes.
pub const MAX_PASSPHRASE: usize = 1024;

/// A passphrase, wiped from memory when the last copy is dropped; never printed.
#[derive(Clone)]
pub struct Passphrase(Arc<Zeroizing<String>>);

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(…)")
    }
}

impl Passphrase {
    /// Takes a passphrase as typed or read: one line, without its line ending.
    pub fn new(text: &str) -> std::result::Result<Passphrase, KeyError> {
        let text = text.strip_suffix('\n').unwrap_or(text);
        let text = text.strip_suffix('\r').unwrap_or(text);
        if text.is_empty() {
            return Err(KeyError::BadPassphrase("it is empty".into()));
        }
        if text.len() > MAX_PASSPHRASE {
            return Err(KeyError::BadPassphrase(format!("it is longer than {MAX_PASSPHRASE} bytes")));
        }
        if text.contains(['\n', '\r']) {
            return Err(KeyError::BadPassphrase("it is more than one line".into()));
        }
        Ok(Passphrase(Arc::new(Zeroizing::new(text.to_string()))))
    }

    /// Reads the first line of what `reader` gives (a pipe, a file descriptor).
    pub fn read_from(reader: impl Read) -> std::result::Result<Passphrase, KeyError> {
        let mut text = Zeroizing::new(String::new());
        reader
            .take(MAX_PASSPHRASE as u64 + 2)
            .read_to_string(&mut text)
            .map_err(|e| KeyError::BadPassphrase(format!("cannot be read: {e}")))?;
        let line = text.split_inclusive('\n').next().unwrap_or("");
        Passphrase::new(line)
    }

    fn bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// How the device key is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// No key file yet: the first start makes one.
    Missing,
    /// The key file holds the key as it is (protected by the file's permissions).
    KeyFile,
    /// The key file holds the key wrapped by a passphrase.
    Passphrase,
}

impl Protection {
    pub fn as_str(self) -> &'static str {
        match self {
            Protection::Missing => "missing",
            Protection::KeyFile => "key-file",
            Protection::Passphrase => "passphrase",
        }
    }
}

/// Why the device key cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "{}: the data key is protected by a passphrase; give it with --passphrase-fd N (the first line read from file descriptor N) or --ask-passphrase (asked on the terminal)",
        path.display()
    )]
    PassphraseNeeded { path: PathBuf },
    #[error("{}: this passphrase does not open the data key", path.display())]
    WrongPassphrase { path: PathBuf },
    #[error("{}: not a KDC device key file ({detail}); restore it from a backup, or move the data directory aside to start afresh", path.display())]
    Malformed { path: PathBuf, detail: String },
    #[error("invalid passphrase: {0}")]
    BadPassphrase(String),
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

/// The device key file as read.
enum KeyFile {
    Plain(RawKey),
    Wrapped { params: (u32, u32, u32), salt: Vec<u8>, nonce: Vec<u8>, wrapped: Vec<u8> },
}

/// The device key, and the data keys of the areas, read or made on first need.
pub struct DeviceKey {
    dir: PathBuf,
    cipher: XChaCha20Poly1305,
    protection: Protection,
    areas: Mutex<HashMap<(String, u64), Arc<AreaKey>>>,
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceKey").field("dir", &self.dir).field("protection", &self.protection).finish()
    }
}

/// How the device key of `data_dir` is kept, without opening it.
pub fn protection(data_dir: &Path) -> std::result::Result<Protection, KeyError> {
    let path = data_dir.join(KEYS_DIR).join(DEVICE_KEY_FILE);
    Ok(match read_key_file(&path)? {
        None => Protection::Missing,
        Some(KeyFile::Plain(_)) => Protection::KeyFile,
        Some(KeyFile::Wrapped { .. }) => Protection::Passphrase,
    })
}

impl DeviceKey {
    /// Opens the device key of `data_dir`, making it on first use. With a passphrase, a key
    /// kept without one is wrapped by it from now on; a wrapped key needs it.
    pub fn open(data_dir: &Path, passphrase: Option<&Passphrase>) -> std::result::Result<DeviceKey, KeyError> {
        let dir = data_dir.join(KEYS_DIR);
        let path = dir.join(DEVICE_KEY_FILE);
        let io_err = |source| KeyError::Io { path: dir.clone(), source };
        create_private_dir(&dir).map_err(io_err)?;
        let (key, protection) = match read_key_file(&path)? {
            None => {
                let key = random_key();
                write_private(&dir, DEVICE_KEY_FILE, encode_key_file(&key, passphrase)?.as_bytes()).map_err(io_err)?;
                tracing::info!(path = %path.display(), passphrase = passphrase.is_some(), "made this device's data key");
                (key, if passphrase.is_some() { Protection::Passphrase } else { Protection::KeyFile })
            }
            Some(KeyFile::Plain(key)) => match passphrase {
                None => (key, Protection::KeyFile),
                Some(_) => {
                    write_private(&dir, DEVICE_KEY_FILE, encode_key_file(&key, passphrase)?.as_bytes())
                        .map_err(io_err)?;
                    tracing::info!(path = %path.display(), "the data key is protected by the passphrase from now on");
                    (key, Protection::Passphrase)
                }
            },
            Some(KeyFile::Wrapped { params, salt, nonce, wrapped }) => {
                let Some(passphrase) = passphrase else {
                    return Err(KeyError::PassphraseNeeded { path });
                };
                let kek = derive(passphrase, &salt, params)?;
                let plain = Zeroizing::new(
                    XChaCha20Poly1305::new(kek.as_ref().into())
                        .decrypt(XNonce::from_slice(&nonce), Payload { msg: &wrapped, aad: DEVICE_KEY_AD })
                        .map_err(|_| KeyError::WrongPassphrase { path: path.clone() })?,
                );
                let key: [u8; 32] = plain.as_slice().try_into().map_err(|_| KeyError::Malformed {
                    path: path.clone(),
                    detail: "the wrapped key is not 32 bytes".into(),
                })?;
                (Zeroizing::new(key), Protection::Passphrase)
            }
        };
        Ok(DeviceKey { dir, cipher: XChaCha20Poly1305::new(key.as_ref().into()), protection, areas: Mutex::default() })
    }

    pub fn protection(&self) -> Protection {
        self.protection
    }

    /// The data key of `area`'s `epoch`: from memory, else read from its key file, else (with
    /// `create`) made and written durably before anything is sealed with it. Without `create`
    /// a missing key file is [`StoreError::Corrupt`]: the area's data cannot be read.
    pub(super) fn area_key(&self, area: &str, epoch: u64, create: bool) -> Result<Arc<AreaKey>> {
        let mut areas = self.areas.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(key) = areas.get(&(area.to_string(), epoch)) {
            return Ok(Arc::clone(key));
        }
        let name = area_key_name(area, epoch);
        let path = self.dir.join(&name);
        let raw = match fs::read(&path) {
            Ok(bytes) => self.open_area_key(area, epoch, &bytes)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound && create => {
                let raw = random_key();
                let sealed = self.seal_area_key(area, epoch, &raw)?;
                write_private(&self.dir, &name, &sealed)?;
                raw
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(StoreError::Corrupt(format!(
                    "area {area}: its key file {} is missing, so its data cannot be read",
                    path.display()
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let key = Arc::new(AreaKey::new(area, epoch, &raw));
        areas.insert((area.to_string(), epoch), Arc::clone(&key));
        Ok(key)
    }

    /// Deletes the key files for which `keep(area, epoch)` is false: what an interrupted area
    /// creation left, and the keys of epochs an area has left (crypto-shredding).
    pub(super) fn collect(&self, mut keep: impl FnMut(&str, u64) -> Result<bool>) -> Result<()> {
        let mut removed = false;
        for entry in fs::read_dir(&self.dir)? {
            let path = entry?.path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if name == DEVICE_KEY_FILE {
                continue;
            }
            // A temporary file of an interrupted write, or the key of an area not stored.
            let stale = match name.split_once('.') {
                _ if name.ends_with(".tmp") => true,
                Some((area, epoch)) => match epoch.parse::<u64>() {
                    Ok(epoch) => !keep(area, epoch)?,
                    Err(_) => false,
                },
                _ => false,
            };
            if stale {
                fs::remove_file(&path)?;
                if let Some((area, epoch)) = name.split_once('.').and_then(|(a, e)| Some((a, e.parse::<u64>().ok()?))) {
                    self.areas.lock().unwrap_or_else(|p| p.into_inner()).remove(&(area.to_string(), epoch));
                }
                removed = true;
            }
        }
        if removed {
            sync_dir(&self.dir)?;
        }
        Ok(())
    }

    fn seal_area_key(&self, area: &str, epoch: u64, raw: &RawKey) -> Result<Vec<u8>> {
        let nonce: [u8; 24] = rand::random();
        let ad = area_key_ad(area, epoch);
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: raw.as_ref(), aad: &ad })
            .map_err(|_| StoreError::Corrupt(format!("area {area}: cannot seal its data key")))?;
        Ok([AREA_KEY_MAGIC.as_slice(), &nonce, &sealed].concat())
    }

    fn open_area_key(&self, area: &str, epoch: u64, bytes: &[u8]) -> Result<RawKey> {
        let refuse = || {
            StoreError::Corrupt(format!(
                "area {area}: its key file {} does not open with this device's key",
                self.dir.join(area_key_name(area, epoch)).display()
            ))
        };
        let rest = bytes.strip_prefix(AREA_KEY_MAGIC.as_slice()).ok_or_else(refuse)?;
        if rest.len() < 24 {
            return Err(refuse());
        }
        let (nonce, body) = rest.split_at(24);
        let plain = Zeroizing::new(
            self.cipher
                .decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad: &area_key_ad(area, epoch) })
                .map_err(|_| refuse())?,
        );
        let key: [u8; 32] = plain.as_slice().try_into().map_err(|_| refuse())?;
        Ok(Zeroizing::new(key))
    }
}

fn area_key_name(area: &str, epoch: u64) -> String {
    format!("{area}.{epoch}")
}

fn area_key_ad(area: &str, epoch: u64) -> Vec<u8> {
    [b"kdc-area-key-v1\0".as_slice(), area.as_bytes(), &[0], &epoch.to_be_bytes()].concat()
}

fn derive(passphrase: &Passphrase, salt: &[u8], (m, t, p): (u32, u32, u32)) -> std::result::Result<RawKey, KeyError> {
    let params =
        Params::new(m, t, p, Some(32)).map_err(|e| KeyError::BadPassphrase(format!("Argon2 parameters: {e}")))?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.bytes(), salt, out.as_mut())
        .map_err(|e| KeyError::BadPassphrase(format!("Argon2: {e}")))?;
    Ok(out)
}

fn encode_key_file(key: &RawKey, passphrase: Option<&Passphrase>) -> std::result::Result<Zeroizing<String>, KeyError> {
    Ok(Zeroizing::new(match passphrase {
        None => format!("{HEADER}\nkey {}\n", hex::encode(key.as_ref())),
        Some(passphrase) => {
            let salt: [u8; 16] = rand::random();
            let nonce: [u8; 24] = rand::random();
            let params = (ARGON2_M_KIB, ARGON2_T, ARGON2_P);
            let kek = derive(passphrase, &salt, params)?;
            let wrapped = XChaCha20Poly1305::new(kek.as_ref().into())
                .encrypt(XNonce::from_slice(&nonce), Payload { msg: key.as_ref(), aad: DEVICE_KEY_AD })
                .map_err(|_| KeyError::BadPassphrase("cannot wrap the key".into()))?;
            format!(
                "{HEADER}\nargon2id m={} t={} p={} salt={} nonce={}\nwrapped {}\n",
                params.0,
                params.1,
                params.2,
                hex::encode(salt),
                hex::encode(nonce),
                hex::encode(wrapped)
            )
        }
    }))
}

fn read_key_file(path: &Path) -> std::result::Result<Option<KeyFile>, KeyError> {
    let text = match fs::read(path) {
        Ok(bytes) => Zeroizing::new(bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(KeyError::Io { path: path.to_path_buf(), source }),
    };
    decode_key_file(&text, path).map(Some)
}

fn decode_key_file(text: &[u8], path: &Path) -> std::result::Result<KeyFile, KeyError> {
    let malformed = |detail: &str| KeyError::Malformed { path: path.to_path_buf(), detail: detail.to_string() };
    let text = std::str::from_utf8(text).map_err(|_| malformed("not text"))?;
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return Err(malformed(&format!("the first line is not {HEADER:?}")));
    }
    let hex_of = |value: &str, len: usize, what: &str| {
        hex::decode(value)
            .ok()
            .filter(|v| v.len() == len)
            .ok_or_else(|| malformed(&format!("{what} is not {len} bytes of hex")))
    };
    match lines.next().and_then(|l| l.split_once(' ')) {
        Some(("key", value)) => {
            let bytes = Zeroizing::new(hex_of(value, 32, "key")?);
            let mut key = Zeroizing::new([0u8; 32]);
            key.copy_from_slice(&bytes);
            Ok(KeyFile::Plain(key))
        }
        Some(("argon2id", fields)) => {
            let mut map = HashMap::new();
            for field in fields.split(' ') {
                let (k, v) = field.split_once('=').ok_or_else(|| malformed("argon2id fields are k=v"))?;
                map.insert(k, v);
            }
            let number = |k: &str| {
                map.get(k)
                    .and_then(|v| v.parse::<u32>().ok())
                    .ok_or_else(|| malformed(&format!("argon2id {k} is missing")))
            };
            let params = (number("m")?, number("t")?, number("p")?);
            let salt = hex_of(map.get("salt").copied().unwrap_or(""), 16, "salt")?;
            let nonce = hex_of(map.get("nonce").copied().unwrap_or(""), 24, "nonce")?;
            let wrapped = match lines.next().and_then(|l| l.split_once(' ')) {
                Some(("wrapped", value)) => hex_of(value, 48, "wrapped")?,
                _ => return Err(malformed("the wrapped key is missing")),
            };
            Ok(KeyFile::Wrapped { params, salt, nonce, wrapped })
        }
        _ => Err(malformed("the second line is neither `key …` nor `argon2id …`")),
    }
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Writes `dir/name` durably and readable by this user only: a temporary file, synced, renamed
/// over the old one, the directory synced.
fn write_private(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let tmp = dir.join(format!("{name}.tmp"));
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file: File = options.open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&tmp, dir.join(name))?;
    sync_dir(dir)
}

/// The decoders of this module, for the fuzz target `at_rest` (`fuzz/src/lib.rs`).
#[doc(hidden)]
pub mod fuzzing {
    use super::*;

    /// Decodes a device key file: `Some(key)` for a plain one, `None` for a wrapped one (its
    /// passphrase is not tried: Argon2 would make every run take 20 MiB and tens of ms).
    pub fn key_file(bytes: &[u8]) -> std::result::Result<Option<[u8; 32]>, String> {
        match decode_key_file(bytes, Path::new("fuzz.key")).map_err(|e| e.to_string())? {
            KeyFile::Plain(key) => Ok(Some(*key)),
            KeyFile::Wrapped { .. } => Ok(None),
        }
    }

    /// A plain device key file holding `key`.
    pub fn plain_key_file(key: [u8; 32]) -> String {
        encode_key_file(&Zeroizing::new(key), None).expect("plain key file").to_string()
    }

    /// Opens an area key file (area `a`, epoch 0) with the device key `device`.
    pub fn area_key_file(device: [u8; 32], bytes: &[u8]) -> std::result::Result<[u8; 32], String> {
        let key = DeviceKey {
            dir: PathBuf::from("fuzz"),
            cipher: XChaCha20Poly1305::new((&device).into()),
            protection: Protection::KeyFile,
            areas: Mutex::default(),
        };
        key.open_area_key("a", 0, bytes).map(|k| *k).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_plain_then_passphrase() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(protection(tmp.path()).unwrap(), Protection::Missing);
        let sealed = {
            let key = DeviceKey::open(tmp.path(), None).unwrap();
            assert_eq!(key.protection(), Protection::KeyFile);
            key.area_key("a", 0, true).unwrap().seal(super::super::crypt::Place::Chunk(0), b"x").unwrap()
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(tmp.path().join("keys/device.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let mode = fs::metadata(tmp.path().join("keys/a.0")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(protection(tmp.path()).unwrap(), Protection::KeyFile);
        // Giving a passphrase wraps the same key.
        let pass = Passphrase::new("cơm tấm sườn\n").unwrap();
        let key = DeviceKey::open(tmp.path(), Some(&pass)).unwrap();
        assert_eq!(key.protection(), Protection::Passphrase);
        let text = fs::read_to_string(tmp.path().join("keys/device.key")).unwrap();
        assert!(text.starts_with("kdc device key v1\nargon2id m=19456 t=2 p=1 salt="), "{text}");
        let open = |k: &DeviceKey| {
            k.area_key("a", 0, true).unwrap().open(super::super::crypt::Place::Chunk(0), &sealed).unwrap()
        };
        assert_eq!(open(&key), b"x");
        drop(key);
        // Now it needs the passphrase, the right one.
        let err = DeviceKey::open(tmp.path(), None).unwrap_err();
        assert!(matches!(err, KeyError::PassphraseNeeded { .. }), "{err}");
        assert!(err.to_string().contains("--passphrase-fd"), "{err}");
        let wrong = Passphrase::new("cơm tấm").unwrap();
        assert!(matches!(DeviceKey::open(tmp.path(), Some(&wrong)).unwrap_err(), KeyError::WrongPassphrase { .. }));
        assert_eq!(open(&DeviceKey::open(tmp.path(), Some(&pass)).unwrap()), b"x");
        assert_eq!(format!("{pass:?}"), "Passphrase(…)");
    }

    #[test]
    fn bad_passphrases_and_key_files_are_named() {
        assert!(Passphrase::new("").is_err());
        assert!(Passphrase::new("\n").is_err());
        assert!(Passphrase::new(&"x".repeat(MAX_PASSPHRASE + 1)).is_err());
        assert!(Passphrase::new("a\nb").is_err());
        assert_eq!(Passphrase::read_from(&b"first\nsecond\n"[..]).unwrap().bytes(), b"first");
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir_all(tmp.path().join("keys")).unwrap();
        for text in ["", "hello", "kdc device key v1\nkey 00", "kdc device key v1\nargon2id m=1\nwrapped 00"] {
            fs::write(tmp.path().join("keys/device.key"), text).unwrap();
            let err = DeviceKey::open(tmp.path(), None).unwrap_err();
            assert!(matches!(err, KeyError::Malformed { .. }), "{text:?}: {err}");
            assert!(err.to_string().contains("device.key"), "{err}");
        }
    }

    #[test]
    fn area_key_of_another_device_does_not_open() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        DeviceKey::open(a.path(), None).unwrap().area_key("x", 0, true).unwrap();
        DeviceKey::open(b.path(), None).unwrap();
        fs::copy(a.path().join("keys/x.0"), b.path().join("keys/x.0")).unwrap();
        let err = DeviceKey::open(b.path(), None).unwrap().area_key("x", 0, false).err().expect("refused").to_string();
        assert!(err.contains("does not open with this device's key"), "{err}");
    }
}
