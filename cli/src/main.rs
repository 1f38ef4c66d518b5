//! `kdc`, the command line of KDC Sync. Thin: parse, run, map the error to an exit code.
//!
//! - [`args`]: the clap types (usage errors exit 2, `--help`/`--version` exit 0).
//! - [`commands`]: one module per command group.
//! - [`output`]: human tables and JSON; [`i18n`]: every Vietnamese and English text.
//! - [`error`]: errors to the contract's exit codes.

mod args;
mod commands;
mod error;
mod history;
mod i18n;
mod output;
mod report;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let lang = args::resolve_lang(cli.lang, std::env::var("LANG").ok().as_deref());
    match commands::run(cli, lang) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{}{}", i18n::error_prefix(lang), error::message(&err, lang));
            ExitCode::from(error::exit_code(&err))
        }
    }
}
