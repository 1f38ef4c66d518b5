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
    keep_freed_memory();
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

/// `kdc` runs briefly and reads many files one after the other (a report over a province's
/// 2,500 files decodes buffers of a few hundred KB for each): glibc's allocator gives every
/// large freed buffer back to the kernel (mmap and trimming) and faults the pages in again for
/// the next file, a fifth of such a report's time (docs/PERFORMANCE.md). Kept in the process
/// instead (buffers up to 32 MB, trimming past 256 MB): what a run peaks at is freed when it
/// exits.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets glibc's allocator parameters; called first thing, single-threaded.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20); // glibc's largest on 64-bit
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
}
