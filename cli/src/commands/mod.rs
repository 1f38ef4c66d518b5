//! One module per command group. Each command reads its input, talks to the daemon (or reads
//! files), and prints either the human text of [`crate::output`] or, with `--json`, one JSON
//! document: for daemon answers, exactly the JSON the daemon returned.

/// Prints a daemon answer: with `--json` exactly the JSON text the daemon returned (same keys,
/// same order), else the human text of the typed answer. `$call` is evaluated once, for the
/// answer type the output needs.
macro_rules! answer {
    ($ctx:expr, $call:expr, |$t:ident: $ty:ty| $human:expr) => {
        if $ctx.json {
            let raw: Box<serde_json::value::RawValue> = $call?;
            $crate::commands::emit(&format!("{}\n", raw.get()))
        } else {
            let $t: $ty = $call?;
            $crate::commands::emit(&$human)
        }
    };
}

mod area;
mod history;
mod household;
mod misc;
mod net;
mod report;
mod snapshot;
mod ui;
mod update;

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use crdt_model::Lang;
use kdc_api::client::Client;

use crate::args::{Cli, Command};
use crate::error::usage;
use crate::i18n;

/// What every command needs: the global flags.
pub struct Ctx {
    pub lang: Lang,
    pub json: bool,
    pub data_dir: Option<PathBuf>,
    /// `--identity` files, for encrypted snapshot files.
    pub identities: Vec<PathBuf>,
    /// Their identities and the device's, read once when the first encrypted file comes.
    pub opened_identities: std::sync::OnceLock<Result<Vec<kdc_ward::seal::Identity>, String>>,
}

impl Ctx {
    /// The data directory: `--data-dir`, `KDC_DATA_DIR`, or the platform default (the same
    /// default as `kdcd`).
    pub fn data_dir(&self) -> anyhow::Result<PathBuf> {
        match &self.data_dir {
            Some(dir) => Ok(dir.clone()),
            None => kdc_api::default_data_dir().ok_or_else(|| usage(i18n::no_data_dir(self.lang))),
        }
    }

    /// The door's memory of files read before ([`kdc_ward::ward::read_passed`]), kept in the
    /// data directory when there is one; `None` (check every file) when there is none.
    pub fn door_memory(&self) -> Option<(PathBuf, crdt_model::check::Passed)> {
        let dir = self.data_dir().ok().filter(|d| d.is_dir())?;
        let passed = kdc_ward::ward::read_passed(&dir);
        Some((dir, passed))
    }

    /// Keeps what the door learnt; a failure costs only time next run, so it is not an error.
    pub fn keep_door_memory(&self, memory: Option<(PathBuf, crdt_model::check::Passed)>) {
        if let Some((dir, passed)) = memory {
            let _ = kdc_ward::ward::write_passed(&dir, &passed);
        }
    }

    /// A snapshot file's bytes, opened when it is encrypted (with the `--identity` files and the
    /// device's own key): an encrypted file nothing here opens is refused (exit 2) saying so.
    pub fn snapshot_bytes(&self, path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
        let bytes = std::fs::read(path).map_err(|e| usage(format!("{}: {e}", i18n::cannot_read(self.lang, path))))?;
        if !kdc_ward::seal::is_sealed(&bytes) {
            return Ok(bytes);
        }
        let identities = self
            .opened_identities
            .get_or_init(|| {
                let mut identities = Vec::new();
                for file in &self.identities {
                    identities.extend(kdc_ward::seal::read_identity_file(file).map_err(|e| e.to_string())?);
                }
                if let Some(own) = self.data_dir().ok().and_then(|d| kdc_ward::seal::existing_device_identity(&d)) {
                    identities.push(own);
                }
                Ok(identities)
            })
            .as_ref()
            .map_err(|e| usage(e.clone()))?;
        kdc_ward::seal::open(&bytes, identities)
            .map_err(|e| usage(i18n::invalid_snapshot(self.lang, path, &i18n::seal_error(self.lang, &e))))
    }

    /// A client of the local daemon; fails with exit 3 when it is not running.
    pub fn client(&self) -> anyhow::Result<Client> {
        Ok(Client::from_data_dir(&self.data_dir()?)?)
    }
}

/// Writes to stdout. A closed pipe (`kdc ... | head`) ends the program quietly.
pub fn emit(text: &str) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(e).context("cannot write to standard output"),
    }
}

pub fn run(cli: Cli, lang: Lang) -> anyhow::Result<()> {
    // A report is a document for the district: Vietnamese unless `--lang en` asks otherwise,
    // whatever the PC's locale (its messages still follow LANG).
    let document_lang = cli.lang.map_or(Lang::Vi, |l| crate::args::resolve_lang(Some(l), None));
    let ctx = Ctx {
        lang,
        json: cli.json,
        data_dir: cli.data_dir,
        identities: cli.identity,
        opened_identities: Default::default(),
    };
    match cli.command {
        Command::Id => misc::id(&ctx),
        Command::Area(cmd) => area::run(&ctx, cmd),
        Command::Ward(cmd) => misc::ward(&ctx, cmd),
        Command::Household(cmd) => household::run(&ctx, cmd),
        Command::Erasure(crate::args::ErasureCmd::Status { area }) => household::erasure_status(&ctx, &area),
        Command::Status { area, at: None, snapshot: None } => misc::status(&ctx, &area),
        Command::Status { area, at, snapshot } => history::status(&ctx, &area, at, snapshot),
        Command::Member(cmd) => misc::member(&ctx, cmd),
        Command::Conflicts { area, snapshot: None } => misc::conflicts(&ctx, &area),
        Command::Conflicts { area, snapshot: Some(file) } => history::conflicts(&ctx, &area, &file),
        Command::Snapshot(cmd) => snapshot::run(&ctx, cmd),
        Command::Invite { area } => net::invite(&ctx, &area),
        Command::Join { token } => net::join(&ctx, &token),
        Command::Ui { no_open, lan, sessions, revoke } => ui::run(&ctx, no_open, lan, sessions, revoke.as_deref()),
        Command::Peers => net::peers(&ctx),
        Command::Doctor { area } => net::doctor(&ctx, area.as_deref()),
        Command::Update { check, yes, release, rollback, import } => {
            update::run(&ctx, update::UpdateArgs { check, yes, version: release, rollback, import })
        }
        Command::Peer(cmd) => net::peer(&ctx, cmd),
        Command::History { area, household, since, until, format, snapshot } => {
            history::run(&ctx, history::HistoryArgs { area, household, since, until, format, snapshot })
        }
        Command::Report { files, format, output } => {
            report::run(&ctx, document_lang, &files, format, output.as_deref())
        }
    }
}
