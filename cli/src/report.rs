//! `kdc report`: the ward's report over merged snapshot files. The report itself (statuses, CSV,
//! JSON, XLSX) is [`kdc_ward::report`], shared with the web app's ward page; this adds the
//! terminal table.

use crdt_model::Lang;

use crate::output;

pub use kdc_ward::report::*;

/// The human status table of every area, then the number of certified areas.
pub fn table(lang: Lang, report: &Report) -> String {
    let mut out = String::new();
    for s in &report.areas {
        out.push_str(&output::status(lang, s));
        out.push('\n');
    }
    out.push_str(&certified_areas_line(lang, report.certified_areas, report.areas.len()));
    out.push('\n');
    out
}
