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
//! - compressed change chunks and a document's deflated columns are inflated into a counting
//!   sink, and refused past [`inflated_limit`] of the input;
//! - anything malformed is left to Automerge, which refuses it with its own error.
//!
//! The chunk layout (Automerge's binary format): magic `85 6f 4a 83`, a 4-byte checksum, a type
//! byte (0 document, 1 change, 2 compressed change, 3 bundle), the body's length (LEB128) and the
//! body. A document's body: actors (count, then each length-prefixed), heads (count × 32 bytes),
//! the change columns' and the operation columns' specs (count, then each spec and data length,
//! LEB128; bit 3 of a spec marks a deflated column), then the columns' data in that order.

use std::io::Read;

use crate::ModelError;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const DEFLATED: u64 = 0b1000;

/// The most the chunks of `input_len` bytes may inflate to: 64 times the input, at least
/// 16 MiB, at most 512 MiB. An area's columns compress a few times at most (Automerge compresses
/// only columns over 256 bytes, and its run-length encoding has taken the repetition out).
pub fn inflated_limit(input_len: usize) -> u64 {
    (input_len as u64).saturating_mul(64).clamp(16 << 20, 512 << 20)
}

/// Refuses `bytes` (one or more Automerge chunks) when parsing them would allocate without
/// bound; see the module's documentation. `Ok` does not mean Automerge will accept them.
pub fn check(bytes: &[u8]) -> Result<(), ModelError> {
    let limit = inflated_limit(bytes.len());
    let mut inflated = 0u64;
    let mut rest = bytes;
    while !rest.is_empty() {
        let Some((kind, body, next)) = chunk(rest) else { return Ok(()) };
        match kind {
            3 => return Err(refused("holds an Automerge bundle chunk, which no area document or sync message has")),
            2 => inflated = inflated.saturating_add(inflate(body, limit.saturating_sub(inflated))?),
            0 => inflated = inflated.saturating_add(document_columns(body, limit.saturating_sub(inflated))?),
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
fn chunk(bytes: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let rest = bytes.strip_prefix(&MAGIC)?;
    let (&kind, mut rest) = rest.get(4..)?.split_first()?;
    let len = usize::try_from(leb128(&mut rest)?).ok()?;
    (len <= rest.len()).then(|| (kind, &rest[..len], &rest[len..]))
}

/// The bytes the deflated columns of a document's body inflate to (0 when it has none or is
/// malformed: Automerge refuses that itself).
fn document_columns(body: &[u8], left: u64) -> Result<u64, ModelError> {
    let Some(columns) = column_ranges(body) else { return Ok(0) };
    let mut total = 0u64;
    for (deflated, data) in columns {
        if deflated {
            total = total.saturating_add(inflate(data, left.saturating_sub(total))?);
        }
    }
    Ok(total)
}

/// Each column of a document body: whether it is deflated, and its data.
fn column_ranges(body: &[u8]) -> Option<Vec<(bool, &[u8])>> {
    let mut rest = body;
    let actors = leb128(&mut rest)?;
    for _ in 0..actors {
        let len = usize::try_from(leb128(&mut rest)?).ok()?;
        rest = rest.get(len..)?;
    }
    let heads = usize::try_from(leb128(&mut rest)?).ok()?;
    rest = rest.get(heads.checked_mul(32)?..)?;
    let mut specs = Vec::new();
    for _ in 0..2 {
        let count = leb128(&mut rest)?;
        for _ in 0..count {
            let (spec, len) = (leb128(&mut rest)?, usize::try_from(leb128(&mut rest)?).ok()?);
            specs.push((spec & DEFLATED != 0, len));
        }
    }
    let mut out = Vec::with_capacity(specs.len());
    for (deflated, len) in specs {
        out.push((deflated, rest.get(..len)?));
        rest = &rest[len..];
    }
    Some(out)
}

/// Inflates `data` into a counting sink; refused when it would exceed `left` bytes.
fn inflate(data: &[u8], left: u64) -> Result<u64, ModelError> {
    let mut decoder = flate2::bufread::DeflateDecoder::new(data).take(left.saturating_add(1));
    let n = std::io::copy(&mut decoder, &mut std::io::sink()).unwrap_or(0);
    if n > left {
        return Err(refused("inflates past the limit for its size (a compressed column or change claims too much)"));
    }
    Ok(n)
}

/// An unsigned LEB128 value, advancing `bytes`; `None` when cut short or over 64 bits.
fn leb128(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes.split_first()?;
        *bytes = rest;
        value |= u64::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::{AutoCommit, ROOT, transaction::Transactable};
    use std::io::Write;

    fn header(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend([0, 0, 0, 0, kind]);
        let mut len = body.len() as u64;
        loop {
            let byte = (len & 0x7f) as u8;
            len >>= 7;
            out.push(if len == 0 { byte } else { byte | 0x80 });
            if len == 0 {
                break;
            }
        }
        out.extend(body);
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
        let columns = column_ranges(body).unwrap();
        assert!(columns.iter().any(|(deflated, _)| *deflated), "no deflated column");
        assert!(document_columns(body, u64::MAX).unwrap() > 0);
        // The same body against a limit it exceeds is refused.
        assert!(document_columns(body, 10).is_err());
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
        assert_eq!(leb128(&mut &[0x80][..]), None);
        assert_eq!(leb128(&mut &[0xff; 11][..]), None);
    }
}
