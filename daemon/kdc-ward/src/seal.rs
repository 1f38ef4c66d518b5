//! Snapshot files only the ward office can open: a snapshot sealed with age to X25519
//! recipients (the area's ward members, and the exporting device so it can read its own file).
//!
//! A sealed file is an age file (`age-encryption.org/v1`, binary) whose plaintext is an ordinary
//! snapshot file: readers open it with an identity and then decode as usual. Identity files are
//! age's own text format (`AGE-SECRET-KEY-1…` lines, `#` comments), so `age`/`rage` open them
//! too. Each device has one, `DATA_DIR/age.key` (mode 0600), created on first need.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use age::secrecy::ExposeSecret;
pub use age::x25519::{Identity, Recipient};

/// What every age file starts with.
pub use crdt_model::snapshot::AGE_MAGIC;
/// The device's own identity, in the data directory.
pub const DEVICE_IDENTITY_FILE: &str = "age.key";
/// A ward office's key kept on its device, which the ward page opens files with.
pub const WARD_IDENTITY_FILE: &str = "ward.key";
/// Longest recipient text taken (an X25519 recipient is 62 characters).
pub const MAX_RECIPIENT: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// Sealed, and none of the identities given opens it.
    #[error(
        "the file is encrypted for the ward office and none of the identities given opens it (give the ward's key with --identity FILE)"
    )]
    NoIdentity,
    #[error("the encrypted file is damaged: {0}")]
    Damaged(String),
    #[error("{0:?} is not an age X25519 recipient (age1…)")]
    BadRecipient(String),
    #[error("{path}: {reason}")]
    IdentityFile { path: PathBuf, reason: String },
    #[error("encrypting failed: {0}")]
    Encrypt(String),
}

/// Whether `bytes` is an age file (sealed snapshot) rather than a plain one.
pub fn is_sealed(bytes: &[u8]) -> bool {
    bytes.starts_with(AGE_MAGIC)
}

/// Parses a recipient as stored on the roster or typed by a user.
pub fn recipient(text: &str) -> Result<Recipient, SealError> {
    let t = text.trim();
    if t.len() > MAX_RECIPIENT {
        return Err(SealError::BadRecipient(t.chars().take(20).collect::<String>() + "…"));
    }
    Recipient::from_str(t).map_err(|_| SealError::BadRecipient(t.to_string()))
}

/// Seals `plain` to every recipient.
pub fn seal(plain: &[u8], recipients: &[Recipient]) -> Result<Vec<u8>, SealError> {
    let encryptor = age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
        .map_err(|e| SealError::Encrypt(e.to_string()))?;
    let mut out = Vec::with_capacity(plain.len() + 512);
    let mut writer = encryptor.wrap_output(&mut out).map_err(|e| SealError::Encrypt(e.to_string()))?;
    writer.write_all(plain).map_err(|e| SealError::Encrypt(e.to_string()))?;
    writer.finish().map_err(|e| SealError::Encrypt(e.to_string()))?;
    Ok(out)
}

/// Opens a sealed file with the first identity that can.
pub fn open(sealed: &[u8], identities: &[Identity]) -> Result<Vec<u8>, SealError> {
    let decryptor = age::Decryptor::new_buffered(sealed).map_err(|e| SealError::Damaged(e.to_string()))?;
    let mut reader = match decryptor.decrypt(identities.iter().map(|i| i as &dyn age::Identity)) {
        Ok(r) => r,
        Err(age::DecryptError::NoMatchingKeys) => return Err(SealError::NoIdentity),
        Err(e) => return Err(SealError::Damaged(e.to_string())),
    };
    let mut plain = Vec::with_capacity(sealed.len());
    reader.read_to_end(&mut plain).map_err(|e| SealError::Damaged(e.to_string()))?;
    Ok(plain)
}

/// The identities of an identity file (age's format: one `AGE-SECRET-KEY-1…` per line).
pub fn read_identity_file(path: &Path) -> Result<Vec<Identity>, SealError> {
    let bad = |reason: String| SealError::IdentityFile { path: path.to_path_buf(), reason };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    parse_identities(&text).map_err(bad)
}

/// The identities of an identity file's text.
pub fn parse_identities(text: &str) -> Result<Vec<Identity>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        out.push(Identity::from_str(line).map_err(|_| format!("line {} is not an age identity", n + 1))?);
    }
    if out.is_empty() {
        return Err("holds no age identity (AGE-SECRET-KEY-1…)".into());
    }
    Ok(out)
}

/// Makes a new identity file at `path` (mode 0600; an existing file is never overwritten) and
/// answers its recipient.
pub fn generate_identity_file(path: &Path, comment: &str) -> Result<Recipient, SealError> {
    let bad = |reason: String| SealError::IdentityFile { path: path.to_path_buf(), reason };
    let identity = Identity::generate();
    let public = identity.to_public();
    let text = format!(
        "# {comment}\n# created: {}\n# public key: {public}\n{}\n",
        crdt_model::area::rfc3339(crdt_model::now_ms()),
        identity.to_string().expose_secret()
    );
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| bad(e.to_string()))?;
    file.write_all(text.as_bytes()).and_then(|()| file.sync_all()).map_err(|e| bad(e.to_string()))?;
    Ok(public)
}

/// The device's identity (`DATA_DIR/age.key`), made on first use.
pub fn device_identity(data_dir: &Path) -> Result<Identity, SealError> {
    let path = data_dir.join(DEVICE_IDENTITY_FILE);
    if !path.exists() {
        match generate_identity_file(&path, "KDC Sync: this device's key for its own snapshot files") {
            Ok(_) => {}
            // Made meanwhile by another process: read that one.
            Err(_) if path.exists() => {}
            Err(e) => return Err(e),
        }
    }
    read_identity_file(&path)?.into_iter().next().ok_or(SealError::NoIdentity)
}

/// The device's identity if it has one (readers never create it).
pub fn existing_device_identity(data_dir: &Path) -> Option<Identity> {
    read_identity_file(&data_dir.join(DEVICE_IDENTITY_FILE)).ok()?.into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_files_open_only_with_a_recipient_identity() {
        let ward = Identity::generate();
        let device = Identity::generate();
        let stranger = Identity::generate();
        let plain = b"KDCSNAP\0 not really, but bytes".to_vec();
        let sealed = seal(&plain, &[ward.to_public(), device.to_public()]).unwrap();
        assert!(is_sealed(&sealed) && !is_sealed(&plain));
        assert!(!sealed.windows(9).any(|w| w == b"not reall"), "plaintext visible in the sealed file");
        assert_eq!(open(&sealed, &[ward.clone()]).unwrap(), plain);
        assert_eq!(open(&sealed, &[stranger.clone(), device]).unwrap(), plain);
        assert!(matches!(open(&sealed, &[stranger.clone()]), Err(SealError::NoIdentity)));
        let mut damaged = sealed.clone();
        let n = damaged.len();
        damaged[n - 5] ^= 1;
        assert!(matches!(open(&damaged, &[ward]), Err(SealError::Damaged(_))));
        assert!(matches!(open(&sealed[..40], &[stranger]), Err(SealError::Damaged(_))));
    }

    #[test]
    fn identity_files_round_trip_and_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ward.key");
        let r = generate_identity_file(&path, "test").unwrap();
        let ids = read_identity_file(&path).unwrap();
        assert_eq!(ids[0].to_public().to_string(), r.to_string());
        assert!(generate_identity_file(&path, "again").is_err(), "an identity file was overwritten");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert!(recipient(&r.to_string()).is_ok());
        assert!(matches!(recipient("age1nope"), Err(SealError::BadRecipient(_))));
        std::fs::write(dir.path().join("bad.key"), "hello\n").unwrap();
        assert!(read_identity_file(&dir.path().join("bad.key")).is_err());
    }
}
