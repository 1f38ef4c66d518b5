//! The KDC area registry as an Automerge CRDT.
//!
//! Everything here is pure: bytes, values and a clock reading (`now_ms`) come in, documents,
//! reports and bytes go out. Invariant: this crate does no IO and never mentions libp2p, sled or
//! tokio, so the daemon, the CLI's file commands and the tests all share one model.
//!
//! - [`profile`]: criteria profiles (TOML), value parsing and write rules.
//! - [`eval`]: compliance of plain households, exact arithmetic.
//! - [`area`]: one area = one Automerge document; the schema and why it merges safely.
//! - [`schema`]: the document's keys, typed; [`check`]: changes from elsewhere checked at the door.
//! - [`snapshot`]: the snapshot file envelope, and merging many files by area.
//! - [`compat`]: releases, and what a document holds that an older release cannot read.
//! - [`history`]: the area at a past moment, compliance per day, one household's writes.

pub mod area;
pub mod check;
pub mod chunks;
mod columns;
pub mod compat;
pub mod consent;
pub mod epoch;
pub mod error;
pub mod eval;
pub mod history;
pub mod ids;
pub mod par;
pub mod profile;
pub mod schema;
pub mod snapshot;
pub mod sync;
pub mod text;
pub mod value;

pub use area::{Area, HouseholdWrite, NewArea, Status};
pub use consent::{ConsentChange, ConsentGiven, ConsentMethod, ConsentState};
pub use error::ModelError;
pub use eval::Household;
pub use profile::{Lang, Profile};
pub use value::{Answer, Value};

/// Unix milliseconds now, by this machine's clock: the one clock of the programs around the
/// model (the daemon, the CLI, the ward's files). The model itself never reads it: every
/// function that records a time takes it as an argument.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
