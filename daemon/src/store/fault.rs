//! Storage failures: a full disk, a read-only filesystem, an IO error (see the module docs of
//! [`super`]).

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::StoreError;

/// After a storage failure, the database is opened again only once a probe file of this size
/// can be written and synced in its directory: room for sled to go on (its log grows by
/// segments of 512 KiB, written in pieces), not just for one more small write.
pub const PROBE_BYTES: usize = 256 * 1024;
/// The probe file, in the database directory (so it is on the database's filesystem).
const PROBE_FILE: &str = "kdcd.probe";

/// What is wrong with the data directory's storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageProblem {
    /// ENOSPC or EDQUOT.
    DiskFull,
    /// EROFS: mounted read-only, or turned read-only by the kernel after a disk error.
    ReadOnly,
    /// Any other IO error (EIO, ...).
    Io,
}

impl StorageProblem {
    pub fn of(kind: io::ErrorKind) -> StorageProblem {
        match kind {
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => StorageProblem::DiskFull,
            io::ErrorKind::ReadOnlyFilesystem => StorageProblem::ReadOnly,
            _ => StorageProblem::Io,
        }
    }

    /// The API's `reason` for it.
    pub fn as_str(self) -> &'static str {
        match self {
            StorageProblem::DiskFull => "disk_full",
            StorageProblem::ReadOnly => "read_only",
            StorageProblem::Io => "io_error",
        }
    }
}

/// A storage failure, with the data directory it is about; its text says what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageFault {
    pub problem: StorageProblem,
    pub data_dir: PathBuf,
    /// The operating system's words for it.
    pub detail: String,
}

impl StorageFault {
    pub fn new(data_dir: &Path, error: &io::Error) -> StorageFault {
        let problem = StorageProblem::of(error.kind());
        let detail = match problem {
            // sled hands on a copy of its first error whose text is a debug dump; the kind
            // says it all.
            StorageProblem::DiskFull => "no space left on device".to_string(),
            StorageProblem::ReadOnly => "read-only file system".to_string(),
            StorageProblem::Io => error.to_string(),
        };
        StorageFault { problem, data_dir: data_dir.to_path_buf(), detail }
    }

    /// The fault for `error` if it is a full disk or a read-only filesystem.
    pub fn full_or_read_only(data_dir: &Path, error: &io::Error) -> Option<StorageFault> {
        let fault = StorageFault::new(data_dir, error);
        (fault.problem != StorageProblem::Io).then_some(fault)
    }
}

impl StorageFault {
    /// The text for a daemon that cannot start because of it.
    pub fn at_start(&self) -> String {
        let (dir, detail) = (self.data_dir.display(), &self.detail);
        match self.problem {
            StorageProblem::DiskFull => format!(
                "the disk that holds the data directory {dir} is full ({detail}); free space on that disk, \
                 then start kdcd again"
            ),
            StorageProblem::ReadOnly => format!(
                "the data directory {dir} is read-only ({detail}); kdcd must be able to write there: remount \
                 the disk read-write (or repair it if the system made it read-only after a disk error), or \
                 give another --data-dir"
            ),
            StorageProblem::Io => format!("cannot write to the data directory {dir} ({detail})"),
        }
    }
}

impl fmt::Display for StorageFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (dir, detail) = (self.data_dir.display(), &self.detail);
        match self.problem {
            StorageProblem::DiskFull => write!(
                f,
                "the disk that holds the data directory {dir} is full ({detail}): nothing can be saved. \
                 Free space on that disk; kdcd saves changes again as soon as there is room, without a restart"
            ),
            StorageProblem::ReadOnly => write!(
                f,
                "the data directory {dir} is read-only ({detail}): nothing can be saved. Make it writable \
                 again (remount the disk read-write, or repair it if the system made it read-only after a \
                 disk error); kdcd saves changes again once it can write"
            ),
            StorageProblem::Io => write!(
                f,
                "cannot write to the data directory {dir} ({detail}): nothing can be saved; kdcd tries \
                 again with the next change"
            ),
        }
    }
}

impl std::error::Error for StorageFault {}

/// An IO error (sled's or ours) as a [`StorageFault`] naming `data_dir`; other errors as they
/// are.
pub(super) fn storage_error(data_dir: &Path, e: StoreError) -> StoreError {
    match e {
        StoreError::Sled(sled::Error::Io(io)) | StoreError::Io(io) => {
            StoreError::Storage(StorageFault::new(data_dir, &io))
        }
        other => other,
    }
}

/// Can the directory take writes again? Writes, syncs and deletes [`PROBE_BYTES`].
pub(super) fn probe(dir: &Path) -> io::Result<()> {
    let path = dir.join(PROBE_FILE);
    let written = (|| {
        let mut file = OpenOptions::new().write(true).create(true).truncate(true).open(&path)?;
        file.write_all(&vec![0u8; PROBE_BYTES])?;
        file.sync_data()
    })();
    let removed = match fs::remove_file(&path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    };
    written.and(removed)
}
