//! The ward office's work on snapshot files, on files alone (no daemon, no network, no store):
//! shared by `kdc report` / `kdc snapshot …` and the web app's ward page (`/ward`).
//!
//! - [`ward`]: what each file holds, merging the intact ones, staleness, the door's memory of
//!   files seen before and the report's remembered figures;
//! - [`report`]: the report's totals and its renderings (table, CSV, XLSX, the printed page's
//!   letterhead);
//! - [`seal`]: snapshot files sealed to the ward office's age recipients.

pub mod report;
pub mod seal;
pub mod ward;
