//! Bytes from elsewhere, looked over before Automerge parses them.
//!
//! Automerge's parser trusts the sizes its input claims: a bundle chunk's columns are decoded
//! whole into memory as long as their run lengths say (a 1 KiB input found by the fuzz target
//! `foreign_document` allocated past 1 GiB), and compressed chunks and a document's deflated
//! columns are inflated without a bound (a deflate bomb of a few KiB is gigabytes). A hostile
//! peer's sync message or a crafted snapshot file would end the process, not just be refused.
//! So every chunk is walked first ([`check`]):
//! - bundle chunks are refused: no area document, snapshot or sync message holds one (Automerge
//!   saves documents and sends changes; bundles are a separate API nothing here uses);
//! - compressed change chunks and a document's deflated columns are inflated (within a budget
//!   of [`inflated_limit`] for the input), and refused past it;
//! - every run-length and boolean column, of documents and changes, is counted from its runs
//!   without expanding them, and refused past [`column_limit`] entries (Automerge itself
//!   refuses columns of unequal lengths; this bounds what equal ones may claim);
//! - anything malformed is left to Automerge, which refuses it with its own error.
//!
//! The chunk layout (Automerge's binary format): magic `85 6f 4a 83`, a 4-byte checksum, a type
//! byte (0 document, 1 change, 2 compressed change, 3 bundle), the body's length (LEB128) and the
//! body. A document's body: actors (count, then each length-prefixed), heads (count × 32 bytes),
//! the change columns' and the operation columns' specs (count, then each spec and data length,
//! LEB128; bit 3 of a spec marks a deflated column, its low three bits the column's encoding),
//! then the columns' data in that order, then one index per head. A change's body: dependencies
//! (count × 32 bytes), actor, sequence number, first operation, time, message, other actors,
//! then its operation columns as a document's.

use std::io::Read;

use crate::ModelError;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
pub(crate) const DEFLATED: u64 = 0b1000;

/// The most the chunks of `input_len` bytes may inflate to: 64 times the input, at least
/// 16 MiB, at most 512 MiB. An area's columns compress a few times at most (Automerge compresses
/// only columns over 256 bytes, and its run-length encoding has taken the repetition out).
pub fn inflated_limit(input_len: usize) -> u64 {
    (input_len as u64).saturating_mul(64).clamp(16 << 20, 512 << 20)
}

/// The most entries one column of chunks of `input_len` bytes may hold: 64 per byte of input,
/// at least 2^20. A 3,000-household area holds about 0.25 operations per byte of its save.
pub fn column_limit(input_len: usize) -> u64 {
    (input_len as u64).saturating_mul(64).max(1 << 20)
}

/// What is left to spend while looking over one input.
struct Budget {
    inflate: u64,
    column: u64,
}

/// Refuses `bytes` (one or more Automerge chunks) when parsing them would allocate or loop
/// without bound; see the module's documentation. `Ok` does not mean Automerge will accept them.
pub fn check(bytes: &[u8]) -> Result<(), ModelError> {
    let mut budget = Budget { inflate: inflated_limit(bytes.len()), column: column_limit(bytes.len()) };
    let mut rest = bytes;
    while let Some((kind, body, next)) = chunk(rest) {
        match kind {
            0 => columns(document_columns(body), &mut budget)?,
            1 => columns(change_columns(body), &mut budget)?,
            2 => {
                let change = inflate(body, &mut budget)?;
                columns(change_columns(&change), &mut budget)?;
            }
            3 => return Err(refused("holds an Automerge bundle chunk, which no area document or sync message has")),
            _ => {}
        }
        rest = next;
    }
    Ok(())
}

fn refused(why: &str) -> ModelError {
    ModelError::Corrupt(format!("the document {why}"))
}

/// One chunk's type, body and what follows it; `None` when the header is malformed.
pub(crate) fn chunk(bytes: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let rest = bytes.strip_prefix(&MAGIC)?;
    let (&kind, mut rest) = rest.get(4..)?.split_first()?;
    let len = usize::try_from(leb128(&mut rest)?).ok()?;
    (len <= rest.len()).then(|| (kind, &rest[..len], &rest[len..]))
}

/// Whether the first chunk of `bytes` carries the checksum of its type, length and body (the
/// first 4 bytes of their SHA-256), as Automerge checks before reading it.
pub(crate) fn checksum_valid(bytes: &[u8]) -> bool {
    use sha2::Digest;
    let Some((_, body, _)) = chunk(bytes) else { return false };
    // Magic, checksum, then the type and length the hash covers with the body.
    let hashed_start = MAGIC.len() + 4;
    let hashed_end = body.as_ptr() as usize - bytes.as_ptr() as usize + body.len();
    let digest = sha2::Sha256::digest(&bytes[hashed_start..hashed_end]);
    digest[..4] == bytes[MAGIC.len()..hashed_start]
}

/// Looks over the columns of one chunk (none when it is malformed: Automerge refuses that
/// itself): each deflated one inflated within the budget, each counted against the limit.
fn columns(columns: Option<Vec<(u64, &[u8])>>, budget: &mut Budget) -> Result<(), ModelError> {
    for (spec, data) in columns.unwrap_or_default() {
        let inflated;
        let data = if spec & DEFLATED != 0 {
            inflated = inflate(data, budget)?;
            &inflated[..]
        } else {
            data
        };
        if entries(spec & 0b111, data).is_some_and(|n| n > budget.column) {
            return Err(refused(&format!(
                "has a column that claims more entries than its size allows (at most {})",
                budget.column
            )));
        }
    }
    Ok(())
}

/// Column specs (count, then spec and length of each, LEB128) and the data that follows them,
/// split per column; `N` lists of specs come one after the other before the data.
fn split_columns<const N: usize>(mut rest: &[u8]) -> Option<[Columns<'_>; N]> {
    let mut specs: [Vec<(u64, usize)>; N] = std::array::from_fn(|_| Vec::new());
    for section in &mut specs {
        for _ in 0..leb128(&mut rest)? {
            let (spec, len) = (leb128(&mut rest)?, usize::try_from(leb128(&mut rest)?).ok()?);
            section.push((spec, len));
        }
    }
    let mut out: [Columns<'_>; N] = std::array::from_fn(|_| Vec::new());
    for (section, specs) in out.iter_mut().zip(specs) {
        for (spec, len) in specs {
            section.push((spec, rest.get(..len)?));
            rest = &rest[len..];
        }
    }
    Some(out)
}

/// Columns as they are stored: each one's spec and data.
pub(crate) type Columns<'a> = Vec<(u64, &'a [u8])>;

/// A document chunk's body, split: its actors, its change columns and its operation columns.
pub(crate) struct DocumentBody<'a> {
    pub actors: Vec<&'a [u8]>,
    pub changes: Columns<'a>,
    pub ops: Columns<'a>,
}

/// A document's body: actors, heads, then the change and the operation columns.
pub(crate) fn document(body: &[u8]) -> Option<DocumentBody<'_>> {
    let mut rest = body;
    let mut actors = Vec::new();
    for _ in 0..leb128(&mut rest)? {
        actors.push(prefixed(&mut rest)?);
    }
    let heads = usize::try_from(leb128(&mut rest)?).ok()?;
    rest = rest.get(heads.checked_mul(32)?..)?;
    let [changes, ops] = split_columns(rest)?;
    Some(DocumentBody { actors, changes, ops })
}

/// A document's columns: the change columns, then the operation columns.
fn document_columns(body: &[u8]) -> Option<Vec<(u64, &[u8])>> {
    document(body).map(|d| d.changes.into_iter().chain(d.ops).collect())
}

/// A change's columns: dependencies, actor, sequence number, first operation, time, message
/// and the other actors come first.
fn change_columns(body: &[u8]) -> Option<Vec<(u64, &[u8])>> {
    let mut rest = body;
    let deps = usize::try_from(leb128(&mut rest)?).ok()?;
    rest = rest.get(deps.checked_mul(32)?..)?;
    skip_prefixed(&mut rest)?; // actor
    for _ in 0..3 {
        leb128(&mut rest)?; // seq, start op, time (signed: the same bytes)
    }
    skip_prefixed(&mut rest)?; // message
    skip_prefixed_list(&mut rest)?; // other actors
    split_columns(rest).map(|[columns]| columns)
}

/// A length-prefixed value, advancing `rest`.
fn prefixed<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = usize::try_from(leb128(rest)?).ok()?;
    let value = rest.get(..len)?;
    *rest = &rest[len..];
    Some(value)
}

fn skip_prefixed(rest: &mut &[u8]) -> Option<()> {
    prefixed(rest).map(|_| ())
}

fn skip_prefixed_list(rest: &mut &[u8]) -> Option<()> {
    for _ in 0..leb128(rest)? {
        skip_prefixed(rest)?;
    }
    Some(())
}

/// How many entries a column of `kind` (the spec's low three bits) holds, read from its runs
/// without expanding them; `None` when malformed or raw (values, whose lengths another column
/// gives). Run-length columns: a signed count, then one value repeated that many times (> 0),
/// that many literal values (< 0), or a count of nulls (0). Boolean columns: run lengths.
pub(crate) fn entries(kind: u64, mut data: &[u8]) -> Option<u64> {
    let value = |data: &mut &[u8]| -> Option<()> {
        match kind {
            5 => skip_prefixed(data),
            _ => leb128(data).map(|_| ()),
        }
    };
    let mut n = 0u64;
    match kind {
        4 => {
            while !data.is_empty() {
                n = n.saturating_add(leb128(&mut data)?);
            }
        }
        0..=3 | 5 | 6 => {
            while !data.is_empty() {
                let count = sleb128(&mut data)?;
                if count > 0 {
                    value(&mut data)?;
                } else if count < 0 {
                    for _ in 0..count.unsigned_abs() {
                        value(&mut data)?;
                    }
                } else {
                    n = n.saturating_add(leb128(&mut data)?);
                }
                n = n.saturating_add(count.unsigned_abs());
            }
        }
        _ => return None,
    }
    Some(n)
}

/// Inflates `data` within the budget (which it spends); refused past it.
fn inflate(data: &[u8], budget: &mut Budget) -> Result<Vec<u8>, ModelError> {
    // A stream that does not inflate is Automerge's to refuse: what came out is looked over.
    let (out, _) = inflate_up_to(data, budget.inflate);
    if out.len() as u64 > budget.inflate {
        return Err(refused("inflates past the limit for its size (a compressed column or change claims too much)"));
    }
    budget.inflate -= out.len() as u64;
    Ok(out)
}

/// `data` inflated, `None` when it does not inflate or holds more than `limit` bytes.
pub(crate) fn inflate_within(data: &[u8], limit: u64) -> Option<Vec<u8>> {
    let (out, read) = inflate_up_to(data, limit);
    read.ok()?;
    (out.len() as u64 <= limit).then_some(out)
}

/// What `data` inflates to, stopped one byte past `limit` (so that more shows), and whether the
/// stream read without error.
fn inflate_up_to(data: &[u8], limit: u64) -> (Vec<u8>, std::io::Result<usize>) {
    let mut out = Vec::new();
    let read = flate2::bufread::DeflateDecoder::new(data).take(limit.saturating_add(1)).read_to_end(&mut out);
    (out, read)
}

/// A LEB128 value's bits and how many bits it was written with, advancing `bytes`; `None` when
/// cut short or over 64 bits.
fn leb128_bits(bytes: &mut &[u8]) -> Option<(u64, u32)> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes.split_first()?;
        *bytes = rest;
        value |= u64::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some((value, shift + 7));
        }
    }
    None
}

/// An unsigned LEB128 value, advancing `bytes`.
pub(crate) fn leb128(bytes: &mut &[u8]) -> Option<u64> {
    leb128_bits(bytes).map(|(value, _)| value)
}

/// A signed LEB128 value, advancing `bytes` (the last bit written is the sign).
pub(crate) fn sleb128(bytes: &mut &[u8]) -> Option<i64> {
    let (value, bits) = leb128_bits(bytes)?;
    let negative = bits < 64 && (value >> (bits - 1)) & 1 == 1;
    Some(if negative { (value | (u64::MAX << bits)) as i64 } else { value as i64 })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use automerge::{AutoCommit, ROOT, transaction::Transactable};
    use std::io::Write;

    /// A chunk of `kind` around `body`, with its checksum (the first 4 bytes of the SHA-256 of
    /// type, length and body), as Automerge writes it.
    pub(crate) fn header(kind: u8, body: &[u8]) -> Vec<u8> {
        use sha2::Digest;
        let mut hashed = vec![kind];
        uleb(body.len() as u64, &mut hashed);
        hashed.extend(body);
        let mut out = MAGIC.to_vec();
        out.extend(&sha2::Sha256::digest(&hashed)[..4]);
        out.extend(hashed);
        out
    }

    /// `mib` MiB of zeros, deflated (written a MiB at a time).
    fn zeros_deflated(mib: usize) -> Vec<u8> {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        for _ in 0..mib {
            e.write_all(&[0u8; 1 << 20]).unwrap();
        }
        e.finish().unwrap()
    }

    pub(crate) fn uleb(mut v: u64, out: &mut Vec<u8>) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            out.push(if v == 0 { byte } else { byte | 0x80 });
            if v == 0 {
                break;
            }
        }
    }

    /// `puts` changes of one put each, saved uncompressed.
    fn document(puts: usize) -> Vec<u8> {
        let mut doc = automerge::Automerge::new();
        for i in 0..puts {
            let mut tx = doc.transaction();
            tx.put(ROOT, format!("hh/H-{i:04}/f/internet"), "yes").unwrap();
            tx.commit();
        }
        doc.save_nocompress()
    }

    /// `saved` (one uncompressed document chunk) with the data of its columns replaced by
    /// `with(spec, data)`.
    fn rewritten(saved: &[u8], with: impl Fn(u64, &[u8]) -> Vec<u8>) -> Vec<u8> {
        let (_, body, _) = chunk(saved).unwrap();
        let columns = document_columns(body).unwrap();
        // The prefix: actors and heads, as they were.
        let mut rest = body;
        skip_prefixed_list(&mut rest).unwrap();
        let heads = leb128(&mut rest).unwrap() as usize;
        rest = &rest[heads * 32..];
        let prefix = &body[..body.len() - rest.len()];
        // The two lists of specs: how many columns each holds.
        let first = leb128(&mut rest).unwrap();
        for _ in 0..first * 2 {
            leb128(&mut rest).unwrap();
        }
        let sections = [first as usize, leb128(&mut rest).unwrap() as usize];
        let new: Vec<(u64, Vec<u8>)> = columns.iter().map(|(spec, data)| (*spec, with(*spec, data))).collect();
        let mut out = prefix.to_vec();
        let mut at = 0;
        for count in sections {
            uleb(count as u64, &mut out);
            for (spec, data) in &new[at..at + count] {
                uleb(*spec, &mut out);
                uleb(data.len() as u64, &mut out);
            }
            at += count;
        }
        for (_, data) in &new {
            out.extend(data);
        }
        // The suffix (the heads' indices) after the last column.
        let last = columns.last().unwrap().1;
        let end = last.as_ptr() as usize + last.len() - body.as_ptr() as usize;
        out.extend(&body[end..]);
        header(0, &out)
    }

    #[test]
    fn columns_are_counted_without_expanding_them() {
        let saved = document(2_000);
        let (_, body, _) = chunk(&saved).unwrap();
        let counts: Vec<u64> =
            document_columns(body).unwrap().iter().filter_map(|(spec, data)| entries(spec & 0b111, data)).collect();
        // One operation per change: the longest columns list 2,000 of either.
        assert_eq!(counts.iter().max(), Some(&2_000), "{counts:?}");
        // Rewritten unchanged, the same document.
        let same = rewritten(&saved, |_, data| data.to_vec());
        assert!(same == saved, "the document changed");
    }

    #[test]
    fn a_column_claiming_billions_of_entries_is_refused() {
        let saved = document(10);
        // Every run-length column of operations becomes one run of 2^40 of its first value.
        let bomb = rewritten(&saved, |spec, data| {
            if !matches!(spec & 0b111, 0..=3 | 6) || data.is_empty() {
                return data.to_vec();
            }
            let mut out = vec![0x80, 0x80, 0x80, 0x80, 0x80, 0x20]; // 2^40, signed LEB128
            let mut first = data;
            let count = sleb128(&mut first).unwrap();
            let start = data.len() - first.len();
            let mut value = &data[start..];
            if count == 0 {
                return data.to_vec();
            }
            leb128(&mut value).unwrap();
            out.extend(&data[start..data.len() - value.len()]);
            out
        });
        assert_eq!(sleb128(&mut &[0x80, 0x80, 0x80, 0x80, 0x80, 0x20][..]), Some(1 << 40));
        let err = check(&bomb).unwrap_err().to_string();
        assert!(err.contains("claims more entries"), "{err}");
        assert!(check(&saved).is_ok());
    }

    #[test]
    fn saved_documents_and_changes_pass() {
        let mut doc = AutoCommit::new();
        for i in 0..2_000 {
            doc.put(ROOT, format!("hh/H-{i:04}/f/internet"), "yes").unwrap();
            doc.commit();
        }
        let saved = doc.save();
        assert!(check(&saved).is_ok());
        let heads = doc.get_heads();
        doc.put(ROOT, "meta/name", "Khu 1").unwrap();
        let after = doc.save_after(&heads);
        assert!(check(&[saved.as_slice(), &after].concat()).is_ok());
        // The change chunk's columns are found: one operation.
        let (kind, body, _) = chunk(&after).unwrap();
        assert_eq!(kind, 1);
        let counts: Vec<u64> =
            change_columns(body).unwrap().iter().filter_map(|(spec, data)| entries(spec & 0b111, data)).collect();
        assert_eq!(counts.iter().max(), Some(&1), "{counts:?}");
    }

    #[test]
    fn a_document_with_deflated_columns_is_measured() {
        // Documents compress columns over 256 bytes: a large one has some.
        let mut doc = AutoCommit::new();
        for i in 0..3_000 {
            doc.put(ROOT, format!("hh/H-{i:04}/addr"), format!("Ngõ {i} phố Thạc Gián")).unwrap();
        }
        let saved = doc.save();
        let (kind, body, rest) = chunk(&saved).unwrap();
        assert_eq!((kind, rest.len()), (0, 0));
        let cols = document_columns(body);
        assert!(cols.as_ref().unwrap().iter().any(|(spec, _)| spec & DEFLATED != 0), "no deflated column");
        let mut roomy = Budget { inflate: u64::MAX, column: u64::MAX };
        columns(cols.clone(), &mut roomy).unwrap();
        assert!(roomy.inflate < u64::MAX, "nothing was inflated");
        // The same body against a limit it exceeds is refused.
        let err = columns(cols, &mut Budget { inflate: 10, column: u64::MAX }).unwrap_err().to_string();
        assert!(err.contains("inflates past the limit"), "{err}");
        assert!(check(&saved).is_ok());
    }

    #[test]
    fn bundles_and_bombs_are_refused() {
        let bundle = header(3, &[1, 2, 3]);
        assert!(check(&bundle).is_err());
        // A compressed change of 64 MiB of zeros: 64 KiB on the wire.
        let bomb = zeros_deflated(64);
        assert!(bomb.len() < 1 << 20, "{}", bomb.len());
        let err = check(&header(2, &bomb)).unwrap_err().to_string();
        assert!(err.contains("inflates past the limit"), "{err}");
        // Behind a well-formed first chunk, too.
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "schema", 1u64).unwrap();
        assert!(check(&[doc.save(), header(3, &[0])].concat()).is_err());
    }

    #[test]
    fn malformed_bytes_are_left_to_automerge() {
        for bytes in [&b""[..], b"garbage", &MAGIC, &[0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 0, 0xff]] {
            assert!(check(bytes).is_ok());
        }
    }

    #[test]
    fn leb128_reads_and_refuses_overlong_values() {
        assert_eq!(leb128(&mut &[0xe5, 0x8e, 0x26][..]), Some(624_485));
        assert_eq!(sleb128(&mut &[0xc0, 0xbb, 0x78][..]), Some(-123_456));
        assert_eq!(sleb128(&mut &[0x7f][..]), Some(-1));
        assert_eq!(sleb128(&mut &[0x3f][..]), Some(63));
        assert_eq!(leb128(&mut &[0x80][..]), None);
        assert_eq!(leb128(&mut &[0xff; 11][..]), None);
    }
}
