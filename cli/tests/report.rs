//! `kdc snapshot merge` and `kdc report` on snapshot files built here with crdt-model; no daemon.

use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::{Data, Reader, Xlsx, open_workbook};
use crdt_model::snapshot;
use crdt_model::{Area, HouseholdWrite, NewArea, Status};

struct Out {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

fn kdc(dir: &Path, args: &[&str]) -> Out {
    kdc_in(dir, &dir.join("no-daemon"), args)
}

/// `kdc --data-dir DATA ARGS` run in `dir`.
fn kdc_in(dir: &Path, data: &Path, args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_kdc"))
        .current_dir(dir)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("LANG", "C")
        .env_remove("KDC_DATA_DIR")
        .output()
        .unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

fn hh(id: &str, group: &str, fields: &[(&str, &str)]) -> HouseholdWrite {
    HouseholdWrite {
        id: id.into(),
        group: Some(group.into()),
        address: None,
        fields: fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        consent: Some(crdt_model::ConsentGiven::verbal()),
    }
}

const FULL: &[(&str, &str)] = &[
    ("members", "4"),
    ("members_14plus", "3"),
    ("internet", "yes"),
    ("smartphone_users", "3"),
    ("eid_accounts", "3"),
    ("payment_accounts", "2"),
    ("digital_signature", "yes"),
    ("online_public_service", "yes"),
    ("business", "no"),
];

/// Two devices of "tam-giac-3" with different visits, and a second area on device A.
/// Files: a.kdcsnap (device A: both areas), b.kdcsnap (device B: tam-giac-3).
fn fixture(dir: &Path) -> (PathBuf, PathBuf, Vec<Status>) {
    let t0 = 1_700_000_000_000;
    let new = |id: &str, name: &str| NewArea {
        id: id.into(),
        name: name.into(),
        ward: "Phường Hạc Thành".into(),
        profile_toml: None,
    };
    let mut tg_a = Area::create(new("tam-giac-3", "Khu dân cư Tam Giác 3"), "peer-a", "máy A", t0).unwrap();
    tg_a.add_member("peer-b", "máy B", "member", "peer-a", t0).unwrap();
    let mut tg_b = Area::load(&tg_a.save(), "peer-b").unwrap();
    tg_a.add_household(hh("T1-001", "Tổ 1", FULL), "peer-a", t0 + 1000).unwrap();
    tg_a.add_household(hh("T1-003", "Tổ 1", &[("members", "2"), ("internet", "no")]), "peer-a", t0 + 2000).unwrap();
    tg_b.add_household(
        hh(
            "T2-001",
            "Tổ 2",
            &[
                ("members", "2"),
                ("members_14plus", "2"),
                ("internet", "yes"),
                ("eid_accounts", "1"),
                ("business", "yes"),
                ("ecommerce", "yes"),
                ("qr_payment", "unknown"),
            ],
        ),
        "peer-b",
        t0 + 1500,
    )
    .unwrap();
    let mut dt = Area::create(new("dong-tho-1", "Khu dân cư Đông Thọ 1"), "peer-a", "máy A", t0 + 5).unwrap();
    dt.add_household(hh("A-1", "Tổ 5", FULL), "peer-a", t0 + 3000).unwrap();

    let a = dir.join("a.kdcsnap");
    let b = dir.join("b.kdcsnap");
    std::fs::write(&a, snapshot::encode(&[&tg_a, &dt])).unwrap();
    std::fs::write(&b, snapshot::encode(&[&tg_b])).unwrap();

    let mut tg = tg_a.clone();
    tg.merge(&tg_b).unwrap();
    // Sorted by area id.
    (a, b, vec![dt.status(), tg.status()])
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn merge_in_two_orders_gives_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, expected) = fixture(dir.path());
    let m1 = dir.path().join("m1.kdcsnap");
    let m2 = dir.path().join("m2.kdcsnap");
    let out = kdc(dir.path(), &["--lang", "en", "snapshot", "merge", "-o", s(&m1), s(&a), s(&b)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = kdc(dir.path(), &["snapshot", "merge", "-o", s(&m2), s(&b), s(&a), s(&b), s(&a)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // The merged bundle holds both areas, sorted by id.
    let ids: Vec<String> =
        snapshot::decode(&std::fs::read(&m1).unwrap()).unwrap().areas.into_iter().map(|e| e.id).collect();
    assert_eq!(ids, ["dong-tho-1", "tam-giac-3"]);

    let r1 = kdc(dir.path(), &["report", "--format", "json", s(&m1)]);
    let r2 = kdc(dir.path(), &["report", "--format", "json", s(&m2)]);
    let r3 = kdc(dir.path(), &["report", "--format", "json", s(&b), s(&a), s(&a)]);
    assert_eq!(r1.code, 0, "{}", r1.stderr);
    assert_eq!(r1.stdout, r2.stdout);
    assert_eq!(r1.stdout, r3.stdout);

    let json: serde_json::Value = serde_json::from_slice(&r1.stdout).unwrap();
    assert_eq!(json["areas"], serde_json::to_value(&expected).unwrap());
    assert_eq!(json["certified_areas"], expected.iter().filter(|s| s.certified).count() as u64);
    // Per-group figures are in.
    assert_eq!(json["areas"][1]["groups"].as_array().unwrap().len(), 2);
    assert_eq!(json["areas"][1]["households"], 3);

    // The table: one status per area and the certified count.
    let t = kdc(dir.path(), &["--lang", "vi", "report", s(&a), s(&b)]);
    assert_eq!(t.code, 0, "{}", t.stderr);
    let text = String::from_utf8(t.stdout).unwrap();
    assert!(text.contains("Khu dân cư Tam Giác 3") && text.contains("Khu dân cư Đông Thọ 1"), "{text}");
    assert!(text.contains("Số khu dân cư đủ điều kiện công nhận: "), "{text}");
}

#[test]
fn csv_parses_and_equals_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, expected) = fixture(dir.path());
    let out_path = dir.path().join("r.csv");
    let out = kdc(dir.path(), &["report", "--format", "csv", "-o", s(&out_path), s(&b), s(&a)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let bytes = std::fs::read(&out_path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "no BOM");
    // stdout gives the same bytes.
    let out = kdc(dir.path(), &["report", "--format", "csv", s(&a), s(&b)]);
    assert_eq!(out.stdout, bytes);

    let mut r = csv::Reader::from_reader(&bytes[3..]);
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(
        header,
        [
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
            "declined"
        ]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let want: Vec<(&Status, &crdt_model::eval::CriterionStatus)> =
        expected.iter().flat_map(|s| s.criteria.iter().map(move |c| (s, c))).collect();
    assert_eq!(rows.len(), want.len());
    for (row, (st, c)) in rows.iter().zip(want) {
        assert_eq!(&row[0], st.area);
        assert_eq!(&row[1], st.name);
        assert_eq!(&row[2], st.ward);
        assert_eq!(row[3].parse::<u64>().unwrap(), st.households);
        assert_eq!(row[4].parse::<bool>().unwrap(), st.certified);
        assert_eq!(&row[5], c.id);
        assert_eq!(row[7].parse::<bool>().unwrap(), c.required);
        assert_eq!(row[8].parse::<u64>().unwrap(), c.numerator, "{row:?}");
        assert_eq!(row[9].parse::<u64>().unwrap(), c.denominator, "{row:?}");
        assert_eq!(if row[10].is_empty() { None } else { Some(row[10].parse::<f64>().unwrap()) }, c.ratio);
        assert_eq!(&row[11], c.op);
        assert_eq!(row[12].parse::<f64>().unwrap(), c.threshold);
        assert_eq!(row[13].parse::<bool>().unwrap(), c.met);
        assert_eq!(row[14].parse::<bool>().unwrap(), c.applicable);
        assert_eq!(row[15].parse::<u64>().unwrap(), c.unknown);
        assert_eq!(row[16].parse::<bool>().unwrap(), c.no_data);
        assert_eq!(row[17].parse::<u64>().unwrap(), st.declined);
    }
}

fn cell(range: &calamine::Range<Data>, row: u32, col: u32) -> Data {
    range.get_value((row, col)).cloned().unwrap_or(Data::Empty)
}

#[test]
fn xlsx_opens_with_the_sheets_labels_and_formats() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, expected) = fixture(dir.path());
    let path = dir.path().join("phuong.xlsx");
    let out = kdc(dir.path(), &["--lang", "vi", "report", "--format", "xlsx", "-o", s(&path), s(&a), s(&b)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.is_empty());

    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(wb.sheet_names(), ["Tổng hợp", "dong-tho-1", "tam-giac-3"]);
    let range = wb.worksheet_range("Tổng hợp").unwrap();
    // The letterhead: the issuing body top left, the motto and the place and date top right,
    // then the title.
    assert_eq!(cell(&range, 0, 0).to_string(), "UBND PHƯỜNG HẠC THÀNH");
    let right = (0..60).find(|&c| !cell(&range, 0, c).to_string().is_empty() && c > 0).expect("the motto");
    assert_eq!(cell(&range, 0, right).to_string(), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM");
    assert_eq!(cell(&range, 1, right).to_string(), "Độc lập - Tự do - Hạnh phúc");
    let place = cell(&range, 2, right).to_string();
    assert!(place.starts_with("Hạc Thành, ngày ") && place.contains(" tháng ") && place.contains(" năm "), "{place}");
    let title = cell(&range, 3, 0).to_string();
    assert!(title.contains("KHU DÂN CƯ CÔNG NGHỆ SỐ"), "{title}");
    let line = cell(&range, 4, 0).to_string();
    assert!(line.contains("Phường Hạc Thành"), "{line}");
    let d = line.rsplit(' ').next().unwrap();
    assert!(d.len() == 10 && &d[2..3] == "/" && &d[5..6] == "/", "{line}");

    let header = kdc_ward::report::SUMMARY_HEADER_ROW;
    // The fixed column names are merged over the two header rows (text in the top cell).
    for (col, label) in ["STT", "Khu dân cư", "Phường/xã", "Số hộ"].iter().enumerate() {
        assert_eq!(cell(&range, header - 1, col as u32).to_string(), *label);
    }
    for (col, label) in ["Số đạt", "Tổng số", "Tỷ lệ"].iter().enumerate() {
        assert_eq!(cell(&range, header, 4 + col as u32).to_string(), *label);
    }
    // The criterion labels sit above their three columns, with diacritics.
    let labels: Vec<String> = (0..10).map(|i| cell(&range, header - 1, 4 + 3 * i).to_string()).collect();
    assert!(labels.iter().any(|l| l.contains("VNeID") || l.contains("định danh")), "{labels:?}");
    let last = 4 + 3 * expected[0].criteria.len() as u32;
    assert_eq!(cell(&range, header - 1, last).to_string(), "Kết quả");

    let styles = wb.worksheet_style("Tổng hợp").unwrap();
    for (i, st) in expected.iter().enumerate() {
        let row = header + 1 + i as u32;
        assert_eq!(cell(&range, row, 0), Data::Float((i + 1) as f64));
        assert_eq!(cell(&range, row, 1).to_string(), st.name);
        assert_eq!(cell(&range, row, 3), Data::Float(st.households as f64));
        for (j, c) in st.criteria.iter().enumerate() {
            let col = 4 + 3 * j as u32;
            assert_eq!(cell(&range, row, col), Data::Float(c.numerator as f64), "{} {}", st.area, c.id);
            assert_eq!(cell(&range, row, col + 1), Data::Float(c.denominator as f64));
            if c.applicable {
                let Data::Float(p) = cell(&range, row, col + 2) else { panic!("{} {}: not a number", st.area, c.id) };
                assert!((p - c.numerator as f64 / c.denominator as f64).abs() < 1e-12);
                assert!((0.0..=1.0).contains(&p));
                let fmt =
                    styles.get((row, col + 2)).and_then(|s| s.number_format.as_ref()).map(|f| f.format_code.clone());
                assert_eq!(fmt.as_deref(), Some("0.00%"), "{} {}", st.area, c.id);
            }
        }
        let result = cell(&range, row, last).to_string();
        assert_eq!(result, if st.certified { "Đạt" } else { "Chưa đạt" });
    }
    let bottom = header + 2 + expected.len() as u32;
    assert_eq!(cell(&range, bottom, 1).to_string(), "Số khu dân cư đạt chuẩn");
    assert_eq!(cell(&range, bottom, 3), Data::Float(expected.iter().filter(|s| s.certified).count() as f64));
    // The signature blocks under the table.
    let signatures: Vec<String> = (bottom + 2..bottom + 5)
        .flat_map(|r| (0..60).map(move |c| (r, c)))
        .map(|(r, c)| cell(&range, r, c).to_string())
        .filter(|t| !t.is_empty())
        .collect();
    assert!(
        signatures.contains(&"NGƯỜI LẬP BIỂU".to_string()) && signatures.contains(&"CHỦ TỊCH".to_string()),
        "{signatures:?}"
    );

    // The per-area sheet: one row per group, then the whole area.
    let area = wb.worksheet_range("tam-giac-3").unwrap();
    assert_eq!(cell(&area, header - 1, 0).to_string(), "Tổ dân phố");
    assert_eq!(cell(&area, header + 1, 0).to_string(), "Tổ 1");
    assert_eq!(cell(&area, header + 2, 0).to_string(), "Tổ 2");
    assert_eq!(cell(&area, header + 3, 0).to_string(), "Toàn khu");
    assert_eq!(cell(&area, header + 1, 1), Data::Float(2.0));
    assert_eq!(cell(&area, header + 3, 1), Data::Float(3.0));

    // Vietnamese whatever the PC's locale: this kdc runs with LANG=C.
    let out = kdc(dir.path(), &["report", "--format", "xlsx", "-o", s(&path), s(&a)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(wb.sheet_names()[0], "Tổng hợp");
    let range = wb.worksheet_range("Tổng hợp").unwrap();
    assert_eq!(cell(&range, header - 1, 1).to_string(), "Khu dân cư");

    // English labels.
    let en = dir.path().join("en.xlsx");
    let out = kdc(dir.path(), &["--lang", "en", "report", "--format", "xlsx", "-o", s(&en), s(&a)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut wb: Xlsx<_> = open_workbook(&en).unwrap();
    assert_eq!(wb.sheet_names()[0], "Summary");
    let range = wb.worksheet_range("Summary").unwrap();
    assert_eq!(cell(&range, header - 1, 1).to_string(), "Residential area");
}

#[test]
fn bad_inputs_are_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, _) = fixture(dir.path());
    let mut bytes = std::fs::read(&b).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0x55;
    let bad = dir.path().join("hỏng.kdcsnap");
    std::fs::write(&bad, bytes).unwrap();

    for format in ["json", "csv", "xlsx", "table"] {
        let out_path = dir.path().join(format!("out.{format}"));
        let out = kdc(dir.path(), &["report", "--format", format, "-o", s(&out_path), s(&a), s(&bad)]);
        assert_eq!(out.code, 2, "{format}: {}", out.stderr);
        assert!(out.stderr.contains("hỏng.kdcsnap"), "{}", out.stderr);
        assert!(!out_path.exists());
    }
    let merged = dir.path().join("merged.kdcsnap");
    let out = kdc(dir.path(), &["snapshot", "merge", "-o", s(&merged), s(&bad), s(&a)]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("hỏng.kdcsnap"), "{}", out.stderr);
    assert!(!merged.exists());
    // A missing file, too.
    let out = kdc(dir.path(), &["snapshot", "merge", "-o", s(&merged), s(&a), "nowhere.kdcsnap"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("nowhere.kdcsnap") && !merged.exists());
    // Many inputs, read on several threads: the bad one in the middle is still found and named.
    let mut many: Vec<&str> = vec![s(&a); 6];
    many.push(s(&bad));
    many.extend(vec![s(&b); 6]);
    let mut args = vec!["report", "--format", "json", "-o", s(&merged)];
    args.extend(&many);
    let out = kdc(dir.path(), &args);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("hỏng.kdcsnap") && !merged.exists(), "{}", out.stderr);
    // No leftover temporary files either.
    let names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(names.iter().all(|n| !n.contains("kdc-tmp")), "{names:?}");

    // xlsx needs -o.
    let out = kdc(dir.path(), &["report", "--format", "xlsx", s(&a)]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stdout.is_empty());

    // Two different areas sharing an id: refused, naming both files.
    let other = Area::create(
        NewArea { id: "tam-giac-3".into(), name: "Khác".into(), ward: "Khác".into(), profile_toml: None },
        "peer-z",
        "máy Z",
        1_700_000_900_000,
    )
    .unwrap();
    let z = dir.path().join("z.kdcsnap");
    std::fs::write(&z, snapshot::encode(&[&other])).unwrap();
    let out = kdc(dir.path(), &["--lang", "en", "snapshot", "merge", "-o", s(&merged), s(&a), s(&z)]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("a.kdcsnap") && out.stderr.contains("z.kdcsnap"), "{}", out.stderr);
    assert!(!merged.exists());
}

/// Debian's Python with openpyxl (`apt-get install python3-openpyxl`), the reader ward staff's
/// other tools use; `.ci/run` installs it.
fn openpyxl() -> Result<PathBuf, String> {
    let python = PathBuf::from(std::env::var("KDC_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into()));
    match Command::new(&python).args(["-c", "import openpyxl"]).output() {
        Ok(o) if o.status.success() => Ok(python),
        _ => Err(format!("{} cannot import openpyxl: apt-get install python3-openpyxl", python.display())),
    }
}

#[test]
fn xlsx_prints_on_a4_landscape_one_page_wide_with_its_headers_repeated() {
    let python = match openpyxl() {
        Ok(p) => p,
        Err(why) => {
            assert!(!kdc_skip::can_run(
                "xlsx_prints_on_a4_landscape_one_page_wide_with_its_headers_repeated",
                Err(why)
            ));
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let (a, b, expected) = fixture(dir.path());
    let path = dir.path().join("phuong.xlsx");
    let out = kdc(dir.path(), &["report", "--format", "xlsx", "-o", s(&path), s(&a), s(&b)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let script = r#"
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
out = []
for ws in wb.worksheets:
    ps = ws.page_setup
    out.append({
        "sheet": ws.title,
        "orientation": ps.orientation,
        "paper": ps.paperSize,
        "fit_to_page": bool(ws.sheet_properties.pageSetUpPr and ws.sheet_properties.pageSetUpPr.fitToPage),
        "fit_width": ps.fitToWidth,
        "fit_height": ps.fitToHeight,
        "title_rows": ws.print_title_rows,
        "print_area": ws.print_area,
        "max_row": ws.max_row,
        "max_col": ws.max_column,
        "widths": {k: v.width for k, v in ws.column_dimensions.items() if v.width},
    })
print(json.dumps(out))
"#;
    let run = Command::new(&python).args(["-c", script]).arg(&path).output().unwrap();
    assert!(run.status.success(), "openpyxl: {}", String::from_utf8_lossy(&run.stderr));
    let sheets: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let sheets = sheets.as_array().unwrap();
    assert_eq!(sheets.len(), 1 + expected.len());
    let header = kdc_ward::report::SUMMARY_HEADER_ROW + 1; // 1-based, as Excel counts
    for sh in sheets {
        assert_eq!(sh["orientation"], "landscape", "{sh}");
        assert_eq!(sh["paper"], 9, "A4: {sh}");
        assert_eq!(sh["fit_to_page"], true, "{sh}");
        // (An absent fitToWidth is Excel's default, 1.)
        assert!(sh["fit_width"].is_null() || sh["fit_width"] == 1, "one page wide: {sh}");
        assert_eq!(sh["fit_height"], 0, "as many pages down as needed: {sh}");
        assert_eq!(sh["title_rows"], format!("${}:${}", header - 1, header), "the two header rows repeat: {sh}");
        // The print area runs from A1 over every written cell (letterhead to signatures).
        let area = sh["print_area"][0].as_str().unwrap_or("");
        let last = area.rsplit('$').next().unwrap_or("0").parse::<u64>().unwrap_or(0);
        assert!(area.contains("$A$1:$"), "{sh}");
        assert!(last >= sh["max_row"].as_u64().unwrap(), "the print area covers every row: {sh}");
    }
    // Vietnamese labels fit their columns: the area names' column is at least as wide as the
    // longest name.
    let summary = &sheets[0];
    let longest = expected.iter().map(|s| s.name.chars().count()).max().unwrap() as f64;
    let width = summary["widths"]["B"].as_f64().unwrap();
    assert!(width >= longest, "column B ({width}) narrower than the longest area name ({longest})");
}

/// A district merges its wards' bundles: `kdc report` gives one row per ward (by the ward name
/// inside each area), with the areas beneath, and the XLSX has a sheet for it.
#[test]
fn a_district_report_rolls_the_areas_up_by_ward() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = 1_700_000_000_000;
    let area = |id: &str, ward: &str, full: bool| {
        let new = NewArea { id: id.into(), name: format!("Khu {id}"), ward: ward.into(), profile_toml: None };
        let mut a = Area::create(new, "peer-a", "máy A", t0).unwrap();
        let fields: &[(&str, &str)] = if full { FULL } else { &[("members", "2"), ("internet", "no")] };
        a.add_household(hh("H-1", "Tổ 1", fields), "peer-a", t0 + 1000).unwrap();
        a
    };
    let (x1, x2, y1) =
        (area("x-1", "Phường Xuân", true), area("x-2", "Phường Xuân", false), area("y-1", "Phường Yên", true));
    // Each ward's merged bundle, as the ward page or `kdc snapshot merge` writes it.
    let xb = dir.path().join("phuong-xuan.kdcsnap");
    let yb = dir.path().join("phuong-yen.kdcsnap");
    std::fs::write(&xb, snapshot::encode(&[&x1, &x2])).unwrap();
    std::fs::write(&yb, snapshot::encode(&[&y1])).unwrap();
    let out = kdc(dir.path(), &["report", "--format", "json", s(&xb), s(&yb)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let wards = json["wards"].as_array().unwrap();
    let names: Vec<&str> = wards.iter().map(|w| w["ward"].as_str().unwrap()).collect();
    assert_eq!(names, ["Phường Xuân", "Phường Yên"]);
    assert_eq!(wards[0]["areas"], 2);
    assert_eq!(wards[1]["areas"], 1);
    assert_eq!(wards[0]["households"], 2);
    // Per criterion, the ward's count of areas meeting it is the count over its areas' statuses.
    let statuses = [x1.status(), x2.status()];
    for c in wards[0]["criteria"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        let of = |s: &Status| s.criteria.iter().find(|x| x.id == id).cloned().unwrap();
        let met = statuses.iter().filter(|s| of(s).applicable && of(s).met).count();
        let applicable = statuses.iter().filter(|s| of(s).applicable).count();
        assert_eq!(
            (c["areas_met"].as_u64().unwrap(), c["areas_applicable"].as_u64().unwrap()),
            (met as u64, applicable as u64),
            "{id}"
        );
    }
    let certified = statuses.iter().filter(|s| s.certified).count() as u64;
    assert_eq!(wards[0]["certified_areas"], certified);

    let path = dir.path().join("quan.xlsx");
    let out = kdc(dir.path(), &["report", "--format", "xlsx", "-o", s(&path), s(&xb), s(&yb)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(wb.sheet_names(), ["Tổng hợp", "Theo phường", "x-1", "x-2", "y-1"]);
    let range = wb.worksheet_range("Theo phường").unwrap();
    let first = kdc_ward::report::SUMMARY_HEADER_ROW + 1;
    assert_eq!(cell(&range, first, 1).to_string(), "Phường Xuân");
    assert_eq!(cell(&range, first, 2), Data::Float(2.0));
    assert_eq!(cell(&range, first + 1, 1).to_string(), "Phường Yên");
    // Several wards: the issuing body is left to the ward (or district) to set.
    assert_eq!(cell(&range, 0, 0).to_string(), "UBND");
}

#[test]
fn declined_households_stand_beside_the_figures_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = 1_700_000_000_000;
    let new = NewArea {
        id: "tu-choi".into(),
        name: "Khu Từ Chối".into(),
        ward: "Phường Hạc Thành".into(),
        profile_toml: None,
    };
    let mut a = Area::create(new, "peer-a", "máy A", t0).unwrap();
    a.add_household(hh("T1-001", "Tổ 1", FULL), "peer-a", t0 + 1).unwrap();
    let refusal = crdt_model::consent::ConsentChange::decision(crdt_model::consent::ConsentState::Refused);
    a.record_consent("T1-002", refusal, "peer-a", t0 + 2).unwrap();
    let file = dir.path().join("a.kdcsnap");
    std::fs::write(&file, snapshot::encode(&[&a])).unwrap();

    let out = kdc(dir.path(), &["--json", "report", s(&file)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((json["areas"][0]["households"].as_u64(), json["areas"][0]["declined"].as_u64()), (Some(1), Some(1)));
    let out = kdc(dir.path(), &["--lang", "vi", "report", s(&file)]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(text.contains("1 hộ từ chối khảo sát (50,00%)"), "{text}");

    let path = dir.path().join("r.xlsx");
    let out = kdc(dir.path(), &["--lang", "vi", "report", "--format", "xlsx", "-o", s(&path), s(&file)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    let summary = wb.worksheet_range("Tổng hợp").unwrap();
    let header = kdc_ward::report::SUMMARY_HEADER_ROW;
    let col = (0..80)
        .find(|&c| cell(&summary, header - 1, c).to_string().starts_with("Hộ từ chối khảo sát"))
        .expect("a declined column on the summary sheet");
    assert_eq!(cell(&summary, header + 1, col), Data::Float(1.0));
    let sheet = wb.worksheet_range("tu-choi").unwrap();
    let noted = (0..40).any(|r| cell(&sheet, r, 0).to_string().starts_with("1 hộ từ chối khảo sát (50,00%)"));
    assert!(noted, "the area's sheet names the declined household beside its figures");
}

/// `kdc report` remembers in the data directory which documents passed the door
/// (`door-passed`, one key per area document); the next run reads the same files to the same
/// report; a memory that does not read is rebuilt; a bad file is refused whatever is remembered;
/// without a data directory nothing is written.
#[test]
fn reports_remember_the_files_that_passed_the_door() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, _) = fixture(dir.path());
    let data = dir.path().join("data");
    let with_data = |args: &[&str]| kdc_in(dir.path(), &data, args);
    let memory = data.join("door-passed");
    let first = kdc(dir.path(), &["report", "--format", "json", s(&a), s(&b)]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(!dir.path().join("no-daemon").exists(), "a data directory was made by a report");

    std::fs::create_dir(&data).unwrap();
    let remembered = with_data(&["report", "--format", "json", s(&a), s(&b)]);
    assert_eq!(remembered.code, 0, "{}", remembered.stderr);
    assert_eq!(remembered.stdout, first.stdout);
    // Magic, salt, and the two copies of tam-giac-3 (in both files, loaded and merged every
    // time). dong-tho-1, which only a.kdcsnap carries, was evaluated from its bytes without
    // loading it: not remembered as passed (it was never loaded), but its figures are kept.
    assert_eq!(std::fs::metadata(&memory).unwrap().len(), 8 + 32 + 2 * 32);
    let figures = data.join("report-figures");
    assert!(std::fs::metadata(&figures).unwrap().len() > 40);
    let again = with_data(&["report", "--format", "json", s(&a), s(&b)]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.stdout, first.stdout, "a remembered file read differently");
    // Figures that do not read are forgotten, not believed.
    let mut broken = std::fs::read(&figures).unwrap();
    broken.truncate(broken.len() - 3);
    std::fs::write(&figures, &broken).unwrap();
    let rebuilt = with_data(&["report", "--format", "json", s(&a), s(&b)]);
    assert_eq!(rebuilt.stdout, first.stdout);

    std::fs::write(&memory, b"garbage").unwrap();
    let rebuilt = with_data(&["report", "--format", "json", s(&a), s(&b)]);
    assert_eq!(rebuilt.stdout, first.stdout);
    // The two copies of tam-giac-3 passed the door again; dong-tho-1's figures were read
    // without loading it.
    assert_eq!(std::fs::metadata(&memory).unwrap().len(), 8 + 32 + 2 * 32);

    // A file with a bad change: refused (exit 2, naming it) with the others remembered.
    let b_doc = snapshot::decode(&std::fs::read(&b).unwrap()).unwrap().areas.remove(0).doc;
    let mut doc = automerge::Automerge::load(&b_doc).unwrap().with_actor(automerge::ActorId::from(&b"peer-b"[..]));
    let mut tx = doc.transaction();
    automerge::transaction::Transactable::put(&mut tx, automerge::ROOT, "h/T2-001/members", 999u64).unwrap();
    tx.commit();
    let bad = dir.path().join("bad.kdcsnap");
    std::fs::write(&bad, snapshot::encode(&[&Area::load(&doc.save(), "x").unwrap()])).unwrap();
    let refused = with_data(&["report", "--format", "json", s(&a), s(&bad)]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("bad.kdcsnap"), "{}", refused.stderr);
    // Alone, the bad file's area is evaluated from its bytes: refused all the same, in the
    // door's words, with or without a memory.
    for out in [with_data(&["report", "--format", "json", s(&bad)]), kdc(dir.path(), &["report", s(&bad)])] {
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(out.stderr.contains("bad.kdcsnap") && out.stderr.contains("999"), "{}", out.stderr);
    }
}
