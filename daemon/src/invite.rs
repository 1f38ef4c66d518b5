//! Invite tokens: what `kdc invite AREA` prints and `kdc join TOKEN` reads.
//!
//! A token carries everything a new device needs to reach the inviter and prove it was
//! invited: the area id, the inviter's peer id and addresses, a 16-byte random secret and the
//! expiry. It is `kdc1-` followed by base64url (no padding) of:
//!
//! | bytes | content |
//! |---|---|
//! | 1 | format version, `1` |
//! | 1 + n | area id: length, UTF-8 |
//! | 1 + n | inviter peer id: length, bytes ([`PeerId::to_bytes`]) |
//! | 16 | secret |
//! | 8 | expiry, unix milliseconds, i64 big-endian |
//! | 1 + … | number of addresses, then each as u16 big-endian length + multiaddr bytes |
//! | 4 | the first 4 bytes of SHA-256 of everything above |
//!
//! Binary rather than JSON because the token is shown as a QR code and sometimes read out or
//! typed: a typical token is about 200 characters. The checksum is not a security measure (the
//! secret is): it turns a mistyped or truncated token into "damaged" instead of a confusing
//! "unknown invite" from the inviter.
//!
//! The inviter keeps only a SHA-256 of the secret (see [`crate::store`]), so reading its
//! database does not give away usable invites.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libp2p::{Multiaddr, PeerId};
use sha2::{Digest, Sha256};

/// What every token starts with; the digit is the format version.
pub const TOKEN_PREFIX: &str = "kdc1-";
/// Bytes of an invite secret.
pub const SECRET_LEN: usize = 16;
/// Addresses put into one token at most (a QR code must stay scannable).
pub const MAX_ADDRS: usize = 16;
/// Longest token [`InviteToken::decode`] looks at, in characters: far above any real token,
/// low enough that garbage cannot make the decoder allocate much.
pub const MAX_TOKEN_LEN: usize = 4096;

const VERSION: u8 = 1;
const CHECKSUM_LEN: usize = 4;

/// A decoded invite.
#[derive(Clone, PartialEq, Eq)]
pub struct InviteToken {
    pub area: String,
    pub inviter: PeerId,
    pub addrs: Vec<Multiaddr>,
    pub secret: [u8; SECRET_LEN],
    pub expires_at_ms: i64,
}

// Not derived: the secret must not end up in logs.
impl fmt::Debug for InviteToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InviteToken")
            .field("area", &self.area)
            .field("inviter", &self.inviter)
            .field("addrs", &self.addrs)
            .field("secret", &"…")
            .field("expires_at_ms", &self.expires_at_ms)
            .finish()
    }
}

/// Why a token was not accepted. Every message says what is wrong with the token as typed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InviteError {
    #[error("not an invite token: it must start with {TOKEN_PREFIX:?} (copy the whole token printed by `kdc invite`)")]
    BadPrefix,
    #[error("the invite token is too long ({0} characters); copy exactly the token printed by `kdc invite`")]
    TooLong(usize),
    #[error("the invite token is damaged: it holds characters that are not in a token, or is cut short; copy it again")]
    BadEncoding,
    #[error("the invite token is damaged or incomplete (checksum mismatch); copy it again")]
    Checksum,
    #[error("the invite token is damaged: {0}")]
    Malformed(String),
    #[error("the invite token was made by a newer version of kdc (format {0}); update kdc")]
    UnsupportedVersion(u8),
    #[error("the invite token names an invalid inviter peer id: {0}")]
    BadPeerId(String),
}

impl InviteToken {
    /// The token text, `kdc1-…`. At most [`MAX_ADDRS`] addresses are included, in order.
    pub fn encode(&self) -> String {
        let mut out = Vec::with_capacity(256);
        out.push(VERSION);
        put_short(&mut out, self.area.as_bytes());
        put_short(&mut out, &self.inviter.to_bytes());
        out.extend_from_slice(&self.secret);
        out.extend_from_slice(&self.expires_at_ms.to_be_bytes());
        // Addresses too long for a u16 length cannot exist in practice; skip rather than fail.
        let addrs: Vec<Vec<u8>> = self
            .addrs
            .iter()
            .map(Multiaddr::to_vec)
            .filter(|a| a.len() <= usize::from(u16::MAX))
            .take(MAX_ADDRS)
            .collect();
        out.push(addrs.len() as u8);
        for a in &addrs {
            out.extend_from_slice(&(a.len() as u16).to_be_bytes());
            out.extend_from_slice(a);
        }
        let sum = checksum(&out);
        out.extend_from_slice(&sum);
        format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(out))
    }

    /// Reads a token as pasted: surrounding whitespace is ignored. Never panics, whatever the
    /// input.
    pub fn decode(text: &str) -> Result<InviteToken, InviteError> {
        let text = text.trim();
        if text.len() > MAX_TOKEN_LEN {
            return Err(InviteError::TooLong(text.chars().count()));
        }
        let body = text.strip_prefix(TOKEN_PREFIX).ok_or(InviteError::BadPrefix)?;
        let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| InviteError::BadEncoding)?;
        if bytes.len() < 1 + CHECKSUM_LEN {
            return Err(InviteError::Malformed("too short".into()));
        }
        let (payload, sum) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
        if checksum(payload) != sum {
            return Err(InviteError::Checksum);
        }
        let mut r = Reader(payload);
        let version = r.byte("format version")?;
        if version != VERSION {
            return Err(InviteError::UnsupportedVersion(version));
        }
        let area = r.short("area id")?;
        let area = std::str::from_utf8(area)
            .map_err(|_| InviteError::Malformed("the area id is not text".into()))?
            .to_string();
        crdt_model::ids::validate_area_id(&area).map_err(|e| InviteError::Malformed(e.to_string()))?;
        let inviter = PeerId::from_bytes(r.short("inviter")?).map_err(|e| InviteError::BadPeerId(e.to_string()))?;
        let secret: [u8; SECRET_LEN] =
            r.take(SECRET_LEN, "secret")?.try_into().map_err(|_| InviteError::Malformed("secret".into()))?;
        let expires: [u8; 8] = r.take(8, "expiry")?.try_into().map_err(|_| InviteError::Malformed("expiry".into()))?;
        let expires_at_ms = i64::from_be_bytes(expires);
        let count = r.byte("address count")?;
        if usize::from(count) > MAX_ADDRS {
            return Err(InviteError::Malformed(format!("{count} addresses (a token holds at most {MAX_ADDRS})")));
        }
        let mut addrs = Vec::with_capacity(usize::from(count).min(MAX_ADDRS));
        for i in 0..count {
            let len = r.take(2, "address length")?;
            let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
            let addr = Multiaddr::try_from(r.take(len, "address")?.to_vec())
                .map_err(|e| InviteError::Malformed(format!("address {}: {e}", i + 1)))?;
            addrs.push(addr);
        }
        if !r.0.is_empty() {
            return Err(InviteError::Malformed(format!("{} unexpected bytes at the end", r.0.len())));
        }
        Ok(InviteToken { area, inviter, addrs, secret, expires_at_ms })
    }

    /// The secret as the inviter's [`crate::node::Node::redeem_invite`] takes it: lower-case hex.
    pub fn secret_hex(&self) -> String {
        hex::encode(self.secret)
    }

    /// What the network layer needs to redeem this invite at the inviter.
    pub fn join_request(&self) -> JoinRequest {
        JoinRequest {
            area: self.area.clone(),
            inviter: self.inviter,
            addrs: self.addrs.clone(),
            secret: self.secret_hex(),
        }
    }
}

/// The key under which the inviter stores an invite: SHA-256 of the secret.
pub fn secret_hash(secret: &[u8]) -> [u8; 32] {
    Sha256::digest(secret).into()
}

/// A fresh random secret.
pub fn new_secret() -> [u8; SECRET_LEN] {
    use rand::RngCore;
    let mut secret = [0u8; SECRET_LEN];
    rand::rng().fill_bytes(&mut secret);
    secret
}

/// Why the inviting device refused an invite. The joiner sees this text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InviteRefusal {
    #[error("the invite is not known to the inviting device (mistyped, forged, or made by another device)")]
    Unknown,
    #[error("the invite was already used; ask for a new one (`kdc invite AREA` on a member's device)")]
    Used,
    #[error("the invite expired at {0}; ask for a new one (`kdc invite AREA` on a member's device)")]
    Expired(String),
    #[error("the invite is for area {invited}, not {asked}")]
    WrongArea { invited: String, asked: String },
    #[error("this device may not invite to area {area}: {reason}")]
    NotAllowed { area: String, reason: String },
    #[error("the joining device's {field} is not valid: {reason}")]
    BadJoiner { field: &'static str, reason: String },
    /// The joiner announced a release that cannot read the area: it would wait for an area it
    /// refuses. The invite stays unused.
    #[error(
        "area {area} needs KDC Sync {needs} or newer ({why}) and the joining device has {has}: update it \
         (kdc update, or the new release's archive), then use the same invite again"
    )]
    OlderRelease { area: String, needs: String, has: String, why: String },
}

fn put_short(out: &mut Vec<u8>, bytes: &[u8]) {
    // Area ids are at most 64 bytes and peer ids about 38: both fit in a u8 length.
    let bytes = &bytes[..bytes.len().min(usize::from(u8::MAX))];
    out.push(bytes.len() as u8);
    out.extend_from_slice(bytes);
}

fn checksum(bytes: &[u8]) -> [u8; CHECKSUM_LEN] {
    let digest = Sha256::digest(bytes);
    [digest[0], digest[1], digest[2], digest[3]]
}

/// A cursor over the payload; every read is bounds-checked.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], InviteError> {
        if self.0.len() < n {
            return Err(InviteError::Malformed(format!("it ends inside the {what}")));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn byte(&mut self, what: &str) -> Result<u8, InviteError> {
        Ok(self.take(1, what)?[0])
    }

    fn short(&mut self, what: &str) -> Result<&'a [u8], InviteError> {
        let n = self.byte(what)?;
        self.take(usize::from(n), what)
    }
}

/// A pairing request, as decoded from an invite token by the caller.
#[derive(Debug, Clone)]
pub struct JoinRequest {
    pub area: String,
    pub inviter: PeerId,
    pub addrs: Vec<Multiaddr>,
    /// The invite's secret, hex.
    pub secret: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> InviteToken {
        InviteToken {
            area: "tam-giac-3".into(),
            inviter: libp2p::identity::Keypair::generate_ed25519().public().to_peer_id(),
            addrs: vec![
                "/ip4/192.168.1.20/tcp/41234".parse().unwrap(),
                "/ip4/127.0.0.1/tcp/41234".parse().unwrap(),
                "/ip6/::1/tcp/5".parse().unwrap(),
            ],
            secret: [7; SECRET_LEN],
            expires_at_ms: 1_763_986_400_000,
        }
    }

    /// Re-encodes a payload with a valid checksum, to reach the checks behind it.
    fn with_checksum(mut payload: Vec<u8>) -> String {
        let sum = checksum(&payload);
        payload.extend_from_slice(&sum);
        format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(payload))
    }

    fn payload(t: &InviteToken) -> Vec<u8> {
        let text = t.encode();
        let mut bytes = URL_SAFE_NO_PAD.decode(&text[TOKEN_PREFIX.len()..]).unwrap();
        bytes.truncate(bytes.len() - CHECKSUM_LEN);
        bytes
    }

    #[test]
    fn round_trip() {
        let t = token();
        let text = t.encode();
        assert!(text.starts_with("kdc1-"), "{text}");
        assert!(text.len() < 300, "{} characters", text.len());
        assert!(text[5..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{text}");
        assert_eq!(InviteToken::decode(&text).unwrap(), t);
        assert_eq!(InviteToken::decode(&format!("  {text}\n")).unwrap(), t, "whitespace around is fine");
        let none = InviteToken { addrs: vec![], ..t.clone() };
        assert_eq!(InviteToken::decode(&none.encode()).unwrap(), none);
        let req = t.join_request();
        assert_eq!(
            (req.area.as_str(), req.inviter, req.secret.as_str()),
            ("tam-giac-3", t.inviter, "07".repeat(16).as_str())
        );
        assert!(!format!("{t:?}").contains("[7, 7"), "Debug hides the secret");
    }

    #[test]
    fn too_many_addresses_are_cut() {
        let mut t = token();
        t.addrs = (0..40).map(|i| format!("/ip4/10.0.0.{i}/tcp/1").parse().unwrap()).collect();
        let back = InviteToken::decode(&t.encode()).unwrap();
        assert_eq!(back.addrs, t.addrs[..MAX_ADDRS]);
    }

    #[test]
    fn more_addresses_than_a_token_holds_are_refused() {
        // `encode` writes at most MAX_ADDRS addresses, so a token with more is not one of ours
        // (and would not survive encode/decode): found by the invite_token fuzz target's
        // round-trip check.
        let mut t = token();
        t.addrs = (0..MAX_ADDRS).map(|i| format!("/ip4/10.0.0.{i}/tcp/1").parse().unwrap()).collect();
        let mut p = payload(&t);
        assert_eq!(InviteToken::decode(&with_checksum(p.clone())).unwrap(), t);
        let extra = t.addrs[0].to_vec();
        let count_at = p.len() - MAX_ADDRS * (2 + extra.len()) - 1;
        assert_eq!(usize::from(p[count_at]), MAX_ADDRS);
        p[count_at] += 1;
        p.extend_from_slice(&(extra.len() as u16).to_be_bytes());
        p.extend_from_slice(&extra);
        assert!(
            matches!(InviteToken::decode(&with_checksum(p)), Err(InviteError::Malformed(m)) if m.contains("addresses")),
        );
    }

    #[test]
    fn bad_inputs_are_refused_clearly() {
        let good = token().encode();
        assert_eq!(InviteToken::decode(""), Err(InviteError::BadPrefix));
        assert_eq!(InviteToken::decode("kdc2-AAAA"), Err(InviteError::BadPrefix));
        assert_eq!(InviteToken::decode(&good[5..]), Err(InviteError::BadPrefix));
        assert!(matches!(InviteToken::decode("kdc1-!!!"), Err(InviteError::BadEncoding)));
        assert!(matches!(InviteToken::decode("kdc1-"), Err(InviteError::Malformed(_))));
        assert!(matches!(InviteToken::decode(&"kdc1-A".repeat(2000)), Err(InviteError::TooLong(_))));
        // Truncated or with one character changed: the checksum catches it.
        assert!(InviteToken::decode(&good[..good.len() - 6]).is_err());
        let mut changed = good.clone().into_bytes();
        let i = changed.len() / 2;
        changed[i] = if changed[i] == b'A' { b'B' } else { b'A' };
        assert_eq!(InviteToken::decode(std::str::from_utf8(&changed).unwrap()), Err(InviteError::Checksum));

        // Well-formed envelopes around bad content.
        let t = token();
        let mut p = payload(&t);
        p[0] = 9;
        assert_eq!(InviteToken::decode(&with_checksum(p)), Err(InviteError::UnsupportedVersion(9)));
        let mut p = payload(&t);
        p.push(0);
        assert!(
            matches!(InviteToken::decode(&with_checksum(p)), Err(InviteError::Malformed(m)) if m.contains("unexpected"))
        );
        // A forged inviter: bytes that are no peer id.
        let mut p = vec![VERSION];
        put_short(&mut p, b"tam-giac-3");
        put_short(&mut p, b"not a peer id");
        p.extend_from_slice(&[0; SECRET_LEN + 8 + 1]);
        assert!(matches!(InviteToken::decode(&with_checksum(p)), Err(InviteError::BadPeerId(_))));
        // An invalid area id.
        let mut p = vec![VERSION];
        put_short(&mut p, b"Bad Area");
        assert!(matches!(InviteToken::decode(&with_checksum(p)), Err(InviteError::Malformed(_))));
    }

    #[test]
    fn garbage_never_panics() {
        // Every prefix of a valid token, every single-byte change of its payload, and
        // pseudo-random payloads with valid checksums: errors, never panics.
        let t = token();
        let good = t.encode();
        for n in 0..good.len() {
            let _ = InviteToken::decode(&good[..n]);
        }
        let p = payload(&t);
        for i in 0..p.len() {
            for v in [0u8, 1, 0x7f, 0xff] {
                let mut q = p.clone();
                q[i] = v;
                let _ = InviteToken::decode(&with_checksum(q));
            }
        }
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for len in 0..400 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            let _ = InviteToken::decode(&with_checksum(bytes.clone()));
            let _ = InviteToken::decode(&format!("{TOKEN_PREFIX}{}", String::from_utf8_lossy(&bytes)));
        }
    }

    #[test]
    fn secrets_are_random_and_hashed() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert_ne!(secret_hash(&a), secret_hash(&b));
        assert_eq!(secret_hash(&a), secret_hash(&a));
    }
}
