//! `kdc report FILE... [--format table|json|csv|xlsx] [-o OUT]`: no daemon, files only.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::Datelike;
use crdt_model::Lang;

use super::snapshot::{read_and_report, write_atomically};
use super::{Ctx, emit};
use crate::args::ReportFormat;
use crate::error::usage;
use crate::i18n;
use crate::report;

/// `lang` is the document's language (Vietnamese unless `--lang en`); messages use the
/// context's.
pub fn run(ctx: &Ctx, lang: Lang, files: &[PathBuf], format: ReportFormat, out: Option<&Path>) -> anyhow::Result<()> {
    // `--json` with the default format means the JSON report.
    let format = if ctx.json && format == ReportFormat::Table { ReportFormat::Json } else { format };
    if format == ReportFormat::Xlsx && out.is_none() {
        return Err(usage(i18n::xlsx_needs_output(ctx.lang)));
    }
    // Every input is read and checked before anything is written.
    let built = read_and_report(ctx, files)?;
    for s in &built.superseded {
        eprintln!("{}", i18n::superseded_copy(ctx.lang, &s.file, &s.area, s.epoch, s.by_epoch));
    }
    let bytes: Vec<u8> = match format {
        ReportFormat::Table => report::table(lang, &built).into_bytes(),
        ReportFormat::Json => report::json(&built)?.into_bytes(),
        ReportFormat::Csv => report::csv(&built)?,
        ReportFormat::Xlsx => {
            let now = chrono::Local::now();
            let date = now.format("%d/%m/%Y").to_string();
            // What the ward set in the web app (issuing body, signers), when this device has it.
            let settings = ctx.data_dir().map(|d| report::LetterheadSettings::load(&d)).unwrap_or_default();
            let head = report::Letterhead::with_settings(lang, &built, (now.day(), now.month(), now.year()), &settings);
            report::xlsx(lang, &built, &date, &head).context("cannot build the XLSX workbook")?
        }
    };
    match out {
        Some(path) => {
            write_atomically(path, &bytes).with_context(|| i18n::cannot_write(ctx.lang, path))?;
            // The report went to the file; say so on stderr so stdout stays clean for scripts.
            eprintln!("{}", i18n::report_written(ctx.lang, path, built.areas.len(), built.certified_areas));
            Ok(())
        }
        None => emit(&String::from_utf8(bytes).context("report text is not UTF-8")?),
    }
}
