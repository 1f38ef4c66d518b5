//! What "on disk" takes on each OS: syncing a file, and making a directory's entries (a file
//! created, renamed or removed) durable. Every durable write in the daemon goes through here.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Opens a file so that it can be synced: Windows' `FlushFileBuffers` needs a handle with write
/// access (with a read-only one it fails with "Access denied"); elsewhere reading suffices.
pub fn open_to_sync(path: &Path) -> io::Result<File> {
    OpenOptions::new().read(true).write(cfg!(windows)).open(path)
}

#[cfg(unix)]
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Windows has no `fsync` of a directory, but NTFS flushes a directory's pending metadata
/// (entries created, renamed, removed) when `FlushFileBuffers` is given a handle to the
/// directory itself: opened with write access and `FILE_FLAG_BACKUP_SEMANTICS`, the flag
/// without which `CreateFileW` cannot open a directory. See docs/ARCHITECTURE.md, "Durable
/// writes on Windows".
#[cfg(windows)]
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    use std::os::windows::fs::OpenOptionsExt;
    const FILE_FLAG_BACKUP_SEMANTICS: u32 = 0x0200_0000;
    OpenOptions::new().write(true).custom_flags(FILE_FLAG_BACKUP_SEMANTICS).open(dir)?.sync_all()
}

#[cfg(not(any(unix, windows)))]
pub fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}
