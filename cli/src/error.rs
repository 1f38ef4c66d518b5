//! Errors to exit codes (CONTRACT.md): 0 ok · 1 runtime failure · 2 invalid usage or input ·
//! 3 daemon not reachable · 4 not found.
//!
//! Commands return `anyhow::Error`; the exit code is read off the error chain: a
//! [`ClientError`] knows its own code, [`Usage`] is 2, [`NotFound`] is 4, anything else is 1.

use std::fmt;

use crdt_model::{Lang, ModelError};
use kdc_api::client::ClientError;

use crate::i18n;

pub const EXIT_RUNTIME: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_NOT_FOUND: u8 = 4;

/// Invalid usage or input detected by the CLI itself (exit 2).
#[derive(Debug)]
pub struct Usage(pub String);

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// Something the user named does not exist (exit 4).
#[derive(Debug)]
pub struct NotFound(pub String);

impl fmt::Display for NotFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotFound {}

/// Shorthand: an `anyhow::Error` that exits 2.
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Usage(message.into()))
}

/// The exit code for an error: the first cause in the chain that decides it.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<ClientError>() {
            return e.exit_code();
        }
        if cause.is::<Usage>() {
            return EXIT_USAGE;
        }
        if cause.is::<NotFound>() {
            return EXIT_NOT_FOUND;
        }
        // The model's own refusals, for commands that work on documents in this process.
        match cause.downcast_ref::<ModelError>() {
            Some(ModelError::NotFound { .. }) => return EXIT_NOT_FOUND,
            Some(ModelError::InvalidInput { .. } | ModelError::Profile(_)) => return EXIT_USAGE,
            _ => {}
        }
    }
    EXIT_RUNTIME
}

/// The text printed after the "kdc: " / "lỗi: " prefix. A daemon that is not running gets a
/// message in the chosen language that says how to start it.
pub fn message(err: &anyhow::Error, lang: Lang) -> String {
    for cause in err.chain() {
        match cause.downcast_ref::<ClientError>() {
            Some(ClientError::NotRunning { data_dir, reason }) => {
                return format!("{} ({reason})", i18n::daemon_not_running(lang, data_dir));
            }
            Some(ClientError::Api { kind, reason, message, .. }) if kind == "storage" => {
                return i18n::storage_failed(lang, reason.as_deref(), message);
            }
            // "area not found: x", "household already exists: T1": the daemon's words name
            // what and which; said in the chosen language.
            Some(ClientError::Api { kind, message, field: Some(what), .. }) if lang == Lang::Vi => {
                let said = match kind.as_str() {
                    "not_found" => kdc_text::refusal::not_found(lang, what, message),
                    "conflict" => kdc_text::refusal::exists(lang, what, message),
                    _ => None,
                };
                if let Some(said) = said {
                    return said;
                }
            }
            _ => {}
        }
    }
    format!("{err:#}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn codes_from_the_chain() {
        assert_eq!(exit_code(&usage("bad")), 2);
        assert_eq!(exit_code(&anyhow::Error::new(NotFound("x".into()))), 4);
        assert_eq!(exit_code(&anyhow::anyhow!("disk full")), 1);
        let hh = ModelError::NotFound { what: "household", id: "T1-001".into() };
        assert_eq!(exit_code(&anyhow::Error::new(hh)), 4);
        assert_eq!(exit_code(&anyhow::Error::new(ModelError::Corrupt("x".into()))), 1);
        let nr = ClientError::NotRunning { data_dir: PathBuf::from("/d"), reason: "no api.addr".into() };
        let err = anyhow::Error::new(nr).context("talking to the daemon");
        assert_eq!(exit_code(&err), 3);
        let vi = message(&err, Lang::Vi);
        assert!(vi.contains("kdcd --data-dir /d") && vi.contains("chưa chạy"), "{vi}");
        let en = message(&err, Lang::En);
        assert!(en.contains("not running") && en.contains("kdcd --data-dir /d"), "{en}");
        let api = ClientError::Api {
            status: 404,
            kind: "not_found".into(),
            message: "area not found: x".into(),
            field: None,
            reason: None,
        };
        assert_eq!(exit_code(&anyhow::Error::new(api)), 4);
        let full = ClientError::Api {
            status: 507,
            kind: "storage".into(),
            message: "the disk that holds the data directory /d is full (no space left on device)".into(),
            field: None,
            reason: Some("disk_full".into()),
        };
        let err = anyhow::Error::new(full).context("adding household");
        assert_eq!(exit_code(&err), 1);
        assert_eq!(
            message(&err, Lang::En),
            "the disk that holds the data directory /d is full (no space left on device)"
        );
        let vi = message(&err, Lang::Vi);
        assert!(vi.contains("đã đầy") && vi.contains("/d"), "{vi}");
    }

    #[test]
    fn what_is_missing_or_taken_is_said_in_the_chosen_language() {
        let api = |kind: &str, what: &str, message: &str| {
            anyhow::Error::new(ClientError::Api {
                status: 404,
                kind: kind.into(),
                message: message.into(),
                field: Some(what.into()),
                reason: None,
            })
        };
        let missing = api("not_found", "area", "area not found: khu-9");
        assert_eq!(message(&missing, Lang::Vi), "không có khu khu-9 trên thiết bị này");
        assert_eq!(message(&missing, Lang::En), "area not found: khu-9", "English keeps the daemon's words");
        let taken = api("conflict", "household", "household already exists: T1-001");
        assert!(message(&taken, Lang::Vi).starts_with("hộ T1-001 đã có trong khu"), "{}", message(&taken, Lang::Vi));
    }
}
