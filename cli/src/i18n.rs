//! Every human-readable text of `kdc`, one typed function per message: the texts themselves are
//! in the catalogues of `kdc-text` (`daemon/kdc-text/locales/{vi,en}.ftl`, ids `cli-…`), shared
//! with the web app and the reports. Labels of fields and criteria come from the criteria
//! profile (they are data).

use std::path::Path;

use crdt_model::Lang;
use kdc_text::t;

/// Prefix of an error line on stderr.
pub fn error_prefix(lang: Lang) -> &'static str {
    t!(lang, "cli-error-prefix")
}

// ---- daemon and files -------------------------------------------------------------------

pub fn daemon_not_running(lang: Lang, data_dir: &Path) -> String {
    t!(lang, "cli-daemon-not-running", dir = data_dir.display().to_string())
}

/// The daemon could not save (API error kind `storage`). `reason`: `disk_full`, `read_only`
/// or `io_error`; `message` is the daemon's own (English) text, which names the directory.
pub fn storage_failed(lang: Lang, reason: Option<&str>, message: &str) -> String {
    match lang {
        // The daemon's own text names the directory and what to do, in English.
        Lang::En => message.to_string(),
        Lang::Vi => t!(lang, "cli-storage-failed", reason = reason.unwrap_or("io_error"), message = message),
    }
}

pub fn no_data_dir(lang: Lang) -> String {
    t!(lang, "cli-no-data-dir").into()
}

pub fn cannot_read(lang: Lang, path: &Path) -> String {
    t!(lang, "cli-cannot-read", path = path.display().to_string())
}

pub fn cannot_write(lang: Lang, path: &Path) -> String {
    t!(lang, "cli-cannot-write", path = path.display().to_string())
}

pub fn invalid_snapshot(lang: Lang, path: &Path, reason: &str) -> String {
    t!(lang, "cli-invalid-snapshot", path = path.display().to_string(), reason = reason)
}

pub fn different_areas_same_id(lang: Lang, id: &str, first: &str, second: &str) -> String {
    t!(lang, "cli-different-areas-same-id", id = id, first = first, second = second)
}

pub fn snapshot_merged(lang: Lang, inputs: usize, path: &Path, areas: usize) -> String {
    t!(lang, "cli-snapshot-merged", inputs = inputs, path = path.display().to_string(), areas = areas)
}

pub fn xlsx_needs_output(lang: Lang) -> String {
    t!(lang, "cli-xlsx-needs-output").into()
}

pub fn report_written(lang: Lang, path: &Path, areas: usize, certified: u64) -> String {
    t!(lang, "cli-report-written", path = path.display().to_string(), areas = areas, certified = certified)
}

pub fn daemon_sent_bad_snapshot(lang: Lang, area: &str, reason: &str) -> String {
    t!(lang, "cli-daemon-sent-bad-snapshot", area = area, reason = reason)
}

// ---- confirmations of writes ------------------------------------------------------------

pub fn area_created(lang: Lang, id: &str, name: &str, ward: &str) -> String {
    t!(lang, "cli-area-created", id = id, name = name, ward = ward)
}

pub fn household_added(lang: Lang, area: &str, hh: &str) -> String {
    t!(lang, "cli-household-added", hh = hh, area = area)
}

pub fn household_updated(lang: Lang, area: &str, hh: &str) -> String {
    t!(lang, "cli-household-updated", hh = hh, area = area)
}

pub fn household_archived(lang: Lang, area: &str, hh: &str) -> String {
    t!(lang, "cli-household-archived", hh = hh, area = area)
}

pub fn consent_recorded(lang: Lang, area: &str, hh: &str, state: &str) -> String {
    t!(lang, "cli-consent-recorded", area = area, hh = hh, state = state)
}

/// The consent line of `kdc household show`.
pub fn consent_line(lang: Lang, c: &crdt_model::consent::ConsentView) -> String {
    let at = c.at.as_deref().map(|t| format!(", {}", kdc_text::when(t))).unwrap_or_default();
    t!(lang, "cli-consent-line", state = c.state.as_str(), method = c.method.as_deref().unwrap_or("none"), at = at)
}

/// How an exported file is protected.
pub fn snapshot_encryption(lang: Lang, ward_keys: usize) -> String {
    format!("{}\n", t!(lang, "cli-snapshot-encryption", keys = ward_keys))
}

pub fn ward_key_made(lang: Lang, path: &Path, recipient: &str) -> String {
    format!("{}\n", t!(lang, "cli-ward-key-made", path = path.display().to_string(), recipient = recipient))
}

/// Why an encrypted snapshot file could not be opened.
pub fn seal_error(lang: Lang, e: &kdc_ward::seal::SealError) -> String {
    use kdc_ward::seal::SealError;
    match e {
        SealError::NoIdentity => t!(lang, "cli-seal-no-identity").into(),
        SealError::Damaged(d) => t!(lang, "cli-seal-damaged", detail = d.to_string()),
        _ => e.to_string(),
    }
}

pub fn snapshot_exported(lang: Lang, area: &str, path: &Path, bytes: usize) -> String {
    t!(lang, "cli-snapshot-exported", area = area, path = path.display().to_string(), bytes = bytes)
}

pub fn snapshot_imported_area(lang: Lang, id: &str, created: bool, households: u64) -> String {
    if created {
        t!(lang, "cli-snapshot-imported-new", id = id, count = households)
    } else {
        t!(lang, "cli-snapshot-imported-merged", id = id, count = households)
    }
}

pub fn member_added(lang: Lang, area: &str, name: &str, peer: &str, role: &str) -> String {
    t!(lang, "cli-member-added", area = area, name = name, peer = peer, role = kdc_text::role(lang, role))
}

pub fn member_removed(lang: Lang, area: &str, name: &str, peer: &str) -> String {
    t!(lang, "cli-member-removed", area = area, name = name, peer = peer)
}

// ---- invites, joining, peers ----------------------------------------------------------------

pub fn invite_header(lang: Lang, area: &str, expires_at: &str) -> String {
    t!(lang, "cli-invite-header", area = area, expires_at = expires_at)
}

pub fn invite_hint(lang: Lang) -> &'static str {
    t!(lang, "cli-invite-hint")
}

pub fn joined(lang: Lang, area: &str) -> String {
    t!(lang, "cli-joined", area = area)
}

pub fn peer_dialling(lang: Lang, addr: &str) -> String {
    t!(lang, "cli-peer-dialling", addr = addr)
}

pub fn no_peers(lang: Lang) -> &'static str {
    t!(lang, "cli-no-peers")
}

pub fn col_connected(lang: Lang) -> &'static str {
    t!(lang, "cli-col-connected")
}

pub fn col_last_seen(lang: Lang) -> &'static str {
    t!(lang, "cli-col-last-seen")
}

pub fn col_in_sync(lang: Lang) -> &'static str {
    t!(lang, "cli-col-in-sync")
}

/// After a first relay: the members whose release cannot read the area any more.
pub fn relay_leaves_behind(lang: Lang, since: &semver::Version, members: &[(String, String)]) -> String {
    let list: Vec<String> = members.iter().map(|(name, v)| format!("{name} ({v})")).collect();
    t!(lang, "cli-relay-leaves-behind", since = since.to_string(), devices = list.join(", "))
}

pub fn col_version(lang: Lang) -> &'static str {
    t!(lang, "cli-col-version")
}

pub fn col_addresses(lang: Lang) -> &'static str {
    t!(lang, "cli-col-addresses")
}

// ---- labels -----------------------------------------------------------------------------

pub fn met(lang: Lang) -> &'static str {
    t!(lang, "cli-met")
}

pub fn not_met(lang: Lang) -> &'static str {
    t!(lang, "cli-not-met")
}

/// A criterion that does not apply (denominator 0), or a value that is not there.
pub fn not_applicable(lang: Lang) -> &'static str {
    t!(lang, "cli-not-applicable")
}

pub fn yes(lang: Lang) -> &'static str {
    t!(lang, "cli-yes")
}

pub fn no(lang: Lang) -> &'static str {
    t!(lang, "cli-no")
}

pub fn unknown_answer(lang: Lang) -> &'static str {
    t!(lang, "cli-unknown-answer")
}

pub fn not_recorded(lang: Lang) -> &'static str {
    t!(lang, "cli-not-recorded")
}

pub fn encouraged(lang: Lang) -> &'static str {
    t!(lang, "cli-encouraged")
}

pub fn col_area(lang: Lang) -> &'static str {
    t!(lang, "cli-col-area")
}

pub fn col_name(lang: Lang) -> &'static str {
    t!(lang, "cli-col-name")
}

pub fn col_ward(lang: Lang) -> &'static str {
    t!(lang, "cli-col-ward")
}

pub fn col_households(lang: Lang) -> &'static str {
    t!(lang, "cli-col-households")
}

pub fn col_criterion(lang: Lang) -> &'static str {
    t!(lang, "cli-col-criterion")
}

pub fn col_result(lang: Lang) -> &'static str {
    t!(lang, "cli-col-result")
}

pub fn col_percent(lang: Lang) -> &'static str {
    t!(lang, "cli-col-percent")
}

pub fn col_threshold(lang: Lang) -> &'static str {
    t!(lang, "cli-col-threshold")
}

pub fn col_met(lang: Lang) -> &'static str {
    t!(lang, "cli-col-met")
}

pub fn col_unknown(lang: Lang) -> &'static str {
    t!(lang, "cli-col-unknown")
}

pub fn col_group(lang: Lang) -> &'static str {
    t!(lang, "cli-col-group")
}

pub fn col_house(lang: Lang) -> &'static str {
    t!(lang, "cli-col-house")
}

pub fn col_address(lang: Lang) -> &'static str {
    t!(lang, "cli-col-address")
}

pub fn col_missing(lang: Lang) -> &'static str {
    t!(lang, "cli-col-missing")
}

pub fn col_field(lang: Lang) -> &'static str {
    t!(lang, "cli-col-field")
}

pub fn col_value(lang: Lang) -> &'static str {
    t!(lang, "cli-col-value")
}

pub fn col_winner(lang: Lang) -> &'static str {
    t!(lang, "cli-col-winner")
}

pub fn col_values(lang: Lang) -> &'static str {
    t!(lang, "cli-col-values")
}

pub fn col_peer_id(lang: Lang) -> &'static str {
    t!(lang, "cli-col-peer-id")
}

pub fn col_role(lang: Lang) -> &'static str {
    t!(lang, "cli-col-role")
}

pub fn col_added(lang: Lang) -> &'static str {
    t!(lang, "cli-col-added")
}

pub fn col_state(lang: Lang) -> &'static str {
    t!(lang, "cli-col-state")
}

pub fn active(lang: Lang) -> &'static str {
    t!(lang, "cli-active")
}

pub fn removed(lang: Lang) -> &'static str {
    t!(lang, "cli-removed")
}

pub fn archived_mark(lang: Lang) -> &'static str {
    t!(lang, "cli-archived-mark")
}

pub fn role(lang: Lang, role: &str) -> String {
    kdc_text::role(lang, role).to_string()
}

// ---- id -----------------------------------------------------------------------------------

pub fn peer_id_line(lang: Lang, peer_id: &str) -> String {
    t!(lang, "cli-peer-id-line", peer = peer_id)
}

pub fn device_name_line(lang: Lang, name: &str) -> String {
    t!(lang, "cli-device-name-line", name = name)
}

pub fn listen_header(lang: Lang) -> &'static str {
    t!(lang, "cli-listen-header")
}

pub fn none_yet(lang: Lang) -> &'static str {
    t!(lang, "cli-none-yet")
}

// ---- area list ------------------------------------------------------------------------------

pub fn no_areas(lang: Lang) -> &'static str {
    t!(lang, "cli-no-areas")
}

// ---- status ---------------------------------------------------------------------------------

/// The area's own name says what it is ("Khu dân cư …", "Tổ dân phố …"): no prefix.
pub fn status_header(name: &str, id: &str) -> String {
    format!("{name} ({id})")
}

pub fn ward_line(lang: Lang, ward: &str) -> String {
    t!(lang, "cli-ward-line", ward = ward)
}

pub fn profile_line(lang: Lang, profile: &str) -> String {
    t!(lang, "cli-profile-line", profile = profile)
}

/// A criterion with nothing recorded yet.
pub fn no_data(lang: Lang) -> &'static str {
    t!(lang, "cli-no-data")
}

/// " · 2 tiêu chí chưa có dữ liệu", after the required-criteria line.
pub fn no_data_line(lang: Lang, n: usize) -> String {
    format!(" · {}", t!(lang, "cli-no-data-line", count = n))
}

pub fn households_line(lang: Lang, households: u64) -> String {
    t!(lang, "cli-households-line", households = households)
}

/// "Đạt 7/8 tiêu chí bắt buộc" / "7 of 8 required criteria met".
pub fn required_met_line(lang: Lang, met: u64, total: u64) -> String {
    t!(lang, "cli-required-met-line", met = met, total = total)
}

pub fn certified_line(lang: Lang, certified: bool) -> String {
    t!(lang, "cli-certified-line", certified = if certified { "yes" } else { "no" })
}

pub fn incomplete_line(lang: Lang, incomplete: u64) -> String {
    t!(lang, "cli-incomplete-line", count = incomplete)
}

pub fn groups_header(lang: Lang) -> &'static str {
    t!(lang, "cli-groups-header")
}

pub fn no_group(lang: Lang) -> &'static str {
    t!(lang, "cli-no-group")
}

pub fn col_required_met(lang: Lang) -> &'static str {
    t!(lang, "cli-col-required-met")
}

pub fn col_incomplete(lang: Lang) -> &'static str {
    t!(lang, "cli-col-incomplete")
}

// ---- household ------------------------------------------------------------------------------

pub fn household_header(lang: Lang, hh: &str, area: &str) -> String {
    t!(lang, "cli-household-header", hh = hh, area = area)
}

pub fn group_line(lang: Lang, group: &str) -> String {
    t!(lang, "cli-group-line", group = group)
}

pub fn address_line(lang: Lang, address: &str) -> String {
    t!(lang, "cli-address-line", address = address)
}

pub fn archived_line(lang: Lang) -> &'static str {
    t!(lang, "cli-archived-line")
}

pub fn updated_line(lang: Lang, at: &str, by: &str) -> String {
    t!(lang, "cli-updated-line", at = at, by = by)
}

pub fn no_households(lang: Lang) -> &'static str {
    t!(lang, "cli-no-households")
}

pub fn worklist_header(lang: Lang, count: usize, criterion: &str) -> String {
    t!(lang, "cli-worklist-header", count = count, criterion = criterion)
}

pub fn households_count(lang: Lang, count: usize) -> String {
    t!(lang, "households-count", count = count)
}

// ---- members and conflicts --------------------------------------------------------------------

pub fn relay_changed(lang: Lang, area: &str, verb: &str, addr: &str) -> String {
    t!(lang, "cli-relay-changed", area = area, verb = verb, addr = addr)
}

pub fn via_relay(lang: Lang) -> &'static str {
    t!(lang, "cli-via-relay")
}

pub fn no_relays(lang: Lang) -> &'static str {
    t!(lang, "cli-no-relays")
}

pub fn relay_state(lang: Lang, reachable: Option<bool>, reserved: bool) -> &'static str {
    match (reserved, reachable) {
        (true, _) => t!(lang, "cli-relay-reserved"),
        (false, Some(true)) => t!(lang, "cli-relay-reachable"),
        (false, Some(false)) => t!(lang, "cli-relay-unreachable"),
        (false, None) => t!(lang, "cli-relay-untried"),
    }
}

pub fn col_relay(lang: Lang) -> &'static str {
    t!(lang, "cli-col-relay")
}

pub fn no_members(lang: Lang) -> &'static str {
    t!(lang, "cli-no-members")
}

pub fn no_conflicts(lang: Lang) -> &'static str {
    t!(lang, "cli-no-conflicts")
}

pub fn conflicts_hint(lang: Lang) -> &'static str {
    t!(lang, "cli-conflicts-hint")
}

// ---- snapshot verify ------------------------------------------------------------------------

pub fn verify_ok(lang: Lang, path: &Path) -> String {
    t!(lang, "cli-verify-ok", path = path.display().to_string())
}

pub fn format_version_line(lang: Lang, version: u16) -> String {
    t!(lang, "cli-format-version-line", version = version.to_string())
}

pub fn checksum_line(lang: Lang, checksum: &str) -> String {
    t!(lang, "cli-checksum-line", checksum = checksum)
}

pub fn col_archived(lang: Lang) -> &'static str {
    t!(lang, "cli-col-archived")
}

pub fn col_members(lang: Lang) -> &'static str {
    t!(lang, "cli-col-members")
}

pub fn col_last_change(lang: Lang) -> &'static str {
    t!(lang, "cli-col-last-change")
}

pub fn col_profile(lang: Lang) -> &'static str {
    t!(lang, "cli-col-profile")
}

pub fn col_member(lang: Lang) -> &'static str {
    t!(lang, "cli-col-member")
}

pub fn col_last_sync(lang: Lang) -> &'static str {
    t!(lang, "cli-col-last-sync")
}

pub fn never_synced(lang: Lang) -> &'static str {
    t!(lang, "cli-never-synced")
}

// ---- history --------------------------------------------------------------------------------

/// A calendar day as each language writes it: `15/08/2026` or `2026-08-15`.
pub fn date(lang: Lang, date: chrono::NaiveDate) -> String {
    date.format(t!(lang, "cli-date-format")).to_string()
}

pub fn status_at_line(lang: Lang, day: &str) -> String {
    t!(lang, "cli-status-at-line", day = day)
}

pub fn area_not_yet(lang: Lang, area: &str, day: &str) -> String {
    t!(lang, "cli-area-not-yet", area = area, day = day)
}

pub fn area_not_in_file(lang: Lang, area: &str, path: &Path, present: &str) -> String {
    t!(lang, "cli-area-not-in-file", area = area, path = path.display().to_string(), present = present)
}

pub fn history_header(lang: Lang, name: &str, id: &str) -> String {
    t!(lang, "cli-history-header", name = name, id = id)
}

pub fn household_history_header(lang: Lang, hh: &str, area: &str) -> String {
    t!(lang, "cli-household-history-header", hh = hh, area = area)
}

pub fn no_history(lang: Lang) -> &'static str {
    t!(lang, "cli-no-history")
}

pub fn since_after_until(lang: Lang) -> String {
    t!(lang, "cli-since-after-until").into()
}

pub fn col_date(lang: Lang) -> &'static str {
    t!(lang, "cli-col-date")
}

pub fn col_changes(lang: Lang) -> &'static str {
    t!(lang, "cli-col-changes")
}

pub fn col_certified(lang: Lang) -> &'static str {
    t!(lang, "cli-col-certified")
}

pub fn col_not_met(lang: Lang) -> &'static str {
    t!(lang, "cli-col-not-met")
}

pub fn col_time(lang: Lang) -> &'static str {
    t!(lang, "cli-col-time")
}

pub fn col_device(lang: Lang) -> &'static str {
    t!(lang, "cli-col-device")
}

pub fn col_change(lang: Lang) -> &'static str {
    t!(lang, "cli-col-change")
}

/// A copy left out of a merge or report: another file holds a later epoch of its area.
pub fn superseded_copy(lang: Lang, file: &str, area: &str, epoch: u64, by: u64) -> String {
    t!(lang, "cli-superseded-copy", file = file, area = area, epoch = epoch.to_string(), by = by.to_string())
}
