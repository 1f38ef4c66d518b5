//! The ward's report over merged snapshot files, as CSV or XLSX (and the statuses JSON is made
//! of): one code for `kdc report` and the web app's ward page (`/ward`).
//!
//! Everything here is pure (areas' statuses in, text or bytes out); callers read the files and
//! write the result.

use std::collections::BTreeSet;

use crdt_model::area::GroupStatus;
use crdt_model::eval::{CriterionStatus, Evaluation};
use crdt_model::{Area, Lang, Status};
use kdc_text::t;
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};
use serde::Serialize;

/// `kdc report --format json`: `{"areas": [status], "certified_areas": N, "wards": [ward]}`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub areas: Vec<Status>,
    pub certified_areas: u64,
    /// One row per ward (by the ward name inside each area document), sorted by name: the
    /// district's roll-up. Present whatever the number of wards.
    pub wards: Vec<WardRow>,
    /// Copies left out because another file holds a later epoch of their area (households were
    /// erased since): `{"area", "file", "epoch", "by_epoch"}`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub superseded: Vec<SupersededCopy>,
}

/// [`crdt_model::snapshot::Superseded`], for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupersededCopy {
    pub area: String,
    pub file: String,
    pub epoch: u64,
    pub by_epoch: u64,
}

impl From<&crdt_model::snapshot::Superseded> for SupersededCopy {
    fn from(s: &crdt_model::snapshot::Superseded) -> Self {
        SupersededCopy { area: s.area.clone(), file: s.file.clone(), epoch: s.epoch, by_epoch: s.by_epoch }
    }
}

/// One ward of a district roll-up: its areas' totals, and per criterion how many of its areas
/// meet it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WardRow {
    pub ward: String,
    pub areas: u64,
    pub certified_areas: u64,
    pub households: u64,
    pub criteria: Vec<WardCriterion>,
}

/// How many of a ward's areas meet one criterion, of those where it applies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WardCriterion {
    pub id: String,
    pub areas_met: u64,
    pub areas_applicable: u64,
}

/// The report of merged areas, one status per area in the natural order of their ids (`khu-2`
/// before `khu-10`), and the wards they belong to.
pub fn build(areas: &[Area]) -> Report {
    let mut statuses = statuses(areas);
    statuses.sort_by(|a, b| crdt_model::text::natural_cmp(&a.area, &b.area));
    let certified_areas = statuses.iter().filter(|s| s.certified).count() as u64;
    let wards = ward_rows(&statuses);
    Report { areas: statuses, certified_areas, wards, superseded: Vec::new() }
}

/// [`build`] while files are decoded one at a time, for reports over more areas than fit in
/// memory at once (a province: thousands of files). `copies` says, per area id, how many of the
/// files carry it (from a first pass over the envelopes, [`crdt_model::snapshot::decode`]). An
/// area only one file carries is evaluated as it comes — by the decoding thread, see
/// [`Streaming::wants_status`] — and dropped; an area several files carry is merged (with
/// [`Merger`], as `kdc snapshot merge` does) until its last copy is in, then evaluated and
/// dropped. The result equals [`build`] of the merged areas.
#[derive(Debug, Default)]
pub struct Streaming {
    copies: std::collections::HashMap<String, usize>,
    merger: crdt_model::snapshot::Merger,
    statuses: Vec<Status>,
    files: usize,
}

/// One area of a decoded file, as [`Streaming`] takes it.
#[derive(Debug)]
pub enum StreamedArea {
    /// An area no other file carries, already evaluated.
    Evaluated(Box<Status>),
    /// An area to merge with its other copies.
    Loaded(Box<Area>),
}

impl Streaming {
    pub fn new(copies: std::collections::HashMap<String, usize>) -> Streaming {
        Streaming { copies, ..Streaming::default() }
    }

    /// Whether an area can be evaluated as soon as it is decoded (no other file carries it).
    pub fn wants_status(copies: &std::collections::HashMap<String, usize>, id: &str) -> bool {
        copies.get(id).copied().unwrap_or(1) <= 1
    }

    /// Takes one file's areas (in any order of files).
    pub fn add(&mut self, name: &str, areas: Vec<StreamedArea>) -> Result<(), crdt_model::snapshot::MergeError> {
        let mut loaded = Vec::new();
        for a in areas {
            match a {
                StreamedArea::Evaluated(status) => self.statuses.push(*status),
                StreamedArea::Loaded(area) => loaded.push(*area),
            }
        }
        let ids: Vec<String> = loaded.iter().map(Area::id).collect();
        self.merger.add_decoded(name, loaded)?;
        for id in ids {
            let left = self.copies.entry(id.clone()).or_insert(1);
            *left = left.saturating_sub(1);
            if *left == 0
                && let Some(area) = self.merger.take(&id)
            {
                self.statuses.push(area.status());
            }
        }
        self.files += 1;
        Ok(())
    }

    pub fn finish(self) -> Result<Report, crdt_model::snapshot::MergeError> {
        let Streaming { merger, mut statuses, files, .. } = self;
        if files == 0 {
            return Err(crdt_model::snapshot::MergeError::NoInput);
        }
        let superseded = merger.superseded().iter().map(SupersededCopy::from).collect();
        // Areas whose copies were miscounted (none, if the first pass was right).
        statuses.extend(merger.finish().unwrap_or_default().iter().map(Area::status));
        statuses.sort_by(|a, b| crdt_model::text::natural_cmp(&a.area, &b.area));
        let certified_areas = statuses.iter().filter(|s| s.certified).count() as u64;
        let wards = ward_rows(&statuses);
        Ok(Report { areas: statuses, certified_areas, wards, superseded })
    }
}

/// The roll-up by ward name. Criteria in the order the ward's first area lists them (areas of
/// one ward share a profile; a criterion only some areas have counts over those).
pub fn ward_rows(statuses: &[Status]) -> Vec<WardRow> {
    let mut by_ward: std::collections::BTreeMap<&str, Vec<&Status>> = std::collections::BTreeMap::new();
    for s in statuses {
        by_ward.entry(s.ward.as_str()).or_default().push(s);
    }
    let mut rows: Vec<WardRow> = by_ward
        .into_iter()
        .map(|(ward, list)| {
            let mut criteria: Vec<WardCriterion> = Vec::new();
            for s in &list {
                for c in &s.criteria {
                    let row = match criteria.iter_mut().find(|w| w.id == c.id) {
                        Some(row) => row,
                        None => {
                            criteria.push(WardCriterion { id: c.id.clone(), areas_met: 0, areas_applicable: 0 });
                            criteria.last_mut().expect("just pushed")
                        }
                    };
                    if c.applicable {
                        row.areas_applicable += 1;
                        row.areas_met += u64::from(c.met);
                    }
                }
            }
            WardRow {
                ward: ward.to_string(),
                areas: list.len() as u64,
                certified_areas: list.iter().filter(|s| s.certified).count() as u64,
                households: list.iter().map(|s| s.households).sum(),
                criteria,
            }
        })
        .collect();
    // "Phường 2" before "Phường 10".
    rows.sort_by(|a, b| crdt_model::text::natural_cmp(&a.ward, &b.ward));
    rows
}

/// Every area's status, evaluated on as many threads as there are cores (reading thousands of
/// households out of their documents is the expensive part), in the areas' order.
fn statuses(areas: &[Area]) -> Vec<Status> {
    crdt_model::par::map(areas, Area::status)
}

// ---- text -----------------------------------------------------------------------------------

pub fn certified_areas_line(lang: Lang, certified: u64, total: usize) -> String {
    t!(lang, "report-certified-areas-line", certified = certified, total = total)
}

/// The households left out of every figure because they declined, beside those figures:
/// "2 hộ từ chối khảo sát (1,50%)", their share of all the active households. `None` when none
/// declined.
pub fn declined_line(lang: Lang, declined: u64, households: u64) -> Option<String> {
    if declined == 0 {
        return None;
    }
    let share = crdt_model::text::percent(lang, declined, declined + households)?;
    Some(t!(lang, "report-declined-line", declined = declined, share = share))
}

// ---- the official letterhead ---------------------------------------------------------------

/// The heading and signature blocks of a Vietnamese administrative report, as the printed ward
/// page and every XLSX sheet carry them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letterhead {
    /// The issuing body, top left: `UBND PHƯỜNG THẠC GIÁN`.
    pub issuer: String,
    /// `Thạc Gián, ngày 01 tháng 12 năm 2026`, top right under the motto.
    pub place_and_date: String,
    /// The signature blocks, left to right.
    pub signers: Vec<Signer>,
}

/// One signature block: `NGƯỜI LẬP BIỂU`, `(Ký, ghi rõ họ tên)`, then (after room to sign) the
/// signer's name when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    pub title: String,
    pub hint: String,
    pub name: String,
}

/// What a ward types once and the device remembers (`DATA_DIR/ward-print.json`): the issuing
/// body, the place, and the two signers. An empty value means the default.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct LetterheadSettings {
    pub issuer: String,
    pub place: String,
    pub preparer_title: String,
    pub preparer_name: String,
    pub signer_title: String,
    pub signer_name: String,
}

/// The settings file's name in the data directory.
pub const SETTINGS_FILE: &str = "ward-print.json";

impl LetterheadSettings {
    /// The fields by form name, for the settings form.
    pub const FIELDS: [&'static str; 6] =
        ["issuer", "place", "preparer_title", "preparer_name", "signer_title", "signer_name"];

    /// Reads `DATA_DIR/ward-print.json`; defaults when there is none or it cannot be read.
    pub fn load(data_dir: &std::path::Path) -> LetterheadSettings {
        std::fs::read(data_dir.join(SETTINGS_FILE))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    pub fn get(&self, field: &str) -> &str {
        match field {
            "issuer" => &self.issuer,
            "place" => &self.place,
            "preparer_title" => &self.preparer_title,
            "preparer_name" => &self.preparer_name,
            "signer_title" => &self.signer_title,
            _ => &self.signer_name,
        }
    }

    /// Sets one field, checked: at most 120 characters, no control characters. The error names
    /// what is allowed.
    pub fn set(&mut self, field: &str, value: &str) -> Result<(), String> {
        let value = value.trim();
        if value.chars().count() > 120 || value.chars().any(char::is_control) {
            return Err(format!("{field}: at most 120 characters, no control characters"));
        }
        let slot = match field {
            "issuer" => &mut self.issuer,
            "place" => &mut self.place,
            "preparer_title" => &mut self.preparer_title,
            "preparer_name" => &mut self.preparer_name,
            "signer_title" => &mut self.signer_title,
            "signer_name" => &mut self.signer_name,
            other => return Err(format!("{other}: not a letterhead setting")),
        };
        *slot = value.to_string();
        Ok(())
    }
}

/// The national motto, top right.
pub const MOTTO: [&str; 2] = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"];

impl Letterhead {
    /// The usual letterhead for the report's areas on `date` (day, month, year): the issuing
    /// body is the ward's People's Committee when all areas are of one ward.
    pub fn for_report(lang: Lang, report: &Report, date: (u32, u32, i32)) -> Letterhead {
        let wards = wards(report);
        let ward = if wards.len() == 1 { wards[0] } else { "" };
        let issuer = if ward.is_empty() { "UBND".to_string() } else { format!("UBND {}", ward.to_uppercase()) };
        Letterhead { issuer, place_and_date: place_and_date(lang, ward, date), signers: default_signers(lang) }
    }

    /// [`Letterhead::for_report`] with what the ward set replacing the defaults.
    pub fn with_settings(lang: Lang, report: &Report, date: (u32, u32, i32), s: &LetterheadSettings) -> Letterhead {
        let mut head = Letterhead::for_report(lang, report, date);
        if !s.issuer.is_empty() {
            head.issuer = s.issuer.clone();
        }
        if !s.place.is_empty() {
            head.place_and_date = place_and_date(lang, &s.place, date);
        }
        let fields = [(&s.preparer_title, &s.preparer_name), (&s.signer_title, &s.signer_name)];
        for (signer, (title, name)) in head.signers.iter_mut().zip(fields) {
            if !title.is_empty() {
                signer.title = title.clone();
            }
            signer.name = name.clone();
        }
        head
    }
}

/// `NGƯỜI LẬP BIỂU` and `CHỦ TỊCH`, with their hints.
pub fn default_signers(lang: Lang) -> Vec<Signer> {
    let signer = |title: &str, hint: &str| Signer { title: title.into(), hint: hint.into(), name: String::new() };
    vec![
        signer(t!(lang, "report-prepared-by"), t!(lang, "report-signature-full-name")),
        signer(t!(lang, "report-chairperson"), t!(lang, "report-signature-seal")),
    ]
}

/// The wards of the report's areas, sorted, each once.
pub fn wards(report: &Report) -> Vec<&str> {
    let mut wards: Vec<&str> = report.areas.iter().map(|s| s.ward.as_str()).collect();
    wards.sort_by(|a, b| crdt_model::text::natural_cmp(a, b));
    wards.dedup();
    wards
}

/// `Thạc Gián, ngày 01 tháng 12 năm 2026`: the place is the ward's name without its kind
/// (`Phường`, `Xã`, …).
pub fn place_and_date(lang: Lang, ward: &str, (day, month, year): (u32, u32, i32)) -> String {
    let place = ["Phường ", "phường ", "Xã ", "xã ", "Thị trấn ", "Đặc khu "]
        .iter()
        .find_map(|p| ward.strip_prefix(p))
        .unwrap_or(ward)
        .trim();
    let sep = if place.is_empty() { "" } else { ", " };
    let (day, month, year) = (format!("{day:02}"), format!("{month:02}"), year.to_string());
    format!("{place}{sep}{}", t!(lang, "report-dated", day = day, month = month, year = year))
}

/// `--format json`: the report on one line, then a newline.
pub fn json(report: &Report) -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string(report)?;
    text.push('\n');
    Ok(text)
}

// ---- CSV ------------------------------------------------------------------------------------

pub const CSV_HEADER: [&str; 18] = [
    "area",
    "name",
    "ward",
    "households",
    "certified",
    "criterion",
    "level",
    "required",
    "numerator",
    "denominator",
    "ratio",
    "op",
    "threshold",
    "met",
    "applicable",
    "unknown",
    "no_data",
    "declined",
];

pub const BOM: &[u8] = b"\xEF\xBB\xBF";

fn level_text(c: &CriterionStatus) -> String {
    serde_json::to_value(c.level).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// One row per area and criterion, with a header row; UTF-8 with a BOM so Excel reads
/// Vietnamese correctly. A criterion that is not applicable has an empty ratio.
pub fn csv(report: &Report) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(BOM.to_vec());
    w.write_record(CSV_HEADER)?;
    for s in &report.areas {
        for c in &s.criteria {
            w.write_record([
                s.area.clone(),
                s.name.clone(),
                s.ward.clone(),
                s.households.to_string(),
                s.certified.to_string(),
                c.id.clone(),
                level_text(c),
                c.required.to_string(),
                c.numerator.to_string(),
                c.denominator.to_string(),
                c.ratio.map(|r| r.to_string()).unwrap_or_default(),
                c.op.clone(),
                c.threshold.to_string(),
                c.met.to_string(),
                c.applicable.to_string(),
                c.unknown.to_string(),
                c.no_data.to_string(),
                s.declined.to_string(),
            ])?;
        }
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

// ---- XLSX -----------------------------------------------------------------------------------

/// The summary sheet's name.
pub fn summary_sheet_name(lang: Lang) -> &'static str {
    t!(lang, "report-summary")
}

/// Row (0-based) of every sheet's column headers; the criterion labels are the row above, and
/// above them the letterhead (rows 0–3) and the ward and date line (row 4).
pub const SUMMARY_HEADER_ROW: u32 = 7;

/// The report's title.
pub fn report_title(lang: Lang) -> &'static str {
    t!(lang, "report-digital-residential-areas-progress-report")
}
/// The first per-criterion column of the summary sheet (after STT, area, ward, households).
pub const FIRST_CRITERION_COL: u16 = 4;

/// A column of criteria across areas: the union of the areas' criteria, in first-seen order
/// (areas of one ward normally share one profile, so this is that profile's list).
struct Column {
    id: String,
    label: String,
    required: bool,
}

fn criterion_columns(lang: Lang, report: &Report) -> Vec<Column> {
    let mut seen = BTreeSet::new();
    let mut cols = Vec::new();
    for s in &report.areas {
        for c in &s.criteria {
            if seen.insert(c.id.clone()) {
                cols.push(Column { id: c.id.clone(), label: c.label.get(lang).to_string(), required: c.required });
            }
        }
    }
    cols
}

struct Formats {
    title: Format,
    centered_bold: Format,
    centered_bold_underlined: Format,
    centered_italic: Format,
    bold: Format,
    header: Format,
    cell: Format,
    number: Format,
    percent: Format,
    percent_unmet: Format,
    met: Format,
    unmet: Format,
}

fn formats() -> Formats {
    let border = |f: Format| f.set_border(FormatBorder::Thin);
    Formats {
        title: Format::new().set_bold().set_font_size(14).set_align(FormatAlign::Center),
        centered_bold: Format::new().set_bold().set_align(FormatAlign::Center),
        centered_bold_underlined: Format::new()
            .set_bold()
            .set_underline(rust_xlsxwriter::FormatUnderline::Single)
            .set_align(FormatAlign::Center),
        centered_italic: Format::new().set_italic().set_align(FormatAlign::Center),
        bold: Format::new().set_bold(),
        header: border(
            Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color(Color::RGB(0xDDEBF7)),
        ),
        cell: border(Format::new()),
        number: border(Format::new().set_num_format("0")),
        percent: border(Format::new().set_num_format("0.00%")),
        percent_unmet: border(Format::new().set_num_format("0.00%").set_font_color(Color::RGB(0xC00000))),
        met: border(Format::new().set_bold().set_font_color(Color::RGB(0x006100))),
        unmet: border(Format::new().set_bold().set_font_color(Color::RGB(0xC00000))),
    }
}

fn result_text(lang: Lang, certified: bool) -> &'static str {
    if certified { t!(lang, "report-certified") } else { t!(lang, "report-not-certified") }
}

fn not_applicable(lang: Lang) -> &'static str {
    t!(lang, "report-n-a")
}

/// Width in Excel character units for a text column: its longest text, within bounds.
fn width_for<'a>(texts: impl IntoIterator<Item = &'a str>, min: usize, max: usize) -> f64 {
    let longest = texts.into_iter().map(|t| t.chars().count()).max().unwrap_or(0);
    (longest + 2).clamp(min, max) as f64
}

/// A worksheet name Excel accepts: no `[]:*?/\`, not starting or ending with `'`, at most 31
/// characters, and unique (case-insensitively) among `taken`.
pub fn sheet_name(wanted: &str, taken: &mut Vec<String>) -> String {
    let cleaned: String = wanted.chars().filter(|c| !"[]:*?/\\".contains(*c)).collect();
    let cleaned = cleaned.trim_matches('\'').to_string();
    let base = if cleaned.is_empty() { "Sheet".to_string() } else { cleaned };
    let truncate = |s: &str, n: usize| s.chars().take(n).collect::<String>();
    let mut name = truncate(&base, 31);
    let mut n = 2;
    while taken.iter().any(|t| t.to_lowercase() == name.to_lowercase()) {
        let suffix = format!("~{n}");
        name = format!("{}{suffix}", truncate(&base, 31 - suffix.chars().count()));
        n += 1;
    }
    taken.push(name.clone());
    name
}

/// Writes one criterion's three cells (count met, denominator, percentage).
fn write_criterion(
    ws: &mut Worksheet,
    f: &Formats,
    lang: Lang,
    row: u32,
    col: u16,
    c: Option<&CriterionStatus>,
) -> Result<(), XlsxError> {
    let Some(c) = c else {
        for i in 0..3 {
            ws.write_blank(row, col + i, &f.cell)?;
        }
        return Ok(());
    };
    ws.write_number_with_format(row, col, c.numerator as f64, &f.number)?;
    ws.write_number_with_format(row, col + 1, c.denominator as f64, &f.number)?;
    if c.applicable && c.denominator > 0 {
        let fmt = if c.met { &f.percent } else { &f.percent_unmet };
        ws.write_number_with_format(row, col + 2, c.numerator as f64 / c.denominator as f64, fmt)?;
    } else {
        ws.write_string_with_format(row, col + 2, not_applicable(lang), &f.cell)?;
    }
    Ok(())
}

/// The header rows of a criteria table: criterion labels (each merged over three columns) on
/// `row - 1`, then the fixed column names and "met / total / %" on `row`.
fn write_criteria_header(
    ws: &mut Worksheet,
    f: &Formats,
    lang: Lang,
    row: u32,
    fixed: &[&str],
    cols: &[Column],
    last: &str,
) -> Result<(), XlsxError> {
    for (i, name) in fixed.iter().enumerate() {
        ws.merge_range(row - 1, i as u16, row, i as u16, name, &f.header)?;
    }
    let first = fixed.len() as u16;
    for (i, c) in cols.iter().enumerate() {
        let col = first + 3 * i as u16;
        let label =
            if c.required { c.label.clone() } else { format!("{} ({})", c.label, t!(lang, "web-ward-encouraged")) };
        ws.merge_range(row - 1, col, row - 1, col + 2, &label, &f.header)?;
        ws.write_string_with_format(row, col, t!(lang, "report-met"), &f.header)?;
        ws.write_string_with_format(row, col + 1, t!(lang, "report-total"), &f.header)?;
        ws.write_string_with_format(row, col + 2, t!(lang, "report-rate"), &f.header)?;
        for j in 0..3 {
            ws.set_column_width(col + j, if j == 2 { 10 } else { 9 })?;
        }
    }
    let last_col = first + 3 * cols.len() as u16;
    ws.merge_range(row - 1, last_col, row, last_col, last, &f.header)?;
    ws.set_row_height(row - 1, 45)?;
    Ok(())
}

/// Rows 0–3 of a sheet `width` columns wide: the issuing body (left) and the motto with the place
/// and date (right), then the title across.
fn write_letterhead(
    ws: &mut Worksheet,
    f: &Formats,
    head: &Letterhead,
    width: u16,
    title: &str,
) -> Result<(), XlsxError> {
    let width = width.max(6);
    let left_end = (width / 3).max(2) - 1;
    let right_start = left_end + 1;
    let last = width - 1;
    ws.merge_range(0, 0, 0, left_end, &head.issuer, &f.centered_bold)?;
    ws.merge_range(0, right_start, 0, last, MOTTO[0], &f.centered_bold)?;
    ws.merge_range(1, right_start, 1, last, MOTTO[1], &f.centered_bold_underlined)?;
    ws.merge_range(2, right_start, 2, last, &head.place_and_date, &f.centered_italic)?;
    ws.merge_range(3, 0, 3, last, title, &f.title)?;
    ws.set_row_height(3, 24)?;
    Ok(())
}

/// The signature blocks under a table, spread over the sheet's width, from `row`.
fn write_signatures(
    ws: &mut Worksheet,
    f: &Formats,
    head: &Letterhead,
    row: u32,
    width: u16,
) -> Result<u32, XlsxError> {
    let n = head.signers.len().max(1) as u16;
    let width = width.max(2 * n);
    let span = width / n;
    for (i, signer) in head.signers.iter().enumerate() {
        let first = i as u16 * span;
        let last = if i as u16 == n - 1 { width - 1 } else { first + span - 1 };
        let lines = [
            (row, &signer.title, &f.centered_bold),
            (row + 1, &signer.hint, &f.centered_italic),
            (row + 5, &signer.name, &f.centered_bold),
        ];
        for (r, text, format) in lines {
            if text.is_empty() {
                continue;
            }
            if first == last {
                ws.write_string_with_format(r, first, text, format)?;
            } else {
                ws.merge_range(r, first, r, last, text, format)?;
            }
        }
    }
    // Room to sign.
    Ok(row + 6)
}

/// A4 landscape, one page wide (as many pages down as needed), the table's two header rows
/// repeated on every page, and the print area from the letterhead to the signatures.
fn page_setup(ws: &mut Worksheet, header_row: u32, last_row: u32, last_col: u16) -> Result<(), XlsxError> {
    const A4: u8 = 9;
    ws.set_paper_size(A4);
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_print_center_horizontally(true);
    ws.set_margins(0.4, 0.4, 0.5, 0.5, 0.3, 0.3);
    ws.set_repeat_rows(header_row - 1, header_row)?;
    ws.set_print_area(0, 0, last_row, last_col)?;
    Ok(())
}

/// The XLSX workbook: the summary sheet ("Tổng hợp") then one sheet per area with its groups.
/// `date` is the report date, already formatted dd/mm/yyyy. Every sheet prints as an official
/// report: [`Letterhead`] on top, signatures below, A4 landscape one page wide.
pub fn xlsx(lang: Lang, report: &Report, date: &str, head: &Letterhead) -> Result<Vec<u8>, XlsxError> {
    let f = formats();
    let cols = criterion_columns(lang, report);
    let mut wb = Workbook::new();
    let mut taken = Vec::new();

    // Summary sheet.
    {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(summary_sheet_name(lang), &mut taken))?;
        let wards = wards(report);
        let width = FIRST_CRITERION_COL + 3 * cols.len() as u16 + 1;
        write_letterhead(ws, &f, head, width, report_title(lang))?;
        ws.write_string_with_format(
            4,
            0,
            format!("{}: {} · {}: {date}", t!(lang, "web-ward"), wards.join(", "), t!(lang, "report-report-date")),
            &f.bold,
        )?;

        let fixed = [
            t!(lang, "web-ward-no"),
            t!(lang, "report-residential-area"),
            t!(lang, "web-ward"),
            t!(lang, "web-ward-households"),
        ];
        let header = SUMMARY_HEADER_ROW;
        write_criteria_header(ws, &f, lang, header, &fixed, &cols, t!(lang, "web-ward-result"))?;
        let last_col = FIRST_CRITERION_COL + 3 * cols.len() as u16;
        // Declined households are in no figure of the row: their count stands beside it.
        let declined_header = t!(lang, "report-households-declined-not-counted");
        ws.merge_range(header - 1, last_col + 1, header, last_col + 1, declined_header, &f.header)?;
        for (i, s) in report.areas.iter().enumerate() {
            let row = header + 1 + i as u32;
            ws.write_number_with_format(row, 0, (i + 1) as f64, &f.number)?;
            ws.write_string_with_format(row, 1, &s.name, &f.cell)?;
            ws.write_string_with_format(row, 2, &s.ward, &f.cell)?;
            ws.write_number_with_format(row, 3, s.households as f64, &f.number)?;
            for (j, col) in cols.iter().enumerate() {
                let c = s.criteria.iter().find(|c| c.id == col.id);
                write_criterion(ws, &f, lang, row, FIRST_CRITERION_COL + 3 * j as u16, c)?;
            }
            let fmt = if s.certified { &f.met } else { &f.unmet };
            ws.write_string_with_format(row, last_col, result_text(lang, s.certified), fmt)?;
            ws.write_number_with_format(row, last_col + 1, s.declined as f64, &f.number)?;
        }
        let bottom = header + 2 + report.areas.len() as u32;
        ws.write_string_with_format(bottom, 1, t!(lang, "report-certified-areas"), &f.bold)?;
        ws.write_number_with_format(bottom, 3, report.certified_areas as f64, &f.bold)?;
        ws.write_string_with_format(bottom + 1, 1, t!(lang, "report-areas-in-total"), &f.bold)?;
        ws.write_number_with_format(bottom + 1, 3, report.areas.len() as f64, &f.bold)?;
        let end = write_signatures(ws, &f, head, bottom + 3, width)?;
        page_setup(ws, header, end, last_col + 1)?;

        ws.set_freeze_panes(header + 1, 2)?;
        ws.set_column_width(0, 6)?;
        ws.set_column_width(1, width_for(report.areas.iter().map(|s| s.name.as_str()).chain([fixed[1]]), 14, 40))?;
        ws.set_column_width(2, width_for(report.areas.iter().map(|s| s.ward.as_str()).chain([fixed[2]]), 12, 30))?;
        ws.set_column_width(3, 9)?;
        ws.set_column_width(last_col, 14)?;
        ws.set_column_width(last_col + 1, 14)?;
    }

    // A district's roll-up: one row per ward, when the areas come from several.
    if report.wards.len() > 1 {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(t!(lang, "report-by-ward"), &mut taken))?;
        let width = 5 + 3 * cols.len() as u16;
        write_letterhead(ws, &f, head, width, report_title(lang))?;
        ws.write_string_with_format(4, 0, format!("{}: {date}", t!(lang, "report-report-date")), &f.bold)?;
        let fixed =
            [t!(lang, "web-ward-no"), t!(lang, "web-ward"), t!(lang, "report-areas"), t!(lang, "web-ward-households")];
        let header = SUMMARY_HEADER_ROW;
        write_criteria_header(ws, &f, lang, header, &fixed, &cols, t!(lang, "web-ward-certified-areas"))?;
        let last_col = FIRST_CRITERION_COL + 3 * cols.len() as u16;
        for (i, w) in report.wards.iter().enumerate() {
            let row = header + 1 + i as u32;
            ws.write_number_with_format(row, 0, (i + 1) as f64, &f.number)?;
            ws.write_string_with_format(row, 1, &w.ward, &f.cell)?;
            ws.write_number_with_format(row, 2, w.areas as f64, &f.number)?;
            ws.write_number_with_format(row, 3, w.households as f64, &f.number)?;
            for (j, col) in cols.iter().enumerate() {
                let c0 = FIRST_CRITERION_COL + 3 * j as u16;
                match w.criteria.iter().find(|c| c.id == col.id) {
                    Some(c) if c.areas_applicable > 0 => {
                        ws.write_number_with_format(row, c0, c.areas_met as f64, &f.number)?;
                        ws.write_number_with_format(row, c0 + 1, c.areas_applicable as f64, &f.number)?;
                        ws.write_number_with_format(
                            row,
                            c0 + 2,
                            c.areas_met as f64 / c.areas_applicable as f64,
                            &f.percent,
                        )?;
                    }
                    _ => {
                        for k in 0..3 {
                            ws.write_blank(row, c0 + k, &f.cell)?;
                        }
                    }
                }
            }
            ws.write_number_with_format(row, last_col, w.certified_areas as f64, &f.number)?;
        }
        ws.set_column_width(0, 6)?;
        ws.set_column_width(1, width_for(report.wards.iter().map(|w| w.ward.as_str()).chain([fixed[1]]), 14, 40))?;
        ws.set_column_width(2, 10)?;
        ws.set_column_width(3, 9)?;
        ws.set_column_width(last_col, 14)?;
        ws.set_freeze_panes(header + 1, 2)?;
        let end = write_signatures(ws, &f, head, header + 2 + report.wards.len() as u32, width)?;
        page_setup(ws, header, end, last_col)?;
    }

    // One sheet per area: the whole area, then each residential group.
    for s in &report.areas {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(&s.area, &mut taken))?;
        let width = 2 + 3 * s.criteria.len() as u16 + 1;
        write_letterhead(ws, &f, head, width, &format!("{} — {} ({})", report_title(lang), s.name, s.area))?;
        ws.write_string_with_format(
            4,
            0,
            format!(
                "{}: {} · {}: {date} · {}: {}/{} · {}",
                t!(lang, "web-ward"),
                s.ward,
                t!(lang, "report-report-date"),
                t!(lang, "report-required-criteria-met"),
                s.required_met,
                s.required_total,
                result_text(lang, s.certified)
            ),
            &f.bold,
        )?;
        let fixed = [t!(lang, "web-household-residential-group"), t!(lang, "web-ward-households")];
        let header = SUMMARY_HEADER_ROW;
        let area_cols: Vec<Column> = s
            .criteria
            .iter()
            .map(|c| Column { id: c.id.clone(), label: c.label.get(lang).to_string(), required: c.required })
            .collect();
        write_criteria_header(ws, &f, lang, header, &fixed, &area_cols, t!(lang, "report-incomplete-households"))?;
        let whole = GroupStatus {
            group: t!(lang, "report-whole-area").to_string(),
            evaluation: Evaluation {
                households: s.households,
                declined: s.declined,
                certified: s.certified,
                incomplete: s.incomplete,
                required_met: s.required_met,
                required_total: s.required_total,
                criteria: s.criteria.clone(),
            },
        };
        let rows: Vec<(&GroupStatus, bool)> =
            s.groups.iter().map(|g| (g, false)).chain(std::iter::once((&whole, true))).collect();
        let last_col = 2 + 3 * area_cols.len() as u16;
        for (i, (g, is_total)) in rows.iter().enumerate() {
            let row = header + 1 + i as u32;
            let name = if g.group.is_empty() { t!(lang, "web-no-group") } else { &g.group };
            let name_fmt = if *is_total { &f.header } else { &f.cell };
            ws.write_string_with_format(row, 0, name, name_fmt)?;
            ws.write_number_with_format(row, 1, g.evaluation.households as f64, &f.number)?;
            for (j, col) in area_cols.iter().enumerate() {
                let c = g.evaluation.criteria.iter().find(|c| c.id == col.id);
                write_criterion(ws, &f, lang, row, 2 + 3 * j as u16, c)?;
            }
            ws.write_number_with_format(row, last_col, g.evaluation.incomplete as f64, &f.number)?;
        }
        let mut bottom = header + 1 + rows.len() as u32;
        if let Some(line) = declined_line(lang, s.declined, s.households) {
            ws.write_string_with_format(bottom, 0, line, &f.bold)?;
            bottom += 1;
        }
        let end = write_signatures(ws, &f, head, bottom + 1, width)?;
        page_setup(ws, header, end, last_col)?;
        ws.set_freeze_panes(header + 1, 1)?;
        ws.set_column_width(0, width_for(rows.iter().map(|(g, _)| g.group.as_str()).chain([fixed[0]]), 14, 30))?;
        ws.set_column_width(1, 9)?;
        ws.set_column_width(last_col, 14)?;
    }
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_letterhead_takes_what_the_ward_set_and_refuses_what_cannot_be_printed() {
        let report = Report { areas: Vec::new(), certified_areas: 0, wards: Vec::new(), superseded: Vec::new() };
        let head = Letterhead::for_report(Lang::Vi, &report, (1, 12, 2026));
        assert_eq!(head.issuer, "UBND");
        assert_eq!(head.place_and_date, "ngày 01 tháng 12 năm 2026");
        assert_eq!(place_and_date(Lang::Vi, "Phường Thạc Gián", (1, 12, 2026)), "Thạc Gián, ngày 01 tháng 12 năm 2026");
        let mut s = LetterheadSettings::default();
        s.set("issuer", " UBND PHƯỜNG THẠC GIÁN ").unwrap();
        s.set("place", "Thạc Gián").unwrap();
        s.set("signer_name", "Lê Văn Bình").unwrap();
        assert!(s.set("issuer", &"x".repeat(121)).unwrap_err().contains("120"));
        assert!(s.set("place", "a\u{7}b").is_err());
        assert!(s.set("colour", "red").unwrap_err().contains("not a letterhead setting"));
        let head = Letterhead::with_settings(Lang::Vi, &report, (1, 12, 2026), &s);
        assert_eq!(head.issuer, "UBND PHƯỜNG THẠC GIÁN");
        assert_eq!(head.place_and_date, "Thạc Gián, ngày 01 tháng 12 năm 2026");
        assert_eq!(head.signers[0].title, "NGƯỜI LẬP BIỂU");
        assert_eq!((head.signers[1].title.as_str(), head.signers[1].name.as_str()), ("CHỦ TỊCH", "Lê Văn Bình"));
    }

    const T0: i64 = 1_700_000_000_000;

    /// A new area of the default profile, made by `peer-a`.
    fn area(id: &str, ward: &str) -> Area {
        let new =
            crdt_model::NewArea { id: id.into(), name: format!("Khu {id}"), ward: ward.into(), profile_toml: None };
        Area::create(new, "peer-a", "máy A", T0).unwrap()
    }

    #[test]
    fn streaming_gives_the_report_of_the_merged_areas() {
        use crdt_model::HouseholdWrite;
        let t0 = T0;
        let add = |a: &mut Area, hh: &str, internet: &str| {
            let fields = vec![("members".into(), "2".into()), ("internet".into(), internet.into())];
            a.add_household(
                HouseholdWrite {
                    id: hh.into(),
                    fields,
                    consent: Some(crdt_model::ConsentGiven::verbal()),
                    ..Default::default()
                },
                "peer-a",
                t0 + 1,
            )
            .unwrap();
        };
        let mut x = area("x", "Phường A");
        add(&mut x, "1", "yes");
        let mut y_old = area("y", "Phường B");
        add(&mut y_old, "1", "no");
        let mut y_new = Area::load(&y_old.save(), "peer-a").unwrap();
        add(&mut y_new, "2", "yes");
        let z = area("z", "Phường A");
        // Files: {x, y_old}, {y_new}, {z}; y has two copies.
        let files: Vec<(&str, Vec<&Area>)> = vec![("f1", vec![&x, &y_old]), ("f2", vec![&y_new]), ("f3", vec![&z])];
        let mut copies = std::collections::HashMap::new();
        for (_, areas) in &files {
            for a in areas {
                *copies.entry(a.id()).or_insert(0) += 1;
            }
        }
        let mut streaming = Streaming::new(copies.clone());
        for (name, areas) in &files {
            let items = areas
                .iter()
                .map(|a| {
                    if Streaming::wants_status(&copies, &a.id()) {
                        StreamedArea::Evaluated(Box::new(a.status()))
                    } else {
                        StreamedArea::Loaded(Box::new((*a).clone()))
                    }
                })
                .collect();
            streaming.add(name, items).unwrap();
        }
        let streamed = streaming.finish().unwrap();
        let mut y = y_old.clone();
        y.merge(&y_new).unwrap();
        let whole = build(&[x, y, z]);
        assert_eq!(json(&streamed).unwrap(), json(&whole).unwrap());
        assert_eq!(streamed.areas[1].households, 2, "y merged from both copies");
        assert_eq!(streamed.wards.len(), 2);
        assert!(matches!(Streaming::new(Default::default()).finish(), Err(crdt_model::snapshot::MergeError::NoInput)));
    }

    #[test]
    fn areas_wards_and_groups_come_in_the_order_people_read() {
        use crdt_model::HouseholdWrite;
        let t0 = T0;
        let mut two = area("khu-2", "Phường 10");
        for (hh, group) in [("H1", "Tổ 10"), ("H2", "Tổ 9"), ("H3", "Tổ 1")] {
            let w = HouseholdWrite {
                id: hh.into(),
                group: Some(group.into()),
                fields: vec![("members".into(), "2".into())],
                consent: Some(crdt_model::ConsentGiven::verbal()),
                ..Default::default()
            };
            two.add_household(w, "peer-a", t0 + 1).unwrap();
        }
        let report = build(&[area("khu-10", "Phường 9"), two, area("khu-1", "Phường 10")]);
        let ids: Vec<&str> = report.areas.iter().map(|s| s.area.as_str()).collect();
        assert_eq!(ids, ["khu-1", "khu-2", "khu-10"]);
        let wards: Vec<&str> = report.wards.iter().map(|w| w.ward.as_str()).collect();
        assert_eq!(wards, ["Phường 9", "Phường 10"]);
        assert_eq!(super::wards(&report), ["Phường 9", "Phường 10"]);
        let groups: Vec<&str> = report.areas[1].groups.iter().map(|g| g.group.as_str()).collect();
        assert_eq!(groups, ["Tổ 1", "Tổ 9", "Tổ 10"]);
    }

    #[test]
    fn sheet_names_are_valid_and_unique() {
        let mut taken = vec!["Tổng hợp".to_string()];
        assert_eq!(sheet_name("tổng HỢP", &mut taken), "tổng HỢP~2");
        let long = "a".repeat(64);
        let one = sheet_name(&long, &mut taken);
        let two = sheet_name(&long, &mut taken);
        assert_eq!(one.chars().count(), 31);
        assert_eq!(two.chars().count(), 31);
        assert_ne!(one, two);
        assert_eq!(sheet_name("a/b[c]:d*e?f\\", &mut taken), "abcdef");
        assert_eq!(sheet_name("'x'", &mut taken), "x");
        assert_eq!(sheet_name("[]", &mut taken), "Sheet");
    }
}
