//! `kdc update`: releases offered by teammates (`--check`), installing one, `--rollback`,
//! `--import FILE`. The daemon fetches, checks and installs (`daemon/src/api/update.rs`).

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use crdt_model::Lang;
use kdc_api::types::Archive;
use kdc_api::types::{Installed, UpdateCheck};
use kdc_text::t;

use super::Ctx;
use crate::error::usage;

pub struct UpdateArgs {
    pub check: bool,
    pub yes: bool,
    pub version: Option<String>,
    pub rollback: bool,
    pub import: Option<PathBuf>,
}

pub fn run(ctx: &Ctx, args: UpdateArgs) -> anyhow::Result<()> {
    let client = ctx.client()?;
    let lang = ctx.lang;
    if let Some(path) = args.import {
        let path = std::fs::canonicalize(&path).map_err(|e| usage(format!("{}: {e}", path.display())))?;
        return answer!(ctx, client.update_import(&path.to_string_lossy()), |a: Archive| {
            format!("{}\n", t!(lang, "cli-update-kept", version = a.version, target = a.target))
        });
    }
    if args.rollback {
        return answer!(ctx, client.update_rollback(), |_i: Installed| format!(
            "{}\n",
            t!(lang, "cli-update-rolled-back")
        ));
    }
    if args.check {
        return answer!(ctx, client.update_check(), |c: UpdateCheck| check_text(lang, &c));
    }
    let check: UpdateCheck = client.update_check()?;
    let Some(offer) = (match &args.version {
        Some(v) => check.offers.iter().find(|o| &o.version == v),
        None => check.offers.first(),
    }) else {
        anyhow::bail!(
            "{}",
            t!(lang, "cli-update-none-offered", current = check.current.as_str(), target = check.target.as_str())
        );
    };
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            return Err(usage(t!(lang, "cli-update-needs-yes")));
        }
        let question = t!(
            lang,
            "cli-update-confirm",
            version = offer.version.as_str(),
            from = offer.from.as_str(),
            size = offer.size,
            current = check.current.as_str()
        );
        eprint!("{question} ");
        std::io::stderr().flush()?;
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        if !matches!(line.trim().to_lowercase().as_str(), "y" | "yes" | "c" | "có" | "co") {
            return Err(usage(t!(lang, "cli-update-not-installed")));
        }
    }
    let version = offer.version.clone();
    answer!(ctx, client.update_install(Some(&version)), |i: Installed| {
        format!(
            "{}\n",
            t!(lang, "cli-update-installed", version = i.version, previous = i.previous, bytes = i.bytes_fetched)
        )
    })
}

fn check_text(lang: Lang, c: &UpdateCheck) -> String {
    let mut out =
        format!("{}\n", t!(lang, "cli-update-current", current = c.current.as_str(), target = c.target.as_str()));
    if c.offers.is_empty() {
        out += &format!("{}\n", t!(lang, "cli-update-no-offer"));
    }
    for o in &c.offers {
        out += &format!(
            "{}\n",
            t!(lang, "cli-update-offer", version = o.version.as_str(), from = o.from.as_str(), size = o.size)
        );
    }
    out
}
