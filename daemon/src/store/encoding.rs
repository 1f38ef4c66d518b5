//! How the store's sled keys and small values are laid out (see the table in [`super`]).

use sled::IVec;

use super::{Result, StoreError};

/// Separates an area id from the seq in a chunk key; area ids never contain it.
pub(super) const SEP: u8 = 0x00;

/// An invite as the inviting device keeps it (the key is the hash of its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredInvite {
    pub area: String,
    pub expires_at_ms: i64,
    pub used: bool,
}

impl StoredInvite {
    pub(super) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(9 + self.area.len());
        out.push(u8::from(self.used));
        out.extend_from_slice(&self.expires_at_ms.to_be_bytes());
        out.extend_from_slice(self.area.as_bytes());
        out
    }

    pub(super) fn decode(bytes: &[u8]) -> Option<StoredInvite> {
        let used = match *bytes.first()? {
            0 => false,
            1 => true,
            _ => return None,
        };
        let expires_at_ms = i64::from_be_bytes(bytes.get(1..9)?.try_into().ok()?);
        let area = String::from_utf8(bytes.get(9..)?.to_vec()).ok()?;
        Some(StoredInvite { area, expires_at_ms, used })
    }
}

pub(super) fn check_id(area: &str) -> Result<()> {
    if area.is_empty() || area.as_bytes().contains(&SEP) {
        return Err(StoreError::BadKey(area.to_string()));
    }
    Ok(())
}

pub(super) fn prefix(area: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(area.len() + 1 + 8);
    key.extend_from_slice(area.as_bytes());
    key.push(SEP);
    key
}

pub(super) fn chunk_key(area: &str, seq: u64) -> Vec<u8> {
    let mut key = prefix(area);
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

/// An `areas` entry: the current save generation, the area's epoch, and the seq below which
/// chunks belong to an earlier epoch (left by an interrupted epoch switch; never read, deleted
/// at open). Stored as 8 bytes (the generation) while epoch and floor are 0, as every database
/// from before epochs has them; 24 bytes otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Entry {
    pub generation: u64,
    pub epoch: u64,
    pub floor: u64,
}

impl Entry {
    pub(super) fn encode(self) -> Vec<u8> {
        if self.epoch == 0 && self.floor == 0 {
            return self.generation.to_be_bytes().to_vec();
        }
        [self.generation.to_be_bytes(), self.epoch.to_be_bytes(), self.floor.to_be_bytes()].concat()
    }

    /// The generation a new save of `area` gets.
    pub(super) fn next_generation(self, area: &str) -> Result<u64> {
        self.generation.checked_add(1).ok_or_else(|| StoreError::Corrupt(format!("generation overflow in area {area}")))
    }

    pub(super) fn decode(bytes: &[u8]) -> Option<Entry> {
        match bytes.len() {
            8 => Some(Entry { generation: parse_u64(bytes)?, epoch: 0, floor: 0 }),
            24 => Some(Entry {
                generation: parse_u64(&bytes[..8])?,
                epoch: parse_u64(&bytes[8..16])?,
                floor: parse_u64(&bytes[16..])?,
            }),
            _ => None,
        }
    }
}

pub(super) fn parse_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}

/// The u64 after `area ++ 0x00` in a key.
pub(super) fn parse_suffix(key: &IVec, area: &str) -> Result<u64> {
    key.get(area.len() + 1..)
        .and_then(parse_u64)
        .ok_or_else(|| StoreError::Corrupt(format!("malformed key in area {area}")))
}
