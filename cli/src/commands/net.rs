//! `kdc invite`, `kdc join`, `kdc peers`, `kdc peer add`: pairing and the peers this device sees.

use std::io::IsTerminal as _;

use kdc_api::types::PeerInfo;
use kdc_api::types::{InviteInfo, InviteRequest, Joined, PeerAddr};

use super::{Ctx, emit};
use crate::args::PeerCmd;
use crate::{i18n, output};

/// Prints a new invite. On a terminal: what it is, the token, a QR code and how to use it.
/// Piped (`TOKEN=$(kdc invite AREA)`): the token alone, so scripts need no parsing.
pub fn invite(ctx: &Ctx, area: &str) -> anyhow::Result<()> {
    let client = ctx.client()?;
    let req = InviteRequest::default();
    if ctx.json {
        // Exactly the daemon's `{"token", "expires_at"}`.
        let raw: Box<serde_json::value::RawValue> = client.create_invite(area, &req)?;
        return emit(&format!("{}\n", raw.get()));
    }
    let info: InviteInfo = client.create_invite(area, &req)?;
    if std::io::stdout().is_terminal() {
        emit(&output::invite(ctx.lang, area, &info.token, &info.expires_at, true))
    } else {
        emit(&format!("{}\n", info.token))
    }
}

pub fn join(ctx: &Ctx, token: &str) -> anyhow::Result<()> {
    let client = ctx.client()?;
    answer!(ctx, client.join(token), |j: Joined| i18n::joined(ctx.lang, &j.area) + "\n")
}

pub fn peers(ctx: &Ctx) -> anyhow::Result<()> {
    let client = ctx.client()?;
    answer!(ctx, client.peers(), |p: Vec<PeerInfo>| output::peers(ctx.lang, &p))
}

pub fn doctor(ctx: &Ctx, area: Option<&str>) -> anyhow::Result<()> {
    let client = ctx.client()?;
    answer!(ctx, client.doctor(area), |d: kdc_api::types::Doctor| output::doctor(ctx.lang, &d))
}

pub fn peer(ctx: &Ctx, cmd: PeerCmd) -> anyhow::Result<()> {
    match cmd {
        PeerCmd::Add { multiaddr } => {
            let client = ctx.client()?;
            answer!(ctx, client.add_peer(&multiaddr), |p: PeerAddr| i18n::peer_dialling(ctx.lang, &p.addr) + "\n")
        }
    }
}
