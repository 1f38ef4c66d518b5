//! `kdc update`: releases offered by teammates (`--check`), installing one, `--rollback`,
//! `--import FILE`. The daemon fetches, checks and installs (`daemon/src/api/update.rs`).

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use crdt_model::Lang;
use kdc_api::types::Archive;
use kdc_api::types::{Installed, UpdateCheck};

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
    let vi = ctx.lang == Lang::Vi;
    if let Some(path) = args.import {
        let path = std::fs::canonicalize(&path).map_err(|e| usage(format!("{}: {e}", path.display())))?;
        return answer!(ctx, client.update_import(&path.to_string_lossy()), |a: Archive| if vi {
            format!("Đã giữ bản {} ({}) để gửi cho đồng đội.\n", a.version, a.target)
        } else {
            format!("Kept release {} ({}) to offer to teammates.\n", a.version, a.target)
        });
    }
    if args.rollback {
        return answer!(ctx, client.update_rollback(), |_i: Installed| if vi {
            "Đã quay lại bản trước; kdcd đang khởi động lại.\n".to_string()
        } else {
            "The previous release is back in place; kdcd is restarting.\n".to_string()
        });
    }
    if args.check {
        return answer!(ctx, client.update_check(), |c: UpdateCheck| check_text(ctx.lang, &c));
    }
    let check: UpdateCheck = client.update_check()?;
    let Some(offer) = (match &args.version {
        Some(v) => check.offers.iter().find(|o| &o.version == v),
        None => check.offers.first(),
    }) else {
        anyhow::bail!(
            "{}",
            if vi {
                format!(
                    "Chưa có đồng đội nào đang kết nối gửi bản mới hơn {} cho máy này ({}).",
                    check.current, check.target
                )
            } else {
                format!(
                    "No connected teammate offers a release newer than {} for this device ({}).",
                    check.current, check.target
                )
            }
        );
    };
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            return Err(usage(if vi {
                "cần xác nhận: thêm --yes để cài khi không chạy trên terminal"
            } else {
                "needs a yes: add --yes to install when not on a terminal"
            }));
        }
        let question = if vi {
            format!(
                "Cài bản {} (từ {}, {} byte) thay cho bản {}? [c/K] ",
                offer.version, offer.from, offer.size, check.current
            )
        } else {
            format!(
                "Install release {} (from {}, {} bytes) in place of {}? [y/N] ",
                offer.version, offer.from, offer.size, check.current
            )
        };
        eprint!("{question}");
        std::io::stderr().flush()?;
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        if !matches!(line.trim().to_lowercase().as_str(), "y" | "yes" | "c" | "có" | "co") {
            return Err(usage(if vi { "không cài" } else { "not installed" }));
        }
    }
    let version = offer.version.clone();
    answer!(ctx, client.update_install(Some(&version)), |i: Installed| if vi {
        format!(
            "Đã cài bản {} (thay bản {}, {} byte tải về); kdcd đang khởi động lại.\n",
            i.version, i.previous, i.bytes_fetched
        )
    } else {
        format!(
            "Installed release {} (was {}, {} bytes fetched); kdcd is restarting.\n",
            i.version, i.previous, i.bytes_fetched
        )
    })
}

fn check_text(lang: Lang, c: &UpdateCheck) -> String {
    let vi = lang == Lang::Vi;
    let mut out = if vi {
        format!("Bản đang dùng: {} ({})\n", c.current, c.target)
    } else {
        format!("This device: {} ({})\n", c.current, c.target)
    };
    if c.offers.is_empty() {
        out += if vi {
            "Chưa có bản mới hơn từ đồng đội đang kết nối.\n"
        } else {
            "No newer release offered by a connected teammate.\n"
        };
    }
    for o in &c.offers {
        out += &if vi {
            format!("Bản mới {} từ {} ({} byte): chạy `kdc update` để cài\n", o.version, o.from, o.size)
        } else {
            format!("Release {} offered by {} ({} bytes): run `kdc update` to install it\n", o.version, o.from, o.size)
        };
    }
    out
}
