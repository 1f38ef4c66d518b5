//! `kdc ui`: the web app's login URL (single use, ten minutes), opened in the system browser;
//! `--lan` for a phone on the Wi-Fi (text and QR code); `--sessions` and `--revoke ID`.

use std::io::IsTerminal as _;

use kdc_api::types::LoginInfo;
use kdc_api::types::SessionInfo;
use kdc_text::{Lang, t};

use super::{Ctx, emit};
use crate::output;

pub fn run(ctx: &Ctx, no_open: bool, lan: bool, sessions: bool, revoke: Option<&str>) -> anyhow::Result<()> {
    let client = ctx.client()?;
    let lang = ctx.lang;
    if let Some(id) = revoke {
        return answer!(ctx, client.ui_revoke(id), |s: SessionInfo| format!(
            "{}\n",
            t!(lang, "cli-ui-revoked", id = s.id)
        ));
    }
    if sessions {
        return answer!(ctx, client.ui_sessions(), |list: Vec<SessionInfo>| sessions_table(lang, &list));
    }
    if ctx.json {
        let raw: Box<serde_json::value::RawValue> = client.ui_login(lan)?;
        let info: LoginInfo = serde_json::from_str(raw.get())?;
        if !no_open && !lan {
            open_browser(&info.url);
        }
        return emit(&format!("{}\n", raw.get()));
    }
    let info: LoginInfo = client.ui_login(lan)?;
    let mut out = String::new();
    if lan {
        out.push_str(&format!("{}\n", t!(lang, "cli-ui-scan")));
        out.push_str(&format!("{}\n", info.url));
        if std::io::stdout().is_terminal()
            && let Some(qr) = output::qr(&info.url)
        {
            out.push('\n');
            out.push_str(&qr);
            out.push('\n');
        }
    } else {
        out.push_str(&format!("{}\n", t!(lang, "cli-ui-open")));
        out.push_str(&format!("{}\n", info.url));
        if !no_open {
            open_browser(&info.url);
        }
    }
    emit(&out)
}

fn sessions_table(lang: Lang, list: &[SessionInfo]) -> String {
    if list.is_empty() {
        return format!("{}\n", t!(lang, "cli-ui-no-sessions"));
    }
    let mut t = output::table(vec![
        "ID",
        t!(lang, "cli-ui-col-logged-in"),
        t!(lang, "cli-ui-col-last-seen"),
        t!(lang, "cli-ui-col-lan"),
        t!(lang, "cli-ui-col-browser"),
    ]);
    for s in list {
        let ua: String = s.user_agent.chars().take(40).collect();
        t.add_row(vec![
            s.id.clone(),
            kdc_text::when(&s.created_at),
            kdc_text::when(&s.last_seen),
            if s.lan { "✓" } else { "" }.into(),
            ua,
        ]);
    }
    format!("{t}\n")
}

/// Opens `url` in the system browser when there is one; a failure only means the user opens
/// the printed URL by hand.
fn open_browser(url: &str) {
    let mut cmd = if cfg!(windows) {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", "start", ""]);
        c
    } else if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if std::env::var_os("TERMUX_VERSION").is_some() {
        std::process::Command::new("termux-open-url")
    } else if std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some() {
        std::process::Command::new("xdg-open")
    } else {
        return; // No desktop: print only.
    };
    let _ = cmd
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}
