//! Sealing what the store writes: every chunk and every save is XChaCha20-Poly1305 under its
//! area's data key, with its place in the store as associated data.
//!
//! A sealed value is `MAGIC ‖ nonce (24 bytes) ‖ ciphertext ‖ tag (16 bytes)`. The nonce is
//! random: XChaCha20's 192-bit nonces make collisions negligible without a counter to keep
//! durable. The associated data is [`Place::associated_data`]: the area id, its epoch, and
//! whether the value is the save of generation `g` or the chunk `seq`. A value moved to another
//! area, generation or seq, or changed by one bit, does not open.
//!
//! Automerge bytes begin with their own magic (`85 6f 4a 83`), so a plain value (a data
//! directory from before encryption at rest) is told from a sealed one by its first bytes.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use super::{Result, StoreError};

/// The first bytes of a sealed value (`kdcS`, version 1).
pub const MAGIC: &[u8; 5] = b"kdcS\x01";
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// What sealing adds to a value.
pub const OVERHEAD: usize = MAGIC.len() + NONCE_LEN + TAG_LEN;

/// Where a value lives in the store; bound to it as associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The full save of generation `g`.
    Save(u64),
    /// The incremental chunk `seq`.
    Chunk(u64),
}

impl Place {
    fn associated_data(self, area: &str, epoch: u64) -> Vec<u8> {
        let (kind, n) = match self {
            Place::Save(generation) => (b's', generation),
            Place::Chunk(seq) => (b'c', seq),
        };
        let mut ad = Vec::with_capacity(16 + area.len() + 17);
        ad.extend_from_slice(b"kdc-store-v1\0");
        ad.extend_from_slice(area.as_bytes());
        ad.push(0);
        ad.extend_from_slice(&epoch.to_be_bytes());
        ad.push(kind);
        ad.extend_from_slice(&n.to_be_bytes());
        ad
    }

    fn describe(self) -> String {
        match self {
            Place::Save(generation) => format!("save generation {generation}"),
            Place::Chunk(seq) => format!("chunk {seq}"),
        }
    }
}

/// Is `bytes` a sealed value (rather than a plain one from before encryption at rest)?
pub fn is_sealed(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// A 256-bit key, wiped from memory when dropped.
pub type RawKey = Zeroizing<[u8; 32]>;

/// A fresh random key.
pub fn random_key() -> RawKey {
    Zeroizing::new(rand::random::<[u8; 32]>())
}

/// The data key of one (area, epoch).
pub struct AreaKey {
    area: String,
    epoch: u64,
    cipher: XChaCha20Poly1305,
}

impl AreaKey {
    pub fn new(area: &str, epoch: u64, key: &RawKey) -> AreaKey {
        AreaKey { area: area.to_string(), epoch, cipher: XChaCha20Poly1305::new(key.as_ref().into()) }
    }

    /// Seals `plain` for `place`.
    pub fn seal(&self, place: Place, plain: &[u8]) -> Result<Vec<u8>> {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let ad = place.associated_data(&self.area, self.epoch);
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad: &ad })
            .map_err(|_| StoreError::Corrupt(format!("area {}: cannot seal {}", self.area, place.describe())))?;
        let mut out = Vec::with_capacity(OVERHEAD + plain.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens a value sealed for `place`. Anything else — altered bytes, a value of another
    /// place, area or key, a plain value — is [`StoreError::Corrupt`] naming the place.
    pub fn open(&self, place: Place, sealed: &[u8]) -> Result<Vec<u8>> {
        let refuse = |why: &str| {
            StoreError::Corrupt(format!(
                "area {}: {} {why}; it is not this device's data, or it was altered on disk",
                self.area,
                place.describe()
            ))
        };
        let Some(rest) = sealed.strip_prefix(MAGIC.as_slice()) else {
            return Err(refuse("is not sealed"));
        };
        if rest.len() < NONCE_LEN + TAG_LEN {
            return Err(refuse("is cut short"));
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let ad = place.associated_data(&self.area, self.epoch);
        self.cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad: &ad })
            .map_err(|_| refuse("does not open with the area's key"))
    }
}

/// Sealing and opening of one value, for the fuzz target `at_rest` (`fuzz/src/lib.rs`).
#[doc(hidden)]
pub mod fuzzing {
    use super::*;

    /// Opens `bytes` as the chunk `seq` of area `a` (epoch 0) under `key`.
    pub fn open_chunk(key: [u8; 32], seq: u64, bytes: &[u8]) -> Result<Vec<u8>> {
        AreaKey::new("a", 0, &Zeroizing::new(key)).open(Place::Chunk(seq), bytes)
    }

    /// Seals `plain` as the chunk `seq` of area `a` under `key` with the nonce `nonce` (fixed,
    /// so that the fuzz seeds are the same bytes on every run; never done for real data).
    pub fn seal_chunk_with_nonce(key: [u8; 32], seq: u64, nonce: [u8; 24], plain: &[u8]) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new((&key).into());
        let ad = Place::Chunk(seq).associated_data("a", 0);
        let sealed = cipher.encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad: &ad }).expect("seal");
        [MAGIC.as_slice(), &nonce, &sealed].concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_only_in_its_place() {
        let raw = random_key();
        let key = AreaKey::new("a", 0, &raw);
        let sealed = key.seal(Place::Chunk(7), b"household data").expect("seal");
        assert!(is_sealed(&sealed));
        assert_eq!(sealed.len(), OVERHEAD + 14);
        assert!(!sealed.windows(9).any(|w| w == b"household"), "ciphertext does not hold the text");
        assert_eq!(key.open(Place::Chunk(7), &sealed).expect("open"), b"household data");
        // Another seq, a save, another area, another epoch, another key: refused.
        assert!(key.open(Place::Chunk(8), &sealed).is_err());
        assert!(key.open(Place::Save(7), &sealed).is_err());
        assert!(AreaKey::new("b", 0, &raw).open(Place::Chunk(7), &sealed).is_err());
        assert!(AreaKey::new("a", 1, &raw).open(Place::Chunk(7), &sealed).is_err());
        assert!(AreaKey::new("a", 0, &random_key()).open(Place::Chunk(7), &sealed).is_err());
        // One flipped bit anywhere, a cut, a plain value: refused.
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 1;
            assert!(key.open(Place::Chunk(7), &bad).is_err(), "bit flipped at {i}");
        }
        assert!(key.open(Place::Chunk(7), &sealed[..sealed.len() - 1]).is_err());
        assert!(key.open(Place::Chunk(7), &sealed[..MAGIC.len() + 3]).is_err());
        let err = key.open(Place::Chunk(7), b"\x85\x6f\x4a\x83plain").unwrap_err().to_string();
        assert!(err.contains("chunk 7 is not sealed"), "{err}");
        // Two seals of the same value differ (random nonces).
        assert_ne!(key.seal(Place::Chunk(7), b"x").unwrap(), key.seal(Place::Chunk(7), b"x").unwrap());
    }
}
