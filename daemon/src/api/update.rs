//! `kdc update`: what teammates offer (`GET /v1/update`), fetching, checking and installing
//! the newest one for this platform (`POST /v1/update`), going back (`POST /v1/update/rollback`)
//! and keeping an archive to offer (`POST /v1/update/import`). The checks are
//! [`crate::update`]'s; the bytes come over `/kdc/update/1` ([`crate::network::update`]).
//!
//! After an install or a rollback the daemon stops as on SIGTERM and starts the binary now in
//! place with the same arguments ([`crate::update::restart_requested`], read by `kdcd`'s main).

use std::path::PathBuf;
use std::time::Duration;

use axum::http::StatusCode;
use serde::Deserialize;

pub use kdc_api::types::{Installed, Offer, UpdateCheck};

use super::{ApiError, ApiResult, AppState};
use crate::network::update::{UpdateRequest, UpdateResponse};
use crate::update::{self as up, Keys, Store, UpdateError};

#[derive(Debug, Default, Deserialize)]
pub struct UpdateBody {
    /// A release to fetch; the newest offered when absent.
    #[serde(default)]
    pub version: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ImportBody {
    /// An archive on this machine, with its signature beside it (`ARCHIVE.minisig`).
    pub path: String,
}

fn refused(e: impl ToString) -> ApiError {
    ApiError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        kind: "refused",
        message: e.to_string(),
        field: Some("update".into()),
        reason: None,
    }
}

fn blocking_err(e: tokio::task::JoinError) -> ApiError {
    ApiError::internal(e.to_string())
}

impl AppState {
    fn data_dir(&self) -> ApiResult<PathBuf> {
        self.ui.data_dir.clone().ok_or_else(|| ApiError::internal("this daemon has no data directory"))
    }

    pub async fn update_check(&self) -> ApiResult<UpdateCheck> {
        let current = up::current();
        let mut offers: Vec<Offer> = match &self.net {
            Some(net) => net.update_offers().await.map_err(|e| ApiError::net(e, "update"))?,
            None => Vec::new(),
        }
        .into_iter()
        .filter(|(_, a)| a.target == up::this_target())
        .filter(|(_, a)| semver::Version::parse(&a.version).is_ok_and(|v| v > current))
        .map(|(peer, a)| Offer {
            version: a.version,
            from: peer.to_string(),
            target: a.target,
            name: a.name,
            size: a.size,
        })
        .collect();
        offers.sort_by(|a, b| {
            let v = |o: &Offer| semver::Version::parse(&o.version).ok();
            v(b).cmp(&v(a)).then(a.from.cmp(&b.from))
        });
        Ok(UpdateCheck { current: current.to_string(), target: up::this_target().into(), offers })
    }

    /// Fetches the chosen offer (resuming a partial fetch), checks it, keeps it to offer on,
    /// installs it and restarts.
    pub async fn update_install(&self, body: UpdateBody) -> ApiResult<Installed> {
        let check = self.update_check().await?;
        let offer = match &body.version {
            Some(v) => check.offers.iter().find(|o| &o.version == v),
            None => check.offers.first(),
        }
        .cloned()
        .ok_or_else(|| {
            refused(match &body.version {
                Some(v) => format!("no connected teammate offers release {v} for {}", check.target),
                None => {
                    format!("no connected teammate offers a release newer than {} for {}", check.current, check.target)
                }
            })
        })?;
        let net = self.net.clone().ok_or_else(|| ApiError::internal("no network layer"))?;
        let peer: libp2p::PeerId = offer.from.parse().map_err(|_| ApiError::internal("bad peer id"))?;
        if offer.size > up::MAX_ARCHIVE {
            return Err(refused(UpdateError::TooLarge { name: offer.name.clone(), size: offer.size }));
        }
        let store = std::sync::Arc::new(Store::new(&self.data_dir()?));
        let part = store.partial(&offer.name);
        // Resume from what an interrupted fetch left, unless it is longer than the archive; an
        // archive kept already (an install stopped after keeping it) is not fetched again.
        let (mut have, kept) = {
            let (store, part, size, name) = (store.clone(), part.clone(), offer.size, offer.name.clone());
            tokio::task::spawn_blocking(move || {
                std::fs::create_dir_all(store.dir())?;
                let kept = store
                    .signature(&name)
                    .filter(|_| std::fs::metadata(store.dir().join(&name)).is_ok_and(|m| m.len() == size));
                if kept.is_some() {
                    return Ok::<_, std::io::Error>((size, kept));
                }
                let len = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
                if len > size {
                    std::fs::remove_file(&part)?;
                    return Ok((0, None));
                }
                Ok((len, None))
            })
            .await
            .map_err(blocking_err)?
            .map_err(|e| ApiError::internal(e.to_string()))?
        };
        let mut fetched = 0u64;
        while have < offer.size {
            let answer = net
                .update_request(peer, UpdateRequest::Chunk { name: offer.name.clone(), offset: have })
                .await
                .map_err(|e| ApiError::net(e, "update"))?;
            let chunk = match answer {
                UpdateResponse::Chunk(b) if !b.is_empty() && b.len() as u64 <= up::CHUNK => b,
                UpdateResponse::Chunk(_) => {
                    return Err(refused(format!("{} ended early at {have} of {} bytes", offer.name, offer.size)));
                }
                UpdateResponse::Refused(r) => return Err(refused(format!("the teammate refused: {r}"))),
                _ => return Err(refused("the teammate answered something else than the archive's bytes")),
            };
            let n = chunk.len() as u64;
            let part2 = part.clone();
            tokio::task::spawn_blocking(move || {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&part2)?;
                f.write_all(&chunk)?;
                f.sync_data()
            })
            .await
            .map_err(blocking_err)?
            .map_err(|e| ApiError::internal(format!("{}: {e}", part.display())))?;
            have += n;
            fetched += n;
            if fetched == n {
                up::reached("fetch: first chunk written");
            }
        }
        up::reached("fetch: last chunk written");
        let from_store = kept.is_some();
        let signature = match kept {
            Some(kept) => Some(kept),
            None => match net
                .update_request(peer, UpdateRequest::Signature { name: offer.name.clone() })
                .await
                .map_err(|e| ApiError::net(e, "update"))?
            {
                UpdateResponse::Signature(s) => Some(s),
                _ => None,
            },
        };
        let name = offer.name.clone();
        let previous = up::current();
        let installed = tokio::task::spawn_blocking(move || -> Result<PathBuf, UpdateError> {
            let source = if from_store { store.dir().join(&name) } else { part.clone() };
            let bytes = std::fs::read(&source).map_err(|e| UpdateError::Io(format!("{}: {e}", source.display())))?;
            let keys = Keys::release();
            // The kept archive is checked again too: a device's store is not trusted.
            let checked = up::check(&keys, &name, &bytes, signature.as_deref(), &previous)
                .and_then(|_| up::extract(&name, &bytes).map(|files| (files, bytes)));
            let (files, bytes) = match checked {
                Ok(ok) => ok,
                Err(e) => {
                    // Never resumed from: a bad archive is fetched again whole, if at all.
                    let _ = std::fs::remove_file(&part);
                    return Err(e);
                }
            };
            up::reached("checked");
            if !from_store {
                store.add(&keys, &name, &bytes, signature.as_deref().unwrap_or_default())?;
                let _ = std::fs::remove_file(&part);
            }
            up::reached("kept to offer");
            let exe = std::env::current_exe().map_err(|e| UpdateError::Io(e.to_string()))?;
            let dir = exe.parent().ok_or_else(|| UpdateError::Io("kdcd has no directory".into()))?.to_path_buf();
            let mut step = |s: &str| {
                up::reached(s);
                Ok(())
            };
            up::install_with(&dir, &files, &mut step).map_err(|e| match e {
                // Installed by root, or on a read-only system directory (the systemd unit's
                // ProtectSystem=strict): say how to finish by hand; the archive is kept.
                UpdateError::Io(m) => UpdateError::Io(format!(
                    "{m}: kdcd cannot replace its own files in {}; unpack {} (kept in {}) and copy kdcd and kdc \
                     there by hand, e.g. sudo install -m 755 kdcd kdc {}/, then restart kdcd",
                    dir.display(),
                    name,
                    store.dir().display(),
                    dir.display()
                )),
                other => other,
            })?;
            up::reached("installed");
            Ok(exe)
        })
        .await
        .map_err(blocking_err)?
        .map_err(refused)?;
        tracing::info!(version = %offer.version, from = %offer.from, bytes = fetched, "release installed; restarting");
        self.restart_on(installed);
        Ok(Installed {
            version: offer.version,
            previous: up::current().to_string(),
            from: Some(offer.from),
            bytes_fetched: fetched,
            restarting: true,
        })
    }

    /// Puts the previous binaries back and restarts.
    pub async fn update_rollback(&self) -> ApiResult<Installed> {
        let exe = tokio::task::spawn_blocking(|| -> Result<PathBuf, UpdateError> {
            let exe = std::env::current_exe().map_err(|e| UpdateError::Io(e.to_string()))?;
            let dir = exe.parent().ok_or_else(|| UpdateError::Io("kdcd has no directory".into()))?;
            let exe_suffix = std::env::consts::EXE_SUFFIX;
            let (d, c) = (format!("kdcd{exe_suffix}"), format!("kdc{exe_suffix}"));
            let names: Vec<&str> = [d.as_str(), c.as_str()]
                .into_iter()
                .filter(|n| dir.join(n).exists() || dir.join(format!("{n}.previous")).exists())
                .collect();
            up::rollback(dir, &names)?;
            Ok(exe)
        })
        .await
        .map_err(blocking_err)?
        .map_err(refused)?;
        tracing::info!("previous release put back; restarting");
        self.restart_on(exe);
        Ok(Installed {
            version: "previous".into(),
            previous: up::current().to_string(),
            from: None,
            bytes_fetched: 0,
            restarting: true,
        })
    }

    /// Keeps a signed archive found on this machine, to offer to teammates.
    pub async fn update_import(&self, body: ImportBody) -> ApiResult<up::Archive> {
        let store = Store::new(&self.data_dir()?);
        tokio::task::spawn_blocking(move || -> Result<up::Archive, UpdateError> {
            let path = PathBuf::from(&body.path);
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let bytes = std::fs::read(&path).map_err(|e| UpdateError::Io(format!("{}: {e}", path.display())))?;
            let sig_path = PathBuf::from(format!("{}.minisig", path.display()));
            let sig = std::fs::read_to_string(&sig_path).map_err(|_| UpdateError::Unsigned(name.clone()))?;
            store.add(&Keys::release(), &name, &bytes, &sig)
        })
        .await
        .map_err(blocking_err)?
        .map_err(refused)
    }

    /// Stops the daemon as on SIGTERM once this answer is out, then starts `exe` again.
    fn restart_on(&self, exe: PathBuf) {
        up::request_restart(exe);
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            shutdown.cancel();
        });
    }
}
