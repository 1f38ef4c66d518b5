//! Every human-readable text of `kdc`, in Vietnamese and English, one function per message.
//!
//! Labels of fields and criteria come from the criteria profile (they are data); everything
//! else the CLI says is here, so a translation fix is one place.

use std::path::Path;

use crdt_model::Lang;

fn pick<'a>(lang: Lang, vi: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

/// Prefix of an error line on stderr.
pub fn error_prefix(lang: Lang) -> &'static str {
    pick(lang, "lỗi: ", "kdc: ")
}

// ---- daemon and files -------------------------------------------------------------------

pub fn daemon_not_running(lang: Lang, data_dir: &Path) -> String {
    let dir = data_dir.display();
    match lang {
        Lang::Vi => format!("kdcd chưa chạy cho thư mục dữ liệu {dir}; hãy khởi động bằng: kdcd --data-dir {dir}"),
        Lang::En => format!("the daemon is not running for data directory {dir}; start it with: kdcd --data-dir {dir}"),
    }
}

/// The daemon could not save (API error kind `storage`). `reason`: `disk_full`, `read_only`
/// or `io_error`; `message` is the daemon's own (English) text, which names the directory.
pub fn storage_failed(lang: Lang, reason: Option<&str>, message: &str) -> String {
    match lang {
        Lang::En => message.to_string(),
        Lang::Vi => {
            let what = match reason {
                Some("disk_full") => {
                    "ổ đĩa chứa thư mục dữ liệu đã đầy, thay đổi chưa được lưu. Hãy giải phóng dung lượng \
                     trên ổ đĩa đó; kdcd sẽ lưu được ngay khi có chỗ trống, không cần khởi động lại"
                }
                Some("read_only") => {
                    "thư mục dữ liệu đang ở chế độ chỉ đọc, thay đổi chưa được lưu. Hãy cho phép ghi lại \
                     (gắn lại ổ đĩa ở chế độ đọc-ghi, hoặc sửa ổ đĩa nếu hệ thống đã chuyển sang chỉ đọc \
                     vì lỗi đĩa)"
                }
                _ => "không ghi được vào thư mục dữ liệu, thay đổi chưa được lưu; kdcd sẽ thử lại ở lần ghi sau",
            };
            format!("{what} ({message})")
        }
    }
}

pub fn no_data_dir(lang: Lang) -> String {
    pick(
        lang,
        "không xác định được thư mục dữ liệu; hãy dùng --data-dir DIR",
        "cannot determine the data directory; use --data-dir DIR",
    )
    .to_string()
}

pub fn cannot_read(lang: Lang, path: &Path) -> String {
    match lang {
        Lang::Vi => format!("không đọc được {}", path.display()),
        Lang::En => format!("cannot read {}", path.display()),
    }
}

pub fn cannot_write(lang: Lang, path: &Path) -> String {
    match lang {
        Lang::Vi => format!("không ghi được {}", path.display()),
        Lang::En => format!("cannot write {}", path.display()),
    }
}

pub fn invalid_snapshot(lang: Lang, path: &Path, reason: &str) -> String {
    match lang {
        Lang::Vi => format!("{} không phải tệp snapshot hợp lệ: {reason}", path.display()),
        Lang::En => format!("{} is not a valid snapshot: {reason}", path.display()),
    }
}

pub fn different_areas_same_id(lang: Lang, id: &str, first: &str, second: &str) -> String {
    match lang {
        Lang::Vi => format!(
            "khu dân cư {id:?} trong {first} và trong {second} là hai khu khác nhau (được tạo riêng) dù cùng mã; không gộp được"
        ),
        Lang::En => format!(
            "area {id:?} in {first} and in {second} are two different areas (created separately) that share an id; cannot merge them"
        ),
    }
}

pub fn snapshot_merged(lang: Lang, inputs: usize, path: &Path, areas: usize) -> String {
    match lang {
        Lang::Vi => format!("Đã gộp {inputs} tệp vào {}: {areas} khu dân cư", path.display()),
        Lang::En => format!("Merged {inputs} file(s) into {}: {areas} area(s)", path.display()),
    }
}

pub fn xlsx_needs_output(lang: Lang) -> String {
    match lang {
        Lang::Vi => "định dạng xlsx cần tệp đầu ra: thêm -o TỆP.xlsx".into(),
        Lang::En => "the xlsx format needs an output file: add -o FILE.xlsx".into(),
    }
}

pub fn report_written(lang: Lang, path: &Path, areas: usize, certified: u64) -> String {
    match lang {
        Lang::Vi => format!("Đã ghi báo cáo {}: {areas} khu dân cư, {certified} khu đạt chuẩn", path.display()),
        Lang::En => format!("Wrote report {}: {areas} area(s), {certified} certified", path.display()),
    }
}

pub fn daemon_sent_bad_snapshot(lang: Lang, area: &str, reason: &str) -> String {
    match lang {
        Lang::Vi => format!("kdcd trả về snapshot hỏng cho khu {area}: {reason}; không ghi tệp"),
        Lang::En => format!("the daemon returned an invalid snapshot of area {area}: {reason}; nothing written"),
    }
}

// ---- confirmations of writes ------------------------------------------------------------

pub fn area_created(lang: Lang, id: &str, name: &str, ward: &str) -> String {
    match lang {
        Lang::Vi => format!("Đã tạo khu {id} ({name}, {ward})"),
        Lang::En => format!("Created area {id} ({name}, {ward})"),
    }
}

pub fn household_added(lang: Lang, area: &str, hh: &str) -> String {
    match lang {
        Lang::Vi => format!("Đã thêm hộ {hh} vào khu {area}"),
        Lang::En => format!("Added household {hh} to area {area}"),
    }
}

pub fn household_updated(lang: Lang, area: &str, hh: &str) -> String {
    match lang {
        Lang::Vi => format!("Đã cập nhật hộ {hh} của khu {area}"),
        Lang::En => format!("Updated household {hh} of area {area}"),
    }
}

pub fn household_archived(lang: Lang, area: &str, hh: &str) -> String {
    match lang {
        Lang::Vi => format!("Đã lưu trữ hộ {hh} của khu {area}: hộ không còn được tính vào số liệu"),
        Lang::En => format!("Archived household {hh} of area {area}: it no longer counts in any figure"),
    }
}

pub fn consent_recorded(lang: Lang, area: &str, hh: &str, state: &str) -> String {
    match (lang, state) {
        (Lang::Vi, "given") => format!("Đã ghi nhận hộ {hh} của khu {area} đồng ý cung cấp thông tin"),
        (Lang::Vi, "refused") => {
            format!("Đã ghi nhận hộ {hh} của khu {area} từ chối: chỉ giữ mã hộ, không ghi thông tin nào khác")
        }
        (Lang::Vi, _) => format!("Đã ghi nhận hộ {hh} của khu {area} rút lại đồng ý: các câu trả lời của hộ đã bị xóa"),
        (Lang::En, "given") => format!("Recorded the consent of household {hh} of area {area}"),
        (Lang::En, "refused") => {
            format!("Recorded that household {hh} of area {area} declined: only its house code is kept")
        }
        (Lang::En, _) => {
            format!("Recorded that household {hh} of area {area} withdrew consent: its answers are deleted")
        }
    }
}

/// The consent line of `kdc household show`.
pub fn consent_line(lang: Lang, c: &crdt_model::consent::ConsentView) -> String {
    let how = match (lang, c.method.as_deref()) {
        (Lang::Vi, Some("written")) => " (bằng văn bản)",
        (Lang::Vi, Some("verbal")) => " (bằng lời)",
        (Lang::En, Some("written")) => " (written)",
        (Lang::En, Some("verbal")) => " (verbal)",
        _ => "",
    };
    let state = match (lang, c.state.as_str()) {
        (Lang::Vi, "given") => "đã đồng ý",
        (Lang::Vi, "refused") => "từ chối",
        (Lang::Vi, "withdrawn") => "đã rút lại đồng ý",
        (Lang::Vi, _) => "chưa ghi nhận",
        (Lang::En, "given") => "given",
        (Lang::En, "refused") => "refused",
        (Lang::En, "withdrawn") => "withdrawn",
        (Lang::En, _) => "not recorded",
    };
    let label = match lang {
        Lang::Vi => "Đồng ý",
        Lang::En => "Consent",
    };
    let at = c.at.as_deref().map(|t| format!(", {t}")).unwrap_or_default();
    format!("{label}: {state}{how}{at}")
}

/// How an exported file is protected.
pub fn snapshot_encryption(lang: Lang, ward_keys: usize) -> String {
    match (lang, ward_keys) {
        (Lang::Vi, 0) => {
            "Tệp không mã hóa: khu chưa có khóa của phường (kdc member add … --role ward --recipient)\n".into()
        }
        (Lang::Vi, n) => format!("Đã mã hóa: chỉ {n} khóa của phường và máy này mở được tệp\n"),
        (Lang::En, 0) => {
            "Not encrypted: the area has no ward key yet (kdc member add … --role ward --recipient)\n".into()
        }
        (Lang::En, n) => format!("Encrypted: only the ward's {n} key(s) and this device can open the file\n"),
    }
}

pub fn ward_key_made(lang: Lang, path: &Path, recipient: &str) -> String {
    match lang {
        Lang::Vi => format!(
            "Đã tạo khóa của phường: {} (giữ bí mật, cất một bản sao an toàn)\nKhóa công khai (đưa cho các khu): {recipient}\n",
            path.display()
        ),
        Lang::En => format!(
            "Made the ward's key: {} (keep it secret, and a copy somewhere safe)\nPublic recipient (give it to the areas): {recipient}\n",
            path.display()
        ),
    }
}

/// Why an encrypted snapshot file could not be opened.
pub fn seal_error(lang: Lang, e: &kdc_ward::seal::SealError) -> String {
    use kdc_ward::seal::SealError;
    match (lang, e) {
        (Lang::Vi, SealError::NoIdentity) => "tệp đã được mã hóa cho UBND phường; không khóa nào đã cho mở được tệp \
             (đưa khóa của phường bằng --identity TỆP)"
            .into(),
        (Lang::Vi, SealError::Damaged(d)) => format!("tệp mã hóa bị hỏng ({d})"),
        _ => e.to_string(),
    }
}

pub fn snapshot_exported(lang: Lang, area: &str, path: &Path, bytes: usize) -> String {
    match lang {
        Lang::Vi => format!("Đã xuất khu {area} ra {} ({bytes} byte)", path.display()),
        Lang::En => format!("Exported area {area} to {} ({bytes} bytes)", path.display()),
    }
}

pub fn snapshot_imported_area(lang: Lang, id: &str, created: bool, households: u64) -> String {
    match (lang, created) {
        (Lang::Vi, true) => format!("Đã tạo khu {id} từ snapshot ({households} hộ)"),
        (Lang::Vi, false) => format!("Đã gộp snapshot vào khu {id} ({households} hộ)"),
        (Lang::En, true) => format!("Created area {id} from the snapshot ({households} households)"),
        (Lang::En, false) => format!("Merged the snapshot into area {id} ({households} households)"),
    }
}

pub fn member_added(lang: Lang, area: &str, name: &str, peer: &str, role: &str) -> String {
    let role = self::role(lang, role);
    match lang {
        Lang::Vi => format!("Đã ghi {name} ({peer}) vào danh sách thành viên khu {area}, vai trò: {role}"),
        Lang::En => format!("{name} ({peer}) is on the roster of area {area} as {role}"),
    }
}

pub fn member_removed(lang: Lang, area: &str, name: &str, peer: &str) -> String {
    match lang {
        Lang::Vi => format!(
            "Đã gỡ {name} ({peer}) khỏi khu {area}: thiết bị này không còn được đồng bộ; dữ liệu đã ghi trước đó vẫn giữ nguyên"
        ),
        Lang::En => format!(
            "Removed {name} ({peer}) from area {area}: it no longer syncs with anyone; what it recorded before stays"
        ),
    }
}

// ---- invites, joining, peers ----------------------------------------------------------------

pub fn invite_header(lang: Lang, area: &str, expires_at: &str) -> String {
    match lang {
        Lang::Vi => format!("Mã mời vào khu {area} (dùng một lần, hết hạn lúc {expires_at}):"),
        Lang::En => format!("Invitation to area {area} (one use, expires {expires_at}):"),
    }
}

pub fn invite_hint(lang: Lang) -> &'static str {
    pick(
        lang,
        "Trên thiết bị mới (cùng mạng Wi-Fi), quét mã QR hoặc chạy: kdc join MÃ_MỜI",
        "On the new device (on the same network), scan the QR code or run: kdc join TOKEN",
    )
}

pub fn joined(lang: Lang, area: &str) -> String {
    match lang {
        Lang::Vi => format!("Đã tham gia khu {area}; dữ liệu của khu đã có trên thiết bị này"),
        Lang::En => format!("Joined area {area}; its records are on this device now"),
    }
}

pub fn peer_dialling(lang: Lang, addr: &str) -> String {
    match lang {
        Lang::Vi => format!("Đang kết nối tới {addr}; sẽ tự kết nối lại khi mất kết nối"),
        Lang::En => format!("Dialling {addr}; it will be redialled whenever the connection drops"),
    }
}

pub fn no_peers(lang: Lang) -> &'static str {
    pick(
        lang,
        "Chưa thấy thiết bị nào. Thiết bị cùng mạng Wi-Fi sẽ tự xuất hiện; hoặc: kdc peer add MULTIADDR",
        "No peers yet. Devices on the same network appear by themselves; or: kdc peer add MULTIADDR",
    )
}

pub fn col_connected(lang: Lang) -> &'static str {
    pick(lang, "Đang kết nối", "Connected")
}

pub fn col_last_seen(lang: Lang) -> &'static str {
    pick(lang, "Thấy lần cuối", "Last seen")
}

pub fn col_in_sync(lang: Lang) -> &'static str {
    pick(lang, "Khu đã đồng bộ", "Areas in sync")
}

/// After a first relay: the members whose release cannot read the area any more.
pub fn relay_leaves_behind(lang: Lang, since: &semver::Version, members: &[(String, String)]) -> String {
    let list: Vec<String> = members.iter().map(|(name, v)| format!("{name} ({v})")).collect();
    match lang {
        Lang::Vi => format!(
            "Lưu ý: các máy sau không nhận được thay đổi của khu cho đến khi cập nhật lên bản {since}: {}",
            list.join(", ")
        ),
        Lang::En => format!(
            "Note: these devices receive none of the area's changes until they update to {since}: {}",
            list.join(", ")
        ),
    }
}

pub fn col_version(lang: Lang) -> &'static str {
    pick(lang, "Phiên bản", "Release")
}

pub fn col_addresses(lang: Lang) -> &'static str {
    pick(lang, "Địa chỉ", "Addresses")
}

// ---- labels -----------------------------------------------------------------------------

pub fn met(lang: Lang) -> &'static str {
    pick(lang, "Đạt", "met")
}

pub fn not_met(lang: Lang) -> &'static str {
    pick(lang, "Chưa đạt", "not met")
}

/// A criterion that does not apply (denominator 0), or a value that is not there.
pub fn not_applicable(lang: Lang) -> &'static str {
    pick(lang, "—", "n/a")
}

pub fn yes(lang: Lang) -> &'static str {
    pick(lang, "có", "yes")
}

pub fn no(lang: Lang) -> &'static str {
    pick(lang, "không", "no")
}

pub fn unknown_answer(lang: Lang) -> &'static str {
    pick(lang, "chưa rõ", "unknown")
}

pub fn not_recorded(lang: Lang) -> &'static str {
    pick(lang, "chưa ghi", "not recorded")
}

pub fn encouraged(lang: Lang) -> &'static str {
    pick(lang, "khuyến khích", "encouraged")
}

pub fn col_area(lang: Lang) -> &'static str {
    pick(lang, "Khu", "Area")
}

pub fn col_name(lang: Lang) -> &'static str {
    pick(lang, "Tên", "Name")
}

pub fn col_ward(lang: Lang) -> &'static str {
    pick(lang, "Phường/xã", "Ward")
}

pub fn col_households(lang: Lang) -> &'static str {
    pick(lang, "Số hộ", "Households")
}

pub fn col_criterion(lang: Lang) -> &'static str {
    pick(lang, "Tiêu chí", "Criterion")
}

pub fn col_result(lang: Lang) -> &'static str {
    pick(lang, "Kết quả", "Count")
}

pub fn col_percent(lang: Lang) -> &'static str {
    pick(lang, "Tỷ lệ", "Percent")
}

pub fn col_threshold(lang: Lang) -> &'static str {
    pick(lang, "Ngưỡng", "Threshold")
}

pub fn col_met(lang: Lang) -> &'static str {
    pick(lang, "Đánh giá", "Result")
}

pub fn col_unknown(lang: Lang) -> &'static str {
    pick(lang, "Chưa rõ", "Unknown")
}

pub fn col_group(lang: Lang) -> &'static str {
    pick(lang, "Tổ", "Group")
}

pub fn col_house(lang: Lang) -> &'static str {
    pick(lang, "Mã hộ", "House")
}

pub fn col_address(lang: Lang) -> &'static str {
    pick(lang, "Địa chỉ", "Address")
}

pub fn col_missing(lang: Lang) -> &'static str {
    pick(lang, "Chưa đạt", "Missing")
}

pub fn col_field(lang: Lang) -> &'static str {
    pick(lang, "Trường", "Field")
}

pub fn col_value(lang: Lang) -> &'static str {
    pick(lang, "Giá trị", "Value")
}

pub fn col_winner(lang: Lang) -> &'static str {
    pick(lang, "Giá trị đang dùng", "Winner")
}

pub fn col_values(lang: Lang) -> &'static str {
    pick(lang, "Các giá trị (thiết bị)", "Values (device)")
}

pub fn col_peer_id(lang: Lang) -> &'static str {
    pick(lang, "Peer ID", "Peer ID")
}

pub fn col_role(lang: Lang) -> &'static str {
    pick(lang, "Vai trò", "Role")
}

pub fn col_added(lang: Lang) -> &'static str {
    pick(lang, "Thêm lúc", "Added at")
}

pub fn col_state(lang: Lang) -> &'static str {
    pick(lang, "Trạng thái", "State")
}

pub fn active(lang: Lang) -> &'static str {
    pick(lang, "hoạt động", "active")
}

pub fn removed(lang: Lang) -> &'static str {
    pick(lang, "đã gỡ", "removed")
}

pub fn archived_mark(lang: Lang) -> &'static str {
    pick(lang, "đã lưu trữ", "archived")
}

pub fn role(lang: Lang, role: &str) -> String {
    crdt_model::text::role(lang, role).to_string()
}

// ---- id -----------------------------------------------------------------------------------

pub fn peer_id_line(lang: Lang, peer_id: &str) -> String {
    format!("{}: {peer_id}", pick(lang, "Peer ID", "Peer ID"))
}

pub fn device_name_line(lang: Lang, name: &str) -> String {
    format!("{}: {name}", pick(lang, "Tên thiết bị", "Device name"))
}

pub fn listen_header(lang: Lang) -> &'static str {
    pick(lang, "Địa chỉ lắng nghe:", "Listening on:")
}

pub fn none_yet(lang: Lang) -> &'static str {
    pick(lang, "(chưa có)", "(none yet)")
}

// ---- area list ------------------------------------------------------------------------------

pub fn no_areas(lang: Lang) -> &'static str {
    pick(
        lang,
        "Chưa có khu nào trên thiết bị này. Tạo khu: kdc area create AREA --name TÊN --ward PHƯỜNG",
        "No area on this device yet. Create one: kdc area create AREA --name NAME --ward WARD",
    )
}

// ---- status ---------------------------------------------------------------------------------

/// The area's own name says what it is ("Khu dân cư …", "Tổ dân phố …"): no prefix.
pub fn status_header(name: &str, id: &str) -> String {
    format!("{name} ({id})")
}

pub fn ward_line(lang: Lang, ward: &str) -> String {
    format!("{}: {ward}", pick(lang, "Phường/xã", "Ward"))
}

pub fn profile_line(lang: Lang, profile: &str) -> String {
    format!("{}: {profile}", pick(lang, "Bộ tiêu chí", "Criteria profile"))
}

/// A criterion with nothing recorded yet.
pub fn no_data(lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => "chưa có dữ liệu",
        Lang::En => "no data yet",
    }
}

/// " · 2 tiêu chí chưa có dữ liệu", after the required-criteria line.
pub fn no_data_line(lang: Lang, n: usize) -> String {
    match lang {
        Lang::Vi => format!(" · {n} tiêu chí chưa có dữ liệu"),
        Lang::En if n == 1 => " · 1 criterion has no data yet".into(),
        Lang::En => format!(" · {n} criteria have no data yet"),
    }
}

pub fn households_line(lang: Lang, households: u64) -> String {
    match lang {
        Lang::Vi => format!("Số hộ đang theo dõi: {households}"),
        Lang::En => format!("Active households: {households}"),
    }
}

/// "Đạt 7/8 tiêu chí bắt buộc" / "7 of 8 required criteria met".
pub fn required_met_line(lang: Lang, met: u64, total: u64) -> String {
    match lang {
        Lang::Vi => format!("Đạt {met}/{total} tiêu chí bắt buộc"),
        Lang::En => format!("{met} of {total} required criteria met"),
    }
}

pub fn certified_line(lang: Lang, certified: bool) -> String {
    match (lang, certified) {
        (Lang::Vi, true) => "Đủ điều kiện công nhận khu dân cư công nghệ số: có".into(),
        (Lang::Vi, false) => "Đủ điều kiện công nhận khu dân cư công nghệ số: chưa".into(),
        (Lang::En, true) => "Certified as a digital residential area: yes".into(),
        (Lang::En, false) => "Certified as a digital residential area: no".into(),
    }
}

pub fn incomplete_line(lang: Lang, incomplete: u64) -> String {
    match lang {
        Lang::Vi => format!("Còn {incomplete} hộ chưa ghi số nhân khẩu từ 14 tuổi (members_14plus)"),
        Lang::En if incomplete == 1 => "1 household still lacks members_14plus".into(),
        Lang::En => format!("{incomplete} households still lack members_14plus"),
    }
}

pub fn groups_header(lang: Lang) -> &'static str {
    pick(lang, "Theo tổ dân phố:", "By residential group:")
}

pub fn no_group(lang: Lang) -> &'static str {
    pick(lang, "(không có tổ)", "(no group)")
}

pub fn col_required_met(lang: Lang) -> &'static str {
    pick(lang, "Tiêu chí bắt buộc đạt", "Required met")
}

pub fn col_incomplete(lang: Lang) -> &'static str {
    pick(lang, "Hộ thiếu members_14plus", "Lacking members_14plus")
}

// ---- household ------------------------------------------------------------------------------

pub fn household_header(lang: Lang, hh: &str, area: &str) -> String {
    match lang {
        Lang::Vi => format!("Hộ {hh} — khu {area}"),
        Lang::En => format!("Household {hh} — area {area}"),
    }
}

pub fn group_line(lang: Lang, group: &str) -> String {
    format!("{}: {group}", pick(lang, "Tổ", "Group"))
}

pub fn address_line(lang: Lang, address: &str) -> String {
    format!("{}: {address}", pick(lang, "Địa chỉ", "Address"))
}

pub fn archived_line(lang: Lang) -> &'static str {
    pick(lang, "Trạng thái: đã lưu trữ (không tính vào số liệu)", "State: archived (counts in no figure)")
}

pub fn updated_line(lang: Lang, at: &str, by: &str) -> String {
    match lang {
        Lang::Vi => format!("Cập nhật lần cuối: {at} bởi {by}"),
        Lang::En => format!("Last updated: {at} by {by}"),
    }
}

pub fn no_households(lang: Lang) -> &'static str {
    pick(lang, "Không có hộ nào.", "No households.")
}

pub fn worklist_header(lang: Lang, count: usize, criterion: &str) -> String {
    match lang {
        Lang::Vi => format!("{count} hộ chưa đạt tiêu chí {criterion}"),
        Lang::En if count == 1 => format!("1 household does not meet {criterion} yet"),
        Lang::En => format!("{count} households do not meet {criterion} yet"),
    }
}

pub fn households_count(lang: Lang, count: usize) -> String {
    match lang {
        Lang::Vi => format!("{count} hộ"),
        Lang::En if count == 1 => "1 household".into(),
        Lang::En => format!("{count} households"),
    }
}

// ---- members and conflicts --------------------------------------------------------------------

pub fn relay_changed(lang: Lang, area: &str, verb: &str, addr: &str) -> String {
    match (lang, verb) {
        (Lang::Vi, "added") => {
            format!("Đã thêm máy chuyển tiếp {addr} vào khu {area}; các thành viên nhận được khi đồng bộ")
        }
        (Lang::Vi, _) => format!("Đã bỏ máy chuyển tiếp {addr} khỏi khu {area}"),
        (Lang::En, "added") => format!("Added relay {addr} to area {area}; members learn it by sync"),
        (Lang::En, _) => format!("Removed relay {addr} from area {area}"),
    }
}

pub fn via_relay(lang: Lang) -> &'static str {
    pick(lang, "qua máy chuyển tiếp", "through a relay")
}

pub fn no_relays(lang: Lang) -> &'static str {
    pick(
        lang,
        "Khu chưa có máy chuyển tiếp: chỉ đồng bộ được trong cùng mạng Wi-Fi hoặc qua địa chỉ đã nhập.",
        "The area has no relay: devices sync only on a shared network or at addresses typed in.",
    )
}

pub fn relay_state(lang: Lang, reachable: Option<bool>, reserved: bool) -> &'static str {
    match (reserved, reachable) {
        (true, _) => pick(lang, "✓ kết nối được, đang giữ chỗ", "✓ reachable, reservation held"),
        (false, Some(true)) => pick(lang, "✓ kết nối được", "✓ reachable"),
        (false, Some(false)) => pick(lang, "✗ không kết nối được", "✗ not reachable"),
        (false, None) => pick(lang, "… chưa thử", "… not tried yet"),
    }
}

pub fn col_relay(lang: Lang) -> &'static str {
    pick(lang, "Máy chuyển tiếp", "Relay")
}

pub fn no_members(lang: Lang) -> &'static str {
    pick(lang, "Chưa có thành viên.", "No members.")
}

pub fn no_conflicts(lang: Lang) -> &'static str {
    pick(lang, "Không có xung đột.", "No conflicts.")
}

pub fn conflicts_hint(lang: Lang) -> &'static str {
    pick(
        lang,
        "Ghi lại giá trị đúng bằng `kdc household set AREA HH FIELD=VALUE` để giải quyết xung đột.",
        "Record the right value with `kdc household set AREA HH FIELD=VALUE` to resolve a conflict.",
    )
}

// ---- snapshot verify ------------------------------------------------------------------------

pub fn verify_ok(lang: Lang, path: &Path) -> String {
    match lang {
        Lang::Vi => format!("{}: snapshot hợp lệ", path.display()),
        Lang::En => format!("{}: valid snapshot", path.display()),
    }
}

pub fn format_version_line(lang: Lang, version: u16) -> String {
    format!("{}: {version}", pick(lang, "Phiên bản định dạng", "Format version"))
}

pub fn checksum_line(lang: Lang, checksum: &str) -> String {
    match lang {
        Lang::Vi => format!("Mã kiểm tra SHA-256: khớp ({checksum})"),
        Lang::En => format!("SHA-256 checksum: ok ({checksum})"),
    }
}

pub fn col_archived(lang: Lang) -> &'static str {
    pick(lang, "Đã lưu trữ", "Archived")
}

pub fn col_members(lang: Lang) -> &'static str {
    pick(lang, "Thiết bị", "Members")
}

pub fn col_last_change(lang: Lang) -> &'static str {
    pick(lang, "Thay đổi cuối", "Last change")
}

pub fn col_profile(lang: Lang) -> &'static str {
    pick(lang, "Bộ tiêu chí", "Profile")
}

pub fn col_member(lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => "Thành viên",
        Lang::En => "Member",
    }
}

pub fn col_last_sync(lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => "Đồng bộ lần cuối với máy này",
        Lang::En => "Last synced with this device",
    }
}

pub fn never_synced(lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => "chưa đồng bộ",
        Lang::En => "not yet",
    }
}

// ---- history --------------------------------------------------------------------------------

/// A calendar day as each language writes it: `15/08/2026` or `2026-08-15`.
pub fn date(lang: Lang, date: chrono::NaiveDate) -> String {
    date.format(pick(lang, "%d/%m/%Y", "%Y-%m-%d")).to_string()
}

pub fn status_at_line(lang: Lang, day: &str) -> String {
    match lang {
        Lang::Vi => format!("Tình trạng vào cuối ngày {day}"),
        Lang::En => format!("Status at the end of {day}"),
    }
}

pub fn area_not_yet(lang: Lang, area: &str, day: &str) -> String {
    match lang {
        Lang::Vi => format!("khu {area} chưa có vào cuối ngày {day}"),
        Lang::En => format!("area {area} did not exist yet at the end of {day}"),
    }
}

pub fn area_not_in_file(lang: Lang, area: &str, path: &Path, present: &str) -> String {
    match lang {
        Lang::Vi => format!("không có khu {area} trong {}; tệp có: {present}", path.display()),
        Lang::En => format!("area {area} is not in {}; the file holds: {present}", path.display()),
    }
}

pub fn history_header(lang: Lang, name: &str, id: &str) -> String {
    match lang {
        Lang::Vi => format!("Tiến độ theo ngày — {name} ({id})"),
        Lang::En => format!("Progress by day — {name} ({id})"),
    }
}

pub fn household_history_header(lang: Lang, hh: &str, area: &str) -> String {
    match lang {
        Lang::Vi => format!("Lịch sử thay đổi của hộ {hh} — khu {area}"),
        Lang::En => format!("Changes of household {hh} — area {area}"),
    }
}

pub fn no_history(lang: Lang) -> &'static str {
    pick(lang, "Không có thay đổi nào trong khoảng ngày này.", "No changes in these days.")
}

pub fn since_after_until(lang: Lang) -> String {
    pick(lang, "--since: ngày bắt đầu phải trước hoặc bằng --until", "--since: must be on or before --until").into()
}

pub fn col_date(lang: Lang) -> &'static str {
    pick(lang, "Ngày", "Date")
}

pub fn col_changes(lang: Lang) -> &'static str {
    pick(lang, "Số thay đổi", "Changes")
}

pub fn col_certified(lang: Lang) -> &'static str {
    pick(lang, "Công nhận", "Certified")
}

pub fn col_not_met(lang: Lang) -> &'static str {
    pick(lang, "Tiêu chí bắt buộc chưa đạt", "Required criteria not met")
}

pub fn col_time(lang: Lang) -> &'static str {
    pick(lang, "Thời điểm", "When")
}

pub fn col_device(lang: Lang) -> &'static str {
    pick(lang, "Thiết bị (người ghi)", "Device (member)")
}

pub fn col_change(lang: Lang) -> &'static str {
    pick(lang, "Cũ → mới", "Old → new")
}

/// A copy left out of a merge or report: another file holds a later epoch of its area.
pub fn superseded_copy(lang: Lang, file: &str, area: &str, epoch: u64, by: u64) -> String {
    match lang {
        Lang::Vi => format!(
            "lưu ý: {file} giữ khu {area} ở kỳ dữ liệu {epoch}, đã thay bằng kỳ {by} (có hộ đã bị xóa theo yêu cầu): bỏ qua bản này"
        ),
        Lang::En => format!(
            "note: {file} holds area {area} at epoch {epoch}, superseded by epoch {by} (households were erased on request): left out"
        ),
    }
}
