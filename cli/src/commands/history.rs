//! `kdc history`, `kdc status --at` and `--snapshot`, `kdc conflicts --snapshot`: commands that
//! read an area's whole Automerge document.
//!
//! The document comes from a snapshot file (no daemon) or from the daemon as a snapshot; either
//! way it is read here, in the CLI's process, so a long history query never holds the daemon's
//! CPU or its area locks, and files and daemons give the same answers by construction.

use std::path::{Path, PathBuf};

use chrono::{Days, Local, NaiveDate, TimeZone};
use crdt_model::history::{self, DayStatus};
use crdt_model::{Area, snapshot};

use super::{Ctx, emit};
use crate::args::HistoryFormat;
use crate::error::{NotFound, usage};
use crate::history::{self as render, AreaHistory, HouseholdHistory};
use crate::{i18n, output};

/// Actor id for documents loaded only to be read; nothing is ever written with it.
const READ_ACTOR: &str = "kdc-read";

/// Area `id` from `snapshot` when given (refused with exit 2 if the file is not a valid
/// snapshot, exit 4 if the area is not in it), else from the daemon (exit 3 when it is not
/// running, 4 when it has no such area).
pub fn load_area(ctx: &Ctx, id: &str, snapshot: Option<&Path>) -> anyhow::Result<Area> {
    let mut areas = match snapshot {
        Some(path) => super::snapshot::read_and_merge(ctx, &[path.to_path_buf()])?,
        None => {
            let bytes = ctx.client()?.export_snapshot(id)?;
            snapshot::decode_areas(&bytes, READ_ACTOR)
                .map_err(|e| anyhow::anyhow!(i18n::daemon_sent_bad_snapshot(ctx.lang, id, &e.to_string())))?
        }
    };
    match areas.iter().position(|a| a.id() == id) {
        Some(i) => Ok(areas.swap_remove(i)),
        None => {
            let present: Vec<String> = areas.iter().map(Area::id).collect();
            let path = snapshot.unwrap_or(Path::new("-"));
            Err(anyhow::Error::new(NotFound(i18n::area_not_in_file(ctx.lang, id, path, &present.join(", ")))))
        }
    }
}

/// The first second of the day after `date` in the user's time zone: "the end of `date`".
fn end_of_day(date: NaiveDate) -> anyhow::Result<i64> {
    let next = date.checked_add_days(Days::new(1)).ok_or_else(|| usage(format!("--at: {date} is out of range")))?;
    let midnight = next.and_hms_opt(0, 0, 0).expect("midnight exists");
    // `earliest` also covers a midnight skipped or repeated by a clock change.
    Local
        .from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.timestamp())
        .ok_or_else(|| usage(format!("--at: {date} has no midnight in this time zone")))
}

/// The calendar day of unix seconds `secs` in the user's time zone.
fn local_day(secs: i64) -> NaiveDate {
    Local.timestamp_opt(secs, 0).earliest().map(|t| t.date_naive()).unwrap_or_default()
}

/// `kdc status AREA [--at DATE] [--snapshot FILE]`.
pub fn status(ctx: &Ctx, id: &str, at: Option<NaiveDate>, snapshot: Option<PathBuf>) -> anyhow::Result<()> {
    let area = load_area(ctx, id, snapshot.as_deref())?;
    let (area, heading) = match at {
        None => (area, None),
        Some(date) => {
            let day = i18n::date(ctx.lang, date);
            let then = area
                .as_of(end_of_day(date)?)?
                .ok_or_else(|| anyhow::Error::new(NotFound(i18n::area_not_yet(ctx.lang, id, &day))))?;
            (then, Some(i18n::status_at_line(ctx.lang, &day)))
        }
    };
    let status = area.status();
    if ctx.json {
        return emit(&output::json(&status)?);
    }
    let mut text = heading.map(|h| h + "\n").unwrap_or_default();
    text.push_str(&output::status(ctx.lang, &status));
    emit(&text)
}

/// `kdc conflicts AREA --snapshot FILE` (without a file, the daemon answers: see `misc`).
pub fn conflicts(ctx: &Ctx, id: &str, snapshot: &Path) -> anyhow::Result<()> {
    let area = load_area(ctx, id, Some(snapshot))?;
    let conflicts = area.conflicts();
    if ctx.json { emit(&output::json(&conflicts)?) } else { emit(&output::conflicts(ctx.lang, &conflicts)) }
}

/// What `kdc history` was asked for.
pub struct HistoryArgs {
    pub area: String,
    pub household: Option<String>,
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub format: HistoryFormat,
    pub snapshot: Option<PathBuf>,
}

pub fn run(ctx: &Ctx, a: HistoryArgs) -> anyhow::Result<()> {
    if let (Some(s), Some(u)) = (a.since, a.until) {
        if s > u {
            return Err(usage(i18n::since_after_until(ctx.lang)));
        }
    }
    let format = if ctx.json { HistoryFormat::Json } else { a.format };
    let area = load_area(ctx, &a.area, a.snapshot.as_deref())?;
    match &a.household {
        Some(hh) => {
            crdt_model::ids::validate_household_id(hh).map_err(|e| usage(e.to_string()))?;
            let changes = history::household_history(&area, hh)?;
            let changes = changes.into_iter().filter(|c| within(&c.at, a.since, a.until)).collect();
            let h = HouseholdHistory { area: area.id(), household: hh.clone(), changes };
            match format {
                HistoryFormat::Table => emit(&render::household_table(ctx.lang, &h)),
                HistoryFormat::Json => emit(&output::json(&h)?),
                HistoryFormat::Csv => emit_bytes(render::household_csv(&h)?),
            }
        }
        None => {
            let days: Vec<DayStatus> = history::daily(&area, local_day, a.since, a.until)?;
            let h = AreaHistory { area: area.id(), name: area.name(), profile: area.profile().id().to_string(), days };
            match format {
                HistoryFormat::Table => emit(&render::days_table(ctx.lang, &h)),
                HistoryFormat::Json => emit(&output::json(&h)?),
                HistoryFormat::Csv => emit_bytes(render::days_csv(&h)?),
            }
        }
    }
}

/// Whether an RFC 3339 time falls on a day from `since` to `until` in the user's time zone.
fn within(at: &str, since: Option<NaiveDate>, until: Option<NaiveDate>) -> bool {
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(at) else { return true };
    let day = local_day(t.timestamp());
    since.is_none_or(|s| day >= s) && until.is_none_or(|u| day <= u)
}

fn emit_bytes(bytes: Vec<u8>) -> anyhow::Result<()> {
    emit(&String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("CSV is not UTF-8"))?)
}
