//! The bodies of the fuzz targets, and the generator of their seed corpus.
//!
//! One source for two users:
//! - `fuzz_targets/*.rs` call these functions from libFuzzer (`cargo fuzz run TARGET`, see
//!   `fuzz/run.sh`);
//! - `daemon/tests/fuzz_corpus.rs` compiles this file as a module and runs every file under
//!   `fuzz/corpus/TARGET/` through the same function, so `cargo test --workspace` replays the
//!   corpus (and every crash ever found) without cargo-fuzz or a nightly feature.
//!
//! So this file may only use crates that `kdc-daemon` depends on as well.
//!
//! Every function must return normally for every input: a panic, an overflow (debug assertions
//! are on in both builds) or a failed `assert!` is a finding.
//!
//! Checksums stop a mutating fuzzer at the envelope: almost every mutation of a snapshot or an
//! invite token fails its SHA-256 check. So the snapshot and token targets also read the input
//! as the part *before* the checksum and append the right checksum, to reach the parsers behind
//! it.

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use crdt_model::area::HouseholdWrite;
use crdt_model::snapshot::{self, MergeError};
use crdt_model::sync::{IncomingArea, SyncState};
use crdt_model::{Answer, Area, NewArea, Profile, history};
use kdc_daemon::invite::{InviteToken, TOKEN_PREFIX};
use kdc_daemon::network::codec::{self, Frame, Request, Response};
use sha2::{Digest, Sha256};

/// The fuzz targets, in the order `run.sh` runs them; also the names of `fuzz/corpus/*`.
pub const TARGETS: [&str; 8] = [
    "snapshot_decode",
    "sync_frame",
    "invite_token",
    "field_value",
    "foreign_document",
    "sealed_snapshot",
    "at_rest",
    "epoch_message",
];

/// Runs the target called `name` on `data`. Panics on an unknown name.
pub fn run(name: &str, data: &[u8]) {
    match name {
        "snapshot_decode" => snapshot_decode(data),
        "sync_frame" => sync_frame(data),
        "invite_token" => invite_token(data),
        "field_value" => field_value(data),
        "foreign_document" => foreign_document(data),
        "sealed_snapshot" => sealed_snapshot(data),
        "at_rest" => at_rest(data),
        "epoch_message" => epoch_message(data),
        other => panic!("unknown fuzz target {other:?}"),
    }
}

/// The area every target that needs one starts from (cloned per input): created by `peer-a`,
/// with `peer-b` on the roster and one household `H1`.
pub const AREA_ID: &str = "tam-giac-3";
const NOW_MS: i64 = 1_700_000_000_000;

fn make_base() -> Area {
    let mut area = Area::create(
        NewArea { id: AREA_ID.into(), name: "Tam Giác 3".into(), ward: "Phường 7".into(), profile_toml: None },
        "peer-a",
        "A",
        NOW_MS,
    )
    .expect("base area");
    area.add_member("peer-b", "B", "member", "peer-a", NOW_MS + 1).expect("add peer-b");
    area.add_household(
        write("H1", &[("members", "4"), ("members_14plus", "3"), ("internet", "yes"), ("business", "no")]),
        "peer-a",
        NOW_MS + 2,
    )
    .expect("add H1");
    area
}

/// The base area; built once per process.
pub fn base() -> &'static Area {
    static BASE: OnceLock<Area> = OnceLock::new();
    BASE.get_or_init(make_base)
}

fn write(id: &str, fields: &[(&str, &str)]) -> HouseholdWrite {
    HouseholdWrite {
        id: id.into(),
        fields: fields.iter().map(|(f, v)| (f.to_string(), v.to_string())).collect(),
        consent: Some(crdt_model::ConsentGiven::verbal()),
        ..Default::default()
    }
}

/// Reads everything a device or a ward office reads off an area that came from elsewhere: none of
/// it may panic, whatever the document holds. `history`: also replay the change log (slow; done
/// for snapshot files, which `kdc history --snapshot` reads).
fn read_all(area: &Area, history: bool) {
    let _ = (area.id(), area.name(), area.ward(), area.uid(), area.summary());
    let status = area.status();
    assert!(status.required_met <= status.required_total, "{status:?}");
    let _ = area.members();
    let _ = area.conflicts();
    let households = area.households();
    for h in households.iter().take(3) {
        let _ = area.household_view(&h.id);
        let _ = area.household_list(h.group.as_deref(), None, true);
        if history {
            let _ = history::household_history(area, &h.id);
        }
    }
    if !history {
        return;
    }
    // History: all changes in one day, and the area as of the middle of its change log.
    let _ = history::daily(area, |_| Default::default(), None, None);
    let times: Vec<i64> = area.doc().get_changes(&[]).iter().map(|c| c.timestamp()).collect();
    if let Some(&t) = times.get(times.len() / 2) {
        let _ = area.as_of(t);
    }
}

// ---------------------------------------------------------------------------------------------
// snapshot_decode

/// `snapshot::decode`, `decode_areas` and `merge_files` on the input as a whole file, and on
/// the input taken as a file's body with its SHA-256 appended.
///
/// Checked: never a panic; `decode_areas` succeeds only where `decode` does, with the same ids;
/// a decoded file re-encodes to one that decodes to the same areas (same heads); merging the
/// file with itself fails exactly when the file is bad and otherwise gives each area unchanged.
pub fn snapshot_decode(data: &[u8]) {
    check_snapshot(data);
    let mut fixed = data.to_vec();
    fixed.extend_from_slice(&Sha256::digest(data));
    check_snapshot(&fixed);
}

fn check_snapshot(bytes: &[u8]) {
    let info = snapshot::decode(bytes);
    let areas = snapshot::decode_areas(bytes, "fuzz");
    // The door's memory: whatever it remembers passed, and reading with it, cold or warm, gives
    // what reading without it gives.
    let memory = crdt_model::check::Passed::default();
    for _ in 0..2 {
        let remembered = snapshot::decode_areas_with_saves(bytes, "fuzz", Some(&memory));
        assert_eq!(remembered.is_ok(), areas.is_ok(), "the door's memory changed a verdict");
    }
    if let Ok(info) = &info {
        for entry in &info.areas {
            if memory.contains(&crdt_model::check::Passed::key(&entry.doc)) {
                let passes = Area::load(&entry.doc, "fuzz").and_then(|a| a.check_all());
                assert!(passes.is_ok(), "a document the door refuses was remembered");
            }
        }
    }
    if let Ok(info) = &info {
        assert!(!info.areas.is_empty());
        for entry in &info.areas {
            assert!(crdt_model::ids::validate_area_id(&entry.id).is_ok(), "{:?}", entry.id);
        }
    }
    let merged = snapshot::merge_files(vec![("one".into(), bytes.to_vec()), ("two".into(), bytes.to_vec())]);
    let areas = match areas {
        Err(_) => {
            assert!(matches!(merged, Err(MergeError::BadFile { .. })), "{merged:?}");
            return;
        }
        Ok(areas) => areas,
    };
    let info = info.expect("decode_areas succeeded, so decode does");
    let ids: Vec<String> = areas.iter().map(Area::id).collect();
    assert_eq!(ids, info.areas.iter().map(|e| e.id.clone()).collect::<Vec<_>>());

    for area in &areas {
        read_all(area, true);
    }

    // Export what was read: the same areas come back.
    let refs: Vec<&Area> = areas.iter().collect();
    let again = snapshot::decode_areas(&snapshot::encode(&refs), "fuzz").expect("a re-encoded snapshot decodes");
    assert_eq!(again.iter().map(Area::id).collect::<Vec<_>>(), ids);
    for (a, b) in areas.iter().zip(&again) {
        assert_eq!(a.heads(), b.heads());
    }

    // A file merged with itself. Two entries with one id inside one file are merged with each
    // other (and may then differ from either), so compare only files with distinct ids.
    let mut distinct = ids.clone();
    distinct.sort();
    distinct.dedup();
    if distinct.len() == ids.len() {
        let merged = merged.expect("a good file merges with itself");
        assert_eq!(merged.iter().map(Area::id).collect::<Vec<_>>(), distinct);
        for m in &merged {
            let original = areas.iter().find(|a| a.id() == m.id()).expect("same ids");
            assert_eq!(m.heads(), original.heads(), "merging a file with itself changed area {}", m.id());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// foreign_document

/// The input as a bare Automerge document, as another program (or an older version, before
/// changes were checked at the door) could have written it: the check at the door and every
/// reader, history included, must cope. Checked: never a panic; a document the door accepts
/// also survives a save and load with the same heads.
pub fn foreign_document(data: &[u8]) {
    // `Area::load` contains Automerge's own panics on malformed documents (and reads them as
    // corrupt); libFuzzer's panic hook would abort on them before they are caught, so it is
    // set aside for that one call. Any other panic still fails the run.
    // A report's figures, read from the bytes alone: never a panic, whatever they hold.
    let unloaded = Area::status_of_bytes(data);
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let loaded = Area::load(data, "fuzz");
    std::panic::set_hook(hook);
    let Ok(area) = loaded else { return };
    let accepted = area.check_all().is_ok();
    // The door reading the bytes' columns takes nothing the door reading Automerge's changes
    // refuses, and refuses what that one takes only for operations that no change holds.
    let whole = area.check_whole(data);
    match &whole {
        Ok(()) => assert!(accepted, "read from the columns, a document the changes refuse passed"),
        Err(e) if accepted => assert!(e.to_string().contains("none of its changes"), "{e}"),
        Err(_) => {}
    }
    // Read from the bytes alone, a document the door takes has the figures it has loaded; one
    // the door refuses has none.
    match (unloaded, whole) {
        (Ok(None), _) => {}
        (Ok(Some(status)), Ok(())) => assert_eq!(status, area.status(), "figures read from the bytes differ"),
        (Ok(Some(_)), Err(e)) => panic!("figures read from the bytes of a document the door refuses: {e}"),
        (Err(e), Ok(())) => panic!("read from the bytes alone, a document the door takes was refused: {e}"),
        (Err(_), Err(_)) => {}
    }
    read_all(&area, true);
    if accepted {
        let again = Area::load(&area.save(), "fuzz").expect("a saved document loads");
        assert_eq!(again.heads(), area.heads());
    }
}

// ---------------------------------------------------------------------------------------------
// sync_frame

/// The input as the payload of a frame on a sync stream (`decode_frame`), and as a join request
/// and a join answer: whatever decodes re-encodes to the bytes it came from (frames, requests)
/// or to bytes that decode to the same value (answers); the sync message of a frame is applied to
/// the base area and to an [`IncomingArea`], as the daemon does.
pub fn sync_frame(data: &[u8]) {
    if let Ok(frame) = codec::decode_frame(data) {
        let bytes = codec::encode_frame(&frame);
        assert_eq!(codec::decode_frame(&bytes).expect("re-encoded frame decodes"), frame);
        assert_eq!(bytes, data, "a frame re-encodes to the bytes it came from");
        if let Frame::Sync { area, message } = &frame {
            apply_sync_message(area, message);
        }
    }
    if let Ok(req) = codec::decode_request(data) {
        let bytes = codec::encode_request(&req);
        assert_eq!(codec::decode_request(&bytes).expect("re-encoded request decodes"), req);
        assert_eq!(bytes, data, "a request re-encodes to the bytes it came from");
    }
    if let Ok(res) = codec::decode_response(data) {
        let bytes = codec::encode_response(&res);
        assert_eq!(codec::decode_response(&bytes).expect("re-encoded answer decodes"), res);
    }
}

fn apply_sync_message(area_id: &str, message: &[u8]) {
    let decodes = automerge::sync::Message::decode(message).is_ok();

    // An area this device has.
    let mut area = base().clone();
    let before = area.heads();
    let mut state = SyncState::new();
    match area.receive_sync_message(&mut state, message) {
        Ok(changed) => {
            assert!(decodes);
            assert_eq!(changed, area.heads() != before, "`changed` tells whether the heads moved");
            assert_eq!(area.id(), AREA_ID, "a sync message changed the area's id");
            read_all(&area, false);
            let _ = area.generate_sync_message(&mut state);
        }
        Err(_) if !decodes => {
            // Refused before anything was applied.
            assert_eq!(area.heads(), before, "a message that does not decode changed the area");
        }
        Err(_) => {
            // Refused after applying (it does not read as this area any more). The documented
            // contract: the caller discards this `Area` and reloads what it persisted, as
            // `daemon/src/node/sync.rs` does. That reload gives the area as it was.
            let reloaded = Area::load(&base().save(), "peer-b").expect("the saved area loads");
            assert_eq!(reloaded.heads(), before);
        }
    }

    // An area this device does not have yet.
    let mut incoming = IncomingArea::new("peer-b", area_id);
    let mut state = SyncState::new();
    if incoming.receive_sync_message(&mut state, message).is_ok() {
        if let Ok(Some(accepted)) = incoming.accept("peer-a", "peer-b") {
            let area = accepted.area;
            // What the store keeps is the bytes it came as: they load as the same document.
            let stored = Area::load(&accepted.bytes, "peer-b").expect("the bytes an area came as load");
            assert_eq!(stored.heads(), area.heads());
            assert_eq!(area.id(), area_id);
            assert!(area.is_active_member("peer-a") && area.is_active_member("peer-b"));
            read_all(&area, false);
        }
        let _ = incoming.generate_sync_message(&mut state);
    }
}

// ---------------------------------------------------------------------------------------------
// invite_token

/// `InviteToken::decode` on the input as text (lossy UTF-8), and on a token made of the input as
/// payload with its checksum appended. A token that decodes encodes to one that decodes to the
/// same token.
pub fn invite_token(data: &[u8]) {
    check_token(&String::from_utf8_lossy(data));
    let mut payload = data.to_vec();
    payload.extend_from_slice(&Sha256::digest(data)[..4]);
    check_token(&format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(&payload)));
}

fn check_token(text: &str) {
    let Ok(token) = InviteToken::decode(text) else { return };
    let again = token.encode();
    assert_eq!(InviteToken::decode(&again).as_ref(), Ok(&token), "token {text:?} does not survive encode/decode");
    assert_eq!(token.secret_hex().len(), 32);
    let req = token.join_request();
    assert_eq!((req.area.as_str(), req.inviter), (token.area.as_str(), token.inviter));
}

// ---------------------------------------------------------------------------------------------
// sealed_snapshot

/// A fixed age identity for fuzzing only (`corpus/sealed_snapshot/sealed-*` are sealed to it).
pub const FUZZ_IDENTITY: &str = "AGE-SECRET-KEY-1E704CJ5ESWW9KD7FDZ88SGMY62ESGS25PQZRJDJAZAZJQXZDMSPQ6LUHHN";

fn fuzz_identities() -> &'static [kdc_daemon::seal::Identity] {
    static IDS: OnceLock<Vec<kdc_daemon::seal::Identity>> = OnceLock::new();
    IDS.get_or_init(|| kdc_daemon::seal::parse_identities(FUZZ_IDENTITY).expect("the fuzz identity parses"))
}

/// The input as a sealed snapshot (opened with [`FUZZ_IDENTITY`]) and as an identity file.
///
/// Checked: opening never panics; what opens is checked as a snapshot ([`snapshot_decode`]'s
/// checks); the ward page's decoder leaves a sealed file it cannot open out as a bad file, never
/// half merged; parsing an identity file never panics and what it accepts opens what is sealed
/// to it.
pub fn sealed_snapshot(data: &[u8]) {
    use kdc_daemon::seal;
    let ids = fuzz_identities();
    match seal::open(data, ids) {
        Ok(plain) => check_snapshot(&plain),
        Err(_) => {
            if seal::is_sealed(data) {
                let mut m = kdc_daemon::ward::LenientMerger::default();
                m.add_decoded(kdc_daemon::ward::LenientMerger::decode_with("fuzz".into(), data, ids, None));
                let merged = m.finish();
                assert!(merged.areas.is_empty() && merged.files[0].refused.is_some(), "an unopened file was merged");
            }
        }
    }
    if let Ok(parsed) = seal::parse_identities(&String::from_utf8_lossy(data)) {
        let sealed = seal::seal(b"kdc", &[parsed[0].to_public()]).expect("seal");
        assert_eq!(seal::open(&sealed, &parsed[..1]).expect("opens"), b"kdc");
    }
}

// ---------------------------------------------------------------------------------------------
// at_rest

/// The data key the `at_rest` seeds are sealed with (fuzzing only).
pub const FUZZ_DATA_KEY: [u8; 32] = [0x4b; 32];
/// The device key the `at_rest` area key seed is sealed with (fuzzing only).
pub const FUZZ_DEVICE_KEY: [u8; 32] = [0x44; 32];

/// The input as a device key file, as a sealed chunk (chunk 0 of area `a` under
/// [`FUZZ_DATA_KEY`]) and as an area key file (under [`FUZZ_DEVICE_KEY`]): the decoders of
/// encryption at rest (`kdc_daemon::store::{keys, crypt}`).
///
/// Checked: none panics; a plain key file that decodes gives a key whose own key file decodes
/// to it again; a chunk that opens re-seals and opens to the same bytes, and opens under no
/// other seq; an area key file that opens gives 32 bytes.
pub fn at_rest(data: &[u8]) {
    use kdc_daemon::store::crypt::fuzzing as crypt;
    use kdc_daemon::store::keys::fuzzing as keys;
    if let Ok(Some(key)) = keys::key_file(data) {
        assert_eq!(keys::key_file(keys::plain_key_file(key).as_bytes()), Ok(Some(key)), "key file round trip");
    }
    if let Ok(plain) = crypt::open_chunk(FUZZ_DATA_KEY, 0, data) {
        let again = crypt::seal_chunk_with_nonce(FUZZ_DATA_KEY, 0, [9; 24], &plain);
        assert_eq!(crypt::open_chunk(FUZZ_DATA_KEY, 0, &again).expect("re-sealed opens"), plain);
        assert!(crypt::open_chunk(FUZZ_DATA_KEY, 1, data).is_err(), "a chunk opened at another seq");
    }
    let _ = keys::area_key_file(FUZZ_DEVICE_KEY, data);
}

// ---------------------------------------------------------------------------------------------
// epoch_message

/// The input as a sync message of the epoch wire format (`kdc_daemon::node::sync`): a tagged
/// sync message or a whole document of a later epoch, as a peer sends it.
///
/// Checked: parsing never panics and a tagged message re-tags to the same bytes; a document
/// that loads and passes the door, when it wins over the base area by the epoch rule, is
/// adopted without panicking, and the result holds none of the households it erased.
pub fn epoch_message(data: &[u8]) {
    use kdc_daemon::node::sync::fuzzing::{self as wire, Parsed};
    match wire::parse(data) {
        Ok(Parsed::Sync { epoch, cut, message }) => {
            if epoch > 0 {
                assert_eq!(wire::tag(epoch, cut, message.to_vec()), data, "a tagged message re-tags to its bytes");
            }
            apply_sync_message(AREA_ID, message);
        }
        Ok(Parsed::Document(doc)) => {
            let Ok(next) = Area::load(doc, "fuzz") else { return };
            if next.check_all().is_err() {
                return;
            }
            let base = base();
            if next.uid() == base.uid() && base.loses_to(&next) {
                if let Ok(adopted) = base.adopt(&next, "peer-b", NOW_MS + 1000) {
                    for hh in next.erased() {
                        assert!(adopted.household(&hh).is_none(), "an erased household came back: {hh}");
                    }
                }
            }
        }
        Err(_) => {}
    }
}

// ---------------------------------------------------------------------------------------------
// field_value

/// The input as lines of `FIELD=VALUE` (lossy UTF-8, at most 32 lines); `@id=`, `@group=` and
/// `@address=` lines set the household id, group and address of the write.
///
/// Checked: `Profile::parse_value` and `Answer::parse` never panic and what they accept reads
/// back the same from its display form; the write as a new household (`add_household`) and as
/// a change of `H1` (`set_household`) on the base area is `Ok` with every value stored as
/// parsed, or `Err` with the area's heads unchanged.
pub fn field_value(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let profile: &Profile = base().profile();
    let mut w =
        HouseholdWrite { id: "H2".into(), consent: Some(crdt_model::ConsentGiven::verbal()), ..Default::default() };
    for line in text.lines().take(32) {
        let (key, raw) = line.split_once('=').unwrap_or((line, ""));
        check_answer(raw);
        match key {
            "@id" => w.id = raw.to_string(),
            "@group" => w.group = Some(raw.to_string()),
            "@address" => w.address = Some(raw.to_string()),
            field => {
                if let Ok(v) = profile.parse_value(field, raw) {
                    assert_eq!(profile.parse_value(field, &v.to_string()), Ok(v), "{field}={raw:?}");
                }
                w.fields.push((field.to_string(), raw.to_string()));
            }
        }
    }
    check_answer(&text);

    let mut area = base().clone();
    let before = area.heads();
    let added = area.add_household(w.clone(), "peer-a", NOW_MS + 10);
    check_write(&area, &before, &w, added);

    let mut area = base().clone();
    let set = HouseholdWrite { id: "H1".into(), consent: Some(crdt_model::ConsentGiven::verbal()), ..w };
    let changed = area.set_household(set.clone(), "peer-a", NOW_MS + 10);
    check_write(&area, &before, &set, changed);
}

fn check_answer(raw: &str) {
    if let Some(a) = Answer::parse(raw) {
        assert_eq!(Answer::parse(a.as_str()), Some(a));
    }
}

fn check_write(
    area: &Area,
    before: &[automerge::ChangeHash],
    w: &HouseholdWrite,
    result: Result<(), crdt_model::ModelError>,
) {
    match result {
        Err(e) => assert_eq!(area.heads(), before, "a refused write ({e}) changed the document"),
        Ok(()) => {
            assert_ne!(area.heads(), before, "an accepted write changed nothing");
            let h = area.household(&w.id).expect("the written household reads back");
            for (field, raw) in &w.fields {
                let v = area.profile().parse_value(field, raw).expect("an accepted value parses");
                assert_eq!(h.fields.get(field), Some(&v), "{field}={raw:?}");
            }
            if let Some(g) = &w.group {
                assert_eq!(h.group.as_deref(), Some(g.trim()).filter(|g| !g.is_empty()));
            }
            if let Some(a) = &w.address {
                assert_eq!(h.address.as_deref(), Some(a.trim()).filter(|a| !a.is_empty()));
            }
            let _ = area.status();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Seeds

/// The seed corpus: `(target, file name, bytes)`, all valid (or nearly valid) inputs made with
/// the real encoders. `daemon/tests/fuzz_corpus.rs` writes them to `fuzz/corpus/` on request.
pub fn seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out = Vec::new();
    let base = base();

    // Another replica of the area with writes of its own, and a different area.
    let mut b = Area::load(&base.save(), "peer-b").expect("replica");
    b.add_household(
        HouseholdWrite {
            id: "T3-045".into(),
            group: Some("Tổ 3".into()),
            address: Some("12 Lê Lợi".into()),
            fields: vec![("members".into(), "2".into()), ("internet".into(), "có".into())],
            consent: Some(crdt_model::ConsentGiven::verbal()),
        },
        "peer-b",
        NOW_MS + 100,
    )
    .expect("write on b");
    b.set_household(write("H1", &[("internet", "no")]), "peer-b", NOW_MS + 101).expect("set on b");
    let mut other = Area::create(
        NewArea { id: "khu-khac".into(), name: "Khu khác".into(), ward: "Phường 1".into(), profile_toml: None },
        "peer-x",
        "X",
        NOW_MS,
    )
    .expect("other area");
    other.add_member("peer-b", "B", "member", "peer-x", NOW_MS + 1).expect("add b to other");

    // snapshot_decode: whole files, and bodies (the target appends the checksum itself).
    for (name, file) in [
        ("one-area", snapshot::encode(&[base])),
        ("two-areas", snapshot::encode(&[base, &other])),
        ("replica-with-writes", snapshot::encode(&[&b])),
    ] {
        out.push(("snapshot_decode", format!("{name}.kdcsnap"), file.clone()));
        out.push(("snapshot_decode", format!("{name}.body"), file[..file.len() - 32].to_vec()));
    }

    // sync_frame: the messages of real exchanges, as sync stream frames, both ways.
    let frame = |area: &str, m: &[u8]| codec::encode_frame(&Frame::Sync { area: area.into(), message: m.to_vec() });
    let (to_base, from_base) = exchange(&b, base);
    for (i, m) in to_base.iter().enumerate() {
        out.push(("sync_frame", format!("frame-sync-to-base-{i}"), frame(AREA_ID, m)));
    }
    for (i, m) in from_base.iter().enumerate() {
        out.push(("sync_frame", format!("frame-sync-from-base-{i}"), frame(AREA_ID, m)));
    }
    // A whole area to a device that does not have it yet.
    if let Some(m) = to_incoming(base).iter().max_by_key(|m| m.len()) {
        out.push(("sync_frame", "frame-sync-whole-area".into(), frame(AREA_ID, m)));
    }
    // Another area's changes announced as this one (refused after applying).
    let (_, foreign) = exchange(base, &other);
    if let Some(m) = foreign.iter().max_by_key(|m| m.len()) {
        out.push(("sync_frame", "frame-sync-foreign-area".into(), frame(AREA_ID, m)));
    }
    out.push((
        "sync_frame",
        "request-join".into(),
        codec::encode_request(&Request::Join {
            area: AREA_ID.into(),
            secret: "07".repeat(16),
            name: "Điện thoại Lan".into(),
        }),
    ));
    out.push((
        "sync_frame",
        "frame-refused".into(),
        codec::encode_frame(&Frame::Refused { area: AREA_ID.into(), reason: "không phải thành viên".into() }),
    ));
    out.push(("sync_frame", "response-joined".into(), codec::encode_response(&Response::Joined)));
    out.push((
        "sync_frame",
        "response-refused".into(),
        codec::encode_response(&Response::Refused("the invite was already used".into())),
    ));

    // invite_token: token texts, and token payloads (the target appends the checksum itself).
    let inviter = libp2p::identity::Keypair::ed25519_from_bytes([7u8; 32]).expect("key").public().to_peer_id();
    let addr = |s: &str| s.parse::<libp2p::Multiaddr>().expect("multiaddr");
    let token = |addrs: Vec<libp2p::Multiaddr>| InviteToken {
        area: AREA_ID.into(),
        inviter,
        addrs,
        secret: [0x5a; 16],
        expires_at_ms: NOW_MS + 86_400_000,
    };
    for (name, t) in [
        (
            "three-addrs",
            token(vec![
                addr("/ip4/192.168.1.20/tcp/41234"),
                addr("/ip6/fe80::1/tcp/41234"),
                addr("/dns4/kdc.example/tcp/4001"),
            ]),
        ),
        ("no-addr", token(vec![])),
        ("max-addrs", token((0..16).map(|i| addr(&format!("/ip4/10.0.0.{i}/tcp/4001"))).collect())),
    ] {
        let text = t.encode();
        out.push(("invite_token", format!("{name}.txt"), text.clone().into_bytes()));
        let mut payload = URL_SAFE_NO_PAD.decode(&text[TOKEN_PREFIX.len()..]).expect("base64");
        payload.truncate(payload.len() - 4);
        out.push(("invite_token", format!("{name}.payload"), payload));
    }

    // sealed_snapshot: an identity file (the sealed files are in the corpus: age seals with a
    // random file key, so they cannot be generated byte for byte again).
    out.push(("sealed_snapshot", "identity-file.txt".into(), format!("# fuzz only\n{FUZZ_IDENTITY}\n").into_bytes()));

    // epoch_message: a whole later epoch of the base area, and a tagged sync message of it.
    {
        use kdc_daemon::node::sync::fuzzing as wire;
        let next = base.cut(&["H1"], NOW_MS + 500).expect("cut");
        out.push(("epoch_message", "document".into(), wire::document(&next.save())));
        let mut state = SyncState::new();
        let message = next.generate_sync_message(&mut state).expect("a first message");
        let cut = next.cut_hash().expect("cut hash").0;
        out.push(("epoch_message", "tagged-sync".into(), wire::tag(1, Some(cut), message)));
    }

    // at_rest: a key file, a sealed chunk holding a real Automerge chunk, an area key file.
    {
        use kdc_daemon::store::crypt::fuzzing as crypt;
        use kdc_daemon::store::keys::fuzzing as keys;
        out.push(("at_rest", "key-file.txt".into(), keys::plain_key_file([7; 32]).into_bytes()));
        out.push((
            "at_rest",
            "key-file-passphrase.txt".into(),
            format!(
                "kdc device key v1\nargon2id m=19456 t=2 p=1 salt={} nonce={}\nwrapped {}\n",
                "11".repeat(16),
                "22".repeat(24),
                "33".repeat(48)
            )
            .into_bytes(),
        ));
        let chunk = b.save_after(&base.heads());
        out.push(("at_rest", "sealed-chunk".into(), crypt::seal_chunk_with_nonce(FUZZ_DATA_KEY, 0, [5; 24], &chunk)));
    }

    // foreign_document: documents as this project writes them, and edited by Automerge directly
    // the way another program might (a non-text actor, values no profile allows, objects).
    out.push(("foreign_document", "base.automerge".into(), base.save()));
    out.push(("foreign_document", "replica-with-writes.automerge".into(), b.save()));
    {
        use automerge::transaction::Transactable;
        let mut doc =
            automerge::Automerge::load(&b.save()).expect("loads").with_actor([0xff, 0x00, 0x80].as_slice().into());
        let mut tx = doc.transaction();
        tx.put(automerge::ROOT, "h/H1/members", 999u64).expect("put");
        tx.put(automerge::ROOT, "h/H1/internet", "maybe").expect("put");
        tx.put(automerge::ROOT, "h/H2/members", 2.5).expect("put");
        let text = tx.put_object(automerge::ROOT, "h/H2/@address", automerge::ObjType::Text).expect("text");
        tx.splice_text(&text, 0, 0, "Số 5").expect("splice");
        tx.put_object(automerge::ROOT, "h/H3/members", automerge::ObjType::Map).expect("map");
        tx.commit();
        out.push(("foreign_document", "foreign-edits.automerge".into(), doc.save()));
    }

    // field_value: FIELD=VALUE lines as volunteers type them.
    for (name, text) in [
        ("counts", "members=4\nmembers_14plus=3\nsmartphone_users=2\neid_accounts=1\npayment_accounts=0\n"),
        ("answers-vi", "internet=có\ndigital_signature=không\nonline_public_service=chưa rõ\nmapped=Co\n"),
        ("answers-en", "internet=yes\nsmart_city_app=N\nonline_public_service=?\ndigital_signature=unknown\n"),
        ("business", "business=yes\necommerce=yes\nqr_payment=no\n"),
        ("not-business", "business=no\nqr_payment=yes\n"),
        ("household", "@id=T3-045\n@group=Tổ 3\n@address=12 Lê Lợi\nmembers=5\ninternet=yes\n"),
        ("existing-id", "@id=H1\nmembers=2\n"),
        ("out-of-range", "members=0\nmembers_14plus=61\n"),
        ("part-of", "members=2\nmembers_14plus=3\n"),
        ("twice", "members=2\nmembers=3\n"),
        ("unknown-field", "colour=blue\n"),
    ] {
        out.push(("field_value", format!("{name}.txt"), text.as_bytes().to_vec()));
    }
    out
}

/// Runs the sync protocol between `a` (sending first) and `b` until both are quiet, and returns
/// the messages each side sent.
fn exchange(a: &Area, b: &Area) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let (mut a, mut b) = (a.clone(), b.clone());
    let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
    let (mut from_a, mut from_b) = (Vec::new(), Vec::new());
    for _ in 0..10 {
        let mut quiet = true;
        if let Some(m) = a.generate_sync_message(&mut sa) {
            // A refused message ends the exchange (the foreign-area case).
            let ok = b.receive_sync_message(&mut sb, &m).is_ok();
            from_a.push(m);
            quiet = false;
            if !ok {
                break;
            }
        }
        if let Some(m) = b.generate_sync_message(&mut sb) {
            let ok = a.receive_sync_message(&mut sa, &m).is_ok();
            from_b.push(m);
            quiet = false;
            if !ok {
                break;
            }
        }
        if quiet {
            break;
        }
    }
    (from_a, from_b)
}

/// The messages `area` sends to a device that does not have it (an [`IncomingArea`]).
fn to_incoming(area: &Area) -> Vec<Vec<u8>> {
    let mut area = area.clone();
    let mut incoming = IncomingArea::new("peer-b", &area.id());
    let (mut sa, mut si) = (SyncState::new(), SyncState::new());
    let mut sent = Vec::new();
    for _ in 0..10 {
        let mut quiet = true;
        if let Some(m) = area.generate_sync_message(&mut sa) {
            incoming.receive_sync_message(&mut si, &m).expect("incoming takes the area");
            sent.push(m);
            quiet = false;
        }
        if let Some(m) = incoming.generate_sync_message(&mut si) {
            area.receive_sync_message(&mut sa, &m).expect("the area takes the answer");
            quiet = false;
        }
        if quiet {
            break;
        }
    }
    sent
}
