//! Browser sessions of the web app and the one-time login codes that open them.
//!
//! `kdc ui` asks the daemon (bearer API) for a login code; its URL `/login?code=…` is good
//! once, for [`CODE_TTL_MS`]. Opening it gives the browser a session: a random secret in an
//! HttpOnly, SameSite=Strict cookie. Only SHA-256 of secrets is kept, in memory and in
//! `DATA_DIR/ui-sessions.json` (0600), so sessions outlive a restart (a phone logs in once) and
//! the file alone opens nothing. A session lasts until `kdc ui --revoke ID`.
//!
//! The CSRF token of a session is derived from its secret (`SHA-256("csrf" ‖ secret)`), so it
//! needs no storage and a page can never hold another session's token.
//!
//! Blocking: [`Sessions::persist`] writes a file; callers run it off the reactor.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use kdc_api::types::SessionInfo;

/// How long a login URL stays good: ten minutes.
pub const CODE_TTL_MS: i64 = 10 * 60 * 1000;
/// The session cookie's name.
pub const COOKIE: &str = "kdc_session";
/// File of the sessions, in the data directory.
pub const SESSIONS_FILE: &str = "ui-sessions.json";
/// Login codes waiting to be used: beyond this, the oldest go (a loop of `kdc ui` cannot grow
/// memory without bound).
const MAX_CODES: usize = 64;
/// Sessions kept; beyond this, the least recently seen go.
const MAX_SESSIONS: usize = 256;

/// A session found by its cookie.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub lan: bool,
    /// The CSRF token its forms carry.
    pub csrf: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    /// SHA-256 of the secret, hex.
    hash: String,
    id: String,
    created_at_ms: i64,
    last_seen_ms: i64,
    lan: bool,
    user_agent: String,
    csrf: String,
}

#[derive(Debug)]
struct Code {
    expires_at_ms: i64,
}

#[derive(Debug, Default)]
struct State {
    sessions: HashMap<String, Stored>,
    codes: HashMap<String, Code>,
}

/// Why a login code did not open a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LoginRefused {
    #[error("this login link is not valid (it was already used, or never issued by this device)")]
    Unknown,
    #[error("this login link has expired (links are good for 10 minutes)")]
    Expired,
}

/// Sessions and pending login codes.
#[derive(Debug)]
pub struct Sessions {
    path: PathBuf,
    state: Mutex<State>,
    /// Held across a write of the file and its rename: two logins at once must not interleave
    /// their writes of the one temporary file.
    writing: Mutex<()>,
}

fn hash_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

impl Sessions {
    /// Reads the sessions file of `data_dir` (none yet is fine; a damaged one is logged and
    /// replaced: every browser then logs in again). Blocking.
    pub fn open(data_dir: &Path) -> Sessions {
        let path = data_dir.join(SESSIONS_FILE);
        let mut state = State::default();
        match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice::<Vec<Stored>>(&bytes) {
                Ok(list) => state.sessions = list.into_iter().map(|s| (s.hash.clone(), s)).collect(),
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "sessions file unreadable; browsers must log in again")
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(file = %path.display(), error = %e, "cannot read the sessions file"),
        }
        Sessions { path, state: Mutex::new(state), writing: Mutex::new(()) }
    }

    /// Sessions kept in memory only (tests, a daemon without a data directory).
    pub fn in_memory() -> Sessions {
        Sessions { path: PathBuf::new(), state: Mutex::new(State::default()), writing: Mutex::new(()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new one-time login code, good until the returned unix ms.
    pub fn new_code(&self, now_ms: i64) -> (String, i64) {
        let code = random_hex(24);
        let expires_at_ms = now_ms + CODE_TTL_MS;
        let mut st = self.lock();
        st.codes.retain(|_, c| c.expires_at_ms > now_ms);
        if st.codes.len() >= MAX_CODES
            && let Some(oldest) = st.codes.iter().min_by_key(|(_, c)| c.expires_at_ms).map(|(k, _)| k.clone())
        {
            st.codes.remove(&oldest);
        }
        st.codes.insert(hash_hex(&code), Code { expires_at_ms });
        (code, expires_at_ms)
    }

    /// Uses up `code` and opens a session: answers the cookie's secret. The caller persists.
    pub fn redeem(&self, code: &str, lan: bool, user_agent: &str, now_ms: i64) -> Result<String, LoginRefused> {
        let mut st = self.lock();
        // Removed whatever happens: a code is tried once.
        let found = st.codes.remove(&hash_hex(code.trim())).ok_or(LoginRefused::Unknown)?;
        if found.expires_at_ms <= now_ms {
            return Err(LoginRefused::Expired);
        }
        let secret = random_hex(32);
        let stored = Stored {
            hash: hash_hex(&secret),
            id: random_hex(6),
            created_at_ms: now_ms,
            last_seen_ms: now_ms,
            lan,
            user_agent: user_agent.chars().take(200).collect(),
            csrf: hex::encode(&Sha256::digest(format!("csrf{secret}").as_bytes())[..16]),
        };
        if st.sessions.len() >= MAX_SESSIONS
            && let Some(oldest) = st.sessions.values().min_by_key(|s| s.last_seen_ms).map(|s| s.hash.clone())
        {
            st.sessions.remove(&oldest);
        }
        st.sessions.insert(stored.hash.clone(), stored);
        Ok(secret)
    }

    /// The session of a cookie's secret, if it is one; marks it seen.
    pub fn get(&self, secret: &str, now_ms: i64) -> Option<Session> {
        let mut st = self.lock();
        let s = st.sessions.get_mut(&hash_hex(secret))?;
        s.last_seen_ms = now_ms;
        Some(Session { id: s.id.clone(), lan: s.lan, csrf: s.csrf.clone() })
    }

    /// Every session, most recently seen first.
    pub fn list(&self) -> Vec<SessionInfo> {
        let st = self.lock();
        let mut list: Vec<&Stored> = st.sessions.values().collect();
        list.sort_by_key(|s| std::cmp::Reverse(s.last_seen_ms));
        list.into_iter()
            .map(|s| SessionInfo {
                id: s.id.clone(),
                created_at: crdt_model::area::rfc3339(s.created_at_ms),
                last_seen: crdt_model::area::rfc3339(s.last_seen_ms),
                lan: s.lan,
                user_agent: s.user_agent.clone(),
            })
            .collect()
    }

    /// Ends the session with public id `id`; answers it, or `None` when there is none. The
    /// caller persists.
    pub fn revoke(&self, id: &str) -> Option<SessionInfo> {
        let info = self.list().into_iter().find(|s| s.id == id)?;
        self.lock().sessions.retain(|_, s| s.id != id);
        Some(info)
    }

    /// Writes the sessions file (temporary file, 0600, renamed over). Blocking.
    pub fn persist(&self) -> std::io::Result<()> {
        if self.path.as_os_str().is_empty() {
            return Ok(());
        }
        let _writing = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        let list: Vec<Stored> = self.lock().sessions.values().cloned().collect();
        let bytes = serde_json::to_vec_pretty(&list).map_err(std::io::Error::other)?;
        let tmp = self.path.with_extension("json.tmp");
        {
            use std::io::Write;
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let mut f = opts.open(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_opens_one_session_once_and_expires() {
        let s = Sessions::in_memory();
        let (code, exp) = s.new_code(1_000);
        assert_eq!(exp, 1_000 + CODE_TTL_MS);
        let secret = s.redeem(&code, false, "test", 2_000).expect("first use");
        assert_eq!(s.redeem(&code, false, "test", 2_001), Err(LoginRefused::Unknown));
        let session = s.get(&secret, 3_000).expect("session");
        assert!(!session.lan);
        assert!(s.get("not-a-secret", 3_000).is_none());
        let (late, _) = s.new_code(0);
        assert_eq!(s.redeem(&late, false, "t", CODE_TTL_MS), Err(LoginRefused::Expired));
        assert_eq!(s.list().len(), 1);
        assert!(s.revoke(&session.id).is_some());
        assert!(s.get(&secret, 4_000).is_none());
        assert!(s.revoke(&session.id).is_none());
    }

    #[test]
    fn sessions_survive_a_reopen_but_the_file_holds_no_secret() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Sessions::open(dir.path());
        let (code, _) = s.new_code(0);
        let secret = s.redeem(&code, true, "phone", 1).expect("login");
        s.persist().expect("persist");
        let text = std::fs::read_to_string(dir.path().join(SESSIONS_FILE)).expect("file");
        assert!(!text.contains(&secret), "the file must not hold the cookie's secret");
        let reopened = Sessions::open(dir.path());
        let again = reopened.get(&secret, 2).expect("session after reopen");
        assert!(again.lan);
        assert_eq!(again.csrf, s.get(&secret, 3).expect("session").csrf);
    }
}
