//! kdcd's control API as data, for the programs that talk to a daemon: `kdc`, the tests and
//! the benchmarks. The server side (routes, state) stays in `kdc-daemon`, which uses these same
//! types, so both ends agree by construction.
//!
//! - [`types`]: every request and answer body (docs/API.md);
//! - `client`: a typed, blocking client (`client::Client`; the default feature `client`);
//! - the files by which a client finds and opens a daemon, and the body limits both ends use.

#[cfg(feature = "client")]
pub mod client;
pub mod types;

use std::path::PathBuf;

/// Name of the file (in the data directory) holding the control API's bearer token.
pub const TOKEN_FILE: &str = "api.token";
/// Name of the file holding the bound control API address.
pub const ADDR_FILE: &str = "api.addr";

/// Largest JSON request body the control API reads. Household writes are a few hundred bytes;
/// a profile a few KiB.
pub const JSON_BODY_LIMIT: usize = 1024 * 1024;
/// Largest snapshot upload.
pub const SNAPSHOT_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// The platform's data directory for KDC Sync (`~/.local/share/kdc` on Linux), the default of
/// `--data-dir` for both binaries.
pub fn default_data_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("kdc"))
}
